"""NEST peer of ``netdyn bench microcircuit``: the Potjans-Diesmann microcircuit at scale k.

Runs under the NEST interpreter (``$NETDYN_PEERS_DIR/nest/bin/python``). The network is the
one of Potjans & Diesmann (2014) with NEST's down-scaling rules; every number comes from
``microcircuit_params.microcircuit_parameters(k)`` (stored with the statistics).

iaf_psc_exp neurons (C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms, t_ref 2 ms, E_L = V_reset =
-65 mV, V_th -50 mV, I_e = the DC compensation current), V0 ~ N(-58, 10) mV; each projection
``fixed_total_number`` with autapses and multapses; weights normal (SD 10 %) redrawn to keep
the sign; delays normal (SD 50 %) redrawn >= dt; one ``poisson_generator`` per population at
round(k K_ext) x 8 Hz, connected to every neuron of it (independent trains) with weight
W_E / sqrt(k); spikes of all neurons recorded; dt 0.1 ms. The recurrent synapses are
static_synapse, copied once per target population (``static_synapse_to_L23E`` ...): NEST holds
at most 2**27 - 2 connections per thread and synapse model, fewer than the 3e8 of the full scale.

Timing fields: ``build_s`` = wall time of Create + Connect + ``nest.Prepare``; ``run_s`` /
``cpu_s`` = wall / process CPU time (all threads) of ``nest.Run(duration)``;
``real_time_factor`` = run_s / biological time.

Statistics (per population, after discarding the first ``--discard-ms``): rate (Hz), CV of
ISI (mean over neurons with >= 3 ISIs), mean Pearson correlation of 5-ms binned spike
counts over 200 random pairs of distinct neurons that fire in the window, written with the
parameters to ``--stats-out``.

Prints one JSON line. Usage:
``python nest_microcircuit.py --scale 0.1 --duration-ms 1200 --threads 1 --seed 1 --json``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("PYNEST_QUIET", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import cv_isi, finite_or_none, mean_pairwise_correlation, peak_rss_mb, population_rate_hz, print_json  # noqa: E402
from microcircuit_params import microcircuit_parameters  # noqa: E402


def build(nest, params: dict) -> tuple[list, list]:
    """Create and connect the network; returns (populations, spike recorders)."""
    import numpy as np

    pops, recorders = [], []
    for i, name in enumerate(params["populations"]):
        pop = nest.Create("iaf_psc_exp", params["n_neurons"][i], params=params["neuron_params"])
        pop.I_e = params["i_dc_pa"][i]
        pop.V_m = nest.random.normal(mean=params["v0_mv"]["mean"], std=params["v0_mv"]["sd"])
        rec = nest.Create("spike_recorder", params={"label": name})
        nest.Connect(pop, rec)
        pops.append(pop)
        recorders.append(rec)
    dt = params["dt_ms"]
    # NEST stores at most 2**27 - 2 connections per virtual process and synapse model; one copy
    # of static_synapse per target population keeps the full-scale network (3e8) under it
    models = []
    for name in params["populations"]:
        models.append(f"static_synapse_to_{name}")
        nest.CopyModel("static_synapse", models[-1])
    for i, target in enumerate(pops):
        for j, source in enumerate(pops):
            n_syn = params["n_synapses"][i][j]
            if n_syn <= 0:
                continue
            w_mean = params["weight_pa"][i][j]
            w_sd = abs(w_mean) * params["weight_rel_sd"]
            w_min, w_max = (0.0, np.inf) if w_mean >= 0 else (-np.inf, 0.0)
            d_mean = params["delay_mean_ms"][i][j]
            d_sd = d_mean * params["delay_rel_sd"]
            syn = {
                "synapse_model": models[i],
                "weight": nest.math.redraw(nest.random.normal(mean=w_mean, std=w_sd), min=w_min, max=w_max),
                "delay": nest.math.redraw(nest.random.normal(mean=d_mean, std=d_sd), min=dt, max=np.inf),
            }
            conn = {"rule": "fixed_total_number", "N": n_syn, "allow_autapses": True, "allow_multapses": True}
            nest.Connect(source, target, conn, syn)
    for i, target in enumerate(pops):
        gen = nest.Create("poisson_generator", params={"rate": params["poisson_rate_hz_per_neuron"][i]})
        nest.Connect(gen, target, "all_to_all", {"weight": params["poisson_weight_pa"],
                                                 "delay": params["poisson_delay_ms"]})
    return pops, recorders


def population_statistics(pops, recorders, params: dict, t0_ms: float, t1_ms: float, seed: int) -> dict:
    """Rate, CV of ISI and pairwise correlation per population over [t0, t1) ms."""
    import numpy as np

    out = {}
    for i, name in enumerate(params["populations"]):
        ev = recorders[i].events
        senders = np.asarray(ev["senders"]) - pops[i][0].global_id
        times = np.asarray(ev["times"], dtype=float)
        n = params["n_neurons"][i]
        cv, n_cv = cv_isi(senders, times, t0_ms, t1_ms)
        corr, n_pairs = mean_pairwise_correlation(senders, times, t0_ms, t1_ms, bin_ms=5.0, n_pairs=200,
                                                  seed=seed * 100 + i)
        window = (times >= t0_ms) & (times < t1_ms)
        out[name] = {
            "n_neurons": n,
            "rate_hz": population_rate_hz(times, n, t0_ms, t1_ms),
            "cv_isi": cv,
            "cv_isi_n_neurons": n_cv,
            "correlation": corr,
            "correlation_n_pairs": n_pairs,
            "active_fraction": float(np.unique(senders[window]).size / n),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration-ms", type=float, default=1200.0, help="simulated time including the discard")
    parser.add_argument("--discard-ms", type=float, default=200.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always on)")
    parser.add_argument("--stats-out", default=None, help="write per-population statistics and parameters here")
    args = parser.parse_args(argv)

    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    params = microcircuit_parameters(args.scale)
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": params["dt_ms"], "local_num_threads": args.threads,
                          "rng_seed": args.seed, "print_time": False})
    t_build0 = time.perf_counter()
    pops, recorders = build(nest, params)
    nest.Prepare()
    build_s = time.perf_counter() - t_build0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    nest.Run(args.duration_ms)
    run_s = time.perf_counter() - wall0
    cpu_s = time.process_time() - cpu0
    nest.Cleanup()

    n_total = int(sum(params["n_neurons"]))
    n_syn = int(nest.GetKernelStatus("num_connections")) - n_total - n_total  # minus recorder and Poisson links
    t0 = min(args.discard_ms, args.duration_ms)
    stats = population_statistics(pops, recorders, params, t0, args.duration_ms, args.seed)
    n_spikes = sum(int(r.n_events) for r in recorders)
    bio_s = args.duration_ms * 1e-3
    record = {
        "simulator": "nest",
        "model": "microcircuit",
        "version": nest.__version__,
        "scale": args.scale,
        "n_neurons": n_total,
        "duration_ms": args.duration_ms,
        "discard_ms": t0,
        "dt_ms": params["dt_ms"],
        "seed": args.seed,
        "threads": args.threads,
        "build_s": build_s,
        "run_s": run_s,
        "cpu_s": cpu_s,
        "cpu_s_per_bio_s": cpu_s / bio_s,
        "cpu_s_measured_as": "time.process_time() (all threads) around nest.Run(duration) after nest.Prepare()",
        "real_time_factor": run_s / bio_s,
        "peak_rss_mb": peak_rss_mb(),
        "n_synapses": n_syn,
        "n_synapses_expected": params["n_synapses_total"],
        "bytes_per_synapse": None,
        "mean_rate_hz": n_spikes / n_total / bio_s,
        "rates_hz": {name: s["rate_hz"] for name, s in stats.items()},
    }
    if args.stats_out:
        with open(args.stats_out, "w") as fh:
            json.dump(finite_or_none({"run": record, "populations": stats, "parameters": params}), fh, indent=1)
    print_json(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
