"""The SRNN connectivity generator (spec srnn.md 1.3, check 4.2): invariants, the spec's
example networks, weight statistics within sampling error, errors naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from netdyn.connectivity import default_weight_scale, kept_edges, strongly_connected_dale
from netdyn.connectivity.dale import REFERENCE_MEAN_ABS_NORMAL
from netdyn.errors import ConfigError

S = 0.5 / 0.79782  # the reference's weight scale


def _basic(seed, **kw):
    args = dict(e_fraction=0.7, mean_degree=5, w_ee=S, w_ei=S, w_ie=S, w_ii=S / 2, seed=seed)
    args.update(kw)
    return strongly_connected_dale(10, **args)


def _strongly_connected(m: np.ndarray) -> bool:
    n_comp, _ = connected_components(m != 0, directed=True, connection="strong")
    return n_comp == 1


def test_default_weight_scale_is_the_references():
    assert default_weight_scale() == pytest.approx(0.62671, abs=5e-6)  # spec 1.2
    assert default_weight_scale() == 0.5 / REFERENCE_MEAN_ABS_NORMAL
    assert default_weight_scale(exact=True) == pytest.approx(0.5 / math.sqrt(2 / math.pi), rel=1e-15)
    assert default_weight_scale(1.0) == 2 * default_weight_scale(0.5)
    with pytest.raises(ConfigError) as err:
        default_weight_scale(-1.0)
    assert err.value.field == "mean_abs"


def test_basic_example_network_invariants():
    """Check 4.2: n_E = 7 first, exactly 50 non-zeros, zero diagonal, strongly connected,
    column signs follow E/I."""
    m, exc = _basic(seed=1)
    assert m.shape == (10, 10) and m.dtype == np.float64
    np.testing.assert_array_equal(exc, [True] * 7 + [False] * 3)
    assert np.count_nonzero(m) == 50 == kept_edges(10, mean_degree=5)
    assert np.count_nonzero(np.diag(m)) == 0
    assert _strongly_connected(m)
    assert np.all(m[:, exc] >= 0) and np.all(m[:, ~exc] <= 0)
    assert not np.any(np.signbit(m[m == 0]))  # absent edges are +0.0


@pytest.mark.parametrize(
    "seed,max_re,radius,max_re_ee",
    [(42000, 0.743, 1.882, 1.415), (7000, 0.630, 1.01, 1.547)],
)
def test_reproduces_the_spec_example_networks(seed, max_re, radius, max_re_ee):
    """The spec's networks "seed 42" / "seed 7" (Python port, default_rng(42000/7000)):
    same draw order, so the same matrices (numbers given to 3 digits in the spec)."""
    m, exc = _basic(seed=seed)
    ev = np.linalg.eigvals(m)
    assert ev.real.max() == pytest.approx(max_re, abs=6e-4)
    assert np.abs(ev).max() == pytest.approx(radius, abs=6e-3)
    assert np.linalg.eigvals(m[np.ix_(exc, exc)]).real.max() == pytest.approx(max_re_ee, abs=6e-4)
    if seed == 42000:  # "Mean |w| of non-zeros: E columns 0.43, I columns 0.64"
        assert np.abs(m[:, exc][m[:, exc] != 0]).mean() == pytest.approx(0.43, abs=5e-3)
        assert np.abs(m[:, ~exc][m[:, ~exc] != 0]).mean() == pytest.approx(0.64, abs=5e-3)


def test_mean_absolute_weights_over_many_draws():
    """Check 4.2: mean |w| = 0.5 (EE, EI, IE) and 0.25 (II). Expected exactly
    0.5 * sqrt(2/pi) / 0.79782 = 0.500041 (resp. half). Each |w| is scale * |N(0,1)| with
    sd scale * sqrt(1 - 2/pi) = 0.378 (0.189 for II); 4 standard errors of the mean."""
    blocks = {"EE": [], "EI": [], "IE": [], "II": []}
    for seed in range(300):
        m, exc = _basic(seed=seed)
        e, i = exc, ~exc
        for name, rows, cols in (("EE", e, e), ("EI", i, e), ("IE", e, i), ("II", i, i)):
            sub = m[np.ix_(rows, cols)]
            blocks[name].append(np.abs(sub[sub != 0]))
    sd_unit = math.sqrt(1 - 2 / math.pi)
    for name, target in (("EE", 0.5), ("EI", 0.5), ("IE", 0.5), ("II", 0.25)):
        w = np.concatenate(blocks[name])
        expected = target * math.sqrt(2 / math.pi) / 0.79782
        se = (target / 0.79782) * sd_unit / math.sqrt(w.size)
        assert abs(w.mean() - expected) < 4 * se, (name, w.mean(), expected, se)


def test_block_scales_and_self_weights():
    """w.EI scales E->I (A[I, E]), w.IE scales I->E (A[E, I]); the diagonal holds the
    self weights."""
    base, exc = strongly_connected_dale(12, e_fraction=0.5, mean_degree=4, w_ee=1, w_ei=1, w_ie=1, w_ii=1, seed=3)
    m, _ = strongly_connected_dale(12, e_fraction=0.5, mean_degree=4, w_ee=2, w_ei=3, w_ie=5, w_ii=7,
                                   w_self_e=0.25, w_self_i=-0.5, seed=3)
    e, i = exc, ~exc
    off = ~np.eye(12, dtype=bool)
    for rows, cols, f in ((e, e, 2), (i, e, 3), (e, i, 5), (i, i, 7)):
        sel = np.outer(rows, cols) & off
        np.testing.assert_allclose(m[sel], f * base[sel], rtol=1e-15)
    np.testing.assert_array_equal(np.diag(m), np.where(exc, 0.25, -0.5))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 40),
    e_fraction=st.floats(0.0, 1.0),
    degree_frac=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_generator_invariants(n, e_fraction, degree_frac, seed):
    """For any size, E fraction and feasible degree: first round(e n) units are E, exactly
    E_keep off-diagonal edges, zero diagonal, strongly connected (Hamiltonian cycle), Dale
    signs by column, deterministic in the seed."""
    lo = 1.0  # mean degree 1 keeps exactly n edges (the cycle)
    degree = lo + degree_frac * (n - 1 - lo)
    kw = dict(e_fraction=e_fraction, mean_degree=degree, w_ee=0.7, w_ei=1.1, w_ie=0.9, w_ii=0.3, seed=seed)
    m, exc = strongly_connected_dale(n, **kw)
    n_e = round(e_fraction * n)
    np.testing.assert_array_equal(exc, np.arange(n) < n_e)
    e_keep = round(degree / (n - 1) * (n * (n - 1)))
    assert np.count_nonzero(m) == e_keep
    assert np.count_nonzero(np.diag(m)) == 0
    assert _strongly_connected(m)
    assert np.all(m[:, exc] >= 0) and np.all(m[:, ~exc] <= 0)
    m2, exc2 = strongly_connected_dale(n, **kw)
    np.testing.assert_array_equal(m, m2)
    np.testing.assert_array_equal(exc, exc2)


def test_sparsity_and_mean_degree_agree():
    a, _ = _basic(seed=5)
    b, _ = _basic(seed=5, mean_degree=None, sparsity=1 - 5 / 9)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        (dict(mean_degree=0.5), "mean_degree"),  # E_keep = 5 < n = 10
        (dict(mean_degree=None, sparsity=0.95), "sparsity"),  # E_keep = round(4.5) = 4 < 10
        (dict(mean_degree=None, sparsity=1.0), "sparsity"),
        (dict(mean_degree=None), "mean_degree/sparsity"),
        (dict(sparsity=0.5), "mean_degree/sparsity"),
        (dict(mean_degree=9.5), "mean_degree"),
        (dict(e_fraction=1.5), "e_fraction"),
        (dict(e_fraction=float("nan")), "e_fraction"),
        (dict(w_ie=-1.0), "w_ie"),
        (dict(w_ee=float("inf")), "w_ee"),
        (dict(w_self_e=float("nan")), "w_self_e"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        _basic(seed=0, **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("n", [1, 0, 2.5, True])
def test_bad_size(n):
    with pytest.raises(ConfigError) as err:
        strongly_connected_dale(n, e_fraction=0.5, mean_degree=1, w_ee=1, w_ei=1, w_ie=1, w_ii=1, seed=0)
    assert err.value.field == "n_units"
