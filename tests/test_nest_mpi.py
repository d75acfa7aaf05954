"""NEST under MPI, for real: ``mpiexec -n R netdyn run NET --backend nest --threads T`` with a NEST
built with MPI (``benchmarks/peers/build_nest_mpi.sh``).

NEST promises the same numbers for the same number of virtual processes (ranks x threads):
1 rank x 2 threads and 2 ranks x 1 thread must give the same spike trains, bit for bit, on
the 0.1 microcircuit, and the same statistics as the single-process run; each rank records
its own neurons and rank 0 writes one recording. Skipped where that NEST (or mpiexec) is
absent: ``$NETDYN_NEST_MPI_PYTHON``, else ``$NETDYN_PEERS_DIR/nest-mpi/bin/python`` (default
``~/.cache/netdyn-peers``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from netdyn.io.hdf5 import read_recording

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "examples" / "networks" / "microcircuit-0.1.toml"


def _nest_mpi_python() -> Path | None:
    explicit = os.environ.get("NETDYN_NEST_MPI_PYTHON")
    if explicit:
        return Path(explicit)
    peers = Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers"))
    return peers / "nest-mpi" / "bin" / "python"


PYTHON = _nest_mpi_python()
MPIEXEC = shutil.which("mpiexec")


def _usable() -> str | None:
    if MPIEXEC is None:
        return "no mpiexec"
    if PYTHON is None or not PYTHON.exists():
        return f"no NEST with MPI at {PYTHON} (benchmarks/peers/build_nest_mpi.sh builds it)"
    probe = subprocess.run([str(PYTHON), "-c", "import os; os.environ['PYNEST_QUIET']='1'; import nest, netdyn, mpi4py;"
                            "print(nest.build_info['have_mpi'])"], capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip().splitlines()[-1:] != ["True"]:
        return f"{PYTHON} has no NEST with MPI, mpi4py and netdyn"
    return None


pytestmark = pytest.mark.skipif(_usable() is not None, reason=str(_usable()))


def _mpiexec(ranks: int) -> list[str]:
    cmd = [MPIEXEC, "-n", str(ranks)]
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        cmd += ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    return cmd


def _run(tmp_path: Path, ranks: int, threads: int, name: str, duration_ms: float = 400.0) -> Path:
    out = tmp_path / name
    cmd = _mpiexec(ranks) + [str(PYTHON), "-m", "netdyn.cli", "run", str(NETWORK), "--out", str(out),
                             "--backend", "nest", "--threads", str(threads), "--duration-ms", str(duration_ms),
                             "--transient-ms", "100"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYNEST_QUIET": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return out


def _spikes(out: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rec = read_recording(out / "recording.h5")
    return {name: (s.times_ms, s.senders) for name, s in rec.spikes.items()}


def test_ranks_and_threads_give_the_same_spikes_and_rank_0_writes_one_recording(tmp_path):
    threads = _run(tmp_path, 1, 2, "1x2")
    ranks = _run(tmp_path, 2, 1, "2x1")
    a, b = _spikes(threads), _spikes(ranks)
    assert sorted(a) == sorted(b) and len(a) == 8
    assert sum(t.size for t, _ in a.values()) > 1000
    for name in a:
        np.testing.assert_array_equal(a[name][0], b[name][0], err_msg=name)
        np.testing.assert_array_equal(a[name][1], b[name][1], err_msg=name)
    # every neuron of a population appears in the gathered recording, not only rank 0's
    rec = read_recording(ranks / "recording.h5")
    senders = rec.spikes["L4E"].senders
    assert senders.min() < 100 and senders.max() > rec.spikes["L4E"].n_neurons - 100
    assert np.any(senders % 2 == 0) and np.any(senders % 2 == 1)
    summary_threads = json.loads((threads / "summary.json").read_text())
    summary_ranks = json.loads((ranks / "summary.json").read_text())
    assert summary_ranks["populations"] == summary_threads["populations"]
    assert summary_ranks["spike_digest"] == summary_threads["spike_digest"]
    assert summary_ranks["backend"] == "nest"
    assert sorted(p.name for p in ranks.iterdir()) == sorted(p.name for p in threads.iterdir())
