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


@pytest.mark.parametrize("command", ["chaos"])
def test_threads_flag_is_validated_by_the_config(tmp_path, capsys, command):
    from netdyn.cli import main

    out = tmp_path / "out"
    code = main([*command.split("-"), "--out", str(out), "--no-progress", "--threads", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert "threads=0" in err and err.count("\n") == 1, err
    assert not out.exists()
