"""The NEST backend runs what the spec says: each translated feature checked in NEST, against
netdyn's engine where both integrate the same way (iaf_psc_exp: to round-off), against the
distribution or theory elsewhere."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

nest = pytest.importorskip("nest")

from netdyn.connectivity.distributions import as_distribution, sample  # noqa: E402
from netdyn.engines.nest import NestNetwork  # noqa: E402
from netdyn.engines.spiking import Network  # noqa: E402
from netdyn.errors import ConfigError  # noqa: E402
from netdyn.io.hdf5 import read_recording, write_recording  # noqa: E402
from netdyn.models.spiking.spec import NetworkSpec  # noqa: E402


def _pair(spec, duration_ms, between=None):
    """Run ``spec`` on both backends (``between(net)`` called halfway); return both recordings."""
    out = []
    for backend in ("netdyn", "nest"):
        net = Network(spec, backend=backend)
        net.run(duration_ms / 2)
        if between:
            between(net)
        net.run(duration_ms / 2)
        out.append(net.recording())
    return out


def _traces(rec_a, rec_b, pop="E", var="v_mV"):
    a, b = rec_a.state[pop][var], rec_b.state[pop][var]
    return a.sel(time_ms=b.time_ms.values, method="nearest").values, b.values


@pytest.mark.parametrize("start, stop", [(0.0, None), (0.0, 30.0), (10.0, 30.0), (0.2, None)])
def test_currents_and_set_params_give_netdyns_membrane_trace(start, stop):
    spec = {"dt_ms": 0.1, "populations": [{"name": "E", "n_neurons": 2, "model": "lif_psc_exp",
                                           "params": {"i_e_pA": 300.0}}],
            "currents": [{"name": "step", "target": "E", "amplitude_pA": 200.0, "start_ms": start,
                          "stop_ms": stop, "neurons": [1]}],
            "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": [0, 1]}]}}
    a, b = _pair(spec, 60.0, between=lambda net: net.set_params("E", i_e_pA=320.0))
    x, y = _traces(a, b)
    assert y.shape[0] >= 590
    np.testing.assert_allclose(y, x, atol=1e-9)
    np.testing.assert_array_equal(b.spikes["E"].times_ms, a.spikes["E"].times_ms)
    assert a.spikes["E"].n_spikes >= 1


@pytest.mark.parametrize("weight", [400.0, {"kind": "normal", "mean": 400.0, "std": 300.0}])
def test_synapses_delays_and_receptors_give_netdyns_trace(weight):
    """A spiking neuron excites one and inhibits another through explicit synapses: the same
    delays, signs and time constants, whether NEST routes by sign (iaf_psc_exp) or by port
    (a weight of either sign: iaf_psc_exp_multisynapse)."""
    spec = {"dt_ms": 0.1, "seed": 3,
            "populations": [{"name": "E", "n_neurons": 3, "model": "lif_psc_exp",
                             "params": {"i_e_pA": 390.0}, "receptors": [
                                 {"name": "exc", "tau_ms": 0.5}, {"name": "inh", "tau_ms": 2.0}]}],
            "projections": [{"source": "E", "target": "E", "receptor": "exc", "weight": weight, "delay_ms": 1.5,
                             "rule": {"rule": "explicit", "pre": [0, 0], "post": [1, 2]}},
                            {"source": "E", "target": "E", "receptor": "inh", "weight": -300.0, "delay_ms": 2.3,
                             "rule": {"rule": "explicit", "pre": [0], "post": [2]}}],
            "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": [0, 1, 2]}]}}
    net = NestNetwork(spec)
    expected = "iaf_psc_exp" if isinstance(weight, float) else "iaf_psc_exp_multisynapse"
    assert net.plan.populations[0].model == expected
    a, b = _pair(spec, 100.0)
    x, y = _traces(a, b)
    np.testing.assert_allclose(y, x, atol=1e-9)
    assert a.spikes["E"].n_spikes >= 4
    np.testing.assert_array_equal(b.spikes["E"].times_ms, a.spikes["E"].times_ms)
    np.testing.assert_array_equal(b.spikes["E"].senders, a.spikes["E"].senders)


def _connections(net, source, target):
    conns = nest.GetConnections(source=net.nodes[source], target=net.nodes[target])
    return {k: np.asarray(v) for k, v in conns.get(["source", "target", "weight", "delay"]).items()}


@pytest.mark.parametrize("weight", [
    {"kind": "normal", "mean": 2.0, "std": 1.5, "min": 0.0},
    {"kind": "normal", "mean": 2.0, "std": 1.5, "min": 1.0, "max": 3.0, "bound": "clip"},
    {"kind": "lognormal", "mean": -2.0, "std": 1.0},
    {"kind": "uniform", "low": 0.5, "high": 1.5},
])
def test_weight_and_delay_distributions_are_nests_draws_of_the_same_law(weight):
    dist = as_distribution(weight)
    n = 20_000
    spec = {"dt_ms": 0.1, "populations": [{"name": "A", "n_neurons": 200, "model": "lif_psc_exp"},
                                          {"name": "B", "n_neurons": 200, "model": "lif_psc_exp"}],
            "projections": [{"source": "A", "target": "B", "receptor": "exc", "weight": weight,
                             "delay_ms": {"kind": "normal", "mean": 0.3, "std": 1.0, "min": 0.0},
                             "rule": {"rule": "fixed_total_number", "n_synapses": n}}]}
    net = NestNetwork(spec)
    c = _connections(net, "A", "B")
    w = c["weight"]
    assert w.size == n == net.n_synapses
    reference = sample(dist, 200_000, 7)
    se = reference.std() / math.sqrt(n)
    assert abs(w.mean() - dist.expected_value) < 5 * se + 1e-12
    assert abs(w.std() - reference.std()) < 0.05 * reference.std() + 1e-12
    assert w.min() >= reference.min() - 0.05 * abs(reference.min()) - 1e-12
    if getattr(dist, "bound", None) == "clip":  # clipped: the bounds carry mass, as in netdyn
        assert np.isclose((w == 1.0).mean(), (reference == 1.0).mean(), atol=0.02)
    # delays: at least one step (netdyn rounds up to one step), on the step grid
    d = c["delay"]
    assert d.min() >= 0.1 - 1e-9
    np.testing.assert_allclose(d / 0.1, np.rint(d / 0.1), atol=1e-6)


@pytest.mark.parametrize("rule, check", [
    ({"rule": "fixed_indegree", "indegree": 7}, lambda s, t: np.all(np.bincount(t, minlength=50) == 7)),
    ({"rule": "fixed_outdegree", "outdegree": 5}, lambda s, t: np.all(np.bincount(s, minlength=40) == 5)),
    ({"rule": "fixed_total_number", "n_synapses": 333}, lambda s, t: s.size == 333),
    ({"rule": "one_to_one"}, None),
    ({"rule": "all_to_all", "autapses": True}, lambda s, t: s.size == 40 * 50),
    ({"rule": "fixed_probability", "p": 0.3}, lambda s, t: abs(s.size - 600) < 5 * math.sqrt(600 * 0.7)),
])
def test_connection_rules_give_the_degrees_they_promise(rule, check):
    n_b = 40 if rule["rule"] == "one_to_one" else 50
    spec = {"dt_ms": 0.1, "populations": [{"name": "A", "n_neurons": 40, "model": "lif_psc_exp"},
                                          {"name": "B", "n_neurons": n_b, "model": "lif_psc_exp"}],
            "projections": [{"source": "A", "target": "B", "receptor": "exc", "weight": 1.0, "rule": rule}]}
    net = NestNetwork(spec)
    c = _connections(net, "A", "B")
    s = c["source"] - net.nodes["A"][0].global_id
    t = c["target"] - net.nodes["B"][0].global_id
    if check is None:
        np.testing.assert_array_equal(np.sort(s), np.arange(40))
        np.testing.assert_array_equal(t[np.argsort(s)], np.arange(40))
    else:
        assert check(s, t)


def test_autapses_follow_the_rule():
    spec = {"dt_ms": 0.1, "populations": [{"name": "A", "n_neurons": 30, "model": "lif_psc_exp"}],
            "projections": [{"source": "A", "target": "A", "receptor": "exc", "weight": 1.0,
                             "rule": {"rule": "fixed_indegree", "indegree": 29, "multapses": False}}]}
    net = NestNetwork(spec)
    c = _connections(net, "A", "A")
    assert c["source"].size == 30 * 29 and not np.any(c["source"] == c["target"])


def test_poisson_sources_and_time_varying_drives_fire_at_their_rates():
    """Sources: parrots at 40 Hz (count within 5 SE). Drives: a Gaussian bump of input rate
    moves the mean current of a population as netdyn's drive does (same law, both backends)."""
    bump = {"kind": "gaussian", "baseline_hz": 5.0, "amplitude_hz": 30.0, "center_ms": 300.0, "sigma_ms": 50.0}
    spec = {"dt_ms": 0.1, "seed": 2,
            "populations": [{"name": "E", "n_neurons": 1000, "model": "lif_psc_exp",
                             "params": {"v_th_mV": 100.0, "v_reset_mV": -65.0}}],
            "sources": [{"name": "P", "n_neurons": 300, "rate": 40.0}],
            "drives": [{"name": "bg", "target": "E", "receptor": "exc", "n_inputs": 50, "weight": 10.0, "rate": bump}],
            "record": {"spikes": ["P"], "state": [{"population": "E", "variable": "i_exc_pA",
                                                   "neurons": list(range(1000))}], "state_every_ms": 1.0}}
    means = {}
    for backend in ("netdyn", "nest"):
        rec = Network(spec, backend=backend).run(600.0).recording()
        p = rec.spikes["P"]
        expected = 40.0 * 300 * 0.6
        assert abs(p.n_spikes - expected) < 5 * math.sqrt(expected)
        i = rec.state["E"]["i_exc_pA"]
        means[backend] = (i.time_ms.values, i.mean("neuron").values)
    # theory: the mean of a current that decays by exp(-dt/tau) per step and takes n w rate dt
    # per step, n w rate dt / (1 - exp(-dt/tau)) (a low-pass of the bump; tau << sigma); 1,000
    # neurons over 20 ms put the windows' means within ~2 % of it (seeds' spread)
    tau = NetworkSpec.model_validate(spec).populations[0].receptor_list[0].tau_ms
    gain = 50 * 10.0 * 0.1 * 1e-3 / (1.0 - math.exp(-0.1 / tau))
    for backend, (t, m) in means.items():
        peak = m[(t > 290) & (t < 310)].mean()
        base = m[(t > 20) & (t < 100)].mean()
        assert abs(peak - gain * 34.8) < 0.05 * peak, backend
        assert abs(base - gain * 5.0) < 0.1 * base, backend


def test_conductance_models_fire_at_netdyns_rate_under_current():
    """iaf_cond_exp and aeif_cond_exp (NEST's adaptive RKF45) against netdyn's fixed-step
    engine: DC-driven firing rates within 3 %, adaptation included (parameter names and units)."""
    pops = [{"name": "L", "n_neurons": 3, "model": "lif_cond_exp", "params": {"i_e_pA": 0.0}},
            {"name": "A", "n_neurons": 3, "model": "adex_cond_exp",
             "params": {"a_nS": 2.0, "b_pA": 40.0, "tau_w_ms": 100.0, "i_e_pA": 0.0}}]
    currents = [{"name": f"c{j}", "target": pop, "amplitude_pA": amp, "neurons": [j]}
                for pop in ("L", "A") for j, amp in enumerate((250.0, 400.0, 600.0))]
    spec = {"dt_ms": 0.05, "populations": pops, "currents": currents}
    rates = {}
    for backend in ("netdyn", "nest"):
        rec = Network(spec, backend=backend).run(2000.0).recording()
        rates[backend] = {p: np.bincount(rec.spikes[p].window(500.0, 2000.0).senders, minlength=3) / 1.5
                          for p in ("L", "A")}
    for p in ("L", "A"):
        a, b = rates["netdyn"][p], rates["nest"][p]
        assert np.all(a > 2.0), (p, a)
        np.testing.assert_allclose(b, a, rtol=0.03, err_msg=p)


def test_state_probes_and_the_recording_round_trip_through_hdf5(tmp_path):
    spec = {"dt_ms": 0.1, "seed": 1,
            "populations": [{"name": "E", "n_neurons": 20, "model": "lif_cond_exp", "params": {"i_e_pA": 200.0},
                             "initial": {"v_mV": {"kind": "uniform", "low": -60.0, "high": -50.0}}}],
            "projections": [{"source": "E", "target": "E", "receptor": "inh", "weight": 2.0,
                             "rule": {"rule": "fixed_indegree", "indegree": 5}}],
            "record": {"state": [{"population": "E", "variable": "g_inh_nS", "neurons": [0, 3]},
                                 {"population": "E", "variable": "v_mV", "neurons": [0, 1, 2]}],
                       "state_every_ms": 0.5, "spike_neurons": {"E": [0, 1, 2, 3]}}}
    net = NestNetwork(spec)
    # the initial state is netdyn's draw
    np.testing.assert_allclose(net.get_state("E")["v_mV"], Network(spec).get_state("E")["v_mV"])
    rec = net.run(200.0).recording()
    g = rec.state["E"]["g_inh_nS"]
    assert g.dims == ("time_ms", "neuron") and list(g.neuron.values) == [0, 3]
    np.testing.assert_allclose(np.diff(g.time_ms.values), 0.5)
    assert float(g.max()) > 0.0 and g.attrs["units"] == "nS"
    spikes = rec.spikes["E"]
    assert set(np.unique(spikes.senders)) <= {0, 1, 2, 3} and spikes.n_spikes > 0
    assert rec.attrs["backend"] == "nest" and "iaf_cond_exp" in rec.attrs["nest_models"]
    # all 20 neurons count in the population rate, not only the 4 recorded
    total = rec.population_rates["E"].values.sum() * 1e-3 * 20
    assert total > spikes.n_spikes
    path = write_recording(rec, tmp_path / "rec.h5")
    back = read_recording(path)
    np.testing.assert_array_equal(back.spikes["E"].times_ms, spikes.times_ms)
    np.testing.assert_allclose(back.state["E"]["g_inh_nS"].values, g.values)


def test_refusals_come_before_anything_is_built_and_a_new_network_retires_the_old():
    ok = {"dt_ms": 0.1, "populations": [{"name": "E", "n_neurons": 2, "model": "lif_psc_exp"}]}
    first = NestNetwork(ok)
    bad = {**ok, "ou_currents": [{"name": "ou", "target": "E", "mean_pA": 1.0, "sd_pA": 1.0, "tau_ms": 5.0}]}
    with pytest.raises(ConfigError, match="ou_currents"):
        Network(bad, backend="nest")
    first.run(1.0)  # still NEST's network: the refusal reset nothing
    NestNetwork(ok)
    with pytest.raises(RuntimeError, match="one network per"):
        first.run(1.0)


def test_a_missing_nest_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "nest", None)
    with pytest.raises(ConfigError, match="backend.*netdyn\\[nest\\]"):
        Network({"populations": [{"name": "E", "n_neurons": 2, "model": "lif_psc_exp"}]}, backend="nest")
