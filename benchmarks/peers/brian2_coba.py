"""Brian2 peer of ``netdyn bench coba``: the COBA benchmark model (Vogels & Abbott 2005;
Brette et al. 2007).

Runs under the Brian2 interpreter (``$NETDYN_PEERS_DIR/brian2/bin/python``), one thread, or
with ``--threads N`` > 1 and ``--device cpp_standalone`` N OpenMP threads.

Model (Vogels & Abbott 2005 / Brette et al. 2007 benchmark 1, Brian2 benchmark form):
N LIF neurons, the first 80 % excitatory; Bernoulli connectivity ``connect(p=80/N)``
(autapses allowed, as Brian2's and NEST's default), or with ``--wiring
fixed-indegree`` 64 E + 16 I sources per neuron drawn with replacement;

    tau_m dV/dt = ge (E_e - V) + gi (E_i - V) - (V - E_L) + I     (unless refractory)
    dge/dt = -ge / 5 ms,  dgi/dt = -gi / 10 ms                     (dimensionless, units of g_L)

tau_m 20 ms, E_L = V_reset = -60 mV, V_th = -50 mV, E_e 0 mV, E_i -80 mV, I = 20 mV
(200 pA at g_L 10 nS), refractory 5 ms; ge += 0.6 per excitatory, gi += 6.7 per
inhibitory spike; V0 ~ N(-55, 5) mV, ge = gi = 0; dt 0.1 ms; spikes of all neurons recorded.
Integration method: forward Euler (``--method``; Brian2's automatic choice for this
non-linear system). Synaptic effects use Brian2's default zero delay: a spike detected in
step n increments ge/gi at the end of step n, so it first acts on V in step n + 1
(the one-step delay of the spec).

Timing fields:
* runtime: ``build_s`` = wall time of building the objects plus ``run(0 ms)`` (code
  generation and Cython compilation, cached after the first call); ``run_s`` / ``cpu_s`` =
  wall / process CPU time of ``run(duration)``.
* cpp_standalone: ``build_s`` = wall time of building plus code generation and ``make``;
  the binary (which also creates the synapses) is then run; ``run_s`` = its wall time
  including its set-up and writing results; ``cpu_s`` = Brian2's own timer of the main
  simulation loop inside the binary (``std::clock``: CPU time of the process, all OpenMP
  threads together); ``loop_wall_s_bound`` = ``cpu_s / threads``, the loop's wall time were its
  threads perfectly parallel (a lower bound, used to compare thread counts in Brian2's favour).

Prints one JSON line. Usage:
``python brian2_coba.py --n-neurons 4000 --duration-ms 1000 --device runtime --seed 1 --json``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import coba_statistics, peak_rss_mb, print_json  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=4000)
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--device", choices=["runtime", "cpp_standalone"], default="runtime")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wiring", choices=["bernoulli", "fixed-indegree"], default="bernoulli",
                        help="Bernoulli p = 80/N, or fixed indegrees 64 E + 16 I drawn with replacement "
                             "(autapses allowed; the spec allows it above 20k neurons)")
    parser.add_argument("--method", default="euler", help="Brian2 integration method (default euler)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always on)")
    parser.add_argument("--build-dir", default=None, help="cpp_standalone project folder (default: a temporary one)")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads of cpp_standalone (1: no OpenMP)")
    args = parser.parse_args(argv)
    if args.threads > 1 and args.device != "cpp_standalone":
        parser.error("--threads > 1 needs --device cpp_standalone (Brian2's runtime device runs one thread)")

    import brian2 as b2
    import numpy as np

    b2.prefs.logging.console_log_level = "ERROR"
    b2.prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
    b2.prefs.codegen.target = "cython"
    tmp = None
    if args.device == "cpp_standalone":
        tmp = tempfile.TemporaryDirectory(prefix="brian2_coba_")
        b2.set_device("cpp_standalone", build_on_run=False, directory=args.build_dir or tmp.name)
    b2.seed(args.seed)
    np.random.seed(args.seed)

    n = args.n_neurons
    n_exc = int(round(0.8 * n))
    n_inh = n - n_exc
    p = 80.0 / n
    duration = args.duration_ms * b2.ms
    t_build0 = time.perf_counter()
    b2.defaultclock.dt = 0.1 * b2.ms
    taum, taue, taui = 20 * b2.ms, 5 * b2.ms, 10 * b2.ms
    ns = dict(taum=taum, taue=taue, taui=taui, Vt=-50 * b2.mV, Vr=-60 * b2.mV, El=-60 * b2.mV,
              Ee=0 * b2.mV, Ei=-80 * b2.mV, I=20 * b2.mV, we=0.6, wi=6.7)
    eqs = """
    dv/dt = (ge*(Ee-v) + gi*(Ei-v) - (v-El) + I) / taum : volt (unless refractory)
    dge/dt = -ge/taue : 1
    dgi/dt = -gi/taui : 1
    """
    group = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms,
                           method=args.method, namespace=ns)
    group.v = "-55*mV + 5*mV*randn()"
    group.ge = 0
    group.gi = 0
    ce = b2.Synapses(group, group, on_pre="ge += we", namespace=ns)
    ci = b2.Synapses(group, group, on_pre="gi += wi", namespace=ns)
    if args.wiring == "bernoulli":
        ce.connect("i < n_exc", p=p, namespace={"n_exc": n_exc})
        ci.connect("i >= n_exc", p=p, namespace={"n_exc": n_exc})
    else:
        rng = np.random.default_rng(args.seed)
        k_e, k_i = 64, 16
        ce.connect(i=rng.integers(0, n_exc, size=n * k_e), j=np.repeat(np.arange(n), k_e))
        ci.connect(i=rng.integers(n_exc, n, size=n * k_i), j=np.repeat(np.arange(n), k_i))
    monitor = b2.SpikeMonitor(group)
    net = b2.Network(group, ce, ci, monitor)

    if args.device == "runtime":
        net.run(0 * b2.ms)  # code generation + compilation, not timed as simulation
        build_s = time.perf_counter() - t_build0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        net.run(duration)
        run_s = time.perf_counter() - wall0
        cpu_s = time.process_time() - cpu0
        cpu_how = "time.process_time() around net.run(duration) (Cython runtime, one thread)"
        rss = peak_rss_mb()
    else:
        net.run(duration)
        device = b2.get_device()
        device.build(compile=True, run=False, directory=args.build_dir or tmp.name)
        build_s = time.perf_counter() - t_build0
        wall0 = time.perf_counter()
        device.run()
        run_s = time.perf_counter() - wall0
        cpu_s = float(device._last_run_time)
        cpu_how = ("Brian2's std::clock() timer of the binary's main loop (last_run_info.txt); "
                   "run_s is the binary's wall time including synapse creation and I/O")
        rss = peak_rss_mb(children=True)

    n_syn = int(len(ce) + len(ci))
    senders = np.asarray(monitor.i[:])
    times_ms = np.asarray(monitor.t[:] / b2.ms)
    record = {
        "simulator": f"brian2-{args.device}",
        "model": "coba",
        "version": b2.__version__,
        "n_neurons": n,
        "n_exc": n_exc,
        "n_inh": n_inh,
        "wiring": args.wiring,
        "connection_p": p if args.wiring == "bernoulli" else None,
        "duration_ms": args.duration_ms,
        "dt_ms": 0.1,
        "seed": args.seed,
        "threads": args.threads,
        "method": args.method,
        "build_s": build_s,
        "run_s": run_s,
        "cpu_s": cpu_s,
        "cpu_s_per_bio_s": cpu_s / (args.duration_ms * 1e-3),
        "cpu_s_measured_as": cpu_how,
        "loop_wall_s_bound": cpu_s / args.threads if args.device == "cpp_standalone" else run_s,
        "peak_rss_mb": rss,
        "n_synapses": n_syn,
        "bytes_per_synapse": None,
    }
    record.update(coba_statistics(senders, times_ms, n_exc, n_inh, args.duration_ms))
    print_json(record)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
