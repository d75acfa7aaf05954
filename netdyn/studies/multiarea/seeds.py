"""Study ``multiarea-seeds``: the multi-area simulation over seeds, each seed a work unit.

:data:`MULTIAREA_SEEDS` (:func:`run_multiarea_seeds`) writes::

    seeds.zarr           per seed: rates, LvR, correlation coefficients and synchrony per
                         (area, population), area rates, the network and notebook mean rates
                         and the FC-fMRI correlation, written as each seed finishes (a rerun
                         of the same configuration resumes)
    seeds_summary.json   their mean, SD and count over seeds

Each unit builds its own network from its seed (wiring, initial state, Poisson input), so the
numbers do not depend on the executor or the number of workers. Spikes are not kept.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.config.base import parse_config
from netdyn.config.multiarea import MultiAreaConfig, MultiAreaSeedsConfig
from netdyn.models.multiarea import AREAS, CITATIONS, POPULATIONS
from netdyn.sweep import SweepStudy, run_study

__all__ = ["MULTIAREA_SEEDS", "run_multiarea_seeds", "seeds_summary", "seeds_template", "simulate_seed"]

_PER_POPULATION = {
    "rate_hz": {"units": "spikes/s", "long_name": "population rate after the transient"},
    "lvr": {"units": "1", "long_name": "mean LvR (R = 2 ms), zero-padded"},
    "corrcoef": {"units": "1", "long_name": "mean correlation coefficient of 1-ms counts"},
    "synchrony": {"units": "1", "long_name": "CV of the 1-ms population spike-count histogram"},
}
_PER_SEED = {
    "network_rate_hz": {"units": "spikes/s", "long_name": "all spikes / neurons simulated / time"},
    "mean_rate_hz": {"units": "spikes/s", "long_name": "the notebook's mean rate (sum over populations / 256)"},
    "fc_vs_fmri_r": {"units": "1", "long_name": "correlation of simulated and fMRI functional connectivity"},
}


def _coords(seeds: Sequence[int]) -> dict[str, Any]:
    return {"seed": ("seed", np.asarray(seeds, dtype=np.int64)), "area": np.array(AREAS, dtype=object),
            "population": np.array(POPULATIONS, dtype=object)}


def simulate_seed(config_json: str, seed: int) -> xr.Dataset:
    """One work unit of :data:`MULTIAREA_SEEDS`: the statistics of the network of ``seed``."""
    from netdyn.studies.multiarea.simulation import simulate

    config = MultiAreaConfig.model_validate_json(config_json).replace(seed=int(seed))
    ds, _ = simulate(config, progress=False, mean_field=False)
    data = {name: (("seed", "area", "population"), ds[name].values[None], attrs)
            for name, attrs in _PER_POPULATION.items()}
    data["area_rate_hz"] = (("seed", "area"), ds["area_rate_hz"].values[None],
                            {"units": "spikes/s", "long_name": "size-weighted area rate"})
    data.update({name: (("seed",), [float(ds.attrs[name])], attrs) for name, attrs in _PER_SEED.items()})
    return xr.Dataset(data, coords=_coords([int(seed)]))


def seeds_template(config: MultiAreaSeedsConfig) -> xr.Dataset:
    """The Zarr layout of a seeds sweep (lazy, NaN-filled, one chunk per seed)."""
    import dask.array as da

    s, a, p = len(config.seeds), len(AREAS), len(POPULATIONS)
    data: dict[str, Any] = {name: (("seed", "area", "population"), da.full((s, a, p), np.nan, chunks=(1, a, p)), attrs)
                            for name, attrs in _PER_POPULATION.items()}
    data["area_rate_hz"] = (("seed", "area"), da.full((s, a), np.nan, chunks=(1, a)),
                            {"units": "spikes/s", "long_name": "size-weighted area rate"})
    data.update({name: (("seed",), da.full((s,), np.nan, chunks=(1,)), attrs) for name, attrs in _PER_SEED.items()})
    return xr.Dataset(data, coords=_coords(config.seeds),
                      attrs={"title": "netdyn multiarea study over seeds",
                             "config": config.network_config().model_dump_json(), "netdyn_version": __version__,
                             "references": "\n".join(CITATIONS)})


def _stat(values: np.ndarray) -> dict[str, Any]:
    ok = values[np.isfinite(values)]
    if ok.size == 0:
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if ok.size > 1 else None, "n": int(ok.size)}


def seeds_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Mean, SD and count over the seeds of every statistic; populations absent in every seed
    (TH's layer 4, areas not simulated) are left out."""
    summary: dict[str, Any] = {"seeds": [int(s) for s in ds["seed"].values]}
    for name in _PER_POPULATION:
        table: dict[str, dict[str, Any]] = {}
        for area in AREAS:
            row = {pop: _stat(ds[name].sel(area=area, population=pop).values) for pop in POPULATIONS}
            row = {pop: v for pop, v in row.items() if v["n"]}
            if row:
                table[area] = row
        summary[name] = table
    summary["area_rate_hz"] = {area: _stat(ds["area_rate_hz"].sel(area=area).values) for area in AREAS
                               if np.isfinite(ds["area_rate_hz"].sel(area=area).values).any()}
    summary.update({name: _stat(ds[name].values) for name in _PER_SEED})
    summary["netdyn_version"] = ds.attrs.get("netdyn_version")
    return summary


def _check_seeds(config: MultiAreaSeedsConfig) -> None:
    from netdyn.studies.multiarea.simulation import check_multiarea

    check_multiarea(config.network_config())


MULTIAREA_SEEDS = SweepStudy(
    name="multiarea-seeds", config_class=MultiAreaSeedsConfig, unit_dim="seed", template=seeds_template,
    unit_function=simulate_seed, summary=seeds_summary, store_config=MultiAreaSeedsConfig.network_config,
    results_name="seeds.zarr", summary_name="seeds_summary.json", check=_check_seeds,
)
"""The multi-area simulation over seeds, for :func:`netdyn.sweep.run_study`."""


def run_multiarea_seeds(config: MultiAreaConfig, seeds: Sequence[int], out: str | os.PathLike[str], *,
                        workers: int | None = None, scheduler: str | None = None, use_mpi: bool | None = None,
                        progress: bool = True) -> xr.Dataset:
    """Simulate the configuration for every seed of ``seeds`` on the sweep layer.

    Each seed is one work unit (local processes, Dask with ``scheduler``, MPI, or in this
    process with ``workers=0``), written to ``out/seeds.zarr`` as soon as it finishes; a
    rerun resumes. ``out/seeds_summary.json`` holds the mean and SD over seeds. Every worker
    holds one network (about 0.4 GB at scale 0.005): choose ``workers`` for the memory.
    Returns the loaded Dataset.
    """
    seeds_config = parse_config(MultiAreaSeedsConfig, {**config.to_dict(), "seeds": [int(s) for s in seeds]})
    return run_study(MULTIAREA_SEEDS, seeds_config, out, workers=workers, scheduler=scheduler, use_mpi=use_mpi,
                     progress=progress).dataset
