"""Tests of netdyn.sweep: executors, resumable Zarr store, runner, study driver.

Kept light for 2-core machines: tiny units, at most 2 worker processes at a time, every
pool / cluster / subprocess closed or killed by the test that started it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import xarray as xr

import _sweep_toy as toy
from netdyn.errors import ConfigError
from netdyn.sweep import SerialExecutor, SweepStore, open_executor, redraw, run_study, run_units
from netdyn.sweep.executors import MPI_ENV_VARS, choose_start_method, mpi_requested

TOY_SCRIPT = Path(__file__).with_name("_sweep_toy.py")
REPO = Path(__file__).resolve().parents[1]


def _assert_same_results(a: Path, b: Path) -> None:
    """Identical datasets (values, coords, attrs) and bit-identical data."""
    ds_a, ds_b = SweepStore(a).open(load=True), SweepStore(b).open(load=True)
    xr.testing.assert_identical(ds_a, ds_b)
    for name in ds_a.variables:
        assert ds_a[name].values.tobytes() == ds_b[name].values.tobytes(), name


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted in-process run of 8 units."""
    out = tmp_path_factory.mktemp("ref") / "ref.zarr"
    assert toy.run(out, 8, workers=0) == list(range(8))
    return out


# --------------------------------------------------------------------------- (a) executors


@pytest.mark.parametrize(
    "workers, start_method",
    [(0, None), (1, None), (2, None), (2, "spawn")],
    ids=["serial", "1-process", "2-processes", "2-spawned"],
)
def test_same_results_whatever_the_workers(reference, tmp_path, workers, start_method):
    out = tmp_path / "s.zarr"
    computed = toy.run(out, 8, sleep_s=0.02, workers=workers, start_method=start_method)
    assert sorted(computed) == list(range(8))
    _assert_same_results(out, reference)


def test_same_results_on_dask_local_cluster(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        out = tmp_path / "d.zarr"
        computed = toy.run(out, 8, sleep_s=0.02, workers=None,
                           scheduler=cluster.scheduler_address)
        with distributed.Client(cluster, set_as_default=False) as client:
            pinned = client.run(toy.worker_threads, None)
    assert sorted(computed) == list(range(8))
    _assert_same_results(out, reference)
    for info in pinned.values():
        assert info["env"]["NUMBA_NUM_THREADS"] == "1"
        assert all(n == 1 for n in info["pools"])


@pytest.mark.parametrize("start_method", [None, "spawn"])
def test_workers_pin_threads(start_method):
    assert choose_start_method() in ("fork", "spawn")
    env_before = dict(os.environ)
    with open_executor(workers=1, start_method=start_method) as executor:
        info = executor.submit(toy.worker_threads, None).result()
    assert info["pid"] != os.getpid()
    assert info["env"] == {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    assert all(n == 1 for n in info["pools"])
    assert dict(os.environ) == env_before  # the parent's environment is left as it was


def test_zarr_io_threads_do_not_prevent_fork(tmp_path):
    import threading

    from netdyn.sweep.executors import _thread_matters

    SweepStore.create_or_open(tmp_path / "z.zarr", toy.make_template(2), "unit",
                              toy.config_json(2)).pending()
    zarr_threads = [t for t in threading.enumerate() if t.name == "zarr_io"]
    assert zarr_threads and not any(_thread_matters(t) for t in zarr_threads)
    busy = threading.Thread(target=time.sleep, args=(0.2,))
    busy.start()
    try:
        assert _thread_matters(busy) and choose_start_method() == "spawn"
    finally:
        busy.join()


def test_serial_executor_and_bad_workers():
    with open_executor(workers=0) as executor:
        assert isinstance(executor, SerialExecutor)
        assert executor.submit(pow, 2, 5).result() == 32
        assert isinstance(executor.submit(pow, "a", 2).exception(), TypeError)
    for bad in (-1, 1.5, "2", True):
        with pytest.raises(ConfigError) as info:
            with open_executor(workers=bad):
                pass
        assert info.value.field == "workers"


# --------------------------------------------------------------------------- (b) resume


def _completed(out: Path) -> int:
    try:
        return int(SweepStore(out).completed_mask().sum())
    except ConfigError:  # not created yet
        return 0


def _run_toy(out: Path, **kwargs) -> subprocess.Popen:
    cmd = [sys.executable, str(TOY_SCRIPT), str(out), "--units", "8", "--sleep", "0.4",
           "--workers", "2"]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def test_killed_run_resumes_to_the_same_numbers(reference, tmp_path):
    out = tmp_path / "killed.zarr"
    proc = _run_toy(out)
    workers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while _completed(out) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep did not start"
            time.sleep(0.05)
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        # the orphaned pool workers notice their parent is gone and exit
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"orphaned workers still alive: {alive}"
    finally:
        for p in [proc, *workers]:  # only what this test started
            try:
                p.kill()
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass
        proc.communicate()

    store = SweepStore(out)
    pending = store.pending()
    assert 2 <= 8 - len(pending) < 8, "the kill must hit the run half-way"
    assert not store.is_complete

    rerun = _run_toy(out)
    stdout, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    computed = json.loads(stdout.strip().splitlines()[-1])
    assert sorted(computed) == sorted(pending)
    assert SweepStore(out).is_complete
    _assert_same_results(out, reference)


def test_unit_with_data_but_no_flag_is_recomputed(reference, tmp_path):
    """What a kill between a unit's data write and its flag leaves behind."""
    out = tmp_path / "torn.zarr"
    store = SweepStore.create_or_open(out, toy.make_template(8), "unit", toy.config_json(8))
    junk = toy.toy_unit(2, root_seed=toy.ROOT_SEED, n_units=8) * 0 + 7
    store.write_unit(2, junk)
    store._flags[2] = False  # data landed, flag not
    assert 2 in store.pending()
    assert sorted(toy.run(out, 8, workers=0)) == list(range(8))
    _assert_same_results(out, reference)


def test_rerun_of_a_finished_sweep_computes_nothing(reference):
    assert toy.run(reference, 8, workers=0) == []


# --------------------------------------------------------------------------- (c) store


def test_other_configuration_is_refused(reference, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in reference.rglob("*")}
    with pytest.raises(ConfigError) as info:
        SweepStore.create_or_open(reference, toy.make_template(8), "unit",
                                  toy.config_json(8, root_seed=1))
    assert info.value.field == "out"
    assert "different configuration" in str(info.value) and "root_seed" in str(info.value)
    assert {p: p.stat().st_mtime_ns for p in reference.rglob("*")} == before


def test_non_store_paths_are_refused(tmp_path):
    a_file = tmp_path / "file.zarr"
    a_file.write_text("x")
    a_dir = tmp_path / "dir"
    a_dir.mkdir()
    (a_dir / "notes.txt").write_text("mine")
    for path in (a_file, a_dir):
        with pytest.raises(ConfigError) as info:
            SweepStore.create_or_open(path, toy.make_template(2), "unit", toy.config_json(2))
        assert info.value.field == "out"
    assert sorted(os.listdir(a_dir)) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["dir", "file.zarr"]  # no temporary left


def test_bad_template_writes_nothing(tmp_path):
    with pytest.raises(ValueError):
        SweepStore.create_or_open(tmp_path / "x.zarr", toy.make_template(2), "trial", "{}")
    assert list(tmp_path.iterdir()) == []


def test_store_layout_and_unit_checks(tmp_path):
    out = tmp_path / "s.zarr"
    store = SweepStore.create_or_open(out, toy.make_template(3), "unit", toy.config_json(3))
    assert store.pending() == [0, 1, 2] and not store.is_complete
    ds = store.open()
    assert ds["trace"].encoding["chunks"] == (1, toy.N_TIME)
    assert ds.attrs["config"] == toy.config_json(3) and "netdyn_version" in ds.attrs
    good = toy.toy_unit(1, root_seed=toy.ROOT_SEED, n_units=3)
    with pytest.raises(ValueError, match="variables"):
        store.write_unit(0, good.drop_vars("mean"))
    with pytest.raises(ValueError, match="shape"):
        store.write_unit(0, good.isel(time=slice(3)).drop_vars("time"))
    with pytest.raises(KeyError):
        store.write_unit(7, good)
    store.write_unit(1, good.transpose())
    assert store.pending() == [0, 2]
    loaded = store.open(load=True)
    np.testing.assert_array_equal(loaded["trace"].sel(unit=1), good["trace"])
    assert np.isnan(loaded["trace"].sel(unit=0)).all()


def test_shared_variables_are_written_with_the_layout(tmp_path):
    """A variable without the unit dimension holds the template's values from creation on,
    before any unit ran, and after a reopen."""
    out = tmp_path / "shared.zarr"
    SweepStore.create_or_open(out, toy.make_template(3), "unit", toy.config_json(3))
    expected = toy.shared_weights(toy.ROOT_SEED)
    assert np.isfinite(expected).all()
    np.testing.assert_array_equal(SweepStore(out).open(load=True)["weights"].values, expected)
    reopened = SweepStore.create_or_open(out, toy.make_template(3), "unit", toy.config_json(3))
    np.testing.assert_array_equal(reopened.open(load=True)["weights"].values, expected)


def test_lazy_shared_variable_is_refused_and_writes_nothing(tmp_path):
    template = toy.make_template(3)
    template["weights"] = template["weights"].chunk()
    with pytest.raises(ValueError, match=r"\['weights'\].*lazy"):
        SweepStore.create_or_open(tmp_path / "lazy.zarr", template, "unit", toy.config_json(3))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- runner errors


def test_unit_failure_names_the_unit_and_keeps_finished_units(tmp_path):
    out = tmp_path / "f.zarr"
    store = SweepStore.create_or_open(out, toy.make_template(8), "unit", toy.config_json(8))
    fn = functools.partial(toy.failing_unit, bad=3)
    with open_executor(workers=0) as executor:
        with pytest.raises(FloatingPointError) as info:
            run_units(fn, store.pending(), store=store, executor=executor, progress=False)
    assert any("unit=3" in note for note in info.value.__notes__)
    assert store.pending() == [3, 4, 5, 6, 7]


def test_unpicklable_function_is_refused_before_running(tmp_path):
    store = SweepStore.create_or_open(tmp_path / "p.zarr", toy.make_template(2), "unit",
                                      toy.config_json(2))
    with open_executor(workers=1) as executor:
        with pytest.raises(TypeError, match="pickled"):
            run_units(lambda u: u, store.pending(), store=store, executor=executor)
    assert store.pending() == [0, 1]


# --------------------------------------------------------------------------- (d) scheduler


@pytest.mark.parametrize(
    "address", ["127.0.0.1:8786", "http://127.0.0.1:8786", "tcp://", "tcp://host:99999",
                "tcp://a b:1", 8786]
)
def test_malformed_scheduler_address(address):
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        with open_executor(scheduler=address):
            pass
    assert info.value.field == "scheduler" and info.value.value == address
    assert time.monotonic() - start < 1


def test_unreachable_scheduler_fails_fast_and_writes_nothing(tmp_path, monkeypatch):
    from netdyn.sweep import executors

    monkeypatch.setattr(executors, "DEFAULT_CONNECT_TIMEOUT_S", 1.0)  # the default, 5 s, only costs time here
    address = "tcp://127.0.0.1:1"
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        toy.run(tmp_path / "never.zarr", 4, workers=None, scheduler=address)
    elapsed = time.monotonic() - start
    assert info.value.field == "scheduler" and info.value.value == address
    assert "cannot connect to a Dask scheduler there within 1 s" in str(info.value)
    assert elapsed < 5
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- (e) mpi


def _hide_mpi4py(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import mpi4py`` fail in this test, whether or not it is installed (real MPI
    runs are in tests/test_mpi_sweep.py; this process never initialises MPI)."""
    for name in ("mpi4py", "mpi4py.MPI", "mpi4py.futures"):
        monkeypatch.setitem(sys.modules, name, None)


def test_mpi_without_mpi4py(monkeypatch):
    _hide_mpi4py(monkeypatch)
    with pytest.raises(ConfigError) as info:
        with open_executor(use_mpi=True):
            pass
    assert info.value.field == "mpi" and "netdyn[mpi]" in str(info.value)

    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")  # as under mpirun
    with pytest.raises(ConfigError) as info:
        with open_executor(workers=2):
            pass
    assert info.value.field == "mpi" and "OMPI_COMM_WORLD_SIZE" in str(info.value.value)
    with open_executor(workers=0) as executor:  # explicit serial debugging still works
        assert isinstance(executor, SerialExecutor)
    with pytest.raises(ConfigError) as info:
        with open_executor(scheduler="tcp://127.0.0.1:8786", use_mpi=True):
            pass
    assert info.value.field == "scheduler"


# --------------------------------------------------------------------------- (f) study driver


def _listing(path: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in path.rglob("*")}


def test_run_study_writes_results_summary_figure_and_resumes(reference, tmp_path):
    out = tmp_path / "study"
    first = run_study(toy.TOY, {"n_units": 8}, out, workers=0, progress=False)
    ref = SweepStore(reference).open(load=True)
    for name in ("trace", "mean", "n_spikes", "weights"):
        np.testing.assert_array_equal(first.dataset[name].values, ref[name].values, err_msg=name)
    assert first.dataset.attrs["netdyn_study"] == "toy"
    assert sorted(first.computed_units) == list(range(8))
    summary = json.loads(first.summary.read_text())
    assert summary == first.stats
    assert summary["mean"] == [float(v) for v in ref["mean"].values]
    assert first.figures == (out / "figure.txt",)
    assert first.figures[0].read_text().split() == [f"{v:.17g}" for v in ref["mean"].values]
    again = run_study(toy.TOY, toy.ToyConfig(), out, workers=0, progress=False, figure=False)
    assert again.computed_units == () and again.figures == ()
    assert json.loads(again.summary.read_text()) == summary


def test_single_run_study_and_results_of_another_study_are_refused(tmp_path):
    single = tmp_path / "single"
    outputs = run_study(toy.TOY_SINGLE, toy.ToyConfig(n_units=3), single, progress=False)
    values = toy.read_values(outputs.results)
    assert outputs.stats == {"sum": float(values.sum())} and outputs.dataset is None
    assert json.loads(outputs.summary.read_text()) == outputs.stats
    before = _listing(single)
    with pytest.raises(ConfigError) as info:
        run_study(toy.TOY, {"n_units": 2}, single, workers=0, progress=False)
    assert info.value.field == "out" and "toy-single" in str(info.value)
    assert _listing(single) == before
    sweep = tmp_path / "sweep"
    run_study(toy.TOY, {"n_units": 2}, sweep, workers=0, progress=False, figure=False)
    before = _listing(sweep)
    with pytest.raises(ConfigError) as info:
        run_study(toy.TOY_SINGLE, {"n_units": 2}, sweep)
    assert info.value.field == "out" and "toy results (results.zarr)" in str(info.value)
    assert _listing(sweep) == before


@pytest.mark.parametrize("config, kwargs, field", [
    ({"n_units": 0}, {}, "n_units"),
    ({"n_unit": 2}, {}, "n_unit"),
    ({}, {"workers": -1}, "workers"),
    ({}, {"scheduler": "tcp://127.0.0.1:8786", "use_mpi": True}, "scheduler"),
    ({}, {"workers": 0, "use_mpi": True}, "workers"),
    ({"root_seed": 13}, {}, "root_seed"),  # the study's own check
])
def test_bad_input_to_the_driver_writes_nothing(tmp_path, config, kwargs, field):
    def refuse_13(cfg):
        if cfg.root_seed == 13:
            raise ConfigError("root_seed", 13, "unlucky")

    study = dataclasses.replace(toy.TOY, check=refuse_13)
    with pytest.raises(ConfigError) as info:
        run_study(study, config, tmp_path / "out", progress=False, **kwargs)
    assert info.value.field == field
    assert list(tmp_path.iterdir()) == []


def test_driver_without_mpi4py_says_why_and_writes_nothing(tmp_path, monkeypatch):
    _hide_mpi4py(monkeypatch)
    with pytest.raises(ConfigError) as info:
        run_study(toy.TOY, {"n_units": 2}, tmp_path / "out", use_mpi=True, progress=False)
    assert info.value.field == "mpi" and "netdyn[mpi]" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_mpi_requested_by_flag_or_launcher(monkeypatch):
    for name in (*MPI_ENV_VARS, "OMPI_MCA_ess"):
        monkeypatch.delenv(name, raising=False)
    assert mpi_requested() is None and mpi_requested(use_mpi=True) == "use_mpi=True"
    monkeypatch.setenv("PMI_SIZE", "4")  # as under MPICH's mpiexec
    assert mpi_requested() == "PMI_SIZE=4" and mpi_requested(workers=3) == "PMI_SIZE=4"
    assert mpi_requested(workers=0) is None  # explicit serial debugging
    assert mpi_requested(use_mpi=False) is None
    assert mpi_requested(scheduler="tcp://127.0.0.1:8786") is None
    monkeypatch.delenv("PMI_SIZE")
    monkeypatch.setenv("PMIX_RANK", "0")  # left by an Open MPI singleton in a parent process
    monkeypatch.setenv("OMPI_MCA_ess", "singleton")
    assert mpi_requested() is None
    monkeypatch.setenv("OMPI_MCA_ess", "^singleton")  # as under Open MPI's mpiexec
    assert mpi_requested() == "PMIX_RANK=0"


def test_redraw_finds_the_study_by_its_results(tmp_path):
    out = tmp_path / "r"
    run_study(toy.TOY, {"n_units": 3}, out, workers=0, progress=False, figure=False)
    assert not (out / "figure.txt").exists()
    assert redraw(out, [toy.TOY_SINGLE, toy.TOY]) == (out / "figure.txt",)
    means = SweepStore(out / "results.zarr").open(load=True)["mean"].values
    assert (out / "figure.txt").read_text().split() == [f"{v:.17g}" for v in means]
    with pytest.raises(ConfigError, match="holds no values.h5"):
        redraw(out, [toy.TOY_SINGLE])
    with pytest.raises(ConfigError, match="holds toy results, not other"):
        redraw(out, [dataclasses.replace(toy.TOY, name="other")])
    single = tmp_path / "s"
    run_study(toy.TOY_SINGLE, {"n_units": 3}, single)
    with pytest.raises(ConfigError, match="toy-single results have no figure"):
        redraw(single, [toy.TOY_SINGLE])
