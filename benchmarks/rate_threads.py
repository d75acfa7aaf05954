"""Benchmark of threads inside one run of the batched rate and ODE engines, and of the chaos
engine's distance from its arithmetic floor.

Prints two tables, all rows measured in this run on this machine:

* ``chaos``: one session of 1,600 trajectories (8 gains x 100 trials x 2 twins, N = 200,
  3,959 synapses, 7,000 steps of 1 ms: 4.4e10 multiply-adds, the work of the full
  protocol) through :func:`netdyn.studies.chaos.simulate_session`, float64 and float32, at
  each thread count: wall time, CPU time (all threads of this process), speed-up of the wall
  time over one thread, the multiply-add rate (multiply-adds / CPU s) and the distance from
  the floor (CPU s / floor CPU s).
* ``srnn``: one work unit of the srnn sweep with n = 2,000 neurons (SFA+STD, 6 weight
  scales; Benettin with 12 columns and 2 QR exponents) through
  :func:`netdyn.studies.srnn.simulate_network`: wall, CPU and speed-up.

The floor: multiply-adds at the rate of a tight compiled loop on this machine,
``acc[b] = acc[b] + w[k] * x[k, b]`` over ``k`` (16 rows) and ``b`` (a 256-wide tile in L1),
compiled as the engine is (separate multiply and add: no FMA contraction, which would change
the numbers). It is the engine's inner loop with the best case for its data: dense, in L1,
no transfer function. The floor CPU time is the multiply-adds of the run at that rate.

Run: ``python benchmarks/rate_threads.py [--threads 1,2] [--duration-ms 7000]
[--srnn-duration-s 1.0] [--skip-srnn] [--json]``. Benchmarks never run in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any, Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

from netdyn.config.chaos import ChaosConfig  # noqa: E402
from netdyn.config.srnn import SRNNSweepConfig  # noqa: E402
from netdyn.studies.chaos import session_network, simulate_session  # noqa: E402
from netdyn.studies.srnn import simulate_network  # noqa: E402


def cpu_seconds() -> float:
    """CPU seconds of this process, all its threads (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """``(wall s, CPU s)`` of ``fn()``."""
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    fn()
    return time.perf_counter() - wall0, cpu_seconds() - cpu0


@njit(nogil=True, error_model="numpy")
def _mac_loop(w, x, acc, reps):  # pragma: no cover - compiled
    """``reps`` passes of ``acc[b] = acc[b] + w[k] * x[k, b]``: the engine's inner loop on data in L1."""
    rows, width = x.shape
    for _ in range(reps):
        for k in range(rows):
            wk = w[k]
            for b in range(width):
                acc[b] = acc[b] + wk * x[k, b]


def floor_rate(dtype: str, width: int = 256, rows: int = 16) -> float:
    """Multiply-adds per second of :func:`_mac_loop` (best of 5), one core."""
    rng = np.random.default_rng(0)
    w = (rng.random(rows) * 1e-3).astype(dtype)
    x = rng.random((rows, width)).astype(dtype)
    acc = np.zeros(width, dtype=dtype)
    reps = 20_000
    _mac_loop(w, x, acc, 1)
    best = min(timed(lambda: _mac_loop(w, x, acc, reps))[0] for _ in range(5))
    return rows * width * reps / best


def free_cores(n_threads: int) -> float:
    """How many cores ``n_threads`` threads of :func:`_mac_loop` get now: their summed rate over
    one thread's (the machine may be shared; a speed-up can not exceed this)."""
    from netdyn.engines.threads import run_parallel

    rng = np.random.default_rng(0)
    args = [(rng.random(16), rng.random((16, 256)), np.zeros(256)) for _ in range(n_threads)]
    reps = 100_000
    _mac_loop(*args[0], 1)
    one = timed(lambda: _mac_loop(*args[0], reps))[0]
    many = timed(lambda: run_parallel(lambda tid: _mac_loop(*args[tid], reps), n_threads))[0]
    return n_threads * one / many


def chaos_rows(threads: list[int], duration_ms: float) -> list[dict[str, Any]]:
    """One session of 1,600 trajectories per (dtype, thread count)."""
    base = ChaosConfig(sessions=1, trials=100, duration_ms=duration_ms)
    nnz = session_network(base, 1)[0].weights.nnz
    n_traj = len(base.gains) * base.trials * 2
    macs = float(n_traj) * base.n_steps * nnz
    simulate_session(base.replace(duration_ms=10.0).model_dump_json(), 1)  # compile / load the cache
    rows = []
    for dtype in ("float64", "float32"):
        floor = floor_rate(dtype)
        wall1 = None
        for n in threads:
            cfg = base.replace(dtype=dtype, threads=n)
            wall, cpu = timed(lambda: simulate_session(cfg.model_dump_json(), 1))
            wall1 = wall if wall1 is None else wall1
            rows.append(dict(dtype=dtype, threads=n, wall_s=wall, cpu_s=cpu, speedup=wall1 / wall,
                             gmac_per_s=macs / cpu / 1e9, floor_gmac_per_s=floor / 1e9,
                             floor_cpu_s=macs / floor, x_floor=cpu / (macs / floor), trajectories=n_traj,
                             multiply_adds=macs))
    return rows


def srnn_rows(threads: list[int], duration_s: float) -> list[dict[str, Any]]:
    """One n = 2,000 sweep unit (SFA+STD, one timescale) per thread count."""
    cfg = SRNNSweepConfig(n_units=2000, configurations=("sfa+std",), tau_slowest_s=(2.0,), transient_s=duration_s / 2,
                          duration_s=duration_s)
    simulate_network(cfg.replace(n_units=12, mean_degree=3.0, transient_s=0.02, duration_s=0.02).model_dump_json(), 0)
    rows, wall1 = [], None
    for n in threads:
        wall, cpu = timed(lambda: simulate_network(cfg.replace(threads=n).model_dump_json(), 0))
        wall1 = wall if wall1 is None else wall1
        rows.append(dict(threads=n, wall_s=wall, cpu_s=cpu, speedup=wall1 / wall,
                         simulated_s=cfg.transient_s + cfg.duration_s, columns=2 * len(cfg.weight_scales)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated (first: the reference)")
    parser.add_argument("--duration-ms", type=float, default=7000.0, help="chaos: simulated time per trajectory")
    parser.add_argument("--srnn-duration-s", type=float, default=1.0, help="srnn: averaging span (transient: half)")
    parser.add_argument("--skip-srnn", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the tables as one JSON line")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]

    print("cores free now for " + ", ".join(f"{n} threads: {free_cores(n):.2f}" for n in threads if n > 1)
          + f" (load average {os.getloadavg()[0]:.2f})")
    chaos = chaos_rows(threads, args.duration_ms)
    c0 = chaos[0]
    print(f"chaos: one session of {c0['trajectories']} trajectories x {args.duration_ms:g} ms, "
          f"{c0['multiply_adds']:.2e} multiply-adds; cores = {os.cpu_count()}")
    print(f"{'dtype':8s} {'threads':>7s} {'wall s':>8s} {'CPU s':>8s} {'speed-up':>8s} {'GMAC/s':>7s} "
          f"{'floor GMAC/s':>12s} {'floor CPU s':>11s} {'x floor':>7s}")
    for r in chaos:
        print(f"{r['dtype']:8s} {r['threads']:7d} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['speedup']:8.2f} "
              f"{r['gmac_per_s']:7.2f} {r['floor_gmac_per_s']:12.2f} {r['floor_cpu_s']:11.2f} {r['x_floor']:7.2f}")
    srnn = [] if args.skip_srnn else srnn_rows(threads, args.srnn_duration_s)
    if srnn:
        s0 = srnn[0]
        print(f"srnn sweep unit: n = 2000, SFA+STD, {s0['columns']} Benettin columns + 2 QR exponents, "
              f"{s0['simulated_s']:g} s simulated")
        print(f"{'threads':>7s} {'wall s':>8s} {'CPU s':>8s} {'speed-up':>8s}")
        for r in srnn:
            print(f"{r['threads']:7d} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['speedup']:8.2f}")
    if args.json:
        print(json.dumps({"chaos": chaos, "srnn": srnn}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
