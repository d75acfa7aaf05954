"""The vectorisable exp and tanh of the compiled loops against numpy's."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from netdyn.fastmath import exp, tanh


@njit(cache=True)
def _exp_array(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = exp(x[i])
    return out


@njit(cache=True)
def tanh_array(x, out):
    for i in range(x.size):
        out[i] = tanh(x[i])


def test_exp_within_3_ulp_over_the_whole_range():
    x = np.concatenate([np.linspace(-708.0, 709.0, 400_001), np.random.default_rng(0).normal(0, 5, 100_000)])
    ref = np.exp(x)
    ulp = np.abs(_exp_array(x) - ref) / np.spacing(ref)
    assert ulp.max() <= 3


@given(st.floats(-700, 700))
@settings(max_examples=300, deadline=None)
def test_exp_relative_error(x):
    y = _exp_array(np.array([x]))[0]
    assert abs(y - np.exp(x)) <= 4 * np.spacing(np.exp(x))


def test_exp_special_values():
    y = _exp_array(np.array([np.nan, 0.0, -1e4, 1e4]))
    assert np.isnan(y[0]) and y[1] == 1.0
    assert 0.0 <= y[2] < 1e-300 and np.isfinite(y[3])


def test_vectorised_tanh_within_3_ulp_of_numpy():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.standard_normal(200_000) * 4, np.logspace(-300, 2.5, 20_000),
                        -np.logspace(-300, 2.5, 20_000), [0.0, -0.0, 19.0, -19.0, 1e308]])
    out = np.empty_like(x)
    tanh_array(x, out)
    ref = np.tanh(x)
    assert np.max(np.abs(out - ref) / np.spacing(np.abs(ref))) <= 3
    special = np.array([np.inf, -np.inf, np.nan, -0.0])
    got = np.empty(4)
    tanh_array(special, got)
    assert got[0] == 1.0 and got[1] == -1.0 and np.isnan(got[2]) and np.signbit(got[3])


def test_tanh_f32_is_within_2_ulp_in_float32_arithmetic():
    """The float32 engines' tanh: float32 in and out, within 2 ulp of the correctly rounded
    value over [-12, 12] and tiny arguments; NaN, infinities and signed zero as np.tanh."""
    from numba import njit

    from netdyn.fastmath import tanh_native

    @njit(error_model="numpy")
    def apply(x, out):
        for i in range(x.size):
            out[i] = tanh_native(x[i])

    x = np.concatenate([np.linspace(-12, 12, 400_001), np.geomspace(1e-30, 1, 20_001),
                        -np.geomspace(1e-30, 1, 1_001), [0.0, -0.0, np.inf, -np.inf, np.nan]]).astype(np.float32)
    out = np.empty_like(x)
    apply(x, out)
    assert out.dtype == np.float32
    exact = np.tanh(x.astype(np.float64)).astype(np.float32)
    finite = np.isfinite(exact)
    ulp = np.abs(out[finite].view(np.int32).astype(np.int64) - exact[finite].view(np.int32).astype(np.int64))
    assert ulp.max() <= 2
    assert np.isnan(out[-1]) and out[-3] == 1.0 and out[-2] == -1.0 and np.signbit(out[-4])
