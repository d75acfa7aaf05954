"""One-page figure of the ``chaos`` study.

Panels:

a. the design: a drawn example network (the first units of session 1's weight matrix),
   nodes coloured by role (sign of the mean outgoing weight), edges coloured by weight;
b. one unit's activity for every upscaling factor g, original (solid) and twin (dashed) run,
   first 2 s of session 1;
c. mean divergence D(t) of the twin runs for g >= the study's ``chaos_min_gain`` (the gains
   for which it fits exponents), log scale;
d. heat map of the largest Lyapunov exponent, sessions x g.

Only :class:`matplotlib.figure.Figure` objects are used (no ``pyplot``, no global backend
switch), so the functions are safe in worker processes and headless sessions. networkx
builds the example graph and its layout; it is drawn with plain matplotlib artists because
networkx's own drawing helpers import ``pyplot``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib as mpl
import networkx as nx
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure

from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from netdyn.config.chaos import ChaosConfig
from netdyn.plots.common import (
    annotate_cells,
    count,
    has_vars,
    hide_frame,
    house_figure,
    note,
    panel_title,
    save_figure,
)

__all__ = ["make_chaos_figure", "plot_chaos_figure"]

FIGSIZE_IN = (11.0, 8.0)
#: Number of units of the example network drawn in panel a.
N_EXAMPLE_NODES = 28

#: Axes labels, set on the four panels so that callers and tests can find them.
PANEL_LABELS = ("design", "activity", "divergence", "lyapunov")


_EXC_COLOUR = "#b2182b"
_INH_COLOUR = "#2166ac"
_NONE_COLOUR = "#bdbdbd"


# --------------------------------------------------------------------------- helpers


def _config(ds: xr.Dataset) -> dict[str, Any]:
    """The study configuration stored as a JSON string in ``ds.attrs["config"]``."""
    raw = ds.attrs.get("config", {})
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        cfg = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _first(cfg: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if cfg.get(key) is not None:
            return cfg[key]
    return default


def _from_config(cfg: Mapping[str, Any], key: str) -> float:
    """The config's value of ``key``; the study's default where the config has none."""
    value = cfg.get(key)
    return float(value) if value is not None else ChaosConfig.model_fields[key].default


def _weight_std(cfg: Mapping[str, Any]) -> float | None:
    """The config's weight SD ``sigma``, or the study's default 1 / (N p) when it is unset."""
    sigma = _first(cfg, "sigma", "weight_std")
    n, p = _first(cfg, "n_neurons", "n_units", "N"), _first(cfg, "p", "connection_probability")
    if sigma is None and n and p:
        return 1.0 / (float(n) * float(p))
    return sigma


def _fmt(value: Any, spec: str = "g") -> str:
    try:
        return format(float(value), spec)
    except (TypeError, ValueError):
        return "?"


def _tex_number(value: float) -> str:
    """Mathtext of a number: powers of ten as ``10^{k}``, anything else as ``%g``."""
    k = np.log10(value) if value > 0 else np.nan
    return f"10^{{{int(round(k))}}}" if np.isfinite(k) and abs(k - round(k)) < 1e-9 \
        else f"{value:g}"


def _session_one(ds: xr.Dataset) -> Any:
    """Label of "session 1": the session labelled 1 if present, else the first one."""
    sessions = np.asarray(ds["session"].values)
    if sessions.size == 0:
        return None
    return 1 if np.any(sessions == 1) else sessions[0]


def _g_colours(gains: np.ndarray) -> dict[float, tuple]:
    """One viridis colour per g (truncated before the pale yellow end), shared by b and c."""
    cmap = mpl.colormaps["viridis"]
    finite = gains[np.isfinite(gains)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    return {float(g): cmap(0.88 * (float(g) - lo) / span) for g in gains}


# --------------------------------------------------------------------------- panel a


def _panel_design(ax: Axes, ds: xr.Dataset, cfg: Mapping[str, Any], fig: Figure) -> None:
    panel_title(ax, "a", "Design: example network (session 1)")
    ax.set_axis_off()

    n_cfg = _first(cfg, "n_neurons", "n_units", "N")
    n_units = int(ds.attrs.get("example_n_units", n_cfg or 0) or 0)
    p = _first(cfg, "p", "connection_probability")
    sigma = _weight_std(cfg)
    tau = _first(cfg, "tau_ms", "tau")
    gains = np.asarray(ds["g"].values, dtype=float)
    if gains.size <= 4:
        g_text = "g = " + ", ".join(_fmt(g) for g in gains)
    else:
        g_text = (f"g = {_fmt(gains[0])}, {_fmt(gains[1])}, …, {_fmt(gains[-1])}"
                  f" ({gains.size} values)")
    info = "\n".join([
        f"N = {n_cfg if n_cfg is not None else (n_units or '?')} rate units",
        f"p = {_fmt(p)},  σ = {_fmt(sigma)}",
        f"τ = {_fmt(tau)} ms",
        "τ dr/dt = −r + tanh(gWr)",
        "recurrent weights: g × W",
        g_text,
    ])

    have_edges = (has_vars(ds, "example_edge_pre", "example_edge_post", "example_edge_weight")
                  and ds["example_edge_pre"].size > 0)
    if have_edges:
        pre = np.asarray(ds["example_edge_pre"].values, dtype=np.int64).ravel()
        post = np.asarray(ds["example_edge_post"].values, dtype=np.int64).ravel()
        weight = np.asarray(ds["example_edge_weight"].values, dtype=float).ravel()
        ok = (pre >= 0) & (post >= 0) & np.isfinite(weight)
        pre, post, weight = pre[ok], post[ok], weight[ok]
        have_edges = pre.size > 0
    if not have_edges:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.text(0.03, 0.97, info, transform=ax.transAxes, va="top", ha="left", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="0.6"), gid="design_info")
        note(ax, "no example network\nstored in the dataset", x=0.65)
        return

    n_units = max(n_units, int(pre.max()) + 1, int(post.max()) + 1)
    n_sub = min(N_EXAMPLE_NODES, n_units)

    # Role of a unit: sign of its mean outgoing weight over the *whole* network (W[post, pre]).
    out_sum = np.bincount(pre, weights=weight, minlength=n_units)
    out_cnt = np.bincount(pre, minlength=n_units)
    mean_out = np.divide(out_sum, out_cnt, out=np.full(n_units, np.nan), where=out_cnt > 0)

    keep = (pre < n_sub) & (post < n_sub) & (pre != post)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n_sub))
    graph.add_weighted_edges_from(zip(pre[keep].tolist(), post[keep].tolist(),
                                      weight[keep].tolist()))
    pos = nx.circular_layout(graph)  # deterministic; spring layouts clutter at p = 0.1

    # the network in the right part of the panel, text box and legend on the left
    net = ax.inset_axes([0.38, 0.0, 0.62, 1.0])
    net.set_label("design_network")
    net.set_axis_off()
    net.set_xlim(-1.12, 1.12)
    net.set_ylim(-1.12, 1.12)
    net.set_aspect("equal", adjustable="box")

    w_max = float(np.max(np.abs(weight))) or 1.0
    norm = Normalize(-w_max, w_max)
    cmap: Colormap = mpl.colormaps["RdBu_r"]
    edges = sorted(graph.edges(data="weight"), key=lambda e: abs(e[2]))  # strong ones on top
    for u, v, w in edges:
        strength = abs(w) / w_max
        net.add_patch(FancyArrowPatch(
            tuple(pos[u]), tuple(pos[v]), arrowstyle="-|>", mutation_scale=5 + 5 * strength,
            connectionstyle="arc3,rad=0.12", color=cmap(norm(w)),
            linewidth=0.3 + 2.2 * strength, shrinkA=5.5, shrinkB=5.5, zorder=1,
            gid=f"edge:{u}->{v}",
        ))

    xy = np.array([pos[i] for i in range(n_sub)])
    roles = mean_out[:n_sub]
    colours = np.where(roles > 0, _EXC_COLOUR, np.where(roles < 0, _INH_COLOUR, _NONE_COLOUR))
    colours = np.where(np.isnan(roles), _NONE_COLOUR, colours)
    net.scatter(xy[:, 0], xy[:, 1], s=70, c=list(colours), edgecolors="black",
                linewidths=0.6, zorder=3, gid="nodes")

    ax.text(0.0, 0.98, info, transform=ax.transAxes, va="top", ha="left", fontsize=8,
            bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="0.6"), zorder=5,
            gid="design_info")

    handles = [
        Line2D([], [], ls="", marker="o", ms=7, mfc=_EXC_COLOUR, mec="black",
               label="net excitatory\n(mean out-weight > 0)"),
        Line2D([], [], ls="", marker="o", ms=7, mfc=_INH_COLOUR, mec="black",
               label="net inhibitory\n(mean out-weight < 0)"),
    ]
    if np.isnan(roles).any():
        handles.append(Line2D([], [], ls="", marker="o", ms=7, mfc=_NONE_COLOUR, mec="black",
                              label="no outgoing edge"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 0.0), frameon=False,
              title=f"units 0–{n_sub - 1} of {n_units}", alignment="left", borderaxespad=0.2)

    cbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7,
                        fraction=0.05, pad=0.01)
    cbar.set_label("edge weight $W_{ij}$ ($j \\to i$)")


# --------------------------------------------------------------------------- panel b


def _panel_activity(ax: Axes, ds: xr.Dataset, s1: Any, colours: dict[float, tuple]) -> None:
    panel_title(ax, "b", "One unit's activity: original (solid) vs twin run (dashed)")
    if not has_vars(ds, "example_rate") or s1 is None or ds["example_rate"].size == 0:
        note(ax, "no example trajectories stored")
        return
    rate = ds["example_rate"].sel(session=s1)
    twins = [str(t) for t in np.asarray(rate["twin"].values)]
    i_orig = twins.index("original") if "original" in twins else 0
    i_twin = twins.index("twin") if "twin" in twins else min(1, len(twins) - 1)
    t_s = np.asarray(rate["example_time"].values, dtype=float) / 1000.0
    t_keep = t_s <= 2.0 + 1e-9
    t_s = t_s[t_keep]
    gains = np.asarray(rate["g"].values, dtype=float)
    values = np.asarray(rate.transpose("g", "twin", "example_time").values, dtype=float)
    values = values[:, :, t_keep]

    amp = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    step = max(2.3, 2.3 * float(amp))
    for k, g in enumerate(gains):
        base = k * step
        c = colours[float(g)]
        ax.plot(t_s, base + values[k, i_orig], color=c, lw=1.0, solid_capstyle="butt",
                gid=f"rate:{_fmt(g)}:original")
        if i_twin != i_orig:
            ax.plot(t_s, base + values[k, i_twin], color=c, lw=1.0, ls=(0, (3.0, 2.0)),
                    gid=f"rate:{_fmt(g)}:twin")
    ax.set_yticks(np.arange(gains.size) * step, [f"g = {_fmt(g)}" for g in gains])
    for tick, g in zip(ax.get_yticklabels(), gains):
        tick.set_color(colours[float(g)])
    t_end = float(t_s[-1]) if t_s.size else 2.0
    ax.set_xlim(0.0, t_end * 1.07)
    ax.set_ylim(-0.6 * step, (gains.size - 0.4) * step)
    # vertical scale bar: one rate unit
    x_bar = t_end * 1.035
    ax.plot([x_bar, x_bar], [-0.5, 0.5], color="black", lw=1.5, clip_on=False)
    ax.text(x_bar + t_end * 0.008, 0.0, "Δr = 1", rotation=90, va="center", ha="left",
            fontsize=8)
    unit = ds["example_rate"].attrs.get("unit", ds.attrs.get("example_unit", 100))
    trial = ds["example_rate"].attrs.get("trial", ds.attrs.get("example_trial", 1))
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"rate $r$ of unit {unit}, trial {trial}, session {s1}")


# --------------------------------------------------------------------------- panel c


def _panel_divergence(ax: Axes, ds: xr.Dataset, s1: Any, colours: dict[float, tuple],
                      n_units: int | None, g_min: float, perturbation: float) -> None:
    panel_title(ax, "c", f"Mean divergence of the twin runs, g ≥ {_fmt(g_min)}")
    gains = np.asarray(ds["g"].values, dtype=float)
    chaos_g = gains[gains >= g_min]
    if not has_vars(ds, "divergence_mean") or ds["divergence_mean"].size == 0:
        note(ax, "no divergence stored")
        return
    if chaos_g.size == 0:
        note(ax, f"no upscaling factor g ≥ {_fmt(g_min)} in this sweep\n"
                 f"(divergence is analysed for g ≥ {_fmt(g_min)} only)")
        return
    div = ds["divergence_mean"].sel(g=chaos_g).transpose("session", "g", "time")
    t_s = np.asarray(div["time"].values, dtype=float) / 1000.0
    values = np.asarray(div.values, dtype=float)
    values = np.where(values > 0, values, np.nan)  # log axis
    if not np.isfinite(values).any():
        note(ax, f"divergence is zero or undefined for every g ≥ {_fmt(g_min)}")
        return
    sessions = list(np.asarray(div["session"].values))
    i1 = sessions.index(s1) if s1 in sessions else 0
    others = [i for i in range(len(sessions)) if i != i1]
    handles = []
    for k, g in enumerate(chaos_g):
        c = colours[float(g)]
        for i in others:
            ax.plot(t_s, values[i, k], color=c, lw=0.6, alpha=0.35, zorder=1,
                    gid=f"divergence:{sessions[i]}:{_fmt(g)}")
        (line,) = ax.plot(t_s, values[i1, k], color=c, lw=1.6, zorder=2, label=f"g = {_fmt(g)}",
                          gid=f"divergence:{sessions[i1]}:{_fmt(g)}")
        handles.append(line)
    if others:
        handles.append(Line2D([], [], color="0.4", lw=0.6, alpha=0.6,
                              label=f"sessions ≠ {sessions[i1]}"))
    if n_units:
        # every unit of the twin starts shifted by the perturbation
        d0 = np.sqrt(n_units) * perturbation
        label = f"$\\sqrt{{N}}\\cdot {_tex_number(perturbation)}$ (start)"
        handles.append(ax.axhline(d0, color="0.3", lw=0.9, ls=":", zorder=0, label=label,
                                  gid="divergence_start"))
    ax.set_yscale("log")
    ax.set_xlim(float(t_s[0]), float(t_s[-1]))
    ax.set_xlabel("time (s)")
    ax.set_ylabel(r"$D(t)$ = mean $\|r_\mathrm{twin} - r\|_2$" + "\n(non-stable trials)")
    ax.legend(handles=handles, loc="lower right", ncol=2, frameon=True, framealpha=0.9,
              title=f"session {sessions[i1]} (thick)" if others else f"session {sessions[i1]}")
    ax.grid(True, which="major", axis="y", color="0.9", lw=0.6)


# --------------------------------------------------------------------------- panel d


def _panel_lyapunov(ax: Axes, ds: xr.Dataset, fig: Figure, g_min: float) -> None:
    panel_title(ax, "d", "Largest Lyapunov exponent (two-trajectory fit)")
    if not has_vars(ds, "lyapunov_exponent") or ds["lyapunov_exponent"].size == 0:
        note(ax, "no Lyapunov exponents stored")
        return
    lam = ds["lyapunov_exponent"].transpose("session", "g")
    values = np.asarray(lam.values, dtype=float)
    cols = np.isfinite(values).any(axis=0)
    if not cols.any():
        note(ax, "no chaotic episode:\nλ_max was not computed for any session and g\n"
                 f"(needs g ≥ {_fmt(g_min)} and a non-stable trial)")
        return
    data = values[:, cols]
    gains = np.asarray(lam["g"].values, dtype=float)[cols]
    sessions = np.asarray(lam["session"].values)
    finite = data[np.isfinite(data)]
    vmin, vmax = float(finite.min()), float(finite.max())
    if vmax <= vmin:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    cmap = mpl.colormaps["magma"].with_extremes(bad="0.82")
    norm = Normalize(vmin, vmax)
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, norm=norm, aspect="auto",
                   interpolation="nearest", origin="upper")
    ax.set_xticks(np.arange(gains.size), [_fmt(g) for g in gains])
    ax.set_yticks(np.arange(sessions.size), [str(s) for s in sessions])
    ax.set_ylabel("session (network)")
    hide_frame(ax)

    n_rows, n_cols = data.shape
    two_lines = False
    if n_rows * n_cols <= 150:
        counts = None
        n_trials = ds.sizes.get("trial")
        if has_vars(ds, "n_nonstable") and n_rows <= 8 and n_cols <= 10:
            n_ns = np.asarray(ds["n_nonstable"].transpose("session", "g").values)[:, cols]
            counts = [[f"\n({int(k)}/{n_trials})" if n_trials else f"\n(n = {int(k)})"
                       for k in row] for row in n_ns]
        two_lines = counts is not None
        annotate_cells(ax, data, cmap, norm, lambda v: f"{v:.1f}", counts, fontsize=8)
    caption = "cells: λ_max (non-stable / all trials)" if two_lines else "cells: λ_max (1/s)"
    if not np.isfinite(data).all():
        caption += ",  n/a (grey): no non-stable trial"
    ax.set_xlabel(f"upscaling factor g\n{caption}")
    cbar = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cbar.set_label("λ_max (1/s)")


# --------------------------------------------------------------------------- public API


def make_chaos_figure(ds: xr.Dataset) -> Figure:
    """Build the one-page chaos-study figure from the study's result Dataset (no file I/O).

    Parameters
    ----------
    ds
        The study's Dataset: coords ``session``, ``g``, ``trial``, ``time``,
        ``example_time``, ``twin``, ``edge``; variables ``lyapunov_exponent``
        (session, g), ``divergence_mean`` (session, g, time), ``n_nonstable``
        (session, g), ``example_rate`` (session, g, twin, example_time),
        ``example_edge_pre`` / ``example_edge_post`` / ``example_edge_weight`` (edge);
        attrs ``config`` (JSON, the study's :class:`~netdyn.config.chaos.ChaosConfig`),
        ``example_n_units``, ``netdyn_version``. Panel c shows the gains from the config's
        ``chaos_min_gain`` up (its default where the Dataset carries no config). Missing
        example data, NaN exponents, a single session or no gain >= ``chaos_min_gain`` give
        explanatory notes in the affected panels instead of errors.

    Returns
    -------
    matplotlib.figure.Figure
        An 11 x 8 in figure with four panels (axes labelled ``"design"``, ``"activity"``,
        ``"divergence"``, ``"lyapunov"``), attached to an Agg canvas. Artists carry gids:
        in panel a the parameter box ``"design_info"``, the drawn network (child axes
        ``"design_network"``) its nodes ``"nodes"`` and edges ``"edge:<pre>-><post>"``; in
        panel b the traces ``"rate:<g>:original"`` and ``"rate:<g>:twin"``; in panel c
        ``"divergence:<session>:<g>"`` and the start level ``"divergence_start"``. A panel
        without data shows a note with the gid :data:`~netdyn.plots.common.NOTE_GID`.
    """
    for coord in ("session", "g"):
        if coord not in ds.coords and coord not in ds.dims:
            raise ValueError(f"chaos figure: dataset has no {coord!r} coordinate")
    cfg = _config(ds)
    gains = np.asarray(ds["g"].values, dtype=float)
    colours = _g_colours(gains)
    s1 = _session_one(ds)
    n_cfg = _first(cfg, "n_neurons", "n_units", "N")
    n_units = int(n_cfg) if n_cfg is not None else (int(ds.attrs.get("example_n_units", 0))
                                                     or None)

    with house_figure(FIGSIZE_IN, w_pad=0.06, h_pad=0.06, wspace=0.06, hspace=0.08) as fig:
        axes = fig.subplots(2, 2)
        for ax, label in zip(axes.flat, PANEL_LABELS):
            ax.set_label(label)
        _panel_design(axes[0, 0], ds, cfg, fig)
        _panel_activity(axes[0, 1], ds, s1, colours)
        g_min = _from_config(cfg, "chaos_min_gain")
        _panel_divergence(axes[1, 0], ds, s1, colours, n_units, g_min,
                          _from_config(cfg, "perturbation"))
        _panel_lyapunov(axes[1, 1], ds, fig, g_min)

        seed = _first(cfg, "seed", "root_seed")
        about = (f"{count(ds.sizes.get('session', 0), 'session')} × {gains.size} g × "
                 f"{ds.sizes.get('trial', 0)} trials, seed {seed if seed is not None else '?'}, "
                 f"netdyn {ds.attrs.get('netdyn_version', '?')}")
        fig.suptitle("Synaptic upscaling and chaotic spontaneous activity in a random rate "
                     f"network   ({about})", fontsize=11)
    return fig


def plot_chaos_figure(ds: xr.Dataset, path_stem: str | Path) -> list[Path]:
    """Write the chaos-study figure to ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf``.

    The suffixes are appended to ``path_stem`` (a stem like ``"out/chaos_v1.2"`` keeps its
    dots); missing parent directories are created. Returns ``[png_path, pdf_path]``.
    """
    return save_figure(make_chaos_figure(ds), path_stem, ds.attrs)
