"""The NetworkSpec -> NEST translation, feature by feature (plain data: no NEST needed)."""

from __future__ import annotations

import pytest

from netdyn.connectivity.distributions import Normal
from netdyn.engines.nest.translation import sign_of, translate
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec

EXC = {"name": "exc", "tau_ms": 5.0, "e_rev_mV": 0.0}
INH = {"name": "inh", "tau_ms": 10.0, "e_rev_mV": -80.0}


def _spec(populations, projections=(), **more) -> NetworkSpec:
    return NetworkSpec.model_validate({"dt_ms": 0.1, "populations": list(populations),
                                       "projections": list(projections), **more})


def _proj(source, target, receptor, rule=None, weight=1.0, **more):
    return {"source": source, "target": target, "receptor": receptor,
            "rule": rule or {"rule": "fixed_indegree", "indegree": 2}, "weight": weight, **more}


def test_lif_psc_exp_becomes_iaf_psc_exp_with_nest_parameter_names():
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_psc_exp",
                   "params": {"c_m_pF": 200.0, "tau_m_ms": 20.0, "v_th_mV": -55.0, "i_e_pA": 30.0}}],
                 [_proj("E", "E", "exc", weight=50.0), _proj("E", "E", "inh", weight=-200.0, name="EE-inh")])
    pop = translate(spec).populations[0]
    assert pop.model == "iaf_psc_exp"
    assert pop.params["C_m"] == 200.0 and pop.params["tau_m"] == 20.0 and pop.params["V_th"] == -55.0
    assert pop.params["I_e"] == 30.0 and pop.params["E_L"] == -65.0  # a default of netdyn's model
    receptors = spec.populations[0].receptor_list
    assert pop.params["tau_syn_ex"] == receptors[0].tau_ms and pop.params["tau_syn_in"] == receptors[1].tau_ms
    assert pop.route == {"exc": (0, 1.0), "inh": (0, 1.0)}  # NEST routes by the weight's sign
    assert pop.channels == {"exc": "I_syn_ex", "inh": "I_syn_in"}


def test_a_current_receptor_of_either_sign_goes_to_the_multisynapse_model():
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_psc_exp"}],
                 [_proj("E", "E", "exc", weight={"kind": "normal", "mean": 10.0, "std": 20.0})])
    pop = translate(spec).populations[0]
    assert pop.model == "iaf_psc_exp_multisynapse"
    assert pop.params["tau_syn"] == [r.tau_ms for r in spec.populations[0].receptor_list]
    assert pop.route == {"exc": (1, 1.0), "inh": (2, 1.0)}
    assert translate(spec).projections[0].receptor_type == 1


def test_conductance_receptors_merge_by_tau_and_reversal_and_inhibition_is_a_negative_weight():
    aff = {"name": "aff", "tau_ms": 5.0, "e_rev_mV": 0.0}
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "adex_cond_exp", "receptors": [aff, EXC, INH]}],
                 [_proj("E", "E", "exc", weight=1.0), _proj("E", "E", "inh", weight=5.0)])
    plan = translate(spec)
    pop = plan.populations[0]
    assert pop.model == "aeif_cond_exp"
    assert pop.params["E_ex"] == 0.0 and pop.params["tau_syn_ex"] == 5.0
    assert pop.params["E_in"] == -80.0 and pop.params["tau_syn_in"] == 10.0
    assert pop.route == {"aff": (0, 1.0), "exc": (0, 1.0), "inh": (0, -1.0)}
    assert pop.channels == {"inh": "g_in"}  # g_ex holds aff + exc
    assert [p.sign for p in plan.projections] == [1.0, -1.0]


def test_adex_parameters_and_the_spike_cut():
    spec = _spec([{"name": "E", "n_neurons": 2, "model": "adex_cond_exp",
                   "params": {"v_thre_mV": -50.0, "delta_t_mV": 2.0, "a_nS": 4.0, "b_pA": 80.0, "tau_w_ms": 150.0}}])
    p = translate(spec).populations[0].params
    assert p["V_peak"] == -40.0  # V_T + 5 Delta_T
    assert (p["a"], p["b"], p["tau_w"], p["Delta_T"], p["V_th"]) == (4.0, 80.0, 150.0, 2.0, -50.0)
    bad = _spec([{"name": "E", "n_neurons": 2, "model": "adex_cond_exp",
                  "params": {"delta_t_mV": 0.0, "v_peak_mV": -45.0}}])
    with pytest.raises(ConfigError, match=r"populations\.0\.params\.v_peak_mV"):
        translate(bad)


def test_lif_cond_exp_becomes_iaf_cond_exp_and_the_integrator_is_noted():
    spec = _spec([{"name": "E", "n_neurons": 2, "model": "lif_cond_exp", "params": {"integrator": "euler"},
                   "receptors": [EXC, INH]}])
    plan = translate(spec)
    assert plan.populations[0].model == "iaf_cond_exp"
    assert "integrator" not in plan.populations[0].params
    assert any("integrator='euler'" in n for n in plan.notes)
    assert any("Runge-Kutta" in n for n in plan.notes)


@pytest.mark.parametrize("rule, conn", [
    ({"rule": "fixed_probability", "p": 0.2}, {"rule": "pairwise_bernoulli", "p": 0.2, "allow_autapses": False}),
    ({"rule": "fixed_indegree", "indegree": 3, "multapses": False},
     {"rule": "fixed_indegree", "indegree": 3, "allow_autapses": False, "allow_multapses": False}),
    ({"rule": "fixed_outdegree", "outdegree": 3, "autapses": True},
     {"rule": "fixed_outdegree", "outdegree": 3, "allow_autapses": True, "allow_multapses": True}),
    ({"rule": "fixed_total_number", "n_synapses": 7},
     {"rule": "fixed_total_number", "N": 7, "allow_autapses": True, "allow_multapses": True}),
    ({"rule": "one_to_one"}, {"rule": "one_to_one"}),
    ({"rule": "all_to_all", "autapses": True}, {"rule": "all_to_all", "allow_autapses": True}),
    ({"rule": "explicit", "pre": [0, 1], "post": [2, 3]}, {"rule": "one_to_one"}),
])
def test_every_connection_rule_has_its_nest_rule(rule, conn):
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_psc_exp"}], [_proj("E", "E", "exc", rule=rule)])
    pj = translate(spec).projections[0]
    assert pj.conn_spec == conn
    assert (pj.explicit is not None) == (rule["rule"] == "explicit")


def test_a_missing_delay_is_one_step():
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_psc_exp"}], [_proj("E", "E", "exc")])
    assert translate(spec).projections[0].delay.value == spec.dt_ms


@pytest.mark.parametrize("dist, sign", [
    ({"kind": "constant", "value": 2.0}, 1), ({"kind": "constant", "value": -2.0}, -1),
    ({"kind": "normal", "mean": 2.0, "std": 1.0, "min": 0.0}, 1),
    ({"kind": "normal", "mean": -2.0, "std": 1.0, "max": 0.0}, -1),
    ({"kind": "normal", "mean": 2.0, "std": 1.0}, 0), ({"kind": "normal", "mean": -2.0, "std": 0.0}, -1),
    ({"kind": "lognormal", "mean": -2.0, "std": 1.0}, -1), ({"kind": "uniform", "low": 0.5, "high": 1.0}, 1),
    ({"kind": "uniform", "low": -1.0, "high": 1.0}, 0),
])
def test_sign_of_a_distribution(dist, sign):
    from netdyn.connectivity.distributions import as_distribution

    assert sign_of(as_distribution(dist)) == sign


@pytest.mark.parametrize("change, field", [
    ({"projections": [_proj("E", "E", "exc", plasticity={"rule": "calcium_stc"}, delay_ms=3.0)]},
     r"projections\.0\.plasticity"),
    ({"ou_currents": [{"name": "ou", "target": "E", "mean_pA": 1.0, "sd_pA": 1.0, "tau_ms": 5.0}]}, r"ou_currents\.0"),
    ({"drives": [{"name": "d", "target": "E", "receptor": "exc", "n_inputs": 5, "weight": 1.0, "rate": 5.0,
                  "statistics": "bernoulli"}]}, r"drives\.0\.statistics"),
])
def test_what_nest_cannot_express_is_refused_naming_the_field(change, field):
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_psc_exp"}], **change) if "projections" not in change \
        else _spec([{"name": "E", "n_neurons": 4, "model": "lif_psc_exp"}], change["projections"])
    with pytest.raises(ConfigError, match=field):
        translate(spec)


def test_three_conductance_channels_and_sign_changing_conductances_are_refused():
    third = {"name": "slow", "tau_ms": 50.0, "e_rev_mV": 0.0}
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_cond_exp", "receptors": [EXC, INH, third]}])
    with pytest.raises(ConfigError, match=r"populations\.0\.receptors.*two conductance channels"):
        translate(spec)
    spec = _spec([{"name": "E", "n_neurons": 4, "model": "lif_cond_exp", "receptors": [EXC, INH]}],
                 [_proj("E", "E", "exc", weight={"kind": "normal", "mean": 1.0, "std": 1.0})])
    with pytest.raises(ConfigError, match=r"projections\.0\.weight"):
        translate(spec)


def test_probes_and_initial_values_need_a_nest_state_of_their_own():
    aff = {"name": "aff", "tau_ms": 5.0, "e_rev_mV": 0.0}
    pops = [{"name": "E", "n_neurons": 4, "model": "lif_cond_exp", "receptors": [aff, EXC, INH]}]
    ok = _spec(pops, record={"state": [{"population": "E", "variable": "g_inh_nS", "neurons": [0]}]})
    assert translate(ok).populations[0].channels["inh"] == "g_in"
    merged = _spec(pops, record={"state": [{"population": "E", "variable": "g_exc_nS", "neurons": [0]}]})
    with pytest.raises(ConfigError, match=r"record\.state\.0\.variable"):
        translate(merged)
    psc = [{"name": "E", "n_neurons": 4, "model": "lif_psc_exp",
            "initial": {"i_exc_pA": {"kind": "constant", "value": 3.0}}}]
    with pytest.raises(ConfigError, match=r"populations\.0\.initial\.i_exc_pA"):
        translate(_spec(psc))


def test_normal_distribution_sign_check_uses_the_bound_not_the_mean():
    # a redrawn normal bounded at 0 is sign-definite however wide it is
    assert sign_of(Normal(mean=0.1, std=100.0, min=0.0)) == 1


def test_nest_memory_is_checked_per_rank_before_building():
    """NEST's estimate divides neurons and synapses over the ranks, each rank keeps its kernel;
    the ranks on this machine must fit in 90 % of its memory."""
    from netdyn.engines.nest.memory import (NEST_BYTES_PER_NEURON, NEST_BYTES_PER_RANK, NEST_BYTES_PER_SYNAPSE,
                                            check_nest_memory, nest_memory_bytes, nodes_needed)
    from netdyn.errors import MemoryEstimateError

    one = nest_memory_bytes(1000, 10**6)
    assert one == pytest.approx(NEST_BYTES_PER_RANK + 1000 * NEST_BYTES_PER_NEURON + 10**6 * NEST_BYTES_PER_SYNAPSE)
    assert nest_memory_bytes(1000, 10**6, ranks=4) == pytest.approx(NEST_BYTES_PER_RANK + (one - NEST_BYTES_PER_RANK) / 4)
    check_nest_memory(1000, 10**6, int(one / 0.8), ranks=1)
    with pytest.raises(MemoryEstimateError):
        check_nest_memory(1000, 10**6, int(one), ranks=1)
    # the full multi-area model at the measured constants: 6 nodes of 256 GB
    assert nodes_needed(4_129_924, 24_126_516_728, 256e9) == 6
