"""The activity figure of a spiking simulation (after the seed's ``activity_plots``), built
from a :class:`~netdyn.record.spiking.SpikingRecording`.

Stacked panels sharing the time axis (ms), each present only when there is something to draw:

a. afferent (input) rates, Hz;
b. spike raster of all populations, stacked top to bottom in model order, each in its colour
   and named on the y axis; with many spikes only every k-th recorded neuron is drawn (whole
   trains kept, one k for all populations so dot density stays proportional to rate, stated
   in the panel), at most about ``raster_max_spikes`` dots per population;
c. one panel per population with a sampled membrane potential: a few recorded neurons, mV;
   the reset after each spike is the trace's own discontinuity, and an optional vertical
   marker is drawn at each of the neuron's spikes;
d. population rates, Hz (the recorded ones, else binned from the spikes), optionally smoothed
   with a Gaussian window; the legend gives each population's mean rate in the window.

Colours: populations whose names read excitatory (``Exc``, ``E``, ``RS``, ``L23E``, ...) are
reds, inhibitory ones (``Inh``, ``I``, ``FS``, ``PV``, ``L4I``, ...) blues, as in the other
netdyn figures; anything else takes a qualitative palette. Only
:class:`matplotlib.figure.Figure` objects are used (no ``pyplot``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory
from scipy.ndimage import gaussian_filter1d

from netdyn.errors import ConfigError
from netdyn.plots.common import NOTE_COLOUR, house_figure, lighter, minmax_decimate, note
from netdyn.plots.common import panel_title, save_figure
from netdyn.record.spiking import SpikeTrains, SpikingRecording

__all__ = ["PANEL_LABELS", "make_activity_figure", "plot_activity_figure"]

#: Axes labels (``ax.get_label()``) of the panels; Vm panels are ``"vm:<population>"``.
PANEL_LABELS = ("inputs", "raster", "vm", "rates")
WIDTH_IN = 7.0
#: Height of each kind of panel, inches.
PANEL_HEIGHT_IN = {"inputs": 0.85, "raster": 2.1, "vm": 1.05, "rates": 1.25}
#: Names of the membrane-potential variable, tried in this order.
VM_NAMES = ("V", "V_m", "Vm", "v", "vm", "v_m")

_EXC_MAP, _INH_MAP = "Reds", "Blues"
_OTHER = ("#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a", "#c51b7d")
_INPUT_COLOURS = ("#4d4d4d", "#1b7837", "#7f3b08", "#878787")
_EXC_RE = re.compile(r"(^|[^a-z])(exc|e|rs|pyr|pc)$|^(exc|rs|pyr)|e$", re.IGNORECASE)
_INH_RE = re.compile(r"(^|[^a-z])(inh|i|fs|pv|sst|som|vip|in)$|^(inh|fs|pv|sst|som|vip)|i$",
                     re.IGNORECASE)


# --------------------------------------------------------------------------- helpers


def _role(name: str) -> str:
    if _INH_RE.search(name):
        return "inh"
    if _EXC_RE.search(name):
        return "exc"
    return "other"


def population_colours(names: Sequence[str]) -> dict[str, str]:
    """Colour of each population: reds for excitatory, blues for inhibitory names (darker
    first when a role has several populations), a qualitative palette for the rest."""
    roles = {n: _role(n) for n in names}
    out: dict[str, str] = {}
    k_other = 0
    for role, cmap in (("exc", _EXC_MAP), ("inh", _INH_MAP)):
        members = [n for n in names if roles[n] == role]
        shades = np.linspace(0.85, 0.5, len(members)) if len(members) > 1 else [0.8]
        for n, s in zip(members, shades):
            out[n] = to_hex(mpl.colormaps[cmap](s))
    for n in names:
        if roles[n] == "other":
            out[n] = _OTHER[k_other % len(_OTHER)]
            k_other += 1
    return {n: out[n] for n in names}


def _shade(colour: str, k: int, n: int) -> tuple[float, float, float]:
    """The ``k``-th of ``n`` variants of ``colour``, from itself towards a lighter tint."""
    return lighter(colour, 0.0 if n <= 1 else 0.55 * k / (n - 1))


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _title_row_legend(ax: Axes, n: int) -> None:
    """Legend in the panel's title row, right-aligned, so it never hides data."""
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.99), frameon=False, ncols=max(n, 1),
              handlelength=1.2, columnspacing=1.2, borderaxespad=0.0, borderpad=0.1)


def _window(da: xr.DataArray, t0: float, t1: float) -> xr.DataArray:
    t = da["time_ms"].values
    return da.isel(time_ms=np.flatnonzero((t >= t0) & (t <= t1)))


def _vm_variable(variables: Mapping[str, xr.DataArray], name: str | None) -> str | None:
    if name is not None:
        return name if name in variables else None
    for candidate in VM_NAMES:
        if candidate in variables:
            return candidate
    for var, da in variables.items():
        if da.attrs.get("units") == "mV":
            return var
    return None


def _rank(trains: SpikeTrains) -> tuple[np.ndarray, int]:
    """Row of each spike in the raster (position of its sender among the recorded neurons)
    and the number of rows."""
    if trains.recorded is None:
        return trains.senders.astype(np.int64), trains.n_neurons
    recorded = np.sort(trains.recorded)
    return np.searchsorted(recorded, trains.senders), int(recorded.size)


def _rate_from_spikes(trains: SpikeTrains, bin_ms: float) -> xr.DataArray:
    edges = np.arange(trains.t_start_ms, trains.t_stop_ms + 0.5 * bin_ms, bin_ms)
    if edges.size < 2:
        edges = np.array([trains.t_start_ms, trains.t_stop_ms])
    counts, _ = np.histogram(trains.times_ms, edges)
    hz = counts / (max(trains.n_recorded, 1) * np.diff(edges) * 1e-3)
    return xr.DataArray(hz, dims=("time_ms",), coords={"time_ms": edges[:-1]},
                        attrs={"units": "Hz", "bin_ms": bin_ms, "from_spikes": True})


# --------------------------------------------------------------------------- panels


def _panel_inputs(ax: Axes, rec: SpikingRecording, t0: float, t1: float) -> None:
    for k, (name, da) in enumerate(rec.input_rates.items()):
        w = _window(da, t0, t1)
        ax.plot(w["time_ms"].values, w.values, color=_INPUT_COLOURS[k % len(_INPUT_COLOURS)],
                lw=1.2, label=name, drawstyle="steps-post" if w.size < 200 else "default",
                gid=f"input:{name}")
    ax.set_ylabel("input rate\n(Hz)")
    ax.set_ylim(bottom=0)
    _title_row_legend(ax, len(rec.input_rates))


def _panel_raster(ax: Axes, rec: SpikingRecording, pops: list[str], colours: dict[str, str],
                  t0: float, t1: float, max_spikes: int) -> None:
    with_spikes = [p for p in pops if p in rec.spikes]
    if not with_spikes:
        note(ax, "no spikes recorded", keep_x=True, fontsize=8)
        return
    # One thinning step for all populations, so dot density stays proportional to rate.
    windows = {p: rec.spikes[p].window(t0, t1) for p in with_spikes}
    most = max(w.n_spikes for w in windows.values())
    step = max(1, int(np.ceil(most / max_spikes))) if max_spikes > 0 else 1
    offset = 0  # first population on top: rows counted downwards from 0
    ticks, labels = [], []
    for p in with_spikes:
        trains = windows[p]
        rows, n_rows = _rank(trains)
        keep = rows % step == 0
        ax.scatter(trains.times_ms[keep], offset + rows[keep], s=1.2, marker="o", lw=0,
                   color=colours[p], rasterized=True, gid=f"raster:{p}")
        ticks.append(offset + 0.5 * n_rows)
        labels.append(p)
        if p != with_spikes[-1]:
            ax.axhline(offset + n_rows, color="0.85", lw=0.5, zorder=0)
        offset += n_rows
    ax.set_ylim(max(offset, 1), 0)
    # with many populations, every second name goes to the right edge so thin bands' names
    # do not collide (E/I pairs: E left, I right)
    split = len(with_spikes) > 3
    left = [k for k in range(len(with_spikes)) if not split or k % 2 == 0]
    ax.set_yticks([ticks[k] for k in left], [labels[k] for k in left])
    for tick, k in zip(ax.get_yticklabels(), left):
        tick.set_color(colours[with_spikes[k]])
        tick.set_fontweight("bold")
    if split:
        side = blended_transform_factory(ax.transAxes, ax.transData)
        for k in range(1, len(with_spikes), 2):
            ax.text(1.006, ticks[k], labels[k], transform=side, ha="left", va="center",
                    fontsize=mpl.rcParams["ytick.labelsize"], fontweight="bold",
                    color=colours[with_spikes[k]])
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel("neurons")
    if step > 1:
        ax.set_title(f"every {_ordinal(step)} recorded neuron shown", loc="right", fontsize=7.5,
                     color=NOTE_COLOUR)


def _panel_vm(ax: Axes, rec: SpikingRecording, p: str, var: str, colour: str, t0: float,
              t1: float, max_traces: int, spike_marker: bool) -> None:
    da = _window(rec.state[p][var].transpose("time_ms", "neuron"), t0, t1)
    neurons = np.asarray(da["neuron"].values)[:max_traces]
    units = da.attrs.get("units", "mV")
    if da.sizes["time_ms"] == 0 or neurons.size == 0:
        note(ax, f"no {var} samples in the window", keep_x=True, fontsize=8)
        ax.set_ylabel(f"{p} {var}\n({units})")
        return
    t = np.asarray(da["time_ms"].values, dtype=float)
    v = np.asarray(da.values[:, : neurons.size], dtype=float)
    trains = rec.spikes[p].window(t0, t1) if p in rec.spikes else None
    for k, j in enumerate(neurons):
        c = _shade(colour, k, neurons.size)
        ts, vs = minmax_decimate(t, v[:, k])
        ax.plot(ts, vs, color=c, lw=0.7, zorder=3 + neurons.size - k, gid=f"vm:{p}:{j}")
    if spike_marker and trains is not None:
        lo, hi = np.nanmin(v), np.nanmax(v)
        top = hi + 0.25 * max(hi - lo, 1.0)
        for k, j in enumerate(neurons):
            st = trains.times_ms[trains.senders == j]
            if st.size == 0:
                continue
            # from the last sample before the spike (the value that reached threshold)
            i = np.clip(np.searchsorted(t, st, side="left") - 1, 0, t.size - 1)
            base = v[i, k]
            segs = np.stack([np.c_[st, base], np.c_[st, np.full_like(st, top)]], axis=1)
            ax.add_collection(LineCollection(segs, colors=[_shade(colour, k, neurons.size)],
                                             lw=0.7, zorder=3 + neurons.size - k))
        ax.set_ylim(lo - 0.05 * (top - lo), top + 0.02 * (top - lo))
    shown = f"{neurons.size} of {da.sizes['neuron']}" if da.sizes["neuron"] > neurons.size \
        else f"{neurons.size}"
    ax.set_title(f"{shown} recorded neuron{'s' if neurons.size != 1 else ''}", loc="right",
                 fontsize=7.5, color=NOTE_COLOUR)
    ax.set_ylabel(f"$V_m$ ({units})" if var in VM_NAMES else f"{var} ({units})")


def _panel_rates(ax: Axes, rates: dict[str, xr.DataArray], colours: dict[str, str], t0: float,
                 t1: float, smoothing_ms: float | None, log: bool) -> None:
    peak = 0.0
    for p, da in rates.items():
        w = _window(da, t0, t1)
        hz = np.asarray(w.values, dtype=float)
        mean = float(np.nanmean(hz)) if hz.size else float("nan")
        bin_ms = float(da.attrs.get("bin_ms", np.nan))
        if not np.isfinite(bin_ms) and da.sizes["time_ms"] > 1:
            bin_ms = float(np.diff(da["time_ms"].values[:2])[0])
        if smoothing_ms and hz.size > 1 and np.isfinite(bin_ms):
            hz = gaussian_filter1d(hz, smoothing_ms / bin_ms, mode="nearest")
        # centre of each bin (time_ms is the bin start)
        t = np.asarray(w["time_ms"].values, dtype=float) + (0.5 * bin_ms if np.isfinite(bin_ms)
                                                            else 0.0)
        ax.plot(t, hz, color=colours[p], lw=1.0, label=f"{p} (mean {mean:.3g} Hz)",
                gid=f"rate:{p}")
        peak = max(peak, float(np.nanmax(hz)) if hz.size and np.isfinite(hz).any() else 0.0)
    ax.set_ylabel("rate (Hz)")
    # headroom above the highest rate for the legend (one row per 4 populations)
    n_cols = min(len(rates), 4)
    rows = -(-len(rates) // max(n_cols, 1))
    if log:
        ax.set_yscale("log")
        if peak > 0:
            ax.set_ylim(top=peak * 10 ** (0.35 * rows))
    else:
        ax.set_ylim(0, max(peak, 1e-9) * (1.08 + 0.22 * rows))
    ax.legend(loc="upper right", frameon=False, ncols=max(n_cols, 1), handlelength=1.2,
              columnspacing=1.2, borderaxespad=0.1)


# --------------------------------------------------------------------------- public API


def make_activity_figure(
    recording: SpikingRecording,
    *,
    t_window_ms: tuple[float, float] | None = None,
    populations: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    show_inputs: bool = True,
    raster_max_spikes: int = 6000,
    vm_variable: str | None = None,
    vm_max_traces: int = 2,
    spike_marker: bool = True,
    rate_smoothing_ms: float | None = None,
    rate_bin_ms: float = 5.0,
    rate_log: bool = False,
    title: str | None = None,
) -> Figure:
    """Build the activity figure (no file I/O; panels in the module docstring).

    Parameters
    ----------
    recording
        What the simulation recorded.
    t_window_ms
        ``(t_start, t_stop)`` in ms to show; the whole recording by default.
    populations
        Populations to show, in this order; all of them (model order) by default.
    colours
        Population name -> matplotlib colour, overriding the default palette.
    show_inputs
        Draw the input-rate panel when the recording has input rates.
    raster_max_spikes
        At most about this many dots per population in the raster: with more spikes, only
        every ``k``-th recorded neuron is drawn (``k = ceil(n_spikes / raster_max_spikes)``).
    vm_variable
        State variable drawn in the Vm panels; by default the first of ``V``, ``V_m``, ``Vm``, ``v``, ``vm``, ``v_m``
        present, else the first variable in mV.
    vm_max_traces
        Neurons drawn per Vm panel (the first recorded ones).
    spike_marker
        Draw a vertical line at each spike of a drawn neuron, from its last sample before the
        spike to above the trace's maximum.
    rate_smoothing_ms
        Standard deviation (ms) of a Gaussian smoothing of the population rates; none if
        ``None``.
    rate_bin_ms
        Bin (ms) of the rates computed from spikes for populations without a recorded rate.
    rate_log
        Logarithmic rate axis.
    title
        Figure title; none by default (a caption belongs in the paper).

    Returns
    -------
    matplotlib.figure.Figure
        Panels labelled ``"inputs"``, ``"raster"``, ``"vm:<population>"``..., ``"rates"``
        (those that apply), sharing the time axis; attached to an Agg canvas. Artists carry
        gids: ``"input:<name>"``, ``"raster:<population>"`` (the dots),
        ``"vm:<population>:<neuron>"``, ``"rate:<population>"``; a panel without data shows a
        note with the gid :data:`~netdyn.plots.common.NOTE_GID`.

    Raises
    ------
    ConfigError
        An empty or reversed ``t_window_ms``, an unknown population, a non-positive
        ``rate_bin_ms``.
    """
    t0, t1 = (recording.t_start_ms, recording.t_stop_ms) if t_window_ms is None \
        else (float(t_window_ms[0]), float(t_window_ms[1]))
    if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
        raise ConfigError("t_window_ms", t_window_ms, "must be (t_start, t_stop) with t_stop > "
                          "t_start, in ms")
    if not rate_bin_ms > 0:
        raise ConfigError("rate_bin_ms", rate_bin_ms, "must be > 0 ms")
    known = recording.populations
    pops = list(known) if populations is None else list(populations)
    unknown = [p for p in pops if p not in known]
    if unknown:
        raise ConfigError("populations", unknown[0], f"not in the recording {known}")
    palette = population_colours(known)
    palette.update(colours or {})

    vm_vars = {p: _vm_variable(recording.state.get(p, {}), vm_variable) for p in pops}
    vm_pops = [p for p in pops if vm_vars[p] is not None]
    rates = {p: recording.population_rates[p] for p in pops if p in recording.population_rates}
    for p in pops:
        if p not in rates and p in recording.spikes:
            rates[p] = _rate_from_spikes(recording.spikes[p], rate_bin_ms)

    kinds = (["inputs"] if show_inputs and recording.input_rates else []) + ["raster"] \
        + ["vm"] * len(vm_pops) + (["rates"] if rates else [])
    heights = [PANEL_HEIGHT_IN[k] for k in kinds]
    figsize = (WIDTH_IN, sum(heights) + 0.55 + (0.25 if title else 0.0))
    with house_figure(figsize, w_pad=0.04, h_pad=0.02, hspace=0.0) as fig:
        axes = np.atleast_1d(fig.subplots(len(kinds), 1, sharex=True, height_ratios=heights))
        letters = iter("abcdefghijklmnopqrstuvwxyz")
        vm_iter = iter(vm_pops)
        for ax, kind in zip(axes, kinds):
            if kind == "inputs":
                ax.set_label("inputs")
                panel_title(ax, next(letters), "Afferent drive")
                _panel_inputs(ax, recording, t0, t1)
            elif kind == "raster":
                ax.set_label("raster")
                panel_title(ax, next(letters), "Spikes")
                _panel_raster(ax, recording, pops, palette, t0, t1, raster_max_spikes)
            elif kind == "vm":
                p = next(vm_iter)
                ax.set_label(f"vm:{p}")
                panel_title(ax, next(letters), f"Membrane potential, {p}")
                _panel_vm(ax, recording, p, vm_vars[p], palette[p], t0, t1, vm_max_traces,
                          spike_marker)
            else:
                ax.set_label("rates")
                smooth = f", smoothed (Gaussian σ = {rate_smoothing_ms:g} ms)" \
                    if rate_smoothing_ms else ""
                panel_title(ax, next(letters), f"Population rates{smooth}")
                _panel_rates(ax, rates, palette, t0, t1, rate_smoothing_ms, rate_log)
        for ax in axes[:-1]:
            ax.tick_params(axis="x", labelbottom=False)
        axes[-1].set_xlabel("time (ms)")
        axes[-1].set_xlim(t0, t1)
        fig.align_ylabels(axes)
        if title:
            fig.suptitle(title, fontsize=10)
    return fig


def plot_activity_figure(recording: SpikingRecording, path_stem: str | Path,
                         **kwargs: Any) -> list[Path]:
    """Write the activity figure to ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf``.

    ``kwargs`` go to :func:`make_activity_figure`. The suffixes are appended (a stem like
    ``"out/activity_v1.2"`` keeps its dots); missing parent directories are created. The
    raster dots are rasterised in the PDF, so it stays small. Returns ``[png, pdf]``.
    """
    return save_figure(make_activity_figure(recording, **kwargs), path_stem, recording.attrs)
