"""The statistics behind the multi-area NEST reference data (benchmarks/peers/multiarea_stats.py)
against closed forms and literal transcriptions of their definitions.

The module is deliberately independent of netdyn's analysis code; these tests pin its
conventions (the reference analysis of Schmidt et al. 2018): window edges, LvR with R = 2 ms
and zero padding to round(N), the correlation coefficient's neuron selection and binning.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks" / "peers"))

import multiarea_stats as ms  # noqa: E402


def test_steps_are_the_decimal_times():
    t = ms.steps_to_ms(np.array([5000, 5001, 19999, 20000], dtype=np.uint32), 0.1)
    assert t.tolist() == [500.0, float("500.1"), float("1999.9"), 2000.0]  # exactly, as read from ASCII


def test_rate_counts_the_open_window_over_the_unrounded_size():
    times = np.array([499.9, 500.0, 500.1, 1000.0, 1999.9, 2000.0])
    rate, count = ms.population_rate_hz(times, 2.5, 500.0, 2000.0)
    assert count == 3  # 500.0 and 2000.0 excluded
    assert rate == pytest.approx(3 / (2.5 * 1.5), rel=1e-15)


def _lvr_literal(isi: np.ndarray, r: float) -> float:
    """LvR of one neuron, written term by term from Shinomoto et al. (2009)."""
    n = isi.size
    total = 0.0
    for k in range(n - 1):
        a, b = isi[k], isi[k + 1]
        total += (1 - 4 * a * b / (a + b) ** 2) * (1 + 4 * r / (a + b))
    return 3.0 / (n - 1) * total


def test_lvr_regular_train_is_zero_and_alternating_train_has_its_closed_form():
    regular = np.arange(500.0, 1500.0, 7.3)
    ids, lvr = ms.lvr_per_neuron(np.zeros(regular.size, int), regular, 500.0, 2000.0, r_ms=2.0)
    assert ids.tolist() == [0] and lvr[0] == pytest.approx(0.0, abs=1e-12)
    a, b, r = 3.0, 11.0, 2.0
    times = np.cumsum(np.r_[600.0, np.tile([a, b], 40)])
    _, lvr = ms.lvr_per_neuron(np.zeros(times.size, int), times, 500.0, 2000.0, r_ms=r)
    assert lvr[0] == pytest.approx(3 * ((a - b) / (a + b)) ** 2 * (1 + 4 * r / (a + b)), rel=1e-12)


def test_lvr_of_a_poisson_train_is_one():
    """Exponential ISIs, R = 0: with S = I_k + I_{k+1}, I_k / S is uniform on (0, 1), so each
    term has mean 1 - 4 (1/2 - 1/3) = 1/3 and LvR has mean 1 (terms in [0, 1]: 5 SD)."""
    rng = np.random.default_rng(3)
    isi = rng.exponential(10.0, size=200_001)
    times = 500.0 + np.cumsum(isi)
    _, lvr = ms.lvr_per_neuron(np.zeros(times.size, int), times, 0.0, np.inf, r_ms=0.0)
    # terms 1 - 4u(1 - u), u uniform, have variance 4/45; LvR = 3 x their mean; neighbouring
    # terms share an ISI, which at most triples the variance of the mean: 5 SD of that
    sd = 3 * math.sqrt(3 * 4 / 45 / (isi.size - 1))
    assert abs(lvr[0] - 1.0) < 5 * sd


def test_lvr_population_matches_the_literal_definition():
    rng = np.random.default_rng(7)
    senders, times = [], []
    for neuron, n_spikes in enumerate([0, 1, 2, 3, 5, 40, 17]):
        t = np.sort(rng.uniform(400.0, 2100.0, n_spikes))
        senders += [neuron] * n_spikes
        times += t.tolist()
    perm = rng.permutation(len(times))  # order of the input does not matter
    senders, times = np.array(senders)[perm], np.array(times)[perm]
    expected = []
    for neuron in range(7):
        t = np.sort(times[(senders == neuron) & (times >= 500.0) & (times < 2000.0)])
        if t.size:
            expected.append(_lvr_literal(np.diff(t), 2.0) if t.size >= 3 else 0.0)
    n_float = 9.6  # rounds to 10: three silent neurons more than listed
    got = ms.population_lvr(senders, times, n_float, 500.0, 2000.0)
    assert got == pytest.approx(sum(expected) / 10, rel=1e-12)
    ids, per_neuron = ms.lvr_per_neuron(senders, times, 500.0, 2000.0)
    assert per_neuron.tolist() == pytest.approx(expected, rel=1e-12)


def test_lvr_window_is_closed_at_the_start_and_open_at_the_end():
    times = np.array([500.0, 510.0, 530.0, 2000.0])
    _, lvr = ms.lvr_per_neuron(np.zeros(4, int), times, 500.0, 2000.0, r_ms=2.0)
    assert lvr[0] == pytest.approx(_lvr_literal(np.array([10.0, 20.0]), 2.0), rel=1e-12)


def test_mean_offdiagonal_pearson_against_corrcoef_with_nan_as_zero():
    rng = np.random.default_rng(1)
    x = rng.poisson(0.3, size=(37, 500)).astype(float)
    x[5] = 0.0  # no variance: its correlations are NaN in np.corrcoef, 0 here
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(x)
    off = c[~np.eye(37, dtype=bool)]
    off[np.isnan(off)] = 0.0
    assert ms.mean_offdiagonal_pearson(x) == pytest.approx(off.mean(), rel=1e-10, abs=1e-14)


def test_corrcoef_of_common_plus_private_spikes_has_its_closed_form():
    """n neurons share c bins and each has p private bins (all disjoint) out of B: with
    m = (c + p)/B, r = (c/B - m^2) / (m - m^2) for every pair."""
    n, c, p = 6, 40, 25
    t_min, t_max = 500.0, 2000.0
    n_bins = 1500
    rng = np.random.default_rng(11)
    bins = rng.permutation(n_bins)
    common, private = bins[:c], bins[c:c + n * p].reshape(n, p)
    senders, times = [], []
    for i in range(n):
        for b in np.r_[common, private[i]]:
            senders.append(i)
            times.append(t_min + b + 0.5)
    m = (c + p) / n_bins
    r = (c / n_bins - m * m) / (m - m * m)
    got, n_trains = ms.population_corrcoef(np.array(senders), np.array(times), t_min, t_max)
    assert n_trains == n and got == pytest.approx(r, rel=1e-12)


def test_corrcoef_selection_and_binning():
    t_min, t_max = 500.0, 2000.0
    # neuron 3 spikes only before the window: it sets the first id, then is dropped as silent;
    # neurons 4 and 5 fire together (one at t_max, the last bin closed; one at t_min), 6 alone
    senders = np.array([3, 4, 5, 4, 5, 4, 5, 6, 6])
    times = np.array([100.0, 500.0, 500.9, 1000.2, 1000.7, 2000.0, 1999.1, 700.0, 1500.0])
    counts = ms.binned_counts(senders, times, np.arange(3, 7), t_min, t_max)
    assert counts.shape == (4, 1500) and counts[0].sum() == 0
    assert counts[1, [0, 500, 1499]].tolist() == [1, 1, 1] and counts[2, [0, 500, 1499]].tolist() == [1, 1, 1]
    x = counts[1:]
    with np.errstate(invalid="ignore"):
        expected = np.corrcoef(x)[~np.eye(3, dtype=bool)].mean()
    got, n_trains = ms.population_corrcoef(senders, times, t_min, t_max)
    assert n_trains == 3 and got == pytest.approx(expected, rel=1e-12)
    assert ms.population_corrcoef(np.array([2]), np.array([800.0]), t_min, t_max)[1] == 1  # < 2 trains
    assert math.isnan(ms.population_corrcoef(np.array([2]), np.array([800.0]), t_min, t_max)[0])


def test_corrcoef_keeps_the_first_2000_active_trains_within_3000_ids_of_the_first():
    rng = np.random.default_rng(5)
    n = 3500
    senders = np.repeat(np.arange(n), 3)
    times = rng.uniform(500.0, 2000.0, senders.size)
    silent = (np.arange(n) % 2 == 1) & (np.arange(n) < 1000)  # 500 of the first 1000 silent in the window
    times[np.repeat(silent, 3)] = 10.0
    counts = ms.binned_counts(senders, times, np.arange(0, 3001), 500.0, 2000.0)
    active = counts[counts.max(axis=1) > 0][:2000]
    _, n_trains = ms.population_corrcoef(senders, times, 500.0, 2000.0)
    assert n_trains == 2000
    assert ms.population_corrcoef(senders, times, 500.0, 2000.0)[0] == pytest.approx(
        ms.mean_offdiagonal_pearson(active), rel=1e-12)
    # only ids first .. first + 3000 count: with 2 of every 3 ids silent there are 1001 trains
    times = rng.uniform(500.0, 2000.0, senders.size)
    sparse = np.isin(senders, np.arange(0, n, 3))
    assert ms.population_corrcoef(senders[sparse], times[sparse], 500.0, 2000.0)[1] == 1001


def test_population_statistics_of_a_spike_file():
    spikes = {"names": np.array(["V1/23E", "V1/23I", "TH/23E"]), "n_neurons": np.array([4, 2, 3]),
              "n_neurons_float": np.array([4.4, 2.6, 3.2]), "offsets": np.array([0, 5, 5, 7]),
              "senders": np.array([0, 1, 0, 1, 0, 2, 2], dtype=np.uint16),
              "times_steps": np.array([4000, 5000, 6000, 7000, 20000, 6000, 6001], dtype=np.uint32),
              "dt_ms": np.array(0.1), "t_sim_ms": np.array(2000.0)}
    st = ms.population_statistics(spikes)
    assert st["names"] == ["V1/23E", "V1/23I", "TH/23E"]
    assert st["spike_count"] == [2, 0, 2]  # 400 ms, 500 ms and 2000 ms lie outside (500, 2000)
    assert st["rate_hz"] == pytest.approx([2 / (4.4 * 1.5), 0.0, 2 / (3.2 * 1.5)], rel=1e-15)
    assert st["network_rate_hz"] == pytest.approx(4 / (9 * 1.5), rel=1e-15)
    assert st["lvr"] == [0.0, 0.0, 0.0]  # nobody has 3 spikes
    assert math.isnan(st["corrcoef"][1]) and st["corrcoef_n_trains"] == [2, 0, 1]
    means = ms.means_over_areas(st["names"], st["rate_hz"])
    assert means["23E"] == pytest.approx((st["rate_hz"][0] + st["rate_hz"][2]) / 2) and math.isnan(means["4E"])
