"""Threads inside one run of the batched rate and ODE engines: the batch is split into
sub-batches of independent trajectories, one per thread; every number is the same, bit for
bit, whatever the number of threads."""

from __future__ import annotations

import numpy as np
import pytest

from netdyn.connectivity import bernoulli_gaussian
from netdyn.engines import integrate
from netdyn.engines.batch_split import split_batch
from netdyn.errors import ConfigError, NumericalInstabilityError
from netdyn.models import RateNetwork
from netdyn.record import FullState, SampledUnits, TwinDivergence


def _chaos_like(n: int = 60, batch_pairs: int = 7, seed: int = 3):
    w = bernoulli_gaussian(n, 0.2, 1.0 / (n * 0.2), seed)
    r0 = np.random.default_rng(seed).uniform(-1, 1, (n, batch_pairs))
    start = np.concatenate([r0, r0 + 1e-4, np.random.default_rng(seed + 1).uniform(-1, 1, (n, 3))], axis=1)
    gain = np.concatenate([np.linspace(1, 20, batch_pairs)] * 2 + [np.array([5.0, 13.0, 22.0])])
    return RateNetwork(w, tau_ms=20.0, phi="tanh"), start, gain


def _recorders(batch_pairs: int = 7):
    return [TwinDivergence(np.arange(batch_pairs), batch_pairs + np.arange(batch_pairs)),
            SampledUnits([0, 7, 59], trajectories=[0, 8, 15, 16], every=3)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rate_engine_same_numbers_with_1_2_3_threads(dtype):
    net, start, gain = _chaos_like()
    runs = []
    for threads in (1, 2, 3, 5):
        res = integrate(net, start, duration_ms=257.0, gain=gain, dtype=dtype, observers=_recorders(),
                        threads=threads, progress_every=50)
        runs.append(res)
    for res in runs[1:]:
        assert np.array_equal(res.state, runs[0].state)
        for name in ("divergence", "sampled_units"):
            assert np.array_equal(res.records[name].values, runs[0].records[name].values)


def test_more_threads_than_trajectories():
    net, start, gain = _chaos_like()
    one = integrate(net, start[:, :2], duration_ms=20.0, gain=gain[:2], threads=1)
    many = integrate(net, start[:, :2], duration_ms=20.0, gain=gain[:2], threads=4)
    assert np.array_equal(one.state, many.state)


def test_split_keeps_twin_pairs_together():
    subs = split_batch(17, 3, (0, 7, 7))
    cols = np.concatenate([s.cols for s in subs])
    assert sorted(cols.tolist()) == list(range(17))
    for s in subs:
        a = s.cols[s.pair_a0 : s.pair_a0 + s.n_pairs]
        b = s.cols[s.pair_b0 : s.pair_b0 + s.n_pairs]
        assert np.array_equal(b - a, np.full(s.n_pairs, 7))
        assert np.array_equal(a, s.first_pair + np.arange(s.n_pairs))
    assert sorted(s.width for s in subs) == [5, 6, 6]


def test_blow_up_is_reported_alike_with_threads():
    w = bernoulli_gaussian(30, 0.5, 1.0, 23)
    r0 = np.full((30, 6), 0.5)
    net = RateNetwork(w * 50.0, phi="relu", tau_ms=1.0, external_input=np.full(30, 1.0))
    errors = []
    for threads in (1, 2, 3):
        with pytest.raises(NumericalInstabilityError) as err:
            integrate(net, r0, duration_ms=4500.0, dt_ms=0.9, gain=[4.0, 1.0, 2.0, 3.0, 0.5, 4.0], threads=threads)
        errors.append((err.value.step, err.value.trajectory, err.value.unit, repr(err.value.value)))
    assert errors[0] == errors[1] == errors[2]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_thread_count_names_the_field(bad):
    net, start, gain = _chaos_like()
    with pytest.raises(ConfigError) as err:
        integrate(net, start, duration_ms=2.0, gain=gain, threads=bad)
    assert err.value.field == "threads"


def test_step_loop_ignores_threads():
    """Runs outside the compiled loop (here: a full-state observer) use one thread."""
    net, start, gain = _chaos_like()
    a = integrate(net, start, duration_ms=20.0, gain=gain, observers=[FullState(every=5)], threads=1)
    b = integrate(net, start, duration_ms=20.0, gain=gain, observers=[FullState(every=5)], threads=3)
    assert np.array_equal(a.records["state"].values, b.records["state"].values)


def test_chaos_study_same_results_with_1_and_3_threads(tmp_path):
    import xarray as xr

    from netdyn.config.chaos import ChaosConfig
    from netdyn.studies.chaos import run_chaos

    base = ChaosConfig(sessions=2, trials=3, gains=(1.0, 13.0, 22.0), n_neurons=60, duration_ms=300.0,
                       chaos_min_gain=10.0, store_trial_divergence=True)
    stores = []
    for threads in (1, 3):
        run_chaos(base.replace(threads=threads), tmp_path / f"t{threads}", workers=0, progress=False, figure=False)
        stores.append(xr.open_zarr(tmp_path / f"t{threads}" / "results.zarr").load())
    assert set(stores[0].data_vars) == set(stores[1].data_vars)
    for name in stores[0].data_vars:
        assert np.array_equal(stores[0][name].values, stores[1][name].values, equal_nan=True), name


@pytest.mark.parametrize("command", ["chaos", "srnn-sweep", "srnn-basic"])
def test_threads_flag_is_validated_by_the_config(tmp_path, capsys, command):
    from netdyn.cli import main

    out = tmp_path / "out"
    code = main([*command.split("-"), "--out", str(out), "--no-progress", "--threads", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert "threads=0" in err and err.count("\n") == 1, err
    assert not out.exists()


# ------------------------------------------------------------------------------ ODE engine (SRNN)


def _srnn_sweep_model(n_units: int = 40):
    from netdyn.config.srnn import SRNNSweepConfig
    from netdyn.studies.srnn import sweep_model, sweep_weights

    cfg = SRNNSweepConfig(n_units=n_units, mean_degree=6.0, transient_s=0.05, duration_s=0.05)
    w, exc = sweep_weights(cfg, 0)
    return cfg, sweep_model(cfg, w, exc, "sfa+std", 2.0)


def test_ode_engine_same_numbers_with_1_2_3_threads():
    from netdyn.engines import integrate_ode

    cfg, net = _srnn_sweep_model()
    scales = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0])
    x0 = net.initial_state(scales.size) + np.random.default_rng(5).uniform(0, 0.1, (net.dim, scales.size))
    runs = []
    for threads in (1, 2, 3):
        sampler = SampledUnits([0, 5, net.dim - 1], trajectories=[0, 3, 6], every=7)
        runs.append(integrate_ode(net, x0, t0=cfg.t_start_s, t1=cfg.t_end_s, dt=cfg.dt_s, observers=[sampler],
                                  params={"weight_scale": scales}, runaway_threshold=50.0, threads=threads,
                                  progress=lambda k: None, progress_every=13))
    assert runs[0].runaway.any() and not runs[0].runaway.all()  # freezing is exercised
    for res in runs[1:]:
        assert np.array_equal(res.state, runs[0].state)
        assert np.array_equal(res.runaway, runs[0].runaway)
        assert np.array_equal(res.runaway_time, runs[0].runaway_time, equal_nan=True)
        assert np.array_equal(res.records["sampled_units"].values, runs[0].records["sampled_units"].values)


def test_ode_engine_python_observers_with_threads():
    from netdyn.engines import integrate_ode

    cfg, net = _srnn_sweep_model()
    x0 = net.initial_state(4)
    runs = [integrate_ode(net, x0, t0=cfg.t_start_s, t1=cfg.t_end_s, dt=cfg.dt_s,
                          observers=[FullState(every=9), TwinDivergence([0], [1])],
                          params={"weight_scale": np.array([0.5, 1.0, 2.0, 4.0])}, threads=threads)
            for threads in (1, 3)]
    for name in ("state", "divergence"):
        assert np.array_equal(runs[0].records[name].values, runs[1].records[name].values)


def test_srnn_sweep_unit_same_results_with_1_and_2_threads():
    from netdyn.config.srnn import SRNNSweepConfig
    from netdyn.studies.srnn import simulate_network

    cfg = SRNNSweepConfig(n_units=30, mean_degree=5.0, transient_s=0.05, duration_s=0.1, tau_slowest_s=(2.0,),
                          configurations=("none", "sfa+std"), weight_scales=(0.5, 1.0, 4.0))
    one, two = (simulate_network(cfg.replace(threads=t).model_dump_json(), 0) for t in (1, 2))
    for name in one.data_vars:
        assert np.array_equal(one[name].values, two[name].values, equal_nan=True), name


_PINNED = """
import threading, numpy as np
from netdyn.sweep import pin_threads
pin_threads()  # what a sweep worker does: numba's and BLAS's pools to 1 thread
import netdyn.engines.rate as rate
from netdyn.connectivity import bernoulli_gaussian
from netdyn.models import RateNetwork
seen = set()
kernel = rate.kernels.csr_relax_run
def spy(*args):
    seen.add(threading.get_ident())
    return kernel(*args)
rate.kernels.csr_relax_run = spy
net = RateNetwork(bernoulli_gaussian(50, 0.2, 0.1, 1), tau_ms=20.0)
r0 = np.random.default_rng(0).uniform(-1, 1, (50, 8))
one = rate.integrate(net, r0, duration_ms=50.0, gain=13.0, threads=1).state
seen.clear()
two = rate.integrate(net, r0, duration_ms=50.0, gain=13.0, threads=2).state
assert len(seen) == 2 and np.array_equal(one, two), (seen, np.abs(one - two).max())
print("ok")
"""


def test_threads_are_not_pinned_by_sweep_workers():
    """pin_threads limits numba's parallel pool and BLAS; the engines' threads are Python
    threads running nogil compiled code, so a unit asked to use 2 still does."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _PINNED], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
