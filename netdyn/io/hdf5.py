"""A :class:`~netdyn.record.spiking.SpikingRecording` in one HDF5 file, and back.

Layout, format ``netdyn-spiking-recording`` version 1 (every time in ms, every rate in Hz;
datasets of physical quantities carry a ``units`` attribute, index datasets none; a DataArray's
attributes go onto its values dataset, those that are not plain numbers, strings or numeric
arrays as JSON text listed in that dataset's ``json_attrs``)::

    /                                   attrs:
        format          = "netdyn-spiking-recording"
        format_version  = 1                             (int64)
        written_by      = "netdyn <version>"            (the writer; not part of recording.attrs)
        dt_ms, t_start_ms, t_stop_ms                    (float64)
        populations     = [names, in model order]       (strings)
        inputs          = [names, in order]             (strings)
        json_attrs      = [keys of the attrs below stored as JSON text]
        <key>           = recording.attrs[<key>], e.g. netdyn_version, config (JSON), seed;
                          str, bool, int (int64), float, numeric arrays as they are; anything
                          else (dicts, lists, None, ints beyond int64) as JSON text
    /populations/<name>/                attrs: n_neurons (int64; with the spike trains,
                                        which are what knows the population's size)
        spikes/                         present iff the population has spike trains;
                                        attrs: t_start_ms, t_stop_ms (float64)
            times_ms      (n_spikes,)   float64, ms, non-decreasing
            senders       (n_spikes,)   int32 (int64 if n_neurons >= 2**31), index in population
            recorded      (n_recorded,) int64; absent means every neuron was recorded
        state/<var>/                    one group per sampled state variable
            values        (time, neuron) float32 or float64 as recorded; attrs: the
                                        DataArray's (units, e.g. "mV", among them)
            time_ms       (time,)       float64, ms
            neuron        (neuron,)     int64, index within the population
        rate/                           present iff the population has a population rate
            hz            (time,)       float64; attrs: units = "Hz", bin_ms and the
                                        DataArray's other attributes
            time_ms       (time,)       float64, ms, start of each bin
    /inputs/<name>/
        rate_hz           (time,)       float64; attrs: units = "Hz" and the DataArray's
        time_ms           (time,)       float64, ms

Unlike ``ntwk``'s files, nothing is flattened into string keys,
integers are never narrowed (no int16 overflow) and times are stored in ms, as named. The
write is atomic: the file is built under a temporary name in the target directory and moved
into place (:func:`netdyn.atomic.write_file`), so a crash never leaves a half-written file at ``path``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

from netdyn import atomic
from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikeTrains, SpikingRecording

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "SpikeStream", "read_recording", "write_recording"]

#: Value of the root attribute ``format``.
FORMAT_NAME = "netdyn-spiking-recording"
#: Layout version this module writes; it reads every version up to this one.
FORMAT_VERSION = 1

_RESERVED = frozenset({"format", "format_version", "written_by", "dt_ms", "t_start_ms",
                       "t_stop_ms", "populations", "inputs", "json_attrs"})
_COMPRESSIONS = (None, "gzip", "lzf")
_INT64 = np.iinfo(np.int64)
_STATE_DIMS = ("time_ms", "neuron")


def _netdyn_version() -> str:
    from netdyn import __version__

    return __version__


# --------------------------------------------------------------------------- attributes


def _is_plain(value: Any) -> bool:
    """True if h5py stores ``value`` as an attribute that reads back equal and of equal type."""
    if isinstance(value, str):
        # HDF5 strings end at NUL and must be valid UTF-8; JSON escapes both.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, (bool, float)):
        return True
    if isinstance(value, int):
        return _INT64.min <= value <= _INT64.max
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf" and value.ndim >= 1
    return False


def _put_attrs(obj: h5py.HLObject, attrs: Mapping[str, Any], field: str) -> list[str]:
    """Write ``attrs`` onto ``obj``; return the keys that had to be stored as JSON text."""
    as_json = []
    for key, value in attrs.items():
        if not isinstance(key, str) or not key or key in _RESERVED:
            raise ConfigError(f"{field}.{key}", value,
                              f"attribute names must be non-empty strings other than "
                              f"{sorted(_RESERVED)}")
        if isinstance(value, np.generic):
            value = value.item()
        if _is_plain(value):
            obj.attrs[key] = value
            continue
        try:
            obj.attrs[key] = json.dumps(value, allow_nan=True)
        except TypeError as exc:
            raise ConfigError(f"{field}.{key}", value,
                              "must be a string, number, numeric array or JSON-serialisable") \
                from exc
        as_json.append(key)
    return as_json


def _get_attrs(obj: h5py.HLObject, skip: frozenset[str] = frozenset(),
               json_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.attrs.items():
        if key in skip:
            continue
        if key in json_keys:
            out[key] = json.loads(value)
        elif isinstance(value, np.generic):
            out[key] = value.item()
        elif isinstance(value, bytes):
            out[key] = value.decode("utf-8")
        else:
            out[key] = value
    return out


def _str_list(obj: h5py.HLObject, key: str) -> list[str]:
    raw = obj.attrs.get(key, [])
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.atleast_1d(raw)]


def _put_str_list(obj: h5py.HLObject, key: str, values: list[str]) -> None:
    obj.attrs.create(key, np.array(values, dtype=object), dtype=h5py.string_dtype("utf-8"),
                     shape=(len(values),))


# --------------------------------------------------------------------------- datasets


def _dataset(group: h5py.Group, name: str, data: np.ndarray, units: str | None,
             compression: str | None) -> h5py.Dataset:
    kwargs: dict[str, Any] = {}
    if compression is not None and data.size > 0 and data.ndim > 0:
        kwargs = {"compression": compression, "shuffle": True}
    ds = group.create_dataset(name, data=data, **kwargs)
    if units is not None:
        ds.attrs["units"] = units
    return ds


def _check_name(name: Any, field: str) -> str:
    if (not isinstance(name, str) or not name or "/" in name or "\x00" in name
            or name in (".", "..")):
        raise ConfigError(field, name, "must be a non-empty name without '/' or NUL")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConfigError(field, name, "must be valid UTF-8") from exc
    return name


def _state_array(da: xr.DataArray, field: str) -> xr.DataArray:
    if da.ndim != 2 or set(da.dims) != set(_STATE_DIMS):
        raise ConfigError(field, da.dims, f"state must be a DataArray with dims {_STATE_DIMS}")
    return da.transpose(*_STATE_DIMS)


def _series(da: xr.DataArray, field: str) -> tuple[np.ndarray, np.ndarray]:
    if da.ndim != 1 or da.dims != ("time_ms",):
        raise ConfigError(field, da.dims, "must be a DataArray with the single dim 'time_ms'")
    return (np.asarray(da.values, dtype=np.float64),
            np.asarray(da["time_ms"].values, dtype=np.float64))


def _check_hz(da: xr.DataArray, field: str) -> None:
    units = da.attrs.get("units", "Hz")
    if units != "Hz":
        raise ConfigError(f"{field}.units", units, "rates are stored in Hz")


def _write_population(root: h5py.Group, rec: SpikingRecording, name: str,
                      compression: str | None) -> None:
    grp = root.create_group(name)
    trains = rec.spikes.get(name)
    if trains is not None:
        n_neurons = int(trains.n_neurons)
        grp.attrs["n_neurons"] = np.int64(n_neurons)
        sp = grp.create_group("spikes")
        sp.attrs["t_start_ms"] = float(trains.t_start_ms)
        sp.attrs["t_stop_ms"] = float(trains.t_stop_ms)
        _dataset(sp, "times_ms", trains.times_ms, "ms", compression)
        senders_dtype = np.int32 if n_neurons < 2**31 else np.int64
        _dataset(sp, "senders", trains.senders.astype(senders_dtype, copy=False), None,
                 compression).attrs["description"] = "neuron index within the population"
        if trains.recorded is not None:
            _dataset(sp, "recorded", np.asarray(trains.recorded, dtype=np.int64), None,
                     compression)

    variables = rec.state.get(name, {})
    if variables:
        st = grp.create_group("state", track_order=True)
        for var, da in variables.items():
            field = f"state.{name}.{_check_name(var, f'state.{name}')}"
            da = _state_array(da, field)
            vg = st.create_group(var)
            values = np.asarray(da.values)
            if values.dtype.kind not in "biuf":
                raise ConfigError(field, values.dtype, "state values must be numeric")
            ds = _dataset(vg, "values", values, None, compression)
            _put_dataset_attrs(ds, da.attrs, field)
            _dataset(vg, "time_ms", np.asarray(da["time_ms"].values, dtype=np.float64), "ms",
                     compression)
            _dataset(vg, "neuron", np.asarray(da["neuron"].values, dtype=np.int64), None,
                     compression)

    rate = rec.population_rates.get(name)
    if rate is not None:
        field = f"population_rates.{name}"
        hz, t = _series(rate, field)
        _check_hz(rate, field)
        rg = grp.create_group("rate")
        ds = _dataset(rg, "hz", hz, "Hz", compression)
        _put_dataset_attrs(ds, {k: v for k, v in rate.attrs.items() if k != "units"}, field)
        _dataset(rg, "time_ms", t, "ms", compression)


def _put_dataset_attrs(ds: h5py.Dataset, attrs: Mapping[str, Any], field: str) -> None:
    """DataArray attributes: stored as they are; non-plain values go in as JSON and their
    keys are listed in the dataset attribute ``json_attrs``."""
    as_json = _put_attrs(ds, attrs, field)
    if as_json:
        _put_str_list(ds, "json_attrs", as_json)


def _write(f: h5py.File, rec: SpikingRecording, compression: str | None) -> None:
    f.attrs["format"] = FORMAT_NAME
    f.attrs["format_version"] = np.int64(FORMAT_VERSION)
    f.attrs["written_by"] = f"netdyn {_netdyn_version()}"
    f.attrs["dt_ms"] = float(rec.dt_ms)
    f.attrs["t_start_ms"] = float(rec.t_start_ms)
    f.attrs["t_stop_ms"] = float(rec.t_stop_ms)
    names = [_check_name(p, "populations") for p in rec.populations]
    inputs = [_check_name(p, "input_rates") for p in rec.input_rates]
    _put_str_list(f, "populations", names)
    _put_str_list(f, "inputs", inputs)
    _put_str_list(f, "json_attrs", _put_attrs(f, rec.attrs, "attrs"))

    pops = f.create_group("populations", track_order=True)
    for name in names:
        _write_population(pops, rec, name, compression)
    ins = f.create_group("inputs", track_order=True)
    for name in inputs:
        field = f"input_rates.{name}"
        hz, t = _series(rec.input_rates[name], field)
        _check_hz(rec.input_rates[name], field)
        g = ins.create_group(name)
        ds = _dataset(g, "rate_hz", hz, "Hz", compression)
        _put_dataset_attrs(
            ds, {k: v for k, v in rec.input_rates[name].attrs.items() if k != "units"}, field)
        _dataset(g, "time_ms", t, "ms", compression)


# --------------------------------------------------------------------------- public API


def write_recording(recording: SpikingRecording, path: str | Path, *,
                    compression: str | None = "gzip") -> Path:
    """Write ``recording`` to the HDF5 file ``path`` (layout in the module docstring).

    Parameters
    ----------
    recording
        What the simulation recorded.
    path
        Target file; missing parent directories are created, an existing file is replaced.
    compression
        ``"gzip"`` (default, with the shuffle filter), ``"lzf"`` or ``None``.

    Returns
    -------
    pathlib.Path
        ``path``. The file appears there only once it is complete (atomic replace).

    Raises
    ------
    ConfigError
        For an unknown ``compression``, a population or variable name containing ``/``, a
        state array whose dims are not ``(time_ms, neuron)`` or an attribute that cannot be
        stored.
    """
    if compression not in _COMPRESSIONS:
        raise ConfigError("compression", compression, f"must be one of {_COMPRESSIONS}")
    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w", track_order=True) as f:
            _write(f, recording, compression)

    return atomic.write_file(path, write)


def _open(path: Path) -> h5py.File:
    if not path.is_file():
        raise ConfigError("path", str(path), "no such file")
    if not h5py.is_hdf5(path):
        raise ConfigError("path", str(path), "not an HDF5 file")
    f = h5py.File(path, "r")
    fmt = f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode("utf-8")
    if fmt != FORMAT_NAME:
        f.close()
        raise ConfigError("path", str(path),
                          f"not a netdyn spiking recording (root attribute format={fmt!r}, "
                          f"expected {FORMAT_NAME!r})")
    version = int(f.attrs.get("format_version", -1))
    if not 1 <= version <= FORMAT_VERSION:
        f.close()
        raise ConfigError("path", str(path),
                          f"format_version {version} is not readable by this netdyn "
                          f"(reads 1 .. {FORMAT_VERSION}); upgrade netdyn")
    return f


def _dataset_attrs(ds: h5py.Dataset, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    json_keys = frozenset(_str_list(ds, "json_attrs"))
    return _get_attrs(ds, skip=skip | {"json_attrs"}, json_keys=json_keys)


def _read_population(grp: h5py.Group, name: str, rec: SpikingRecording) -> None:
    if "spikes" in grp:
        n_neurons = int(grp.attrs["n_neurons"])
        sp = grp["spikes"]
        recorded = sp["recorded"][()] if "recorded" in sp else None
        rec.spikes[name] = SpikeTrains(
            population=name, n_neurons=n_neurons, times_ms=sp["times_ms"][()],
            senders=sp["senders"][()], t_start_ms=float(sp.attrs["t_start_ms"]),
            t_stop_ms=float(sp.attrs["t_stop_ms"]), recorded=recorded)
    if "state" in grp:
        variables: dict[str, xr.DataArray] = {}
        for var, vg in grp["state"].items():
            values = vg["values"]
            variables[var] = xr.DataArray(
                values[()], dims=_STATE_DIMS,
                coords={"time_ms": vg["time_ms"][()], "neuron": vg["neuron"][()]},
                name=var, attrs=_dataset_attrs(values))
        rec.state[name] = variables
    if "rate" in grp:
        rg = grp["rate"]
        rec.population_rates[name] = xr.DataArray(
            rg["hz"][()], dims=("time_ms",), coords={"time_ms": rg["time_ms"][()]},
            name=name, attrs=_dataset_attrs(rg["hz"]))


def read_recording(path: str | Path) -> SpikingRecording:
    """Read a file written by :func:`write_recording`.

    Parameters
    ----------
    path
        The HDF5 file.

    Returns
    -------
    SpikingRecording
        Arrays equal to those written (state keeps its float32/float64 dtype); ``attrs`` are
        ``recording.attrs`` as written. DataArrays carry their ``units`` attribute.

    Raises
    ------
    ConfigError
        Naming the field ``path``: the file is missing, is not HDF5, is not a netdyn
        spiking recording, or has a newer ``format_version`` than this netdyn reads.
    """
    p = Path(path)
    with _open(p) as f:
        json_keys = frozenset(_str_list(f, "json_attrs"))
        attrs = _get_attrs(f, skip=_RESERVED, json_keys=json_keys)
        rec = SpikingRecording(dt_ms=float(f.attrs["dt_ms"]),
                               t_start_ms=float(f.attrs["t_start_ms"]),
                               t_stop_ms=float(f.attrs["t_stop_ms"]), attrs=attrs)
        for name in _str_list(f, "populations"):
            _read_population(f["populations"][name], name, rec)
        for name in _str_list(f, "inputs"):
            g = f["inputs"][name]
            rec.input_rates[name] = xr.DataArray(
                g["rate_hz"][()], dims=("time_ms",), coords={"time_ms": g["time_ms"][()]},
                name=name, attrs=_dataset_attrs(g["rate_hz"]))
    return rec


# --------------------------------------------------------------------------- streaming
class SpikeStream:
    """Spikes written to an HDF5 file as a simulation makes them, in the layout above (the
    spike trains only), so that a run killed after hours keeps what it simulated:
    :func:`read_recording` reads the file at any time, up to its ``t_stop_ms`` (the end of
    the last block appended). Each :meth:`append` extends the datasets and flushes the file.

    Parameters
    ----------
    path
        The file (replaced if it exists; its directory is made if needed).
    populations
        Name -> (index of its first neuron, neurons), in the simulator's global numbering.
    dt_ms
        The simulation step; a spike of step ``k`` is stamped ``(k + 1) dt``, as
        :class:`~netdyn.record.spiking.SpikeTrains` are.
    attrs
        Root attributes to write (as :func:`write_recording` writes ``recording.attrs``).
    """

    def __init__(self, path: str | Path, populations: Mapping[str, tuple[int, int]], dt_ms: float,
                 attrs: Mapping[str, Any] | None = None):
        self.path = Path(path)
        self.dt_ms = float(dt_ms)
        self._names = list(populations)
        self._first = np.array([populations[n][0] for n in self._names], dtype=np.int64)
        self._order = np.argsort(self._first, kind="stable")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = h5py.File(self.path, "w")
        f = self._file
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = np.int64(FORMAT_VERSION)
        f.attrs["written_by"] = f"netdyn {_netdyn_version()}"
        f.attrs["dt_ms"] = self.dt_ms
        f.attrs["t_start_ms"] = 0.0
        f.attrs["t_stop_ms"] = 0.0
        _put_str_list(f, "populations", self._names)
        _put_str_list(f, "inputs", [])
        _put_str_list(f, "json_attrs", _put_attrs(f, attrs or {}, "attrs"))
        self._datasets = []
        for name in self._names:
            first, n = populations[name]
            grp = f.require_group("populations").create_group(name)
            grp.attrs["n_neurons"] = np.int64(n)
            sp = grp.create_group("spikes")
            sp.attrs["t_start_ms"] = 0.0
            sp.attrs["t_stop_ms"] = 0.0
            times = sp.create_dataset("times_ms", shape=(0,), maxshape=(None,), dtype=np.float64, chunks=(65536,))
            times.attrs["units"] = "ms"
            senders = sp.create_dataset("senders", shape=(0,), maxshape=(None,),
                                        dtype=np.int32 if n < 2**31 else np.int64, chunks=(65536,))
            senders.attrs["description"] = "neuron index within the population"
            self._datasets.append((sp, times, senders, int(first), int(n)))
        f.flush()

    def append(self, steps: np.ndarray, ids: np.ndarray, t_stop_ms: float) -> None:
        """Add the spikes ``(steps, ids)`` (global neuron indices, in time order) simulated up
        to ``t_stop_ms``."""
        ids = np.asarray(ids, dtype=np.int64)
        steps = np.asarray(steps, dtype=np.int64)
        sorted_first = self._first[self._order]
        group = self._order[np.maximum(np.searchsorted(sorted_first, ids, side="right") - 1, 0)]
        ends = np.array([lo + n for _, _, _, lo, n in self._datasets], dtype=np.int64)
        key = np.where((ids >= self._first[group]) & (ids < ends[group]), group, -1)  # -1: not a population's
        by_group = np.argsort(key, kind="stable")
        bounds = np.searchsorted(key[by_group], np.arange(len(self._datasets) + 1))
        for k, (sp, times, senders, lo, _) in enumerate(self._datasets):
            sel = by_group[bounds[k]:bounds[k + 1]]  # in time order (a stable sort)
            if sel.size:
                size = times.shape[0]
                times.resize((size + sel.size,))
                senders.resize((size + sel.size,))
                times[size:] = (steps[sel] + 1) * self.dt_ms
                senders[size:] = ids[sel] - lo
            sp.attrs["t_stop_ms"] = float(t_stop_ms)
        self._file.attrs["t_stop_ms"] = float(t_stop_ms)
        self._file.flush()

    def close(self) -> None:
        """Close the file (it stays readable)."""
        if self._file.id.valid:
            self._file.close()

    def __enter__(self) -> "SpikeStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
