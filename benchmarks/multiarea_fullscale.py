"""The full-scale multi-area model (4.13 million neurons, 2.4e10 synapses) on this machine, with
procedural connectivity: speed and memory, and its ground-state rates against the full-scale
reference simulation shipped with the model's data (``fullscale_rates.csv``, a supercomputer
run of the published model).

It runs ``netdyn multiarea --scale 1 --preset ground --connectivity procedural --threads T
--t-sim-ms T_SIM --transient-ms 500`` (or reads the output of such a run, ``--from-run DIR``)
and prints:

* build and simulation wall time, the real-time factor, peak memory (the study's
  ``peak_rss_mb``) and synaptic events per second per core (events: every spike after the
  transient times its population's out-degree, summed over the projections of the model);
* the network's mean rate (over the 254 populations, and over neurons) against the
  reference's (goal: within 20 %), Pearson's and Spearman's correlation of the per-population
  rates across the 254 populations, and the populations that differ most;
* the same against the model's own mean-field rates at full scale (the study's
  ``mean_field_rates_hz``, the Siegert fixed point of Schuecker, Schmidt et al. 2017), which
  the reference file's rates should also follow if they came from the same model.

The goals of the procedural connectivity work: peak memory <= 16 GB, one biological second in at
most 30 minutes of wall time with 2 threads. The published GPU and supercomputer figures are not
rerun here (they need the hardware); the closing notes quote them.

Run: ``python benchmarks/multiarea_fullscale.py [--threads 2] [--t-sim-ms 1500] [--out DIR]
[--from-run DIR [--time-log FILE]] [--json-out FILE]``. A full run takes about 45-60 minutes and ~11 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy import stats

GOAL_MEMORY_GB = 16.0
GOAL_WALL_PER_BIO_S = 30 * 60.0
GOAL_MEAN_REL = 0.20


def run_study(out: Path, threads: int, t_sim_ms: float, seed: int) -> None:
    subprocess.run([sys.executable, "-m", "netdyn.cli", "multiarea", "--out", str(out), "--scale", "1",
                    "--preset", "ground", "--connectivity", "procedural", "--threads", str(threads),
                    "--t-sim-ms", str(t_sim_ms), "--transient-ms", "500", "--seed", str(seed)], check=True)


def reference_rates(config: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Population labels ("AREA/POP"), reference rates (Hz) and full-scale neuron numbers."""
    from netdyn.config.multiarea import MultiAreaConfig
    from netdyn.models.multiarea import multiarea_parameters

    par = multiarea_parameters(**MultiAreaConfig(**config).model_arguments())
    return list(par["names"]), np.asarray(par["fullscale_rates_hz"]), np.asarray(par["n_neurons_float"])


def synaptic_events_per_s(config: dict, rates: dict[str, float]) -> float:
    """Synaptic events per biological second: each projection's synapses times its source's rate."""
    from netdyn.config.multiarea import MultiAreaConfig
    from netdyn.connectivity.rules import expected_synapses
    from netdyn.studies.multiarea.network import model_network

    _, spec, _ = model_network(MultiAreaConfig(**config))
    sizes = {p.name: p.n_neurons for p in spec.populations}
    return float(sum(expected_synapses(p.rule, sizes[p.source], sizes[p.target], same_population=p.source == p.target)
                     * rates.get(p.source, 0.0) for p in spec.projections))


def agreement(sim: np.ndarray, ref: np.ndarray) -> dict:
    """Mean over populations, relative difference of the means and correlations across them."""
    return {"mean_hz": float(sim.mean()), "reference_mean_hz": float(ref.mean()),
            "mean_rel_diff": float(sim.mean() / ref.mean() - 1), "pearson_r": float(stats.pearsonr(sim, ref)[0]),
            "spearman_r": float(stats.spearmanr(sim, ref)[0])}


def compare(summary: dict, peak_rss_gb: float | None = None) -> dict:
    config = summary["config"]
    names, ref, n_full = reference_rates(config)
    sim = np.array([summary["rates_hz"].get(n.split("/")[0], {}).get(n.split("/")[1], np.nan) for n in names])
    ok = np.isfinite(sim) & np.isfinite(ref)
    sim, ref, n_full, names = sim[ok], ref[ok], n_full[ok], [n for n, k in zip(names, ok) if k]
    rel = (sim - ref) / np.maximum(ref, 1e-3)
    order = np.argsort(-np.abs(sim - ref))
    timing = summary.get("timing_s", {})
    bio_s = config["t_sim_ms"] / 1000.0
    after_s = (config["t_sim_ms"] - config["transient_ms"]) / 1000.0
    events = synaptic_events_per_s(config, {n.replace("/", "."): r for n, r in zip(names, sim)})
    threads = summary.get("threads", 1)
    mf = summary.get("mean_field_rates_hz") or {}
    mf_rates = np.array([mf.get(n.split("/")[0], {}).get(n.split("/")[1], np.nan) for n in names])
    if peak_rss_gb is None:
        peak_rss_gb = summary.get("peak_rss_mb", np.nan) / 1e3
    return {
        "mean_field": agreement(sim, mf_rates) if np.all(np.isfinite(mf_rates)) else None,
        "reference_vs_mean_field": agreement(ref, mf_rates) if np.all(np.isfinite(mf_rates)) else None,
        "n_populations": int(ok.sum()), "n_neurons": summary.get("n_neurons"), "threads": threads,
        "t_sim_ms": config["t_sim_ms"], "transient_ms": config["transient_ms"],
        "build_s": timing.get("build"), "run_s": timing.get("run"), "analysis_s": timing.get("analysis"),
        "real_time_factor": timing.get("run", np.nan) / bio_s, "peak_rss_gb": peak_rss_gb,
        "synaptic_events_per_bio_s": events,
        "events_per_s_per_core": events / (timing.get("run", np.nan) / bio_s) / threads,
        "mean_rate_hz": float(sim.mean()), "reference_mean_rate_hz": float(ref.mean()),
        "mean_rel_diff": float(sim.mean() / ref.mean() - 1),
        "neuron_weighted_rate_hz": float((sim * n_full).sum() / n_full.sum()),
        "reference_neuron_weighted_rate_hz": float((ref * n_full).sum() / n_full.sum()),
        "pearson_r": float(stats.pearsonr(sim, ref)[0]), "spearman_r": float(stats.spearmanr(sim, ref)[0]),
        "pearson_r_log": float(stats.pearsonr(np.log10(sim + 1e-3), np.log10(ref + 1e-3))[0]),
        "largest_differences": [{"population": names[k], "rate_hz": float(sim[k]), "reference_hz": float(ref[k]),
                                 "rel_diff": float(rel[k])} for k in order[:10]],
        "analysed_s": after_s,
    }


def print_report(r: dict) -> None:
    print(f"full-scale multi-area model, procedural connectivity, {r['threads']} thread(s), "
          f"{r['t_sim_ms']:g} ms ({r['transient_ms']:g}-ms transient)")
    print(f"  build {r['build_s']:.0f} s, simulation {r['run_s']:.0f} s: real-time factor {r['real_time_factor']:.0f} "
          f"({r['real_time_factor'] / 60:.1f} min per biological second; goal <= {GOAL_WALL_PER_BIO_S / 60:.0f})")
    print(f"  peak memory {r['peak_rss_gb']:.2f} GB (goal <= {GOAL_MEMORY_GB:g})")
    print(f"  synaptic events: {r['synaptic_events_per_bio_s']:.3g} per biological second, "
          f"{r['events_per_s_per_core']:.3g} per wall second per core")
    print(f"  mean rate over {r['n_populations']} populations: {r['mean_rate_hz']:.3f} Hz, reference "
          f"{r['reference_mean_rate_hz']:.3f} Hz ({100 * r['mean_rel_diff']:+.1f} %; goal within "
          f"{100 * GOAL_MEAN_REL:.0f} %)")
    print(f"  over neurons: {r['neuron_weighted_rate_hz']:.3f} Hz, reference {r['reference_neuron_weighted_rate_hz']:.3f} Hz")
    print(f"  across populations: Pearson r {r['pearson_r']:.3f} (of log rates {r['pearson_r_log']:.3f}), "
          f"Spearman {r['spearman_r']:.3f}")
    for key, what in (("mean_field", "simulation vs the model's full-scale mean field"),
                      ("reference_vs_mean_field", "reference file vs the model's full-scale mean field")):
        a = r.get(key)
        if a:
            print(f"  {what}: mean {a['mean_hz']:.3f} vs {a['reference_mean_hz']:.3f} Hz "
                  f"({100 * a['mean_rel_diff']:+.1f} %), Pearson r {a['pearson_r']:.3f}, Spearman {a['spearman_r']:.3f}")
    print("  largest differences from the reference file:")
    for d in r["largest_differences"]:
        print(f"    {d['population']:10s} {d['rate_hz']:8.3f} Hz  reference {d['reference_hz']:8.3f} Hz  "
              f"({100 * d['rel_diff']:+.0f} %)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--t-sim-ms", type=float, default=1500.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="out/multiarea-fullscale", help="where the study writes")
    parser.add_argument("--from-run", default=None, help="read this finished run instead of running")
    parser.add_argument("--json-out", default=None)
    parser.add_argument("--time-log", default=None, help="output of /usr/bin/time -v for the run read with --from-run "
                                                          "(its peak memory, for runs whose summary has none)")
    args = parser.parse_args(argv)
    out = Path(args.from_run or args.out)
    if args.from_run is None:
        run_study(out, args.threads, args.t_sim_ms, args.seed)
    peak = None
    if args.time_log:
        text = Path(args.time_log).read_text()
        peak = int(text.split("Maximum resident set size (kbytes):")[1].split()[0]) * 1024 / 1e9
    report = compare(json.loads((out / "summary.json").read_text()), peak)
    print_report(report)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
