"""Benchmark of the chaos study: netdyn's full protocol against the seed's algorithm.

Prints one table, all rows measured in this run on this machine:

* ``netdyn``: the full protocol (5 sessions x 8 gains x 20 trials x 2 twins = 1,600
  trajectories of 7 s at dt = 1 ms) through ``run_chaos`` with ``--workers`` processes,
  results written to Zarr, no figure: wall time, CPU time (this process and its workers),
  peak resident memory (largest single process), CPU seconds per trajectory.
* ``seed (per-neuron objects)``: a faithful re-implementation of the original algorithm,
  per-neuron Python objects each holding its row of weights, updated one at a time, one
  trajectory at a time; timed on a slice of steps and scaled to 7,000 steps x 1,600
  trajectories.
* ``naive batched numpy``: one session's 320 trajectories as one dense matrix, ``W @ R``
  and ``np.tanh`` per step in a Python loop, one thread; timed on a slice, scaled to 5
  sessions.

Run: ``python benchmarks/chaos.py [--workers 2] [--baseline-steps 200]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from netdyn.config.chaos import ChaosConfig  # noqa: E402
from netdyn.studies.chaos import run_chaos, session_network  # noqa: E402


class SeedNeuron:
    """One rate unit as in the seed: holds its weight row and its rate."""

    def __init__(self, weights_row: np.ndarray, rate: float, tau_ms: float):
        self.w = weights_row
        self.rate = rate
        self.tau_ms = tau_ms

    def update(self, rates: np.ndarray, g: float, dt_ms: float) -> float:
        self.rate = self.rate + dt_ms / self.tau_ms * (-self.rate + np.tanh(g * np.dot(self.w, rates)))
        return self.rate


def seed_baseline_seconds_per_trajectory(config: ChaosConfig, n_steps: int) -> float:
    """CPU seconds per 7-s trajectory of the per-neuron-object algorithm (timed on n_steps)."""
    network, r0 = session_network(config, 1)
    w = network.weights.toarray()
    neurons = [SeedNeuron(w[i], r0[0, i], config.tau_ms) for i in range(config.n_neurons)]
    rates = r0[0].copy()
    t0 = time.process_time()
    for _ in range(n_steps):
        old = rates.copy()  # every neuron sees the state before the step
        for i, neuron in enumerate(neurons):
            rates[i] = neuron.update(old, 13.0, config.dt_ms)
    return (time.process_time() - t0) * config.n_steps / n_steps


def naive_batched_seconds(config: ChaosConfig, n_steps: int) -> float:
    """CPU seconds of the naive batched numpy loop for the whole protocol (timed on n_steps)."""
    network, r0 = session_network(config, 1)
    w = network.weights.toarray()
    n_cols = len(config.gains) * 2 * config.trials
    state = np.tile(r0.T, (1, n_cols // config.trials))
    g = np.repeat(np.asarray(config.gains), 2 * config.trials)
    a = config.dt_ms / config.tau_ms
    t0 = time.process_time()
    for _ in range(n_steps):
        state = state + a * (-state + np.tanh(g * (w @ state)))
    return (time.process_time() - t0) * config.n_steps / n_steps * config.sessions


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0  # ru_maxrss is in KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-steps", type=int, default=700, help="steps timed for the baselines")
    parser.add_argument("--json", action="store_true", help="also print the table as one JSON line")
    args = parser.parse_args(argv)

    config = ChaosConfig()
    n_traj = config.sessions * len(config.gains) * config.trials * 2

    # warm the numba cache so that compilation is not timed (a user's second run)
    with tempfile.TemporaryDirectory() as tmp:
        run_chaos(config.replace(sessions=1, trials=1, duration_ms=10.0), tmp, workers=0, progress=False, figure=False)

    with tempfile.TemporaryDirectory() as tmp:
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        run_chaos(config, tmp, workers=args.workers, progress=False, figure=False)
        wall = time.perf_counter() - wall0
        cpu = cpu_seconds() - cpu0
        rss = peak_rss_mb()

    seed_per_traj = seed_baseline_seconds_per_trajectory(config, args.baseline_steps)
    naive_total = naive_batched_seconds(config, args.baseline_steps)
    rows = [
        ("netdyn run_chaos", wall, cpu, cpu / n_traj, rss),
        ("seed per-neuron objects (scaled)", float("nan"), seed_per_traj * n_traj, seed_per_traj, float("nan")),
        ("naive batched numpy (scaled)", float("nan"), naive_total, naive_total / n_traj, float("nan")),
    ]
    print(f"chaos full protocol: {n_traj} trajectories x {config.n_steps} steps, N={config.n_neurons}, "
          f"workers={args.workers}, cores={os.cpu_count()}")
    print(f"{'implementation':36s} {'wall s':>8s} {'CPU s':>10s} {'CPU s/traj':>11s} {'peak MB':>8s}")
    for name, w, c, per, mem in rows:
        print(f"{name:36s} {w:8.2f} {c:10.1f} {per:11.5f} {mem:8.0f}")
    print(f"CPU per trajectory: netdyn is {seed_per_traj / (cpu / n_traj):.0f}x cheaper than the seed's algorithm, "
          f"{(naive_total / n_traj) / (cpu / n_traj):.1f}x cheaper than naive batched numpy")
    if args.json:
        print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss, "seed_cpu_s_per_traj": seed_per_traj,
                          "naive_cpu_s_total": naive_total, "n_trajectories": n_traj}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
