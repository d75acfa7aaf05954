"""Procedural against stored connectivity in netdyn's spiking engine: build time, real-time
factor, memory and cost per synaptic event, and where regenerating the synapses pays.

Every case is built and run in its own process (``--case``, one JSON line: the record of
:func:`netdyn.studies.bench.measure`), so that its peak resident memory is its own:

* COBA (Vogels & Abbott 2005) at each ``--sizes`` N, Bernoulli wiring p = 80 / N (the rule is
  regenerated with the stored rule's law at every size; fixed indegrees would not be:
  :mod:`netdyn.connectivity.procedural`);
* the microcircuit (Potjans & Diesmann 2014) at each ``--mc-scales`` k (fixed total numbers);
* the multi-area model (ground state) at each ``--ma-scales`` s;

each ``stored`` and ``procedural``, with ``--threads`` threads for ``--duration-ms``.

Columns: build wall s; RTF (run wall s per biological s); synapse MB (stored: the CSR,
``net.synapses.nbytes``; procedural: ``net.procedural.nbytes``, the out-degrees of counted
rules, plus the CSR's empty row pointers); ring MB (the delay ring, ``net.ring.nbytes``); peak
RSS MB of the process; synaptic events (each spike of a projection's source delivers the
projection's mean out-degree: :func:`netdyn.studies.bench.synaptic_events`) per wall second of
the run; ns per event (run wall time per event, the neuron updates and drives included); and,
on the procedural row, the cost ratio procedural / stored per event.

Then the crossover: with ``dB`` the build time procedural saves and ``dR`` the run time it
costs per biological second, procedural is faster overall (build + run) for simulations
shorter than ``D* = dB / dR`` biological seconds. With a build time proportional to the
synapses and run times to the events (events per bio s = synapses x the sources' mean rate),
``D*`` does not depend on the size; it moves only as the costs per synapse and per event do
(caches). Last, the sizes at which the stored form no longer fits in this machine's available
memory (:func:`netdyn.engines.spiking.build.estimate_memory` against 90 % of
:func:`~netdyn.engines.spiking.build.available_memory_bytes`, the check ``Network`` makes),
beside the procedural form's estimate at that size.

``--fullscale-multiarea`` adds the full-scale multi-area model (4.1 million neurons, 2.4e10
synapses: ~240 GB stored), procedural only: ~32 GB by :func:`procedural_memory_bytes`, 30 GB
of it the delay ring (900 slots of 8.3 million float32 channels: the longest delays, mean + 8 SD,
reach 90 ms). It is skipped, with the estimate, where that does not fit in 90 % of the
available memory.

Run: ``python benchmarks/procedural.py [--sizes 4000,20000] [--mc-scales 0.1,0.25]
[--ma-scales 0.01,0.02] [--threads 1] [--duration-ms 500] [--seed 1] [--fullscale-multiarea]
[--json-out rows.json]`` (the defaults take a few minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spiking import fmt, report, run_json  # noqa: E402  (the sibling benchmark's helpers)

MODES = ("stored", "procedural")
MB = 1e6
GB = 1e9
MA_PRESET = "ground"
MEMORY_SCAN = {"coba": [2**k * 1000 for k in range(2, 21)], "microcircuit": [0.1, 0.25, 0.5, 1.0],
               "multiarea": [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0]}
"""Sizes at which the memory of each model is estimated (COBA: neurons; the others: scale)."""


# ----------------------------------------------------------------------------- one case
def case_spec(model: str, size: float, seed: int) -> Any:
    """The network of ``model`` at ``size`` (COBA: neurons; microcircuit, multiarea: scale)."""
    if model == "coba":
        from netdyn.studies.coba import coba_spec

        return coba_spec(int(size), seed=seed)
    if model == "microcircuit":
        from netdyn.studies.microcircuit import microcircuit_spec

        return microcircuit_spec(float(size), seed=seed)
    from netdyn.config.multiarea import MultiAreaModelConfig
    from netdyn.studies.multiarea.network import model_parameters, multiarea_spec

    return multiarea_spec(model_parameters(MultiAreaModelConfig(preset=MA_PRESET, scale=float(size))), seed=seed)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Build and run one case (``model``, ``size``, ``mode``, ``threads``, ``duration_ms``,
    ``seed``) in this process; its :func:`~netdyn.studies.bench.measure` record."""
    from netdyn.studies.bench import measure

    spec = case_spec(case["model"], case["size"], case["seed"])
    return measure(spec, case["duration_ms"], model=case["model"], threads=case["threads"],
                   connectivity=case["mode"], extra={"size": case["size"]})


def case_command(case: dict[str, Any]) -> list[str]:
    """The command that runs ``case`` in a fresh process."""
    return [sys.executable, str(Path(__file__).resolve()), "--case", json.dumps(case)]


# ----------------------------------------------------------------------------- derived numbers
def ns_per_event(row: dict[str, Any]) -> float:
    """Run wall time per synaptic event (ns); NaN without events."""
    events = row.get("synaptic_events") or 0.0
    return row["run_s"] / events * 1e9 if events > 0 else float("nan")


def events_per_s(row: dict[str, Any]) -> float:
    """Synaptic events per wall second of the run."""
    return row["synaptic_events"] / row["run_s"] if row["run_s"] > 0 else float("nan")


def synapse_bytes(row: dict[str, Any]) -> int:
    """Bytes of the synapse structures: the CSR and the procedural projections' arrays."""
    return int(row["synapse_bytes"] + row["procedural_bytes"])


def pairs(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(stored, procedural) rows of the same model and size, both measured."""
    ok = {(r["model"], r["size"], r["connectivity"]): r for r in rows if "error" not in r}
    return [(ok[(m, s, "stored")], ok[(m, s, "procedural")]) for (m, s, mode) in ok
            if mode == "procedural" and (m, s, "stored") in ok]


def cost_ratio(rows: list[dict[str, Any]], row: dict[str, Any]) -> float:
    """Procedural / stored run time per event of ``row``'s model and size (NaN if unpaired)."""
    for stored, proc in pairs(rows):
        if proc is row:
            return ns_per_event(proc) / ns_per_event(stored)
    return float("nan")


# ----------------------------------------------------------------------------- output
def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per case (columns: see the module docstring)."""
    print(f"{'model':12s} {'size':>8s} {'connectivity':12s} {'threads':>7s} {'neurons':>9s} {'synapses':>14s} "
          f"{'build s':>8s} {'RTF':>8s} {'syn MB':>9s} {'ring MB':>8s} {'peak MB':>8s} {'rate Hz':>8s} "
          f"{'events/s':>10s} {'ns/event':>9s} {'cost P/S':>8s}")
    for r in rows:
        head = f"{r['model']:12s} {r['size']:>8g} {r['connectivity']:12s} {r['threads']:7d}"
        if "error" in r:
            print(f"{head}  {r['error']}")
            continue
        n_syn = r["n_synapses"] + r["procedural_synapses"]
        print(f"{head} {r['n_neurons']:9d} {fmt(n_syn, '14,.0f')} {r['build_s']:8.2f} {r['real_time_factor']:8.3f} "
              f"{synapse_bytes(r) / MB:9.2f} {r['ring_bytes'] / MB:8.2f} {r['peak_rss_mb']:8.0f} "
              f"{r['mean_rate_hz']:8.2f} {fmt(events_per_s(r), '10.3g')} {fmt(ns_per_event(r), '9.2f')} "
              f"{fmt(cost_ratio(rows, r) if r['connectivity'] == 'procedural' else None, '8.2f')}")


def crossover_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per measured size, the duration below which procedural is faster overall; per model,
    the same from the largest size's costs per synapse (build) and per event (run)."""
    lines = ["crossover (build + run): procedural is faster for simulations shorter than D* = build saved / "
             "extra run time per bio s (per size: the two runs' RTFs, whose rates differ by the seed spread; per "
             "model: the costs per event)"]
    largest: dict[str, tuple[dict, dict]] = {}
    for stored, proc in pairs(rows):
        d_build = stored["build_s"] - proc["build_s"]
        d_run = proc["real_time_factor"] - stored["real_time_factor"]
        where = f"  {stored['model']} {stored['size']:g}: "
        if d_run <= 0:
            lines.append(where + f"procedural faster at any duration (run {-d_run:.3g} s/bio s faster, build "
                                 f"{d_build:+.3g} s saved)")
        elif d_build <= 0:
            lines.append(where + "stored faster at any duration (it builds no slower and runs faster)")
        else:
            lines.append(where + f"D* = {d_build / d_run:.3g} bio s (build saves {d_build:.3g} s, run costs "
                                 f"{d_run:.3g} s more per bio s)")
        if stored["model"] not in largest or stored["size"] > largest[stored["model"]][0]["size"]:
            largest[stored["model"]] = (stored, proc)
    for model, (stored, proc) in largest.items():
        build_per_syn = (stored["build_s"] - proc["build_s"]) / max(stored["n_synapses"], 1)
        events_per_syn = stored["synaptic_events"] / max(stored["n_synapses"], 1) / (stored["duration_ms"] * 1e-3)
        d_cost = (ns_per_event(proc) - ns_per_event(stored)) * 1e-9
        if d_cost > 0 and build_per_syn > 0:
            lines.append(f"  {model}, from size {stored['size']:g} on (costs per synapse and per event held): "
                         f"D* ~ {build_per_syn / (d_cost * events_per_syn):.3g} bio s at any size "
                         f"({build_per_syn * 1e9:.3g} ns of build per synapse, {events_per_syn:.3g} events per "
                         f"synapse per bio s, {d_cost * 1e9:.3g} ns more per event)")
        elif d_cost <= 0:
            lines.append(f"  {model}, from size {stored['size']:g} on: procedural costs no more per event "
                         f"({d_cost * 1e9:+.3g} ns): faster at any duration")
    return lines


def procedural_memory_bytes(spec: Any, layout: Any) -> int:
    """The memory estimate (bytes) of ``spec`` with every projection that can be procedural."""
    from netdyn.engines.spiking.build import estimate_memory
    from netdyn.engines.spiking.procedural import procedural_projections

    return estimate_memory(spec, layout, procedural_projections(spec, "procedural")).total_bytes


def memory_lines(models: list[str], seed: int) -> list[str]:
    """For each model, the first size of :data:`MEMORY_SCAN` whose stored form does not fit
    in 90 % of the available memory, with both forms' estimates there."""
    from netdyn.engines.spiking.build import available_memory_bytes, estimate_memory, plan_layout

    limit = 0.9 * available_memory_bytes()
    lines = [f"memory: stored vs procedural estimates against 90 % of the available {limit / 0.9 / GB:.1f} GB"]
    for model in models:
        fits = None
        for size in MEMORY_SCAN[model]:
            spec = case_spec(model, size, seed)
            layout = plan_layout(spec)
            stored = estimate_memory(spec, layout).total_bytes
            if stored <= limit:
                fits = (size, stored)
                continue
            largest = f"largest that fits: {fits[0]:g} ({fits[1] / GB:.2f} GB); " if fits else ""
            lines.append(f"  {model}: stored no longer fits from size {size:g} ({stored / GB:.1f} GB stored, "
                         f"{procedural_memory_bytes(spec, layout) / GB:.2f} GB procedural); {largest.rstrip('; ')}")
            break
        else:
            lines.append(f"  {model}: stored fits at every scanned size up to {MEMORY_SCAN[model][-1]:g} "
                         f"({fits[1] / GB:.2f} GB)")
    return lines


def too_large(case: dict[str, Any]) -> str | None:
    """Why ``case`` (procedural) is not run here: its :func:`procedural_memory_bytes` above 90 %
    of the available memory; None if it fits."""
    from netdyn.engines.spiking.build import available_memory_bytes, plan_layout

    spec = case_spec(case["model"], case["size"], case["seed"])
    need, have = procedural_memory_bytes(spec, plan_layout(spec, case["threads"])), available_memory_bytes()
    return f"skipped: needs ~{need / GB:.1f} GB, {have / GB:.1f} GB available" if need > 0.9 * have else None


# ----------------------------------------------------------------------------- main
def numbers(text: str, kind: type) -> list:
    return [kind(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,20000", help="COBA neurons, comma-separated (empty: none)")
    parser.add_argument("--mc-scales", default="0.1,0.25", help="microcircuit scales (empty: none)")
    parser.add_argument("--ma-scales", default="0.01,0.02", help="multi-area scales, ground state (empty: none)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--duration-ms", type=float, default=500.0, help="biological time of every run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fullscale-multiarea", action="store_true",
                        help="also run the full-scale multi-area model, procedural only (~32 GB)")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="per case (the full-scale model: 10x)")
    parser.add_argument("--json-out", default=None, help="save the rows and the crossover lines as JSON here")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)  # one case, in a child process
    args = parser.parse_args(argv)
    if args.case is not None:
        print(json.dumps(run_case(json.loads(args.case))))
        return 0
    if args.threads < 1 or not args.duration_ms > 0:
        parser.error("--threads: >= 1; --duration-ms: > 0")
    grid = {"coba": numbers(args.sizes, int), "microcircuit": numbers(args.mc_scales, float),
            "multiarea": numbers(args.ma_scales, float)}
    cases = [{"model": model, "size": size, "mode": mode} for model, sizes in grid.items() for size in sizes
             for mode in MODES]
    if args.fullscale_multiarea:
        cases.append({"model": "multiarea", "size": 1.0, "mode": "procedural"})
    rows = []
    for case in cases:
        case.update(threads=args.threads, duration_ms=args.duration_ms, seed=args.seed)
        full = case["model"] == "multiarea" and case["size"] == 1.0
        print(f"  {case['model']} {case['size']:g} {case['mode']} ...", flush=True)
        result = too_large(case) if full else None
        if result is None:
            result = run_json(case_command(case), args.timeout_s * (10 if full else 1), args.threads)
        meta = {"model": case["model"], "size": case["size"], "connectivity": case["mode"], "threads": args.threads,
                "duration_ms": args.duration_ms}
        rows.append({**meta, "error": result} if isinstance(result, str) else {**result, **meta})
    print()
    print_table(rows)
    print()
    lines = crossover_lines(rows) + memory_lines([m for m, sizes in grid.items() if sizes], args.seed)
    report(rows, lines, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
