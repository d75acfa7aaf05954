"""Population statistics of the multi-area model (Schmidt et al. 2018) in
netdyn.analysis.spikes: the zero-padded mean LvR, the mean correlation coefficient of a block
of neurons, the 1-ms count CV and rates divided by a non-integer model size.

Each is checked against a plain transcription of the rule the reference code applies
(``np.histogram``, ``np.corrcoef``, a loop over neurons), against closed forms for Poisson,
regular and shared-source trains, against Elephant and the existing netdyn statistics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from netdyn.analysis import (
    lvr,
    mean_correlation_coefficient,
    mean_rate,
    pairwise_correlation,
    population_lvr,
    population_rate,
    population_synchrony,
)
from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikeTrains


def _sorted(times, senders):
    order = np.argsort(times, kind="stable")
    return np.asarray(times, float)[order], np.asarray(senders)[order]


def _mixed_population(rng, n=80, t_stop=2000.0, grid=True):
    """Bursty and Poisson neurons, some silent, some with one or two spikes, a first spiking
    neuron (3) that fires only before 500 ms, spike times on the 0.1-ms grid if ``grid``."""
    times, senders = [np.array([100.0, 200.0])], [np.array([3, 3])]
    for i in range(5, n):
        kind = i % 7
        if kind == 0:
            continue  # silent
        if kind == 1:
            t = rng.uniform(500, t_stop, 1 + i % 2)  # one or two spikes in the window
        elif kind == 2:
            t = np.cumsum(1.0 + rng.gamma(0.5, 30.0, 200))  # bursty
        else:
            t = np.sort(rng.uniform(0, t_stop, rng.poisson(15 + i % 5 * 10)))
        t = np.round(t, 1) if grid else t
        t = t[t < t_stop]
        times.append(t)
        senders.append(np.full(t.size, i))
    return _sorted(np.concatenate(times), np.concatenate(senders))


# ------------------------------------------------------------------------------ LvR


def _reference_population_lvr(times, senders, R, t_min, t_max, n_pad):
    """The rule of the reference: spikes in [t_min, t_max) (time-sorted), per spiking neuron
    LvR if it has more than one interval, else 0, zeros appended up to n_pad, mean."""
    keep = (times >= t_min) & (times < t_max)
    times, senders = times[keep], senders[keep]
    values = []
    for i in np.unique(senders):
        isi = np.diff(times[senders == i])
        if isi.size > 1:
            a, b = isi[:-1], isi[1:]
            values.append(3 / (isi.size - 1) * np.sum((1 - 4 * a * b / (a + b) ** 2) * (1 + 4 * R / (a + b))))
        else:
            values.append(0.0)
    values += [0.0] * (n_pad - len(values))
    return float(np.mean(values))


@pytest.mark.parametrize("n_model", [80.0, 80.4, 123.7, 80.5])
def test_population_lvr_follows_the_reference_rule(n_model):
    times, senders = _mixed_population(np.random.default_rng(2))
    ours = population_lvr(times, senders, 80, 500.0, 2000.0, R_ms=2.0, n_model=n_model)
    ref = _reference_population_lvr(times, senders, 2.0, 500.0, 2000.0, round(n_model))
    assert ours == pytest.approx(ref, rel=1e-12)
    # the same from a SpikeTrains narrowed to the window
    s = SpikeTrains("P", 80, times, senders, 0.0, 2000.0)
    assert population_lvr(s, t_start_ms=500.0, R_ms=2.0, n_model=n_model) == pytest.approx(ref, rel=1e-12)


def test_population_lvr_reuses_lvr_and_agrees_with_elephant():
    pytest.importorskip("elephant")
    import neo
    import quantities as pq
    from elephant import statistics

    times, senders = _mixed_population(np.random.default_rng(5), grid=False)
    per = lvr(times, senders, 80, 500.0, 2000.0, R_ms=2.0, min_isis=2)
    assert population_lvr(times, senders, 80, 500.0, 2000.0, R_ms=2.0, n_model=100.2) == pytest.approx(
        np.nansum(per) / 100, rel=1e-14)
    keep = (times >= 500.0) & (times < 2000.0)
    total = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(80):
            t = times[keep & (senders == i)]
            if t.size >= 3:
                train = neo.SpikeTrain(t, t_start=500.0, t_stop=2000.0, units="ms")
                total += statistics.lvr(statistics.isi(train), R=2 * pq.ms)
    ours = population_lvr(times, senders, 80, 500.0, 2000.0, R_ms=2.0, n_model=100.2)
    assert ours == pytest.approx(total / 100, rel=1e-10)


def test_population_lvr_of_regular_and_poisson_trains():
    # regular trains: every term is 0 whatever R
    times = np.concatenate([np.arange(1.0, 1000.0, 7.0 + i) for i in range(6)])
    senders = np.concatenate([np.full(np.arange(1.0, 1000.0, 7.0 + i).size, i) for i in range(6)])
    times, senders = _sorted(times, senders)
    assert population_lvr(times, senders, 6, 0.0, 1000.0, R_ms=2.0) == pytest.approx(0.0, abs=1e-12)
    # Poisson: E[LvR] = 1 + 4 R nu per neuron; the padded mean scales by N_rec / round(N)
    rng = np.random.default_rng(11)
    n, rate_hz, R = 200, 20.0, 2.0
    isi = rng.exponential(1e3 / rate_hz, size=(n, 400))
    t = np.cumsum(isi, axis=1)
    times, senders = _sorted(t.ravel(), np.repeat(np.arange(n), 400))
    t_stop = float(t.max()) + 1.0
    per = lvr(times, senders, n, 0.0, t_stop, R_ms=R, min_isis=2)
    mean = population_lvr(times, senders, n, 0.0, t_stop, R_ms=R)
    assert abs(mean - (1 + 4 * R * rate_hz * 1e-3)) < 5 * per.std() / math.sqrt(n)
    assert population_lvr(times, senders, n, 0.0, t_stop, R_ms=R, n_model=2.5 * n) == pytest.approx(mean * 0.4)


def test_population_lvr_counts_only_recorded_neurons():
    times, senders = _mixed_population(np.random.default_rng(3))
    recorded = np.arange(0, 80, 2)
    keep = np.isin(senders, recorded)
    s = SpikeTrains("P", 80, times[keep], senders[keep], 0.0, 2000.0, recorded=recorded)
    per = lvr(s, R_ms=2.0, min_isis=2)
    assert population_lvr(s, R_ms=2.0) == pytest.approx(np.nansum(per) / 40)
    assert population_lvr(s, R_ms=2.0, n_model=50) == pytest.approx(np.nansum(per) / 50)
    assert math.isnan(population_lvr(SpikeTrains("P", 3, [], [], 0.0, 1.0, recorded=[]), R_ms=2.0))


def test_population_lvr_rounds_half_to_even_and_validates():
    times, senders = np.array([1.0, 3.0, 6.0]), np.array([0, 0, 0])
    one = population_lvr(times, senders, 1, 0.0, 10.0, R_ms=2.0)
    assert population_lvr(times, senders, 1, 0.0, 10.0, R_ms=2.0, n_model=2.5) == pytest.approx(one / 2)
    assert population_lvr(times, senders, 1, 0.0, 10.0, R_ms=2.0, n_model=3.5) == pytest.approx(one / 4)
    for kwargs, field in (({"n_model": 0.4}, "n_model"), ({"n_model": -3.0}, "n_model"),
                          ({"n_model": "x"}, "n_model"), ({"R_ms": -1.0}, "R_ms")):
        with pytest.raises(ConfigError) as err:
            population_lvr(times, senders, 1, 0.0, 10.0, **kwargs)
        assert err.value.field == field
    with pytest.raises(ConfigError) as err:
        population_lvr(times, senders, 10, 0.0, 10.0, n_model=9.4)  # fewer than the recorded ten
    assert err.value.field == "n_model"


# ---------------------------------------------------------------- correlation coefficient


def _reference_corrcoef(times, senders, t_min, t_max, n_candidates, max_trains):
    """The reference's steps: ids first .. first + n_candidates - 1 from all spikes given,
    np.histogram on edges t_min, t_min + 1, ..., t_max, non-constant rows, the first
    max_trains, np.corrcoef, off-diagonal entries, NaN -> 0, mean."""
    first = senders.min()
    edges = np.arange(t_min, t_max + 1.0, 1.0)
    hist = np.array([np.histogram(times[senders == i], edges)[0]
                     for i in range(first, first + n_candidates)])
    hist = hist[[abs(h.max() - h.min()) > 1e-16 for h in hist]][:max_trains]
    if hist.shape[0] < 2:
        return float("nan")
    cc = np.corrcoef(hist)
    cc = np.extract(1 - np.eye(cc.shape[0]), cc)
    cc[np.isnan(cc)] = 0.0
    return float(np.mean(cc))


def _shared_source(rng, n, c, rate_hz, t_stop, first=0, grid=False):
    """Neurons first .. n-1: a private Poisson train at (1 - c) rate plus the spikes of one
    common Poisson train at c rate (counts in any bin correlate with coefficient c)."""
    common = rng.uniform(0, t_stop, rng.poisson(c * rate_hz * t_stop * 1e-3))
    times, senders = [], []
    for i in range(first, n):
        own = rng.uniform(0, t_stop, rng.poisson((1 - c) * rate_hz * t_stop * 1e-3))
        t = np.concatenate([own, common])
        times.append(np.round(t, 1) if grid else t)
        senders.append(np.full(t.size, i))
    times, senders = np.concatenate(times), np.concatenate(senders)
    keep = times < t_stop
    return _sorted(times[keep], senders[keep])


@pytest.mark.parametrize("n_candidates, max_trains", [(3002, 2000), (40, 2000), (60, 12), (25, 2)])
def test_mean_correlation_coefficient_follows_the_reference_steps(n_candidates, max_trains):
    rng = np.random.default_rng(7)
    t1, s1 = _mixed_population(rng, n=70)
    t2, s2 = _shared_source(rng, 90, 0.3, 30.0, 2000.0, first=70, grid=True)
    times, senders = _sorted(np.concatenate([t1, t2]), np.concatenate([s1, s2]))
    ref = _reference_corrcoef(times, senders, 500.0, 2000.0, n_candidates, max_trains)
    ours = mean_correlation_coefficient(times, senders, 90, 500.0, 2000.0,
                                        n_candidates=n_candidates, max_trains=max_trains)
    assert ours == pytest.approx(ref, rel=1e-10, abs=1e-13)
    # the first neuron is taken from the whole recording, not the window
    s = SpikeTrains("P", 90, times, senders, 0.0, 2000.0)
    assert mean_correlation_coefficient(s, t_start_ms=500.0, n_candidates=n_candidates,
                                        max_trains=max_trains) == pytest.approx(ours, rel=1e-14)


def test_mean_correlation_coefficient_is_the_mean_of_pairwise_and_elephant_coefficients():
    rng = np.random.default_rng(8)
    times, senders = _shared_source(rng, 30, 0.2, 20.0, 3000.0, grid=True)
    s = SpikeTrains("P", 32, times, senders, 0.0, 3000.0)  # neurons 30, 31 silent
    ours = mean_correlation_coefficient(s, bin_ms=2.0)
    pairs = pairwise_correlation(s, bin_ms=2.0, n_pairs=10_000)
    assert pairs.n_eligible == 30 and pairs.coefficients.size == 435
    assert ours == pytest.approx(pairs.mean, rel=1e-10)

    pytest.importorskip("elephant")
    import neo
    import quantities as pq
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient

    trains = [neo.SpikeTrain(t, t_start=0 * pq.ms, t_stop=3000 * pq.ms, units="ms") for t in s.trains()[:30]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cc = correlation_coefficient(BinnedSpikeTrain(trains, bin_size=2 * pq.ms))
    assert ours == pytest.approx(cc[~np.eye(30, dtype=bool)].mean(), rel=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_mean_correlation_coefficient_of_shared_and_independent_trains(seed):
    # shared source: counts of two neurons in a bin share a Poisson(c nu b) term of a total
    # Poisson(nu b), so rho = c exactly. The mean over m neurons, rho_bar = (|S|^2 - m) /
    # (m (m-1)) with S the sum of standardised counts, has SD about sqrt(2) (1 - c) / sqrt(L)
    # here (L = 20000 bins): 0.03 is > 5 SD.
    rng = np.random.default_rng(40 + seed)
    times, senders = _shared_source(rng, 25, 0.2, 40.0, 20_000.0)
    rho = mean_correlation_coefficient(times, senders, 25, 0.0, 20_000.0)
    assert abs(rho - 0.2) < 0.03
    # independent: E[|S|^2] = m, Var about 2 m^2 / L, so SD(rho_bar) = sqrt(2) / (sqrt(L) (m - 1))
    times, senders = _shared_source(rng, 25, 0.0, 40.0, 20_000.0)
    rho = mean_correlation_coefficient(times, senders, 25, 0.0, 20_000.0)
    assert abs(rho) < 5 * math.sqrt(2) / (math.sqrt(20_000) * 24)


def test_mean_correlation_coefficient_degenerate_cases_and_validation():
    # fewer than two non-constant trains: NaN (the reference skips the population)
    assert math.isnan(mean_correlation_coefficient(np.array([1.0, 5.0]), np.array([2, 2]), 5, 0.0, 10.0))
    assert math.isnan(mean_correlation_coefficient(np.array([]), np.array([], int), 5, 0.0, 10.0))
    # neuron 0 fires only outside the window: it opens the candidate block and is dropped
    times, senders = np.array([0.5, 12.0, 13.0, 15.0, 12.2, 14.0]), np.array([0, 1, 1, 1, 2, 2])
    assert math.isnan(mean_correlation_coefficient(times, senders, 3, 10.0, 20.0, n_candidates=2))
    assert np.isfinite(mean_correlation_coefficient(times, senders, 3, 10.0, 20.0, n_candidates=3))
    for kwargs, field in (({"max_trains": 1}, "max_trains"), ({"n_candidates": 0}, "n_candidates"),
                          ({"n_candidates": 2.5}, "n_candidates"), ({"bin_ms": 0.0}, "bin_ms")):
        with pytest.raises(ConfigError) as err:
            mean_correlation_coefficient(times, senders, 3, 10.0, 20.0, **kwargs)
        assert err.value.field == field


# --------------------------------------------------------------- synchrony and the rates


def test_one_ms_count_cv_is_the_reference_synchrony_and_rate_series():
    # the reference histograms spikes with range (t_min + 0.5, t_max + 0.5), int(t_max -
    # t_min) bins, divides by N * 1 ms, and takes std / mean: the same bins as the window
    # (t_min + 0.5, t_max + 0.5) here
    rng = np.random.default_rng(12)
    times, senders = _shared_source(rng, 50, 0.1, 15.0, 2000.0, grid=True)
    N = 52.7
    hist, _ = np.histogram(times, bins=1500, range=(500.5, 2000.5))
    ref_rate = hist / (N * 1e-3)
    rate = population_rate(times, senders, 50, 500.5, 2000.5, bin_ms=1.0, n_model=N)
    np.testing.assert_allclose(rate.values, ref_rate, rtol=1e-14)
    assert rate.time_ms.values[0] == 500.5 and rate.attrs["units"] == "Hz"
    sync = population_synchrony(times, senders, 50, 500.5, 2000.5, bin_ms=1.0)
    assert sync.n_bins == 1500
    assert sync.count_cv == pytest.approx(ref_rate.std() / ref_rate.mean(), rel=1e-12)
    # the reference's pop_rate: spikes in (t_min, t_max) / (N (t_max - t_min) / 1000)
    inside = np.count_nonzero((times > 500.0) & (times < 2000.0))
    assert mean_rate(times, senders, 50, 500.0, 2000.0, n_model=N) == pytest.approx(inside / (N * 1.5))
    assert mean_rate(times, senders, 50, 500.0, 2000.0) == pytest.approx(inside / (50 * 1.5))


def test_one_ms_count_cv_of_independent_poisson_neurons():
    # population count per bin ~ Poisson(C), C = N nu b: CV = 1 / sqrt(C). The sample CV over
    # L bins has relative SD about sqrt(1/(2L) + 1/(L C)); 5 SD here is 5.6 %.
    rng = np.random.default_rng(13)
    n, rate_hz, t_stop = 400, 10.0, 5000.0
    times = np.sort(rng.uniform(0, t_stop, rng.poisson(n * rate_hz * t_stop * 1e-3)))
    senders = rng.integers(0, n, times.size)
    cv = population_synchrony(times, senders, n, 0.0, t_stop, bin_ms=1.0).count_cv
    C = n * rate_hz * 1e-3
    assert cv == pytest.approx(1 / math.sqrt(C), rel=5 * math.sqrt(1 / (2 * 5000) + 1 / (5000 * C)))


def test_model_size_validation():
    times, senders = np.array([1.0, 2.0]), np.array([0, 1])
    for f, kw in ((mean_rate, {}), (population_rate, {"bin_ms": 1.0})):
        for bad in (0.0, -1.0, float("nan"), "many"):
            with pytest.raises(ConfigError) as err:
                f(times, senders, 2, 0.0, 10.0, n_model=bad, **kw)
            assert err.value.field == "n_model"
