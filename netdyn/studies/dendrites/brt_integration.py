"""Protocol ``brt-integration``: the EPSP of one synapse at increasing distances from the soma
on the Ball-and-Rall's tree (or any morphology), AMPA only against AMPA + NMDA.

One synapse at a time sits at each of the sites every ``spacing_um`` along the path from the
soma to a terminal branch and receives ``n_spikes`` spikes; each (receptors, distance) pair is
one trial of a single engine call. Measured: the baseline-subtracted peak, time to peak and
half-width of the EPSP at the soma, its peak at the synapse, and their ratio (the
attenuation). A second call injects a current step ``step_nA`` at the soma and measures the
input resistance, next to Rall's closed form for the tree (Rall 1959).

:data:`BRT_INTEGRATION` writes ``results.zarr`` (trial coordinates ``trial_receptors``,
``trial_distance_um``, ``trial_branch``; variables ``peak_soma_mV``, ``peak_local_mV``,
``attenuation``, ``time_to_peak_soma_ms``, ``half_width_soma_ms`` on ``trial``, besides the
engine's traces), ``summary.json`` and ``figure_brt_integration.png/pdf``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn.analysis.dendrites import attenuation, epsp_features
from netdyn.cells.cell import Cell
from netdyn.cells.inputs import CurrentClamp, SynapticInput
from netdyn.cells.morphology import Morphology, Site
from netdyn.config.dendrites import BrtIntegrationConfig
from netdyn.studies.dendrites import common

__all__ = ["BRT_INTEGRATION", "brt_integration_inputs", "input_resistance"]


def brt_integration_inputs(config: BrtIntegrationConfig, morph: Morphology) -> tuple[list[Site], list[dict[str, Any]],
                                                                                   list[list[SynapticInput]]]:
    """The synapse sites along the path, each trial's coordinates and each trial's input."""
    branch = common.terminal_branch(morph, config.branch)
    end = morph.site_at_fraction(branch, 1.0)
    sites = common.path_sites(morph, end, config.spacing_um)
    spikes = config.stim_ms + config.spike_interval_ms * np.arange(config.n_spikes)
    coords, trials = [], []
    for receptors in config.receptors:
        for j, site in enumerate(sites):
            coords.append({"receptors": receptors, "distance_um": site.distance_um, "branch": site.branch, "site": j + 1})
            trials.append([SynapticInput(site, receptors, spikes, config.weight)])
    return sites, coords, trials


def input_resistance(cell: Cell, config: BrtIntegrationConfig) -> float:
    """Input resistance at the soma (MOhm): the steady depolarisation under ``step_nA`` over
    the step, after ten membrane time constants."""
    p = config.biophysics.passive
    tau_ms = 1e3 * (p.cm_uF_per_cm2 * 1e-2) / p.g_leak_pS_per_um2  # (F/m^2) / (S/m^2) = s
    start = 5.0
    duration = common.on_grid(start + 10.0 * tau_ms, config.dt_ms)
    soma = cell.morphology.soma_site()
    ds = common.simulate(cell, [[]], duration_ms=duration, clamps=[CurrentClamp(soma, config.step_nA, start)],
                         record_sites=[soma], **common.engine_options(config))
    v = ds["v_mV"].isel(trial=0, site=0)
    t = ds["time_ms"].values
    dv = float(v.values[t >= duration - 5.0].mean() - v.values[t < start].mean())
    return dv / config.step_nA


def brt_input_resistance_theory(config: BrtIntegrationConfig, morph: Morphology) -> float | None:
    """Rall's input resistance at the soma of the Ball-and-Rall's tree (MOhm): the soma's
    membrane in parallel with the tree's input conductance by the loaded-cylinder recursion
    (:func:`netdyn.theory.cable.ball_and_rall_tree_input_conductance_nS`); None for another
    morphology."""
    theory = common.brt_theory(config, morph)
    if theory is None:
        return None
    try:
        from netdyn.theory.cable import ball_and_rall_tree_input_conductance_nS
    except ImportError:  # the closed forms are not installed
        return None

    return 1e3 / float(ball_and_rall_tree_input_conductance_nS(**theory))


def analyse(ds: xr.Dataset, config: BrtIntegrationConfig, local_site: np.ndarray) -> xr.Dataset:
    """The EPSP measures of every trial, as variables on ``trial``."""
    baseline = (0.0, config.stim_ms) if config.stim_ms > 0 else None
    window = (config.stim_ms, config.duration_ms + config.dt_ms)
    v = ds["v_mV"]
    soma = epsp_features(v.isel(site=0), onset_ms=config.stim_ms, baseline_ms=baseline, window_ms=window)
    local_v = v.isel(site=xr.DataArray(local_site, dims="trial"))
    local = epsp_features(local_v, onset_ms=config.stim_ms, baseline_ms=baseline, window_ms=window)
    soma, local = soma.reset_coords(drop=True), local.reset_coords(drop=True)
    out = xr.Dataset({
        "peak_soma_mV": soma["amplitude_mV"], "time_to_peak_soma_ms": soma["time_to_peak_ms"],
        "half_width_soma_ms": soma["half_width_ms"], "peak_local_mV": local["amplitude_mV"],
        "time_to_peak_local_ms": local["time_to_peak_ms"],
    })
    out["attenuation"] = attenuation(out["peak_soma_mV"], out["peak_local_mV"]).assign_attrs(
        units="1", long_name="somatic / local peak")
    return out


def summarise(ds: xr.Dataset, config: BrtIntegrationConfig) -> dict[str, Any]:
    """summary.json: every measure by receptor set, against the distances."""
    receptors = ds["trial_receptors"].values
    out: dict[str, Any] = {"protocol": config.protocol, "branch": int(ds.attrs["terminal_branch"])}
    first = receptors == config.receptors[0]
    out["distance_um"] = ds["trial_distance_um"].values[first].tolist()
    for name in ("peak_soma_mV", "peak_local_mV", "attenuation", "time_to_peak_soma_ms", "half_width_soma_ms"):
        out[name] = {r: ds[name].values[receptors == r] for r in config.receptors}
    if {"ampa", "ampa+nmda"} <= set(config.receptors):
        with np.errstate(divide="ignore", invalid="ignore"):
            out["nmda_gain_soma"] = ds["peak_soma_mV"].values[receptors == "ampa+nmda"] / \
                ds["peak_soma_mV"].values[receptors == "ampa"]
            out["nmda_gain_local"] = ds["peak_local_mV"].values[receptors == "ampa+nmda"] / \
                ds["peak_local_mV"].values[receptors == "ampa"]
    out["input_resistance_MOhm"] = float(ds["input_resistance_MOhm"]) if "input_resistance_MOhm" in ds else None
    out["input_resistance_theory_MOhm"] = float(ds["input_resistance_theory_MOhm"]) \
        if "input_resistance_theory_MOhm" in ds else None
    out["n_trials"] = int(ds.sizes["trial"])
    return common.finish_summary(out, ds)


def record_brt_integration(config: BrtIntegrationConfig, path: Path,
                           progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    """The run of :data:`BRT_INTEGRATION`: simulate every trial in one call, measure, write."""
    t0 = time.perf_counter()
    cell = common.build_cell(config)
    morph = cell.morphology
    sites, coords, trials = brt_integration_inputs(config, morph)
    ds = common.simulate(cell, trials, duration_ms=config.duration_ms, record_sites=[morph.soma_site(), *sites],
                         progress=progress, **common.engine_options(config))
    ds = ds.assign_coords({f"trial_{k}": ("trial", common.text_coord([c[k] for c in coords]) if k == "receptors"
                                          else np.array([c[k] for c in coords])) for k in ("receptors", "distance_um",
                                                                                          "branch")})
    ds = xr.merge([ds, analyse(ds, config, np.array([c["site"] for c in coords]))], combine_attrs="override")
    if config.input_resistance:
        ds["input_resistance_MOhm"] = xr.DataArray(input_resistance(cell, config), attrs={"units": "MOhm"})
        theory = brt_input_resistance_theory(config, morph)
        if theory is not None:
            ds["input_resistance_theory_MOhm"] = xr.DataArray(theory, attrs={"units": "MOhm",
                                                                             "long_name": "Rall's closed form"})
    ds.attrs.update({"terminal_branch": common.terminal_branch(morph, config.branch),
                     "total_s": time.perf_counter() - t0})
    summary = summarise(ds, config)
    ds = common.write_dendrites_results(ds, morph, config, BRT_INTEGRATION.name, summary, path)
    return ds, summary


BRT_INTEGRATION = common.protocol_study("brt-integration", BrtIntegrationConfig, record_brt_integration)
"""The EPSP against distance, AMPA against AMPA + NMDA, for :func:`netdyn.sweep.run_study`."""
