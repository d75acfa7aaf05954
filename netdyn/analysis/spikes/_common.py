"""What every spike statistic shares: the two input forms, the window, sorting, binning."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikeTrains

#: Elephant's ``BinnedSpikeTrain`` tolerance, in units of one bin.
BIN_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Spikes:
    """The validated spikes of one population inside the analysis window."""

    times_ms: np.ndarray  # float64; sorted by (sender, time) when by_sender was asked
    senders: np.ndarray  # intp
    n_neurons: int
    t_start_ms: float
    t_stop_ms: float
    recorded: np.ndarray | None  # bool mask over neurons; None: all recorded

    @property
    def duration_s(self) -> float:
        return (self.t_stop_ms - self.t_start_ms) * 1e-3

    @property
    def n_recorded(self) -> int:
        return self.n_neurons if self.recorded is None else int(self.recorded.sum())

    def mask_unrecorded(self, per_neuron: np.ndarray) -> np.ndarray:
        if self.recorded is not None:
            per_neuron[~self.recorded] = np.nan
        return per_neuron


def integer_at_least(value: Any, field: str, least: int) -> int:
    """``int(value)`` if it is an integer (not a bool) >= ``least``, else :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ConfigError(field, value, f"must be an integer >= {least}")
    return int(value)


def window_value(value: Any, field: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, value, "must be a finite time in ms") from None
    if not math.isfinite(v):
        raise ConfigError(field, value, "must be a finite time in ms")
    return v


def as_spikes(
    spikes: SpikeTrains | Any,
    senders: Any,
    n_neurons: Any,
    t_start_ms: Any,
    t_stop_ms: Any,
    *,
    by_sender: bool = False,
) -> Spikes:
    """Validate either input form, cut the window and optionally sort by (sender, time)."""
    recorded = None
    if isinstance(spikes, SpikeTrains):
        if senders is not None or n_neurons is not None:
            raise ConfigError("senders" if senders is not None else "n_neurons", "given",
                              "must be omitted when a SpikeTrains is passed (it carries them)")
        lo = spikes.t_start_ms if t_start_ms is None else window_value(t_start_ms, "t_start_ms")
        hi = spikes.t_stop_ms if t_stop_ms is None else window_value(t_stop_ms, "t_stop_ms")
        if lo < spikes.t_start_ms or hi > spikes.t_stop_ms:
            field = "t_start_ms" if lo < spikes.t_start_ms else "t_stop_ms"
            raise ConfigError(field, lo if field == "t_start_ms" else hi,
                              f"the window must lie inside the recorded interval "
                              f"[{spikes.t_start_ms:g}, {spikes.t_stop_ms:g}) ms")
        times, send, n = spikes.times_ms, spikes.senders, spikes.n_neurons
        if spikes.recorded is not None:
            rec = np.asarray(spikes.recorded)
            if rec.size and (rec.min() < 0 or rec.max() >= n):
                raise ConfigError("recorded", rec, f"indices must lie in [0, {n})")
            recorded = np.zeros(n, dtype=bool)
            recorded[rec] = True
    else:
        if t_start_ms is None or t_stop_ms is None:
            raise ConfigError("t_start_ms" if t_start_ms is None else "t_stop_ms", None,
                              "is required with plain arrays (the analysis window in ms)")
        lo, hi = window_value(t_start_ms, "t_start_ms"), window_value(t_stop_ms, "t_stop_ms")
        n = integer_at_least(n_neurons, "n_neurons", 1)
        try:
            times = np.asarray(spikes, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError("times_ms", type(spikes).__name__,
                              "must be a SpikeTrains or a 1-D array of spike times in ms") from None
        if times.ndim != 1:
            raise ConfigError("times_ms", times.shape, "must be a 1-D array of spike times in ms")
        if not np.all(np.isfinite(times)):
            raise ConfigError("times_ms", "non-finite", "spike times must be finite")
        send = np.asarray(senders)
        if send.shape != times.shape:
            raise ConfigError("senders", send.shape, f"must have the shape of times_ms {times.shape}")
        if send.size and not np.issubdtype(send.dtype, np.integer):
            raise ConfigError("senders", send.dtype, "must be integer neuron indices")
        if send.size and (send.min() < 0 or send.max() >= n):
            raise ConfigError("senders", int(send.max() if send.max() >= n else send.min()),
                              f"indices must lie in [0, {n})")
    if not hi > lo:
        raise ConfigError("t_stop_ms", hi, f"must be > t_start_ms = {lo:g}")

    sorted_in_time = times.size < 2 or bool(np.all(times[1:] >= times[:-1]))
    if sorted_in_time:
        a, b = np.searchsorted(times, [lo, hi], side="left")
        times, send = times[a:b], send[a:b]
    else:
        keep = (times >= lo) & (times < hi)
        times, send = times[keep], send[keep]
    send = send.astype(np.intp, copy=False)
    if by_sender and times.size:
        if not sorted_in_time:
            order = np.argsort(times)
            times, send = times[order], send[order]
        order = stable_order(send, n)
        times, send = times[order], send[order]
    return Spikes(times, send, n, float(lo), float(hi), recorded)


def stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """``argsort(keys, kind="stable")`` for integer keys in ``[0, n_keys)``.

    Sorting the unique int64 ``key * size + position`` with numpy's SIMD quicksort is about
    5x faster than the stable merge sort for 1e7 spikes.
    """
    size = keys.size
    if n_keys * size >= 2**62:
        return np.argsort(keys, kind="stable")
    return np.sort(keys.astype(np.int64) * size + np.arange(size)) % size


def spike_counts(s: Spikes) -> np.ndarray:
    return np.bincount(s.senders, minlength=s.n_neurons)


def bin_index(s: Spikes, bin_ms: float, field: str = "bin_ms") -> tuple[int, np.ndarray]:
    """Number of whole bins and the bin of every spike of ``s`` (those in the partial bin
    dropped); a bin longer than the window is a :class:`ConfigError` naming ``field``."""
    n_bins = int(math.floor((s.t_stop_ms - s.t_start_ms) / bin_ms + BIN_TOLERANCE))
    if n_bins < 1:
        raise ConfigError(field, bin_ms,
                          f"must not exceed the window length {s.t_stop_ms - s.t_start_ms:g} ms")
    idx = np.floor((s.times_ms - s.t_start_ms) / bin_ms + BIN_TOLERANCE).astype(np.intp)
    return n_bins, idx


def population_counts(s: Spikes, bin_ms: float, field: str = "bin_ms") -> np.ndarray:
    """Spikes of the whole population in every whole bin of ``bin_ms`` (int64)."""
    n_bins, idx = bin_index(s, bin_ms, field)
    return np.bincount(idx[idx < n_bins], minlength=n_bins)


def sparse_counts(s: Spikes, bin_ms: float) -> sp.csr_array:
    n_bins, idx = bin_index(s, bin_ms)
    keep = idx < n_bins
    rows, cols = s.senders[keep], idx[keep]
    return sp.csr_array((np.ones(rows.size, dtype=np.int32), (rows, cols)),
                        shape=(s.n_neurons, n_bins), dtype=np.int32)


def row_moments(counts: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Per row: sum of counts and sum of squared counts (exact int64)."""
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    data = counts.data.astype(np.int64)
    n = counts.shape[0]
    return (np.bincount(rows, data, minlength=n).astype(np.int64),
            np.bincount(rows, data * data, minlength=n).astype(np.int64))


def isis(s: Spikes) -> tuple[np.ndarray, np.ndarray]:
    """Inter-spike intervals (ms) and their owners, grouped by neuron, in time order."""
    same = s.senders[1:] == s.senders[:-1]
    return np.diff(s.times_ms)[same], s.senders[1:][same]
