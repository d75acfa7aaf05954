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
from netdyn.counter_random import counter_bits, counter_normal, counter_uniform, step_stream
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


def needs_counts(rule: Any) -> bool:
    """Whether the procedural form of ``rule`` keeps an out-degree per source (an int32 each,
    :attr:`ProceduralPlan.counts`): ``fixed_total_number`` and ``fixed_indegree``, whose
    out-degrees are drawn when the network is built, and ``fixed_outdegree``, whose ``K`` is
    kept per source in the same array."""
    return isinstance(as_rule(rule), (FixedTotalNumber, FixedIndegree, FixedOutdegree))


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
            out[s] = uniform_target(stream, s, others, skip_self, source)
        return count
    if p <= 0.0 or others <= 0:
        return 0
    if p >= 1.0:
        for t in range(others):
            out[k] = t + 1 if skip_self and t >= source else t
            k += 1
        return k
    inv_log_q = 1.0 / math.log1p(-p)
    t = bernoulli_next(stream, 0, -1, others, inv_log_q)
    while t >= 0:
        out[k] = t + 1 if skip_self and t >= source else t
        k += 1
        t = bernoulli_next(stream, k, t, others, inv_log_q)
    return k


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def bernoulli_next(stream, s, t, others, inv_log_q):  # pragma: no cover - compiled
    """The target after ``t`` (-1 before the first) of a source with Bernoulli targets among
    ``others``, by geometric skipping with draw ``s`` of its stream: a gap of
    ``floor(log(1 - u) / log(1 - p))`` targets (``inv_log_q = 1 / log(1 - p)``); -1 past the last."""
    gap = math.floor(math.log1p(-counter_uniform(stream, s)) * inv_log_q)
    if gap >= others - t - 1:
        return np.int64(-1)
    return t + np.int64(gap) + 1


# ----------------------------------------------------------------------------- weights and delays
CONSTANT, NORMAL, NORMAL_CLIP, TRUNCATED_NORMAL, LOGNORMAL, UNIFORM = 0, 1, 2, 3, 4, 5
REDRAW_MIN_MASS = 0.25  # as the stored sampler: below, redrawing wastes draws
MAX_REDRAWS = 64  # then the truncated CDF is inverted (probability <= 0.75**64 = 1e-8)


def value_params(dist: Any) -> np.ndarray:
    """The float64 vector :func:`draw_value` reads for a weight or delay distribution
    (:mod:`netdyn.connectivity.distributions`): ``[kind, a, b, lo, hi, mass]`` (``mass``: the
    probability a bounded normal's draw is admissible)."""
    from netdyn.connectivity.distributions import Constant, LogNormal, Normal, Uniform, as_distribution

    dist = as_distribution(dist)
    if isinstance(dist, Constant):
        return np.array([CONSTANT, dist.value, 0.0, -np.inf, np.inf, 1.0])
    if isinstance(dist, Uniform):
        return np.array([UNIFORM, dist.low, dist.high, -np.inf, np.inf, 1.0])
    if isinstance(dist, LogNormal):
        mu, s = dist.log_params
        return np.array([LOGNORMAL, mu, s, math.copysign(1.0, dist.mean), np.inf, 1.0])
    assert isinstance(dist, Normal)
    lo = -np.inf if dist.min is None else dist.min
    hi = np.inf if dist.max is None else dist.max
    if dist.std == 0.0:
        return np.array([CONSTANT, min(max(dist.mean, lo), hi), 0.0, -np.inf, np.inf, 1.0])
    if dist.min is None and dist.max is None:
        kind = NORMAL
    else:
        kind = TRUNCATED_NORMAL if dist.bound == "redraw" else NORMAL_CLIP
    return np.array([kind, dist.mean, dist.std, lo, hi, dist.admissible_mass])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def draw_value(params, stream, i):  # pragma: no cover - compiled
    """Value ``i`` of ``stream`` from the distribution ``params`` (:func:`value_params`).

    Normal: the ziggurat (``counter_normal``); clipped: the same, clipped; bounded with
    ``redraw``: the truncated normal, the law NEST's ``redraw`` and
    :func:`~netdyn.connectivity.distributions.sample` give. Where at least
    :data:`REDRAW_MIN_MASS` of the normal is admissible it redraws (attempt ``j`` > 0 from the
    sub-stream ``step_stream(stream, j)``: a few ns a draw); otherwise it inverts the
    truncated CDF (one uniform, ~10x the cost).
    """
    kind = np.int64(params[0])
    a, b, lo, hi = params[1], params[2], params[3], params[4]
    if kind == CONSTANT:
        return a
    if kind == UNIFORM:
        return a + (b - a) * counter_uniform(stream, i)
    if kind == LOGNORMAL:
        return lo * math.exp(a + b * counter_normal(stream, i))
    if kind == NORMAL:
        return a + b * counter_normal(stream, i)
    if kind == NORMAL_CLIP:
        x = a + b * counter_normal(stream, i)
        return lo if x < lo else (hi if x > hi else x)
    if params[5] >= REDRAW_MIN_MASS:
        x = a + b * counter_normal(stream, i)
        j = 0
        while (x < lo or x > hi) and j < MAX_REDRAWS:
            x = a + b * counter_normal(step_stream(stream, j), i)
            j += 1
        if lo <= x <= hi:
            return x
    za, zb = (lo - a) / b, (hi - a) / b
    u = counter_uniform(stream, i)
    if za > 0.0:  # both bounds above the mean: invert the upper tail, where the CDF keeps its digits
        qa, qb = _norm_sf(za), _norm_sf(zb)
        z = -_ndtri(qa - u * (qa - qb))
    else:
        pa, pb = _norm_cdf(za), _norm_cdf(zb)
        z = _ndtri(pa + u * (pb - pa))
    x = a + b * z
    return lo if x < lo else (hi if x > hi else x)


@njit(cache=True, nogil=True, inline="always")
def _norm_cdf(z):  # pragma: no cover - compiled
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@njit(cache=True, nogil=True, inline="always")
def _norm_sf(z):  # pragma: no cover - compiled
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@njit(cache=True, nogil=True, error_model="numpy")
def _ndtri(p):  # pragma: no cover - compiled
    """The standard normal quantile (Wichura 1988, algorithm AS 241, PPND16: relative error
    about 1e-16)."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
                        + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                     + 133.14166789178437745) * r + 3.387132872796366608) / (
            ((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
             + 42.313330701600911252) * r + 1.0)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                 + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
              + 4.6303378461565452959) * r + 1.42343711074968357734) / (
            ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
             + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                 + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
              + 5.4637849111641143699) * r + 6.6579046435011037772) / (
            ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
             + 0.59983220655588793769) * r + 1.0)
    return -x if q < 0.0 else x


# ----------------------------------------------------------------------------- delays in steps
def _below(dist: Any, x: np.ndarray) -> np.ndarray:
    """``P(X < x)`` of a delay or weight distribution (clipped normals keep their point masses
    at the bounds)."""
    from scipy.special import ndtr

    from netdyn.connectivity.distributions import Constant, LogNormal, Normal, Uniform, as_distribution

    dist = as_distribution(dist)
    x = np.asarray(x, dtype=np.float64)
    if isinstance(dist, Constant):
        return (x > dist.value).astype(np.float64)
    if isinstance(dist, Uniform):
        return np.clip((x - dist.low) / (dist.high - dist.low), 0.0, 1.0) if dist.high > dist.low else (
            (x > dist.low).astype(np.float64))
    if isinstance(dist, LogNormal):
        mu, s = dist.log_params
        with np.errstate(divide="ignore"):
            return np.where(x > 0, ndtr((np.log(np.maximum(x, 1e-300)) - mu) / s), 0.0)
    assert isinstance(dist, Normal)
    lo = -np.inf if dist.min is None else dist.min
    hi = np.inf if dist.max is None else dist.max
    if dist.std == 0.0:
        return (x > min(max(dist.mean, lo), hi)).astype(np.float64)
    phi = ndtr((x - dist.mean) / dist.std)
    if dist.bound == "clip":
        return np.where(x <= lo, 0.0, np.where(x > hi, 1.0, phi))
    phi_lo = ndtr((lo - dist.mean) / dist.std)
    return np.clip((phi - phi_lo) / dist.admissible_mass, 0.0, 1.0)


def delay_step_pmf(dist: Any, dt_ms: float, max_steps: int) -> np.ndarray:
    """The law of a delay in whole steps, ``max(rint(X / dt), 1)`` cut at ``max_steps``, for
    ``X`` drawn from ``dist`` (ms): ``pmf[d - 1] = P(delay = d)``, ``d = 1 .. max_steps``.

    This is the law the stored synapses' delays follow (drawn, then rounded to steps); the
    mass beyond the cut is put on the cut."""
    from netdyn.connectivity.distributions import Constant, as_distribution

    dist = as_distribution(dist)
    pmf = np.zeros(max(int(max_steps), 1))
    if isinstance(dist, Constant) or pmf.size == 1:
        value = dist.value if isinstance(dist, Constant) else 0.0
        pmf[min(max(int(np.rint(value / dt_ms)), 1), pmf.size) - 1] = 1.0
        return pmf
    edges = _below(dist, (np.arange(1, pmf.size) + 0.5) * dt_ms)  # P(X < (d + 1/2) dt), d = 1 .. max - 1
    cdf = np.concatenate([edges, [1.0]])
    pmf[:] = np.diff(cdf, prepend=0.0)
    pmf = np.maximum(pmf, 0.0)
    return pmf / pmf.sum()


def alias_table(pmf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of a discrete law (Vose 1991): ``(prob, alias)``; value ``i`` is
    drawn with ``i = floor(u1 n)``, kept if ``u2 < prob[i]``, else ``alias[i]``."""
    n = pmf.size
    scaled = np.asarray(pmf, dtype=np.float64) * n / pmf.sum()
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias  # what is left has probability 1 (up to round-off)


@njit(cache=True, nogil=True, inline="always")
def alias_draw(n, stream, i):  # pragma: no cover - compiled
    """Draw ``i`` of ``stream`` for an alias table of ``n`` columns: ``(column, coin)``, the high 32
    bits of one SplitMix64 draw picking the column, the low 32 bits the coin in [0, 1)."""
    bits = counter_bits(stream, i)
    col = np.int64(((bits >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
    return col, np.float64(bits & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)


@njit(cache=True, nogil=True, inline="always")
def draw_alias(prob, alias, off, n, stream, i):  # pragma: no cover - compiled
    """Value ``i`` of ``stream`` from the alias table ``prob[off:off+n]``, ``alias[off:off+n]``
    (index in ``0 .. n-1``; :func:`alias_draw`): the column if the coin falls below its
    probability, else its alias."""
    col, coin = alias_draw(n, stream, i)
    return col if coin < prob[off + col] else np.int64(alias[off + col])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def uniform_target(stream, s, others, skip_self, source):  # pragma: no cover - compiled
    """Target of synapse ``s`` of a source with uniform targets (see :func:`source_targets`)."""
    t = np.int64(counter_uniform(stream, s) * others)
    if t >= others:  # u * others rounded up to others
        t = others - 1
    return t + 1 if skip_self and t >= source else t
