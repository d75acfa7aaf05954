"""Benchmark of the cable engine: netdyn (Arbor) against Brian2's ``SpatialNeuron`` on the same
cells, inputs and protocols, measured side by side in one run.

Cases (``benchmarks/peers/dendrites_cases.py``): ``brt_poisson_1k`` (Ball-and-Rall's tree
cut into 1,024 compartments, 100 AMPA+NMDA synapses with 10-Hz Poisson trains, 1 s at dt
0.025 ms: the issue's performance case) and ``brt_nmda_l4`` (the tree's EPSP protocol: one
AMPA+NMDA input at the distal level, 150 ms). Backends:

* ``netdyn``: ``netdyn.engines.cable.simulate_cell`` in this process, one thread, the soma
  recorded every step. ``build_s`` is blank: building Arbor's model is part of the call, so
  its time is in ``run`` (a 1-ms call first warms up imports).
* ``brian2-runtime`` (Cython) and ``brian2-cpp_standalone``: ``benchmarks/peers/brian2_dendrites.py``
  under Brian2's interpreter (``$NETDYN_PEERS_DIR/brian2``, default ``~/.cache/netdyn-peers``;
  skipped when absent), ``method='exponential_euler'``, one thread, the soma recorded every
  step. Their ``build_s`` is code generation and compilation (runtime: a first run fills
  Cython's cache, the timed one reuses it), ``run`` the simulation (cpp_standalone: the binary).

Columns: compartments (CVs), synapses, simulated s, build wall s, run wall s, CPU s of the run
(``resource.getrusage``, self + children), CPU ratio against netdyn on the same case (the
issue's goal: >= 10x less CPU than Brian2), and the real-time factor (run wall s per
simulated s; the goal: < 1 for the 1,000-compartment case). Each backend runs ``--repeats``
times, taking turns, and a row keeps its fastest run.

Run: ``python benchmarks/dendrites.py [--cases brt_poisson_1k,brt_nmda_l4] [--repeats 1]
[--json-out dendrites.json]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_SCRIPTS = HERE / "peers"
sys.path.insert(0, str(PEER_SCRIPTS))

import dendrites_cases  # noqa: E402

CPU_GOAL = 10.0


def peers_dir() -> Path:
    """Folder holding the peers' virtual environments (``$NETDYN_PEERS_DIR``)."""
    return Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers")).expanduser()


def peer_python(name: str) -> Path | None:
    exe = peers_dir() / name / "bin" / "python"
    return exe if exe.exists() else None


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def run_netdyn(name: str) -> dict | str:
    try:
        cable = importlib.import_module("netdyn.engines.cable")
    except ModuleNotFoundError as err:
        if err.name != "netdyn.engines.cable":
            raise
        return "netdyn.engines.cable is not on this branch"
    cell, inputs, protocol = dendrites_cases.build(name)
    site = protocol.record_sites[:1]
    cable.simulate_cell(cell, inputs, duration_ms=1.0, dt_ms=protocol.dt_ms, record_sites=site)  # warm-up
    w0, c0 = time.perf_counter(), cpu_s()
    cable.simulate_cell(cell, inputs, duration_ms=protocol.duration_ms, dt_ms=protocol.dt_ms, record_sites=site,
                        sample_every=1, threads=1)
    run_wall, run_cpu = time.perf_counter() - w0, cpu_s() - c0
    n_comp = int(dendrites_cases.compartments_per_branch(cell.morphology, cell.biophysics).sum())
    return {"backend": "netdyn", "case": name, "n_compartments": n_comp, "n_synapses": len(inputs),
            "simulated_s": protocol.duration_ms * 1e-3, "build_s": None, "run_wall_s": run_wall, "cpu_s": run_cpu}


def run_brian2(device: str, case_path: Path, timeout_s: float) -> dict | str:
    exe = peer_python("brian2")
    if exe is None:
        return f"brian2 not installed under {peers_dir()}"
    cmd = [str(exe), str(PEER_SCRIPTS / "brian2_dendrites.py"), str(case_path), "--device", device,
           "--sample-every", "1000000"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout_s:g} s"
    if proc.returncode != 0:
        return f"failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}"
    rec = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    res = rec["results"][0]
    tm = res["timing"]
    return {"backend": f"brian2-{device}", "case": res["name"], "n_compartments": res["n_compartments"],
            "n_synapses": res["n_synapses"], "simulated_s": res["duration_ms"] * 1e-3, "build_s": tm["build_wall_s"],
            "build_cpu_s": tm["build_cpu_s"], "run_wall_s": tm["run_wall_s"], "cpu_s": tm["run_cpu_s"],
            "version": rec["version"], "method": rec["method"]}


def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[dict]) -> str:
    lines = ["| case | backend | CVs | synapses | simulated s | build s | run wall s | CPU s | CPU ratio vs netdyn "
             "| realtime factor |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['backend']} | | | | | | | | {r['error']} |")
            continue
        lines.append(f"| {r['case']} | {r['backend']} | {r['n_compartments']} | {r['n_synapses']} | "
                     f"{r['simulated_s']:g} | {fmt(r['build_s'], '.2f')} | {r['run_wall_s']:.3f} | {r['cpu_s']:.3f} | "
                     f"{fmt(r.get('cpu_ratio'), '.1f')} | {r['run_wall_s'] / r['simulated_s']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=f"{dendrites_cases.PERF_CASE},brt_nmda_l4")
    parser.add_argument("--backends", default="netdyn,brian2-runtime,brian2-cpp_standalone")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=1200.0)
    parser.add_argument("--json-out", default=None, help="save the rows and verdicts as JSON here")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    print(f"peers from {peers_dir()}: brian2 {'found' if peer_python('brian2') else 'absent'}", flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="dendrites_bench_") as tmp:
        for name in args.cases.split(","):
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(dendrites_cases.case(name)))
            if "brian2-runtime" in backends and peer_python("brian2"):
                run_brian2("runtime", path, args.timeout_s)  # fills Cython's cache; not timed
            best: dict[str, dict | str] = {}
            for rep in range(args.repeats):
                for backend in backends:
                    if backend == "netdyn":
                        out = run_netdyn(name)
                    else:
                        out = run_brian2(backend.split("-", 1)[1], path, args.timeout_s)
                    print(f"  {name} {backend} run {rep + 1}/{args.repeats}: "
                          f"{out if isinstance(out, str) else format(out['cpu_s'], '.3f') + ' CPU s'}", flush=True)
                    old = best.get(backend)
                    if isinstance(out, dict) and (not isinstance(old, dict) or out["cpu_s"] < old["cpu_s"]):
                        best[backend] = out
                    elif old is None:
                        best[backend] = out
            ref = best.get("netdyn")
            for backend in backends:
                r = best[backend]
                if isinstance(r, str):
                    rows.append({"case": name, "backend": backend, "error": r})
                    continue
                r["cpu_ratio"] = r["cpu_s"] / ref["cpu_s"] if isinstance(ref, dict) else None
                r["realtime_factor"] = r["run_wall_s"] / r["simulated_s"]
                rows.append(r)
    text = table(rows)
    print()
    print(text)
    verdicts = []
    for r in rows:
        if r.get("cpu_ratio") is not None and r["backend"] != "netdyn":
            verdicts.append(f"{r['case']}: {r['backend']} uses {r['cpu_ratio']:.1f}x netdyn's CPU "
                            f"(goal >= {CPU_GOAL:g}x): {'met' if r['cpu_ratio'] >= CPU_GOAL else 'NOT met'}")
        if r["backend"] == "netdyn" and r["case"] == dendrites_cases.PERF_CASE and "error" not in r:
            verdicts.append(f"{r['case']}: netdyn simulates {r['simulated_s']:g} s in {r['run_wall_s']:.3f} s wall "
                            f"(goal < 1 s): {'met' if r['run_wall_s'] < 1.0 else 'NOT met'}")
    for line in verdicts:
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"rows": rows, "verdicts": verdicts, "table": text}, indent=1) + "\n")
        print(f"rows saved to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
