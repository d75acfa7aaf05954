#!/usr/bin/env bash
# What to give the device tool to check and time netdyn's GPU back-end on a lent machine (one
# NVIDIA H200 or H100, 16 cores; 15 minutes of device time per session, start included).
#
#   bash benchmarks/device_run.sh wheels                 HERE, beforehand: download the wheels below into .whl/
#   bash benchmarks/device_run.sh tests [PYTEST ARGS]    tests/gpu on the device, the slow ones too
#   bash benchmarks/device_run.sh bench [GPU.PY ARGS]    benchmarks/gpu.py (its docstring says what)
#
# The machine has Python 3.12 with numba, numba-cuda, numpy, scipy, xarray, h5py, tqdm, psutil,
# matplotlib and pytest, but not the rest of what netdyn imports: pydantic (with pydantic-core,
# annotated-types, typing-inspection, typing-extensions; netdyn.config), tomli-w
# (netdyn.config.base), and for the study driver of the tests (results.zarr) zarr, numcodecs,
# donfig, google-crc32c, dask, partd and locket. They travel as wheels in .whl/ (ignored by git).
# Beforehand, HERE, in the repository root: `bash benchmarks/device_run.sh wheels` downloads them
# for CPython 3.12 on manylinux x86_64, at the versions installed in .venv (`make test` makes it),
# and keeps .whl/ out of git (.git/info/exclude).
#
# Then, one call each (the files of a call must be read before the next: each writes its own names):
#
#   1. run(command="bash benchmarks/device_run.sh tests", carry=[".whl"], timeout_s=420, kind="nvidia-h200")
#      tests/gpu (GPU against CPU; the chaos protocol's published ranges; COBA's statistics against
#      the CPU's seed spread); every kernel is compiled on first use, which is most of the time.
#   2. run(command="bash benchmarks/device_run.sh bench", carry=[".whl"], timeout_s=540)
#      COBA 100k, the full microcircuit and the chaos protocol, GPU against the CPU on 16 threads
#      (about 6 min of wall time).
#   3. if time is left: run(command="bash benchmarks/device_run.sh bench --cases multiarea --mam-ms 100",
#      carry=[".whl"], timeout_s=540): the full multi-area model, procedural connectivity (~60 GB
#      of GPU memory for its ring buffer: an H200).
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
  wheels|tests|bench) ;;
  *) echo "usage: bash benchmarks/device_run.sh wheels|tests|bench [ARGS]" >&2; exit 2 ;;
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
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi -L || true
python3 -c "import numba, numba.cuda; print('numba', numba.__version__); print(numba.cuda.get_current_device())"
case "$mode" in
  tests)
    python3 -m pytest -q -ra -p no:cacheprovider tests/gpu "$@" 2>&1 | tee "$OUT/gpu_tests.log" ;;
  bench)
    python3 benchmarks/gpu.py --out "$OUT/gpu_benchmark.json" "$@" 2>&1 | tee "$OUT/gpu_benchmark.log" ;;
esac
