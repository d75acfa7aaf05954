"""The table and ratio logic of benchmarks/spiking.py, on hand-made rows (no simulator runs)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "spiking.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_spiking", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def coba(sim, cpu_s, duration_ms=1000.0, n=4000, method="euler"):
    return {"model": "coba", "simulator": sim, "method": method, "n_neurons": n, "duration_ms": duration_ms,
            "cpu_s": cpu_s, "run_s": cpu_s, "build_s": 1.0, "peak_rss_mb": 100.0, "n_synapses": 320000,
            "mean_rate_hz": 21.5}


def test_ratios_use_cpu_per_biological_second_and_goals(bench):
    rows = [coba("netdyn", 0.05), coba("netdyn", 0.1, method="exp_euler"), coba("brian2-cpp_standalone", 0.17),
            coba("brian2-cpp_standalone", 0.3, method="exp_euler"),
            coba("nest", 2.4, duration_ms=200.0, method="rkf45"), coba("brian2-runtime", 0.6)]
    lines = bench.ratio_lines(rows)
    assert lines[0].startswith("coba N=4000: brian2-runtime[euler] CPU / netdyn[euler]") and "goal" not in lines[0]
    assert lines[1] == ("coba N=4000: brian2-cpp_standalone[euler] CPU / netdyn[euler] CPU = 3.40x "
                        "(goal >= 2x: met)")
    assert "brian2-cpp_standalone[exp_euler] CPU / netdyn[exp_euler] CPU = 3.00x (goal >= 2x: met)" in lines[2]
    # NEST's RKF45 is compared with netdyn's exp_euler: 12 s per bio s vs 0.1
    assert "nest[rkf45] CPU / netdyn[exp_euler] CPU = 120.00x (goal >= 10x: met)" in lines[3]


def test_unmet_goal_and_failed_rows(bench, capsys):
    rows = [coba("netdyn", 0.1), coba("brian2-cpp_standalone", 0.15),
            {"model": "coba", "simulator": "nest", "method": "rkf45", "n_neurons": 4000, "error": "exit 1: boom"},
            {"model": "microcircuit", "simulator": "netdyn", "scale": 0.1, "duration_ms": 1000.0, "run_s": 6.0},
            {"model": "microcircuit", "simulator": "nest", "scale": 0.1, "duration_ms": 1000.0, "run_s": 9.0,
             "threads": 1}]
    lines = bench.ratio_lines(rows)
    assert any("1.50x (goal >= 2x: NOT met)" in line for line in lines)
    assert not any("nest" in line for line in lines[:-1])
    assert lines[-1] == "microcircuit k=0.1: NEST RTF / netdyn RTF = 1.50x at 1 thread(s) (goal >= 2x: NOT met)"
    bench.print_table(rows)
    out = capsys.readouterr().out
    assert "exit 1: boom" in out and "microcircuit" in out and "nest[rkf45]" in out


def test_best_of_keeps_the_fastest_run_and_lists_all(bench):
    runs = [{"cpu_s": 0.3, "x": 1}, {"cpu_s": 0.2, "x": 2}, {"cpu_s": 0.25, "x": 3}]
    best = bench.best_of(runs)
    assert best["x"] == 2 and best["cpu_s_repeats"] == [0.3, 0.2, 0.25]
    assert bench.best_of(runs + ["exit 1: boom"]) == "exit 1: boom"


def test_missing_netdyn_is_reported_not_fatal(bench, monkeypatch):
    monkeypatch.setattr(bench, "peer_python", lambda name: None)
    assert bench.coba_command("nest", 4000, 1000.0, 1, 1) is None
    cmd = bench.coba_command("netdyn", 4000, 1000.0, 1, 1)
    assert cmd[1:] == ["-m", "netdyn.cli", "bench", "coba", "--n-neurons", "4000", "--duration-ms", "1000.0",
                       "--seed", "1", "--wiring", "bernoulli", "--json"]
    cmd = bench.coba_command("netdyn", 4000, 1000.0, 1, 1, method="euler")
    assert cmd[-3:] == ["--integrator", "euler", "--json"]
    result = bench.run_json(["python3", "-c", "import sys; sys.exit(3)"], timeout_s=30)
    assert isinstance(result, str) and result.startswith("exit 3")
