r"""Mean-field theory of networks of LIF populations with exponential synapses.

Population :math:`i` receives from population :math:`j` (rate :math:`\nu_j`, spikes/s) input of
drift :math:`A_{ij}\nu_j` and diffusion :math:`B_{ij}\nu_j`; in the diffusion approximation its
free membrane potential has mean and variance (mV, mV^2)

.. math:: \mu_i = \sum_j A_{ij}\nu_j + \mu_{\mathrm{ext},i}, \qquad
          \sigma_i^2 = \sum_j B_{ij}\nu_j + \sigma^2_{\mathrm{ext},i},

with :math:`A_{ij} = \tau_m K_{ij} J_{ij}` and :math:`B_{ij} = \tau_m K_{ij} J_{ij}^2` for
:math:`K_{ij}` synapses of time-integrated PSP :math:`J_{ij}` (mV; :math:`J = W\tau_s/C_m` for a
PSC amplitude :math:`W`) and :math:`\tau_m` in s, so :math:`A` is in mV/(spikes/s) and
:math:`B` in mV^2/(spikes/s). The stationary rates solve :math:`\nu = \Phi(\mu(\nu),
\sigma(\nu))` with :math:`\Phi` the Siegert rate with the Fourcaud-Brunel correction
(:func:`netdyn.theory.siegert.siegert_rate`).

* **Pseudo-dynamics** (:meth:`LIFMeanField.integrate`), Schuecker et al. (2017):
  :math:`\tau_r\,\dot\nu = -\nu + \Phi(\mu(\nu), \sigma(\nu))`, integrated by exponential Euler,
  :math:`\nu \leftarrow e^{-h/\tau_r}\nu + (1 - e^{-h/\tau_r})\Phi` (NEST's ``siegert_neuron``
  update; :math:`\tau_r` = 1 ms, :math:`h` = 0.1 ms, :math:`T` = 50 ms by default). Every
  population at once; a batch of initial conditions runs as columns.
* **Fixed points** (:meth:`LIFMeanField.fixed_point`): ``scipy.optimize.root`` (MINPACK's
  hybrid method) on :math:`\Phi(\nu) - \nu` with the exact Jacobian :math:`G - 1`.
* **Gain matrix and stability** (:meth:`LIFMeanField.gain_matrix`,
  :meth:`LIFMeanField.leading_eigenvalue`): the effective connectivity
  :math:`G_{ij} = \partial\nu_i^\text{out}/\partial\nu_j`,

  .. math:: G_{ij} = \frac{\partial\Phi_i}{\partial\mu_i} A_{ij}
            + \frac{\partial\Phi_i}{\partial\sigma_i^2} B_{ij}

  (the variance term included by default; ``variance=False`` keeps the mean term alone). The
  pseudo-dynamics linearised at a fixed point are :math:`\tau_r\dot{\delta\nu} = (G - 1)\delta\nu`,
  so the fixed point is stable if and only if every eigenvalue of :math:`G` has real part
  below 1 (Schuecker et al. 2017's criterion on the leading eigenvalue).

References
----------
- J. Schuecker, M. Schmidt, S. J. van Albada, M. Diesmann, M. Helias (2017), "Fundamental
  activity constraints lead to specific interpretations of the connectome", PLoS Comput. Biol.
  13, e1005179.
- A. J. F. Siegert (1951), Phys. Rev. 81, 617-623; N. Fourcaud, N. Brunel (2002), Neural
  Comput. 14, 2057-2110.
- N. Brunel (2000), "Dynamics of sparsely connected networks of excitatory and inhibitory
  spiking neurons", J. Comput. Neurosci. 8, 183-208.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import optimize

from netdyn.errors import ConfigError, positive_float
from netdyn.theory.siegert import _check_params, _derivatives_per_ms, _rate_per_ms
from netdyn.timegrid import grid_steps

__all__ = ["LIFMeanField", "LIFParams", "MeanFieldFixedPoint", "PseudoDynamics"]


@dataclass(frozen=True)
class LIFParams:
    """Parameters of the LIF neurons, relative to rest (mV) and in ms.

    Defaults: NEST ``iaf_psc_exp`` as in the multi-area model and the microcircuit
    (:math:`\\theta = V_\\text{th} - E_L` = 15 mV, :math:`V_r = V_\\text{reset} - E_L` = 0 mV).
    """

    theta_mV: float = 15.0
    v_reset_mV: float = 0.0
    tau_m_ms: float = 10.0
    tau_s_ms: float = 0.5
    t_ref_ms: float = 2.0

    def __post_init__(self) -> None:
        values = _check_params(self.theta_mV, self.v_reset_mV, self.tau_m_ms, self.tau_s_ms, self.t_ref_ms)
        for name, v in zip(("theta_mV", "v_reset_mV", "tau_m_ms", "tau_s_ms", "t_ref_ms"), values):
            if v.ndim:
                raise ConfigError(name, getattr(self, name), "must be a single number")
            object.__setattr__(self, name, float(v))

    def _tuple(self) -> tuple[float, float, float, float, float]:
        return self.theta_mV, self.v_reset_mV, self.tau_m_ms, self.tau_s_ms, self.t_ref_ms


@dataclass(frozen=True)
class PseudoDynamics:
    """The rates reached by the pseudo-dynamics (:meth:`LIFMeanField.integrate`).

    Attributes
    ----------
    rates_hz
        Rates at ``t_end_ms``, spikes/s, shape ``(n_populations,)`` or ``(n_populations, batch)``.
    mu_mV, sigma_mV
        Mean and standard deviation of the free membrane potential at those rates (mV).
    t_end_ms
        Integration time (ms).
    times_ms, trajectory_hz
        With ``trajectory=True``: the grid ``0, h, ..., T`` (ms) and the rates on it, shape
        ``(n_steps + 1,) + rates_hz.shape``; otherwise None.
    """

    rates_hz: np.ndarray
    mu_mV: np.ndarray
    sigma_mV: np.ndarray
    t_end_ms: float
    times_ms: np.ndarray | None = None
    trajectory_hz: np.ndarray | None = None


@dataclass(frozen=True)
class MeanFieldFixedPoint:
    """A fixed point :math:`\\nu = \\Phi(\\mu(\\nu), \\sigma(\\nu))` (:meth:`LIFMeanField.fixed_point`).

    Attributes
    ----------
    rates_hz
        Rates (spikes/s), shape ``(n_populations,)``.
    mu_mV, sigma_mV
        Mean and standard deviation of the free membrane potential there (mV).
    residual_hz
        :math:`\\max_i |\\Phi_i - \\nu_i|` (spikes/s).
    n_evaluations
        Evaluations of :math:`\\Phi` the root finder made.
    """

    rates_hz: np.ndarray
    mu_mV: np.ndarray
    sigma_mV: np.ndarray
    residual_hz: float
    n_evaluations: int


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)  # a copy
    a.flags.writeable = False
    return a


class LIFMeanField:
    r"""Mean field of ``n`` LIF populations with drift and diffusion coefficient matrices.

    Parameters
    ----------
    drift_mV_per_hz
        :math:`A` (n, n), [target, source]: mean input (mV) per spikes/s of the source,
        :math:`\tau_m K J` with :math:`\tau_m` in s and :math:`J` in mV.
    diffusion_mV2_per_hz
        :math:`B` (n, n), [target, source], >= 0: variance (mV^2) per spikes/s,
        :math:`\tau_m K J^2`.
    mu_ext_mV
        Mean input that does not depend on the rates (external drive, DC), mV; scalar or (n,).
    sigma2_ext_mV2
        Variance of that input, mV^2, >= 0; scalar or (n,).
    neuron
        The neurons' :class:`LIFParams` (all populations alike).
    names
        Optional population names (n), kept for the caller.

    Raises
    ------
    ConfigError
        Shapes that do not match, non-finite entries, negative diffusion or external variance.

    Examples
    --------
    One excitatory population driven from outside:

    >>> mf = LIFMeanField([[0.02]], [[0.002]], mu_ext_mV=12.0, sigma2_ext_mV2=9.0)
    >>> fp = mf.fixed_point(mf.integrate().rates_hz)
    >>> bool(abs(fp.rates_hz[0] - mf.transfer(fp.rates_hz)[0]) < 1e-9)
    True
    """

    def __init__(self, drift_mV_per_hz: Any, diffusion_mV2_per_hz: Any, mu_ext_mV: Any = 0.0,
                 sigma2_ext_mV2: Any = 0.0, *, neuron: LIFParams | None = None,
                 names: Sequence[str] | None = None):
        a = np.asarray(drift_mV_per_hz, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
            raise ConfigError("drift_mV_per_hz", a.shape, "must be a square (n, n) matrix, n >= 1")
        n = a.shape[0]
        b = np.asarray(diffusion_mV2_per_hz, dtype=np.float64)
        if b.shape != a.shape:
            raise ConfigError("diffusion_mV2_per_hz", b.shape, f"must have the drift's shape {a.shape}")
        for field, m in (("drift_mV_per_hz", a), ("diffusion_mV2_per_hz", b)):
            if not np.all(np.isfinite(m)):
                raise ConfigError(field, "non-finite entries", "all entries must be finite")
        if np.any(b < 0):
            raise ConfigError("diffusion_mV2_per_hz", float(b.min()), "entries must be >= 0")
        ext = []
        for field, v in (("mu_ext_mV", mu_ext_mV), ("sigma2_ext_mV2", sigma2_ext_mV2)):
            x = np.asarray(v, dtype=np.float64)
            if x.ndim > 1 or (x.ndim == 1 and x.shape != (n,)):
                raise ConfigError(field, x.shape, f"must be a number or have shape ({n},)")
            if not np.all(np.isfinite(x)):
                raise ConfigError(field, v, "must be finite")
            ext.append(np.broadcast_to(x, (n,)))
        if np.any(ext[1] < 0):
            raise ConfigError("sigma2_ext_mV2", float(ext[1].min()), "must be >= 0")
        if names is not None and len(names) != n:
            raise ConfigError("names", len(names), f"needs one name per population ({n})")
        self.drift_mV_per_hz = _frozen(a)
        self.diffusion_mV2_per_hz = _frozen(b)
        self.mu_ext_mV = _frozen(ext[0])
        self.sigma2_ext_mV2 = _frozen(ext[1])
        self.neuron = LIFParams() if neuron is None else neuron
        if not isinstance(self.neuron, LIFParams):
            raise ConfigError("neuron", neuron, "must be a LIFParams")
        self.names = None if names is None else tuple(str(x) for x in names)
        self._params = self.neuron._tuple()

    @property
    def n_populations(self) -> int:
        """Number of populations ``n``."""
        return self.drift_mV_per_hz.shape[0]

    # -- checks and unchecked kernels -------------------------------------------------------
    def _rates(self, rates_hz: Any, field: str, *, batch: bool) -> np.ndarray:
        nu = np.asarray(rates_hz, dtype=np.float64)
        n = self.n_populations
        if nu.ndim == 0:
            nu = np.full(n, float(nu))
        ok = nu.shape[:1] == (n,) and (nu.ndim == 1 or (batch and nu.ndim == 2))
        if not ok:
            raise ConfigError(field, nu.shape, f"must have shape ({n},)" + (f" or ({n}, batch)" if batch else ""))
        if not np.all(np.isfinite(nu)) or np.any(nu < 0):
            raise ConfigError(field, "rates with negative or non-finite entries", "rates must be finite and >= 0")
        return nu

    def _moments(self, nu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        col = (slice(None),) + (None,) * (nu.ndim - 1)
        mu = self.drift_mV_per_hz @ nu + self.mu_ext_mV[col]
        s2 = self.diffusion_mV2_per_hz @ nu + self.sigma2_ext_mV2[col]
        return mu, np.sqrt(np.maximum(s2, 0.0))

    def _phi_hz(self, nu: np.ndarray) -> np.ndarray:
        mu, sigma = self._moments(nu)
        return 1e3 * _rate_per_ms(mu, sigma, *self._params)

    def _gain(self, nu: np.ndarray, variance: bool) -> tuple[np.ndarray, np.ndarray]:
        mu, sigma = self._moments(nu)
        _, d_mu, d_sigma = _derivatives_per_ms(mu, sigma, *self._params)
        gain = 1e3 * d_mu[:, None] * self.drift_mV_per_hz
        if variance:
            with np.errstate(divide="ignore", invalid="ignore"):
                d_var = np.where(sigma > 0.0, 1e3 * d_sigma / (2.0 * sigma), 0.0)  # d Phi / d sigma^2
            gain += d_var[:, None] * self.diffusion_mV2_per_hz
        return gain, sigma

    # -- public API -------------------------------------------------------------------------
    def moments(self, rates_hz: Any) -> tuple[np.ndarray, np.ndarray]:
        r"""Mean :math:`\mu` (mV) and standard deviation :math:`\sigma` (mV) of every
        population's free membrane potential at the rates ``rates_hz`` (spikes/s, shape
        ``(n,)`` or ``(n, batch)``)."""
        return self._moments(self._rates(rates_hz, "rates_hz", batch=True))

    def transfer(self, rates_hz: Any) -> np.ndarray:
        r""":math:`\Phi(\mu(\nu), \sigma(\nu))` in spikes/s at the rates ``rates_hz`` (spikes/s,
        shape ``(n,)`` or ``(n, batch)``)."""
        return self._phi_hz(self._rates(rates_hz, "rates_hz", batch=True))

    def integrate(self, rates0_hz: Any = None, *, t_end_ms: float = 50.0, dt_ms: float = 0.1,
                  tau_r_ms: float = 1.0, trajectory: bool = False) -> PseudoDynamics:
        r"""Integrate the pseudo-dynamics :math:`\tau_r\dot\nu = -\nu + \Phi(\mu(\nu), \sigma(\nu))`.

        Exponential Euler, :math:`\nu_{k+1} = e^{-h/\tau_r}\nu_k + (1 - e^{-h/\tau_r})\,
        \Phi(\nu_k)`, for :math:`T/h` steps (Schuecker et al. 2017; NEST ``siegert_neuron``).

        Parameters
        ----------
        rates0_hz
            Initial rates (spikes/s), shape ``(n,)`` or ``(n, batch)`` (several initial
            conditions at once); default 0 for every population.
        t_end_ms, dt_ms
            Integration time :math:`T` and step :math:`h` (ms); :math:`T` a whole number of steps.
        tau_r_ms
            Time constant :math:`\tau_r` of the pseudo-dynamics (ms).
        trajectory
            Also return the rates at every step.

        Returns
        -------
        PseudoDynamics
            The rates at :math:`T` with their :math:`\mu`, :math:`\sigma` (and the trajectory).

        Raises
        ------
        ConfigError
            Bad initial rates, non-positive times, or :math:`T` not a multiple of :math:`h`.
        """
        nu = np.zeros(self.n_populations) if rates0_hz is None else self._rates(rates0_hz, "rates0_hz", batch=True)
        h = positive_float(dt_ms, "dt_ms")
        t_end = positive_float(t_end_ms, "t_end_ms")
        tau_r = positive_float(tau_r_ms, "tau_r_ms")
        n_steps = grid_steps(t_end, h, field="t_end_ms", step_name="dt_ms", minimum=1)
        decay, gain = math.exp(-h / tau_r), -math.expm1(-h / tau_r)
        path = np.empty((n_steps + 1,) + nu.shape) if trajectory else None
        nu = nu.copy()
        if path is not None:
            path[0] = nu
        for k in range(1, n_steps + 1):
            nu = decay * nu + gain * self._phi_hz(nu)
            if path is not None:
                path[k] = nu
        mu, sigma = self._moments(nu)
        return PseudoDynamics(rates_hz=nu, mu_mV=mu, sigma_mV=sigma, t_end_ms=t_end,
                              times_ms=None if path is None else h * np.arange(n_steps + 1),
                              trajectory_hz=path)

    def fixed_point(self, rates0_hz: Any, *, xtol: float = 1e-13) -> MeanFieldFixedPoint:
        r"""Solve :math:`\Phi(\mu(\nu), \sigma(\nu)) = \nu` with ``scipy.optimize.root``.

        MINPACK's hybrid method from ``rates0_hz`` with the exact Jacobian :math:`G - 1`
        (:meth:`gain_matrix`, variance term included). Which fixed point is found depends on
        the start; the end point of :meth:`integrate` is the stable one the pseudo-dynamics reach.

        Parameters
        ----------
        rates0_hz
            Initial guess (spikes/s), shape ``(n,)``.
        xtol
            Relative tolerance on the rates between iterations.

        Returns
        -------
        MeanFieldFixedPoint

        Raises
        ------
        ConfigError
            Bad initial rates, or no root from them: :math:`\max_i|\Phi_i - \nu_i|` above
            1e-8 of the largest rate (at least 1 spikes/s) at the end (named ``rates0_hz``:
            start elsewhere, e.g. from :meth:`integrate`).
        """
        nu0 = self._rates(rates0_hz, "rates0_hz", batch=False)
        xtol = positive_float(xtol, "xtol")
        eye = np.eye(self.n_populations)
        sol = optimize.root(lambda nu: self._phi_hz(nu) - nu, nu0, jac=lambda nu: self._gain(nu, True)[0] - eye,
                            method="hybr", options={"xtol": xtol})
        nu = np.maximum(sol.x, 0.0)  # a root may land a rounding error below 0 where Phi ~ 0
        residual = float(np.max(np.abs(self._phi_hz(nu) - nu)))
        if not residual <= 1e-8 * max(1.0, float(np.max(nu))):  # whatever the finder reports
            raise ConfigError("rates0_hz", f"{self.n_populations} initial rates",
                              f"scipy.optimize.root did not converge ({sol.message.strip()}); max |Phi - nu| = "
                              f"{residual:.3g} spikes/s; start elsewhere, e.g. from integrate()")
        mu, sigma = self._moments(nu)
        return MeanFieldFixedPoint(rates_hz=nu, mu_mV=mu, sigma_mV=sigma, residual_hz=residual,
                                   n_evaluations=int(sol.nfev))

    def gain_matrix(self, rates_hz: Any, *, variance: bool = True) -> np.ndarray:
        r"""Effective connectivity :math:`G_{ij} = \partial\Phi_i/\partial\nu_j` at ``rates_hz``.

        .. math:: G_{ij} = \frac{\partial\Phi_i}{\partial\mu_i} A_{ij}
                  + \frac{\partial\Phi_i}{\partial\sigma_i^2} B_{ij}

        with the exact derivatives of :func:`~netdyn.theory.siegert.siegert_derivatives`
        (dimensionless).

        Parameters
        ----------
        rates_hz
            Rates (spikes/s), shape ``(n,)``, usually a fixed point.
        variance
            Include the variance term (default); False keeps the mean term alone.

        Returns
        -------
        numpy.ndarray
            ``(n, n)``, [target, source].

        Raises
        ------
        ConfigError
            Bad rates; or ``variance`` with :math:`\sigma_i = 0` in a population that receives
            diffusion (:math:`\partial\Phi/\partial\sigma^2` is singular there).
        """
        nu = self._rates(rates_hz, "rates_hz", batch=False)
        gain, sigma = self._gain(nu, bool(variance))
        singular = (sigma == 0.0) & np.any(self.diffusion_mV2_per_hz != 0.0, axis=1)
        if variance and np.any(singular):
            raise ConfigError("rates_hz", f"sigma = 0 in populations {np.flatnonzero(singular)[:10].tolist()}",
                              "the variance term of the gain is singular at sigma = 0; use variance=False")
        return gain

    def leading_eigenvalue(self, rates_hz: Any, *, variance: bool = True) -> complex:
        r"""Eigenvalue of :meth:`gain_matrix` with the largest real part; the fixed point of the
        pseudo-dynamics is linearly stable if and only if its real part is below 1
        (Schuecker et al. 2017)."""
        ev = np.linalg.eigvals(self.gain_matrix(rates_hz, variance=variance))
        return complex(ev[np.argmax(ev.real)])
