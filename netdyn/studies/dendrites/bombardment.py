"""Protocol ``bombardment``: random excitatory and inhibitory input spread over the dendrites.

Excitatory and inhibitory synapses are placed on the dendritic segments (not the soma, not
the axon) with a probability proportional to each segment's membrane area, at
``e_density_per_100um2`` and ``i_density_per_100um2`` synapses per 100 um^2 (the seed
library's numbers: 0.5 and 0.15), each at a uniform position on its segment. Every synapse
receives an independent Poisson train (2.5 Hz excitatory, 5 Hz inhibitory by default) drawn
from the named stream ``(seed, "poisson", "bombardment", kind, trial, index)``: trials share
the synapses and differ in their trains, and are simulated together in one engine call.
Measured at the soma and at one dendritic site: the mean and standard deviation of the
membrane potential and the fraction of time above ``v_level_mV``, after ``transient_ms``.

:data:`BOMBARDMENT` writes ``results.zarr`` (traces, tree snapshots, the synapses' sites;
``v_mean_mV``, ``v_sd_mV``, ``fraction_above`` on ``trial`` x ``site``), ``summary.json``
and ``figure_bombardment.png/pdf``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn.analysis.dendrites import membrane_statistics
from netdyn.cells.inputs import SynapticInput, poisson_times
from netdyn.cells.morphology import AXON, SOMA, Morphology, Site
from netdyn.config.dendrites import BombardmentConfig
from netdyn.seeding import named_generator
from netdyn.studies.dendrites import common

__all__ = ["BOMBARDMENT", "bombardment_inputs", "dendritic_area_um2", "spread_synapses"]


def _dendritic(morph: Morphology) -> np.ndarray:
    return (morph.tag != SOMA) & (morph.tag != AXON)


def dendritic_area_um2(morph: Morphology) -> float:
    """Membrane area of the dendritic segments (um^2)."""
    return float(morph.area_um2[_dendritic(morph)].sum())


def spread_synapses(morph: Morphology, density_per_100um2: float, rng: np.random.Generator) -> list[Site]:
    """``round(density x area / 100 um^2)`` sites on the dendrites, each on a segment drawn
    with probability proportional to its area, at a uniform position along it."""
    segs = np.flatnonzero(_dendritic(morph) & (morph.length_um > 0))
    if segs.size == 0:
        return []
    area = morph.area_um2[segs]
    n = int(round(density_per_100um2 * area.sum() / 100.0))
    chosen = rng.choice(segs, size=n, p=area / area.sum())
    u = rng.uniform(0.0, 1.0, size=n)
    dist = morph.proximal_distance_um[chosen] + u * morph.length_um[chosen]
    return [Site(int(morph.segment_branch[s]), float(d)) for s, d in zip(chosen, dist)]


def bombardment_inputs(config: BombardmentConfig, morph: Morphology) -> tuple[list[Site], list[Site],
                                                                           list[list[SynapticInput]]]:
    """The excitatory and inhibitory sites and each trial's inputs."""
    e_sites = spread_synapses(morph, config.e_density_per_100um2, named_generator(config.seed, "bombardment", "exc-sites"))
    i_sites = spread_synapses(morph, config.i_density_per_100um2, named_generator(config.seed, "bombardment", "inh-sites"))
    trials = []
    for k in range(config.trials):
        trial = [SynapticInput(s, config.e_receptors, poisson_times(config.e_rate_hz, config.duration_ms, config.seed,
                                                                    "bombardment", "exc", k, j), config.e_weight)
                 for j, s in enumerate(e_sites)]
        trial += [SynapticInput(s, "gaba", poisson_times(config.i_rate_hz, config.duration_ms, config.seed,
                                                         "bombardment", "inh", k, j), config.i_weight)
                  for j, s in enumerate(i_sites)]
        trials.append(trial)
    return e_sites, i_sites, trials


def dendrite_site(config: BombardmentConfig, morph: Morphology) -> Site:
    """The dendritic recording site."""
    return morph.site_at_fraction(common.terminal_branch(morph, config.dendrite_branch, "dendrite_branch"),
                                  config.dendrite_fraction)


def analyse(ds: xr.Dataset, config: BombardmentConfig) -> xr.Dataset:
    stats = membrane_statistics(ds["v_mV"], level_mV=config.v_level_mV,
                                window_ms=(config.transient_ms, config.duration_ms + config.dt_ms))
    return xr.Dataset({
        "v_mean_mV": stats["mean_mV"].reset_coords(drop=True).assign_attrs(units="mV"),
        "v_sd_mV": stats["sd_mV"].reset_coords(drop=True).assign_attrs(units="mV"),
        "fraction_above": stats["fraction_above"].reset_coords(drop=True).assign_attrs(
            units="1", long_name=f"fraction of time above {config.v_level_mV} mV"),
    })


def summarise(ds: xr.Dataset, config: BombardmentConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": config.protocol, "n_exc": int(ds.attrs["n_exc"]), "n_inh": int(ds.attrs["n_inh"]),
                           "dendritic_area_um2": float(ds.attrs["dendritic_area_um2"]),
                           "dendrite_site": {"branch": int(ds["site_branch"].values[1]),
                                             "distance_um": float(ds["site_distance_um"].values[1])},
                           "v_level_mV": config.v_level_mV, "trials": int(ds.sizes["trial"])}
    for j, where in enumerate(("soma", "dendrite")):
        out[where] = {name: {"per_trial": ds[var].isel(site=j).values, "mean": float(ds[var].isel(site=j).mean())}
                      for name, var in (("mean_mV", "v_mean_mV"), ("sd_mV", "v_sd_mV"),
                                        ("fraction_above", "fraction_above"))}
    return common.finish_summary(out, ds)


def record_bombardment(config: BombardmentConfig, path: Path, progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    """The run of :data:`BOMBARDMENT`."""
    t0 = time.perf_counter()
    cell = common.build_cell(config)
    morph = cell.morphology
    e_sites, i_sites, trials = bombardment_inputs(config, morph)
    ds = common.simulate(cell, trials, duration_ms=config.duration_ms, record_sites=[morph.soma_site(),
                                                                                      dendrite_site(config, morph)],
                         tree_times_ms=config.snapshot_ms, progress=progress, **common.engine_options(config))
    ds = xr.merge([ds, analyse(ds, config)], combine_attrs="override")
    ds["exc_branch"] = ("exc_synapse", np.array([s.branch for s in e_sites], dtype=np.int64))
    ds["exc_distance_um"] = ("exc_synapse", np.array([s.distance_um for s in e_sites], dtype=float), {"units": "um"})
    ds["inh_branch"] = ("inh_synapse", np.array([s.branch for s in i_sites], dtype=np.int64))
    ds["inh_distance_um"] = ("inh_synapse", np.array([s.distance_um for s in i_sites], dtype=float), {"units": "um"})
    ds.attrs.update({"n_exc": len(e_sites), "n_inh": len(i_sites), "dendritic_area_um2": dendritic_area_um2(morph),
                     "total_s": time.perf_counter() - t0})
    summary = summarise(ds, config)
    ds = common.write_dendrites_results(ds, morph, config, BOMBARDMENT.name, summary, path)
    return ds, summary


BOMBARDMENT = common.protocol_study("bombardment", BombardmentConfig, record_bombardment)
"""Random E/I input over the dendrites, for :func:`netdyn.sweep.run_study`."""
