"""The COBA benchmark network (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1).

As in the Brian2/BrainPy/ANNarchy benchmarks: N LIF neurons, 80 %
excitatory; Bernoulli connectivity with p = 80 / N (mean indegree 80 at every size), or the
equivalent fixed indegrees 64 E + 16 I; tau_m = C_m / g_L = 20 ms, E_L = V_reset = -60 mV,
V_th = -50 mV, E_e = 0 mV, E_i = -80 mV, I = 200 pA (20 mV at g_L = 10 nS); conductance jumps of
6 nS (0.6 g_L) per excitatory and 67 nS (6.7 g_L) per inhibitory spike, decaying with 5 and 10 ms;
refractory 5 ms; V0 ~ N(-55, 5) mV; dt 0.1 ms; one-step delay. Self-sustained, 21-22 Hz.
"""

from __future__ import annotations

from typing import Literal

from netdyn.config.base import parse_config
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec


def coba_spec(n_neurons: int = 4000, *, seed: int = 0, wiring: Literal["bernoulli", "fixed_indegree"] = "bernoulli",
              integrator: Literal["exp_euler", "euler"] = "exp_euler", record_spikes: bool = True) -> NetworkSpec:
    """The COBA network of ``n_neurons`` neurons (populations ``E`` and ``I``), wired by
    ``wiring`` (Bernoulli with p = 80 / N or fixed indegrees); ``integrator`` of the cells as in
    :mod:`netdyn.models.spiking.neurons.lif_cond_exp`."""
    if wiring == "bernoulli" and n_neurons < 80:
        raise ConfigError("n_neurons", n_neurons, "Bernoulli wiring with p = 80 / N needs N >= 80")
    n_e = int(round(0.8 * n_neurons))
    n_i = n_neurons - n_e
    cell = {"model": "lif_cond_exp",
            "params": {"c_m_pF": 200.0, "g_l_nS": 10.0, "e_l_mV": -60.0, "v_th_mV": -50.0, "v_reset_mV": -60.0,
                       "t_ref_ms": 5.0, "i_e_pA": 200.0, "integrator": integrator},
            "receptors": [{"name": "exc", "tau_ms": 5.0, "e_rev_mV": 0.0}, {"name": "inh", "tau_ms": 10.0, "e_rev_mV": -80.0}],
            "initial": {"v_mV": {"kind": "normal", "mean": -55.0, "std": 5.0}}}
    if wiring == "bernoulli":
        rules = {"E": {"rule": "fixed_probability", "p": 80.0 / n_neurons},
                 "I": {"rule": "fixed_probability", "p": 80.0 / n_neurons}}
    else:
        rules = {"E": {"rule": "fixed_indegree", "indegree": 64}, "I": {"rule": "fixed_indegree", "indegree": 16}}
    weights = {"E": 6.0, "I": 67.0}
    return parse_config(NetworkSpec, {
        "dt_ms": 0.1, "seed": seed,
        "populations": [{"name": "E", "n_neurons": n_e, **cell}, {"name": "I", "n_neurons": n_i, **cell}],
        "projections": [{"source": s, "target": t, "receptor": "exc" if s == "E" else "inh", "rule": rules[s],
                         "weight": weights[s]} for s in ("E", "I") for t in ("E", "I")],
        "record": {"spikes": ["E", "I"] if record_spikes else [], "rate_bin_ms": 1.0},
    })
