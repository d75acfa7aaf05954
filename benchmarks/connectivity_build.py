"""Build times of the spiking connection rules (a printed table, not a test).

Usage: ``python benchmarks/connectivity_build.py``. Prints, per case, the wall time of
:func:`netdyn.connectivity.connect`, the synapses made, the build rate and the peak of numpy's
allocations during the build (tracemalloc) in bytes per synapse; the output itself is 8 B per
synapse (two int32 arrays).
"""

from __future__ import annotations

import time
import tracemalloc

from netdyn.connectivity import FixedIndegree, FixedProbability, FixedTotalNumber, connect
from netdyn.seeding import named_generator

CASES = [
    ("fixed_indegree K=200, 4000 -> 5000", FixedIndegree(indegree=200), 4000, 5000, False),
    ("fixed_indegree K=200 no multapses, 4000 -> 5000", FixedIndegree(indegree=200, multapses=False), 4000, 5000, False),
    ("fixed_total_number 2.5e7, 2e4 x 2e4", FixedTotalNumber(n_synapses=25_000_000), 20_000, 20_000, True),
    ("fixed_probability p=0.02, 2e4 x 2e4", FixedProbability(p=0.02), 20_000, 20_000, True),
]


def main() -> None:
    print(f"{'case':<50} {'build_s':>8} {'synapses':>11} {'Msyn/s':>7} {'peak_B/syn':>10}")
    for name, rule, n_pre, n_post, same in CASES:
        rng = named_generator(1, "bench", name)
        tracemalloc.start()
        t0 = time.perf_counter()
        pre, _ = connect(rule, n_pre, n_post, rng, same_population=same)
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:<50} {dt:8.3f} {pre.size:11d} {pre.size / dt / 1e6:7.1f} {peak / pre.size:10.1f}")


if __name__ == "__main__":
    main()
