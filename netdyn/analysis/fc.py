r"""Synaptic-input signals of a network of populations and the functional connectivity (FC)
of its areas, as in Schmidt et al. (2018), and the agreement of two FC matrices.

The pipeline of the multi-area model: population rates
(:func:`~netdyn.analysis.population_rate` in 1-ms bins, divided by the model size) ->
:func:`synaptic_input` of every population -> :func:`~netdyn.analysis.area_average` weighted
by the population sizes -> :func:`functional_connectivity` -> :func:`fc_correlation` with an
experimental FC (resting-state fMRI, Babapoor-Farrokhran et
al. 2013).

References
----------
.. [S18] M. Schmidt, R. Bakker, K. Shen, G. Bezgin, M. Diesmann, S. J. van Albada (2018),
   "A multi-scale layer-resolved spiking network model of resting-state dynamics in macaque
   visual cortical areas", PLoS Comput. Biol. 14, e1006359.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from netdyn.errors import ConfigError, positive_float

__all__ = ["fc_correlation", "functional_connectivity", "synaptic_input"]


def _finite_matrix(value: Any, field: str) -> np.ndarray:
    x = np.asarray(value, dtype=np.float64)
    if x.ndim != 2 or 0 in x.shape:
        raise ConfigError(field, x.shape, "must be a non-empty 2-D array")
    if not np.all(np.isfinite(x)):
        raise ConfigError(field, "non-finite", "must be finite")
    return x


def synaptic_input(rates_hz: Any, indegrees: Any, weights: Any, *, tau_s_ms: float = 0.5,
                   kernel_ms: float = 20.0, dt_ms: float = 1.0) -> np.ndarray:
    r"""Synaptic input of every target population from the rates of all source populations
    [S18]_.

    .. math::
        I_i(t_k) = \sum_m \kappa_m\, D_i(t_{k + s - m}), \qquad
        D_i(t) = \sum_j |W_{ij}|\, K_{ij}\, r_j(t), \qquad
        \kappa_m = e^{-m\, \Delta t / \tau_s}, \; m = 0 .. M-1

    with :math:`M` the number of samples of ``numpy.arange(0, kernel_ms, dt_ms)``, :math:`s =
    \lfloor (M-1)/2 \rfloor` and zeros outside the signal: ``numpy.convolve(kappa, D_i,
    mode='same')`` (for at least :math:`M` samples), as the code published with [S18]_.
    The 'same' mode centres the kernel, so :math:`I` leads the causal synaptic filter by
    :math:`s\,\Delta t` (9 ms for the defaults), a shift common to all signals that leaves
    their zero-lag correlations (:func:`functional_connectivity`) unchanged but for the ends;
    the kernel is not normalised (its sum is about 1.156 for the defaults).

    Units: with rates in spikes/s and weights in pA, :math:`I` is in pA spikes/s (times the
    dimensionless kernel); only its correlations are used.

    Parameters
    ----------
    rates_hz
        ``(n_sources, n_times)`` rates sampled every ``dt_ms`` (finite).
    indegrees
        ``(n_targets, n_sources)`` mean number of inputs :math:`K_{ij}` a neuron of target
        :math:`i` receives from source :math:`j` (>= 0).
    weights
        ``(n_targets, n_sources)`` synaptic weights :math:`W_{ij}`; their absolute values
        are used, so inhibition adds to the input.
    tau_s_ms
        Synaptic time constant :math:`\tau_s` in ms (default 0.5).
    kernel_ms
        Length of the kernel in ms (default 20).
    dt_ms
        Sampling period :math:`\Delta t` of the rates in ms (default 1).

    Returns
    -------
    numpy.ndarray
        ``(n_targets, n_times)`` synaptic inputs.
    """
    r = _finite_matrix(rates_hz, "rates_hz")
    K = _finite_matrix(indegrees, "indegrees")
    W = _finite_matrix(weights, "weights")
    if K.shape[1] != r.shape[0]:
        raise ConfigError("indegrees", K.shape, f"must have one column per source population "
                          f"(the {r.shape[0]} rows of rates_hz)")
    if W.shape != K.shape:
        raise ConfigError("weights", W.shape, f"must have the shape of indegrees {K.shape}")
    if np.any(K < 0):
        raise ConfigError("indegrees", "negative", "must be >= 0")
    tau = positive_float(tau_s_ms, "tau_s_ms")
    dt = positive_float(dt_ms, "dt_ms")
    length = positive_float(kernel_ms, "kernel_ms")
    kernel = np.exp(-np.arange(0.0, length, dt) / tau)
    drive = (np.abs(W) * K) @ r
    n_times = r.shape[1]
    full = np.zeros((drive.shape[0], n_times + kernel.size - 1))
    for lag, weight in enumerate(kernel):  # a direct convolution, one pass per kernel sample
        full[:, lag:lag + n_times] += weight * drive
    shift = (kernel.size - 1) // 2
    return full[:, shift:shift + n_times]


def functional_connectivity(signals: Any) -> np.ndarray:
    r"""Pearson correlation matrix of a set of signals: the functional connectivity of the
    areas of the multi-area model when applied to their synaptic inputs [S18]_.

    .. math::
        \mathrm{FC}_{AB} = \frac{\sum_t (s_A(t) - \bar s_A)(s_B(t) - \bar s_B)}
        {\sqrt{\sum_t (s_A(t) - \bar s_A)^2 \sum_t (s_B(t) - \bar s_B)^2}}

    (``numpy.corrcoef``; the code of [S18]_ computes ``1 - pdist(s, 'correlation')``, the same
    matrix), made exactly symmetric. Unit diagonal; a constant signal has NaN correlations.

    Parameters
    ----------
    signals
        ``(n_signals, n_times)`` finite, ``n_times >= 2`` (e.g. :func:`~netdyn.analysis.area_average` of
        :func:`synaptic_input`).

    Returns
    -------
    numpy.ndarray
        ``(n_signals, n_signals)``.
    """
    x = _finite_matrix(signals, "signals")
    if x.shape[1] < 2:
        raise ConfigError("signals", x.shape, "must have at least 2 samples per signal")
    with np.errstate(invalid="ignore", divide="ignore"):
        fc = np.atleast_2d(np.corrcoef(x))
    return (fc + fc.T) / 2  # exactly symmetric (the products of corrcoef differ in the last bit)


def fc_correlation(fc: Any, other: Any, *, diagonal: Literal["exclude", "zero"] = "exclude") -> float:
    r"""Pearson correlation between the entries of two functional-connectivity matrices.

    .. math::
        r = \frac{\sum_{A \ne B} (F_{AB} - \bar F)(G_{AB} - \bar G)}
        {\sqrt{\sum_{A \ne B} (F_{AB} - \bar F)^2 \sum_{A \ne B} (G_{AB} - \bar G)^2}}

    over the off-diagonal entries (means over them too); for symmetric matrices the same as
    over the upper triangle. ``diagonal="zero"`` instead correlates all :math:`n^2` entries
    with the diagonals set to 0, as the figure code of Schmidt et al. 2018 [S18]_ compares
    simulated with experimental FC (``np.corrcoef`` of the flattened matrices); the shared
    zeros raise :math:`r`.

    Parameters
    ----------
    fc, other
        ``(n, n)`` matrices, ``n >= 3``, with finite off-diagonal entries (drop areas whose
        signal was constant first).
    diagonal
        ``"exclude"`` (default) or ``"zero"``.

    Returns
    -------
    float
        :math:`r`; NaN if the entries of either matrix are all equal.
    """
    a, b = np.asarray(fc, dtype=np.float64), np.asarray(other, dtype=np.float64)
    for field, x in (("fc", a), ("other", b)):
        if x.ndim != 2 or x.shape[0] != x.shape[1] or x.shape[0] < 3:
            raise ConfigError(field, x.shape, "must be a square (n, n) matrix with n >= 3")
    if b.shape != a.shape:
        raise ConfigError("other", b.shape, f"must have the shape of fc {a.shape}")
    off = ~np.eye(a.shape[0], dtype=bool)
    for field, x in (("fc", a), ("other", b)):
        if not np.all(np.isfinite(x[off])):
            raise ConfigError(field, "non-finite", "off-diagonal entries must be finite")
    if diagonal == "exclude":
        x, y = a[off], b[off]
    elif diagonal == "zero":
        x, y = np.where(off, a, 0.0).ravel(), np.where(off, b, 0.0).ravel()
    else:
        raise ConfigError("diagonal", diagonal, "must be 'exclude' or 'zero'")
    x, y = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y)))
    return float(np.dot(x, y) / denominator) if denominator > 0 else float("nan")
