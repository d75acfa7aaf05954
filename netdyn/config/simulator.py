"""Which simulator runs one network, with how many threads, and how its synapses are held:
fields shared by the commands that run a spiking network."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError

Backend = Literal["netdyn", "nest", "gpu"]
"""``netdyn``: netdyn's compiled engine. ``nest``: the same network built and run by NEST
(threads, and MPI ranks when started under ``mpiexec`` with a NEST built with MPI)."""

Connectivity = Literal["stored", "procedural", "auto"]
"""How netdyn's engine holds the synapses of static projections: ``stored`` (drawn once, about
8 bytes per synapse), ``procedural`` (regenerated from a counter-based stream each time their
source spikes: no synapse memory, more work per spike) or ``auto`` (procedural if the stored
network would not fit in memory). See :mod:`netdyn.engines.spiking.procedural`."""

CONNECTIVITY_HELP = ("synapses of static projections: stored (drawn once, ~8 bytes each), procedural "
                     "(regenerated from a counter-based stream at every spike of their source: no synapse "
                     "memory, more work per spike; plastic projections, explicit pairs and rules without "
                     "multapses stay stored) or auto (procedural if stored would not fit in memory); NEST "
                     "stores them")


def connectivity_field() -> Any:
    """The ``connectivity`` field of a configuration that runs netdyn's engine (default
    ``stored``)."""
    return Field("stored", description=CONNECTIVITY_HELP)


EngineBackend = Literal["netdyn", "gpu"]
"""netdyn's own spiking engines: on the CPU, or its step loop on a CUDA GPU."""


def backend_field() -> Any:
    """A ``backend`` field choosing between netdyn's own engines (benchmarks and studies that
    NEST does not run)."""
    return Field("netdyn", description="netdyn's engine on the CPU ('netdyn', over threads) or its step loop on "
                                       "a CUDA GPU ('gpu')")


class SimulatorChoice(Spec):
    """The simulator of a network, its threads and how its synapses are held."""

    backend: Backend = Field("netdyn", description="simulator: netdyn's engine, its GPU step loop ('gpu', CUDA; "
                                                   "static networks) or NEST (threads; MPI ranks under mpiexec)")
    threads: int = Field(1, ge=1, description="threads of one simulation (NEST: per MPI rank); netdyn's engine "
                                              "gives the same numbers for any number")
    connectivity: Connectivity = connectivity_field()

    @model_validator(mode="after")
    def _nest_stores_synapses(self) -> "SimulatorChoice":
        if self.backend == "nest" and self.connectivity == "procedural":
            raise ConfigError("connectivity", self.connectivity, "NEST stores every synapse: use 'stored' (or "
                                                                 "'auto') with backend 'nest'")
        return self
