"""A deterministic two-neuron trace of NEST's ``iaf_psc_exp`` for netdyn's engine to match exactly.

Neuron ``a`` (DC 1200 pA) drives neuron ``b`` (DC 370 pA) through three synapses: +8000 pA
(delay 1.5 ms), +6000 pA (2.5 ms, arriving during b's refractory period) and -20000 pA
(3.0 ms); the multi-area model's neuron parameters, dt 0.1 ms, 40 ms. Prints one JSON line:
b's spike times and membrane potential at every step. Runs under the NEST interpreter
(``$NETDYN_PEERS_DIR/nest/bin/python``); the output is ``tests/data/nest_psc_exp_trace.json``.
"""

from __future__ import annotations

import json

import nest

NEURON = {"C_m": 250.0, "tau_m": 10.0, "t_ref": 2.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0,
          "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "V_m": -65.0}
SYNAPSES = ((8000.0, 1.5), (6000.0, 2.5), (-20000.0, 3.0))  # (weight pA, delay ms)
I_E = {"a": 1200.0, "b": 370.0}
T_MS = 40.0


def main() -> None:
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = 0.1
    a = nest.Create("iaf_psc_exp", params={**NEURON, "I_e": I_E["a"]})
    b = nest.Create("iaf_psc_exp", params={**NEURON, "I_e": I_E["b"]})
    for weight, delay in SYNAPSES:
        nest.Connect(a, b, syn_spec={"weight": weight, "delay": delay})
    recorder = nest.Create("spike_recorder")
    nest.Connect(b, recorder)
    meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(meter, b)
    nest.Simulate(T_MS)
    events = meter.get("events")
    print(json.dumps({"simulator": "nest", "version": nest.__version__, "neuron": NEURON, "i_e_pa": I_E,
                      "synapses_pa_ms": SYNAPSES, "t_ms": T_MS, "spikes_ms": recorder.get("events")["times"].tolist(),
                      "v_time_ms": events["times"].tolist(), "v_mV": events["V_m"].tolist()}))


if __name__ == "__main__":
    main()
