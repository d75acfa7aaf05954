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
from netdyn.models.spiking.base import NeuronModel, Receptor, get_model, repeated_names
from netdyn.models.spiking.plasticity.base import PlasticityRule, get_rule
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


class Plasticity(Spec):
    """The plasticity rule of a projection: a registered rule
    (:func:`netdyn.models.spiking.plasticity.available_rules`) and its parameters (names with
    units; defaults are the rule's)."""

    rule: str
    params: dict[str, float | None] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "Plasticity":
        self.rule_model.parse_params(self.params, "params")
        return self

    @property
    def rule_model(self) -> type[PlasticityRule]:
        return get_rule(self.rule)

    def parsed_params(self, field: str = "plasticity.params") -> Spec:
        return self.rule_model.parse_params(self.params, field)


class Projection(Spec):
    """Synapses from ``source`` onto receptor ``receptor`` of ``target``.

    ``weight`` is in nS (conductance targets) or pA (current targets); ``delay_ms`` is rounded
    to whole steps of dt, at least one step (a spike emitted in step k with a delay of d steps
    reaches the synaptic state at the end of step k + d, as in NEST). ``name`` identifies the
    projection for seeding (default ``"source->target:receptor"``): its synapses depend only on
    the network's seed and this name, not on the order in which projections are built.

    With ``plasticity`` the synapses are plastic: ``weight`` is their initial weight and the
    rule changes it (one plastic projection per network, from a population onto a
    current-based population, with a constant delay).
    """

    source: str
    target: str
    receptor: str
    rule: ConnectionRule
    weight: Dist
    delay_ms: Dist | None = None
    name: str | None = None
    plasticity: Plasticity | None = None

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


class OUCurrent(Spec):
    r"""An Ornstein-Uhlenbeck current into ``target`` (all neurons, or ``neurons``), switched on
    during each ``(start_ms, stop_ms)`` of ``intervals_ms`` (``stop_ms`` None: to the end).

    .. math:: \tau \frac{dI}{dt} = \mu - I + \sigma \sqrt{2 \tau}\, \xi(t)

    ``sd_pA`` is the stationary SD :math:`\sigma`. Switched on, the current starts at its mean;
    switched off it is zero. Each neuron has its own process, from counter-based draws keyed by
    (seed, input name, step, neuron).
    """

    name: str
    target: str
    mean_pA: float
    sd_pA: float = Field(ge=0)
    tau_ms: float = Field(gt=0)
    neurons: tuple[int, ...] | None = None
    intervals_ms: tuple[tuple[float, float | None], ...] = ((0.0, None),)

    @model_validator(mode="after")
    def _check(self) -> "OUCurrent":
        _check_name(self.name, "name")
        last = -1.0
        for k, (start, stop) in enumerate(self.intervals_ms):
            if not start >= 0:
                raise ConfigError(f"intervals_ms.{k}", (start, stop), "start must be >= 0 ms")
            if start < last:
                raise ConfigError(f"intervals_ms.{k}", (start, stop), "intervals must be sorted and must not overlap")
            if stop is not None and stop <= start:
                raise ConfigError(f"intervals_ms.{k}", (start, stop), "stop must be > start")
            if stop is None and k != len(self.intervals_ms) - 1:
                raise ConfigError(f"intervals_ms.{k}", (start, stop), "only the last interval may be open")
            last = float("inf") if stop is None else stop
        return self


class StateProbe(Spec):
    """Sample state variable ``variable`` of the ``neurons`` of ``population``."""

    population: str
    variable: str = "v_mV"
    neurons: tuple[int, ...]


class PlasticityProbe(Spec):
    """Sample ``variable`` of the plastic projection's rule: a synapse variable of the synapses
    ``(pre, post)`` (indices in the source and target populations), or a neuron variable of the
    rule (e.g. a protein pool) of the target population's ``neurons``."""

    variable: str
    synapses: tuple[tuple[int, int], ...] = ()
    neurons: tuple[int, ...] = ()


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
    plasticity: tuple[PlasticityProbe, ...] = ()


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
    ou_currents: tuple[OUCurrent, ...] = ()
    record: RecordSpec = Field(default_factory=RecordSpec)

    @model_validator(mode="after")
    def _check(self) -> "NetworkSpec":
        pops = {p.name: p for p in self.populations}
        names = [p.name for p in self.populations] + [s.name for s in self.sources]
        dup = repeated_names(names)
        if dup:
            raise ConfigError("populations", dup, f"population and source names must be unique; repeated: {dup}")
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
        dup = repeated_names(keys)
        if dup:
            raise ConfigError("projections", dup,
                              f"projection names must be unique (give 'name' to parallel projections); repeated: {dup}")
        plastic = [k for k, proj in enumerate(self.projections) if proj.plasticity is not None]
        if len(plastic) > 1:
            raise ConfigError(f"projections.{plastic[1]}.plasticity", self.projections[plastic[1]].key,
                              "one plastic projection per network is supported")
        for k in plastic:
            proj = self.projections[k]
            if proj.source not in pops:
                raise ConfigError(f"projections.{k}.source", proj.source, "a plastic projection starts from a population")
            if pops[proj.target].neuron_model.synapse_kind != "current":
                raise ConfigError(f"projections.{k}.target", proj.target,
                                  "a plastic projection targets a population with current-based synapses")
            if proj.delay_ms is not None and getattr(proj.delay_ms, "kind", "") != "constant":
                raise ConfigError(f"projections.{k}.delay_ms", proj.delay_ms, "a plastic projection has a constant delay")
        for k, drive in enumerate(self.drives):
            target(f"drives.{k}.target", drive.target, drive.receptor)
        names_ou = [o.name for o in self.ou_currents]
        if len(set(names_ou)) != len(names_ou):
            raise ConfigError("ou_currents", names_ou, "names must be unique")
        for k, ou in enumerate(self.ou_currents):
            pop = target(f"ou_currents.{k}.target", ou.target, None)
            if ou.neurons is not None and any(not 0 <= i < pop.n_neurons for i in ou.neurons):
                raise ConfigError(f"ou_currents.{k}.neurons", ou.neurons, f"indices must lie in [0, {pop.n_neurons})")
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
        for k, probe in enumerate(rec.plasticity):
            if not plastic:
                raise ConfigError(f"record.plasticity.{k}", probe.variable, "the network has no plastic projection")
            proj = self.projections[plastic[0]]
            rule = proj.plasticity.rule_model
            if probe.variable in rule.synapse_vars:
                n_pre, n_post = pops[proj.source].n_neurons, pops[proj.target].n_neurons
                if not probe.synapses or probe.neurons:
                    raise ConfigError(f"record.plasticity.{k}.synapses", probe.synapses,
                                      f"{probe.variable!r} is a synapse variable: give (pre, post) pairs, no neurons")
                if any(not (0 <= a < n_pre and 0 <= b < n_post) for a, b in probe.synapses):
                    raise ConfigError(f"record.plasticity.{k}.synapses", probe.synapses,
                                      f"pairs must lie in [0, {n_pre}) x [0, {n_post})")
            elif probe.variable in rule.neuron_vars:
                if not probe.neurons or probe.synapses:
                    raise ConfigError(f"record.plasticity.{k}.neurons", probe.neurons,
                                      f"{probe.variable!r} is a neuron variable: give neurons, no synapses")
                n_post = pops[proj.target].n_neurons
                if any(not 0 <= i < n_post for i in probe.neurons):
                    raise ConfigError(f"record.plasticity.{k}.neurons", probe.neurons, f"indices must lie in [0, {n_post})")
            else:
                raise ConfigError(f"record.plasticity.{k}.variable", probe.variable,
                                  f"one of {sorted(rule.synapse_vars) + sorted(rule.neuron_vars)}")
        if rec.state_every_ms is not None and rec.state_every_ms < self.dt_ms:
            raise ConfigError("record.state_every_ms", rec.state_every_ms, f"must be >= dt_ms = {self.dt_ms}")
        return self

    @property
    def plastic_projection(self) -> Projection | None:
        """The plastic projection, or None."""
        return next((p for p in self.projections if p.plasticity is not None), None)

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise ConfigError("population", name, f"no such population; known: {[p.name for p in self.populations]}")


def spec_from_any(value: Any) -> NetworkSpec:
    """A :class:`NetworkSpec` from itself or a mapping (errors name the field)."""
    from netdyn.config.base import parse_config

    return value if isinstance(value, NetworkSpec) else parse_config(NetworkSpec, value)
