"""Seeded connectivity generators returning scipy.sparse CSR (or dense) weight matrices.

Convention: ``W[i, j]`` is the weight from presynaptic unit ``j`` onto postsynaptic unit
``i`` (rows are targets), so the recurrent input is ``W @ r``.
"""

from netdyn.connectivity.dale import default_weight_scale, kept_edges, strongly_connected_dale
from netdyn.connectivity.random import bernoulli_gaussian, edge_statistics

__all__ = ["bernoulli_gaussian", "default_weight_scale", "edge_statistics", "kept_edges", "strongly_connected_dale"]
