"""Protocol ``branco2010``: sequences of synaptic activation along one dendrite, towards the
soma against away from it (Branco, Clark & Hausser 2010).

``n_synapses`` synapses lie evenly between ``first_fraction`` and ``last_fraction`` of a
terminal branch. Each is activated once, in order of distance: centripetal ("IN", the most
distal first) or centrifugal ("OUT"), the activation moving along the branch at each of
``speeds_um_per_ms`` (:func:`netdyn.cells.inputs.sequence_inputs`). Every (receptors,
direction, speed) triple is one trial of one engine call. Measured: the peak somatic
depolarisation of each trial above the resting potential, and per receptor set and speed the
direction selectivity index DSI = (P_in - P_out) / (P_in + P_out), the difference
P_in - P_out (mV) and the ratio P_in / P_out.

The mechanism (Branco et al. 2010): the input impedance grows towards the tip, so a
centripetal sequence starts where a synapse depolarises most and each later synapse adds its
current onto a dendrite already depolarised by the earlier, more distal ones, which relieves
the magnesium block of their NMDA receptors (Jahr & Stevens 1990); a centrifugal sequence
starts near the soma, where the depolarisation is smaller. Without NMDA receptors a smaller
selectivity remains, from the cable's delays alone (Rall 1964); at very high speeds both
sequences are synchronous and at very low speeds the inputs do not overlap, so the
selectivity depends on the speed.

:data:`BRANCO2010` writes ``results.zarr`` (trial coordinates ``trial_receptors``,
``trial_direction``, ``trial_speed_um_per_ms``; ``peak_soma_mV(trial)``,
``peak_dendrite_mV(trial)``; ``dsi``, ``peak_difference_mV``, ``peak_ratio`` on
``receptors`` x ``speed_um_per_ms``), ``summary.json`` and ``figure_branco2010.png/pdf``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn.analysis.dendrites import direction_selectivity, epsp_amplitude
from netdyn.cells.inputs import SynapticInput, sequence_inputs
from netdyn.cells.morphology import Morphology, Site
from netdyn.config.dendrites import Branco2010Config
from netdyn.studies.dendrites import common

__all__ = ["BRANCO2010", "DIRECTIONS", "branco2010_inputs", "sequence_sites"]

#: The two directions of a sequence: towards the soma ("IN") and away from it ("OUT").
DIRECTIONS = ("centripetal", "centrifugal")


def sequence_sites(config: Branco2010Config, morph: Morphology) -> list[Site]:
    """The synapse sites, proximal to distal."""
    branch = common.terminal_branch(morph, config.branch)
    return [morph.site_at_fraction(branch, float(f))
            for f in np.linspace(config.first_fraction, config.last_fraction, config.n_synapses)]


def spacing_um(config: Branco2010Config, morph: Morphology) -> float:
    """Path distance between neighbouring synapses (um)."""
    sites = sequence_sites(config, morph)
    return (sites[-1].distance_um - sites[0].distance_um) / (len(sites) - 1)


def speeds(config: Branco2010Config, morph: Morphology) -> tuple[float, ...]:
    """The speeds of the sequences (um/ms): ``speeds_um_per_ms``, or the spacing over each of
    ``intervals_ms``."""
    intervals = config.sequence_intervals_ms
    if intervals is None:
        return tuple(float(v) for v in config.speeds_um_per_ms)  # type: ignore[union-attr]
    return tuple(spacing_um(config, morph) / float(i) for i in intervals)


def duration_ms(config: Branco2010Config, morph: Morphology) -> float:
    """Simulated time: the slowest sequence and ``after_ms``."""
    sites = sequence_sites(config, morph)
    extent = sites[-1].distance_um - sites[0].distance_um
    duration = config.start_ms + extent / min(speeds(config, morph)) + config.after_ms
    return float(np.ceil(duration / config.dt_ms - 1e-9) * config.dt_ms)


def branco2010_inputs(config: Branco2010Config, morph: Morphology) -> tuple[list[Site], list[dict[str, Any]],
                                                                           list[list[SynapticInput]]]:
    """The synapse sites, each trial's coordinates and each trial's inputs."""
    sites = sequence_sites(config, morph)
    coords, trials = [], []
    for receptors in config.receptors:
        for direction in DIRECTIONS:
            for speed in speeds(config, morph):
                coords.append({"receptors": receptors, "direction": direction, "speed_um_per_ms": float(speed)})
                trials.append(sequence_inputs(morph, sites, direction=direction, speed_um_per_ms=speed,  # type: ignore[arg-type]
                                              start_ms=config.start_ms, receptors=receptors, weight=config.weight))
    return sites, coords, trials


def analyse(ds: xr.Dataset, config: Branco2010Config, morph: Morphology) -> xr.Dataset:
    """Peaks of every trial and the selectivity per receptor set and speed."""
    baseline = (0.0, config.start_ms) if config.start_ms > 0 else None
    window = (config.start_ms, float(ds["time_ms"].values[-1]) + config.dt_ms)
    v = ds["v_mV"]
    soma = epsp_amplitude(v.isel(site=0), baseline_ms=baseline, window_ms=window).reset_coords(drop=True)
    dend = epsp_amplitude(v.isel(site=slice(1, None)), baseline_ms=baseline, window_ms=window).max("site")
    out = xr.Dataset({"peak_soma_mV": soma.assign_attrs(units="mV", long_name="peak somatic depolarisation"),
                      "peak_dendrite_mV": dend.reset_coords(drop=True).assign_attrs(
                          units="mV", long_name="largest peak at the synapses")})
    receptors = ds["trial_receptors"].values
    direction = ds["trial_direction"].values
    peak = soma.values
    speed = speeds(config, morph)
    n_speed = len(speed)
    p_in = np.stack([peak[(receptors == r) & (direction == "centripetal")] for r in config.receptors])
    p_out = np.stack([peak[(receptors == r) & (direction == "centrifugal")] for r in config.receptors])
    assert p_in.shape == (len(config.receptors), n_speed)
    dims = ("receptors", "speed_um_per_ms")
    out = out.assign_coords(receptors=common.text_coord(config.receptors),
                            speed_um_per_ms=np.array(speed, dtype=float))
    out = out.assign_coords(interval_ms=("speed_um_per_ms", spacing_um(config, morph) / np.array(speed),
                                         {"units": "ms", "long_name": "time between successive synapses"}))
    out["peak_in_mV"] = (dims, p_in, {"units": "mV", "long_name": "peak somatic depolarisation, centripetal"})
    out["peak_out_mV"] = (dims, p_out, {"units": "mV", "long_name": "peak somatic depolarisation, centrifugal"})
    out["dsi"] = (dims, direction_selectivity(p_in, p_out), {"units": "1", "long_name": "(in - out) / (in + out)"})
    out["peak_difference_mV"] = (dims, p_in - p_out, {"units": "mV", "long_name": "in - out"})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["peak_ratio"] = (dims, np.where(p_out != 0, p_in / p_out, np.nan), {"units": "1", "long_name": "in / out"})
    return out


def summarise(ds: xr.Dataset, config: Branco2010Config) -> dict[str, Any]:
    """summary.json: the selectivity per receptor set and speed, and its maximum."""
    out: dict[str, Any] = {"protocol": config.protocol, "branch": int(ds.attrs["terminal_branch"]),
                           "synapse_distance_um": ds.attrs["synapse_distance_um"],
                           "speed_um_per_ms": ds["speed_um_per_ms"].values.tolist(),
                           "interval_ms": ds["interval_ms"].values.tolist(),
                           "dsi_definition": "(P_in - P_out) / (P_in + P_out), peak somatic depolarisation"}
    for name in ("peak_in_mV", "peak_out_mV", "dsi", "peak_difference_mV", "peak_ratio"):
        out[name] = {str(r): ds[name].sel(receptors=r).values for r in ds["receptors"].values}
    best = {}
    for r in ds["receptors"].values:
        dsi = ds["dsi"].sel(receptors=r).values
        k = int(np.nanargmax(dsi)) if np.isfinite(dsi).any() else None
        best[str(r)] = {"dsi": dsi[k] if k is not None else None,
                        "speed_um_per_ms": float(ds["speed_um_per_ms"].values[k]) if k is not None else None,
                        "mean_abs_dsi": float(np.nanmean(np.abs(dsi))) if np.isfinite(dsi).any() else None}
    out["max_dsi"] = best
    out["n_trials"] = int(ds.sizes["trial"])
    return common.finish_summary(out, ds)


def record_branco2010(config: Branco2010Config, path: Path, progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    """The run of :data:`BRANCO2010`: every sequence in one engine call, measured and written."""
    t0 = time.perf_counter()
    cell = common.build_cell(config)
    morph = cell.morphology
    sites, coords, trials = branco2010_inputs(config, morph)
    ds = common.simulate(cell, trials, duration_ms=duration_ms(config, morph), record_sites=[morph.soma_site(), *sites],
                         progress=progress, **common.engine_options(config))
    ds = ds.assign_coords(trial_receptors=("trial", common.text_coord([c["receptors"] for c in coords])),
                          trial_direction=("trial", common.text_coord([c["direction"] for c in coords])),
                          trial_speed_um_per_ms=("trial", np.array([c["speed_um_per_ms"] for c in coords])))
    ds = xr.merge([ds, analyse(ds, config, morph)], combine_attrs="override")
    ds.attrs.update({"terminal_branch": sites[0].branch, "synapse_distance_um": [s.distance_um for s in sites],
                     "total_s": time.perf_counter() - t0})
    summary = summarise(ds, config)
    ds = common.write_dendrites_results(ds, morph, config, BRANCO2010.name, summary, path)
    return ds, summary


BRANCO2010 = common.protocol_study("branco2010", Branco2010Config, record_branco2010)
"""Direction selectivity of sequences along a dendrite, for :func:`netdyn.sweep.run_study`."""
