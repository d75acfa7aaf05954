"""Declarative description of a spiking network: populations, projections, inputs, recorders.

Every piece is a frozen, validated record (:class:`~netdyn.config.base.Spec`) that round-trips
to TOML/JSON, so a network is stated once, shipped to a worker or stored with its results.
:class:`netdyn.engines.spiking.Network` builds and runs it. Units: ms, mV, pF, nS, pA, Hz;
synaptic weights are in the unit of the target model's synapses (nS for conductance-based,
pA for current-based models).

Example
-------
>>> spec = NetworkSpec(
...     dt_ms=0.1,
...     populations=[Population(name="E", n_neurons=800, model="lif_cond_exp")],
...     projections=[Projection(source="E", target="E", receptor="exc",
...                             rule={"rule": "fixed_indegree", "indegree": 20}, weight=1.0)],
...     drives=[PoissonDrive(name="bg", target="E", receptor="exc", n_inputs=100, weight=2.0,
...                          rate=5.0)],
... )
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from netdyn.config.base import Spec
from netdyn.connectivity.distributions import Distribution, as_distribution
from netdyn.connectivity.rules import ConnectionRule
from netdyn.errors import ConfigError
from netdyn.models.spiking.base import NeuronModel, Receptor, get_model
from netdyn.models.spiking.waveforms import RateWaveform, as_waveform

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")

Dist = Annotated[Distribution, BeforeValidator(as_distribution)]
Rate = Annotated[RateWaveform, BeforeValidator(as_waveform)]


def _check_name(name: str, field: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(field, name, "names start with a letter or a digit and hold letters, digits, '.' or '-'")
    return name


class Population(Spec):
    """A group of identical neurons.

    Attributes
    ----------
    name
        Unique name (letters, digits, '.', '-'; no '_' so the seed's model keys stay parseable).
    n_neurons
        Number of neurons.
    model
        Registered neuron model (:func:`netdyn.models.spiking.available_models`).
    params
        Model parameters that differ from the model's defaults (names with units, e.g.
        ``{"c_m_pF": 200, "b_pA": 40}``).
    receptors
        Synaptic receptors; empty means the model's defaults.
    initial
        State variable -> distribution of initial values (e.g. ``{"v_mV": {"kind": "normal",
        "mean": -58, "std": 10}}``); unspecified variables start at the model's resting state.
    """

    name: str
    n_neurons: int = Field(ge=1)
    model: str = "adex_cond_exp"
    params: dict[str, float | str | None] = Field(default_factory=dict)
    receptors: tuple[Receptor, ...] = ()
    initial: dict[str, Dist] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "Population":
        _check_name(self.name, "name")
        model = get_model(self.model, "model")
        model.parse_params(self.params, "params")
        receptors = model.check_receptors(self.receptors, "receptors")
        names = set(model.state_names(receptors))
        for var in self.initial:
            if var not in names:
                raise ConfigError(f"initial.{var}", var, f"not a state variable of {self.model}; one of {sorted(names)}")
        return self

    @property
    def neuron_model(self) -> type[NeuronModel]:
        return get_model(self.model)

    @property
    def receptor_list(self) -> tuple[Receptor, ...]:
        """The receptors in use (the model's defaults if none were given)."""
        return self.receptors or self.neuron_model.default_receptors


class PoissonSource(Spec):
    """A population of ``n_neurons`` independent Poisson spike trains (a shared afferent
    population: its spikes reach targets through projections, like any population's)."""

    name: str
    n_neurons: int = Field(ge=1)
    rate: Rate

    @model_validator(mode="after")
    def _check(self) -> "PoissonSource":
        _check_name(self.name, "name")
        return self


class Projection(Spec):
    """Synapses from ``source`` onto receptor ``receptor`` of ``target``.

    ``weight`` is in nS (conductance targets) or pA (current targets); ``delay_ms`` is rounded
    to whole steps of dt, at least one step (a spike emitted in step k with a delay of d steps
    reaches the synaptic state at the end of step k + d, as in NEST). ``name`` identifies the
    projection for seeding (default ``"source->target:receptor"``): its synapses depend only on
    the network's seed and this name, not on the order in which projections are built.
    """

    source: str
    target: str
    receptor: str
    rule: ConnectionRule
    weight: Dist
    delay_ms: Dist | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        return self.name or f"{self.source}->{self.target}:{self.receptor}"


class PoissonDrive(Spec):
    """Independent Poisson input to every neuron of ``target`` (the seed's afferent drive).

    Each neuron receives ``n_inputs`` independent trains of rate ``rate`` (Hz), each synapse of
    weight ``weight``: per step a Poisson count of mean ``n_inputs rate dt`` is added to the
    receptor. ``statistics="bernoulli"`` draws at most one event per step with that
    probability (the seed's rule, sub-Poisson when the probability is not small).
    """

    name: str
    target: str
    receptor: str
    n_inputs: int = Field(ge=1)
    weight: float
    rate: Rate
    statistics: Literal["poisson", "bernoulli"] = "poisson"


class CurrentInput(Spec):
    """A current of ``amplitude_pA`` into ``target`` for ``start_ms <= t < stop_ms`` (DC when
    ``stop_ms`` is None and ``start_ms`` is 0); ``neurons`` selects indices (default all)."""

    name: str
    target: str
    amplitude_pA: float
    start_ms: float = Field(0.0, ge=0)
    stop_ms: float | None = None
    neurons: tuple[int, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> "CurrentInput":
        if self.stop_ms is not None and self.stop_ms <= self.start_ms:
            raise ConfigError("stop_ms", self.stop_ms, f"must be > start_ms = {self.start_ms}")
        return self


class StateProbe(Spec):
    """Sample state variable ``variable`` of the ``neurons`` of ``population``."""

    population: str
    variable: str = "v_mV"
    neurons: tuple[int, ...]


class RecordSpec(Spec):
    """What to record.

    Attributes
    ----------
    spikes
        Populations (and Poisson sources) whose spikes are recorded; ``None`` means every
        population (sources are not recorded unless named).
    spike_neurons
        Population -> indices to record (default: all neurons of a recorded population).
    state
        State probes, sampled every ``state_every_ms`` (at the start of each sampled step).
    state_every_ms
        Sampling interval of the probes; ``None`` means every step.
    rate_bin_ms
        Bin of the population rates (all neurons, recorded or not); ``None`` turns them off.
    """

    spikes: tuple[str, ...] | None = None
    spike_neurons: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    state: tuple[StateProbe, ...] = ()
    state_every_ms: float | None = None
    rate_bin_ms: float | None = Field(1.0, gt=0)


class NetworkSpec(Spec):
    """A whole spiking network: what :class:`netdyn.engines.spiking.Network` builds.

    ``seed`` is the root of every random draw (connectivity per projection name, initial state
    per population name, Poisson inputs), so the same spec gives the same numbers.
    """

    dt_ms: float = Field(0.1, gt=0)
    seed: int = Field(0, ge=0)
    populations: tuple[Population, ...] = Field(min_length=1)
    sources: tuple[PoissonSource, ...] = ()
    projections: tuple[Projection, ...] = ()
    drives: tuple[PoissonDrive, ...] = ()
    currents: tuple[CurrentInput, ...] = ()
    record: RecordSpec = Field(default_factory=RecordSpec)

    @model_validator(mode="after")
    def _check(self) -> "NetworkSpec":
        pops = {p.name: p for p in self.populations}
        names = [p.name for p in self.populations] + [s.name for s in self.sources]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError("populations", dup, "population and source names must be unique")
        sources = set(names)

        def target(field: str, name: str, receptor: str | None) -> Population:
            if name not in pops:
                raise ConfigError(field, name, f"no such population; known: {sorted(pops)}")
            pop = pops[name]
            if receptor is not None and receptor not in [r.name for r in pop.receptor_list]:
                raise ConfigError(field.rsplit(".", 1)[0] + ".receptor", receptor,
                                  f"population {name!r} has receptors {[r.name for r in pop.receptor_list]}")
            return pop

        keys: list[str] = []
        for k, proj in enumerate(self.projections):
            if proj.source not in sources:
                raise ConfigError(f"projections.{k}.source", proj.source, f"no such population or source; known: {sorted(sources)}")
            target(f"projections.{k}.target", proj.target, proj.receptor)
            keys.append(proj.key)
        dup = sorted({n for n in keys if keys.count(n) > 1})
        if dup:
            raise ConfigError("projections", dup, "projection names must be unique (give 'name' to parallel projections)")
        for k, drive in enumerate(self.drives):
            target(f"drives.{k}.target", drive.target, drive.receptor)
        for k, cur in enumerate(self.currents):
            pop = target(f"currents.{k}.target", cur.target, None)
            if cur.neurons is not None and any(not 0 <= i < pop.n_neurons for i in cur.neurons):
                raise ConfigError(f"currents.{k}.neurons", cur.neurons, f"indices must lie in [0, {pop.n_neurons})")
        rec = self.record
        for name in rec.spikes or ():
            if name not in sources:
                raise ConfigError("record.spikes", name, f"no such population or source; known: {sorted(sources)}")
        sizes = {p.name: p.n_neurons for p in self.populations} | {s.name: s.n_neurons for s in self.sources}
        for name, idx in rec.spike_neurons.items():
            if name not in sizes:
                raise ConfigError("record.spike_neurons", name, f"no such population; known: {sorted(sizes)}")
            if any(not 0 <= i < sizes[name] for i in idx):
                raise ConfigError(f"record.spike_neurons.{name}", idx, f"indices must lie in [0, {sizes[name]})")
        for k, probe in enumerate(rec.state):
            pop = target(f"record.state.{k}.population", probe.population, None)
            names = pop.neuron_model.state_names(pop.receptor_list)
            if probe.variable not in names:
                raise ConfigError(f"record.state.{k}.variable", probe.variable, f"one of {names}")
            if any(not 0 <= i < pop.n_neurons for i in probe.neurons):
                raise ConfigError(f"record.state.{k}.neurons", probe.neurons, f"indices must lie in [0, {pop.n_neurons})")
        if rec.state_every_ms is not None and rec.state_every_ms < self.dt_ms:
            raise ConfigError("record.state_every_ms", rec.state_every_ms, f"must be >= dt_ms = {self.dt_ms}")
        return self

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise ConfigError("population", name, f"no such population; known: {[p.name for p in self.populations]}")


def spec_from_any(value: Any) -> NetworkSpec:
    """A :class:`NetworkSpec` from itself or a mapping (errors name the field)."""
    from netdyn.config.base import parse_config

    return value if isinstance(value, NetworkSpec) else parse_config(NetworkSpec, value)
