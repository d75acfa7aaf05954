"""The AdEx seed's model dictionary (``ntwk`` Model dict) as a :class:`NetworkSpec`.

A user of ``ntwk`` (Zerlaut's *neural_network_dynamics*) moves their dictionary over unchanged: the
keys keep their names and units (ms, mV, pF, nS, pA, Hz)::

    N_<pop>            population size (recurrent or afferent)
    Q_<src>_<tgt>      nS per spike; a projection exists where Q and p are set and Q != 0
    p_<src>_<tgt>      converted to a fixed indegree K = int(p N_src), sources drawn with
                       replacement, no self-connection within a population (the seed's rule)
    Tsyn_<src>, Erev_<src> (or Tsyn_Exc/Inh, Erev_Exc/Inh by the 'Exc'/'Inh' in the source's
                       name; the old Tse, Tsi, Ee, Ei are accepted with a DeprecationWarning)
    <pop>_Gl, _Cm, _Trefrac, _El, _Vthre, _Vreset, _deltaV, _a, _b, _tauw   AdEx cell
    dt, tstop, SEED

Each source population becomes one receptor of every target it projects to (named after the
source, with its Tsyn and Erev), which is the seed's one conductance per (source, target).
Afferent populations drive their targets as independent per-neuron trains
(:class:`PoissonDrive`, K_aff = int(p_aff_tgt N_aff) inputs of weight Q_aff_tgt), Bernoulli per
step as the seed's ``construct_feedforward_input`` draws them unless ``statistics="poisson"``.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Mapping, Sequence

from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec

CELL_KEYS = {
    "Gl": "g_l_nS", "Cm": "c_m_pF", "Trefrac": "t_ref_ms", "El": "e_l_mV", "Vthre": "v_thre_mV",
    "Vreset": "v_reset_mV", "deltaV": "delta_t_mV", "a": "a_nS", "b": "b_pA", "tauw": "tau_w_ms",
}
"""Seed cell key suffix -> netdyn AdEx parameter."""

OLD_KEYS = {"Tse": "Tsyn_Exc", "Tsi": "Tsyn_Inh", "Ee": "Erev_Exc", "Ei": "Erev_Inh"}
UNSUPPORTED_CELL_KEYS = ("Ioscill_amp", "Ioscill_freq", "Ioscill_onset", "Vclamp")
GLOBAL_KEYS = {"dt", "tstop", "SEED"}


def _with_new_names(model: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(model)
    old = [k for k in OLD_KEYS if k in out]
    if old:
        warnings.warn(f"model keys {old} are the seed's old names; use {[OLD_KEYS[k] for k in old]}",
                      DeprecationWarning, stacklevel=3)
        for k in old:
            out.setdefault(OLD_KEYS[k], out.pop(k))
    return out


def _number(model: Mapping[str, Any], key: str) -> float:
    try:
        return float(model[key])
    except KeyError:
        raise ConfigError(key, None, "missing from the model dictionary") from None
    except (TypeError, ValueError):
        raise ConfigError(key, model[key], "must be a number") from None


def _synapse_constant(model: Mapping[str, Any], prefix: str, source: str) -> float:
    """Tsyn/Erev of a source: ``<prefix>_<source>``, else by its class ('Exc' or 'Inh')."""
    if f"{prefix}_{source}" in model:
        return _number(model, f"{prefix}_{source}")
    if "Inh" in source:
        return _number(model, f"{prefix}_Inh")
    if "Exc" not in source:
        warnings.warn(f"source {source!r} is neither 'Exc' nor 'Inh' by name: using {prefix}_Exc", stacklevel=3)
    return _number(model, f"{prefix}_Exc")


def cell_params(model: Mapping[str, Any], pop: str) -> dict[str, float]:
    """AdEx parameters of population ``pop`` from its ``<pop>_<key>`` entries."""
    params = {}
    for key, value in model.items():
        head, _, tail = key.partition("_")
        if head != pop or not tail:
            continue
        if tail in UNSUPPORTED_CELL_KEYS:
            raise ConfigError(key, value, "oscillating and clamp currents of the seed are not supported; "
                                          "use a CurrentInput or set_params between runs")
        if tail in CELL_KEYS:
            params[CELL_KEYS[tail]] = _number(model, key)
    missing = sorted(set(CELL_KEYS) - {k for k, v in CELL_KEYS.items() if v in params})
    if missing:
        raise ConfigError(f"{pop}_{missing[0]}", None, f"missing cell parameters of {pop!r}: {missing}")
    return params


def spec_from_model_dict(
    model: Mapping[str, Any],
    populations: Sequence[str],
    afferent: Sequence[str] = (),
    *,
    afferent_rates: Mapping[str, Any] | None = None,
    seed: int | None = None,
    statistics: Literal["bernoulli", "poisson"] = "bernoulli",
    record_vm: int = 0,
    rate_bin_ms: float | None = 1.0,
) -> NetworkSpec:
    """Build the :class:`NetworkSpec` of a seed model dictionary.

    Parameters
    ----------
    model
        The seed's Model dict (ms, mV, pF, nS, pA, Hz).
    populations
        Recurrent populations, e.g. ``["Exc", "Inh"]`` (names must not contain ``_``).
    afferent
        Afferent populations, e.g. ``["AffExc"]``; each drives the targets it has ``Q``/``p``
        for, at the rate given in ``afferent_rates``.
    afferent_rates
        Afferent name -> rate waveform (Hz: a number, or a waveform mapping such as
        ``{"kind": "gaussian", ...}``). Afferents without a rate drive nothing.
    seed
        Root seed of the network (default: the dictionary's ``SEED``, else 0).
    statistics
        Per-step law of the afferent events (the seed: at most one event per step).
    record_vm
        Number of neurons per population whose V is sampled every step (the seed's ``with_Vm``).
    rate_bin_ms
        Bin of the recorded population rates.
    """
    model = _with_new_names(model)
    for name in list(populations) + list(afferent):
        if "_" in name:
            raise ConfigError("populations", name, "population names must not contain '_' (the keys are <pop>_<param>)")
    sizes = {name: int(_number(model, f"N_{name}")) for name in list(populations) + list(afferent)}
    sources = list(populations) + list(afferent)

    def connected(src: str, tgt: str) -> bool:
        q, p = model.get(f"Q_{src}_{tgt}"), model.get(f"p_{src}_{tgt}")
        return q is not None and p is not None and float(q) != 0.0

    pops, projections, drives = [], [], []
    for tgt in populations:
        receptors = [{"name": src, "tau_ms": _synapse_constant(model, "Tsyn", src),
                      "e_rev_mV": _synapse_constant(model, "Erev", src)} for src in sources if connected(src, tgt)]
        # (an unconnected population keeps the model's default receptors)
        pops.append({"name": tgt, "n_neurons": sizes[tgt], "model": "adex_cond_exp",
                     "params": cell_params(model, tgt), "receptors": receptors})
        for src in populations:
            if connected(src, tgt):
                k = int(_number(model, f"p_{src}_{tgt}") * sizes[src])
                if float(model.get(f"psyn_{src}_{tgt}", 1.0)) != 1.0:
                    raise ConfigError(f"psyn_{src}_{tgt}", model[f"psyn_{src}_{tgt}"], "stochastic release is not supported")
                projections.append({"source": src, "target": tgt, "receptor": src,
                                    "rule": {"rule": "fixed_indegree", "indegree": k, "autapses": False, "multapses": True},
                                    "weight": _number(model, f"Q_{src}_{tgt}")})
        for aff in afferent:
            if connected(aff, tgt) and afferent_rates and aff in afferent_rates:
                k = int(_number(model, f"p_{aff}_{tgt}") * sizes[aff])
                drives.append({"name": f"{aff}->{tgt}", "target": tgt, "receptor": aff, "n_inputs": max(k, 1),
                               "weight": _number(model, f"Q_{aff}_{tgt}"), "rate": afferent_rates[aff],
                               "statistics": statistics})
    unknown = [a for a in (afferent_rates or {}) if a not in afferent]
    if unknown:
        raise ConfigError("afferent_rates", unknown, f"not among the afferent populations {list(afferent)}")
    record: dict[str, Any] = {"spikes": list(populations), "rate_bin_ms": rate_bin_ms}
    if record_vm:
        record["state"] = [{"population": p, "variable": "v_mV", "neurons": list(range(min(record_vm, sizes[p])))}
                           for p in populations]
    root = seed if seed is not None else int(model.get("SEED", 0))
    return NetworkSpec.model_validate({"dt_ms": _number(model, "dt") if "dt" in model else 0.1, "seed": root,
                                       "populations": pops, "projections": projections, "drives": drives,
                                       "record": record})
