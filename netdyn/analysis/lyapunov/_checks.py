"""Argument checks shared by the Lyapunov estimators (each failure a ConfigError naming the
field)."""

from __future__ import annotations

from typing import Any

import numpy as np

from netdyn.errors import ConfigError, positive_float


def positive_int(value: Any, field: str, *, allow_zero: bool = False) -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer():
        ok = True
    if not ok or value < (0 if allow_zero else 1):
        raise ConfigError(field, value, f"must be an integer >= {0 if allow_zero else 1}")
    return int(value)


def as_batch(x0: np.ndarray, field: str = "x0") -> np.ndarray:
    x = np.array(x0, dtype=np.float64, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ConfigError(field, np.shape(x0), "must have shape (dim,) or (dim, batch)")
    if not np.all(np.isfinite(x)):
        raise ConfigError(field, "non-finite values", "initial states must be finite")
    return x


def as_gains(gain: Any, batch: int) -> np.ndarray:
    try:
        g = np.array(np.broadcast_to(np.asarray(gain, dtype=np.float64), (batch,)))
    except ValueError:
        raise ConfigError("gain", np.shape(gain), f"must be a scalar or have shape ({batch},)") from None
    if not np.all(np.isfinite(g)):
        raise ConfigError("gain", gain, "must be finite")
    return g


def ode_x0(model: Any, x0: np.ndarray | None) -> np.ndarray:
    """``x0`` as a ``(dim, batch)`` batch, or the model's default initial state."""
    if x0 is None:
        if not hasattr(model, "initial_state"):
            raise ConfigError("x0", None, "the model has no initial_state(); give x0")
        return model.initial_state(1)
    x = as_batch(x0)
    if x.shape[0] != int(model.dim):
        raise ConfigError("x0", np.shape(x0), f"must be ({model.dim},) or ({model.dim}, batch)")
    return x


def rate_arguments(network: Any, r0: np.ndarray, gain: Any, method: str, dt_ms: float,
                   methods: tuple[str, ...]) -> tuple[float, np.ndarray, np.ndarray]:
    """Checked ``(dt_ms, r0 as (n_units, batch), gains (batch,))`` of a rate-network adapter."""
    from netdyn.models.rate import RateNetwork

    if not isinstance(network, RateNetwork):
        raise ConfigError("network", type(network).__name__, "must be a RateNetwork")
    if method not in methods:
        raise ConfigError("method", method, f"unknown integrator; expected one of {list(methods)}")
    dt_ms = positive_float(dt_ms, "dt_ms")
    r = as_batch(r0, "r0")
    if r.shape[0] != network.n_units:
        raise ConfigError("r0", np.shape(r0), f"must be ({network.n_units},) or ({network.n_units}, batch)")
    return dt_ms, r, as_gains(gain, r.shape[1])
