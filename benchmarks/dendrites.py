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

Whole protocols (``--protocols brt-integration,branco2010``): the ``dendrites`` study's
``brt-integration`` (2 receptor sets x 20 distances, 250 ms; the protocol's separate
input-resistance call left out) and ``branco2010`` (2 receptor sets x 2 directions x 7 speeds,
380 ms) at their default configurations, built by the study's own functions
(``dendrites_cases.study_protocol``). netdyn runs each protocol as ONE ``simulate_cell`` call
with its conditions as trials, as the study does (1 and 2 threads; the study's recording: the
soma and the synapse sites every 4th step). Brian2 runs each condition as its own network, one
after another, as the seed library's scripts do, and pays each network's build:

* ``runtime``: one process, every condition ``start_scope`` + build + run (a first, untimed
  condition fills Cython's cache);
* ``cpp_standalone`` with a compile per condition (what a new network needs): only
  ``--standalone-conditions`` of them (spread over the protocol) are timed, the total is
  extrapolated and marked so;
* ``cpp_standalone`` with one compile for the whole protocol, re-run per condition with
  ``device.run(run_args=...)`` (``brian2_dendrites.py --reuse``): every synapse position of
  the protocol is in the binary, a condition sets the synapses' weights (zero where it has
  none) and delays (its spike times); the fairest Brian2 row.

Protocol columns: CPU s of build and run summed over the conditions, wall s, the ratio to
netdyn's 1-thread call, and the largest relative difference of the peak somatic EPSP (largest
V from the onset on minus V at the onset) between Brian2 and netdyn over the conditions run.
The printed verdicts say which goal holds per run (simulation alone) and per protocol (build
included).

Run: ``python benchmarks/dendrites.py [--cases brt_poisson_1k,brt_nmda_l4] [--repeats 1]
[--protocols brt-integration,branco2010] [--protocol-modes runtime,cpp_standalone,reuse]
[--standalone-conditions 3] [--json-out dendrites.json]``
"""

from __future__ import annotations

import argparse
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

from spiking import best_of, fmt, peer_python, peers_dir  # noqa: E402  (the sibling benchmark's helpers)

from netdyn.engines import cable  # noqa: E402

CPU_GOAL = 10.0


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def run_netdyn(name: str) -> dict | str:
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
    rec = _brian2_record([str(case_path), "--device", device], timeout_s)
    if isinstance(rec, str):
        return rec
    res = rec["results"][0]
    tm = res["timing"]
    return {"backend": f"brian2-{device}", "case": res["name"], "n_compartments": res["n_compartments"],
            "n_synapses": res["n_synapses"], "simulated_s": res["duration_ms"] * 1e-3, "build_s": tm["build_wall_s"],
            "build_cpu_s": tm["build_cpu_s"], "run_wall_s": tm["run_wall_s"], "cpu_s": tm["run_cpu_s"],
            "version": rec["version"], "method": rec["method"]}


def _brian2_record(args: list[str], timeout_s: float) -> dict | str:
    """The JSON record of ``brian2_dendrites.py ARGS`` under Brian2's interpreter (one thread),
    or why there is none."""
    exe = peer_python("brian2")
    if exe is None:
        return f"brian2 not installed under {peers_dir()}"
    cmd = [str(exe), str(PEER_SCRIPTS / "brian2_dendrites.py"), *args, "--sample-every", "1000000"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout_s:g} s"
    if proc.returncode != 0:
        return f"failed ({proc.returncode}): {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}"
    return json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])


# ---------------------------------------------------------------------- whole protocols
def soma_peaks(v_soma, t_ms, onset_ms: float):
    """Peak somatic EPSP per trial: the largest V from the onset on minus V at the onset."""
    import numpy as np

    i0 = int(np.argmin(np.abs(np.asarray(t_ms) - onset_ms)))
    v = np.asarray(v_soma)
    return (v[:, i0:].max(axis=1) - v[:, i0]).tolist()


def run_netdyn_protocol(name: str, threads: int) -> dict | str:
    p = dendrites_cases.study_protocol(name)
    cable.simulate_cell(p.cell, p.trials[:1], duration_ms=1.0, dt_ms=p.dt_ms, record_sites=p.record_sites[:1])  # warm-up
    w0, c0 = time.perf_counter(), cpu_s()
    ds = cable.simulate_cell(p.cell, p.trials, duration_ms=p.duration_ms, dt_ms=p.dt_ms, record_sites=p.record_sites,
                             sample_every=p.sample_every, threads=threads)
    wall, cpu = time.perf_counter() - w0, cpu_s() - c0
    peaks = soma_peaks(ds["v_mV"].isel(site=0).values, ds["time_ms"].values, p.onset_ms)
    return {"protocol": name, "backend": f"netdyn ({threads} thread{'s' if threads > 1 else ''}, one call)",
            "conditions": len(p.trials), "timed_conditions": len(p.trials), "simulated_s": p.duration_ms * 1e-3,
            "build_cpu_s": None, "run_cpu_s": cpu, "cpu_s": cpu, "wall_s": wall, "peaks_mV": peaks}


def _brian2_results(args: list[str], timeout_s: float) -> list[dict] | str:
    rec = _brian2_record(args, timeout_s)
    return rec if isinstance(rec, str) else rec["results"]


def run_brian2_protocol(name: str, mode: str, paths: list[Path], k_standalone: int, timeout_s: float) -> dict | str:
    """Brian2 on every condition of protocol ``name``, one network per condition, one after
    another: ``runtime`` (one process, a first untimed condition filled Cython's cache),
    ``cpp_standalone`` (one process and one compile per condition; only ``k_standalone`` of
    them, spread over the protocol, timed and the total extrapolated) or ``reuse`` (one
    compile, the binary re-run per condition with ``run_args``)."""
    import numpy as np

    n = len(paths)
    if mode == "runtime":
        res = _brian2_results([*map(str, paths), "--device", "runtime"], timeout_s)
        idx = list(range(n))
    elif mode == "reuse":
        res = _brian2_results([*map(str, paths), "--device", "cpp_standalone", "--reuse"], timeout_s)
        idx = list(range(n))
    else:
        idx = sorted({int(round(x)) for x in np.linspace(0, n - 1, min(k_standalone, n))})
        res = []
        for i in idx:
            out = _brian2_results([str(paths[i]), "--device", "cpp_standalone"], timeout_s)
            if isinstance(out, str):
                return out
            res += out
    if isinstance(res, str):
        return res
    build = sum(r["timing"]["build_cpu_s"] for r in res)
    run = sum(r["timing"]["run_cpu_s"] for r in res)
    wall = sum(r["timing"]["build_wall_s"] + r["timing"]["run_wall_s"] for r in res)
    scale = n / len(idx)
    backend = {"runtime": "brian2-runtime (a network per condition)",
               "cpp_standalone": "brian2-cpp_standalone (a compile per condition)",
               "reuse": "brian2-cpp_standalone (one compile, run_args per condition)"}[mode]
    return {"protocol": name, "backend": backend, "conditions": n, "timed_conditions": len(idx),
            "simulated_s": res[0]["duration_ms"] * 1e-3, "build_cpu_s": build * scale, "run_cpu_s": run * scale,
            "cpu_s": (build + run) * scale, "wall_s": wall * scale, "peak_index": idx,
            "peaks_mV": [r["epsp"]["peak_mV"] for r in res]}


def protocol_table(rows: list[dict]) -> str:
    lines = ["| protocol | backend | conditions | simulated s each | build CPU s | run CPU s | total CPU s | "
             "wall s | CPU ratio vs netdyn (1 thread) | largest peak EPSP difference vs netdyn |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['protocol']} | {r['backend']} | | | | | | | | {r['error']} |")
            continue
        extra = "" if r["timed_conditions"] == r["conditions"] else \
            f" (extrapolated from {r['timed_conditions']} of {r['conditions']} conditions)"
        diff = r.get("max_rel_diff")
        lines.append(f"| {r['protocol']} | {r['backend']}{extra} | {r['conditions']} | {r['simulated_s']:g} | "
                     f"{fmt(r['build_cpu_s'], '.2f')} | {r['run_cpu_s']:.2f} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | "
                     f"{fmt(r.get('cpu_ratio'), '.1f')} | "
                     f"{'-' if diff is None else format(100 * diff, '.3f') + ' %'} |")
    return "\n".join(lines)


def run_protocols(names: list[str], repeats: int, k_standalone: int, timeout_s: float, tmp: str,
                  modes: list[str]) -> list[dict]:
    rows: list[dict] = []
    for name in names:
        cases = dendrites_cases.protocol_cases(name)
        folder = Path(tmp) / name
        folder.mkdir()
        paths = []
        for i, c in enumerate(cases):
            paths.append(folder / f"{i:03d}.json")
            paths[-1].write_text(json.dumps(c))
        have_b2 = peer_python("brian2") is not None
        if "runtime" in modes and have_b2:
            _brian2_results([str(paths[0]), "--device", "runtime"], timeout_s)  # fills Cython's cache; not timed
        runs: dict[str, list[dict | str]] = {}
        order = [("netdyn", 1), ("netdyn", 2)] + [("brian2", m) for m in modes]
        for rep in range(repeats):
            for kind, arg in order:
                out = run_netdyn_protocol(name, arg) if kind == "netdyn" else \
                    run_brian2_protocol(name, arg, paths, k_standalone, timeout_s)
                key = f"{kind}:{arg}"
                print(f"  {name} {key} run {rep + 1}/{repeats}: "
                      f"{out if isinstance(out, str) else format(out['cpu_s'], '.2f') + ' CPU s'}", flush=True)
                runs.setdefault(key, []).append(out)
        best = {key: best_of(r) for key, r in runs.items()}
        ref = best.get("netdyn:1")
        for kind, arg in order:
            r = best[f"{kind}:{arg}"]
            if isinstance(r, str):
                rows.append({"protocol": name, "backend": f"{kind} {arg}", "error": r})
                continue
            if isinstance(ref, dict):
                r["cpu_ratio"] = r["cpu_s"] / ref["cpu_s"]
                if kind == "brian2":
                    nd = [ref["peaks_mV"][i] for i in r["peak_index"]]
                    rel = [abs(b - a) / abs(a) for a, b in zip(nd, r["peaks_mV"])]
                    k = max(range(len(rel)), key=rel.__getitem__)
                    r["max_rel_diff"] = rel[k]
                    r["max_diff_condition"] = cases[r["peak_index"][k]]["name"]
                    r["max_diff_mV"] = (nd[k], r["peaks_mV"][k])
            rows.append(r)
    return rows


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
    parser.add_argument("--protocols", default=",".join(dendrites_cases.PROTOCOLS),
                        help="whole study protocols to run ('' for none)")
    parser.add_argument("--protocol-modes", default="runtime,cpp_standalone,reuse",
                        help="Brian2 rows of the protocols: runtime, cpp_standalone, reuse")
    parser.add_argument("--standalone-conditions", type=int, default=3,
                        help="cpp_standalone with a compile per condition: conditions timed (the total is "
                             "extrapolated)")
    parser.add_argument("--json-out", default=None, help="save the rows and verdicts as JSON here")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    print(f"peers from {peers_dir()}: brian2 {'found' if peer_python('brian2') else 'absent'}", flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="dendrites_bench_") as tmp:
        for name in [n for n in args.cases.split(",") if n]:
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(dendrites_cases.case(name)))
            if "brian2-runtime" in backends and peer_python("brian2"):
                run_brian2("runtime", path, args.timeout_s)  # fills Cython's cache; not timed
            runs: dict[str, list[dict | str]] = {}
            for rep in range(args.repeats):
                for backend in backends:
                    if backend == "netdyn":
                        out = run_netdyn(name)
                    else:
                        out = run_brian2(backend.split("-", 1)[1], path, args.timeout_s)
                    print(f"  {name} {backend} run {rep + 1}/{args.repeats}: "
                          f"{out if isinstance(out, str) else format(out['cpu_s'], '.3f') + ' CPU s'}", flush=True)
                    runs.setdefault(backend, []).append(out)
            best = {key: best_of(r) for key, r in runs.items()}
            ref = best.get("netdyn")
            for backend in backends:
                r = best[backend]
                if isinstance(r, str):
                    rows.append({"case": name, "backend": backend, "error": r})
                    continue
                r["cpu_ratio"] = r["cpu_s"] / ref["cpu_s"] if isinstance(ref, dict) else None
                r["realtime_factor"] = r["run_wall_s"] / r["simulated_s"]
                rows.append(r)
        protocols = [n for n in args.protocols.split(",") if n]
        modes = [m for m in args.protocol_modes.split(",") if m]
        prows = run_protocols(protocols, args.repeats, args.standalone_conditions, args.timeout_s, tmp, modes) \
            if protocols else []
    text = table(rows)
    ptext = protocol_table(prows) if prows else ""
    print()
    print(text)
    if ptext:
        print()
        print(ptext)
    verdicts = []
    for r in rows:
        if r.get("cpu_ratio") is not None and r["backend"] != "netdyn":
            verdicts.append(f"per run, {r['case']}: {r['backend']} uses {r['cpu_ratio']:.1f}x netdyn's CPU for the "
                            f"simulation alone, build excluded (goal >= {CPU_GOAL:g}x): "
                            f"{'met' if r['cpu_ratio'] >= CPU_GOAL else 'NOT met'}")
        if r["backend"] == "netdyn" and r["case"] == dendrites_cases.PERF_CASE and "error" not in r:
            verdicts.append(f"per run, {r['case']}: netdyn simulates {r['simulated_s']:g} s in {r['run_wall_s']:.3f} s wall "
                            f"(goal < 1 s): {'met' if r['run_wall_s'] < 1.0 else 'NOT met'}")
    for r in prows:
        if "error" in r or r.get("cpu_ratio") is None or r["backend"].startswith("netdyn (1"):
            continue
        what = "whole protocol, build included"
        if r["timed_conditions"] != r["conditions"]:
            what += f", extrapolated from {r['timed_conditions']} of {r['conditions']} conditions"
        if r["backend"].startswith("netdyn"):
            verdicts.append(f"per protocol, {r['protocol']}: {r['backend']} uses {r['cpu_s']:.2f} CPU s "
                            f"({r['cpu_ratio']:.2f}x the 1-thread call) in {r['wall_s']:.2f} s wall")
            continue
        verdicts.append(f"per protocol, {r['protocol']}: {r['backend']} uses {r['cpu_ratio']:.1f}x netdyn's CPU "
                        f"({what}; goal >= {CPU_GOAL:g}x): {'met' if r['cpu_ratio'] >= CPU_GOAL else 'NOT met'}; "
                        f"peaks agree within {100 * r['max_rel_diff']:.3f} % (largest: {r['max_diff_condition']}, "
                        f"netdyn {r['max_diff_mV'][0]:.4f} mV, Brian2 {r['max_diff_mV'][1]:.4f} mV)")
    for line in verdicts:
        print(line)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"rows": rows, "protocol_rows": prows, "verdicts": verdicts,
                                                   "table": text, "protocol_table": ptext}, indent=1) + "\n")
        print(f"rows saved to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
