"""Tests of netdyn.theory.multiarea: the mean field of the multi-area model against the reference
implementation's published fixed points (Schuecker et al. 2017's pseudo-dynamics as run by the
model's notebook, re-measured with NEST 3.10) and the down-scaling invariants of van Albada,
Helias & Diesmann (2015)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from netdyn.errors import ConfigError
from netdyn.models.multiarea import multiarea_parameters
from netdyn.theory.multiarea import multiarea_mean_field, multiarea_rates
from netdyn.theory.siegert import siegert_rate

# mean over the 254 populations at T = 50 ms (tau_r = 1 ms, h = 0.1 ms, from rest), as printed
MEAN_RATES = {
    "0.005 ground": ({"scale": 0.005}, 29.5884),
    "0.006 metastable": ({"scale": 0.006, "chi": 1.9, "chi_i": 2.0}, 28.6239),
    "0.005 chi 1.9": ({"scale": 0.005, "chi": 1.9, "chi_i": 2.0}, 31.7596),
    "0.006 ground": ({"scale": 0.006}, 26.8060),
    "full scale": ({"scale": 1.0}, 3.7292),
}
HALF_UNIT = 0.5e-4 * (1 + 1e-9)  # half a unit of the 4th printed decimal
# V1 populations 23E ... 6I at full scale, chi = 1
V1_FULL_SCALE = [0.4320, 2.1495, 3.3433, 3.1311, 7.6939, 4.9071, 2.2737, 4.6883]


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name, (kwargs, _) in MEAN_RATES.items():
        par = multiarea_parameters(**kwargs)
        mf = multiarea_mean_field(par)
        out[name] = (par, mf, mf.integrate())
    return out


@pytest.mark.parametrize("name", list(MEAN_RATES))
def test_mean_rate_at_50_ms_is_the_reference(runs, name):
    _, mf, run = runs[name]
    assert run.rates_hz.shape == (254,) and mf.n_populations == 254
    assert abs(run.rates_hz.mean() - MEAN_RATES[name][1]) <= HALF_UNIT
    # every population has converged: T = 50 ms is the fixed point the root finder polishes
    fp = mf.fixed_point(run.rates_hz)
    np.testing.assert_allclose(run.rates_hz, fp.rates_hz, rtol=0, atol=1e-7)
    assert fp.residual_hz < 1e-10
    # a stable fixed point: the gain matrix's leading eigenvalue has real part below 1
    assert mf.leading_eigenvalue(fp.rates_hz).real < 1.0


def test_full_scale_v1_populations_and_moments(runs):
    par, mf, run = runs["full scale"]
    assert mf.names[:8] == tuple(f"V1/{p}" for p in par["populations"])
    np.testing.assert_array_less(np.abs(run.rates_hz[:8] - V1_FULL_SCALE), HALF_UNIT)
    # V1-2/3E: mu = -3.492 mV, sigma = 8.638 mV
    assert abs(run.mu_mV[0] + 3.492) <= 0.5e-3 and abs(run.sigma_mV[0] - 8.638) <= 0.5e-3
    np.testing.assert_allclose(siegert_rate(run.mu_mV, run.sigma_mV), mf.transfer(run.rates_hz), rtol=1e-14)


def test_down_scaled_v1_23e_moments(runs):
    _, _, run = runs["0.005 ground"]
    assert run.rates_hz[0] == pytest.approx(20.9, abs=0.05)  # "20.9 spikes/s"
    assert abs(run.sigma_mV[0] - 27.869) <= 0.5e-3
    # printed -12.466; this gives -12.46550 (the printed value looks rounded twice, from -12.4655):
    # one unit of the last printed decimal
    assert abs(run.mu_mV[0] + 12.466) <= 1e-3


def test_drift_and_diffusion_are_the_specified_sums():
    par = multiarea_parameters(scale=0.005, chi=1.9, chi_i=2.0)
    mf = multiarea_mean_field(par)
    nu = np.random.default_rng(1).uniform(0, 20, 254)
    neuron = par["neuron_params"]
    j = par["weight_pa"] * neuron["tau_syn_ex"] / neuron["C_m"]
    j_ext = par["weight_ext_pa"] * neuron["tau_syn_ex"] / neuron["C_m"]
    tau = 0.01  # s
    mu = (tau * (par["indegree"] * j) @ nu + tau * par["k_ext"] * j_ext * par["rate_ext_hz"]
          + neuron["tau_m"] / neuron["C_m"] * par["i_dc_pa"])
    sigma2 = tau * (par["indegree"] * j**2) @ nu + tau * par["k_ext"] * j_ext**2 * par["rate_ext_hz"]
    got_mu, got_sigma = mf.moments(nu)
    np.testing.assert_allclose(got_mu, mu, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_sigma**2, sigma2, rtol=1e-12)
    assert mf.neuron.theta_mV == 15.0 and mf.neuron.v_reset_mV == 0.0 and mf.neuron.tau_s_ms == 0.5
    # J_E = 0.175617 mV at full scale
    assert multiarea_parameters(scale=1.0)["weight_ext_pa"] * 0.5 / 250.0 == pytest.approx(0.175617, abs=5e-7)


# -- down-scaling invariants at k = 0.1, chi = chi_I = 1 ------------------------------------------
@pytest.fixture(scope="module")
def scaling():
    full_par, par = multiarea_parameters(scale=1.0), multiarea_parameters(scale=0.1)
    return full_par, par, multiarea_mean_field(full_par), multiarea_mean_field(par)


def test_coefficients_scale_as_van_albada_et_al(scaling):
    _, _, full, scaled = scaling
    k = 0.1
    np.testing.assert_allclose(scaled.drift_mV_per_hz, math.sqrt(k) * full.drift_mV_per_hz, rtol=1e-13, atol=0)
    np.testing.assert_allclose(scaled.diffusion_mV2_per_hz, full.diffusion_mV2_per_hz, rtol=1e-13, atol=0)
    np.testing.assert_allclose(scaled.sigma2_ext_mV2, full.sigma2_ext_mV2, rtol=1e-13)


def test_moments_at_the_reference_rates_are_those_of_full_scale(scaling):
    full_par, _, full, scaled = scaling
    ref = full_par["fullscale_rates_hz"]
    mu_full, sigma_full = full.moments(ref)
    mu, sigma = scaled.moments(ref)
    np.testing.assert_allclose(mu, mu_full, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sigma, sigma_full, rtol=1e-13)
    # and elsewhere they differ (the recurrent mean input shrinks by sqrt(k))
    assert np.abs(scaled.moments(2 * ref)[0] - full.moments(2 * ref)[0]).max() > 1.0


def test_dc_from_given_reference_rates_is_the_models_own(scaling):
    full_par, par, _, scaled = scaling
    again = multiarea_mean_field(par, reference_rates_hz=full_par["fullscale_rates_hz"])
    np.testing.assert_allclose(again.mu_ext_mV, scaled.mu_ext_mV, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(again.drift_mV_per_hz, scaled.drift_mV_per_hz)


def test_down_scaled_mean_field_keeps_the_full_scale_fixed_point(scaling):
    _, par, full, _ = scaling
    fp = full.fixed_point(full.integrate().rates_hz).rates_hz
    assert fp.mean() == pytest.approx(3.7292, abs=HALF_UNIT)
    mf = multiarea_mean_field(par, reference_rates_hz=fp)
    stay = mf.integrate(fp, trajectory=True)
    assert np.abs(stay.trajectory_hz - fp).max() < 1e-10
    # with simulated rather than self-consistent reference rates it is another network
    other = multiarea_mean_field(par).integrate(fp)
    assert np.abs(other.rates_hz - fp).max() > 1.0


# -- subsets of areas ---------------------------------------------------------------------------
@pytest.mark.parametrize("replace", ["het_poisson_stat", "hom_poisson_stat", None])
def test_non_simulated_areas_enter_at_the_rates_that_replace_them(replace):
    areas = ["V1", "V2", "FEF"]
    par = multiarea_parameters(scale=0.01, areas=areas, replace=replace)
    sub = multiarea_mean_field(par)
    whole = multiarea_mean_field(multiarea_parameters(scale=0.01))
    sim = par["simulated"]
    assert sub.n_populations == 24 and sub.names == tuple(n for n, s in zip(par["names"], sim) if s)
    fixed = {"het_poisson_stat": par["fullscale_rates_hz"], "hom_poisson_stat": np.full(254, 10.0),
             None: np.zeros(254)}[replace]
    nu = np.where(sim, np.random.default_rng(3).uniform(0, 30, 254), fixed)
    np.testing.assert_allclose(sub.transfer(nu[sim]), whole.transfer(nu)[sim], rtol=1e-12)
    np.testing.assert_allclose(sub.moments(nu[sim])[0], whole.moments(nu)[0][sim], rtol=0, atol=1e-11)


def test_trajectory_and_batch():
    par = multiarea_parameters(scale=0.005)
    run = multiarea_rates(par, t_end_ms=20.0, trajectory=True)
    assert run.trajectory_hz.shape == (201, 254) and run.times_ms[-1] == pytest.approx(20.0)
    np.testing.assert_array_equal(run.trajectory_hz[0], 0.0)
    # from the full-scale reference rates it returns to the same high fixed point
    starts = np.stack([np.zeros(254), par["fullscale_rates_hz"]], axis=1)
    both = multiarea_rates(par, rates0_hz=starts, t_end_ms=100.0).rates_hz
    assert both.shape == (254, 2)
    np.testing.assert_allclose(both[:, 1], both[:, 0], rtol=0, atol=1e-9)
    assert both[:, 0].mean() == pytest.approx(29.5884, abs=HALF_UNIT)


def test_whole_full_scale_computation_is_fast():
    start = time.perf_counter()
    mf = multiarea_mean_field(multiarea_parameters(scale=1.0))
    fp = mf.fixed_point(mf.integrate().rates_hz)
    mf.leading_eigenvalue(fp.rates_hz)
    assert time.perf_counter() - start < 5.0


def test_bad_input():
    par = multiarea_parameters(scale=0.005)
    with pytest.raises(ConfigError) as err:
        multiarea_mean_field({k: v for k, v in par.items() if k != "i_dc_pa"})
    assert err.value.field == "par" and "i_dc_pa" in str(err.value)
    with pytest.raises(ConfigError) as err:
        multiarea_mean_field(par, reference_rates_hz=np.ones(10))
    assert err.value.field == "reference_rates_hz"
    with pytest.raises(ConfigError) as err:
        multiarea_mean_field(par | {"neuron_params": par["neuron_params"] | {"tau_syn_in": 1.0}})
    assert err.value.field == "par.neuron_params.tau_syn_in"
    with pytest.raises(ConfigError) as err:
        multiarea_rates(par, t_end_ms=50.05)
    assert err.value.field == "t_end_ms"
