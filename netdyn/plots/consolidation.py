r"""Figures of the ``consolidation`` study: memory consolidation by synaptic tagging and capture
(Luboeinski & Tetzlaff 2021, Commun. Biol. 4:275), after the reference implementation's
``plotResults.py`` and the paper's recall figure.

``traces`` (:func:`trace_figure`)
    one E->E synapse and its postsynaptic neuron: (a) the early-phase weight :math:`h/h_0` and
    the late-phase weight :math:`1 + z` in %, with the tagging thresholds
    :math:`100\,(1 \pm \theta_\mathrm{tag}/h_0)` % and the protein-synthesis threshold
    :math:`100\,(1 + \theta_\mathrm{pro}/h_0)` % drawn as the reference does; (b) the membrane
    potential; (c) the neuron's protein amount and the synapse's calcium with the LTP and LTD
    thresholds :math:`\theta_p`, :math:`\theta_d`;
``raster`` (:func:`raster_figure`)
    spikes coloured by recall subpopulation: assembly neurons stimulated at recall ("as"),
    the rest of the assembly ("ans"), excitatory control ("ctrl"), inhibitory ("inh");
``screen`` (:func:`screen_figure`)
    recall quality Q and mutual information MI against the assembly size, 10 s and 8 h after
    learning (mean ± SD over trials), and the subpopulation rates at recall.

Data layout: the traces are an :class:`xarray.Dataset` over ``time_s`` (seconds, possibly
irregular with gaps: detailed phases sampled densely, 50-s consolidation steps sparsely),
``neuron`` and ``synapse`` (labels ``"pre->post"`` with coordinates ``pre``, ``post``); the
screen a Dataset over ``n_ca``, ``protocol`` (``"10s"``, ``"8h"``) and ``trial`` (NaN for
unfinished trials). Colours follow the reference: excitatory neurons blue (here in three shades
for the recall groups), inhibitory red; which differs from netdyn's other figures (excitatory
red), so that the figures compare with the paper's at a glance.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from netdyn.analysis.recall import RECALL_GROUPS, subpopulations
from netdyn.errors import ConfigError
from netdyn.plots.common import has_vars, house_figure, minmax_decimate, note, panel_title, save_figure

__all__ = [
    "GROUP_COLOURS",
    "PROTOCOL_LABELS",
    "raster_figure",
    "save_consolidation_figures",
    "screen_figure",
    "trace_figure",
]

#: Colours of the recall subpopulations (the reference's raster: excitatory blue, inhibitory red).
GROUP_COLOURS: dict[str, str] = {"as": "#08306b", "ans": "#4292c6", "ctrl": "#9ecae1", "inh": "#d62728"}
#: Legend names of the subpopulations.
GROUP_NAMES: dict[str, str] = {"as": "assembly, recall-stimulated (as)", "ans": "assembly, not stimulated (ans)",
                               "ctrl": "control (ctrl)", "inh": "inhibitory (inh)"}
#: How the screen's protocols are named in legends.
PROTOCOL_LABELS: dict[str, str] = {"10s": "10 s after learning", "8h": "8 h after learning"}
_PROTOCOL_STYLE: dict[str, tuple[str, str]] = {"10s": ("#1f77b4", "o"), "8h": ("#d62728", "s")}
#: The reference's trace colours (plotResults.py).
_H_COLOUR, _Z_COLOUR, _V_COLOUR, _CA_COLOUR, _P_COLOUR = "#800000", "#1f77b4", "#ff0000", "#c8c896", "#008000"
#: Spans longer than this are drawn in hours, s.
HOURS_ABOVE_S = 7200.0


# --------------------------------------------------------------------------- traces


def _time_axis(t0: float, t1: float) -> tuple[float, str]:
    """Divisor of seconds and the axis label: hours when the span exceeds :data:`HOURS_ABOVE_S`."""
    return (3600.0, "time (h)") if t1 - t0 > HOURS_ABOVE_S else (1.0, "time (s)")


def _window(traces: xr.Dataset, time_window: tuple[float, float] | None) -> tuple[xr.Dataset, float, float]:
    t = traces["time_s"].values
    if time_window is None:
        if t.size == 0:
            return traces, 0.0, 1.0
        return traces, float(t.min()), float(t.max())
    try:
        t0, t1 = (float(v) for v in time_window)
    except (TypeError, ValueError):
        raise ConfigError("time_window", time_window, "must be (t0, t1) in s") from None
    if not (np.isfinite(t0) and np.isfinite(t1) and t0 < t1):
        raise ConfigError("time_window", time_window, "must be finite (t0, t1) in s with t0 < t1")
    keep = (t >= t0) & (t <= t1)
    return traces.isel(time_s=np.flatnonzero(keep)), t0, t1


def _line(ax: Axes, t: np.ndarray, y: np.ndarray, gid: str, **kw: Any) -> Line2D:
    """A line decimated to at most :data:`~netdyn.plots.common.MAX_POINTS` points (extrema kept)."""
    ts, ys = minmax_decimate(t, y)
    (ln,) = ax.plot(ts, ys, gid=gid, **kw)
    return ln


def _attr(traces: xr.Dataset, name: str) -> float | None:
    value = traces.attrs.get(name)
    return None if value is None else float(value)


def trace_figure(traces: xr.Dataset, synapse: str = "0->1", *,
                 time_window: tuple[float, float] | None = None,
                 protein: Literal["pc", "p_tilde"] = "pc") -> Figure:
    r"""Weights, membrane potential, protein and calcium of one synapse over time.

    The reference's trace plot (Luboeinski & Tetzlaff 2021, Commun. Biol. 4:275, Fig. 2;
    ``plotResults.py`` of the Arbor implementation):

    a. early-phase weight :math:`100\,h/h_0` and late-phase weight :math:`100\,(1 + z)`, %
       (total weight :math:`w = h + h_0 z`); the tag band :math:`100\,(1 \pm
       \theta_\mathrm{tag}/h_0)` % (an LTP tag is set while :math:`h - h_0 > \theta_\mathrm{tag}`,
       an LTD tag while :math:`h_0 - h > \theta_\mathrm{tag}`) and, as the reference draws it,
       the protein-synthesis threshold at :math:`100\,(1 + \theta_\mathrm{pro}/h_0)` % (the
       threshold applies to :math:`\sum_j |h_{ji} - h_0|` over all the neuron's incoming E->E
       synapses, so for one synapse it is a guide only);
    b. membrane potential :math:`V` of the postsynaptic neuron, mV;
    c. protein of the postsynaptic neuron, :math:`pc` in µmol/l (or :math:`\tilde p =
       f_\mathrm{int}\, pc`, dimensionless, with ``protein="p_tilde"``), and on the right axis
       the synapse's calcium :math:`Ca` with the thresholds :math:`\theta_p` (LTP) and
       :math:`\theta_d` (LTD).

    Lines are min/max decimated, so the spikes of densely sampled phases survive on long axes.

    Parameters
    ----------
    traces
        Dataset with coordinates ``time_s`` (s), ``neuron``, ``synapse`` (with ``pre``,
        ``post``), variables ``v_mV(time_s, neuron)``, ``protein_umol(time_s, neuron)``,
        ``h_mV``, ``z``, ``ca`` (``time_s``, ``synapse``) and attributes ``h_0_mV``,
        ``theta_p``, ``theta_d``, ``theta_tag_mV``, ``theta_pro_mV``, ``f_int`` (l/µmol),
        ``p_max_umol``. Missing variables leave a note in their panel.
    synapse
        Label of the synapse (``"pre->post"``).
    time_window
        ``(t0, t1)`` in s; default the whole recording. The time axis is in hours when the
        span exceeds 2 h, so zoom in to see the learning and recall stimuli of an 8-h run.
    protein
        ``"pc"`` (µmol/l, as the reference plots it) or ``"p_tilde"`` (:math:`f_\mathrm{int}\,pc`).

    Returns
    -------
    matplotlib.figure.Figure
        Panels labelled ``"a"``, ``"b"``, ``"c"`` and the calcium axis ``"c_ca"``; lines have
        gids ``h``, ``z``, ``theta_tag:ltp``, ``theta_tag:ltd``, ``theta_pro``, ``v``,
        ``protein``, ``ca``, ``theta_p``, ``theta_d``.
    """
    if protein not in ("pc", "p_tilde"):
        raise ConfigError("protein", protein, "must be 'pc' or 'p_tilde'")
    labels = [str(s) for s in traces["synapse"].values] if "synapse" in traces.coords else []
    if synapse not in labels:
        raise ConfigError("synapse", synapse, f"not among the recorded synapses {labels}")
    syn = traces.sel(synapse=synapse)
    post = int(syn["post"].values) if "post" in syn.coords else int(synapse.split("->")[1])
    ds, t0, t1 = _window(traces, time_window)
    syn = ds.sel(synapse=synapse)
    scale, t_label = _time_axis(t0, t1)
    t = ds["time_s"].values / scale
    h_0 = _attr(traces, "h_0_mV")

    with house_figure((8.0, 8.0)) as fig:
        ax_w, ax_v, ax_p = fig.subplots(3, 1, sharex=True)
        for ax, letter in zip((ax_w, ax_v, ax_p), "abc"):
            ax.set_label(letter)
        panel_title(ax_w, "a", f"Synaptic weight {synapse.replace('->', ' → ')}")
        if has_vars(ds, "h_mV", "z") and h_0:
            _line(ax_w, t, syn["h_mV"].values / h_0 * 100.0, "h", color=_H_COLOUR, lw=1.0, zorder=10,
                  label=r"early phase $h/h_0$")
            _line(ax_w, t, (1.0 + syn["z"].values) * 100.0, "z", color=_Z_COLOUR, lw=1.0, zorder=9,
                  label=r"late phase $1 + z$")
            theta_tag = _attr(traces, "theta_tag_mV")
            if theta_tag is not None:
                up, down = 100.0 * (1.0 + theta_tag / h_0), 100.0 * (1.0 - theta_tag / h_0)
                ax_w.axhspan(down, up, color="0.94", lw=0, zorder=0, gid="theta_tag:band")
                ax_w.axhline(up, color="0.55", ls="--", lw=0.8, zorder=4, gid="theta_tag:ltp",
                             label=r"tag thresholds $h_0 \pm \theta_\mathrm{tag}$")
                ax_w.axhline(down, color="0.55", ls="--", lw=0.8, zorder=4, gid="theta_tag:ltd")
            theta_pro = _attr(traces, "theta_pro_mV")
            if theta_pro is not None:
                ax_w.axhline(100.0 * (1.0 + theta_pro / h_0), color="0.55", ls="-.", lw=0.8, zorder=5,
                             gid="theta_pro", label=r"protein threshold $h_0 + \theta_\mathrm{pro}$")
            ax_w.set_ylabel("weight (% of $h_0$)")
            ax_w.legend(loc="best", fontsize=7)
        else:
            note(ax_w, "no weights recorded" if h_0 else "no weights or h_0 recorded", keep_x=True)

        recorded = [int(n) for n in ds["neuron"].values] if "neuron" in ds.coords else []
        panel_title(ax_v, "b", f"Membrane potential of neuron {post}")
        if has_vars(ds, "v_mV") and post in recorded:
            _line(ax_v, t, ds["v_mV"].sel(neuron=post).values, "v", color=_V_COLOUR, lw=0.6)
            ax_v.set_ylabel("V (mV)")
        else:
            note(ax_v, f"V of neuron {post} not recorded", keep_x=True)

        panel_title(ax_p, "c", f"Protein of neuron {post}, calcium of the synapse")
        ax_ca = ax_p.twinx()
        ax_ca.set_label("c_ca")
        handles = []
        if has_vars(ds, "protein_umol") and post in recorded:
            pc = ds["protein_umol"].sel(neuron=post).values
            f_int = _attr(traces, "f_int")
            if protein == "p_tilde" and f_int is None:
                raise ConfigError("protein", protein, "needs the traces' attribute f_int")
            if protein == "p_tilde":
                y, ylabel, name = pc * f_int, r"protein $\tilde p = f_\mathrm{int}\,pc$", r"protein $\tilde p$"
            else:
                y, ylabel, name = pc, "protein pc (µmol/l)", "protein pc"
            handles.append(_line(ax_p, t, y, "protein", color=_P_COLOUR, lw=1.0, label=name))
            ax_p.set_ylabel(ylabel)
            p_max = _attr(traces, "p_max_umol")
            if p_max is not None:
                top = p_max * (f_int if protein == "p_tilde" and f_int is not None else 1.0)
                ax_p.set_ylim(-0.02 * top, 1.05 * max(top, float(np.nanmax(y, initial=0.0))))
        if has_vars(ds, "ca"):
            handles.append(_line(ax_ca, t, syn["ca"].values, "ca", color=_CA_COLOUR, lw=0.8, label="calcium Ca"))
            for name, colour, text in (("theta_p", "#969664", r"LTP threshold $\theta_p$"),
                                       ("theta_d", "#969696", r"LTD threshold $\theta_d$")):
                value = _attr(traces, name)
                if value is not None:
                    handles.append(ax_ca.axhline(value, color=colour, ls="--", lw=0.8, gid=name, label=text))
            ax_ca.set_ylabel("calcium Ca")
            ax_ca.spines["right"].set_visible(True)
        else:
            ax_ca.set_yticks([])
        if handles:
            ax_p.legend(handles, [h.get_label() for h in handles], loc="best", fontsize=7)
        else:
            note(ax_p, f"no protein of neuron {post} nor calcium recorded", keep_x=True)
        ax_p.set_xlabel(t_label)
        ax_p.set_xlim(t0 / scale, t1 / scale)
        fig.suptitle(f"Synapse {synapse.replace('->', ' → ')}, "
                     f"{'whole recording' if time_window is None else f'{t0:g}-{t1:g} s'}", fontsize=9)
    return fig


# --------------------------------------------------------------------------- raster


def _spike_arrays(spike_times_s: Any, spike_ids: Any, n_neurons: int) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(spike_times_s, dtype=np.float64)
    ids = np.asarray(spike_ids)
    if times.ndim != 1 or ids.shape != times.shape:
        raise ConfigError("spike_ids", ids.shape, f"must be 1-D and match spike_times_s {times.shape}")
    if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= n_neurons):
        raise ConfigError("spike_ids", "out of range", f"must be integer neuron ids in [0, {n_neurons})")
    return times, ids.astype(np.int64, copy=False)


def raster_figure(spike_times_s: Any, spike_ids: Any, n_ca: int, n_exc: int, n_inh: int,
                  recall_fraction: float = 0.5, window_s: tuple[float, float] | None = None,
                  max_neurons: int | None = None) -> Figure:
    r"""Spike raster coloured by recall subpopulation.

    Neuron ids on the y axis (0 at the bottom, as the reference's ``plotRaster``), the groups
    of :func:`netdyn.analysis.recall.subpopulations`: "as" :math:`[0, \lfloor p_r
    N_\mathrm{CA}\rfloor)`, "ans" up to :math:`N_\mathrm{CA}`, "ctrl" up to
    :math:`N_\mathrm{exc}`, "inh" up to :math:`N_\mathrm{exc} + N_\mathrm{inh}`, separated by
    thin lines (Luboeinski & Tetzlaff 2021, Commun. Biol. 4:275).

    Parameters
    ----------
    spike_times_s, spike_ids
        Spike times, s, and neuron ids in ``[0, n_exc + n_inh)``.
    n_ca, n_exc, n_inh, recall_fraction
        Network layout, as in :func:`~netdyn.analysis.recall.subpopulations`.
    window_s
        ``(t0, t1)`` in s; default from 0 (or the first spike, if earlier) to the last spike.
    max_neurons
        Draw at most this many neurons: every k-th neuron id (k the smallest that fits), whole
        trains kept and drawn at their own ids, so the groups keep their place and share.

    Returns
    -------
    matplotlib.figure.Figure
        One panel ``"a"``; the dots of each group are one collection with gid
        ``raster:<group>`` (offsets (time in s, neuron id)), the legend names the groups.
    """
    groups = subpopulations(n_ca, n_exc, n_inh, recall_fraction)
    n = n_exc + n_inh
    times, ids = _spike_arrays(spike_times_s, spike_ids, n)
    if window_s is None:
        t0 = min(0.0, float(times.min())) if times.size else 0.0
        t1 = float(times.max()) if times.size else 1.0
        t1 = t1 if t1 > t0 else t0 + 1.0
    else:
        try:
            t0, t1 = (float(v) for v in window_s)
        except (TypeError, ValueError):
            raise ConfigError("window_s", window_s, "must be (t0, t1) in s") from None
        if not (np.isfinite(t0) and np.isfinite(t1) and t0 < t1):
            raise ConfigError("window_s", window_s, "must be finite (t0, t1) in s with t0 < t1")
    step = 1
    if max_neurons is not None:
        if isinstance(max_neurons, bool) or not isinstance(max_neurons, (int, np.integer)) or max_neurons < 1:
            raise ConfigError("max_neurons", max_neurons, "must be an integer >= 1")
        step = -(-n // int(max_neurons))
    keep = (times >= t0) & (times <= t1) & (ids % step == 0)
    with house_figure((8.0, 4.5)) as fig:
        ax = fig.subplots()
        ax.set_label("a")
        shown = "" if step == 1 else f", every {step}th neuron"
        panel_title(ax, "a", f"Spikes, N_CA = {n_ca}, recall fraction {float(recall_fraction):g}{shown}")
        handles = []
        for g in RECALL_GROUPS:
            sl = groups[g]
            size = sl.stop - sl.start
            sel = keep & (ids >= sl.start) & (ids < sl.stop)
            ax.scatter(times[sel], ids[sel], s=1.5, marker="o", lw=0, color=GROUP_COLOURS[g], rasterized=True,
                       gid=f"raster:{g}")
            handles.append(Line2D([], [], ls="", marker="o", ms=4, color=GROUP_COLOURS[g],
                                  label=f"{GROUP_NAMES[g]}, {size} neurons"))
            if 0 < sl.stop < n:
                ax.axhline(sl.stop - 0.5, color="0.8", lw=0.5, zorder=0, gid=f"boundary:{g}")
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        ax.set_xlim(t0, t1)
        ax.set_ylim(-0.5, n - 0.5)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("neuron id")
        if not keep.any():
            note(ax, "no spikes in the window", keep_x=True)
    return fig


# --------------------------------------------------------------------------- screen

#: What the screen figure's panels show: variable, panel title, axis label.
_SCREEN_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("Q", "Recall quality", "Q"),
    ("MI_bits", "Mutual information", "MI (bits)"),
)


def _trial_stats(da: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, SD (ddof 1, as ``extractAverageQMI.py``'s pandas ``std``) and number of finite
    trials along ``trial``; NaN trials (unfinished) are left out."""
    values = da.values
    axis = da.dims.index("trial")
    finite = np.isfinite(values)
    n = finite.sum(axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN or single trials: NaN, not a warning
        mean = np.nanmean(values, axis=axis)
        sd = np.nanstd(values, axis=axis, ddof=1)
    return mean, np.where(n > 1, sd, np.nan), n


def _protocols(screen: xr.Dataset) -> list[str]:
    return [str(p) for p in screen["protocol"].values]


def screen_figure(screen: xr.Dataset, reference: Mapping[str, Mapping[tuple[int, str], tuple[float, float]]]
                  | None = None, *, reference_label: str = "reference") -> Figure:
    r"""Recall quality and mutual information against the assembly size, 10 s and 8 h after
    learning: the main result of Luboeinski & Tetzlaff (2021, Commun. Biol. 4:275, Fig. 4),
    memory improvement by consolidation.

    a. :math:`Q = (\nu_\mathrm{ans} - \nu_\mathrm{ctrl}) / \nu_\mathrm{as}`;
    b. MI between the excitatory rates at learning and at recall, bits;
    c. mean rates at recall of the subpopulations (as, ans, ctrl, inh), Hz, one line style per
       protocol.

    Points are the mean ± SD over the finished trials (NaN trials are left out; SD with ddof 1,
    as the reference's ``extractAverageQMI.py``); the legend gives the number of finished trials.

    Parameters
    ----------
    screen
        Dataset over ``n_ca``, ``protocol`` (``"10s"``, ``"8h"``, or others) and ``trial``
        with variables ``Q``, ``MI_bits`` and optionally ``rate_as_hz``, ``rate_ans_hz``,
        ``rate_ctrl_hz``, ``rate_inh_hz``.
    reference
        Values to compare with, drawn as hollow markers with their error bars:
        ``{measure: {(n_ca, protocol): (mean, sd)}}`` with measure ``"Q"``, ``"MI_bits"`` or a
        rate variable.
    reference_label
        Legend name of the reference values.

    Returns
    -------
    matplotlib.figure.Figure
        Panels ``"a"``, ``"b"``, ``"c"``; the mean lines have gids ``<measure>:<protocol>``
        (rates ``rate_<group>_hz:<protocol>``), the error bars ``<measure>:<protocol>:sd``, the
        reference markers ``reference:<measure>:<protocol>``.
    """
    missing = [d for d in ("n_ca", "protocol", "trial") if d not in screen.dims]
    if missing:
        raise ConfigError("screen", f"dims {tuple(screen.dims)}", f"must have the dimensions n_ca, protocol, trial "
                          f"(missing {missing})")
    n_ca = screen["n_ca"].values.astype(float)
    protocols = _protocols(screen)
    reference = reference or {}
    with house_figure((11.0, 3.8)) as fig:
        axes = fig.subplots(1, 3)
        for ax, letter in zip(axes, "abc"):
            ax.set_label(letter)
        for ax, letter, (name, title, ylabel) in zip(axes, "ab", _SCREEN_MEASURES):
            panel_title(ax, letter, title)
            if not has_vars(screen, name):
                note(ax, f"no {name} in the screen")
                continue
            for k, proto in enumerate(protocols):
                mean, sd, n = _trial_stats(screen[name].sel(protocol=proto).transpose("n_ca", "trial"))
                colour, marker = _PROTOCOL_STYLE.get(proto, (f"C{k + 2}", "^"))
                label = f"{PROTOCOL_LABELS.get(proto, proto)} ({_trials_text(n)})"
                bars = ax.errorbar(n_ca, mean, yerr=sd, color=colour, marker=marker, ms=4, capsize=2.5, lw=1.0,
                                   label=label)
                bars.lines[0].set_gid(f"{name}:{proto}")
                bars.lines[2][0].set_gid(f"{name}:{proto}:sd")
                _reference(ax, reference.get(name, {}), proto, colour, marker, name, reference_label)
            ax.set_xlabel("assembly size $N_\\mathrm{CA}$")
            ax.set_ylabel(ylabel)
            ax.set_xticks(n_ca)
            ax.legend(fontsize=7)
        _rates_panel(axes[2], screen, n_ca, protocols, reference, reference_label)
        fig.suptitle("Recall after consolidation (Luboeinski & Tetzlaff 2021): mean ± SD over trials", fontsize=9)
    return fig


def _trials_text(n: np.ndarray) -> str:
    lo, hi = int(n.min()), int(n.max())
    return f"{hi} trials" if lo == hi else f"{lo}-{hi} trials"


def _reference(ax: Axes, values: Mapping[tuple[int, str], tuple[float, float]], proto: str, colour: str,
               marker: str, name: str, label: str) -> None:
    points = sorted((float(k[0]), float(v[0]), float(v[1])) for k, v in values.items() if str(k[1]) == proto)
    if not points:
        return
    x, y, err = (np.array(c) for c in zip(*points))
    bars = ax.errorbar(x, y, yerr=err, ls="", marker=marker, ms=7, mfc="none", mec=colour, ecolor=colour,
                       elinewidth=0.6, capsize=4, alpha=0.8, label=f"{label}, {PROTOCOL_LABELS.get(proto, proto)}")
    bars.lines[0].set_gid(f"reference:{name}:{proto}")


def _rates_panel(ax: Axes, screen: xr.Dataset, n_ca: np.ndarray, protocols: Sequence[str],
                 reference: Mapping[str, Any], reference_label: str) -> None:
    panel_title(ax, "c", "Mean rates at recall")
    names = [(g, f"rate_{g}_hz") for g in RECALL_GROUPS if has_vars(screen, f"rate_{g}_hz")]
    if not names:
        note(ax, "no rates in the screen")
        return
    styles = ("-", "--", ":", "-.")
    for k, proto in enumerate(protocols):
        _, marker = _PROTOCOL_STYLE.get(proto, ("", "^"))
        for g, var in names:
            mean, sd, _ = _trial_stats(screen[var].sel(protocol=proto).transpose("n_ca", "trial"))
            bars = ax.errorbar(n_ca, mean, yerr=sd, color=GROUP_COLOURS[g], ls=styles[k % len(styles)], marker=marker,
                               ms=3, capsize=2, lw=0.9)
            bars.lines[0].set_gid(f"{var}:{proto}")
            bars.lines[2][0].set_gid(f"{var}:{proto}:sd")
            _reference(ax, reference.get(var, {}), proto, GROUP_COLOURS[g], marker, var, reference_label)
    handles = [Line2D([], [], color=GROUP_COLOURS[g], lw=2, label=g) for g, _ in names]
    handles += [Line2D([], [], color="0.3", ls=styles[k % len(styles)], marker=_PROTOCOL_STYLE.get(p, ("", "^"))[1],
                       ms=3, label=PROTOCOL_LABELS.get(p, p)) for k, p in enumerate(protocols)]
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="best")
    ax.set_yscale("log")
    ax.set_xticks(n_ca)
    ax.set_xlabel("assembly size $N_\\mathrm{CA}$")
    ax.set_ylabel("rate (spikes/s)")


# --------------------------------------------------------------------------- files


def save_consolidation_figures(out_dir: str | Path, traces: xr.Dataset | None = None,
                               spikes: tuple[Any, Any] | None = None, screen: xr.Dataset | None = None, *,
                               synapse: str = "0->1", time_window: tuple[float, float] | None = None,
                               n_ca: int | None = None, n_exc: int | None = None, n_inh: int = 0,
                               recall_fraction: float = 0.5, window_s: tuple[float, float] | None = None,
                               max_neurons: int | None = None,
                               reference: Mapping[str, Mapping[tuple[int, str], tuple[float, float]]] | None = None,
                               stem: str = "figure", attrs: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the figures of what is given as ``<out_dir>/<stem>_traces``, ``_raster`` and
    ``_screen`` (``.png`` and ``.pdf`` each, :func:`~netdyn.plots.common.save_figure`).

    Parameters
    ----------
    out_dir
        Folder (created if missing).
    traces, synapse, time_window
        For :func:`trace_figure`.
    spikes, n_ca, n_exc, n_inh, recall_fraction, window_s, max_neurons
        ``(spike_times_s, spike_ids)`` and the layout for :func:`raster_figure`; ``n_ca`` and
        ``n_exc`` are required with ``spikes``.
    screen, reference
        For :func:`screen_figure`.
    stem
        File-name prefix.
    attrs
        Provenance for the files' metadata (``netdyn_version``); default the attributes of the
        traces or the screen.

    Returns
    -------
    list of Path
        The files written, PNG then PDF per figure, in the order traces, raster, screen.
    """
    out = Path(out_dir)
    paths: list[Path] = []
    if traces is not None:
        paths += save_figure(trace_figure(traces, synapse, time_window=time_window), out / f"{stem}_traces",
                             attrs if attrs is not None else traces.attrs)
    if spikes is not None:
        if n_ca is None or n_exc is None:
            raise ConfigError("n_exc" if n_exc is None else "n_ca", None, "the raster needs n_ca and n_exc")
        times, ids = spikes
        fig = raster_figure(times, ids, n_ca, n_exc, n_inh, recall_fraction, window_s, max_neurons)
        paths += save_figure(fig, out / f"{stem}_raster", attrs if attrs is not None else {})
    if screen is not None:
        paths += save_figure(screen_figure(screen, reference), out / f"{stem}_screen",
                             attrs if attrs is not None else screen.attrs)
    return paths
