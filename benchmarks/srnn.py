"""Benchmark of the srnn study: netdyn against the reference Python port's method.

Prints one table, all rows measured in this run on this machine:

* ``reference method``: a faithful re-implementation of the reference Python port
  (its ``dynamics.py`` and Benettin loop): the vector field as one numpy function of one state vector
  (``[a_E; a_I; b_E; b_I; u_d]``, timescale-fastest packing), the input through
  ``scipy.interpolate.interp1d``; the fiducial trajectory by ``scipy.integrate.solve_ivp``
  (RK45, ``max_step = dt``, ``t_eval`` on the 1-ms grid), then Benettin with **one
  ``solve_ivp`` call per 12-ms interval** for the perturbed copy, b clipped to [0, 1].
  Timed on the SFA+STD configuration: the fiducial run whole, Benettin on
  ``--baseline-intervals`` of its 1666 intervals, scaled to 1666 and to the four
  configurations (labelled "scaled").
* ``netdyn basic``: :func:`netdyn.studies.srnn.run_srnn_basic` for the four
  configurations, in this process (``workers=0``), with the Benettin LLE (RK4, 1 ms), results written to Zarr, no figure;
  once without the QR spectrum and once with the default 4 leading QR exponents.
* ``netdyn sweep``: throughput of one work unit of the default sweep
  (:func:`netdyn.studies.srnn.simulate_network`), in network-seconds per CPU-second:
  simulated seconds of every (weight scale, configuration, timescale) trajectory of the
  unit (reference trajectories only: Benettin's perturbed copies and the QR tangent
  vectors are the unit's extra work, not counted) divided by its CPU time.

Run: ``python benchmarks/srnn.py [--baseline-intervals 150] [--json]``.
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
from scipy.integrate import solve_ivp  # noqa: E402
from scipy.interpolate import interp1d  # noqa: E402

from netdyn.config.srnn import SRNNBasicConfig, SRNNSweepConfig  # noqa: E402
from netdyn.models.srnn import basic_example_input, basic_example_network  # noqa: E402
from netdyn.studies.srnn import run_srnn_basic, simulate_network  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class ReferencePort:
    """The reference Python port's dynamics (``dynamics.py``), one state vector per call."""

    def __init__(self, adaptation: str):
        net = basic_example_network(adaptation)
        self.M = np.asarray(net.weights)
        self.n = net.n_units
        exc = np.asarray(net.is_excitatory)
        self.n_E, self.n_I = int(exc.sum()), int((~exc).sum())
        self.tau_a = np.asarray(net.tau_a_e_s)
        self.n_a_E, self.n_b_E = len(net.tau_a_e_s), len(net.tau_b_e_s)
        self.tau_b = np.asarray(net.tau_b_e_s)
        self.tau_d, self.tau_STD = net.tau_d_s, net.tau_std_s
        self.c_SFA = np.where(exc, 1.0 / max(self.n_a_E, 1), 0.0) if self.n_a_E else np.zeros(self.n)
        self.F_STD = exc.astype(float) if self.n_b_E else np.zeros(self.n)
        self.t = np.round(np.arange(-10.0, 10.0 + 5e-4, 1e-3), 9)
        self.u_interp = interp1d(self.t, basic_example_input(self.t).T, kind="linear", fill_value=np.nan,
                                 bounds_error=False)
        self.dim = self.n_a_E * self.n_E + self.n_b_E * self.n_E + self.n

    def initial_state(self) -> np.ndarray:
        x = np.zeros(self.dim)
        x[self.n_a_E * self.n_E: self.n_a_E * self.n_E + self.n_b_E * self.n_E] = 1.0
        return x

    def b_slice(self) -> slice:
        start = self.n_a_E * self.n_E
        return slice(start, start + self.n_b_E * self.n_E)

    def dynamics(self, t: float, X: np.ndarray) -> np.ndarray:
        n, n_E = self.n, self.n_E
        off = 0
        a_E = X[off: off + self.n_a_E * n_E].reshape(n_E, self.n_a_E) if self.n_a_E else None
        off += self.n_a_E * n_E
        b_E = X[off: off + self.n_b_E * n_E].reshape(n_E, self.n_b_E) if self.n_b_E else None
        off += self.n_b_E * n_E
        u_d = X[off: off + n]
        u_ex = self.u_interp(t)
        u_eff = u_d.copy()
        if a_E is not None:
            u_eff[:n_E] -= self.c_SFA[:n_E] * a_E.sum(axis=1)
        r = np.maximum(u_eff, 0.0)
        p = r.copy()
        if b_E is not None:
            p[:n_E] *= np.prod(b_E, axis=1)
        out = []
        if a_E is not None:
            out.append(((r[:n_E, None] - a_E) / self.tau_a[None, :]).ravel())
        if b_E is not None:
            db = (1.0 - b_E) / self.tau_b[None, :] - (self.F_STD[:n_E] * p[:n_E] / self.tau_STD)[:, None]
            out.append(db.ravel())
        out.append((-u_d + u_ex + self.M @ p) / self.tau_d)
        return np.concatenate(out)

    def fiducial(self) -> np.ndarray:
        sol = solve_ivp(self.dynamics, (-10.0, 10.0), self.initial_state(), method="RK45", t_eval=self.t,
                        max_step=1e-3, rtol=1e-7, atol=1e-8)
        return sol.y

    def benettin(self, X: np.ndarray, n_intervals: int, seed: int = 0) -> float:
        """Seconds spent on ``n_intervals`` Benettin intervals (one solve_ivp each)."""
        deci, d0 = 12, 1e-3
        rng = np.random.default_rng(seed)
        pert = rng.standard_normal(self.dim)
        pert *= d0 / np.linalg.norm(pert)
        bs = self.b_slice()
        t0 = time.process_time()
        for k in range(n_intervals):
            i = k * deci
            xp = X[:, i] + pert
            xp[bs] = np.clip(xp[bs], 0.0, 1.0)
            sol = solve_ivp(self.dynamics, (self.t[i], self.t[i + deci]), xp, method="RK45", max_step=1e-3,
                            rtol=1e-7, atol=1e-8)
            delta = sol.y[:, -1] - X[:, i + deci]
            pert = delta * d0 / np.linalg.norm(delta)
        return time.process_time() - t0


def time_basic(spectrum_exponents: int) -> tuple[float, float, dict]:
    cfg = SRNNBasicConfig(spectrum_exponents=spectrum_exponents)
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        out = run_srnn_basic(cfg, tmp, workers=0, figure=False, progress=False)  # serial: CPU as wall
        wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
        lle = {str(c): float(v) for c, v in zip(out.dataset["configuration"].values, out.dataset["lle"].values)}
    return wall, cpu, lle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-intervals", type=int, default=150, help="Benettin intervals timed for the baseline")
    parser.add_argument("--json", action="store_true", help="also print the table as one JSON line")
    args = parser.parse_args(argv)

    # warm the numba cache so that compilation is not timed (a user's second run)
    with tempfile.TemporaryDirectory() as tmp:
        run_srnn_basic(SRNNBasicConfig(t_start_s=-0.05, t_end_s=0.05, spectrum_exponents=1), tmp, workers=0,
                       figure=False, progress=False)
    sweep_cfg = SRNNSweepConfig()
    simulate_network(sweep_cfg.replace(n_units=12, mean_degree=3.0, transient_s=0.02, duration_s=0.02).model_dump_json(), 0)

    ref = ReferencePort("sfa+std")
    c0 = time.process_time()
    X = ref.fiducial()
    fid = time.process_time() - c0
    k = min(args.baseline_intervals, 1666)
    ben = ref.benettin(X, k) * 1666 / k
    baseline_one = fid + ben
    baseline_all = 4 * baseline_one

    wall_lle, cpu_lle, lle = time_basic(0)
    wall_qr, cpu_qr, _ = time_basic(4)

    c0 = time.process_time()
    simulate_network(sweep_cfg.model_dump_json(), 0)
    unit_cpu = time.process_time() - c0
    n_traj = len(sweep_cfg.weight_scales) * (1 + (len(sweep_cfg.configurations) - 1) * len(sweep_cfg.tau_slowest_s))
    net_seconds = n_traj * (sweep_cfg.transient_s + sweep_cfg.duration_s)
    throughput = net_seconds / unit_cpu

    print(f"srnn basic example: n = 10, [-10, 10] s, dt = 1 ms, 4 configurations, Benettin 1666 x 12 ms; "
          f"cores = {os.cpu_count()}")
    print(f"{'implementation':58s} {'wall s':>8s} {'CPU s':>9s}")
    print(f"{'reference method, SFA+STD fiducial (solve_ivp RK45, measured)':58s} {'':>8s} {fid:9.1f}")
    print(f"{'reference method, SFA+STD Benettin (scaled from %d intervals)' % k:58s} {'':>8s} {ben:9.1f}")
    print(f"{'reference method, 4 configurations (scaled x 4)':58s} {'':>8s} {baseline_all:9.1f}")
    print(f"{'netdyn run_srnn_basic, 4 configurations, Benettin LLE':58s} {wall_lle:8.2f} {cpu_lle:9.1f}")
    print(f"{'netdyn run_srnn_basic, + 4 leading QR exponents':58s} {wall_qr:8.2f} {cpu_qr:9.1f}")
    print("LLE (1/s): " + ", ".join(f"{c} {v:.4f}" for c, v in lle.items()))
    print(f"basic example with LLE: netdyn is {baseline_all / cpu_lle:.0f}x cheaper in CPU than the reference method")
    print(f"sweep unit (default config: n = {sweep_cfg.n_units}, {n_traj} trajectories x "
          f"{sweep_cfg.transient_s + sweep_cfg.duration_s:g} s, Benettin + {sweep_cfg.spectrum_exponents} QR exponents): "
          f"{unit_cpu:.1f} CPU s, {throughput:.2f} network-seconds per CPU-second")
    if args.json:
        print(json.dumps({"baseline_fiducial_cpu_s": fid, "baseline_benettin_cpu_s": ben,
                          "baseline_4_configs_cpu_s": baseline_all, "netdyn_lle_wall_s": wall_lle,
                          "netdyn_lle_cpu_s": cpu_lle, "netdyn_qr_wall_s": wall_qr, "netdyn_qr_cpu_s": cpu_qr,
                          "sweep_unit_cpu_s": unit_cpu, "sweep_network_seconds_per_cpu_s": throughput, "lle": lle}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
