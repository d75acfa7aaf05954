"""Area averages, synaptic-input signals and functional connectivity (netdyn.analysis.areas,
netdyn.analysis.fc): against transcriptions of the published computation (np.convolve,
np.average, pdist), closed forms (impulse and constant rates, signals of known correlation)
and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy.spatial.distance import pdist, squareform

from netdyn.analysis import area_average, fc_correlation, functional_connectivity, synaptic_input
from netdyn.errors import ConfigError


def _network(rng, n_pop=12, n_times=400):
    rates = rng.gamma(2.0, 5.0, (n_pop, n_times))
    K = rng.uniform(0, 200, (n_pop, n_pop)) * (rng.random((n_pop, n_pop)) < 0.6)
    W = rng.normal(80.0, 10.0, (n_pop, n_pop)) * np.where(np.arange(n_pop) % 2, -11.0, 1.0)
    return rates, K, W


# --------------------------------------------------------------------------- synaptic input


def test_synaptic_input_is_the_published_loop():
    # for every target: sum over sources of rate * |W| * K, then np.convolve(kernel, ., 'same')
    # with kernel = exp(-arange(0, 20, 1) / 0.5)
    rates, K, W = _network(np.random.default_rng(0))
    kernel = np.exp(-np.arange(0.0, 20.0, 1.0) / 0.5)
    ref = []
    for i in range(K.shape[0]):
        series = np.zeros(rates.shape[1])
        for j in range(K.shape[1]):
            series += rates[j] * abs(W[i, j]) * K[i, j]
        ref.append(np.convolve(kernel, series, mode="same"))
    ours = synaptic_input(rates, K, W)
    np.testing.assert_allclose(ours, np.array(ref), rtol=1e-12)


@pytest.mark.parametrize("tau_s_ms, kernel_ms, dt_ms", [(0.5, 20.0, 1.0), (2.0, 15.0, 0.5), (3.0, 7.0, 1.0)])
def test_synaptic_input_impulse_and_constant_rates(tau_s_ms, kernel_ms, dt_ms):
    # an impulse of source j at sample t0 reaches target i as |W_ij| K_ij exp(-m dt / tau)
    # at sample t0 - s + m, s = (M - 1) // 2 (the 'same' mode's centring)
    M = np.arange(0.0, kernel_ms, dt_ms).size
    s = (M - 1) // 2
    K = np.array([[2.0, 0.0], [3.0, 5.0], [0.0, 1.5]])
    W = np.array([[100.0, -1.0], [-50.0, 10.0], [7.0, -8.0]])
    rates = np.zeros((2, 200))
    rates[0, 100] = 1.0
    out = synaptic_input(rates, K, W, tau_s_ms=tau_s_ms, kernel_ms=kernel_ms, dt_ms=dt_ms)
    expect = np.zeros((3, 200))
    expect[:, 100 - s:100 - s + M] = (np.abs(W[:, 0]) * K[:, 0])[:, None] * np.exp(-np.arange(M) * dt_ms / tau_s_ms)
    np.testing.assert_allclose(out, expect, rtol=1e-13, atol=1e-13)
    # constant rates: the drive times the kernel's sum, away from the ends
    rates = np.array([[3.0] * 200, [4.0] * 200])
    out = synaptic_input(rates, K, W, tau_s_ms=tau_s_ms, kernel_ms=kernel_ms, dt_ms=dt_ms)
    q = math.exp(-dt_ms / tau_s_ms)
    drive = (np.abs(W) * K) @ np.array([3.0, 4.0])
    np.testing.assert_allclose(out[:, M:-M], (drive * (1 - q**M) / (1 - q))[:, None] * np.ones((1, 200 - 2 * M)),
                               rtol=1e-13)


def test_synaptic_input_takes_rectangular_matrices_and_validates():
    rng = np.random.default_rng(1)
    rates = rng.random((4, 50))
    K, W = rng.random((2, 4)), rng.normal(size=(2, 4))
    assert synaptic_input(rates, K, W).shape == (2, 50)
    cases = [
        ((rates[0], K, W), {}, "rates_hz"),
        ((rates, K[:, :3], W[:, :3]), {}, "indegrees"),
        ((rates, K, W[:1]), {}, "weights"),
        ((rates, -K, W), {}, "indegrees"),
        ((rates * np.nan, K, W), {}, "rates_hz"),
        ((rates, K, W), {"tau_s_ms": 0.0}, "tau_s_ms"),
        ((rates, K, W), {"kernel_ms": -1.0}, "kernel_ms"),
        ((rates, K, W), {"dt_ms": float("nan")}, "dt_ms"),
    ]
    for args, kwargs, field in cases:
        with pytest.raises(ConfigError) as err:
            synaptic_input(*args, **kwargs)
        assert err.value.field == field


# ---------------------------------------------------------------------------- area average


def test_area_average_is_the_weighted_mean_per_area():
    rng = np.random.default_rng(2)
    signals = rng.normal(size=(10, 30))
    N = rng.uniform(10, 1000, 10)
    areas = ["V2", "V2", "V1", "V1", "V1", "FEF", "V2", "FEF", "TH", "TH"]
    out = area_average(signals, N, areas)
    assert list(out.area.values) == ["V2", "V1", "FEF", "TH"] and out.dims == ("area", "time")
    for name in ["V2", "V1", "FEF", "TH"]:
        sel = np.array(areas) == name
        np.testing.assert_allclose(out.sel(area=name).values, np.average(signals[sel], axis=0, weights=N[sel]),
                                   rtol=1e-13)
    # a NaN population stays in its area, a zero weight only removes it there
    signals[8] = np.nan
    out = area_average(signals, N, areas)
    assert np.all(np.isnan(out.sel(area="TH"))) and np.all(np.isfinite(out.sel(area=["V1", "V2", "FEF"])))
    N[8] = 0.0
    out = area_average(np.nan_to_num(signals), N, areas)
    np.testing.assert_allclose(out.sel(area="TH").values, signals[9], rtol=1e-13)


def test_area_average_keeps_the_time_axis_of_a_dataarray():
    rates = xr.DataArray(np.arange(12.0).reshape(3, 4), dims=("population", "time_ms"),
                         coords={"time_ms": [500.0, 501.0, 502.0, 503.0]}, attrs={"units": "Hz"})
    out = area_average(rates, [1.0, 3.0, 2.0], ["A", "A", "B"])
    assert out.dims == ("area", "time_ms") and list(out.time_ms.values) == [500.0, 501.0, 502.0, 503.0]
    assert out.attrs["units"] == "Hz"
    np.testing.assert_allclose(out.values, [[3.0, 4.0, 5.0, 6.0], [8.0, 9.0, 10.0, 11.0]])


def test_area_average_validates():
    x = np.ones((3, 5))
    cases = [((np.ones(3), [1, 1, 1], "abc"), "signals"), ((x, [1, 1], "abc"), "weights"),
             ((x, [1, -1, 1], "abc"), "weights"), ((x, [1, np.inf, 1], "abc"), "weights"),
             ((x, [1, 1, 1], ["a", "b"]), "areas"), ((x, [1, 0, 0], ["a", "b", "b"]), "weights")]
    for args, field in cases:
        with pytest.raises(ConfigError) as err:
            area_average(*args)
        assert err.value.field == field


# ------------------------------------------------------------------ functional connectivity


def test_fc_is_the_published_pdist_correlation():
    # the published code: every area signal minus its time mean, 1 - pdist 'correlation'
    rates, K, W = _network(np.random.default_rng(3), n_pop=16)
    areas = np.repeat(["a", "b", "c", "d"], 4)
    signals = area_average(synaptic_input(rates, K, W), np.arange(1.0, 17.0), areas).values
    centred = signals - signals.mean(axis=1, keepdims=True)
    ref = 1.0 - squareform(pdist(centred, metric="correlation"))
    fc = functional_connectivity(signals)
    np.testing.assert_allclose(fc, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fc, np.corrcoef(signals), rtol=1e-14)


def test_fc_of_signals_with_known_correlations_and_invariance():
    # s_A = sqrt(c_A) x + sqrt(1 - c_A) n_A: corr(s_A, s_B) = sqrt(c_A c_B); the sample
    # coefficient has SD <= 1 / sqrt(T) = 0.007, so 0.04 is > 5 SD
    rng = np.random.default_rng(4)
    c = np.array([0.0, 0.2, 0.5, 0.8])
    x = rng.normal(size=20_000)
    signals = np.sqrt(c)[:, None] * x + np.sqrt(1 - c)[:, None] * rng.normal(size=(4, 20_000))
    fc = functional_connectivity(signals)
    expect = np.sqrt(np.outer(c, c))
    np.fill_diagonal(expect, 1.0)
    np.testing.assert_allclose(fc, expect, atol=0.04)
    np.testing.assert_allclose(np.diag(fc), 1.0, rtol=1e-14)
    np.testing.assert_allclose(fc, fc.T, rtol=0, atol=0)
    scaled = functional_connectivity(signals * np.array([[2.0], [0.1], [7.0], [1.0]]) + 5.0)
    np.testing.assert_allclose(scaled, fc, atol=1e-12)
    # a constant signal has no correlation
    with_constant = functional_connectivity(np.vstack([signals[:, :100], np.ones(100)]))
    assert np.all(np.isnan(with_constant[4])) and np.all(np.isfinite(with_constant[:4, :4]))


def test_fc_validates():
    for bad in (np.ones(5), np.ones((3, 1)), np.full((2, 4), np.nan)):
        with pytest.raises(ConfigError) as err:
            functional_connectivity(bad)
        assert err.value.field == "signals"


def test_fc_correlation_off_diagonal_and_the_published_zero_diagonal():
    rng = np.random.default_rng(5)
    a = functional_connectivity(rng.normal(size=(6, 30)))
    b = functional_connectivity(rng.normal(size=(6, 30)))
    off = ~np.eye(6, dtype=bool)
    upper = np.triu_indices(6, 1)
    r = fc_correlation(a, b)
    assert r == pytest.approx(np.corrcoef(a[off], b[off])[0, 1], rel=1e-12)
    assert r == pytest.approx(np.corrcoef(a[upper], b[upper])[0, 1], rel=1e-12)  # symmetric
    # Schmidt et al.'s figure code: np.corrcoef of the flattened matrices with zero diagonals
    za, zb = a.copy(), b.copy()
    np.fill_diagonal(za, 0.0)
    np.fill_diagonal(zb, 0.0)
    assert fc_correlation(a, b, diagonal="zero") == pytest.approx(np.corrcoef(za.ravel(), zb.ravel())[0, 1], rel=1e-12)
    # affine invariance of the off-diagonal entries, sign, the diagonal is ignored
    c = 3.0 * a + 0.2
    np.fill_diagonal(c, -7.0)
    assert fc_correlation(a, c) == pytest.approx(1.0, rel=1e-12)
    assert fc_correlation(a, -a) == pytest.approx(-1.0, rel=1e-12)
    assert math.isnan(fc_correlation(a, np.ones((6, 6))))


def test_fc_correlation_validates():
    a = np.eye(4)
    cases = [((np.ones((2, 2)), np.ones((2, 2))), {}, "fc"), ((a, np.eye(5)), {}, "other"),
             ((a, np.ones((4, 3))), {}, "other"), ((np.full((4, 4), np.nan), a), {}, "fc"),
             ((a, a), {"diagonal": "keep"}, "diagonal")]
    for args, kwargs, field in cases:
        with pytest.raises(ConfigError) as err:
            fc_correlation(*args, **kwargs)
        assert err.value.field == field
    nan_diagonal = np.ones((4, 4)) + np.eye(4)
    np.fill_diagonal(nan_diagonal, np.nan)
    assert math.isfinite(fc_correlation(nan_diagonal + np.arange(4.0), a + np.arange(4.0)[::-1]))
