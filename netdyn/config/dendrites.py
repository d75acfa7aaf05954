"""Parameters of the ``dendrites`` study: synaptic integration in morphologically detailed
neurons, one configuration per protocol (:data:`PROTOCOL_CONFIGS`).

Every protocol shares :class:`DendritesConfig`: the cell (a Ball-and-Rall's tree with its
parameters, or an SWC file), its :class:`~netdyn.config.biophysics.Biophysics` (a nested
field, set from a TOML/JSON file with ``--config``), the time step, the seed and the threads.
The defaults are the numbers of the library this study grows from (Y. Zerlaut's
``neural_network_dynamics``: g_leak 0.29 pS/um^2, c_m 0.91 uF/cm^2, R_i 100 Ohm cm, E_leak
-75 mV; AMPA 1 nS, rise 0.5 ms, decay 5 ms; NMDA/AMPA 2.7, rise 3 ms, decay 70 ms, block
1 / (1 + 0.33 [Mg] exp(-0.08 V)), Jahr & Stevens 1990).

Units are in the names (ms, um, nA, Hz, mV). Execution choices (output directory, progress,
figures) are not part of a configuration: they never change a number.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from netdyn.config.biophysics import Biophysics
from netdyn.config.base import Spec
from netdyn.errors import ConfigError

__all__ = [
    "PROTOCOL_CONFIGS",
    "BombardmentConfig",
    "BRANCO2010_INTERVALS_MS",
    "Branco2010Config",
    "branco2010_biophysics",
    "BrtIntegrationConfig",
    "DendritesConfig",
    "VoltageGradientConfig",
]

ExcitatoryReceptors = Literal["ampa", "ampa+nmda"]


class DendritesConfig(Spec):
    """What every protocol of the dendrites study shares: the cell and the integration."""

    morphology: str = Field("brt", description="'brt' (a Ball-and-Rall's tree with the brt_* parameters) "
                            "or the path of an SWC file")
    remove_axon: bool = Field(False, description="drop the axon of an SWC morphology")
    brt_levels: int = Field(5, ge=1, le=12, description="Ball-and-Rall's tree: branching levels (the root "
                            "branch is level 1)")
    brt_branch_length_um: float = Field(100.0, gt=0.0, description="Ball-and-Rall's tree: length of every "
                                        "branch (um)")
    brt_soma_radius_um: float = Field(5.0, gt=0.0, description="Ball-and-Rall's tree: soma radius (um)")
    brt_root_diameter_um: float = Field(2.0, gt=0.0, description="Ball-and-Rall's tree: diameter of the "
                                        "root branch (um)")
    brt_diameter_factor: float = Field(0.5 ** (2.0 / 3.0), gt=0.0, le=1.0,
                                       description="Ball-and-Rall's tree: daughter / parent diameter (Rall's "
                                       "3/2 power rule: 2^(-2/3))")
    biophysics: Biophysics = Field(default_factory=Biophysics, description="membrane, channels, synapses and "
                                   "compartments (a nested table of the --config file)")
    dt_ms: float = Field(0.025, gt=0.0, le=1.0, description="time step (ms)")
    sample_every: int = Field(4, ge=1, description="record every N-th step")
    seed: int = Field(0, ge=0, description="seed of the random inputs and synapse positions")
    threads: int = Field(1, ge=1, description="threads of the simulation (the same numbers for any number)")

    @model_validator(mode="after")
    def _check_morphology(self) -> "DendritesConfig":
        m = self.morphology.strip()
        if m != "brt" and not m.lower().endswith(".swc"):
            raise ConfigError("morphology", self.morphology, "expected 'brt' or the path of an .swc file")
        return self

    @property
    def is_brt(self) -> bool:
        return self.morphology.strip() == "brt"


def _on_grid(value: float, dt_ms: float) -> bool:
    return abs(value / dt_ms - round(value / dt_ms)) < 1e-6


def _check_times(field: str, values: tuple[float, ...], duration_ms: float, dt_ms: float) -> None:
    for t in values:
        if not (math.isfinite(t) and 0.0 <= t < duration_ms):
            raise ConfigError(field, t, f"times lie in [0, duration_ms = {duration_ms}) ms")
        if not _on_grid(t, dt_ms):
            raise ConfigError(field, t, f"times must be whole numbers of steps dt_ms = {dt_ms}")


def _check_duration(duration_ms: float, dt_ms: float) -> None:
    if not _on_grid(duration_ms, dt_ms):
        raise ConfigError("duration_ms", duration_ms, f"must be a whole number of steps dt_ms = {dt_ms}")


class BrtIntegrationConfig(DendritesConfig):
    """``brt-integration``: one synapse at a time at distances along the path from the soma to
    a terminal branch; the peak EPSP at the soma and at the synapse, AMPA only against
    AMPA + NMDA. Every (receptors, distance) pair is one trial of one simulation."""

    protocol: Literal["brt-integration"] = "brt-integration"
    branch: int | None = Field(None, ge=1, description="terminal branch the path leads to; none: the first "
                               "terminal branch")
    spacing_um: float = Field(25.0, gt=0.0, description="distance between successive synapse positions along "
                              "the path (um)")
    receptors: tuple[ExcitatoryReceptors, ...] = Field(("ampa", "ampa+nmda"), min_length=1,
                                                      description="receptor sets compared (ampa, ampa+nmda)")
    n_spikes: int = Field(1, ge=1, le=100, description="presynaptic spikes (the seed's demo: 5)")
    spike_interval_ms: float = Field(5.0, gt=0.0, description="interval between the spikes (ms)")
    stim_ms: float = Field(20.0, ge=0.0, description="time of the first spike (ms)")
    weight: float = Field(1.0, ge=0.0, description="multiplies the synapse's peak conductances")
    duration_ms: float = Field(250.0, gt=0.0, description="simulated time (ms)")
    input_resistance: bool = Field(True, description="also measure the soma's input resistance with a "
                                   "current step")
    step_nA: float = Field(0.01, gt=0.0, description="amplitude of that step (nA)")

    @model_validator(mode="after")
    def _check(self) -> "BrtIntegrationConfig":
        last = self.stim_ms + (self.n_spikes - 1) * self.spike_interval_ms
        if last >= self.duration_ms:
            raise ConfigError("stim_ms", self.stim_ms, f"the last spike ({last} ms) must come before "
                              f"duration_ms = {self.duration_ms}")
        if len(set(self.receptors)) != len(self.receptors):
            raise ConfigError("receptors", self.receptors, "give each receptor set once")
        _check_duration(self.duration_ms, self.dt_ms)
        return self


class VoltageGradientConfig(DendritesConfig):
    """``voltage-gradient``: a steady current into one site (the tip of a terminal branch by
    default); the membrane potential over the whole tree at ``snapshot_ms``, and along the path
    to the soma, against the cable equation's steady state."""

    protocol: Literal["voltage-gradient"] = "voltage-gradient"
    branch: int | None = Field(None, ge=0, description="branch of the injection; none: the first terminal "
                               "branch")
    fraction: float = Field(1.0, ge=0.0, le=1.0, description="where on it (0: proximal end, 1: distal end)")
    amplitude_nA: float = Field(0.01, description="injected current (nA)")
    start_ms: float = Field(10.0, ge=0.0, description="onset of the current (ms)")
    duration_ms: float = Field(400.0, gt=0.0, description="simulated time (ms); the current lasts to the end")
    snapshot_ms: tuple[float, ...] = Field((12.0, 20.0, 50.0, 395.0), min_length=1,
                                           description="times of the snapshots of the whole tree (ms)")
    spacing_um: float = Field(10.0, gt=0.0, description="spacing of the recorded sites along the path (um)")

    @model_validator(mode="after")
    def _check(self) -> "VoltageGradientConfig":
        if self.start_ms >= self.duration_ms:
            raise ConfigError("start_ms", self.start_ms, f"must come before duration_ms = {self.duration_ms}")
        _check_times("snapshot_ms", self.snapshot_ms, self.duration_ms, self.dt_ms)
        _check_duration(self.duration_ms, self.dt_ms)
        return self


def branco2010_biophysics() -> Biophysics:
    """The membrane and synapses of the published model of Branco, Clark & Hausser (2010,
    ModelDB 140828): a passive membrane of 10 kOhm cm^2 (1 pS/um^2), 1 uF/cm^2 and 150 Ohm cm
    with a leaky axon (0.02 S/cm^2); AMPA as an alpha function of 2 ms and 0.5 nS (here a
    double exponential of 1.9 and 2.1 ms); NMDA as the kinetic scheme of Kampa et al. (2004)
    with 8 nS of receptors (about 1.7 nS open at the peak of one release)."""
    return Biophysics.model_validate({
        "passive": {"g_leak_pS_per_um2": 1.0, "cm_uF_per_cm2": 1.0, "ri_ohm_cm": 150.0, "e_leak_mV": -75.0,
                    "regions": {"axon": {"g_leak_pS_per_um2": 200.0}}},
        "synapses": {"ampa": {"q_nS": 0.5, "tau_rise_ms": 1.9, "tau_decay_ms": 2.1, "e_rev_mV": 0.0},
                     "nmda": {"model": "kampa2004"}},
    })


#: The intervals (ms) of ``branco2010`` when neither intervals nor speeds are given.
BRANCO2010_INTERVALS_MS = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0)


class Branco2010Config(DendritesConfig):
    """``branco2010``: ``n_synapses`` synapses along one terminal branch activated in sequence,
    towards the soma (centripetal, "IN") or away from it (centrifugal, "OUT"), with successive
    synapses ``intervals_ms`` apart (or at ``speeds_um_per_ms``), with AMPA + NMDA and with AMPA
    only (Branco, Clark & Hausser 2010). Every (receptors, direction, interval) triple is one
    trial of one simulation.

    Defaults: the published model's membrane and synapses (:func:`branco2010_biophysics`), nine
    synapses over the whole terminal branch, and a Ball-and-Rall's tree with a 3.5-um root and
    a soma of radius 10 um, whose terminal branches (0.55 um) are as thin as the basal dendrite
    Branco et al. stimulated (0.54 um)."""

    protocol: Literal["branco2010"] = "branco2010"
    brt_soma_radius_um: float = Field(10.0, gt=0.0, description="Ball-and-Rall's tree: soma radius (um)")
    brt_root_diameter_um: float = Field(3.5, gt=0.0, description="Ball-and-Rall's tree: diameter of the root "
                                        "branch (um)")
    biophysics: Biophysics = Field(default_factory=branco2010_biophysics, description="membrane, channels, "
                                   "synapses and compartments (a nested table of the --config file); default: "
                                   "Branco et al.'s published model")
    branch: int | None = Field(None, ge=1, description="terminal branch carrying the synapses; none: the first "
                               "terminal branch")
    n_synapses: int = Field(9, ge=2, le=100, description="synapses in the sequence (Branco et al.: 9 spines)")
    first_fraction: float = Field(0.0, ge=0.0, le=1.0, description="position of the most proximal synapse "
                                  "(fraction of the branch)")
    last_fraction: float = Field(1.0, ge=0.0, le=1.0, description="position of the most distal synapse "
                                 "(fraction of the branch)")
    intervals_ms: tuple[float, ...] | None = Field(None, min_length=1, description="time between successive "
                                                   "synapses (ms; Branco et al.: 0 to 8 ms); none: speeds_um_per_ms "
                                                   "if given, else 1, 2, 3, 4, 5, 6, 8, 10 and 12 ms")
    speeds_um_per_ms: tuple[float, ...] | None = Field(None, min_length=1, description="speeds of the sequence "
                                                       "along the branch (um/ms) instead of intervals_ms")
    receptors: tuple[ExcitatoryReceptors, ...] = Field(("ampa+nmda", "ampa"), min_length=1,
                                                      description="receptor sets compared (with and without NMDA)")
    weight: float = Field(1.0, ge=0.0, description="multiplies every synapse's peak conductances")
    start_ms: float = Field(20.0, ge=0.0, description="time of the first activation (ms)")
    after_ms: float = Field(200.0, gt=0.0, description="simulated time after the slowest sequence ends (ms)")

    @model_validator(mode="after")
    def _check(self) -> "Branco2010Config":
        if not self.first_fraction < self.last_fraction:
            raise ConfigError("first_fraction", self.first_fraction,
                              f"must be < last_fraction = {self.last_fraction}")
        for name in ("speeds_um_per_ms", "intervals_ms"):
            values = getattr(self, name)
            if values is None:
                continue
            if any(not (math.isfinite(v) and v > 0.0) for v in values):
                raise ConfigError(name, values, "must be finite and > 0")
            if len(set(values)) != len(values):
                raise ConfigError(name, values, "give each value once")
        if self.speeds_um_per_ms is not None and self.intervals_ms is not None:
            raise ConfigError("intervals_ms", self.intervals_ms, "give speeds_um_per_ms or intervals_ms, not both")
        if len(set(self.receptors)) != len(self.receptors):
            raise ConfigError("receptors", self.receptors, "give each receptor set once")
        return self

    @property
    def sequence_intervals_ms(self) -> tuple[float, ...] | None:
        """The intervals of the sequences (ms), or None when they are given as speeds."""
        if self.speeds_um_per_ms is not None:
            return None
        return self.intervals_ms if self.intervals_ms is not None else BRANCO2010_INTERVALS_MS


class BombardmentConfig(DendritesConfig):
    """``bombardment``: excitatory and inhibitory synapses spread over the dendrites in
    proportion to membrane area, each driven by an independent Poisson train; the membrane
    potential at the soma and at one dendritic site. Trials differ only in their trains."""

    protocol: Literal["bombardment"] = "bombardment"
    e_density_per_100um2: float = Field(0.5, ge=0.0, description="excitatory synapses per 100 um^2 of dendrite")
    i_density_per_100um2: float = Field(0.15, ge=0.0, description="inhibitory synapses per 100 um^2 of dendrite")
    e_rate_hz: float = Field(2.5, ge=0.0, description="rate of each excitatory input (Hz)")
    i_rate_hz: float = Field(5.0, ge=0.0, description="rate of each inhibitory input (Hz)")
    e_receptors: ExcitatoryReceptors = Field("ampa+nmda", description="receptors of the excitatory synapses")
    e_weight: float = Field(0.5, ge=0.0, description="multiplies the excitatory peak conductances (0.5 nS AMPA "
                            "with the default 1 nS; the seed library used 2.5 on a reconstructed cell of many times "
                            "the tree's area, which drives the small tree into an NMDA plateau)")
    i_weight: float = Field(1.0, ge=0.0, description="multiplies the GABA-A peak conductance (1 nS; the seed "
                            "library: 4 nS on its large cell)")
    trials: int = Field(1, ge=1, le=1000, description="trials (independent Poisson trains, same synapses)")
    duration_ms: float = Field(600.0, gt=0.0, description="simulated time (ms)")
    transient_ms: float = Field(100.0, ge=0.0, description="left out of the statistics (ms)")
    v_level_mV: float = Field(-60.0, description="level of the fraction of time above (mV)")
    dendrite_branch: int | None = Field(None, ge=1, description="branch of the dendritic recording; none: the "
                                        "first terminal branch")
    dendrite_fraction: float = Field(0.5, ge=0.0, le=1.0, description="where on it (fraction of the branch)")
    snapshot_ms: tuple[float, ...] = Field((300.0, 450.0, 595.0), min_length=1,
                                           description="times of the snapshots of the whole tree (ms)")

    @model_validator(mode="after")
    def _check(self) -> "BombardmentConfig":
        if self.transient_ms >= self.duration_ms:
            raise ConfigError("transient_ms", self.transient_ms, f"must be < duration_ms = {self.duration_ms}")
        _check_times("snapshot_ms", self.snapshot_ms, self.duration_ms, self.dt_ms)
        _check_duration(self.duration_ms, self.dt_ms)
        return self


#: The configuration of each protocol, by its name on the command line.
PROTOCOL_CONFIGS: dict[str, type[DendritesConfig]] = {
    "brt-integration": BrtIntegrationConfig,
    "voltage-gradient": VoltageGradientConfig,
    "branco2010": Branco2010Config,
    "bombardment": BombardmentConfig,
}
