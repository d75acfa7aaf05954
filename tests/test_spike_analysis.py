"""Spike-train statistics (netdyn.analysis.spikes): closed forms, statistical checks with
tolerances from theory, invariants (hypothesis), bad input, and agreement with Elephant."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netdyn.analysis import (
    PairCorrelations,
    active_fraction,
    binned_counts,
    firing_rates,
    golomb_chi,
    isi_cv,
    kernel_population_rate,
    lv,
    lvr,
    mean_correlation_coefficient,
    mean_isi_cv,
    mean_rate,
    pairwise_correlation,
    population_lvr,
    population_rate,
    population_synchrony,
    sttc,
)
from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikeTrains

SEEDS = range(5)


def poisson_isis(rng, n_neurons, n_isis, rate_hz, t0_ms=0.0):
    """Each neuron: n_isis + 1 spikes of a Poisson process (i.i.d. exponential intervals).

    Returns a time-sorted SpikeTrains whose window holds all the spikes, so every neuron has
    exactly ``n_isis`` intervals drawn from Exp(rate).
    """
    times = t0_ms + np.cumsum(rng.exponential(1e3 / rate_hz, size=(n_neurons, n_isis + 1)), axis=1)
    senders = np.repeat(np.arange(n_neurons), n_isis + 1)
    order = np.argsort(times.ravel(), kind="stable")
    return SpikeTrains("P", n_neurons, times.ravel()[order], senders[order], t0_ms,
                       float(times.max()) + 1.0)


def poisson_window(rng, n_neurons, rate_hz, t_stop_ms, t0_ms=0.0):
    """Homogeneous Poisson spikes of n_neurons independent neurons on [t0, t_stop)."""
    n = rng.poisson(rate_hz * (t_stop_ms - t0_ms) * 1e-3 * n_neurons)
    times = np.sort(rng.uniform(t0_ms, t_stop_ms, n))
    return SpikeTrains("P", n_neurons, times, rng.integers(0, n_neurons, n), t0_ms, t_stop_ms)


def as_arrays(s: SpikeTrains):
    return s.times_ms, s.senders, s.n_neurons, s.t_start_ms, s.t_stop_ms


# ----------------------------------------------------------------------------- closed forms


def test_regular_trains_have_zero_cv_lv_lvr_and_known_rates():
    # neuron i fires every (i + 1) * 7 ms from 3 ms on, in [0, 1000)
    n = 5
    times, senders = [], []
    for i in range(n):
        t = np.arange(3.0, 1000.0, 7.0 * (i + 1))
        times.append(t)
        senders.append(np.full(t.size, i))
    times, senders = np.concatenate(times), np.concatenate(senders)
    args = (times, senders, n, 0.0, 1000.0)
    counts = np.array([np.arange(3.0, 1000.0, 7.0 * (i + 1)).size for i in range(n)])
    np.testing.assert_allclose(firing_rates(*args), counts / 1.0)
    assert mean_rate(*args) == pytest.approx(counts.sum() / n)
    np.testing.assert_allclose(isi_cv(*args), 0.0, atol=1e-12)
    np.testing.assert_allclose(lv(*args), 0.0, atol=1e-12)
    # 1 - 4 I^2 / (2I)^2 = 0: a regular train has LvR = 0 for every R
    np.testing.assert_allclose(lvr(*args, R_ms=5.0), 0.0, atol=1e-12)
    np.testing.assert_allclose(lvr(*args, R_ms=50.0), 0.0, atol=1e-12)
    assert mean_isi_cv(*args) == pytest.approx(0.0, abs=1e-12)


def test_rates_window_half_open_and_active_fraction():
    times = np.array([0.0, 1.0, 2.0, 10.0, 5.0])
    senders = np.array([0, 0, 0, 0, 2])
    # window [0, 10): the spike at 10 ms is outside; neuron 1 is silent
    np.testing.assert_allclose(firing_rates(times, senders, 4, 0.0, 10.0), [300.0, 0.0, 100.0, 0.0])
    assert mean_rate(times, senders, 4, 0.0, 10.0) == pytest.approx(100.0)
    assert active_fraction(times, senders, 4, 0.0, 10.0) == 0.5
    assert active_fraction(times, senders, 4, 0.0, 10.0, min_spikes=2) == 0.25
    assert active_fraction(times, senders, 4, 0.0, 11.0, min_spikes=4) == 0.25


def test_min_isis_rule():
    # neuron 0: 3 spikes (2 ISIs), neuron 1: 4 spikes (3 ISIs), neuron 2: 1 spike
    times = np.array([0.0, 1.0, 3.0, 0.5, 1.5, 2.0, 4.0, 2.5])
    senders = np.array([0, 0, 0, 1, 1, 1, 1, 2])
    cv = isi_cv(times, senders, 3, 0.0, 5.0)
    assert np.isnan(cv[0]) and np.isfinite(cv[1]) and np.isnan(cv[2])
    isi = np.array([1.0, 0.5, 2.0])
    assert cv[1] == pytest.approx(isi.std() / isi.mean())
    cv2 = isi_cv(times, senders, 3, 0.0, 5.0, min_isis=2)
    assert cv2[0] == pytest.approx(np.std([1.0, 2.0]) / 1.5)
    assert mean_isi_cv(times, senders, 3, 0.0, 5.0) == pytest.approx(cv[1])
    assert np.isnan(mean_isi_cv(times, senders, 3, 0.0, 5.0, min_isis=10))
    # LvR by its formula on neuron 1
    a, b = isi[:-1], isi[1:]
    ref = 3 / 2 * np.sum((1 - 4 * a * b / (a + b) ** 2) * (1 + 4 * 0.7 / (a + b)))
    assert lvr(times, senders, 3, 0.0, 5.0, R_ms=0.7)[1] == pytest.approx(ref)


def test_lvr_of_vanishing_intervals_is_its_limit_without_warnings():
    """Intervals of 1, 3 and 2 x 1e-308 ms: for the first pair 4 R / (a + b) overflows to inf,
    the formula's limit (hypothesis found such trains); no floating-point warning escapes."""
    times = np.array([0.0, 1e-308, 4e-308, 6e-308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lvr(times, np.zeros(4, dtype=np.int64), 1, 0.0, 1.0, R_ms=5.0, min_isis=2)
    assert out[0] == np.inf


@pytest.mark.parametrize("seed", SEEDS)
def test_poisson_cv_close_to_one(seed):
    # For n i.i.d. exponential intervals, the sample CV (ddof 0) has mean 1 - 1.5/n + O(n^-2)
    # and variance 1/n + O(n^-2) (delta method); the mean over N neurons: SE = 1/sqrt(N n).
    n_neur, n = 40, 500
    s = poisson_isis(np.random.default_rng(seed), n_neur, n, rate_hz=10.0)
    cv = isi_cv(s)
    assert np.all(np.isfinite(cv))
    assert abs(cv.mean() - (1 - 1.5 / n)) < 5 / np.sqrt(n_neur * n) + 0.5 / n


@pytest.mark.parametrize("seed", SEEDS)
def test_poisson_lv_and_lvr_expectations(seed):
    # With u = I_k / (I_k + I_{k+1}) ~ U(0,1) independent of t = I_k + I_{k+1} ~ Gamma(2, nu):
    # E[3 (1-2u)^2] = 1 (LV = 1) and E[LvR] = 1 + 4 R nu. One term of LV has variance 0.8;
    # adjacent terms share an interval, so Var(sum of m terms) <= 3 * m * Var(term).
    n_neur, n, rate_hz, R = 40, 500, 10.0, 5.0
    s = poisson_isis(np.random.default_rng(100 + seed), n_neur, n, rate_hz)
    m = n_neur * (n - 1)
    assert abs(lv(s).mean() - 1.0) < 5 * np.sqrt(3 * 0.8 / m)
    # LvR terms have a (log-)divergent variance near t -> 0; bound it from the terms' sample
    per = [np.diff(t) for t in s.trains()]
    a = np.concatenate([p[:-1] for p in per])
    b = np.concatenate([p[1:] for p in per])
    terms = 3 * (1 - 4 * a * b / (a + b) ** 2) * (1 + 4 * R / (a + b))
    expect = 1 + 4 * R * rate_hz * 1e-3
    assert abs(lvr(s, R_ms=R).mean() - expect) < 5 * np.sqrt(3 * terms.var() / m)
    assert lvr(s, R_ms=R).mean() == pytest.approx(terms.mean())


def test_correlation_of_identical_trains_is_one():
    rng = np.random.default_rng(3)
    base = np.sort(rng.uniform(0, 1000, 300))
    times = np.concatenate([base, base, np.sort(rng.uniform(0, 1000, 300))])
    senders = np.repeat([0, 1, 2], 300)
    order = np.argsort(times, kind="stable")
    res = pairwise_correlation(times[order], senders[order], 3, 0.0, 1000.0, bin_ms=2.0)
    assert isinstance(res, PairCorrelations) and res.n_eligible == 3
    np.testing.assert_array_equal(res.pairs, [[0, 1], [0, 2], [1, 2]])
    assert res.coefficients[0] == pytest.approx(1.0, abs=1e-12)
    tiled = sttc(times[order], senders[order], 3, 0.0, 1000.0, dt_ms=1.0)
    assert tiled.coefficients[0] == pytest.approx(1.0, abs=1e-12)
    sync = population_synchrony(times[:600], senders[:600], 2, 0.0, 1000.0, bin_ms=5.0)
    assert sync.chi == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_independent_poisson_correlation_and_synchrony(seed):
    # Independent neurons: E[r_ij | x_i] = 0 exactly (bins exchangeable, z_i sums to 0), so
    # r_ij, r_ik are uncorrelated; Var(r_ij) = 1/L + O(L^-2). Mean over P pairs: SE 1/sqrt(L P).
    n_neur, rate, T, bin_ms = 30, 20.0, 10_000.0, 5.0
    s = poisson_window(np.random.default_rng(200 + seed), n_neur, rate, T)
    L = int(T / bin_ms)
    res = pairwise_correlation(s, bin_ms=bin_ms, n_pairs=10_000)
    P = n_neur * (n_neur - 1) // 2
    assert res.coefficients.size == P
    assert abs(res.mean) < 5 / np.sqrt(L * P)
    # population count C_k ~ Poisson(mu): CV = 1/sqrt(mu); relative SD of the sample SD is
    # 0.5 sqrt((2 + 1/mu) / L). chi^2 = Var(C/N) / mean Var(c_i) has expectation 1/N.
    mu = rate * bin_ms * 1e-3 * n_neur
    sync = population_synchrony(s, bin_ms=bin_ms)
    rel = 0.5 * np.sqrt((2 + 1 / mu) / L)
    assert abs(sync.count_cv * np.sqrt(mu) - 1) < 5 * rel + 5 / np.sqrt(mu * L)
    assert abs(sync.chi**2 * n_neur - 1) < 5 * (2 * rel + np.sqrt(2 / (L * n_neur)))


@pytest.mark.parametrize("seed", SEEDS)
def test_independent_poisson_sttc_near_zero(seed):
    # Given train B, the spikes of an independent Poisson train A are i.i.d. uniform, so
    # E[P_A | B, n_A] = T_B exactly and Var = T_B (1 - T_B) / n_A; each term is
    # (P_A - T_B) / (1 - P_A T_B): mean zero to first order, bias <= T Var(P) / (1 - T^2)^2.
    # As for the Pearson coefficient, pairs sharing a neuron are uncorrelated to first order.
    n_neur, rate, T_ms, dt = 30, 10.0, 10_000.0, 5.0
    s = poisson_window(np.random.default_rng(300 + seed), n_neur, rate, T_ms)
    res = sttc(s, dt_ms=dt, n_pairs=10_000)
    P = res.coefficients.size
    assert P == n_neur * (n_neur - 1) // 2
    tile = 1 - np.exp(-2 * dt * rate * 1e-3)
    var_p = tile * (1 - tile) / (rate * T_ms * 1e-3)
    bias = tile * var_p / (1 - tile**2) ** 2
    assert abs(res.mean) < 5 * res.coefficients.std() / np.sqrt(P) + 2 * bias


def test_sampled_pairs_are_distinct_reproducible_and_match_all_pairs():
    s = poisson_window(np.random.default_rng(7), 50, 30.0, 2000.0)
    full = pairwise_correlation(s, bin_ms=2.0, n_pairs=10_000)
    table = {tuple(p): c for p, c in zip(full.pairs.tolist(), full.coefficients)}
    a = pairwise_correlation(s, bin_ms=2.0, n_pairs=300, seed=11)
    b = pairwise_correlation(s, bin_ms=2.0, n_pairs=300, seed=11)
    np.testing.assert_array_equal(a.pairs, b.pairs)
    assert a.coefficients.size == 300 and np.all(a.pairs[:, 0] != a.pairs[:, 1])
    for (i, j), c in zip(a.pairs.tolist(), a.coefficients):
        assert c == pytest.approx(table[(min(i, j), max(i, j))], abs=1e-12)


def test_silent_or_constant_neurons_are_not_eligible():
    times = np.array([1.0, 3.0, 1.0, 5.0])
    senders = np.array([0, 0, 1, 1])
    # neuron 2 silent; with one 10-ms bin every neuron has zero variance
    res = pairwise_correlation(times, senders, 3, 0.0, 10.0, bin_ms=10.0)
    assert res.n_eligible == 0 and res.coefficients.size == 0 and np.isnan(res.mean)
    res = pairwise_correlation(times, senders, 3, 0.0, 10.0, bin_ms=2.0)
    assert res.n_eligible == 2 and res.coefficients.size == 1


def test_binned_counts_and_population_rate():
    times = np.array([0.0, 0.3, 1.99999999999, 2.0, 5.9, 6.0, 6.5])
    senders = np.array([0, 1, 0, 0, 1, 1, 0])
    dense = binned_counts(times, senders, 2, 0.0, 6.5, bin_ms=2.0)
    # 3 whole bins; 6.0 and 6.5 fall in the partial bin / outside; 1.99999999999 is within
    # 1e-8 bins of the edge and counts in bin 1 (Elephant's tolerance)
    np.testing.assert_array_equal(dense, [[1, 2, 0], [1, 0, 1]])
    sparse = binned_counts(times, senders, 2, 0.0, 6.5, bin_ms=2.0, sparse=True)
    np.testing.assert_array_equal(sparse.toarray(), dense)
    assert dense.dtype == np.int32
    # spike times on a 0.1-ms grid: round-off does not shift bins
    grid = np.arange(0, 100) * 0.1
    b = binned_counts(grid, np.zeros(100, int), 1, 0.0, 10.0, bin_ms=0.1)
    np.testing.assert_array_equal(b, np.ones((1, 100)))
    pr = population_rate(times, senders, 2, 0.0, 6.5, bin_ms=2.0)
    np.testing.assert_allclose(pr.values, dense.sum(axis=0) / (2 * 2e-3))
    np.testing.assert_allclose(pr["time_ms"].values, [0.0, 2.0, 4.0])
    assert pr.attrs == {"units": "Hz", "bin_ms": 2.0}


def test_dense_binning_refuses_huge_matrices():
    s = SpikeTrains("E", 100_000, np.array([1.0]), np.array([5]), 0.0, 10_000.0)
    with pytest.raises(ConfigError) as e:
        binned_counts(s, bin_ms=0.1)
    assert e.value.field == "sparse"
    m = binned_counts(s, bin_ms=0.1, sparse=True)
    assert m.shape == (100_000, 100_000) and m.nnz == 1


def test_golomb_chi():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 1))
    assert golomb_chi(np.repeat(x, 10, axis=1)) == pytest.approx(1.0)
    assert np.isnan(golomb_chi(np.ones((5, 3))))
    s = poisson_window(rng, 20, 40.0, 1000.0)
    dense = binned_counts(s, bin_ms=5.0).T
    assert golomb_chi(dense) == pytest.approx(population_synchrony(s, bin_ms=5.0).chi)
    with pytest.raises(ConfigError):
        golomb_chi(np.ones(5))
    with pytest.raises(ConfigError):
        golomb_chi(np.array([[1.0], [np.nan]]))


def test_spike_trains_window_and_recorded_subset():
    rng = np.random.default_rng(5)
    s = poisson_window(rng, 10, 20.0, 1000.0)
    # narrowing the window of a SpikeTrains == slicing it == plain arrays on that window
    w = s.window(200.0, 700.0)
    np.testing.assert_allclose(firing_rates(s, t_start_ms=200.0, t_stop_ms=700.0), firing_rates(w))
    np.testing.assert_allclose(firing_rates(w), firing_rates(s.times_ms, s.senders, 10, 200.0, 700.0))
    np.testing.assert_allclose(isi_cv(s, t_start_ms=200.0, t_stop_ms=700.0, min_isis=1),
                               isi_cv(w, min_isis=1), equal_nan=True)
    rec = SpikeTrains("P", 12, s.times_ms, s.senders, 0.0, 1000.0, recorded=np.arange(10))
    r = firing_rates(rec)
    assert np.all(np.isnan(r[10:])) and np.all(np.isfinite(r[:10]))
    assert mean_rate(rec) == pytest.approx(mean_rate(s))
    assert active_fraction(rec) == active_fraction(s)
    assert np.all(np.isnan(isi_cv(rec)[10:]))
    assert population_synchrony(rec).chi == pytest.approx(population_synchrony(s).chi)


def test_bad_input_names_the_field():
    t, snd = np.array([1.0, 2.0]), np.array([0, 1])
    s = SpikeTrains("E", 2, t, snd, 0.0, 10.0)
    cases = [
        (lambda: firing_rates(t, snd, 2, 0.0, None), "t_stop_ms"),
        (lambda: firing_rates(t, snd, 2, 5.0, 5.0), "t_stop_ms"),
        (lambda: firing_rates(t, snd, 0, 0.0, 10.0), "n_neurons"),
        (lambda: firing_rates(t, snd, 2.5, 0.0, 10.0), "n_neurons"),
        (lambda: firing_rates(t, np.array([0, 2]), 2, 0.0, 10.0), "senders"),
        (lambda: firing_rates(t, np.array([0.0, 1.0]), 2, 0.0, 10.0), "senders"),
        (lambda: firing_rates(t, snd[:1], 2, 0.0, 10.0), "senders"),
        (lambda: firing_rates(np.array([np.nan, 1.0]), snd, 2, 0.0, 10.0), "times_ms"),
        (lambda: firing_rates(np.ones((2, 1)), snd, 2, 0.0, 10.0), "times_ms"),
        (lambda: firing_rates(["a", "b"], snd, 2, 0.0, 10.0), "times_ms"),
        (lambda: firing_rates(None, snd, 2, 0.0, 10.0), "times_ms"),
        (lambda: firing_rates(t, snd, 2, "a", 10.0), "t_start_ms"),
        (lambda: firing_rates(s, snd), "senders"),
        (lambda: firing_rates(s, t_stop_ms=11.0), "t_stop_ms"),
        (lambda: firing_rates(s, t_start_ms=-1.0), "t_start_ms"),
        (lambda: isi_cv(s, min_isis=0), "min_isis"),
        (lambda: lvr(s, min_isis=1), "min_isis"),
        (lambda: lvr(s, R_ms=-1.0), "R_ms"),
        (lambda: active_fraction(s, min_spikes=0), "min_spikes"),
        (lambda: binned_counts(s, bin_ms=0.0), "bin_ms"),
        (lambda: binned_counts(s, bin_ms=20.0), "bin_ms"),
        (lambda: population_rate(s, bin_ms=float("nan")), "bin_ms"),
        (lambda: pairwise_correlation(s, n_pairs=0), "n_pairs"),
        (lambda: sttc(s, n_pairs=1.5), "n_pairs"),
        (lambda: sttc(s, dt_ms=0.0), "dt_ms"),
        (lambda: population_synchrony(s, bin_ms=-5.0), "bin_ms"),
    ]
    for call, field in cases:
        with pytest.raises(ConfigError) as e:
            call()
        assert e.value.field == field, (field, e.value)


def _peak_bytes(call):
    """Result of ``call()`` and the peak of the memory traced during it (tracemalloc sees
    numpy's buffers, hence scipy.sparse's; spikes.py allocates nothing else)."""
    import tracemalloc

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = call()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_scales_to_1e5_neurons():
    """What "scales" means, without a clock: at 1e5 neurons every statistic works in memory
    O(spikes + neurons), never O(neurons x bins) (a dense count matrix) nor O(neurons^2)
    (all pairs), and its results at that size are the Poisson values.

    5e5 spikes over a 5-s window: a dense int32 (neuron, bin) matrix would be 1 GB in 2-ms
    bins (correlations), 400 MB in 5-ms bins (synchrony); all pairs 1e10 entries. Measured
    peaks are 25-61 bytes per spike (the sort, the CSR matrix and its copies; the same with
    10x fewer bins), so the bound is 100 B per spike + 40 B per neuron = 54 MB, 7x below the
    smallest dense matrix. It fails when population_synchrony sums a dense copy of its counts.
    """
    n, t_stop = 100_000, 5000.0
    s = poisson_window(np.random.default_rng(9), n, 1.0, t_stop)
    n_spikes = s.times_ms.size
    budget = 100 * n_spikes + 40 * n
    calls = {
        "firing_rates": lambda: firing_rates(s),
        "mean_isi_cv": lambda: mean_isi_cv(s),
        "lvr": lambda: lvr(s),
        "pairwise_correlation": lambda: pairwise_correlation(s, seed=0),
        "sttc": lambda: sttc(s, seed=0),
        "population_synchrony": lambda: population_synchrony(s),
        "binned_counts": lambda: binned_counts(s, bin_ms=2.0, sparse=True),
        "population_lvr": lambda: population_lvr(s, R_ms=2.0, n_model=n + 0.4),
        "mean_correlation_coefficient": lambda: mean_correlation_coefficient(s),
        "kernel_population_rate": lambda: kernel_population_rate(s),
    }
    out = {}
    for name, call in calls.items():
        out[name], peak = _peak_bytes(call)
        assert peak < budget, (name, peak / 1e6, "MB")
    rates = out["firing_rates"]
    assert rates.shape == (n,) and rates.sum() == pytest.approx(n_spikes / (t_stop * 1e-3), rel=1e-12)
    assert np.isfinite(out["mean_isi_cv"]) and np.isfinite(np.nanmean(out["lvr"]))
    # 1 Hz for 5 s: P(>= 3 spikes) = 1 - 18.5 e^-5, LvR about 1 + 4 R nu = 1.008 for them
    assert out["population_lvr"] == pytest.approx(1.008 * (1 - 18.5 * math.exp(-5.0)), rel=0.02)
    # 2000 independent trains from the first spiking neuron: |mean| < 5 sqrt(2) / (sqrt(L) m)
    assert abs(out["mean_correlation_coefficient"]) < 5 * math.sqrt(2) / (math.sqrt(5000) * 1999)
    assert out["kernel_population_rate"].shape == (5000,)
    assert out["kernel_population_rate"][100:-100].mean() == pytest.approx(1.0, rel=0.02)
    counts = out["binned_counts"]
    assert sp.issparse(counts) and counts.shape == (n, 2500) and counts.sum() == n_spikes
    assert counts.nnz <= n_spikes  # storage follows the spikes, not the 2.5e8 cells
    # the 4000 sampled pairs, recomputed densely (np.corrcoef of their 2-ms counts only),
    # and the Poisson values: independent neurons -> mean 0 within 4 SD = 4 / sqrt(L * 4000)
    # (9 seeds measured within 1.2 SD); eligible = neurons with a spike, n (1 - e^-5) +- 4 SD
    corr = out["pairwise_correlation"]
    L = 2500
    assert corr.coefficients.size == 4000
    rows = np.unique(corr.pairs)
    dense = np.zeros((rows.size, L))
    sel = np.isin(s.senders, rows)
    np.add.at(dense, (np.searchsorted(rows, s.senders[sel]), (s.times_ms[sel] // 2.0).astype(int)), 1.0)
    a, b = np.searchsorted(rows, corr.pairs[:, 0]), np.searchsorted(rows, corr.pairs[:, 1])
    expect = [np.corrcoef(dense[i], dense[j])[0, 1] for i, j in zip(a, b)]
    np.testing.assert_allclose(corr.coefficients, expect, rtol=1e-9, atol=1e-12)
    assert abs(corr.mean) < 4 / math.sqrt(L * 4000)
    assert corr.n_eligible == pytest.approx(n * (1 - math.exp(-5.0)), abs=4 * math.sqrt(n * math.exp(-5.0)))
    # population count per 5-ms bin is Poisson with mean C = 500: CV = 1/sqrt(C); over 1000
    # bins the sample CV has SD ~ 1/sqrt(2 * 1000) = 2.2 %, so 10 % is 4.5 SD (9 seeds: 0.96-1.03)
    sync = out["population_synchrony"]
    pop = np.bincount((s.times_ms // 5.0).astype(int), minlength=1000)
    assert sync.n_bins == 1000 and sync.count_cv == pytest.approx(pop.std() / pop.mean(), rel=1e-12)
    assert sync.count_cv == pytest.approx(1 / math.sqrt(n_spikes / 1000), rel=0.1)


# ------------------------------------------------------------------------------- invariants

spike_sets = st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.floats(0.0, 99.99, allow_nan=False), st.integers(0, n - 1)),
             min_size=0, max_size=60),
))
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _arrays(n, spikes):
    times = np.array([t for t, _ in spikes], dtype=float)
    senders = np.array([i for _, i in spikes], dtype=np.int64)
    return times, senders


@PROPS
@given(spike_sets, st.floats(0.01, 100.0))
def test_time_scaling(data, k):
    n, spikes = data
    t, snd = _arrays(n, spikes)
    base = (t, snd, n, 0.0, 100.0)
    scaled = (t * k, snd, n, 0.0, 100.0 * k)
    np.testing.assert_allclose(firing_rates(*scaled), firing_rates(*base) / k, rtol=1e-12)
    for f in (isi_cv, lv):
        np.testing.assert_allclose(f(*scaled, min_isis=2), f(*base, min_isis=2),
                                   rtol=1e-7, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(lvr(*scaled, R_ms=2.0 * k), lvr(*base, R_ms=2.0),
                               rtol=1e-7, atol=1e-9, equal_nan=True)


@PROPS
@given(spike_sets, st.floats(1.0, 99.0))
def test_window_additivity(data, cut):
    n, spikes = data
    t, snd = _arrays(n, spikes)
    whole = firing_rates(t, snd, n, 0.0, 100.0) * 100.0
    parts = firing_rates(t, snd, n, 0.0, cut) * cut + firing_rates(t, snd, n, cut, 100.0) * (100.0 - cut)
    np.testing.assert_allclose(parts, whole, rtol=1e-9, atol=1e-9)
    # a window aligned with the bins selects columns of the whole binning
    full = binned_counts(t, snd, n, 0.0, 100.0, bin_ms=5.0)
    np.testing.assert_array_equal(binned_counts(t, snd, n, 20.0, 60.0, bin_ms=5.0), full[:, 4:12])
    assert binned_counts(t, snd, n, 0.0, 100.0, bin_ms=5.0).sum() == len(spikes)


@PROPS
@given(spike_sets, st.randoms(use_true_random=False))
def test_label_permutation_and_spike_order(data, rnd):
    n, spikes = data
    t, snd = _arrays(n, spikes)
    perm = np.array(rnd.sample(range(n), n))
    shuffle = np.array(rnd.sample(range(t.size), t.size), dtype=np.intp)
    base = (t, snd, n, 0.0, 100.0)
    moved = (t[shuffle], perm[snd][shuffle], n, 0.0, 100.0)  # relabelled and out of time order
    for f, kw in ((firing_rates, {}), (isi_cv, {"min_isis": 1}), (lvr, {"min_isis": 2})):
        np.testing.assert_allclose(f(*moved, **kw)[perm], f(*base, **kw), rtol=1e-12, equal_nan=True)
    assert mean_rate(*moved) == pytest.approx(mean_rate(*base))
    a, b = population_synchrony(*moved), population_synchrony(*base)
    np.testing.assert_allclose([a.count_cv, a.chi], [b.count_cv, b.chi], rtol=1e-9, equal_nan=True)
    ca = np.sort(pairwise_correlation(*moved, bin_ms=10.0, n_pairs=100).coefficients)
    cb = np.sort(pairwise_correlation(*base, bin_ms=10.0, n_pairs=100).coefficients)
    np.testing.assert_allclose(ca, cb, rtol=1e-9, atol=1e-12)
    ta = np.sort(sttc(*moved, dt_ms=3.0, n_pairs=100).coefficients)
    tb = np.sort(sttc(*base, dt_ms=3.0, n_pairs=100).coefficients)
    np.testing.assert_allclose(ta, tb, rtol=1e-9, atol=1e-12)


# -------------------------------------------------------------------------------- Elephant


@pytest.fixture(scope="module")
def eleph():
    pytest.importorskip("elephant")
    import neo
    import quantities as pq
    from elephant import spike_train_correlation, statistics
    from elephant.conversion import BinnedSpikeTrain

    return neo, pq, statistics, spike_train_correlation, BinnedSpikeTrain


def _neo_trains(neo, pq, s: SpikeTrains):
    return [neo.SpikeTrain(t, t_start=s.t_start_ms * pq.ms, t_stop=s.t_stop_ms * pq.ms, units="ms")
            for t in s.trains()]


def _bursty(rng, n_neurons, t_stop_ms):
    """Gamma (shape 0.5) and refractory trains: irregularity far from the Poisson values."""
    isi = 1.0 + rng.gamma(0.5, 40.0, size=(n_neurons, 200))
    times = np.cumsum(isi, axis=1)
    keep = times < t_stop_ms
    senders = np.broadcast_to(np.arange(n_neurons)[:, None], times.shape)[keep]
    order = np.argsort(times[keep], kind="stable")
    return SpikeTrains("B", n_neurons, times[keep][order], senders[order], 0.0, t_stop_ms)


def test_irregularity_and_rates_agree_with_elephant(eleph):
    neo, pq, stats, _, _ = eleph
    s = _bursty(np.random.default_rng(1), 25, 3000.0)
    trains = _neo_trains(neo, pq, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_cv = np.array([stats.cv(stats.isi(t)) for t in trains])
        ref_lv = np.array([stats.lv(stats.isi(t)) for t in trains])
        ref_lvr5 = np.array([stats.lvr(stats.isi(t), R=5 * pq.ms) for t in trains])
        ref_lvr1 = np.array([stats.lvr(stats.isi(t), R=1 * pq.ms) for t in trains])
        ref_rate = np.array([stats.mean_firing_rate(t).rescale("Hz").magnitude for t in trains])
        ref_rate_w = np.array([stats.mean_firing_rate(t, t_start=500 * pq.ms, t_stop=2500 * pq.ms)
                               .rescale("Hz").magnitude for t in trains])
    np.testing.assert_allclose(isi_cv(s), ref_cv, rtol=1e-10)
    np.testing.assert_allclose(lv(s), ref_lv, rtol=1e-10)
    np.testing.assert_allclose(lvr(s, R_ms=5.0), ref_lvr5, rtol=1e-10)
    np.testing.assert_allclose(lvr(s, R_ms=1.0), ref_lvr1, rtol=1e-10)
    np.testing.assert_allclose(firing_rates(s), ref_rate, rtol=1e-12)
    # Elephant's window is closed [t_start, t_stop]; continuous times never sit on 2500 ms
    np.testing.assert_allclose(firing_rates(s, t_start_ms=500.0, t_stop_ms=2500.0), ref_rate_w,
                               rtol=1e-12)
    assert isi_cv(s).mean() > 1.2  # far from the Poisson and regular values


def test_closed_window_difference_from_elephant(eleph):
    neo, pq, stats, _, _ = eleph
    t = neo.SpikeTrain([1.0, 4.0, 10.0], t_start=0 * pq.ms, t_stop=20 * pq.ms, units="ms")
    ref = stats.mean_firing_rate(t, t_start=0 * pq.ms, t_stop=10 * pq.ms).rescale("Hz").magnitude
    ours = firing_rates(np.array([1.0, 4.0, 10.0]), np.zeros(3, int), 1, 0.0, 10.0)[0]
    assert ref == pytest.approx(300.0) and ours == pytest.approx(200.0)


@pytest.mark.parametrize("bin_ms", [2.0, 5.0, 0.1])
def test_binning_and_correlation_agree_with_elephant(eleph, bin_ms):
    neo, pq, _, corr, BinnedSpikeTrain = eleph
    rng = np.random.default_rng(4)
    # correlated population: a shared Poisson source copied with jitter, plus private spikes,
    # times on the 0.1-ms grid (round-off at bin edges) and a window that is not a multiple
    # of the bin (dropped partial bin)
    shared = np.sort(rng.uniform(0, 999.95, 400))
    times, senders = [], []
    for i in range(12):
        own = rng.uniform(0, 999.95, 150)
        take = shared[rng.random(shared.size) < 0.5]
        take = take + rng.normal(0, 1.0, take.size)
        t = np.clip(np.round(np.concatenate([take, own]) * 10) / 10, 0.0, 999.9)
        times.append(np.sort(t))
        senders.append(np.full(t.size, i))
    times, senders = np.concatenate(times), np.concatenate(senders)
    order = np.argsort(times, kind="stable")
    s = SpikeTrains("C", 12, times[order], senders[order], 0.0, 999.95)
    trains = _neo_trains(neo, pq, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bst = BinnedSpikeTrain(trains, bin_size=bin_ms * pq.ms, t_start=0 * pq.ms,
                               t_stop=999.95 * pq.ms)
        ref_counts = bst.to_array()
        ref = corr.correlation_coefficient(bst)
    np.testing.assert_array_equal(binned_counts(s, bin_ms=bin_ms), ref_counts)
    res = pairwise_correlation(s, bin_ms=bin_ms, n_pairs=1000)
    i, j = res.pairs.T
    assert res.coefficients.size == 66
    np.testing.assert_allclose(res.coefficients, ref[i, j], rtol=1e-9, atol=1e-12)
    if bin_ms == 5.0:
        assert res.mean > 0.1  # the shared source shows


@pytest.mark.parametrize("dt_ms", [5.0, 5.25, 0.5])
def test_sttc_agrees_with_elephant(eleph, dt_ms):
    neo, pq, _, corr, _ = eleph
    rng = np.random.default_rng(8)
    # spike times on a 0.5-ms grid: distances are exact multiples of 0.5 ms, so the rule
    # |t_A - t_B| <= dt is decided exactly, including the ties at dt = 5 ms, and Elephant's
    # extra relative tolerance (np.isclose) never matters at dt = 5.25 ms
    shared = rng.uniform(0, 2000, 60)
    times, senders = [], []
    for i in range(10):
        n_own = int(rng.integers(0, 40)) if i else 0  # neuron 0: only shared spikes
        take = shared[rng.random(60) < 0.4]
        t = np.concatenate([take + rng.normal(0, 3, take.size), rng.uniform(0, 2000, n_own)])
        t = np.unique(np.clip(np.round(t * 2) / 2, 0.0, 1999.5))
        times.append(t)
        senders.append(np.full(t.size, i))
    times, senders = np.concatenate(times), np.concatenate(senders)
    order = np.argsort(times, kind="stable")
    s = SpikeTrains("C", 11, times[order], senders[order], 0.0, 2000.0)  # neuron 10 silent
    res = sttc(s, dt_ms=dt_ms, n_pairs=1000)
    assert res.n_eligible == 10 and res.coefficients.size == 45
    trains = _neo_trains(neo, pq, s)
    ref = [corr.spike_time_tiling_coefficient(trains[i], trains[j], dt=dt_ms * pq.ms)
           for i, j in res.pairs]
    np.testing.assert_allclose(res.coefficients, ref, rtol=1e-10, atol=1e-12)
    if dt_ms >= 5.0:
        assert res.mean > 0.05  # the shared source (jittered by 3 ms) shows


def test_population_summary_is_the_five_statistics_of_the_window():
    from netdyn.analysis import population_summary
    from netdyn.analysis.spikes.summary import SUMMARY_STATISTICS

    rng = np.random.default_rng(4)
    n, t_stop = 40, 2000.0
    counts = rng.integers(0, 60, n)
    counts[:5] = 0  # silent neurons
    times = np.concatenate([np.sort(rng.uniform(0, t_stop, k)) for k in counts])
    senders = np.repeat(np.arange(n), counts)
    order = np.argsort(times, kind="stable")
    trains = SpikeTrains("E", n, times[order], senders[order], 0.0, t_stop)
    window = {"t_start_ms": 500.0, "t_stop_ms": t_stop}
    stats = population_summary(trains, **window)
    assert list(stats) == list(SUMMARY_STATISTICS)
    assert stats["rate_hz"] == mean_rate(trains, **window)
    assert stats["cv_isi"] == mean_isi_cv(trains, **window, min_isis=3)
    per_neuron = lvr(trains, **window, R_ms=5.0, min_isis=3)
    assert stats["lvr"] == pytest.approx(np.nanmean(per_neuron), rel=1e-12) and 0.5 < stats["lvr"] < 1.6
    assert stats["active_fraction"] == active_fraction(trains, **window) <= 35 / 40
    assert abs(stats["corrcoef"]) < 0.05  # independent trains
    silent = population_summary(SpikeTrains("E", 3, [], [], 0.0, 100.0))
    assert silent["rate_hz"] == 0.0 and silent["active_fraction"] == 0.0
    assert math.isnan(silent["cv_isi"]) and math.isnan(silent["lvr"]) and math.isnan(silent["corrcoef"])
