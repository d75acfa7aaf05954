"""The seed's random connectivity: statistics within binomial/normal sampling error."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdyn.connectivity import bernoulli_gaussian, edge_statistics
from netdyn.errors import ConfigError
from netdyn.seeding import child_generator


@pytest.mark.parametrize("session", [1, 2, 3, 4, 5])
def test_seed_network_statistics(session):
    n, p = 200, 0.1
    sigma = 1.0 / (n * p)
    w = bernoulli_gaussian(n, p, sigma, child_generator(1234, session))
    st_ = edge_statistics(w)
    assert st_.n_autapses == 0
    # edge count ~ Binomial(n(n-1), p): 4 standard deviations
    m = n * (n - 1)
    assert abs(st_.n_edges - m * p) < 4 * math.sqrt(m * p * (1 - p))
    # zero mean over existing edges (by construction, to rounding)
    assert abs(st_.mean_weight) < 1e-15
    # sample std of ~4000 normals: relative standard error 1/sqrt(2 n_edges) ~ 1.1 %; 4 SE
    assert abs(st_.std_weight / sigma - 1) < 4 / math.sqrt(2 * st_.n_edges)
    assert w.indices.dtype == np.int32


def test_draw_order_matches_spec():
    """Uniforms over off-diagonal slots row-major, then normals of present edges, then r0."""
    n, p, sigma = 30, 0.2, 0.1
    rng = child_generator(7, 1)
    u = rng.random(n * n - n)
    present = u > 1 - p
    normals = rng.normal(0, sigma, present.sum())
    normals -= normals.mean()
    dense = np.zeros((n, n))
    off = ~np.eye(n, dtype=bool)
    vals = np.zeros(n * n - n)
    vals[present] = normals
    dense[off] = vals
    w = bernoulli_gaussian(n, p, sigma, child_generator(7, 1))
    np.testing.assert_array_equal(w.toarray(), dense)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), p=st.floats(0.01, 1.0), seed=st.integers(0, 2**32 - 1), autapses=st.booleans())
def test_generator_invariants(n, p, seed, autapses):
    w = bernoulli_gaussian(n, p, 0.3, seed, autapses=autapses)
    assert w.shape == (n, n)
    if not autapses:
        assert np.count_nonzero(w.diagonal()) == 0
    if w.nnz:
        assert abs(w.data.mean()) < 1e-12
    w2 = bernoulli_gaussian(n, p, 0.3, seed, autapses=autapses)
    assert (w != w2).nnz == 0  # deterministic in the seed


@pytest.mark.parametrize(
    "kwargs,field",
    [(dict(n_units=0, p=0.1, sigma=1), "n_units"), (dict(n_units=10, p=0.0, sigma=1), "p"),
     (dict(n_units=10, p=1.5, sigma=1), "p"), (dict(n_units=10, p=0.5, sigma=-1), "sigma")],
)
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        bernoulli_gaussian(**kwargs)
    assert err.value.field == field
