"""Seeded connectivity generators.

Rate networks: scipy.sparse CSR (or dense) weight matrices. Convention: ``W[i, j]`` is the
weight from presynaptic unit ``j`` onto postsynaptic unit ``i`` (rows are targets), so the
recurrent input is ``W @ r``.

Spiking networks: connection rules (:mod:`netdyn.connectivity.rules`, ``connect`` returns int32
``(pre, post)`` index arrays) and weight/delay distributions
(:mod:`netdyn.connectivity.distributions`).
"""

from netdyn.connectivity.dale import default_weight_scale, kept_edges, strongly_connected_dale
from netdyn.connectivity.distributions import Constant, Distribution, LogNormal, Normal, Uniform, as_distribution, sample
from netdyn.connectivity.random import bernoulli_gaussian, edge_statistics
from netdyn.connectivity.rules import (
    AllToAll,
    ConnectionRule,
    ExplicitPairs,
    FixedIndegree,
    FixedOutdegree,
    FixedProbability,
    FixedTotalNumber,
    OneToOne,
    as_rule,
    connect,
    expected_synapses,
)

__all__ = [
    "AllToAll",
    "ConnectionRule",
    "Constant",
    "Distribution",
    "ExplicitPairs",
    "FixedIndegree",
    "FixedOutdegree",
    "FixedProbability",
    "FixedTotalNumber",
    "LogNormal",
    "Normal",
    "OneToOne",
    "Uniform",
    "as_distribution",
    "as_rule",
    "bernoulli_gaussian",
    "connect",
    "default_weight_scale",
    "edge_statistics",
    "expected_synapses",
    "kept_edges",
    "sample",
    "strongly_connected_dale",
]
