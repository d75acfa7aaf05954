"""The command line is made from the config fields: one flag per field, help with defaults,
flags that parse back to the config they write, one-line errors, --config with flags winning."""

from __future__ import annotations

import argparse
import json

import pytest

from netdyn.cli import COMMANDS, build_parser, main
from netdyn.config import parse_config
from netdyn.config.bench import CobaBenchConfig, MicrocircuitBenchConfig
from netdyn.config.chaos import ChaosConfig
from netdyn.config.flags import config_data, flag_name, format_value
from netdyn.config.multiarea import MultiAreaBenchConfig
from netdyn.config.network_file import RunSettings
from netdyn.config.consolidation import ConsolidationBenchConfig
from netdyn.config.rsfs import RsfsConfig, RsfsSeedsConfig
from netdyn.config.srnn import SRNNBasicConfig, SRNNSweepConfig

#: words on the command line -> the config class its flags come from
PARSERS = {words: command.config_class for words, command in COMMANDS.items()}
PARSERS[("bench", "coba")] = CobaBenchConfig
PARSERS[("bench", "microcircuit")] = MicrocircuitBenchConfig
PARSERS[("bench", "multiarea")] = MultiAreaBenchConfig
PARSERS[("bench", "consolidation")] = ConsolidationBenchConfig
PARSERS[("run",)] = RunSettings
PARSERS[("sweep",)] = RunSettings

#: flags every study command had before they were made from the configs
OLD_FLAGS = {
    ("chaos",): ["--sessions", "--trials", "--gains", "--n-neurons", "--p", "--duration-ms", "--dt-ms", "--method",
                 "--seed", "--store-trial-divergence", "--workers", "--scheduler", "--mpi", "--no-progress",
                 "--no-figure", "--out", "--config"],
    ("srnn", "basic"): ["--network-seed", "--w-ee-factor", "--t-start-s", "--t-end-s", "--dt-s", "--method",
                        "--spectrum-exponents", "--configurations", "--seed", "--no-progress", "--no-figure"],
    ("srnn", "sweep"): ["--networks", "--n-units", "--e-fraction", "--mean-degree", "--weight-scales",
                        "--configurations", "--tau-slowest-s", "--transient-s", "--duration-s", "--dt-s",
                        "--spectrum-exponents", "--seed", "--workers", "--scheduler", "--mpi"],
    ("rsfs",): ["--seed", "--tstop-ms", "--dt-ms", "--n-exc", "--n-inh", "--afferent-statistics", "--seeds",
                "--workers", "--scheduler", "--no-progress", "--no-figure"],
    ("bench", "coba"): ["--n-neurons", "--wiring", "--connectivity", "--integrator", "--duration-ms", "--seed",
                        "--json"],
    ("bench", "microcircuit"): ["--scale", "--threads", "--duration-ms", "--seed", "--json"],
    # the multi-area study's command line as its issue states it
    ("multiarea",): ["--out", "--preset", "--scale", "--chi", "--chi-i", "--t-sim-ms", "--seed", "--areas",
                     "--replace-cc", "--config", "--seeds", "--workers", "--scheduler", "--mpi"],
    ("multiarea", "theory"): ["--out", "--preset", "--scale", "--chi", "--chi-i", "--config"],
    ("bench", "multiarea"): ["--scale", "--t-sim-ms", "--preset", "--seed", "--json"],
    ("bench", "consolidation"): ["--protocol", "--n-ca", "--json"],
    # the consolidation study's command line as its issue states it
    **{("consolidation", p): ["--out", "--n-ca", "--trials", "--seed", "--workers", "--scheduler", "--config",
                              "--deterministic"]
       for p in ("basic-early", "basic-late", "smallnet3-10s", "smallnet3-8h", "net-10s", "net-8h")},
    ("consolidation", "net-screen"): ["--out", "--n-ca-values", "--trials", "--seed", "--workers", "--scheduler",
                                      "--config", "--deterministic"],
    # the dendrites study's command line as its issue states it
    **{("dendrites", p): ["--out", "--config"]
       for p in ("brt-integration", "voltage-gradient", "branco2010", "bombardment")},
    # a user's own network file, as its issue states the commands
    ("run",): ["--out", "--duration-ms", "--transient-ms", "--backend", "--threads", "--seed", "--no-progress",
               "--no-figure"],
    ("sweep",): ["--set", "--seeds", "--out", "--duration-ms", "--transient-ms", "--workers", "--scheduler",
                 "--backend", "--threads", "--no-progress", "--no-figure"],
}


def _subparser(words: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in words:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


def _options(words: tuple[str, ...]) -> dict[str, argparse.Action]:
    return {opt: a for a in _subparser(words)._actions for opt in a.option_strings}


def _flagged_fields(words: tuple[str, ...]) -> dict:
    """The fields that have flags: all but a command's fixed ones and those set from --config only."""
    command = COMMANDS.get(words)
    skip = set(command.fixed) | set(command.file_only) if command is not None else set()
    return {name: info for name, info in PARSERS[words].model_fields.items() if name not in skip}


@pytest.mark.parametrize("words", sorted(PARSERS), ids=" ".join)
def test_every_field_has_a_flag_and_every_old_flag_remains(words):
    options = _options(words)
    fields = _flagged_fields(words)
    assert {flag_name(f) for f in fields} <= set(options)
    assert set(OLD_FLAGS[words]) <= set(options)
    for name in fields:
        assert options[flag_name(name)].dest == name
    command = COMMANDS.get(words)
    for name in (*command.fixed, *command.file_only) if command else ():
        assert flag_name(name) not in options


@pytest.mark.parametrize("words", sorted(PARSERS), ids=" ".join)
def test_help_shows_description_and_default(words):
    options = _options(words)
    for name, info in _flagged_fields(words).items():
        text = options[flag_name(name)].help % {}
        assert info.description and info.description in text, name
        if not info.is_required():
            assert text.endswith(f"(default: {format_value(info.get_default())})"), text


def test_rendered_help_of_chaos(capsys):
    with pytest.raises(SystemExit):
        main(["chaos", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--gains X,... upscaling factors g (default: 1.0,4.0,7.0,10.0,13.0,16.0,19.0,22.0)" in text
    assert "--method {euler,rk4,exp_euler} integrator (default: euler)" in text
    assert "--store-trial-divergence, --no-store-trial-divergence" in text


def _argv(config) -> list[str]:
    """Every field of ``config`` as flags."""
    argv = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, bool):
            argv.append(flag_name(name) if value else "--no-" + flag_name(name)[2:])
        else:
            argv += [flag_name(name), format_value(value)]
    return argv


ROUND_TRIPS = [
    (("chaos",), ChaosConfig(sessions=3, trials=4, gains=(0.5, 13.0, 1e-3), n_neurons=50, p=0.25, sigma=0.125,
                             tau_ms=12.5, duration_ms=300.0, dt_ms=0.5, method="rk4", dtype="float32", seed=7,
                             perturbation=3e-5, chaos_min_gain=2.0, final_threshold=0.1, cut_fraction=0.5,
                             example_unit=3, example_trial=None, example_duration_ms=100.0,
                             store_trial_divergence=True)),
    (("chaos",), ChaosConfig()),
    (("srnn", "basic"), SRNNBasicConfig(network_seed=7000, w_ee_factor=2.0, t_start_s=-2.0, t_end_s=3.0,
                                        method="dopri5", spectrum_exponents=None, configurations=("sfa", "std"),
                                        runaway_threshold=1e6, seed=3)),
    (("srnn", "sweep"), SRNNSweepConfig(networks=2, weight_scales=(0.5, 3.0), tau_slowest_s=(1.0,),
                                        configurations=("none", "sfa+std"), input_dc=-0.25, seed=9)),
    (("rsfs",), RsfsSeedsConfig(seeds=(3, 1, 2), tstop_ms=800.0, afferent_statistics="poisson", bump_hz=-1.5)),
    (("bench", "coba"), CobaBenchConfig(n_neurons=800, wiring="fixed_indegree", integrator="euler",
                                        connectivity="procedural")),
    (("bench", "microcircuit"), MicrocircuitBenchConfig(scale=0.05, threads=4, duration_ms=250.0,
                                                        connectivity="auto")),
]


@pytest.mark.parametrize("words, config", ROUND_TRIPS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_flags_parse_back_to_the_config(words, config):
    argv = [*words, "--out", "x"] if words[0] != "bench" else list(words)
    args = build_parser().parse_args(argv + _argv(config))
    assert parse_config(type(config), config_data(type(config), args)) == config


def test_optional_fields_take_none_and_flags_not_given_leave_no_trace():
    args = build_parser().parse_args(["srnn", "basic", "--out", "x", "--spectrum-exponents", "none"])
    assert config_data(SRNNBasicConfig, args) == {"spectrum_exponents": None}
    assert config_data(ChaosConfig, build_parser().parse_args(["chaos", "--out", "x"])) == {}


def test_config_file_and_flags_precedence(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("sessions = 3\ntrials = 2\ngains = [13.0, 22.0]\nstore_trial_divergence = true\n")
    args = build_parser().parse_args(["chaos", "--out", "x", "--config", str(cfg), "--trials", "5",
                                      "--no-store-trial-divergence"])
    config = parse_config(ChaosConfig, config_data(ChaosConfig, args, args.config))
    assert (config.sessions, config.trials, config.gains, config.store_trial_divergence) == (3, 5, (13.0, 22.0), False)
    rsfs = tmp_path / "r.json"
    rsfs.write_text(json.dumps({"seeds": [4, 5], "seed": 2}))
    args = build_parser().parse_args(["rsfs", "--out", "x", "--config", str(rsfs), "--seeds", "6"])
    data = config_data(RsfsSeedsConfig, args, args.config)
    command = COMMANDS[("rsfs",)]
    assert command.select(data).name == "rsfs-seeds" and data["seeds"] == [6]
    assert command.select({"seed": 2}).name == "rsfs"
    assert parse_config(RsfsSeedsConfig, data).network_config() == RsfsConfig(seed=0)


@pytest.mark.parametrize("argv, needle", [
    (["chaos", "--sessions", "0"], "invalid sessions=0: "),
    (["chaos", "--sessions", "two"], "invalid sessions='two': expected a whole number"),
    (["chaos", "--gains", "1,x,7"], "invalid gains='x': expected a number"),
    (["chaos", "--gains", "4,4"], "invalid gains="),
    (["chaos", "--sigma", "wide"], "invalid sigma='wide'"),
    (["chaos", "--method", "leapfrog"], "invalid method='leapfrog'"),
    (["chaos", "--workers", "many"], "invalid workers='many'"),
    (["srnn", "basic", "--configurations", "none,adaptive"], "invalid configurations="),
    (["srnn", "sweep", "--tau-slowest-s", "-1"], "invalid tau_slowest_s="),
    (["rsfs", "--tstop-ms", "-1"], "invalid tstop_ms=-1.0"),
    (["rsfs", "--afferent-statistics", "gamma"], "invalid afferent_statistics='gamma'"),
    (["rsfs", "--seeds", "4,4"], "invalid seeds=[4, 4]"),
    (["rsfs", "--seeds", "-1"], "invalid seeds=[-1]"),
    (["bench", "coba", "--wiring", "ring"], "invalid wiring='ring'"),
    (["bench", "coba", "--connectivity", "ring"], "invalid connectivity='ring'"),
    (["rsfs", "--connectivity", "sometimes"], "invalid connectivity='sometimes'"),
    (["rsfs", "--backend", "nest", "--afferent-statistics", "poisson", "--connectivity", "procedural"],
     "invalid connectivity='procedural': NEST stores every synapse"),
    (["consolidation", "net-10s", "--connectivity", "lazy"], "invalid connectivity='lazy'"),
    (["consolidation", "net-10s", "--n-ca", "1601"], "invalid n_ca=1601: must be <= n_exc = 1600"),
    (["consolidation", "net-10s", "--runtime-s", "-1"], "invalid runtime_s=-1.0"),
    (["consolidation", "net-10s", "--without", "stimulus"], "invalid without.0='stimulus'"),
    (["consolidation", "smallnet3-8h", "--n-exc", "10"], "invalid n_exc="),
    (["consolidation", "net-screen", "--n-ca-values", "100,2000"], "invalid n_ca_values=2000"),
    (["consolidation", "net-screen", "--trials", "0"], "invalid trials=0"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, argv, needle):
    out = tmp_path / "out"
    code = main(argv + (["--out", str(out)] if argv[0] != "bench" else []))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("netdyn: error: ") and needle in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, needle", [
    ("sesions = 2\n", "invalid sesions=2: unknown key"),
    ("sessions = [1,\n", "malformed TOML"),
    ("sessions = 'many'\n", "invalid sessions='many'"),
])
def test_bad_config_file_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, text, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    assert main(["chaos", "--out", str(tmp_path / "out"), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_usage_errors_are_one_line_too(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["chaos", "--sessions", "2"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("netdyn: error: ") and "--out" in err and err.count("\n") == 1, err
