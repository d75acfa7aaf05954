"""Study ``consolidation``: one trial of a protocol, recorded, read out and drawn.

:data:`CONSOLIDATION` (:func:`run_consolidation`) writes::

    spikes.h5      every spike and the sampled membrane potentials (netdyn's HDF5 layout)
    results.zarr   traces (time_s x neuron: V, protein; time_s x synapse: h, z, Ca), spikes,
                   the plastic weights after learning and at the end (synapse x snapshot),
                   the schedule and the timings
    summary.json   per sampled synapse h_final_mV, z_final, h_max_mV; per sampled neuron its
                   spikes, protein peak (umol/l) and its time; for the 2,000-neuron protocols Q,
                   MI (bits) and the rates of as / ans / ctrl / inh at recall
    figure_traces.png/pdf, figure_raster.png/pdf

The phases of :func:`~netdyn.studies.consolidation.network.schedule` run one after the other on
the same network: detailed phases step by step, consolidation phases with
:meth:`Network.fast_forward <netdyn.engines.spiking.Network.fast_forward>`; the state passes
between them in memory at full precision.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.analysis.recall import recall_readout
from netdyn.config.consolidation import ConsolidationConfig
from netdyn.errors import ConfigError
from netdyn.studies.consolidation.network import (
    check_schedule,
    choose_sample_synapses,
    consolidation_spec,
    plastic_parameters,
    schedule,
)
from netdyn.sweep.store import open_results, write_results
from netdyn.sweep.study import STUDY_ATTR, SingleRunStudy, nan_to_none

__all__ = ["CITATIONS", "CONSOLIDATION", "Trial", "check_consolidation", "readout", "run_consolidation", "simulate"]

RASTER_MAX_SPIKES = 1_000_000
"""Above this many spikes the raster shows one second from the start of learning."""

CITATIONS = (
    "J. Luboeinski, C. Tetzlaff (2021), Memory consolidation and improvement by synaptic tagging and capture "
    "in recurrent neural networks, Communications Biology 4:275.",
    "J. Luboeinski, M. Tetzlaff et al. (2024), Plastic Arbor: a modern simulation framework for synaptic "
    "plasticity - from single synapses to networks of morphological neurons, arXiv:2411.16445.",
)


def check_consolidation(config: ConsolidationConfig) -> None:
    """Refuse, before anything is built or written, bad plasticity parameters (field
    ``plasticity.<name>``) and stimuli inside a consolidation phase."""
    plastic_parameters(config)
    check_schedule(config)


@dataclass
class Trial:
    """What one simulated trial holds (``config``: the configuration as run, with the sampled
    synapses and neurons chosen)."""

    config: ConsolidationConfig
    traces: xr.Dataset
    spike_times_s: np.ndarray
    spike_ids: np.ndarray
    weights: xr.Dataset
    recording: Any
    timing: dict[str, float]
    n_synapses: int
    n_plastic: int
    procedural_projections: tuple[str, ...] = ()


def _sample_synapses(config: ConsolidationConfig) -> tuple[tuple[int, int], ...]:
    r = config.resolved()
    if r["sample_synapses"] is not None or r["network"] != "random":
        return r["sample_synapses"] or ()
    from netdyn.connectivity.rules import connect
    from netdyn.seeding import named_generator

    spec = consolidation_spec(config, sample_synapses=())
    proj = spec.plastic_projection
    pre, post = connect(proj.rule, r["n_exc"], r["n_exc"], named_generator(spec.seed, "projection", proj.key),
                        same_population=True)
    return choose_sample_synapses(pre, post, max(r["n_ca"], 1), r["n_exc"])


def simulate(config: ConsolidationConfig, *, progress: bool | None = None) -> Trial:
    """Build the network of ``config`` and run its schedule; return what was recorded.

    ``progress``: a progress bar per detailed phase (default: when stderr is a terminal)."""
    from netdyn.engines.spiking import Network

    if progress is None:
        progress = sys.stderr.isatty()
    check_consolidation(config)
    t0, c0 = time.perf_counter(), time.process_time()
    synapses = _sample_synapses(config)
    if not config.resolved()["sample_neurons"]:  # a random network: the ends of its sampled synapses
        config = config.replace(sample_synapses=synapses,
                                sample_neurons=tuple(sorted({i for pair in synapses for i in pair})))
    r = config.resolved()
    timing: dict[str, float] = {}
    spec = consolidation_spec(config, synapses)
    net = Network(spec, threads=config.threads, connectivity=config.connectivity)
    timing["build"], timing["build_cpu"] = time.perf_counter() - t0, time.process_time() - c0
    c1 = time.process_time()
    snapshots = []
    pending = sorted(1000.0 * t for t in config.weights_at_s)
    for k, phase in enumerate(schedule(config)):
        t1 = time.perf_counter()
        stops = [t for t in pending if phase.start_ms <= t < phase.stop_ms]
        if phase.kind == "consolidation":  # on the grid of the long steps, which splitting keeps
            stops = [phase.start_ms + config.dt_ff_ms * np.floor((t - phase.start_ms) / config.dt_ff_ms)
                     for t in stops]
        for stop in [*stops, phase.stop_ms]:
            duration = round(stop / config.dt_ms) * config.dt_ms - net.t_ms
            if phase.kind == "detailed":
                net.run(duration, progress=progress)
            else:
                net.fast_forward(duration, config.dt_ff_ms)
            if stop < phase.stop_ms:
                snapshots.append((f"t={net.t_ms / 1000.0:.10g}s", net.plastic_state()))
        pending = [t for t in pending if t >= phase.stop_ms]
        timing[f"phase_{k}_{phase.label}"] = time.perf_counter() - t1
        if phase.label.startswith("learn") and k == 0:
            snapshots.append(("after_learning", net.plastic_state()))
    snapshots.append(("final", net.plastic_state()))
    timing["simulate_cpu"] = time.process_time() - c1
    rec = net.recording()
    n_exc = r["n_exc"]
    times, ids = [], []
    for pop, offset in (("E", 0), ("I", n_exc)):
        if pop in rec.spikes:
            times.append(rec.spikes[pop].times_ms * 1e-3)
            ids.append(rec.spikes[pop].senders.astype(np.int64) + offset)
    spike_t = np.concatenate(times) if times else np.zeros(0)
    spike_i = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    order = np.lexsort((spike_i, spike_t))
    timing["simulate"] = sum(v for k, v in timing.items() if k.startswith("phase_"))
    return Trial(config=config, traces=_traces(config, rec), spike_times_s=spike_t[order], spike_ids=spike_i[order],
                 weights=_weights(snapshots), recording=rec, timing=timing, n_synapses=int(net.n_synapses),
                 n_plastic=int(net.plastic.n_synapses), procedural_projections=tuple(net.procedural_keys))


def _traces(config: ConsolidationConfig, rec: Any) -> xr.Dataset:
    """The sampled traces as one Dataset on a common time axis (s)."""
    r = config.resolved()
    n_exc = r["n_exc"]
    params = plastic_parameters(config)
    syn = rec.state.get("E->E:syn", {})
    parts = [rec.state.get("E", {}).get("v_mV"), rec.state.get("I", {}).get("v_mV")]
    t_ms = next((da.time_ms.values for da in [*parts, *syn.values()] if da is not None), np.zeros(0))
    neurons = np.asarray(r["sample_neurons"], dtype=np.int64)
    v = np.full((t_ms.size, neurons.size), np.nan)
    i_syn = np.full((t_ms.size, neurons.size), np.nan)
    protein = np.full((t_ms.size, neurons.size), np.nan)
    for pop, offset in (("E", 0), ("I", n_exc)):
        for name, out, scale in (("v_mV", v, 1.0), ("i_syn_pA", i_syn, 1e-3)):
            da = rec.state.get(pop, {}).get(name)
            if da is not None:
                for j, i in enumerate(da.neuron.values):
                    out[:, int(np.flatnonzero(neurons == i + offset)[0])] = da.values[:, j] * scale
    pc = rec.state.get("E", {}).get("protein_umol")
    if pc is not None:
        for j, i in enumerate(pc.neuron.values):
            protein[:, int(np.flatnonzero(neurons == i)[0])] = pc.values[:, j]
    data = {"v_mV": (("time_s", "neuron"), v, {"units": "mV", "long_name": "membrane potential (NaN in consolidation phases)"}),
            "i_syn_nA": (("time_s", "neuron"), i_syn, {"units": "nA", "long_name": "synaptic current (NaN in "
                                                       "consolidation phases)"}),
            "protein_umol": (("time_s", "neuron"), protein, {"units": "umol/l", "long_name": "protein pool"})}
    coords: dict[str, Any] = {"time_s": t_ms * 1e-3, "neuron": neurons}
    if syn:
        h = syn["h_mV"]
        coords.update({"synapse": np.array([str(x) for x in h.synapse.values], dtype=object), "pre": ("synapse", h.pre.values.astype(np.int64)),
                       "post": ("synapse", h.post.values.astype(np.int64))})
        data["h_mV"] = (("time_s", "synapse"), h.values, {"units": "mV", "long_name": "early-phase weight"})
        data["z"] = (("time_s", "synapse"), syn["z"].values, {"units": "1", "long_name": "late-phase weight"})
        data["ca"] = (("time_s", "synapse"), syn["ca"].values, {"units": "1", "long_name": "calcium"})
    return xr.Dataset(data, coords=coords, attrs={
        "h_0_mV": params["h_0_mV"], "theta_p": params["theta_p"], "theta_d": params["theta_d"],
        "theta_tag_mV": params["theta_tag_mV"], "theta_pro_mV": params["theta_pro_mV"],
        "f_int": params["f_int_l_per_umol"], "p_max_umol": params["p_max_umol"]})


def _weights(snapshots: list[tuple[str, xr.Dataset]]) -> xr.Dataset:
    first = snapshots[0][1]
    names = [name for name, _ in snapshots]
    return xr.Dataset(
        {"weight_h_mV": (("snapshot", "plastic_synapse"), np.stack([s["h_mV"].values for _, s in snapshots]),
                         {"units": "mV", "long_name": "early-phase weight of every plastic synapse"}),
         "weight_z": (("snapshot", "plastic_synapse"), np.stack([s["z"].values for _, s in snapshots]),
                      {"units": "1", "long_name": "late-phase weight of every plastic synapse"}),
         "snapshot_time_s": (("snapshot",), [float(s.time_ms) * 1e-3 for _, s in snapshots], {"units": "s"})},
        coords={"snapshot": np.array(names, dtype=object), "synapse_pre": ("plastic_synapse", first["pre"].values.astype(np.int32)),
                "synapse_post": ("plastic_synapse", first["post"].values.astype(np.int32))})


def readout(config: ConsolidationConfig, trial: Trial) -> dict[str, Any]:
    """The summary of a trial: per sampled synapse and neuron, and recall quality (network)."""
    r = config.resolved()
    tr = trial.traces
    synapses = {}
    if "h_mV" in tr:
        for label in tr.synapse.values:
            h = tr["h_mV"].sel(synapse=label).values
            z = tr["z"].sel(synapse=label).values
            ok = np.isfinite(h)
            synapses[str(label)] = {"h_final_mV": float(h[ok][-1]) if ok.any() else None,
                                    "z_final": float(z[ok][-1]) if ok.any() else None,
                                    "h_max_mV": float(np.nanmax(h)) if ok.any() else None}
    neurons = {}
    for j, gid in enumerate(tr.neuron.values):
        pc = tr["protein_umol"].values[:, j]
        entry: dict[str, Any] = {"spikes": int(np.count_nonzero(trial.spike_ids == gid))}
        if np.isfinite(pc).any():
            k = int(np.nanargmax(pc))
            entry.update({"protein_peak": float(pc[k]), "protein_peak_time_s": float(tr.time_s.values[k])})
        neurons[str(int(gid))] = entry
    out: dict[str, Any] = {"protocol": config.protocol, "seed": config.seed, "synapses": synapses, "neurons": neurons}
    if r["network"] == "random" and r["learn"] is not None and r["recall"] is not None:
        q = recall_readout(trial.spike_times_s, trial.spike_ids, r["n_ca"], r["n_exc"], r["n_inh"],
                           t_learn_s=r["learn"].time_start_s + 1.0, t_recall_s=r["recall"].time_start_s + 0.1,
                           recall_fraction=r["p_r"])
        out.update({"Q": q.Q, "sigma_Q": q.sigma_Q, "MI_bits": q.MI_bits, "H_L_bits": q.H_L_bits,
                    "rates_hz": {k: q.rates_hz[k] for k in ("as", "ans", "ctrl", "inh", "exc")}})
    out["n_ca"] = r["n_ca"]
    out["netdyn_version"] = __version__
    out["timing_s"] = {k: round(v, 4) for k, v in trial.timing.items()}
    return _json_values(out)


def _json_values(value: Any) -> Any:
    """Nested dicts of numbers as JSON values (None for NaN and inf)."""
    if isinstance(value, dict):
        return {k: _json_values(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        return nan_to_none(value)
    return value


def _results(config: ConsolidationConfig, trial: Trial, summary: dict[str, Any]) -> xr.Dataset:
    spikes = xr.Dataset({"spike_time_s": (("spike",), trial.spike_times_s, {"units": "s"}),
                         "spike_neuron": (("spike",), trial.spike_ids.astype(np.int32), {"units": "1"})})
    r = config.resolved()
    phases = [{"kind": p.kind, "start_s": p.start_ms * 1e-3, "stop_s": p.stop_ms * 1e-3, "label": p.label}
              for p in schedule(config)]
    ds = xr.merge([trial.traces, spikes, trial.weights], combine_attrs="override")
    ds.attrs.update({"title": "netdyn consolidation study", STUDY_ATTR: CONSOLIDATION.name,
                     "config": config.model_dump_json(), "protocol": config.protocol, "seed": config.seed,
                     "n_exc": r["n_exc"], "n_inh": r["n_inh"], "n_ca": r["n_ca"], "p_r": r["p_r"],
                     "phases": json.dumps(phases), "summary": json.dumps(summary), "n_synapses": trial.n_synapses,
                     "n_plastic_synapses": trial.n_plastic, "connectivity": config.connectivity,
                     "procedural_projections": json.dumps(list(trial.procedural_projections)),
                     "netdyn_version": __version__,
                     "references": "\n".join(CITATIONS)})
    return ds


def record_consolidation(config: ConsolidationConfig, path: Path, progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    """The run of :data:`CONSOLIDATION`: simulate, write spikes.h5 and results.zarr."""
    from netdyn.io.hdf5 import write_recording
    from netdyn.record.spiking import SpikingRecording

    trial = simulate(config, progress=progress)
    summary = readout(config, trial)
    rec = trial.recording
    neuron_state = {pop: {k: v for k, v in vs.items() if pop in ("E", "I")} for pop, vs in rec.state.items()}
    plain = SpikingRecording(dt_ms=rec.dt_ms, t_start_ms=rec.t_start_ms, t_stop_ms=rec.t_stop_ms, spikes=rec.spikes,
                             state={p: v for p, v in neuron_state.items() if v}, attrs={
                                 **rec.attrs, STUDY_ATTR: CONSOLIDATION.name, "study_config": config.model_dump_json(),
                                 "references": "\n".join(CITATIONS)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_recording(plain, path.parent / "spikes.h5")
    ds = _results(trial.config, trial, summary)
    write_results(ds, path)
    return ds, summary


def draw_figures(ds: xr.Dataset, out: Path) -> list[Path]:
    """Trace figure of the first sampled synapse and the raster (around recall for the network)."""
    from netdyn.plots.consolidation import save_consolidation_figures

    traces = ds[[v for v in ("v_mV", "protein_umol", "h_mV", "z", "ca") if v in ds]]
    traces = traces.drop_vars([c for c in ("snapshot",) if c in traces.coords])
    synapse = str(ds.synapse.values[0]) if "synapse" in ds.dims and ds.sizes["synapse"] else None
    config = ConsolidationConfig.model_validate_json(ds.attrs["config"])
    r = config.resolved()
    window = None
    if r["recall"] is not None and r["network"] == "random":
        t_r = r["recall"].time_start_s
        window = (max(t_r - 1.0, 0.0), t_r + 1.0)
    elif ds.sizes["spike"] > RASTER_MAX_SPIKES and r["learn"] is not None:  # e.g. 4 h at 444 Hz: its first second
        t_l = r["learn"].time_start_s
        window = (t_l, t_l + 1.0)
    return save_consolidation_figures(
        out, traces=traces if synapse is not None else None, synapse=synapse or "0->1",
        spikes=(ds["spike_time_s"].values, ds["spike_neuron"].values), n_ca=int(ds.attrs["n_ca"]),
        n_exc=int(ds.attrs["n_exc"]), n_inh=int(ds.attrs["n_inh"]), recall_fraction=float(ds.attrs["p_r"]),
        window_s=window, attrs={"netdyn_version": ds.attrs.get("netdyn_version", __version__)})


CONSOLIDATION = SingleRunStudy(
    name="consolidation", config_class=ConsolidationConfig, run=record_consolidation,
    reader=functools.partial(open_results, load=True), figure=draw_figures, check=check_consolidation,
)
"""One trial of a consolidation protocol, for :func:`netdyn.sweep.run_study`."""


def run_consolidation(config: ConsolidationConfig | dict[str, Any], out: str | Path, *, figure: bool = True,
                      progress: bool | None = None):
    """Run one trial of a protocol into directory ``out`` (see the module docstring)."""
    from netdyn.sweep import run_study

    if isinstance(config, dict):
        config = ConsolidationConfig.model_validate(config)
    if not isinstance(config, ConsolidationConfig):
        raise ConfigError("config", type(config).__name__, "a ConsolidationConfig or a mapping of its fields")
    return run_study(CONSOLIDATION, config, out, progress=progress, figure=figure)
