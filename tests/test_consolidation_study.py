"""The consolidation study (Luboeinski & Tetzlaff 2021): configurations, the schedule of phases,
the reference's deterministic small-network numbers, outputs, trials and the screen. The
2,000-neuron statistics over trials and the 8-h single-neuron protocol are marked slow."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from netdyn.analysis.recall import recall_readout
from netdyn.cli import main
from netdyn.config import parse_config
from netdyn.config.consolidation import PROTOCOLS, ConsolidationConfig, ConsolidationScreenConfig
from netdyn.errors import ConfigError
from netdyn.io.hdf5 import read_recording
from netdyn.studies.consolidation import CONSOLIDATION_SCREEN, consolidation_spec, schedule, simulate
from netdyn.sweep import run_study

H0 = 4.20075
PEER = Path(os.environ.get("NETDYN_ARBOR_CONSOLIDATION_DIR",
                           Path(__file__).resolve().parents[2] / "shared" / "peers" / "arbor_consolidation"))
SMALL_NET = {"n_exc": 200, "n_inh": 50, "n_ca": 40}


# ------------------------------------------------------------------ configurations and the schedule
@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_every_protocol_resolves_and_builds(protocol):
    config = ConsolidationConfig(protocol=protocol)
    r = config.resolved()
    spec = consolidation_spec(config, sample_synapses=r["sample_synapses"] or ())
    assert spec.plastic_projection.plasticity.rule == "calcium_stc"
    assert spec.populations[0].n_neurons == r["n_exc"]
    assert sum(p.n_neurons for p in spec.populations) == r["n_exc"] + r["n_inh"]


def test_the_eight_hour_schedule_has_three_phases():
    phases = schedule(ConsolidationConfig(protocol="net-8h"))
    assert [p.kind for p in phases] == ["detailed", "consolidation", "detailed"]
    assert phases[0].start_ms == 0.0 and phases[0].stop_ms == pytest.approx(16100.2)
    assert phases[1].start_ms == pytest.approx(16100.2) and phases[1].stop_ms == pytest.approx(28_805_000.0)
    assert int(np.ceil(phases[1].duration_ms / 50_000.0)) == 576
    assert phases[2].stop_ms == pytest.approx(28_815_100.2)  # the last 4.9 s are not simulated


@pytest.mark.parametrize("protocol, kinds", [
    ("net-10s", ["detailed"]), ("smallnet3-10s", ["detailed"]), ("basic-early", ["detailed"]),
    ("basic-late", ["detailed", "consolidation"]), ("smallnet3-8h", ["detailed", "consolidation", "detailed"]),
])
def test_schedule_cases(protocol, kinds):
    assert [p.kind for p in schedule(ConsolidationConfig(protocol=protocol))] == kinds


def test_schedule_without_learning_and_without_stimuli():
    recall_only = ConsolidationConfig(protocol="net-8h", without=("learn",))
    assert [(p.kind, p.label) for p in schedule(recall_only)] == [("consolidation", "consolidate"), ("detailed", "recall")]
    neither = ConsolidationConfig(protocol="net-8h", without=("learn", "recall"))
    assert [p.kind for p in schedule(neither)] == ["consolidation"]
    short = ConsolidationConfig(protocol="net-10s", without=("learn", "recall"), runtime_s=20.0)
    assert [p.label for p in schedule(short)] == ["background"]


def test_bad_configurations_name_the_field():
    with pytest.raises(ConfigError, match="n_ca"):
        parse_config(ConsolidationConfig, {"protocol": "net-10s", "n_ca": 1601})
    with pytest.raises(ConfigError, match="n_exc"):
        parse_config(ConsolidationConfig, {"protocol": "smallnet3-10s", "n_exc": 5})
    with pytest.raises(ConfigError, match="recall.time_start_s"):
        parse_config(ConsolidationConfig, {"protocol": "net-10s", "recall": {"scheme": "ONEPULSE", "time_start_s": 30.0}})
    with pytest.raises(ConfigError, match="duration_s"):
        parse_config(ConsolidationConfig, {"protocol": "net-10s", "learn": {"scheme": "RECT"}})
    with pytest.raises(ConfigError, match="screen|n_ca_values"):
        parse_config(ConsolidationScreenConfig, {"n_ca_values": [100, 100]})


@pytest.mark.skipif(not PEER.exists(), reason="the Arbor reference folder is not here")
@pytest.mark.parametrize("name", ["config_defaultnet-like.json", "config_smallnet3_det.json",
                                  "config_smallnet2_basic_early.json", "config_smallnet2_basic_late.json"])
def test_reference_configuration_files_are_read(name):
    data = json.loads((PEER / name).read_text())
    config = parse_config(ConsolidationConfig, data)
    r = config.resolved()
    assert r["n_exc"] == data["populations"]["N_exc"] and r["n_inh"] == data["populations"]["N_inh"]
    assert r["plasticity"]["sigma_pl_mV"] == data["synapses"]["syn_exc_calcium_plasticity"]["sigma_pl"]
    assert config.c_mem_pF == pytest.approx(1000.0)
    if data["simulation"]["learn_protocol"]:
        assert r["learn"].scheme == data["simulation"]["learn_protocol"]["scheme"]
    bad = {**data, "neuron": {**data["neuron"], "V_threshold": -50}}
    with pytest.raises(ConfigError, match="neuron.V_threshold"):
        parse_config(ConsolidationConfig, bad)


# ------------------------------------------------------------------ the reference's deterministic small networks
@pytest.fixture(scope="module")
def smallnet3_10s():
    return simulate(ConsolidationConfig(protocol="smallnet3-10s"))


def _h(trial, synapse, t_s, var="h_mV"):
    tr = trial.traces
    k = int(np.argmin(np.abs(tr.time_s.values - t_s)))
    return float(tr[var].sel(synapse=synapse).values[k])


def test_smallnet3_ten_second_recall(smallnet3_10s):
    """The reference's numbers (Arbor, sigma_pl = 0). Neuron 0 fires at the refractory limit:
    a spike every 11 steps here (46 per 100-ms pulse) where Arbor's refractoriness lasts t_ref
    plus one or two steps (45), which moves h by up to 0.02 mV."""
    t, ids = smallnet3_10s.spike_times_s, smallnet3_10s.spike_ids
    learn = [int(np.sum((ids == n) & (t >= 10.0) & (t < 11.1))) for n in range(5)]
    recall = [int(np.sum((ids == n) & (t >= 20.0) & (t < 20.1))) for n in range(5)]
    assert learn[0] == pytest.approx(135, abs=4) and recall[0] == pytest.approx(44, abs=2)
    assert learn[1] == pytest.approx(10, abs=2) and recall[1] == pytest.approx(6, abs=1)
    assert learn[2] == pytest.approx(13, abs=1) and learn[3] == pytest.approx(13, abs=1)
    assert recall[2] == pytest.approx(6, abs=1) and learn[4] == recall[4] == 0
    for t_s, ref in ((10.5, 5.569), (11.1, 6.768), (11.2, 7.071), (12.0, 6.976), (20.0, 6.973), (20.1, 7.207)):
        assert _h(smallnet3_10s, "0->1", t_s) == pytest.approx(ref, abs=0.025), t_s
    assert _h(smallnet3_10s, "0->1", 25.0) == pytest.approx(7.311, abs=0.1)
    assert _h(smallnet3_10s, "0->2", 12.0) == pytest.approx(6.980, abs=0.025)
    assert _h(smallnet3_10s, "0->2", 12.0) == _h(smallnet3_10s, "0->3", 12.0)
    assert _h(smallnet3_10s, "3->2", 11.1) == pytest.approx(4.006, abs=0.01)
    assert _h(smallnet3_10s, "3->2", 12.0) == pytest.approx(3.924, abs=0.01)
    assert _h(smallnet3_10s, "2->3", 12.0) == _h(smallnet3_10s, "3->2", 12.0)
    assert np.all(smallnet3_10s.traces["z"].values == 0.0) or np.abs(smallnet3_10s.traces["z"].values).max() < 1e-4
    pc1 = smallnet3_10s.traces["protein_umol"].sel(neuron=1).values
    assert pc1[-1] == pytest.approx(0.040, abs=0.005)  # synthesis has just started: sum |h - h0| = 2.77 > theta_pro


def test_smallnet3_eight_hour_recall():
    """Late-phase LTP of 0->1 (1 + z ~ 137.5 %), h back near h_0 (~101 %) at 8 h, the protein of
    neuron 1 peaking near 0.42 (f_int pc) in the first hour (Luboeinski & Tetzlaff 2021)."""
    trial = simulate(ConsolidationConfig(protocol="smallnet3-8h"))
    tr = trial.traces
    assert 1.0 + _h(trial, "0->1", 28_800.0, "z") == pytest.approx(1.375, abs=0.02)
    assert _h(trial, "0->2", 28_800.0, "z") > 0.2  # late-phase LTP there too (neuron 2 has its own protein)
    assert _h(trial, "3->2", 28_800.0, "z") <= 0.0  # the depressed synapse does not gain
    assert _h(trial, "0->1", 28_800.0) / H0 == pytest.approx(1.01, abs=0.01)
    pc = tr["protein_umol"].sel(neuron=1).values
    k = int(np.nanargmax(pc))
    assert 0.1 * pc[k] == pytest.approx(0.42, abs=0.02)
    assert tr.time_s.values[k] / 3600.0 == pytest.approx(0.55, abs=0.1)
    assert np.isnan(tr["v_mV"].values).any()  # V is not simulated in the consolidation phase


# ------------------------------------------------------------------ outputs
@pytest.fixture(scope="module")
def basic_early_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("basic-early")
    assert main(["consolidation", "basic-early", "--out", str(out), "--deterministic", "--no-progress"]) == 0
    return out


def test_cli_writes_spikes_results_summary_and_figures(basic_early_out):
    names = {p.name for p in basic_early_out.iterdir()}
    assert {"spikes.h5", "results.zarr", "summary.json", "figure_traces.png", "figure_traces.pdf",
            "figure_raster.png"} <= names
    summary = json.loads((basic_early_out / "summary.json").read_text())
    assert set(summary["synapses"]) == {"0->1"}
    syn = summary["synapses"]["0->1"]
    assert syn["h_final_mV"] == pytest.approx(4.2348, abs=0.005) and syn["h_max_mV"] == pytest.approx(4.3665, abs=0.005)
    assert syn["z_final"] == 0.0
    assert summary["neurons"]["0"]["spikes"] == 7 and summary["neurons"]["1"]["spikes"] == 0
    ds = xr.open_zarr(basic_early_out / "results.zarr")
    assert ds.attrs["netdyn_study"] == "consolidation"
    h = ds["h_mV"].sel(synapse="0->1").values
    assert h[-1] == pytest.approx(syn["h_final_mV"], abs=1e-12) and h.max() == syn["h_max_mV"]
    assert dict(ds["weight_h_mV"].sizes) == {"snapshot": 2, "plastic_synapse": 5}
    rec = read_recording(basic_early_out / "spikes.h5")
    np.testing.assert_allclose(rec.spikes["E"].times_ms, [10.2, 20.2, 30.2, 40.2, 50.2, 60.2, 100.2])


def test_plot_redraws_the_figures(basic_early_out, capsys):
    (basic_early_out / "figure_traces.png").unlink()
    assert main(["plot", "consolidation", "--out", str(basic_early_out)]) == 0
    assert (basic_early_out / "figure_traces.png").exists()


def test_network_trial_reads_out_recall_quality(tmp_path):
    config = ConsolidationConfig(protocol="net-10s", **SMALL_NET, seed=2)
    out = run_study(__import__("netdyn.studies.consolidation", fromlist=["x"]).CONSOLIDATION, config, tmp_path,
                    progress=False, figure=False)
    summary = out.stats
    assert {"Q", "MI_bits", "rates_hz"} <= set(summary)
    rec = read_recording(tmp_path / "spikes.h5")
    times = np.concatenate([rec.spikes["E"].times_ms, rec.spikes["I"].times_ms]) * 1e-3
    ids = np.concatenate([rec.spikes["E"].senders, rec.spikes["I"].senders + 200])
    again = recall_readout(times, ids, 40, 200, 50, t_learn_s=11.0, t_recall_s=20.1)
    assert summary["Q"] == pytest.approx(again.Q, rel=1e-12)
    assert summary["MI_bits"] == pytest.approx(again.MI_bits, rel=1e-12)
    assert summary["rates_hz"]["as"] > 80.0  # the saturating recall pulse, ~45 spikes in 0.5 s
    assert len(summary["synapses"]) == 4  # within, out of, into the assembly and outside it


def test_weight_snapshots_at_chosen_times_do_not_change_the_run():
    """Snapshots split detailed phases and consolidation phases (on their grid of long steps):
    the run's numbers stay the same."""
    plain = simulate(ConsolidationConfig(protocol="smallnet3-8h"))
    snap = simulate(ConsolidationConfig(protocol="smallnet3-8h", weights_at_s=(11.0, 3600.0, 28810.05)))
    names = list(snap.weights.snapshot.values)
    assert names == ["t=11s", "after_learning", "t=3566.1002s", "t=28810.05s", "final"]
    np.testing.assert_array_equal(snap.weights["weight_h_mV"].sel(snapshot="final").values,
                                  plain.weights["weight_h_mV"].sel(snapshot="final").values)
    np.testing.assert_array_equal(snap.weights["weight_z"].sel(snapshot="final").values,
                                  plain.weights["weight_z"].sel(snapshot="final").values)
    k = list(snap.weights.plastic_synapse.values).index(0)  # 0 -> 1, the first synapse of source 0
    z_1h = snap.weights["weight_z"].sel(snapshot="t=3566.1002s").values[k]
    assert 0.0 < z_1h < snap.weights["weight_z"].sel(snapshot="final").values[k]
    np.testing.assert_array_equal(snap.spike_times_s, plain.spike_times_s)
    with pytest.raises(ConfigError, match="weights_at_s"):
        parse_config(ConsolidationConfig, {"protocol": "net-10s", "weights_at_s": [30.0]})


def test_same_seed_same_trial():
    config = ConsolidationConfig(protocol="net-10s", **SMALL_NET, runtime_s=12.0, without=("recall",))
    a, b = simulate(config), simulate(config)
    np.testing.assert_array_equal(a.spike_times_s, b.spike_times_s)
    np.testing.assert_array_equal(a.weights["weight_h_mV"].values, b.weights["weight_h_mV"].values)
    c = simulate(config.replace(seed=1))
    assert not np.array_equal(a.weights["weight_h_mV"].values, c.weights["weight_h_mV"].values)


# ------------------------------------------------------------------ trials and the screen
def test_screen_numbers_do_not_depend_on_the_workers_and_a_rerun_resumes(tmp_path):
    config = {"n_ca_values": [20], "trials": 2, "n_exc": 160, "n_inh": 40}
    serial = run_study(CONSOLIDATION_SCREEN, config, tmp_path / "a", workers=0, progress=False, figure=False)
    parallel = run_study(CONSOLIDATION_SCREEN, config, tmp_path / "b", workers=2, progress=False, figure=True)
    assert len(serial.computed_units) == 4
    for name in ("Q", "MI_bits", "rate_ctrl_hz", "h_final_mV"):
        np.testing.assert_array_equal(serial.dataset[name].values, parallel.dataset[name].values)
    again = run_study(CONSOLIDATION_SCREEN, config, tmp_path / "b", workers=2, progress=False, figure=False)
    assert again.computed_units == ()
    cells = parallel.stats["cells"]
    assert set(cells) == {"20/net-10s", "20/net-8h"}
    assert cells["20/net-10s"]["Q"]["n"] == 2
    assert {p.name for p in parallel.figures} == {"figure_screen.png", "figure_screen.pdf"}


def test_trials_of_one_protocol(tmp_path):
    assert main(["consolidation", "basic-early", "--trials", "3", "--out", str(tmp_path), "--workers", "0",
                 "--no-progress"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["trials"] == 3
    syn = summary["synapses"]["0->1"]
    assert syn["h_final_mV"]["n"] == 3 and syn["h_final_mV"]["sd"] > 0  # plasticity noise differs per seed


# ------------------------------------------------------------------ slow validation
@pytest.mark.slow
def test_basic_late_maximal_activity_and_consolidation():
    """Neuron 0 driven for 4 h at its maximal rate (reference 444.4 Hz; 454.5 here, one spike
    per 11 steps), h at its fixed point 2 h_0, Ca ~ 23; the protein drives z to ~1 and h is back
    near 112 % at 8 h."""
    trial = simulate(ConsolidationConfig(protocol="basic-late"))
    t, ids = trial.spike_times_s, trial.spike_ids
    during = t < 14_400.0
    assert np.sum(during & (ids == 0)) / 14_400.0 == pytest.approx(444.4, rel=0.03)
    assert np.sum(during & (ids == 1)) / 14_400.0 == pytest.approx(104.2, rel=0.06)
    tr = trial.traces
    stim = (tr.time_s.values > 10.0) & (tr.time_s.values < 14_400.0)
    h = tr["h_mV"].sel(synapse="0->1").values
    assert h[stim].mean() == pytest.approx(8.402, abs=0.02)
    assert tr["ca"].sel(synapse="0->1").values[stim].mean() == pytest.approx(23.0, abs=1.0)
    assert tr["z"].sel(synapse="0->1").values[-1] == pytest.approx(1.0, abs=0.02)
    assert h[-1] / H0 == pytest.approx(1.12, abs=0.02)


@pytest.mark.slow
def test_network_recall_over_trials_matches_the_stand_alone_simulator(tmp_path):
    """20 trials per protocol at N_CA = 150: Q and MI within 2 SEM of the stand-alone simulator's
    50 trials (spec: Q 0.031 +- 0.014, MI 0.86 +- 0.07 after 10 s; 0.034 +- 0.016, 0.94 +- 0.06
    after 8 h), and MI after 8 h above MI after 10 s."""
    out = run_study(CONSOLIDATION_SCREEN, {"n_ca_values": [150], "trials": 20}, tmp_path, workers=2,
                    progress=False, figure=False)
    cells = out.stats["cells"]
    for protocol, q_ref, mi_ref in (("net-10s", (0.0307, 0.0140), (0.860, 0.066)),
                                    ("net-8h", (0.0340, 0.0155), (0.941, 0.062))):
        cell = cells[f"150/{protocol}"]
        for key, (mean, sd) in (("Q", q_ref), ("MI_bits", mi_ref)):
            sem = np.hypot(sd / np.sqrt(50), cell[key]["sd"] / np.sqrt(cell[key]["n"]))
            assert abs(cell[key]["mean"] - mean) <= 2 * sem, (protocol, key, cell[key], mean)
        assert cell["rate_ctrl_hz"]["mean"] == pytest.approx(6.5, abs=1.5)  # background control rates 4-7 Hz
    assert out.stats["memory_improvement"]["150"]["mi_8h_gt_10s"]
