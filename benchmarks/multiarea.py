"""Benchmark of the multi-area model: netdyn against NEST 3.10 on the same network, same machine, same run.

Every row is measured in this run:

* ``netdyn bench multiarea --scale k --t-sim-ms T --preset P --json`` at each ``--scales`` k:
  the model's numbers and network spec, the build, the simulation and the study's analysis
  (rates, LvR, correlation coefficients, synchrony, rate series, functional connectivity),
  each timed; ``total CPU`` = all four (the warm-up that loads compiled kernels aside);
* ``benchmarks/peers/nest_multiarea.py`` (NEST 3.10, ``iaf_psc_exp``, built from the same
  numbers, netdyn's ``models/multiarea.py`` loaded by path) at each scale up to
  ``--nest-max-scale``: ``total CPU`` = build + simulation (NEST does no analysis);
* the mean field alone, ``netdyn multiarea theory`` (wall time of the whole command).

Then the issue's goals: at the smallest scale, netdyn's model + build + simulation + analysis
in at least 3x less CPU than NEST's build + simulation, netdyn's peak memory below NEST's,
the theory under 5 s; and the real-time factor of netdyn at every scale, with the growth of
cost per synapse.

Each command runs ``--repeats`` times, the simulators taking turns; a row keeps its fastest
run. NEST is found under ``$NETDYN_PEERS_DIR`` (default ``~/.cache/netdyn-peers``,
``/work/shared/peers/setup.sh``); when absent its rows are skipped.

Run: ``python benchmarks/multiarea.py [--scales 0.005,0.02,0.1] [--t-sim-ms 2000]
[--preset ground] [--nest-max-scale 0.005] [--repeats 1] [--json-out rows.json]``.
Scale 0.1 (~413,000 neurons, ~2.4e8 synapses) needs about 4 GB in netdyn.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spiking import best_of, fmt, peer_python, peers_dir, run_json

HERE = Path(__file__).resolve().parent
PEER_SCRIPTS = HERE / "peers"
CPU_GOAL = 3.0
THEORY_GOAL_S = 5.0


def netdyn_command(scale: float, t_sim_ms: float, preset: str, seed: int) -> list[str]:
    return [sys.executable, "-m", "netdyn.cli", "bench", "multiarea", "--preset", preset, "--scale", str(scale),
            "--t-sim-ms", str(t_sim_ms), "--seed", str(seed), "--json"]


def nest_command(scale: float, t_sim_ms: float, preset: str, seed: int) -> list[str] | None:
    exe = peer_python("nest")
    return None if exe is None else [str(exe), str(PEER_SCRIPTS / "nest_multiarea.py"), "--preset", preset,
                                     "--scale", str(scale), "--t-sim-ms", str(t_sim_ms), "--threads", "1",
                                     "--seed", str(seed), "--json"]


def total_cpu_s(row: dict) -> float | None:
    """netdyn: model + build + simulation + analysis; NEST: build + simulation."""
    if row["simulator"] == "netdyn":
        return row.get("total_cpu_s")
    if row.get("build_cpu_s") is None or row.get("cpu_s") is None:
        return None
    return row["build_cpu_s"] + row["cpu_s"]


def time_theory(preset: str, scale: float) -> dict:
    """Wall time of ``netdyn multiarea theory`` (the whole command: import, mean field, Zarr, figure)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "netdyn.cli", "multiarea", "theory", "--out", out, "--preset", preset,
               "--scale", str(scale)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1",
                                                                              OPENBLAS_NUM_THREADS="1"))
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]}
        summary = json.loads((Path(out) / "summary.json").read_text())
    return {"wall_s": wall, "theory_s": summary["time_s"], "mean_rate_hz": summary["mean_rate_hz"],
            "leading_eigenvalue": summary["leading_eigenvalue"]}


def print_table(rows: list[dict]) -> None:
    print(f"{'simulator':9s} {'scale':>6s} {'neurons':>8s} {'synapses':>12s} {'model s':>8s} {'build s':>8s} "
          f"{'run s':>8s} {'RTF':>7s} {'analysis s':>10s} {'total CPU s':>11s} {'peak MB':>8s} {'B/syn':>6s} "
          f"{'rate Hz':>8s}")
    for r in rows:
        if "error" in r:
            print(f"{r['simulator']:9s} {fmt(r.get('scale'), '>6'):>6s}  {r['error']}")
            continue
        print(f"{r['simulator']:9s} {fmt(r.get('scale'), '>6'):>6s} {fmt(r.get('n_neurons'), '8,d')} "
              f"{fmt(r.get('n_synapses'), '12,d')} {fmt(r.get('model_s'), '8.2f')} {fmt(r.get('build_s'), '8.2f')} "
              f"{fmt(r.get('run_s'), '8.2f')} {fmt(r.get('real_time_factor'), '7.2f')} "
              f"{fmt(r.get('analysis_s'), '10.2f')} {fmt(total_cpu_s(r), '11.2f')} {fmt(r.get('peak_rss_mb'), '8.0f')} "
              f"{fmt(r.get('bytes_per_synapse'), '6.1f')} {fmt(r.get('network_rate_hz'), '8.2f')}")


def goal_lines(rows: list[dict], theory: dict | None) -> list[str]:
    ok = [r for r in rows if "error" not in r]
    lines = []
    for scale in sorted({r["scale"] for r in ok}):
        same = {r["simulator"]: r for r in ok if r["scale"] == scale}
        if "netdyn" in same and "nest" in same:
            nd, nest = same["netdyn"], same["nest"]
            ratio = total_cpu_s(nest) / total_cpu_s(nd)
            lines.append(f"scale {scale}: NEST build + simulation CPU / netdyn model + build + simulation + analysis "
                         f"CPU = {total_cpu_s(nest):.1f} / {total_cpu_s(nd):.1f} s = {ratio:.2f}x (goal >= "
                         f"{CPU_GOAL:g}x: {'met' if ratio >= CPU_GOAL else 'NOT met'})")
            mem = nest["peak_rss_mb"] / nd["peak_rss_mb"]
            lines.append(f"scale {scale}: peak memory NEST / netdyn = {nest['peak_rss_mb']:.0f} / "
                         f"{nd['peak_rss_mb']:.0f} MB = {mem:.2f}x (goal > 1: {'met' if mem > 1 else 'NOT met'})")
            lines.append(f"scale {scale}: simulation alone, NEST RTF / netdyn RTF = "
                         f"{nest['real_time_factor'] / nd['real_time_factor']:.2f}x")
    nd_rows = sorted((r for r in ok if r["simulator"] == "netdyn"), key=lambda r: r["scale"])
    for r in nd_rows:
        per_syn = r["cpu_s"] / (r["n_synapses"] * r["t_sim_ms"] * 1e-3) * 1e9
        lines.append(f"netdyn scale {r['scale']}: real-time factor {r['real_time_factor']:.2f}, simulation "
                     f"{per_syn:.2f} CPU ns per synapse and biological second, build {r['build_s']:.1f} s, "
                     f"{r['peak_rss_mb'] / 1024:.2f} GB peak")
    if theory is not None:
        if "error" in theory:
            lines.append(f"theory: {theory['error']}")
        else:
            lines.append(f"theory (netdyn multiarea theory, whole command): {theory['wall_s']:.2f} s wall, mean field "
                         f"{theory['theory_s']:.2f} s, mean rate {theory['mean_rate_hz']:.4f} spikes/s, leading "
                         f"eigenvalue {theory['leading_eigenvalue']:.4f} (goal < {THEORY_GOAL_S:g} s: "
                         f"{'met' if theory['wall_s'] < THEORY_GOAL_S else 'NOT met'})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.005,0.02,0.1", help="scales k of netdyn's rows")
    parser.add_argument("--nest-max-scale", type=float, default=0.005,
                        help="NEST rows up to this scale (0.005: ~45 CPU s; 0.02: ~10 CPU min)")
    parser.add_argument("--t-sim-ms", type=float, default=2000.0)
    parser.add_argument("--preset", choices=("ground", "metastable"), default="ground")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each command; a row keeps the fastest")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="per command")
    parser.add_argument("--skip-theory", action="store_true")
    parser.add_argument("--json-out", default=None, help="save all rows (and the goal lines) as JSON here")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats: must be >= 1")
    scales = [float(s) for s in args.scales.split(",") if s]
    print(f"peers from {peers_dir()}: nest {'found' if peer_python('nest') else 'absent'}; cores={os.cpu_count()}",
          flush=True)
    jobs: list[tuple[str, float, list[str]]] = []
    for scale in scales:
        jobs.append(("netdyn", scale, netdyn_command(scale, args.t_sim_ms, args.preset, args.seed)))
        if scale <= args.nest_max_scale:
            cmd = nest_command(scale, args.t_sim_ms, args.preset, args.seed)
            if cmd is None:
                print("nest: not installed, skipped", flush=True)
            else:
                jobs.append(("nest", scale, cmd))
    runs: list[list[dict | str]] = [[] for _ in jobs]
    for rep in range(args.repeats):
        for k, (simulator, scale, cmd) in enumerate(jobs):
            print(f"[{rep + 1}/{args.repeats}] {simulator} scale {scale} ...", flush=True)
            runs[k].append(run_json(cmd, args.timeout_s))
    rows = []
    for (simulator, scale, _), results in zip(jobs, runs):
        best = best_of(results)
        rows.append({"simulator": simulator, "scale": scale, "error": best} if isinstance(best, str) else best)
    theory = None if args.skip_theory else time_theory(args.preset, scales[0])
    print()
    print(f"multi-area model, preset {args.preset}, {args.t_sim_ms:g} ms, seed {args.seed}, one thread each")
    print_table(rows)
    lines = goal_lines(rows, theory)
    print()
    for line in lines:
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"rows": rows, "theory": theory, "goals": lines}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
