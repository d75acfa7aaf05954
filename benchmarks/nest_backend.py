"""netdyn's engine against its NEST backend on the same NetworkSpec, same machine, same run:
build time, simulation time, CPU time and peak memory, and the network's mean rate.

Every row is one fresh process that builds the network with ``Network(spec, backend=B,
threads=T)``, runs it and reads its recording: the NEST rows are what a user of
``--backend nest`` gets (the translation included in the build time). Networks: COBA with
4,000 neurons, the cortical microcircuit at scale 0.1 and the multi-area model at scale
0.005, one biological second each (after the build). NEST rows run with 1 and 2 threads.

Run: ``python benchmarks/nest_backend.py [--networks coba,microcircuit,multiarea]
[--duration-ms 1000] [--nest-threads 1,2] [--json-out rows.json]`` (needs
``pip install 'netdyn[nest]'``; ~5 min on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

_CHILD = r"""
import json, os, resource, sys, time
os.environ["PYNEST_QUIET"] = "1"
network, backend, threads, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if network == "coba":
    from netdyn.studies.coba import coba_spec
    spec = coba_spec(4000, seed=1)
elif network == "microcircuit":
    from netdyn.studies.microcircuit import microcircuit_spec
    spec = microcircuit_spec(0.1, seed=1)
else:
    from netdyn.config.multiarea import MultiAreaConfig
    from netdyn.studies.multiarea.network import model_network
    _, spec, _ = model_network(MultiAreaConfig(scale=0.005, seed=1))
from netdyn.engines.spiking import Network
if backend == "netdyn":  # compile (or load) the kernels outside the timings, as NEST's are built
    Network({"dt_ms": spec.dt_ms, "populations": [{"name": "w", "n_neurons": 2, "model": spec.populations[0].model}]}).run(1.0)
else:
    import nest
cpu0, t0 = time.process_time(), time.perf_counter()
net = Network(spec, backend=backend, threads=threads)
build = time.perf_counter() - t0
t1 = time.perf_counter()
net.run(duration, progress=False)
run = time.perf_counter() - t1
cpu = time.process_time() - cpu0
rec = net.recording()
n = sum(p.n_neurons for p in spec.populations)
spikes = sum(s.n_spikes for s in rec.spikes.values())
print(json.dumps({"network": network, "backend": backend, "threads": threads, "n_neurons": n,
                  "n_synapses": int(net.n_synapses), "build_s": build, "run_s": run, "cpu_s": cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rate_hz": spikes / n / (duration / 1000.0)}))
"""


def measure(network: str, backend: str, threads: int, duration_ms: float) -> dict:
    env_threads = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    import os

    out = subprocess.run([sys.executable, "-c", _CHILD, network, backend, str(threads), str(duration_ms)],
                         check=True, capture_output=True, text=True, env={**os.environ, **env_threads})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="coba,microcircuit,multiarea")
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--nest-threads", default="1,2")
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    try:
        import nest  # noqa: F401
    except ImportError:
        print("NEST is not installed (pip install 'netdyn[nest]'): only netdyn's rows", file=sys.stderr)
        nest_threads = []
    else:
        nest_threads = [int(t) for t in args.nest_threads.split(",")]
    rows = []
    header = (f"{'network':13s} {'backend':8s} {'thr':>3s} {'neurons':>8s} {'synapses':>11s} {'build s':>8s} "
              f"{'run s':>7s} {'CPU s':>7s} {'RTF':>6s} {'peak MB':>8s} {'rate Hz':>8s}")
    print(header)
    for network in args.networks.split(","):
        for backend, threads in [("netdyn", 1)] + [("nest", t) for t in nest_threads]:
            r = measure(network, backend, threads, args.duration_ms)
            rows.append(r)
            print(f"{r['network']:13s} {r['backend']:8s} {r['threads']:3d} {r['n_neurons']:8d} {r['n_synapses']:11d} "
                  f"{r['build_s']:8.2f} {r['run_s']:7.2f} {r['cpu_s']:7.2f} {r['run_s'] / (args.duration_ms / 1e3):6.2f} "
                  f"{r['peak_rss_mb']:8.0f} {r['rate_hz']:8.2f}", flush=True)
        ours = next(r for r in rows if r["network"] == network and r["backend"] == "netdyn")
        for r in rows:
            if r["network"] == network and r["backend"] == "nest":
                print(f"  {network}: NEST with {r['threads']} thread(s) takes {r['run_s'] / ours['run_s']:.1f}x the "
                      f"run time, {(r['build_s'] + r['run_s']) / (ours['build_s'] + ours['run_s']):.1f}x build + run "
                      f"and {r['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x the memory of netdyn's engine")
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
