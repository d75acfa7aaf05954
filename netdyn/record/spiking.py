"""Containers for what a spiking simulation recorded.

A :class:`SpikingRecording` is what :meth:`netdyn.engines.spiking.Network.recording` returns,
what :mod:`netdyn.io.hdf5` writes and reads back, and what the analysis functions
(:mod:`netdyn.analysis.spikes`) and the activity figure (:mod:`netdyn.plots.activity`) take.
Units: times in ms, rates in Hz, membrane potentials in mV, currents in pA, conductances in nS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from netdyn.errors import ConfigError


@dataclass(frozen=True)
class SpikeTrains:
    """The spikes of one population, as two parallel arrays sorted by time.

    Attributes
    ----------
    population
        Name of the population.
    n_neurons
        Size of the population (recorded or not).
    times_ms
        Spike times in ms, float64, non-decreasing.
    senders
        Index of the spiking neuron within its population (0 .. n_neurons-1), int32.
    t_start_ms, t_stop_ms
        The recorded interval ``[t_start_ms, t_stop_ms)``.
    recorded
        Indices of the neurons whose spikes were recorded; ``None`` means all of them.
    """

    population: str
    n_neurons: int
    times_ms: np.ndarray
    senders: np.ndarray
    t_start_ms: float
    t_stop_ms: float
    recorded: np.ndarray | None = None

    def __post_init__(self) -> None:
        times = np.ascontiguousarray(self.times_ms, dtype=np.float64)
        senders = np.ascontiguousarray(self.senders, dtype=np.int32)
        if times.shape != senders.shape or times.ndim != 1:
            raise ConfigError("senders", senders.shape, f"must have the shape of times_ms {times.shape}")
        if senders.size and (senders.min() < 0 or senders.max() >= self.n_neurons):
            raise ConfigError("senders", int(senders.max()), f"indices must lie in [0, {self.n_neurons})")
        object.__setattr__(self, "times_ms", times)
        object.__setattr__(self, "senders", senders)
        if self.recorded is not None:
            object.__setattr__(self, "recorded", np.asarray(self.recorded, dtype=np.int64))

    @property
    def n_spikes(self) -> int:
        return int(self.times_ms.size)

    @property
    def n_recorded(self) -> int:
        """Number of neurons whose spikes were recorded."""
        return self.n_neurons if self.recorded is None else int(self.recorded.size)

    @property
    def duration_ms(self) -> float:
        return float(self.t_stop_ms - self.t_start_ms)

    def window(self, t_start_ms: float, t_stop_ms: float) -> "SpikeTrains":
        """The spikes with ``t_start_ms <= t < t_stop_ms`` (a new object; arrays are views)."""
        lo = int(np.searchsorted(self.times_ms, t_start_ms, side="left"))
        hi = int(np.searchsorted(self.times_ms, t_stop_ms, side="left"))
        return SpikeTrains(self.population, self.n_neurons, self.times_ms[lo:hi], self.senders[lo:hi],
                           float(t_start_ms), float(t_stop_ms), self.recorded)

    def trains(self) -> list[np.ndarray]:
        """One sorted array of spike times (ms) per neuron of the population."""
        order = np.argsort(self.senders, kind="stable")
        counts = np.bincount(self.senders, minlength=self.n_neurons)
        return np.split(self.times_ms[order], np.cumsum(counts)[:-1])


@dataclass
class SpikingRecording:
    """Everything one simulation recorded.

    Attributes
    ----------
    dt_ms
        Integration step.
    t_start_ms, t_stop_ms
        The simulated interval.
    spikes
        Population name -> :class:`SpikeTrains`.
    state
        Population name -> variable name -> DataArray ``(time_ms, neuron)`` of sampled state
        (``neuron`` holds indices within the population; ``attrs["units"]`` the unit).
    population_rates
        Population name -> DataArray ``(time_ms,)`` of the population rate in Hz, in bins of
        ``attrs["bin_ms"]``; ``time_ms`` is the start of each bin.
    input_rates
        Input name -> DataArray ``(time_ms,)``: the rate in Hz that drove that input.
    attrs
        Provenance: ``config`` (JSON), ``netdyn_version``, ``seed`` and whatever the caller adds.
    """

    dt_ms: float
    t_start_ms: float
    t_stop_ms: float
    spikes: dict[str, SpikeTrains] = field(default_factory=dict)
    state: dict[str, dict[str, xr.DataArray]] = field(default_factory=dict)
    population_rates: dict[str, xr.DataArray] = field(default_factory=dict)
    input_rates: dict[str, xr.DataArray] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def populations(self) -> list[str]:
        """Names of the populations, in the order of the model."""
        names = list(self.spikes)
        for group in (self.state, self.population_rates):
            names += [p for p in group if p not in names]
        return names

    def spike_digest(self) -> str:
        """SHA-256 (hex) of the canonical spike list: for each population in sorted name order,
        its name, then its spikes as (step, neuron) int64 pairs sorted by step then neuron
        (step = spike time / dt, rounded). Two runs with the same digest made the same spikes,
        whatever order a simulator emitted them in (threads, MPI ranks, chunks)."""
        h = hashlib.sha256()
        for name in sorted(self.spikes):
            trains = self.spikes[name]
            steps = np.rint(np.asarray(trains.times_ms) / self.dt_ms).astype(np.int64)
            ids = np.asarray(trains.senders).astype(np.int64)
            order = np.lexsort((ids, steps))
            h.update(name.encode("utf-8") + b"\0")
            h.update(np.stack([steps[order], ids[order]], axis=1).astype("<i8").tobytes())
        return h.hexdigest()

