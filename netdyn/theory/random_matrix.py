r"""Random-matrix predictions for random rate networks.

The ensemble is that of the chaos seed (:func:`netdyn.connectivity.bernoulli_gaussian`):
for ``i != j``, :math:`W_{ij} = B_{ij} X_{ij}` with independent
:math:`B_{ij} \sim \text{Bernoulli}(p)` and :math:`X_{ij} \sim \mathcal N(0, \sigma^2)`
(``sigma`` a standard deviation), :math:`W_{ii} = 0`, then the mean of the present weights
is subtracted from each of them. An entry has

.. math:: \mathbb E[W_{ij}] = 0, \qquad \operatorname{Var}[W_{ij}] = p\,\sigma^2 ,

so each row sums :math:`N p \sigma^2` of variance (strictly :math:`(N-1) p\sigma^2`: the
diagonal is empty). Circular law (Girko 1984; Tao & Vu 2010; for sparse matrices with
:math:`Np \to \infty`, e.g. Wood 2012): the eigenvalues of :math:`gW` fill the disk of radius

.. math:: g_\text{eff} = g\, \sigma \sqrt{N p}

uniformly as :math:`N \to \infty`. Corrections neglected here, all :math:`O(N^{-1/2})` or
smaller relative to the radius: the empty diagonal (:math:`N - 1` instead of :math:`N`); the
mean subtraction, which shrinks the variance by :math:`1 - 1/K` (``K`` edges) and adds
:math:`-m B` with :math:`|m| \sim \sigma/(N\sqrt p)`, whose outlier
:math:`\sim m N p \sim \sigma\sqrt p` lies well inside the disk (without the subtraction a
mean :math:`\mu` would put an outlier at :math:`N p \mu`, Rajan & Abbott 2006); and the
finite-N fluctuations of the edge of the spectrum.

Dynamics :math:`\tau \dot r = -r + \tanh(g W r)`: with :math:`x = gWr` it becomes
:math:`\tau \dot x = -x + gW \tanh(x)`, the model of Sompolinsky, Crisanti & Sommers (1988)
with coupling variance :math:`g_\text{eff}^2/N` (the change of variables is linear, so the
Lyapunov exponents are the same). For :math:`N \to \infty` the fixed point ``r = 0`` is
stable and the only attractor for :math:`g_\text{eff} < 1`, and the dynamics are chaotic
for :math:`g_\text{eff} > 1`.

References
----------
- V. L. Girko (1984), "Circular law", Theory Probab. Appl. 29, 694-706.
- T. Tao, V. Vu (2010), "Random matrices: universality of ESDs and the circular law",
  Ann. Probab. 38, 2023-2065.
- P. M. Wood (2012), "Universality and the circular law for sparse random matrices",
  Ann. Appl. Probab. 22, 1266-1300.
- K. Rajan, L. F. Abbott (2006), "Eigenvalue spectra of random matrices for neural
  networks", Phys. Rev. Lett. 97, 188104.
- H. Sompolinsky, A. Crisanti, H.-J. Sommers (1988), "Chaos in random neural networks",
  Phys. Rev. Lett. 61, 259-262.
"""

from __future__ import annotations

import numpy as np

from netdyn.errors import ConfigError

__all__ = ["critical_gain", "effective_gain", "fixed_point_exponent", "spectral_radius_prediction"]


def _check(sigma, n_units, p, *, sigma_positive: bool) -> tuple[np.ndarray, float, float]:
    if isinstance(n_units, bool) or int(n_units) != n_units or n_units < 1:
        raise ConfigError("n_units", n_units, "must be a positive integer")
    if not (0.0 < p <= 1.0):
        raise ConfigError("p", p, "connection probability must lie in (0, 1]")
    s = np.asarray(sigma, dtype=np.float64)
    if not np.all(np.isfinite(s)) or np.any(s <= 0 if sigma_positive else s < 0):
        raise ConfigError("sigma", sigma, "must be finite and " + ("> 0" if sigma_positive else ">= 0"))
    return s, float(n_units), float(p)


def _out(x: np.ndarray) -> float | np.ndarray:
    return float(x) if np.ndim(x) == 0 else x


def effective_gain(g: float | np.ndarray, sigma: float, n_units: int, p: float = 1.0) -> float | np.ndarray:
    r"""Effective gain :math:`g_\text{eff} = g\,\sigma\sqrt{N p}`.

    The standard deviation of the summed recurrent input weights of one unit,
    :math:`\sqrt{N \operatorname{Var}[g W_{ij}]}` with :math:`\operatorname{Var}[W_{ij}] =
    p\sigma^2` (see the module notes for the ensemble and the neglected corrections), which
    is also the radius of the eigenvalue disk of :math:`gW`. It is the ``g`` of
    Sompolinsky, Crisanti & Sommers (1988): chaos for :math:`g_\text{eff} > 1` as
    :math:`N \to \infty`.

    Parameters
    ----------
    g
        Gain (upscaling factor), scalar or array.
    sigma
        Standard deviation of a present weight (not the variance), >= 0.
    n_units
        Number of units ``N``.
    p
        Connection probability in (0, 1].

    Returns
    -------
    float or ndarray
        Dimensionless; the shape of ``g``. For the chaos seed (N = 200, p = 0.1,
        sigma = 1/(N p) = 0.05), :math:`g_\text{eff} = g / \sqrt{20} \approx 0.224\, g`.
    """
    s, n, pp = _check(sigma, n_units, p, sigma_positive=False)
    return _out(np.asarray(g, dtype=np.float64) * s * np.sqrt(n * pp))


def critical_gain(sigma: float, n_units: int, p: float = 1.0) -> float | np.ndarray:
    r"""Gain at the onset of chaos in the large-N limit, :math:`g_c = 1 / (\sigma\sqrt{N p})`.

    Where :math:`g_\text{eff} = 1` (Sompolinsky, Crisanti & Sommers 1988, for ``tanh``
    networks without input): below it the fixed point ``r = 0`` is stable (the rightmost
    eigenvalue of the Jacobian :math:`(gW - I)/\tau` at 0 is :math:`(g_\text{eff} - 1)/\tau
    < 0`), above it the network is chaotic. At finite ``N`` the transition is smeared over
    a range of order :math:`N^{-1/2}` and long transients or limit cycles occur near it.

    Parameters
    ----------
    sigma
        Standard deviation of a present weight, > 0.
    n_units
        Number of units ``N``.
    p
        Connection probability in (0, 1].

    Returns
    -------
    float or ndarray
        For the chaos seed (N = 200, p = 0.1, sigma = 0.05): :math:`\sqrt{20} \approx 4.47`.
    """
    s, n, pp = _check(sigma, n_units, p, sigma_positive=True)
    return _out(1.0 / (s * np.sqrt(n * pp)))


def spectral_radius_prediction(g: float | np.ndarray, sigma: float, n_units: int, p: float = 1.0) -> float | np.ndarray:
    r"""Circular-law radius of the eigenvalue disk of :math:`gW`: :math:`g\,\sigma\sqrt{N p}`.

    For an ``N x N`` matrix with i.i.d. zero-mean entries of variance :math:`v`, the
    eigenvalues are asymptotically uniform in the disk of radius :math:`\sqrt{N v}`
    (Girko 1984; Tao & Vu 2010; Wood 2012 for sparse entries); here
    :math:`v = g^2 p \sigma^2`. Numerically equal to :func:`effective_gain`; at finite
    ``N`` the largest modulus exceeds it by a few percent (edge fluctuations, about
    :math:`\sqrt{\ln N / N}` relative for Gaussian entries, more when sparse).

    Parameters
    ----------
    g, sigma, n_units, p
        As for :func:`effective_gain`.

    Returns
    -------
    float or ndarray
        Radius, in the units of ``g W`` (dimensionless).
    """
    return effective_gain(g, sigma, n_units, p)


def fixed_point_exponent(
    g: float | np.ndarray, sigma: float, n_units: int, p: float = 1.0, *, tau_ms: float = 20.0
) -> float | np.ndarray:
    r"""Predicted largest Lyapunov exponent at the fixed point ``r = 0``, in 1/s.

    The Jacobian of :math:`\tau \dot r = -r + \tanh(gWr)` at 0 is :math:`(gW - I)/\tau`; the
    rightmost eigenvalue of :math:`gW` lies at the edge of the disk,
    :math:`\operatorname{Re}\lambda \approx g_\text{eff}`, so

    .. math:: \lambda_1 \approx \frac{g_\text{eff} - 1}{\tau} \times 1000 \;\; \text{s}^{-1}
       \quad (\tau \text{ in ms}),

    the exponent of every trajectory when :math:`g_\text{eff} < 1` (all decay to 0). For
    :math:`g_\text{eff} > 1` it is positive but no longer the exponent of the (chaotic)
    trajectories, only the instability rate of the fixed point.

    Parameters
    ----------
    g, sigma, n_units, p
        As for :func:`effective_gain`.
    tau_ms
        Time constant in ms.

    Returns
    -------
    float or ndarray
        Exponent in 1/s.
    """
    if not (np.isfinite(tau_ms) and tau_ms > 0):
        raise ConfigError("tau_ms", tau_ms, "must be a finite number > 0")
    g_eff = np.asarray(effective_gain(g, sigma, n_units, p))
    return _out((g_eff - 1.0) / tau_ms * 1000.0)
