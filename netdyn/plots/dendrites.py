"""Figures of the ``dendrites`` study.

Building blocks:

:func:`segment_values`
    the value of the compartment (CV) holding each segment of a morphology, from the CVs'
    branch and path distance (``cv_branch``, ``cv_distance_um`` of the engine's Dataset).
:func:`morphology_panel`
    the tree in the x-y plane as a :class:`~matplotlib.collections.LineCollection`, one line per
    segment, its width following the segment's diameter and its colour a value per segment
    (the membrane potential of a snapshot), with a colour bar.
:func:`trace_panel`, :func:`attenuation_panel`, :func:`selectivity_panel`
    traces against time, peaks against distance, DSI against speed.

One figure per protocol, drawn from the protocol's results (:func:`save_dendrites_figures`):

``brt-integration``
    (a) the tree with the synapse positions, (b) somatic EPSPs at three distances, (c) the
    peak at the soma and at the synapse against distance, AMPA against AMPA + NMDA, (d) the
    attenuation (somatic / local peak).
``voltage-gradient``
    the tree coloured by V at each snapshot, and the steady depolarisation along the path.
``branco2010``
    (a) the tree with the synapses, (b) somatic traces IN and OUT at the speed of largest
    selectivity, (c) peak IN and OUT against speed, (d) DSI against speed, with and without
    NMDA.
``bombardment``
    (a) the tree coloured by V at the last snapshot, (b) V at the soma and the dendrite, (c)
    the distribution of V at both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from netdyn.cells.morphology import Morphology
from netdyn.plots.common import house_figure, minmax_decimate, note, panel_title, save_figure

__all__ = [
    "RECEPTOR_COLOURS",
    "attenuation_panel",
    "bombardment_figure",
    "branco2010_figure",
    "brt_integration_figure",
    "morphology_panel",
    "save_dendrites_figures",
    "segment_values",
    "selectivity_panel",
    "trace_panel",
    "voltage_gradient_figure",
]

#: Colours of the receptor sets (AMPA alone grey, with NMDA dark red).
RECEPTOR_COLOURS: dict[str, str] = {"ampa": "0.45", "ampa+nmda": "#b2182b", "nmda": "#2166ac"}
RECEPTOR_LABELS: dict[str, str] = {"ampa": "AMPA", "ampa+nmda": "AMPA + NMDA", "nmda": "NMDA"}
DIRECTION_STYLE: dict[str, tuple[str, str]] = {"centripetal": ("-", "IN (centripetal)"),
                                               "centrifugal": ("--", "OUT (centrifugal)")}
#: Colour map of the membrane potential on the tree.
V_CMAP = "viridis"


# --------------------------------------------------------------------------- morphology


def segment_values(morph: Morphology, cv_branch: np.ndarray, cv_distance_um: np.ndarray,
                   cv_values: np.ndarray) -> np.ndarray:
    """The value of the CV nearest to each segment's midpoint on the segment's branch.

    Parameters
    ----------
    morph
        The morphology.
    cv_branch, cv_distance_um
        (n_cv,) branch and path distance from the soma (um) of each CV's centre.
    cv_values
        (n_cv,) a value per CV.

    Returns
    -------
    numpy.ndarray
        (n_segments,) the values; NaN for a segment whose branch has no CV.
    """
    cv_branch = np.asarray(cv_branch, dtype=np.int64)
    cv_distance_um = np.asarray(cv_distance_um, dtype=float)
    cv_values = np.asarray(cv_values, dtype=float)
    mid = 0.5 * (morph.proximal_distance_um + morph.path_distance_um)
    out = np.full(morph.n_segments, np.nan)
    order = np.lexsort((cv_distance_um, cv_branch))
    b_sorted, d_sorted, v_sorted = cv_branch[order], cv_distance_um[order], cv_values[order]
    for b in np.unique(morph.segment_branch):
        lo, hi = np.searchsorted(b_sorted, b, "left"), np.searchsorted(b_sorted, b, "right")
        if lo == hi:
            continue
        segs = np.flatnonzero(morph.segment_branch == b)
        d, v = d_sorted[lo:hi], v_sorted[lo:hi]
        k = np.clip(np.searchsorted(d, mid[segs]), 1, max(len(d) - 1, 1))
        if len(d) == 1:
            out[segs] = v[0]
            continue
        nearer_left = np.abs(mid[segs] - d[k - 1]) <= np.abs(d[k] - mid[segs])
        out[segs] = np.where(nearer_left, v[k - 1], v[k])
    return out


def _linewidths(morph: Morphology, scale: float = 1.2) -> np.ndarray:
    diameter = morph.proximal[:, 3] + morph.distal[:, 3]
    return np.clip(scale * diameter, 0.4, 8.0)


def morphology_panel(ax: Axes, morph: Morphology, values: np.ndarray | None = None, *, cmap: str = V_CMAP,
                     vmin: float | None = None, vmax: float | None = None, colour_label: str = "V (mV)",
                     colourbar: bool = True, sites: Sequence[tuple[float, float]] = (),
                     site_colour: str = "#b2182b") -> LineCollection:
    """Draw the tree in the x-y plane (um); ``values`` (one per segment) colour it.

    Returns the :class:`LineCollection` (its ``get_array()`` holds ``values``). ``sites``:
    (x, y) points marked on the tree (e.g. synapses).
    """
    segments = np.stack([morph.proximal[:, :2], morph.distal[:, :2]], axis=1)
    lc = LineCollection(segments, linewidths=_linewidths(morph), capstyle="round", gid="morphology")
    if values is not None:
        values = np.asarray(values, dtype=float)
        finite = values[np.isfinite(values)]
        lo = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
        hi = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
        if hi <= lo:
            hi = lo + 1e-3
        lc.set_array(values)
        lc.set_cmap(cmap)
        lc.set_norm(Normalize(lo, hi))
    else:
        lc.set_color("0.2")
    ax.add_collection(lc)
    if len(sites):
        xy = np.asarray(sites, dtype=float)
        ax.plot(xy[:, 0], xy[:, 1], "o", ms=3.5, color=site_colour, mec="white", mew=0.5, zorder=3, gid="sites")
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    _scale_bar(ax, morph)
    if values is not None and colourbar:
        ax.figure.colorbar(lc, ax=ax, label=colour_label, shrink=0.8)
    return lc


def _scale_bar(ax: Axes, morph: Morphology) -> None:
    pts = np.concatenate([morph.proximal[:, :2], morph.distal[:, :2]])
    span = float(np.ptp(pts[:, 0])) or 1.0
    length = 10 ** np.floor(np.log10(span / 3))
    length = 5 * length if 5 * length < span / 2 else (2 * length if 2 * length < span / 2 else length)
    x0, y0 = pts[:, 0].min(), pts[:, 1].min() - 0.05 * max(np.ptp(pts[:, 1]), span)
    ax.plot([x0, x0 + length], [y0, y0], color="k", lw=1.5, solid_capstyle="butt")
    ax.text(x0 + length / 2, y0, f"{length:g} µm", ha="center", va="top", fontsize=7)


def _site_xy(ds: xr.Dataset, morph: Morphology, branches: np.ndarray, distances: np.ndarray) -> list[tuple[float, float]]:
    from netdyn.cells.morphology import Site

    out = []
    for b, d in zip(branches, distances):
        p = morph.point(morph.locate(Site(int(b), float(d))))
        out.append((float(p[0]), float(p[1])))
    return out


def tree_values(ds: xr.Dataset, morph: Morphology, trial: int = 0, snapshot: int = -1) -> np.ndarray | None:
    """V per segment at one snapshot of one trial (None without snapshots)."""
    if "v_tree_mV" not in ds or ds.sizes.get("snapshot", 0) == 0:
        return None
    v = ds["v_tree_mV"].isel(trial=trial, snapshot=snapshot).values
    return segment_values(morph, ds["cv_branch"].values, ds["cv_distance_um"].values, v)


# --------------------------------------------------------------------------- panels


def trace_panel(ax: Axes, t_ms: np.ndarray, traces: Mapping[str, np.ndarray], *,
                styles: Mapping[str, Mapping[str, Any]] | None = None, ylabel: str = "V (mV)") -> list[Any]:
    """Each of ``traces`` (label -> V) against ``t_ms``; returns the lines."""
    lines = []
    for label, v in traces.items():
        x, y = minmax_decimate(np.asarray(t_ms), np.asarray(v))
        lines.extend(ax.plot(x, y, label=label, lw=1.0, **(styles or {}).get(label, {})))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    if traces:
        ax.legend(frameon=False)
    return lines


def attenuation_panel(ax: Axes, distance_um: np.ndarray, peaks: Mapping[str, np.ndarray], *,
                      local: Mapping[str, np.ndarray] | None = None, ylabel: str = "EPSP peak (mV)",
                      log: bool = True, where: str = "soma") -> list[Any]:
    """Peaks against distance per receptor set: at the soma (filled; labelled ``"<receptors>,
    <where>"``, or the receptors alone when ``where`` is empty) and, if given, at the synapse
    (open); returns the lines."""
    lines = []
    for r, p in peaks.items():
        c = RECEPTOR_COLOURS.get(r, "k")
        label = RECEPTOR_LABELS.get(r, r) + (f", {where}" if where else "")
        lines.extend(ax.plot(distance_um, p, "o-", color=c, ms=3, label=label))
        if local is not None and r in local:
            lines.extend(ax.plot(distance_um, local[r], "o--", color=c, mfc="white", ms=3,
                                 label=f"{RECEPTOR_LABELS.get(r, r)}, at the synapse"))
    ax.set_xlabel("distance of the synapse from the soma (µm)")
    ax.set_ylabel(ylabel)
    values = np.concatenate([np.ravel(p) for p in [*peaks.values(), *(local or {}).values()]]) if peaks else np.array([])
    if log and values.size and np.all(values[np.isfinite(values)] > 0):
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(frameon=False)
    return lines


def selectivity_panel(ax: Axes, speed_um_per_ms: np.ndarray, dsi: Mapping[str, np.ndarray]) -> list[Any]:
    """DSI against the speed of the sequence, per receptor set; returns the lines."""
    lines = []
    for r, d in dsi.items():
        lines.extend(ax.plot(speed_um_per_ms, d, "o-", ms=3.5, color=RECEPTOR_COLOURS.get(r, "k"),
                             label=RECEPTOR_LABELS.get(r, r)))
    ax.axhline(0.0, color="0.6", lw=0.6, zorder=0)
    ax.set_xscale("log")
    ax.set_xlabel("speed of the sequence (µm/ms)")
    ax.set_ylabel("DSI  (IN − OUT) / (IN + OUT)")
    ax.legend(frameon=False)
    return lines


# --------------------------------------------------------------------------- figures


def _morph(ds: xr.Dataset) -> Morphology:
    return Morphology.from_dataset(ds)


def _by(ds: xr.Dataset, var: str, receptors: str) -> np.ndarray:
    return ds[var].values[ds["trial_receptors"].values == receptors]


def brt_integration_figure(ds: xr.Dataset) -> Figure:
    """The figure of ``brt-integration`` (see the module doc)."""
    morph = _morph(ds)
    receptors = list(dict.fromkeys(ds["trial_receptors"].values.tolist()))
    with house_figure((7.2, 5.6)) as fig:
        axes = fig.subplots(2, 2)
        first = ds["trial_receptors"].values == receptors[0]
        dist = ds["trial_distance_um"].values[first]
        branches = ds["trial_branch"].values[first]
        morphology_panel(axes[0, 0], morph, sites=_site_xy(ds, morph, branches, dist))
        panel_title(axes[0, 0], "a", "synapse positions")
        t = ds["time_ms"].values
        trials = np.flatnonzero(ds["trial_receptors"].values == receptors[-1])
        picks = trials[np.unique(np.linspace(0, len(trials) - 1, min(3, len(trials))).astype(int))]
        trace_panel(axes[0, 1], t, {f"{ds['trial_distance_um'].values[k]:.0f} µm": ds["v_mV"].isel(trial=k, site=0).values
                                    for k in picks})
        panel_title(axes[0, 1], "b", f"somatic EPSP, {RECEPTOR_LABELS.get(receptors[-1], receptors[-1])}")
        attenuation_panel(axes[1, 0], dist, {r: _by(ds, "peak_soma_mV", r) for r in receptors},
                          local={r: _by(ds, "peak_local_mV", r) for r in receptors})
        panel_title(axes[1, 0], "c", "peak against distance")
        attenuation_panel(axes[1, 1], dist, {r: _by(ds, "attenuation", r) for r in receptors},
                          ylabel="soma / synapse peak", log=False, where="")
        panel_title(axes[1, 1], "d", "attenuation")
        return fig


def voltage_gradient_figure(ds: xr.Dataset) -> Figure:
    """The figure of ``voltage-gradient``: the tree at each snapshot and V along the path."""
    morph = _morph(ds)
    n = ds.sizes.get("snapshot", 0)
    with house_figure((2.4 * max(n, 1) + 2.6, 3.0)) as fig:
        axes = fig.subplots(1, max(n, 1) + 1, width_ratios=[1.0] * max(n, 1) + [1.2])
        if n == 0:
            note(axes[0], "no snapshots")
        else:
            v = ds["v_tree_mV"].isel(trial=0)
            lo, hi = float(v.min()), float(v.max())
            for k in range(n):
                morphology_panel(axes[k], morph, tree_values(ds, morph, 0, k), vmin=lo, vmax=hi, colourbar=k == n - 1)
                panel_title(axes[k], chr(ord("a") + k), f"t = {float(ds['snapshot_ms'].values[k]):g} ms")
        ax = axes[-1]
        ax.plot(ds["site_distance_um"].values, ds["dv_steady_mV"].values, "o-", ms=3, color="k")
        ax.set_xlabel("distance from the soma (µm)")
        ax.set_ylabel("steady depolarisation (mV)")
        panel_title(ax, chr(ord("a") + max(n, 1)), "along the path")
        return fig


def branco2010_figure(ds: xr.Dataset) -> Figure:
    """The figure of ``branco2010`` (see the module doc)."""
    morph = _morph(ds)
    receptors = [str(r) for r in ds["receptors"].values]
    speeds = ds["speed_um_per_ms"].values
    with house_figure((7.2, 5.6)) as fig:
        axes = fig.subplots(2, 2)
        branch = int(ds.attrs.get("terminal_branch", ds["site_branch"].values[1]))
        dist = np.asarray(ds.attrs.get("synapse_distance_um", ds["site_distance_um"].values[1:]), dtype=float)
        morphology_panel(axes[0, 0], morph, sites=_site_xy(ds, morph, np.full(dist.shape, branch), dist))
        panel_title(axes[0, 0], "a", f"{len(dist)} synapses on branch {branch}")
        r0 = receptors[0]
        dsi0 = ds["dsi"].sel(receptors=r0).values
        k = int(np.nanargmax(dsi0)) if np.isfinite(dsi0).any() else 0
        t = ds["time_ms"].values
        traces, styles = {}, {}
        for r in receptors:
            for direction, (ls, label) in DIRECTION_STYLE.items():
                sel = np.flatnonzero((ds["trial_receptors"].values == r) & (ds["trial_direction"].values == direction)
                                     & np.isclose(ds["trial_speed_um_per_ms"].values, speeds[k]))
                if sel.size:
                    name = f"{label}, {RECEPTOR_LABELS.get(r, r)}"
                    traces[name] = ds["v_mV"].isel(trial=int(sel[0]), site=0).values
                    styles[name] = {"ls": ls, "color": RECEPTOR_COLOURS.get(r, "k")}
        trace_panel(axes[0, 1], t, traces, styles=styles)
        when = f"{speeds[k]:.3g} µm/ms"
        if "interval_ms" in ds.coords:
            when = f"synapses {float(ds['interval_ms'].values[k]):.3g} ms apart"
        panel_title(axes[0, 1], "b", f"soma, {when}")
        ax = axes[1, 0]
        for r in receptors:
            c = RECEPTOR_COLOURS.get(r, "k")
            ax.plot(speeds, ds["peak_in_mV"].sel(receptors=r).values, "o-", ms=3, color=c,
                    label=f"IN, {RECEPTOR_LABELS.get(r, r)}")
            ax.plot(speeds, ds["peak_out_mV"].sel(receptors=r).values, "o--", ms=3, color=c, mfc="white",
                    label=f"OUT, {RECEPTOR_LABELS.get(r, r)}")
        ax.set_xscale("log")
        ax.set_xlabel("speed of the sequence (µm/ms)")
        ax.set_ylabel("peak somatic depolarisation (mV)")
        ax.legend(frameon=False)
        panel_title(ax, "c", "peak at the soma")
        selectivity_panel(axes[1, 1], speeds, {r: ds["dsi"].sel(receptors=r).values for r in receptors})
        panel_title(axes[1, 1], "d", "direction selectivity")
        return fig


def bombardment_figure(ds: xr.Dataset) -> Figure:
    """The figure of ``bombardment`` (see the module doc)."""
    morph = _morph(ds)
    with house_figure((7.2, 5.0)) as fig:
        grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.6])
        ax_tree = fig.add_subplot(grid[:, 0])
        values = tree_values(ds, morph)
        morphology_panel(ax_tree, morph, values)
        when = f"t = {float(ds['snapshot_ms'].values[-1]):g} ms" if values is not None else "no snapshot"
        panel_title(ax_tree, "a", f"V over the tree, {when}")
        t = ds["time_ms"].values
        ax = fig.add_subplot(grid[0, 1])
        trace_panel(ax, t, {"soma": ds["v_mV"].isel(trial=0, site=0).values,
                            "dendrite": ds["v_mV"].isel(trial=0, site=1).values},
                    styles={"soma": {"color": "k"}, "dendrite": {"color": "#2166ac"}})
        panel_title(ax, "b", "membrane potential, trial 0")
        ax = fig.add_subplot(grid[1, 1])
        transient = float(t[0])
        try:
            import json

            transient = float(json.loads(ds.attrs["config"]).get("transient_ms", transient))
        except (KeyError, ValueError):
            pass
        keep = t >= transient
        for j, (name, c) in enumerate((("soma", "k"), ("dendrite", "#2166ac"))):
            v = ds["v_mV"].isel(site=j).values[:, keep].ravel()
            ax.hist(v, bins=60, density=True, histtype="step", color=c, label=name)
        ax.set_xlabel("V (mV)")
        ax.set_ylabel("density (1/mV)")
        ax.legend(frameon=False)
        panel_title(ax, "c", "distribution after the transient")
        return fig


_FIGURES = {"brt-integration": brt_integration_figure, "voltage-gradient": voltage_gradient_figure,
            "branco2010": branco2010_figure, "bombardment": bombardment_figure}


def save_dendrites_figures(ds: xr.Dataset, out: str | Path) -> list[Path]:
    """Draw the figure of the protocol that wrote ``ds`` into ``out/figure_<protocol>.png/pdf``."""
    protocol = str(ds.attrs["protocol"])
    fig = _FIGURES[protocol](ds)
    return save_figure(fig, Path(out) / f"figure_{protocol.replace('-', '_')}", attrs=ds.attrs)
