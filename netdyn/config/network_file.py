"""Run settings of a user's network file: how long ``netdyn run`` / ``netdyn sweep`` simulate
it, what they leave out of the statistics and which simulator runs it.

A network file is a :class:`~netdyn.models.spiking.spec.NetworkSpec` saved as TOML or JSON
(``spec.save("net.toml")``), optionally with a ``[run]`` table of these keys beside the
network's own::

    dt_ms = 0.1
    [[populations]]
    ...
    [run]
    duration_ms = 2000.0
    transient_ms = 500.0

Command-line flags win over the table; the table wins over the defaults below.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError

DEFAULT_TRANSIENT_MS = 200.0
"""The transient left out of the statistics when none is given (ms), at most half the run."""


class RunSettings(Spec):
    """How a network file is run (the optional ``[run]`` table; flags override it)."""

    duration_ms: float = Field(1000.0, gt=0, description="simulated time (ms)")
    transient_ms: float | None = Field(
        None, ge=0, description="initial time left out of the statistics (ms); none: "
        f"min({DEFAULT_TRANSIENT_MS:g} ms, duration_ms / 2)")
    backend: Literal["netdyn", "nest"] = Field("netdyn", description="simulator that builds and runs the network")
    threads: int = Field(1, ge=1, description="threads of one simulation (NEST: per MPI rank; netdyn runs one)")

    @model_validator(mode="after")
    def _check(self) -> "RunSettings":
        if self.transient_ms is not None and self.transient_ms >= self.duration_ms:
            raise ConfigError("transient_ms", self.transient_ms, f"must be < duration_ms = {self.duration_ms:g}")
        if self.backend == "netdyn" and self.threads != 1:
            # the engine's own rule (netdyn.engines.spiking.Network), stated before anything runs
            raise ConfigError("threads", self.threads, "the netdyn engine runs one thread per simulation (a "
                              "sweep runs simulations in parallel with --workers); --backend nest runs threads")
        return self

    @property
    def transient(self) -> float:
        """The transient in ms: ``transient_ms``, or min(200 ms, ``duration_ms`` / 2)."""
        if self.transient_ms is not None:
            return float(self.transient_ms)
        return min(DEFAULT_TRANSIENT_MS, self.duration_ms / 2)
