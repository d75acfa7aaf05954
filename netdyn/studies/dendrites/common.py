"""What the protocols of the ``dendrites`` study share: the cell of a configuration, sites on
its tree, the call of the cable engine, the morphology stored beside the results, and the
results' attributes.

The results of every protocol are one Zarr store (``results.zarr``): the engine's Dataset
(``v_mV(trial, site, time)``, ``v_tree_mV(trial, snapshot, cv)`` ...) with the protocol's
coordinates on ``trial``, the measures derived from it, and the morphology's segments
(``segment_proximal`` / ``segment_distal``: x, y, z, radius in um; ``segment_parent``,
``segment_tag``), so that a figure is redrawn from the store alone.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.cells.cell import Cell
from netdyn.cells.morphology import SOMA, Morphology, Site
from netdyn.config.dendrites import DendritesConfig
from netdyn.errors import ConfigError
from netdyn.sweep.store import open_results, write_results
from netdyn.sweep.study import STUDY_ATTR, SingleRunStudy, nan_to_none

__all__ = [
    "CITATIONS",
    "build_cell",
    "build_morphology",
    "check_dendrites",
    "draw_figures",
    "finish_summary",
    "protocol_study",
    "path_sites",
    "read_results",
    "simulate",
    "terminal_branch",
    "write_dendrites_results",
]

CITATIONS = (
    "T. Branco, B. A. Clark, M. Hausser (2010), Dendritic discrimination of temporal input sequences in "
    "cortical neurons, Science 329:1671-1675.",
    "W. Rall (1959), Branching dendritic trees and motoneuron membrane resistivity, Exp. Neurol. 1:491-527.",
    "W. Rall (1967), Distinguishing theoretical synaptic potentials computed for different soma-dendritic "
    "distributions of synaptic input, J. Neurophysiol. 30:1138-1168.",
    "C. E. Jahr, C. F. Stevens (1990), Voltage dependence of NMDA-activated macroscopic conductances predicted "
    "by single-channel kinetics, J. Neurosci. 10:3178-3182.",
    "Y. Zerlaut, neural_network_dynamics (single-cell integration on Brian2), "
    "https://github.com/yzerlaut/neural_network_dynamics",
)


# --------------------------------------------------------------------------- the cell


def build_morphology(config: DendritesConfig) -> Morphology:
    """The morphology of ``config``: a Ball-and-Rall's tree or an SWC file.

    Raises
    ------
    ConfigError
        (field ``morphology``) The SWC file does not exist.
    """
    if config.is_brt:
        from netdyn.cells.generators import ball_and_ralls_tree

        return ball_and_ralls_tree(levels=config.brt_levels, branch_length_um=config.brt_branch_length_um,
                                   soma_radius_um=config.brt_soma_radius_um,
                                   root_diameter_um=config.brt_root_diameter_um,
                                   diameter_factor=config.brt_diameter_factor)
    path = Path(config.morphology).expanduser()
    if not path.is_file():
        raise ConfigError("morphology", config.morphology, "no such SWC file")
    from netdyn.cells.swc import read_swc

    return read_swc(path, remove_axon=config.remove_axon)


def build_cell(config: DendritesConfig, morphology: Morphology | None = None) -> Cell:
    """The cell of ``config`` (its morphology built unless given)."""
    return Cell(morphology if morphology is not None else build_morphology(config), config.biophysics)


def terminal_branch(morph: Morphology, branch: int | None, field: str = "branch") -> int:
    """``branch`` if it is a terminal branch of ``morph``, else the first terminal dendritic
    branch when ``branch`` is None.

    Raises
    ------
    ConfigError
        (``field``) ``branch`` is not a terminal branch.
    """
    terminals = [int(b) for b in morph.terminal_branches if b != 0 and morph.branch_tag[b] != 2]
    if not terminals:
        raise ConfigError("morphology", morph.name, "has no dendritic terminal branch")
    if branch is None:
        return terminals[0]
    if branch not in terminals:
        shown = ", ".join(map(str, terminals[:8])) + (" ..." if len(terminals) > 8 else "")
        raise ConfigError(field, branch, f"is not a terminal dendritic branch of {morph.name or 'the morphology'} "
                          f"(terminal branches: {shown})")
    return branch


def path_sites(morph: Morphology, end: Site, spacing_um: float) -> list[Site]:
    """Sites every ``spacing_um`` along the path from the soma's edge to ``end`` (excluded
    unless on the grid), each on the branch of the path that holds it."""
    path = [int(b) for b in morph.branch_path(end.branch) if b != 0]
    start = float(morph.branch_start_um[path[0]])
    sites = []
    for d in start + spacing_um * np.arange(1, int(np.floor((end.distance_um - start) / spacing_um + 1e-9)) + 1):
        b = next(b for b in path if morph.branch_start_um[b] <= d <= morph.branch_start_um[b] +
                 morph.branch_length_um[b] + 1e-9)
        sites.append(Site(b, float(d)))
    return sites


def check_dendrites(config: DendritesConfig) -> None:
    """Refuse, before anything is written, a missing SWC file (``morphology``) and branches that
    are not in the morphology (each protocol's branch field)."""
    morph = build_morphology(config)
    for field in ("branch", "dendrite_branch"):
        if field in type(config).model_fields:
            value = getattr(config, field)
            if field == "branch" and config.protocol == "voltage-gradient":  # type: ignore[attr-defined]
                if value is not None and not 0 <= value < morph.n_branches:
                    raise ConfigError(field, value, f"must be in [0, {morph.n_branches - 1}]")
            else:
                terminal_branch(morph, value, field)


# --------------------------------------------------------------------------- the engine


def simulate(cell: Cell, inputs: Sequence[Any], *, progress: bool | None = None, **kwargs: Any) -> xr.Dataset:
    """Run the cable engine (:func:`netdyn.engines.cable.simulate_cell`): ``inputs`` is a list
    of trials, each a list of :class:`~netdyn.cells.inputs.SynapticInput`, simulated together
    as copies of the cell. ``progress``: a progress bar of the steps (None: on a terminal)."""
    from netdyn.engines.cable import simulate_cell

    show = sys.stderr.isatty() if progress is None else bool(progress)
    if not show:
        return simulate_cell(cell, [list(trial) for trial in inputs], **kwargs)
    from tqdm.auto import tqdm

    steps = int(round(kwargs["duration_ms"] / kwargs.get("dt_ms", 0.025)))
    with tqdm(total=steps, desc="cable", unit="step", leave=False) as bar:
        return simulate_cell(cell, [list(trial) for trial in inputs], progress=bar.update, **kwargs)


def on_grid(duration_ms: float, dt_ms: float) -> float:
    """``duration_ms`` rounded up to a whole number of steps."""
    return float(np.ceil(duration_ms / dt_ms - 1e-9) * dt_ms)


def soma_area_um2(morph: Morphology) -> float:
    """Membrane area of the soma's segments (um^2)."""
    return float(morph.area_um2[morph.tag == SOMA].sum())


def brt_theory(config: DendritesConfig, morph: Morphology) -> dict[str, Any] | None:
    """What :mod:`netdyn.theory.cable` needs of a Ball-and-Rall's tree that obeys Rall's 3/2
    rule (None for another morphology or diameter factor)."""
    if not config.is_brt or abs(config.brt_diameter_factor - 2.0 ** (-2.0 / 3.0)) > 1e-9:
        return None
    p = config.biophysics.passive
    return {"soma_area_um2": soma_area_um2(morph), "stem_diameter_um": config.brt_root_diameter_um,
            "level_lengths_um": [config.brt_branch_length_um] * config.brt_levels,
            "g_leak_pS_per_um2": p.g_leak_pS_per_um2, "ri_ohm_cm": p.ri_ohm_cm}


def engine_options(config: DendritesConfig) -> dict[str, Any]:
    """The engine's keywords that every protocol takes from its configuration."""
    return {"dt_ms": config.dt_ms, "sample_every": config.sample_every, "threads": config.threads}


# --------------------------------------------------------------------------- results


def write_dendrites_results(ds: xr.Dataset, morph: Morphology, config: DendritesConfig, study: str,
                            summary: dict[str, Any], path: Path) -> xr.Dataset:
    """Add the morphology and the attributes (study tag, configuration, summary, version,
    references) to ``ds`` and write it to ``path`` (atomically)."""
    ds = xr.merge([ds, morph.to_dataset()], combine_attrs="override")
    # fixed-width unicode has no Zarr v3 specification: store every string as variable length
    ds = ds.assign_coords({k: ds[k].astype(object) for k in ds.coords if ds[k].dtype.kind == "U"})
    ds = ds.assign({k: ds[k].astype(object) for k in ds.data_vars if ds[k].dtype.kind == "U"})
    ds.attrs.update({
        "title": f"netdyn dendrites study: {config.protocol}",  # type: ignore[attr-defined]
        STUDY_ATTR: study, "protocol": config.protocol,  # type: ignore[attr-defined]
        "config": config.model_dump_json(), "summary": json.dumps(summary), "netdyn_version": __version__,
        "morphology_name": morph.name, "references": "\n".join(CITATIONS),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    write_results(ds, path)
    return ds


read_results = functools.partial(open_results, load=True)


def draw_figures(ds: xr.Dataset, out: Path) -> list[Path]:
    """The protocol's figures (:func:`netdyn.plots.dendrites.save_dendrites_figures`)."""
    from netdyn.plots.dendrites import save_dendrites_figures

    return save_dendrites_figures(ds, out)


def protocol_study(protocol: str, config_class: type, run: Any) -> SingleRunStudy:
    """The study of one protocol for :func:`netdyn.sweep.run_study`: ``run(config, path,
    progress)`` writes ``results.zarr`` and returns the results and the summary."""
    return SingleRunStudy(name=f"dendrites-{protocol}", config_class=config_class, run=run, reader=read_results,
                          figure=draw_figures, check=check_dendrites)
"""The results of a protocol (``results.zarr``), in memory."""


def finish_summary(out: dict[str, Any], ds: xr.Dataset) -> dict[str, Any]:
    """``out`` with the run's timing (``build_s``, ``run_s``, ``total_s`` of ``ds``) and netdyn's
    version, as JSON values: what every protocol's ``summary.json`` ends with."""
    out = {**out, "timing_s": {k: float(ds.attrs[k]) for k in ("build_s", "run_s", "total_s") if k in ds.attrs},
           "netdyn_version": __version__}
    return json_values(out)


def json_values(value: Any) -> Any:
    """Nested dicts and lists of numbers as JSON values (None for NaN and inf)."""
    if isinstance(value, dict):
        return {str(k): json_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_values(v) for v in value]
    if isinstance(value, np.ndarray):
        return nan_to_none(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return nan_to_none(value)
    return value


def text_coord(values: Sequence[str]) -> np.ndarray:
    """Strings as an object array (stored by Zarr as variable-length strings)."""
    return np.array([str(v) for v in values], dtype=object)
