"""Correlations and synchrony: pairwise correlation coefficients of binned counts, the
spike time tiling coefficient (Cutts & Eglen 2014), population synchrony and Golomb's chi
(Golomb 2007)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from netdyn.analysis.spikes._common import (
    as_spikes,
    integer_at_least,
    isis,
    row_moments,
    sparse_counts,
    spike_counts,
)
from netdyn.errors import ConfigError, positive_float
from netdyn.record.spiking import SpikeTrains
from netdyn.seeding import SeedLike, as_generator

__all__ = ["PairCorrelations", "PopulationSynchrony", "golomb_chi", "mean_correlation_coefficient",
           "pairwise_correlation", "population_synchrony", "sttc"]


def _draw_pairs(eligible: np.ndarray, n_pairs: int, seed: SeedLike) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` of ``eligible`` if there are at most ``n_pairs``, else ``n_pairs``
    independent draws of an ordered pair of distinct eligible neurons."""
    m = eligible.size
    if m < 2:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    if m * (m - 1) // 2 <= n_pairs:
        i, j = np.triu_indices(m, k=1)
    else:
        rng = as_generator(seed)
        i = rng.integers(0, m, size=int(n_pairs))
        j = (i + rng.integers(1, m, size=int(n_pairs))) % m
    return eligible[i], eligible[j]


@dataclass(frozen=True)
class PairCorrelations:
    """A pairwise correlation measure over a sample of neuron pairs.

    Attributes
    ----------
    coefficients
        ``(n_pairs,)`` coefficient of each pair.
    pairs
        ``(n_pairs, 2)`` neuron indices (within the population) of each pair.
    n_eligible
        Number of neurons eligible for pairing (the pool of the pairs): non-zero count
        variance for :func:`pairwise_correlation`, at least one spike for :func:`sttc`.
    timescale_ms
        The bin width (:func:`pairwise_correlation`) or the tiling half-window ``dt_ms``
        (:func:`sttc`).
    """

    coefficients: np.ndarray
    pairs: np.ndarray
    n_eligible: int
    timescale_ms: float

    @property
    def mean(self) -> float:
        """Mean coefficient over the pairs (NaN if there are none)."""
        return float(self.coefficients.mean()) if self.coefficients.size else float("nan")


def pairwise_correlation(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                         t_start_ms: Any = None, t_stop_ms: Any = None, *, bin_ms: float = 2.0,
                         n_pairs: int = 4000, seed: SeedLike = None) -> PairCorrelations:
    r"""Pearson correlation of the binned spike counts of random pairs of distinct neurons.

    .. math::
        \rho_{ij} = \frac{L \sum_k c_{ik} c_{jk} - \sum_k c_{ik} \sum_k c_{jk}}
        {\sqrt{\left(L \sum_k c_{ik}^2 - (\sum_k c_{ik})^2\right)
               \left(L \sum_k c_{jk}^2 - (\sum_k c_{jk})^2\right)}}

    over the :math:`L` bins of :func:`binned_counts` (numerators in exact integer arithmetic).
    The seed's ``get_synchrony_of_spiking(method='spk-trains-cross-correl', Tbin=2 ms,
    Nmax_pairs=4000)``; equal, pair by pair, to Elephant's ``correlation_coefficient`` of a
    ``BinnedSpikeTrain``.

    Only neurons with non-zero count variance are eligible (a silent neuron has no defined
    correlation). If the eligible neurons form at most ``n_pairs`` distinct pairs, all of them
    are used (no randomness); otherwise ``n_pairs`` pairs are drawn independently, each
    uniformly among the ordered pairs of distinct eligible neurons (with replacement).

    Parameters
    ----------
    bin_ms
        Bin width in ms (default 2, as the seed).
    n_pairs
        Number of pairs, >= 1.
    seed
        Seed of the pair draw (int, SeedSequence or Generator).

    Returns
    -------
    PairCorrelations
        The coefficients (the distribution), the pairs and ``.mean``.
    """
    integer_at_least(n_pairs, "n_pairs", 1)
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    b = positive_float(bin_ms, "bin_ms")
    counts = sparse_counts(s, b)
    L = counts.shape[1]
    sx, sxx = row_moments(counts)
    var_num = L * sxx - sx * sx  # L^2 times the variance of the counts
    eligible = np.flatnonzero(var_num > 0)
    a, c = _draw_pairs(eligible, n_pairs, seed)
    if a.size == 0:
        return PairCorrelations(np.empty(0), np.empty((0, 2), dtype=np.intp), eligible.size, b)
    sxy = np.asarray(counts[a].multiply(counts[c]).sum(axis=1), dtype=np.int64).ravel()
    num = (L * sxy - sx[a] * sx[c]).astype(np.float64)
    rho = num / np.sqrt(var_num[a].astype(np.float64) * var_num[c].astype(np.float64))
    return PairCorrelations(rho, np.stack([a, c], axis=1), eligible.size, b)


def mean_correlation_coefficient(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                                 t_start_ms: Any = None, t_stop_ms: Any = None, *, bin_ms: float = 1.0,
                                 n_candidates: int = 3002, max_trains: int = 2000) -> float:
    r"""Mean Pearson correlation of the binned counts of a block of neurons, as the multi-area
    model computes a population's "correlation coefficient" (Schmidt et al. 2018, PLoS Comput.
    Biol. 14, e1006359).

    .. math::
        \bar\rho = \frac{1}{m(m-1)} \sum_{i \ne j} \rho_{ij}
        = \frac{\sum_k \big(\sum_i z_{ik}\big)^2 - m}{m(m-1)}, \qquad
        z_{ik} = \frac{c_{ik} - \bar c_i}{\sqrt{\sum_l (c_{il} - \bar c_i)^2}}

    with :math:`\rho_{ij}` the coefficients of :func:`pairwise_correlation` (counts
    :math:`c_{ik}` of :func:`binned_counts` in bins of ``bin_ms``) over the :math:`m` selected
    trains. The trains are chosen as the code published with that paper chooses them:

    1. ``first`` = the lowest index of a neuron with a spike among **all** the spikes given
       (a :class:`SpikeTrains`' whole recording, not only the window);
    2. the candidates are the contiguous indices ``first .. first + n_candidates - 1``, cut
       at the population size (that code takes the ids ``first .. first + 3001``, 1000 more
       than the 2000 it keeps, "to ensure" 2000 non-silent ones);
    3. candidates whose count is the same in every bin of the window (silent ones) are dropped;
    4. the first ``max_trains`` remaining ones, in index order, are kept;
    5. the mean of the off-diagonal entries of their correlation matrix (NaN entries would be
       set to 0; none arise, since constant trains were dropped).

    Computed without the :math:`m \times m` matrix, from the sparse counts (the identity
    above), so it costs one pass over the spikes. The published code counts in
    ``np.histogram`` bins, whose last one is closed: a spike exactly at ``t_stop_ms`` is
    counted there and not here.

    Parameters
    ----------
    bin_ms
        Bin width in ms (default 1, as Schmidt et al.).
    n_candidates
        Number of consecutive neuron indices considered, >= 1 (default 3002).
    max_trains
        Number of non-constant trains kept, >= 2 (default 2000).

    Returns
    -------
    float
        :math:`\bar\rho`; NaN if fewer than two trains remain (the published code then skips
        the population).
    """
    n_candidates = integer_at_least(n_candidates, "n_candidates", 1)
    max_trains = integer_at_least(max_trains, "max_trains", 2)
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    b = positive_float(bin_ms, "bin_ms")
    every_sender = spikes.senders if isinstance(spikes, SpikeTrains) else np.asarray(senders)
    if every_sender.size == 0:
        return float("nan")
    first = int(every_sender.min())
    block = sparse_counts(s, b)[first:first + n_candidates]
    L = block.shape[1]
    sx, sxx = row_moments(block)
    var_num = L * sxx - sx * sx  # L^2 times the variance of the counts
    kept = np.flatnonzero(var_num > 0)[:max_trains]
    m = kept.size
    if m < 2:
        return float("nan")
    scale = 1.0 / np.sqrt(var_num[kept].astype(np.float64) / L)  # z_ik = (c_ik - mean_i) * scale_i
    summed_z = block[kept].T @ scale - float(np.dot(sx[kept] / L, scale))
    return float((np.dot(summed_z, summed_z) - m) / (m * (m - 1)))


def sttc(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
         t_start_ms: Any = None, t_stop_ms: Any = None, *, dt_ms: float = 5.0,
         n_pairs: int = 4000, seed: SeedLike = None) -> PairCorrelations:
    r"""Spike time tiling coefficient of random pairs of distinct neurons [CE14]_.

    .. math::
        \mathrm{STTC}_{AB} = \frac12\left(\frac{P_A - T_B}{1 - P_A T_B}
                                     + \frac{P_B - T_A}{1 - P_B T_A}\right)

    :math:`T_A`: fraction of the window within :math:`\pm\Delta t` of a spike of A (the
    union of the tiles, clipped to the window); :math:`P_A`: fraction of the spikes of A with
    a spike of B within :math:`|t_A - t_B| \le \Delta t`. A term whose denominator is 0 is
    replaced by 1, as in Elephant's ``spike_time_tiling_coefficient`` (which the tests match;
    Elephant tests ``|t_A - t_B| \le \Delta t`` with ``np.isclose``, i.e. with an extra
    relative tolerance of ``1e-5 |t_B|``). The seed's ``get_synchrony_of_spiking(method='STTC')``.

    Neurons with at least one spike in the window are eligible; pairs are chosen as in
    :func:`pairwise_correlation`.

    Parameters
    ----------
    dt_ms
        Half-width of the tiles in ms (Elephant's default 5 ms).
    n_pairs, seed
        As for :func:`pairwise_correlation`.
    """
    integer_at_least(n_pairs, "n_pairs", 1)
    dt = positive_float(dt_ms, "dt_ms")
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms, by_sender=True)
    n_spk = spike_counts(s)
    start = np.concatenate([[0], np.cumsum(n_spk)[:-1]])
    eligible = np.flatnonzero(n_spk > 0)
    if s.recorded is not None:
        eligible = eligible[s.recorded[eligible]]
    a, b = _draw_pairs(eligible, n_pairs, seed)
    if a.size == 0:
        return PairCorrelations(np.empty(0), np.empty((0, 2), dtype=np.intp), eligible.size, dt)

    # T: tiled fraction of the window per neuron (tiles of consecutive spikes overlap)
    isi, owner = isis(s)
    tiled = np.bincount(owner, np.minimum(isi, 2 * dt), minlength=s.n_neurons).astype(np.float64)
    last_spike = s.times_ms.size - 1  # >= 0: there are eligible neurons
    first = s.times_ms[np.minimum(start, last_spike)]
    last = s.times_ms[np.minimum(start + n_spk - 1, last_spike)]
    tiled += np.minimum(first - s.t_start_ms, dt) + np.minimum(s.t_stop_ms - last, dt)
    T = tiled / (s.t_stop_ms - s.t_start_ms)  # meaningful for neurons with spikes only

    # P: merge the two trains of every pair, sorted by (pair, time); for every spike the
    # nearest spike of the other train is the previous or the next one of that train
    pair = np.arange(a.size)
    ev_pair = np.concatenate([np.repeat(pair, n_spk[a]), np.repeat(pair, n_spk[b])])
    ev_side = np.concatenate([np.zeros(n_spk[a].sum(), np.int8), np.ones(n_spk[b].sum(), np.int8)])
    ev_idx = np.concatenate([_segments(start[a], n_spk[a]), _segments(start[b], n_spk[b])])
    ev_t = s.times_ms[ev_idx]
    order = np.lexsort((ev_t, ev_pair))
    ev_pair, ev_side, ev_t = ev_pair[order], ev_side[order], ev_t[order]
    m = ev_t.size
    near = np.full(m, np.inf)
    pos = np.arange(m)
    for side in (0, 1):
        other = ev_side != side
        prev = np.maximum.accumulate(np.where(other, pos, -1))
        nxt = np.minimum.accumulate(np.where(other, pos, m)[::-1])[::-1]
        ok_p = (prev >= 0) & (ev_pair[np.maximum(prev, 0)] == ev_pair)
        ok_n = (nxt < m) & (ev_pair[np.minimum(nxt, m - 1)] == ev_pair)
        d_p = np.where(ok_p, ev_t - ev_t[np.maximum(prev, 0)], np.inf)
        d_n = np.where(ok_n, ev_t[np.minimum(nxt, m - 1)] - ev_t, np.inf)
        mine = ev_side == side
        near[mine] = np.minimum(d_p, d_n)[mine]
    hit = near <= dt
    P_a = np.bincount(ev_pair[ev_side == 0], hit[ev_side == 0], minlength=a.size) / n_spk[a]
    P_b = np.bincount(ev_pair[ev_side == 1], hit[ev_side == 1], minlength=a.size) / n_spk[b]

    def term(P: np.ndarray, T_other: np.ndarray) -> np.ndarray:
        den = 1.0 - P * T_other
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den == 0, 1.0, (P - T_other) / den)

    coeff = 0.5 * (term(P_a, T[b]) + term(P_b, T[a]))
    return PairCorrelations(coeff, np.stack([a, b], axis=1), eligible.size, dt)


def _segments(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every (s, n), without a Python loop."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + (np.arange(total) - offsets)


# -------------------------------------------------------------------------------- synchrony


def golomb_chi(signals: Any) -> float:
    r"""Golomb's synchrony measure :math:`\chi` of a set of signals [G01]_.

    .. math::
        \chi^2 = \frac{\operatorname{Var}_t\!\left[\frac1N \sum_i x_i(t)\right]}
                      {\frac1N \sum_i \operatorname{Var}_t\left[x_i(t)\right]}

    (variances over time, ``ddof = 0``). :math:`\chi = 1` for identical signals, about
    :math:`1/\sqrt N` for independent ones. Apply it to membrane potentials
    (``SpikingRecording.state[pop]["V"].values``) or to binned counts.

    Parameters
    ----------
    signals
        ``(n_times, n_units)`` array, finite, ``n_times >= 2``.

    Returns
    -------
    float
        :math:`\chi` in [0, 1]; NaN if every signal is constant.
    """
    x = np.asarray(signals, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ConfigError("signals", x.shape, "must be a (n_times >= 2, n_units >= 1) array")
    if not np.all(np.isfinite(x)):
        raise ConfigError("signals", "non-finite", "must be finite")
    single = x.var(axis=0).mean()
    if single == 0:
        return float("nan")
    return float(np.sqrt(x.mean(axis=1).var() / single))


@dataclass(frozen=True)
class PopulationSynchrony:
    r"""Two synchrony measures of one population's binned spike counts.

    Attributes
    ----------
    count_cv
        CV over bins of the population spike count, :math:`\sigma_C / \bar C` (``ddof = 0``):
        the rsfs study's "asynchrony" (5-ms bins; about :math:`1/\sqrt{\bar C}` for independent
        Poisson neurons, larger when they fire together).
    chi
        Golomb's :math:`\chi` (:func:`golomb_chi`) of the neurons' binned counts.
    bin_ms
        Bin width used.
    n_bins
        Number of bins.
    """

    count_cv: float
    chi: float
    bin_ms: float
    n_bins: int


def population_synchrony(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                         t_start_ms: Any = None, t_stop_ms: Any = None, *,
                         bin_ms: float = 5.0) -> PopulationSynchrony:
    r"""Synchrony of a population from its binned spike counts.

    With :math:`c_{ik}` the counts of :func:`binned_counts` and
    :math:`C_k = \sum_i c_{ik}` the population count in bin :math:`k`:

    .. math::
        \mathrm{CV}_C = \frac{\operatorname{std}_k C_k}{\operatorname{mean}_k C_k}, \qquad
        \chi^2 = \frac{\operatorname{Var}_k (C_k / N)}{\frac1N \sum_i \operatorname{Var}_k c_{ik}}

    (:math:`N` recorded neurons, silent ones included). ``count_cv`` over 350-900 ms in 5-ms
    bins is the rsfs study's "asynchrony". With ``bin_ms=1`` it is the "synchrony" of the
    multi-area model (Schmidt et al. 2018, PLoS Comput. Biol. 14, e1006359): the CV of the
    population spike-count histogram in 1-ms bins (their CV of the population rate, the same
    number, since dividing by :math:`N` and the bin width does not change a CV). Their code
    centres the bins on whole milliseconds, edges at ``t_min + 0.5 + k``: the window
    ``(t_min + 0.5, t_max + 0.5)`` reproduces its bins. Computed from sparse counts.

    Parameters
    ----------
    bin_ms
        Bin width in ms (default 5, as the rsfs study).
    """
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    b = positive_float(bin_ms, "bin_ms")
    counts = sparse_counts(s, b)
    L = counts.shape[1]
    pop = np.asarray(counts.sum(axis=0), dtype=np.float64).ravel()
    mean_pop = pop.mean()
    count_cv = float(pop.std() / mean_pop) if mean_pop > 0 else float("nan")
    sx, sxx = row_moments(counts)
    var_i = (L * sxx - sx * sx) / L**2
    if s.recorded is not None:
        var_i = var_i[s.recorded]
    n = s.n_recorded
    single = var_i.mean() if n else 0.0
    chi = float(np.sqrt((pop / n).var() / single)) if single > 0 else float("nan")
    return PopulationSynchrony(count_cv, chi, b, int(L))
