"""Threads inside one simulation: netdyn's spiking engine at 1..N threads against NEST and
Brian2 (cpp_standalone, OpenMP) at the same threads, on the full-scale microcircuit and COBA.

Prints one table, every row measured in this run on this machine, then the speed-up curves and
the issue's goals:

* microcircuit (Potjans & Diesmann 2014) at ``--mc-scale`` (default 1, the full model: 77,169
  neurons, ~3e8 synapses): ``netdyn bench microcircuit --threads T`` and NEST's
  ``iaf_psc_exp`` model (``benchmarks/peers/nest_microcircuit.py --threads T``); goal: 2 threads
  at least 1.7x faster than 1 in netdyn, and netdyn's real-time factor at least 5x below NEST's
  at the same threads.
* COBA (Vogels & Abbott 2005) at ``--coba-n`` neurons (default 100,000; fixed indegrees 64 E +
  16 I above 20,000, as in ``benchmarks/spiking.py``): ``netdyn bench coba --threads T`` and
  Brian2 cpp_standalone with T OpenMP threads (``brian2_coba.py --threads T``; one thread: no
  OpenMP); goal: 2 threads at least 1.7x faster than 1 in netdyn, and at least 2x faster than
  Brian2 at every thread count. Brian2's loop time is its own CPU timer divided by the threads
  (``loop_wall_s_bound``: perfect parallel efficiency, a bound in Brian2's favour); its binary's
  wall time (``run_s``, with synapse creation and output) is listed beside it.

``same spikes``: whether netdyn's ``spike_digest`` (SHA-256 of the canonical spike list) is the
one of its 1-thread run: netdyn promises identical spikes for any number of threads (NEST
does not; its digest is not compared).

Each command runs ``--repeats`` times, the simulators taking turns; a row keeps its run with the
shortest loop (wall time).
Peers are found as in ``benchmarks/spiking.py`` (``$NETDYN_PEERS_DIR``); an absent peer is
skipped. Threads beyond the machine's cores are measured if asked (``--threads 1,2,4``) but
a speed-up there only says how the engine copes with oversubscription.

``--busy-neighbour`` runs a busy process beside every run, as on a shared machine, where it
matters what a waiting thread does (netdyn's yield their core after a short spin).

Run: ``python benchmarks/spiking_threads.py [--threads 1,2] [--busy-neighbour] [--mc-scale 1] [--mc-duration-ms 500]
[--coba-n 100000] [--coba-duration-ms 1000] [--repeats 1] [--json-out rows.json]``. The full
microcircuit needs ~4.6 GB in netdyn and ~15 GB and a several-minute build in NEST.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spiking import (  # noqa: E402  (the sibling benchmark's runners)
    PEER_SCRIPTS,
    fmt,
    microcircuit_command,
    netdyn_cmd,
    peer_python,
    peers_dir,
    per_bio_s,
    report,
    run_json,
)

SPEEDUP_GOAL = 1.7
NEST_GOAL = 5.0
BRIAN2_GOAL = 2.0


def coba_command(simulator: str, n: int, duration_ms: float, seed: int, threads: int) -> list[str] | None:
    rule = "fixed-indegree" if n > 20000 else "bernoulli"
    if simulator == "netdyn":
        return netdyn_cmd("coba", "--n-neurons", str(n), "--duration-ms", str(duration_ms), "--seed", str(seed),
                          "--wiring", rule.replace("-", "_"), "--threads", str(threads))
    exe = peer_python("brian2")
    return None if exe is None else [str(exe), str(PEER_SCRIPTS / "brian2_coba.py"), "--device", "cpp_standalone",
                                     "--method", "exponential_euler", "--n-neurons", str(n), "--duration-ms",
                                     str(duration_ms), "--seed", str(seed), "--wiring", rule, "--threads",
                                     str(threads), "--json"]


def loop_s(row: dict) -> float:
    """Wall seconds of the simulation loop (Brian2: its CPU timer / threads, see module doc)."""
    return float(row.get("loop_wall_s_bound", row.get("run_s", float("nan"))))


def fastest(runs: list[dict | str]) -> dict | str:
    """The run with the shortest loop (wall time: what threads are for), with every run's loop
    seconds in ``loop_s_repeats``, or the first failure."""
    failed = [r for r in runs if isinstance(r, str)]
    if failed:
        return failed[0]
    best = dict(min(runs, key=loop_s))
    best["loop_s_repeats"] = [loop_s(r) for r in runs]
    return best


def print_table(rows: list[dict]) -> None:
    print(f"{'model':12s} {'simulator':24s} {'threads':>7s} {'build s':>8s} {'loop s':>8s} {'RTF':>7s} "
          f"{'CPU s/bio s':>11s} {'speed-up':>8s} {'peak MB':>8s} {'synapses':>12s} {'rate Hz':>8s} same spikes")
    base: dict[tuple[str, str], float] = {}
    digest: dict[str, str] = {}
    for r in rows:
        if "error" in r:
            print(f"{r['model']:12s} {r['simulator']:24s} {r['threads']:7d}  {r['error']}")
            continue
        key = (r["model"], r["simulator"])
        if r["threads"] == 1:
            base[key] = loop_s(r)
            if r["simulator"] == "netdyn":
                digest[r["model"]] = r.get("spike_digest", "")
        speedup = base.get(key, float("nan")) / loop_s(r)
        same = "" if r["simulator"] != "netdyn" or r["model"] not in digest else (
            "yes" if r.get("spike_digest") == digest[r["model"]] else "NO")
        rtf = loop_s(r) / (float(r["duration_ms"]) * 1e-3)
        print(f"{r['model']:12s} {r['simulator']:24s} {r['threads']:7d} {fmt(r.get('build_s'), '8.1f')} "
              f"{fmt(loop_s(r), '8.2f')} {fmt(rtf, '7.2f')} {fmt(per_bio_s(r, 'cpu_s'), '11.2f')} "
              f"{fmt(speedup, '8.2f')} {fmt(r.get('peak_rss_mb'), '8.0f')} {fmt(r.get('n_synapses'), '12,d')} "
              f"{fmt(r.get('mean_rate_hz'), '8.2f')} {same}")


def goal_lines(rows: list[dict]) -> list[str]:
    ok = {(r["model"], r["simulator"], r["threads"]): r for r in rows if "error" not in r}
    lines = []
    for model in ("microcircuit", "coba"):
        one, two = ok.get((model, "netdyn", 1)), ok.get((model, "netdyn", 2))
        if one and two:
            s = loop_s(one) / loop_s(two)
            goal_size = one.get("scale") == 1.0 if model == "microcircuit" else one.get("n_neurons") == 100_000
            verdict = (f" (goal >= {SPEEDUP_GOAL:g}x: {'met' if s >= SPEEDUP_GOAL else 'NOT met'})" if goal_size
                       else " (the goal is set for the full microcircuit and COBA 100k)")
            lines.append(f"{model}: netdyn 2 threads / 1 thread speed-up {s:.2f}x{verdict}")
    for (model, simulator, threads), r in sorted(ok.items()):
        mine = ok.get((model, "netdyn", threads))
        if simulator == "netdyn" or mine is None:
            continue
        ratio = loop_s(r) / loop_s(mine)
        goal = NEST_GOAL if simulator == "nest" else BRIAN2_GOAL
        what = "RTF" if simulator == "nest" else "loop time"
        lines.append(f"{model} at {threads} thread(s): {simulator} {what} / netdyn {what} = {ratio:.2f}x "
                     f"(goal >= {goal:g}x: {'met' if ratio >= goal else 'NOT met'})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    parser.add_argument("--mc-scale", type=float, default=1.0, help="microcircuit scale (0 skips it)")
    parser.add_argument("--mc-duration-ms", type=float, default=500.0)
    parser.add_argument("--coba-n", type=int, default=100_000, help="COBA neurons (0 skips it)")
    parser.add_argument("--coba-duration-ms", type=float, default=1000.0)
    parser.add_argument("--peers", default="nest,brian2", help="subset of nest,brian2 (empty: netdyn only)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each command; a row keeps the fastest")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="per command")
    parser.add_argument("--json-out", default=None, help="save all rows (and the goal lines) as JSON here")
    parser.add_argument("--busy-neighbour", action="store_true",
                        help="run a busy process (a Python busy loop) beside every run, as on a shared machine")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t]
    if not threads or min(threads) < 1 or args.repeats < 1:
        parser.error("--threads: integers >= 1; --repeats: >= 1")
    peers = {p for p in args.peers.split(",") if p}
    print(f"peers from {peers_dir()}: nest {'found' if peer_python('nest') else 'absent'}, brian2 "
          f"{'found' if peer_python('brian2') else 'absent'}; cores={len(os.sched_getaffinity(0))}", flush=True)
    jobs: list[tuple[str, str, int, list[str], dict]] = []
    for t in threads:
        if args.mc_scale > 0:
            for sim in ("netdyn", "nest"):
                if sim == "netdyn" or sim in peers:
                    cmd = microcircuit_command(sim, args.mc_scale, args.mc_duration_ms, args.seed, t)
                    if cmd is not None:
                        jobs.append(("microcircuit", sim, t, cmd, {"scale": args.mc_scale,
                                                                   "duration_ms": args.mc_duration_ms}))
        if args.coba_n > 0:
            for sim in ("netdyn", "brian2"):
                if sim == "netdyn" or sim in peers:
                    cmd = coba_command(sim, args.coba_n, args.coba_duration_ms, args.seed, t)
                    if cmd is not None:
                        jobs.append(("coba", "brian2-cpp_standalone" if sim == "brian2" else sim, t, cmd,
                                     {"n_neurons": args.coba_n, "duration_ms": args.coba_duration_ms}))
    runs: list[list[dict | str]] = [[] for _ in jobs]
    neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy_neighbour else None
    if neighbour is not None:
        print("a busy process runs beside every run", flush=True)
    try:
        for rep in range(args.repeats):
            for k, (model, sim, t, cmd, meta) in enumerate(jobs):
                runs[k].append(run_json(cmd, args.timeout_s, t))
                print(f"  run {rep + 1}/{args.repeats}: {model} {sim} threads={t}", flush=True)
    finally:
        if neighbour is not None:
            neighbour.kill()
    rows = []
    for (model, sim, t, _, meta), results in zip(jobs, runs):
        result = fastest(results)
        base = {"model": model, "simulator": sim, "threads": t, **meta}
        rows.append({**base, "error": result} if isinstance(result, str) else {**meta, **result, **base})
    rows.sort(key=lambda r: (r["model"] != "microcircuit", r["simulator"] != "netdyn", r["simulator"], r["threads"]))
    print()
    print_table(rows)
    report(rows, goal_lines(rows), args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
