"""Regenerate the peer reference data in tests/data/ (Brian2 and NEST runs, transcribed published
figures).

Runs under any Python 3 (it only starts the peer scripts with the peers' interpreters,
found under ``$NETDYN_PEERS_DIR``, default ``~/.cache/netdyn-peers``, as built by
``/work/shared/peers/setup.sh``). A peer that is absent is skipped with a message.

Writes (into ``--out``, default ``tests/data``):

* ``rsfs_brian2_reference.json``: the published Brian2 figures of ntwk's README RS-FS network,
  transcribed (``spec_figures.py``).
* ``coba_reference.json``: the published self-sustained COBA table (transcribed) plus Brian2 (runtime
  device; cpp_standalone gives identical spikes for the same seed) and NEST runs of the
  COBA benchmark model at N = 4000, 1 s, seeds 1, 2, 3.
* ``microcircuit_nest_k<scale>.json``: NEST microcircuit at scale k (default 0.1), 1200 ms
  with the first 200 ms discarded, seeds 1..5, one thread: per-population rate, CV of ISI
  and pairwise correlation, mean and SD over seeds, every seed's values, the parameters.
* ``fi_curves_brian2.json``: ``brian2_fi_curves.py`` output.
* ``multiarea_nest_reference.json``: NEST multi-area model (Schmidt et al. 2018), presets
  ground (0.005) and metastable (0.006), seeds 1..4, 2000 ms, one thread: per-population rate,
  spike count, LvR and correlation coefficient over 500-2000 ms, network rate, timing
  (``multiarea_reference.py``; ~10 min on 2 cores).

* ``dendrites_brian2_reference.json`` (only with ``--only dendrites``; needs netdyn importable by
  this interpreter, for the cases): Brian2 ``SpatialNeuron`` (runtime device) on the EPSP cases
  of ``dendrites_cases.py`` (ball-and-stick and Ball-and-Rall's tree, AMPA and AMPA+NMDA):
  the case parameters, somatic EPSP amplitude and time to peak (every step), the soma trace
  every ``--dendrites-sample-every`` steps (default 8: 0.2 ms), Brian2's version (~1 min).

* ``consolidation_arbor_reference.json`` (only with ``--only consolidation``; needs Arbor in the
  NEST venv): the Arbor reference runs of the consolidation study
  (``arbor_consolidation.py --reference-out``; ~5 min, basic_late alone ~2-6 CPU-min).

Usage: ``python benchmarks/peers/make_reference_data.py [--only coba,microcircuit,fi,rsfs,multiarea,consolidation,dendrites]``
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from multiarea_reference import make_multiarea  # noqa: E402
from spec_figures import COBA_SPEC_TABLE, RSFS_BRIAN2  # noqa: E402


def peers_dir() -> Path:
    """Folder holding the peers' virtual environments (``$NETDYN_PEERS_DIR``)."""
    return Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers")).expanduser()


def peer_python(name: str) -> Path | None:
    """The interpreter of peer ``name`` ('brian2' or 'nest'), or None when it is not installed."""
    exe = peers_dir() / name / "bin" / "python"
    return exe if exe.exists() else None


def run_json(cmd: list[str], timeout_s: float = 1800.0) -> dict:
    """Run a peer script and parse the last JSON line it printed."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYNEST_QUIET="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{' '.join(cmd)} printed no JSON line:\n{proc.stdout[-2000:]}")


def mean_sd(values: list) -> dict:
    """Mean and sample SD (ddof 1) of the finite values, with their count."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return {"mean": None, "sd": None, "n": 0}
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else None
    return {"mean": m, "sd": sd, "n": len(xs)}


def provenance(extra: dict | None = None) -> dict:
    info = {"generated_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "script": "benchmarks/peers/make_reference_data.py", "host": platform.platform(),
            "cpu_count": os.cpu_count(),
            "timing_note": "timings measured on a shared 2-core machine under load; noisy"}
    info.update(extra or {})
    return info


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}")


def make_rsfs(out: Path) -> None:
    write(out / "rsfs_brian2_reference.json", {"provenance": provenance({"kind": "transcription"}), **RSFS_BRIAN2})


def make_coba(out: Path, seeds: list[int], n_neurons: int) -> None:
    runs: dict[str, list[dict]] = {}
    peers = [("brian2", "brian2_coba.py", ["--device", "runtime"]), ("nest", "nest_coba.py", ["--threads", "1"])]
    for peer, script, extra in peers:
        exe = peer_python(peer)
        if exe is None:
            print(f"{peer}: not installed under {peers_dir()}, skipped")
            continue
        for seed in seeds:
            cmd = [str(exe), str(HERE / script), "--n-neurons", str(n_neurons), "--duration-ms", "1000",
                   "--seed", str(seed), "--json", *extra]
            rec = run_json(cmd)
            rec["command"] = " ".join(["python", f"benchmarks/peers/{script}", *cmd[2:]])
            runs.setdefault(rec["simulator"], []).append(rec)
            print(f"{rec['simulator']} seed {seed}: E {rec['rate_exc_hz']:.2f} Hz, I {rec['rate_inh_hz']:.2f} Hz, "
                  f"cpu {rec['cpu_s']:.2f} s")
    keys = ["rate_exc_hz", "rate_inh_hz", "mean_rate_hz", "cv_isi_exc", "cv_isi_inh", "cpu_s", "build_s", "run_s",
            "peak_rss_mb", "n_synapses"]
    summary = {sim: {k: mean_sd([r[k] for r in rows]) for k in keys} for sim, rows in runs.items()}
    data = {
        "provenance": provenance(),
        "spec_table": COBA_SPEC_TABLE,
        "section5_model": {
            "description": ("spiking.md section 5 benchmark COBA: N LIF, 80 % E, Bernoulli p = 80/N (autapses "
                            "allowed), tau_m 20 ms, E_L = V_reset = -60 mV, V_th -50 mV, E_e 0, E_i -80 mV, "
                            "I = 20 mV (200 pA), ge/gi in units of g_L decaying 5/10 ms, jumps 0.6/6.7 "
                            "(6/67 nS), t_ref 5 ms, V0 ~ N(-55, 5) mV, ge = gi = 0 at t = 0, dt 0.1 ms, 1 s"),
            "n_neurons": n_neurons, "duration_ms": 1000.0, "seeds": seeds,
            "rate_window_ms": [100.0, 1000.0],
            "peers": {"brian2-runtime": "brian2_coba.py, Cython runtime, method euler, zero synaptic delay "
                                        "(effect on V from the next step)",
                      "nest": "nest_coba.py, iaf_cond_exp (GSL RKF45), delay 0.1 ms, 1 thread"},
            "summary": summary,
            "runs": runs,
        },
    }
    write(out / "coba_reference.json", data)


def make_microcircuit(out: Path, scale: float, seeds: list[int], duration_ms: float, discard_ms: float) -> None:
    exe = peer_python("nest")
    if exe is None:
        print(f"nest: not installed under {peers_dir()}, microcircuit skipped")
        return
    import tempfile

    per_seed, runs, params = [], [], None
    for seed in seeds:
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            cmd = [str(exe), str(HERE / "nest_microcircuit.py"), "--scale", str(scale), "--duration-ms",
                   str(duration_ms), "--discard-ms", str(discard_ms), "--threads", "1", "--seed", str(seed),
                   "--json", "--stats-out", tmp.name]
            rec = run_json(cmd)
            stats = json.loads(Path(tmp.name).read_text())
        rec["command"] = " ".join(["python", "benchmarks/peers/nest_microcircuit.py", *cmd[2:-2]])
        runs.append(rec)
        per_seed.append(stats["populations"])
        params = stats["parameters"]
        print(f"nest microcircuit k={scale} seed {seed}: RTF {rec['real_time_factor']:.2f}, "
              f"rates {', '.join(f'{v:.2f}' for v in rec['rates_hz'].values())}")
    pops = params["populations"]
    quantities = ["rate_hz", "cv_isi", "correlation", "active_fraction"]
    populations = {
        pop: {q: {**mean_sd([s[pop][q] for s in per_seed]), "per_seed": [s[pop][q] for s in per_seed]}
              for q in quantities} | {"n_neurons": per_seed[0][pop]["n_neurons"]}
        for pop in pops
    }
    data = {
        "provenance": provenance({"nest_version": runs[0]["version"]}),
        "description": "NEST 3.10 microcircuit (microcircuit.md) at scale k: per-population statistics over seeds",
        "scale": scale, "seeds": seeds, "duration_ms": duration_ms, "discard_ms": discard_ms,
        "analysis_window_ms": [discard_ms, duration_ms],
        "statistics": {
            "rate_hz": "spikes in the window / n_neurons / window length",
            "cv_isi": "mean over neurons with >= 3 ISIs in the window of std(ISI)/mean(ISI)",
            "correlation": ("mean Pearson correlation of 5-ms binned spike counts over 200 random distinct "
                            "pairs of neurons that fire in the window"),
            "active_fraction": "fraction of neurons with >= 1 spike in the window",
            "across_seeds": "mean and sample SD (ddof 1) over seeds",
        },
        "populations": populations,
        "timing": {k: mean_sd([r[k] for r in runs]) for k in ("build_s", "run_s", "cpu_s", "real_time_factor",
                                                                  "peak_rss_mb")},
        "runs": runs,
        "parameters": params,
    }
    label = f"{scale:g}".replace(".", "")
    write(out / f"microcircuit_nest_k{label}.json", data)


def make_fi(out: Path) -> None:
    exe = peer_python("brian2")
    if exe is None:
        print(f"brian2: not installed under {peers_dir()}, f-I curves skipped")
        return
    target = out / "fi_curves_brian2.json"
    subprocess.run([str(exe), str(HERE / "brian2_fi_curves.py"), "--out", str(target)], check=True)
    data = json.loads(target.read_text())
    write(target, {"provenance": provenance({"command": "python benchmarks/peers/brian2_fi_curves.py"}), **data})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "data"))
    parser.add_argument("--only", default="rsfs,coba,microcircuit,fi,multiarea", help="comma-separated subset")
    parser.add_argument("--coba-seeds", default="1,2,3")
    parser.add_argument("--coba-n-neurons", type=int, default=4000)
    parser.add_argument("--microcircuit-scale", type=float, default=0.1)
    parser.add_argument("--microcircuit-seeds", default="1,2,3,4,5")
    parser.add_argument("--microcircuit-duration-ms", type=float, default=1200.0)
    parser.add_argument("--microcircuit-discard-ms", type=float, default=200.0)
    parser.add_argument("--multiarea-presets", default="ground,metastable")
    parser.add_argument("--multiarea-seeds", default="1,2,3,4")
    parser.add_argument("--multiarea-t-sim-ms", type=float, default=2000.0)
    parser.add_argument("--multiarea-spikes-dir", default=None,
                        help="keep the runs' spikes (.npz) and records here (default: a temporary folder)")
    parser.add_argument("--multiarea-reuse", action="store_true",
                        help="reuse runs of the same configuration found in --multiarea-spikes-dir")
    parser.add_argument("--dendrites-sample-every", type=int, default=8,
                        help="steps between stored soma samples of the dendrites reference (8: 0.2 ms)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    if "rsfs" in only:
        make_rsfs(out)
    if "fi" in only:
        make_fi(out)
    if "coba" in only:
        make_coba(out, [int(s) for s in args.coba_seeds.split(",")], args.coba_n_neurons)
    if "microcircuit" in only:
        make_microcircuit(out, args.microcircuit_scale, [int(s) for s in args.microcircuit_seeds.split(",")],
                          args.microcircuit_duration_ms, args.microcircuit_discard_ms)
    if "multiarea" in only:
        make_multiarea(out, peer_python("nest"), provenance(), args.multiarea_presets.split(","),
                       [int(s) for s in args.multiarea_seeds.split(",")], t_sim_ms=args.multiarea_t_sim_ms,
                       spikes_dir=args.multiarea_spikes_dir, reuse=args.multiarea_reuse)
    if "consolidation" in only:
        make_consolidation(out)
    if "dendrites" in only:
        make_dendrites(out, args.dendrites_sample_every)
    return 0


def make_dendrites(out: Path, sample_every: int) -> None:
    """Brian2 SpatialNeuron on the EPSP cases of dendrites_cases.py (runtime device)."""
    import tempfile

    exe = peer_python("brian2")
    if exe is None:
        print(f"brian2: not installed under {peers_dir()}, dendrites skipped")
        return
    sys.path.insert(0, str(ROOT))
    import dendrites_cases  # needs netdyn: run this script with netdyn's interpreter

    names = list(dendrites_cases.REFERENCE_CASES)
    with tempfile.TemporaryDirectory(prefix="dendrites_cases_") as tmp:
        paths = []
        cases = {}
        for name in names:
            cases[name] = dendrites_cases.case(name)
            paths.append(Path(tmp) / f"{name}.json")
            paths[-1].write_text(json.dumps(cases[name]))
        cmd = [str(exe), str(HERE / "brian2_dendrites.py"), *map(str, paths), "--device", "runtime",
               "--sample-every", str(sample_every)]
        rec = run_json(cmd)
    entries = {}
    for res in rec["results"]:
        name = res["name"]
        entries[name] = {"case": cases[name], "epsp": res["epsp"], "t0_ms": res["t0_ms"],
                         "sample_every": res["sample_every"], "sample_dt_ms": res["sample_every"] * res["dt_ms"],
                         "soma_v_mV": [round(v, 5) for v in res["v_mV"][0]],
                         "n_compartments": res["n_compartments"], "timing": res["timing"]}
        e = res["epsp"]
        print(f"{name}: {res['n_compartments']} compartments, soma EPSP {e['peak_mV']:.4f} mV at "
              f"{e['time_to_peak_ms']:.3f} ms, site {', '.join(f'{v:.3f}' for v in e['site_peak_mV'])} mV")
    data = {
        "provenance": provenance({"brian2_version": rec["version"],
                                  "command": "python benchmarks/peers/make_reference_data.py --only dendrites"}),
        "description": ("Brian2 SpatialNeuron (runtime device, Cython) on the dendritic EPSP cases of "
                        "benchmarks/peers/dendrites_cases.py, built by benchmarks/peers/brian2_dendrites.py: "
                        "passive cable, double-exponential AMPA / NMDA (Mg block) point conductances in the "
                        "compartment that holds the synapse, one input spike at epsp.onset_ms"),
        "simulator": rec["simulator"], "method": rec["method"], "cable_solver": rec["cable_solver"],
        "metrics": {"peak_mV": "max of the soma V after the onset step minus V at the onset step (every step)",
                    "time_to_peak_ms": "time of that maximum minus the onset (every step)",
                    "soma_v_mV": "soma V at t0_ms + k * sample_dt_ms, rounded to 1e-5 mV"},
        "tolerance_note": "the issue's criterion: netdyn within 2 % (tests/test_dendrites_brian2.py)",
        "cases": entries,
    }
    write(out / "dendrites_brian2_reference.json", data)


def make_consolidation(out: Path) -> None:
    """The Arbor consolidation reference (kept keys such as ``defaultnet_10s_cost`` stay)."""
    exe = peer_python("nest")
    if exe is None:
        print(f"nest/arbor: not installed under {peers_dir()}, consolidation skipped")
        return
    cmd = [str(exe), str(HERE / "arbor_consolidation.py"),
           "--reference-out", str(out / "consolidation_arbor_reference.json")]
    proc = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1"), text=True, capture_output=True)
    print(proc.stdout.splitlines()[-1] if proc.stdout else "", proc.stderr[-2000:])
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode})")


if __name__ == "__main__":
    sys.exit(main())
