"""netdyn's ``lif_psc_exp`` against NEST's ``iaf_psc_exp`` on one deterministic trace.

tests/data/nest_psc_exp_trace.json (benchmarks/peers/nest_psc_exp_trace.py, NEST 3.10): a
neuron with a DC drive excites and inhibits a second one through three delayed synapses, one
of them arriving during the refractory period. Both integrate exactly (exponential
propagators on the same grid), so spikes fall on the same steps and the membrane potential
agrees to rounding.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from netdyn.engines.spiking import Network

TRACE = json.loads((Path(__file__).parent / "data" / "nest_psc_exp_trace.json").read_text())


def _spec() -> dict:
    n = TRACE["neuron"]
    params = {"c_m_pF": n["C_m"], "tau_m_ms": n["tau_m"], "t_ref_ms": n["t_ref"], "e_l_mV": n["E_L"],
              "v_th_mV": n["V_th"], "v_reset_mV": n["V_reset"]}
    receptors = [{"name": "exc", "tau_ms": n["tau_syn_ex"]}, {"name": "inh", "tau_ms": n["tau_syn_in"]}]
    populations = [{"name": name, "n_neurons": 1, "model": "lif_psc_exp", "params": {**params, "i_e_pA": i_e},
                    "receptors": receptors, "initial": {"v_mV": {"kind": "constant", "value": n["V_m"]}}}
                   for name, i_e in TRACE["i_e_pa"].items()]
    projections = [{"name": f"a->b {k}", "source": "a", "target": "b", "receptor": "exc" if w > 0 else "inh",
                    "rule": {"rule": "fixed_total_number", "n_synapses": 1},
                    "weight": {"kind": "constant", "value": w}, "delay_ms": {"kind": "constant", "value": d}}
                   for k, (w, d) in enumerate(TRACE["synapses_pa_ms"])]
    return {"dt_ms": 0.1, "seed": 1, "populations": populations, "projections": projections,
            "record": {"spikes": ["b"], "state": [{"population": "b", "variable": "v_mV", "neurons": [0]}]}}


def test_spikes_and_membrane_potential_equal_nest():
    net = Network(_spec())
    net.run(TRACE["t_ms"])
    rec = net.recording()
    np.testing.assert_allclose(rec.spikes["b"].times_ms, TRACE["spikes_ms"], atol=1e-9)
    v = rec.state["b"]["v_mV"]
    ours = dict(zip(np.round(v["time_ms"].values, 1), v.values[:, 0]))
    theirs = dict(zip(np.round(TRACE["v_time_ms"], 1), TRACE["v_mV"]))
    common = sorted(set(ours) & set(theirs))
    assert len(common) >= 0.95 * len(theirs)
    np.testing.assert_allclose([ours[t] for t in common], [theirs[t] for t in common], rtol=0, atol=1e-9)
    assert min(theirs.values()) < -68.0  # the inhibition and the refractory input are in the trace
