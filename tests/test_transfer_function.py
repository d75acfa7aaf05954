"""Shot-noise moments, the transfer-function template, its fit and the first-order mean field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netdyn.engines.spiking import Network
from netdyn.errors import ConfigError
from netdyn.theory.mean_field import (
    CellParams,
    Moments,
    SynapticInput,
    fit_transfer_function,
    mean_field_fixed_point,
    membrane_moments,
    solve_mean_field,
    transfer_function,
)

CELL = CellParams(g_l_nS=10.0, c_m_pF=200.0, e_l_mV=-70.0, v_thre_mV=-50.0)
INPUTS = [SynapticInput(200, 1.0, 5.0, 0.0), SynapticInput(50, 4.0, 5.0, -80.0)]


def test_single_input_closed_forms():
    syn = SynapticInput(100, 2.0, 5.0, 0.0)
    m = membrane_moments(CELL, [syn], [10.0])
    g = 10.0 + 100 * 10.0 * 1e-3 * 5.0 * 2.0
    assert float(m.mu_v_mV) == pytest.approx(10.0 * -70.0 / g)
    tau_m = 200.0 / g
    u = 2.0 * (0.0 - float(m.mu_v_mV)) / g
    assert float(m.sigma_v_mV) == pytest.approx(math.sqrt(1.0 * (u * 5.0) ** 2 / (2 * (5.0 + tau_m))))
    assert float(m.tau_v_ms) == pytest.approx(5.0 + tau_m)  # one synapse type
    assert float(m.gamma_v) > 0  # excitatory shot noise is skewed upwards


def test_no_input_is_rest_without_fluctuations():
    m = membrane_moments(CELL, INPUTS, [0.0, 0.0])
    assert float(m.mu_v_mV) == pytest.approx(-70.0) and float(m.sigma_v_mV) == 0.0


def test_moments_broadcast_over_rate_grids():
    fe, fi = np.meshgrid(np.linspace(1, 10, 4), np.linspace(1, 20, 3), indexing="ij")
    m = membrane_moments(CELL, INPUTS, [fe, fi])
    assert m.mu_v_mV.shape == (4, 3) and np.all(np.diff(m.mu_v_mV, axis=0) > 0)
    with pytest.raises(ConfigError, match="rates_hz"):
        membrane_moments(CELL, INPUTS, [1.0])


def test_moments_agree_with_simulated_passive_membranes():
    """Passive cells (threshold out of reach) under the same Poisson shot noise: the mean and
    SD of V match the theory up to its approximation (conductance fluctuations are neglected
    in tau_m). Measured over seeds 3-6: the mean is 0.13-0.22 mV above the theory (that
    approximation, systematic), the SD within 0.7 % of it; bounds 0.3 mV and 3 % (a synaptic
    time constant of 5.5 instead of 5 ms in the theory moves the SD by 4.9 %, which the old
    15 % let pass)."""
    rates = [3.0, 8.0]
    n = 400
    spec = {"dt_ms": 0.1, "seed": 3,
            "populations": [{"name": "P", "n_neurons": n, "model": "lif_cond_exp",
                             "params": {"c_m_pF": 200.0, "g_l_nS": 10.0, "e_l_mV": -70.0, "v_th_mV": 1e6,
                                        "v_reset_mV": -70.0},
                             "receptors": [{"name": "e", "tau_ms": 5.0, "e_rev_mV": 0.0},
                                           {"name": "i", "tau_ms": 5.0, "e_rev_mV": -80.0}]}],
            "drives": [{"name": "de", "target": "P", "receptor": "e", "n_inputs": 200, "weight": 1.0, "rate": rates[0]},
                       {"name": "di", "target": "P", "receptor": "i", "n_inputs": 50, "weight": 4.0, "rate": rates[1]}],
            "record": {"state": [{"population": "P", "variable": "v_mV", "neurons": list(range(0, n, 4))}],
                       "state_every_ms": 1.0}}
    v = Network(spec).run(2200.0).recording().state["P"]["v_mV"].sel(time_ms=slice(200.0, None)).values
    m = membrane_moments(CELL, INPUTS, rates)
    assert v.mean() == pytest.approx(float(m.mu_v_mV), abs=0.3)
    assert v.std(axis=0).mean() == pytest.approx(float(m.sigma_v_mV), rel=0.03)


def grid_moments() -> Moments:
    fe, fi = np.meshgrid(np.linspace(0.5, 20, 20), np.linspace(0.5, 40, 10), indexing="ij")
    return membrane_moments(CELL, INPUTS, [fe, fi])


def test_fit_recovers_the_rates_of_known_coefficients():
    rng = np.random.default_rng(0)
    true = np.zeros(31)
    true[0], true[1:6] = -48.0, rng.normal(0, 2.0, 5)
    true[6:] = rng.normal(0, 0.3, 25)
    m = grid_moments()
    rates = transfer_function(true, m, CELL.v_thre_mV)
    fitted = fit_transfer_function(m, rates, CELL.v_thre_mV, alpha=1e-10)
    keep = (rates > 0) & (rates < 50)
    assert keep.sum() > 40
    np.testing.assert_allclose(transfer_function(fitted, m, CELL.v_thre_mV)[keep], rates[keep], rtol=1e-6)
    # the seed's ridge (alpha 0.9) stays close on these well-conditioned data
    ridge = fit_transfer_function(m, rates, CELL.v_thre_mV)
    assert np.median(np.abs(transfer_function(ridge, m, CELL.v_thre_mV)[keep] - rates[keep])) < 1.0


def test_fit_refuses_data_without_a_firing_regime():
    m = grid_moments()
    with pytest.raises(ConfigError, match="too few points"):
        fit_transfer_function(m, np.zeros(m.mu_v_mV.shape), CELL.v_thre_mV)


def test_mean_field_fixed_point_and_trajectory():
    tf = lambda nu: 0.5 * nu + np.array([2.0, 4.0])  # noqa: E731 - fixed point (4, 8)
    np.testing.assert_allclose(mean_field_fixed_point(tf, [0.0, 0.0]), [4.0, 8.0], atol=1e-4)
    t = np.arange(0.0, 200.0, 0.1)
    traj = solve_mean_field(lambda nu, _t: tf(nu), [0.0, 0.0], t)
    np.testing.assert_allclose(traj[-1], [4.0, 8.0], atol=1e-4)
    # relaxation with time constant T / (1 - slope) = 10 ms
    k = int(round(10.0 / 0.1))
    assert traj[k, 0] == pytest.approx(4.0 * (1 - math.exp(-1)), rel=0.02)
    with pytest.raises(ConfigError, match="did not settle"):
        mean_field_fixed_point(lambda nu: 2.0 * nu + 1.0, [1.0], max_time_ms=50.0)


def test_skewness_is_continuous_where_tau_m_meets_tau_syn():
    from netdyn.theory.mean_field import _psp_third_moment

    tau_m = 5.0 * (1 + np.array([-2e-2, -2e-3, -5e-4, 0.0, 5e-4, 2e-3, 2e-2]))
    third = _psp_third_moment(np.array(1.0), 5.0, tau_m)
    assert np.all(np.isfinite(third))
    np.testing.assert_allclose(third[1:-1], 2.0 / 27.0 * 5.0, rtol=5e-3)


# The published first-order mean field of the RS-FS network with the fitted transfer functions
# (the seed's procedure re-run for the specification): fixed points (Exc, Inh) in Hz per
# afferent rate nu_aff, and the fits' mean absolute errors in Hz.
PUBLISHED_FIXED_POINTS = {4.0: (0.81, 4.09), 6.0: (2.84, 11.2), 8.0: (4.42, 17.2)}
PUBLISHED_FIT_ERROR = {"Exc": 1.06, "Inh": 1.43}


@pytest.mark.slow
def test_rsfs_mean_field_from_measured_transfer_functions():
    """The seed's procedure end to end: measure the RS and FS transfer functions on the
    20 x 10 grid (K_E 200 x 1 nS, K_I 50 x 4 nS, K_aff 200 x 1 nS at 4 Hz; 3 s, 0.5 s
    discarded), fit the template, solve the first-order mean field, and compare with the
    published numbers, not with the network (the mean field has no adaptation).

    Tolerances, measured: the published points are one measurement with 2 cells per grid
    point; that protocol re-run here over 8 seeds spreads the E fixed point by about +-20 %
    at nu_aff = 4 Hz (0.47-0.72 Hz) and the I one by +-6 %. Here 20 cells per point: over
    seeds 1-6 netdyn's points differ from the published ones by -15 .. +22 % (E) and
    -7 .. +9 % (I), part of it systematic (E above at 4 Hz, below at 6 and 8 Hz). Bounds:
    30 % (E), 12 % (I). They fail on a plausible slip: the afferents' indegree 100 in the
    moments (-90 %), tau_syn 6 ms (+78 % at 4 Hz), Q_I 4.4 nS (+15 % I at 4 Hz), E_L -68 mV
    (+39 %); the old check (within a factor 3 of the network's 1.97 / 6.85 Hz) passed the
    last three. The fit errors must not exceed the published ones (measured on noisier
    2-cell data; here 0.65-0.79 Hz RS, 0.94-1.12 Hz FS over 6 seeds)."""
    from netdyn.config.rsfs import RSFS_MODEL
    from netdyn.analysis.transfer_function import measure_transfer_function
    from netdyn.models.spiking.model_dict import cell_params

    inputs = [SynapticInput(200, 1.0, 5.0, 0.0), SynapticInput(50, 4.0, 5.0, -80.0), SynapticInput(200, 1.0, 5.0, 0.0)]
    fe, fi = np.meshgrid(np.linspace(0.0, 20.0, 20), np.linspace(0.5, 40.0, 10), indexing="ij")
    coeffs = {}
    for pop in ("Exc", "Inh"):
        params = cell_params(RSFS_MODEL, pop)
        out = measure_transfer_function(params, inputs, [fe, fi, np.full_like(fe, 4.0)], n_neurons=20,
                                        duration_ms=3000.0, discard_ms=500.0, seed=1)
        m = membrane_moments(CELL, inputs, [fe, fi, 4.0])
        coeffs[pop] = fit_transfer_function(m, out, -50.0)
        keep = (out > 0) & (out < 50)
        err = np.abs(transfer_function(coeffs[pop], m, -50.0) - out)[keep].mean()
        assert err < PUBLISHED_FIT_ERROR[pop], (pop, err)

    for nu_aff, published in PUBLISHED_FIXED_POINTS.items():
        def tf(nu: np.ndarray, nu_aff: float = nu_aff) -> np.ndarray:
            m = membrane_moments(CELL, inputs, [nu[0], nu[1], nu_aff])
            return np.array([float(transfer_function(coeffs[p], m, -50.0)) for p in ("Exc", "Inh")])

        fixed = mean_field_fixed_point(tf, [1.0, 5.0])
        assert fixed[0] == pytest.approx(published[0], rel=0.30), (nu_aff, fixed)
        assert fixed[1] == pytest.approx(published[1], rel=0.12), (nu_aff, fixed)
        assert fixed[1] > fixed[0]  # inhibitory cells fire faster, as in the network
