"""Study ``network-sweep`` (``netdyn sweep NETWORK.toml --set PATH=V1,V2 ... --seeds 1-5``): a
user's network file over the cartesian grid of some of its fields, times seeds.

Each field is named by a dotted path (:mod:`netdyn.models.spiking.paths`, e.g.
``populations.E.params.i_e_pA``, ``drives.bg.rate``, ``projections.E->I:exc.weight``); every
path and every value is checked against the network before anything runs. Each (grid point,
seed) is a work unit of a sweep (:func:`netdyn.sweep.run_study`): the network with those
values and that ``seed``, run for ``duration_ms`` by the configured backend, summarised per
population after the transient (:func:`netdyn.analysis.spikes.population_summary`). The
numbers of a unit depend only on the configuration and the unit, never on the workers; a
rerun resumes what an interruption left. Writes into its output directory::

    results.zarr   rate_hz, cv_isi, lvr, corrcoef, active_fraction per (run, population);
                   the runs carry one coordinate per field (named by its path) and ``seed``
                   (the sweep store keeps its units along one dimension);
                   :func:`sweep_grid` gives them the dims (field..., seed, population)
    summary.json   per grid point and population: mean, SD and count over the seeds
    figure.png/pdf each statistic against the first field, mean over seeds +- SD, one line per
                   value of the other fields (netdyn.plots.network_sweep)
"""

from __future__ import annotations

import itertools
import os
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pydantic import Field, model_validator

from netdyn import __version__
from netdyn.config.base import Spec, parse_config
from netdyn.errors import ConfigError
from netdyn.models.spiking.paths import resolve_path, set_field
from netdyn.models.spiking.spec import NetworkSpec
from netdyn.studies.network_file import (
    NetworkRunConfig,
    build_network,
    check_backend,
    population_statistics,
    recorded_populations,
    run_settings_summary,
)
from netdyn.sweep import StudyOutputs, SweepStudy, run_study
from netdyn.sweep.study import nan_to_none

__all__ = ["NETWORK_SWEEP", "NetworkSweepConfig", "SweepAxis", "parse_axis", "parse_seeds", "run_network_sweep",
           "sweep_grid"]

Value = bool | int | float | str


class SweepAxis(Spec):
    """One swept field: its dotted path and its values (numbers, booleans or strings)."""

    path: str
    values: tuple[Value, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> "SweepAxis":
        if len(set(map(repr, self.values))) != len(self.values):
            raise ConfigError(self.path, list(self.values), "give distinct values")
        return self


class NetworkSweepConfig(NetworkRunConfig):
    """A network file over a grid of its fields and over seeds: what ``netdyn sweep`` runs.

    ``network.seed`` is not used: each unit runs one of ``seeds``.
    """

    axes: tuple[SweepAxis, ...] = Field(min_length=1)
    seeds: tuple[int, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_grid(self) -> "NetworkSweepConfig":
        if len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ConfigError("seeds", list(self.seeds), "give distinct seeds >= 0")
        seen: list[tuple[str | int, ...]] = []
        for axis in self.axes:
            keys = resolve_path(self.network, axis.path)
            if keys == ("seed",):
                raise ConfigError(axis.path, list(axis.values), "the seeds are swept with --seeds")
            if any(keys[:len(k)] == k or k[:len(keys)] == keys for k in seen):
                raise ConfigError(axis.path, list(axis.values), "this field is already swept (or holds or lies in one that is)")
            seen.append(keys)
            for value in axis.values:
                set_field(self.network, axis.path, value)
        return self

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(a.path for a in self.axes)

    def runs(self) -> list[tuple[tuple[Value, ...], int]]:
        """(values of the fields, seed) of every unit, in unit order (the seed varies fastest)."""
        return [(point, seed) for point in itertools.product(*(a.values for a in self.axes)) for seed in self.seeds]

    def network_of(self, run: int) -> NetworkSpec:
        """The network of unit ``run``: the fields set to its values, its seed."""
        point, seed = self.runs()[run]
        network = self.network
        for axis, value in zip(self.axes, point):
            network = set_field(network, axis.path, value)
        return network.replace(seed=seed)


# --------------------------------------------------------------------------- command-line text


def _value(text: str) -> Value:
    """A TOML literal (``100``, ``1.5``, ``true``, ``"a b"``), else the text itself."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    return value if isinstance(value, (bool, int, float, str)) else text


def parse_axis(text: str) -> SweepAxis:
    """``"PATH=V1,V2,..."`` (``--set``) as a :class:`SweepAxis`; each value is read as a TOML
    literal (numbers, ``true``/``false``, quoted strings), else kept as text.

    Raises
    ------
    ConfigError
        (field ``set``) No ``=``, no path or no value.
    """
    path, eq, values = text.partition("=")
    items = [v.strip() for v in values.split(",")]
    if not eq or not path.strip() or not all(items):
        raise ConfigError("set", text, "expected PATH=VALUE,VALUE,... (e.g. populations.E.params.i_e_pA=100,150)")
    return parse_config(SweepAxis, {"path": path.strip(), "values": [_value(v) for v in items]})


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"1-5"``, ``"1,3,8"`` or ``"1-3,7"`` as seeds (ranges include both ends).

    Raises
    ------
    ConfigError
        (field ``seeds``) Anything else.
    """
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        first, dash, last = part.partition("-")
        try:
            a = int(first)
            b = int(last) if dash else a
        except ValueError:
            raise ConfigError("seeds", text, "expected seeds such as 1-5 or 1,3,8 (whole numbers >= 0)") from None
        if b < a:
            raise ConfigError("seeds", text, f"the range {part} is empty")
        seeds.extend(range(a, b + 1))
    return tuple(seeds)


# --------------------------------------------------------------------------- the sweep


def _statistics() -> dict[str, dict[str, str]]:
    from netdyn.analysis.spikes.summary import SUMMARY_STATISTICS

    return SUMMARY_STATISTICS


def _coordinate(values: tuple[Value, ...]) -> np.ndarray:
    """The values of a field as a coordinate: numbers as float64, anything else as text."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.float64)
    return np.array([str(v) for v in values], dtype=object)


def simulate_run(config_json: str, run: int) -> xr.Dataset:
    """One unit of :data:`NETWORK_SWEEP`: the statistics of the network of unit ``run``."""
    config = NetworkSweepConfig.model_validate_json(config_json)
    net = build_network(config, config.network_of(int(run)))
    net.run(config.duration_ms, progress=False)
    pops = recorded_populations(config.network)
    stats = population_statistics(net.recording(), pops, config.transient, config.duration_ms)
    return xr.Dataset({name: (("run", "population"), np.array([[stats[p][name] for p in pops]]))
                       for name in _statistics()})


def sweep_template(config: NetworkSweepConfig) -> xr.Dataset:
    """The Zarr layout: statistics per (run, population), NaN until computed; one coordinate per
    field and ``seed`` along ``run``."""
    import dask.array as da

    runs = config.runs()
    pops = recorded_populations(config.network)
    n, p = len(runs), len(pops)
    data = {name: (("run", "population"), da.full((n, p), np.nan, chunks=(1, p)), attrs)
            for name, attrs in _statistics().items()}
    coords: dict[str, Any] = {"run": np.arange(n), "population": np.array(pops, dtype=object),
                              "seed": ("run", np.array([seed for _, seed in runs], dtype=np.int64))}
    for k, axis in enumerate(config.axes):
        coords[axis.path] = ("run", _coordinate(tuple(point[k] for point, _ in runs)))
    return xr.Dataset(data, coords=coords, attrs={
        "title": "netdyn sweep of a network file", "fields": list(config.paths),
        "netdyn_version": __version__, **{k: v for k, v in run_settings_summary(config).items()
                                          if k != "netdyn_version"}})


def sweep_grid(ds: xr.Dataset) -> xr.Dataset:
    """The statistics of a sweep's results with one dim per field (in the order and with the
    values given), then ``seed`` and ``population``."""
    fields = list(ds.attrs["fields"])
    stats = [name for name in _statistics() if name in ds]
    order = {f: list(dict.fromkeys(ds[f].values.tolist())) for f in [*fields, "seed"]}
    grid = ds[stats].set_index(run=[*fields, "seed"]).unstack("run")
    return grid.reindex(order).transpose(*fields, "seed", "population")


def sweep_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Per grid point and population: mean, SD and count over the seeds of every statistic."""
    grid = sweep_grid(ds)
    fields = list(ds.attrs["fields"])

    def stat(values: np.ndarray) -> dict[str, Any]:
        ok = values[np.isfinite(values)]
        return {"mean": nan_to_none(ok.mean()) if ok.size else None,
                "sd": nan_to_none(ok.std(ddof=1)) if ok.size > 1 else None, "n": int(ok.size)}

    points = []
    for point in itertools.product(*(grid[f].values.tolist() for f in fields)):
        cell = grid.sel(dict(zip(fields, point)))
        points.append({"values": dict(zip(fields, point)),
                       "populations": {str(p): {name: stat(cell[name].sel(population=p).values) for name in grid.data_vars}
                                       for p in grid.population.values}})
    config = NetworkSweepConfig.model_validate_json(ds.attrs["config"])
    return {"fields": {f: grid[f].values.tolist() for f in fields}, "seeds": grid.seed.values.tolist(),
            "points": points, **run_settings_summary(config), "netdyn_version": ds.attrs.get("netdyn_version"),
            "config": config.to_dict()}


def draw_sweep(ds: xr.Dataset, out: Path) -> list[Path]:
    """The figure of every statistic over the grid, ``figure.png``/``.pdf`` in ``out``."""
    from netdyn.plots.network_sweep import plot_network_sweep

    return plot_network_sweep(sweep_grid(ds), out / "figure", attrs=ds.attrs)


NETWORK_SWEEP = SweepStudy(
    name="network-sweep", config_class=NetworkSweepConfig, unit_dim="run", template=sweep_template,
    unit_function=simulate_run, summary=sweep_summary, figure=draw_sweep, check=check_backend,
)
"""A network file over a grid of fields and seeds, for :func:`netdyn.sweep.run_study`."""


def run_network_sweep(config: NetworkSweepConfig, out: str | os.PathLike[str], *, workers: int | None = None,
                      scheduler: str | None = None, progress: bool | None = True,
                      figure: bool = True) -> StudyOutputs:
    """Run the sweep into ``out`` (resumable: rerun after an interruption; see the module
    doc). ``workers``: local processes (default one per core; 0: in this process);
    ``scheduler``: a Dask scheduler's address instead."""
    return run_study(NETWORK_SWEEP, config, out, workers=workers, scheduler=scheduler, progress=progress,
                     figure=figure)
