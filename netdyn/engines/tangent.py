r"""Tangent steppers: states and tangent vectors advanced together by the integrator's step.

A Lyapunov spectrum by QR (:func:`netdyn.analysis.qr_spectrum`) needs, for every step of the
integrator, the same step applied to the states and its exact derivative applied to ``k``
tangent vectors, so that the spectrum is that of the simulated (discrete) system. This module
provides those steppers for the two model families; the QR bookkeeping stays in
:mod:`netdyn.analysis`.

* :func:`rate_tangent_stepper`: rate networks (:class:`~netdyn.models.RateNetwork`) with the
  rate engine's three schemes. With :math:`f(r) = (\phi(x) - r)/\tau`,
  :math:`x = g W r + I(t)` and the Jacobian
  :math:`J(r) = \frac{1}{\tau}(-I + \operatorname{diag}(\phi'(x))\, g W)`: forward Euler
  :math:`Q \leftarrow Q + dt\, J Q`; exponential Euler
  :math:`Q \leftarrow Q + a\tau\, J Q` with :math:`a = 1 - e^{-dt/\tau}`; RK4 by
  :func:`netdyn.engines.rk4.rk4_tangent_step`.
* :func:`ode_tangent_stepper`: ODE models (:class:`~netdyn.engines.ode.ODEModel` with a
  ``jvp``), RK4 only, compiled (:func:`netdyn.engines.rk4.rk4_tangent_steps`) when the
  model offers a compiled field, else from Python; clipping after every step (a projection,
  not differentiated) and runaway trajectories frozen (state and tangent vectors).

A stepper's ``step(x, Q)`` takes states ``(dim, batch)`` and tangent vectors
``(batch, dim, k)`` (the layout of :func:`~netdyn.analysis.qr_spectrum`) and advances both by
``steps_per_call`` grid steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from netdyn.engines.batch_split import column_params, split_batch
from netdyn.engines.rk4 import advance_compiled, rk4_tangent_step, rk4_tangent_steps
from netdyn.engines.threads import check_threads, run_parallel
from netdyn.errors import NumericalInstabilityError
from netdyn.models.rate import RateNetwork

__all__ = ["TangentStepper", "ode_tangent_stepper", "rate_tangent_stepper"]

_MS_PER_UNIT = {"s": 1000.0, "ms": 1.0}


@dataclass
class TangentStepper:
    """A step function of states and tangent vectors.

    Attributes
    ----------
    step
        ``step(x, Q) -> (x, Q)``: states ``(dim, batch)``, tangent vectors
        ``(batch, dim, k)``; advances both by ``steps_per_call`` grid steps. Called once per
        call period, in order (it keeps the clock).
    steps_per_call
        Grid steps per call (1, or the QR interval when a compiled stepper runs several).
    runaway, runaway_time
        ``(batch,)`` trajectories flagged as unbounded and when (NaN where not); empty where
        the stepper does not check.
    """

    step: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    steps_per_call: int = 1
    runaway: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    runaway_time: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _raise_nonfinite(state: np.ndarray, step: int, time_ms: float, columns: np.ndarray | None = None) -> None:
    """NumericalInstabilityError at the first non-finite element of ``state`` (dim, batch),
    among ``columns`` if given (the sub-batches that stopped at ``step``: others may have
    run on, and their later blow-ups are not what a one-thread run reports)."""
    bad = ~np.isfinite(state)
    if columns is not None:
        keep = np.zeros(state.shape[1], dtype=bool)
        keep[columns] = True
        bad &= keep[None, :]
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise NumericalInstabilityError(step=step, time_ms=time_ms, trajectory=col, unit=row,
                                        value=float(state[row, col]))


# ------------------------------------------------------------------------------ rate networks


def rate_tangent_stepper(network: RateNetwork, gain: np.ndarray, *, dt_ms: float, method: str,
                         t0_ms: float = 0.0, dense_jacobian: bool = False) -> TangentStepper:
    r"""States and tangent vectors of rate-network trajectories, one step per call.

    The states follow the scheme of :func:`~netdyn.engines.integrate` in numpy arithmetic;
    the tangent vectors the exact derivative of that step (module docstring). Time in ms.

    Parameters
    ----------
    network
        The rate network.
    gain
        ``(batch,)`` gain per trajectory.
    dt_ms, method
        Step and scheme (``"euler"``, ``"exp_euler"``, ``"rk4"``).
    t0_ms
        Time of the first state (matters only with a time-dependent input).
    dense_jacobian
        ``True``: multiply by the dense ``(batch, n, n)`` Jacobians of
        :meth:`RateNetwork.jacobian <netdyn.models.RateNetwork.jacobian>`. ``False``: apply
        the same Jacobian matrix-free, :math:`JQ = (-Q + \operatorname{diag}(g\phi'(x))(WQ))
        /\tau`, one (sparse) product :math:`WQ` for the whole batch; both give the same
        numbers to rounding.
    """
    g = np.asarray(gain, dtype=np.float64)
    tau = float(network.tau_ms)
    w = network.weights
    phi = network.phi
    n = network.n_units

    def field_and_slope(state: np.ndarray, t_ms: float) -> tuple[np.ndarray, np.ndarray]:
        """f = (phi(x) - r) / tau in 1/ms, and g * phi'(x), both (n, batch)."""
        x = (w @ state) * g
        inp = network.input_at(t_ms)
        if inp is not None:
            x = x + (inp[:, None] if inp.ndim == 1 else inp)
        slope = phi.dphi(x) * g
        f = phi.apply_inplace(x)
        f -= state
        f /= tau
        return f, slope

    if dense_jacobian:

        def jac_times(state: np.ndarray, slope: np.ndarray, t_ms: float, q: np.ndarray) -> np.ndarray:
            return network.jacobian(state, g, t_ms) @ q

    else:

        def jac_times(state: np.ndarray, slope: np.ndarray, t_ms: float, q: np.ndarray) -> np.ndarray:
            # J Q = (-Q + diag(phi'(x) g) W Q) / tau, one sparse/dense product for the batch
            batch, _, k = q.shape
            wq = w @ q.transpose(1, 0, 2).reshape(n, batch * k)
            out = wq.reshape(n, batch, k).transpose(1, 0, 2) * slope.T[:, :, None]
            out -= q
            out /= tau
            return out

    def stage(t_ms: float, state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f, slope = field_and_slope(state, t_ms)
        return f, jac_times(state, slope, t_ms, q)

    clock = [float(t0_ms)]
    h = dt_ms
    euler_step = h if method == "euler" else -math.expm1(-dt_ms / tau) * tau  # exponential Euler: a tau

    def step(state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = clock[0]
        if method == "rk4":
            state, q = rk4_tangent_step(stage, state, q, t, h, t + h)
        else:
            f, jq = stage(t, state, q)
            q = q + euler_step * jq
            state = state + euler_step * f
        _raise_nonfinite(state, round((t - t0_ms) / h), t)
        clock[0] = t + h
        return state, q

    return TangentStepper(step)


# ------------------------------------------------------------------------------ ODE models


def ode_tangent_stepper(model: Any, *, t0: float, dt: float, t_end: float, batch: int,
                        params: dict[str, Any] | None = None, runaway_threshold: float | None = None,
                        block: int = 1, threads: int = 1) -> TangentStepper:
    """States and tangent vectors of an ODE model by RK4 with step ``dt`` from ``t0``.

    Parameters
    ----------
    model
        An ODE model with ``rhs`` and ``jvp(t, state, tangent, **params)`` (tangents
        ``(dim, batch, k)``); optional ``clip`` and ``compiled_field``.
    t0, dt, t_end
        Start, step and the end of the span the stepper may be asked to cover (model time
        unit).
    batch
        Trajectories.
    params
        Per-trajectory parameters of ``rhs``/``jvp``.
    runaway_threshold
        Trajectories whose largest absolute state exceeds it are flagged and frozen.
    block
        Grid steps per call when the compiled stepper runs (the QR interval); the Python
        path always makes one step per call.
    threads
        Threads of the compiled stepper (>= 1): the batch is split into sub-batches, one per
        thread (same numbers, bit for bit, for any count); the Python path uses one.

    Returns
    -------
    TangentStepper
        ``steps_per_call`` is ``block`` with the compiled stepper, else 1.
    """
    kw = dict(params or {})
    clip = getattr(model, "clip", None)
    ms = _MS_PER_UNIT.get(getattr(model, "time_unit", "ms"), 1.0)
    threshold = 0.0 if runaway_threshold is None else float(runaway_threshold)
    runaway = np.zeros(batch, dtype=bool)
    runaway_time = np.full(batch, np.nan)
    step_no = [0]
    compiled_field = getattr(model, "compiled_field", None)
    probe = compiled_field(t0, t_end, batch, kw, 1) if compiled_field is not None else None

    if probe is not None:
        parts = split_batch(batch, check_threads(threads))
        part_params = [kw if len(parts) == 1 else column_params(kw, sub.cols, batch) for sub in parts]
        fields: dict[tuple[int, int], Any] = {(0, 1): probe} if len(parts) == 1 else {}

        def part_block(tid: int, xs: np.ndarray, v: np.ndarray, k: int) -> int:
            """Steps of the sub-batch ``tid`` (compiled, without the GIL), in place in ``xs``, ``v``."""
            sub = parts[tid]
            n_tangents = v.shape[2]
            if (tid, n_tangents) not in fields:  # scratch sized for its columns and k tangent vectors
                fields[(tid, n_tangents)] = compiled_field(t0, t_end, sub.width, part_params[tid], n_tangents)
            cf = fields[(tid, n_tangents)]
            lo, hi = cf.clip_rows if clip is not None else (0, 0)
            if len(parts) == 1:
                return advance_compiled(rk4_tangent_steps, cf.field, cf.jvp, cf.args, xs, v, block, t0, k, dt, lo,
                                        hi, *cf.clip_range, threshold, runaway, runaway_time)
            cols = sub.cols
            xp, vp = np.ascontiguousarray(xs[:, cols]), np.ascontiguousarray(v[:, cols])
            rp, tp = runaway[cols], runaway_time[cols]
            bad = advance_compiled(rk4_tangent_steps, cf.field, cf.jvp, cf.args, xp, vp, block, t0, k, dt, lo, hi,
                                   *cf.clip_range, threshold, rp, tp)
            xs[:, cols], v[:, cols], runaway[cols], runaway_time[cols] = xp, vp, rp, tp
            return bad

        def step_block(state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            k = step_no[0]
            xs = np.array(state, dtype=np.float64, order="C")
            v = np.ascontiguousarray(q.transpose(1, 0, 2))
            bads = run_parallel(lambda tid: part_block(tid, xs, v, k), len(parts))
            first = min((b for b in bads if b >= 0), default=-1)
            if first >= 0:
                cols = np.concatenate([sub.cols for sub, b in zip(parts, bads) if b == first])
                _raise_nonfinite(xs, first, (t0 + first * dt) * ms, cols)
            step_no[0] = k + block
            return xs, np.ascontiguousarray(v.transpose(1, 0, 2))

        return TangentStepper(step_block, block, runaway, runaway_time)

    def stage(t: float, s: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return model.rhs(t, np.ascontiguousarray(s), np.empty(s.shape), **kw), model.jvp(t, s, v, **kw)

    def step(state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = step_no[0]
        t = t0 + k * dt
        t_next = t0 + (k + 1) * dt
        v = q.transpose(1, 0, 2)  # (dim, batch, k)
        new, v_new = rk4_tangent_step(stage, state, v, t, dt, t_next)
        if clip is not None:
            clip(new)
        if runaway.any():  # frozen trajectories keep their state and tangent vectors
            new[:, runaway] = state[:, runaway]
            v_new[:, runaway] = v[:, runaway]
        _raise_nonfinite(new, k, t * ms)
        if runaway_threshold is not None:
            hit = (np.abs(new).max(axis=0) > runaway_threshold) & ~runaway
            runaway_time[hit] = t_next
            runaway[hit] = True
        step_no[0] = k + 1
        return new, np.ascontiguousarray(v_new.transpose(1, 0, 2))

    return TangentStepper(step, 1, runaway, runaway_time)
