"""What a cell receives: synaptic inputs at sites (explicit spike times, Poisson trains,
sequences along a branch), current and voltage clamps.

Spike times are in ms from the start of the run. Random trains come from named streams of
the root seed (:func:`netdyn.seeding.named_generator`), so each input's train depends only
on the seed and the input's name, not on how many other inputs there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from netdyn.cells.morphology import Morphology, Site
from netdyn.errors import ConfigError
from netdyn.seeding import named_generator

__all__ = ["CurrentClamp", "Receptors", "SynapticInput", "VoltageClamp", "poisson_times", "sequence_inputs"]

Receptors = Literal["ampa", "ampa+nmda", "nmda", "gaba"]


@dataclass(frozen=True)
class SynapticInput:
    """Presynaptic spikes arriving at one site.

    Parameters
    ----------
    site
        Where the synapse is.
    receptors
        ``"ampa"``, ``"ampa+nmda"`` (both opened by every spike, as one glutamatergic
        synapse), ``"nmda"`` or ``"gaba"``; their kinetics and peak conductances are the
        cell's :class:`~netdyn.config.biophysics.Synapses`.
    spike_times_ms
        Presynaptic spike times (ms), sorted, >= 0.
    weight
        Multiplies the peak conductances of this synapse (dimensionless).
    """

    site: Site
    receptors: Receptors
    spike_times_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    weight: float = 1.0

    def __post_init__(self) -> None:
        times = np.ascontiguousarray(self.spike_times_ms, dtype=np.float64).ravel()
        if times.size and (not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) < 0)):
            raise ConfigError("spike_times_ms", times[:5].tolist(), "must be finite, >= 0 and sorted")
        if self.receptors not in ("ampa", "ampa+nmda", "nmda", "gaba"):
            raise ConfigError("receptors", self.receptors, "expected one of ampa, ampa+nmda, nmda, gaba")
        if not (np.isfinite(self.weight) and self.weight >= 0):
            raise ConfigError("weight", self.weight, "must be finite and >= 0")
        times.setflags(write=False)
        object.__setattr__(self, "spike_times_ms", times)


@dataclass(frozen=True)
class CurrentClamp:
    """A current step injected at ``site``: ``amplitude_nA`` from ``start_ms`` for ``duration_ms``."""

    site: Site
    amplitude_nA: float
    start_ms: float = 0.0
    duration_ms: float = float("inf")


@dataclass(frozen=True)
class VoltageClamp:
    """``site`` held at ``v_mV`` through a series resistance (MOhm); the clamp current (nA,
    positive out of the electrode into the cell) is recorded. ``steps``: ``(time_ms, v_mV)``
    pairs, in increasing time, after which the clamp holds ``v_mV`` (none: ``v_mV`` for the
    whole run); a step acts from the start of the time step its time falls in."""

    site: Site
    v_mV: float
    series_resistance_MOhm: float = 0.01
    steps: tuple[tuple[float, float], ...] = ()


def poisson_times(rate_hz: float, duration_ms: float, seed: int, *name: str | int) -> np.ndarray:
    """Spike times (ms) of a homogeneous Poisson train at ``rate_hz`` in [0, duration_ms),
    drawn from the named stream ``(seed, "poisson", *name)``."""
    if not (rate_hz >= 0 and np.isfinite(rate_hz)):
        raise ConfigError("rate_hz", rate_hz, "must be finite and >= 0")
    rng = named_generator(seed, "poisson", *name)
    n = rng.poisson(rate_hz * duration_ms * 1e-3)
    return np.sort(rng.uniform(0.0, duration_ms, size=n))


def sequence_inputs(morphology: Morphology, sites: Sequence[Site], *, direction: Literal["centripetal", "centrifugal"],
                    speed_um_per_ms: float, start_ms: float, receptors: Receptors = "ampa+nmda",
                    weight: float = 1.0) -> list[SynapticInput]:
    """One spike at each of ``sites``, in order of distance from the soma: towards the soma
    (``"centripetal"``, the farthest first) or away from it (``"centrifugal"``).

    The first site is activated at ``start_ms`` and each later one when a wave moving at
    ``speed_um_per_ms`` along the path reaches it (Branco, Clark & Hausser 2010 activated
    spines in sequence at fixed intervals; the speed is their distance over the interval).
    """
    if direction not in ("centripetal", "centrifugal"):
        raise ConfigError("direction", direction, "expected centripetal or centrifugal")
    if not (speed_um_per_ms > 0 and np.isfinite(speed_um_per_ms)):
        raise ConfigError("speed_um_per_ms", speed_um_per_ms, "must be finite and > 0")
    for s in sites:
        morphology.locate(s)
    distances = np.array([s.distance_um for s in sites], dtype=float)
    order = np.argsort(distances, kind="stable")
    if direction == "centripetal":
        order = order[::-1]
    first = distances[order[0]]
    out = [None] * len(sites)
    for k in order:
        t = start_ms + abs(distances[k] - first) / speed_um_per_ms
        out[k] = SynapticInput(sites[k], receptors, np.array([t]), weight)
    return out
