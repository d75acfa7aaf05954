"""Gaussian-kernel population rate with the bandwidth of Shimazaki & Shinomoto (2010)
(netdyn.analysis.spikes.kernel_rate): the cost against its closed form, the search against
a fine scan, both against Elephant's ``optimal_kernel_bandwidth`` and
``instantaneous_rate(kernel='auto')``, mass conservation and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from netdyn.analysis import kernel_population_rate, optimal_kernel_bandwidth, population_rate
from netdyn.analysis.spikes.kernel_rate import bandwidth_cost
from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikeTrains


def _normal(x, sd):
    return np.exp(-0.5 * (x / sd) ** 2) / (math.sqrt(2 * math.pi) * sd)


def _modulated(rng, n_neurons, t_start, t_stop, period_ms, grid=False):
    """Pooled spikes of n_neurons with rate 10 + 8 sin(2 pi t / period) Hz, optionally on the
    0.1-ms grid, and random senders."""
    t = np.arange(t_start, t_stop, 0.1)
    k = rng.poisson((10 + 8 * np.sin(2 * np.pi * t / period_ms)) * 1e-4 * n_neurons)
    times = np.repeat(t, k) + (0.0 if grid else rng.uniform(0, 0.1, k.sum()))
    times = np.sort(np.round(times, 1) if grid else times)
    times = times[times < t_stop]
    return times, rng.integers(0, n_neurons, times.size)


@pytest.mark.parametrize("w_ms", [1.0, 2.0, 5.0, 20.0])
def test_bandwidth_cost_is_the_pair_sum_of_shimazaki_and_shinomoto(w_ms):
    # Away from the ends of the interval the cost is the closed form
    # sum_ij phi_{sqrt2 w}(t_i - t_j) - 2 sum_{i != j} phi_w(t_i - t_j) for spikes on the grid:
    # the FFT smoothing by exp(-(2 pi f w)^2 / 2) is the sampled Gaussian up to aliasing
    # (exp(-2 pi^2 (w/dt)^2) < 1e-15 for w >= 2 dt, 1e-9 relative at w = 1 ms = 2 dt here)
    rng = np.random.default_rng(0)
    L, dt = 1000, 0.5
    pos = rng.integers(L // 3, 2 * L // 3, 300)  # spikes >= 165 ms = 8 w from both ends
    counts = np.bincount(pos, minlength=L)
    n = int(counts.sum())
    d = (pos[:, None] - pos[None, :]) * dt
    exact = _normal(d, math.sqrt(2) * w_ms).sum() - 2 * (_normal(d, w_ms).sum() - n * _normal(0.0, w_ms))
    assert bandwidth_cost(counts / (n * dt), n, w_ms, dt) == pytest.approx(exact, rel=1e-8)


def test_search_lands_at_the_minimum_of_the_cost():
    # the golden section ends in a bracket 0.618^20 = 7e-5 wide (in log(e^w - 1)); on this
    # unimodal cost its last point is within 1e-6 (relative) of the minimum of a fine scan
    rng = np.random.default_rng(1)
    times, _ = _modulated(rng, 300, 0.0, 3000.0, 100.0)
    sigma = optimal_kernel_bandwidth(times)
    grid = np.linspace(times[0], times[-1], 1000)
    dt = grid[1] - grid[0]
    counts, _ = np.histogram(times, np.r_[grid - dt / 2, grid[-1] + dt / 2])
    density, n = counts / (counts.sum() * dt), int(counts.sum())
    scan = np.geomspace(2 * dt, 200.0, 2000)
    costs = np.array([bandwidth_cost(density, n, w, dt) for w in scan])
    best = scan[costs.argmin()]
    assert sigma == pytest.approx(best, rel=0.01)  # scan spacing 0.23 %, flat minimum
    assert bandwidth_cost(density, n, sigma, dt) <= costs.min() + 1e-6 * abs(costs.min())


def test_faster_modulation_gives_a_narrower_kernel_down_to_the_grid():
    rng = np.random.default_rng(2)
    sigmas = [optimal_kernel_bandwidth(_modulated(rng, 300, 0.0, 3000.0, p)[0]) for p in (40.0, 100.0, 300.0, 900.0)]
    assert sigmas[1] < sigmas[2] < sigmas[3]
    # the search starts at 2 grid spacings: 1000 points over 3 s, so about 6 ms; a 40-ms
    # modulation would want less and gets the floor
    assert sigmas[0] == pytest.approx(2 * 3000.0 / 999, rel=0.02)


@pytest.fixture(scope="module")
def elephant_rates():
    pytest.importorskip("elephant")
    import neo
    import quantities as pq
    from elephant import kernels, statistics

    return neo, pq, statistics, kernels


@pytest.mark.parametrize("case", range(6))
def test_bandwidth_and_rate_agree_with_elephant(elephant_rates, case):
    # Same grid, same search path, same kernel sampling: the costs differ only by FFT round-off
    # (real vs complex transforms, ~1e-15 relative); a different golden-section branch would
    # move sigma by the final bracket, >= 1e-5 relative, so rtol 1e-9 checks the path. Rates:
    # both are FFT convolutions of the same histogram, 1e-12 of the peak.
    neo, pq, statistics, _ = elephant_rates
    rng = np.random.default_rng(20 + case)
    n_neurons = [200, 200, 50, 5, 1000, 3][case]
    t_stop = [2000.0, 3500.0, 2500.0, 1800.0, 1500.0, 900.0][case]
    times, senders = _modulated(rng, n_neurons, 500.0, t_stop, 60.0 + 50 * case, grid=bool(case % 2))
    ref_sigma = statistics.optimal_kernel_bandwidth(times)["optw"]
    assert optimal_kernel_bandwidth(times) == pytest.approx(ref_sigma, rel=1e-9)
    train = neo.SpikeTrain(times * pq.ms, t_start=0 * pq.ms, t_stop=t_stop * pq.ms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.asarray(statistics.instantaneous_rate(train, 1 * pq.ms, t_start=500 * pq.ms,
                                                       t_stop=t_stop * pq.ms))[:, 0] / (n_neurons + 0.3)
    ours = kernel_population_rate(times, senders, n_neurons, 500.0, t_stop, n_model=n_neurons + 0.3)
    assert ours.attrs["sigma_ms"] == pytest.approx(ref_sigma, rel=1e-9)
    assert ours.shape == ref.shape and ours.time_ms.values[0] == 500.0
    np.testing.assert_allclose(ours.values, ref, rtol=0, atol=1e-12 * ref.max())


@pytest.mark.parametrize("sigma_ms, sampling_ms", [(2.0, 1.0), (2.1, 1.0), (7.3, 2.5)])
def test_fixed_kernel_agrees_with_elephant(elephant_rates, sigma_ms, sampling_ms):
    neo, pq, statistics, kernels = elephant_rates
    times, senders = _modulated(np.random.default_rng(3), 100, 0.0, 1000.0, 150.0)
    train = neo.SpikeTrain(times * pq.ms, t_stop=1000 * pq.ms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.asarray(statistics.instantaneous_rate(train, sampling_ms * pq.ms,
                                                       kernel=kernels.GaussianKernel(sigma_ms * pq.ms)))[:, 0]
    ours = kernel_population_rate(times, senders, 100, 0.0, 1000.0, sampling_ms=sampling_ms, sigma_ms=sigma_ms)
    np.testing.assert_allclose(ours.values * 100, ref, rtol=0, atol=1e-12 * ref.max())


def test_kernel_mass_and_the_histogram_rate():
    # With c sigma / b whole (5 x 2 ms / 1 ms) the kernel is the sampled Gaussian, of sum
    # 1 - 6e-7 (cut at 5 SD): the rate of spikes far from the ends integrates to their number.
    # Otherwise (2.1 ms: 21 points over +-10.5 ms) Elephant's sampling makes it sum to
    # ceil(10.5) / 10.5 = 1.048.
    rng = np.random.default_rng(4)
    times = np.sort(rng.uniform(100.0, 900.0, 5000))
    senders = rng.integers(0, 50, times.size)
    for sigma, factor in ((2.0, 1.0), (2.1, 11 / 10.5)):
        rate = kernel_population_rate(times, senders, 50, 0.0, 1000.0, sigma_ms=sigma)
        assert rate.values.sum() * 50 * 1e-3 == pytest.approx(times.size * factor, rel=1e-5)
        assert rate.attrs == {"units": "Hz", "sampling_ms": 1.0, "sigma_ms": sigma, "cutoff": 5.0}
    # the histogram it smooths is the one of population_rate: with a whole-bin kernel the
    # estimate is the histogram rate convolved with the sampled Gaussian
    hist = population_rate(times, senders, 50, 0.0, 1000.0, bin_ms=1.0).values
    smoothed = np.convolve(hist, _normal(np.arange(-10.0, 11.0), 2.0), mode="same")
    rate = kernel_population_rate(times, senders, 50, 0.0, 1000.0, sigma_ms=2.0)
    np.testing.assert_allclose(rate.values, smoothed, rtol=0, atol=1e-12 * smoothed.max())


def test_window_recording_and_empty_population():
    times, senders = _modulated(np.random.default_rng(5), 40, 0.0, 2000.0, 200.0)
    s = SpikeTrains("E", 40, times, senders, 0.0, 2000.0)
    a = kernel_population_rate(s, t_start_ms=500.0, n_model=41.5)
    keep = times >= 500.0
    b = kernel_population_rate(times[keep], senders[keep], 40, 500.0, 2000.0, n_model=41.5)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.attrs["sigma_ms"] == optimal_kernel_bandwidth(times[keep])
    silent = kernel_population_rate(np.array([]), np.array([], int), 10, 0.0, 100.0)
    assert silent.shape == (100,) and np.all(silent.values == 0) and math.isnan(silent.attrs["sigma_ms"])


def test_bad_input_names_the_field():
    for times in (np.array([5.0]), np.array([5.0, 5.0, 5.0]), np.array([1.0, 2.0])):
        with pytest.raises(ConfigError) as err:
            optimal_kernel_bandwidth(times)
        assert err.value.field == "times_ms"
    with pytest.raises(ConfigError) as err:
        optimal_kernel_bandwidth(np.array([1.0, np.nan, 3.0]))
    assert err.value.field == "times_ms"
    # too few spikes for a bandwidth: the message says to give one, and a given one works
    with pytest.raises(ConfigError, match="give the kernel width"):
        kernel_population_rate(np.array([5.0]), np.array([0]), 1, 0.0, 10.0)
    assert kernel_population_rate(np.array([5.0]), np.array([0]), 1, 0.0, 10.0, sigma_ms=1.0).values.max() > 0
    args = (np.array([1.0, 2.0, 4.0]), np.array([0, 0, 0]), 1, 0.0, 10.0)
    for kwargs, field in (({"sampling_ms": 0.0}, "sampling_ms"), ({"sigma_ms": -1.0}, "sigma_ms"),
                          ({"cutoff": float("inf")}, "cutoff"), ({"n_model": 0.0}, "n_model"),
                          ({"sampling_ms": 20.0}, "sampling_ms")):
        with pytest.raises(ConfigError) as err:
            kernel_population_rate(*args, **kwargs)
        assert err.value.field == field
