"""NEST reference statistics of the multi-area model (``tests/data/multiarea_nest_reference.json``).

Called by ``make_reference_data.py --only multiarea`` (under netdyn's interpreter, numpy only):
starts ``nest_multiarea.py`` with the NEST peer's interpreter once per preset and seed,
reads each run's spikes (``--spikes-out`` .npz) and reduces them with
``multiarea_stats.py`` (the conventions of the reference analysis of Schmidt et al. 2018,
independent of netdyn's own analysis code) to per-population rates, spike counts, LvR and
correlation coefficients, the network rate and the run's timing. Floats are stored to 6
significant digits.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

from multiarea_stats import load_spikes, means_over_areas, population_statistics  # noqa: E402

FILE_NAME = "multiarea_nest_reference.json"
TIMING_KEYS = ("build_s", "build_cpu_s", "run_s", "cpu_s", "real_time_factor", "rss_after_build_mb", "peak_rss_mb")
PER_POPULATION = ("rate_hz", "spike_count", "lvr", "corrcoef", "corrcoef_n_trains")
REFERENCES = [
    "M. Schmidt, R. Bakker, K. Shen, G. Bezgin, M. Diesmann, S. J. van Albada (2018), PLoS Comput Biol "
    "14:e1006359, doi:10.1371/journal.pcbi.1006359 (the dynamics, chi)",
    "M. Schmidt, R. Bakker, C. C. Hilgetag, M. Diesmann, S. J. van Albada (2018), Brain Struct Funct 223:1409, "
    "doi:10.1007/s00429-017-1554-4 (the data, N, K)",
    "J. Schuecker, M. Schmidt, S. J. van Albada, M. Diesmann, M. Helias (2017), PLoS Comput Biol 13:e1005179, "
    "doi:10.1371/journal.pcbi.1005179 (the stabilised indegrees)",
    "S. J. van Albada, M. Helias, M. Diesmann (2015), PLoS Comput Biol 11:e1004490 (down-scaling)",
    "S. Shinomoto et al. (2009), PLoS Comput Biol 5:e1000433 (LvR)",
]


def sig(x, digits: int = 6):
    """``x`` rounded to ``digits`` significant digits (ints, None and non-finite floats as None)."""
    if x is None:
        return None
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def mean_sd(values) -> dict:
    """Mean, sample SD (ddof 1), min, max and count of the finite values."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else None
    return {"mean": sig(m), "sd": sig(sd), "min": sig(min(xs)), "max": sig(max(xs)), "n": len(xs)}


def peer_args(preset: str, seed: int, t_sim_ms: float, threads: int, spikes_out: Path) -> list[str]:
    return ["--preset", preset, "--seed", str(seed), "--t-sim-ms", f"{t_sim_ms:g}", "--threads", str(threads),
            "--json", "--spikes-out", str(spikes_out)]


def run_peer(exe: Path, preset: str, seed: int, t_sim_ms: float, threads: int, work: Path,
             reuse: bool = False, timeout_s: float = 3600.0) -> tuple[dict, Path]:
    """One NEST run; returns its JSON record and the path of its spikes. With ``reuse``, a run
    of the same configuration already in ``work`` (``<preset>_seed<seed>.json`` / ``.npz``)
    is read instead of simulated again."""
    stem = work / f"{preset}_seed{seed}"
    npz, record_path = stem.with_suffix(".npz"), stem.with_suffix(".json")
    if reuse and npz.exists() and record_path.exists():
        rec = json.loads(record_path.read_text())
        same = (rec.get("preset") == preset and rec.get("seed") == seed and rec.get("t_sim_ms") == t_sim_ms
                and rec.get("threads") == threads and rec.get("areas") == "all")
        if same:
            print(f"nest multiarea {preset} seed {seed}: reusing {record_path}")
            return rec, npz
    cmd = [str(exe), str(HERE / "nest_multiarea.py"), *peer_args(preset, seed, t_sim_ms, threads, npz)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYNEST_QUIET="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    rec = json.loads(lines[-1])
    record_path.write_text(json.dumps(rec) + "\n")
    return rec, npz


def run_entry(rec: dict, stats: dict, command: str) -> dict:
    """One run of the reference file: the peer's record (counts, timing) and the statistics."""
    entry = {"seed": rec["seed"], "command": command, "n_neurons": rec["n_neurons"], "n_synapses": rec["n_synapses"],
             "n_spikes": rec["n_spikes"], "network_rate_hz": sig(stats["network_rate_hz"])}
    entry.update({k: sig(rec[k]) for k in TIMING_KEYS})
    for key in PER_POPULATION:
        entry[key] = [sig(v) for v in stats[key]]
    return entry


def make_multiarea(out: Path, exe: Path | None, provenance: dict, presets: list[str], seeds: list[int],
                   t_sim_ms: float = 2000.0, t_min_ms: float = 500.0, threads: int = 1,
                   spikes_dir: Path | None = None, reuse: bool = False) -> dict | None:
    """Run NEST for every preset and seed, reduce, write ``out / FILE_NAME``; returns the data."""
    if exe is None:
        print("nest: not installed, multiarea skipped")
        return None
    if not t_min_ms < t_sim_ms:
        raise ValueError("t_sim_ms must exceed the discarded 500 ms")
    tmp = None
    if spikes_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="netdyn_multiarea_")
        work = Path(tmp.name)
    else:
        work = Path(spikes_dir)
        work.mkdir(parents=True, exist_ok=True)
    names, version, data_presets = None, None, {}
    try:
        for preset in presets:
            runs, config = [], None
            for seed in seeds:
                rec, npz = run_peer(exe, preset, seed, t_sim_ms, threads, work, reuse=reuse)
                if rec["n_synapses"] != rec["n_synapses_expected"]:
                    raise RuntimeError(f"{preset} seed {seed}: NEST connected {rec['n_synapses']} synapses, "
                                       f"the model has {rec['n_synapses_expected']}")
                spikes = load_spikes(npz)
                stats = population_statistics(spikes, t_min=t_min_ms, t_max=t_sim_ms)
                # the peer counted the same window itself: both counts must agree
                if not math.isclose(stats["network_rate_hz"], rec["network_rate_hz"], rel_tol=1e-12):
                    raise RuntimeError(f"{preset} seed {seed}: network rate {stats['network_rate_hz']} from the "
                                       f"spikes, {rec['network_rate_hz']} from the peer")
                names = names or stats["names"]
                if stats["names"] != names:
                    raise RuntimeError("population order differs between runs")
                version = rec["version"]
                config = {"scale": rec["scale"], "chi": rec["chi"], "chi_i": rec["chi_i"],
                          "n_neurons": [int(n) for n in spikes["n_neurons"]]}
                command = " ".join(["python", "benchmarks/peers/nest_multiarea.py",
                                    *peer_args(preset, seed, t_sim_ms, threads, Path("FILE.npz"))])
                runs.append(run_entry(rec, stats, command))
                print(f"nest multiarea {preset} seed {seed}: network rate {stats['network_rate_hz']:.3f} spikes/s, "
                      f"build {rec['build_s']:.1f} s, run {rec['run_s']:.1f} s (cpu {rec['cpu_s']:.1f} s), "
                      f"peak RSS {rec['peak_rss_mb']:.0f} MB")
            per_seed = {key: [means_over_areas(names, r[key]) for r in runs] for key in ("rate_hz", "lvr", "corrcoef")}
            summary = {
                "network_rate_hz": mean_sd([r["network_rate_hz"] for r in runs]),
                "means_over_areas": {key: {pop: {**mean_sd([m[pop] for m in rows]),
                                                 "per_seed": [sig(m[pop]) for m in rows]}
                                           for pop in rows[0]}
                                     for key, rows in per_seed.items()},
                "timing": {k: mean_sd([r[k] for r in runs]) for k in TIMING_KEYS},
            }
            data_presets[preset] = {
                "scale": config["scale"], "chi": config["chi"], "chi_i": config["chi_i"], "seeds": list(seeds),
                "n_neurons": config["n_neurons"], "n_neurons_total": int(sum(config["n_neurons"])),
                "n_synapses_total": runs[0]["n_synapses"], "summary": summary, "runs": runs,
            }
    finally:
        if tmp is not None:
            tmp.cleanup()
    data = {
        "provenance": {**provenance, "nest_version": version, "peer": "benchmarks/peers/nest_multiarea.py",
                       "statistics_code": "benchmarks/peers/multiarea_stats.py",
                       "parameters": "netdyn/models/multiarea.py (multiarea_parameters), loaded by path"},
        "description": ("NEST multi-area model of macaque visual cortex (32 areas x 8 populations, 254 "
                        "populations of iaf_psc_exp, all areas simulated), per preset and seed: "
                        "per-population rate, spike count, LvR and correlation coefficient, network rate, timing"),
        "references": REFERENCES,
        "t_sim_ms": t_sim_ms, "threads": threads, "analysis_window_ms": [t_min_ms, t_sim_ms],
        "statistics": {
            "rate_hz": ("spike_count / (N (t_max - t_min) / 1000), N the model's unrounded population size "
                        "(n_neurons_float of multiarea_parameters); silent neurons count"),
            "spike_count": "spikes with t_min < t < t_max (both ends open)",
            "lvr": ("mean over round(N) neurons of LvR (Shinomoto et al. 2009) with R = 2 ms from each neuron's "
                    "spikes in t_min <= t < t_max; 0 for neurons with < 3 spikes and for silent neurons"),
            "corrcoef": ("mean off-diagonal Pearson coefficient (NaN -> 0) of 1-ms spike counts over "
                         "[t_min, t_max] (bins [a, a+1), the last closed) of the neurons from the first one "
                         "that spikes at all up to 3000 indices above it, silent trains dropped, the first 2000 "
                         "kept; null with fewer than 2 trains"),
            "corrcoef_n_trains": "number of trains the correlation coefficient averages over",
            "network_rate_hz": "all spikes with t_min < t < t_max / (created neurons x (t_max - t_min) / 1000)",
            "means_over_areas": ("per population type, the unweighted mean over the areas that have it (TH has "
                                 "no layer 4) of a run's per-population values; then mean, sample SD (ddof 1), "
                                 "min, max over seeds"),
            "timing": ("seconds and MiB as measured by nest_multiarea.py (build = Create + Connect + Prepare, "
                       "run = nest.Run(t_sim), process CPU time), one thread, on a shared 2-core machine: noisy"),
            "rounding": "floats to 6 significant digits",
        },
        "populations": names,
        "presets": data_presets,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / FILE_NAME).write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out / FILE_NAME}")
    return data
