"""Benchmark of the consolidation study: netdyn against the Arbor reference implementation, same
machine, same run, one thread each, whole processes.

Every row is measured in this run, ``--runs`` times per protocol (as the reference's own
hyperfine benchmark repeats runs), the two simulators taking turns; a row shows the mean and
the spread of the CPU time and the largest peak resident memory:

* netdyn: ``netdyn consolidation PROTOCOL --out TMP --no-figure --no-progress`` as a child
  process (interpreter start, imports, compiled kernels loaded from numba's cache, build,
  every phase, readout and writing spikes.h5, results.zarr and summary.json); CPU = user + sys
  of the child (``os.wait4``), memory = its ``ru_maxrss``; plus ``netdyn bench consolidation``
  for the split into build and simulation;
* Arbor: ``benchmarks/peers/arbor_consolidation.py --protocol P --json`` under the peers'
  interpreter (``$NETDYN_PEERS_DIR/nest/bin/python`` with ``arbor==0.12.2``), plots off, which
  measures the reference process the same way. When Arbor is absent its rows are skipped.

Protocols: ``basic-late`` (4 h of a neuron at ~444 Hz, then 4 h of consolidation),
``smallnet3-10s``, ``smallnet3-8h``, ``basic-early``; with ``--network`` also the 2,000-neuron
``net-10s`` at ``--n-ca`` (Arbor: ~35-50 CPU-minutes per run) and netdyn's ``net-8h`` (the
Arbor code registers one sampler per synapse and does not start simulating within 80 minutes
on these machines, so it is not run).

The goals printed at the end: net-10s at least 10x less CPU than Arbor; net-8h completes;
basic-late at least 5x less CPU; and a 20-trial screen of both protocols at four assembly
sizes (160 trials) within an hour on 2 cores, i.e. under 45 CPU-s per trial.

Run: ``python benchmarks/consolidation.py [--protocols basic-late,smallnet3-10s] [--runs 3]
[--network] [--n-ca 150] [--json-out rows.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spiking import fmt, peer_python, run_json

HERE = Path(__file__).resolve().parent
ARBOR_SCRIPT = HERE / "peers" / "arbor_consolidation.py"
ARBOR_NAMES = {"basic-early": "basic_early_det", "basic-late": "basic_late", "smallnet3-10s": "smallnet3_10s",
               "smallnet3-8h": "smallnet3_8h", "net-10s": "defaultnet_10s"}
SMALL = ("basic-late", "smallnet3-10s", "smallnet3-8h", "basic-early")
GOALS = {"net-10s": 10.0, "basic-late": 5.0}
SCREEN_CPU_PER_TRIAL_GOAL_S = 3600.0 * 2 / 160


def measure_child(cmd: list[str], timeout_s: float) -> dict:
    """Run ``cmd`` to the end; its CPU (user + sys), wall time and peak RSS."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = t0 + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            proc.wait()
            return {"error": f"timed out after {timeout_s:.0f} s"}
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {(err.strip().splitlines() or ['no output'])[-1][:160]}"}
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024.0,
            "stdout": out}


def netdyn_run(protocol: str, n_ca: int | None, timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "netdyn.cli", "consolidation", protocol, "--out", str(Path(tmp) / "out"),
               "--no-figure", "--no-progress"] + (["--n-ca", str(n_ca)] if n_ca is not None else [])
        row = measure_child(cmd, timeout_s)
        if "error" not in row:
            summary = json.loads((Path(tmp) / "out" / "summary.json").read_text())
            row.update({k: summary.get(k) for k in ("Q", "MI_bits") if k in summary})
        row.pop("stdout", None)
        return row


def arbor_run(protocol: str, n_ca: int | None, timeout_s: float) -> dict | None:
    python = peer_python("nest")
    if python is None or protocol not in ARBOR_NAMES:
        return None
    cmd = [str(python), str(ARBOR_SCRIPT), "--protocol", ARBOR_NAMES[protocol], "--json"]
    if n_ca is not None:
        cmd += ["--n-ca", str(n_ca)]
    row = run_json(cmd, timeout_s)
    if isinstance(row, str):
        return {"error": row}
    if row.get("skipped"):
        return None
    if not row.get("error"):
        row.pop("error", None)  # the peer reports "error": null on success
    quality = row.get("recall_quality") or {}
    row.update({k: quality[k] for k in ("Q", "MI_bits") if quality.get(k) is not None})
    return row


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if not r.get("error")]
    if not ok:
        return {"error": runs[0]["error"]}
    cpu = [r["cpu_s"] for r in ok]
    out = {"cpu_s": statistics.fmean(cpu), "cpu_s_sd": statistics.stdev(cpu) if len(cpu) > 1 else 0.0,
           "cpu_s_runs": cpu, "wall_s": statistics.fmean(r["wall_s"] for r in ok),
           "peak_rss_mb": max(r.get("peak_rss_mb") or 0.0 for r in ok), "runs": len(ok)}
    for key in ("Q", "MI_bits"):
        if key in ok[0] and ok[0][key] is not None:
            out[key] = ok[0][key]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", default=",".join(SMALL))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--network", action="store_true", help="also net-10s (both) and net-8h (netdyn)")
    parser.add_argument("--network-runs", type=int, default=1, help="runs of the network protocols")
    parser.add_argument("--n-ca", type=int, default=150)
    parser.add_argument("--timeout-s", type=float, default=7200.0)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    protocols = [p for p in args.protocols.split(",") if p]
    if args.network:
        protocols += ["net-10s", "net-8h"]
    rows = []
    for protocol in protocols:
        network = protocol.startswith("net-")
        n_ca = args.n_ca if network else None
        runs = args.network_runs if network else args.runs
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(netdyn_run(protocol, n_ca, args.timeout_s))
            if protocol != "net-8h":
                peer = arbor_run(protocol, n_ca, args.timeout_s)
                if peer is not None:
                    theirs.append(peer)
        row = {"protocol": protocol, "n_ca": n_ca, "netdyn": summarise(ours),
               "arbor": summarise(theirs) if theirs else None}
        bench = run_json([sys.executable, "-m", "netdyn.cli", "bench", "consolidation", "--protocol", protocol,
                          "--json"] + (["--n-ca", str(n_ca)] if n_ca is not None else []), args.timeout_s)
        row["netdyn_bench"] = bench if isinstance(bench, dict) else {"error": bench}
        rows.append(row)
        print_row(row, header=len(rows) == 1)
    print_goals(rows)
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=2))
    return 0


def print_row(row: dict, header: bool) -> None:
    if header:
        print(f"{'protocol':14s} {'simulator':9s} {'runs':>4s} {'CPU s':>9s} {'+-':>7s} {'wall s':>8s} "
              f"{'peak MB':>8s} {'build s':>8s} {'sim s':>8s} {'Q':>7s} {'MI bits':>8s}")
    bench = row["netdyn_bench"]
    for name in ("netdyn", "arbor"):
        r = row[name]
        if r is None:
            print(f"{row['protocol']:14s} {name:9s}  (not run: Arbor absent or no such protocol)")
            continue
        if "error" in r:
            print(f"{row['protocol']:14s} {name:9s}  failed: {r['error']}")
            continue
        build = bench.get("build_s") if name == "netdyn" else None
        sim = bench.get("run_s") if name == "netdyn" else None
        print(f"{row['protocol']:14s} {name:9s} {r['runs']:4d} {fmt(r['cpu_s'], '9.2f')} {fmt(r['cpu_s_sd'], '7.2f')} "
              f"{fmt(r['wall_s'], '8.2f')} {fmt(r['peak_rss_mb'], '8.0f')} {fmt(build, '8.2f')} {fmt(sim, '8.2f')} "
              f"{fmt(r.get('Q'), '7.4f')} {fmt(r.get('MI_bits'), '8.3f')}")
    if row["arbor"] and "error" not in row["arbor"] and "error" not in row["netdyn"]:
        print(f"{'':14s} {'ratio':9s}      {row['arbor']['cpu_s'] / row['netdyn']['cpu_s']:8.1f}x less CPU in netdyn")


def print_goals(rows: list[dict]) -> None:
    print("\ngoals")
    by = {r["protocol"]: r for r in rows}
    for protocol, goal in GOALS.items():
        r = by.get(protocol)
        if r is None or r["arbor"] is None or "error" in r["arbor"] or "error" in r["netdyn"]:
            print(f"  {protocol}: {goal:.0f}x less CPU than Arbor: not measured in this run")
            continue
        ratio = r["arbor"]["cpu_s"] / r["netdyn"]["cpu_s"]
        print(f"  {protocol}: {ratio:.1f}x less CPU than Arbor (goal {goal:.0f}x): {'met' if ratio >= goal else 'NOT met'}")
    r = by.get("net-8h")
    if r is not None:
        done = "error" not in r["netdyn"]
        print(f"  net-8h completes: {'yes, ' + format(r['netdyn']['cpu_s'], '.1f') + ' CPU-s' if done else 'NO'}")
        cpus = [by[p]["netdyn"]["cpu_s"] for p in ("net-10s", "net-8h") if p in by and "error" not in by[p]["netdyn"]]
        if len(cpus) == 2:
            per_trial = sum(cpus) / 2
            print(f"  screen of 160 trials on 2 cores: ~{160 * per_trial / 2 / 60:.0f} min "
                  f"({per_trial:.1f} CPU-s per trial, goal < {SCREEN_CPU_PER_TRIAL_GOAL_S:.0f}): "
                  f"{'met' if per_trial < SCREEN_CPU_PER_TRIAL_GOAL_S else 'NOT met'}")


if __name__ == "__main__":
    raise SystemExit(main())
