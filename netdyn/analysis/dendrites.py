r"""Measures of dendritic integration: postsynaptic potentials, attenuation, direction
selectivity, and membrane-potential statistics under synaptic bombardment.

Every function is pure and vectorised: the membrane potential ``v`` is an array whose last
axis is time (any leading axes: trials, sites), sampled at ``t_ms`` (1-D, increasing); an
:class:`xarray.DataArray` is accepted too, with time as its dimension ``dim`` (default
``"time"``) and the result keeps its other dimensions.

Definitions (``b`` the baseline: the mean of ``v`` over ``baseline_ms``, ``[t_0, t_1)``):

- EPSP amplitude :math:`A = \max_{t \in W} v(t) - b` over the window ``W`` (Rall 1967 for
  the time course of a dendritic PSP seen at the soma);
- time to peak: :math:`t_\mathrm{peak} - t_\mathrm{onset}`;
- half-width: the time between the crossings of :math:`b + A/2` on the rising and the
  falling flank, each linearly interpolated between samples;
- attenuation: the ratio :math:`A_\mathrm{soma} / A_\mathrm{dendrite}` (1: none);
- direction selectivity index:
  :math:`\mathrm{DSI} = (A_\mathrm{in} - A_\mathrm{out}) / (A_\mathrm{in} + A_\mathrm{out})`
  of the somatic peaks of the centripetal ("in") and the centrifugal ("out") sequence
  (Branco, Clark & Hausser 2010 compared these two peaks; the normalised difference lies in
  [-1, 1] and is 0 without selectivity).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import xarray as xr

__all__ = [
    "attenuation",
    "baseline",
    "direction_selectivity",
    "epsp_amplitude",
    "epsp_features",
    "half_width",
    "membrane_statistics",
    "time_to_peak",
]


def _time_mask(t_ms: np.ndarray, window_ms: tuple[float, float] | None) -> np.ndarray:
    if window_ms is None:
        return np.ones(t_ms.shape, dtype=bool)
    lo, hi = window_ms
    mask = (t_ms >= lo) & (t_ms < hi)
    if not mask.any():
        raise ValueError(f"no sample in the window [{lo}, {hi}) ms")
    return mask


def _over_time(fn: Callable[..., np.ndarray], v: Any, t_ms: Any, dim: str, **kwargs: Any) -> Any:
    """Apply ``fn(values, t, **kwargs)`` (time last) to a numpy array or along ``dim`` of a DataArray."""
    if isinstance(v, xr.DataArray):
        if t_ms is None:
            t_ms = v["time_ms"].values if "time_ms" in v.coords else v[dim].values
        other = [d for d in v.dims if d != dim]
        out = fn(v.transpose(*other, dim).values, np.asarray(t_ms, dtype=float), **kwargs)
        dims = other + ["statistic"] * (out.ndim - len(other))
        return xr.DataArray(out, dims=dims, coords={k: c for k, c in v.coords.items() if dim not in c.dims})
    if t_ms is None:
        raise TypeError("t_ms is needed with a numpy array")
    return fn(np.asarray(v, dtype=float), np.asarray(t_ms, dtype=float), **kwargs)


def _baseline(v: np.ndarray, t: np.ndarray, baseline_ms: tuple[float, float] | None) -> np.ndarray:
    if baseline_ms is None:
        return v[..., 0]
    return v[..., _time_mask(t, baseline_ms)].mean(axis=-1)


def baseline(v: Any, t_ms: Any = None, *, baseline_ms: tuple[float, float] | None = None,
             dim: str = "time") -> Any:
    """The mean of ``v`` over ``baseline_ms`` = [t0, t1) (None: the first sample)."""
    return _over_time(_baseline, v, t_ms, dim, baseline_ms=baseline_ms)


def _peak(v: np.ndarray, t: np.ndarray, baseline_ms: Any, window_ms: Any) -> tuple[np.ndarray, np.ndarray]:
    base = _baseline(v, t, baseline_ms)
    mask = _time_mask(t, window_ms)
    idx = np.flatnonzero(mask)
    k = idx[np.argmax(v[..., mask], axis=-1)]
    amp = np.take_along_axis(v, k[..., None], axis=-1)[..., 0] - base
    return amp, k


def _amplitude(v: np.ndarray, t: np.ndarray, baseline_ms: Any, window_ms: Any) -> np.ndarray:
    return _peak(v, t, baseline_ms, window_ms)[0]


def epsp_amplitude(v: Any, t_ms: Any = None, *, baseline_ms: tuple[float, float] | None = None,
                   window_ms: tuple[float, float] | None = None, dim: str = "time") -> Any:
    """Peak of ``v`` in ``window_ms`` above the baseline (mV; see the module doc)."""
    return _over_time(_amplitude, v, t_ms, dim, baseline_ms=baseline_ms, window_ms=window_ms)


def _ttp(v: np.ndarray, t: np.ndarray, baseline_ms: Any, window_ms: Any, onset_ms: float) -> np.ndarray:
    return t[_peak(v, t, baseline_ms, window_ms)[1]] - onset_ms


def time_to_peak(v: Any, t_ms: Any = None, *, onset_ms: float, baseline_ms: tuple[float, float] | None = None,
                 window_ms: tuple[float, float] | None = None, dim: str = "time") -> Any:
    """Time from ``onset_ms`` to the peak of ``v`` in ``window_ms`` (ms)."""
    return _over_time(_ttp, v, t_ms, dim, baseline_ms=baseline_ms, window_ms=window_ms, onset_ms=onset_ms)


def _half_width(v: np.ndarray, t: np.ndarray, baseline_ms: Any, window_ms: Any) -> np.ndarray:
    amp, k = _peak(v, t, baseline_ms, window_ms)
    base = _baseline(v, t, baseline_ms)
    half = base + amp / 2.0
    flat_v = v.reshape(-1, v.shape[-1])
    flat_k, flat_half, flat_amp = k.ravel(), np.ravel(half), np.ravel(amp)
    out = np.full(flat_k.shape, np.nan)
    mask = _time_mask(t, window_ms)
    lo_i, hi_i = int(np.flatnonzero(mask)[0]), int(np.flatnonzero(mask)[-1])
    for j in range(flat_k.size):  # one search per trace: a Python loop over traces, not samples
        if not flat_amp[j] > 0:
            continue
        x, h, p = flat_v[j], flat_half[j], int(flat_k[j])
        below_before = np.flatnonzero(x[lo_i:p + 1] < h)
        below_after = np.flatnonzero(x[p:hi_i + 1] < h)
        if below_before.size == 0 or below_after.size == 0:
            continue
        a = lo_i + int(below_before[-1])  # x[a] < h <= x[a + 1]
        b = p + int(below_after[0])  # x[b - 1] >= h > x[b]
        t_up = t[a] + (h - x[a]) * (t[a + 1] - t[a]) / (x[a + 1] - x[a])
        t_down = t[b - 1] + (x[b - 1] - h) * (t[b] - t[b - 1]) / (x[b - 1] - x[b])
        out[j] = t_down - t_up
    return out.reshape(k.shape)


def half_width(v: Any, t_ms: Any = None, *, baseline_ms: tuple[float, float] | None = None,
               window_ms: tuple[float, float] | None = None, dim: str = "time") -> Any:
    """Full width at half amplitude (ms); NaN where the trace does not fall back below half
    its amplitude inside ``window_ms`` or has no positive peak."""
    return _over_time(_half_width, v, t_ms, dim, baseline_ms=baseline_ms, window_ms=window_ms)


def epsp_features(v: xr.DataArray, *, onset_ms: float, baseline_ms: tuple[float, float] | None = None,
                  window_ms: tuple[float, float] | None = None, dim: str = "time") -> xr.Dataset:
    """Amplitude (mV), time to peak (ms) and half-width (ms) of every trace of ``v``."""
    kw = {"baseline_ms": baseline_ms, "window_ms": window_ms, "dim": dim}
    amp = epsp_amplitude(v, **kw)
    return xr.Dataset({
        "amplitude_mV": amp.assign_attrs(units="mV", long_name="peak above baseline"),
        "time_to_peak_ms": time_to_peak(v, onset_ms=onset_ms, **kw).assign_attrs(units="ms"),
        "half_width_ms": half_width(v, **kw).assign_attrs(units="ms", long_name="full width at half amplitude"),
    })


def attenuation(soma: Any, dendrite: Any) -> Any:
    """``soma / dendrite`` (the fraction of a dendritic peak seen at the soma); NaN where the
    dendritic peak is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(soma, dendrite)
    return xr.where(np.isfinite(out), out, np.nan) if isinstance(out, xr.DataArray) else \
        np.where(np.isfinite(out), out, np.nan)


def direction_selectivity(peak_in: Any, peak_out: Any) -> Any:
    """``(in - out) / (in + out)`` of the peaks of the centripetal and the centrifugal
    sequence; NaN where both are 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (peak_in - peak_out) / (peak_in + peak_out)
    return xr.where(np.isfinite(out), out, np.nan) if isinstance(out, xr.DataArray) else \
        np.where(np.isfinite(out), out, np.nan)


def _stats(v: np.ndarray, t: np.ndarray, window_ms: Any, level_mV: float) -> np.ndarray:
    x = v[..., _time_mask(t, window_ms)]
    return np.stack([x.mean(axis=-1), x.std(axis=-1), (x > level_mV).mean(axis=-1)], axis=-1)


def membrane_statistics(v: Any, t_ms: Any = None, *, level_mV: float, window_ms: tuple[float, float] | None = None,
                        dim: str = "time") -> dict[str, Any]:
    """Mean (mV), standard deviation (mV) and fraction of time above ``level_mV`` of ``v`` over
    ``window_ms``, each with the leading shape of ``v`` (a DataArray for a DataArray)."""
    out = _over_time(_stats, v, t_ms, dim, window_ms=window_ms, level_mV=level_mV)
    if isinstance(out, xr.DataArray):
        return {"mean_mV": out.isel(statistic=0), "sd_mV": out.isel(statistic=1),
                "fraction_above": out.isel(statistic=2)}
    return {"mean_mV": out[..., 0], "sd_mV": out[..., 1], "fraction_above": out[..., 2]}
