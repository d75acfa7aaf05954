"""Parameters of the ``chaos`` study, with the seed's defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError
from netdyn.timegrid import grid_steps


class ChaosConfig(Spec):
    """Synaptic upscaling and chaos: sessions x gains x trials of twin rate trajectories.

    Every field has the seed's value as default; units are in the names. Execution choices
    (number of workers, scheduler) are not part of the config: they never change a number.
    ``threads`` is, since it is a choice per session, and it changes no number either (a
    rerun into the same directory must give the same value to resume).
    """

    sessions: int = Field(5, ge=1, description="number of random networks; sessions are numbered 1..sessions")
    trials: int = Field(20, ge=1, description="initial states per session, shared by all gains")
    gains: tuple[float, ...] = Field((1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0), min_length=1, description="upscaling factors g")
    n_neurons: int = Field(200, ge=2, description="units per network")
    p: float = Field(0.1, gt=0.0, le=1.0, description="connection probability")
    sigma: float | None = Field(None, gt=0.0, description="weight standard deviation; none: 1 / (n_neurons p)")
    tau_ms: float = Field(20.0, gt=0.0, description="rate time constant (ms)")
    duration_ms: float = Field(7000.0, gt=0.0, description="simulated time per trajectory (ms)")
    dt_ms: float = Field(1.0, gt=0.0, description="integration step (ms)")
    method: Literal["euler", "rk4", "exp_euler"] = Field("euler", description="integrator")
    dtype: Literal["float64", "float32"] = Field("float64", description="floating-point type of the simulation")
    seed: int = Field(1234, ge=0, description="root seed; session s uses SeedSequence(seed, spawn_key=(s,))")
    perturbation: float = Field(1e-4, gt=0.0, description="shift of every unit of the twin's initial state")
    chaos_min_gain: float = Field(10.0, description="exponents are estimated for g >= this")
    final_threshold: float = Field(1.0, gt=0.0, description="trials whose final divergence is >= this are 'non-stable'")
    cut_fraction: float = Field(0.8, gt=0.0, le=1.0, description="fit log D(t) before it first reaches this fraction of its max")
    example_unit: int | None = Field(None, ge=0, description="unit of the example traces; none: min(100, n_neurons - 1)")
    example_trial: int | None = Field(None, ge=0, description="trial of the example traces; none: min(1, trials - 1)")
    example_duration_ms: float = Field(2000.0, gt=0.0, description="length of the example traces (ms)")
    threads: int = Field(1, ge=1, description="threads inside one session's simulation (the batch is split between "
                                              "them; same numbers for any count). Sessions already run in parallel "
                                              "over --workers: ask for threads when sessions are few and large")
    backend: Literal["numba", "gpu"] = Field("numba", description="integrator: 'numba' (CPU, over threads) or 'gpu' "
                                                                   "(CUDA: a session's batch on the device; its "
                                                                   "round-off differs from the CPU's, so chaotic "
                                                                   "trajectories part, while the exponents agree "
                                                                   "within the spread over sessions)")
    store_trial_divergence: bool = Field(False, description="also store d(t) of every trial (float32; 4.5 MB per session at the defaults)")

    @field_validator("gains")
    @classmethod
    def _gains_finite_unique(cls, gains: tuple[float, ...]) -> tuple[float, ...]:
        import math

        if any(not math.isfinite(g) or g < 0 for g in gains):
            raise ValueError("every gain must be a finite number >= 0")
        if len(set(gains)) != len(gains):
            raise ValueError("gains must be distinct")
        return gains

    @model_validator(mode="after")
    def _consistent(self) -> "ChaosConfig":
        grid_steps(self.duration_ms, self.dt_ms, field="duration_ms", step_name="dt_ms", minimum=1)
        if self.example_unit is not None and self.example_unit >= self.n_neurons:
            raise ConfigError("example_unit", self.example_unit, f"must be < n_neurons={self.n_neurons}")
        if self.example_trial is not None and self.example_trial >= self.trials:
            raise ConfigError("example_trial", self.example_trial, f"must be < trials={self.trials}")
        return self

    @property
    def weight_std(self) -> float:
        """sigma, or its default 1 / (n_neurons p)."""
        return self.sigma if self.sigma is not None else 1.0 / (self.n_neurons * self.p)

    @property
    def n_steps(self) -> int:
        return int(round(self.duration_ms / self.dt_ms))

    @property
    def unit_index(self) -> int:
        return self.example_unit if self.example_unit is not None else min(100, self.n_neurons - 1)

    @property
    def trial_index(self) -> int:
        return self.example_trial if self.example_trial is not None else min(1, self.trials - 1)
