"""The multi-area model's numbers against the reference code's (construction checks).

Reference values: the reference implementation of Schmidt et al. (2018) (``MultiAreaModel``
with the stabilised indegrees), measured with it; they must match to floating-point precision
(the tables are the same, the arithmetic is a few products and sums).
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest

from netdyn.models.multiarea import (
    AREAS,
    DATA_DIR,
    POPULATIONS,
    PRESETS,
    area_relative_indegrees,
    fmri_functional_connectivity,
)
from netdyn.models.multiarea import multiarea_parameters as parameters
from netdyn.models.multiarea import population_names

FULL = parameters(1.0)
NAMES = FULL["names"]


def idx(name: str) -> int:
    return NAMES.index(name)


def test_structure_254_populations_th_without_layer_4():
    assert len(AREAS) == 32 and len(POPULATIONS) == 8
    assert len(NAMES) == 254 and NAMES == population_names()
    assert "TH/4E" not in NAMES and "TH/4I" not in NAMES and "TH/5E" in NAMES
    assert NAMES[0] == "V1/23E" and NAMES[-1] == "TH/6I"


def test_check_1_neuron_numbers():
    n = FULL["n_neurons_full"]
    assert n.sum() == pytest.approx(4_130_056.72, abs=0.005)
    assert FULL["n_neurons"].sum() == 4_129_924
    v1 = n[[idx(f"V1/{p}") for p in POPULATIONS]]
    np.testing.assert_allclose(v1, [47386.69, 13366.24, 70387.26, 17597.62, 20740.87, 4554.44, 19839.79, 4063.06],
                               atol=0.005)
    assert v1.sum() == pytest.approx(197_935.96, abs=0.005)
    th = [idx(f"TH/{p}") for p in ("23E", "23I", "5E", "5I", "6E", "6I")]
    assert n[th].sum() == pytest.approx(73_251.36, abs=0.005)
    assert parameters(0.005)["n_neurons"].sum() == 20_525
    assert parameters(0.006)["n_neurons"].sum() == 24_655


def test_check_2_synapse_numbers():
    s = FULL["indegree_full"] * FULL["n_neurons_full"][:, None]
    same = FULL["area_of"][:, None] == FULL["area_of"][None, :]
    assert s.sum() / 1e9 == pytest.approx(24.1265, abs=5e-5)
    assert s[same].sum() / 1e9 == pytest.approx(19.6706, abs=5e-5)
    assert s[~same].sum() / 1e9 == pytest.approx(4.4559, abs=5e-5)
    assert (FULL["k_ext_full"] * FULL["n_neurons_full"]).sum() / 1e9 == pytest.approx(13.8610, abs=5e-5)
    assert parameters(0.005)["n_synapses_total"] == 600_003
    assert parameters(0.006)["n_synapses_total"] == 865_334


def test_check_3_indegrees():
    k = FULL["indegree_full"]
    row = k[idx("V1/23E")]
    expected = {"V1/23E": 1062.058, "V1/23I": 516.694, "V1/4E": 481.640, "V1/4I": 227.663, "V1/5E": 77.222,
                "V1/6E": 56.983}
    for source, value in expected.items():
        assert row[idx(source)] == pytest.approx(value, abs=5e-4), source
    assert row.sum() == pytest.approx(3401.395, abs=5e-4)
    k_ext = FULL["k_ext_full"]
    v1 = {p: k_ext[idx(f"V1/{p}")] for p in POPULATIONS}
    assert v1["23E"] == pytest.approx(1246.1018, abs=5e-5)
    assert v1["5E"] == pytest.approx(1401.8645, abs=5e-5) and v1["6E"] == pytest.approx(1765.3109, abs=5e-5)
    assert all(v1[p] == pytest.approx(1246.1018, abs=5e-5) for p in ("23I", "4E", "4I", "5I", "6I"))
    th = {p: k_ext[idx(f"TH/{p}")] for p in ("23E", "5E", "6E", "23I", "5I", "6I")}
    assert th["23E"] == pytest.approx(6590.214, abs=5e-4) and th["5E"] == pytest.approx(7413.990, abs=5e-4)
    assert th["6E"] == pytest.approx(7780.113, abs=5e-4)
    assert all(th[p] == pytest.approx(5491.845, abs=5e-4) for p in ("23I", "5I", "6I"))
    n = FULL["n_neurons_full"]
    assert (k.sum(axis=1) * n).sum() / n.sum() == pytest.approx(5841.69, abs=5e-3)


def test_check_3_area_level_relative_indegrees():
    rel = area_relative_indegrees(FULL)
    v1, fef = AREAS.index("V1"), AREAS.index("FEF")
    assert rel[v1, v1] == pytest.approx(0.4988, abs=5e-5)
    assert rel[v1, 32] == pytest.approx(0.3416, abs=5e-5)
    assert rel[v1, AREAS.index("V2")] == pytest.approx(0.1263, abs=5e-5)
    assert rel[v1, AREAS.index("V4")] == pytest.approx(0.0151, abs=5e-5)
    assert rel[fef, fef] == pytest.approx(0.4872, abs=5e-5)
    assert rel[fef, 32] == pytest.approx(0.4234, abs=5e-5)
    assert rel[fef, AREAS.index("46")] == pytest.approx(0.0767, abs=5e-5)
    connected = (rel[:, :32] > 0) & ~np.eye(32, dtype=bool)
    assert connected.sum() == 682
    small = parameters(0.005)
    np.testing.assert_allclose(area_relative_indegrees(small), rel, rtol=1e-12)  # nominal: scale-free
    realised = area_relative_indegrees(small, realised=True)
    np.testing.assert_allclose(realised.sum(axis=1), 1.0)
    assert ((realised[:, :32] > 0) & ~np.eye(32, dtype=bool)).sum() < 682  # small projections vanish
    assert realised[v1, v1] == pytest.approx(rel[v1, v1], abs=0.05)


def test_check_4_weights_downscaling_and_delays():
    assert FULL["psc_per_psp_pa_per_mv"] == pytest.approx(585.390, abs=5e-4)
    w = FULL["weight_full_pa"]
    v1_23e = idx("V1/23E")
    assert w[v1_23e, idx("V1/23E")] == pytest.approx(87.8085, abs=5e-5)
    assert w[v1_23e, idx("V1/4E")] == pytest.approx(175.617, abs=5e-4)
    assert w[v1_23e, idx("V1/23I")] == pytest.approx(-965.893, abs=5e-4)
    assert w[idx("V2/4E"), idx("V2/4E")] == pytest.approx(87.8085, abs=5e-5)  # doubled only 4E -> 23E
    meta = parameters(1.0, chi=1.9, chi_i=2.0)["weight_full_pa"]
    assert meta[idx("V2/23I"), idx("V1/23E")] == pytest.approx(333.672, abs=5e-4)  # 87.8085 x 3.8
    assert meta[idx("V2/23E"), idx("V1/23E")] == pytest.approx(87.8085 * 1.9, abs=5e-4)
    assert meta[v1_23e, idx("V1/23E")] == pytest.approx(87.8085, abs=5e-5)  # chi only on cortico-cortical
    small = parameters(0.005)
    assert small["weight_pa"][v1_23e, idx("V1/23E")] == pytest.approx(1241.7996, abs=5e-5)
    assert small["weight_sd_pa"][v1_23e, idx("V1/23E")] == pytest.approx(8.7808, abs=5e-5)  # SD unscaled
    assert parameters(0.005, scale_weight_sd=True)["weight_sd_pa"][v1_23e, idx("V1/23E")] == pytest.approx(124.17996,
                                                                                                         abs=5e-5)
    assert small["i_dc_pa"][v1_23e] == pytest.approx(87.638, abs=5e-4)
    assert small["k_ext"][v1_23e] == pytest.approx(6.2305, abs=5e-5)
    d = FULL["delay_mean_ms"]
    assert d[idx("V2/23E"), v1_23e] == pytest.approx(17.8645 / 3.5, abs=5e-5)
    assert d[idx("FEF/23E"), v1_23e] == pytest.approx(57.1439 / 3.5, abs=5e-5)
    assert d[v1_23e, idx("V1/5E")] == 1.5 and d[v1_23e, idx("V1/5I")] == 0.75
    np.testing.assert_array_equal(FULL["delay_sd_ms"], 0.5 * d)


def test_check_7_downscaling_invariants():
    k = 0.1
    p = parameters(k)
    np.testing.assert_allclose(p["indegree"], k * FULL["indegree_full"], rtol=1e-15)
    np.testing.assert_allclose(p["n_neurons_float"], k * FULL["n_neurons_full"], rtol=1e-15)
    np.testing.assert_allclose(p["indegree"] * p["n_neurons_float"][:, None],
                               k * k * FULL["indegree_full"] * FULL["n_neurons_full"][:, None], rtol=1e-12)
    np.testing.assert_allclose(p["weight_pa"], FULL["weight_full_pa"] / math.sqrt(k), rtol=1e-15)
    # at the reference rates the mean input is that of full scale: recurrent + external + DC
    tau_m_s, c_m, tau_s = 0.01, 250.0, 0.5

    def mu(q: dict) -> np.ndarray:
        j = q["weight_pa"] * tau_s / c_m
        j_ext = q["weight_ext_pa"] * tau_s / c_m
        return (tau_m_s * (q["indegree"] * j) @ q["fullscale_rates_hz"] + tau_m_s * q["k_ext"] * j_ext * 10.0
                + 10.0 / c_m * q["i_dc_pa"])

    np.testing.assert_allclose(mu(p), mu(FULL), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(FULL["i_dc_pa"], 0.0)


def test_presets_subsets_and_replacement():
    assert PRESETS["ground"] == {"scale": 0.005, "chi": 1.0, "chi_i": 1.0}
    assert PRESETS["metastable"] == {"scale": 0.006, "chi": 1.9, "chi_i": 2.0}
    part = parameters(0.005, areas=["V1", "V2"], replace="het_poisson_stat")
    assert part["simulated"].sum() == 16
    assert part["n_synapses"][~part["simulated"]].sum() == 0
    assert part["n_synapses"][:, ~part["simulated"]].sum() == 0
    reps = part["replacements"]
    v1_23e = idx("V1/23E")
    sources = [NAMES[j] for j in np.flatnonzero(part["indegree"][v1_23e] > 0) if not NAMES[j].startswith(("V1/", "V2/"))]
    assert sorted(r["source"] for r in reps if r["target"] == v1_23e) == sorted(sources) and sources
    one = [r for r in reps if r["target"] == v1_23e][0]
    j = idx(one["source"])
    assert one["rate_hz"] == pytest.approx(part["indegree"][v1_23e, j] * FULL["fullscale_rates_hz"][j])
    assert one["weight_pa"] == part["weight_pa"][v1_23e, j]
    assert one["delay_ms"] == pytest.approx(part["delay_mean_ms"][v1_23e, j])
    assert all(part["simulated"][r["target"]] and not r["source"].startswith(("V1/", "V2/")) for r in reps)
    hom = parameters(0.005, areas=["V1"], replace="hom_poisson_stat")["replacements"]
    assert all(r["rate_hz"] == pytest.approx(10.0 * parameters(0.005)["indegree"][r["target"], idx(r["source"])])
               for r in hom)
    assert parameters(0.005, areas=["V1"], replace=None)["replacements"] == []
    assert parameters(0.005)["replacements"] == []  # every area simulated: nothing to replace


@pytest.mark.parametrize("kwargs", [{"scale": 0.0}, {"scale": 1.5}, {"chi": -1.0}, {"areas": ["V9"]},
                                    {"areas": ["V1", "V1"]}, {"replace": "het_current_nonstat"}])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        parameters(**kwargs)


def test_fmri_fc_is_symmetric_with_zero_diagonal():
    fc = fmri_functional_connectivity()
    assert fc.shape == (32, 32)
    np.testing.assert_array_equal(fc, fc.T)
    np.testing.assert_array_equal(np.diag(fc), 0.0)


def test_loads_by_path_without_netdyn():
    """A peer simulator's interpreter loads the module by its path, with numpy only."""
    code = f"""
import importlib.util, sys
sys.modules['netdyn'] = None  # netdyn cannot be imported
spec = importlib.util.spec_from_file_location('ma', {str(DATA_DIR.parents[1] / 'multiarea.py')!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
print(m.multiarea_parameters(0.005)['n_synapses_total'])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "600003"


def test_data_folder_carries_its_licence():
    text = (DATA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "Attribution-NonCommercial-ShareAlike 4.0 International" in text
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "doi:10.1007/s00429-017-1554-4" in readme and "CC BY-NC-SA 4.0" in readme
    assert importlib.util.find_spec("netdyn.models.multiarea") is not None
