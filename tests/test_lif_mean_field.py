"""Tests of netdyn.theory.lif_mean_field: moments, pseudo-dynamics, fixed points, gain matrix and
stability of LIF-population mean fields, against closed forms and finite differences."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import netdyn.theory.lif_mean_field as lmf
from netdyn.errors import ConfigError
from netdyn.theory.lif_mean_field import LIFMeanField, LIFParams
from netdyn.theory.siegert import siegert_rate


def random_network(n: int, seed: int) -> LIFMeanField:
    """E and I populations (first half excitatory), indegrees 50-200, J_E = 0.1 mV, J_I = -0.4 mV,
    external drive that puts the rates at a few to tens of spikes/s."""
    rng = np.random.default_rng(seed)
    k = rng.uniform(50, 200, (n, n))
    j = np.where(np.arange(n) < n // 2, 0.1, -0.4)[None, :] * np.ones((n, 1))
    tau_m_s = 0.01
    return LIFMeanField(tau_m_s * k * j, tau_m_s * k * j * j, mu_ext_mV=rng.uniform(20, 28, n),
                        sigma2_ext_mV2=rng.uniform(10, 30, n))


# one excitatory population with three fixed points: ~0, ~43.5 (unstable), ~233 spikes/s
BISTABLE = LIFMeanField([[0.3]], [[0.03]], mu_ext_mV=4.0, sigma2_ext_mV2=4.0)


def jacobian_fd(mf: LIFMeanField, nu: np.ndarray, h: float = 1e-4) -> np.ndarray:
    cols = []
    for j in range(nu.size):
        e = np.zeros_like(nu)
        e[j] = h
        cols.append((-mf.transfer(nu + 2 * e) + 8 * mf.transfer(nu + e) - 8 * mf.transfer(nu - e)
                     + mf.transfer(nu - 2 * e)) / (12 * h))
    return np.stack(cols, axis=1)


def test_moments_and_transfer_are_the_closed_forms():
    mf = random_network(6, 1)
    nu = np.random.default_rng(2).uniform(0, 20, (6, 3))
    mu, sigma = mf.moments(nu)
    np.testing.assert_allclose(mu, mf.drift_mV_per_hz @ nu + mf.mu_ext_mV[:, None], rtol=1e-14)
    np.testing.assert_allclose(sigma**2, mf.diffusion_mV2_per_hz @ nu + mf.sigma2_ext_mV2[:, None], rtol=1e-14)
    np.testing.assert_allclose(mf.transfer(nu), siegert_rate(mu, sigma), rtol=1e-14)
    # neuron parameters reach the transfer function
    other = LIFMeanField(mf.drift_mV_per_hz, mf.diffusion_mV2_per_hz, mf.mu_ext_mV, mf.sigma2_ext_mV2,
                         neuron=LIFParams(theta_mV=20.0, t_ref_ms=1.0, tau_m_ms=20.0, tau_s_ms=2.0))
    np.testing.assert_allclose(other.transfer(nu), siegert_rate(mu, sigma, theta_mV=20.0, t_ref_ms=1.0, tau_m_ms=20.0,
                                                                tau_s_ms=2.0), rtol=1e-14)


def test_uncoupled_relaxation_is_exact_exponential():
    # constant input: exponential Euler is exact, nu(t) = Phi (1 - exp(-t/tau_r))
    mf = LIFMeanField(np.zeros((3, 3)), np.zeros((3, 3)), mu_ext_mV=[10.0, 14.0, 20.0], sigma2_ext_mV2=[25.0, 1.0, 4.0])
    phi = siegert_rate([10.0, 14.0, 20.0], [5.0, 1.0, 2.0])
    run = mf.integrate(t_end_ms=5.0, dt_ms=0.1, tau_r_ms=2.0, trajectory=True)
    assert run.times_ms.shape == (51,) and run.trajectory_hz.shape == (51, 3)
    np.testing.assert_allclose(run.times_ms, 0.1 * np.arange(51), rtol=0, atol=1e-12)
    expected = phi[None, :] * -np.expm1(-run.times_ms[:, None] / 2.0)
    np.testing.assert_allclose(run.trajectory_hz, expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(run.trajectory_hz[-1], run.rates_hz)
    assert run.t_end_ms == 5.0 and run.mu_mV.tolist() == [10.0, 14.0, 20.0]
    assert mf.integrate().times_ms is None


def test_batch_of_initial_conditions_runs_as_columns():
    mf = random_network(8, 3)
    starts = np.random.default_rng(4).uniform(0, 50, (8, 3))
    batch = mf.integrate(starts, t_end_ms=3.0).rates_hz
    assert batch.shape == (8, 3)
    for c in range(3):
        np.testing.assert_allclose(batch[:, c], mf.integrate(starts[:, c], t_end_ms=3.0).rates_hz, rtol=1e-12)


def test_fixed_point_of_a_stable_network():
    mf = random_network(10, 5)
    run = mf.integrate(t_end_ms=200.0)
    fp = mf.fixed_point(run.rates_hz)
    assert fp.residual_hz < 1e-10 * max(1.0, fp.rates_hz.max())
    np.testing.assert_allclose(mf.transfer(fp.rates_hz), fp.rates_hz, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fp.rates_hz, run.rates_hz, rtol=1e-8, atol=1e-9)  # the pseudo-dynamics settled there
    assert mf.leading_eigenvalue(fp.rates_hz).real < 1.0
    mu, sigma = mf.moments(fp.rates_hz)
    np.testing.assert_array_equal(fp.mu_mV, mu)
    np.testing.assert_array_equal(fp.sigma_mV, sigma)


@pytest.mark.parametrize("seed", [6, 7])
def test_gain_matrix_is_the_jacobian_of_the_transfer(seed):
    mf = random_network(6, seed)
    nu = np.random.default_rng(seed).uniform(0.5, 30, 6)
    np.testing.assert_allclose(mf.gain_matrix(nu), jacobian_fd(mf, nu), rtol=1e-7, atol=1e-9)
    # the mean term alone: the Jacobian of a network whose variance is frozen at sigma(nu)
    _, sigma = mf.moments(nu)
    frozen = LIFMeanField(mf.drift_mV_per_hz, np.zeros((6, 6)), mf.mu_ext_mV, sigma**2)
    np.testing.assert_allclose(mf.gain_matrix(nu, variance=False), jacobian_fd(frozen, nu), rtol=1e-7, atol=1e-9)
    assert not np.allclose(mf.gain_matrix(nu, variance=False), mf.gain_matrix(nu))


def test_bistable_population_fixed_points_and_their_stability():
    low = BISTABLE.fixed_point([0.0])
    mid = BISTABLE.fixed_point([40.0])
    high = BISTABLE.fixed_point([250.0])
    assert low.rates_hz[0] < 1e-3 and 43.0 < mid.rates_hz[0] < 44.0 and 232.0 < high.rates_hz[0] < 234.0
    lam = {name: BISTABLE.leading_eigenvalue(fp.rates_hz) for name, fp in
           (("low", low), ("mid", mid), ("high", high))}
    assert lam["low"].real < 1.0 and lam["high"].real < 1.0 < lam["mid"].real
    # the pseudo-dynamics leave the unstable one to either side and settle on the stable ones
    below = BISTABLE.integrate(mid.rates_hz - 1e-3, t_end_ms=100.0).rates_hz
    above = BISTABLE.integrate(mid.rates_hz + 1e-3, t_end_ms=100.0).rates_hz
    np.testing.assert_allclose(below, low.rates_hz, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(above, high.rates_hz, rtol=1e-9)


@pytest.mark.parametrize("start", [40.0, 250.0])
def test_linear_growth_rate_of_perturbations_is_the_leading_eigenvalue(start):
    # exponential Euler of tau_r d(dnu)/dt = (G - 1) dnu multiplies by e^{-h/tau_r} + (1 - e^{-h/tau_r}) G per step
    fp = BISTABLE.fixed_point([start])
    g = BISTABLE.gain_matrix(fp.rates_hz)[0, 0]
    h, tau_r, steps, delta = 0.1, 1.0, 20, 1e-6
    run = BISTABLE.integrate(fp.rates_hz + delta, t_end_ms=steps * h, dt_ms=h, tau_r_ms=tau_r)
    per_step = math.exp(-h / tau_r) + -math.expm1(-h / tau_r) * g
    assert (run.rates_hz[0] - fp.rates_hz[0]) / delta == pytest.approx(per_step**steps, rel=1e-4)


def test_gain_without_noise_needs_the_mean_term_alone():
    mf = LIFMeanField([[0.01]], [[0.0]], mu_ext_mV=20.0, sigma2_ext_mV2=0.0)
    nu = mf.integrate().rates_hz
    assert mf.gain_matrix(nu)[0, 0] == pytest.approx(jacobian_fd(mf, nu)[0, 0], rel=1e-8)
    noisy_input = LIFMeanField([[0.01]], [[1e-3]], mu_ext_mV=20.0, sigma2_ext_mV2=0.0)
    with pytest.raises(ConfigError) as err:
        noisy_input.gain_matrix([0.0])
    assert err.value.field == "rates_hz"
    assert noisy_input.gain_matrix([0.0], variance=False)[0, 0] > 0


def test_docstring_example_runs():
    assert doctest.testmod(lmf, optionflags=doctest.ELLIPSIS).failed == 0


def test_root_failure_names_the_start(monkeypatch):
    class Failed:
        x = np.array([5.0])
        success = False
        message = "The iteration is not making good progress."
        nfev = 3

    monkeypatch.setattr(lmf.optimize, "root", lambda *a, **k: Failed())
    with pytest.raises(ConfigError) as err:
        BISTABLE.fixed_point([5.0])
    assert err.value.field == "rates0_hz" and "did not converge" in str(err.value)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: LIFMeanField(np.zeros((2, 3)), np.zeros((2, 3))), "drift_mV_per_hz"),
        (lambda: LIFMeanField(np.zeros((2, 2)), np.zeros((3, 3))), "diffusion_mV2_per_hz"),
        (lambda: LIFMeanField(np.zeros((2, 2)), -np.ones((2, 2))), "diffusion_mV2_per_hz"),
        (lambda: LIFMeanField(np.full((2, 2), np.nan), np.zeros((2, 2))), "drift_mV_per_hz"),
        (lambda: LIFMeanField(np.zeros((2, 2)), np.zeros((2, 2)), mu_ext_mV=[1.0, 2.0, 3.0]), "mu_ext_mV"),
        (lambda: LIFMeanField(np.zeros((2, 2)), np.zeros((2, 2)), sigma2_ext_mV2=-1.0), "sigma2_ext_mV2"),
        (lambda: LIFMeanField(np.zeros((2, 2)), np.zeros((2, 2)), names=["a"]), "names"),
        (lambda: LIFMeanField(np.zeros((2, 2)), np.zeros((2, 2)), neuron={"theta_mV": 15.0}), "neuron"),
        (lambda: LIFParams(theta_mV=-1.0), "theta_mV"),
        (lambda: LIFParams(tau_m_ms=0.0), "tau_m_ms"),
        (lambda: BISTABLE.integrate(t_end_ms=1.05, dt_ms=0.1), "t_end_ms"),
        (lambda: BISTABLE.integrate(dt_ms=0.0), "dt_ms"),
        (lambda: BISTABLE.integrate(tau_r_ms=-1.0), "tau_r_ms"),
        (lambda: BISTABLE.integrate([-1.0]), "rates0_hz"),
        (lambda: BISTABLE.integrate([1.0, 2.0]), "rates0_hz"),
        (lambda: BISTABLE.moments([np.nan]), "rates_hz"),
        (lambda: BISTABLE.fixed_point(np.ones((1, 2))), "rates0_hz"),
        (lambda: BISTABLE.gain_matrix(np.ones((1, 2))), "rates_hz"),
    ],
)
def test_bad_arguments_raise_config_error_naming_the_field(make, field):
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field


def test_arrays_are_read_only_copies():
    a = np.eye(2)
    mf = LIFMeanField(a, np.zeros((2, 2)))
    a[0, 0] = 5.0
    assert mf.drift_mV_per_hz[0, 0] == 1.0
    with pytest.raises(ValueError):
        mf.drift_mV_per_hz[0, 0] = 2.0
    assert mf.n_populations == 2


def test_leading_eigenvalue_is_the_one_with_the_largest_real_part():
    # two uncoupled copies of the bistable population, one at its unstable and one at its stable
    # high fixed point: G is diagonal, its eigenvalues the two single-population gains
    pair = LIFMeanField(0.3 * np.eye(2), 0.03 * np.eye(2), mu_ext_mV=4.0, sigma2_ext_mV2=4.0)
    mid, high = BISTABLE.fixed_point([40.0]).rates_hz[0], BISTABLE.fixed_point([250.0]).rates_hz[0]
    g_mid = BISTABLE.gain_matrix([mid])[0, 0]
    g_high = BISTABLE.gain_matrix([high])[0, 0]
    assert g_high < 1.0 < g_mid
    for rates in ([mid, high], [high, mid]):
        lam = pair.leading_eigenvalue(rates)
        assert isinstance(lam, complex) and lam == pytest.approx(g_mid, rel=1e-12)
