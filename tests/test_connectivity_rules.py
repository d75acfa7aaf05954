"""Spiking connection rules: exact invariants (hypothesis) and sampling statistics (theory)."""

import math
import os
import subprocess
import sys
from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import netdyn

from netdyn.config.base import parse_config
from netdyn.connectivity import (
    AllToAll,
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
from netdyn.connectivity.rules import _distinct_slots
from netdyn.errors import ConfigError
from netdyn.seeding import child_generator, named_generator

# A chi-square or KS p-value below this fails; with ~20 such tests a false alarm has
# probability ~2e-5 per run.
P_MIN = 1e-6


def _sizes(same, n_pre, n_post):
    return (n_pre, n_pre) if same else (n_pre, n_post)


rules = st.one_of(
    st.builds(FixedProbability, p=st.floats(0.0, 1.0), autapses=st.booleans()),
    st.builds(FixedIndegree, indegree=st.integers(0, 12), autapses=st.booleans(), multapses=st.booleans()),
    st.builds(FixedOutdegree, outdegree=st.integers(0, 12), autapses=st.booleans(), multapses=st.booleans()),
    st.builds(FixedTotalNumber, n_synapses=st.integers(0, 300), autapses=st.booleans(), multapses=st.booleans()),
    st.just(OneToOne()),
    st.builds(AllToAll, autapses=st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(rule=rules, n_pre=st.integers(0, 25), n_post=st.integers(0, 25), same=st.booleans(), seed=st.integers(0, 2**32))
def test_rule_invariants(rule, n_pre, n_post, same, seed):
    n_pre, n_post = _sizes(same, n_pre, n_post)
    try:
        expected = expected_synapses(rule, n_pre, n_post, same_population=same)
    except ConfigError as err:  # infeasible: connect must refuse it too, on the same field
        with pytest.raises(ConfigError) as err2:
            connect(rule, n_pre, n_post, seed, same_population=same)
        assert err2.value.field == err.field
        return
    pre, post = connect(rule, n_pre, n_post, seed, same_population=same)
    assert pre.dtype == np.int32 and post.dtype == np.int32
    assert pre.shape == post.shape and pre.ndim == 1
    if pre.size:
        assert 0 <= pre.min() and pre.max() < n_pre
        assert 0 <= post.min() and post.max() < n_post
    autapses = getattr(rule, "autapses", True)
    if same and not autapses:
        assert not np.any(pre == post)
    if isinstance(rule, FixedProbability | AllToAll | OneToOne) or getattr(rule, "multapses", True) is False:
        assert len(set(zip(pre.tolist(), post.tolist()))) == pre.size
    if isinstance(rule, FixedIndegree):
        assert np.array_equal(np.bincount(post, minlength=n_post), np.full(n_post, rule.indegree))
    if isinstance(rule, FixedOutdegree):
        assert np.array_equal(np.bincount(pre, minlength=n_pre), np.full(n_pre, rule.outdegree))
    if isinstance(rule, FixedProbability):
        slots = n_post * (n_pre - 1 if same and not autapses else n_pre)
        assert pre.size <= slots
        if rule.p in (0.0, 1.0):
            assert pre.size == expected
    else:
        assert pre.size == expected
    if isinstance(rule, AllToAll):
        assert pre.size == n_pre * n_post - (n_pre if same and not rule.autapses else 0)
    if isinstance(rule, OneToOne):
        assert np.array_equal(pre, post) and np.array_equal(pre, np.arange(n_pre))
    # deterministic: same seed, same synapses in the same order
    pre2, post2 = connect(rule.to_dict(), n_pre, n_post, seed, same_population=same)
    assert np.array_equal(pre, pre2) and np.array_equal(post, post2)


@settings(max_examples=100, deadline=None)
@given(rule=rules)
def test_rules_round_trip_as_dicts(rule):
    assert as_rule(rule.to_dict()) == rule
    assert as_rule(rule) is rule


def test_different_seeds_give_different_networks():
    rule = FixedIndegree(indegree=20)
    a = connect(rule, 100, 100, 1, same_population=True)[0]
    b = connect(rule, 100, 100, 2, same_population=True)[0]
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    "rule, n_pre, n_post, same, field",
    [
        (FixedIndegree(indegree=5, multapses=False), 4, 10, False, "indegree"),
        (FixedIndegree(indegree=4, multapses=False), 4, 4, True, "indegree"),  # only 3 others
        (FixedIndegree(indegree=1), 1, 1, True, "indegree"),  # nobody else to draw
        (FixedIndegree(indegree=1), 0, 3, False, "indegree"),
        (FixedOutdegree(outdegree=3, multapses=False), 10, 2, False, "outdegree"),
        (FixedTotalNumber(n_synapses=7, multapses=False), 2, 3, False, "n_synapses"),
        (FixedTotalNumber(n_synapses=3, autapses=False, multapses=False), 2, 2, True, "n_synapses"),
        (FixedTotalNumber(n_synapses=1), 0, 3, False, "n_synapses"),
        (OneToOne(), 3, 4, False, "n_post"),
        (FixedProbability(p=0.1), 3, 4, True, "n_post"),  # one population, two sizes
        (FixedProbability(p=0.1), -1, 4, False, "n_pre"),
        (FixedProbability(p=0.1), 2.5, 4, False, "n_pre"),
        (ExplicitPairs(pre=(0, 3), post=(1, 1)), 3, 2, False, "pre"),
        (ExplicitPairs(pre=(0, 1), post=(1, 2)), 3, 2, False, "post"),
    ],
)
def test_infeasible_rules_name_the_field(rule, n_pre, n_post, same, field):
    for call in (connect, expected_synapses):
        with pytest.raises(ConfigError) as err:
            call(rule, n_pre, n_post, same_population=same)
        assert err.value.field == field


def test_feasible_edge_cases():
    # K equal to the number of other neurons without multapses: everyone else, once
    pre, post = connect(FixedIndegree(indegree=4, multapses=False), 5, 5, 0, same_population=True)
    assert sorted(zip(post.tolist(), pre.tolist())) == [(j, i) for j in range(5) for i in range(5) if i != j]
    # all distinct pairs of a 3 x 4 projection
    pre, post = connect(FixedTotalNumber(n_synapses=12, multapses=False), 3, 4, 0, same_population=False)
    assert sorted(zip(pre.tolist(), post.tolist())) == [(i, j) for i in range(3) for j in range(4)]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"rule": "explicit", "pre": [0, 1, 2], "post": [0, 1]}, "post"),
        ({"rule": "explicit", "pre": [0, -1], "post": [0, 1]}, "pre"),
        ({"rule": "explicit", "pre": [0, 1], "post": [0, "x"]}, "post"),
        ({"rule": "fixed_probability", "p": 1.5}, "p"),
        ({"rule": "fixed_indegree", "indegree": -1}, "indegree"),
        ({"rule": "fixed_total_number", "n_synapses": 10, "extra": 1}, "extra"),
    ],
)
def test_rule_validation_names_the_field(data, field):
    with pytest.raises(ConfigError) as err:
        as_rule(data)
    assert err.value.field.split(".")[0] == field


def test_explicit_pairs_from_records_and_arrays():
    holder = parse_config(ExplicitPairs, {"pre": np.array([2, 0]), "post": [1, 1]})
    pre, post = connect(holder, 3, 2, same_population=False)
    assert pre.tolist() == [2, 0] and post.tolist() == [1, 1] and pre.dtype == np.int32
    with pytest.raises(ConfigError) as err:
        parse_config(ExplicitPairs, {"pre": [0, 1], "post": [0]})
    assert err.value.field == "post"
    with pytest.raises(ConfigError):
        as_rule({"rule": "no_such_rule"})


# ----------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("seed", range(5))
def test_fixed_probability_count_is_binomial(seed):
    n, p = 3000, 0.01
    pre, post = connect(FixedProbability(p=p), n, n, seed, same_population=True)
    m = n * (n - 1)
    assert abs(pre.size - m * p) < 5 * math.sqrt(m * p * (1 - p))
    assert not np.any(pre == post)
    assert len(np.unique(pre.astype(np.int64) * n + post)) == pre.size


def _binom_chi2_pvalue(degrees, n, p, min_expected=5.0):
    """Chi-square fit of a degree histogram to Binomial(n, p), pooling sparse bins."""
    observed = np.bincount(degrees).astype(float)
    k = np.arange(observed.size)
    prob = stats.binom.pmf(k, n, p)
    prob[-1] += stats.binom.sf(k[-1], n, p)  # the upper tail beyond the largest degree seen
    expected = prob * observed.sum()
    obs_b, exp_b, o, e = [], [], 0.0, 0.0
    for oi, ei in zip(observed, expected):
        o, e = o + oi, e + ei
        if e >= min_expected:
            obs_b.append(o)
            exp_b.append(e)
            o, e = 0.0, 0.0
    obs_b[-1] += o
    exp_b[-1] += e
    return stats.chisquare(obs_b, exp_b).pvalue


@pytest.mark.parametrize("autapses", [False, True])
def test_fixed_probability_indegree_is_binomial(autapses):
    n, p = 2000, 0.05
    pre, post = connect(FixedProbability(p=p, autapses=autapses), n, n, 11, same_population=True)
    n_avail = n if autapses else n - 1
    indeg = np.bincount(post, minlength=n)
    assert _binom_chi2_pvalue(indeg, n_avail, p) > P_MIN
    # outdegrees too (sources uniform)
    assert _binom_chi2_pvalue(np.bincount(pre, minlength=n), n_avail, p) > P_MIN
    if autapses:  # the diagonal is just another slot: ~n p autapses
        n_aut = int(np.sum(pre == post))
        assert abs(n_aut - n * p) < 5 * math.sqrt(n * p * (1 - p))


def test_fixed_probability_small_p_many_chunks():
    """Tiny p over many slots (several geometric chunks) keeps the binomial count."""
    n_pre, n_post, p = 40_000, 30_000, 4e-3
    pre, post = connect(FixedProbability(p=p), n_pre, n_post, 3, same_population=False)
    m = n_pre * n_post
    assert abs(pre.size - m * p) < 5 * math.sqrt(m * p)
    assert pre.max() < n_pre and post.max() < n_post
    assert np.all(np.diff(post.astype(np.int64) * n_pre + pre) > 0)  # distinct, in slot order


@pytest.mark.parametrize("n_avail, k", [(6, 3), (5, 4)])  # redraw branch, key-sort branch
def test_fixed_indegree_without_multapses_is_uniform_over_subsets(n_avail, k):
    n_post = 20_000
    pre, post = connect(FixedIndegree(indegree=k, multapses=False), n_avail, n_post, 5, same_population=False)
    order = np.lexsort((pre, post))
    rows = pre[order].reshape(n_post, k)
    counts = Counter(map(tuple, rows.tolist()))
    subsets = list(combinations(range(n_avail), k))
    assert set(counts) <= set(subsets)
    observed = [counts.get(s, 0) for s in subsets]
    assert stats.chisquare(observed).pvalue > P_MIN


def test_fixed_indegree_with_multapses_draws_with_replacement():
    n_pre, k, n_post = 10, 5, 20_000
    pre, post = connect(FixedIndegree(indegree=k), n_pre, n_post, 2, same_population=False)
    assert stats.chisquare(np.bincount(pre, minlength=n_pre)).pvalue > P_MIN
    # multiplicity of the most frequent source per target, vs a direct simulation of ntwk's rule
    order = np.lexsort((pre, post))
    rows = pre[order].reshape(n_post, k)
    distinct = np.array([len(set(r)) for r in rows.tolist()])
    p_all_distinct = math.prod((n_pre - i) / n_pre for i in range(k))
    n_distinct = int(np.sum(distinct == k))
    assert abs(n_distinct - n_post * p_all_distinct) < 5 * math.sqrt(n_post * p_all_distinct * (1 - p_all_distinct))


def test_fixed_indegree_no_autapse_sources_uniform_over_others():
    n, k = 8, 3000
    pre, post = connect(FixedIndegree(indegree=k), n, n, 4, same_population=True)
    counts = np.zeros((n, n), int)
    np.add.at(counts, (post, pre), 1)
    assert np.all(np.diag(counts) == 0)
    off = counts[~np.eye(n, dtype=bool)]
    assert stats.chisquare(off).pvalue > P_MIN


@pytest.mark.parametrize("autapses", [False, True])
def test_fixed_total_number_pairs_uniform(autapses):
    n, m = 12, 200_000
    pre, post = connect(FixedTotalNumber(n_synapses=m, autapses=autapses), n, n, 8, same_population=True)
    counts = np.zeros((n, n), int)
    np.add.at(counts, (pre, post), 1)
    if not autapses:
        assert np.all(np.diag(counts) == 0)
        counts = counts[~np.eye(n, dtype=bool)]
    assert stats.chisquare(counts.ravel()).pvalue > P_MIN


@pytest.mark.parametrize("m", [5, 13])  # dedupe-and-redraw branch, complement branch
def test_distinct_slots_marginals_uniform(m):
    n, reps = 16, 3000
    rng = child_generator(0, m)
    hits = np.zeros(n, int)
    for _ in range(reps):
        s = _distinct_slots(rng, m, n)
        assert s.size == m and np.all(np.diff(s) > 0) and 0 <= s[0] and s[-1] < n
        hits[s] += 1
    # each slot is in the set with probability m/n: Binomial(reps, m/n); chi-square over slots
    # of the inclusion counts against their common expectation
    assert stats.chisquare(hits).pvalue > P_MIN


def test_fixed_outdegree_targets_uniform():
    n_pre, k, n_post = 5000, 4, 9
    pre, post = connect(FixedOutdegree(outdegree=k, multapses=False), n_pre, n_post, 1, same_population=False)
    assert np.array_equal(np.bincount(pre), np.full(n_pre, k))
    assert stats.chisquare(np.bincount(post, minlength=n_post)).pvalue > P_MIN


# ----------------------------------------------------------------------------- seeding


def test_named_generator_is_independent_of_build_order():
    names = ["Exc->Exc", "Exc->Inh", "Inh->Exc", "Inh->Inh", "AffExc->Exc"]
    rule = FixedIndegree(indegree=30)
    built = {name: connect(rule, 50, 60, named_generator(17, "connect", name), same_population=False) for name in names}
    for name in reversed(names):
        again = connect(rule, 50, 60, named_generator(17, "connect", name), same_population=False)
        assert all(np.array_equal(a, b) for a, b in zip(again, built[name]))
    firsts = {name: named_generator(17, "connect", name).integers(2**62) for name in names}
    assert len(set(firsts.values())) == len(names)
    assert named_generator(17, "x").integers(2**62) != named_generator(18, "x").integers(2**62)
    assert named_generator(17, 3).integers(2**62) != named_generator(17, "3").integers(2**62)
    assert named_generator(17, "a", "b").integers(2**62) != named_generator(17, "ab").integers(2**62)
    with pytest.raises(TypeError):
        named_generator(1, 2.5)


_REPO = os.path.dirname(os.path.dirname(os.path.abspath(netdyn.__file__)))


def test_named_generator_does_not_depend_on_python_hash_seed():
    code = "from netdyn.seeding import named_generator as g; print(g(5, 'Exc->Inh', 7).integers(2**62))"
    out = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": _REPO}
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        out.add(res.stdout.strip())
    out.add(str(named_generator(5, "Exc->Inh", 7).integers(2**62)))
    assert len(out) == 1
