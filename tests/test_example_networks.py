"""examples/networks: the files are what generate.py writes from netdyn's models today, and
each runs under ``netdyn run`` (netdyn's engine; NEST where it is installed)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from netdyn.cli import main
from netdyn.studies.network_file import read_network_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "networks"
NAMES = ("coba.toml", "rsfs.toml", "microcircuit-0.1.toml")


def _generator():
    spec = importlib.util.spec_from_file_location("generate_examples", EXAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_files_are_current(tmp_path):
    written = _generator().write_examples(tmp_path)
    assert sorted(p.name for p in written) == sorted(NAMES)
    for path in written:
        assert (EXAMPLES / path.name).read_text() == path.read_text(), \
            f"{path.name} is stale: run python examples/networks/generate.py"


def test_files_hold_the_models():
    sizes = {name: sum(p.n_neurons for p in read_network_file(EXAMPLES / name).network.populations)
             for name in NAMES}
    assert sizes == {"coba.toml": 4000, "rsfs.toml": 5000, "microcircuit-0.1.toml": 7717}
    rsfs = read_network_file(EXAMPLES / "rsfs.toml")
    assert {d.statistics for d in rsfs.network.drives} <= {"poisson"}
    assert (rsfs.duration_ms, rsfs.transient) == (1500.0, 350.0)
    assert all((EXAMPLES / name).stat().st_size < 40_000 for name in NAMES)


def _run_briefly(name: str, out: Path, *flags: str) -> dict:
    assert main(["run", str(EXAMPLES / name), "--out", str(out), "--duration-ms", "30", "--transient-ms", "10",
                 "--no-progress", "--no-figure", *flags]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["duration_ms"] == 30.0 and summary["transient_ms"] == 10.0
    network = read_network_file(EXAMPLES / name).network
    assert list(summary["populations"]) == [p.name for p in network.populations]
    for stats in summary["populations"].values():
        assert stats["rate_hz"] is not None and math.isfinite(stats["rate_hz"]) and stats["rate_hz"] >= 0
    return summary


@pytest.mark.parametrize("name", NAMES)
def test_each_runs_briefly(name, tmp_path):
    summary = _run_briefly(name, tmp_path / "out")
    assert summary["backend"] == "netdyn"
    assert sum(s["rate_hz"] for s in summary["populations"].values()) > 0  # something fires in 20 ms after the transient


@pytest.mark.parametrize("name", NAMES)
def test_each_runs_briefly_in_nest(name, tmp_path):
    pytest.importorskip("nest")
    pytest.importorskip("netdyn.engines.nest")
    summary = _run_briefly(name, tmp_path / "out", "--backend", "nest", "--threads", "2")
    assert (summary["backend"], summary["threads"]) == ("nest", 2)
