"""Sweeps under a real ``mpiexec``: the documented launch, its numbers against a local run,
resume, where the units run, and the launches that are refused.

Every MPI run is a subprocess started exactly as docs/scaling.md says::

    mpiexec -n 3 python -m mpi4py.futures -m netdyn.cli chaos --out DIR ...

(rank 0 runs the study and writes, ranks 1 and 2 compute), plus ``--allow-run-as-root`` when
root and ``--oversubscribe`` (3 ranks on a 2-core machine) where ``mpiexec`` is Open MPI's.
The pytest process itself never initialises MPI. Skipped where ``mpiexec`` or mpi4py is
missing (``apt-get install openmpi-bin libopenmpi-dev``; ``pip install netdyn[mpi]``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from netdyn.cli import main
from netdyn.config.chaos import ChaosConfig
from netdyn.studies.chaos import CHAOS, simulate_session
from netdyn.sweep import SweepStore, run_study
from netdyn.sweep.executors import PIN_ENV
from netdyn.sweep.study import STUDY_ATTR

TESTS = Path(__file__).resolve().parent
#: What follows ``mpiexec [flags] -n N python`` in the documented launch of a study.
LAUNCH = ["-m", "mpi4py.futures", "-m", "netdyn.cli"]
TIMEOUT_S = 240  # a hung MPI job fails the test instead of blocking the suite

#: The smallest chaos sweep with several work units (3 sessions of 2 gains x 3 trials).
SMALL = ChaosConfig(sessions=3, trials=3, gains=(1.0, 13.0), duration_ms=600.0)
SMALL_FLAGS = ["--sessions", "3", "--trials", "3", "--gains", "1,13", "--duration-ms", "600",
               "--no-progress", "--no-figure"]


@functools.cache
def _mpiexec() -> str | None:
    return shutil.which("mpiexec")


@functools.cache
def _is_open_mpi(mpiexec: str) -> bool:
    """Whether ``mpiexec`` is Open MPI's (it then needs the flags of :func:`mpiexec_cmd`)."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = out.stdout + out.stderr
    return "Open MPI" in text or "OpenRTE" in text


def mpiexec_cmd(n: int) -> list[str]:
    """``mpiexec [Open MPI: --allow-run-as-root as root, --oversubscribe] -n n``."""
    mpiexec = _mpiexec()
    assert mpiexec is not None
    cmd = [mpiexec]
    if _is_open_mpi(mpiexec):
        if os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        cmd.append("--oversubscribe")
    return cmd + ["-n", str(n)]


@pytest.fixture
def mpi() -> None:
    """Skip unless both ``mpiexec`` and mpi4py are there."""
    if _mpiexec() is None:
        pytest.skip("no mpiexec on PATH (Debian: apt-get install openmpi-bin libopenmpi-dev)")
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install netdyn[mpi])")


def run_mpi(args: list[str], n: int = 3, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``mpiexec -n n python ARGS``: tests/ importable, no thread pinning inherited."""
    env = {k: v for k, v in os.environ.items() if k not in PIN_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(mpiexec_cmd(n) + [sys.executable, *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mpiexec did not finish within {TIMEOUT_S} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_chaos_mpi(out: Path, *extra: str, n: int = 3) -> subprocess.CompletedProcess:
    """The documented launch: ``mpiexec -n N python -m mpi4py.futures -m netdyn.cli chaos``."""
    return run_mpi([*LAUNCH, "chaos", "--out", str(out), *SMALL_FLAGS, *extra], n=n)


def assert_same_store(a: Path, b: Path) -> None:
    """Every data variable and coordinate of two Zarr stores equal, bit for bit."""
    da, db = xr.open_zarr(a).load(), xr.open_zarr(b).load()
    assert sorted(da.data_vars) == sorted(db.data_vars)
    assert sorted(da.coords) == sorted(db.coords)
    for name in [*da.data_vars, *da.coords]:
        x, y = da[name].values, db[name].values
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)
        if x.dtype.kind in "fiub":
            assert x.tobytes() == y.tobytes(), f"{name}: equal values, different bits"
    assert da.attrs["config"] == db.attrs["config"]
    assert bool(da["unit_completed"].all())


def test_the_documented_launch_is_the_tested_one():
    """docs/scaling.md, the README, the executors' docstring and their error messages give
    the command these tests run (with Open MPI's flags as root, as here)."""
    from netdyn.sweep import executors

    root = TESTS.parent
    scaling = (root / "docs" / "scaling.md").read_text(encoding="utf-8")
    tested = ["mpiexec", "--allow-run-as-root", "--oversubscribe", "-n", "3", "python", *LAUNCH, "chaos"]
    assert " ".join(tested) + " --out results/chaos" in scaling
    for text in (scaling, (root / "README.md").read_text(encoding="utf-8")):
        assert " ".join(["mpiexec -n 9 python", *LAUNCH, "chaos --out"]) in text
    for text in (executors.__doc__, executors.MPI_LAUNCH):
        assert " ".join(["mpiexec -n N python", *LAUNCH]) in text


def test_chaos_sweep_under_mpiexec_matches_the_local_run(mpi, tmp_path):
    proc = run_chaos_mpi(tmp_path / "mpi")
    assert proc.returncode == 0, proc.stderr
    assert f"results: {tmp_path / 'mpi' / 'results.zarr'}" in proc.stdout
    assert main(["chaos", "--out", str(tmp_path / "local"), "--workers", "0", *SMALL_FLAGS]) == 0
    assert_same_store(tmp_path / "mpi" / "results.zarr", tmp_path / "local" / "results.zarr")
    summaries = [json.loads((tmp_path / d / "summary.json").read_text()) for d in ("mpi", "local")]
    assert summaries[0] == summaries[1]


def test_mpi_run_completes_a_half_finished_local_store(mpi, tmp_path):
    """Session 1 computed locally (marked), sessions 2 and 3 by the MPI run; the marked
    session is not recomputed and the others match an uninterrupted local run."""
    config_json = SMALL.model_dump_json()
    partial = tmp_path / "partial"
    template = CHAOS.template(SMALL).assign_attrs({STUDY_ATTR: CHAOS.name})
    store = SweepStore.create_or_open(partial / "results.zarr", template, CHAOS.unit_dim, config_json)
    marked = simulate_session(config_json, 1)
    marked["lyapunov_exponent"][:] = 12345.0
    store.write_unit(1, marked)
    assert store.pending() == [2, 3]

    proc = run_chaos_mpi(partial)
    assert proc.returncode == 0, proc.stderr
    whole = run_study(CHAOS, SMALL, tmp_path / "whole", workers=0, progress=False, figure=False)
    resumed = xr.open_zarr(partial / "results.zarr").load()
    assert bool(resumed["unit_completed"].all())
    np.testing.assert_array_equal(resumed["lyapunov_exponent"].sel(session=1), 12345.0)
    assert sorted(resumed.data_vars) == sorted(whole.dataset.data_vars)
    for name in resumed.data_vars:
        mine, ref = resumed[name], whole.dataset[name]
        if name == "lyapunov_exponent":  # session 1 holds the mark
            mine, ref = mine.sel(session=[2, 3]), ref.sel(session=[2, 3])
        np.testing.assert_array_equal(mine.values, ref.values, err_msg=name)


def test_units_run_on_the_worker_ranks_with_pinned_threads(mpi, tmp_path):
    proc = run_mpi(["-m", "mpi4py.futures", str(TESTS / "_mpi_probe.py"), "8", "0.1"])
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["executor"] == "mpi4py.futures.pool.MPIPoolExecutor"
    assert (report["rank"], report["size"]) == (0, 3)
    units = report["units"]
    assert sorted(u["unit"] for u in units) == list(range(8))
    assert {u["rank"] for u in units} == {1, 2}  # both workers, never the driver
    assert report["pid"] not in {u["pid"] for u in units}
    assert all(u["env"] == {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"} for u in units)
    assert all(set(u["pools"]) <= {1} for u in units)
    assert {u["netdyn"] for u in units} == {report["netdyn"]}


def test_ranks_started_without_mpi4py_futures_are_refused(mpi, tmp_path):
    """``mpiexec -n 2 python -m netdyn.cli ...`` would run the study twice into one store."""
    proc = run_mpi(["-m", "netdyn.cli", "chaos", "--out", str(tmp_path / "o"), *SMALL_FLAGS], n=2)
    assert proc.returncode == 2, proc.stderr
    assert "invalid mpi=" in proc.stderr and "python -m mpi4py.futures -m netdyn.cli" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_workers_flag_must_match_the_worker_ranks(mpi, tmp_path):
    proc = run_chaos_mpi(tmp_path / "o", "--workers", "5")
    assert proc.returncode == 2, proc.stderr
    assert "invalid workers=5" in proc.stderr and "2 other rank(s)" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_a_failing_unit_under_mpi_exits_1_and_names_the_unit(mpi, tmp_path):
    """Euler with dt/tau = 5 blows up in a worker; rank 0 reports it and the job ends."""
    proc = run_mpi([*LAUNCH, "chaos", "--out", str(tmp_path / "o"),
                    "--sessions", "2", "--trials", "2", "--gains", "13", "--dt-ms", "100",
                    "--duration-ms", "70000", "--no-progress", "--no-figure"])
    assert proc.returncode == 1, proc.stderr
    assert "netdyn: numerical error" in proc.stderr and "while computing work unit session=" in proc.stderr


def test_an_mpi_singleton_in_the_parent_is_not_a_launcher(mpi):
    """A process that imported mpi4py.MPI outside mpiexec (as elephant does) leaves Open MPI's
    and PMIx's variables to its children; a sweep started there must still run locally."""
    child = ("from netdyn.sweep.executors import mpi_environment; import os; "
             "print(mpi_environment(), os.environ.get('PMIX_RANK') is not None)")
    parent = ("import subprocess, sys; from mpi4py import MPI; MPI.COMM_WORLD.Get_size(); "
              f"sys.exit(subprocess.run([sys.executable, '-c', {child!r}]).returncode)")
    env = {k: v for k, v in os.environ.items() if k not in ("PMIX_RANK", "OMPI_MCA_ess")}
    proc = subprocess.run([sys.executable, "-c", parent], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    detected, leaked = proc.stdout.split()
    assert detected == "None"
    if leaked != "True":  # pragma: no cover - an MPI whose singleton leaves nothing behind
        pytest.skip("this MPI's singleton leaves no PMIX_RANK to its children")


@pytest.mark.slow
def test_a_single_mpi_process_spawns_its_workers(mpi, tmp_path):
    """``mpiexec -n 1 python -m netdyn.cli ...``: the workers come from MPI_Comm_spawn."""
    proc = run_mpi(["-m", "netdyn.cli", "chaos", "--out", str(tmp_path / "spawn"), *SMALL_FLAGS,
                    "--workers", "2"], n=1)
    assert proc.returncode == 0, proc.stderr
    assert main(["chaos", "--out", str(tmp_path / "local"), "--workers", "0", *SMALL_FLAGS]) == 0
    assert_same_store(tmp_path / "spawn" / "results.zarr", tmp_path / "local" / "results.zarr")
