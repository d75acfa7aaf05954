"""NEST's memory per neuron and per synapse when it builds netdyn's multi-area model, measured at
small scales: the constants of :mod:`netdyn.engines.nest.memory`.

For each scale, a fresh process imports NEST, resets its kernel (the baseline resident memory),
builds the network through netdyn's NEST backend (``Network(spec, backend="nest")``) and
prepares it (``nest.Prepare``: the spike buffers of the first run), then reports the growth of
its resident memory. The bytes per synapse come from a probe (2,000 neurons with
2,000,000 synapses against the same neurons with 2,000), the bytes per neuron from a
least-squares fit of the rest over the scales; the script prints them beside what the current
constants predict.

Run: ``python benchmarks/nest_memory.py [--scales 0.002,0.005,0.01,0.02] [--threads 1]``
(needs ``pip install 'netdyn[nest]'``; ~1 min per 0.01 of scale on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

_CHILD = r"""
import json, os, sys
os.environ["PYNEST_QUIET"] = "1"
import psutil
import nest
from netdyn.config.multiarea import MultiAreaConfig
from netdyn.studies.multiarea.network import model_network
from netdyn.engines.nest import NestNetwork
scale, threads = float(sys.argv[1]), int(sys.argv[2])
if scale > 0:
    _, spec, _ = model_network(MultiAreaConfig(scale=scale))
else:  # the synapse probe: 2,000 neurons with an indegree of -scale, weights and delays as the model's
    from netdyn.models.spiking.spec import NetworkSpec
    spec = NetworkSpec.model_validate({"dt_ms": 0.1, "populations": [{"name": "E", "n_neurons": 2000, "model": "lif_psc_exp"}],
        "projections": [{"source": "E", "target": "E", "receptor": "exc", "rule": {"rule": "fixed_indegree", "indegree": int(-scale)},
                         "weight": {"kind": "normal", "mean": 87.8, "std": 8.8, "min": 0.0},
                         "delay_ms": {"kind": "normal", "mean": 1.5, "std": 0.75, "min": 0.1, "max": 3.0}}]})
nest.ResetKernel()
proc = psutil.Process()
base = proc.memory_info().rss
net = NestNetwork(spec, threads=threads)
nest.Prepare()
grown = proc.memory_info().rss - base
nest.Cleanup()
n_neurons = sum(p.n_neurons for p in spec.populations)
print(json.dumps({"scale": scale, "threads": threads, "n_neurons": n_neurons, "n_synapses": net.n_synapses,
                  "bytes": grown, "build_s": net.build_time_s}))
"""


def measure(scale: float, threads: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(scale), str(threads)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.002,0.005,0.01,0.02")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from netdyn.engines.nest.memory import nest_memory_bytes

    # bytes per synapse: 2,000 neurons with 2,000,000 synapses against the same neurons with 1,000
    empty, full = measure(-1.0, args.threads), measure(-1000.0, args.threads)
    per_synapse = (full["bytes"] - empty["bytes"]) / (full["n_synapses"] - empty["n_synapses"])
    print(f"synapse probe: {full['n_synapses']} synapses -> {per_synapse:.1f} B/synapse")
    rows = [measure(float(s), args.threads) for s in args.scales.split(",")]
    # bytes per neuron of the model (ring buffers as long as its longest delay): the rest, fitted
    a = np.array([[1.0, r["n_neurons"]] for r in rows])
    y = np.array([r["bytes"] - per_synapse * r["n_synapses"] for r in rows], dtype=float)
    (base, per_neuron), *_ = np.linalg.lstsq(a, y, rcond=None)
    coef = (base, per_neuron, per_synapse)
    a = np.array([[1.0, r["n_neurons"], r["n_synapses"]] for r in rows])
    print(f"{'scale':>7} {'neurons':>10} {'synapses':>12} {'measured MB':>12} {'fit MB':>9} {'model MB':>9} {'build s':>8}")
    for r, fit in zip(rows, a @ coef):
        model = nest_memory_bytes(r["n_neurons"], r["n_synapses"], ranks=1, threads=args.threads) \
            - nest_memory_bytes(0, 0, ranks=1, threads=args.threads)
        print(f"{r['scale']:7.3f} {r['n_neurons']:10d} {r['n_synapses']:12d} {r['bytes'] / 1e6:12.1f} "
              f"{fit / 1e6:9.1f} {model / 1e6:9.1f} {r['build_s']:8.1f}")
    print(f"fit: {coef[0] / 1e6:.1f} MB + {coef[1]:.0f} B/neuron + {coef[2]:.2f} B/synapse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
