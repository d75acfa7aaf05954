r"""Population rate smoothed by a Gaussian kernel whose width is chosen from the spikes by the
method of Shimazaki & Shinomoto (2010), as Elephant's ``instantaneous_rate(kernel='auto')``.

References
----------
.. [SS10] H. Shimazaki, S. Shinomoto (2010), "Kernel bandwidth optimization in spike rate
   estimation", J. Comput. Neurosci. 29, 171-182.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from netdyn.analysis.spikes._common import as_spikes, population_counts
from netdyn.errors import ConfigError, positive_float
from netdyn.record.spiking import SpikeTrains

__all__ = ["kernel_population_rate", "optimal_kernel_bandwidth"]

#: Points of the grid the cost is evaluated on, at most (Elephant's port of ``sskernel.m``).
MAX_GRID_POINTS = 1000
#: Golden-section iterations, at most, and the relative tolerance that stops them earlier.
GOLDEN_ITERATIONS = 20
GOLDEN_TOLERANCE = 1e-5


def _softplus(x: float) -> float:
    """``log(1 + e^x)``, the coordinate of the search (``x`` itself above 100)."""
    return float(np.log(1.0 + np.exp(x))) if x < 1e2 else x


def _softplus_inverse(y: float) -> float:
    return float(np.log(np.exp(y) - 1.0)) if y < 1e2 else y


def bandwidth_cost(density: np.ndarray, n_spikes: int, w_ms: float, dt_ms: float,
                   spectra: dict[int, np.ndarray] | None = None) -> float:
    r"""Cost :math:`C_n(w)` of Shimazaki & Shinomoto (2010) for a Gaussian kernel of SD ``w_ms``.

    .. math::
        C_n(w) = n^2 \left[\Delta \sum_k \hat y_k^2 - 2 \Delta \sum_k \hat y_k\, y_k
                 + \frac{2}{\sqrt{2\pi}\, w\, n}\right]
        \approx \sum_{i,j} \phi_{\sqrt2 w}(t_i - t_j) - 2 \sum_{i \ne j} \phi_w(t_i - t_j)

    with :math:`y_k` the spike density on the grid of spacing :math:`\Delta` = ``dt_ms``
    (counts / (n Delta)), :math:`\hat y` its smoothing by the kernel, done by FFT with the
    zero padding of ``sskernel.m`` (to the next power of two >= L + 3 w / Delta), and
    :math:`\phi_s` the normal density of SD :math:`s`. ``spectra`` caches the FFT of the density
    per padded length.
    """
    L = density.size
    w_bins = w_ms / dt_ms
    n_fft = 2 ** math.ceil(math.log2(L + 3.0 * w_bins))
    spectrum = None if spectra is None else spectra.get(n_fft)
    if spectrum is None:
        spectrum = np.fft.rfft(density, n_fft)
        if spectra is not None:
            spectra[n_fft] = spectrum
    freq = np.arange(spectrum.size) / n_fft
    smoothed = np.abs(np.fft.irfft(spectrum * np.exp(-0.5 * (w_bins * 2.0 * np.pi * freq) ** 2),
                                   n_fft)[:L])
    cost = (np.sum(smoothed**2) * dt_ms - 2.0 * np.sum(smoothed * density) * dt_ms
            + 2.0 / np.sqrt(2.0 * np.pi) / w_ms / n_spikes)
    return float(cost * n_spikes * n_spikes)


def optimal_kernel_bandwidth(times_ms: Any) -> float:
    r"""SD in ms of the Gaussian kernel that minimises the estimated integrated squared error
    of the rate estimate of a spike train [SS10]_ (Elephant's ``optimal_kernel_bandwidth``).

    The spikes (pooled over neurons for a population rate) are histogrammed on a grid of
    :math:`L = \min(\lfloor (t_\mathrm{max} - t_\mathrm{min}) / \delta + 1/2 \rfloor, 1000)`
    points spread evenly over :math:`[t_\mathrm{min}, t_\mathrm{max}]`, :math:`\delta` the
    shortest non-zero interval between spikes (bins centred on the points, spacing
    :math:`\Delta`). :func:`bandwidth_cost` is then minimised by a golden-section search over
    :math:`x` with :math:`w = \log(1 + e^x)`, from :math:`w = 2\Delta` to
    :math:`t_\mathrm{max} - t_\mathrm{min}`, for 20 iterations or until the bracket is below
    :math:`10^{-5}` of the two inner points. As in Elephant (and ``sskernel.m``), the result is
    the last point evaluated: it lies in the final bracket, :math:`0.618^{20} \approx 7
    \cdot 10^{-5}` of the initial one in :math:`x`. With the grid capped at 1000 points,
    :math:`\sigma` does not come out below about :math:`2 (t_\mathrm{max} - t_\mathrm{min}) /
    999`: 3 ms for 1.5 s of spikes, 20 ms for 10 s.

    Parameters
    ----------
    times_ms
        1-D spike times in ms, any order, finite; they must span at least 1.5 times their
        shortest non-zero interval (three distinct times suffice).

    Returns
    -------
    float
        The kernel SD :math:`\sigma` in ms.
    """
    t = np.asarray(times_ms, dtype=np.float64)
    if t.ndim != 1 or not np.all(np.isfinite(t)):
        raise ConfigError("times_ms", t.shape, "must be a 1-D array of finite spike times in ms")
    t = np.sort(t)
    gaps = np.diff(t)
    gaps = gaps[gaps > 0]
    n_grid = 0 if gaps.size == 0 else min(int((t[-1] - t[0]) / gaps.min() + 0.5), MAX_GRID_POINTS)
    if n_grid < 2:
        raise ConfigError("times_ms", f"{t.size} spikes",
                          "too few distinct spike times to choose a kernel bandwidth "
                          "(give the kernel width instead)")
    grid = np.linspace(t[0], t[-1], n_grid)
    dt = float(np.min(np.diff(grid)))
    counts, _ = np.histogram(t, np.r_[grid - dt / 2, grid[-1] + dt / 2])
    n_spikes = int(counts.sum())
    density = counts / (n_spikes * dt)
    spectra: dict[int, np.ndarray] = {}

    def cost(x: float) -> float:
        return bandwidth_cost(density, n_spikes, _softplus(x), dt, spectra)

    phi = 0.5 * (math.sqrt(5.0) + 1.0)
    a, b = _softplus_inverse(2.0 * dt), _softplus_inverse(float(t[-1] - t[0]))
    c1, c2 = (phi - 1) * a + (2 - phi) * b, (2 - phi) * a + (phi - 1) * b
    f1, f2 = cost(c1), cost(c2)
    best = None
    for _ in range(GOLDEN_ITERATIONS):
        if abs(b - a) <= GOLDEN_TOLERANCE * (abs(c1) + abs(c2)):
            break
        if f1 < f2:
            b, c2, f2 = c2, c1, f1
            c1 = (phi - 1) * a + (2 - phi) * b
            f1, best = cost(c1), c1
        else:
            a, c1, f1 = c1, c2, f2
            c2 = (2 - phi) * a + (phi - 1) * b
            f2, best = cost(c2), c2
    if best is None:
        raise ConfigError("times_ms", f"{t.size} spikes",
                          "their span is too short to search a kernel bandwidth "
                          "(give the kernel width instead)")
    return _softplus(best)


def kernel_population_rate(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                           t_start_ms: Any = None, t_stop_ms: Any = None, *,
                           sampling_ms: float = 1.0, sigma_ms: float | None = None,
                           cutoff: float = 5.0, n_model: float | None = None) -> xr.DataArray:
    r"""Population rate estimated with a Gaussian kernel, in Hz per neuron.

    .. math::
        r_k = \frac{1}{N} \sum_{j} C_j\, K_{k-j}, \qquad
        K_m = \frac{1000}{b}\, \phi_{\sigma / b}\!\left(m \frac{h}{b}\right),\;
        |m| \le H = \lceil c\, \sigma / b \rceil,\; h = \frac{c\, \sigma}{H}

    with :math:`C_j` the population spike count in sample bin :math:`j` of width :math:`b` =
    ``sampling_ms`` (binning as :func:`population_rate`), :math:`\phi_s` the normal density of SD
    :math:`s`, :math:`c` = ``cutoff`` and :math:`N` the recorded neurons or ``n_model``.
    :math:`\sigma` is ``sigma_ms`` or, by default, :func:`optimal_kernel_bandwidth` of the
    population's spikes in the window (pooled) [SS10]_. The kernel is evaluated as Elephant
    does, at :math:`2H + 1` points spread evenly over :math:`[-c\sigma, c\sigma]`, whose
    spacing :math:`h \le b` is then used as :math:`b`: unless :math:`c\sigma/b` is a whole
    number the kernel is wider than :math:`\sigma` and sums to more than one, by the factor
    :math:`b/h < 1 + b/(c\sigma)` (for :math:`\sigma < b/c` the neighbouring bins get the
    weight of the cut-off point). The convolution is centred (``'same'``) and zero-padded at
    both ends; values below 0 from round-off are set to 0.

    This is Elephant's ``instantaneous_rate(train, sampling_period=b, kernel='auto')`` of the
    pooled train, divided by :math:`N`: the "auto-kernel" rate of the multi-area model
    (Schmidt et al. 2018, PLoS Comput. Biol. 14, e1006359, with b = 1 ms, the non-integer
    model size as ``n_model``; its code hard-codes ``t_stop = 10500`` ms, so shorter runs get a
    tail of zeros, and includes a spike exactly at ``t_stop`` in the last bin).

    Parameters
    ----------
    sampling_ms
        Bin width and sampling period of the estimate in ms (default 1).
    sigma_ms
        Kernel SD in ms; default: chosen from the spikes. Required when the window holds too
        few distinct spike times to choose one.
    cutoff
        The kernel is cut at ``cutoff`` SDs (default 5, as Elephant).
    n_model
        Population size to divide by, as for :func:`~netdyn.analysis.population_rate`.

    Returns
    -------
    xarray.DataArray
        ``(time_ms,)``, ``time_ms`` the start of each sample bin; ``attrs``: ``units = "Hz"``,
        ``sampling_ms``, ``sigma_ms`` (NaN when the window holds no spike: the rate is 0),
        ``cutoff``.
    """
    s = as_spikes(spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    b = positive_float(sampling_ms, "sampling_ms")
    c = positive_float(cutoff, "cutoff")
    n = s.n_recorded if n_model is None else positive_float(n_model, "n_model")
    counts = population_counts(s, b, "sampling_ms").astype(np.float64)
    n_bins = counts.size
    if sigma_ms is not None:
        sigma = positive_float(sigma_ms, "sigma_ms")
    elif s.times_ms.size:
        sigma = optimal_kernel_bandwidth(s.times_ms)
    else:
        sigma = float("nan")
    if s.times_ms.size:
        half = math.ceil(c * sigma / b)
        u = np.linspace(-c * sigma / b, c * sigma / b, 2 * half + 1)  # in units of b
        kernel_hz = np.exp(-0.5 * (u * b / sigma) ** 2) / (math.sqrt(2.0 * math.pi) * sigma / b) / (b * 1e-3)
        from scipy.signal import fftconvolve  # imported here: scipy.signal costs ~1 s to import

        rate = np.clip(fftconvolve(counts, kernel_hz, mode="same"), 0.0, None)
    else:
        rate = counts
    rate = rate / n if n else np.full(n_bins, np.nan)
    return xr.DataArray(rate, dims="time_ms", coords={"time_ms": s.t_start_ms + b * np.arange(n_bins)},
                        attrs={"units": "Hz", "sampling_ms": b, "sigma_ms": sigma, "cutoff": c})
