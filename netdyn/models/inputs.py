r"""External inputs given as samples and interpolated linearly in time.

:class:`SampledInput` is the input of the SRNN reference codes (MATLAB
``griddedInterpolant(..., 'linear', 'none')``, Python ``interp1d``, Julia
``linear_interpolation``): values at sample times, linear in between. Time is in the unit of
the model that uses it (seconds for :class:`~netdyn.models.srnn.SRNNetwork`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from netdyn.errors import ConfigError

Outside = Literal["error", "nan", "hold"]
OUTSIDE: tuple[str, ...] = ("error", "nan", "hold")


@dataclass(frozen=True, eq=False)
class SampledInput:
    r"""Piecewise-linear input :math:`u(t)` through samples :math:`(t_j, u_j)`.

    .. math:: u(t) = u_j + \frac{t - t_j}{t_{j+1} - t_j}\,(u_{j+1} - u_j),
       \qquad t_j \le t \le t_{j+1}

    Parameters
    ----------
    t
        ``(n_times,)`` strictly increasing sample times (``n_times >= 2``), in the model's
        time unit.
    values
        ``(n_times, n_units)`` finite samples: row ``j`` is the input to every unit at
        ``t[j]``.
    outside
        What a time outside ``[t[0], t[-1]]`` gives (times within ``1e-9`` of the span of
        an end count as that end, to absorb rounding of grid times):

        * ``"error"`` (default): :class:`~netdyn.errors.ConfigError` naming ``t``, so a
          simulation that runs past its input fails at once and says why;
        * ``"nan"``: NaN, as the reference codes (the engine then stops with a
          :class:`~netdyn.errors.NumericalInstabilityError` at that time);
        * ``"hold"``: the first / last sample.

    Notes
    -----
    Calling the object with a time returns the ``(n_units,)`` input; a uniform grid is
    detected and looked up in O(1), otherwise by binary search.
    """

    t: np.ndarray
    values: np.ndarray
    outside: Outside = "error"

    def __post_init__(self) -> None:
        t = np.array(self.t, dtype=np.float64, copy=True).reshape(-1)
        u = np.array(self.values, dtype=np.float64, copy=True)
        if t.size < 2 or not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0):
            raise ConfigError("t", f"{t.size} samples", "sample times must be >= 2 finite, strictly increasing values")
        if u.ndim == 1 and t.size == u.size:
            u = u[:, None]
        if u.ndim != 2 or u.shape[0] != t.size:
            raise ConfigError("values", np.shape(self.values), f"must have shape (n_times={t.size}, n_units)")
        if not np.all(np.isfinite(u)):
            raise ConfigError("values", "non-finite samples", "input samples must be finite")
        if self.outside not in OUTSIDE:
            raise ConfigError("outside", self.outside, f"expected one of {list(OUTSIDE)}")
        t.setflags(write=False)
        u.setflags(write=False)
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "values", u)
        h = (t[-1] - t[0]) / (t.size - 1)
        uniform = bool(np.allclose(np.diff(t), h, rtol=1e-9, atol=0.0))
        object.__setattr__(self, "_step", h if uniform else None)
        object.__setattr__(self, "_tol", 1e-9 * max(1.0, t[-1] - t[0]))
        object.__setattr__(self, "_inv_step", None if h is None or not uniform else 1.0 / h)
        object.__setattr__(self, "_last", None)

    @property
    def n_units(self) -> int:
        """Number of units the input feeds."""
        return int(self.values.shape[1])

    @property
    def span(self) -> tuple[float, float]:
        """``(t[0], t[-1])``."""
        return float(self.t[0]), float(self.t[-1])

    def __call__(self, t: float) -> np.ndarray:
        """``(n_units,)`` input at time ``t`` (read-only; the last value is cached, since
        Runge-Kutta schemes ask for the same time more than once)."""
        t = float(t)
        last = self._last
        if last is not None and last[0] == t:
            return last[1]
        u = self._interpolate(t)
        u.setflags(write=False)
        object.__setattr__(self, "_last", (t, u))
        return u

    def _interpolate(self, t: float) -> np.ndarray:
        ts = self.t
        if t < ts[0] or t > ts[-1]:
            if ts[0] - self._tol <= t <= ts[-1] + self._tol:
                t = min(max(t, ts[0]), ts[-1])
            elif self.outside == "nan":
                return np.full(self.n_units, np.nan)
            elif self.outside == "hold":
                return self.values[0 if t < ts[0] else -1].copy()
            else:
                raise ConfigError(
                    "t", t, f"lies outside the input samples [{ts[0]:g}, {ts[-1]:g}]; "
                    "extend the input or pass outside='nan'/'hold'",
                )
        if self._step is not None:
            j = min(int((t - ts[0]) * self._inv_step), ts.size - 2)
            if t < ts[j]:  # rounding of the division
                j -= 1
            elif t > ts[j + 1]:
                j += 1
            j = min(max(j, 0), ts.size - 2)
        else:
            j = min(int(np.searchsorted(ts, t, side="right")) - 1, ts.size - 2)
        w = (t - ts[j]) / (ts[j + 1] - ts[j])
        u = self.values
        return u[j] + w * (u[j + 1] - u[j])
