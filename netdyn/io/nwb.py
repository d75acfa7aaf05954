"""Export of a :class:`~netdyn.record.spiking.SpikingRecording` to Neurodata Without Borders.

Needs the optional extra: ``pip install netdyn[nwb]`` (pynwb). What goes where:

- spikes: the ``units`` table, one unit (row) per recorded neuron, populations one after the
  other in model order; columns ``spike_times`` (s, as NWB requires: ms / 1000),
  ``obs_intervals`` (the recorded interval, s), ``population`` (name) and ``neuron`` (index
  within the population). Neurons whose spikes were not recorded are not units.
- population rates: processing module ``population_rates``, one ``TimeSeries`` per population
  (unit ``Hz``, timestamps in s, the bin start; description gives ``bin_ms``).
- afferent rates: processing module ``input_rates``, one ``TimeSeries`` per input (Hz).
- sampled state: processing module ``state``, one ``TimeSeries`` ``<population>_<var>`` of
  shape (time, neuron); values stay as recorded (e.g. mV) with NWB's ``unit`` in SI and
  ``conversion`` to it (mV: ``unit="volts", conversion=1e-3``), the neuron indices in the
  description.

``netdyn.io.hdf5`` remains the lossless format; NWB is for exchange with NWB tools.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikingRecording

__all__ = ["export_nwb"]

#: netdyn unit -> (SI unit name for NWB, conversion factor from the stored value to SI).
SI_UNITS = {"mV": ("volts", 1e-3), "V": ("volts", 1.0), "pA": ("amperes", 1e-12),
            "nA": ("amperes", 1e-9), "nS": ("siemens", 1e-9), "Hz": ("Hz", 1.0),
            "ms": ("seconds", 1e-3)}


def _pynwb() -> Any:
    try:
        import pynwb
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("NWB export needs pynwb: pip install netdyn[nwb]") from exc
    return pynwb


def _units_table(pynwb: Any, rec: SpikingRecording) -> Any:
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex

    times, counts, pops, neurons, intervals = [], [], [], [], []
    for name, trains in rec.spikes.items():
        ids = (np.arange(trains.n_neurons) if trains.recorded is None
               else np.asarray(trains.recorded, dtype=np.int64))
        order = np.argsort(trains.senders, kind="stable")  # stable: times stay sorted per unit
        per_neuron = np.bincount(trains.senders, minlength=trains.n_neurons)
        times.append(trains.times_ms[order] * 1e-3)
        # units follow the neuron order; recorded neurons are a sorted subset
        if trains.recorded is not None:
            ids = np.sort(ids)
            missing = np.setdiff1d(np.unique(trains.senders), ids)
            if missing.size:
                raise ConfigError(f"spikes.{name}.senders", int(missing[0]),
                                  "spike from a neuron that is not in 'recorded'")
        counts.append(per_neuron[ids])
        pops.append(np.full(ids.size, name, dtype=object))
        neurons.append(ids)
        intervals.append(np.tile([trains.t_start_ms * 1e-3, trains.t_stop_ms * 1e-3],
                                 (ids.size, 1)))
    n_units = int(sum(c.size for c in counts))
    cat = (lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts
           else np.zeros(0, dtype=dtype))
    spike_times = VectorData(name="spike_times", description="spike times in seconds",
                             data=cat(times, np.float64))
    columns = [
        spike_times,
        VectorIndex(name="spike_times_index", data=np.cumsum(cat(counts, np.int64)),
                    target=spike_times),
    ]
    obs = VectorData(name="obs_intervals", description="recorded interval in seconds",
                     data=np.concatenate(intervals) if intervals else np.zeros((0, 2)))
    columns += [obs, VectorIndex(name="obs_intervals_index",
                                 data=np.arange(1, n_units + 1), target=obs)]
    columns += [
        VectorData(name="population", description="name of the neuron's population",
                   data=cat(pops, object)),
        VectorData(name="neuron", description="index of the neuron within its population",
                   data=cat(neurons, np.int64)),
    ]
    return pynwb.misc.Units(
        name="units", id=ElementIdentifiers(name="id", data=np.arange(n_units)),
        columns=columns, description="simulated neurons, one unit per recorded neuron")


def _series(pynwb: Any, name: str, da: xr.DataArray, description: str) -> Any:
    units = str(da.attrs.get("units", "n/a"))
    si, conversion = SI_UNITS.get(units, (units, 1.0))
    return pynwb.TimeSeries(name=name, data=np.asarray(da.values), unit=si,
                            conversion=conversion,
                            timestamps=np.asarray(da["time_ms"].values, dtype=np.float64) * 1e-3,
                            description=f"{description}; stored in {units}")


def export_nwb(recording: SpikingRecording, path: str | Path, *,
               session_description: str = "netdyn spiking network simulation",
               identifier: str | None = None,
               session_start_time: datetime | None = None) -> Path:
    """Write ``recording`` as an NWB file (contents in the module docstring).

    Parameters
    ----------
    recording
        What the simulation recorded.
    path
        Target ``.nwb`` file; parent directories are created; written atomically (temporary
        file in the same directory, then :func:`os.replace`).
    session_description
        NWB ``session_description``.
    identifier
        NWB ``identifier``; a random UUID4 by default.
    session_start_time
        Timezone-aware start of the session; now (UTC) by default. Spike times are relative
        to it, in seconds.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ImportError
        Without pynwb (``pip install netdyn[nwb]``).
    ConfigError
        ``session_start_time`` without a timezone.
    """
    pynwb = _pynwb()
    start = session_start_time or datetime.now(timezone.utc)
    if start.tzinfo is None:
        raise ConfigError("session_start_time", start, "must be timezone-aware")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)

    nwb = pynwb.NWBFile(
        session_description=session_description,
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=start,
        source_script=f"netdyn {recording.attrs.get('netdyn_version', '')}".strip(),
        source_script_file_name="netdyn",
        notes=f"dt_ms={recording.dt_ms:g}; config={recording.attrs.get('config', '')}",
    )
    if recording.spikes:
        nwb.units = _units_table(pynwb, recording)
    if recording.population_rates:
        mod = nwb.create_processing_module("population_rates", "population rates in Hz")
        for name, da in recording.population_rates.items():
            mod.add(_series(pynwb, name, da.assign_attrs(units="Hz"),
                            f"rate of {name} in bins of {da.attrs.get('bin_ms', '?')} ms"))
    if recording.input_rates:
        mod = nwb.create_processing_module("input_rates", "rates of the inputs in Hz")
        for name, da in recording.input_rates.items():
            mod.add(_series(pynwb, name, da.assign_attrs(units="Hz"), f"rate of input {name}"))
    if any(recording.state.values()):
        mod = nwb.create_processing_module("state", "sampled state variables (time, neuron)")
        for pop, variables in recording.state.items():
            for var, da in variables.items():
                if da.size == 0:
                    continue
                da = da.transpose("time_ms", "neuron")
                neurons = ",".join(str(int(j)) for j in da["neuron"].values)
                mod.add(_series(pynwb, f"{pop}_{var}", da,
                                f"{var} of {pop} neurons [{neurons}]"))

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp.nwb",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with pynwb.NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
