"""Helpers shared by the peer scripts (run under the peers' own interpreters: numpy only).

The peer scripts run under Brian2's and NEST's virtual environments, which do not have
netdyn installed, so the few statistics they report are computed here with plain numpy.
Times are in ms, rates in Hz (spikes/s).
"""

from __future__ import annotations

import importlib.util
import json
import math
import resource
from pathlib import Path
from types import ModuleType

import numpy as np


def netdyn_model_module(name: str) -> ModuleType:
    """``netdyn/models/<name>.py`` (a numpy-only module) loaded by its path, so that a peer is
    given exactly the numbers netdyn builds its network from, without netdyn installed."""
    path = Path(__file__).resolve().parents[2] / "netdyn" / "models" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"netdyn_models_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident set size in MiB of this process (or the larger of it and its children)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if children:
        own = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return own / 1024.0  # ru_maxrss is in KiB on Linux


def population_rate_hz(times_ms: np.ndarray, n_neurons: int, t0_ms: float, t1_ms: float) -> float:
    """Mean rate (Hz) of a population of ``n_neurons`` counting spikes with t0 <= t < t1 (ms)."""
    if n_neurons == 0 or t1_ms <= t0_ms:
        return float("nan")
    count = np.count_nonzero((times_ms >= t0_ms) & (times_ms < t1_ms))
    return float(count / n_neurons / ((t1_ms - t0_ms) * 1e-3))


def _window(senders: np.ndarray, times_ms: np.ndarray, t0_ms: float, t1_ms: float):
    keep = (times_ms >= t0_ms) & (times_ms < t1_ms)
    return senders[keep], times_ms[keep]


def cv_isi(senders: np.ndarray, times_ms: np.ndarray, t0_ms: float, t1_ms: float, min_isis: int = 3) -> tuple[float, int]:
    """Mean over neurons with at least ``min_isis`` ISIs in [t0, t1) of std(ISI)/mean(ISI).

    ``senders`` are neuron indices local to the population. Returns (mean CV, number of
    neurons that qualified); the CV is NaN when no neuron qualifies.
    """
    s, t = _window(np.asarray(senders), np.asarray(times_ms, dtype=float), t0_ms, t1_ms)
    if s.size == 0:
        return float("nan"), 0
    order = np.lexsort((t, s))
    s, t = s[order], t[order]
    isi = np.diff(t)
    same = s[1:] == s[:-1]
    isi, owner = isi[same], s[1:][same]
    if isi.size == 0:
        return float("nan"), 0
    ids, inverse, counts = np.unique(owner, return_inverse=True, return_counts=True)
    total = np.bincount(inverse, weights=isi)
    total2 = np.bincount(inverse, weights=isi * isi)
    ok = counts >= min_isis
    if not np.any(ok):
        return float("nan"), 0
    mean = total[ok] / counts[ok]
    var = total2[ok] / counts[ok] - mean**2
    cv = np.sqrt(np.maximum(var, 0.0)) / mean
    return float(np.mean(cv)), int(np.count_nonzero(ok))


def mean_pairwise_correlation(senders: np.ndarray, times_ms: np.ndarray, t0_ms: float, t1_ms: float,
                               bin_ms: float = 5.0, n_pairs: int = 200, seed: int = 0) -> tuple[float, int]:
    """Mean Pearson correlation of spike counts in ``bin_ms`` bins over random distinct pairs.

    Pairs are drawn uniformly (without repetition of a pair where possible) among the
    neurons that fire at least once in [t0, t1), so every count vector has a non-zero
    variance. Returns (mean correlation, number of pairs used).
    """
    s, t = _window(np.asarray(senders), np.asarray(times_ms, dtype=float), t0_ms, t1_ms)
    active = np.unique(s)
    if active.size < 2:
        return float("nan"), 0
    rng = np.random.default_rng(seed)
    n_bins = int(math.floor((t1_ms - t0_ms) / bin_ms))
    n_all = active.size * (active.size - 1) // 2
    n_use = min(n_pairs, n_all)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n_use:
        a, b = rng.choice(active.size, size=2, replace=False)
        pairs.add((min(a, b), max(a, b)))
    chosen = np.array(sorted(pairs))
    members = active[np.unique(chosen)]  # sorted neuron ids that appear in a pair
    counts = np.zeros((members.size, n_bins))
    sel = np.isin(s, members)
    rows = np.searchsorted(members, s[sel])
    bins = np.floor((t[sel] - t0_ms) / bin_ms).astype(int)
    ok = bins < n_bins
    np.add.at(counts, (rows[ok], bins[ok]), 1.0)
    a_rows = np.searchsorted(members, active[chosen[:, 0]])
    b_rows = np.searchsorted(members, active[chosen[:, 1]])
    x, y = counts[a_rows], counts[b_rows]
    sx, sy = x.std(axis=1), y.std(axis=1)
    good = (sx > 0) & (sy > 0)
    cov = np.mean((x - x.mean(axis=1, keepdims=True)) * (y - y.mean(axis=1, keepdims=True)), axis=1)
    corr = (cov[good] / (sx[good] * sy[good])).tolist()
    if not corr:
        return float("nan"), 0
    return float(np.mean(corr)), len(corr)


def coba_statistics(senders: np.ndarray, times_ms: np.ndarray, n_exc: int, n_inh: int, duration_ms: float,
                    discard_ms: float = 100.0) -> dict:
    """Rates and CV of ISI of the COBA network (E = indices < n_exc, I = the rest)."""
    senders = np.asarray(senders)
    times_ms = np.asarray(times_ms, dtype=float)
    n = n_exc + n_inh
    exc = senders < n_exc
    t0 = min(discard_ms, duration_ms)
    cv_e, n_cv_e = cv_isi(senders[exc], times_ms[exc], t0, duration_ms)
    cv_i, n_cv_i = cv_isi(senders[~exc] - n_exc, times_ms[~exc], t0, duration_ms)
    return {
        "mean_rate_hz": population_rate_hz(times_ms, n, 0.0, duration_ms),
        "rate_window_ms": [t0, duration_ms],
        "rate_exc_hz": population_rate_hz(times_ms[exc], n_exc, t0, duration_ms),
        "rate_inh_hz": population_rate_hz(times_ms[~exc], n_inh, t0, duration_ms),
        "cv_isi_exc": cv_e,
        "cv_isi_inh": cv_i,
        "cv_isi_n_exc": n_cv_e,
        "cv_isi_n_inh": n_cv_i,
        "cv_isi_rule": "mean over neurons with >= 3 ISIs in the rate window of std(ISI)/mean(ISI)",
        "n_spikes": int(senders.size),
    }


def finite_or_none(value):
    """JSON has no NaN: map non-finite floats to None, recursively."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def print_json(record: dict) -> None:
    """Print ``record`` as ONE JSON line on stdout (the last line the caller parses)."""
    print(json.dumps(finite_or_none(record)), flush=True)
