"""Elementwise transfer functions phi of rate models, with their derivatives.

Each is applied in place to an array (numpy ufuncs with ``out=``: vectorised, no Python
loop over units) and has a derivative for Jacobians (Lyapunov spectra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from netdyn.errors import ConfigError

ArrayFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Nonlinearity:
    """A transfer function ``phi`` and its derivative ``dphi``.

    Attributes
    ----------
    name
        Registry name, or the callable's name for a user function.
    apply_inplace
        ``apply_inplace(x)`` overwrites ``x`` with ``phi(x)`` and returns it.
    derivative
        ``derivative(x)`` returns ``phi'(x)`` (a new array); ``None`` if unknown, in which
        case a central finite difference is used where a Jacobian is needed.
    """

    name: str
    apply_inplace: Callable[[np.ndarray], np.ndarray]
    derivative: ArrayFn | None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.apply_inplace(np.array(x, dtype=np.result_type(x, np.float32), copy=True))

    def dphi(self, x: np.ndarray) -> np.ndarray:
        """``phi'(x)``; central differences with step ~ eps^(1/3) when no derivative is known."""
        if self.derivative is not None:
            return self.derivative(x)
        h = np.cbrt(np.finfo(np.result_type(x, np.float32)).eps) * np.maximum(1.0, np.abs(x))
        return (self(x + h) - self(x - h)) / (2.0 * h)


def _tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x, out=x)


def _dtanh(x: np.ndarray) -> np.ndarray:
    t = np.tanh(x)
    return 1.0 - t * t


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0, out=x)


def _drelu(x: np.ndarray) -> np.ndarray:
    return (x > 0).astype(x.dtype)


def _logistic(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) == (1 + tanh(x / 2)) / 2, which cannot overflow
    np.multiply(x, 0.5, out=x)
    np.tanh(x, out=x)
    np.add(x, 1.0, out=x)
    return np.multiply(x, 0.5, out=x)


def _dlogistic(x: np.ndarray) -> np.ndarray:
    s = 0.5 * (1.0 + np.tanh(0.5 * x))
    return s * (1.0 - s)


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _didentity(x: np.ndarray) -> np.ndarray:
    return np.ones_like(x)


NONLINEARITIES: dict[str, Nonlinearity] = {
    "tanh": Nonlinearity("tanh", _tanh, _dtanh),
    "relu": Nonlinearity("relu", _relu, _drelu),
    "logistic": Nonlinearity("logistic", _logistic, _dlogistic),
    "identity": Nonlinearity("identity", _identity, _didentity),
}


PHI_TANH, PHI_RELU, PHI_LOGISTIC, PHI_IDENTITY = 0, 1, 2, 3
#: Codes of the built-in transfer functions in compiled kernels (rate engine, SRNN kernels).
PHI_CODES: dict[str, int] = {"tanh": PHI_TANH, "relu": PHI_RELU, "logistic": PHI_LOGISTIC, "identity": PHI_IDENTITY}


def kernel_code(phi: Nonlinearity) -> int | None:
    """The compiled kernels' code of ``phi`` when it is a built-in transfer function (the
    registry's own object), else ``None`` (a user's function runs through numpy)."""
    return PHI_CODES[phi.name] if NONLINEARITIES.get(phi.name) is phi else None


def get_nonlinearity(phi: str | Nonlinearity | ArrayFn, derivative: ArrayFn | None = None) -> Nonlinearity:
    """Resolve ``phi``: a registry name (``tanh``, ``relu``, ``logistic``, ``identity``), a
    :class:`Nonlinearity`, or any vectorised callable ``f(x) -> array`` (its derivative may be
    given; otherwise finite differences are used for Jacobians)."""
    if isinstance(phi, Nonlinearity):
        return phi
    if isinstance(phi, str):
        try:
            return NONLINEARITIES[phi]
        except KeyError:
            raise ConfigError("phi", phi, f"unknown nonlinearity; expected one of {sorted(NONLINEARITIES)}") from None
    if callable(phi):
        fn = phi

        def apply_inplace(x: np.ndarray) -> np.ndarray:
            x[...] = fn(x)
            return x

        return Nonlinearity(getattr(fn, "__name__", "custom"), apply_inplace, derivative)
    raise ConfigError("phi", phi, "expected a name or a callable")
