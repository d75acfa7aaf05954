"""Parameters of the ``multiarea`` study: the down-scaled multi-area model of macaque visual
cortex (Schmidt et al. 2018), its simulation, analysis and mean-field theory.

A configuration names a preset (``ground``: scale 0.005, chi = chi_I = 1, the 2023 notebook;
``metastable``: scale 0.006, chi = 1.9, chi_I = 2, the current notebook), and every field of
the preset can be overridden. Units are in the names (ms, Hz). Execution choices (workers,
scheduler, progress) are not part of a config: they never change a number.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from netdyn.config.base import OverSeeds, Spec
from netdyn.config.simulator import Connectivity, EngineBackend, SimulatorChoice, backend_field, connectivity_field
from netdyn.errors import ConfigError
from netdyn.timegrid import grid_steps

#: Scale and cortico-cortical weight factors of the named configurations.
PRESET_VALUES: dict[str, dict[str, float]] = {
    "ground": {"scale": 0.005, "chi": 1.0, "chi_i": 1.0},
    "metastable": {"scale": 0.006, "chi": 1.9, "chi_i": 2.0},
}


class MultiAreaModelConfig(Spec):
    """The model: preset, scale, cortico-cortical weight factors, areas."""

    preset: Literal["ground", "metastable"] = Field(
        "ground", description="named configuration: ground (scale 0.005, chi = chi_I = 1) or metastable "
        "(scale 0.006, chi = 1.9, chi_I = 2); the fields below override it")
    scale: float | None = Field(None, gt=0.0, le=1.0, description="down-scaling of neuron numbers and "
                                "indegrees; none: the preset's")
    chi: float | None = Field(None, ge=0.0, description="factor of the cortico-cortical weights; "
                              "none: the preset's")
    chi_i: float | None = Field(None, ge=0.0, description="further factor of cortico-cortical weights onto "
                                "inhibitory populations; none: the preset's")
    areas: tuple[str, ...] | None = Field(None, min_length=1, description="areas to simulate, e.g. "
                                          "V1,V2,FEF (none: all 32); the others are replaced as replace_cc says")
    replace_cc: Literal["het_poisson_stat", "hom_poisson_stat", "none"] = Field(
        "het_poisson_stat", description="input standing for non-simulated areas: Poisson at the full-scale "
        "reference rates (het), at rate_ext_hz (hom), or none")
    g: float = Field(-11.0, lt=0.0, description="relative inhibitory weight")
    rate_ext_hz: float = Field(10.0, gt=0.0, description="rate of each external Poisson input (spikes/s)")
    scale_weight_sd: bool = Field(False, description="scale the weight SD with the mean when down-scaling "
                                  "(the reference keeps its full-scale value)")

    @field_validator("areas")
    @classmethod
    def _distinct_areas(cls, areas: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if areas is not None and len(set(areas)) != len(areas):
            raise ValueError("areas must be distinct")
        return areas  # that they are areas of the model is the study's check

    def resolved(self, name: str) -> float:
        """``scale``, ``chi`` or ``chi_i``: the field, or the preset's value."""
        value = getattr(self, name)
        return float(PRESET_VALUES[self.preset][name] if value is None else value)

    def model_arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`netdyn.models.multiarea.multiarea_parameters`."""
        return {"scale": self.resolved("scale"), "chi": self.resolved("chi"), "chi_i": self.resolved("chi_i"),
                "g": self.g, "rate_ext_hz": self.rate_ext_hz, "areas": self.areas,
                "replace": None if self.replace_cc == "none" else self.replace_cc,
                "scale_weight_sd": self.scale_weight_sd}


class MultiAreaConfig(MultiAreaModelConfig, SimulatorChoice):
    """A simulation of the multi-area model, its analysis and the mean field beside it, on
    netdyn's engine or on NEST (``backend``; under ``mpiexec`` with a NEST built with MPI)."""

    t_sim_ms: float = Field(2000.0, gt=0.0, description="simulated time (ms)")
    transient_ms: float = Field(500.0, ge=0.0, description="initial time left out of every statistic (ms)")
    seed: int = Field(1, ge=0, description="seed of the wiring, the initial state and the Poisson input")
    correlation_neurons: int = Field(2000, ge=2, description="spiking neurons per population whose "
                                     "correlation coefficients are averaged")

    @model_validator(mode="after")
    def _after_transient(self) -> "MultiAreaConfig":
        if not self.t_sim_ms > self.transient_ms:
            raise ConfigError("t_sim_ms", self.t_sim_ms, f"must exceed transient_ms = {self.transient_ms}: every "
                              "statistic leaves out the transient")
        return self


class MultiAreaSeedsConfig(OverSeeds, MultiAreaConfig):
    """The simulation over several seeds, each seed one work unit; ``seed`` is not used."""


class MultiAreaTheoryConfig(MultiAreaModelConfig):
    """The mean-field theory of the multi-area model (Schuecker et al. 2017): the pseudo-dynamics
    of the population rates with the Siegert transfer function."""

    t_end_ms: float = Field(50.0, gt=0.0, description="integration time of the pseudo-dynamics (ms)")
    dt_ms: float = Field(0.1, gt=0.0, description="step of the exponential Euler integration (ms)")
    tau_r_ms: float = Field(1.0, gt=0.0, description="time constant of the pseudo-dynamics (ms)")

    @model_validator(mode="after")
    def _grid(self) -> "MultiAreaTheoryConfig":
        grid_steps(self.t_end_ms, self.dt_ms, field="t_end_ms", step_name="dt_ms", minimum=1)
        return self


class MultiAreaBenchConfig(MultiAreaModelConfig):
    """The multi-area model timed by netdyn's engine (build, simulation, analysis)."""

    t_sim_ms: float = Field(2000.0, gt=0.0, description="simulated time (ms)")
    seed: int = Field(1, ge=0, description="seed of the wiring, the initial state and the Poisson input")
    threads: int = Field(1, ge=1, description="threads of the simulation")
    backend: EngineBackend = backend_field()
    connectivity: Connectivity = connectivity_field()
