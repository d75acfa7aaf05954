"""Irregularity of spike trains: CV of inter-spike intervals, local variation LV and LvR
(Shinomoto et al. 2003, 2009)."""

from __future__ import annotations

from typing import Any

import numpy as np

from netdyn.analysis.spikes._common import Spikes, as_spikes, integer_at_least, isis
from netdyn.errors import ConfigError, nonnegative_float, positive_float
from netdyn.record.spiking import SpikeTrains

__all__ = ["isi_cv", "lv", "lvr", "mean_isi_cv", "population_lvr"]

def isi_cv(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
           t_start_ms: Any = None, t_stop_ms: Any = None, *, min_isis: int = 3) -> np.ndarray:
    r"""Coefficient of variation of the inter-spike intervals of every neuron.

    .. math:: \mathrm{CV}_i = \frac{\sqrt{\frac1n \sum_k (I_k - \bar I)^2}}{\bar I}

    over the :math:`n` intervals :math:`I_k` between consecutive spikes of neuron :math:`i`
    inside the window (population standard deviation, ``ddof = 0``, as ``scipy.stats.variation``
    and Elephant's ``cv``). CV = 0 for a regular train, 1 for a Poisson process.

    Parameters
    ----------
    min_isis
        Neurons with fewer intervals get NaN. Default 3, the rule behind the rsfs figures
        ("neurons with >= 3 ISIs"; ``ntwk``'s ``get_CV_spiking``: "more than 2 ISIs"). At least 1.

    Returns
    -------
    numpy.ndarray
        ``(n_neurons,)``; NaN where a neuron has fewer than ``min_isis`` intervals or was not
        recorded.
    """
    k = integer_at_least(min_isis, "min_isis", 1)
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms, by_sender=True)
    isi, owner = isis(s)
    n = np.bincount(owner, minlength=s.n_neurons)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(owner, isi, minlength=s.n_neurons) / n
        var = np.bincount(owner, (isi - mean[owner]) ** 2, minlength=s.n_neurons) / n
        cv = np.sqrt(var) / mean
    cv[n < k] = np.nan
    return s.mask_unrecorded(cv)


def mean_isi_cv(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                t_start_ms: Any = None, t_stop_ms: Any = None, *, min_isis: int = 3) -> float:
    r"""Mean of :func:`isi_cv` over the neurons with at least ``min_isis`` intervals.

    The "CV of ISI" of the rsfs study and of ``ntwk``'s ``get_CV_spiking``. NaN when no neuron qualifies.
    """
    cv = isi_cv(spikes, senders, n_neurons, t_start_ms, t_stop_ms, min_isis=min_isis)
    ok = np.isfinite(cv)
    return float(cv[ok].mean()) if ok.any() else float("nan")


def _refractoriness(R_ms: Any) -> float:
    return nonnegative_float(R_ms, "R_ms")


def _lvr_values(s: Spikes, R: float) -> tuple[np.ndarray, np.ndarray]:
    """LvR of every neuron of ``s`` (sorted by sender; NaN where it has fewer than two
    intervals) and its number of intervals."""
    isi, owner = isis(s)
    n = np.bincount(owner, minlength=s.n_neurons)
    pair = owner[1:] == owner[:-1]
    a, b, who = isi[:-1][pair], isi[1:][pair], owner[1:][pair]
    # a / t and b / t never overflow (a b or t^2 could); 4 R / t is inf for intervals below
    # ~1e-308 R, the formula's limit there; 0 / 0 (coincident spikes) is NaN
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        t = a + b
        term = (1.0 - 4.0 * (a / t) * (b / t)) * (1.0 + 4.0 * R / t)
        out = 3.0 * np.bincount(who, term, minlength=s.n_neurons) / (n - 1)
    out[n < 2] = np.nan
    return out, n


def lvr(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
        t_start_ms: Any = None, t_stop_ms: Any = None, *, R_ms: float = 5.0,
        min_isis: int = 3) -> np.ndarray:
    r"""Revised local variation LvR of the inter-spike intervals of every neuron [S09]_.

    .. math::
        \mathrm{LvR}_i = \frac{3}{n-1} \sum_{k=1}^{n-1}
        \left(1 - \frac{4 I_k I_{k+1}}{(I_k + I_{k+1})^2}\right)
        \left(1 + \frac{4 R}{I_k + I_{k+1}}\right)

    over the :math:`n` consecutive intervals of neuron :math:`i` in the window; the
    refractoriness constant :math:`R` = ``R_ms`` (Shinomoto et al. 2009 use 5 ms, Elephant's
    ``lvr`` default) removes the bias of the refractory period. ``R_ms = 0`` gives
    :func:`lv`. For a regular train LvR = 0 at ``R_ms = 0``; for a Poisson process of rate
    :math:`\nu` (1/ms) its expectation is exactly :math:`1 + 4 R \nu` (with
    :math:`I_k + I_{k+1} \sim \Gamma(2, \nu)` independent of the uniform
    :math:`I_k / (I_k + I_{k+1})`).

    Parameters
    ----------
    R_ms
        Refractoriness constant in ms, >= 0.
    min_isis
        Neurons with fewer intervals get NaN; default 3 as for :func:`isi_cv`; at least 2.

    Returns
    -------
    numpy.ndarray
        ``(n_neurons,)``; NaN where a neuron has fewer than ``min_isis`` intervals or was not
        recorded.
    """
    R = _refractoriness(R_ms)
    k = integer_at_least(min_isis, "min_isis", 2)
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms, by_sender=True)
    out, n = _lvr_values(s, R)
    out[n < k] = np.nan
    return s.mask_unrecorded(out)


def population_lvr(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                   t_start_ms: Any = None, t_stop_ms: Any = None, *, R_ms: float = 5.0,
                   n_model: float | None = None) -> float:
    r"""Population mean of :func:`lvr` with neurons of fewer than three spikes counted as 0.

    .. math::
        \overline{\mathrm{LvR}} = \frac{1}{\mathrm{round}(N_\mathrm{model})}
        \sum_{i \,\mathrm{recorded},\; n_i \ge 2} \mathrm{LvR}_i

    with :math:`n_i` the number of intervals of neuron :math:`i` in the window and
    :math:`N_\mathrm{model}` = ``n_model`` (default: the number of recorded neurons). The
    value of :func:`lvr` (``min_isis=2``) is used unchanged; every recorded neuron with fewer
    than two intervals (fewer than three spikes; silent ones included) contributes 0, and the
    population is padded with zeros up to ``round(n_model)`` neurons (Python's ``round``, half
    to even). This is the "irregularity" of the multi-area model (Schmidt et al. 2018, PLoS
    Comput. Biol. 14, e1006359), which uses ``R_ms = 2`` (the refractory period) and the
    non-integer model size as ``n_model``; Shinomoto et al. 2009 [S09]_ use R = 5 ms.

    Parameters
    ----------
    R_ms
        Refractoriness constant in ms, >= 0 (as :func:`lvr`).
    n_model
        Population size to average over, > 0, may be non-integer; ``round(n_model)`` must not
        be smaller than the number of recorded neurons. Default: the recorded neurons.

    Returns
    -------
    float
        The mean; NaN if no neuron was recorded.
    """
    R = _refractoriness(R_ms)
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms, by_sender=True)
    n_mean = s.n_recorded
    if n_model is not None:
        n_mean = round(positive_float(n_model, "n_model"))
        if n_mean < s.n_recorded:
            raise ConfigError("n_model", n_model, f"must round to at least the {s.n_recorded} "
                              "recorded neurons (it is the number of neurons to average over)")
    if n_mean == 0:
        return float("nan")
    values, _ = _lvr_values(s, R)
    s.mask_unrecorded(values)
    return float(np.nansum(values) / n_mean)


def lv(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
       t_start_ms: Any = None, t_stop_ms: Any = None, *, min_isis: int = 3) -> np.ndarray:
    r"""Local variation LV of the inter-spike intervals of every neuron [S03]_.

    .. math::
        \mathrm{LV}_i = \frac{3}{n-1} \sum_{k=1}^{n-1}
        \left(\frac{I_k - I_{k+1}}{I_k + I_{k+1}}\right)^2

    :func:`lvr` with ``R_ms = 0``. 0 for a regular train, 1 for a Poisson process, insensitive
    to slow rate changes (unlike the CV). Arguments as in :func:`lvr`.
    """
    return lvr(spikes, senders, n_neurons, t_start_ms, t_stop_ms, R_ms=0.0, min_isis=min_isis)
