"""The srnn study's sweep summary figure over random networks.

Panels: a. fraction of bounded networks vs weight scale (Wilson 95 % bands), b. LLE of the
bounded networks vs weight scale, c. median LLE over (slowest timescale x weight scale) for an
adaptive configuration, d. the rule "LLE = -1/tau_slowest", e. the Lyapunov spectrum (QR),
when stored. Exponents are in 1/s, on symlog axes with one linear range for all panels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullLocator

from netdyn.plots.common import annotate_cells, count, has_vars, hide_frame, house_figure
from netdyn.plots.common import lighter
from netdyn.plots.common import note, panel_title, save_figure
from netdyn.plots.srnn.shared import config_colours, config_name, fmt_number, nan_quantiles

__all__ = [
    "SWEEP_FIGSIZE_IN",
    "SWEEP_PANEL_LABELS",
    "make_srnn_sweep_figure",
    "plot_srnn_sweep_figure",
    "wilson_interval",
]

SWEEP_FIGSIZE_IN = (13.0, 8.5)
#: Axes labels of the panels.
SWEEP_PANEL_LABELS = ("bounded", "lle", "heatmap", "rule", "spectrum")
#: Preference order for the configuration shown in the heat map.
_HEATMAP_PREFERENCE = ("sfa_std", "sfa", "std")
_Z95 = 1.959963984540054  # two-sided 95 % normal quantile
_SWEEP_DIMS = ("network", "weight_scale", "configuration", "tau_slowest")


# --------------------------------------------------------------------------- helpers


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
    """Wilson score interval of a binomial proportion (E. B. Wilson, J. Am. Stat. Assoc. 22,
    209-212, 1927), without continuity correction.

    Parameters
    ----------
    successes, trials
        Counts ``k`` and ``n`` (broadcast against each other), ``0 <= k <= n``.
    z
        Standard-normal quantile of the confidence level (default: 95 %, two-sided).

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds in [0, 1], exactly 0 where ``successes == 0`` and exactly 1
        where ``successes == trials``; NaN where ``trials == 0``.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # at k = 0 and k = n the bounds are 0 and 1 exactly; rounding would leave ~1e-17
    lo = np.where(n > 0, np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
    hi = np.where(n > 0, np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return lo, hi


def _sweep_array(ds: xr.Dataset, name: str) -> np.ndarray:
    """``name`` as a float array ordered (network, weight_scale, configuration, tau_slowest)."""
    da = ds[name]
    extra = [d for d in da.dims if d not in _SWEEP_DIMS]
    return np.asarray(da.transpose(*_SWEEP_DIMS, *extra).values, dtype=float)


# --------------------------------------------------------------------------- panels


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
                            lw=0, zorder=1, gid=f"ci:{config}")
        (ln,) = ax.plot(x, frac[:, c, j_slow], color=col, lw=1.8, marker="o", ms=4,
                        zorder=4, label=config_name(config))
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
    q = nan_quantiles(lle[:, :, :, j_slow], (0.25, 0.5, 0.75), axis=0)  # (3, ws, config)
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
            ax.fill_between(ws, q[0, :, c], q[2, :, c], color=col, alpha=0.2, lw=0,
                            gid=f"iqr:{config}")
        (ln,) = ax.plot(x, q[1, :, c], color=col, lw=1.6, marker="o", ms=3.5,
                        label=config_name(config))
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
    panel_title(ax, "c", f"Median LLE (1/s), {config_name(chosen)}, bounded networks")
    med = nan_quantiles(lle[:, :, c, :], (0.5,), axis=0)[0].T  # (tau, ws)
    n_b = np.nansum(bounded[:, :, c, :], axis=0).T.astype(int)
    n_all = np.sum(np.isfinite(bounded[:, :, c, :]), axis=0).T
    order = np.argsort(taus)
    med, n_b, n_all = med[order], n_b[order], n_all[order]
    if not np.isfinite(med).any():
        note(ax, f"no bounded network with {config_name(chosen)}: LLE undefined")
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
        annotate_cells(ax, med, cmap, norm, fmt_number, counts, fontsize=7 if n_cols <= 8 else 6,
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
        cell_med = nan_quantiles(lle[:, :, c, :], (0.5,), axis=0)[0]  # (ws, tau)
        pooled = lle[:, :, c, :].reshape(-1, taus.size)
        q = nan_quantiles(pooled, (0.25, 0.5, 0.75), axis=0)  # (3, tau)
        # a small multiplicative offset per configuration keeps overlapping markers apart
        shift = 1.0 + 0.04 * (m - (n_cfg - 1) / 2)
        x = pred * shift
        for w in range(cell_med.shape[0]):
            ax.plot(x, cell_med[w], ls="", marker="o", ms=2.5, color=lighter(col, 0.45),
                    zorder=2, gid=f"rule_cell:{config}:{w}")
        ok = np.isfinite(q[1])
        if ok.any():
            drew = True
            bars = ax.errorbar(x[ok], q[1, ok], yerr=[q[1, ok] - q[0, ok], q[2, ok] - q[1, ok]],
                               fmt="o", ms=6, color=col, mec="black", mew=0.5, elinewidth=1.2,
                               capsize=2.5, zorder=4, label=config_name(config))
            bars.lines[0].set_gid(f"rule:{config}")
            ys_all.extend(q[:, ok].ravel().tolist())
        ys_all.extend(cell_med[np.isfinite(cell_med)].ravel().tolist())
        if spectrum is not None and spectrum.shape[-1] > 0:
            lam1 = nan_quantiles(spectrum[:, :, c, :, 0].reshape(-1, taus.size), (0.5,), axis=0)[0]
            ok1 = np.isfinite(lam1)
            if ok1.any():
                ax.plot(x[ok1] * (1.0 + 0.025), lam1[ok1], ls="", marker="D", ms=5, mfc="none",
                        mec=col, mew=1.0, zorder=5, gid=f"rule_lambda1:{config}")
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
        ax.xaxis.set_ticks(ticks, [fmt_number(v) for v in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        y_ticks = _symlog_ticks(ax, ticks, lo, hi, linthresh)
        ax.yaxis.set_ticks(y_ticks, [fmt_number(v) for v in y_ticks])
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
    panel_title(ax, "e",
                f"Lyapunov spectrum (QR), $\\tau_\\mathrm{{slowest}}$ = {taus[j_slow]:g} s")
    if spectrum is None or spectrum.shape[-1] == 0 or not np.isfinite(spectrum).any():
        note(ax, "no Lyapunov spectrum stored")
        return
    k = spectrum.shape[-1]
    idx = np.arange(1, k + 1) if exponents.size != k else np.asarray(exponents) + 1
    width = 0.6 / max(len(configs), 1)
    shown = [0.0, -1.0 / taus[j_slow]]
    for c, config in enumerate(configs):
        vals = spectrum[:, :, c, j_slow, :].reshape(-1, k)
        q = nan_quantiles(vals, (0.25, 0.5, 0.75), axis=0)
        ok = np.isfinite(q[1])
        if not ok.any():
            continue
        x = idx + (c - (len(configs) - 1) / 2) * width
        shown.extend(q[:, ok].ravel().tolist())
        bars = ax.errorbar(x[ok], q[1, ok], yerr=[q[1, ok] - q[0, ok], q[2, ok] - q[1, ok]],
                           fmt="o-", ms=3.5, lw=0.8, color=colours[config], elinewidth=1.0,
                           capsize=2)
        bars.lines[0].set_gid(f"spectrum:{config}")
    ax.axhline(-1.0 / taus[j_slow], color="0.3", lw=0.9, ls="--",
               label=f"$-1/\\tau_\\mathrm{{slowest}}$ = {fmt_number(-1.0 / taus[j_slow], 3)} 1/s")
    ax.axhline(0.0, color="black", lw=0.8, zorder=0)
    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.5)
    _fit_symlog_y(ax, shown)
    ax.set_xticks(idx, [f"$\\lambda_{{{int(i)}}}$" for i in idx])
    ax.set_xlabel("exponent index (median, IQR)")
    ax.set_ylabel("exponent (1/s), symlog")
    ax.legend(loc="best", frameon=True, framealpha=0.9)
    ax.grid(True, axis="y", color="0.92", lw=0.6)


# --------------------------------------------------------------------------- public API


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
        ``"spectrum"`` (e); attached to an Agg canvas. Artists carry gids (``<c>`` a
        configuration): panel a the line of a configuration and timescale
        ``"bounded:<c>:<tau>"`` and the Wilson band ``"ci:<c>"``; panel b the median line
        ``"lle:<c>"`` and its IQR band ``"iqr:<c>"``; panel d the pooled medians ``"rule:<c>"``,
        the medians per weight scale ``"rule_cell:<c>:<index>"``, the QR spectrum's first
        exponent ``"rule_lambda1:<c>"``; panel e the medians ``"spectrum:<c>"``. A panel
        without data shows a note with the gid :data:`~netdyn.plots.common.NOTE_GID`.
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
    colours = config_colours(configs)
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
                                   label=config_name(c)) for c in configs],
                   loc="outside lower center", ncol=len(configs), frameon=False,
                   title=None)

        sizes = (f"{count(ds.sizes['network'], 'network')} × {count(ws.size, 'weight scale')} × "
                 f"{len(configs)} configurations × {taus.size} τ")
        fig.suptitle("SRNN sweep: random sparse unbalanced networks with and without SFA / STD"
                     f"   ({sizes})", fontsize=11)
    return fig


def plot_srnn_sweep_figure(ds: xr.Dataset, path_stem: str | Path) -> list[Path]:
    """Write the sweep figure to ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf``.

    Missing parent directories are created; returns ``[png_path, pdf_path]``.
    """
    return save_figure(make_srnn_sweep_figure(ds), path_stem, ds.attrs)
