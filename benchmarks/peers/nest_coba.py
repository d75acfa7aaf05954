"""NEST peer of ``netdyn bench coba``: the COBA benchmark model (Vogels & Abbott 2005;
Brette et al. 2007).

Runs under the NEST interpreter (``$NETDYN_PEERS_DIR/nest/bin/python``).

The model of ``brian2_coba.py`` in NEST's units: ``iaf_cond_exp`` with g_L 10 nS, C_m 200 pF
(tau_m 20 ms), E_L = V_reset = -60 mV, V_th -50 mV, t_ref 5 ms, E_ex 0 mV, E_in -80 mV,
tau_syn_ex 5 ms, tau_syn_in 10 ms, I_e 200 pA; weights 6 nS (E) and 67 nS (I);
``pairwise_bernoulli`` with p = 80/N (autapses allowed, NEST's default; or, with
``--wiring fixed-indegree``, ``fixed_indegree`` 64 E + 16 I); delay = dt = 0.1 ms
(NEST's minimal delay); V0 ~ N(-55, 5) mV; all spikes recorded. NEST integrates
iaf_cond_exp with GSL's adaptive RKF45 inside each 0.1-ms step.

Timing fields: ``build_s`` = wall time of Create + Connect + the set-up of the first
``Simulate`` (``nest.Prepare``); ``run_s`` / ``cpu_s`` = wall / process CPU time (all threads)
of ``nest.Run(duration)``.

Prints one JSON line. Usage:
``python nest_coba.py --n-neurons 4000 --duration-ms 1000 --threads 1 --seed 1 --json``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("PYNEST_QUIET", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import coba_statistics, peak_rss_mb, print_json  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=4000)
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wiring", choices=["bernoulli", "fixed-indegree"], default="bernoulli",
                        help="pairwise_bernoulli p = 80/N, or fixed_indegree 64 E + 16 I (multapses and "
                             "autapses allowed; the spec allows it above 20k neurons, and NEST's "
                             "pairwise_bernoulli build costs O(N^2): ~8 min at 100k)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always on)")
    args = parser.parse_args(argv)

    import nest
    import numpy as np

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": args.threads, "rng_seed": args.seed,
                          "print_time": False})
    n = args.n_neurons
    n_exc = int(round(0.8 * n))
    n_inh = n - n_exc
    p = 80.0 / n
    t_build0 = time.perf_counter()
    params = {"g_L": 10.0, "C_m": 200.0, "E_L": -60.0, "V_reset": -60.0, "V_th": -50.0, "t_ref": 5.0,
              "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 200.0}
    neurons = nest.Create("iaf_cond_exp", n, params=params)
    neurons.V_m = nest.random.normal(mean=-55.0, std=5.0)
    exc, inh = neurons[:n_exc], neurons[n_exc:]
    if args.wiring == "bernoulli":
        conn_e = conn_i = {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": True}
    else:
        conn_e = {"rule": "fixed_indegree", "indegree": 64, "allow_autapses": True, "allow_multapses": True}
        conn_i = {"rule": "fixed_indegree", "indegree": 16, "allow_autapses": True, "allow_multapses": True}
    nest.Connect(exc, neurons, conn_e, {"synapse_model": "static_synapse", "weight": 6.0, "delay": 0.1})
    nest.Connect(inh, neurons, conn_i, {"synapse_model": "static_synapse", "weight": -67.0, "delay": 0.1})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    nest.Prepare()
    build_s = time.perf_counter() - t_build0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    nest.Run(args.duration_ms)
    run_s = time.perf_counter() - wall0
    cpu_s = time.process_time() - cpu0
    nest.Cleanup()

    events = recorder.events
    first_id = neurons[0].global_id
    senders = np.asarray(events["senders"]) - first_id
    times_ms = np.asarray(events["times"], dtype=float)
    n_syn = int(nest.GetKernelStatus("num_connections")) - n  # minus the recorder connections
    record = {
        "simulator": "nest",
        "model": "coba",
        "version": nest.__version__,
        "n_neurons": n,
        "n_exc": n_exc,
        "n_inh": n_inh,
        "wiring": args.wiring,
        "connection_p": p if args.wiring == "bernoulli" else None,
        "duration_ms": args.duration_ms,
        "dt_ms": 0.1,
        "seed": args.seed,
        "threads": args.threads,
        "neuron_model": "iaf_cond_exp",
        "build_s": build_s,
        "run_s": run_s,
        "cpu_s": cpu_s,
        "cpu_s_per_bio_s": cpu_s / (args.duration_ms * 1e-3),
        "cpu_s_measured_as": "time.process_time() (all threads) around nest.Run(duration) after nest.Prepare()",
        "real_time_factor": run_s / (args.duration_ms * 1e-3),
        "peak_rss_mb": peak_rss_mb(),
        "n_synapses": n_syn,
        "bytes_per_synapse": None,
    }
    record.update(coba_statistics(senders, times_ms, n_exc, n_inh, args.duration_ms))
    print_json(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
