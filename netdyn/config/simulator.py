"""Which simulator runs one network, and with how many threads: fields shared by the commands
that run a spiking network."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from netdyn.config.base import Spec

Backend = Literal["netdyn", "nest"]
"""``netdyn``: netdyn's compiled engine. ``nest``: the same network built and run by NEST
(threads, and MPI ranks when started under ``mpiexec`` with a NEST built with MPI)."""


class SimulatorChoice(Spec):
    """The simulator of a network and its threads."""

    backend: Backend = Field("netdyn", description="simulator: netdyn's engine or NEST (threads; MPI ranks "
                                                   "under mpiexec)")
    threads: int = Field(1, ge=1, description="threads of one simulation (NEST: per MPI rank); netdyn's engine "
                                              "gives the same numbers for any number")
