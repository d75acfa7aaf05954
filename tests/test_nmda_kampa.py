"""The kinetic NMDA receptor (Kampa et al. 2004; ``KineticNMDA``, mechanism ``nmda_kampa``)
against NEURON running the published mod files, and its configuration.

tests/data/nmda_kampa_neuron_reference.json (``benchmarks/peers/neuron_nmda_kampa.py``,
NEURON 9.0.2, ``NMDA_Mg_T.mod`` and ``release_BMK.mod`` of ModelDB 140828): the current of one
synapse with Branco's settings under voltage clamp at -80 ... +20 mV and after a step from -70
to -20 mV (the slow Mg unblock), with 1 mM Mg and without, one release at 10 ms, dt 0.025 ms.

Two fixed-step conventions of NEURON put its trace behind netdyn's by two steps:
``release_BMK`` raises the transmitter at the end of the step in which ``t > del``, so the
receptors first see it in the state update over [del + dt, del + 2 dt] (netdyn: from the
event's step on, [del, del + dt]); and ``Vector.record`` stores at t + dt the current computed
at t. With the event at 10.025 ms and netdyn's sample at t - dt compared with NEURON's at t,
the two simulators take the same steps: both solve the kinetic scheme by backward Euler with
the same rates, so the traces agree to 4.5e-7 of the peak (7 significant digits are stored;
held to 2e-6). As a user runs it (event at 10 ms, no shifts), the two-step lag is what
is left: peaks agree to 0.1 % (observed <= 0.07 %, the step protocol, whose peak right after
the step moves fast), peak times to one stored sample (0.1 ms, <= 1 % of the 14 ms from
release to peak), the RMS difference to 0.5 % of the peak (observed <= 0.36 %). The issue asked
for 1 %, 1 % and 2 %.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from netdyn.cells import Biophysics, Cell, Morphology, Passive, Site, SynapticInput, VoltageClamp
from netdyn.config.base import parse_config
from netdyn.config.biophysics import NMDA, KineticNMDA, Synapses
from netdyn.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "nmda_kampa_neuron_reference.json"
REFERENCE = json.loads(DATA.read_text())
TRACES = REFERENCE["traces"]
DT = REFERENCE["settings"]["dt_ms"]
RELEASE = REFERENCE["settings"]["release_ms"]
SITE = Site(0, 5.0)


def _label(tr: dict) -> str:
    return f"{tr['protocol']}_{tr['hold_mV']:+.0f}mV_mg{tr['mg_mM']:g}"


def _simulate(tr: dict) -> tuple[np.ndarray, np.ndarray]:
    """netdyn's current (nA) at the reference's times: trial 0 as a user runs it (release at
    10 ms), trial 1 on NEURON's steps (release at 10 ms + dt, sampled one step earlier)."""
    pytest.importorskip("arbor")
    from netdyn.engines.cable import simulate_cell

    s = REFERENCE["settings"]
    assert (s["gmax_pS"], s["erev_mV"], s["transmitter_mM"], s["pulse_ms"]) == (8000.0, 5.0, 2.0, 0.5)
    soma = Morphology(np.array([[0.0, 0, 0, 5]]), np.array([[10.0, 0, 0, 5]]), np.array([-1]), np.array([1]), "soma")
    bio = Biophysics(passive=Passive(v_init_mV=tr["hold_mV"]), synapses=Synapses(nmda=KineticNMDA(c_mg_mM=tr["mg_mM"])))
    steps = ((tr["step_at_ms"], tr["step_mV"]),) if tr["protocol"] == "step" else ()
    trials = [[SynapticInput(SITE, "nmda", np.array([t]))] for t in (RELEASE, RELEASE + DT)]
    ds = simulate_cell(Cell(soma, bio), trials, duration_ms=s["duration_ms"], dt_ms=DT, record_currents=True,
                       clamps=[VoltageClamp(SITE, tr["hold_mV"], s["series_resistance_MOhm"], steps)])
    t, i = ds.time_ms.values, ds.i_syn_nA.values[:, 0]
    t_ref = np.array(REFERENCE["time_ms"])
    as_run = i[0, np.searchsorted(t, t_ref - DT / 4)]
    aligned = i[1, np.maximum(np.searchsorted(t, t_ref - DT - DT / 4), 0)]
    aligned[0] = i[1, 0]  # both record the initial current (0) at t = 0
    return as_run, aligned


def test_reference_file():
    assert DATA.stat().st_size < 300_000
    p = REFERENCE["provenance"]
    assert p["script"] == "benchmarks/peers/neuron_nmda_kampa.py" and p["neuron_version"]
    t = np.array(REFERENCE["time_ms"])
    assert t[0] == 0 and np.all(np.diff(t) > 0) and t[-1] < REFERENCE["settings"]["duration_ms"]
    assert len(TRACES) == 14 and all(len(tr["i_nA"]) == t.size for tr in TRACES)
    for tr in TRACES:
        i = np.array(tr["i_nA"])
        assert np.all(np.isfinite(i)) and np.all(np.abs(i[t < RELEASE]) < 1e-12)  # (NEURON: round-off before it)
        # the current flows towards the reversal potential (5 mV) of the clamped voltage
        v_end = tr.get("step_mV", tr["hold_mV"])
        assert np.sign(i[-1]) == np.sign(v_end - REFERENCE["settings"]["erev_mV"])
    # Mg blocks at -80 mV, not at +20 mV (peaks of the held traces)
    peak = {(tr["mg_mM"], tr["hold_mV"]): np.abs(tr["i_nA"]).max() for tr in TRACES if tr["protocol"] == "hold"}
    assert peak[1.0, -80.0] < 0.05 * peak[0.0, -80.0] and peak[1.0, 20.0] > 0.9 * peak[0.0, 20.0]


@pytest.mark.parametrize("tr", TRACES, ids=_label)
def test_current_matches_neuron(tr):
    ref = np.array(tr["i_nA"])
    t = np.array(REFERENCE["time_ms"])
    as_run, aligned = _simulate(tr)
    k = int(np.argmax(np.abs(ref)))
    scale = abs(ref[k])
    # on NEURON's steps: the same numbers
    assert np.abs(aligned - ref).max() <= 2e-6 * scale
    # as a user runs it: two steps ahead of NEURON
    j = int(np.argmax(np.abs(as_run)))
    assert as_run[j] == pytest.approx(ref[k], rel=1e-3)
    assert abs(t[j] - t[k]) <= 0.1 + 1e-9 and abs(t[j] - t[k]) <= 0.01 * (t[k] - RELEASE)
    assert np.sqrt(np.mean((as_run - ref) ** 2)) <= 0.005 * scale


def test_weight_scales_the_conductance_and_clamp_steps_are_checked():
    pytest.importorskip("arbor")
    from netdyn.engines.cable import simulate_cell

    soma = Morphology(np.array([[0.0, 0, 0, 5]]), np.array([[10.0, 0, 0, 5]]), np.array([-1]), np.array([1]), "soma")
    cell = Cell(soma, Biophysics(passive=Passive(v_init_mV=-40.0), synapses=Synapses(nmda=KineticNMDA())))
    clamp = VoltageClamp(SITE, -40.0, 1e-4)
    trials = [[SynapticInput(SITE, "ampa+nmda", np.array([1.0]), weight=w)] for w in (1.0, 2.5)]
    ds = simulate_cell(cell, trials, duration_ms=30.0, clamps=[clamp], record_currents=True)
    assert list(ds.synapse_receptor.values) == ["ampa", "nmda"]
    nmda = ds.i_syn_nA.values[:, 1]
    assert nmda[0].min() < -1e-3
    # (the clamp holds V to i r_s ~ 1e-5 mV: the larger current moves the block by ~1e-7)
    np.testing.assert_allclose(nmda[1], 2.5 * nmda[0], rtol=1e-5, atol=1e-12)
    bad_steps = [(((5.0, -20.0), (5.0, 0.0)), "clamps[0].steps[1]"),  # not increasing
                 (((-1.0, -20.0),), "clamps[0].steps[0]"),
                 (((1.0, float("nan")),), "clamps[0].steps[0]")]
    for steps, field in bad_steps:
        with pytest.raises(ConfigError) as err:
            simulate_cell(cell, trials[0], duration_ms=5.0, clamps=[VoltageClamp(SITE, -40.0, 1e-4, steps)])
        assert err.value.field == field


def test_config_round_trip_and_the_old_nmda_table(tmp_path):
    bio = Biophysics(synapses=Synapses(nmda=KineticNMDA(gmax_nS=5.0, c_mg_mM=1.2)))
    assert Biophysics.load(bio.save(tmp_path / "b.toml")) == bio
    assert Biophysics.load(bio.save(tmp_path / "b.json")) == bio
    assert 'model = "kampa2004"' in (tmp_path / "b.toml").read_text()
    # a table without model (files written before the kinetic model) is the double exponential
    old = parse_config(Biophysics, {"synapses": {"nmda": {"q_nS": 3.0, "tau_decay_ms": 80.0}}})
    assert isinstance(old.synapses.nmda, NMDA) and old.synapses.nmda.model == "double_exponential"
    assert old.synapses.nmda.q_nS == 3.0 and isinstance(Biophysics().synapses.nmda, NMDA)
    assert Biophysics.load(old.save(tmp_path / "old.toml")) == old
    k = parse_config(Synapses, {"nmda": {"model": "kampa2004"}}).nmda
    assert k == KineticNMDA() and (k.gmax_nS, k.e_rev_mV, k.c_mg_mM, k.transmitter_mM, k.pulse_ms) == (8.0, 5.0, 1.0, 2.0, 0.5)


@pytest.mark.parametrize("table, field", [
    ({"model": "jahr"}, "synapses.nmda"),
    ({"model": "kampa2004", "gmax_nS": -1.0}, "synapses.nmda.kampa2004.gmax_nS"),
    ({"model": "kampa2004", "pulse_ms": 0.0}, "synapses.nmda.kampa2004.pulse_ms"),
    ({"model": "kampa2004", "q_nS": 1.0}, "synapses.nmda.kampa2004.q_nS"),  # a double-exponential key
    ({"gmax_nS": 8.0}, "synapses.nmda.double_exponential.gmax_nS"),  # a kinetic key without model
])
def test_bad_nmda_tables_name_the_field(table, field):
    with pytest.raises(ConfigError) as err:
        parse_config(Biophysics, {"synapses": {"nmda": table}})
    assert err.value.field == field


def test_brian2_case_exporter_refuses_the_kinetic_model():
    sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))
    try:
        import dendrites_cases
    finally:
        sys.path.remove(str(ROOT / "benchmarks" / "peers"))
    cell, inputs, protocol = dendrites_cases.build("bas_ampa_x55")
    kinetic = Cell(cell.morphology, cell.biophysics.replace(synapses={"nmda": {"model": "kampa2004"}}))
    with pytest.raises(NotImplementedError, match="kampa2004"):
        dendrites_cases.to_case("x", kinetic, inputs, protocol)
