"""A :class:`~netdyn.models.spiking.spec.NetworkSpec` as NEST models, rules and parameters.

:func:`translate` checks everything NEST must express and returns a :class:`NestPlan`: plain
data (model names, parameter dicts, ``conn_spec`` dicts, distributions still as netdyn records)
that :class:`~netdyn.engines.nest.NestNetwork` turns into PyNEST calls. It imports no NEST, so
a network that NEST cannot run fails here, with the field named, before anything is built.

What each piece becomes
-----------------------
=====================  ============================================================
netdyn                 NEST
=====================  ============================================================
``lif_psc_exp``        ``iaf_psc_exp`` (excitatory receptors share one tau, inhibitory
                       ones another, each sign-definite); else
                       ``iaf_psc_exp_multisynapse`` (one ``receptor_type`` per receptor)
``lif_cond_exp``       ``iaf_cond_exp`` (receptors with equal tau and E_rev share one of
                       its two channels; NEST routes by the weight's sign)
``adex_cond_exp``      ``aeif_cond_exp`` (``V_peak`` = the spike cut, V_T + 5 Delta_T)
fixed_probability      ``pairwise_bernoulli``
fixed_indegree         ``fixed_indegree``;  fixed_outdegree -> ``fixed_outdegree``
fixed_total_number     ``fixed_total_number``; one_to_one, all_to_all alike
explicit               arrays of node ids, ``one_to_one``; weights and delays drawn by netdyn
normal (redraw, clip)  ``nest.random.normal`` in ``nest.math.redraw`` / ``min`` / ``max``
lognormal, uniform     ``nest.random.lognormal`` (mu, sigma of the log), ``uniform``
delays                 at least one step (``nest.math.max(d, dt)``), as netdyn rounds them
PoissonDrive           a ``poisson_generator`` of rate ``n_inputs rate`` per population (NEST
                       sends each target its own train); time-varying rates: an
                       ``inhomogeneous_poisson_generator``
PoissonSource          ``parrot_neuron`` s fed by one generator each
CurrentInput           ``dc_generator`` one step early (its connection's delay); from t = 0:
                       added to ``I_e``, ended by a generator of opposite sign
initial state          the same values netdyn's engine starts from (drawn by netdyn)
=====================  ============================================================

Not expressible, and refused: plastic projections (netdyn's rules have no NEST synapse model),
Ornstein-Uhlenbeck currents, Bernoulli drives (at most one event per step), more than two
distinct conductance channels on a conductance-based population, conductance weights that can
change sign, and an AdEx spike cut other than V_T when Delta_T = 0. NEST integrates
``iaf_cond_exp`` and ``aeif_cond_exp`` with its own adaptive Runge-Kutta-Fehlberg method, so
those populations agree with netdyn's engine statistically, not spike for spike
(:attr:`NestPlan.notes` says so in every recording).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from netdyn.connectivity.distributions import Constant, LogNormal, Normal, Uniform
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec, Population, Projection

PARAM_NAMES: dict[str, dict[str, str]] = {
    "lif_psc_exp": {"c_m_pF": "C_m", "tau_m_ms": "tau_m", "e_l_mV": "E_L", "v_th_mV": "V_th",
                    "v_reset_mV": "V_reset", "t_ref_ms": "t_ref", "i_e_pA": "I_e"},
    "lif_cond_exp": {"c_m_pF": "C_m", "g_l_nS": "g_L", "e_l_mV": "E_L", "v_th_mV": "V_th",
                     "v_reset_mV": "V_reset", "t_ref_ms": "t_ref", "i_e_pA": "I_e"},
    "adex_cond_exp": {"c_m_pF": "C_m", "g_l_nS": "g_L", "e_l_mV": "E_L", "v_thre_mV": "V_th",
                      "delta_t_mV": "Delta_T", "v_reset_mV": "V_reset", "v_peak_mV": "V_peak",
                      "t_ref_ms": "t_ref", "a_nS": "a", "b_pA": "b", "tau_w_ms": "tau_w", "i_e_pA": "I_e"},
}
"""netdyn parameter -> NEST parameter, per netdyn model (units agree: ms, mV, pF, nS, pA)."""

NON_MODEL_PARAMS = {"lif_cond_exp": {"integrator"}}
"""Parameters of netdyn's engine (its numerical method) that NEST replaces with its own."""

STATE_NAMES = {"v_mV": "V_m", "w_pA": "w"}
"""netdyn state variable -> NEST state (synaptic states: see :attr:`PopulationPlan.channels`)."""


@dataclass(frozen=True)
class PopulationPlan:
    """One population as NEST builds it.

    ``route`` maps each netdyn receptor to ``(receptor_type, sign)``: the NEST port
    (0 for sign-routed models) and the factor applied to every weight onto it (-1 where NEST
    reads a negative weight as inhibitory). ``channels`` maps a receptor to the NEST state of
    its synaptic variable when that state holds this receptor alone.
    """

    name: str
    n_neurons: int
    model: str
    params: dict[str, float]
    route: dict[str, tuple[int, float]]
    channels: dict[str, str]


@dataclass(frozen=True)
class ProjectionPlan:
    """One projection: NEST ``conn_spec``, weight and delay distributions and the sign factor
    and port of its target receptor."""

    index: int
    key: str
    source: str
    target: str
    conn_spec: dict[str, Any]
    weight: Any
    delay: Any
    receptor_type: int
    sign: float
    explicit: tuple[tuple[int, ...], tuple[int, ...]] | None = None


@dataclass(frozen=True)
class NestPlan:
    """Everything :class:`~netdyn.engines.nest.NestNetwork` builds, in order."""

    spec: NetworkSpec
    populations: tuple[PopulationPlan, ...]
    projections: tuple[ProjectionPlan, ...]
    notes: tuple[str, ...] = field(default=())

    def population(self, name: str) -> PopulationPlan:
        return next(p for p in self.populations if p.name == name)


def sign_of(dist: Any) -> int:
    """+1 if every value of ``dist`` is >= 0, -1 if every value is <= 0, 0 if it can take both
    signs (a NEST model that routes input by the weight's sign needs +1 or -1)."""
    if isinstance(dist, Constant):
        return 1 if dist.value >= 0 else -1
    if isinstance(dist, LogNormal):
        return 1 if dist.mean > 0 else -1
    if isinstance(dist, Uniform):
        return 1 if dist.low >= 0 else (-1 if dist.high <= 0 else 0)
    if isinstance(dist, Normal):
        lo = -math.inf if dist.min is None else dist.min
        hi = math.inf if dist.max is None else dist.max
        if dist.std == 0.0:
            value = min(max(dist.mean, lo), hi)
            return 1 if value >= 0 else -1
        return 1 if lo >= 0 else (-1 if hi <= 0 else 0)
    return 0


def _incoming(spec: NetworkSpec, pop: str) -> list[tuple[str, Any, str]]:
    """(receptor, weight distribution, field) of every projection and drive onto ``pop``."""
    out = []
    for k, proj in enumerate(spec.projections):
        if proj.target == pop:
            out.append((proj.receptor, proj.weight, f"projections.{k}.weight"))
    for k, drive in enumerate(spec.drives):
        if drive.target == pop:
            out.append((drive.receptor, Constant(value=drive.weight), f"drives.{k}.weight"))
    return out


def _model_params(spec: NetworkSpec, k: int) -> tuple[dict[str, float], list[str]]:
    pop = spec.populations[k]
    model = pop.neuron_model
    parsed = model.parse_params(pop.params, f"populations.{k}.params").to_dict()
    names = PARAM_NAMES[pop.model]
    notes = []
    out: dict[str, float] = {}
    for key, value in parsed.items():
        if key in NON_MODEL_PARAMS.get(pop.model, ()):
            notes.append(f"population {pop.name!r}: {key}={value!r} is netdyn's numerical method; NEST "
                         f"integrates with its own")
            continue
        if key == "v_peak_mV" and value is None:
            value = parsed["v_thre_mV"] + 5.0 * parsed["delta_t_mV"]
        out[names[key]] = float(value)
    if pop.model == "adex_cond_exp" and parsed["delta_t_mV"] == 0.0 and out["V_peak"] != out["V_th"]:
        raise ConfigError(f"populations.{k}.params.v_peak_mV", parsed["v_peak_mV"],
                          "with delta_t_mV = 0 NEST's aeif_cond_exp spikes at V_th: leave v_peak_mV unset "
                          "or equal to v_thre_mV")
    return out, notes


def _conductance_routes(spec: NetworkSpec, k: int, params: dict[str, float]) -> tuple[dict, dict]:
    """Merge receptors with equal (tau, E_rev) into NEST's excitatory (higher E_rev, positive
    weights) and inhibitory (negative weights) channels."""
    pop = spec.populations[k]
    groups: dict[tuple[float, float], list[str]] = {}
    for r in pop.receptor_list:
        groups.setdefault((r.tau_ms, r.e_rev_mV), []).append(r.name)
    if len(groups) > 2:
        raise ConfigError(f"populations.{k}.receptors", [r.name for r in pop.receptor_list],
                          f"NEST's {NEST_MODEL[pop.model]} has two conductance channels; these receptors have "
                          f"{len(groups)} distinct (tau_ms, e_rev_mV): {sorted(groups)}")
    for receptor, weight, where in _incoming(spec, pop.name):
        if sign_of(weight) < 0 or (sign_of(weight) == 0):
            raise ConfigError(where, weight, "NEST routes conductance input by the weight's sign: a conductance "
                                             "weight must be >= 0 (bound a normal with min >= 0)")
    keys = sorted(groups, key=lambda g: -g[1])  # excitatory channel: the higher reversal potential
    route, channels = {}, {}
    for slot, key in enumerate(keys):
        tau, e_rev = key
        suffix = "ex" if slot == 0 else "in"
        params[f"tau_syn_{suffix}"] = float(tau)
        params[f"E_{suffix}"] = float(e_rev)
        for name in groups[key]:
            route[name] = (0, 1.0 if slot == 0 else -1.0)
            if len(groups[key]) == 1:
                channels[name] = f"g_{suffix}"
    return route, channels


def _current_routes(spec: NetworkSpec, k: int, params: dict[str, float]) -> tuple[str, dict, dict]:
    """``iaf_psc_exp`` when its sign routing is exact, else ``iaf_psc_exp_multisynapse``."""
    pop = spec.populations[k]
    signs: dict[str, set[int]] = {r.name: set() for r in pop.receptor_list}
    for receptor, weight, _ in _incoming(spec, pop.name):
        signs[receptor].add(sign_of(weight))
    taus = {r.name: r.tau_ms for r in pop.receptor_list}
    by_sign: dict[int, set[float]] = {1: set(), -1: set()}
    routable = True
    for name, seen in signs.items():
        if 0 in seen or len(seen) > 1:
            routable = False
        elif seen:
            by_sign[next(iter(seen))].add(taus[name])
    if routable and len(by_sign[1]) <= 1 and len(by_sign[-1]) <= 1:
        tau_ex = next(iter(by_sign[1]), None)
        tau_in = next(iter(by_sign[-1]), None)
        if tau_ex is not None:
            params["tau_syn_ex"] = float(tau_ex)
        if tau_in is not None:
            params["tau_syn_in"] = float(tau_in)
        route = {name: (0, 1.0) for name in signs}
        channels = {}
        for name, seen in signs.items():
            owner = "ex" if seen == {1} else ("in" if seen == {-1} else None)
            sharing = [n for n, s in signs.items() if s == seen]
            if owner and len(sharing) == 1:
                channels[name] = f"I_syn_{owner}"
        return "iaf_psc_exp", route, channels
    params["tau_syn"] = [float(r.tau_ms) for r in pop.receptor_list]
    route = {r.name: (j + 1, 1.0) for j, r in enumerate(pop.receptor_list)}
    return "iaf_psc_exp_multisynapse", route, {}


NEST_MODEL = {"lif_psc_exp": "iaf_psc_exp", "lif_cond_exp": "iaf_cond_exp", "adex_cond_exp": "aeif_cond_exp"}
"""netdyn model -> NEST model (``lif_psc_exp`` may become ``iaf_psc_exp_multisynapse``)."""


def _population(spec: NetworkSpec, k: int) -> tuple[PopulationPlan, list[str]]:
    pop: Population = spec.populations[k]
    if pop.model not in NEST_MODEL:
        raise ConfigError(f"populations.{k}.model", pop.model, f"no NEST counterpart; NEST runs {sorted(NEST_MODEL)}")
    params, notes = _model_params(spec, k)
    if pop.neuron_model.synapse_kind == "conductance":
        model = NEST_MODEL[pop.model]
        route, channels = _conductance_routes(spec, k, params)
        notes.append(f"population {pop.name!r}: NEST integrates {model} with adaptive Runge-Kutta-Fehlberg "
                     f"(4,5); netdyn's engine with a fixed step")
    else:
        model, route, channels = _current_routes(spec, k, params)
    for var in pop.initial:
        settable = pop.neuron_model.synapse_kind == "conductance" and any(
            var == pop.neuron_model.synaptic_state_name(r) for r in pop.receptor_list if r.name in channels)
        if var not in STATE_NAMES and not settable:
            raise ConfigError(f"populations.{k}.initial.{var}", var, f"NEST's {model} takes no initial value of it")
    return PopulationPlan(pop.name, pop.n_neurons, model, params, route, channels), notes


def _conn_spec(proj: Projection, k: int) -> dict[str, Any]:
    rule = proj.rule
    name = rule.rule
    if name == "fixed_probability":
        return {"rule": "pairwise_bernoulli", "p": rule.p, "allow_autapses": rule.autapses}
    if name == "fixed_indegree":
        return {"rule": "fixed_indegree", "indegree": rule.indegree, "allow_autapses": rule.autapses,
                "allow_multapses": rule.multapses}
    if name == "fixed_outdegree":
        return {"rule": "fixed_outdegree", "outdegree": rule.outdegree, "allow_autapses": rule.autapses,
                "allow_multapses": rule.multapses}
    if name == "fixed_total_number":
        return {"rule": "fixed_total_number", "N": rule.n_synapses, "allow_autapses": rule.autapses,
                "allow_multapses": rule.multapses}
    if name == "one_to_one":
        return {"rule": "one_to_one"}
    if name == "all_to_all":
        return {"rule": "all_to_all", "allow_autapses": rule.autapses}
    if name == "explicit":
        return {"rule": "one_to_one"}
    raise ConfigError(f"projections.{k}.rule.rule", name, "no NEST connection rule for it")


def translate(spec: NetworkSpec) -> NestPlan:
    """Check that NEST can run ``spec`` and say how (:class:`NestPlan`).

    Raises
    ------
    ConfigError
        Naming the first field NEST cannot express (see the module docstring).
    """
    for k, proj in enumerate(spec.projections):
        if proj.plasticity is not None:
            raise ConfigError(f"projections.{k}.plasticity", proj.plasticity.rule,
                              "netdyn's plasticity rules have no NEST synapse model; run this network on "
                              "backend='netdyn'")
    if spec.ou_currents:
        raise ConfigError("ou_currents.0", spec.ou_currents[0].name,
                          "NEST has no Ornstein-Uhlenbeck current generator; run on backend='netdyn'")
    for k, drive in enumerate(spec.drives):
        if drive.statistics != "poisson":
            raise ConfigError(f"drives.{k}.statistics", drive.statistics,
                              "NEST's generators draw Poisson counts; at most one event per step has no "
                              "counterpart: use statistics='poisson'")
    for k, cur in enumerate(spec.currents):
        if 0.0 < cur.start_ms < 1.5 * spec.dt_ms:
            raise ConfigError(f"currents.{k}.start_ms", cur.start_ms,
                              f"NEST's current generators reach a neuron one step after they start: start "
                              f"at 0 or at >= 2 dt = {2 * spec.dt_ms:g} ms")
    if spec.record.plasticity:
        raise ConfigError("record.plasticity", spec.record.plasticity[0].variable, "no plastic synapses in NEST")
    pops, notes = [], []
    for k in range(len(spec.populations)):
        plan, more = _population(spec, k)
        pops.append(plan)
        notes.extend(more)
    by_name = {p.name: p for p in pops}
    for k, probe in enumerate(spec.record.state):
        pop = by_name[probe.population]
        if probe.variable not in STATE_NAMES and probe.variable not in {
                spec.population(pop.name).neuron_model.synaptic_state_name(r)
                for r in spec.population(pop.name).receptor_list if r.name in pop.channels}:
            raise ConfigError(f"record.state.{k}.variable", probe.variable,
                              f"no NEST recordable of {pop.model} holds it alone")
        if probe.variable == "w_pA" and pop.model != "aeif_cond_exp":
            raise ConfigError(f"record.state.{k}.variable", probe.variable, f"{pop.model} has no w")
    projs = []
    for k, proj in enumerate(spec.projections):
        target = by_name[proj.target]
        port, sign = target.route[proj.receptor]
        explicit = (proj.rule.pre, proj.rule.post) if proj.rule.rule == "explicit" else None
        delay = proj.delay_ms if proj.delay_ms is not None else Constant(value=spec.dt_ms)
        projs.append(ProjectionPlan(k, proj.key, proj.source, proj.target, _conn_spec(proj, k), proj.weight,
                                    delay, port, sign, explicit))
    return NestPlan(spec, tuple(pops), tuple(projs), tuple(notes))
