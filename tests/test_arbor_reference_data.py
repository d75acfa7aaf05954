"""Structure of tests/data/consolidation_arbor_reference.json (the Arbor reference runs of the
``consolidation`` study, written by benchmarks/peers/arbor_consolidation.py) and the values that
the published reference values say Arbor gives: these check that the stored data
are those runs, not netdyn (which is validated against this file elsewhere)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests._reference_json import load_strict, numbers

PATH = Path(__file__).parent / "data" / "consolidation_arbor_reference.json"
H0 = 4.20075


@pytest.fixture(scope="module")
def ref() -> dict:
    return load_strict(PATH)


def _at(entries: list[dict], t_ms: float, key: str = "value") -> float:
    return next(e[key] for e in entries if math.isclose(e["t_ms"], t_ms))


def _value_at(t: list, y: list, t_ms: float) -> float:
    """The stored sample at (within 1e-3 ms of) t_ms."""
    i = int(np.argmin(np.abs(np.asarray(t) - t_ms)))
    assert abs(t[i] - t_ms) < 1e-3, (t[i], t_ms)
    return y[i]


def test_file_small_finite_with_provenance(ref):
    assert PATH.stat().st_size < 420_000
    assert all(math.isfinite(x) for x in numbers(ref))
    prov = ref["provenance"]
    assert prov["script"] == "benchmarks/peers/arbor_consolidation.py"
    assert prov["peer"]["commit"] == "f908049" and prov["peer"]["licence"] == "Apache-2.0"
    assert prov["arbor_version"] == "0.12.2"
    assert len(prov["peer"]["patches"]) == 5
    for key in ("t_ms", "h_mV", "z_mV", "Ca", "pc"):
        assert key in ref["units"]
    readme = (PATH.parent / "README.md").read_text()
    assert "consolidation_arbor_reference.json" in readme


@pytest.mark.parametrize("protocol", ["basic_early_det", "single_psp", "smallnet3_10s", "smallnet3_8h", "basic_late"])
def test_every_run_has_cost_and_command(ref, protocol):
    cost = ref[protocol]["cost"]
    assert cost["cpu_s"] > 0 and cost["peak_rss_mb"] > 0
    assert cost["command"].startswith("python arborNetworkConsolidation.py") and "-plot=0" in cost["command"]


def test_trace_arrays_aligned_and_time_sorted(ref):
    for protocol, keys in [("basic_early_det", ["h_mV", "Ca", "V1_mV"]), ("single_psp", ["V1_mV"]),
                           ("basic_late", ["h_mV", "z_mV", "Ca", "pc", "V1_mV"])]:
        t = ref[protocol]["t_ms"]
        assert np.all(np.diff(t) > 0)
        for k in keys:
            assert len(ref[protocol][k]) == len(t), (protocol, k)
    for protocol in ("smallnet3_10s", "smallnet3_8h"):
        d = ref[protocol]
        n = len(d["t_ms"])
        assert np.all(np.diff(d["t_ms"]) > 0)
        assert set(d["synapses"]) == {"0->1", "0->2", "3->2", "0->3", "2->3"}
        assert set(d["neurons"]) == {"0", "1", "2", "3", "4"}
        for syn in d["synapses"].values():
            assert {len(v) for v in syn.values()} == {n}
        for neu in d["neurons"].values():
            assert {len(v) for v in neu.values()} == {n}
    assert len(ref["basic_early_det"]["t_ms"]) == 1000  # every 0.2-ms output step of the 200 ms


def test_basic_early_det_matches_spec_check_3(ref):
    d = ref["basic_early_det"]
    spec = {40.0: 4.1983, 60.0: 4.1658, 68.7: 4.1494, 78.8: 4.2287, 90.6: 4.3665, 100.0: 4.3478, 120.0: 4.3085,
            150.0: 4.2501, 199.7: 4.2348}
    for t, h in spec.items():
        assert abs(_value_at(d["t_ms"], d["h_mV"], t) - h) < 1e-3, t
        assert abs(_at(d["h_at"], t) - h) < 1e-3
    assert abs(d["h_min"]["t_ms"] - 68.7) < 1e-6 and abs(d["h_max"]["t_ms"] - 90.6) < 1e-6


def test_basic_early_det_calcium_matches_spec_check_2(ref):
    d = ref["basic_early_det"]
    for t, ca in {28.9: 0.996, 38.7: 1.814, 48.8: 2.475, 58.7: 3.019, 68.7: 3.459, 78.8: 3.811, 199.7: 0.508}.items():
        assert abs(_value_at(d["t_ms"], d["Ca"], t) - ca) < 0.01, t
    assert abs(d["Ca_max"]["value"] - 3.811) < 0.01 and abs(d["Ca_max"]["t_ms"] - 78.8) < 1e-6
    # neuron 0 fires once per explicit stimulus (10, 20, ..., 60, 100 ms); neuron 1 never
    assert d["spikes"]["gid"] == [0] * 7
    assert np.allclose(d["spikes"]["t_ms"], [10, 20, 30, 40, 50, 60, 100], atol=0.11)


def test_single_psp_matches_spec_check_1(ref):
    peak = ref["single_psp"]["V1_peak"]
    assert abs(peak["value_mV"] - (-63.948)) < 0.005
    assert abs(peak["t_ms"] - 19.9) < 0.25


def test_basic_early_stochastic_statistics(ref):
    d = ref["basic_early"]
    assert d["n_trials"] >= 40
    assert len(d["t_ms"]) == len(d["h_mean_mV"]) == len(d["h_sd_mV"]) == 1000
    spec_mean = {40: 4.1978, 60: 4.1633, 100: 4.3434, 120: 4.3049, 199.7: 4.2341}
    for t, m in spec_mean.items():
        e = next(e for e in d["h_at"] if math.isclose(e["t_ms"], t))
        # the spec's 60-trial mean vs these trials: both are means, allow 3 combined SEMs
        assert abs(e["mean_mV"] - m) < 3 * math.sqrt(2) * e["sem_mV"] + 1e-4, t
    sd100 = _at(d["h_at"], 100, "sd_mV")
    sd200 = _at(d["h_at"], 199.7, "sd_mV")
    assert 0.027 * 0.7 < sd100 < 0.027 * 1.3 and 0.032 * 0.7 < sd200 < 0.032 * 1.3
    assert abs(d["mean_peak"]["percent_of_h0"] - 103.87) < 0.3 and abs(d["mean_peak"]["t_ms"] - 90.6) < 3


def test_smallnet3_10s_matches_spec_check_7(ref):
    d = ref["smallnet3_10s"]
    assert d["spikes_learning_window"]["counts"] == [135, 10, 13, 13, 0]
    assert d["spikes_recall_window"]["counts"] == [44, 6, 6, 6, 0]
    h01 = {10500: 5.569, 11100: 6.768, 11200: 7.071, 12000: 6.976, 20000: 6.973, 20100: 7.207, 25000: 7.311}
    for t, h in h01.items():
        assert abs(_at(d["h_0to1_at"], t) - h) < 0.01, t
    assert abs(_at(d["h_0to2_at"], 12000) - 6.980) < 0.01 and abs(_at(d["h_0to3_at"], 12000) - 6.980) < 0.01
    for key in ("h_3to2_at", "h_2to3_at"):
        assert abs(_at(d[key], 11100) - 4.006) < 0.01
        assert abs(_at(d[key], 12000) - 3.924) < 0.01
        assert abs(_at(d[key], 25000) - 3.746) < 0.01
    assert all(v == 0 for syn in d["synapses"].values() for v in syn["z_mV"])
    assert abs(_at(d["pc_1_at"], 25000) - 0.040) < 0.002


def test_smallnet3_8h_schedule_and_late_phase(ref):
    d = ref["smallnet3_8h"]
    phases = d["phase_boundaries_ms"]
    assert len(phases) == 3
    assert abs(phases[0]["t_end_ms"] - 16100.2) < 0.01
    assert phases[1]["n_steps"] == 576 and abs(phases[1]["t_end_ms"] - 28805000) < 0.01
    assert d["spikes_learning_window"]["counts"] == [135, 10, 13, 13, 0]
    # spec check 8 / section 3.1: 1 + z(0->1) ~ 137.5 %, h(8 h) ~ 101 %, protein peak ~0.42 p_max at ~0.55 h
    z01 = _at(d["z_mV_0to1_at"], 28815000) / H0
    assert 0.35 < z01 < 0.40
    assert _at(d["z_mV_0to2_at"], 28815000) > 0
    assert abs(_at(d["h_0to1_at"], 28805000) / H0 - 1.01) < 0.01
    peak = d["pc_peak"]["1"]
    assert abs(peak["value"] / 10 - 0.42) < 0.02 and abs(peak["t_ms"] / 3.6e6 - 0.55) < 0.1


def test_basic_late_matches_spec_check_5_and_6(ref):
    d = ref["basic_late"]
    r = d["rates_during_stimulus_hz"]
    assert abs(r[0] - 444.4) < 0.1 and abs(r[1] - 104.2) < 0.1 and abs(r[2] - 127.5) < 0.1 and abs(r[3] - 127.5) < 0.1
    assert abs(d["h_stats_stimulus_after_10s"]["mean_mV"] - 8.402) < 0.01
    assert 8.0 < d["h_stats_stimulus_after_10s"]["min_mV"] and d["h_stats_stimulus_after_10s"]["max_mV"] < 8.8
    assert 22 < d["Ca_stats_stimulus_after_10s"]["mean"] < 24
    assert abs(_at(d["h_at"], 100) / H0 - 1.189) < 0.03 and abs(_at(d["h_at"], 1000) / H0 - 1.938) < 0.03
    # z approaches 1 and the protein decays after the stimulus (section 3.1: ~200 % by ~6 h, h(8 h) ~ 112 %)
    assert _at(d["z_mV_at"], 28800e3) / H0 > 0.95
    assert 1.08 < _at(d["h_at"], 28800e3) / H0 < 1.16
    assert _at(d["pc_at"], 28800e3) < _at(d["pc_at"], 14400e3)
    assert len(d["phase_boundaries_ms"]) == 2 and d["phase_boundaries_ms"][1]["median_step_ms"] == 50000.0


def test_defaultnet_10s_single_trial_within_the_standalone_spread(ref):
    d = ref["defaultnet_10s_cost"]
    assert d["n_ca"] == 150 and d["cost"]["cpu_s"] > 60 and d["cost"]["peak_rss_mb"] > 0
    # Bernoulli p_c = 0.1 over the 2000 * 1999 ordered pairs: 399,800 +- 600 (binomial SD)
    assert abs(d["n_connections"] - 399_800) < 5 * math.sqrt(0.1 * 0.9 * 2000 * 1999)
    q = d["recall_quality"]
    # one trial against the stand-alone simulator's 50-trial mean +- SD (spec section 3.1): within 3 SD
    assert abs(q["Q"] - 0.0307) < 3 * 0.0140
    assert abs(q["MI_bits"] - 0.860) < 3 * 0.066
    assert 85 < q["nu_as_hz"] < 100  # the saturating recall pulse seen through a 0.5-s window
