"""Parameters of ``netdyn bench``: the benchmark models timed by netdyn's spiking engine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from netdyn.config.base import Spec
from netdyn.config.simulator import Connectivity, EngineBackend, backend_field, connectivity_field


class CobaBenchConfig(Spec):
    """The COBA benchmark network (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1)."""

    n_neurons: int = Field(4000, ge=10, description="neurons, 80 % excitatory")
    wiring: Literal["bernoulli", "fixed_indegree"] = Field(
        "bernoulli", description="Bernoulli wiring with p = 80 / N, or fixed indegrees 64 E + 16 I")
    integrator: Literal["exp_euler", "euler"] = Field(
        "exp_euler", description="membrane integrator of the cells (euler: Brian2's method='euler')")
    threads: int = Field(1, ge=1, description="threads of the simulation (the same spikes for any number)")
    backend: EngineBackend = backend_field()
    connectivity: Connectivity = connectivity_field()
    duration_ms: float = Field(1000.0, gt=0.0, description="simulated time (ms)")
    seed: int = Field(1, ge=0, description="seed of the wiring and the initial state")


class MicrocircuitBenchConfig(Spec):
    """The Potjans-Diesmann cortical microcircuit (Potjans & Diesmann 2014), down-scaled."""

    scale: float = Field(0.1, gt=0.0, le=1.0, description="fraction of the full model's neurons "
                         "(synapses scale with its square)")
    threads: int = Field(1, ge=1, description="threads of the simulation (the same spikes for any number)")
    backend: EngineBackend = backend_field()
    connectivity: Connectivity = connectivity_field()
    duration_ms: float = Field(1000.0, gt=0.0, description="simulated time (ms)")
    seed: int = Field(1, ge=0, description="seed of the wiring, the initial state and the background input")
