r"""Recall quality of a learned cell assembly: the coefficient Q and the mutual information.

The measures of Luboeinski & Tetzlaff (2021, Commun. Biol. 4:275, "Memory consolidation and
improvement by synaptic tagging and capture in recurrent neural networks"), computed as their
analysis code does (``extractParamsQMIfromSpikes.py``, ``calculateQ.py``,
``calculateMIa.py`` of the ``memory-consolidation-stc`` and ``arbor_network_consolidation``
repositories):

* Rates are spike counts in the half-open window :math:`[t - 0.25\,\mathrm{s},\ t +
  0.25\,\mathrm{s})` divided by 0.5 s, so single-neuron rates are multiples of 2 Hz. The
  readouts are :math:`t_L` = learning onset + 1.0 s and :math:`t_R` = recall onset + 0.1 s.
* The excitatory neurons ``0 .. n_exc-1`` split into the assembly neurons that receive the
  recall stimulus ("as", the first :math:`\lfloor p_r N_\mathrm{CA} \rfloor`), the rest of the
  assembly ("ans") and the control neurons ("ctrl"); the inhibitory ones follow ("inh").
* :math:`Q = (\nu_\mathrm{ans} - \nu_\mathrm{ctrl}) / \nu_\mathrm{as}` at :math:`t_R`;
  the mutual information (bits) between the excitatory rate vectors at :math:`t_L` and
  :math:`t_R`, from the empirical distributions of their distinct values.

Times are in seconds, rates in Hz (spikes/s), entropies in bits.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netdyn.errors import ConfigError

__all__ = [
    "RECALL_GROUPS",
    "RecallReadout",
    "mutual_information_bits",
    "recall_quality",
    "recall_readout",
    "subpopulations",
    "window_rates_hz",
]

#: The subpopulations, in the order of their neuron ids.
RECALL_GROUPS: tuple[str, ...] = ("as", "ans", "ctrl", "inh")


# --------------------------------------------------------------------------- checks


def _count(value: Any, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ConfigError(name, value, f"must be an integer >= {least}")
    return int(value)


def _time(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(name, value, "must be a finite time >= 0 in s") from None
    if not (math.isfinite(v) and v >= 0.0):
        raise ConfigError(name, value, "must be a finite time >= 0 in s")
    return v


def _fraction(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError("recall_fraction", value, "must be a number in [0, 1]") from None
    if not 0.0 <= v <= 1.0:
        raise ConfigError("recall_fraction", value, "must be a number in [0, 1]")
    return v


def _sizes(n_ca: Any, n_exc: Any, n_inh: Any = 0) -> tuple[int, int, int]:
    n_exc = _count(n_exc, "n_exc", 1)
    n_ca = _count(n_ca, "n_ca", 0)
    n_inh = _count(n_inh, "n_inh", 0)
    if n_ca > n_exc:
        raise ConfigError("n_ca", n_ca, f"the assembly must lie within the {n_exc} excitatory neurons (n_ca <= n_exc)")
    return n_ca, n_exc, n_inh


def _rates(values: Any, name: str) -> np.ndarray:
    r = np.asarray(values, dtype=np.float64)
    if r.ndim != 1 or r.size == 0:
        raise ConfigError(name, r.shape, "must be a non-empty 1-D array of rates in Hz")
    if not np.all(np.isfinite(r)):
        raise ConfigError(name, "non-finite entries", "rates must be finite")
    return r


def _spikes(spike_times_s: Any, spike_ids: Any, n_neurons: int) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(spike_times_s, dtype=np.float64)
    ids = np.asarray(spike_ids)
    if times.ndim != 1:
        raise ConfigError("spike_times_s", times.shape, "must be a 1-D array of spike times in s")
    if ids.shape != times.shape:
        raise ConfigError("spike_ids", ids.shape, f"must have the shape of spike_times_s {times.shape}")
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise ConfigError("spike_ids", ids.dtype, "must be integer neuron ids")
    if times.size:
        if not np.all(np.isfinite(times)) or times.min() < 0.0:
            bad = times[~(np.isfinite(times) & (times >= 0.0))][0]
            raise ConfigError("spike_times_s", float(bad), "spike times must be finite and >= 0 s")
        if ids.min() < 0 or ids.max() >= n_neurons:
            bad = ids[(ids < 0) | (ids >= n_neurons)][0]
            raise ConfigError("spike_ids", int(bad), f"neuron ids must lie in [0, {n_neurons})")
    return times, ids.astype(np.intp, copy=False)


# --------------------------------------------------------------------------- measures


def window_rates_hz(spike_times_s: Any, spike_ids: Any, n_neurons: int, t_center_s: float,
                    half_width_s: float = 0.25) -> np.ndarray:
    r"""Firing rate of every neuron in a window centred on ``t_center_s``, in Hz.

    .. math:: \nu_i = \frac{\#\{k : \mathrm{id}_k = i,\ t - \Delta \le t_k < t + \Delta\}}{2\Delta}

    with :math:`\Delta` = ``half_width_s``: the window is half-open, a spike at exactly
    :math:`t - \Delta` counts and one at :math:`t + \Delta` does not (Luboeinski & Tetzlaff
    2021, Commun. Biol. 4:275; their readout windows are 0.5 s long, so rates are multiples of
    2 Hz).

    Parameters
    ----------
    spike_times_s
        Spike times, s, finite and >= 0 (any order).
    spike_ids
        Neuron id of every spike, integers in ``[0, n_neurons)``.
    n_neurons
        Number of neurons (silent ones get rate 0).
    t_center_s
        Centre of the window, s, >= 0.
    half_width_s
        Half the window length :math:`\Delta`, s, > 0.

    Returns
    -------
    numpy.ndarray
        ``(n_neurons,)`` rates in Hz (float64).
    """
    n_neurons = _count(n_neurons, "n_neurons", 1)
    t = _time(t_center_s, "t_center_s")
    half = _time(half_width_s, "half_width_s")
    if half <= 0.0:
        raise ConfigError("half_width_s", half_width_s, "must be a finite time > 0 in s")
    times, ids = _spikes(spike_times_s, spike_ids, n_neurons)
    inside = (times >= t - half) & (times < t + half)  # the reference's window bounds, t -/+ 2*half/2
    counts = np.bincount(ids[inside], minlength=n_neurons)
    return counts / (2.0 * half)


def subpopulations(n_ca: int, n_exc: int, n_inh: int, recall_fraction: float = 0.5) -> dict[str, slice]:
    r"""Neuron-id ranges of the recall subpopulations.

    =====  =======================================================
    as     :math:`[0, \lfloor p_r N_\mathrm{CA} \rfloor)`: assembly, recall-stimulated
    ans    :math:`[\lfloor p_r N_\mathrm{CA} \rfloor, N_\mathrm{CA})`: assembly, not recall-stimulated
    ctrl   :math:`[N_\mathrm{CA}, N_\mathrm{exc})`: excitatory control
    inh    :math:`[N_\mathrm{exc}, N_\mathrm{exc} + N_\mathrm{inh})`: inhibitory
    =====  =======================================================

    The floor is taken of the floating-point product ``recall_fraction * n_ca``, as in the
    reference analysis (Luboeinski & Tetzlaff 2021), so ``0.29 * 100`` gives 28 neurons.

    Parameters
    ----------
    n_ca
        Assembly size :math:`N_\mathrm{CA}`, ``0 <= n_ca <= n_exc``.
    n_exc, n_inh
        Numbers of excitatory (>= 1) and inhibitory (>= 0) neurons.
    recall_fraction
        :math:`p_r \in [0, 1]`, the fraction of the assembly that receives the recall stimulus.

    Returns
    -------
    dict of str to slice
        Keys :data:`RECALL_GROUPS`; a group may be empty (``p_r = 1`` leaves no "ans").
    """
    n_ca, n_exc, n_inh = _sizes(n_ca, n_exc, n_inh)
    n_as = int(np.floor(_fraction(recall_fraction) * n_ca))
    return {"as": slice(0, n_as), "ans": slice(n_as, n_ca), "ctrl": slice(n_ca, n_exc),
            "inh": slice(n_exc, n_exc + n_inh)}


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and population SD (ddof 0); NaN for an empty group."""
    if values.size == 0:
        return math.nan, math.nan
    return float(np.mean(values)), float(np.std(values))


def recall_quality(rates_recall_hz: Any, n_ca: int, n_exc: int,
                   recall_fraction: float = 0.5) -> tuple[float, float]:
    r"""Recall quality coefficient Q and its propagated error.

    .. math::

        Q = \frac{\nu_\mathrm{ans} - \nu_\mathrm{ctrl}}{\nu_\mathrm{as}}, \qquad
        \sigma_Q^2 = \left(\frac{\sigma_\mathrm{ans}}{\nu_\mathrm{as}}\right)^2
                   + \left(\frac{\sigma_\mathrm{ctrl}}{\nu_\mathrm{as}}\right)^2
                   + \left(\frac{\sigma_\mathrm{as}(\nu_\mathrm{ans} - \nu_\mathrm{ctrl})}
                                {\nu_\mathrm{as}^2}\right)^2

    with :math:`\nu_X` the mean and :math:`\sigma_X` the standard deviation across the neurons
    of subpopulation X (ddof 0, as the reference analysis: the root of the mean square minus the
    squared mean) of the rates at recall (Luboeinski & Tetzlaff 2021, Commun. Biol. 4:275,
    Methods). Q is 0 for chance recall and 1 when the non-stimulated assembly neurons fire like
    the stimulated ones.

    Parameters
    ----------
    rates_recall_hz
        Rates at recall, Hz, indexed by neuron id, at least ``n_exc`` entries (the entries from
        ``n_exc`` on, inhibitory neurons, are not used).
    n_ca, n_exc, recall_fraction
        As in :func:`subpopulations`.

    Returns
    -------
    tuple of float
        ``(Q, sigma_Q)``, dimensionless. Both are NaN when a subpopulation is empty (e.g.
        ``recall_fraction`` 1 leaves no "ans") or :math:`\nu_\mathrm{as} = 0`.
    """
    n_ca, n_exc, _ = _sizes(n_ca, n_exc)
    r = _rates(rates_recall_hz, "rates_recall_hz")
    if r.size < n_exc:
        raise ConfigError("rates_recall_hz", r.shape, f"must hold the rates of at least the {n_exc} excitatory neurons")
    groups = subpopulations(n_ca, n_exc, 0, recall_fraction)
    (v_as, s_as), (v_ans, s_ans), (v_ctrl, s_ctrl) = (_mean_sd(r[groups[g]]) for g in ("as", "ans", "ctrl"))
    if not (v_as > 0.0 and math.isfinite(v_ans) and math.isfinite(v_ctrl)):
        return math.nan, math.nan
    q = (v_ans - v_ctrl) / v_as
    sigma = math.sqrt((s_ans / v_as) ** 2 + (s_ctrl / v_as) ** 2 + (s_as * (v_ans - v_ctrl) / v_as**2) ** 2)
    return float(q), float(sigma)


def _entropy_bits(counts: np.ndarray) -> float:
    p = counts / np.sum(counts)
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def mutual_information_bits(rates_learn_hz: Any, rates_recall_hz: Any) -> tuple[float, float]:
    r"""Mutual information between the rate vectors at learning and at recall, in bits.

    .. math::

        \mathrm{MI} = H(L) + H(R) - H(L, R), \qquad
        H(X) = -\sum_x p(x) \log_2 p(x)

    where :math:`p(x)` are the empirical frequencies of the distinct values of the vector
    (``numpy.unique``, no binning) and :math:`H(L, R)` is the entropy of the distinct pairs
    :math:`(L_i, R_i)` over neurons :math:`i` (Luboeinski & Tetzlaff 2021, Commun. Biol. 4:275,
    Methods; their ``calculateMIa``). Because rates from spike counts in a fixed window are
    discrete, no binning is needed; exactly equal values are one outcome.

    Parameters
    ----------
    rates_learn_hz, rates_recall_hz
        Rates of the same neurons at learning (:math:`L`) and at recall (:math:`R`), Hz, 1-D,
        equal lengths, finite.

    Returns
    -------
    tuple of float
        ``(MI, H(L))`` in bits; :math:`H(L)`, the reference analysis's "selfMIL", normalises
        MI (:math:`0 \le \mathrm{MI}/H(L) \le 1`). MI is 0 up to rounding (a few ulp, possibly
        negative) for independent vectors and equals :math:`H(L)` for identical ones.
    """
    learn = _rates(rates_learn_hz, "rates_learn_hz")
    recall = _rates(rates_recall_hz, "rates_recall_hz")
    if recall.shape != learn.shape:
        raise ConfigError("rates_recall_hz", recall.shape, f"must have the shape of rates_learn_hz {learn.shape}")
    h_learn = _entropy_bits(np.unique(learn, return_counts=True)[1])
    h_recall = _entropy_bits(np.unique(recall, return_counts=True)[1])
    pairs = np.array([learn, recall]).T
    h_joint = _entropy_bits(np.unique(pairs, return_counts=True, axis=0)[1])
    return h_learn + h_recall - h_joint, h_learn


# --------------------------------------------------------------------------- readout


@dataclass(frozen=True)
class RecallReadout:
    """Recall measures of one trial (:func:`recall_readout`).

    Attributes
    ----------
    Q, sigma_Q
        Recall quality coefficient and its propagated error (:func:`recall_quality`).
    MI_bits, H_L_bits
        Mutual information between the excitatory rates at learning and at recall, and the
        entropy of those at learning, bits (:func:`mutual_information_bits`).
    rates_hz
        Mean rates at recall, Hz, keys ``"as"``, ``"ans"``, ``"ctrl"``, ``"inh"`` and
        ``"exc"`` (all excitatory neurons); NaN for an empty group.
    """

    Q: float
    sigma_Q: float
    MI_bits: float
    H_L_bits: float
    rates_hz: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, float]:
        """Flat record: ``Q``, ``sigma_Q``, ``MI_bits``, ``H_L_bits`` and ``rate_<group>_hz``
        for every group of :attr:`rates_hz` (the variable names of a screen over trials)."""
        out = {"Q": self.Q, "sigma_Q": self.sigma_Q, "MI_bits": self.MI_bits, "H_L_bits": self.H_L_bits}
        out.update({f"rate_{g}_hz": v for g, v in self.rates_hz.items()})
        return out


def recall_readout(spike_times_s: Any, spike_ids: Any, n_ca: int, n_exc: int, n_inh: int,
                   t_learn_s: float, t_recall_s: float, recall_fraction: float = 0.5,
                   half_width_s: float = 0.25) -> RecallReadout:
    r"""Q, MI and the subpopulation rates of one trial from its spikes.

    Rates are taken in the windows :math:`[t \mp \Delta)` around ``t_learn_s`` (:math:`L`) and
    ``t_recall_s`` (:math:`R`) with :func:`window_rates_hz`; Q and the mean rates use the rates
    at recall, MI the excitatory rates at both times (Luboeinski & Tetzlaff 2021, Commun. Biol.
    4:275: :math:`t_L` = learning onset + 1.0 s, :math:`t_R` = recall onset + 0.1 s).

    Parameters
    ----------
    spike_times_s, spike_ids
        All spikes of the network: times in s, neuron ids in ``[0, n_exc + n_inh)``.
    n_ca, n_exc, n_inh, recall_fraction
        As in :func:`subpopulations`.
    t_learn_s, t_recall_s
        Readout times, s; the two windows must not overlap
        (:math:`|t_R - t_L| \ge 2\Delta`; the reference analysis would give a spike in both
        to the learning window only).
    half_width_s
        :math:`\Delta`, s (0.25 s in the paper).

    Returns
    -------
    RecallReadout
    """
    n_ca, n_exc, n_inh = _sizes(n_ca, n_exc, n_inh)
    t_learn = _time(t_learn_s, "t_learn_s")
    t_recall = _time(t_recall_s, "t_recall_s")
    half = _time(half_width_s, "half_width_s")
    if abs(t_recall - t_learn) < 2.0 * half:
        raise ConfigError("t_recall_s", t_recall_s,
                          f"the recall window overlaps the learning window around t_learn_s={t_learn_s!r} "
                          f"(need |t_recall_s - t_learn_s| >= {2.0 * half:g} s)")
    n = n_exc + n_inh
    learn = window_rates_hz(spike_times_s, spike_ids, n, t_learn, half)
    recall = window_rates_hz(spike_times_s, spike_ids, n, t_recall, half)
    q, sigma_q = recall_quality(recall, n_ca, n_exc, recall_fraction)
    mi, h_learn = mutual_information_bits(learn[:n_exc], recall[:n_exc])
    groups = subpopulations(n_ca, n_exc, n_inh, recall_fraction)
    rates = {g: _mean_sd(recall[groups[g]])[0] for g in RECALL_GROUPS}
    rates["exc"] = _mean_sd(recall[:n_exc])[0]
    return RecallReadout(Q=q, sigma_Q=sigma_q, MI_bits=mi, H_L_bits=h_learn, rates_hz=rates)
