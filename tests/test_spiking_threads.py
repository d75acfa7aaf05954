"""Threads inside one simulation: the spiking engine gives the same spikes, states, rates,
probes and plastic weights, bit for bit, for any number of threads; checkpoints move between
thread counts; errors are reported the same way. Also the barrier and thread pool underneath."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from netdyn.config.consolidation import ConsolidationConfig
from netdyn.engines.spiking import Network
from netdyn.engines.threads import SleepingBarrier, barrier_wait, check_threads, run_parallel
from netdyn.errors import ConfigError, SpikingInstabilityError
from netdyn.studies.coba import coba_spec
from netdyn.studies.consolidation.network import plastic_parameters
from netdyn.studies.microcircuit import microcircuit_spec

THREADS = (1, 2, 3)


def everything_spec(seed: int = 5) -> dict:
    """A network with every input and recording the engine has: two models, a plastic
    projection, Poisson sources, Poisson drives (small and large means), a Bernoulli drive, DC
    and step currents, OU currents switched on and off, state and plastic probes, rate bins;
    populations of sizes that do not divide by the thread counts."""
    neuron = {"c_m_pF": 250.0, "tau_m_ms": 10.0, "e_l_mV": -65.0, "v_th_mV": -55.0, "v_reset_mV": -70.0,
              "t_ref_ms": 2.0}
    return {
        "dt_ms": 0.1, "seed": seed,
        "populations": [
            {"name": "E", "n_neurons": 157, "model": "lif_psc_exp", "params": neuron,
             "receptors": [{"name": "syn", "tau_ms": 5.0}, {"name": "inh", "tau_ms": 8.0}]},
            {"name": "I", "n_neurons": 41, "model": "lif_cond_exp",
             "params": {"c_m_pF": 200.0, "g_l_nS": 10.0, "e_l_mV": -60.0, "v_th_mV": -50.0, "v_reset_mV": -60.0,
                        "t_ref_ms": 2.0},
             "receptors": [{"name": "exc", "tau_ms": 5.0, "e_rev_mV": 0.0}],
             "initial": {"v_mV": {"kind": "uniform", "low": -60.0, "high": -50.0}}},
        ],
        "sources": [{"name": "P", "n_neurons": 61, "rate": 30.0}],
        "projections": [
            {"source": "E", "target": "E", "receptor": "syn", "rule": {"rule": "fixed_probability", "p": 0.1},
             "weight": 400.0, "delay_ms": 1.0,
             "plasticity": {"rule": "calcium_stc", "params": plastic_parameters(ConsolidationConfig())}},
            {"source": "E", "target": "I", "receptor": "exc", "rule": {"rule": "fixed_indegree", "indegree": 20},
             "weight": 1.0, "delay_ms": {"kind": "uniform", "low": 0.5, "high": 3.0}},
            {"source": "I", "target": "E", "receptor": "inh", "rule": {"rule": "fixed_probability", "p": 0.3},
             "weight": -8.0, "delay_ms": 0.8},
            {"source": "P", "target": "E", "receptor": "syn", "rule": {"rule": "fixed_indegree", "indegree": 10},
             "weight": 30.0, "delay_ms": 1.5},
        ],
        "drives": [
            {"name": "bg", "target": "I", "receptor": "exc", "n_inputs": 100, "weight": 0.5, "rate": 20.0},
            {"name": "big", "target": "E", "receptor": "syn", "n_inputs": 40000, "weight": 0.02, "rate": 10.0},
            {"name": "coin", "target": "I", "receptor": "exc", "n_inputs": 1, "weight": 2.0, "rate": 300.0,
             "statistics": "bernoulli"},
        ],
        "currents": [{"name": "dc", "target": "I", "amplitude_pA": 50.0, "start_ms": 20.0, "stop_ms": 140.0,
                      "neurons": [0, 3, 40]}],
        "ou_currents": [{"name": "noise", "target": "E", "mean_pA": 250.0, "sd_pA": 100.0, "tau_ms": 5.0,
                         "intervals_ms": [[0.0, 80.0], [120.0, 200.0]]},
                        {"name": "kick", "target": "E", "mean_pA": 300.0, "sd_pA": 50.0, "tau_ms": 2.0,
                         "neurons": [0, 80, 156]}],
        "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": [0, 78, 156]},
                             {"population": "I", "variable": "g_exc_nS", "neurons": [1, 40]}],
                   "state_every_ms": 0.5, "rate_bin_ms": 5.0,
                   "plasticity": [{"variable": "protein_umol", "neurons": [0, 100]}]},
    }


def _with_plastic_synapse(spec: dict) -> dict:
    net = Network(spec)
    pre, post = int(net.plastic.pre[3]), int(net.plastic.post[3])
    spec["record"]["plasticity"] += [{"variable": v, "synapses": [[pre, post]]} for v in ("h_mV", "ca")]
    return spec


def _everything(rec) -> dict[str, np.ndarray]:
    out = {"digest": np.frombuffer(rec.spike_digest().encode(), np.uint8)}
    for pop, variables in rec.state.items():
        for var, da in variables.items():
            out[f"{pop}/{var}"] = da.values
    for pop, da in rec.population_rates.items():
        out[f"rate/{pop}"] = da.values
    return out


def test_every_input_and_recording_is_identical_for_any_number_of_threads():
    spec = _with_plastic_synapse(everything_spec())
    results = []
    for threads in (*THREADS, 5):
        net = Network(spec, threads=threads, chunk_steps=700)
        net.run(100.0).run(100.0)
        results.append((_everything(net.recording()), net.plastic.st.copy(), net.plastic.nst.copy(),
                        {p: net.get_state(p) for p in ("E", "I")}))
    ref = results[0]
    assert ref[0]["digest"].size and sum(np.isfinite(v).all() for v in ref[0].values()) == len(ref[0])
    for other in results[1:]:
        assert sorted(other[0]) == sorted(ref[0])
        for key in ref[0]:
            np.testing.assert_array_equal(other[0][key], ref[0][key], err_msg=key)
        np.testing.assert_array_equal(other[1], ref[1])
        np.testing.assert_array_equal(other[2], ref[2])
        for pop in ("E", "I"):
            for var in ref[3][pop]:
                np.testing.assert_array_equal(other[3][pop][var], ref[3][pop][var], err_msg=f"{pop}.{var}")


def test_the_network_with_everything_is_active():
    """Not a vacuous comparison: every population and the source spike, the plastic weight moves."""
    net = Network(_with_plastic_synapse(everything_spec()), threads=2).run(200.0)
    rec = net.recording()
    assert all(rec.spikes[p].n_spikes > 20 for p in ("E", "I"))
    h = rec.state["E->E:syn"]["h_mV"].values
    assert np.ptp(h) > 0


@pytest.mark.parametrize("spec", [coba_spec(4000, seed=3), microcircuit_spec(0.1, seed=3)], ids=["coba", "microcircuit"])
def test_coba_and_microcircuit_spike_trains_are_identical_at_1_2_3_threads(spec):
    digests = {t: Network(spec, threads=t).run(150.0).recording().spike_digest() for t in THREADS}
    assert len(set(digests.values())) == 1, digests


def test_checkpoints_move_between_thread_counts(tmp_path):
    spec = _with_plastic_synapse(everything_spec(seed=8))
    ref = Network(spec, threads=1).run(160.0)
    first = Network(spec, threads=2).run(70.0)
    first.save_state(tmp_path / "state.npz")
    for threads in (1, 3):
        second = Network(spec, threads=threads).load_state(tmp_path / "state.npz").run(90.0)
        for pop in ("E", "I"):
            for var, values in ref.get_state(pop).items():
                np.testing.assert_array_equal(second.get_state(pop)[var], values, err_msg=f"{threads}: {pop}.{var}")
        np.testing.assert_array_equal(second.plastic.st, ref.plastic.st)
        late = ref.recording().spikes["E"]
        keep = late.times_ms > 70.0
        np.testing.assert_array_equal(second.recording().spikes["E"].times_ms, late.times_ms[keep])


@pytest.mark.parametrize("threads", THREADS)
def test_non_finite_state_is_reported_the_same_way_at_any_thread_count(threads):
    spec = {"dt_ms": 0.1, "populations": [{"name": "A", "n_neurons": 7, "model": "adex_cond_exp",
                                           "params": {"a_nS": 1e307, "tau_w_ms": 0.01, "delta_t_mV": 0.0}}]}
    net = Network(spec, threads=threads)
    net.run(0.5)
    net.set_state("A", "v_mV", [-70.0, -70.0, -70.0, -70.0, -60.0, -70.0, -60.0])  # neurons 4 and 6 overflow
    with pytest.raises(SpikingInstabilityError, match=r"population 'A', neuron 4, at step 6 \(t = 0.7 ms\)"):
        net.run(10.0)


def test_thread_count_is_validated():
    with pytest.raises(ConfigError, match="threads"):
        Network(coba_spec(100), threads=0)


@given(st.one_of(st.integers(max_value=0), st.floats(), st.text(), st.booleans()))
def test_check_threads_refuses_anything_but_a_positive_integer(value):
    with pytest.raises(ConfigError, match="threads"):
        check_threads(value)


@njit(nogil=True)
def _exchange(tid, bar, slots, rounds):  # pragma: no cover - compiled
    """Each round every thread writes its slot, then checks every other thread's slot."""
    n = bar[4]
    for r in range(rounds):
        slots[r % 2, tid] = r * 100 + tid
        barrier_wait(*bar)
        for u in range(n):
            if slots[r % 2, u] != r * 100 + u:
                return r
    return -1


@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_barrier_orders_writes_and_reads(threads):
    bar = SleepingBarrier(threads)
    slots = np.full((2, threads), -1, dtype=np.int64)
    assert run_parallel(lambda tid: _exchange(tid, bar.args, slots, 3000), threads) == [-1] * threads
    assert bar.spin == (0 if threads > len(__import__("os").sched_getaffinity(0)) else bar.spin)


def test_run_parallel_reraises_and_runs_thread_zero_on_the_caller():
    seen = []

    def work(tid):
        seen.append((tid, threading.current_thread() is threading.main_thread()))
        if tid == 2:
            raise ValueError("thread 2 failed")
        return tid

    with pytest.raises(ValueError, match="thread 2"):
        run_parallel(work, 3)
    assert (0, True) in seen and sorted(t for t, _ in seen) == [0, 1, 2]
    assert run_parallel(lambda tid: tid * tid, 4) == [0, 1, 4, 9]


def test_netdyn_run_writes_the_same_summary_at_any_thread_count(tmp_path):
    import json
    from pathlib import Path

    from netdyn.cli import main

    network = Path(__file__).resolve().parents[1] / "examples" / "networks" / "coba.toml"
    summaries = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}"
        assert main(["run", str(network), "--out", str(out), "--duration-ms", "200", "--transient-ms", "50",
                     "--threads", str(threads), "--no-progress", "--no-figure"]) == 0
        summaries.append(json.loads((out / "summary.json").read_text()))
    assert summaries[1]["threads"] == 2
    for key in ("spike_digest", "populations"):
        assert summaries[0][key] == summaries[1][key], key


def test_consolidation_trial_is_the_same_at_any_thread_count():
    from netdyn.studies.consolidation import simulate

    config = ConsolidationConfig(protocol="net-10s", n_exc=120, n_inh=30, n_ca=30)
    one, two = (simulate(config.replace(threads=t), progress=False) for t in (1, 2))
    assert one.spike_ids.size > 100
    np.testing.assert_array_equal(one.spike_ids, two.spike_ids)
    np.testing.assert_array_equal(one.spike_times_s, two.spike_times_s)
    for var in one.traces.data_vars:
        np.testing.assert_array_equal(one.traces[var].values, two.traces[var].values, err_msg=var)


def test_a_sweep_store_resumes_with_another_thread_count_of_netdyn_but_not_of_nest():
    from netdyn.sweep.store import _config_difference

    assert _config_difference('{"seed": 1, "threads": 1}', '{"seed": 1, "threads": 4}') is None
    assert _config_difference('{"backend": "netdyn", "threads": 2}', '{"backend": "netdyn", "threads": 1}') is None
    assert "threads" in _config_difference('{"backend": "nest", "threads": 2}', '{"backend": "nest", "threads": 1}')
    assert "seed" in _config_difference('{"seed": 1, "threads": 1}', '{"seed": 2, "threads": 4}')


def test_multiarea_model_spikes_are_identical_at_1_and_2_threads():
    """254 populations, many smaller than a chunk of every thread, inter-area delays."""
    from netdyn.config.multiarea import MultiAreaBenchConfig
    from netdyn.studies.multiarea import model_parameters, multiarea_spec

    spec = multiarea_spec(model_parameters(MultiAreaBenchConfig(scale=0.002)), seed=2)
    recs = [Network(spec, threads=t).run(60.0).recording() for t in (1, 2)]
    assert sum(s.n_spikes for s in recs[0].spikes.values()) > 100
    assert recs[0].spike_digest() == recs[1].spike_digest()


def test_the_step_loop_is_compiled_once_for_any_network():
    """One to three neuron models, plasticity, OU currents, procedural connectivity, one or
    several populations and threads: the compiled step loop is called with one signature (each
    new one costs a fresh installation, and every CI run, another compile of about 40 s)."""
    from netdyn.engines.spiking.kernel import run_steps

    three_models = everything_spec()
    three_models["populations"].append({"name": "A", "n_neurons": 7, "model": "adex_cond_exp",
                                        "receptors": [{"name": "exc", "tau_ms": 5.0, "e_rev_mV": 0.0}]})
    three_models["projections"].append({"source": "E", "target": "A", "receptor": "exc", "weight": 1.0,
                                        "rule": {"rule": "fixed_indegree", "indegree": 5}, "delay_ms": 1.0})
    networks = [Network(coba_spec(400, seed=1)), Network(coba_spec(400, seed=1), connectivity="procedural"),
                Network(microcircuit_spec(0.01, seed=1), threads=2), Network(everything_spec(), threads=3),
                Network(three_models)]
    for net in networks:
        net.run(1.0)
    assert len({p.neuron_model.name for p in networks[-1].spec.populations}) == 3
    assert len(run_steps.signatures) == 1, run_steps.signatures
