"""Stored, procedural or auto connectivity: the memory estimate of either mode before building,
``auto`` choosing procedural exactly when stored would not fit, the per-projection mapping,
NEST's refusal, the config field on every command that runs netdyn's engine, and the choice
recorded in results and checked when a sweep resumes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from netdyn.cli import main
from netdyn.config import parse_config
from netdyn.config.bench import CobaBenchConfig, MicrocircuitBenchConfig
from netdyn.config.consolidation import ConsolidationBenchConfig, ConsolidationConfig, ConsolidationScreenConfig
from netdyn.config.multiarea import MultiAreaBenchConfig, MultiAreaConfig
from netdyn.config.network_file import RunSettings
from netdyn.config.rsfs import RsfsConfig
from netdyn.connectivity.procedural import needs_counts
from netdyn.engines.spiking import Network
from netdyn.engines.spiking.build import delay_steps, estimate_memory, fits_in_memory, plan_layout
from netdyn.engines.spiking.procedural import (
    CONNECTIVITY_MODES,
    TAIL_SD,
    procedural_projections,
    regenerable_projections,
)
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import spec_from_any
from netdyn.studies.coba import coba_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "networks"
NEURON = {"c_m_pF": 250.0, "tau_m_ms": 10.0, "e_l_mV": -65.0, "v_th_mV": -55.0, "v_reset_mV": -70.0,
          "t_ref_ms": 2.0, "i_e_pA": 380.0}
RECEPTORS = [{"name": "exc", "tau_ms": 5.0}, {"name": "inh", "tau_ms": 8.0}]


def mixed_spec(seed: int = 3):
    """Every kind of rule: counted (fixed_total_number, fixed_indegree), Bernoulli, fixed
    outdegree, and two that stay stored (distinct pairs, explicit pairs); delays constant,
    uniform and unbounded normal."""
    pop = {"model": "lif_psc_exp", "params": NEURON, "receptors": RECEPTORS}
    return spec_from_any({
        "dt_ms": 0.1, "seed": seed,
        "populations": [{"name": "A", "n_neurons": 300, **pop}, {"name": "B", "n_neurons": 200, **pop}],
        "projections": [
            {"source": "A", "target": "A", "receptor": "exc", "weight": 20.0,
             "rule": {"rule": "fixed_total_number", "n_synapses": 6000},
             "delay_ms": {"kind": "normal", "mean": 2.0, "std": 0.5}},
            {"source": "A", "target": "B", "receptor": "exc", "weight": 20.0,
             "rule": {"rule": "fixed_probability", "p": 0.05}, "delay_ms": 1.5},
            {"source": "B", "target": "A", "receptor": "inh", "weight": -40.0,
             "rule": {"rule": "fixed_indegree", "indegree": 10},
             "delay_ms": {"kind": "uniform", "low": 0.5, "high": 3.0}},
            {"source": "B", "target": "B", "receptor": "inh", "weight": -40.0,
             "rule": {"rule": "fixed_outdegree", "outdegree": 12}},
            {"source": "B", "target": "B", "receptor": "exc", "name": "distinct", "weight": 10.0,
             "rule": {"rule": "fixed_outdegree", "outdegree": 5, "multapses": False}},
            {"source": "A", "target": "B", "receptor": "inh", "name": "pairs", "weight": -10.0,
             "rule": {"rule": "explicit", "pre": [0, 1, 2], "post": [5, 6, 7]}},
        ],
        "record": {"spikes": ["A", "B"], "rate_bin_ms": 1.0},
    })


# ----------------------------------------------------------------------------- estimates
def test_regenerable_projections_leave_distinct_and_explicit_pairs_stored():
    spec = mixed_spec()
    assert regenerable_projections(spec) == [0, 1, 2, 3]
    assert procedural_projections(spec, "procedural") == [0, 1, 2, 3]
    assert procedural_projections(spec, "stored") == []
    assert [needs_counts(p.rule) for p in spec.projections] == [True, False, True, True, True, False]


@pytest.mark.parametrize("threads", [1, 2])
def test_procedural_estimate_counts_out_degrees_buffers_and_the_cut_delays(threads):
    spec = mixed_spec()
    layout = plan_layout(spec, threads)
    which = procedural_projections(spec, "procedural")
    stored, procedural = estimate_memory(spec, layout), estimate_memory(spec, layout, which)
    assert stored.n_synapses == procedural.n_synapses  # the total, both modes
    # what stays stored: the distinct-pairs and explicit projections (5 * 200 + 3 synapses)
    assert procedural.parts["synapses"] == 10 * (5 * 200 + 3)
    assert procedural.parts["largest projection while building"] == 24 * 5 * 200
    # an int32 per source of fixed_total_number, fixed_indegree and fixed_outdegree
    assert procedural.parts["procedural out-degrees"] == 4 * (300 + 200 + 200)
    assert {"procedural out-degrees", "procedural buffers"}.isdisjoint(stored.parts)
    assert set(stored.parts) <= set(procedural.parts)
    # the ring: the normal delays cut at mean + 8 SD (stored: today's estimate, at least 16 slots)
    cut = int(delay_steps(2.0 + TAIL_SD * 0.5, spec.dt_ms))
    assert procedural.parts["ring buffer"] == 4 * (cut + 1) * layout.n_chan
    assert stored.parts["ring buffer"] == 4 * (max(30, 16) + 1) * layout.n_chan  # the uniform delays' 3 ms
    # the estimate is what the engine then holds (out-degrees, ring, buffers: no delay windows here)
    net = Network(spec, connectivity="procedural", threads=threads)
    assert net.memory_estimate == procedural
    assert net.procedural.counts.nbytes == procedural.parts["procedural out-degrees"]
    assert net.procedural.n_windows == 1 and net._hist_ids.nbytes == 0
    assert sum(a.nbytes for a in net._events) == procedural.parts["procedural buffers"]
    assert net.ring.nbytes == procedural.parts["ring buffer"]
    assert net.procedural_keys == ["A->A:exc", "A->B:exc", "B->A:inh", "B->B:inh"]
    assert net.n_synapses == 5 * 200 + 3


def test_procedural_estimate_is_much_smaller_than_stored():
    spec = coba_spec(4000, wiring="fixed_indegree")
    layout = plan_layout(spec)
    stored = estimate_memory(spec, layout)
    procedural = estimate_memory(spec, layout, procedural_projections(spec, "procedural"))
    assert procedural.parts["synapses"] == procedural.parts["largest projection while building"] == 0
    assert procedural.total_bytes < stored.total_bytes / 5
    assert Network(spec).memory_estimate == stored


# ----------------------------------------------------------------------------- auto
def test_auto_is_procedural_exactly_when_stored_would_not_fit():
    spec = mixed_spec()
    layout = plan_layout(spec)
    stored = estimate_memory(spec, layout)
    assert fits_in_memory(stored, int(stored.total_bytes / 0.9) + 1)
    assert procedural_projections(spec, "auto", layout, available=int(stored.total_bytes / 0.9) + 1) == []
    assert procedural_projections(spec, "auto", layout, available=int(stored.total_bytes / 0.9) - 1) == [0, 1, 2, 3]
    assert procedural_projections(spec, "auto", available=10 * stored.total_bytes) == []


def test_network_auto_uses_this_machines_memory(monkeypatch):
    import netdyn.engines.spiking.build as build

    spec = coba_spec(2000)
    layout = plan_layout(spec)
    stored = estimate_memory(spec, layout).total_bytes
    procedural = estimate_memory(spec, layout, [0, 1, 2, 3]).total_bytes
    monkeypatch.setattr(build, "available_memory_bytes", lambda: int((stored + procedural) / 2 / 0.9))
    net = Network(spec, connectivity="auto")
    assert net.procedural_keys == [p.key for p in spec.projections] and net.n_synapses == 0
    monkeypatch.setattr(build, "available_memory_bytes", lambda: 10 * stored)
    assert Network(spec, connectivity="auto").procedural_keys == []


# ----------------------------------------------------------------------------- mappings and errors
def test_a_mapping_makes_the_named_projections_procedural():
    spec = mixed_spec()
    net = Network(spec, connectivity={"A->B:exc": "procedural", "B->A:inh": "stored"})
    assert net.procedural_keys == ["A->B:exc"]
    assert net.memory_estimate == estimate_memory(spec, net.layout, [1])


@pytest.mark.parametrize("connectivity, field", [
    ("sometimes", "connectivity"),
    (3, "connectivity"),
    (None, "connectivity"),
    ({"nope": "procedural"}, "connectivity.nope"),
    ({"A->A:exc": "auto"}, "connectivity.A->A:exc"),
    ({"A->A:exc": "Procedural"}, "connectivity.A->A:exc"),
    ({"pairs": "procedural"}, "projections.5.rule"),
    ({"distinct": "procedural"}, "projections.4.rule.multapses"),
])
def test_bad_modes_are_refused_naming_the_field(connectivity, field):
    with pytest.raises(ConfigError) as err:
        Network(mixed_spec(), connectivity=connectivity)
    assert err.value.field == field


def test_nest_refuses_procedural_before_importing_nest(monkeypatch):
    import netdyn.engines.nest.network as nest_network

    def no_nest():
        raise AssertionError("NEST imported before the connectivity was checked")

    monkeypatch.setattr(nest_network, "import_nest", no_nest)
    spec = coba_spec(200, wiring="fixed_indegree")
    for connectivity, field in (("procedural", "connectivity"), ({"E->E:exc": "procedural"}, "connectivity"),
                                ("bogus", "connectivity"), ({"E->E:exc": "auto"}, "connectivity.E->E:exc")):
        with pytest.raises(ConfigError) as err:
            Network(spec, backend="nest", connectivity=connectivity)
        assert err.value.field == field
    assert nest_network.nest_connectivity("auto") == nest_network.nest_connectivity({"E->E:exc": "stored"}) == "stored"


def test_nest_builds_auto_as_stored():
    pytest.importorskip("nest")
    net = Network(coba_spec(200, wiring="fixed_indegree"), backend="nest", connectivity="auto")
    assert net.procedural_keys == [] and net.n_synapses == 200 * 80


# ----------------------------------------------------------------------------- configs
CONFIGS = (RunSettings, RsfsConfig, MultiAreaConfig, CobaBenchConfig, MicrocircuitBenchConfig, MultiAreaBenchConfig,
           ConsolidationConfig, ConsolidationBenchConfig, ConsolidationScreenConfig)


@given(st.text().filter(lambda s: s not in CONNECTIVITY_MODES), st.sampled_from(CONFIGS))
def test_the_config_field_refuses_anything_but_a_mode(text, config_class):
    with pytest.raises(ConfigError) as err:
        parse_config(config_class, {"connectivity": text})
    assert err.value.field == "connectivity"
    with pytest.raises(ValidationError, match="connectivity"):
        config_class.model_validate({"connectivity": text})


@pytest.mark.parametrize("config_class", CONFIGS)
def test_every_mode_is_a_valid_config(config_class):
    assert CONNECTIVITY_MODES == ("stored", "procedural", "auto")
    for mode in CONNECTIVITY_MODES:
        assert parse_config(config_class, {"connectivity": mode}).connectivity == mode
    assert config_class().connectivity == "stored"


def test_nest_configs_refuse_procedural():
    with pytest.raises(ConfigError, match="NEST stores every synapse") as err:
        parse_config(RunSettings, {"backend": "nest", "connectivity": "procedural"})
    assert err.value.field == "connectivity"
    assert RunSettings(backend="nest", connectivity="auto").connectivity == "auto"


def test_consolidation_trials_keep_the_connectivity():
    assert ConsolidationBenchConfig(connectivity="auto").trial_config().connectivity == "auto"
    screen = ConsolidationScreenConfig(connectivity="procedural")
    assert screen.trial_config("net-10s", 100, 0).connectivity == "procedural"


@pytest.mark.parametrize("words", [("run", "x.toml"), ("sweep", "x.toml"), ("rsfs",), ("multiarea",),
                                   ("consolidation", "net-10s"), ("bench", "coba"), ("bench", "microcircuit"),
                                   ("bench", "multiarea"), ("bench", "consolidation")])
def test_every_command_that_runs_netdyns_engine_has_the_flag(words, capsys):
    with pytest.raises(SystemExit):
        main([*words, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--connectivity {stored,procedural,auto}" in text and "regenerated" in text


def test_bench_coba_wiring_is_its_own_flag(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "coba", "--help"])
    assert "--wiring {bernoulli,fixed_indegree}" in capsys.readouterr().out


# ----------------------------------------------------------------------------- commands
def test_run_with_a_bad_connectivity_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(EXAMPLES / "coba.toml"), "--out", str(out), "--connectivity", "bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netdyn: error: invalid connectivity='bogus'") and err.count("\n") == 1
    assert not out.exists()


def test_run_records_the_connectivity_and_the_procedural_projections(tmp_path):
    from netdyn.config.network_file import RunSettings as Settings
    from netdyn.studies.network_file import NetworkFile

    path = NetworkFile.of(coba_spec(200, seed=1, wiring="fixed_indegree"), Settings(duration_ms=100.0)).save(
        tmp_path / "net.toml")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--connectivity", "procedural", "--no-progress",
                 "--no-figure"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["connectivity"] == "procedural"
    assert summary["procedural_projections"] == ["E->E:exc", "E->I:exc", "I->E:inh", "I->I:inh"]


def test_bench_coba_runs_procedural(capsys):
    assert main(["bench", "coba", "--n-neurons", "500", "--duration-ms", "50", "--connectivity", "procedural",
                 "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["connectivity"] == "procedural" and record["wiring"] == "bernoulli"
    assert record["procedural_projections"] == ["E->E:exc", "E->I:exc", "I->E:inh", "I->I:inh"]
    assert record["n_synapses"] == 0 and record["mean_rate_hz"] > 0


# ----------------------------------------------------------------------------- multi-area at full scale
def test_full_scale_multiarea_check_estimates_the_chosen_mode():
    """The full model (4.13 M neurons, 2.4e10 synapses) is only estimated, never built: stored
    needs ~230 GiB; procedural drops the synapses and keeps a ring of delay windows within
    RING_BYTES (its inter-area delays, cut at 8 SD, reach 90 ms: a ring spanning them would be
    ~28 GiB), ~8 GiB in all, so it fits a 24-GB machine."""
    from netdyn.engines.spiking.procedural import RING_BYTES
    from netdyn.studies.multiarea.simulation import check_multiarea

    procedural, stored = (MultiAreaConfig(scale=1.0, connectivity=c) for c in ("procedural", "stored"))
    check_multiarea(procedural, available=int(24e9))
    check_multiarea(MultiAreaConfig(scale=1.0, connectivity="auto"), available=int(24e9))
    with pytest.raises(ConfigError, match="which fits: use --connectivity procedural") as err:
        check_multiarea(stored, available=int(24e9))
    assert err.value.field == "scale"
    with pytest.raises(ConfigError, match=r"ring buffer 3\.[0-9]+ GiB") as err:
        check_multiarea(procedural, available=int(4e9))
    assert "synapses 0.00 GiB" in str(err.value) and RING_BYTES == 4 * 2**30
    with pytest.raises(ConfigError, match="which does not fit either"):
        check_multiarea(stored, available=int(4e9))


def test_multiarea_command_refuses_stored_full_scale_before_writing(tmp_path, capsys, monkeypatch):
    import netdyn.engines.spiking.build as build

    monkeypatch.setattr(build, "available_memory_bytes", lambda: int(40e9))
    out = tmp_path / "nothing"
    assert main(["multiarea", "--out", str(out), "--scale", "1", "--connectivity", "stored"]) == 2
    err = capsys.readouterr().err
    assert "invalid scale=1.0" in err and "--connectivity procedural" in err and err.count("\n") == 1
    assert not out.exists()


# ----------------------------------------------------------------------------- resuming
def test_a_store_resumes_only_with_the_same_connectivity():
    from netdyn.sweep.store import _config_difference

    stored = json.dumps({"seed": 1, "threads": 1, "connectivity": "stored"})
    assert "connectivity" in _config_difference(stored, json.dumps({"seed": 1, "threads": 2,
                                                                     "connectivity": "procedural"}))
    assert _config_difference(stored, json.dumps({"seed": 1, "threads": 4, "connectivity": "stored"})) is None
    # a store written before the field existed holds stored synapses
    assert _config_difference(json.dumps({"seed": 1}), stored) is None
    assert "connectivity" in _config_difference(json.dumps({"seed": 1}), json.dumps({"seed": 1,
                                                                                     "connectivity": "auto"}))


def test_sweep_with_another_connectivity_is_refused(tmp_path, capsys):
    from netdyn.config.network_file import RunSettings as Settings
    from netdyn.studies.network_file import NetworkFile

    path = NetworkFile.of(coba_spec(200, seed=1, wiring="fixed_indegree"), Settings(duration_ms=60.0)).save(
        tmp_path / "net.toml")
    out = tmp_path / "sweep"
    argv = ["sweep", str(path), "--set", "populations.E.params.i_e_pA=200", "--seeds", "1", "--out", str(out),
            "--workers", "0", "--no-progress", "--no-figure"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--connectivity", "procedural"]) == 2
    err = capsys.readouterr().err
    assert "invalid out=" in err and "differs in connectivity" in err
