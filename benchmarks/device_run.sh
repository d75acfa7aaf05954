#!/usr/bin/env bash
# The one command to give the device tool for benchmarks/gpu.py (GPU back-end against the CPU
# engine; see its docstring). The lent machine has Python 3.12 with numba, numba-cuda, numpy,
# scipy, xarray, h5py, tqdm, psutil and matplotlib, but not the rest of netdyn's runtime
# dependencies that benchmarks/gpu.py imports: pydantic (with pydantic-core, annotated-types,
# typing-inspection, typing-extensions; netdyn.config) and tomli-w (netdyn.config.base).
# zarr, dask, networkx and threadpoolctl are not imported on this path.
#
# Beforehand, HERE (in the repository root), download those wheels into .whl/ (ignored by git),
# versions as installed in .venv:
#
#   echo /.whl/ >> .git/info/exclude
#   for spec in pydantic==2.14.4 pydantic_core==2.50.5 annotated_types==0.8.0 \
#               typing_inspection==0.4.5 typing_extensions==4.16.0 tomli_w==1.2.0; do
#     python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#       -d .whl "$spec"
#   done
#
# (use .venv/bin/python -m pip if python3 has no pip; pydantic_core is the one compiled wheel:
# pydantic_core-2.50.5-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)
#
# Then two run tool calls on the H200, each within ~9 min of wall time (the multi-area model does
# not fit beside the default cases in one call, so it is a call of its own):
#
#   1. the default cases (coba, microcircuit, chaos; about 6 min of wall time):
#      run(command="bash benchmarks/device_run.sh", carry=[".whl"], timeout_s=540, kind="nvidia-h200")
#   2. the full multi-area model (4.13M neurons, procedural connectivity; 200 ms on the GPU, 20 ms
#      on the CPU with 16 threads, each after 5 ms untimed; GPU ring buffer ~60 GB):
#      run(command="bash benchmarks/device_run.sh --cases multiarea", carry=[".whl"], timeout_s=540,
#          kind="nvidia-h200")
#
# Goals, as real-time factors (RTF = wall time / biological time): the full microcircuit faster
# than real time (RTF < 1; GeNN on a V100: RTF ~0.5, i.e. 0.5 s of wall time per biological
# second); the full multi-area model below GeNN's published single-GPU RTF (Knight & Nowotny
# 2021, Nat. Comput. Sci. 1:136; not in the repository: compare the printed RTF with the paper);
# the chaos protocol in under a second.
#
# Results come back under $OUT: gpu_benchmark.json and gpu_benchmark.log (both calls write these
# names: fetch the first call's files before the second). Extra arguments are passed on to
# benchmarks/gpu.py (e.g. `bash benchmarks/device_run.sh --cases chaos`).
set -euo pipefail
OUT="${OUT:-/tmp/gpu_out}"
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site:$PWD
nvidia-smi -L || true
export PYTHONUNBUFFERED=1
python3 benchmarks/gpu.py --out "$OUT/gpu_benchmark.json" "$@" 2>&1 | tee "$OUT/gpu_benchmark.log"
