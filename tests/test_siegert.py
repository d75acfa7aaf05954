"""Tests of netdyn.theory.siegert: the Siegert rate with the Fourcaud-Brunel correction and its
derivatives, against published reference values, an independent quadrature and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from netdyn.errors import ConfigError
from netdyn.theory.siegert import FOURCAUD_BRUNEL_ALPHA, siegert_derivatives, siegert_rate

THETA, V_R, TAU_M, TAU_S, T_REF = 15.0, 0.0, 10.0, 0.5, 2.0
SHIFT = 0.5 * FOURCAUD_BRUNEL_ALPHA * math.sqrt(TAU_S / TAU_M)

# (mu mV, sigma mV, rate spikes/s): NEST 3.10 siegert_neuron, the multi-area model's reference
# helpers and an independent scipy implementation agree on all 8 printed decimals
TABLE = [
    (5, 5, 0.75323475), (10, 5, 11.65712690), (15, 5, 37.02126110), (20, 5, 63.80598248),
    (10, 2, 0.08150529), (14, 1, 9.46517118), (16, 1, 33.52657712), (0, 10, 4.17152053),
    (12, 3, 10.77016778), (30, 10, 111.73647577),
]


def quad_rate(mu: float, sigma: float, *, theta: float = THETA, v_r: float = V_R, tau_s: float = TAU_S) -> float:
    """Independent reference: Brunel's (2000) form of the Siegert integral,
    sqrt(pi) int_{y_r}^{y_th} erfcx(-u) du = int_0^inf exp(-u^2) (exp(2 y_th u) - exp(2 y_r u)) / u du,
    scaled by exp(-y_th^2) above y_th > 0, by adaptive quadrature."""
    k = 0.5 * FOURCAUD_BRUNEL_ALPHA * math.sqrt(tau_s / TAU_M)
    y_th, y_r = (theta - mu) / sigma + k, (v_r - mu) / sigma + k
    c = max(y_th, 0.0)

    def f(u: float) -> float:
        if u == 0.0:
            return math.exp(-c * c) * 2.0 * (y_th - y_r)
        return math.exp(-(u - y_th) ** 2 + y_th * y_th - c * c) * -math.expm1(-2.0 * (y_th - y_r) * u) / u

    top = c + 40.0
    points = sorted({p for p in (1e-3 / max(abs(y_r), 1.0), y_th, 1.0) if 0.0 < p < top})
    value = integrate.quad(f, 0.0, top, points=points, limit=500, epsabs=0.0, epsrel=1e-13)[0]
    scale = math.exp(-c * c)
    return 1e3 * scale / (scale * T_REF + TAU_M * value)


def test_reference_table_to_all_printed_decimals():
    mu, sigma, expected = map(np.array, zip(*TABLE))
    got = siegert_rate(mu, sigma)
    assert got.shape == (10,)
    np.testing.assert_array_less(np.abs(got - expected), 5e-9)  # half a unit of the 8th decimal


def test_alpha_is_sqrt2_abs_zeta_half():
    assert FOURCAUD_BRUNEL_ALPHA == pytest.approx(math.sqrt(2.0) * abs(special.zetac(0.5) + 1.0), rel=1e-15, abs=0.0)


@pytest.mark.parametrize(
    ("mu", "sigma"),
    [(14.0, 0.3), (-20.0, 2.0), (-60.0, 3.3), (2.0, 0.6), (10.0, 40.0), (-80.0, 30.0), (40.0, 0.05),
     (16.0, 0.01), (15.0, 1e-3), (14.9, 0.05), (13.0, 0.1), (200.0, 150.0), (-300.0, 300.0), (100.0, 3.0),
     (20.0, 0.5), (30.0, 0.2)],
)
def test_agrees_with_an_independent_quadrature(mu, sigma):
    # strongly sub- and suprathreshold, tiny and huge noise; rates from 1e-204 to 500 spikes/s
    expected = quad_rate(mu, sigma)
    assert expected > 1e-290
    assert siegert_rate(mu, sigma) == pytest.approx(expected, rel=1e-11, abs=0.0)


def test_colored_noise_shift_is_a_shift_of_threshold_and_reset():
    mu, sigma = np.array([3.0, 12.0, 18.0]), np.array([4.0, 2.5, 7.0])
    shifted = siegert_rate(mu, sigma, theta_mV=THETA + SHIFT * sigma, v_reset_mV=V_R + SHIFT * sigma, tau_s_ms=0.0)
    np.testing.assert_allclose(siegert_rate(mu, sigma), shifted, rtol=1e-13)


@settings(max_examples=60, deadline=None)
@given(mu=st.floats(-30, 40), sigma=st.floats(0.2, 30), c=st.floats(-20, 20), lam=st.floats(0.1, 10))
def test_invariant_under_shifts_and_scalings_of_the_voltage(mu, sigma, c, lam):
    base = siegert_rate(mu, sigma)
    assert siegert_rate(mu + c, sigma, theta_mV=THETA + c, v_reset_mV=V_R + c) == pytest.approx(
        base, rel=1e-10, abs=1e-300)
    assert siegert_rate(lam * mu, lam * sigma, theta_mV=lam * THETA, v_reset_mV=lam * V_R) == pytest.approx(
        base, rel=1e-10, abs=1e-300)


def test_monotone_in_mu_and_bounded_by_the_refractory_period():
    mu = np.linspace(-40.0, 400.0, 4001)
    for sigma in (0.5, 3.0, 10.0, 50.0):
        rate = siegert_rate(mu, sigma)
        assert np.all(np.diff(rate) >= 0.0)
        assert np.all(np.diff(rate[rate > 1e-250]) > 0.0)
        assert np.all(rate < 1e3 / T_REF)
    assert siegert_rate(1e7, 5.0) == pytest.approx(1e3 / T_REF, rel=1e-4)
    assert siegert_rate(12.0, 3.0, t_ref_ms=0.0) > siegert_rate(12.0, 3.0)


def test_deterministic_limit():
    mu = np.array([15.5, 20.0, 40.0, 300.0])
    closed = 1e3 / (T_REF + TAU_M * np.log((mu - V_R) / (mu - THETA)))
    np.testing.assert_allclose(siegert_rate(mu, 0.0), closed, rtol=1e-14)
    # the formula tends to it continuously as sigma -> 0 (the shift makes the error O(sigma))
    for sigma in (1e-4, 1e-7, 1e-10):
        np.testing.assert_allclose(siegert_rate(mu, sigma), closed, rtol=30 * sigma)
    # no firing at or below threshold without noise, nor without any input (NEST's mu = sigma = 0)
    np.testing.assert_array_equal(siegert_rate([-5.0, 0.0, 14.99, 15.0], 0.0), 0.0)
    assert siegert_rate(14.0, 1e-3) == 0.0  # exp(-1000^2): underflows cleanly, no warning or NaN


def test_extreme_inputs_stay_finite_without_warnings():
    import warnings

    mu = np.array([-1e300, -1e6, 0.0, 15.0, 1e6, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for sigma in (1e-310, 1e-200, 1e-3, 1.0, 1e6, 1e300):
            rate = siegert_rate(mu, sigma)
            assert np.all(np.isfinite(rate)) and np.all((rate >= 0) & (rate <= 1e3 / T_REF))
            out = siegert_derivatives(mu, sigma)
            assert all(np.all(np.isfinite(x)) for x in out)


def test_broadcasting_and_scalars():
    out = siegert_rate(np.linspace(0, 20, 3)[:, None], np.array([1.0, 2.0, 5.0, 10.0]))
    assert out.shape == (3, 4)
    assert out[1, 2] == pytest.approx(siegert_rate(10.0, 5.0), rel=1e-14, abs=0.0)
    assert isinstance(siegert_rate(10.0, 5.0), float)
    # parameters broadcast too
    per_tau = siegert_rate(10.0, 5.0, tau_m_ms=np.array([10.0, 20.0]))
    assert per_tau[1] == pytest.approx(siegert_rate(10.0, 5.0, tau_m_ms=20.0), rel=1e-14, abs=0.0)


def _central(f, x, h):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.mark.parametrize(
    ("mu", "sigma"),
    [(5.0, 5.0), (10.0, 2.0), (14.0, 1.0), (16.0, 1.0), (0.0, 10.0), (30.0, 10.0), (-20.0, 3.0), (20.0, 0.01),
     (-12.47, 27.87), (-3.49, 8.64), (60.0, 40.0)],
)
def test_derivatives_match_finite_differences(mu, sigma):
    rate, d_mu, d_sigma = siegert_derivatives(mu, sigma)
    assert rate == siegert_rate(mu, sigma)
    h = 2e-5 * sigma
    num_mu = _central(lambda m: siegert_rate(m, sigma), mu, h)
    num_sigma = _central(lambda s: siegert_rate(mu, s), sigma, h)
    assert d_mu > 0.0
    assert d_mu == pytest.approx(num_mu, rel=1e-8, abs=1e-12 * rate / sigma + 1e-250)
    assert d_sigma == pytest.approx(num_sigma, rel=1e-8, abs=1e-12 * rate / sigma + 1e-250)


def test_derivatives_without_noise():
    mu = np.array([16.0, 20.0, 50.0])
    rate, d_mu, d_sigma = siegert_derivatives(mu, 0.0)
    np.testing.assert_allclose(d_mu, _central(lambda m: siegert_rate(m, 0.0), mu, 1e-4), rtol=1e-8)
    # at sigma = 0 only the shift k sigma of threshold and reset moves the rate
    k_shift = _central(lambda s: siegert_rate(mu, 0.0, theta_mV=THETA + s, v_reset_mV=V_R + s), 0.0, 1e-4)
    np.testing.assert_allclose(d_sigma, SHIFT * k_shift, rtol=1e-8)
    # and the noisy formula tends to both
    _, d_mu_small, d_sigma_small = siegert_derivatives(mu, 1e-7)
    np.testing.assert_allclose(d_mu_small, d_mu, rtol=1e-5)
    np.testing.assert_allclose(d_sigma_small, d_sigma, rtol=1e-5)
    assert siegert_derivatives(10.0, 0.0)[1:] == (0.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"sigma_mV": -1.0}, "sigma_mV"), ({"sigma_mV": np.nan}, "sigma_mV"), ({"mu_mV": np.inf}, "mu_mV"),
     ({"mu_mV": "x"}, "mu_mV"), ({"theta_mV": 0.0}, "theta_mV"), ({"tau_m_ms": 0.0}, "tau_m_ms"),
     ({"tau_s_ms": -0.1}, "tau_s_ms"), ({"t_ref_ms": -1.0}, "t_ref_ms"), ({"v_reset_mV": np.nan}, "v_reset_mV"),
     ({"mu_mV": np.zeros(3), "sigma_mV": np.ones(2)}, "sigma_mV")],
)
def test_bad_arguments_raise_config_error_naming_the_field(kwargs, field):
    args = {"mu_mV": 10.0, "sigma_mV": 5.0} | kwargs
    mu, sigma = args.pop("mu_mV"), args.pop("sigma_mV")
    for f in (siegert_rate, siegert_derivatives):
        with pytest.raises(ConfigError) as err:
            f(mu, sigma, **args)
        assert err.value.field == field
