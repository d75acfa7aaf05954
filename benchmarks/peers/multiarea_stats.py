"""Spike statistics of the multi-area model as the reference analysis defines them (numpy only).

Written for the NEST reference data of netdyn's ``multiarea`` study
(``tests/data/multiarea_nest_reference.json``) and deliberately independent of netdyn's own
analysis code, so that the stored reference does not depend on netdyn being right. The
conventions are those of the analysis that accompanies the model of Schmidt et al. (2018,
PLoS Comput Biol 14:e1006359; the reference implementation's ``analysis_helpers.pop_rate``,
``pop_LvR`` and the correlation script of its notebook):

* **rate** (:func:`population_rate_hz`): spikes with t_min < t < t_max (both ends open)
  divided by N (t_max - t_min) / 1000, N the model's *unrounded* population size; silent
  neurons count.
* **LvR** (:func:`population_lvr`; Shinomoto et al. 2009, PLoS Comput Biol 5:e1000433) per
  neuron from its spikes with t_min <= t < t_max, ISIs I_1..I_n:
  LvR = 3/(n - 1) sum_{k=1}^{n-1} (1 - 4 I_k I_{k+1} / (I_k + I_{k+1})^2) (1 + 4 R / (I_k + I_{k+1})),
  R = 2 ms (the refractory period); a neuron with fewer than 3 spikes in the window has
  LvR 0, and the population mean divides by round(N) (silent neurons count as 0).
* **correlation coefficient** (:func:`population_corrcoef`): the neurons from the first one
  that spikes at all (any time) up to 3000 indices above it; their spike counts in 1-ms
  bins with edges t_min, t_min + 1, ..., t_max (each bin [a, a + 1), the last one closed);
  trains with no spike in the window dropped, the first 2000 kept (by index); the mean of
  the off-diagonal entries of their Pearson correlation matrix, NaN entries as 0. Fewer
  than 2 trains: no value (``nan``).

Spike times are handled in integer simulation steps (NEST's ``iaf_psc_exp`` spikes lie on
the grid), converted to ms as ``steps / steps_per_ms``: the correctly rounded decimal value
the reference analysis reads back from NEST's ASCII output, so window edges compare alike.
"""

from __future__ import annotations

import math

import numpy as np

POPULATION_TYPES = ("23E", "23I", "4E", "4I", "5E", "5I", "6E", "6I")
LVR_R_MS = 2.0
CORR_BIN_MS = 1.0
CORR_MAX_TRAINS = 2000
CORR_ID_SPAN = 3000  # neuron indices first .. first + 3000 (subsample + 1000 in the reference)


def steps_to_ms(steps: np.ndarray, dt_ms: float) -> np.ndarray:
    """Times in ms of ``steps`` (ints) of ``dt_ms``: ``steps / (1/dt)`` when 1/dt is whole."""
    per_ms = 1.0 / dt_ms
    if abs(per_ms - round(per_ms)) < 1e-9:
        return np.asarray(steps, dtype=np.float64) / float(round(per_ms))
    return np.asarray(steps, dtype=np.float64) * dt_ms


def population_rate_hz(times_ms: np.ndarray, n_float: float, t_min: float, t_max: float) -> tuple[float, int]:
    """(rate in spikes/s, spike count) over t_min < t < t_max for a population of size ``n_float``
    (rate NaN for an empty population, e.g. one of an area that was not simulated)."""
    t = np.asarray(times_ms, dtype=np.float64)
    count = int(np.count_nonzero((t > t_min) & (t < t_max)))
    if n_float <= 0:
        return float("nan"), count
    return count / (n_float * (t_max - t_min) / 1000.0), count


def lvr_per_neuron(senders: np.ndarray, times_ms: np.ndarray, t_min: float, t_max: float,
                   r_ms: float = LVR_R_MS) -> tuple[np.ndarray, np.ndarray]:
    """(neuron ids, LvR) of every neuron with a spike in t_min <= t < t_max; 0 below 3 spikes."""
    s = np.asarray(senders, dtype=np.int64)
    t = np.asarray(times_ms, dtype=np.float64)
    keep = (t >= t_min) & (t < t_max)
    s, t = s[keep], t[keep]
    order = np.lexsort((t, s))
    s, t = s[order], t[order]
    ids, first, counts = np.unique(s, return_index=True, return_counts=True)
    lvr = np.zeros(ids.size)
    if s.size < 3:
        return ids, lvr
    isi = np.diff(t)
    same = s[1:] == s[:-1]  # isi[k] belongs to a neuron when both spikes are its own
    a, b = isi[:-1], isi[1:]
    pair = same[:-1] & same[1:]  # consecutive ISIs of one neuron
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        term = (1.0 - 4.0 * a * b / total**2) * (1.0 + 4.0 * r_ms / total)
    owner = np.searchsorted(ids, s[1:-1])  # the neuron of the spike between the two ISIs
    sums = np.bincount(owner[pair], weights=term[pair], minlength=ids.size)
    ok = counts >= 3
    lvr[ok] = 3.0 * sums[ok] / (counts[ok] - 2)  # n ISIs = count - 1, n - 1 = count - 2 pairs
    return ids, lvr


def population_lvr(senders: np.ndarray, times_ms: np.ndarray, n_float: float, t_min: float, t_max: float,
                   r_ms: float = LVR_R_MS) -> float:
    """Population LvR: the sum over neurons divided by max(round(N), neurons with spikes)."""
    ids, lvr = lvr_per_neuron(senders, times_ms, t_min, t_max, r_ms)
    n = max(int(round(float(n_float))), ids.size)
    return float(lvr.sum() / n) if n > 0 else float("nan")


def binned_counts(senders: np.ndarray, times_ms: np.ndarray, neurons: np.ndarray, t_min: float, t_max: float,
                  bin_ms: float = CORR_BIN_MS) -> np.ndarray:
    """``(len(neurons), n_bins)`` spike counts, edges ``np.arange(t_min, t_max + bin, bin)``
    (each bin half-open, the last closed, as ``np.histogram``); ``neurons`` sorted ids."""
    edges = np.arange(t_min, t_max + bin_ms, bin_ms)
    n_bins = edges.size - 1
    s = np.asarray(senders, dtype=np.int64)
    t = np.asarray(times_ms, dtype=np.float64)
    keep = (t >= edges[0]) & (t <= edges[-1]) & np.isin(s, neurons)
    col = np.searchsorted(edges, t[keep], side="right") - 1
    col[col == n_bins] = n_bins - 1
    row = np.searchsorted(neurons, s[keep])
    counts = np.zeros((neurons.size, n_bins))
    np.add.at(counts, (row, col), 1.0)
    return counts


def mean_offdiagonal_pearson(x: np.ndarray) -> float:
    """Mean of the off-diagonal entries of the Pearson correlation matrix of the rows of
    ``x`` (NaN entries, from rows without variance, count as 0), without forming the matrix:
    with z_i the standardised rows (ddof 0) over B columns, r_ij = z_i.z_j / B, so the sum
    over i != j is (|sum_i z_i|^2 - sum_i |z_i|^2) / B."""
    x = np.asarray(x, dtype=np.float64)
    n, n_cols = x.shape
    if n < 2:
        return float("nan")
    sd = x.std(axis=1)
    good = sd > 0  # zero-variance rows give NaN correlations: 0 in the sum
    z = (x[good] - x[good].mean(axis=1, keepdims=True)) / sd[good, None]
    total = z.sum(axis=0)
    off = (total @ total - np.einsum("ij,ij->", z, z)) / n_cols
    return float(off / (n * (n - 1)))


def population_corrcoef(senders: np.ndarray, times_ms: np.ndarray, t_min: float, t_max: float,
                        bin_ms: float = CORR_BIN_MS, max_trains: int = CORR_MAX_TRAINS,
                        id_span: int = CORR_ID_SPAN) -> tuple[float, int]:
    """(mean pairwise correlation coefficient, number of trains used); see the module doc."""
    s = np.asarray(senders, dtype=np.int64)
    if s.size == 0:
        return float("nan"), 0
    first = int(s.min())
    neurons = np.arange(first, first + id_span + 1)
    counts = binned_counts(s, times_ms, neurons, t_min, t_max, bin_ms)
    active = counts.max(axis=1) - counts.min(axis=1) > 1e-16
    trains = counts[active][:max_trains]
    if trains.shape[0] < 2:
        return float("nan"), int(trains.shape[0])
    return mean_offdiagonal_pearson(trains), int(trains.shape[0])


def load_spikes(path) -> dict:
    """The arrays of a ``nest_multiarea.py --spikes-out`` file."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def population_statistics(spikes: dict, t_min: float = 500.0, t_max: float | None = None) -> dict:
    """Per population (model order): ``rate_hz``, ``spike_count`` (in t_min < t < t_max),
    ``lvr``, ``corrcoef``, ``corrcoef_n_trains``; and the network rate over the same window
    (spikes / created neurons / window)."""
    dt = float(spikes["dt_ms"])
    t_max = float(spikes["t_sim_ms"]) if t_max is None else float(t_max)
    names = [str(n) for n in spikes["names"]]
    offsets = spikes["offsets"]
    out = {k: [] for k in ("rate_hz", "spike_count", "lvr", "corrcoef", "corrcoef_n_trains")}
    for p in range(len(names)):
        sl = slice(int(offsets[p]), int(offsets[p + 1]))
        s = spikes["senders"][sl].astype(np.int64)
        t = steps_to_ms(spikes["times_steps"][sl], dt)
        n_float = float(spikes["n_neurons_float"][p])
        rate, count = population_rate_hz(t, n_float, t_min, t_max)
        cc, n_trains = population_corrcoef(s, t, t_min, t_max)
        out["rate_hz"].append(rate)
        out["spike_count"].append(count)
        out["lvr"].append(population_lvr(s, t, n_float, t_min, t_max))
        out["corrcoef"].append(cc)
        out["corrcoef_n_trains"].append(n_trains)
    n_total = int(np.sum(spikes["n_neurons"]))
    out["network_rate_hz"] = sum(out["spike_count"]) / (n_total * (t_max - t_min) / 1000.0)
    out["names"] = names
    return out


def means_over_areas(names: list[str], values) -> dict:
    """Per population type (23E ... 6I): the unweighted mean over the areas that have it of
    the finite ``values`` (TH has no layer 4, so 4E and 4I average 31 areas)."""
    out = {}
    for pop in POPULATION_TYPES:
        xs = [float(v) for n, v in zip(names, values)
              if n.split("/")[1] == pop and v is not None and math.isfinite(v)]
        out[pop] = sum(xs) / len(xs) if xs else float("nan")
    return out
