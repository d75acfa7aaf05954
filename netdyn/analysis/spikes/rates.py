"""Firing rates: per neuron, population means, active fraction, population rate, binned counts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

from netdyn.analysis.spikes._common import (
    BIN_TOLERANCE,
    as_spikes,
    integer_at_least,
    population_counts,
    sparse_counts,
    spike_counts,
)
from netdyn.errors import ConfigError, positive_float
from netdyn.record.spiking import SpikeTrains

__all__ = ["active_fraction", "binned_counts", "firing_rates", "mean_rate", "population_rate"]

def firing_rates(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                 t_start_ms: Any = None, t_stop_ms: Any = None) -> np.ndarray:
    r"""Firing rate of every neuron over the window, in Hz.

    .. math:: \nu_i = \frac{n_i}{T}, \qquad T = (t_\mathrm{stop} - t_\mathrm{start}) / 1000

    with :math:`n_i` the number of spikes of neuron :math:`i` in ``[t_start_ms, t_stop_ms)``.
    Elephant's ``mean_firing_rate`` counts the closed window ``[t_start, t_stop]``; the two
    differ only by spikes exactly at ``t_stop_ms``.

    Parameters
    ----------
    spikes, senders, n_neurons, t_start_ms, t_stop_ms
        A :class:`SpikeTrains` (window optional), or spike times in ms with their senders,
        the population size and the window in ms (see the module docstring).

    Returns
    -------
    numpy.ndarray
        ``(n_neurons,)`` rates in Hz; NaN for neurons that were not recorded.
    """
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    return s.mask_unrecorded(spike_counts(s) / s.duration_s)


def mean_rate(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
              t_start_ms: Any = None, t_stop_ms: Any = None, *, n_model: float | None = None) -> float:
    r"""Population-averaged firing rate over the window, in Hz.

    .. math:: \bar\nu = \frac{\sum_i n_i}{N\, T}

    with :math:`N` the number of recorded neurons (silent ones included), or ``n_model``; this
    is the "population rate in a window" of the rsfs study's tables, and with ``n_model`` the
    population rate of the multi-area model (Schmidt et al. 2018), which divides by the model's
    non-integer population size. Arguments as in :func:`firing_rates`.

    Parameters
    ----------
    n_model
        Population size to divide by instead of the number of recorded neurons, > 0; may be
        non-integer (a model size such as 47386.69 of which ``int()`` neurons were built).
    """
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    n = s.n_recorded if n_model is None else positive_float(n_model, "n_model")
    if n == 0:
        return float("nan")
    return float(s.times_ms.size / (n * s.duration_s))


def active_fraction(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                    t_start_ms: Any = None, t_stop_ms: Any = None, *, min_spikes: int = 1) -> float:
    r"""Fraction of the recorded neurons that fire at least ``min_spikes`` spikes in the window.

    .. math:: f = \frac{\#\{i : n_i \ge n_\mathrm{min}\}}{N_\mathrm{rec}}

    Arguments as in :func:`firing_rates`; ``min_spikes`` is an integer >= 1.
    """
    integer_at_least(min_spikes, "min_spikes", 1)
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    if s.n_recorded == 0:
        return float("nan")
    return float(np.count_nonzero(spike_counts(s) >= min_spikes) / s.n_recorded)


def population_rate(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                    t_start_ms: Any = None, t_stop_ms: Any = None, *, bin_ms: float,
                    n_model: float | None = None) -> xr.DataArray:
    r"""Population rate in bins of ``bin_ms``, in Hz.

    .. math:: r_k = \frac{C_k}{N\, b / 1000}

    with :math:`C_k` the number of spikes of the population in bin :math:`k` (binning as in
    the module docstring), :math:`b` = ``bin_ms`` and :math:`N` the number of recorded neurons
    or ``n_model``.

    With ``bin_ms=1`` and ``n_model`` the non-integer model size this is the 1-ms histogram
    rate of the multi-area model (Schmidt et al. 2018), the input of
    :func:`netdyn.analysis.synaptic_input`. Their published code centres the bins on whole
    milliseconds (edges ``t_min + 0.5 + k``): the window ``(t_min + 0.5, t_max + 0.5)``
    reproduces its bins.

    Parameters
    ----------
    bin_ms
        Bin width in ms.
    n_model
        Population size to divide by instead of the number of recorded neurons, > 0; may be
        non-integer.

    Returns
    -------
    xarray.DataArray
        ``(time_ms,)``, ``time_ms`` the start of each bin; ``attrs``: ``units = "Hz"``,
        ``bin_ms``; the layout of :attr:`SpikingRecording.population_rates`.
    """
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    b = positive_float(bin_ms, "bin_ms")
    counts = population_counts(s, b)
    n = s.n_recorded if n_model is None else positive_float(n_model, "n_model")
    rate = counts / (n * b * 1e-3) if n else np.full(counts.size, np.nan)
    return xr.DataArray(rate, dims="time_ms",
                        coords={"time_ms": s.t_start_ms + b * np.arange(counts.size)},
                        attrs={"units": "Hz", "bin_ms": b})


def binned_counts(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                  t_start_ms: Any = None, t_stop_ms: Any = None, *, bin_ms: float,
                  sparse: bool = False, max_dense_bytes: int = 2**30) -> np.ndarray | sp.csr_array:
    r"""Spike counts per neuron and bin of ``bin_ms``.

    :math:`c_{ik} = \#\{\text{spikes of } i \text{ in } [t_\mathrm{start} + k b,\;
    t_\mathrm{start} + (k+1) b)\}`, :math:`k = 0 .. \lfloor T/b \rfloor - 1`: Elephant's
    ``BinnedSpikeTrain`` convention (module docstring), so ``binned_counts(...)`` equals
    ``BinnedSpikeTrain(trains, bin_size=b, t_start, t_stop).to_array()``.

    Parameters
    ----------
    bin_ms
        Bin width in ms.
    sparse
        Return a ``scipy.sparse.csr_array`` (memory proportional to the number of spikes: the
        choice for 1e5 neurons) instead of a dense array.
    max_dense_bytes
        A dense result larger than this (4 bytes per entry) raises :class:`ConfigError`
        instead of exhausting memory; default 1 GiB.

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array
        ``(n_neurons, n_bins)`` int32 counts; rows of unrecorded neurons are zero.
    """
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    b = positive_float(bin_ms, "bin_ms")
    if not sparse:
        n_bins = int(math.floor((s.t_stop_ms - s.t_start_ms) / b + BIN_TOLERANCE))
        need = 4 * s.n_neurons * max(n_bins, 1)
        if need > max_dense_bytes:
            raise ConfigError("sparse", sparse,
                              f"a dense ({s.n_neurons}, {n_bins}) count matrix needs "
                              f"{need / 2**30:.2f} GiB > max_dense_bytes = {max_dense_bytes}; "
                              "pass sparse=True")
    counts = sparse_counts(s, b)
    return counts if sparse else counts.toarray()
