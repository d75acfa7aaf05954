"""Protocol ``voltage-gradient``: the membrane potential over the tree under a steady current
injected into one site (by default the tip of a terminal branch).

The current ``amplitude_nA`` starts at ``start_ms`` and lasts to the end. Recorded: the
potential at the soma, at sites every ``spacing_um`` along the path from the soma to the
injection and at the injection site, and snapshots of every compartment at ``snapshot_ms``.
Measured: the steady depolarisation at each recorded site (mean of the last 5 ms above the
mean before the onset), the input resistance at the injection site, the transfer resistance
to the soma and their ratio, the steady attenuation towards the soma, which cable theory
gives in closed form for cylinders (Rall 1959, 1967).

:data:`VOLTAGE_GRADIENT` writes ``results.zarr`` (the engine's traces and snapshots;
``dv_steady_mV(site)``, ``resistance_MOhm(site)``), ``summary.json`` and
``figure_voltage_gradient.png/pdf`` (the tree coloured by V at each snapshot).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn.cells.inputs import CurrentClamp
from netdyn.cells.morphology import Morphology, Site
from netdyn.config.dendrites import VoltageGradientConfig
from netdyn.errors import ConfigError
from netdyn.studies.dendrites import common

__all__ = ["VOLTAGE_GRADIENT", "injection_site", "steady_window_ms"]

#: Length of the end of the run averaged for the steady state (ms).
steady_window_ms = 5.0


def injection_site(config: VoltageGradientConfig, morph: Morphology) -> Site:
    """Where the current goes in."""
    if config.branch is None:
        branch = common.terminal_branch(morph, None)
    elif not 0 <= config.branch < morph.n_branches:
        raise ConfigError("branch", config.branch, f"must be in [0, {morph.n_branches - 1}]")
    else:
        branch = config.branch
    return morph.site_at_fraction(branch, config.fraction)


def recorded_sites(config: VoltageGradientConfig, morph: Morphology) -> list[Site]:
    """The soma, the sites along the path and the injection site."""
    inj = injection_site(config, morph)
    path = common.path_sites(morph, inj, config.spacing_um) if inj.branch != 0 else []
    path = [s for s in path if abs(s.distance_um - inj.distance_um) > 1e-6]
    return [morph.soma_site(), *path, inj]


def theory_resistances(config: VoltageGradientConfig, morph: Morphology, site: Site) -> tuple[float, float] | None:
    """Input resistance at ``site`` and transfer resistance from it to the soma (MOhm) of the
    Ball-and-Rall's tree, from the exact steady state of its cylinders
    (:func:`netdyn.theory.cable.cylinder_tree_resistances_MOhm`; the tree's branch ``b`` is
    the cylinder ``b - 1``); None for another morphology or a site on the soma."""
    theory = common.brt_theory(config, morph)
    if theory is None or site.branch == 0:
        return None
    try:
        from netdyn.theory.cable import ball_and_rall_tree, cylinder_tree_resistances_MOhm
    except ImportError:  # the closed forms are not installed
        return None

    parent, length, diameter = ball_and_rall_tree(theory["stem_diameter_um"], theory["level_lengths_um"])
    g_soma = theory["g_leak_pS_per_um2"] * theory["soma_area_um2"] * 1e-3
    x = min(max(site.distance_um - float(morph.branch_start_um[site.branch]), 0.0), float(length[site.branch - 1]))
    return cylinder_tree_resistances_MOhm(parent, length, diameter, theory["g_leak_pS_per_um2"], theory["ri_ohm_cm"],
                                          g_soma, site.branch - 1, x)


def analyse(ds: xr.Dataset, config: VoltageGradientConfig) -> xr.Dataset:
    """Steady depolarisation and resistance at every recorded site."""
    t = ds["time_ms"].values
    v = ds["v_mV"].isel(trial=0)
    end = t[-1]
    steady = v.isel(time=np.flatnonzero(t >= end - steady_window_ms)).mean("time")
    before = v.isel(time=np.flatnonzero(t < config.start_ms)).mean("time") if config.start_ms > 0 else v.isel(time=0)
    dv = (steady - before).reset_coords(drop=True)
    out = xr.Dataset({"dv_steady_mV": dv.assign_attrs(units="mV", long_name="steady depolarisation")})
    if config.amplitude_nA != 0:
        out["resistance_MOhm"] = (dv / config.amplitude_nA).assign_attrs(
            units="MOhm", long_name="steady depolarisation / injected current (input resistance at the injection "
            "site, transfer resistance elsewhere)")
    return out


def summarise(ds: xr.Dataset, config: VoltageGradientConfig) -> dict[str, Any]:
    dv = ds["dv_steady_mV"].values
    out: dict[str, Any] = {"protocol": config.protocol, "injection_branch": int(ds["site_branch"].values[-1]),
                           "injection_distance_um": float(ds["site_distance_um"].values[-1]),
                           "amplitude_nA": config.amplitude_nA,
                           "site_distance_um": ds["site_distance_um"].values, "dv_steady_mV": dv,
                           "dv_soma_mV": dv[0], "dv_injection_mV": dv[-1],
                           "attenuation_to_soma": dv[0] / dv[-1] if dv[-1] != 0 else None}
    if "resistance_MOhm" in ds:
        out["input_resistance_injection_MOhm"] = ds["resistance_MOhm"].values[-1]
        out["transfer_resistance_soma_MOhm"] = ds["resistance_MOhm"].values[0]
    if "input_resistance_theory_MOhm" in ds:
        r_site, r_soma = float(ds["input_resistance_theory_MOhm"]), float(ds["transfer_resistance_theory_MOhm"])
        out["theory"] = {"input_resistance_injection_MOhm": r_site, "transfer_resistance_soma_MOhm": r_soma,
                         "attenuation_to_soma": r_soma / r_site}
    if "v_tree_mV" in ds:
        tree = ds["v_tree_mV"].isel(trial=0)
        out["snapshot_ms"] = ds["snapshot_ms"].values
        out["v_tree_min_mV"] = tree.min("cv").values
        out["v_tree_max_mV"] = tree.max("cv").values
    return common.finish_summary(out, ds)


def record_voltage_gradient(config: VoltageGradientConfig, path: Path,
                            progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    """The run of :data:`VOLTAGE_GRADIENT`."""
    t0 = time.perf_counter()
    cell = common.build_cell(config)
    morph = cell.morphology
    sites = recorded_sites(config, morph)
    clamp = CurrentClamp(sites[-1], config.amplitude_nA, config.start_ms)
    ds = common.simulate(cell, [[]], duration_ms=config.duration_ms, clamps=[clamp], record_sites=sites,
                         tree_times_ms=config.snapshot_ms, progress=progress, **common.engine_options(config))
    ds = xr.merge([ds, analyse(ds, config)], combine_attrs="override")
    theory = theory_resistances(config, morph, sites[-1])
    if theory is not None:
        ds["input_resistance_theory_MOhm"] = xr.DataArray(theory[0], attrs={"units": "MOhm", "long_name":
                                                                            "cable theory, at the injection site"})
        ds["transfer_resistance_theory_MOhm"] = xr.DataArray(theory[1], attrs={"units": "MOhm", "long_name":
                                                                               "cable theory, injection to soma"})
    ds.attrs["total_s"] = time.perf_counter() - t0
    summary = summarise(ds, config)
    ds = common.write_dendrites_results(ds, morph, config, VOLTAGE_GRADIENT.name, summary, path)
    return ds, summary


VOLTAGE_GRADIENT = common.protocol_study("voltage-gradient", VoltageGradientConfig, record_voltage_gradient)
"""The potential over the tree under a steady current, for :func:`netdyn.sweep.run_study`."""
