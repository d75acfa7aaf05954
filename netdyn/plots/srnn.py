"""Figures of the ``srnn`` study (spec ``srnn.md``, sections 1.6 and 3).

Two figures, both built from the study's result Datasets:

* :func:`make_srnn_trajectory_figure` -- the basic example, one configuration: six stacked
  panels sharing the time axis (seconds): a. external input of the stimulated neurons,
  b. rates, c. dendritic states, d. SFA ``c_SFA * sum_k a_k``, e. STD ``prod_m b_m``,
  f. local and finite-time largest Lyapunov exponent. The transient ``t < 0`` (excluded from
  the LLE) is shaded in every panel.
* :func:`make_srnn_sweep_figure` -- the sweep over random networks: a. fraction of bounded
  networks vs weight scale (Wilson 95 % bands), b. LLE distribution vs weight scale,
  c. median LLE over (slowest timescale x weight scale) for the adaptive configuration,
  d. the rule "LLE = -1/tau_slowest", e. the Lyapunov spectrum (QR), when stored.

Time is in seconds, rates are dimensionless ("Hz"), exponents in 1/s. Only
:class:`matplotlib.figure.Figure` objects are used (no ``pyplot``, no global backend switch).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, SymLogNorm
from matplotlib.figure import Figure

from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullLocator

from netdyn.plots.common import (
    MAX_POINTS,
    NOTE_COLOUR,
    annotate_cells,
    has_vars,
    hide_frame,
    house_figure,
    lighter,
    minmax_decimate,
    note,
    panel_title,
    save_figure,
)

__all__ = [
    "make_srnn_trajectory_figure",
    "plot_srnn_trajectory_figure",
    "make_srnn_sweep_figure",
    "plot_srnn_sweep_figure",
]

TRAJECTORY_FIGSIZE_IN = (10.0, 11.0)
SWEEP_FIGSIZE_IN = (13.0, 8.5)
#: At most this many neurons drawn per trajectory panel (evenly chosen among E and I).
MAX_LINES = 60
#: At most this many stimulated neurons are named one by one in the input legend.
MAX_NAMED_INPUTS = 6

#: Axes labels of the trajectory figure's panels (top to bottom).
TRAJECTORY_PANEL_LABELS = ("input", "rate", "dendrite", "sfa", "std", "lyapunov")
#: Axes labels of the sweep figure's panels.
SWEEP_PANEL_LABELS = ("bounded", "lle", "heatmap", "rule", "spectrum")

#: Display names of the configurations (coordinate value -> name).
CONFIG_NAMES = {"none": "none", "sfa": "SFA", "std": "STD", "sfa_std": "SFA+STD"}
CONFIG_COLOURS = {"none": "#4d4d4d", "sfa": "#0072B2", "std": "#E69F00", "sfa_std": "#009E73"}
_EXTRA_COLOURS = ("#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
#: Preference order for the configuration shown in the sweep heat map.
_HEATMAP_PREFERENCE = ("sfa_std", "sfa", "std")


_TRANSIENT_COLOUR = "0.93"
_Z95 = 1.959963984540054  # two-sided 95 % normal quantile


# --------------------------------------------------------------------------- helpers


def _fmt(value: float, digits: int = 2) -> str:
    """Compact number with a typographic minus: -0.0667 -> '−0.067', -29.49 -> '−29'."""
    if not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:.0f}"
    return text.replace("-", "\u2212")


def _config_name(label: Any) -> str:
    return CONFIG_NAMES.get(str(label), str(label))


def _config_colours(configs: list[str]) -> dict[str, str]:
    colours, extra = {}, iter(_EXTRA_COLOURS * 4)
    for c in configs:
        colours[c] = CONFIG_COLOURS.get(c) or next(extra)
    return colours


def _normalise_config(label: Any) -> str:
    return str(label).strip().lower().replace("+", "_").replace("-", "_").replace(" ", "")


def _select_configuration(ds: xr.Dataset, configuration: Any) -> Any:
    """The ``configuration`` coordinate value meant by ``configuration`` ("SFA+STD" = "sfa_std")."""
    if "configuration" not in ds.coords:
        return None
    values = list(np.asarray(ds["configuration"].values).tolist())
    if configuration in values:
        return configuration
    wanted = _normalise_config(configuration)
    for v in values:
        if _normalise_config(v) == wanted or _normalise_config(_config_name(v)) == wanted:
            return v
    raise ValueError(f"srnn figure: configuration {configuration!r} not in {values}")


def _quantiles(values: np.ndarray, qs: tuple[float, ...], axis: int) -> np.ndarray:
    """``np.nanquantile`` without the all-NaN RuntimeWarning (all-NaN slices give NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(values, qs, axis=axis)


def _symlog_linthresh(values: np.ndarray) -> float:
    """Linear range of a symlog axis: a power of ten below the smallest non-zero |value|."""
    mags = np.abs(values[np.isfinite(values)])
    mags = mags[mags > 0]
    if mags.size == 0:
        return 0.01
    smallest = float(np.quantile(mags, 0.05)) / 2.0
    return float(10.0 ** np.floor(np.log10(max(smallest, 1e-6))))


def _fit_symlog_y(ax: Axes, values: Any, pad: float = 0.05) -> None:
    """y limits of a symlog axis: the finite ``values`` plus ``pad`` of the transformed span."""
    vals = np.asarray(values, dtype=float).ravel()
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return
    trans = ax.yaxis.get_transform()
    lo, hi = trans.transform(np.array([vals.min(), vals.max()]))
    span = hi - lo if hi > lo else 1.0
    lo, hi = trans.inverted().transform(np.array([lo - pad * span, hi + pad * span]))
    ax.set_ylim(float(lo), float(hi))


def wilson_interval(successes: np.ndarray, trials: np.ndarray,
                    z: float = _Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (NaN where ``trials == 0``)."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lo, hi


# --------------------------------------------------------------------------- trajectory


def _neuron_colours(is_exc: np.ndarray) -> list[tuple]:
    """E neurons in a sequential blue-green map, I neurons in reds (stable across panels)."""
    exc_map: Colormap = mpl.colormaps["viridis"]
    inh_map: Colormap = mpl.colormaps["Reds"]
    colours: list[tuple] = []
    n_e, n_i = int(is_exc.sum()), int((~is_exc).sum())
    k_e = k_i = 0
    for e in is_exc:
        if e:
            colours.append(exc_map(0.12 + 0.7 * (k_e / max(n_e - 1, 1))))
            k_e += 1
        else:
            colours.append(inh_map(0.5 + 0.4 * (k_i / max(n_i - 1, 1))))
            k_i += 1
    return colours


def _pick_lines(candidates: np.ndarray, is_exc: np.ndarray, limit: int = MAX_LINES) -> np.ndarray:
    """At most ``limit`` of the candidate neuron indices, E and I thinned proportionally."""
    candidates = np.asarray(candidates, dtype=int)
    if candidates.size <= limit:
        return candidates
    exc = candidates[is_exc[candidates]]
    inh = candidates[~is_exc[candidates]]
    n_e = int(round(limit * exc.size / candidates.size))
    n_e = min(max(n_e, 1 if exc.size else 0), exc.size)
    n_i = min(limit - n_e, inh.size)
    pick_e = exc[np.linspace(0, exc.size - 1, n_e).round().astype(int)] if n_e else exc[:0]
    pick_i = inh[np.linspace(0, inh.size - 1, n_i).round().astype(int)] if n_i else inh[:0]
    return np.sort(np.concatenate([pick_e, pick_i]))


def _plot_neurons(ax: Axes, t: np.ndarray, values: np.ndarray, neurons: np.ndarray,
                  colours: list[tuple], lw: float = 0.7) -> None:
    if neurons.size == 0:
        return
    xs, ys = minmax_decimate(t, values[:, neurons])
    for col, i in enumerate(neurons):
        (line,) = ax.plot(xs[:, col], ys[:, col], color=colours[i], lw=lw)
        line.set_gid(f"neuron:{int(i)}")


def _ei_legend(ax: Axes, is_exc: np.ndarray, shown: np.ndarray, colours: list[tuple],
               total: int | None = None) -> None:
    handles = []
    exc = shown[is_exc[shown]]
    inh = shown[~is_exc[shown]]
    if exc.size:
        handles.append(Line2D([], [], color=colours[exc[len(exc) // 2]], lw=1.5,
                              label=f"E ({exc.size})"))
    if inh.size:
        handles.append(Line2D([], [], color=colours[inh[len(inh) // 2]], lw=1.5,
                              label=f"I ({inh.size})"))
    title = None
    if total is not None and shown.size < total:
        title = f"{shown.size} of {total} shown"
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                  frameon=False, title=title, alignment="left", borderaxespad=0.0)


def _shade_transient(ax: Axes, t_min: float) -> None:
    if np.isfinite(t_min) and t_min < 0:
        ax.axvspan(t_min, 0.0, color=_TRANSIENT_COLOUR, lw=0, zorder=0)


def _traj_values(ds: xr.Dataset, name: str, config: Any) -> np.ndarray | None:
    if not has_vars(ds, name):
        return None
    da = ds[name]
    if "configuration" in da.dims:
        da = da.sel(configuration=config)
    return np.asarray(da.transpose("time", "neuron").values, dtype=float)


def _panel_input(ax: Axes, ds: xr.Dataset, t: np.ndarray, is_exc: np.ndarray,
                 colours: list[tuple]) -> None:
    panel_title(ax, "a", "External input $u_\\mathrm{ex}$ of the stimulated neurons")
    ax.set_ylabel("$u_\\mathrm{ex}$ (Hz)")
    if not has_vars(ds, "input") or ds["input"].size == 0:
        note(ax, "no external input stored", keep_x=True)
        return
    u = np.asarray(ds["input"].transpose("time", "neuron").values, dtype=float)
    # "stimulated" = input not constant over the analysed window t >= 0 (a common ramp or DC
    # during the transient does not count); without samples at t >= 0, over all samples.
    window = t >= 0 if (t >= 0).sum() >= 2 else np.ones_like(t, dtype=bool)
    uw = u[window]
    with np.errstate(invalid="ignore"):
        span = np.nanmax(uw, axis=0) - np.nanmin(uw, axis=0)
    scale = max(float(np.nanmax(np.abs(u))) if np.isfinite(u).any() else 0.0, 1e-12)
    stimulated = np.flatnonzero(span > 1e-9 * scale)
    others = np.setdiff1d(np.arange(u.shape[1]), stimulated)
    handles = []
    if others.size:
        # the unstimulated neurons' (common) input in thin grey, behind the stimulated ones
        shown = others[np.linspace(0, others.size - 1, min(others.size, 20)).round().astype(int)]
        shown = np.unique(shown)
        xs, ys = minmax_decimate(t, u[:, shown])
        for col in range(shown.size):
            ax.plot(xs[:, col], ys[:, col], color="0.55", lw=0.8, zorder=1)
        handles.append(Line2D([], [], color="0.55", lw=0.8,
                              label=f"unstimulated ({others.size})"))
    picked = _pick_lines(stimulated, is_exc)
    _plot_neurons(ax, t, u, picked, colours, lw=1.0)
    if picked.size <= MAX_NAMED_INPUTS:
        for i in picked:
            kind = "E" if is_exc[i] else "I"
            handles.append(Line2D([], [], color=colours[i], lw=1.2,
                                  label=f"neuron {_neuron_label(ds, i)} ({kind})"))
    else:
        n_e = int(is_exc[picked].sum())
        if n_e:
            handles.append(Line2D([], [], color=colours[picked[is_exc[picked]][n_e // 2]],
                                  lw=1.2, label=f"stimulated E ({n_e})"))
        if picked.size - n_e:
            inh = picked[~is_exc[picked]]
            handles.append(Line2D([], [], color=colours[inh[inh.size // 2]], lw=1.2,
                                  label=f"stimulated I ({inh.size})"))
    if not stimulated.size:
        ax.text(0.99, 0.95, "no neuron stimulated after the transient", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color=NOTE_COLOUR)
    if handles:
        title = None if picked.size == stimulated.size else \
            f"{picked.size} of {stimulated.size} stimulated shown"
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                  frameon=False, title=title, alignment="left", borderaxespad=0.0)


def _neuron_label(ds: xr.Dataset, i: int) -> str:
    if "neuron" in ds.coords:
        return str(np.asarray(ds["neuron"].values)[i])
    return str(i)


def _panel_lines(ax: Axes, ds: xr.Dataset, name: str, config: Any, t: np.ndarray,
                 is_exc: np.ndarray, colours: list[tuple], missing: str, *,
                 lw: float = 0.7) -> np.ndarray | None:
    """Draw every neuron of ``name`` that is not all-NaN; the note ``missing`` if none is."""
    values = _traj_values(ds, name, config)
    if values is None or values.size == 0 or not np.isfinite(values).any():
        note(ax, missing, keep_x=True)
        return None
    present = np.flatnonzero(np.isfinite(values).any(axis=0))
    picked = _pick_lines(present, is_exc)
    _plot_neurons(ax, t, values, picked, colours, lw=lw)
    _ei_legend(ax, is_exc, picked, colours, total=present.size)
    return values


def _panel_lyapunov(ax: Axes, ds: xr.Dataset, config: Any, lle: float) -> None:
    panel_title(ax, "f", "Largest Lyapunov exponent (Benettin): local and finite-time")
    ax.set_ylabel("exponent (1/s)")
    have_local = has_vars(ds, "lya_local") and ds["lya_local"].size > 0
    have_finite = has_vars(ds, "lya_finite") and ds["lya_finite"].size > 0
    if not (have_local or have_finite):
        note(ax, "no Lyapunov exponents stored", keep_x=True)
        return
    handles = []
    shown: list[np.ndarray] = []
    t_l = np.asarray(ds["lya_time"].values, dtype=float)
    if have_local:
        local = np.asarray(ds["lya_local"].sel(configuration=config).values, dtype=float)
        xs, ys = minmax_decimate(t_l, local)
        (ln,) = ax.plot(xs, ys, color="#6baed6", lw=0.6, alpha=0.8, zorder=2,
                        label="local exponent (per interval)")
        ln.set_gid("lya_local")
        handles.append(ln)
        # y range: the local exponent after the transient, without its extreme 0.5 %
        after = local[(t_l >= 0) & np.isfinite(local)]
        if after.size:
            shown.append(_quantiles(after, (0.005, 0.995), axis=0))
    if have_finite:
        finite = np.asarray(ds["lya_finite"].sel(configuration=config).values, dtype=float)
        xs, ys = minmax_decimate(t_l, finite)
        (ln,) = ax.plot(xs, ys, color="#08306b", lw=2.0, zorder=3, label="finite-time LLE")
        ln.set_gid("lya_finite")
        handles.append(ln)
        if np.isfinite(finite).any():
            shown.append(finite[np.isfinite(finite)])
    if np.isfinite(lle):
        ln = ax.axhline(lle, color="black", lw=1.0, ls="--", zorder=4,
                        label=f"LLE = {_fmt(lle, 3)} 1/s")
        ln.set_gid("lle")
        handles.append(ln)
        shown.append(np.array([lle]))
    if shown:
        vals = np.concatenate([np.ravel(s) for s in shown])
        vals = vals[np.isfinite(vals)]
        if vals.size:
            lo, hi = float(vals.min()), float(vals.max())
            pad = 0.08 * (hi - lo) if hi > lo else max(0.1 * abs(hi), 0.01)
            ax.set_ylim(lo - pad, hi + pad)
            if lo - pad < 0 < hi + pad:
                ax.axhline(0.0, color="0.6", lw=0.6, ls=":", zorder=1)
    handles.append(Patch(facecolor=_TRANSIENT_COLOUR, edgecolor="0.75", lw=0.6,
                         label="transient $t<0$\n(not in the LLE)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False,
              borderaxespad=0.0)


def make_srnn_trajectory_figure(ds: xr.Dataset, configuration: Any) -> Figure:
    """Six stacked panels of one configuration of the basic example (no file I/O).

    Parameters
    ----------
    ds
        The example Dataset: coords ``configuration`` ("none", "sfa", "std", "sfa_std"),
        ``time`` (s), ``neuron``, ``lya_time`` (s); variables ``input`` (time, neuron),
        ``rate``, ``u_d``, ``sfa`` (= c_SFA * sum_k a_k, NaN without SFA), ``std``
        (= prod_m b_m, NaN without STD), all (configuration, time, neuron); ``lya_local``,
        ``lya_finite`` (configuration, lya_time) in 1/s; ``lle`` (configuration) in 1/s;
        ``is_excitatory`` (neuron). Missing or all-NaN variables give notes.
    configuration
        A ``configuration`` value, or its display name ("SFA+STD" selects "sfa_std").

    Returns
    -------
    matplotlib.figure.Figure
        Panels labelled ``"input"``, ``"rate"``, ``"dendrite"``, ``"sfa"``, ``"std"``,
        ``"lyapunov"`` (top to bottom), sharing the time axis; attached to an Agg canvas.
        Lines of neuron ``i`` carry the gid ``"neuron:i"``; the Lyapunov lines carry
        ``"lya_local"``, ``"lya_finite"``, ``"lle"``. Long series are min/max decimated to
        at most :data:`MAX_POINTS` points per line.
    """
    if "time" not in ds.coords and "time" not in ds.dims:
        raise ValueError("srnn trajectory figure: dataset has no 'time' coordinate")
    config = _select_configuration(ds, configuration)
    if config is None:
        raise ValueError("srnn trajectory figure: dataset has no 'configuration' coordinate")
    t = np.asarray(ds["time"].values, dtype=float)
    n = int(ds.sizes.get("neuron", 0))
    if has_vars(ds, "is_excitatory"):
        is_exc = np.asarray(ds["is_excitatory"].values, dtype=bool)
    else:
        is_exc = np.ones(n, dtype=bool)
    colours = _neuron_colours(is_exc)
    lle = float(ds["lle"].sel(configuration=config)) if has_vars(ds, "lle") else float("nan")
    name = _config_name(config)
    t_min = float(np.nanmin(t)) if t.size else float("nan")
    if has_vars(ds, "lya_time") and ds["lya_time"].size:
        t_min = min(t_min, float(np.nanmin(ds["lya_time"].values)))

    with house_figure(TRAJECTORY_FIGSIZE_IN, w_pad=0.05, h_pad=0.03, hspace=0.02) as fig:
        axes = fig.subplots(6, 1, sharex=True, height_ratios=[0.8, 1.2, 1.0, 0.9, 0.9, 1.2])
        for ax, label in zip(axes, TRAJECTORY_PANEL_LABELS):
            ax.set_label(label)
            _shade_transient(ax, t_min)

        _panel_input(axes[0], ds, t, is_exc, colours)

        panel_title(axes[1], "b", "Rates $r = [u_d - c_\\mathrm{SFA}\\,\\Sigma_k a_k]_+$")
        axes[1].set_ylabel("$r$ (Hz)")
        _panel_lines(axes[1], ds, "rate", config, t, is_exc, colours, "no rates stored")

        panel_title(axes[2], "c", "Dendritic state $u_d$")
        axes[2].set_ylabel("$u_d$ (Hz)")
        _panel_lines(axes[2], ds, "u_d", config, t, is_exc, colours,
                     "no dendritic states stored")

        panel_title(axes[3], "d", "Spike-frequency adaptation $c_\\mathrm{SFA}\\,\\Sigma_k a_k$")
        axes[3].set_ylabel("$c_\\mathrm{SFA}\\,\\Sigma_k a_k$")
        _panel_lines(axes[3], ds, "sfa", config, t, is_exc, colours,
                     f"no SFA in configuration {name!r}")

        panel_title(axes[4], "e", "Short-term depression $\\Pi_m b_m$")
        axes[4].set_ylabel("$\\Pi_m b_m$")
        if _panel_lines(axes[4], ds, "std", config, t, is_exc, colours,
                        f"no STD in configuration {name!r}") is not None:
            axes[4].set_ylim(0.0, 1.05)

        _panel_lyapunov(axes[5], ds, config, lle)
        axes[5].set_xlabel("time (s)")
        if t.size:
            t_hi = float(np.nanmax(t))
            axes[5].set_xlim(t_min, t_hi)

        n_e = int(is_exc.sum())
        fig.suptitle(
            f"SRNN basic example, configuration {name}:   LLE = {_fmt(lle, 3)} 1/s"
            f"   (n = {n}: {n_e} E, {n - n_e} I)",
            fontsize=11,
        )
    return fig


def plot_srnn_trajectory_figure(ds: xr.Dataset, configuration: Any,
                                path_stem: str | Path) -> list[Path]:
    """Write the trajectory figure to ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf``.

    Missing parent directories are created; returns ``[png_path, pdf_path]``.
    """
    return save_figure(make_srnn_trajectory_figure(ds, configuration), path_stem, ds.attrs)




# --------------------------------------------------------------------------- sweep


_SWEEP_DIMS = ("network", "weight_scale", "configuration", "tau_slowest")


def _sweep_array(ds: xr.Dataset, name: str) -> np.ndarray:
    """``name`` as a float array ordered (network, weight_scale, configuration, tau_slowest)."""
    da = ds[name]
    extra = [d for d in da.dims if d not in _SWEEP_DIMS]
    return np.asarray(da.transpose(*_SWEEP_DIMS, *extra).values, dtype=float)


def _panel_bounded(ax: Axes, bounded: np.ndarray, ws: np.ndarray, configs: list[str],
                   taus: np.ndarray, colours: dict[str, str]) -> None:
    panel_title(ax, "a", "Fraction of bounded networks (Wilson 95 % CI)")
    n_net = np.sum(np.isfinite(bounded), axis=0)  # (ws, config, tau)
    k = np.nansum(bounded, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(n_net > 0, k / np.maximum(n_net, 1), np.nan)
    lo, hi = wilson_interval(k, n_net)
    j_slow = int(np.argmax(taus))
    order = np.argsort(taus)
    single = ws.size == 1
    for c, config in enumerate(configs):
        col = colours[config]
        x = _spread(ws, c, len(configs)) if single else ws
        # faster timescales: lighter, thin, no band
        others = [j for j in order if j != j_slow]
        for rank, j in enumerate(others):
            light = 0.65 - 0.4 * rank / max(len(others), 1)
            (ln,) = ax.plot(x, frac[:, c, j], color=lighter(col, light), lw=0.9,
                            marker="o", ms=2.5, zorder=2)
            ln.set_gid(f"bounded:{config}:{taus[j]:g}")
        if single:
            ax.errorbar(x, frac[:, c, j_slow],
                        yerr=[frac[:, c, j_slow] - lo[:, c, j_slow],
                              hi[:, c, j_slow] - frac[:, c, j_slow]],
                        fmt="none", ecolor=col, elinewidth=1.0, capsize=3, zorder=3)
        else:
            ax.fill_between(ws, lo[:, c, j_slow], hi[:, c, j_slow], color=col, alpha=0.18,
                            lw=0, zorder=1)
        (ln,) = ax.plot(x, frac[:, c, j_slow], color=col, lw=1.8, marker="o", ms=4,
                        zorder=4, label=_config_name(config))
        ln.set_gid(f"bounded:{config}:{taus[j_slow]:g}")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("weight scale")
    ax.set_ylabel(f"fraction bounded (n = {int(n_net.max()) if n_net.size else 0} networks)")
    _ws_axis(ax, ws)
    handles = [Line2D([], [], color="0.3", lw=1.8, marker="o", ms=4,
                      label=f"$\\tau_\\mathrm{{slowest}}$ = {taus[j_slow]:g} s"),
               Patch(color="0.3", alpha=0.18, label="95 % CI (Wilson)")]
    if taus.size > 1:
        faster = ", ".join(f"{taus[j]:g}" for j in order if j != j_slow)
        handles.append(Line2D([], [], color="0.7", lw=0.9, marker="o", ms=2.5,
                              label=f"faster: {faster} s\n(lighter = faster)"))
    ax.legend(handles=handles, loc="best", frameon=True, framealpha=0.9)
    ax.grid(True, axis="y", color="0.92", lw=0.6)


def _spread(ws: np.ndarray, c: int, n_configs: int) -> np.ndarray:
    """A single weight scale, shifted by +-4 % per configuration (markers side by side)."""
    step = 0.04 * max(float(np.nanmax(np.abs(ws))) if ws.size else 1.0, 1e-3)
    return ws + step * (c - (n_configs - 1) / 2)


def _ws_axis(ax: Axes, ws: np.ndarray) -> None:
    finite = ws[np.isfinite(ws)]
    if finite.size >= 2 and finite.min() > 0 and finite.max() / finite.min() >= 20:
        ax.set_xscale("log")
        if finite.size <= 12:  # the swept values as ticks (log minor labels overlap)
            ax.set_xticks(finite, [f"{w:g}" for w in finite])
            ax.xaxis.set_minor_locator(NullLocator())
    if finite.size == 1:
        w = float(finite[0])
        ax.set_xlim(w - 0.5 * max(abs(w), 1e-3), w + 0.5 * max(abs(w), 1e-3))
        ax.set_xticks([w], [f"{w:g}"])


def _panel_lle(ax: Axes, lle: np.ndarray, ws: np.ndarray, configs: list[str],
               taus: np.ndarray, colours: dict[str, str], linthresh: float) -> None:
    j_slow = int(np.argmax(taus))
    panel_title(ax, "b", "LLE of the bounded networks (median, IQR band), "
                         f"$\\tau_\\mathrm{{slowest}}$ = {taus[j_slow]:g} s")
    q = _quantiles(lle[:, :, :, j_slow], (0.25, 0.5, 0.75), axis=0)  # (3, ws, config)
    if not np.isfinite(q).any():
        note(ax, "no bounded network: LLE undefined everywhere")
        return
    single = ws.size == 1
    for c, config in enumerate(configs):
        col = colours[config]
        x = _spread(ws, c, len(configs)) if single else ws
        if single:
            ax.errorbar(x, q[1, :, c], yerr=[q[1, :, c] - q[0, :, c], q[2, :, c] - q[1, :, c]],
                        fmt="none", ecolor=col, elinewidth=1.0, capsize=3)
        else:
            ax.fill_between(ws, q[0, :, c], q[2, :, c], color=col, alpha=0.2, lw=0)
        (ln,) = ax.plot(x, q[1, :, c], color=col, lw=1.6, marker="o", ms=3.5,
                        label=_config_name(config))
        ln.set_gid(f"lle:{config}")
    ax.axhline(0.0, color="black", lw=0.8, zorder=0)
    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.5)
    _fit_symlog_y(ax, np.append(q, 0.0))
    ax.set_xlabel("weight scale")
    ax.set_ylabel("LLE (1/s), symlog")
    _ws_axis(ax, ws)
    ax.grid(True, axis="y", color="0.92", lw=0.6)


def _panel_heatmap(ax: Axes, fig: Figure, lle: np.ndarray, bounded: np.ndarray,
                   ws: np.ndarray, configs: list[str], taus: np.ndarray,
                   linthresh: float) -> None:
    chosen = next((c for c in _HEATMAP_PREFERENCE if c in configs), None)
    if chosen is None:
        panel_title(ax, "c", "Median LLE over τ_slowest × weight scale")
        note(ax, "no configuration with adaptation in this sweep")
        return
    c = configs.index(chosen)
    panel_title(ax, "c", f"Median LLE (1/s), {_config_name(chosen)}, bounded networks")
    med = _quantiles(lle[:, :, c, :], (0.5,), axis=0)[0].T  # (tau, ws)
    n_b = np.nansum(bounded[:, :, c, :], axis=0).T.astype(int)
    n_all = np.sum(np.isfinite(bounded[:, :, c, :]), axis=0).T
    order = np.argsort(taus)
    med, n_b, n_all = med[order], n_b[order], n_all[order]
    if not np.isfinite(med).any():
        note(ax, f"no bounded network with {_config_name(chosen)}: LLE undefined")
        return
    vmax = float(np.nanmax(np.abs(med))) or 1.0
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="0.82")
    norm = SymLogNorm(linthresh=linthresh, linscale=0.5, vmin=-vmax, vmax=vmax)
    im = ax.imshow(np.ma.masked_invalid(med), cmap=cmap, norm=norm, aspect="auto",
                   interpolation="nearest", origin="lower")
    ax.set_xticks(np.arange(ws.size), [f"{w:g}" for w in ws])
    ax.set_yticks(np.arange(taus.size), [f"{taus[j]:g}" for j in order])
    ax.set_xlabel("weight scale\ncells: median LLE (bounded / all networks)")
    ax.set_ylabel("$\\tau_\\mathrm{slowest}$ (s)")
    hide_frame(ax)
    n_rows, n_cols = med.shape
    if n_rows * n_cols <= 120:
        counts = None
        if n_rows <= 8 and n_cols <= 10:
            counts = [[f"\n{n_b[i, j]}/{n_all[i, j]}" for j in range(n_cols)]
                      for i in range(n_rows)]
        annotate_cells(ax, med, cmap, norm, _fmt, counts, fontsize=7 if n_cols <= 8 else 6,
                       linespacing=1.0)
    cbar = fig.colorbar(im, ax=ax, fraction=0.06, pad=0.02)
    cbar.set_label("median LLE (1/s)")


def _panel_rule(ax: Axes, lle: np.ndarray, spectrum: np.ndarray | None, configs: list[str],
                taus: np.ndarray, colours: dict[str, str], linthresh: float) -> None:
    panel_title(ax, "d", "LLE vs the slowest relaxation rate (bounded networks)")
    adaptive = [c for c in configs if c != "none"]
    if not adaptive:
        note(ax, "no configuration with adaptation in this sweep")
        return
    pred = -1.0 / taus
    xs_all: list[float] = list(pred[np.isfinite(pred)])
    ys_all: list[float] = []
    n_cfg = len(adaptive)
    drew = False
    for m, config in enumerate(adaptive):
        c = configs.index(config)
        col = colours[config]
        # per weight-scale cell medians (faint), pooled median with IQR (bold)
        cell_med = _quantiles(lle[:, :, c, :], (0.5,), axis=0)[0]  # (ws, tau)
        pooled = lle[:, :, c, :].reshape(-1, taus.size)
        q = _quantiles(pooled, (0.25, 0.5, 0.75), axis=0)  # (3, tau)
        # a small multiplicative offset per configuration keeps overlapping markers apart
        shift = 1.0 + 0.04 * (m - (n_cfg - 1) / 2)
        x = pred * shift
        for w in range(cell_med.shape[0]):
            ax.plot(x, cell_med[w], ls="", marker="o", ms=2.5, color=lighter(col, 0.45),
                    zorder=2)
        ok = np.isfinite(q[1])
        if ok.any():
            drew = True
            ax.errorbar(x[ok], q[1, ok], yerr=[q[1, ok] - q[0, ok], q[2, ok] - q[1, ok]],
                        fmt="o", ms=6, color=col, mec="black", mew=0.5, elinewidth=1.2,
                        capsize=2.5, zorder=4, label=_config_name(config))
            ys_all.extend(q[:, ok].ravel().tolist())
        ys_all.extend(cell_med[np.isfinite(cell_med)].ravel().tolist())
        if spectrum is not None and spectrum.shape[-1] > 0:
            lam1 = _quantiles(spectrum[:, :, c, :, 0].reshape(-1, taus.size), (0.5,), axis=0)[0]
            ok1 = np.isfinite(lam1)
            if ok1.any():
                ax.plot(x[ok1] * (1.0 + 0.025), lam1[ok1], ls="", marker="D", ms=5, mfc="none",
                        mec=col, mew=1.0, zorder=5)
                ys_all.extend(lam1[ok1].tolist())
    if not drew:
        note(ax, "no bounded network with adaptation: LLE undefined")
        return
    vals = np.array(xs_all + ys_all, dtype=float)
    vals = vals[np.isfinite(vals)]
    lo, hi = float(vals.min()), float(vals.max())
    # multiplicative margins (symlog); wider ones when everything sits near one value
    grow = 1.6 if taus.size > 1 else 3.0
    lo = lo * grow if lo < -linthresh else lo - linthresh
    hi = hi * grow if hi > linthresh else hi / grow if hi < -linthresh else hi + linthresh
    line = np.linspace(lo, hi, 400)
    ax.plot(line, line, color="0.3", lw=1.0, ls="--", zorder=1)
    ax.set_xscale("symlog", linthresh=linthresh, linscale=0.5)
    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.5)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.axhline(0.0, color="0.6", lw=0.6, ls=":", zorder=0)
    ticks = np.unique(pred[np.isfinite(pred)])
    if 0 < ticks.size <= 6:
        ax.xaxis.set_ticks(ticks, [_fmt(v) for v in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        y_ticks = _symlog_ticks(ax, ticks, lo, hi, linthresh)
        ax.yaxis.set_ticks(y_ticks, [_fmt(v) for v in y_ticks])
        ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("prediction $-1/\\tau_\\mathrm{slowest}$ (1/s)")
    ax.set_ylabel("LLE (1/s)")
    handles = [Line2D([], [], ls="", marker="o", ms=6, mfc="0.6", mec="black", mew=0.5,
                      label="median (IQR), pooled")]
    handles.append(Line2D([], [], color="0.3", lw=1.0, ls="--", label="identity"))
    handles.append(Line2D([], [], ls="", marker="o", ms=2.5, color="0.6",
                          label="per weight scale"))
    if spectrum is not None and np.isfinite(spectrum).any():
        handles.append(Line2D([], [], ls="", marker="D", ms=5, mfc="none", mec="0.3",
                              label="$\\lambda_1$ (QR spectrum)"))
    ax.legend(handles=handles, loc="best", frameon=True, framealpha=0.9)
    ax.grid(True, color="0.93", lw=0.6)


def _symlog_ticks(ax: Axes, preferred: np.ndarray, lo: float, hi: float,
                  linthresh: float) -> np.ndarray:
    """``preferred`` ticks, plus 0 and +-decades (>= 10 linthresh) in [lo, hi] not too close."""
    trans = ax.yaxis.get_transform()
    span = float(np.ptp(trans.transform(np.array([lo, hi])))) or 1.0
    chosen = [float(v) for v in preferred if lo <= v <= hi]
    k_lo = int(np.ceil(np.log10(10 * linthresh)))
    k_hi = int(np.floor(np.log10(max(abs(lo), abs(hi), 10 * linthresh))))
    extra = [0.0] + [sign * 10.0**k for k in range(k_lo, k_hi + 1) for sign in (-1, 1)]
    for v in extra:
        if not lo <= v <= hi:
            continue
        tv = trans.transform(np.array([v]))[0]
        if all(abs(tv - trans.transform(np.array([w]))[0]) > 0.1 * span for w in chosen):
            chosen.append(v)
    return np.array(sorted(chosen))


def _panel_spectrum(ax: Axes, spectrum: np.ndarray | None, exponents: np.ndarray,
                    configs: list[str], taus: np.ndarray, colours: dict[str, str],
                    linthresh: float) -> None:
    j_slow = int(np.argmax(taus))
    panel_title(ax, "e", f"Lyapunov spectrum (QR), $\\tau_\\mathrm{{slowest}}$ = {taus[j_slow]:g} s")
    if spectrum is None or spectrum.shape[-1] == 0 or not np.isfinite(spectrum).any():
        note(ax, "no Lyapunov spectrum stored")
        return
    k = spectrum.shape[-1]
    idx = np.arange(1, k + 1) if exponents.size != k else np.asarray(exponents) + 1
    width = 0.6 / max(len(configs), 1)
    shown = [0.0, -1.0 / taus[j_slow]]
    for c, config in enumerate(configs):
        vals = spectrum[:, :, c, j_slow, :].reshape(-1, k)
        q = _quantiles(vals, (0.25, 0.5, 0.75), axis=0)
        ok = np.isfinite(q[1])
        if not ok.any():
            continue
        x = idx + (c - (len(configs) - 1) / 2) * width
        shown.extend(q[:, ok].ravel().tolist())
        ax.errorbar(x[ok], q[1, ok], yerr=[q[1, ok] - q[0, ok], q[2, ok] - q[1, ok]],
                    fmt="o-", ms=3.5, lw=0.8, color=colours[config], elinewidth=1.0,
                    capsize=2)
    ax.axhline(-1.0 / taus[j_slow], color="0.3", lw=0.9, ls="--",
               label=f"$-1/\\tau_\\mathrm{{slowest}}$ = {_fmt(-1.0 / taus[j_slow], 3)} 1/s")
    ax.axhline(0.0, color="black", lw=0.8, zorder=0)
    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.5)
    _fit_symlog_y(ax, shown)
    ax.set_xticks(idx, [f"$\\lambda_{{{int(i)}}}$" for i in idx])
    ax.set_xlabel("exponent index (median, IQR)")
    ax.set_ylabel("exponent (1/s), symlog")
    ax.legend(loc="best", frameon=True, framealpha=0.9)
    ax.grid(True, axis="y", color="0.92", lw=0.6)


def make_srnn_sweep_figure(ds: xr.Dataset) -> Figure:
    """The sweep summary over random networks (no file I/O).

    Parameters
    ----------
    ds
        The sweep Dataset: coords ``network``, ``weight_scale``, ``configuration``,
        ``tau_slowest`` (s), ``exponent``; variables ``bounded`` (network, weight_scale,
        configuration, tau_slowest) bool, ``lle`` (same dims, 1/s, NaN where unbounded),
        optional ``spectrum`` (same dims + exponent, 1/s). A single ``tau_slowest`` or
        ``weight_scale``, cells without a bounded network, or no spectrum give reduced
        panels or notes instead of errors.

    Returns
    -------
    matplotlib.figure.Figure
        Panels labelled ``"bounded"`` (a), ``"lle"`` (b), ``"heatmap"`` (c), ``"rule"`` (d),
        ``"spectrum"`` (e); attached to an Agg canvas. In panel a the line of a configuration
        and timescale carries the gid ``"bounded:<configuration>:<tau>"``, in panel b the
        median line the gid ``"lle:<configuration>"``.
    """
    for dim in ("network", "configuration"):
        if dim not in ds.dims:
            raise ValueError(f"srnn sweep figure: dataset has no {dim!r} dimension")
    if not has_vars(ds, "bounded"):
        raise ValueError("srnn sweep figure: dataset has no 'bounded' variable")
    for dim in ("weight_scale", "tau_slowest"):
        if dim not in ds.dims:
            if dim in ds.coords:
                ds = ds.expand_dims(dim)
            else:
                raise ValueError(f"srnn sweep figure: dataset has no {dim!r} coordinate")
    ds = ds.sortby("weight_scale")
    configs = [str(c) for c in np.asarray(ds["configuration"].values).tolist()]
    colours = _config_colours(configs)
    ws = np.asarray(ds["weight_scale"].values, dtype=float)
    taus = np.asarray(ds["tau_slowest"].values, dtype=float)
    bounded = _sweep_array(ds, "bounded")
    if has_vars(ds, "lle"):
        lle = _sweep_array(ds, "lle")
        lle = np.where(bounded > 0.5, lle, np.nan)  # bounded networks only
    else:
        lle = np.full(bounded.shape, np.nan)
    spectrum = None
    exponents = np.arange(0)
    if has_vars(ds, "spectrum") and "exponent" in ds["spectrum"].dims:
        spectrum = _sweep_array(ds, "spectrum")
        spectrum = np.where((bounded > 0.5)[..., None], spectrum, np.nan)
        exponents = np.asarray(ds["exponent"].values)
    pool = [lle.ravel(), -1.0 / taus]
    if spectrum is not None:
        pool.append(spectrum.ravel())
    linthresh = _symlog_linthresh(np.concatenate(pool))

    with house_figure(SWEEP_FIGSIZE_IN, w_pad=0.06, h_pad=0.06, wspace=0.04,
                      hspace=0.06) as fig:
        grid = fig.add_gridspec(2, 6)
        ax_a = fig.add_subplot(grid[0, 0:3])
        ax_b = fig.add_subplot(grid[0, 3:6])
        ax_c = fig.add_subplot(grid[1, 0:2])
        ax_d = fig.add_subplot(grid[1, 2:4])
        ax_e = fig.add_subplot(grid[1, 4:6])
        for ax, label in zip((ax_a, ax_b, ax_c, ax_d, ax_e), SWEEP_PANEL_LABELS):
            ax.set_label(label)
        _panel_bounded(ax_a, bounded, ws, configs, taus, colours)
        _panel_lle(ax_b, lle, ws, configs, taus, colours, linthresh)
        _panel_heatmap(ax_c, fig, lle, bounded, ws, configs, taus, linthresh)
        _panel_rule(ax_d, lle, spectrum, configs, taus, colours, linthresh)
        _panel_spectrum(ax_e, spectrum, exponents, configs, taus, colours, linthresh)
        fig.legend(handles=[Line2D([], [], color=colours[c], lw=1.8, marker="o", ms=4,
                                   label=_config_name(c)) for c in configs],
                   loc="outside lower center", ncol=len(configs), frameon=False,
                   title=None)

        n_net = ds.sizes["network"]
        fig.suptitle(
            "SRNN sweep: random sparse unbalanced networks with and without SFA / STD"
            f"   ({n_net} network{'s' if n_net != 1 else ''} × {ws.size} weight scale"
            f"{'s' if ws.size != 1 else ''} × {len(configs)} configurations × {taus.size} τ)",
            fontsize=11,
        )
    return fig


def plot_srnn_sweep_figure(ds: xr.Dataset, path_stem: str | Path) -> list[Path]:
    """Write the sweep figure to ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf``.

    Missing parent directories are created; returns ``[png_path, pdf_path]``.
    """
    return save_figure(make_srnn_sweep_figure(ds), path_stem, ds.attrs)
