"""Zarr store of a sweep's results, written unit by unit, resumable.

A sweep's results are one :class:`xarray.Dataset` whose work units lie along one dimension,
``unit_dim``. :meth:`SweepStore.create_or_open` writes the layout once (metadata,
coordinates and the shared variables, no unit data); each finished unit is then written into
its own chunks (:meth:`SweepStore.write_unit`) and marked in the bookkeeping variable
``unit_completed``. A run killed half-way and started again skips the marked units.

Layout
------
- every data variable with ``unit_dim`` is chunked 1 along ``unit_dim`` (whole along its
  other dimensions), so each unit owns its chunk files and units never share a chunk;
- variables without ``unit_dim`` ("shared", e.g. the example network of a study) are
  written whole, with the template's values, when the store is created;
- ``unit_completed`` (``unit_dim``,) bool, one chunk per unit, False (absent chunk) until the
  unit's data are written;
- attributes: ``config`` (JSON of the full configuration), ``netdyn_version``,
  ``netdyn_store`` (format tag) and ``netdyn_unit_dim``, plus the template's own.

A grid (session x gain x trial) is laid out as one ``unit_dim`` with the grid's labels as
coordinates along it; ``ds.set_index(unit=[...]).unstack("unit")`` reshapes it into the
grid after the run.

Crash safety
------------
- The layout is written into a hidden temporary directory next to ``path`` and renamed into
  place, so a store either exists whole or not at all; bad input writes nothing.
- Data first, flag last: a kill between the two costs a recompute of that unit, never a unit
  marked complete without its data.
- zarr's ``LocalStore`` writes every chunk file to ``<key>.<uuid>.partial`` and renames it
  over the key (since zarr-python 3.1.3, PR #3412; netdyn requires zarr >= 3.1.6), so a
  kill during a write leaves the old file or the new one, never a torn one. A stray
  ``.partial`` file may stay behind; those older than 10 minutes are removed on reopening.
  There is no fsync: the guarantee holds against killed processes, not against power loss.
- Writes after creation never rewrite metadata (``consolidated=False``; region writes do not
  touch ``zarr.json``), so the metadata cannot be torn either.
- One process writes (the sweep's parent). Two runs of the same command on the same store
  write the same bytes, so even that is harmless; different configurations are refused.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Hashable

import numpy as np
import pandas as pd
import xarray as xr

from netdyn import atomic
from netdyn.errors import ConfigError

__all__ = ["COMPLETED_VAR", "STORE_FORMAT", "SweepStore", "open_results", "write_results"]

#: Name of the bookkeeping variable.
COMPLETED_VAR = "unit_completed"
#: Value of the ``netdyn_store`` attribute of a sweep store.
STORE_FORMAT = "netdyn-sweep/1"

_ENCODING_KEYS = ("dtype", "_FillValue", "compressors", "filters", "serializer", "units",
                  "calendar", "scale_factor", "add_offset")
_STALE_PARTIAL_S = 600.0


def _netdyn_version() -> str:
    from netdyn import __version__

    return __version__


# --------------------------------------------------------------------------- layout


def _lazy_variable(var: xr.Variable, unit_dim: str) -> xr.Variable:
    """A dask-backed stand-in for ``var`` (never computed), chunked 1 along ``unit_dim``."""
    import dask.array as da

    chunks = tuple(1 if d == unit_dim else n for d, n in zip(var.dims, var.shape))
    data = da.zeros(var.shape, dtype=var.dtype, chunks=chunks or ())
    return xr.Variable(var.dims, data, attrs=dict(var.attrs))


def _encoding(var: xr.Variable, unit_dim: str) -> dict[str, Any]:
    enc = {k: v for k, v in var.encoding.items() if k in _ENCODING_KEYS}
    enc["chunks"] = tuple(1 if d == unit_dim else max(n, 1) for d, n in zip(var.dims, var.shape))
    return enc


def _layout(
    template: xr.Dataset, unit_dim: str, config_json: str
) -> tuple[xr.Dataset, dict[str, dict[str, Any]]]:
    """The dataset written at creation and its encoding: coordinates and shared variables
    with their values, lazy stand-ins (never computed: metadata only) for the unit data."""
    import dask.array as da

    coords = {name: var.variable.load() for name, var in template.coords.items()}
    data_vars = {name: _lazy_variable(var.variable, unit_dim) if unit_dim in var.dims else var.variable
                 for name, var in template.data_vars.items()}
    n_units = template.sizes[unit_dim]
    data_vars[COMPLETED_VAR] = xr.Variable(
        (unit_dim,), da.zeros((n_units,), dtype=bool, chunks=1)
    )
    attrs = dict(template.attrs)
    attrs.update(config=config_json, netdyn_version=_netdyn_version(),
                 netdyn_store=STORE_FORMAT, netdyn_unit_dim=unit_dim)
    layout = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    encoding = {name: _encoding(var.variable, unit_dim) for name, var in layout.data_vars.items()}
    encoding[COMPLETED_VAR].pop("_FillValue", None)
    return layout, encoding


def _check_template(template: xr.Dataset, unit_dim: str, config_json: str) -> xr.Dataset:
    """Validate the template; give ``unit_dim`` an index coordinate if it has none."""
    if not isinstance(template, xr.Dataset):
        raise TypeError(f"template must be an xarray.Dataset, got {type(template).__name__}")
    if unit_dim not in template.dims:
        raise ValueError(f"template has no dimension {unit_dim!r} (has {list(template.dims)})")
    if COMPLETED_VAR in template.variables:
        raise ValueError(f"{COMPLETED_VAR!r} is reserved for the store's bookkeeping")
    if not isinstance(config_json, str):
        raise TypeError("config_json must be a JSON string")
    lazy = sorted(name for name, var in template.data_vars.items()
                  if unit_dim not in var.dims and var.chunks is not None)
    if lazy:
        raise ValueError(
            f"the template's variables {lazy} have no {unit_dim!r} dimension, so they are "
            "written with the layout, but they are lazy (dask); give their values (numpy)"
        )
    if unit_dim not in template.indexes:
        template = template.assign_coords({unit_dim: np.arange(template.sizes[unit_dim])})
    units = template.indexes[unit_dim]
    if not units.is_unique:
        raise ValueError(f"the coordinate values of {unit_dim!r} must be unique")
    if isinstance(units, pd.MultiIndex):
        raise ValueError(f"{unit_dim!r} must not be a MultiIndex (Zarr cannot store it); "
                         "keep the grid labels as plain coordinates along it")
    return template


def _create(path: Path, template: xr.Dataset, unit_dim: str, config_json: str) -> None:
    """Write the layout at ``path`` atomically (another process may have been first)."""
    layout, encoding = _layout(template, unit_dim, config_json)

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            # compute=False leaves the lazy unit data unwritten; numpy-backed variables
            # (coordinates, shared variables) are written now
            layout.to_zarr(tmp, mode="w-", compute=False, consolidated=True, encoding=encoding)

    atomic.create_directory(path, write)


# --------------------------------------------------------------------------- checks


_DEFAULTS_OF_NEWER_FIELDS = {"connectivity": "stored"}
"""Fields added to the configurations after stores were written without them, with the value
those stores were computed with."""


def _config_difference(stored: Any, wanted: str) -> str | None:
    """None when the two configurations are equal, else a short description. The number of
    threads of netdyn's engines does not count: it does not change a result (NEST's does).
    ``connectivity`` counts (stored and procedural synapses are different draws); a store
    written before the field existed was stored."""
    if stored == wanted:
        return None
    try:
        old, new = json.loads(stored), json.loads(wanted)
    except (TypeError, ValueError):
        return "the configuration differs"
    if isinstance(old, dict) and isinstance(new, dict):
        old = {**{k: v for k, v in _DEFAULTS_OF_NEWER_FIELDS.items() if k in new}, **old}
    if isinstance(old, dict) and isinstance(new, dict) and old.get("backend", "netdyn") == "netdyn" == new.get(
            "backend", "netdyn"):
        old, new = ({k: v for k, v in c.items() if k != "threads"} for c in (old, new))
    if old == new:
        return None
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        return "differs in " + ", ".join(map(str, keys[:8])) + (" ..." if len(keys) > 8 else "")
    return "the configuration differs"


def _grid_difference(stored: xr.Dataset, template: xr.Dataset, unit_dim: str) -> str | None:
    """None when ``stored`` has the layout of ``template``, else what differs."""
    if stored.attrs.get("netdyn_unit_dim") != unit_dim:
        return f"unit dimension {stored.attrs.get('netdyn_unit_dim')!r}, not {unit_dim!r}"
    names = set(stored.data_vars) - {COMPLETED_VAR}
    if names != set(template.data_vars):
        return f"variables {sorted(names)}, not {sorted(template.data_vars)}"
    for name, var in template.data_vars.items():
        if stored[name].dims != var.dims or stored[name].shape != var.shape:
            return f"variable {name!r} has dims {dict(stored[name].sizes)}, not {dict(var.sizes)}"
    if not np.array_equal(stored.indexes[unit_dim].values, template.indexes[unit_dim].values):
        return f"other {unit_dim!r} coordinate values"
    return None


def _remove_stale_partials(path: Path) -> None:
    """Delete ``*.partial`` files left by a kill during a chunk write (older than 10 min)."""
    cutoff = time.time() - _STALE_PARTIAL_S
    for stray in path.rglob("*.partial"):
        try:
            if stray.stat().st_mtime < cutoff:
                stray.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- store


def open_results(path: str | os.PathLike[str], load: bool = False) -> xr.Dataset:
    """A Zarr store of results as a Dataset (lazily read, or in memory with ``load=True``).

    Opened without dask (``chunks=None``): dask's threaded scheduler would leave worker
    threads in this process, after which a later process pool can no longer fork.
    """
    ds = xr.open_zarr(path, consolidated=True, decode_timedelta=True, chunks=None)
    if load:
        ds = ds.load()
        ds.close()
    return ds


def write_results(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write the results of a single run as the Zarr store ``path``, replacing an earlier one
    atomically (:func:`netdyn.atomic.replace_directory`); read it with :func:`open_results`."""

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            ds.to_zarr(tmp, mode="w-", consolidated=True)

    return atomic.replace_directory(path, write)


class SweepStore:
    """A sweep's Zarr store: layout, per-unit writes, completion flags.

    Open an existing store with ``SweepStore(path)`` (read and write, no configuration
    check) or create / resume one with :meth:`create_or_open`.

    Parameters
    ----------
    path
        Directory of a store made by :meth:`create_or_open`.

    Raises
    ------
    ConfigError
        (field ``out``) ``path`` is missing or not a netdyn sweep store.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        ds = self._open_checked(self.path)
        self.attrs: dict[str, Any] = dict(ds.attrs)
        self.unit_dim: str = ds.attrs["netdyn_unit_dim"]
        self.units: list[Hashable] = ds.indexes[self.unit_dim].tolist()
        self._position = {u: i for i, u in enumerate(self.units)}
        self._unit_vars = {n: v.dims for n, v in ds.data_vars.items()
                           if self.unit_dim in v.dims and n != COMPLETED_VAR}
        self._sizes = dict(ds.sizes)
        self._coords = {n: ds.indexes[n] for n in ds.indexes if n != self.unit_dim}
        import zarr

        self._flags = zarr.open_array(str(self.path / COMPLETED_VAR), mode="r+")

    # ----------------------------------------------------------------- opening

    @staticmethod
    def _open_checked(path: Path) -> xr.Dataset:
        """Lazily open ``path``, or raise ConfigError when it is not a sweep store."""
        if path.exists() and not path.is_dir():
            raise ConfigError("out", str(path), "is a file, not a directory for sweep results")
        if not (path / "zarr.json").is_file():
            what = "does not exist" if not path.exists() else "is not a netdyn sweep store"
            raise ConfigError("out", str(path), f"{what}; choose another output directory")
        try:
            ds = xr.open_zarr(path, consolidated=True, decode_timedelta=True)
        except Exception as exc:  # noqa: BLE001 - any failure means "not our store"
            raise ConfigError("out", str(path), f"is not a readable Zarr store ({exc})") from None
        if ds.attrs.get("netdyn_store") != STORE_FORMAT or COMPLETED_VAR not in ds:
            raise ConfigError(
                "out", str(path),
                "is a Zarr store but not a netdyn sweep store; choose another output directory",
            )
        return ds

    @classmethod
    def create_or_open(
        cls,
        path: str | os.PathLike[str],
        template: xr.Dataset,
        unit_dim: str,
        config_json: str,
    ) -> "SweepStore":
        """Create the store of a sweep, or reopen it to resume.

        Parameters
        ----------
        path
            Directory of the Zarr store (created with its parents).
        template
            Dataset with the final layout: dimensions, coordinates (written now), data
            variables. Of a variable with ``unit_dim`` only dims, shape, dtype, attrs and
            encoding are used, so it may be a lazy dask array; a variable without
            ``unit_dim`` is shared by all units and written now with its values, which must
            be in memory (numpy), not lazy. ``unit_dim`` needs unique, non-MultiIndex
            coordinate values (default ``0..n-1``).
        unit_dim
            Dimension along which the work units lie.
        config_json
            JSON of the full configuration; a store made with another one is refused.

        Returns
        -------
        SweepStore

        Raises
        ------
        ConfigError
            (field ``out``) ``path`` is a file, a directory that is not a sweep store, or a
            store of another configuration or layout.
        ValueError
            A template without ``unit_dim``, with non-unique unit labels, or with a lazy
            shared variable (nothing is written).
        """
        path = Path(path)
        template = _check_template(template, unit_dim, config_json)
        if path.is_file():
            raise ConfigError("out", str(path), "is a file, not a directory for sweep results")
        is_empty_dir = path.is_dir() and not any(path.iterdir())
        if not path.exists() or is_empty_dir:
            _create(path, template, unit_dim, config_json)
        stored = cls._open_checked(path)
        diff = _config_difference(stored.attrs.get("config"), config_json)
        if diff is not None:
            raise ConfigError(
                "out", str(path),
                f"holds results of a different configuration ({diff}); use another output "
                "directory, or delete this one to start over",
            )
        grid = _grid_difference(stored, template, unit_dim)
        if grid is not None:
            raise ConfigError(
                "out", str(path),
                f"holds results of a different layout ({grid}); use another output directory",
            )
        if stored.attrs.get("netdyn_version") != _netdyn_version():
            warnings.warn(
                f"{path} was started by netdyn {stored.attrs.get('netdyn_version')}, resumed "
                f"by {_netdyn_version()}", stacklevel=2,
            )
        _remove_stale_partials(path)
        return cls(path)

    # ----------------------------------------------------------------- state

    def completed_mask(self) -> np.ndarray:
        """Bool array, per unit in store order: True once its data are written."""
        return np.asarray(self._flags[:], dtype=bool)

    def pending(self) -> list[Hashable]:
        """Coordinate values of the units not yet completed, in store order."""
        done = self.completed_mask()
        return [u for u, ok in zip(self.units, done) if not ok]

    @property
    def is_complete(self) -> bool:
        """True when every unit is completed."""
        return bool(self.completed_mask().all())

    def open(self, load: bool = False) -> xr.Dataset:
        """The results as a Dataset (lazily read, or in memory with ``load=True``)."""
        return open_results(self.path, load=load)

    # ----------------------------------------------------------------- writing

    def position(self, unit: Hashable) -> int:
        """Index of ``unit`` along ``unit_dim``."""
        try:
            return self._position[unit]
        except (KeyError, TypeError):
            raise KeyError(f"{unit!r} is not a unit of {self.path}") from None

    def write_unit(self, unit: Hashable, ds_unit: xr.Dataset) -> None:
        """Write the results of one unit, then mark it completed.

        Parameters
        ----------
        unit
            Coordinate value of the unit along ``unit_dim``.
        ds_unit
            Every data variable of the store that has ``unit_dim``, with ``unit_dim`` of
            length 1 or absent; other dimensions as in the template (index coordinates, when
            present, must equal the template's; they are not written again).
        """
        i = self.position(unit)
        ds = self._prepare_unit(unit, ds_unit)
        ds.to_zarr(self.path, region={self.unit_dim: slice(i, i + 1)}, mode="r+",
                   consolidated=False)
        self._flags[i] = True  # flag last: a kill before this line only costs a recompute

    def _prepare_unit(self, unit: Hashable, ds: Any) -> xr.Dataset:
        """Check a unit's results against the layout; return what region-writes them."""
        if not isinstance(ds, xr.Dataset):
            raise TypeError(f"the result of unit {unit!r} must be an xarray.Dataset, "
                            f"got {type(ds).__name__}")
        names, wanted = set(ds.data_vars), set(self._unit_vars)
        if names != wanted:
            raise ValueError(
                f"the result of unit {unit!r} has variables {sorted(names)}; the store "
                f"expects {sorted(wanted)} (variables without {self.unit_dim!r} are shared: "
                "the template holds their values)"
            )
        if self.unit_dim in ds.dims:
            if ds.sizes[self.unit_dim] != 1:
                raise ValueError(f"the result of unit {unit!r} has {ds.sizes[self.unit_dim]} "
                                 f"entries along {self.unit_dim!r}, not 1")
            if self.unit_dim in ds.indexes and ds.indexes[self.unit_dim][0] != unit:
                raise ValueError(f"the result of unit {unit!r} is labelled "
                                 f"{ds.indexes[self.unit_dim][0]!r}")
        else:
            ds = ds.expand_dims(self.unit_dim)
        return self._strip(ds, self._unit_vars, f"the result of unit {unit!r}")

    def _strip(self, ds: xr.Dataset, dims_of: dict[str, tuple], what: str) -> xr.Dataset:
        """Check shapes and coordinates against the layout, then drop coords and attrs."""
        for name, index in ds.indexes.items():
            if name in self._coords and not index.equals(self._coords[name]):
                raise ValueError(f"{what}: coordinate {name!r} differs from the store's")
        out = {}
        for name, dims in dims_of.items():
            if name not in ds.data_vars:
                continue
            if set(ds[name].dims) != set(dims):
                raise ValueError(f"{what}: {name!r} has dims {ds[name].dims}, expected {dims}")
            var = ds[name].variable.transpose(*dims)
            expected = tuple(1 if d == self.unit_dim else self._sizes[d] for d in dims)
            if var.shape != expected:
                raise ValueError(f"{what}: {name!r} has shape {var.shape}, expected {expected}")
            out[name] = xr.Variable(dims, var.data)
        return xr.Dataset(out)

    def __repr__(self) -> str:
        done = int(self.completed_mask().sum())
        return f"SweepStore({str(self.path)!r}, {done}/{len(self.units)} units completed)"
