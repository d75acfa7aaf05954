"""The spiking engine against closed forms, NEST's update order and its own bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netdyn.engines.spiking import Network
from netdyn.engines.spiking.build import check_memory, estimate_memory, plan_layout
from netdyn.errors import ConfigError, MemoryEstimateError, SpikingInstabilityError
from netdyn.models.spiking.base import Receptor, available_models, get_model
from netdyn.models.spiking.neurons.lif_psc_exp import propagator_21
from netdyn.models.spiking.spec import NetworkSpec

DT = 0.1


def lif_spec(n=1, *, i_e_pA=0.0, model="lif_psc_exp", params=None, **extra):
    pop = {"name": "A", "n_neurons": n, "model": model, "params": {"i_e_pA": i_e_pA, **(params or {})}}
    return {"dt_ms": DT, "populations": [pop], **extra}


# ------------------------------------------------------------------ single neurons
def lif_rate_closed_form(i_pA, c_m=250.0, tau_m=10.0, theta=15.0, t_ref=2.0, dt=DT):
    """Rate (Hz) of iaf_psc_exp under DC in discrete time: V_k - E_L = R I (1 - P22^k) from
    reset, spike at the first step with V >= theta, then t_ref/dt clamped steps."""
    r_i = tau_m / c_m * i_pA
    if r_i <= theta:
        return 0.0
    k = math.ceil(math.log(1 - theta / r_i) / (-dt / tau_m) - 1e-12)
    return 1000.0 / ((k + round(t_ref / dt)) * dt)


@pytest.mark.parametrize("i_pA", [380.0, 400.0, 500.0, 800.0])
def test_lif_psc_exp_fi_curve_matches_closed_form(i_pA):
    net = Network(lif_spec(i_e_pA=i_pA)).run(2000.0)
    t = net.recording().spikes["A"].times_ms
    isi = np.diff(t)
    assert isi.size > 10
    # after the first spike the train is exactly periodic
    assert np.ptp(isi) < 1e-9
    assert 1000.0 / isi.mean() == pytest.approx(lif_rate_closed_form(i_pA), rel=1e-9)
    # continuous-time closed form within 1 %
    t_cont = 2.0 + 10.0 * math.log(1 / (1 - 15.0 / (10.0 / 250.0 * i_pA)))
    assert 1000.0 / isi.mean() == pytest.approx(1000.0 / t_cont, rel=0.01 if t_cont > 10 else 0.02)


def test_lif_psc_exp_below_rheobase_is_silent():
    net = Network(lif_spec(i_e_pA=370.0)).run(500.0)  # R I = 14.8 mV < 15 mV
    assert net.recording().spikes["A"].n_spikes == 0
    v = net.get_state("A")["v_mV"]
    assert v[0] == pytest.approx(-65.0 + 14.8 * (1 - math.exp(-50.0)), abs=1e-9)


def test_psc_exp_psp_matches_exact_solution_and_nest_delay():
    """One spike from a driven neuron onto a silent one: the target current jumps at the end
    of step k + d and V follows the exact solution of the linear ODE on the grid."""
    w_pA, delay_ms, tau_s = 100.0, 1.5, 0.5
    spec = {
        "dt_ms": DT,
        "populations": [
            {"name": "src", "n_neurons": 1, "model": "lif_psc_exp", "params": {"i_e_pA": 1000.0, "t_ref_ms": 200.0}},
            {"name": "tgt", "n_neurons": 1, "model": "lif_psc_exp"},
        ],
        "projections": [{"source": "src", "target": "tgt", "receptor": "exc", "rule": {"rule": "one_to_one"},
                         "weight": w_pA, "delay_ms": delay_ms}],
        "record": {"state": [{"population": "tgt", "variable": "v_mV", "neurons": [0]},
                             {"population": "tgt", "variable": "i_exc_pA", "neurons": [0]}]},
    }
    net = Network(spec).run(30.0)
    rec = net.recording()
    t_spike = rec.spikes["src"].times_ms[0]  # end of the spike step k: (k + 1) dt
    k = int(round(t_spike / DT)) - 1
    d = int(round(delay_ms / DT))
    i_syn = rec.state["tgt"]["i_exc_pA"].values[:, 0]
    v = rec.state["tgt"]["v_mV"].values[:, 0]
    # samples are taken at the start of each step: index m holds the state at time m dt
    first = np.flatnonzero(i_syn > 0)[0]
    assert first == k + d + 1
    assert i_syn[first] == pytest.approx(w_pA)
    tau_m, c_m = 10.0, 250.0
    s = (np.arange(v.size) - first) * DT
    after = s >= 0
    exact = w_pA * tau_s * tau_m / (c_m * (tau_m - tau_s)) * (np.exp(-s[after] / tau_m) - np.exp(-s[after] / tau_s))
    np.testing.assert_allclose(v[after] + 65.0, exact, atol=1e-10)
    assert np.all(v[~after] == -65.0)


def test_propagator_limit_equal_time_constants():
    a = propagator_21(10.0, 10.0, 250.0, 0.1)
    b = propagator_21(10.0 * (1 + 1e-7), 10.0, 250.0, 0.1)
    assert a == pytest.approx(b, rel=1e-6)


def test_adex_refractory_clamps_v_while_w_evolves():
    spec = lif_spec(model="adex_cond_exp", i_e_pA=600.0, params={"a_nS": 4.0, "b_pA": 80.0, "tau_w_ms": 100.0, "t_ref_ms": 5.0},
                    record={"state": [{"population": "A", "variable": "v_mV", "neurons": [0]},
                                      {"population": "A", "variable": "w_pA", "neurons": [0]}]})
    net = Network(spec).run(300.0)
    rec = net.recording()
    spikes = rec.spikes["A"].times_ms
    assert spikes.size >= 3
    isi = np.diff(spikes)
    assert np.all(np.diff(isi) > -1e-9)  # spike-frequency adaptation: intervals lengthen
    v = rec.state["A"]["v_mV"].values[:, 0]
    w = rec.state["A"]["w_pA"].values[:, 0]
    k = int(round(spikes[0] / DT))  # first sample after the spike step
    assert np.all(v[k:k + 50] == -70.0)
    assert v[k + 51] > -70.0
    assert w[k] == pytest.approx(w[k - 1] + 80.0, abs=2.0)
    assert np.ptp(w[k:k + 50]) > 0  # w keeps evolving while V is clamped


# ------------------------------------------------------------------ bookkeeping
def small_network(seed=3, **kw):
    n_e, n_i = 160, 40
    spec = {
        "dt_ms": DT, "seed": seed,
        "populations": [
            {"name": "E", "n_neurons": n_e, "model": "adex_cond_exp", "params": {"b_pA": 20.0},
             "initial": {"v_mV": {"kind": "uniform", "low": -70, "high": -55}}},
            {"name": "I", "n_neurons": n_i, "model": "adex_cond_exp", "params": {"delta_t_mV": 0.5}},
        ],
        "projections": [
            {"source": s, "target": t, "receptor": "exc" if s == "E" else "inh",
             "rule": {"rule": "fixed_indegree", "indegree": 20 if s == "E" else 5},
             "weight": 1.0 if s == "E" else 5.0,
             "delay_ms": {"kind": "uniform", "low": 0.1, "high": 2.0}}
            for s in ("E", "I") for t in ("E", "I")
        ],
        "drives": [{"name": "aff", "target": t, "receptor": "exc", "n_inputs": 200, "weight": 1.0, "rate": 8.0}
                   for t in ("E", "I")],
        "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": [0, 5]}], "state_every_ms": 0.5,
                   "rate_bin_ms": 5.0},
    }
    spec.update(kw)
    return spec


def spikes_of(rec):
    return {p: (s.times_ms.copy(), s.senders.copy()) for p, s in rec.spikes.items()}


def test_same_seed_same_spikes_whatever_the_chunking():
    a = Network(small_network()).run(300.0).recording()
    b = Network(small_network(), chunk_steps=137).run(120.0).run(180.0).recording()
    for pop in ("E", "I"):
        np.testing.assert_array_equal(a.spikes[pop].times_ms, b.spikes[pop].times_ms)
        np.testing.assert_array_equal(a.spikes[pop].senders, b.spikes[pop].senders)
        np.testing.assert_array_equal(a.population_rates[pop].values, b.population_rates[pop].values)
    np.testing.assert_array_equal(a.state["E"]["v_mV"].values, b.state["E"]["v_mV"].values)
    np.testing.assert_array_equal(a.state["E"]["v_mV"].time_ms.values, b.state["E"]["v_mV"].time_ms.values)
    assert a.spikes["E"].n_spikes > 100


def test_other_seed_other_spikes():
    a = Network(small_network(seed=3)).run(200.0).recording()
    b = Network(small_network(seed=4)).run(200.0).recording()
    assert not np.array_equal(a.spikes["E"].times_ms, b.spikes["E"].times_ms)


@pytest.mark.parametrize("threads", [1, 2])
def test_spike_buffer_growth_keeps_every_spike(threads):
    net = Network(small_network(), threads=threads)
    net._spk_step = np.empty(2 * net._rec_neurons + 1, dtype=np.int64)  # the smallest it may be
    net._spk_id = np.empty(net._spk_step.size, dtype=np.int32)
    grown = net.run(300.0).recording()
    ref = Network(small_network()).run(300.0).recording()
    np.testing.assert_array_equal(grown.spikes["E"].times_ms, ref.spikes["E"].times_ms)


def test_population_rate_bins_count_every_spike():
    rec = Network(small_network()).run(300.0).recording()
    for pop in ("E", "I"):
        r = rec.population_rates[pop]
        n = rec.spikes[pop].n_neurons
        counts = r.values * n * r.attrs["bin_ms"] * 1e-3
        # a spike at the end of step k is counted in the bin of step k
        steps = np.rint(rec.spikes[pop].times_ms / DT).astype(int) - 1
        expect = np.bincount(steps // 50, minlength=counts.size)[: counts.size]
        np.testing.assert_allclose(counts, expect, atol=1e-9)


def test_state_probe_sampling_times_and_first_value():
    spec = small_network()
    net = Network(spec)
    v0 = net.get_state("E")["v_mV"][[0, 5]]
    rec = net.run(10.0).recording()
    v = rec.state["E"]["v_mV"]
    np.testing.assert_allclose(v.time_ms.values, np.arange(20) * 0.5)
    np.testing.assert_array_equal(v.values[0], v0)
    assert v.attrs["units"] == "mV"


def test_poisson_drive_event_count_matches_rate():
    """With a synaptic time constant of 1e12 ms the current is a counter of the drive's events."""
    n = 2000
    spec = {"dt_ms": DT, "populations": [{"name": "A", "n_neurons": n, "model": "lif_psc_exp",
                                          "params": {"v_th_mV": 1e9}, "receptors": [{"name": "exc", "tau_ms": 1e12}]}],
            "drives": [{"name": "d", "target": "A", "receptor": "exc", "n_inputs": 50, "weight": 1.0, "rate": 20.0}]}
    counts = Network(spec).run(1000.0).get_state("A")["i_exc_pA"]
    mean = 50 * 20.0 * 1.0  # events per neuron in 1 s
    assert counts.mean() == pytest.approx(mean, abs=5 * math.sqrt(mean / n))
    assert counts.var() == pytest.approx(mean, rel=0.15)  # Poisson: variance = mean


def test_bernoulli_drive_is_sub_poisson():
    n = 2000
    spec = {"dt_ms": DT, "populations": [{"name": "A", "n_neurons": n, "model": "lif_psc_exp",
                                          "params": {"v_th_mV": 1e9}, "receptors": [{"name": "exc", "tau_ms": 1e12}]}],
            "drives": [{"name": "d", "target": "A", "receptor": "exc", "n_inputs": 2000, "weight": 1.0, "rate": 1.0,
                        "statistics": "bernoulli"}]}
    counts = Network(spec).run(1000.0).get_state("A")["i_exc_pA"]
    p = 2000 * 1.0 * DT * 1e-3  # 0.2 per step
    assert counts.mean() == pytest.approx(10000 * p, abs=5 * math.sqrt(10000 * p * (1 - p) / n))
    assert counts.var() == pytest.approx(10000 * p * (1 - p), rel=0.15)


def test_poisson_source_population_through_projection():
    spec = {"dt_ms": DT, "populations": [{"name": "A", "n_neurons": 100, "model": "lif_psc_exp",
                                          "params": {"v_th_mV": 1e9}, "receptors": [{"name": "exc", "tau_ms": 1e12}]}],
            "sources": [{"name": "P", "n_neurons": 50, "rate": 10.0}],
            "projections": [{"source": "P", "target": "A", "receptor": "exc", "rule": {"rule": "all_to_all"}, "weight": 1.0}],
            "record": {"spikes": ["A", "P"]}}
    net = Network(spec).run(2000.0)
    rec = net.recording()
    n_src = rec.spikes["P"].n_spikes
    assert n_src == pytest.approx(50 * 10 * 2, abs=5 * math.sqrt(1000))
    # every target received every source spike (all-to-all, weight 1), up to those still in flight
    received = net.get_state("A")["i_exc_pA"]
    assert np.all(received == received[0])
    assert n_src - 50 <= received[0] <= n_src


@pytest.mark.parametrize("n_receptors", [1, 2, 3])
@pytest.mark.parametrize("model", available_models())
def test_every_model_consumes_each_input_once(model, n_receptors):
    """Each model reads its slot of the ring buffer and zeroes it (the engine does not clear it):
    with tau = 1e12 ms every synaptic state is a counter of the events that reached it, once each."""
    kind = get_model(model).synapse_kind
    receptors = [{"name": f"r{r}", "tau_ms": 1e12, **({"e_rev_mV": -70.0} if kind == "conductance" else {})}
                 for r in range(n_receptors)]
    weight = 1e-3  # nS or pA: the cells stay near rest
    spec = {"dt_ms": DT, "seed": 2,
            "populations": [{"name": "A", "n_neurons": 70, "model": model, "receptors": receptors}],
            "sources": [{"name": f"P{r}", "n_neurons": 20, "rate": 20.0 * (r + 1)} for r in range(n_receptors)],
            "projections": [{"source": f"P{r}", "target": "A", "receptor": f"r{r}", "rule": {"rule": "all_to_all"},
                             "weight": weight, "delay_ms": {"kind": "uniform", "low": 0.1, "high": 1.0}}
                            for r in range(n_receptors)],
            "record": {"spikes": [f"P{r}" for r in range(n_receptors)]}}
    net = Network(spec).run(500.0)
    rec = net.recording()
    state = net.get_state("A")
    for r in range(n_receptors):
        received = state[get_model(model).synaptic_state_name(Receptor(**receptors[r]))] / np.float32(weight)
        sent = rec.spikes[f"P{r}"].n_spikes
        assert sent > 100
        assert np.all(received <= sent + 1e-6)  # at most once; those in flight (< 1 ms) are missing
        assert np.all(received >= sent - 20 * 50 * (r + 1) * 1e-3 * 1.0 - 10)
    n_slots = net.synapses.n_slots
    last = int(round(net.t_ms / DT)) - 1
    assert not np.any(net.ring.reshape(n_slots, -1)[last % n_slots])  # the slot just consumed


def test_step_current_window():
    spec = lif_spec(n=2, currents=[{"name": "pulse", "target": "A", "amplitude_pA": 600.0, "start_ms": 100.0,
                                    "stop_ms": 200.0, "neurons": [1]}])
    rec = Network(spec).run(300.0).recording()
    s = rec.spikes["A"]
    assert np.all(s.senders == 1)
    assert s.times_ms.min() > 100.0 and s.times_ms.max() <= 200.0 + DT


def test_set_params_between_runs():
    net = Network(lif_spec(i_e_pA=0.0)).run(100.0)
    assert net.recording().spikes["A"].n_spikes == 0
    net.set_params("A", i_e_pA=500.0)
    net.run(100.0)
    t = net.recording().spikes["A"].times_ms
    assert t.size > 3 and t.min() > 100.0
    with pytest.raises(ConfigError, match="c_m_pF"):
        net.set_params("A", c_m_pF=-1.0)


def test_non_finite_state_names_population_neuron_and_time():
    net = Network(lif_spec(n=3, model="adex_cond_exp", params={"a_nS": 1e307, "tau_w_ms": 0.01, "delta_t_mV": 0.0}))
    net.run(0.5)  # at rest: V = E_L, so a (V - E_L) = 0
    net.set_state("A", "v_mV", [-70.0, -60.0, -70.0])  # w of neuron 1 overflows in step 5, V in step 6
    with pytest.raises(SpikingInstabilityError, match=r"population 'A', neuron 1, at step 6 \(t = 0.7 ms\)") as err:
        net.run(10.0)
    assert err.value.population == "A" and err.value.neuron == 1


def test_memory_estimate_refuses_a_network_that_does_not_fit():
    spec = NetworkSpec.model_validate(small_network())
    est = estimate_memory(spec, plan_layout(spec))
    assert est.n_synapses == 200 * 20 + 200 * 5
    with pytest.raises(MemoryEstimateError, match="GiB"):
        check_memory(est, available=est.total_bytes // 2)
    check_memory(est, available=10 * est.total_bytes)


def test_network_refuses_before_building_when_psutil_reports_too_little_memory(monkeypatch):
    """The available memory is psutil's (virtual_memory().available); with less than the
    estimate / 0.9 available, Network raises MemoryEstimateError before any synapse is drawn,
    and builds with check_memory=False."""
    import collections

    import netdyn.engines.spiking.build as build
    import netdyn.engines.spiking.network as network

    spec = NetworkSpec.model_validate(small_network())
    need = estimate_memory(spec, plan_layout(spec)).total_bytes
    vm = collections.namedtuple("svmem", "total available")
    monkeypatch.setattr(build.psutil, "virtual_memory", lambda: vm(10 * need, need))  # need > 0.9 need
    assert build.available_memory_bytes() == need
    built = []
    real_build = network.build_synapses
    monkeypatch.setattr(network, "build_synapses", lambda *a: built.append(1) or real_build(*a))
    with pytest.raises(MemoryEstimateError, match="GiB"):
        Network(spec)
    assert built == []
    Network(spec, check_memory=False)
    monkeypatch.setattr(build.psutil, "virtual_memory", lambda: vm(10 * need, int(need / 0.9) + 1))
    Network(spec)
    assert built == [1, 1]


def test_available_memory_is_psutils():
    import psutil

    from netdyn.engines.spiking.build import available_memory_bytes

    got, ref = available_memory_bytes(), psutil.virtual_memory()
    assert 0 < got <= ref.total and abs(got - ref.available) < 0.1 * ref.total  # moves a little between calls


def test_header_length_check_survives_python_O():
    """A model whose constants() header and step disagree in length fails with a ValueError
    naming the model, also under ``python -O`` (where an assert would vanish): every
    registered model with a ``_HEADER``, in one subprocess."""
    import subprocess
    import sys

    code = """
import importlib
from netdyn.models.spiking.base import available_models, get_model
for name in available_models():
    model = get_model(name)
    mod = importlib.import_module(model.__module__)
    if not hasattr(mod, "_HEADER"):
        continue
    model.constants(model.Params(), model.default_receptors, 0.1)  # consistent: fine
    mod._HEADER += 1
    try:
        model.constants(model.Params(), model.default_receptors, 0.1)
    except ValueError as err:
        print(__debug__, err)
"""
    out = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for name in ("adex_cond_exp", "lif_cond_exp", "lif_psc_exp"):
        assert any(line.startswith("False ") and f"'{name}'" in line and "header values" in line for line in lines), out.stdout


def test_bytes_per_synapse_at_most_eight_and_a_bit():
    net = Network(small_network())
    assert net.n_synapses == 200 * 25
    assert net.bytes_per_synapse < 8 + (16 + 4 * 20) / 25  # 8 bytes + segments (<= 20 delays per source)
    big = Network(small_network(projections=[{"source": "E", "target": "E", "receptor": "exc",
                                              "rule": {"rule": "fixed_indegree", "indegree": 100}, "weight": 1.0}]))
    syn = big.synapses
    n_sources, n_segments = syn.seg_ptr.size - 1, syn.seg_delay.size
    expected = 8 + (16 * (n_sources + 1) + 4 * n_segments) / big.n_synapses
    assert big.bytes_per_synapse == pytest.approx(expected)
    assert big.bytes_per_synapse < 8.25  # 80 synapses per source on average, one delay


def test_conductance_weights_must_be_non_negative():
    spec = small_network()
    spec["projections"][0]["weight"] = -1.0
    with pytest.raises(ConfigError, match=r"projections\.0\.weight"):
        Network(spec)


@pytest.mark.parametrize("change, field", [
    ({"populations": [{"name": "bad_name", "n_neurons": 3}]}, "name"),
    ({"populations": [{"name": "A", "n_neurons": 0}]}, "n_neurons"),
    ({"populations": [{"name": "A", "n_neurons": 3, "model": "hh"}]}, "model"),
    ({"populations": [{"name": "A", "n_neurons": 3, "params": {"c_m": 3}}]}, "params.c_m"),
    ({"populations": [{"name": "A", "n_neurons": 3, "initial": {"u_mV": 1.0}}]}, "initial.u_mV"),
    ({"drives": [{"name": "d", "target": "B", "receptor": "exc", "n_inputs": 1, "weight": 1.0, "rate": 1.0}]}, "drives.0.target"),
    ({"drives": [{"name": "d", "target": "A", "receptor": "nmda", "n_inputs": 1, "weight": 1.0, "rate": 1.0}]}, "drives.0.receptor"),
])
def test_bad_specs_name_the_field(change, field):
    spec = {"dt_ms": DT, "populations": [{"name": "A", "n_neurons": 3}], **change}
    with pytest.raises(ConfigError) as err:
        Network(spec)
    assert field in err.value.field


def test_coba_rate_in_published_range():
    """Vogels-Abbott COBA (spec spiking.md section 5), 4000 neurons: all implementations give
    21-22 Hz; allow the seed spread (+-1.5 Hz) over two seeds."""
    from netdyn.studies.coba import coba_spec

    rates = []
    for seed in (1, 2):
        rec = Network(coba_spec(4000, seed=seed)).run(500.0).recording()
        rates.append(np.mean([rec.spikes[p].window(100.0, 500.0).n_spikes / (rec.spikes[p].n_neurons * 0.4)
                              for p in ("E", "I")]))
    assert 19.5 < np.mean(rates) < 24.0


def test_large_poisson_means_are_exact_sums():
    """Means above 30 per step are drawn as sums of smaller Poisson counts."""
    n = 2000
    spec = {"dt_ms": DT, "populations": [{"name": "A", "n_neurons": n, "model": "lif_psc_exp",
                                          "params": {"v_th_mV": 1e9}, "receptors": [{"name": "exc", "tau_ms": 1e12}]}],
            "drives": [{"name": "d", "target": "A", "receptor": "exc", "n_inputs": 1000, "weight": 1.0, "rate": 400.0}]}
    counts = Network(spec).run(10.0).get_state("A")["i_exc_pA"]  # mean 40 per step, 100 steps
    assert counts.mean() == pytest.approx(4000, abs=5 * math.sqrt(4000 / n))
    assert counts.var() == pytest.approx(4000, rel=0.15)


def test_input_generators_are_uniform_and_independent():
    from scipy import stats

    from netdyn.engines.spiking.kernel import counter_uniform, step_stream

    stream = np.uint64(step_stream(np.uint64(7), 3))  # counter-based: neighbours in i, in step
    by_neuron = np.array([counter_uniform(stream, i) for i in range(20000)])
    by_step = np.array([counter_uniform(np.uint64(step_stream(np.uint64(7), t)), 0) for t in range(20000)])
    for u in (by_neuron, by_step):
        assert stats.kstest(u, "uniform").pvalue > 1e-4
        assert u.min() >= 0.0 and u.max() < 1.0
        assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4 / math.sqrt(u.size)


@pytest.mark.parametrize("rate_hz", [2000.0, 450_000.0])  # 0.2 and 45 spikes per step (the large-mean path)
def test_poisson_source_counts_follow_the_poisson_law(rate_hz):
    """A source neuron's spikes in one step: Poisson of mean rate * dt (mean and variance within
    5 standard errors over 20,000 neurons x 5 steps), the same for any number of threads."""
    n, steps = 20000, 5
    spec = {"dt_ms": DT, "seed": 4, "populations": [{"name": "A", "n_neurons": 2, "model": "lif_psc_exp"}],
            "sources": [{"name": "P", "n_neurons": n, "rate": rate_hz}], "record": {"spikes": ["P"]}}
    recs = [Network(spec, threads=t).run(steps * DT).recording() for t in (1, 3)]
    assert recs[0].spike_digest() == recs[1].spike_digest()
    s = recs[0].spikes["P"]
    step = np.rint(np.asarray(s.times_ms) / DT).astype(np.int64) - 1
    counts = np.bincount(step * n + np.asarray(s.senders), minlength=steps * n)
    lam = rate_hz * DT * 1e-3
    se_mean = math.sqrt(lam / counts.size)
    assert counts.mean() == pytest.approx(lam, abs=5 * se_mean)
    se_var = lam * math.sqrt((2 + 1 / lam) / counts.size)  # SD of a Poisson sample variance
    assert counts.var() == pytest.approx(lam, abs=5 * se_var)


@pytest.mark.parametrize("n_inputs", [20, 200, 2000, 6000])
def test_poisson_drive_counts_follow_the_poisson_law(n_inputs):
    """One step of a drive: the counts per neuron against the Poisson pmf (chi-square), for means
    from 0.0016 to 4.8 per step (the CDF tables of every length)."""
    from scipy import stats

    n = 40000
    spec = {"dt_ms": DT, "seed": 11,
            "populations": [{"name": "A", "n_neurons": n, "model": "lif_psc_exp", "params": {"v_th_mV": 1e9},
                             "receptors": [{"name": "exc", "tau_ms": 1e12}]}],
            "drives": [{"name": "d", "target": "A", "receptor": "exc", "n_inputs": n_inputs, "weight": 1.0,
                        "rate": 8.0}]}
    counts = np.rint(Network(spec).run(DT).get_state("A")["i_exc_pA"]).astype(int)
    lam = n_inputs * 8.0 * DT * 1e-3
    k_max = int(stats.poisson.ppf(1 - 1e-4, lam))
    observed = np.bincount(np.minimum(counts, k_max), minlength=k_max + 1)
    expected = n * np.append(stats.poisson.pmf(np.arange(k_max), lam), stats.poisson.sf(k_max - 1, lam))
    keep = expected >= 5  # pool the sparse tail into the last kept class
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    if exp[-1] < 5:
        obs, exp = np.append(obs[:-2], obs[-2:].sum()), np.append(exp[:-2], exp[-2:].sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-4


def test_rows_are_counting_sorted_by_delay_into_segments():
    from netdyn.engines.spiking.kernel import sort_rows_by_delay

    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 40, 50)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(indptr[-1])
    target = rng.integers(0, 1000, n).astype(np.int32)
    weight = rng.normal(size=n).astype(np.float32)
    delay = rng.integers(1, 7, n).astype(np.int16)
    expect = []
    for i in range(sizes.size):
        a, b = indptr[i], indptr[i + 1]
        order = np.argsort(delay[a:b], kind="stable")
        expect.append((target[a:b][order], weight[a:b][order], delay[a:b][order]))
    seg_ptr, seg_delay, seg_len = sort_rows_by_delay(indptr, target, weight, delay)
    for i, (t, w, d) in enumerate(expect):
        a, b = indptr[i], indptr[i + 1]
        np.testing.assert_array_equal(target[a:b], t)
        np.testing.assert_array_equal(weight[a:b], w)
        segs = slice(seg_ptr[i], seg_ptr[i + 1])
        np.testing.assert_array_equal(np.repeat(seg_delay[segs], seg_len[segs]), d)
        assert seg_len[segs].sum() == b - a
        assert np.all(np.diff(seg_delay[segs]) > 0)


def test_populations_of_different_models_in_one_network():
    """An AdEx population drives an iaf_psc_exp population: one compiled loop calls both steps."""
    spec = {"dt_ms": DT, "seed": 1,
            "populations": [{"name": "A", "n_neurons": 50, "model": "adex_cond_exp", "params": {"i_e_pA": 500.0}},
                            {"name": "B", "n_neurons": 20, "model": "lif_psc_exp", "params": {"v_th_mV": 1e9},
                             "receptors": [{"name": "exc", "tau_ms": 1e12}]},
                            {"name": "C", "n_neurons": 10, "model": "lif_cond_exp", "params": {"i_e_pA": 300.0}}],
            "projections": [{"source": "A", "target": "B", "receptor": "exc", "rule": {"rule": "all_to_all"},
                             "weight": 1.0}]}
    net = Network(spec).run(200.0)
    rec = net.recording()
    n_a = rec.spikes["A"].n_spikes
    assert n_a > 100 and rec.spikes["C"].n_spikes > 10
    received = net.get_state("B")["i_exc_pA"]  # every A spike reached every B neuron (tau = 1e12 ms)
    assert np.all(received == received[0]) and n_a - 50 <= received[0] <= n_a


def test_lif_cond_euler_option_agrees_with_exponential_euler():
    """Forward Euler (Brian2's numerics) and exponential Euler agree to O(dt) on a driven cell."""
    def trace(integrator):
        spec = lif_spec(model="lif_cond_exp", i_e_pA=180.0, params={"integrator": integrator},
                        drives=[{"name": "d", "target": "A", "receptor": "exc", "n_inputs": 10, "weight": 2.0, "rate": 50.0}],
                        record={"state": [{"population": "A", "variable": "v_mV", "neurons": [0]}]})
        return Network(spec).run(30.0).recording().state["A"]["v_mV"].values[:, 0]

    exp_euler, euler = trace("exp_euler"), trace("euler")
    assert np.max(np.abs(exp_euler - euler)) < 0.05  # mV; same input events (same seed)
    assert not np.array_equal(exp_euler, euler)
    with pytest.raises(ConfigError, match="integrator"):
        Network(lif_spec(model="lif_cond_exp", params={"integrator": "rk4"}))


def test_spike_digest_names_the_spike_list_whatever_the_chunks_and_the_order():
    """Runs cut into different chunks make the same spikes, hence one digest; the digest does
    not depend on the order spikes are listed in, survives HDF5, and changes with one spike."""
    import dataclasses
    import tempfile
    from pathlib import Path

    from netdyn.studies.coba import coba_spec

    from netdyn.io.hdf5 import read_recording, write_recording
    from netdyn.record.spiking import SpikeTrains

    spec = coba_spec(400, seed=3)
    one = Network(spec, chunk_steps=5000).run(200.0).recording()
    other = Network(spec, chunk_steps=37).run(200.0).recording()
    assert one.spikes["E"].n_spikes > 50
    assert one.spike_digest() == other.spike_digest()
    e = one.spikes["E"]
    order = np.random.default_rng(0).permutation(e.n_spikes)
    shuffled = dataclasses.replace(one, spikes={**one.spikes, "E": SpikeTrains(
        "E", e.n_neurons, e.times_ms[order], e.senders[order], e.t_start_ms, e.t_stop_ms, e.recorded)})
    assert shuffled.spike_digest() == one.spike_digest()
    moved = e.senders.copy()
    moved[0] = (moved[0] + 1) % e.n_neurons
    changed = dataclasses.replace(one, spikes={**one.spikes, "E": SpikeTrains(
        "E", e.n_neurons, e.times_ms, moved, e.t_start_ms, e.t_stop_ms, e.recorded)})
    assert changed.spike_digest() != one.spike_digest()
    with tempfile.TemporaryDirectory() as tmp:
        back = read_recording(write_recording(one, Path(tmp) / "r.h5"))
    assert back.spike_digest() == one.spike_digest()
