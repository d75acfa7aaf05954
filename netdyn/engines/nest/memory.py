"""What a network costs in NEST, per MPI rank, before anything is built.

NEST keeps each neuron on one rank (with its ring buffers of incoming input, as long as the
network's longest delay) and each synapse on the rank of its target, so both divide over the
ranks; every rank also holds NEST's kernel. The constants were measured on this project's
machines with NEST 3.10 (``benchmarks/nest_memory.py``: resident memory after building and
preparing the network through netdyn's NEST backend, one thread):

- ``static_synapse`` with a drawn weight and delay: 40 B per synapse (2,000,000 synapses
  among 2,000 neurons against 2,000);
- a neuron of the multi-area model (``iaf_psc_exp``, delays up to tens of ms): 50.5 kB,
  fitted over scales 0.002 to 0.02 (8,139 to 82,469 neurons; 0.4 to 4.5 GB);
- the kernel: ~80 MB per rank.

For comparison, netdyn's own engine stores 8 B per synapse and ~100 B per neuron.
"""

from __future__ import annotations

import math
import os

from netdyn.errors import MemoryEstimateError
from netdyn.mpi_launch import launched_ranks

NEST_BYTES_PER_SYNAPSE = 40.0
NEST_BYTES_PER_NEURON = 50_500.0
NEST_BYTES_PER_RANK = 80e6

def nest_memory_parts(n_neurons: int, n_synapses: int, *, ranks: int = 1) -> dict[str, int]:
    """Bytes NEST needs on each of ``ranks`` ranks, by part, for ``n_neurons`` neurons and
    ``n_synapses`` synapses (the constants of this module)."""
    return {"NEST kernel": int(NEST_BYTES_PER_RANK),
            "neurons": int(NEST_BYTES_PER_NEURON * n_neurons / ranks),
            "synapses": int(NEST_BYTES_PER_SYNAPSE * n_synapses / ranks)}


def nest_memory_bytes(n_neurons: int, n_synapses: int, *, ranks: int = 1) -> float:
    """Bytes NEST needs on each of ``ranks`` ranks (the sum of :func:`nest_memory_parts`)."""
    return float(sum(nest_memory_parts(n_neurons, n_synapses, ranks=ranks).values()))


def check_nest_memory(n_neurons: int, n_synapses: int, available_bytes: int, *, ranks: int | None = None) -> None:
    """:class:`MemoryEstimateError` if the ranks on this machine (``ranks``, default: those
    ``mpiexec`` started, at most one per core here) would need more than 90 % of
    ``available_bytes``."""
    ranks = launched_ranks() if ranks is None else ranks
    here = min(ranks, os.cpu_count() or 1)
    parts = {k: v * here for k, v in nest_memory_parts(n_neurons, n_synapses, ranks=ranks).items()}
    needed = sum(parts.values())
    if needed > 0.9 * available_bytes:
        raise MemoryEstimateError(needed, available_bytes, parts)


def nodes_needed(n_neurons: int, n_synapses: int, node_bytes: float, *, ranks_per_node: int = 1) -> int:
    """Nodes of ``node_bytes`` memory each (90 % usable) that hold the network in NEST, with
    ``ranks_per_node`` ranks on each."""
    usable = 0.9 * node_bytes - ranks_per_node * NEST_BYTES_PER_RANK
    if usable <= 0:
        return math.inf  # type: ignore[return-value]
    return max(1, math.ceil((NEST_BYTES_PER_NEURON * n_neurons + NEST_BYTES_PER_SYNAPSE * n_synapses) / usable))
