r"""Procedural connectivity: a static projection's synapses are not stored but regenerated,
each time a source spikes, from a counter-based random stream keyed by (projection, source)
(Knight & Nowotny 2021, Nature Computational Science 1:136). Memory falls from O(synapses) to
O(sources) for the rules that need per-source counts and to O(1) for the others; the work per
spike is a few random draws per synapse.

What each rule becomes (``plan_projection``), and what its statistics are:

``fixed_total_number`` (multapses)
    The stored rule draws ``N`` (pre, post) pairs uniformly. Its out-degrees are then
    Multinomial(N; 1/n_pre, ...): they are drawn once, when the network is built, and stored
    (4 bytes per source); source ``i``'s targets are ``k_i`` independent uniform draws. The
    joint law of the pairs is the stored rule's.
``fixed_outdegree`` (multapses)
    ``K`` independent uniform targets per source: the stored rule's law.
``fixed_indegree`` (multapses)
    A target's in-degree cannot be fixed one source at a time. The per-source form is
    ``fixed_total_number`` with ``N = K n_post``: every pair's law is the stored rule's
    (uniform sources, the same mean in-degree ``K``), but a target's in-degree is
    Binomial(K n_post, 1/n_post) ~ Poisson(K) instead of exactly ``K``.
``fixed_probability``
    Each target with probability ``p``, by geometric skipping over the targets (one draw per
    synapse): the stored rule's law (Bernoulli pairs).
``all_to_all``, ``one_to_one``
    No draws.

Without autapses (a projection within one population), targets are drawn among the
``n_post - 1`` others. Rules without multapses (distinct pairs) and explicit pairs are not
procedural: :func:`plan_projection` refuses them, naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from netdyn.connectivity.rules import (
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedProbability,
    FixedTotalNumber,
    OneToOne,
    as_rule,
)
from netdyn.counter_random import counter_uniform, step_stream
from netdyn.errors import ConfigError

UNIFORM_TARGETS, BERNOULLI_TARGETS, ALL_TARGETS, SAME_INDEX = 0, 1, 2, 3


@dataclass(frozen=True)
class ProceduralPlan:
    """What regenerates one projection's synapses (see the module docstring).

    Attributes
    ----------
    kind
        :data:`UNIFORM_TARGETS` (``counts[i]`` uniform targets), :data:`BERNOULLI_TARGETS`
        (each target with probability ``p``), :data:`ALL_TARGETS` or :data:`SAME_INDEX`.
    n_pre, n_post
        Sources and targets (neurons).
    skip_self
        Source ``i`` never targets neuron ``i`` (one population, no autapses).
    counts
        int32 out-degree of every source (:data:`UNIFORM_TARGETS`; empty otherwise).
    p
        Connection probability (:data:`BERNOULLI_TARGETS`).
    key
        Key of the projection's streams.
    """

    kind: int
    n_pre: int
    n_post: int
    skip_self: bool
    counts: np.ndarray
    p: float
    key: np.uint64

    @property
    def nbytes(self) -> int:
        """Bytes the plan keeps (its per-source counts)."""
        return int(self.counts.nbytes)

    def expected_synapses(self) -> float:
        """Expected number of synapses of the projection."""
        others = self.n_post - 1 if self.skip_self else self.n_post
        if self.kind == UNIFORM_TARGETS:
            return float(self.counts.sum())
        if self.kind == BERNOULLI_TARGETS:
            return self.p * self.n_pre * others
        return float(self.n_pre * (others if self.kind == ALL_TARGETS else 1))

    def max_synapses_per_source(self) -> int:
        """An upper bound of one source's synapses (sizes the buffer they are made in)."""
        others = self.n_post - 1 if self.skip_self else self.n_post
        if self.kind == UNIFORM_TARGETS:
            return int(self.counts.max(initial=0))
        return others if self.kind in (BERNOULLI_TARGETS, ALL_TARGETS) else 1

    def targets(self, source: int) -> np.ndarray:
        """The targets of ``source`` (0 <= source < n_pre), in the order they are made."""
        out = np.empty(max(self.max_synapses_per_source(), 1), dtype=np.int64)
        count = int(self.counts[source]) if self.kind == UNIFORM_TARGETS else 0
        k = source_targets(self.kind, self.n_post, self.skip_self, count, self.p, self.key, source, out)
        return out[:k]


def plan_projection(rule: Any, n_pre: int, n_post: int, *, same_population: bool, key: np.uint64,
                    rng: np.random.Generator, field: str = "rule") -> ProceduralPlan:
    """The procedural form of ``rule`` between ``n_pre`` sources and ``n_post`` targets.

    ``rng`` draws what is stored (the out-degrees of ``fixed_total_number`` and
    ``fixed_indegree``); ``key`` keys the per-source streams. :class:`ConfigError` naming
    ``field`` for a rule that cannot be regenerated per source.
    """
    rule = as_rule(rule)
    autapses = getattr(rule, "autapses", True)
    skip_self = bool(same_population and not autapses)
    empty = np.zeros(0, dtype=np.int32)
    if isinstance(rule, (FixedTotalNumber, FixedOutdegree, FixedIndegree)) and not rule.multapses:
        raise ConfigError(f"{field}.multapses", False, "procedural connectivity draws targets independently "
                                                       "(multapses); distinct pairs must be stored")
    if skip_self and n_post < 2 and not isinstance(rule, (FixedProbability, AllToAll)):
        raise ConfigError(f"{field}.autapses", False, "a population of one neuron has no other target")
    if isinstance(rule, (FixedTotalNumber, FixedIndegree)):
        total = rule.n_synapses if isinstance(rule, FixedTotalNumber) else rule.indegree * n_post
        counts = rng.multinomial(total, np.full(n_pre, 1.0 / n_pre)) if n_pre else np.zeros(0, np.int64)
        if counts.size and counts.max() >= 2**31:
            raise ConfigError(field, total, "more than 2**31 synapses from one source")
        return ProceduralPlan(UNIFORM_TARGETS, n_pre, n_post, skip_self, counts.astype(np.int32), 0.0, key)
    if isinstance(rule, FixedOutdegree):
        return ProceduralPlan(UNIFORM_TARGETS, n_pre, n_post, skip_self, np.full(n_pre, rule.outdegree, np.int32),
                              0.0, key)
    if isinstance(rule, FixedProbability):
        return ProceduralPlan(BERNOULLI_TARGETS, n_pre, n_post, skip_self, empty, float(rule.p), key)
    if isinstance(rule, AllToAll):
        return ProceduralPlan(ALL_TARGETS, n_pre, n_post, skip_self, empty, 1.0, key)
    if isinstance(rule, OneToOne):
        return ProceduralPlan(SAME_INDEX, n_pre, n_post, False, empty, 1.0, key)
    raise ConfigError(field, getattr(rule, "rule", rule), "explicit pairs are stored, not regenerated")


@njit(cache=True, nogil=True, error_model="numpy")
def source_targets(kind, n_post, skip_self, count, p, key, source, out):  # pragma: no cover - compiled
    """Write the targets of ``source`` into ``out``; return how many (see :class:`ProceduralPlan`).

    Draw ``s`` of the source's stream ``step_stream(key, source)`` makes synapse ``s``
    (uniform targets) or the gap before it (Bernoulli targets: geometric skipping, gap
    ``floor(log(1 - u) / log(1 - p))``), so the same source always gets the same targets.
    """
    others = n_post - 1 if skip_self else n_post
    if kind == SAME_INDEX:
        out[0] = source
        return 1
    k = 0
    if kind == ALL_TARGETS:
        for t in range(others):
            out[k] = t + 1 if skip_self and t >= source else t
            k += 1
        return k
    stream = step_stream(key, source)
    if kind == UNIFORM_TARGETS:
        for s in range(count):
            t = np.int64(counter_uniform(stream, s) * others)
            if t >= others:  # u * others rounded up to others
                t = others - 1
            out[s] = t + 1 if skip_self and t >= source else t
        return count
    if p <= 0.0 or others <= 0:
        return 0
    if p >= 1.0:
        for t in range(others):
            out[k] = t + 1 if skip_self and t >= source else t
            k += 1
        return k
    scale = 1.0 / math.log1p(-p)
    t = -1
    s = 0
    while True:
        gap = math.floor(math.log1p(-counter_uniform(stream, s)) * scale)
        s += 1
        if gap >= others - t - 1:
            break
        t += np.int64(gap) + 1
        out[k] = t + 1 if skip_self and t >= source else t
        k += 1
    return k
