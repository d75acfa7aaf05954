"""Connection rules of spiking projections, as records, and the vectorised builders.

A rule is a small serialisable record (PyNEST's ``conn_spec`` as data):
``{"rule": "fixed_indegree", "indegree": 200}``. :func:`connect` turns it into two int32
arrays ``(pre, post)`` of presynaptic and postsynaptic indices, one entry per synapse, for
populations of ``n_pre`` and ``n_post`` neurons. ``same_population`` says that pre and post are
the same neurons; only then does a pair ``(i, i)`` form an autapse.

Every builder is vectorised (no loop over neurons) and uses O(number of synapses) memory,
never an ``n_pre x n_post`` matrix (except :class:`AllToAll`, whose output is that size). The
output order is unspecified but a deterministic function of the rule, the sizes and the seed.
Seed each projection with :func:`netdyn.seeding.named_generator` ``(root_seed, "Exc->Inh")``
so that the build is independent of the order in which projections are built.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import Field, TypeAdapter, field_validator, model_validator

from netdyn.config.base import Spec
from netdyn.connectivity.distributions import validate_union
from netdyn.errors import ConfigError
from netdyn.seeding import SeedLike, as_generator

_INT32_MAX = np.iinfo(np.int32).max
# Pair slots converted to (pre, post) per chunk, to bound the int64 temporaries (~32 MB).
_CHUNK = 1 << 22


class FixedProbability(Spec):
    """Each pair is connected independently with probability ``p`` (NEST ``pairwise_bernoulli``,
    Brian2 ``connect(p=p)``). The indegree of a target is Binomial(n_pre, p) (n_pre - 1
    without autapses). No multapses."""

    rule: Literal["fixed_probability"] = "fixed_probability"
    p: float = Field(ge=0.0, le=1.0, description="connection probability per pair")
    autapses: bool = False


class FixedIndegree(Spec):
    """Each target gets exactly ``indegree`` sources, drawn uniformly (with replacement when
    ``multapses``: ntwk's rule and NEST's default)."""

    rule: Literal["fixed_indegree"] = "fixed_indegree"
    indegree: int = Field(ge=0, description="sources per target, K")
    autapses: bool = False
    multapses: bool = True


class FixedOutdegree(Spec):
    """Each source projects onto exactly ``outdegree`` targets, drawn uniformly (with
    replacement when ``multapses``)."""

    rule: Literal["fixed_outdegree"] = "fixed_outdegree"
    outdegree: int = Field(ge=0, description="targets per source")
    autapses: bool = False
    multapses: bool = True


class FixedTotalNumber(Spec):
    """Exactly ``n_synapses`` synapses, pre and post drawn uniformly (PD14 microcircuit rule;
    with ``multapses=False`` a uniform set of distinct pairs)."""

    rule: Literal["fixed_total_number"] = "fixed_total_number"
    n_synapses: int = Field(ge=0, description="number of synapses of the projection")
    autapses: bool = True
    multapses: bool = True


class OneToOne(Spec):
    """Neuron ``i`` onto neuron ``i``; needs ``n_pre == n_post``."""

    rule: Literal["one_to_one"] = "one_to_one"


class AllToAll(Spec):
    """Every source onto every target (without ``(i, i)`` in one population unless
    ``autapses``)."""

    rule: Literal["all_to_all"] = "all_to_all"
    autapses: bool = False


class ExplicitPairs(Spec):
    """The synapses ``pre[s] -> post[s]`` as given (ntwk's ``connections_from_pairs``)."""

    rule: Literal["explicit"] = "explicit"
    pre: tuple[int, ...]
    post: tuple[int, ...]

    @field_validator("pre", "post", mode="before")
    @classmethod
    def _from_array(cls, v: Any) -> Any:
        return v.tolist() if isinstance(v, np.ndarray) else v

    @field_validator("pre", "post")
    @classmethod
    def _non_negative(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if v and min(v) < 0:
            raise ValueError(f"indices must be >= 0, got {min(v)}")
        return v

    @model_validator(mode="after")
    def _same_length(self) -> "ExplicitPairs":
        if len(self.pre) != len(self.post):
            raise ConfigError("post", f"<{len(self.post)} indices>", f"must have as many entries as pre ({len(self.pre)})")
        return self


ConnectionRule = Annotated[
    Union[FixedProbability, FixedIndegree, FixedOutdegree, FixedTotalNumber, OneToOne, AllToAll, ExplicitPairs],
    Field(discriminator="rule"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ConnectionRule)
_RULES = (FixedProbability, FixedIndegree, FixedOutdegree, FixedTotalNumber, OneToOne, AllToAll, ExplicitPairs)


def as_rule(x: Any) -> Any:
    """A :data:`ConnectionRule` from a dict (``{"rule": ..., ...}``) or a record."""
    if isinstance(x, _RULES):
        return x
    if isinstance(x, dict):
        return validate_union(_ADAPTER, x, "connection rule")
    raise ConfigError("rule", x, "expected a dict with a 'rule' or a connection rule record")


# ----------------------------------------------------------------------------- checks


def _sizes(n_pre: Any, n_post: Any, same_population: bool) -> tuple[int, int]:
    out = []
    for name, n in (("n_pre", n_pre), ("n_post", n_post)):
        if isinstance(n, bool) or int(n) != n or not 0 <= n <= _INT32_MAX:
            raise ConfigError(name, n, f"must be an integer in [0, {_INT32_MAX}] (int32 indices)")
        out.append(int(n))
    if same_population and out[0] != out[1]:
        raise ConfigError("n_post", n_post, f"same_population needs n_pre == n_post, got n_pre={n_pre}")
    return out[0], out[1]


def _available(n_src: int, autapses: bool, same_population: bool) -> int:
    """Candidate partners of one neuron: all, or all but itself."""
    return n_src - 1 if (same_population and not autapses) else n_src


def _n_slots(n_pre: int, n_post: int, autapses: bool, same_population: bool) -> int:
    """Number of distinct (pre, post) pairs a rule may use."""
    return n_post * _available(n_pre, autapses, same_population)


def _check_degree(field: str, k: int, n_avail: int, n_rows: int, multapses: bool, side: str) -> None:
    if n_rows == 0 or k == 0:
        return
    if n_avail == 0:
        raise ConfigError(field, k, f"no {side} neuron to draw from")
    if not multapses and k > n_avail:
        raise ConfigError(field, k, f"without multapses at most {n_avail} distinct {side} neurons are available")


def _check(rule: Any, n_pre: int, n_post: int, same_population: bool) -> None:
    if isinstance(rule, FixedIndegree):
        _check_degree("indegree", rule.indegree, _available(n_pre, rule.autapses, same_population), n_post, rule.multapses, "presynaptic")
    elif isinstance(rule, FixedOutdegree):
        _check_degree("outdegree", rule.outdegree, _available(n_post, rule.autapses, same_population), n_pre, rule.multapses, "postsynaptic")
    elif isinstance(rule, FixedTotalNumber):
        slots = _n_slots(n_pre, n_post, rule.autapses, same_population)
        if rule.n_synapses > 0 and slots == 0:
            raise ConfigError("n_synapses", rule.n_synapses, "no (pre, post) pair to draw from")
        if not rule.multapses and rule.n_synapses > slots:
            raise ConfigError("n_synapses", rule.n_synapses, f"without multapses at most {slots} distinct pairs exist")
    elif isinstance(rule, OneToOne):
        if n_pre != n_post:
            raise ConfigError("n_post", n_post, f"one_to_one needs n_pre == n_post, got n_pre={n_pre}")
    elif isinstance(rule, ExplicitPairs):
        for field, idx, n in (("pre", rule.pre, n_pre), ("post", rule.post, n_post)):
            if idx and max(idx) >= n:
                raise ConfigError(field, max(idx), f"index out of range for a population of {n} neurons")


# ----------------------------------------------------------------------------- public API


def expected_synapses(rule: Any, n_pre: int, n_post: int, *, same_population: bool) -> int:
    """Number of synapses :func:`connect` will make (its expectation, rounded, for
    :class:`FixedProbability`), for a memory estimate before building.

    Raises the same :class:`ConfigError` as :func:`connect` for an infeasible rule.
    """
    rule = as_rule(rule)
    n_pre, n_post = _sizes(n_pre, n_post, same_population)
    _check(rule, n_pre, n_post, same_population)
    if isinstance(rule, FixedProbability):
        return int(round(rule.p * _n_slots(n_pre, n_post, rule.autapses, same_population)))
    if isinstance(rule, FixedIndegree):
        return rule.indegree * n_post
    if isinstance(rule, FixedOutdegree):
        return rule.outdegree * n_pre
    if isinstance(rule, FixedTotalNumber):
        return rule.n_synapses
    if isinstance(rule, OneToOne):
        return n_pre
    if isinstance(rule, AllToAll):
        return _n_slots(n_pre, n_post, rule.autapses, same_population)
    return len(rule.pre)


def connect(rule: Any, n_pre: int, n_post: int, seed: SeedLike = None, *, same_population: bool) -> tuple[np.ndarray, np.ndarray]:
    """Build the synapses of one projection.

    Parameters
    ----------
    rule
        A :data:`ConnectionRule` record or its dict.
    n_pre, n_post
        Sizes of the presynaptic and postsynaptic populations (neurons).
    seed
        Int, SeedSequence or Generator (a Generator is advanced); use
        ``named_generator(root_seed, projection_id)``.
    same_population
        Pre and post are the same neurons: only then are ``(i, i)`` pairs autapses.

    Returns
    -------
    pre, post : numpy.ndarray
        int32 arrays of equal length, one entry per synapse ``pre[s] -> post[s]``.
    """
    rule = as_rule(rule)
    n_pre, n_post = _sizes(n_pre, n_post, same_population)
    _check(rule, n_pre, n_post, same_population)
    rng = as_generator(seed)
    if isinstance(rule, FixedProbability):
        return _fixed_probability(rng, rule, n_pre, n_post, same_population)
    if isinstance(rule, FixedIndegree):
        n_avail = _available(n_pre, rule.autapses, same_population)
        shift = same_population and not rule.autapses
        return _fixed_degree(rng, rule.indegree, n_post, n_avail, rule.multapses, shift)
    if isinstance(rule, FixedOutdegree):
        n_avail = _available(n_post, rule.autapses, same_population)
        shift = same_population and not rule.autapses
        post, pre = _fixed_degree(rng, rule.outdegree, n_pre, n_avail, rule.multapses, shift)
        return pre, post
    if isinstance(rule, FixedTotalNumber):
        return _fixed_total_number(rng, rule, n_pre, n_post, same_population)
    if isinstance(rule, OneToOne):
        idx = np.arange(n_pre, dtype=np.int32)
        return idx, idx.copy()
    if isinstance(rule, AllToAll):
        n_cols = _available(n_pre, rule.autapses, same_population)
        return _slots_to_pairs(np.arange(n_post * n_cols, dtype=np.int64), n_cols, same_population and not rule.autapses)
    return np.asarray(rule.pre, dtype=np.int32), np.asarray(rule.post, dtype=np.int32)


# ----------------------------------------------------------------------------- builders


def _slots_to_pairs(slots: np.ndarray, n_cols: int, skip_diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pair slots ``s = post * n_cols + c`` to ``(pre, post)``; with ``skip_diagonal`` the
    column ``c`` of row ``post`` is presynaptic neuron ``c + (c >= post)`` (itself skipped)."""
    pre = np.empty(slots.size, dtype=np.int32)
    post = np.empty(slots.size, dtype=np.int32)
    for lo in range(0, slots.size, _CHUNK):
        q, c = np.divmod(slots[lo : lo + _CHUNK], n_cols)
        if skip_diagonal:
            c += c >= q
        post[lo : lo + _CHUNK] = q
        pre[lo : lo + _CHUNK] = c
    return pre, post


def _fixed_probability(rng: np.random.Generator, rule: FixedProbability, n_pre: int, n_post: int, same_population: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli(p) on every pair slot by geometric skipping: the gaps between successive
    connected slots are i.i.d. Geometric(p), so O(expected synapses) work and memory."""
    skip = same_population and not rule.autapses
    n_cols = _available(n_pre, rule.autapses, same_population)
    n_slots = n_post * n_cols
    if rule.p == 0.0 or n_slots == 0:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    if rule.p == 1.0:
        return _slots_to_pairs(np.arange(n_slots, dtype=np.int64), n_cols, skip)
    mean = rule.p * n_slots
    chunk = int(min(_CHUNK, mean + 6.0 * math.sqrt(mean) + 16))
    chunk = max(1, min(chunk, (2**62) // (n_slots + 1)))  # the running sum stays in int64
    pres, posts = [], []
    last = -1  # slot of the previous synapse
    while True:
        gaps = np.minimum(rng.geometric(rule.p, size=chunk), n_slots + 1)
        slots = np.cumsum(gaps, out=gaps)
        slots += last
        end = int(np.searchsorted(slots, n_slots))
        pre, post = _slots_to_pairs(slots[:end], n_cols, skip)
        pres.append(pre)
        posts.append(post)
        if end < chunk:
            break
        last = int(slots[-1])
    return np.concatenate(pres), np.concatenate(posts)


def _fixed_degree(rng: np.random.Generator, k: int, n_rows: int, n_avail: int, multapses: bool, shift: bool) -> tuple[np.ndarray, np.ndarray]:
    """``k`` partners per row (row = the neuron with the fixed degree), drawn from
    ``n_avail`` candidates; with ``shift`` (no autapses in one population) a draw
    ``c >= row`` means neuron ``c + 1``, so the row itself is never drawn.

    Returns ``(partners, rows)`` flattened, int32."""
    if k == 0 or n_rows == 0:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    if multapses:
        partners = rng.integers(0, n_avail, size=(n_rows, k), dtype=np.int32)
    else:
        partners = _distinct_rows(rng, n_rows, k, n_avail)
    rows = np.arange(n_rows, dtype=np.int32)
    if shift:
        partners += partners >= rows[:, None]
    return partners.reshape(-1), np.repeat(rows, k)


def _distinct_rows(rng: np.random.Generator, n_rows: int, k: int, n: int) -> np.ndarray:
    """``(n_rows, k)`` int32, each row ``k`` distinct values of ``[0, n)``, a uniform
    ``k``-subset per row.

    For ``k <= n / 2``: draw with replacement, then redraw the repeated entries until each row
    is distinct. The procedure commutes with any relabelling of ``[0, n)``, so the resulting
    set is uniform over ``k``-subsets. For larger ``k``: the ``k`` smallest of ``n`` i.i.d.
    uniform keys per row (chunks of rows, bounded memory).
    """
    if 2 * k <= n:
        a = rng.integers(0, n, size=(n_rows, k), dtype=np.int32)
        a.sort(axis=1)
        rows = np.arange(n_rows)
        while rows.size:
            sub = a[rows]
            dup = np.zeros(sub.shape, dtype=bool)
            dup[:, 1:] = sub[:, 1:] == sub[:, :-1]
            has = dup.any(axis=1)
            rows, sub, dup = rows[has], sub[has], dup[has]
            if rows.size == 0:
                break
            sub[dup] = rng.integers(0, n, size=int(dup.sum()), dtype=np.int32)
            sub.sort(axis=1)
            a[rows] = sub
        return a
    out = np.empty((n_rows, k), dtype=np.int32)
    step = max(1, (1 << 22) // n)
    for lo in range(0, n_rows, step):
        keys = rng.random((min(step, n_rows - lo), n))
        out[lo : lo + step] = np.argpartition(keys, k - 1, axis=1)[:, :k]
    return out


def _distinct_slots(rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    """``m`` distinct values of ``[0, n)``, a uniform ``m``-subset (sorted, int64): draw,
    deduplicate, draw the missing ones again; for ``m > n / 2`` the complement of a uniform
    ``(n - m)``-subset."""
    if 2 * m > n:
        keep = np.ones(n, dtype=bool)
        keep[_distinct_slots(rng, n - m, n)] = False
        return np.flatnonzero(keep)
    s = _sorted_unique(rng.integers(0, n, size=m, dtype=np.int64))
    while s.size < m:
        s = _sorted_unique(np.concatenate([s, rng.integers(0, n, size=m - s.size, dtype=np.int64)]))
    return s


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` by an in-place sort (numpy 2.4's hash-based ``unique`` is ~50x slower
    on 1e6 int64)."""
    x.sort()
    keep = np.empty(x.size, dtype=bool)
    keep[:1] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def _fixed_total_number(rng: np.random.Generator, rule: FixedTotalNumber, n_pre: int, n_post: int, same_population: bool) -> tuple[np.ndarray, np.ndarray]:
    m = rule.n_synapses
    skip = same_population and not rule.autapses
    n_cols = _available(n_pre, rule.autapses, same_population)
    if m == 0:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    if not rule.multapses:
        return _slots_to_pairs(_distinct_slots(rng, m, n_post * n_cols), n_cols, skip)
    post = rng.integers(0, n_post, size=m, dtype=np.int32)
    pre = rng.integers(0, n_cols, size=m, dtype=np.int32)
    if skip:
        pre += pre >= post
    return pre, post
