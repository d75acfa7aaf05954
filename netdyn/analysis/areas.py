"""Area signals of multi-area models: population signals averaged per area, weighted by the
population sizes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

from netdyn.errors import ConfigError

__all__ = ["area_average"]


def area_average(signals: Any, weights: Any, areas: Sequence[str]) -> xr.DataArray:
    r"""Weighted mean of population signals over the populations of each area.

    .. math:: s_A(t) = \frac{\sum_{i \in A} N_i\, s_i(t)}{\sum_{i \in A} N_i}

    With the population sizes :math:`N_i` as weights this is how the multi-area model
    (Schmidt et al. 2018, PLoS Comput. Biol. 14, e1006359) makes area rate time series from
    population rates and area synaptic inputs from population inputs (``np.average`` with
    ``weights=N``). A NaN in one population's signal affects only its own area.

    Parameters
    ----------
    signals
        ``(n_populations, n_times)`` array or DataArray (its first dimension the populations;
        the name and coordinate of the second are kept).
    weights
        ``(n_populations,)`` finite weights >= 0 (the population sizes; may be non-integer),
        with a positive sum in every area.
    areas
        The area of every population, ``n_populations`` labels; areas are returned in the
        order of their first appearance.

    Returns
    -------
    xarray.DataArray
        ``(area, n_times)`` with the area labels as coordinate ``area``.
    """
    x = np.asarray(signals, dtype=np.float64)
    if x.ndim != 2:
        raise ConfigError("signals", x.shape, "must be a (n_populations, n_times) array")
    n_pop = x.shape[0]
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_pop,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ConfigError("weights", w.shape if w.shape != (n_pop,) else "negative or non-finite",
                          f"must be ({n_pop},) finite weights >= 0, one per population")
    labels = np.asarray(areas)
    if labels.shape != (n_pop,):
        raise ConfigError("areas", labels.shape, f"must hold one label per population ({n_pop})")
    names, first, which = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    row = rank[which]
    totals = np.bincount(row, w, minlength=names.size)
    if np.any(totals <= 0):
        raise ConfigError("weights", f"area {names[order][totals <= 0][0]!r}",
                          "the weights of every area must have a positive sum")
    # sparse, so that a NaN signal with weight 0 stays in its own area
    mean_matrix = sp.csr_array((w / totals[row], (row, np.arange(n_pop))), shape=(names.size, n_pop))
    time_dim = signals.dims[1] if isinstance(signals, xr.DataArray) else "time"
    coords = {"area": names[order]}
    if isinstance(signals, xr.DataArray) and time_dim in signals.coords:
        coords[time_dim] = signals.coords[time_dim].values
    return xr.DataArray(mean_matrix @ x, dims=("area", time_dim), coords=coords,
                        attrs=dict(signals.attrs) if isinstance(signals, xr.DataArray) else {})
