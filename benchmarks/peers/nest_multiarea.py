"""NEST peer of netdyn's ``multiarea`` study: the down-scaled multi-area model of macaque visual
cortex (Schmidt et al. 2018, PLoS Comput Biol 14:e1006359), 32 areas x 8 populations
(254 populations, area TH has no layer 4) of ``iaf_psc_exp`` neurons.

Runs under the NEST interpreter (``$NETDYN_PEERS_DIR/nest/bin/python``). Every number comes
from ``multiarea_params.multiarea_parameters(scale, chi=, chi_i=, areas=, replace=)``, i.e.
netdyn's own ``netdyn/models/multiarea.py`` loaded by path, so NEST builds exactly the
network netdyn builds:

* neurons: ``iaf_psc_exp`` with the model's parameters (set as the model's defaults),
  ``I_e`` = the down-scaling DC current of the population, V0 ~ N(-150, 50) mV unclipped
  (``nest.random.normal``);
* each projection with ``n_synapses > 0``: ``fixed_total_number`` (autapses and multapses
  allowed); weights normal(``weight_pa``, ``weight_sd_pa``) redrawn to keep the sign of the
  mean (``nest.math.redraw``: [0, inf) for excitatory sources, (-inf, 0] for inhibitory
  ones; the SD is the model's absolute SD, which keeps its full-scale value); delays
  normal(``delay_mean_ms``, ``delay_sd_ms``) redrawn below dt;
* external drive: one ``poisson_generator`` per population at ``poisson_rate_hz``
  (rate_ext x K_ext), connected to every neuron of it (each neuron receives an independent
  train) with weight ``weight_ext_pa`` and delay ``poisson_delay_ms`` (1 ms);
* areas that are not simulated (``--areas``): their input is replaced by one
  ``poisson_generator`` per (target, source) population pair at the model's
  ``replacements`` rate, weight and fixed delay;
* spikes of all neurons recorded by one ``spike_recorder``; dt 0.1 ms.

Nodes are created and connected in the order of the reference implementation of Schmidt et
al. (``multiarea_model/simulation.py``): the spike recorder; then per area its populations
(Create, I_e, V0), their recorder links and Poisson generators, and the connections within
the area; then the connections between areas (target area, source area, target population,
source population), with the replacements of non-simulated areas in the same loop. NEST
draws its random numbers in the order of these calls, so the same seed gives the same
network and the same spikes as the reference code (given identical numbers).

The recurrent synapses are copies of ``static_synapse`` (``static_synapse_multiarea``, or one
copy per target population where NEST's limit of 2**27 - 2 connections per thread and
synapse model could be reached), so that NEST's per-model ``num_connections`` counts exactly
the recurrent synapses; the count is checked against the model's ``n_synapses_total`` (exit
status 2 when they differ).

Timing fields: ``build_s`` / ``build_cpu_s`` = wall / process CPU time of Create + Connect +
``nest.Prepare()``; ``run_s`` / ``cpu_s`` = wall / process CPU time (all threads) of
``nest.Run(t_sim)``; ``real_time_factor`` = run_s / biological time; ``peak_rss_mb`` = the
process's peak resident set size (after the run), ``rss_after_build_mb`` its resident set
after the build. ``network_rate_hz`` = spikes with discard < t < t_sim / (neurons x the
window in s), neurons = the created (int) numbers.

``--spikes-out FILE.npz`` writes all spikes: ``names`` (254 "AREA/POP"), ``n_neurons`` (int
created), ``n_neurons_float`` (the model's unrounded sizes, for the reference statistics),
``offsets`` (population p's spikes are ``[offsets[p], offsets[p + 1])``), ``senders`` (index
of the neuron within its population, uint16 or uint32), ``times_steps`` (spike time / dt,
uint32: NEST's iaf_psc_exp spikes lie on the grid; time = steps x dt), sorted per population
by time then sender; and the run's scalars (``dt_ms``, ``t_sim_ms``, ``scale``, ``chi``,
``chi_i``, ``seed``, ``threads``).

Prints one JSON line. Usage:
``python nest_multiarea.py --preset ground --t-sim-ms 2000 --threads 1 --seed 1 --json
--spikes-out spikes.npz``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("PYNEST_QUIET", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import peak_rss_mb, print_json  # noqa: E402
from multiarea_params import AREAS, PRESETS, REPLACEMENTS, multiarea_parameters  # noqa: E402

#: NEST stores at most this many connections per thread and synapse model.
NEST_MAX_CONNECTIONS = 2**27 - 2


def rss_mb() -> float:
    """Current resident set size in MiB (Linux ``/proc``; NaN elsewhere)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def synapse_models(nest, par: dict, simulated: np.ndarray) -> list[str]:
    """One ``static_synapse`` copy per target population when the network could reach NEST's
    per-model limit, else one copy for all; returns the model name per population."""
    names = par["names"]
    n_total = int(par["n_synapses_total"])
    if n_total <= NEST_MAX_CONNECTIONS // 2:
        nest.CopyModel("static_synapse", "static_synapse_multiarea")
        return ["static_synapse_multiarea"] * len(names)
    models = []
    for i, name in enumerate(names):
        models.append(f"static_synapse_to_{name.replace('/', '_')}")
        if simulated[i]:
            nest.CopyModel("static_synapse", models[-1])
            if int(par["n_synapses"][i].sum()) > NEST_MAX_CONNECTIONS:
                raise ValueError(f"{name} receives more than {NEST_MAX_CONNECTIONS} synapses: beyond NEST's "
                                 "limit per synapse model and thread")
    return models


def connect_projection(nest, par: dict, pops: list, models: list[str], i: int, j: int) -> None:
    """Projection source j -> target i (``fixed_total_number``, normal weights and delays)."""
    n_syn = int(par["n_synapses"][i, j])
    if n_syn <= 0:
        return
    w_mean = float(par["weight_pa"][i, j])
    w_sd = float(par["weight_sd_pa"][i, j])
    w_min, w_max = (0.0, np.inf) if w_mean >= 0 else (-np.inf, 0.0)
    d_mean = float(par["delay_mean_ms"][i, j])
    d_sd = float(par["delay_sd_ms"][i, j])
    syn = {
        "synapse_model": models[i],
        "weight": nest.math.redraw(nest.random.normal(mean=w_mean, std=w_sd), min=w_min, max=w_max),
        "delay": nest.math.redraw(nest.random.normal(mean=d_mean, std=d_sd), min=par["dt_ms"], max=np.inf),
    }
    conn = {"rule": "fixed_total_number", "N": n_syn, "allow_autapses": True, "allow_multapses": True}
    nest.Connect(pops[j], pops[i], conn, syn)


def build(nest, par: dict) -> dict:
    """Create and connect the network in the reference code's order; returns the nodes."""
    names = par["names"]
    area_of = np.asarray(par["area_of"])
    simulated = np.asarray(par["simulated"], dtype=bool)
    n_neurons = np.asarray(par["n_neurons"])
    empty = [names[i] for i in np.flatnonzero(simulated & (n_neurons < 1))]
    if empty:
        raise ValueError(f"populations without a neuron at scale {par['scale']}: {empty}")
    nest.SetDefaults("iaf_psc_exp", par["neuron_params"])
    recorder = nest.Create("spike_recorder", params={"record_to": "memory", "start": 0.0})
    models = synapse_models(nest, par, simulated)
    pops: list = [None] * len(names)
    generators = []
    by_area = [np.flatnonzero((area_of == a) & simulated) for a in range(len(AREAS))]
    simulated_areas = [a for a in range(len(AREAS)) if by_area[a].size]
    for a in simulated_areas:
        members = by_area[a]
        for i in members:
            pop = nest.Create("iaf_psc_exp", int(n_neurons[i]))
            pop.I_e = float(par["i_dc_pa"][i])
            pop.V_m = nest.random.normal(mean=par["v0_mv"]["mean"], std=par["v0_mv"]["sd"])
            pops[i] = pop
        for i in members:
            nest.Connect(pops[i], recorder)
        for i in members:
            gen = nest.Create("poisson_generator", params={"rate": float(par["poisson_rate_hz"][i])})
            nest.Connect(gen, pops[i], "all_to_all", {"synapse_model": "static_synapse",
                                                       "weight": float(par["weight_ext_pa"]),
                                                       "delay": float(par["poisson_delay_ms"])})
            generators.append(gen)
        for i in members:
            for j in members:
                connect_projection(nest, par, pops, models, i, j)
    # between areas; the input of non-simulated source areas replaced in the same loop
    replacements: dict[tuple[int, int], list[dict]] = {}
    index = {name: k for k, name in enumerate(names)}
    for r in par["replacements"]:
        replacements.setdefault((int(area_of[r["target"]]), int(area_of[index[r["source"]]])), []).append(r)
    n_replacements = 0
    for a in simulated_areas:
        for b in range(len(AREAS)):
            if b == a:
                continue
            if by_area[b].size:
                for i in by_area[a]:
                    for j in by_area[b]:
                        connect_projection(nest, par, pops, models, i, j)
                continue
            # reference order: target population, then source population
            for r in sorted(replacements.get((a, b), []), key=lambda r: (r["target"], index[r["source"]])):
                gen = nest.Create("poisson_generator", params={"rate": float(r["rate_hz"])})
                nest.Connect(gen, pops[r["target"]], "all_to_all", {"synapse_model": "static_synapse",
                                                                     "weight": float(r["weight_pa"]),
                                                                     "delay": float(r["delay_ms"])})
                n_replacements += 1
    return {"pops": pops, "recorder": recorder, "models": sorted(set(m for m, s in zip(models, simulated) if s)),
            "n_poisson_generators": len(generators) + n_replacements, "n_replacements": n_replacements}


def collect_spikes(nodes: dict, par: dict, dt_ms: float) -> dict:
    """All recorded spikes split by population: local sender index and time in steps."""
    names = par["names"]
    simulated = [i for i, p in enumerate(nodes["pops"]) if p is not None]
    first = np.array([nodes["pops"][i][0].global_id for i in simulated], dtype=np.int64)
    order_first = np.argsort(first)
    ev = nodes["recorder"].events
    senders = np.asarray(ev["senders"], dtype=np.int64)
    times = np.asarray(ev["times"], dtype=float)
    steps = np.rint(times / dt_ms)
    off_grid = np.max(np.abs(times / dt_ms - steps)) if times.size else 0.0
    if off_grid > 1e-6:
        raise RuntimeError(f"spike times off the {dt_ms}-ms grid by up to {off_grid} steps")
    slot = order_first[np.searchsorted(first[order_first], senders, side="right") - 1]
    pop = np.asarray(simulated, dtype=np.int64)[slot]
    local = senders - first[slot]
    n_neurons = np.array([len(nodes["pops"][i]) if nodes["pops"][i] is not None else 0 for i in range(len(names))])
    if np.any(local >= n_neurons[pop]) or np.any(local < 0):
        raise RuntimeError("a sender lies outside its population")
    order = np.lexsort((local, steps, pop))
    pop, local, steps = pop[order], local[order], steps[order]
    offsets = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum(np.bincount(pop, minlength=len(names)), out=offsets[1:])
    sender_dtype = np.uint16 if n_neurons.max(initial=0) <= np.iinfo(np.uint16).max else np.uint32
    return {"names": np.array(names), "n_neurons": n_neurons.astype(np.int32),
            "n_neurons_float": np.where(par["simulated"], par["n_neurons_float"], 0.0),
            "offsets": offsets, "senders": local.astype(sender_dtype), "times_steps": steps.astype(np.uint32)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="ground",
                        help="named configuration (scale, chi, chi_i); the flags below override it")
    parser.add_argument("--scale", type=float, default=None, help="down-scaling of neurons and indegrees")
    parser.add_argument("--chi", type=float, default=None, help="cortico-cortical weight factor")
    parser.add_argument("--chi-i", type=float, default=None, help="further factor onto inhibitory targets")
    parser.add_argument("--areas", default=None, help="comma-separated areas to simulate (default all 32)")
    parser.add_argument("--replace", choices=[*REPLACEMENTS, "none"], default="het_poisson_stat",
                        help="what replaces the input of non-simulated areas")
    parser.add_argument("--t-sim-ms", type=float, default=2000.0)
    parser.add_argument("--discard-ms", type=float, default=500.0, help="start of the network-rate window")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1, help="NEST rng_seed")
    parser.add_argument("--spikes-out", default=None, help="write all spikes to this .npz file")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always on)")
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    scale = preset["scale"] if args.scale is None else args.scale
    chi = preset["chi"] if args.chi is None else args.chi
    chi_i = preset["chi_i"] if args.chi_i is None else args.chi_i
    areas = None if args.areas is None else [a.strip() for a in args.areas.split(",") if a.strip()]
    replace = None if args.replace == "none" else args.replace
    if not 0.0 <= args.discard_ms < args.t_sim_ms:
        parser.error("need 0 <= --discard-ms < --t-sim-ms")

    par = multiarea_parameters(scale, chi=chi, chi_i=chi_i, areas=areas, replace=replace)
    dt = float(par["dt_ms"])

    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    # as the reference code: resolution and threads first, then the seed
    nest.SetKernelStatus({"resolution": dt, "local_num_threads": args.threads, "print_time": False})
    nest.SetKernelStatus({"rng_seed": args.seed})
    wall0, cpu0 = time.perf_counter(), time.process_time()
    nodes = build(nest, par)
    nest.Prepare()
    build_s = time.perf_counter() - wall0
    build_cpu_s = time.process_time() - cpu0
    rss_build = rss_mb()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    nest.Run(args.t_sim_ms)
    run_s = time.perf_counter() - wall0
    cpu_s = time.process_time() - cpu0
    nest.Cleanup()

    n_syn = sum(int(nest.GetDefaults(m, "num_connections")) for m in nodes["models"])
    spikes = collect_spikes(nodes, par, dt)
    n_total = int(spikes["n_neurons"].sum())
    steps = spikes["times_steps"].astype(np.int64)
    lo, hi = args.discard_ms / dt, args.t_sim_ms / dt
    n_window = int(np.count_nonzero((steps > np.rint(lo)) & (steps < np.rint(hi))))
    bio_s = args.t_sim_ms * 1e-3
    if args.spikes_out:
        np.savez_compressed(args.spikes_out, **spikes, dt_ms=dt, t_sim_ms=args.t_sim_ms, scale=scale, chi=chi,
                            chi_i=chi_i, seed=args.seed, threads=args.threads)
    record = {
        "simulator": "nest",
        "model": "multiarea",
        "version": nest.__version__,
        "preset": args.preset if (args.scale, args.chi, args.chi_i) == (None, None, None) else None,
        "scale": scale,
        "chi": chi,
        "chi_i": chi_i,
        "areas": "all" if areas is None else ",".join(a for a in AREAS if a in areas),
        "replace": replace,
        "seed": args.seed,
        "threads": args.threads,
        "t_sim_ms": args.t_sim_ms,
        "dt_ms": dt,
        "n_neurons": n_total,
        "n_synapses": n_syn,
        "n_synapses_expected": int(par["n_synapses_total"]),
        "n_poisson_generators": nodes["n_poisson_generators"],
        "n_replacements": nodes["n_replacements"],
        "n_spikes": int(steps.size),
        "network_rate_hz": n_window / n_total / ((args.t_sim_ms - args.discard_ms) * 1e-3),
        "rate_window_ms": [args.discard_ms, args.t_sim_ms],
        "rate_window_rule": "spikes with discard < t < t_sim / (created neurons x window in s)",
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "run_s": run_s,
        "cpu_s": cpu_s,
        "cpu_s_per_bio_s": cpu_s / bio_s,
        "cpu_s_measured_as": "time.process_time() (all threads) around nest.Run(t_sim) after nest.Prepare()",
        "real_time_factor": run_s / bio_s,
        "rss_after_build_mb": rss_build,
        "peak_rss_mb": peak_rss_mb(),
    }
    print_json(record)
    if n_syn != record["n_synapses_expected"]:
        print(f"NEST created {n_syn} recurrent synapses, the model has {record['n_synapses_expected']}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
