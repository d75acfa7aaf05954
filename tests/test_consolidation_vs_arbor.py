"""netdyn's consolidation protocols against the Arbor reference implementation's own runs
(``tests/data/consolidation_arbor_reference.json``, written by
``benchmarks/peers/arbor_consolidation.py``; provenance inside the file).

Differences the comparison allows, and why: Arbor interpolates threshold crossings and steps
in epochs of half the minimum delay with one 0.1- or 0.3-ms step each, so a neuron at its
refractory limit fires every 11 or 12 steps there (444.4 Hz) and every 11 steps here (454.5 Hz):
45 against 46 spikes per 100-ms pulse, which moves h by up to 0.02 mV and the late phase by
a few percent. Everything that does not go through such a neuron agrees to the reference's
4 decimals.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netdyn.config.consolidation import ConsolidationConfig
from netdyn.studies.consolidation import simulate

REFERENCE = json.loads((Path(__file__).parent / "data" / "consolidation_arbor_reference.json").read_text())
H0 = 4.20075


def _at(trial, var, synapse, t_ms):
    tr = trial.traces
    return np.interp(t_ms, tr.time_s.values * 1e3, tr[var].sel(synapse=synapse).values)


def _protein(trial, neuron, t_ms):
    tr = trial.traces
    return np.interp(t_ms, tr.time_s.values * 1e3, tr["protein_umol"].sel(neuron=neuron).values)


def test_basic_early_det_whole_traces():
    """No neuron at its refractory limit: h along the whole 200 ms within 0.002 mV of Arbor's,
    calcium within 0.01 (Arbor's samples fall between our steps around each jump), V with the
    same peak."""
    ref = REFERENCE["basic_early_det"]
    trial = simulate(ConsolidationConfig(protocol="basic-early", deterministic=True))
    t = np.asarray(ref["t_ms"])
    np.testing.assert_allclose(_at(trial, "h_mV", "0->1", t), ref["h_mV"], atol=0.002)
    ca = _at(trial, "ca", "0->1", t)
    assert np.percentile(np.abs(ca - np.asarray(ref["Ca"])), 95) < 0.01
    # V of neuron 1 (seven summed PSPs): the same peak; Arbor's events land up to a step earlier
    v = np.interp(t, trial.traces.time_s.values * 1e3, trial.traces["v_mV"].sel(neuron=1).values)
    v_ref = np.asarray(ref["V1_mV"])
    assert v.max() == pytest.approx(v_ref.max(), abs=0.005)
    np.testing.assert_allclose(v, v_ref, atol=0.12)


@pytest.fixture(scope="module")
def smallnet3_8h():
    return simulate(ConsolidationConfig(protocol="smallnet3-8h"))


def test_smallnet3_spike_counts(smallnet3_8h):
    ref = REFERENCE["smallnet3_8h"]
    t, ids = smallnet3_8h.spike_times_s * 1e3, smallnet3_8h.spike_ids
    for window in ("spikes_learning_window", "spikes_recall_window"):
        lo, hi = ref[window]["window_ms"]
        ours = [int(np.sum((ids == n) & (t >= lo) & (t < hi))) for n in range(5)]
        for n, (a, b) in enumerate(zip(ours, ref[window]["counts"])):
            assert a == pytest.approx(b, abs=3 if n == 0 else 2), (window, n, ours, ref[window]["counts"])


@pytest.mark.parametrize("key", ["h_0to1_at", "h_0to2_at", "h_0to3_at", "h_3to2_at", "h_2to3_at"])
def test_smallnet3_eight_hour_early_phase(smallnet3_8h, key):
    synapse = key[2:-3].replace("to", "->")
    for entry in REFERENCE["smallnet3_8h"][key]:
        ours = _at(smallnet3_8h, "h_mV", synapse, entry["sample_t_ms"])
        assert ours == pytest.approx(entry["value"], abs=0.025), (synapse, entry)


@pytest.mark.parametrize("key", ["z_mV_0to1_at", "z_mV_0to2_at"])
def test_smallnet3_eight_hour_late_phase(smallnet3_8h, key):
    synapse = key[5:-3].replace("to", "->")
    for entry in REFERENCE["smallnet3_8h"][key]:
        ours = _at(smallnet3_8h, "z", synapse, entry["sample_t_ms"]) * H0
        assert ours == pytest.approx(entry["value"], rel=0.02, abs=1e-4), (synapse, entry)


def test_smallnet3_eight_hour_protein(smallnet3_8h):
    ref = REFERENCE["smallnet3_8h"]
    for neuron in (1, 2):
        for entry in ref[f"pc_{neuron}_at"]:
            assert _protein(smallnet3_8h, neuron, entry["sample_t_ms"]) == pytest.approx(entry["value"], rel=0.03, abs=2e-4)
        pc = smallnet3_8h.traces["protein_umol"].sel(neuron=neuron).values
        k = int(np.nanargmax(pc))
        peak = ref["pc_peak"][str(neuron)]
        assert pc[k] == pytest.approx(peak["value"], rel=0.01)
        assert smallnet3_8h.traces.time_s.values[k] * 1e3 == pytest.approx(peak["t_ms"], abs=100_000.0)  # 2 long steps


@pytest.mark.slow
def test_basic_late_against_arbor():
    ref = REFERENCE["basic_late"]
    trial = simulate(ConsolidationConfig(protocol="basic-late"))
    t, ids = trial.spike_times_s, trial.spike_ids
    rates = [np.sum((ids == n) & (t < 14_400.0)) / 14_400.0 for n in range(4)]
    np.testing.assert_allclose(rates, ref["rates_during_stimulus_hz"], rtol=0.05)
    tr = trial.traces
    stim = (tr.time_s.values >= 10.0) & (tr.time_s.values < 14_400.0)
    h = tr["h_mV"].sel(synapse="0->1").values[stim]
    assert h.mean() == pytest.approx(ref["h_stats_stimulus_after_10s"]["mean_mV"], abs=0.01)
    assert h.min() >= ref["h_stats_stimulus_after_10s"]["min_mV"] - 0.1
    assert h.max() <= ref["h_stats_stimulus_after_10s"]["max_mV"] + 0.1
    for entry in ref["z_mV_at"]:
        assert _at(trial, "z", "0->1", entry["sample_t_ms"]) * H0 == pytest.approx(entry["value"], rel=0.03)
    # the protein rises identically while the signal is above threshold; when synthesis stops
    # depends on h at the end of the stimulus, a noisy value (8.07-8.71 mV), so after that the
    # two runs differ by as much as their noise: 0.2 mV in h(4 h) shifts the end by ~10 min
    for entry in ref["pc_at"]:
        tol = 0.01 if entry["sample_t_ms"] <= 14_400_000.0 else 0.25
        assert _protein(trial, 1, entry["sample_t_ms"]) == pytest.approx(entry["value"], rel=tol)
    assert np.nanmax(trial.traces["protein_umol"].sel(neuron=1).values) == pytest.approx(ref["pc_peak"]["value"], rel=0.01)
    for entry in ref["h_at"][3:]:  # after the first second (the jump to the fixed point is noise-dominated)
        assert _at(trial, "h_mV", "0->1", entry["sample_t_ms"]) == pytest.approx(entry["value"], abs=0.35)
