"""``netdyn run NETWORK.toml``: a user's network file run once. The summary holds the statistics
of the recording it wrote, the [run] table and the flags set the run (flags win), bad files
and flags are one line naming the field with exit code 2 and nothing written, and only MPI
rank 0 writes."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest

import netdyn
from netdyn.analysis import population_summary
from netdyn.analysis.spikes.summary import SUMMARY_STATISTICS
from netdyn.cli import main
from netdyn.config.network_file import RunSettings
from netdyn.io.hdf5 import read_recording
from netdyn.studies.coba import coba_spec
from netdyn.studies.network_file import NETWORK_RUN, NetworkFile, read_network_file
from netdyn.sweep import run_study


def tiny_network():
    """200 COBA neurons (fixed indegrees): self-sustained, fast to build and run."""
    return coba_spec(200, seed=1, wiring="fixed_indegree")


@pytest.fixture(scope="module")
def network_file(tmp_path_factory):
    """The tiny network with a [run] table of 300 ms."""
    path = tmp_path_factory.mktemp("net") / "net.toml"
    NetworkFile.of(tiny_network(), RunSettings(duration_ms=300.0)).save(path)
    return path


def _same(a: float | None, b: float) -> bool:
    return (a is None and math.isnan(b)) or a == b


def test_summary_holds_the_statistics_of_the_recording(network_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(network_file), "--out", str(out), "--transient-ms", "100", "--no-progress"]) == 0
    assert "summary:" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    recording = read_recording(out / "recording.h5")
    assert recording.t_stop_ms == 300.0  # the [run] table's duration
    assert (summary["duration_ms"], summary["transient_ms"]) == (300.0, 100.0)  # the flag's transient
    assert (summary["backend"], summary["threads"], summary["netdyn_version"]) == ("netdyn", 1, netdyn.__version__)
    assert list(summary["populations"]) == ["E", "I"]
    for pop, stats in summary["populations"].items():
        assert list(stats) == list(SUMMARY_STATISTICS)
        expected = population_summary(recording.spikes[pop], t_start_ms=100.0, t_stop_ms=300.0)
        assert all(_same(stats[k], expected[k]) for k in stats), (pop, stats, expected)
        assert stats["rate_hz"] > 1.0 and 0 < stats["active_fraction"] <= 1
    assert summary["config"]["network"] == tiny_network().to_dict()
    assert recording.attrs["netdyn_study"] == "network-run"
    png = (out / "figure.png").read_bytes()
    assert png.startswith(b"\x89PNG") and (out / "figure.pdf").exists()
    # the figure is redrawn from the recording
    assert main(["plot", "run", "--out", str(out)]) == 0


def test_default_transient_and_seed_flag(network_file, tmp_path):
    config = read_network_file(network_file, run={"duration_ms": 120.0}, seed=9)
    assert config.duration_ms == 120.0 and config.transient == 60.0  # min(200 ms, half the run)
    assert config.network.seed == 9 and read_network_file(network_file).network.seed == 1
    outputs = run_study(NETWORK_RUN, config, tmp_path / "o", progress=False, figure=False)
    assert outputs.stats["transient_ms"] == 60.0 and outputs.stats["config"]["network"]["seed"] == 9
    assert outputs.figures == ()


class _OtherRank:
    """The network as an MPI rank other than 0 sees it (``is_root`` False)."""

    is_root = False

    def __init__(self, net):
        self._net = net

    def run(self, duration_ms, progress=None):
        assert progress is False  # no progress bar on other ranks
        self._net.run(duration_ms, progress=False)
        return self

    def recording(self):
        return self._net.recording()


def test_only_rank_0_writes(network_file, tmp_path, monkeypatch):
    import netdyn.studies.network_file as module

    build = module.build_network
    monkeypatch.setattr(module, "build_network", lambda config, network=None: _OtherRank(build(config, network)))
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")  # as mpiexec starts rank 1
    out = tmp_path / "out"
    outputs = run_study(NETWORK_RUN, read_network_file(network_file, run={"duration_ms": 50.0}), out)
    assert outputs.figures == () and outputs.stats == {}
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("edit, flags, needle", [
    (lambda t: "poplations = 3\n" + t, [], "invalid poplations=3: unknown key; expected one of ['currents'"),
    (lambda t: t.replace("n_neurons = 160", "n_neurons = 0"), [], "invalid populations.0.n_neurons=0"),
    (lambda t: t.replace('model = "lif_cond_exp"', 'model = "hh"', 1), [], "invalid populations.0.model='hh'"),
    (lambda t: t + "\n[run]\nduraton_ms = 5.0\n", [], "invalid run.duraton_ms=5.0: unknown key; expected one of "
     "['backend', 'connectivity', 'duration_ms', 'threads', 'transient_ms']"),
    (lambda t: t + "\n[run]\nduration_ms = -5.0\n", [], "invalid run.duration_ms=-5.0"),
    (lambda t: t + "\n[run]\nduration_ms = 100.0\ntransient_ms = 150.0\n", [], "invalid run.transient_ms=150.0"),
    (lambda t: "run = 5\n" + t, [], "invalid run=5"),
    (lambda t: t + "\n[[populations\n", [], "invalid network="),
    (lambda t: t, ["--duration-ms", "-1"], "invalid duration_ms=-1.0"),
    (lambda t: t, ["--duration-ms", "100", "--transient-ms", "100"], "invalid transient_ms=100.0: must be < "
     "duration_ms = 100"),
    (lambda t: t, ["--threads", "0"], "invalid threads=0"),
    (lambda t: t, ["--backend", "brian2"], "invalid backend='brian2'"),
    (lambda t: t, ["--seed", "x"], "invalid seed='x'"),
    (lambda t: t, ["--seed", "-1"], "invalid seed=-1"),
])
def test_bad_files_and_flags_are_one_line_exit_2_and_write_nothing(tmp_path, capsys, edit, flags, needle):
    good = tmp_path / "good.toml"
    tiny_network().save(good)
    path = tmp_path / "net.toml"
    path.write_text(edit(good.read_text()))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netdyn: error: ") and needle in err and err.count("\n") == 1, err
    assert not out.exists()


def test_missing_file_and_other_suffix(tmp_path, capsys):
    for name, needle in (("missing.toml", "cannot read file"), ("net.yaml", "expected a .toml or .json file")):
        if name.endswith(".yaml"):
            (tmp_path / name).write_text("dt_ms: 0.1\n")
        assert main(["run", str(tmp_path / name), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("netdyn: error: invalid network=") and needle in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_json_network_file(tmp_path):
    path = NetworkFile.of(tiny_network(), RunSettings(duration_ms=80.0, transient_ms=20.0)).save(tmp_path / "n.json")
    config = read_network_file(path)
    assert config.network == tiny_network() and (config.duration_ms, config.transient) == (80.0, 20.0)


@pytest.mark.skipif(importlib.util.find_spec("nest") is not None, reason="NEST is installed")
def test_nest_backend_without_nest_is_refused(network_file, tmp_path, capsys):
    assert main(["run", str(network_file), "--out", str(tmp_path / "out"), "--backend", "nest"]) == 2
    assert "invalid backend='nest': NEST is not installed" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_gpu_backend_without_gpu_is_refused(network_file, tmp_path, capsys):
    from numba import cuda

    if cuda.is_available():
        pytest.skip("a GPU is present")
    assert main(["run", str(network_file), "--out", str(tmp_path / "out"), "--backend", "gpu"]) == 2
    err = capsys.readouterr().err
    assert "invalid backend='gpu': no CUDA GPU" in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_nest_backend_runs_the_file(network_file, tmp_path):
    pytest.importorskip("nest")
    pytest.importorskip("netdyn.engines.nest")
    out = tmp_path / "nest"
    assert main(["run", str(network_file), "--out", str(out), "--backend", "nest", "--threads", "2",
                 "--duration-ms", "200", "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["backend"], summary["threads"]) == ("nest", 2)
    recording = read_recording(out / "recording.h5")
    for pop, stats in summary["populations"].items():
        expected = population_summary(recording.spikes[pop], t_start_ms=100.0, t_stop_ms=200.0)
        assert all(_same(stats[k], expected[k]) for k in stats)
        assert stats["rate_hz"] > 1.0
    assert np.isfinite(summary["populations"]["E"]["rate_hz"])
