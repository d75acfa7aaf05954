#!/usr/bin/env bash
# Builds NEST 3.10 with MPI (the nest-simulator wheel on PyPI has none) from its PyPI source
# distribution against Debian's OpenMPI, into a virtual environment that also holds mpi4py and
# netdyn itself, so that `mpiexec -n R $DIR/nest-mpi/bin/netdyn run NET.toml --backend nest`
# works and the MPI tests of the suite find it.
#
# Usage: benchmarks/peers/build_nest_mpi.sh [DIR]   (default DIR: $NETDYN_PEERS_DIR, else
#        $HOME/.cache/netdyn-peers; the environment is DIR/nest-mpi). Needs root for apt-get
#        (or the Debian packages below already installed). Safe to re-run: an existing build
#        is kept and only netdyn is reinstalled.
# Cost on a 2-core machine: ~11 min wall, ~1,200 CPU-s (NEST's C++ build).
# Check: mpiexec --allow-run-as-root -n 2 DIR/nest-mpi/bin/python -c \
#          "import nest; print(nest.Rank(), nest.NumProcesses())"
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-${NETDYN_PEERS_DIR:-$HOME/.cache/netdyn-peers}}
env_dir="$dir/nest-mpi"
mkdir -p "$dir"
# Open MPI, and GSL for NEST's conductance-based and AdEx models (without it NEST builds, but
# without iaf_cond_exp and aeif_cond_exp)
need=""
for pkg in libopenmpi-dev openmpi-bin libgsl-dev libltdl-dev libboost-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $need >/dev/null
fi
if [ ! -x "$env_dir/bin/python" ]; then python3 -m venv "$env_dir"; fi
pip="$env_dir/bin/python -m pip"
if ! "$env_dir/bin/python" -c "import nest, sys; sys.exit(0 if nest.build_info['have_mpi'] and nest.build_info['have_gsl'] else 1)" 2>/dev/null; then
  $pip install -q --disable-pip-version-check numpy scipy cython mpi4py
  src=$(mktemp -d)
  $pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "nest-simulator==3.10.0" -d "$src"
  tar -xzf "$src"/nest_simulator-3.10.0.tar.gz -C "$src"
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) $pip install -q --disable-pip-version-check \
    "$src/nest_simulator-3.10.0" --config-settings=cmake.define.with-mpi=ON
  rm -rf "$src"
fi
# netdyn (with its dependencies) beside the MPI-enabled NEST, from this checkout.
$pip install -q --disable-pip-version-check -e "$repo"
"$env_dir/bin/python" -c "import nest, mpi4py, netdyn; print('nest', nest.__version__, 'mpi', nest.build_info['have_mpi'], 'gsl', nest.build_info['have_gsl'], 'netdyn', netdyn.__version__)" 2>&1 | tail -1
echo "NEST with MPI: $env_dir/bin/python"
