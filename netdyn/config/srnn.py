"""Parameters of the ``srnn`` study: the basic example and the sweep.

Time is in seconds (``_s``), rates are dimensionless ("Hz"), exponents in 1/s. Execution
choices (workers, scheduler, progress) are not part of a config: they never change a number.
``threads`` (threads inside one work unit) is, and it changes no number either.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError
from netdyn.timegrid import grid_steps

#: Adaptation configurations, as the configs name them (the model's ``ADAPTATIONS``).
CONFIGURATIONS: tuple[str, ...] = ("none", "sfa", "std", "sfa+std")


def _configurations(value: tuple[str, ...]) -> tuple[str, ...]:
    norm = tuple(str(v).strip().lower().replace("_", "+") for v in value)
    bad = [v for v in norm if v not in CONFIGURATIONS]
    if bad:
        raise ValueError(f"unknown configuration(s) {bad}; expected some of {list(CONFIGURATIONS)}")
    if len(set(norm)) != len(norm):
        raise ValueError("configurations must be distinct")
    return tuple(c for c in CONFIGURATIONS if c in norm)  # canonical order


class SRNNBasicConfig(Spec):
    """The reference's basic example: one n = 10 network, four configurations.

    Defaults are the reference's; ``network_seed = 42000`` draws the reference's example network
    "seed 42" (``7000``: "seed 7").
    """

    network_seed: int = Field(42000, ge=0, description="seed of the connectivity (42000 = the reference's 'seed 42')")
    n_units: int = Field(10, ge=2, description="neurons")
    e_fraction: float = Field(0.7, ge=0.0, le=1.0, description="fraction of E neurons (the first ones)")
    mean_degree: float = Field(5.0, gt=0.0, description="mean in/out degree")
    w_ee_factor: float = Field(1.0, ge=0.0, description="multiplies w_EE (the reference's 'bursting' example: 2)")
    tau_a_max_s: float = Field(15.0, gt=0.0, description="slowest of the 3 SFA timescales (s)")
    t_start_s: float = Field(-10.0, description="start of the run (s); t < 0 is the transient")
    t_end_s: float = Field(10.0, description="end of the run (s)")
    dt_s: float = Field(1e-3, gt=0.0, description="integration step and output grid (s), 1/fs")
    method: Literal["rk4", "dopri5"] = Field("rk4", description="integrator (dopri5: max step dt_s)")
    rtol: float = Field(1e-7, gt=0.0, description="dopri5 relative tolerance")
    atol: float = Field(1e-8, gt=0.0, description="dopri5 absolute tolerance")
    lya_dt_s: float = Field(0.0125, gt=0.0, description="Benettin renormalisation interval (s), rounded to the grid")
    d0: float = Field(1e-3, gt=0.0, description="Benettin perturbation norm")
    qr_every: int = Field(12, ge=1, description="QR re-orthonormalisation every this many steps")
    spectrum_exponents: int | None = Field(4, ge=0, description="leading exponents of the QR spectrum (None: all; 0: none)")
    seed: int = Field(11, ge=0, description="seed of the perturbation direction and the initial QR frame")
    runaway_threshold: float = Field(1e3, gt=0.0, description="|state| above which a trajectory counts as unbounded")
    configurations: tuple[str, ...] = Field(CONFIGURATIONS, min_length=1, description="subset of none, sfa, std, sfa+std")
    threads: int = Field(1, ge=1, description="threads inside one configuration's runs (RK4: the batch is split "
                                              "between them; same numbers for any count)")

    @field_validator("configurations")
    @classmethod
    def _check_configurations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _configurations(value)

    @model_validator(mode="after")
    def _consistent(self) -> "SRNNBasicConfig":
        if not all(math.isfinite(v) for v in (self.t_start_s, self.t_end_s)):
            raise ConfigError("t_start_s", self.t_start_s, "times must be finite")
        if self.t_start_s >= 0.0:
            raise ConfigError("t_start_s", self.t_start_s, "must be < 0 (t < 0 is the transient before the LLE average)")
        if self.t_end_s <= 0.0:
            raise ConfigError("t_end_s", self.t_end_s, "must be > 0 (the LLE averages over t >= 0)")
        grid_steps(self.t_end_s - self.t_start_s, self.dt_s, field="t_end_s", step_name="dt_s", origin=self.t_start_s,
                   minimum=1)
        grid_steps(-self.t_start_s, self.dt_s, field="t_start_s", step_name="dt_s", minimum=1)
        if round(self.lya_dt_s / self.dt_s) < 1:
            raise ConfigError("lya_dt_s", self.lya_dt_s, f"must be at least dt_s/2 = {self.dt_s / 2}")
        return self


class SRNNSweepConfig(Spec):
    """The paper's claims at scale: random networks x weight scale x adaptation x timescale.

    Every network ``k`` (the work unit) is drawn from ``SeedSequence(seed, spawn_key=(k,))``
    by the reference's generator (strongly connected, Dale's law) with block scales
    ``w_xy = factor_xy * 0.5 / 0.79782``; the weight scale multiplies all weights. The
    slowest adaptation timescale ``tau`` sets the SFA timescales
    ``logspace(tau_a_min_s, tau, n_sfa)`` and the STD recovery ``tau_b = tau`` with onset
    ``tau_STD = std_onset_ratio * tau`` (the reference's ratio 0.5 / 2 keeps the STD steady
    state ``b* = 1 / (1 + 4 r*)`` independent of ``tau``).
    """

    networks: int = Field(6, ge=1, description="random networks (work units 0 .. networks-1)")
    n_units: int = Field(200, ge=2, description="neurons per network")
    e_fraction: float = Field(0.8, ge=0.0, le=1.0, description="fraction of E neurons")
    mean_degree: float = Field(10.0, gt=0.0, description="mean in/out degree (sparse: density = degree / (n - 1))")
    w_ee: float = Field(1.0, ge=0.0, description="E->E block factor (x 0.5/0.79782)")
    w_ei: float = Field(1.0, ge=0.0, description="E->I block factor")
    w_ie: float = Field(1.0, ge=0.0, description="I->E block factor")
    w_ii: float = Field(0.5, ge=0.0, description="I->I block factor")
    weight_scales: tuple[float, ...] = Field((0.125, 0.25, 0.5, 1.0, 2.0, 4.0), min_length=1,
                                             description="global weight scales (one batch column each)")
    configurations: tuple[str, ...] = Field(CONFIGURATIONS, min_length=1, description="subset of none, sfa, std, sfa+std")
    tau_slowest_s: tuple[float, ...] = Field((2.0, 15.0), min_length=1, description="slowest adaptation timescales (s)")
    tau_a_min_s: float = Field(0.3, gt=0.0, description="fastest SFA timescale (s)")
    n_sfa: int = Field(3, ge=1, description="SFA timescales per E neuron")
    std_onset_ratio: float = Field(0.25, gt=0.0, description="tau_STD / tau_b")
    tau_d_s: float = Field(0.025, gt=0.0, description="dendritic time constant (s)")
    input_dc: float = Field(0.1, description="constant external input of every neuron, reached by a linear ramp")
    input_ramp_s: float = Field(1.0, ge=0.0, description="length of the input ramp from the start (s)")
    transient_s: float = Field(2.0, gt=0.0, description="run before t = 0, not averaged (s)")
    duration_s: float = Field(4.0, gt=0.0, description="averaging span after the transient (s)")
    dt_s: float = Field(1e-3, gt=0.0, description="RK4 step (s)")
    lya_dt_s: float = Field(0.0125, gt=0.0, description="Benettin renormalisation interval (s)")
    d0: float = Field(1e-3, gt=0.0, description="Benettin perturbation norm")
    qr_every: int = Field(12, ge=1, description="QR re-orthonormalisation every this many steps")
    spectrum_exponents: int = Field(2, ge=0, description="leading exponents of the QR spectrum (0: none)")
    runaway_threshold: float = Field(1e3, gt=0.0, description="|state| above which a network counts as unbounded")
    seed: int = Field(2024, ge=0, description="root seed; network k uses SeedSequence(seed, spawn_key=(k,))")
    threads: int = Field(1, ge=1, description="threads inside one network's runs (the weight-scale columns are split "
                                              "between them; same numbers for any count). Networks already run in "
                                              "parallel over --workers: ask for threads when networks are few and large")

    @field_validator("configurations")
    @classmethod
    def _check_configurations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _configurations(value)

    @field_validator("weight_scales", "tau_slowest_s")
    @classmethod
    def _positive_distinct(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        if any(not (math.isfinite(v) and v > 0) for v in values):
            raise ValueError("every value must be a finite number > 0")
        if len(set(values)) != len(values):
            raise ValueError("values must be distinct")
        return tuple(sorted(values))

    @model_validator(mode="after")
    def _consistent(self) -> "SRNNSweepConfig":
        if not math.isfinite(self.input_dc):
            raise ConfigError("input_dc", self.input_dc, "must be finite")
        grid_steps(self.transient_s, self.dt_s, field="transient_s", step_name="dt_s", minimum=1)
        grid_steps(self.duration_s, self.dt_s, field="duration_s", step_name="dt_s", minimum=1)
        deci = round(self.lya_dt_s / self.dt_s)
        if deci < 1:
            raise ConfigError("lya_dt_s", self.lya_dt_s, f"must be at least dt_s/2 = {self.dt_s / 2}")
        if self.qr_every * self.dt_s > self.duration_s:
            raise ConfigError("qr_every", self.qr_every, "one QR interval is longer than duration_s")
        if min(self.tau_slowest_s) < self.tau_a_min_s:
            raise ConfigError("tau_slowest_s", self.tau_slowest_s, f"must be >= tau_a_min_s={self.tau_a_min_s}")
        return self

    @property
    def t_start_s(self) -> float:
        return -self.transient_s

    @property
    def t_end_s(self) -> float:
        return self.duration_s
