"""The multi-area model as a network of netdyn's spiking engine.

Each of the (up to) 254 populations is a population of ``lif_psc_exp`` neurons (NEST's
``iaf_psc_exp``) named ``AREA.POP`` (``V1.23E``); each pair of populations with synapses is a
``fixed_total_number`` projection with autapses and multapses, normal weights (the sign kept by
redrawing) and normal delays (redrawn below dt); every population has its independent Poisson
drive (``rate_ext x K_ext`` per neuron) and its DC compensation current. All numbers come from
:func:`netdyn.models.multiarea.multiarea_parameters`, the same ones the NEST peer is given.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from typing import Any

import numpy as np

from netdyn.config.multiarea import MultiAreaConfig, MultiAreaModelConfig
from netdyn.errors import ConfigError
from netdyn.models.multiarea import AREAS, multiarea_parameters
from netdyn.models.spiking.spec import NetworkSpec

__all__ = ["check_model", "model_network", "model_parameters", "multiarea_spec", "population_label"]


def population_label(name: str) -> str:
    """Engine population name of the model's ``AREA/POP`` (``V1.23E``)."""
    return name.replace("/", ".")


def check_model(config: MultiAreaModelConfig) -> None:
    """Refuse, naming the field, what the model cannot build (before anything is written)."""
    if config.areas is not None:
        unknown = [a for a in config.areas if a not in AREAS]
        if unknown:
            raise ConfigError("areas", list(config.areas), f"unknown area(s) {unknown}; the model's areas are "
                              f"{list(AREAS)}")


def model_parameters(config: MultiAreaModelConfig) -> dict[str, Any]:
    """The model's numbers for ``config`` (:func:`~netdyn.models.multiarea.multiarea_parameters`)."""
    check_model(config)
    return multiarea_parameters(**config.model_arguments())


def multiarea_spec(par: dict[str, Any], *, seed: int = 1, record_spikes: bool = True) -> NetworkSpec:
    """The network of the model's numbers ``par`` as a :class:`NetworkSpec`.

    Populations without neurons at this scale are left out, with their projections. The inputs
    that stand for non-simulated areas all carry one weight onto a target population (the
    cortico-cortical weight), so they are summed into one Poisson drive per target population.
    """
    names = par["names"]
    neuron = par["neuron_params"]
    dt = par["dt_ms"]
    built = np.flatnonzero(par["simulated"] & (par["n_neurons"] > 0))
    receptors = [{"name": "exc", "tau_ms": neuron["tau_syn_ex"]}, {"name": "inh", "tau_ms": neuron["tau_syn_in"]}]
    initial = {"v_mV": {"kind": "normal", "mean": par["v0_mv"]["mean"], "std": par["v0_mv"]["sd"]}}
    populations = [{
        "name": population_label(names[i]), "n_neurons": int(par["n_neurons"][i]), "model": "lif_psc_exp",
        "params": {"c_m_pF": neuron["C_m"], "tau_m_ms": neuron["tau_m"], "t_ref_ms": neuron["t_ref"],
                   "e_l_mV": neuron["E_L"], "v_th_mV": neuron["V_th"], "v_reset_mV": neuron["V_reset"],
                   "i_e_pA": float(par["i_dc_pa"][i])},
        "receptors": receptors, "initial": initial} for i in built]
    projections = []
    n_syn, weight, weight_sd = par["n_synapses"], par["weight_pa"], par["weight_sd_pa"]
    delay, delay_sd = par["delay_mean_ms"], par["delay_sd_ms"]
    for i in built:
        for j in built[n_syn[i, built] > 0]:
            w = float(weight[i, j])
            bound = {"min": 0.0} if w >= 0 else {"max": 0.0}
            projections.append({
                "source": population_label(names[j]), "target": population_label(names[i]),
                "receptor": "exc" if w >= 0 else "inh",
                "rule": {"rule": "fixed_total_number", "n_synapses": int(n_syn[i, j]), "autapses": True,
                         "multapses": True},
                "weight": {"kind": "normal", "mean": w, "std": float(weight_sd[i, j]), **bound},
                "delay_ms": {"kind": "normal", "mean": float(delay[i, j]), "std": float(delay_sd[i, j]), "min": dt},
            })
    drives = [{"name": f"ext.{population_label(names[i])}", "target": population_label(names[i]),
               "receptor": "exc", "n_inputs": 1, "weight": float(par["weight_ext_pa"]),
               "rate": float(par["poisson_rate_hz"][i])} for i in built]
    replaced: dict[tuple[int, float], float] = defaultdict(float)
    for r in par["replacements"]:
        replaced[(r["target"], r["weight_pa"])] += r["rate_hz"]
    if len({target for target, _ in replaced}) != len(replaced):
        raise ValueError("inputs of replaced areas onto one population differ in weight")
    drives += [{"name": f"replaced.{population_label(names[i])}", "target": population_label(names[i]),
                "receptor": "exc" if w >= 0 else "inh", "n_inputs": 1, "weight": w, "rate": rate}
               for (i, w), rate in replaced.items() if par["n_neurons"][i] > 0]
    labels = [p["name"] for p in populations]
    return NetworkSpec.model_validate({
        "dt_ms": dt, "seed": seed, "populations": populations, "projections": projections, "drives": drives,
        "record": {"spikes": labels if record_spikes else [], "rate_bin_ms": 1.0},
    })


def model_network(config: MultiAreaConfig) -> tuple[dict[str, Any], NetworkSpec, float]:
    """The model's numbers, the network of a simulation's ``config`` (seed included) and the
    seconds it took to state them.

    The last result is kept: the study's check (the memory estimate before anything is
    written) and its run ask for the same network, which takes ~0.5 s to state.
    """
    return _model_network(config.model_dump_json())


@functools.lru_cache(maxsize=1)
def _model_network(config_json: str) -> tuple[dict[str, Any], NetworkSpec, float]:
    t0 = time.perf_counter()
    config = MultiAreaConfig.model_validate_json(config_json)
    par = model_parameters(config)
    return par, multiarea_spec(par, seed=config.seed), time.perf_counter() - t0
