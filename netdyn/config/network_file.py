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

from pydantic import Field, model_validator

from netdyn.config.simulator import SimulatorChoice
from netdyn.errors import ConfigError

DEFAULT_TRANSIENT_MS = 200.0
"""The transient left out of the statistics when none is given (ms), at most half the run."""


class RunSettings(SimulatorChoice):
    """How a network file is run (the optional ``[run]`` table; flags override it): how long,
    what the statistics leave out, and the simulator (``backend``, ``threads``)."""

    duration_ms: float = Field(1000.0, gt=0, description="simulated time (ms)")
    transient_ms: float | None = Field(
        None, ge=0, description="initial time left out of the statistics (ms); none: "
        f"min({DEFAULT_TRANSIENT_MS:g} ms, duration_ms / 2)")

    @model_validator(mode="after")
    def _transient_within_the_run(self) -> "RunSettings":
        if self.transient_ms is not None and self.transient_ms >= self.duration_ms:
            raise ConfigError("transient_ms", self.transient_ms, f"must be < duration_ms = {self.duration_ms:g}")
        return self

    @property
    def transient(self) -> float:
        """The transient in ms: ``transient_ms``, or min(200 ms, ``duration_ms`` / 2)."""
        if self.transient_ms is not None:
            return float(self.transient_ms)
        return min(DEFAULT_TRANSIENT_MS, self.duration_ms / 2)
