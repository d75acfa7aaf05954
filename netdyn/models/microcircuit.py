"""The microcircuit of Potjans & Diesmann (2014) at scale k, as plain numbers (Cereb Cortex
24:785, doi:10.1093/cercor/bhs358; parameters as in NEST's ``Potjans_2014`` example).

This module imports nothing but numpy, so the NEST peer (``benchmarks/peers/``, another
interpreter) loads the very same numbers by path; :func:`netdyn.studies.microcircuit.microcircuit_spec`
turns them into a :class:`~netdyn.models.spiking.spec.NetworkSpec`. Units: ms, mV, pF, pA, Hz.
Matrices are [target, source].

Down-scaling (as NEST's example): N_i -> max(1, round(k N_i)); full-scale synapse numbers
S_ij = ln(1 - C_ij) / ln(1 - 1/(N_i N_j)) (not rounded, as the NEST example), full-scale
indegree K_ij = S_ij / N_i; synapses per projection round(k K_ij N_i_scaled); external
indegree round(k K_ext,i); all weights / sqrt(k); DC current
I_DC,i = 1e-3 tau_s (1 - sqrt(k)) [sum_j K_ij W_ij nu_j + K_ext,i W_E nu_bg] pA with
full-scale K and W.
"""

from __future__ import annotations

import math

import numpy as np

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
K_EXT_FULL = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
CONN_PROB = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0000, 0.0076, 0.0000],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0000, 0.0042, 0.0000],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0000],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0000, 0.1057, 0.0000],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0000],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0000],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
])
REFERENCE_RATES_HZ = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
IS_EXC = np.array([True, False] * 4)

NEURON = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "t_ref": 2.0,
          "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0}
V0_MEAN_MV, V0_SD_MV = -58.0, 10.0
PSP_E_MV = 0.15
G_REL = -4.0
WEIGHT_REL_SD = 0.1
DELAY_MEAN_MS = {"E": 1.5, "I": 0.75}
DELAY_REL_SD = 0.5
BG_RATE_HZ = 8.0
DT_MS = 0.1
POISSON_DELAY_MS = 1.5


def psc_per_psp(c_m_pf: float, tau_m_ms: float, tau_s_ms: float) -> float:
    """PSC amplitude (pA) per mV of PSP peak for ``iaf_psc_exp``: the inverse of the peak of
    the PSP of a unit current jump decaying with ``tau_s_ms`` on a membrane with ``tau_m_ms``,
    ``c_m_pf`` (the conversion of Schmidt et al. 2018, PLoS Comput Biol 14:e1006359)."""
    ratio = tau_m_ms / tau_s_ms
    sub = 1.0 / c_m_pf * tau_m_ms * tau_s_ms / (tau_s_ms - tau_m_ms)
    return 1.0 / (sub * (ratio ** (-tau_m_ms / (tau_m_ms - tau_s_ms)) - ratio ** (-tau_s_ms / (tau_m_ms - tau_s_ms))))


def microcircuit_parameters(scale: float) -> dict:
    """All numbers of the microcircuit at scale ``scale`` (k), as lists for JSON."""
    k = float(scale)
    n_scaled = np.maximum(1, np.round(k * N_FULL)).astype(int)
    prod = np.outer(N_FULL, N_FULL).astype(float)  # [target, source]
    s_full = np.log1p(-CONN_PROB) / np.log1p(-1.0 / prod)
    k_full = s_full / N_FULL[:, None]
    n_syn = np.round(k * k_full * n_scaled[:, None]).astype(int)
    k_ext = np.round(k * K_EXT_FULL).astype(int)
    w_e = PSP_E_MV * psc_per_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    w_full = np.where(IS_EXC[None, :], w_e, G_REL * w_e) * np.ones((8, 8))
    w_full[0, 2] = 2.0 * w_e  # L4E -> L2/3E doubled
    d_mean = np.where(IS_EXC[None, :], DELAY_MEAN_MS["E"], DELAY_MEAN_MS["I"]) * np.ones((8, 8))
    tau_s = NEURON["tau_syn_ex"]
    # correctly rounded sums (numpy's sums depend on the CPU's SIMD width in the last bit)
    rec = np.array([math.fsum(row) for row in k_full * w_full * REFERENCE_RATES_HZ[None, :]])
    ext = K_EXT_FULL * w_e * BG_RATE_HZ
    i_dc = 1e-3 * tau_s * (1.0 - math.sqrt(k)) * (rec + ext)
    return {
        "scale": k,
        "populations": list(POPULATIONS),
        "n_neurons_full": N_FULL.tolist(),
        "n_neurons": n_scaled.tolist(),
        "connection_probability": CONN_PROB.tolist(),
        "synapses_full_unrounded": s_full.tolist(),
        "indegree_full": k_full.tolist(),
        "n_synapses": n_syn.tolist(),
        "n_synapses_total": int(n_syn.sum()),
        "connection_rule": "fixed_total_number, autapses and multapses allowed",
        "k_ext_full": K_EXT_FULL.tolist(),
        "k_ext": k_ext.tolist(),
        "neuron_model": "iaf_psc_exp",
        "neuron_params": dict(NEURON),
        "v0_mv": {"mean": V0_MEAN_MV, "sd": V0_SD_MV},
        "psc_per_psp_pa_per_mv": psc_per_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"]),
        "w_e_full_pa": w_e,
        "g": G_REL,
        "weight_full_pa": w_full.tolist(),
        "weight_pa": (w_full / math.sqrt(k)).tolist(),
        "weight_rel_sd": WEIGHT_REL_SD,
        "weight_rule": "normal(mean, 0.1 |mean|), redrawn to keep the sign (NEST nest.math.redraw)",
        "delay_mean_ms": d_mean.tolist(),
        "delay_rel_sd": DELAY_REL_SD,
        "delay_rule": "normal(mean, 0.5 mean), redrawn until >= dt; NEST rounds to the 0.1-ms grid",
        "poisson_rate_hz_per_neuron": (k_ext * BG_RATE_HZ).tolist(),
        "poisson_weight_pa": w_e / math.sqrt(k),
        "poisson_delay_ms": POISSON_DELAY_MS,
        "bg_rate_hz": BG_RATE_HZ,
        "reference_rates_hz": REFERENCE_RATES_HZ.tolist(),
        "i_dc_pa": i_dc.tolist(),
        "dt_ms": DT_MS,
    }
