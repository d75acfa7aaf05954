"""Weight and delay distributions: validators (hypothesis) and sampling statistics (theory)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from netdyn.connectivity import Constant, LogNormal, Normal, Uniform, as_distribution, sample
from netdyn.errors import ConfigError

P_MIN = 1e-6  # KS p-values below this fail
N = 200_000

finite = st.floats(-1e3, 1e3, allow_nan=False)
positive = st.floats(1e-3, 1e3)


@st.composite
def normals(draw):
    mean, std = draw(finite), draw(st.floats(0.0, 1e2))
    lo = draw(st.none() | st.floats(mean - 3 * std - 1, mean + 1))
    hi = draw(st.none() | st.floats(mean - 1, mean + 3 * std + 1))
    if lo is not None and hi is not None and hi < lo:
        lo, hi = hi, lo
    bound = draw(st.sampled_from(["redraw", "clip"]))
    data = {"kind": "normal", "mean": mean, "std": std, "min": lo, "max": hi, "bound": bound}
    try:
        return as_distribution(data)
    except ConfigError as err:  # only an admissible mass ~0 may be refused
        assert bound == "redraw" and err.field in ("min", "max")
        return as_distribution({"kind": "normal", "mean": mean, "std": std})


distributions = st.one_of(
    st.builds(Constant, value=finite),
    normals(),
    st.builds(LogNormal, mean=finite.filter(lambda m: abs(m) >= 1e-4), std=st.floats(0.0, 1e2)),
    st.tuples(finite, finite).map(lambda t: Uniform(low=min(t), high=max(t))),
)


@settings(max_examples=200, deadline=None)
@given(dist=distributions, n=st.integers(0, 500), seed=st.integers(0, 2**32))
def test_sample_invariants(dist, n, seed):
    x = sample(dist, n, seed)
    assert x.dtype == np.float64 and x.shape == (n,) and np.all(np.isfinite(x))
    assert np.array_equal(x, sample(dist.to_dict(), n, seed))  # deterministic, dicts work
    assert as_distribution(dist.to_dict()) == dist
    assert math.isfinite(dist.expected_value) and math.isfinite(dist.mean)
    if isinstance(dist, Constant):
        assert np.all(x == dist.value)
    if isinstance(dist, Normal):
        lo = -np.inf if dist.min is None else dist.min
        hi = np.inf if dist.max is None else dist.max
        assert np.all((x >= lo) & (x <= hi))
        assert lo <= dist.expected_value <= hi
    if isinstance(dist, LogNormal):
        assert np.all(np.sign(x) == np.sign(dist.mean))
    if isinstance(dist, Uniform):
        assert np.all((x >= dist.low) & (x <= dist.high))


def test_numbers_are_constants():
    assert as_distribution(2) == Constant(value=2.0)
    assert as_distribution(np.float32(0.5)) == Constant(value=0.5)
    d = Normal(mean=1.0, std=0.1)
    assert as_distribution(d) is d
    assert np.array_equal(sample(3.5, 4), np.full(4, 3.5))


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "normal", "mean": 1.0, "std": -0.1}, "std"),
        ({"kind": "normal", "mean": 1.0, "std": 0.1, "min": 2.0, "max": 1.0}, "max"),
        ({"kind": "normal", "mean": 10.0, "std": 0.1, "min": 20.0}, "min"),  # mass ~1e-23
        ({"kind": "normal", "mean": -10.0, "std": 0.0, "min": 0.0}, "min"),  # sign error
        ({"kind": "normal", "mean": 1.0, "std": float("nan")}, "std"),
        ({"kind": "normal", "mean": float("inf"), "std": 1.0}, "mean"),
        ({"kind": "normal", "mean": 1.0, "std": 1.0, "bound": "wrap"}, "bound"),
        ({"kind": "lognormal", "mean": 0.0, "std": 1.0}, "mean"),
        ({"kind": "lognormal", "mean": 1.0, "std": -1.0}, "std"),
        ({"kind": "lognormal", "mean": 1e-300, "std": 1.0}, "std"),  # spread beyond float64
        ({"kind": "uniform", "low": 2.0, "high": 1.0}, "high"),
        ({"kind": "constant", "value": "a"}, "value"),
        ({"kind": "gamma", "shape": 1.0}, "distribution"),
        ({"kind": "constant", "value": 1.0, "unit": "pA"}, "unit"),
    ],
)
def test_validation_names_the_field(data, field):
    with pytest.raises(ConfigError) as err:
        as_distribution(data)
    assert err.value.field == field


def test_bad_arguments():
    with pytest.raises(ConfigError):
        as_distribution("normal")
    with pytest.raises(ConfigError):
        as_distribution(True)
    with pytest.raises(ConfigError) as err:
        sample(1.0, -1)
    assert err.value.field == "n"


def test_clip_to_a_bound_is_allowed_even_without_mass():
    d = Normal(mean=-10.0, std=0.0, min=0.0, bound="clip")
    assert np.all(sample(d, 5, 0) == 0.0) and d.expected_value == 0.0


# ----------------------------------------------------------------------------- statistics


@pytest.mark.parametrize(
    "mean, std, lo, hi",
    [
        (87.81, 8.781, 0.0, None),  # excitatory PSC weight, sign kept: (almost) no redraw
        (-351.2, 35.12, None, 0.0),  # inhibitory
        (1.5, 0.75, 0.1, None),  # microcircuit E delay at least dt: 3 % redrawn
        (0.0, 1.0, -0.5, 1.0),  # two-sided, 47 % admissible (redraw path)
        (1.0, 1.0, 3.0, None),  # 2.3 % admissible (inverse-CDF path)
    ],
)
def test_redraw_normal_is_the_truncated_normal(mean, std, lo, hi):
    d = Normal(mean=mean, std=std, min=lo, max=hi)
    a = -np.inf if lo is None else (lo - mean) / std
    b = np.inf if hi is None else (hi - mean) / std
    ref = stats.truncnorm(a, b, loc=mean, scale=std)
    x = sample(d, N, 7)
    assert abs(d.expected_value - ref.mean()) < 1e-9 * max(1.0, abs(ref.mean()))
    assert abs(x.mean() - ref.mean()) < 5 * ref.std() / math.sqrt(N)
    assert stats.kstest(x, ref.cdf).pvalue > P_MIN


def test_clipped_normal_piles_the_tail_on_the_bound():
    d = Normal(mean=1.0, std=1.0, min=0.0, max=2.5, bound="clip")
    x = sample(d, N, 3)
    for at, prob in ((0.0, stats.norm.cdf(-1.0)), (2.5, stats.norm.sf(1.5))):
        count = np.sum(x == at)
        assert abs(count - N * prob) < 5 * math.sqrt(N * prob * (1 - prob))
    # expected value from the closed form vs a standard error of the clipped variable
    assert abs(x.mean() - d.expected_value) < 5 * x.std() / math.sqrt(N)
    inner = x[(x > 0.0) & (x < 2.5)]
    ref = stats.truncnorm(-1.0, 1.5, loc=1.0, scale=1.0)
    assert stats.kstest(inner, ref.cdf).pvalue > P_MIN


def test_unbounded_normal_moments():
    d = Normal(mean=-2.0, std=3.0)
    x = sample(d, N, 1)
    assert abs(x.mean() + 2.0) < 5 * 3.0 / math.sqrt(N)
    assert abs(x.std() / 3.0 - 1.0) < 5 / math.sqrt(2 * N)
    assert d.expected_value == -2.0 and d.mean == -2.0


@pytest.mark.parametrize("mean, std", [(2.0, 1.0), (-87.81, 30.0), (1.0, 3.0)])
def test_lognormal_has_the_requested_mean_and_std(mean, std):
    d = LogNormal(mean=mean, std=std)
    x = sample(d, N, 5)
    assert np.all(np.sign(x) == np.sign(mean))
    mu, s = d.log_params
    # exact moments of the parametrisation
    assert math.isclose(math.exp(mu + s * s / 2), abs(mean), rel_tol=1e-12)
    assert math.isclose(math.sqrt(math.expm1(s * s)) * math.exp(mu + s * s / 2), std, rel_tol=1e-12)
    # sampled: log|x| ~ N(mu, s^2), standard errors s/sqrt(N) and s/sqrt(2N)
    logs = np.log(np.abs(x))
    assert abs(logs.mean() - mu) < 5 * s / math.sqrt(N)
    assert abs(logs.std() - s) < 5 * s / math.sqrt(2 * N)
    # the mean of x itself, with the lognormal's own standard error
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(N)
    assert d.expected_value == mean and d.mean == mean


def test_lognormal_with_zero_std_is_constant():
    assert np.allclose(sample(LogNormal(mean=-3.0, std=0.0), 10, 0), -3.0)


def test_uniform_bounds_and_moments():
    d = Uniform(low=-1.0, high=3.0)
    x = sample(d, N, 9)
    assert x.min() >= -1.0 and x.max() < 3.0
    assert stats.kstest(x, stats.uniform(-1.0, 4.0).cdf).pvalue > P_MIN
    assert d.mean == 1.0 == d.expected_value


def test_seeds_differ_and_generators_advance():
    d = Normal(mean=0.0, std=1.0)
    assert not np.array_equal(sample(d, 10, 1), sample(d, 10, 2))
    rng = np.random.default_rng(0)
    assert not np.array_equal(sample(d, 10, rng), sample(d, 10, rng))


def test_tiny_std_is_a_point_mass_without_overflow_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bound in ("redraw", "clip"):
            d = Normal(mean=1.0, std=1e-200, min=0.0, max=2.0, bound=bound)
            assert d.expected_value == 1.0 and np.all(sample(d, 5, 0) == 1.0)
