"""Benchmark of the GPU back-end (numba-cuda) against the CPU engine, side by side in one process.

Meant to be run on a lent machine (one NVIDIA H200, 16 CPU cores) as the first stage of
``benchmarks/device_run.sh all``: one call, within a budget. Every GPU row runs before the first
CPU row, so a run cut short keeps the GPU's numbers; ``--deadline-s`` starts no row after that
many seconds, and the JSON is rewritten after every row. Every row is measured in this run, GPU
and CPU alike:

* COBA (Vogels & Abbott 2005, lif_cond_exp) of ``--coba-neurons`` (100,000) neurons for
  ``--coba-ms`` (1 s) of biological time (fixed indegrees 64 E + 16 I above 20k neurons, as in
  ``benchmarks/spiking.py``; Bernoulli p = 80/N below): ``Network(spec, backend="gpu")`` against
  ``Network(spec, backend="netdyn", threads=--threads)``.
* the Potjans-Diesmann microcircuit at ``--mc-scale`` (1.0: 77k neurons, ~300M synapses) for
  ``--mc-ms`` (1 s), the same two back-ends.
* the chaos protocol: all sessions of ``ChaosConfig()`` (5 sessions x 8 gains x 20 trials x
  2 twins = 1,600 trajectories of a 200-unit network, 7,000 steps of 1 ms), each session
  integrated as ``simulate_session`` does (twin-divergence and sample observers) with
  ``integrate(..., backend="gpu")`` against ``backend="numba", threads=--threads``; the
  Lyapunov exponents (per gain >= chaos_min_gain, mean over sessions) of both back-ends are
  printed next to each other so they can be compared.
* ``multiarea`` (not in the default ``--cases``; an H200's memory): the multi-area model of
  macaque cortex (Schmidt et al. 2018; preset "ground", ``--mam-scale`` 1.0: all 32 areas, 4.13
  million neurons) with procedural connectivity (synapses regenerated per spike, none stored):
  ``Network(spec, backend="gpu", connectivity="procedural")`` for ``--mam-ms`` (200 ms) against
  ``Network(spec, backend="netdyn", threads=--threads, connectivity="procedural")`` for
  ``--mam-cpu-ms`` (20 ms; the CPU engine needs about 28 min per biological second on 2 threads at
  full scale), each after ``--mam-warmup-ms`` (5 ms) untimed.

Each spiking network first runs ``--warmup-ms`` (20 ms; multiarea: ``--mam-warmup-ms``) untimed, so that compilation is not in
the run time; its spikes are left out of the counts. Each row gives build wall s, run wall s,
the real-time factor (run wall / biological time; < 1 is faster than real time), spike counts
and mean rates per population; then the GPU speed-up (CPU run s / GPU run s).

Goals of the issue, in real-time factors (RTF = wall time / biological time; < 1 is faster than
real time): the full microcircuit faster than real time on the H200 (RTF < 1; GeNN on a V100
ran it at RTF ~0.5, i.e. 0.5 s of wall time per biological second, twice faster than real
time); the full multi-area model faster than GeNN's published single-GPU figure (Knight &
Nowotny 2021, Nature Computational Science 1:136; that number is not in this repository, so the
measured RTF is printed to be compared with the paper's); and the whole chaos protocol in under
a second.

Without a GPU (``cuda_or_error`` raises ConfigError) the script prints why and exits 0, running
nothing. ``NUMBA_ENABLE_CUDASIM=1 ... --quick`` smoke-tests it in numba's CUDA simulator.

Run: ``python benchmarks/gpu.py [--cases microcircuit,chaos,coba,multiarea] [--threads 16]
[--skip-cpu] [--quick] [--deadline-s S] [--out gpu_benchmark.json] [--mam-scale 1] [--mam-ms 200]
[--mam-cpu-ms 20]``; the rows run in the order of ``--cases``, the GPU's first.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from spiking import fmt  # noqa: E402  (benchmarks/spiking.py)

CASES = ("coba", "microcircuit", "chaos", "multiarea")
DEFAULT_CASES = ("microcircuit", "chaos", "coba")  # the goals first; multiarea on request (an H200's memory)
MAM_SIM_SCALE = 3e-4  # --quick multiarea in the CUDA simulator: ~1,100 neurons, 218 populations


def say(*parts) -> None:
    print(*parts, flush=True)


def backend_label(backend: str, threads: int) -> str:
    """The row's back-end as the table and the JSON name it: ``gpu`` or ``cpu[N thr]``."""
    return "gpu" if backend == "gpu" else f"cpu[{threads} thr]"


def spike_summary(net, t_start_ms: float, t_stop_ms: float) -> dict:
    """Spikes in [t_start_ms, t_stop_ms) and mean rate (Hz) per population and overall."""
    rec = net.recording()
    seconds = (t_stop_ms - t_start_ms) * 1e-3
    pops, total, neurons = {}, 0, 0
    for name, trains in rec.spikes.items():
        n = int(trains.window(t_start_ms, t_stop_ms).n_spikes)
        m = int(trains.n_recorded)
        pops[name] = {"spikes": n, "n_neurons": m, "rate_hz": n / (m * seconds) if m and seconds > 0 else None}
        total += n
        neurons += m
    return {"spikes": total, "n_neurons": neurons,
            "rate_hz": total / (neurons * seconds) if neurons and seconds > 0 else None, "populations": pops}


def run_spiking(case: str, make_spec, backend: str, threads: int, warmup_ms: float, duration_ms: float,
                connectivity: str = "stored") -> dict:
    """Build, warm up, time one run of ``duration_ms``; the network is freed before returning."""
    from netdyn.engines.spiking.network import Network

    label = backend_label(backend, threads)
    say(f"[{case}] {label}: building ...")
    t0 = time.perf_counter()
    kwargs = {"backend": backend} if backend == "gpu" else {"backend": backend, "threads": threads}
    if connectivity != "stored":
        kwargs["connectivity"] = connectivity
    net = Network(make_spec(), **kwargs)
    build_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    if warmup_ms > 0:
        net.run(warmup_ms, progress=False)
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(duration_ms, progress=False)
    run_s = time.perf_counter() - t0
    summary = spike_summary(net, warmup_ms, warmup_ms + duration_ms)
    row = {"case": case, "backend": label, "threads": None if backend == "gpu" else threads,
           "connectivity": connectivity, "build_s": float(getattr(net, "build_time_s", build_wall)), "build_wall_s": build_wall,
           "warmup_s": warm_s, "run_s": run_s, "bio_s": duration_ms * 1e-3,
           "rtf": run_s / (duration_ms * 1e-3), **summary}
    say(f"[{case}] {label}: build {row['build_s']:.2f} s, warm-up {warm_s:.2f} s, run {run_s:.3f} s for "
        f"{duration_ms:g} ms (RTF {row['rtf']:.3f}), {row['spikes']:,d} spikes, mean rate {fmt(row['rate_hz'], '.2f')} Hz")
    if len(summary["populations"]) <= 24:
        say("    " + ", ".join(f"{p}: {v['spikes']:,d} sp / {fmt(v['rate_hz'], '.2f')} Hz"
                              for p, v in summary["populations"].items()))
    else:
        say(f"    ({len(summary['populations'])} populations: per population in the JSON)")
    del net
    gc.collect()
    return row


def chaos_config(quick: bool, simulated: bool, threads: int):
    from netdyn.config.chaos import ChaosConfig

    if not quick:
        return ChaosConfig(threads=threads)
    if simulated:
        return ChaosConfig(sessions=1, gains=(13.0,), trials=2, duration_ms=10.0, threads=threads)
    return ChaosConfig(sessions=1, gains=(4.0, 13.0), trials=2, duration_ms=50.0, threads=threads)


def simulate_chaos(config, backend: str, threads: int) -> tuple[float, float, dict]:
    """All sessions of ``config`` as ``simulate_session`` integrates them; returns (wall s of the
    integrations, wall s including network construction, exponent per gain per session)."""
    from netdyn.analysis.lyapunov import twin_trajectory_exponent
    from netdyn.engines import integrate
    from netdyn.record import SampledUnits, TwinDivergence
    from netdyn.studies.chaos import _batch_layout, session_network

    gain, ref_cols, twin_cols = _batch_layout(config)
    n_g, n_t = len(config.gains), config.trials
    sim_s = 0.0
    t_all = time.perf_counter()
    exponents: dict[float, list[float]] = {g: [] for g in config.gains if g >= config.chaos_min_gain}
    for session in range(1, config.sessions + 1):
        network, r0 = session_network(config, session)
        start = np.tile(r0.T, (1, 2 * n_g))
        start[:, n_g * n_t:] += config.perturbation
        example_cols = np.stack([ref_cols, twin_cols], axis=1).reshape(n_g, n_t, 2)[:, config.trial_index, :]
        divergence = TwinDivergence(ref_cols, twin_cols)
        example = SampledUnits([config.unit_index], trajectories=example_cols.ravel())
        extra = {} if backend == "gpu" else {"threads": threads}
        t0 = time.perf_counter()
        integrate(network, start, duration_ms=config.duration_ms, dt_ms=config.dt_ms, gain=gain,
                  method=config.method, dtype=config.dtype, observers=[divergence, example], backend=backend, **extra)
        sim_s += time.perf_counter() - t0
        div = divergence.data.T.reshape(n_g, n_t, -1)
        for gi, g in enumerate(config.gains):
            if g < config.chaos_min_gain:
                continue
            try:
                est = twin_trajectory_exponent(div[gi], divergence.time_ms, final_threshold=config.final_threshold,
                                               cut_fraction=config.cut_fraction)
                exponents[g].append(float(est.exponent_per_s))
            except Exception as exc:  # a too-short quick run may leave no non-stable trial
                say(f"    exponent at g={g:g}, session {session}: {type(exc).__name__}: {exc}")
                exponents[g].append(float("nan"))
    return sim_s, time.perf_counter() - t_all, exponents


def run_chaos(config, backend: str, threads: int) -> dict:
    label = backend_label(backend, threads)
    warm = config.model_copy(update={"sessions": 1, "duration_ms": 10 * config.dt_ms})
    say(f"[chaos] {label}: warm-up (compile) ...")
    t0 = time.perf_counter()
    simulate_chaos(warm, backend, threads)
    warm_s = time.perf_counter() - t0
    sim_s, total_s, exponents = simulate_chaos(config, backend, threads)
    means = {f"{g:g}": (float(np.nanmean(v)) if np.isfinite(v).any() else None) for g, v in exponents.items()}
    trajectories = config.sessions * len(config.gains) * config.trials * 2
    row = {"case": "chaos", "backend": label, "threads": None if backend == "gpu" else threads,
           "warmup_s": warm_s, "run_s": sim_s, "total_s": total_s, "build_s": total_s - sim_s,
           "bio_s": config.duration_ms * 1e-3, "trajectories": trajectories, "sessions": config.sessions,
           "n_steps": config.n_steps, "exponent_mean_per_s": means,
           "exponent_per_session": {f"{g:g}": v for g, v in exponents.items()}}
    say(f"[chaos] {label}: {config.sessions} sessions, {trajectories:,d} trajectories x {config.n_steps:,d} steps: "
        f"simulation {sim_s:.3f} s (with network construction {total_s:.3f} s, warm-up {warm_s:.2f} s)")
    return row


def print_exponents(rows: list[dict]) -> None:
    chaos = [r for r in rows if r["case"] == "chaos" and measured(r)]
    if not chaos:
        return
    gains = list(chaos[0]["exponent_mean_per_s"])
    say("\nLyapunov exponent (1/s), mean over sessions:")
    say("| g | " + " | ".join(r["backend"] for r in chaos) + (" | GPU - CPU |" if len(chaos) == 2 else " |"))
    say("|---|" + "---:|" * (len(chaos) + (1 if len(chaos) == 2 else 0)))
    for g in gains:
        vals = [r["exponent_mean_per_s"].get(g) for r in chaos]
        diff = ""
        if len(vals) == 2:
            diff = " | " + (fmt(vals[0] - vals[1], ".4f") if None not in vals else "-")
        say(f"| {g} | " + " | ".join(fmt(v, ".4f") for v in vals) + diff + " |")


def print_spike_comparison(rows: list[dict], case: str) -> None:
    same = [r for r in rows if r["case"] == case and measured(r)]
    if len(same) != 2:
        return
    gpu, cpu = same
    say(f"\n{case}: spikes and rates, {gpu['backend']} vs {cpu['backend']}:")
    say("| population | GPU spikes | CPU spikes | GPU Hz | CPU Hz |")
    say("|---|---:|---:|---:|---:|")
    for p in gpu["populations"]:
        a, b = gpu["populations"][p], cpu["populations"].get(p, {})
        say(f"| {p} | {a['spikes']:,d} | {fmt(b.get('spikes'), ',d')} | {fmt(a['rate_hz'], '.3f')} | "
            f"{fmt(b.get('rate_hz'), '.3f')} |")
    say(f"| all | {gpu['spikes']:,d} | {cpu['spikes']:,d} | {fmt(gpu['rate_hz'], '.3f')} | {fmt(cpu['rate_hz'], '.3f')} |")


def print_table(rows: list[dict]) -> None:
    say("\n| case | size | back-end | build s | run s | bio s | RTF | spikes | rate Hz | GPU speed-up |")
    say("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    gpu_run = {r["case"]: r["run_s"] for r in rows if r["backend"] == "gpu" and measured(r)}
    for r in rows:
        if not measured(r):
            what = f"error: {r['error']}" if "error" in r else f"skipped: {r['skipped']}"
            say(f"| {r['case']} | {r.get('size', '')} | {r['backend']} | {what} |||||||")
            continue
        speedup = r["run_s"] / gpu_run[r["case"]] if r["backend"] != "gpu" and r["case"] in gpu_run else None
        spiking = r["case"] != "chaos"
        say(f"| {r['case']} | {r.get('size', '')} | {r['backend']} | {fmt(r.get('build_s'), '.2f')} | "
            f"{fmt(r['run_s'], '.3f')} | {fmt(r['bio_s'], 'g')} | {fmt(r['rtf'] if spiking else None, '.3f')} | "
            f"{fmt(r.get('spikes'), ',d')} | {fmt(r.get('rate_hz'), '.2f')} | {fmt(speedup, '.2f')} |")


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a run killed at any point leaves the
    last complete version (the device tool returns what is under $OUT even after a timeout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


def measured(row: dict) -> bool:
    """Whether ``row`` holds a measurement (neither failed nor skipped)."""
    return "error" not in row and "skipped" not in row


def main(argv: list[str] | None = None) -> int:
    t_start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES),
                        help="subset of " + ",".join(CASES) + " (default: " + ",".join(DEFAULT_CASES) + ")")
    parser.add_argument("--threads", type=int, default=16, help="threads of the CPU engine")
    parser.add_argument("--skip-cpu", action="store_true", help="GPU rows only")
    parser.add_argument("--quick", action="store_true", help="seconds-scale sizes (smoke test)")
    parser.add_argument("--coba-neurons", type=int, default=100000)
    parser.add_argument("--coba-ms", type=float, default=1000.0)
    parser.add_argument("--mc-scale", type=float, default=1.0)
    parser.add_argument("--mc-ms", type=float, default=1000.0)
    parser.add_argument("--warmup-ms", type=float, default=20.0, help="untimed run before each spiking run")
    parser.add_argument("--mam-scale", type=float, default=1.0, help="multi-area model scale (1: 4.13M neurons)")
    parser.add_argument("--mam-ms", type=float, default=200.0, help="multi-area biological time on the GPU")
    parser.add_argument("--mam-cpu-ms", type=float, default=20.0, help="multi-area biological time on the CPU")
    parser.add_argument("--mam-warmup-ms", type=float, default=5.0, help="untimed multi-area run first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline-s", type=float, default=None,
                        help="start no row after this many seconds from the start (a row already running "
                        "finishes); the rows not started are listed as skipped")
    parser.add_argument("--out", default="gpu_benchmark.json", help="results as JSON (rewritten after every row)")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"--cases: unknown {sorted(unknown)}; choose from {CASES}")

    from netdyn.engines.gpu import device
    from netdyn.errors import ConfigError

    try:
        cuda = device.cuda_or_error()
    except ConfigError as exc:
        say(f"no GPU: {exc}\nbenchmarks/gpu.py skipped (nothing was run)")
        return 0
    import numba

    sim = device.simulated()
    name = "numba CUDA simulator" if sim else cuda.get_current_device().name
    name = name.decode() if isinstance(name, bytes) else str(name)
    info = {"device": name, "simulated": sim, "numba": numba.__version__, "cpu_count": os.cpu_count(),
            "launch_mode": device.launch_mode(), "threads": args.threads, "python": platform.python_version(),
            "quick": args.quick}
    say(f"device: {name}; numba {numba.__version__}; CPUs: {os.cpu_count()}; launch mode: {info['launch_mode']}; "
        f"CPU threads: {args.threads}; python {info['python']}")

    if args.quick:
        args.coba_neurons, args.coba_ms = (100, 2.0) if sim else (400, 20.0)
        args.mc_scale, args.mc_ms = (0.002, 1.0) if sim else (0.01, 10.0)
        args.warmup_ms = 1.0 if sim else 5.0
        args.mam_scale, args.mam_ms, args.mam_cpu_ms = (MAM_SIM_SCALE, 3.0, 3.0) if sim else (0.001, 5.0, 5.0)
        args.mam_warmup_ms = 1.0
    backends = [("gpu", 1)] + ([] if args.skip_cpu else [("netdyn", args.threads)])
    jobs = []  # (case, size, backend, threads, run): every GPU row first, so a cut run keeps them
    if "coba" in cases:
        from netdyn.studies.coba import coba_spec

        wiring = "fixed_indegree" if args.coba_neurons > 20000 else "bernoulli"
        make_coba = lambda: coba_spec(args.coba_neurons, seed=args.seed, wiring=wiring, record_spikes=True)  # noqa: E731
        for backend, thr in backends:
            jobs.append(("coba", f"N={args.coba_neurons} {wiring}", backend, thr,
                         lambda backend=backend, thr=thr: run_spiking("coba", make_coba, backend, thr, args.warmup_ms,
                                                                      args.coba_ms)))
    if "microcircuit" in cases:
        from netdyn.studies.microcircuit import microcircuit_spec

        make_mc = lambda: microcircuit_spec(args.mc_scale, seed=args.seed, record_spikes=True)  # noqa: E731
        for backend, thr in backends:
            jobs.append(("microcircuit", f"k={args.mc_scale:g}", backend, thr,
                         lambda backend=backend, thr=thr: run_spiking("microcircuit", make_mc, backend, thr,
                                                                      args.warmup_ms, args.mc_ms)))
    if "chaos" in cases:
        config = chaos_config(args.quick, sim, args.threads)
        size = f"{config.sessions}x{len(config.gains)}x{config.trials}x2, {config.n_steps} steps"
        for backend, thr in backends:
            jobs.append(("chaos", size, backend, thr,
                         lambda backend=backend, thr=thr: run_chaos(config, "gpu" if backend == "gpu" else "numba",
                                                                    thr)))
    if "multiarea" in cases:
        from netdyn.config.multiarea import MultiAreaModelConfig
        from netdyn.studies.multiarea import model_parameters, multiarea_spec

        t0 = time.perf_counter()
        par = model_parameters(MultiAreaModelConfig(preset="ground", scale=args.mam_scale))
        make_mam = lambda: multiarea_spec(par, seed=args.seed, record_spikes=True)  # noqa: E731
        say(f"[multiarea] model numbers at scale {args.mam_scale:g}: {int(par['n_neurons'].sum()):,d} neurons "
            f"({time.perf_counter() - t0:.1f} s)")
        for backend, thr in backends:
            ms = args.mam_ms if backend == "gpu" else args.mam_cpu_ms
            jobs.append(("multiarea", f"scale={args.mam_scale:g} procedural", backend, thr,
                         lambda backend=backend, thr=thr, ms=ms: run_spiking("multiarea", make_mam, backend, thr,
                                                                             args.mam_warmup_ms, ms,
                                                                             connectivity="procedural")))
    jobs.sort(key=lambda job: (job[2] != "gpu", cases.index(job[0])))
    out = Path(args.out)
    rows: list[dict] = []
    for case, size, backend, thr, fn in jobs:
        label = backend_label(backend, thr)
        elapsed = time.perf_counter() - t_start
        if args.deadline_s is not None and elapsed >= args.deadline_s:
            say(f"[{case}] {label}: skipped, {elapsed:.0f} s of the --deadline-s {args.deadline_s:g} have passed")
            row = {"case": case, "backend": label, "skipped": f"deadline ({elapsed:.0f} s >= {args.deadline_s:g} s)"}
        else:
            try:
                row = fn()
            except Exception as exc:  # one failing row must not lose the others
                say(f"[{case}] {label}: FAILED: {type(exc).__name__}: {exc}")
                row = {"case": case, "backend": label, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        row["size"] = size
        rows.append(row)
        write_json(out, {"info": info, "rows": rows, "goals": [], "complete": False})
        gc.collect()
    for case in ("coba", "microcircuit"):
        print_spike_comparison(rows, case)
    print_exponents(rows)
    print_table(rows)
    goals = []
    for r in rows:
        if r["backend"] != "gpu" or not measured(r):
            continue
        if r["case"] == "microcircuit":
            goals.append(f"microcircuit {r['size']} on the GPU: RTF {r['rtf']:.3f} (goal < 1, faster than real time; "
                         f"GeNN/V100: RTF ~0.5): {'met' if r['rtf'] < 1 else 'NOT met'}")
        if r["case"] == "multiarea":
            goals.append(f"multiarea {r['size']} on the GPU: RTF {r['rtf']:.3f} (goal: below GeNN's published "
                         "single-GPU RTF, Knight & Nowotny 2021, Nat. Comput. Sci. 1:136; compare by hand)")
        if r["case"] == "chaos":
            goals.append(f"chaos protocol on the GPU: {r['run_s']:.3f} s (goal < 1 s): "
                         f"{'met' if r['run_s'] < 1 else 'NOT met'}")
    for line in goals:
        say(line)
    say(f"total wall time {time.perf_counter() - t_start:.1f} s")
    write_json(out, {"info": info, "rows": rows, "goals": goals, "complete": True})
    say(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
