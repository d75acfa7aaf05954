"""The figure of a sweep of a network file (``netdyn sweep``): every statistic over the grid.

One row of panels per statistic (rate, CV ISI, LvR, correlation coefficient, active
fraction), one column per population. In each panel the statistic against the first swept
field: the mean over the seeds with error bars of one SD (when there are two seeds or more),
one line per combination of the values of the other fields. Numeric values lie on a linear
axis, other values (text) at equal spacing.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from netdyn.plots.common import house_figure, note, save_figure

__all__ = ["make_network_sweep_figure", "plot_network_sweep"]

PANEL_IN = (2.3, 1.55)
"""Width and height of one panel, inches."""


def _label(name: str, attrs: Mapping[str, Any]) -> str:
    units = attrs.get("units")
    return f"{name} ({units})" if units and units != "1" else name


def make_network_sweep_figure(grid: xr.Dataset) -> Figure:
    """Build the figure (no file I/O).

    Parameters
    ----------
    grid
        Statistics with dims ``(field_1, ..., field_k, seed, population)`` in that order, as
        :func:`netdyn.studies.network_sweep.sweep_grid` gives them.

    Returns
    -------
    matplotlib.figure.Figure
        Panels labelled ``"<statistic>:<population>"``; each line (an errorbar container's
        line) carries the gid ``"<statistic>:<population>:<other fields' values>"`` (the last
        part empty with one field); a panel without finite values shows a note.
    """
    stats = list(grid.data_vars)
    pops = [str(p) for p in grid.population.values]
    fields = [d for d in grid[stats[0]].dims if d not in ("seed", "population")]
    first, others = fields[0], fields[1:]
    xs = grid[first].values
    numeric = np.issubdtype(xs.dtype, np.number)
    x = xs.astype(float) if numeric else np.arange(xs.size, dtype=float)
    combos = list(itertools.product(*(grid[f].values.tolist() for f in others)))
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.85, max(len(combos), 1)))
    n_seeds = grid.sizes["seed"]
    with house_figure((PANEL_IN[0] * len(pops) + 0.4, PANEL_IN[1] * len(stats) + 0.6)) as fig:
        axes = np.atleast_2d(fig.subplots(len(stats), len(pops), sharex=True, squeeze=False))
        for i, name in enumerate(stats):
            for j, pop in enumerate(pops):
                ax = axes[i, j]
                ax.set_label(f"{name}:{pop}")
                values = grid[name].sel(population=pop)
                if not np.isfinite(values.values).any():
                    note(ax, "no finite values")
                    continue
                for k, combo in enumerate(combos):
                    cell = values.sel(dict(zip(others, combo))) if others else values
                    data = cell.transpose(first, "seed").values
                    ok = np.isfinite(data)
                    n = ok.sum(axis=1)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        mean = np.where(n > 0, np.nansum(data, axis=1) / np.maximum(n, 1), np.nan)
                        sd = np.sqrt(np.nansum((data - mean[:, None]) ** 2, axis=1) / (n - 1)) if n_seeds > 1 else None
                    if sd is not None:
                        sd = np.where(n > 1, sd, np.nan)
                    label = ", ".join(f"{f} = {v}" for f, v in zip(others, combo))
                    bars = ax.errorbar(x, mean, yerr=sd, color=colours[k], marker="o", ms=3, lw=1.0, capsize=2,
                                       label=label or None)
                    bars.lines[0].set_gid(f"{name}:{pop}:{label}")
                if i == 0:
                    ax.set_title(pop)
                if j == 0:
                    ax.set_ylabel(_label(name, grid[name].attrs))
                if i == len(stats) - 1:
                    ax.set_xlabel(first)
                    if not numeric:
                        ax.set_xticks(x, [str(v) for v in xs])
        if others:
            handles, labels = next(((h, lab) for h, lab in (a.get_legend_handles_labels() for a in axes.flat) if h),
                                   ([], []))
            if handles:
                fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3), fontsize=7)
        seeds = f"mean over {n_seeds} seeds ± SD" if n_seeds > 1 else "one seed"
        fig.suptitle(f"Statistics after the transient ({seeds})", fontsize=9)
    return fig


def plot_network_sweep(grid: xr.Dataset, path_stem: str | Path,
                       attrs: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the figure to ``<path_stem>.png`` and ``.pdf`` (:func:`~netdyn.plots.common.save_figure`);
    ``attrs``: the results' attributes (their netdyn version goes into the files)."""
    return save_figure(make_network_sweep_figure(grid), path_stem, attrs)
