"""Benchmark of the spiking engine: netdyn against Brian2 and NEST on the same models.

Prints one table, every row measured in this run on this machine:

* COBA (spiking.md section 5: Vogels-Abbott, N LIF, Bernoulli K = 80, 1 s) at each
  ``--sizes`` N: ``netdyn bench coba --n-neurons N --duration-ms T --json`` and the peers
  ``brian2-runtime`` (Cython), ``brian2-cpp_standalone`` (one thread) and ``nest``
  (iaf_cond_exp, ``--threads``), from ``benchmarks/peers/``.
* microcircuit (microcircuit.md) at ``--mc-scale`` k: ``netdyn bench microcircuit --scale k
  --duration-ms T --threads M --json`` and ``nest`` (iaf_psc_exp) with the same threads.

Above ``--fixed-indegree-above`` (20k) neurons the peers wire fixed indegrees 64 E + 16 I
(drawn with replacement) instead of Bernoulli p = 80/N, as the spec allows; netdyn's
command is called as is, so ``netdyn bench coba`` must apply the same rule at those sizes.

Columns: build wall s, run wall s, CPU s of the simulation loop per biological second,
peak RSS, bytes per synapse (netdyn only), synapses, mean rate. Then the ratios against
the issue's goals: COBA CPU/bio-s at least 2x lower than Brian2 cpp_standalone and 10x lower
than NEST; microcircuit real-time factor at least 2x lower than NEST at the same threads.

Peers live outside the repository (``/work/shared/peers/setup.sh``), found under
``$NETDYN_PEERS_DIR`` (default ``~/.cache/netdyn-peers``); an absent peer is skipped.
Brian2's and NEST's first runs compile code; rows report warm runs only if you run twice
(Brian2 caches Cython code; cpp_standalone always compiles, which is in its build_s).

Run: ``python benchmarks/spiking.py [--sizes 4000,20000,100000] [--duration-ms 1000]
[--threads 1] [--mc-scale 0.1] [--json-out rows.json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_SCRIPTS = HERE / "peers"
COBA_PEERS = ("brian2-runtime", "brian2-cpp_standalone", "nest")
GOALS = {"brian2-cpp_standalone": 2.0, "nest": 10.0}
MC_GOAL = 2.0


def peers_dir() -> Path:
    """Folder holding the peers' virtual environments (``$NETDYN_PEERS_DIR``)."""
    return Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers")).expanduser()


def peer_python(name: str) -> Path | None:
    exe = peers_dir() / name / "bin" / "python"
    return exe if exe.exists() else None


def run_json(cmd: list[str], timeout_s: float, threads: int = 1) -> dict | str:
    """Run ``cmd``; return the last JSON line it printed, or a short reason it failed."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(max(threads, 1)), PYNEST_QUIET="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout_s:.0f} s"
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {proc.returncode}: {tail[:160]}"
    for line in reversed(proc.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return "printed no JSON line"


def netdyn_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "netdyn.cli", "bench", *args, "--json"]


def coba_command(peer: str, n: int, duration_ms: float, seed: int, threads: int,
                 connectivity: str = "bernoulli") -> list[str] | None:
    common = ["--n-neurons", str(n), "--duration-ms", str(duration_ms), "--seed", str(seed), "--json",
              "--connectivity", connectivity]
    if peer == "netdyn":
        return netdyn_cmd("coba", "--n-neurons", str(n), "--duration-ms", str(duration_ms), "--seed", str(seed),
                          "--connectivity", connectivity.replace("-", "_"))
    if peer.startswith("brian2"):
        exe = peer_python("brian2")
        device = peer.split("-", 1)[1]
        return None if exe is None else [str(exe), str(PEER_SCRIPTS / "brian2_coba.py"), "--device", device, *common]
    exe = peer_python("nest")
    return None if exe is None else [str(exe), str(PEER_SCRIPTS / "nest_coba.py"), "--threads", str(threads), *common]


def microcircuit_command(peer: str, scale: float, duration_ms: float, seed: int, threads: int) -> list[str] | None:
    if peer == "netdyn":
        return netdyn_cmd("microcircuit", "--scale", str(scale), "--duration-ms", str(duration_ms),
                          "--threads", str(threads))
    exe = peer_python("nest")
    return None if exe is None else [str(exe), str(PEER_SCRIPTS / "nest_microcircuit.py"), "--scale", str(scale),
                                     "--duration-ms", str(duration_ms), "--discard-ms", "0", "--threads",
                                     str(threads), "--seed", str(seed), "--json"]


def per_bio_s(row: dict, key: str) -> float:
    value = row.get(key)
    duration_ms = row.get("duration_ms")
    if value is None or not duration_ms:
        return float("nan")
    return float(value) / (float(duration_ms) * 1e-3)


def fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def print_table(rows: list[dict]) -> None:
    head = (f"{'model':12s} {'simulator':22s} {'size':>8s} {'build s':>8s} {'run s':>8s} {'CPU s/bio s':>11s} "
            f"{'RTF':>7s} {'peak MB':>8s} {'B/syn':>6s} {'synapses':>11s} {'rate Hz':>8s}")
    print(head)
    for r in rows:
        size = r.get("n_neurons") if r["model"] == "coba" else r.get("scale")
        if "error" in r:
            print(f"{r['model']:12s} {r['simulator']:22s} {fmt(size, '>8'):>8s}  {r['error']}")
            continue
        print(f"{r['model']:12s} {r['simulator']:22s} {fmt(size, '>8'):>8s} {fmt(r.get('build_s'), '8.2f')} "
              f"{fmt(r.get('run_s'), '8.2f')} {fmt(per_bio_s(r, 'cpu_s'), '11.3f')} "
              f"{fmt(per_bio_s(r, 'run_s'), '7.2f')} {fmt(r.get('peak_rss_mb'), '8.0f')} "
              f"{fmt(r.get('bytes_per_synapse'), '6.1f')} {fmt(r.get('n_synapses'), '11,d')} "
              f"{fmt(r.get('mean_rate_hz'), '8.2f')}")


def ratio_lines(rows: list[dict]) -> list[str]:
    """Peer / netdyn ratios of CPU s per bio s (COBA) and of the real-time factor (microcircuit)."""
    ok = [r for r in rows if "error" not in r]
    lines = []
    for n in sorted({r["n_neurons"] for r in ok if r["model"] == "coba"}):
        same = {r["simulator"]: r for r in ok if r["model"] == "coba" and r["n_neurons"] == n}
        base = same.get("netdyn")
        if base is None:
            continue
        for peer in COBA_PEERS:
            if peer in same:
                ratio = per_bio_s(same[peer], "cpu_s") / per_bio_s(base, "cpu_s")
                goal = GOALS.get(peer)
                verdict = "" if goal is None else f" (goal >= {goal:g}x: {'met' if ratio >= goal else 'NOT met'})"
                lines.append(f"coba N={n}: {peer} CPU / netdyn CPU = {ratio:.2f}x{verdict}")
    same = {r["simulator"]: r for r in ok if r["model"] == "microcircuit"}
    if "netdyn" in same and "nest" in same:
        ratio = per_bio_s(same["nest"], "run_s") / per_bio_s(same["netdyn"], "run_s")
        lines.append(f"microcircuit k={same['nest'].get('scale')}: NEST RTF / netdyn RTF = {ratio:.2f}x at "
                     f"{same['nest'].get('threads')} thread(s) (goal >= {MC_GOAL:g}x: "
                     f"{'met' if ratio >= MC_GOAL else 'NOT met'})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,20000,100000", help="COBA network sizes")
    parser.add_argument("--duration-ms", type=float, default=1000.0, help="COBA biological time")
    parser.add_argument("--peers", default=",".join(COBA_PEERS), help="subset of " + ",".join(COBA_PEERS))
    parser.add_argument("--nest-max-n", type=int, default=20000,
                        help="skip the NEST COBA row above this size (iaf_cond_exp costs ~3.6 CPU ms per neuron "
                             "and bio second: ~6 CPU min per bio s at 100k)")
    parser.add_argument("--fixed-indegree-above", type=int, default=20000,
                        help="peers use fixed indegrees 64 E + 16 I instead of Bernoulli above this size (the "
                             "spec allows it above 20k; NEST's pairwise_bernoulli build is O(N^2))")
    parser.add_argument("--threads", type=int, default=1, help="threads for NEST and netdyn's microcircuit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mc-scale", type=float, default=0.1, help="microcircuit scale k (0 skips it)")
    parser.add_argument("--mc-duration-ms", type=float, default=1000.0)
    parser.add_argument("--skip-coba", action="store_true")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="per command")
    parser.add_argument("--json-out", default=None, help="save all rows (and the ratios) as JSON here")
    args = parser.parse_args(argv)

    peers = [p for p in args.peers.split(",") if p]
    unknown = set(peers) - set(COBA_PEERS)
    if unknown:
        parser.error(f"--peers: unknown {sorted(unknown)}; choose from {COBA_PEERS}")
    print(f"peers from {peers_dir()}: brian2 {'found' if peer_python('brian2') else 'absent'}, "
          f"nest {'found' if peer_python('nest') else 'absent'}; cores={os.cpu_count()}", flush=True)
    rows: list[dict] = []

    def add(model: str, simulator: str, cmd: list[str] | None, meta: dict) -> None:
        if cmd is None:
            print(f"{simulator}: not installed, skipped", flush=True)
            return
        result = run_json(cmd, args.timeout_s, args.threads)
        if isinstance(result, str):
            if simulator == "netdyn":
                print("netdyn: unavailable", f"({result})", flush=True)
            rows.append({"model": model, "simulator": simulator, **meta, "error": result})
            return
        result["model"], result["simulator"] = model, simulator
        rows.append({**meta, **result})
        print(f"  done: {model} {simulator} {meta}", flush=True)

    if not args.skip_coba:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            rule = "fixed-indegree" if n > args.fixed_indegree_above else "bernoulli"
            add("coba", "netdyn", coba_command("netdyn", n, args.duration_ms, args.seed, args.threads, rule),
                {"n_neurons": n, "duration_ms": args.duration_ms, "connectivity": rule})
            for peer in peers:
                if peer == "nest" and n > args.nest_max_n:
                    print(f"nest: N={n} above --nest-max-n {args.nest_max_n}, skipped", flush=True)
                    continue
                add("coba", peer, coba_command(peer, n, args.duration_ms, args.seed, args.threads, rule),
                    {"n_neurons": n, "duration_ms": args.duration_ms, "connectivity": rule})
    if args.mc_scale > 0:
        for sim in ("netdyn", "nest"):
            add("microcircuit", sim, microcircuit_command(sim, args.mc_scale, args.mc_duration_ms, args.seed,
                                                          args.threads),
                {"scale": args.mc_scale, "duration_ms": args.mc_duration_ms, "threads": args.threads})

    print()
    print_table(rows)
    lines = ratio_lines(rows)
    for line in lines:
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"rows": rows, "ratios": lines}, indent=1) + "\n")
        print(f"rows saved to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
