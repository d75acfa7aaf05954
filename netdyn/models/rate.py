"""Firing-rate network: tau dr/dt = -r + phi(g W r + I(t)).

Units: time in ms (``tau_ms``); rates and inputs are dimensionless, as in the chaos seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp

from netdyn.errors import ConfigError
from netdyn.models.nonlinearity import ArrayFn, Nonlinearity, get_nonlinearity

InputFn = Callable[[float], np.ndarray]


@dataclass(frozen=True)
class RateNetwork:
    r"""A rate network, independent of how it is integrated.

    .. math:: \tau \frac{dr}{dt} = -r + \phi\left(g\, W r + I(t)\right)

    Parameters
    ----------
    weights
        ``(n, n)`` recurrent weights, dense ndarray or scipy.sparse (CSR is used);
        ``W[i, j]`` is from unit ``j`` onto unit ``i``.
    tau_ms
        Time constant in ms.
    phi
        Transfer function: ``"tanh"`` (default), ``"relu"``, ``"logistic"``, ``"identity"``,
        a :class:`Nonlinearity`, or a vectorised callable.
    external_input
        ``None``; a constant ``(n,)`` vector; or a callable ``I(t_ms)`` returning ``(n,)`` or
        ``(n, batch)``.
    phi_derivative
        Derivative of a user callable ``phi`` (for Jacobians); optional.

    The gain ``g`` is not part of the network: it is given per trajectory at integration
    time, so one network serves a whole batch of gains.
    """

    weights: np.ndarray | sp.sparray
    tau_ms: float = 20.0
    phi: str | Nonlinearity | ArrayFn = "tanh"
    external_input: np.ndarray | InputFn | None = None
    phi_derivative: ArrayFn | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        w = self.weights
        if sp.issparse(w):
            w = sp.csr_array(w)
            w.sort_indices()
        else:
            w = np.asarray(w)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
            raise ConfigError("weights", getattr(w, "shape", None), "must be a square (n, n) matrix")
        if not np.issubdtype(w.dtype, np.floating):
            w = w.astype(np.float64)
        object.__setattr__(self, "weights", w)
        if not (np.isfinite(self.tau_ms) and self.tau_ms > 0):
            raise ConfigError("tau_ms", self.tau_ms, "must be a finite number > 0")
        object.__setattr__(self, "phi", get_nonlinearity(self.phi, self.phi_derivative))
        inp = self.external_input
        if inp is not None and not callable(inp):
            inp = np.asarray(inp, dtype=np.float64)
            if inp.shape != (self.n_units,):
                raise ConfigError("external_input", inp.shape, f"must have shape ({self.n_units},)")
            object.__setattr__(self, "external_input", inp)

    @property
    def n_units(self) -> int:
        """Number of units ``n``."""
        return int(self.weights.shape[0])

    @property
    def is_sparse(self) -> bool:
        """True when the weights are stored as CSR."""
        return sp.issparse(self.weights)

    def input_at(self, t_ms: float) -> np.ndarray | None:
        """External input at time ``t_ms``: ``None``, ``(n,)`` or ``(n, batch)``."""
        inp = self.external_input
        if inp is None or not callable(inp):
            return inp
        return np.asarray(inp(t_ms))

    def jacobian(self, r: np.ndarray, gain: float | np.ndarray = 1.0, t_ms: float = 0.0) -> np.ndarray:
        r"""Jacobian of the vector field at state(s) ``r``, in 1/ms.

        .. math:: J = \frac{1}{\tau}\left(-I + \operatorname{diag}(\phi'(x))\, g W\right),
           \quad x = g W r + I(t)

        Parameters
        ----------
        r
            ``(n,)`` one state, or ``(n, batch)`` states (one per column).
        gain
            Scalar or ``(batch,)`` gains.

        Returns
        -------
        ndarray
            ``(n, n)`` or ``(batch, n, n)``.
        """
        r = np.asarray(r, dtype=np.float64)
        single = r.ndim == 1
        rr = r[:, None] if single else r
        g = np.broadcast_to(np.asarray(gain, dtype=np.float64), (rr.shape[1],))
        x = (self.weights @ rr) * g
        inp = self.input_at(t_ms)
        if inp is not None:
            x = x + (inp[:, None] if inp.ndim == 1 else inp)
        d = self.phi.dphi(x)  # (n, batch)
        w = self.weights.toarray() if self.is_sparse else np.asarray(self.weights)
        jac = (d.T * g[:, None])[:, :, None] * w[None, :, :]
        jac[:, np.arange(self.n_units), np.arange(self.n_units)] -= 1.0
        jac /= self.tau_ms
        return jac[0] if single else jac
