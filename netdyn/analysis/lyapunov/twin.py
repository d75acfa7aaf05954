r"""The chaos seed's twin-trajectory estimate of the largest Lyapunov exponent."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netdyn.errors import ConfigError

__all__ = ["TwinEstimate", "twin_trajectory_exponent"]


@dataclass(frozen=True, eq=False)
class TwinEstimate:
    """Result of :func:`twin_trajectory_exponent`.

    Attributes
    ----------
    exponent_per_s
        Largest Lyapunov exponent estimate in 1/s (slope of the fit in 1/ms times 1000);
        NaN when no trial was kept, when fewer than 2 points lie before the cut, or when the
        fitted values are not finite (a zero mean divergence).
    n_kept
        Number of trials kept (divergence at the last step ``>= final_threshold``).
    cut_index
        Index of the first step with ``log D >= cut_fraction * max log D``; the fit uses
        steps ``0 .. cut_index - 1``. Equals ``n_time`` when no step satisfies the criterion
        (then all points are used), and ``0`` when no trial was kept.
    mean_divergence
        ``(n_time,)`` mean divergence ``D(t)`` over the kept trials; when **no** trial was
        kept it is the mean over *all* trials (for plotting), and no fit is made.
    kept
        ``(n_trials,)`` boolean mask of the kept trials.
    intercept
        Intercept of the fitted line of ``log D`` at ``t = 0 ms`` (NaN when no fit).
    """

    exponent_per_s: float
    n_kept: int
    cut_index: int
    mean_divergence: np.ndarray
    kept: np.ndarray
    intercept: float = float("nan")


def twin_trajectory_exponent(
    divergence: np.ndarray,
    time_ms: np.ndarray,
    *,
    final_threshold: float = 1.0,
    cut_fraction: float = 0.8,
) -> TwinEstimate:
    r"""Largest Lyapunov exponent from the divergence of twin trajectories (chaos seed).

    This is the chaos seed's estimator, reproduced exactly:

    1. keep the trials whose divergence at the **last** step is ``>= final_threshold``
       ("non-stable" trials);
    2. :math:`D(t) = \langle d(t) \rangle_\text{kept}`, the mean over kept trials of
       :math:`d(t) = \|r_\text{twin}(t) - r(t)\|_2`;
    3. :math:`k^* = \min\{k : \ln D(t_k) \ge c \max_j \ln D(t_j)\}` with ``c = cut_fraction``;
    4. least-squares line :math:`\ln D(t_k) \approx a + s\, t_k` over :math:`k < k^*`, time in
       ms; the exponent is :math:`\lambda = 1000\, s` in 1/s.

    Parameters
    ----------
    divergence
        ``(n_trials, n_time)`` distances ``d(t)`` (one row per trial; a 1-D array is one
        trial). An :class:`xarray.DataArray` with a ``"time"`` dimension, such as the result
        of :class:`~netdyn.record.observers.TwinDivergence` (``(time, pair)``), is
        transposed to put time last.
    time_ms
        ``(n_time,)`` sample times in ms.
    final_threshold
        Trials with ``d(t_last) >= final_threshold`` are kept (the seed: 1).
    cut_fraction
        Fraction ``c`` of :math:`\max_t \ln D` that ends the fitted range (the seed: 0.8).

    Returns
    -------
    TwinEstimate

    Notes
    -----
    Logarithms are natural. Assumptions and biases of this estimator, none of which are
    corrected here (this is the published method, to be compared with the published
    numbers; use :func:`rate_benettin` or :func:`rate_lyapunov_spectrum` for unbiased
    estimates):

    * the perturbation is never renormalised, so the fitted range contains the initial
      alignment of the perturbation with the unstable direction (during which ``d`` can
      even shrink) and the onset of saturation near the cut;
    * averaging ``d`` before taking the log, :math:`\ln\langle d\rangle \ge \langle\ln d
      \rangle`, weighs fast-diverging trials more;
    * the criterion uses ``cut_fraction * max ln D``, which is only meaningful when
      :math:`\max \ln D > 0` (``D`` saturates above 1, as for the seed's ``g >= 10``). When
      :math:`\max \ln D < 0`, ``c * max`` lies *above* the maximum and no step satisfies the
      criterion: then, as documented, all points are used (``cut_index = n_time``). When
      the very first point already satisfies it (``cut_index`` 0 or 1) the fit has fewer
      than 2 points and the exponent is NaN.
    * dropping trials that did not reach ``final_threshold`` selects diverging trials; when
      none is kept the result is NaN (the seed reports no exponent for such networks).
    """
    dims = getattr(divergence, "dims", None)
    if dims is not None and "time" in dims:
        divergence = divergence.transpose(*[d for d in dims if d != "time"], "time")
    d = np.asarray(divergence, dtype=np.float64)
    if d.ndim == 1:
        d = d[None, :]
    t = np.asarray(time_ms, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] < 1:
        raise ConfigError("divergence", np.shape(divergence), "must have shape (n_trials, n_time)")
    if t.shape != (d.shape[1],):
        raise ConfigError("time_ms", t.shape, f"must have shape ({d.shape[1]},) to match divergence")
    if not math.isfinite(cut_fraction):
        raise ConfigError("cut_fraction", cut_fraction, "must be finite")
    n_time = d.shape[1]

    kept = d[:, -1] >= final_threshold
    n_kept = int(kept.sum())
    if n_kept == 0:
        mean_all = d.mean(axis=0) if d.shape[0] else np.full(n_time, np.nan)
        return TwinEstimate(float("nan"), 0, 0, mean_all, kept)

    mean_d = d[kept].mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_d = np.log(mean_d)
    threshold = cut_fraction * np.max(log_d)
    hits = np.flatnonzero(log_d >= threshold)
    cut = int(hits[0]) if hits.size else n_time
    tt, yy = t[:cut], log_d[:cut]
    if cut < 2 or not (np.all(np.isfinite(yy)) and np.all(np.isfinite(tt))):
        return TwinEstimate(float("nan"), n_kept, cut, mean_d, kept)
    tc = tt - tt.mean()
    denom = float(np.dot(tc, tc))
    if denom == 0.0:
        return TwinEstimate(float("nan"), n_kept, cut, mean_d, kept)
    slope = float(np.dot(tc, yy - yy.mean()) / denom)
    intercept = float(yy.mean() - slope * tt.mean())
    return TwinEstimate(slope * 1000.0, n_kept, cut, mean_d, kept, intercept)
