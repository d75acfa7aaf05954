#!/usr/bin/env bash
# What to give the device tool to check and time netdyn's GPU back-end on a lent machine (one
# NVIDIA H200 or H100, 16 cores; 15 minutes of device time per session, the machine's start of a
# minute or two included, so everything goes into ONE call that leaves room for a rerun).
#
#   bash benchmarks/device_run.sh wheels                 HERE, beforehand: download the wheels below into .whl/
#   bash benchmarks/device_run.sh all                    the one call: benchmark, then tests, within $BUDGET_S
#   bash benchmarks/device_run.sh tests [PYTEST ARGS]    tests/gpu on the device, the slow ones too
#   bash benchmarks/device_run.sh bench [GPU.PY ARGS]    benchmarks/gpu.py (its docstring says what)
#
# The machine has Python 3.12 with numba, numba-cuda, numpy, scipy, xarray, h5py, tqdm, psutil,
# matplotlib, pytest and pytest-timeout, but not the rest of what netdyn imports: pydantic (with
# pydantic-core, annotated-types, typing-inspection, typing-extensions; netdyn.config), tomli-w
# (netdyn.config.base), and for the study driver of the tests (results.zarr) zarr, numcodecs,
# donfig, google-crc32c, dask, partd and locket. They travel as wheels in .whl/ (ignored by git).
# Beforehand, HERE, in the repository root: `bash benchmarks/device_run.sh wheels` downloads them
# for CPython 3.12 on manylinux x86_64, at the versions installed in .venv (`make test` makes it),
# and keeps .whl/ out of git (.git/info/exclude).
#
# Then one call:
#
#   run(command="bash benchmarks/device_run.sh all", carry=[".whl"], timeout_s=570, kind="nvidia-h200")
#
# `all` first writes preflight.log (the GPU, the numba versions, where numba finds the CUDA
# libraries), then spends at most BUDGET_S (540) seconds, in this order, each stage cut by
# `timeout` so a hang costs only its own share, and every log and result lands in $OUT as it is
# written:
#   1. benchmarks/gpu.py --cases microcircuit,chaos,coba,multiarea: every GPU row, then every CPU
#      row (16 threads); no row starts after 45 % of the budget, the stage ends at 60 %
#      (bench.log, gpu_benchmark.json, rewritten after every row);
#   2. tests/gpu without the slow tests: GPU against CPU on small networks, every kernel and
#      launch mode (tests.log; 120 s at most per test);
#   3. the slow tests of tests/gpu with what is left: the chaos protocol's published ranges and
#      COBA's statistics against the CPU's seed spread (slow_tests.log).
# The multi-area model (procedural, 4.13 million neurons) needs about 60 GB of GPU memory for its
# ring buffer: name the H200. Then give_back. If the call breaks early, `tests` or `bench` alone
# rerun a stage. SKIP_WHEELS=1 leaves the wheels alone (a smoke test here, in the simulator, with
# .venv's python3 first on PATH: NUMBA_ENABLE_CUDASIM=1 BUDGET_S=200 ... all --quick).
#
# Goals, as real-time factors (RTF = wall time / biological time): the full microcircuit faster
# than real time (RTF < 1; GeNN on a V100: RTF ~0.5, i.e. 0.5 s of wall time per biological
# second); the full multi-area model below GeNN's published single-GPU RTF (Knight & Nowotny
# 2021, Nat. Comput. Sci. 1:136; compare the printed RTF with the paper); the chaos protocol in
# under a second.
set -euo pipefail
mode="${1:-bench}"
shift || true
case "$mode" in
  wheels|all|tests|bench) ;;
  *) echo "usage: bash benchmarks/device_run.sh wheels|all|tests|bench [ARGS]" >&2; exit 2 ;;
esac
WHEELS="pydantic pydantic_core annotated_types typing_inspection typing_extensions tomli_w zarr numcodecs donfig
        google-crc32c dask partd locket"
if [ "$mode" = wheels ]; then
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
  for name in $WHEELS; do
    version=$(.venv/bin/python -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$name")
    .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      -d .whl "$name==$version"
  done
  ls .whl
  exit 0
fi
OUT="${OUT:-/tmp/gpu_out}"
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba_cache
if [ -z "${SKIP_WHEELS:-}" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  PYTHONPATH=/tmp/site:$PYTHONPATH
fi
# what the run stands on, in $OUT/preflight.log (stdout keeps only the run's tail): the GPU, the
# numba and numba-cuda versions, and where numba finds the CUDA libraries, among them the device
# runtime libcudadevrt.a that the cooperative (grid-barrier) kernels are linked with at load
{ nvidia-smi -L || true
  python3 -m pip list 2>/dev/null | grep -i -E '^(numba|numba-cuda|numpy|llvmlite|cuda-bindings) ' || true
  python3 -c "import numba, numba.cuda; print('numba', numba.__version__); print(numba.cuda.get_current_device())" || true
  python3 -c "from numba.cuda.cudadrv import libs; libs.test()" || true
} 2>&1 | tee "$OUT/preflight.log"
case "$mode" in
  all)
    budget="${BUDGET_S:-540}"
    left() { echo $(( budget - SECONDS )); }
    # stage NAME SECONDS CMD...: run CMD for at most SECONDS (SIGINT first, so pytest and Python
    # print what they have), its output into $OUT/NAME.log; a failing stage does not stop the next
    stage() {
      local name="$1" limit="$2"; shift 2
      if [ "$limit" -lt 20 ]; then echo "== $name: skipped, $(left) s of the budget left"; return 0; fi
      echo "== $name: at most $limit s (at $SECONDS s of $budget)"
      local rc=0
      { timeout --signal=INT --kill-after=15 "$limit" "$@" 2>&1 | tee "$OUT/$name.log"; rc=${PIPESTATUS[0]}; } || true
      echo "== $name: ended at $SECONDS s (exit $rc$([ "$rc" = 124 ] && echo ': cut by its time limit'))"
    }
    stage bench $(( budget * 60 / 100 - SECONDS )) python3 benchmarks/gpu.py \
      --cases microcircuit,chaos,coba,multiarea --mam-ms 100 --deadline-s $(( budget * 45 / 100 - SECONDS )) \
      --out "$OUT/gpu_benchmark.json" "$@"
    per_test=(); python3 -c "import pytest_timeout" 2>/dev/null && per_test=(--timeout 120)
    quick=$(( $(left) - 60 ))
    stage tests $(( quick < 240 ? quick : 240 )) python3 -m pytest -q -ra -p no:cacheprovider "${per_test[@]}" \
      -m "not slow" tests/gpu
    stage slow_tests $(( $(left) - 10 )) python3 -m pytest -q -ra -p no:cacheprovider -m slow tests/gpu
    echo "== all: done in $SECONDS s" ;;
  tests)
    python3 -m pytest -q -ra -p no:cacheprovider tests/gpu "$@" 2>&1 | tee "$OUT/gpu_tests.log" ;;
  bench)
    python3 benchmarks/gpu.py --out "$OUT/gpu_benchmark.json" "$@" 2>&1 | tee "$OUT/gpu_benchmark.log" ;;
esac
