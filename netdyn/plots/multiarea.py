"""Figures of the ``multiarea`` study (after the notebook of Schmidt et al. 2018's model).

Six figures, each drawn from the study's results Dataset (dimensions ``area``,
``population``, ``time_ms``, ``source``, ``area_b``; see :mod:`netdyn.studies.multiarea`):

``connectivity``
    area-level indegrees relative to each area's total input, external included, for the
    full-scale model and the down-scaled network as built (Schmidt et al. 2018, BSF Fig. 4D);
``area_rates``
    area rates over time, 1-ms bins, the first 100 ms after the transient;
``population_rates``
    time-averaged rates of the 8 populations of the 32 areas, TH's missing layer 4 hatched;
``dynamics``
    spike rasters of three areas over the last 500 ms, and per population the distribution
    over areas of the rate, the correlation coefficient and the irregularity LvR;
``functional_connectivity``
    functional connectivity of the areas' synaptic inputs beside the experimental fMRI
    functional connectivity, and their correlation;
``mean_field``
    simulated against mean-field population rates.

and the figure of the mean field alone (``netdyn multiarea theory``,
:func:`make_mean_field_theory_figure`): pseudo-dynamics, rates at T, gain-matrix spectrum.

A panel whose data are missing says so ("no data") instead of drawing an empty frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import xarray as xr
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from netdyn.plots.common import has_vars, hide_frame, house_figure, note, panel_title, save_figure

__all__ = ["RASTER_AREAS", "make_mean_field_theory_figure", "make_multiarea_figures", "plot_mean_field_theory",
           "plot_multiarea_figures"]

#: Areas whose spike rasters the dynamics figure shows (the notebook's choice).
RASTER_AREAS: tuple[str, ...] = ("V1", "V2", "FEF")
#: Spikes drawn per raster at most (thinned by neurons beyond it).
MAX_RASTER_SPIKES = 40_000

Rasters = Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray, int]]]
"""Area -> population -> (spike times in ms, senders within the population, neurons)."""


def _title(ds: xr.Dataset) -> str:
    cfg = ds.attrs
    return (f"multi-area model, scale {cfg.get('scale', '?')}, chi = {cfg.get('chi', '?')}, "
            f"chi_I = {cfg.get('chi_i', '?')} (netdyn {cfg.get('netdyn_version', '')})")


# ------------------------------------------------------------------------------ figures


def _connectivity(ds: xr.Dataset) -> Figure:
    with house_figure((11.0, 5.4)) as fig:
        axes = fig.subplots(1, 2)
        have = has_vars(ds, "relative_indegree_full", "relative_indegree_scaled")
        values = [ds["relative_indegree_full"].values, ds["relative_indegree_scaled"].values] if have else []
        top = max(float(np.nanmax(v)) for v in values) if values else 1.0
        norm = LogNorm(vmin=1e-4, vmax=top)
        for ax, letter, label, k in zip(axes, "ab", ("full-scale model", "down-scaled network as built"), range(2)):
            ax.set_label(letter)
            panel_title(ax, letter, f"Relative indegrees, {label}")
            if not have:
                note(ax, "no connectivity stored")
                continue
            image = np.where(values[k] > 0, values[k], np.nan)
            im = ax.imshow(image, cmap="YlOrBr", norm=norm, aspect="auto", interpolation="nearest", gid="indegrees")
            sources = [str(s) for s in ds["source"].values]
            ax.set_xticks(range(len(sources)), sources, rotation=90, fontsize=6)
            ax.set_yticks(range(ds.sizes["area"]), [str(a) for a in ds["area"].values], fontsize=6)
            ax.set_xlabel("source area")
            ax.set_ylabel("target area")
            hide_frame(ax)
        if have:
            fig.colorbar(im, ax=axes, label="fraction of the area's inputs", shrink=0.8)
        fig.suptitle(_title(ds), fontsize=9)
    return fig


def _area_rates(ds: xr.Dataset, window_ms: float = 100.0) -> Figure:
    with house_figure((8.0, 5.4)) as fig:
        ax = fig.subplots()
        ax.set_label("a")
        panel_title(ax, "a", f"Area rates, 1-ms bins, the first {window_ms:g} ms after the transient")
        if not has_vars(ds, "area_rate_series_hz") or ds.sizes.get("time_ms", 0) == 0:
            note(ax, "no rate time series stored")
            return fig
        t = ds["time_ms"].values
        keep = t < t[0] + window_ms
        data = ds["area_rate_series_hz"].values[:, keep]
        im = ax.imshow(data, aspect="auto", cmap="viridis", interpolation="nearest", gid="area_rates",
                       extent=(t[keep][0], t[keep][-1] + 1.0, data.shape[0] - 0.5, -0.5))
        ax.set_yticks(range(ds.sizes["area"]), [str(a) for a in ds["area"].values], fontsize=6)
        ax.set_xlabel("time (ms)")
        fig.colorbar(im, ax=ax, label="rate (spikes/s)")
        fig.suptitle(_title(ds), fontsize=9)
    return fig


def _population_rates(ds: xr.Dataset) -> Figure:
    with house_figure((11.0, 3.8)) as fig:
        ax = fig.subplots()
        ax.set_label("a")
        panel_title(ax, "a", "Time-averaged population rates")
        if not has_vars(ds, "rate_hz"):
            note(ax, "no rates stored")
            return fig
        _rate_grid(fig, ax, ds["rate_hz"], gid="population_rates", log=True, fontsize=7)
        fig.suptitle(_title(ds) + "; hatched: population absent (TH has no layer 4)", fontsize=9)
    return fig


def _rate_grid(fig: Figure, ax: Any, rates: xr.DataArray, *, gid: str, log: bool, fontsize: float) -> None:
    """Rates as the population x area image, absent populations (NaN) hatched, silent ones
    blank; a logarithmic colour scale with ``log``."""
    values = rates.transpose("population", "area").values
    positive = values[np.isfinite(values) & (values > 0)]
    norm = Normalize(0, 1) if not positive.size else (
        LogNorm(vmin=max(positive.min(), 1e-2), vmax=positive.max()) if log else Normalize(0, positive.max()))
    im = ax.imshow(np.where(values > 0, values, np.nan), aspect="auto", cmap="magma", norm=norm,
                   interpolation="nearest", gid=gid)
    for p, a in zip(*np.nonzero(~np.isfinite(values))):
        ax.add_patch(_hatch(a, p))
    ax.set_xticks(range(rates.sizes["area"]), [str(a) for a in rates["area"].values], rotation=90, fontsize=fontsize)
    ax.set_yticks(range(rates.sizes["population"]), [str(p) for p in rates["population"].values])
    fig.colorbar(im, ax=ax, label="rate (spikes/s)")


def _hatch(x: float, y: float) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1.0, 1.0, fill=False, hatch="////", edgecolor="0.5", linewidth=0.0,
                     gid="absent")


def _dynamics(ds: xr.Dataset, rasters: Rasters | None) -> Figure:
    with house_figure((11.0, 7.5)) as fig:
        grid = fig.add_gridspec(2, 3, height_ratios=(1.3, 1.0))
        for k, area in enumerate(RASTER_AREAS):
            ax = fig.add_subplot(grid[0, k], label="abc"[k])
            panel_title(ax, "abc"[k], f"{area}: spikes, last 500 ms")
            _raster(ax, ds, area, (rasters or {}).get(area))
        for k, (name, title, label) in enumerate((("rate_hz", "Rate", "rate (spikes/s)"),
                                                  ("corrcoef", "Correlation coefficient", "correlation coefficient"),
                                                  ("lvr", "Irregularity", "irregularity LvR"))):
            ax = fig.add_subplot(grid[1, k], label="def"[k])
            panel_title(ax, "def"[k], f"{title} over areas")
            if not has_vars(ds, name):
                note(ax, "no data")
                continue
            pops = [str(p) for p in ds["population"].values]
            values = ds[name].transpose("population", "area").values
            data = [v[np.isfinite(v)] for v in values]
            ax.boxplot(data, orientation="horizontal", tick_labels=pops, showfliers=True, flierprops={"markersize": 2},
                       medianprops={"color": "k"})
            ax.invert_yaxis()
            ax.set_xlabel(label)
        fig.suptitle(_title(ds), fontsize=9)
    return fig


def _raster(ax: Any, ds: xr.Dataset, area: str, spikes: Mapping[str, tuple[np.ndarray, np.ndarray, int]] | None) -> None:
    if not spikes:
        note(ax, f"no spikes of {area} stored")
        return
    t_stop = float(ds.attrs.get("t_sim_ms", max((float(v[0].max()) for v in spikes.values() if v[0].size),
                                                 default=500.0)))
    t_start = t_stop - 500.0
    offset = 0
    ticks, labels = [], []
    total = sum(int(((t >= t_start) & (t < t_stop)).sum()) for t, _, _ in spikes.values())
    keep_every = max(1, int(np.ceil(total / MAX_RASTER_SPIKES)))
    for pop in [str(p) for p in ds["population"].values]:
        if pop not in spikes:
            continue
        times, senders, n = spikes[pop]
        window = (times >= t_start) & (times < t_stop) & (senders % keep_every == 0)
        colour = "C3" if pop.endswith("E") else "C0"
        ax.plot(times[window], offset + senders[window], ".", ms=1.0, mew=0.0, color=colour, gid=f"raster:{pop}")
        ticks.append(offset + n / 2)
        labels.append(pop)
        offset += n
    ax.set_xlim(t_start, t_stop)
    ax.set_ylim(offset, 0)
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlabel("time (ms)")


def _functional_connectivity(ds: xr.Dataset) -> Figure:
    with house_figure((11.0, 5.0)) as fig:
        axes = fig.subplots(1, 2)
        r = ds.attrs.get("fc_vs_fmri_r")
        for ax, letter, name, label in zip(axes, "ab", ("fc_sim", "fc_fmri"),
                                           ("simulated (synaptic input)", "experimental (resting-state fMRI)")):
            ax.set_label(letter)
            panel_title(ax, letter, f"Functional connectivity, {label}")
            if not has_vars(ds, name):
                note(ax, "no data")
                continue
            fc = np.array(ds[name].values, dtype=float)
            np.fill_diagonal(fc, np.nan)
            im = ax.imshow(fc, cmap="RdBu_r", vmin=-1.0, vmax=1.0, interpolation="nearest", gid=name)
            areas = [str(a) for a in ds["area"].values]
            ax.set_xticks(range(len(areas)), areas, rotation=90, fontsize=6)
            ax.set_yticks(range(len(areas)), areas, fontsize=6)
            hide_frame(ax)
        if has_vars(ds, "fc_sim") or has_vars(ds, "fc_fmri"):
            fig.colorbar(im, ax=axes, label="Pearson correlation", shrink=0.8)
        extra = f"; correlation of the two over area pairs r = {r:.3f}" if isinstance(r, float) else ""
        fig.suptitle(_title(ds) + extra, fontsize=9)
    return fig


def _mean_field(ds: xr.Dataset) -> Figure:
    with house_figure((5.4, 5.0)) as fig:
        ax = fig.subplots()
        ax.set_label("a")
        panel_title(ax, "a", "Simulated against mean-field rates")
        if not has_vars(ds, "rate_hz", "mean_field_rate_hz"):
            note(ax, "no mean-field rates stored")
            return fig
        sim = ds["rate_hz"].transpose("area", "population").values.ravel()
        mf = ds["mean_field_rate_hz"].transpose("area", "population").values.ravel()
        names = np.array([str(p) for p in ds["population"].values])
        pops = np.tile(names, ds.sizes["area"])
        ok = np.isfinite(sim) & np.isfinite(mf)
        for k, pop in enumerate([str(p) for p in ds["population"].values]):
            sel = ok & (pops == pop)
            ax.scatter(mf[sel], sim[sel], s=10, color=f"C{k}", label=pop, gid=f"rates:{pop}")
        top = float(np.nanmax(np.concatenate([sim[ok], mf[ok]]))) if ok.any() else 1.0
        ax.plot([0, top], [0, top], color="0.6", lw=0.8, ls="--", gid="identity")
        if ok.sum() > 2:
            r = float(np.corrcoef(mf[ok], sim[ok])[0, 1])
            ax.text(0.03, 0.97, f"r = {r:.3f} over {int(ok.sum())} populations", transform=ax.transAxes, va="top")
        ax.set_xlabel("mean-field rate (spikes/s)")
        ax.set_ylabel("simulated rate (spikes/s)")
        ax.legend(fontsize=7, ncol=2, loc="lower right")
        fig.suptitle(_title(ds), fontsize=8)
    return fig


def make_multiarea_figures(ds: xr.Dataset, rasters: Rasters | None = None) -> dict[str, Figure]:
    """The study's six figures (module docstring), by name.

    Parameters
    ----------
    ds
        The study's results.
    rasters
        Spikes of :data:`RASTER_AREAS` for the dynamics figure (area -> population -> (times
        in ms, senders, neurons)); without them the raster panels say so.
    """
    return {
        "connectivity": _connectivity(ds),
        "area_rates": _area_rates(ds),
        "population_rates": _population_rates(ds),
        "dynamics": _dynamics(ds, rasters),
        "functional_connectivity": _functional_connectivity(ds),
        "mean_field": _mean_field(ds),
    }


def plot_multiarea_figures(ds: xr.Dataset, out: str | Path, rasters: Rasters | None = None,
                           stem: str = "figure") -> list[Path]:
    """Write the six figures as ``<out>/<stem>_<name>.png/pdf``; returns the paths."""
    paths: list[Path] = []
    for name, fig in make_multiarea_figures(ds, rasters).items():
        paths += save_figure(fig, Path(out) / f"{stem}_{name}", ds.attrs)
    return paths


# ------------------------------------------------------------------------------ theory


def make_mean_field_theory_figure(ds: xr.Dataset) -> Figure:
    """The mean field alone (``netdyn multiarea theory``): (a) the pseudo-dynamics of every
    population's rate, (b) the rates at T as the 8 x 32 grid, (c) the eigenvalues of the gain
    matrix at the fixed point with the stability line Re = 1."""
    with house_figure((12.0, 3.8)) as fig:
        grid_spec = fig.add_gridspec(1, 3, width_ratios=(1.0, 2.2, 1.0))
        ax_t, ax_r, ax_e = (fig.add_subplot(grid_spec[0, k]) for k in range(3))
        for ax, label in zip((ax_t, ax_r, ax_e), "abc"):
            ax.set_label(label)
        panel_title(ax_t, "a", "Pseudo-dynamics")
        if has_vars(ds, "trajectory_hz"):
            path = ds["trajectory_hz"].transpose("time_ms", "area", "population")
            t = ds["time_ms"].values
            for k, pop in enumerate([str(p) for p in ds["population"].values]):
                lines = path.sel(population=pop).values
                keep = np.isfinite(lines).all(axis=0)
                if keep.any():  # one collection per population: 254 separate lines lay out slowly
                    segments = [np.column_stack([t, lines[:, a]]) for a in np.flatnonzero(keep)]
                    ax_t.add_collection(LineCollection(segments, colors=f"C{k}", linewidths=0.6, alpha=0.6,
                                                       gid=f"trajectory:{pop}"))
                    ax_t.plot([], [], color=f"C{k}", label=pop)
            ax_t.autoscale_view()
            ax_t.set_xlabel("pseudo-time (ms)")
            ax_t.set_ylabel("rate (spikes/s)")
            ax_t.legend(fontsize=6, ncol=2)
        else:
            note(ax_t, "no trajectory stored")
        panel_title(ax_r, "b", "Mean-field rates at T")
        if has_vars(ds, "rate_hz"):
            _rate_grid(fig, ax_r, ds["rate_hz"], gid="mean_field_rates", log=False, fontsize=6)
        else:
            note(ax_r, "no rates stored")
        panel_title(ax_e, "c", "Gain-matrix spectrum")
        if has_vars(ds, "eigenvalue_real", "eigenvalue_imag"):
            re, im_ = ds["eigenvalue_real"].values, ds["eigenvalue_imag"].values
            ax_e.scatter(re, im_, s=6, color="C0", gid="eigenvalues")
            ax_e.scatter(re[:1], im_[:1], s=30, facecolor="none", edgecolor="C3", gid="leading_eigenvalue")
            ax_e.axvline(1.0, color="C3", lw=0.8, ls="--", gid="stability_line")
            ax_e.text(0.03, 0.97, f"leading: {re[0]:.3f}{im_[0]:+.3f}i", transform=ax_e.transAxes, va="top", fontsize=7)
            ax_e.set_xlabel("Re")
            ax_e.set_ylabel("Im")
        else:
            note(ax_e, "no spectrum stored")
        mean = ds.attrs.get("mean_rate_hz")
        fig.suptitle(_title(ds) + (f"; mean rate {mean:.3f} spikes/s" if mean is not None else ""), fontsize=9)
    return fig


def plot_mean_field_theory(ds: xr.Dataset, stem: str | Path) -> list[Path]:
    """Write :func:`make_mean_field_theory_figure` as ``<stem>.png/pdf``; returns the paths."""
    return save_figure(make_mean_field_theory_figure(ds), Path(stem), ds.attrs)
