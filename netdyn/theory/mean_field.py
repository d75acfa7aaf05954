r"""Semi-analytical transfer function of conductance-based neurons and its first-order mean field.

The method of the AdEx seed's mean field (Zerlaut et al. 2016 J Physiol
594:3791, 2018 J Comput Neurosci 44:45; El Boustani & Destexhe 2009 Neural Comput 21:46). Unlike the seed's
code it runs on current numpy and scikit-learn-free (the ridge fit is a least-squares solve).
Units: ms, mV, pF, nS, pA, Hz.

1. **Shot-noise membrane moments** (:func:`membrane_moments`). Source ``j`` delivers spikes at
   the total rate :math:`\nu_j = K_j F_j` (Hz), each a conductance jump :math:`Q_j` decaying with
   :math:`\tau_j` towards the reversal :math:`E_j`. With
   :math:`\mu_{G_j} = \nu_j \tau_j Q_j`, :math:`G = g_L + \sum_j \mu_{G_j}`,
   :math:`\mu_V = (g_L E_L + \sum_j \mu_{G_j} E_j + I) / G`, :math:`\tau_m = C_m / G` and
   :math:`U_j = Q_j (E_j - \mu_V) / G`, each spike adds a PSP
   :math:`U_j \tau_j / (\tau_j - \tau_m) (e^{-t/\tau_j} - e^{-t/\tau_m})`, so (Campbell's theorem)

   .. math:: \sigma_V^2 = \sum_j \nu_j \frac{(U_j\tau_j)^2}{2(\tau_j+\tau_m)},\qquad
             \tau_V = \frac{\sum_j \nu_j (U_j\tau_j)^2}{\sum_j \nu_j (U_j\tau_j)^2/(\tau_j+\tau_m)},

   and the skewness :math:`\gamma_V = \sum_j \nu_j \int \mathrm{PSP}_j^3 / \sigma_V^3`.
2. **Template** (:func:`transfer_function`):
   :math:`\nu_\text{out} = \mathrm{erfc}\big((V^\text{eff}_\text{thre} - \mu_V)/(\sqrt2\sigma_V)\big) / (2\tau_V)`
   with :math:`V^\text{eff}_\text{thre}` a second-order polynomial (31 coefficients: constant,
   5 linear terms, the 25 ordered products) of the normalised variables
   :math:`(\mu_V + 60)/10`, :math:`(\sigma_V - 4)/6`, :math:`\gamma_V`, :math:`(\tau_V - 10)/200`
   and :math:`\sqrt{\pi/2}\,\mathrm{erfc}(X/\sqrt2) + \gamma_V (X^2 - 1) e^{-X^2/2} / 6`,
   :math:`X = (V_\text{thre} - \mu_V)/\sigma_V`.
3. **Fit** (:func:`fit_transfer_function`): keep the points with :math:`0 < F_\text{out} < 50`
   Hz, invert the template for :math:`V^\text{eff}_\text{thre}` and solve the ridge regression
   (alpha 0.9, no intercept: the seed's choice) by least squares.
4. **Single-cell data**: :func:`netdyn.analysis.measure_transfer_function` simulates the
   output rate of cells driven at every point of a grid of input rates with netdyn's engine.
5. **First-order mean field** (:func:`mean_field_fixed_point`, :func:`solve_mean_field`):
   :math:`T\, d\nu_p/dt = \mathrm{TF}_p(\nu, \nu_\text{aff}(t)) - \nu_p`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from scipy import special

from netdyn.errors import ConfigError

N_COEFFS = 31


@dataclass(frozen=True)
class SynapticInput:
    """One source of synaptic input: ``indegree`` synapses of ``q_nS`` (decay ``tau_ms``, reversal
    ``e_rev_mV``), each presynaptic neuron firing at the rate the caller gives."""

    indegree: float
    q_nS: float
    tau_ms: float
    e_rev_mV: float


@dataclass(frozen=True)
class CellParams:
    """Passive properties and threshold of the cell (AdEx/LIF names of the seed)."""

    g_l_nS: float
    c_m_pF: float
    e_l_mV: float
    v_thre_mV: float
    i_pA: float = 0.0


@dataclass(frozen=True)
class Moments:
    """Membrane potential statistics under shot noise: mV, mV, 1, ms."""

    mu_v_mV: np.ndarray
    sigma_v_mV: np.ndarray
    gamma_v: np.ndarray
    tau_v_ms: np.ndarray


def _psp_cubed_integral(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r""":math:`\int_0^\infty (e^{-t/a} - e^{-t/b})^3 dt` (ms) for time constants a, b (ms)."""
    return a / 3.0 - 3.0 / (2.0 / a + 1.0 / b) + 3.0 / (1.0 / a + 2.0 / b) - b / 3.0


def _psp_third_moment(u: np.ndarray, tau_s: float, tau_m: np.ndarray) -> np.ndarray:
    r""":math:`\int_0^\infty \mathrm{PSP}^3 dt` (mV^3 ms); at tau_m = tau_s the PSP is
    :math:`U (t/\tau) e^{-t/\tau}` and the integral :math:`(2/27) U^3 \tau` (used within 0.1 %
    of it, where its error is of that order)."""
    tau_m = np.asarray(tau_m, dtype=np.float64)
    close = np.abs(tau_s - tau_m) < 1e-3 * tau_s  # the closed form cancels catastrophically there
    safe = np.where(close, tau_s * 2.0, tau_m)
    amp = u * tau_s / (tau_s - safe)
    return np.where(close, 2.0 / 27.0 * u**3 * tau_s, amp**3 * _psp_cubed_integral(tau_s, safe))


def membrane_moments(cell: CellParams, inputs: Sequence[SynapticInput], rates_hz: Sequence[Any]) -> Moments:
    """Shot-noise moments of V (module docstring, item 1) at presynaptic rates ``rates_hz``
    (one rate, or array of rates, per input; arrays broadcast)."""
    if len(inputs) != len(rates_hz):
        raise ConfigError("rates_hz", len(rates_hz), f"needs one rate per input ({len(inputs)})")
    nus = [np.asarray(r, dtype=np.float64) * syn.indegree * 1e-3 for syn, r in zip(inputs, rates_hz)]  # 1/ms
    if any(np.any(nu < 0) for nu in nus):
        raise ConfigError("rates_hz", rates_hz, "rates must be >= 0")
    mu_g = [nu * syn.tau_ms * syn.q_nS for nu, syn in zip(nus, inputs)]
    g_tot = cell.g_l_nS + sum(mu_g)
    mu_v = (cell.g_l_nS * cell.e_l_mV + sum(m * syn.e_rev_mV for m, syn in zip(mu_g, inputs)) + cell.i_pA) / g_tot
    tau_m = cell.c_m_pF / g_tot
    power = 0.0  # sum nu (U tau)^2
    weighted = 0.0  # sum nu (U tau)^2 / (tau + tau_m) = 2 sigma^2
    third = 0.0  # sum nu int PSP^3
    for nu, syn in zip(nus, inputs):
        u = syn.q_nS * (syn.e_rev_mV - mu_v) / g_tot
        ut2 = nu * (u * syn.tau_ms) ** 2
        power = power + ut2
        weighted = weighted + ut2 / (syn.tau_ms + tau_m)
        third = third + nu * _psp_third_moment(u, syn.tau_ms, tau_m)
    sigma = np.sqrt(np.asarray(weighted / 2.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau_v = np.where(weighted > 0, power / weighted, np.nan)
        gamma = np.where(sigma > 0, third / sigma**3, np.nan)
    return Moments(np.asarray(mu_v, dtype=np.float64), sigma, np.asarray(gamma), np.asarray(tau_v))


def features(m: Moments, v_thre_mV: float) -> np.ndarray:
    """The 31 template features (module docstring, item 2), shape ``(..., 31)``."""
    x = (v_thre_mV - m.mu_v_mV) / m.sigma_v_mV
    proba = math.sqrt(math.pi / 2) * special.erfc(x / math.sqrt(2)) + m.gamma_v / 6.0 * (x**2 - 1) * np.exp(-x**2 / 2)
    z = np.stack(np.broadcast_arrays((m.mu_v_mV + 60.0) / 10.0, (m.sigma_v_mV - 4.0) / 6.0, m.gamma_v,
                                     (m.tau_v_ms - 10.0) / 200.0, proba), axis=-1)
    quad = (z[..., :, None] * z[..., None, :]).reshape(z.shape[:-1] + (25,))
    return np.concatenate([np.ones(z.shape[:-1] + (1,)), z, quad], axis=-1)


def transfer_function(coeffs: np.ndarray, m: Moments, v_thre_mV: float) -> np.ndarray:
    """Output rate (Hz) of the template with ``coeffs`` (31 values, mV) at moments ``m``."""
    coeffs = np.asarray(coeffs, dtype=np.float64)
    if coeffs.shape != (N_COEFFS,):
        raise ConfigError("coeffs", coeffs.shape, f"needs {N_COEFFS} coefficients")
    v_eff = features(m, v_thre_mV) @ coeffs
    return 1e3 * special.erfc((v_eff - m.mu_v_mV) / (math.sqrt(2) * m.sigma_v_mV)) / (2.0 * m.tau_v_ms)


def fit_transfer_function(m: Moments, rates_out_hz: np.ndarray, v_thre_mV: float, *, alpha: float = 0.9,
                          max_rate_hz: float = 50.0) -> np.ndarray:
    """Coefficients of the template from measured output rates (module docstring, item 3)."""
    f = np.asarray(rates_out_hz, dtype=np.float64).ravel()
    mu, sig, tau = (np.broadcast_to(a, np.shape(rates_out_hz)).ravel() for a in (m.mu_v_mV, m.sigma_v_mV, m.tau_v_ms))
    gam = np.broadcast_to(m.gamma_v, np.shape(rates_out_hz)).ravel()
    keep = (f > 0) & (f < max_rate_hz) & np.isfinite(mu) & (sig > 0)
    if keep.sum() < N_COEFFS // 2:
        raise ConfigError("rates_out_hz", int(keep.sum()), f"too few points with 0 < rate < {max_rate_hz} Hz to fit")
    sub = Moments(mu[keep], sig[keep], gam[keep], tau[keep])
    v_eff = sub.mu_v_mV + math.sqrt(2) * sub.sigma_v_mV * special.erfcinv(2.0 * f[keep] * 1e-3 * sub.tau_v_ms)
    x = features(sub, v_thre_mV)
    # ridge without intercept: minimise |x c - v|^2 + alpha |c|^2
    a = np.vstack([x, math.sqrt(alpha) * np.eye(N_COEFFS)])
    b = np.concatenate([v_eff, np.zeros(N_COEFFS)])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def mean_field_fixed_point(tf: Callable[[np.ndarray], np.ndarray], nu0_hz: Sequence[float], *,
                           t_relax_ms: float = 5.0, dt_ms: float = 0.1, max_time_ms: float = 10_000.0,
                           tol_hz: float = 1e-6) -> np.ndarray:
    """Fixed point of ``T dnu/dt = tf(nu) - nu`` reached from ``nu0_hz`` (the seed's ``find_fp``):
    integrates by forward Euler until the change per step is below ``tol_hz``."""
    nu = np.asarray(nu0_hz, dtype=np.float64).copy()
    for _ in range(int(max_time_ms / dt_ms)):
        step = dt_ms / t_relax_ms * (tf(nu) - nu)
        nu = np.maximum(nu + step, 0.0)
        if np.max(np.abs(step)) < tol_hz:
            return nu
    raise ConfigError("max_time_ms", max_time_ms, "the mean field did not settle; no stable fixed point reached")


def solve_mean_field(tf: Callable[[np.ndarray, float], np.ndarray], nu0_hz: Sequence[float], t_ms: np.ndarray, *,
                     t_relax_ms: float = 5.0) -> np.ndarray:
    """Trajectory of ``T dnu/dt = tf(nu, t) - nu`` on the grid ``t_ms`` (forward Euler, as the seed's
    FastMF); ``tf`` receives the rates and the time (for time-varying afferent input)."""
    t = np.asarray(t_ms, dtype=np.float64)
    out = np.empty((t.size, len(nu0_hz)))
    out[0] = nu0_hz
    for k in range(1, t.size):
        dt = t[k] - t[k - 1]
        out[k] = np.maximum(out[k - 1] + dt / t_relax_ms * (tf(out[k - 1], t[k - 1]) - out[k - 1]), 0.0)
    return out
