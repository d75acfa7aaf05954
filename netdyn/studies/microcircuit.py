"""The Potjans-Diesmann cortical microcircuit (Potjans & Diesmann 2014) as a netdyn network.

Eight populations of iaf_psc_exp neurons (``lif_psc_exp``), fixed-total-number wiring with
autapses and multapses, normal weights (SD 10 %, sign kept by redrawing) and delays (SD 50 %,
redrawn below dt), independent Poisson background per neuron, and the DC compensation of the
down-scaling rules; all numbers from :func:`netdyn.models.microcircuit.microcircuit_parameters`,
the same ones the NEST peer is given.
"""

from __future__ import annotations


from netdyn.errors import ConfigError
from netdyn.models.microcircuit import microcircuit_parameters
from netdyn.models.spiking.spec import NetworkSpec


def microcircuit_spec(scale: float = 0.1, *, seed: int = 1, record_spikes: bool = True) -> NetworkSpec:
    """The microcircuit at scale ``scale`` (0 < k <= 1) as a :class:`NetworkSpec`."""
    if not (0 < scale <= 1):
        raise ConfigError("scale", scale, "must lie in (0, 1]")
    par = microcircuit_parameters(scale)
    names = par["populations"]
    neuron = par["neuron_params"]
    dt = par["dt_ms"]
    pops = [{"name": name, "n_neurons": par["n_neurons"][i], "model": "lif_psc_exp",
             "params": {"c_m_pF": neuron["C_m"], "tau_m_ms": neuron["tau_m"], "t_ref_ms": neuron["t_ref"],
                        "e_l_mV": neuron["E_L"], "v_th_mV": neuron["V_th"], "v_reset_mV": neuron["V_reset"],
                        "i_e_pA": par["i_dc_pa"][i]},
             "receptors": [{"name": "exc", "tau_ms": neuron["tau_syn_ex"]}, {"name": "inh", "tau_ms": neuron["tau_syn_in"]}],
             "initial": {"v_mV": {"kind": "normal", "mean": par["v0_mv"]["mean"], "std": par["v0_mv"]["sd"]}}}
            for i, name in enumerate(names)]
    projections = []
    for i, target in enumerate(names):
        for j, source in enumerate(names):
            n_syn = par["n_synapses"][i][j]
            if n_syn <= 0:
                continue
            w = par["weight_pa"][i][j]
            d = par["delay_mean_ms"][i][j]
            bound = {"min": 0.0} if w >= 0 else {"max": 0.0}
            projections.append({
                "source": source, "target": target, "receptor": "exc" if w >= 0 else "inh",
                "rule": {"rule": "fixed_total_number", "n_synapses": n_syn, "autapses": True, "multapses": True},
                "weight": {"kind": "normal", "mean": w, "std": abs(w) * par["weight_rel_sd"], **bound},
                "delay_ms": {"kind": "normal", "mean": d, "std": d * par["delay_rel_sd"], "min": dt},
            })
    drives = [{"name": f"bg->{name}", "target": name, "receptor": "exc", "n_inputs": max(1, par["k_ext"][i]),
               "weight": par["poisson_weight_pa"], "rate": par["bg_rate_hz"]} for i, name in enumerate(names)]
    return NetworkSpec.model_validate({
        "dt_ms": dt, "seed": seed, "populations": pops, "projections": projections, "drives": drives,
        "record": {"spikes": names if record_spikes else [], "rate_bin_ms": 1.0},
    })


def expected_synapses(scale: float) -> int:
    """Total number of recurrent synapses at ``scale`` (about 3e8 k^2)."""
    return int(microcircuit_parameters(scale)["n_synapses_total"])


__all__ = ["expected_synapses", "microcircuit_spec"]
