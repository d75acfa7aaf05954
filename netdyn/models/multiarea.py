r"""The multi-area model of macaque visual cortex (Schmidt et al. 2018) as plain numbers.

32 visual areas (FV91 parcellation) x 8 populations of ``iaf_psc_exp`` neurons, each area a
1 mm^2 patch of cortex; TH has no layer 4, so the network has 254 populations. The
construction tables shipped in ``netdyn/models/data/multiarea/`` (their own licence, CC BY-NC-SA
4.0; see the README there) hold the full-scale neuron numbers, the stabilised indegree matrix
of Schuecker et al. (2017), the external indegrees, the inter-area distances and full-scale
reference rates; everything else (areas, populations, every scalar) is below.

Full scale, for target population ``i`` and source ``j`` (matrices are [target, source]):

* weights: PSC amplitudes of a 0.15-mV PSP peak, :math:`W_E = 0.15\,\mathrm{mV} \times
  585.39\,\mathrm{pA/mV} = 87.81` pA (4E -> 2/3E within an area doubled), inhibitory
  :math:`W_I = g W_E`, ``g = -11``; cortico-cortical weights (sources 2/3E, 5E, 6E of other
  areas) times :math:`\chi`, onto inhibitory targets times :math:`\chi_I` more; SD 10 % of
  the mean, redrawn to keep the sign;
* delays: 1.5 ms (E sources) and 0.75 ms (I sources) within an area, the median inter-area
  distance over 3.5 mm/ms between areas; SD half the mean, redrawn below dt;
* external input: independent Poisson input per neuron, indegree :math:`K_\mathrm{ext}`
  (x1.125 onto 5E, x1.4167 onto 6E, x1.2 onto TH 2/3E and 5E) at 10 spikes/s, weight
  :math:`W_E`;
* wiring: ``fixed_total_number`` with autapses and multapses.

Down-scaling (van Albada, Helias & Diesmann 2015) by :math:`k_N` (neurons) and :math:`k_K`
(indegrees): :math:`N \to k_N N` (truncated to whole neurons), :math:`K \to k_K K`,
synapses :math:`\mathrm{int}(k_K K_{ij}\, k_N N_i)`, weights :math:`W \to W/\sqrt{k_K}`, and a
DC current restoring the mean input at the full-scale reference rates :math:`\nu_j`:

.. math:: I_{\mathrm{DC},i} = \frac{C_m}{\tau_m}\,(1 - \sqrt{k_K})
   \Big(\tau_m \sum_j K_{ij} J_{ij} \nu_j + \tau_m K_{\mathrm{ext},i} J_E \nu_\mathrm{ext}\Big),
   \qquad J = W \tau_s / C_m

with full-scale :math:`K` and :math:`J` (``tau_m`` in s, rates in spikes/s, :math:`J` in mV:
the current in pA). As the reference code does, the weight SD keeps its full-scale absolute
value (``scale_weight_sd=True`` scales it with the mean instead).

Areas that are not simulated can be replaced by Poisson input at the stationary rates of
their populations (``replace="hom_poisson_stat"``: :math:`K_{ij}\nu_\mathrm{ext}`;
``"het_poisson_stat"``: :math:`K_{ij}\nu_j` with the full-scale reference rates), with weight
:math:`W_{ij}` and the fixed delay distance / 3.5 mm/ms.

This module imports nothing but numpy (and the PSC conversion of
:mod:`netdyn.models.microcircuit`), so a peer simulator's interpreter loads the very same
numbers by path. Units: ms, mV, pF, pA, Hz (spikes/s).

References
----------
M. Schmidt, R. Bakker, C. C. Hilgetag, M. Diesmann, S. J. van Albada (2018), Brain Struct
Funct 223:1409 (the data and N, K); M. Schmidt, R. Bakker, K. Shen, G. Bezgin, M. Diesmann,
S. J. van Albada (2018), PLoS Comput Biol 14:e1006359 (the dynamics, chi); J. Schuecker,
M. Schmidt, S. J. van Albada, M. Diesmann, M. Helias (2017), PLoS Comput Biol 13:e1005179 (the
stabilised indegrees); S. J. van Albada, M. Helias, M. Diesmann (2015), PLoS Comput Biol
11:e1004490 (down-scaling).
"""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

try:
    from netdyn.models.microcircuit import psc_per_psp
except ImportError:  # loaded by path in a peer simulator's interpreter: load the sibling by path
    import importlib.util

    _spec = importlib.util.spec_from_file_location("netdyn_models_microcircuit", Path(__file__).with_name("microcircuit.py"))
    _sibling = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_sibling)
    psc_per_psp = _sibling.psc_per_psp

__all__ = [
    "AREAS",
    "CITATIONS",
    "DATA_DIR",
    "POPULATIONS",
    "PRESETS",
    "REPLACEMENTS",
    "area_relative_indegrees",
    "fmri_functional_connectivity",
    "multiarea_parameters",
    "population_names",
]

#: The 32 areas in the model's canonical order (by architectural type).
#: The papers whose data and theory the model is built from; every results file of the study
#: carries them (attribute ``references``).
CITATIONS: tuple[str, ...] = (
    "Schmidt M, Bakker R, Hilgetag CC, Diesmann M, van Albada SJ (2018) Multi-scale account of the network "
    "structure of macaque visual cortex. Brain Struct Funct 223:1409-1435. doi:10.1007/s00429-017-1554-4",
    "Schmidt M, Bakker R, Shen K, Bezgin G, Diesmann M, van Albada SJ (2018) A multi-scale layer-resolved "
    "spiking network model of resting-state dynamics in macaque visual cortical areas. PLoS Comput Biol "
    "14:e1006359. doi:10.1371/journal.pcbi.1006359",
    "Schuecker J, Schmidt M, van Albada SJ, Diesmann M, Helias M (2017) Fundamental activity constraints lead "
    "to specific interpretations of the connectome. PLoS Comput Biol 13:e1005179. "
    "doi:10.1371/journal.pcbi.1005179",
    "Babapoor-Farrokhran S, Hutchison RM, Gati JS, Menon RS, Everling S (2013) Functional connectivity "
    "patterns of medial and lateral macaque frontal eye fields reveal distinct visuomotor networks. "
    "J Neurophysiol 109:2560-2570 (the fMRI functional connectivity)",
)

AREAS: tuple[str, ...] = (
    "V1", "V2", "VP", "V3", "V3A", "MT", "V4t", "V4", "VOT", "MSTd", "PIP", "PO", "DP", "MIP", "MDP", "VIP",
    "LIP", "PITv", "PITd", "MSTl", "CITv", "CITd", "FEF", "TF", "AITv", "FST", "7a", "STPp", "STPa", "46",
    "AITd", "TH",
)
#: The 8 populations of an area.
POPULATIONS: tuple[str, ...] = ("23E", "23I", "4E", "4I", "5E", "5I", "6E", "6I")
#: Area without layer 4.
NO_LAYER_4 = ("TH",)
#: Folder of the construction tables.
DATA_DIR = Path(__file__).resolve().parent / "data" / "multiarea"

NEURON = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "t_ref": 2.0,
          "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0}
V0_MEAN_MV, V0_SD_MV = -150.0, 50.0  # deliberately hyperpolarised: no initial synchronous burst
DT_MS = 0.1
PSP_E_MV = 0.15
G_REL = -11.0
RATE_EXT_HZ = 10.0
WEIGHT_REL_SD = 0.1
DELAY_MEAN_MS = {"E": 1.5, "I": 0.75}  # within an area, by source type
DELAY_REL_SD = 0.5
SPEED_MM_PER_MS = 3.5
POISSON_DELAY_MS = 1.0  # NEST's default delay of the external Poisson connections
FAC_EXT_5E = 1.125
# the reference's default is this rounded literal of 10/3 x 1.125 - 7/3 (3e-9 apart; kept for exact reproduction)
FAC_EXT_6E = 1.41666667
FAC_EXT_TH = 1.2  # onto TH 2/3E and 5E

#: Named configurations: the 2023 notebook's ground state and the current notebook's
#: metastable parameters (Schmidt et al. 2018, PLoS Comput Biol).
PRESETS: dict[str, dict[str, float]] = {
    "ground": {"scale": 0.005, "chi": 1.0, "chi_i": 1.0},
    "metastable": {"scale": 0.006, "chi": 1.9, "chi_i": 2.0},
}
#: How non-simulated areas are replaced (``None``: their input is simply missing).
REPLACEMENTS: tuple[str, ...] = ("hom_poisson_stat", "het_poisson_stat")


def population_names(areas: Sequence[str] = AREAS) -> list[str]:
    """``"AREA/POP"`` of every population of ``areas``, in model order (TH without 4E, 4I)."""
    return [f"{a}/{p}" for a in areas for p in POPULATIONS if not (a in NO_LAYER_4 and p.startswith("4"))]


# ------------------------------------------------------------------------------ tables


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@functools.lru_cache(maxsize=1)
def _tables() -> dict[str, Any]:
    """The construction tables as arrays over the 254 populations (read once)."""
    names = population_names()
    index = {name: i for i, name in enumerate(names)}
    area_index = {a: i for i, a in enumerate(AREAS)}
    if tuple(r["area"] for r in _rows("areas.csv")) != AREAS:
        raise ValueError(f"{DATA_DIR / 'areas.csv'} does not list the model's areas in order")

    def per_population(file: str, column: str) -> np.ndarray:
        out = np.full(len(names), np.nan)
        for r in _rows(file):
            key = f"{r['area']}/{r['population']}"
            if key in index:
                out[index[key]] = float(r[column])
            elif float(r[column]) != 0.0:
                raise ValueError(f"{file}: {key} is not a population of the model but has {column} {r[column]}")
        if np.isnan(out).any():
            raise ValueError(f"{file} lacks populations {[n for n, v in zip(names, out) if np.isnan(v)]}")
        return out

    n = len(names)
    indegree = np.zeros((n, n))
    for r in _rows("indegrees.csv"):
        indegree[index[f"{r['target_area']}/{r['target_population']}"],
                 index[f"{r['source_area']}/{r['source_population']}"]] = float(r["indegree_full_scale"])
    distance = np.zeros((len(AREAS), len(AREAS)))
    for r in _rows("distances_mm.csv"):
        distance[area_index[r["target_area"]], area_index[r["source_area"]]] = float(r["median_distance_mm"])
    return {
        "names": names,
        "n_neurons": per_population("neuron_numbers.csv", "n_neurons_full_scale"),
        "indegree": indegree,
        "k_ext": per_population("external_indegrees.csv", "external_indegree_full_scale"),
        "rates": per_population("fullscale_rates.csv", "rate_hz"),
        "distance_mm": distance,
    }


def area_relative_indegrees(par: dict[str, Any], *, realised: bool = False) -> np.ndarray:
    """``(32, 33)`` area-level indegrees relative to each target area's total: entry
    ``[A, B]`` is the mean (over A's neurons) number of inputs from area ``B``, the last column
    the external input, divided by the row's sum (the view of Schmidt et al. 2018, Fig. 4D).

    ``realised=False``: the full-scale model's indegrees (down-scaling multiplies every
    indegree, external included, by the same factor, so these are also the down-scaled model's
    nominal ones). ``realised=True``: the synapses the down-scaled network actually has (whole
    numbers per projection, so small projections vanish) over its whole neurons, with the
    scaled external indegrees. Areas without simulated neurons give a row of NaN.
    """
    area_of = par["area_of"]
    if realised:
        n = par["n_neurons"].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.where(n[:, None] > 0, par["n_synapses"] / np.maximum(n, 1.0)[:, None], 0.0)
        k_ext = np.where(n > 0, par["k_ext"], 0.0)
    else:
        n, k, k_ext = par["n_neurons_full"], par["indegree_full"], par["k_ext_full"]
    n_areas = len(AREAS)
    by_area = np.zeros((len(n), n_areas + 1))
    for b in range(n_areas):
        by_area[:, b] = k[:, area_of == b].sum(axis=1)
    by_area[:, n_areas] = k_ext
    out = np.full((n_areas, n_areas + 1), np.nan)
    for a in range(n_areas):
        rows = area_of == a
        if n[rows].sum() > 0:
            mean = n[rows] @ by_area[rows] / n[rows].sum()
            out[a] = mean / mean.sum()
    return out


def fmri_functional_connectivity() -> np.ndarray:
    """``(32, 32)`` experimental resting-state fMRI functional connectivity between the model's
    areas (Babapoor-Farrokhran et al. 2013, J Neurophysiol 109:2560), symmetric, diagonal 0."""
    rows = _rows("fmri_fc.csv")
    order = [r["area"] for r in rows]
    fc = np.array([[float(r[a]) for a in AREAS] for r in rows])
    return fc[[order.index(a) for a in AREAS]]


# ------------------------------------------------------------------------------ parameters


def _check(name: str, value: float, low: float, high: float, *, low_open: bool = True) -> float:
    v = float(value)
    if not (math.isfinite(v) and (v > low if low_open else v >= low) and v <= high):
        raise ValueError(f"{name}={value!r} must lie in {'(' if low_open else '['}{low:g}, {high:g}]")
    return v


def multiarea_parameters(
    scale: float = 0.005,
    *,
    n_scaling: float | None = None,
    k_scaling: float | None = None,
    chi: float = 1.0,
    chi_i: float = 1.0,
    g: float = G_REL,
    rate_ext_hz: float = RATE_EXT_HZ,
    areas: Sequence[str] | None = None,
    replace: str | None = "het_poisson_stat",
    scale_weight_sd: bool = False,
) -> dict[str, Any]:
    """Every number of the multi-area model at a scale, as numpy arrays over the 254
    populations (matrices [target, source]).

    Parameters
    ----------
    scale
        Down-scaling factor of neuron numbers and indegrees, in (0, 1].
    n_scaling, k_scaling
        Separate factors for neuron numbers (:math:`k_N`) and indegrees (:math:`k_K`);
        default ``scale``.
    chi, chi_i
        Factor of the cortico-cortical weights, and the further factor onto inhibitory
        targets (ground state 1, 1; metastable 1.9, 2).
    g
        Relative inhibitory weight.
    rate_ext_hz
        Rate of each external Poisson input.
    areas
        Areas to simulate (default all 32, in any order given; the model order is kept).
    replace
        What replaces the input from areas that are not simulated: ``"het_poisson_stat"``
        (default), ``"hom_poisson_stat"`` or ``None`` (nothing).
    scale_weight_sd
        Scale the weight SD with the mean (the reference keeps its full-scale value).

    Returns
    -------
    dict
        ``names``, ``areas``, ``populations``, ``area_of`` (area index per population),
        ``is_excitatory``, ``simulated`` (bool per population), full-scale
        ``n_neurons_full``, ``indegree_full``, ``k_ext_full``, ``weight_full_pa``,
        ``weight_ext_full_pa``, ``fullscale_rates_hz``; scaled ``n_neurons_float``,
        ``n_neurons`` (int), ``indegree``, ``n_synapses`` (int, per projection),
        ``n_synapses_total`` (simulated part), ``k_ext``, ``weight_pa``, ``weight_sd_pa``,
        ``weight_ext_pa``, ``i_dc_pa``, ``poisson_rate_hz`` (``rate_ext * K_ext`` per
        neuron); ``delay_mean_ms``, ``delay_sd_ms``; ``replacements`` (one dict per Poisson
        input that stands for a non-simulated source population: ``target`` index,
        ``source`` name, ``rate_hz`` per target neuron, ``weight_pa``, ``delay_ms``); the
        scalars (``scale``, ``n_scaling``, ``k_scaling``, ``chi``, ``chi_i``, ``g``,
        ``rate_ext_hz``, ``psc_per_psp_pa_per_mv``, ``w_e_full_pa``, ``dt_ms``,
        ``poisson_delay_ms``, ``v0_mv``, ``neuron_params``).

    Raises
    ------
    ValueError
        A factor outside its range, an unknown area or replacement.
    """
    k_n = _check("n_scaling", scale if n_scaling is None else n_scaling, 0.0, 1.0)
    k_k = _check("k_scaling", scale if k_scaling is None else k_scaling, 0.0, 1.0)
    chi = _check("chi", chi, 0.0, math.inf, low_open=False)
    chi_i = _check("chi_i", chi_i, 0.0, math.inf, low_open=False)
    if replace is not None and replace not in REPLACEMENTS:
        raise ValueError(f"replace={replace!r} must be one of {list(REPLACEMENTS)} or None")
    chosen = AREAS if areas is None else tuple(areas)
    unknown = [a for a in chosen if a not in AREAS]
    if unknown or len(set(chosen)) != len(chosen) or not chosen:
        raise ValueError(f"areas={list(chosen)!r}: give distinct areas among {list(AREAS)}")

    t = _tables()
    names = t["names"]
    area_of = np.array([AREAS.index(name.split("/")[0]) for name in names])
    pop_of = [name.split("/")[1] for name in names]
    is_exc = np.array([p.endswith("E") for p in pop_of])
    same_area = area_of[:, None] == area_of[None, :]
    simulated = np.isin(area_of, [AREAS.index(a) for a in chosen])

    # full-scale weights
    per_mv = psc_per_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    w_e = PSP_E_MV * per_mv
    w_full = np.where(is_exc[None, :], w_e, g * w_e) * np.ones((len(names), 1))
    target_23e = np.array([p == "23E" for p in pop_of])
    source_4e = np.array([p == "4E" for p in pop_of])
    w_full[same_area & target_23e[:, None] & source_4e[None, :]] *= 2.0
    cc = ~same_area
    w_full[cc] *= chi
    w_full[cc & ~is_exc[:, None]] *= chi_i

    k_ext_full = t["k_ext"].copy()
    k_ext_full[np.array([p == "5E" for p in pop_of])] *= FAC_EXT_5E
    k_ext_full[np.array([p == "6E" for p in pop_of])] *= FAC_EXT_6E
    th = area_of == AREAS.index("TH")
    k_ext_full[th & np.array([p in ("23E", "5E") for p in pop_of])] *= FAC_EXT_TH

    # down-scaling
    root_k = math.sqrt(k_k)
    n_float = k_n * t["n_neurons"]
    n_int = n_float.astype(np.int64)  # int() truncation, as the reference creates them
    indegree = k_k * t["indegree"]
    n_synapses = (indegree * n_float[:, None]).astype(np.int64)
    n_synapses[~(simulated[:, None] & simulated[None, :])] = 0
    weight = w_full / root_k
    weight_sd = WEIGHT_REL_SD * np.abs(weight if scale_weight_sd else w_full)
    tau_m_s = NEURON["tau_m"] * 1e-3
    j_full = w_full * NEURON["tau_syn_ex"] / NEURON["C_m"]  # mV
    j_ext = w_e * NEURON["tau_syn_ex"] / NEURON["C_m"]
    # correctly rounded sums (numpy's sums depend on the CPU's SIMD width in the last bit)
    mu_rec = tau_m_s * np.array([math.fsum(row) for row in t["indegree"] * j_full * t["rates"][None, :]])
    mu_ext = tau_m_s * k_ext_full * j_ext * rate_ext_hz
    i_dc = NEURON["C_m"] / NEURON["tau_m"] * (1.0 - root_k) * (mu_rec + mu_ext)

    distance = t["distance_mm"][area_of[:, None], area_of[None, :]]
    delay_mean = np.where(same_area, np.where(is_exc[None, :], DELAY_MEAN_MS["E"], DELAY_MEAN_MS["I"]),
                          distance / SPEED_MM_PER_MS)

    replacements = []
    if replace is not None and not simulated.all():
        source_rates = rate_ext_hz * np.ones(len(names)) if replace == "hom_poisson_stat" else t["rates"]
        for i in np.flatnonzero(simulated):
            for j in np.flatnonzero(~simulated & (indegree[i] > 0)):
                rate = indegree[i, j] * source_rates[j]
                if rate > 0:
                    replacements.append({"target": int(i), "source": names[j], "rate_hz": float(rate),
                                         "weight_pa": float(weight[i, j]), "delay_ms": float(delay_mean[i, j])})
    return {
        "names": list(names), "areas": list(AREAS), "populations": list(POPULATIONS),
        "area_of": area_of, "is_excitatory": is_exc, "simulated": simulated,
        "scale": float(scale), "n_scaling": k_n, "k_scaling": k_k, "chi": chi, "chi_i": chi_i, "g": float(g),
        "rate_ext_hz": float(rate_ext_hz), "replace": replace, "scale_weight_sd": bool(scale_weight_sd),
        "neuron_params": dict(NEURON), "v0_mv": {"mean": V0_MEAN_MV, "sd": V0_SD_MV}, "dt_ms": DT_MS,
        "psc_per_psp_pa_per_mv": per_mv, "w_e_full_pa": w_e,
        "n_neurons_full": t["n_neurons"].copy(), "indegree_full": t["indegree"].copy(), "k_ext_full": k_ext_full,
        "weight_full_pa": w_full, "weight_ext_full_pa": w_e, "fullscale_rates_hz": t["rates"].copy(),
        "n_neurons_float": n_float, "n_neurons": n_int, "indegree": indegree, "n_synapses": n_synapses,
        "n_synapses_total": int(n_synapses.sum()), "k_ext": k_k * k_ext_full, "weight_pa": weight,
        "weight_sd_pa": weight_sd, "weight_ext_pa": w_e / root_k, "i_dc_pa": i_dc,
        "poisson_rate_hz": rate_ext_hz * k_k * k_ext_full, "poisson_delay_ms": POISSON_DELAY_MS,
        "delay_mean_ms": delay_mean, "delay_sd_ms": DELAY_REL_SD * delay_mean, "delay_rel_sd": DELAY_REL_SD,
        "weight_rel_sd": WEIGHT_REL_SD, "replacements": replacements,
    }
