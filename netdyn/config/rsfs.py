"""Parameters of the ``rsfs`` study: the AdEx network of the seed's README (4000 regular-spiking
and 1000 fast-spiking neurons driven by an afferent Gaussian bump).

Units are in the names (ms, Hz). Execution choices (workers, scheduler, progress) are not part
of the config: they never change a number.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from netdyn.config.base import OverSeeds
from netdyn.config.simulator import SimulatorChoice
from netdyn.errors import ConfigError

RSFS_MODEL: dict[str, Any] = {
    "N_Exc": 4000, "N_Inh": 1000, "N_AffExc": 400,
    "Q_Exc_Exc": 1.0, "Q_Exc_Inh": 1.0, "Q_AffExc_Exc": 1.0, "Q_AffExc_Inh": 1.0,
    "Q_Inh_Exc": 4.0, "Q_Inh_Inh": 4.0,
    "Tsyn_Exc": 5.0, "Tsyn_Inh": 5.0, "Erev_Exc": 0.0, "Erev_Inh": -80.0,
    "p_Exc_Exc": 0.05, "p_Exc_Inh": 0.05, "p_Inh_Exc": 0.05, "p_Inh_Inh": 0.05,
    "p_AffExc_Exc": 0.5, "p_AffExc_Inh": 0.5,
    "dt": 0.1, "tstop": 1500.0, "SEED": 3,
    "Exc_Gl": 10.0, "Exc_Cm": 200.0, "Exc_Trefrac": 5.0, "Exc_El": -70.0, "Exc_Vthre": -50.0,
    "Exc_Vreset": -70.0, "Exc_deltaV": 2.0, "Exc_a": 0.0, "Exc_b": 40.0, "Exc_tauw": 500.0,
    "Inh_Gl": 10.0, "Inh_Cm": 200.0, "Inh_Trefrac": 5.0, "Inh_El": -70.0, "Inh_Vthre": -50.0,
    "Inh_Vreset": -70.0, "Inh_deltaV": 0.5, "Inh_a": 0.0, "Inh_b": 0.0, "Inh_tauw": 1e9,
}
"""The seed README's Model dict, with the current key names (Tsyn_*, Erev_*)."""


class RsfsConfig(SimulatorChoice):
    """Parameters of the rsfs study (the README's values by default), on netdyn's engine or on
    NEST (``backend``; NEST draws Poisson afferents only)."""

    seed: int = Field(5, ge=0, description="root seed of wiring, initial state and afferent events")
    tstop_ms: float = Field(1500.0, gt=0, description="simulated time (ms)")
    dt_ms: float = Field(0.1, gt=0, description="integration step (ms)")
    n_exc: int = Field(4000, ge=1, description="excitatory (regular-spiking, adapting) neurons")
    n_inh: int = Field(1000, ge=1, description="inhibitory (fast-spiking) neurons")
    n_aff: int = Field(400, ge=1, description="afferent population size (K_aff = p N_aff = N_aff / 2)")
    baseline_hz: float = Field(4.0, ge=0, description="afferent baseline rate (Hz)")
    bump_hz: float = Field(4.0, description="amplitude of the afferent Gaussian bump (Hz)")
    bump_center_ms: float = Field(1000.0, description="time of the bump's peak (ms)")
    bump_sigma_ms: float = Field(100.0, gt=0, description="width (standard deviation) of the bump (ms)")
    afferent_statistics: Literal["bernoulli", "poisson"] = Field(
        "bernoulli", description="at most one afferent event per step (the seed) or Poisson counts")
    record_vm: int = Field(4, ge=0, description="neurons per population whose V is recorded")

    @model_validator(mode="after")
    def _nest_afferents(self) -> "RsfsConfig":
        if self.backend == "nest" and self.afferent_statistics == "bernoulli":
            raise ConfigError("afferent_statistics", self.afferent_statistics,
                              "NEST's generators draw Poisson counts; at most one afferent event per step has "
                              "no NEST counterpart: use afferent_statistics 'poisson' with backend 'nest'")
        return self

    def model_dict(self) -> dict[str, Any]:
        """The seed's Model dict with this configuration's sizes and times."""
        return {**RSFS_MODEL, "N_Exc": self.n_exc, "N_Inh": self.n_inh, "N_AffExc": self.n_aff,
                "dt": self.dt_ms, "tstop": self.tstop_ms, "SEED": self.seed}

    def afferent_rate(self) -> dict[str, Any]:
        return {"kind": "gaussian", "baseline_hz": self.baseline_hz, "amplitude_hz": self.bump_hz,
                "center_ms": self.bump_center_ms, "sigma_ms": self.bump_sigma_ms}


class RsfsSeedsConfig(OverSeeds, RsfsConfig):
    """The rsfs network over several seeds, each seed one work unit; ``seed`` is not used."""
