"""The srnn study's per-configuration trajectory figure (the basic example).

Six stacked panels sharing the time axis (seconds): a. external input of the stimulated
neurons, b. rates, c. dendritic states, d. SFA ``c_SFA * sum_k a_k``, e. STD ``prod_m b_m``,
f. local and finite-time largest Lyapunov exponent. The transient ``t < 0`` (excluded from the
LLE) is shaded in every panel. Rates are dimensionless ("Hz"), exponents in 1/s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from netdyn.plots.common import MAX_POINTS, NOTE_COLOUR, has_vars, house_figure
from netdyn.plots.common import minmax_decimate, note, panel_title, save_figure
from netdyn.plots.srnn.shared import config_name, fmt_number, nan_quantiles

__all__ = [
    "TRAJECTORY_FIGSIZE_IN",
    "TRAJECTORY_PANEL_LABELS",
    "MAX_POINTS",
    "make_srnn_trajectory_figure",
    "plot_srnn_trajectory_figure",
]

TRAJECTORY_FIGSIZE_IN = (10.0, 11.0)
#: Axes labels of the panels (top to bottom).
TRAJECTORY_PANEL_LABELS = ("input", "rate", "dendrite", "sfa", "std", "lyapunov")
#: At most this many neurons drawn per panel (evenly chosen among E and I).
MAX_LINES = 60
#: At most this many stimulated neurons are named one by one in the input legend.
MAX_NAMED_INPUTS = 6

_TRANSIENT_COLOUR = "0.93"


# --------------------------------------------------------------------------- helpers


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
        if _normalise_config(v) == wanted or _normalise_config(config_name(v)) == wanted:
            return v
    raise ValueError(f"srnn figure: configuration {configuration!r} not in {values}")


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
        _legend_right(ax, handles, title)


def _legend_right(ax: Axes, handles: list, title: str | None = None) -> None:
    """Legend outside the panel, to its right, top-aligned (the panels share a narrow x)."""
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False,
              title=title, alignment="left", borderaxespad=0.0)


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


# --------------------------------------------------------------------------- panels


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
            ax.plot(xs[:, col], ys[:, col], color="0.55", lw=0.8, zorder=1,
                    gid=f"unstimulated:{int(shown[col])}")
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
        _legend_right(ax, handles, title)


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
            shown.append(nan_quantiles(after, (0.005, 0.995), axis=0))
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
                        label=f"LLE = {fmt_number(lle, 3)} 1/s")
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
    _legend_right(ax, handles)


# --------------------------------------------------------------------------- public API


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
        Lines of neuron ``i`` carry the gid ``"neuron:i"`` (unstimulated inputs
        ``"unstimulated:i"``); the Lyapunov lines carry ``"lya_local"``, ``"lya_finite"``,
        ``"lle"``; a panel without data shows a note with the gid
        :data:`~netdyn.plots.common.NOTE_GID`. Long series are min/max decimated to
        at most :data:`netdyn.plots.common.MAX_POINTS` points per line.
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
    name = config_name(config)
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
            f"SRNN basic example, configuration {name}:   LLE = {fmt_number(lle, 3)} 1/s"
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
