r"""Classical Runge-Kutta (RK4): netdyn's one state step and one tangent step.

Every fixed-step RK4 of netdyn goes through this module: the rate engine
(:func:`netdyn.engines.integrate` with ``method="rk4"``), the ODE engine
(:func:`netdyn.engines.integrate_ode`) and the tangent steppers of the Lyapunov spectra
(:mod:`netdyn.engines.tangent`). Each step exists twice, with the same operations in the same
order, so that the two give the same numbers bit for bit:

* a numpy form for any model whose vector field is a Python callable
  (:func:`rk4_step`, :func:`rk4_tangent_step`), the reference;
* a compiled form for models that provide a compiled vector field
  (:func:`rk4_steps`, :func:`rk4_tangent_steps`), which runs many steps in one call.

With stages

.. math::

    k_1 = f(t, x),\quad k_2 = f(t + \tfrac{h}{2}, x + \tfrac{h}{2} k_1),\quad
    k_3 = f(t + \tfrac{h}{2}, x + \tfrac{h}{2} k_2),\quad k_4 = f(t + h, x + h k_3)

the state step is :math:`x \leftarrow x + \tfrac{h}{6}\big((k_1 + k_4) + 2(k_2 + k_3)\big)`.
The tangent step advances tangent vectors :math:`V` by the exact derivative of that step
(not by a separate discretisation of the variational equation): with :math:`J` the Jacobian
of :math:`f`,

.. math::

    K_1 = J(x) V,\quad K_2 = J(x + \tfrac{h}{2}k_1)(V + \tfrac{h}{2}K_1),\quad
    K_3 = J(x + \tfrac{h}{2}k_2)(V + \tfrac{h}{2}K_2),\quad K_4 = J(x + h k_3)(V + h K_3),

:math:`V \leftarrow V + \tfrac{h}{6}\big(K_1 + 2(K_2 + K_3) + K_4\big)`, and the state in the
same association, :math:`x \leftarrow x + \tfrac{h}{6}\big(k_1 + 2(k_2 + k_3) + k_4\big)`.
(The two steps sum the stages in different orders; each is kept as the published results
were computed.)

Compiled vector fields
----------------------
A model offers a compiled field as numba ``cfunc`` objects (first-class functions: the
engine is compiled once per signature and cached on disk, whatever the model):

``field(x, t, out, args)``
    writes :math:`dx/dt` of the ``(dim, batch)`` C-contiguous float64 states ``x`` at time
    ``t`` into ``out``; ``args`` is the model's tuple of tables and scratch arrays.
``jvp(x, t, v, out, args)``
    writes :math:`J(x)\,v` for tangents ``v`` of shape ``(dim, batch, k)`` into ``out``.

The compiled steppers also carry out what the ODE engine does after every step: clipping of
a range of state rows into an interval (a box constraint, such as STD variables in [0, 1];
stages are not clipped), the finite check, and flagging and freezing of trajectories whose
largest absolute state exceeds a threshold.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numba
import numpy as np
from numba import njit
from numba.core.ccallback import CFunc

__all__ = ["advance_compiled", "rk4_step", "rk4_steps", "rk4_tangent_step", "rk4_tangent_steps", "rk4_work"]

FieldFn = Callable[[float, np.ndarray, np.ndarray], object]
StageFn = Callable[[float, np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]


# ------------------------------------------------------------------------------ numpy


def rk4_work(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Scratch arrays for :func:`rk4_step`: the four stages and one state, like ``x``."""
    return tuple(np.empty_like(x) for _ in range(5))


def rk4_step(field: FieldFn, x: np.ndarray, t: float, dt: float, t_next: float,
             work: tuple[np.ndarray, ...]) -> np.ndarray:
    """Advance ``x`` in place by one RK4 step from ``t`` to ``t_next`` (``= t + dt`` up to
    the caller's rounding of the grid); returns ``x``.

    Parameters
    ----------
    field
        ``field(t, state, out)`` writes the derivative of ``state`` into ``out``.
    x
        States, any shape (a batch is ``(dim, batch)``); float64 or float32: the step's
        constants take the dtype of ``x``.
    t, dt, t_next
        Start time, step and end time, in the model's time unit; stage times are
        ``t + dt/2`` and ``t_next``.
    work
        Five scratch arrays like ``x`` (:func:`rk4_work`).
    """
    k1, k2, k3, k4, tmp = work
    cast = x.dtype.type
    half = cast(0.5 * dt)
    t_half = t + 0.5 * dt
    field(t, x, k1)
    np.multiply(k1, half, out=tmp)
    tmp += x
    field(t_half, tmp, k2)
    np.multiply(k2, half, out=tmp)
    tmp += x
    field(t_half, tmp, k3)
    np.multiply(k3, cast(dt), out=tmp)
    tmp += x
    field(t_next, tmp, k4)
    k2 += k3
    k2 *= 2.0
    k1 += k4
    k1 += k2
    k1 *= cast(dt / 6.0)
    x += k1
    return x


def rk4_tangent_step(stage: StageFn, x: np.ndarray, v: np.ndarray, t: float, dt: float,
                     t_next: float) -> tuple[np.ndarray, np.ndarray]:
    """One RK4 step of the states ``x`` and of the tangent vectors ``v`` by the exact
    derivative of that step; returns new arrays ``(x_new, v_new)``.

    Parameters
    ----------
    stage
        ``stage(t, state, tangent) -> (f, Jv)``: the derivative of ``state`` and the
        Jacobian (at ``state``) applied to ``tangent``.
    x, v
        States and tangent vectors (any layouts ``stage`` understands; float64).
    t, dt, t_next
        Start time, step and end time.
    """
    h = dt
    k1, q1 = stage(t, x, v)
    k2, q2 = stage(t + 0.5 * h, x + (0.5 * h) * k1, v + (0.5 * h) * q1)
    k3, q3 = stage(t + 0.5 * h, x + (0.5 * h) * k2, v + (0.5 * h) * q2)
    k4, q4 = stage(t_next, x + h * k3, v + h * q3)
    x_new = x + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
    v_new = v + (h / 6.0) * (q1 + 2.0 * (q2 + q3) + q4)
    return x_new, v_new


# ------------------------------------------------------------------------------ compiled

_ENTRY_POINTS: dict[tuple[int, ...], Callable[..., int]] = {}


def advance_compiled(stepper: Any, *args: Any) -> int:
    """Call the compiled stepper :func:`rk4_steps` or :func:`rk4_tangent_steps`, whose
    arguments include the model's first-class functions; returns its result.

    numba types a first-class function argument anew on every call (about 0.1 ms for a
    field with a long argument tuple: more than a short run of steps costs, and Benettin's
    method makes one call per renormalisation interval), so the specialisation is looked up
    once per (stepper, functions) and called directly afterwards. The engines pass the other
    arguments with the same types every time.
    """
    key = (id(stepper),) + tuple(id(a) for a in args if isinstance(a, CFunc))
    entry = _ENTRY_POINTS.get(key)
    if entry is not None:
        return int(entry(*args))
    result = stepper(*args)  # compiles or loads the specialisation
    compiled = stepper.overloads.get(tuple(numba.typeof(a) for a in args))
    _ENTRY_POINTS[key] = stepper if compiled is None else compiled.entry_point
    return int(result)


@njit(cache=True, nogil=True, error_model="numpy")
def _flag_runaways(x, threshold, runaway, runaway_time, t_next):  # pragma: no cover - compiled
    """Mark the columns of ``x`` (dim, batch) whose largest |state| exceeds ``threshold`` as
    run away at ``t_next``; returns the newly flagged columns."""
    dim, batch = x.shape
    flagged = []
    for b in range(batch):
        if runaway[b]:
            continue
        big = 0.0
        for i in range(dim):
            big = max(big, abs(x[i, b]))
        if big > threshold:
            runaway[b] = True
            runaway_time[b] = t_next
            flagged.append(b)
    return flagged


@njit(cache=True, nogil=True, error_model="numpy")
def _record(x, slot, rows, cols, data):  # pragma: no cover - compiled
    """``data[slot] = x[rows][:, cols]``: what an observer records of the state."""
    for r in range(rows.size):
        for c in range(cols.size):
            data[slot, r, c] = x[rows[r], cols[c]]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _freeze(out, active):  # pragma: no cover - compiled
    """Multiply the columns of ``out`` by ``active`` (1: running, 0: frozen)."""
    dim, batch = out.shape
    for b in range(batch):
        if active[b] != 1.0:
            for row in range(dim):
                out[row, b] *= active[b]


@njit(cache=True, nogil=True, error_model="numpy")
def rk4_steps(field, args, x, n_steps, t0, k0, dt, clip_lo, clip_hi, clip_min, clip_max, threshold, active,
              runaway, runaway_time, samp_rows, samp_cols, samp_every, samp_data):  # pragma: no cover - compiled
    """``n_steps`` RK4 steps of ``x`` ``(dim, batch)`` in place, from grid step ``k0`` (times
    ``t0 + k dt``), as the ODE engine's loop does them with :func:`rk4_step`.

    ``field(x, t, out, args)`` is the model's compiled vector field; the derivative of a
    column with ``active[b] != 1`` is multiplied by it (0 freezes the column). After each
    step, rows ``[clip_lo, clip_hi)`` are clipped into ``[clip_min, clip_max]``, and with
    ``threshold > 0`` columns whose largest ``|x|`` exceeds it are flagged in ``runaway``
    (time in ``runaway_time``) and frozen (``active[b] = 0``). Before step ``k`` with
    ``k % samp_every == 0`` the state is recorded as an observer would:
    ``samp_data[k // samp_every] = x[samp_rows][:, samp_cols]`` (empty ``samp_rows``: none).

    Returns
    -------
    int
        -1, or the grid step whose result was not finite (``x`` then holds that result).
    """
    dim, batch = x.shape
    k1 = np.empty((dim, batch))
    k2 = np.empty((dim, batch))
    k3 = np.empty((dim, batch))
    k4 = np.empty((dim, batch))
    tmp = np.empty((dim, batch))
    half = 0.5 * dt
    sixth = dt / 6.0
    for s in range(n_steps):
        k = k0 + s
        t = t0 + k * dt
        t_next = t0 + (k + 1) * dt
        if samp_rows.size > 0 and k % samp_every == 0:
            _record(x, k // samp_every, samp_rows, samp_cols, samp_data)
        field(x, t, k1, args)
        _freeze(k1, active)
        for i in range(dim):
            for b in range(batch):
                tmp[i, b] = k1[i, b] * half + x[i, b]
        field(tmp, t + half, k2, args)
        _freeze(k2, active)
        for i in range(dim):
            for b in range(batch):
                tmp[i, b] = k2[i, b] * half + x[i, b]
        field(tmp, t + half, k3, args)
        _freeze(k3, active)
        for i in range(dim):
            for b in range(batch):
                tmp[i, b] = k3[i, b] * dt + x[i, b]
        field(tmp, t_next, k4, args)
        _freeze(k4, active)
        finite = True
        for i in range(dim):
            for b in range(batch):
                v = x[i, b] + (k1[i, b] + k4[i, b] + (k2[i, b] + k3[i, b]) * 2.0) * sixth
                if clip_lo <= i < clip_hi:
                    v = min(max(v, clip_min), clip_max)
                if not math.isfinite(v):
                    finite = False
                x[i, b] = v
        if not finite:
            return k
        if threshold > 0.0:
            for b in _flag_runaways(x, threshold, runaway, runaway_time, t_next):
                active[b] = 0.0
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def rk4_tangent_steps(field, jvp, args, x, v, n_steps, t0, k0, dt, clip_lo, clip_hi, clip_min, clip_max,
                      threshold, runaway, runaway_time):  # pragma: no cover - compiled
    """``n_steps`` RK4 steps of the states ``x`` ``(dim, B)`` and of the tangent vectors ``v``
    ``(dim, B, K)`` in place, as :func:`rk4_tangent_step`.

    ``field(x, t, out, args)`` and ``jvp(x, t, v, out, args)`` are the model's compiled
    vector field and Jacobian-vector product. After each step rows ``[clip_lo, clip_hi)``
    are clipped into ``[clip_min, clip_max]`` (a projection, not differentiated); columns
    flagged in ``runaway`` keep their state and tangent vectors; with ``threshold > 0``
    columns whose largest ``|x|`` exceeds it are flagged (time in ``runaway_time``).

    Returns
    -------
    int
        -1, or the grid step that produced a non-finite state.
    """
    dim, batch = x.shape
    kk = v.shape[2]
    k1 = np.empty((dim, batch))
    k2 = np.empty((dim, batch))
    k3 = np.empty((dim, batch))
    k4 = np.empty((dim, batch))
    s = np.empty((dim, batch))
    q1 = np.empty((dim, batch, kk))
    q2 = np.empty((dim, batch, kk))
    q3 = np.empty((dim, batch, kk))
    q4 = np.empty((dim, batch, kk))
    vs = np.empty((dim, batch, kk))
    h = dt
    for st in range(n_steps):
        k = k0 + st
        t = t0 + k * h
        t_next = t0 + (k + 1) * h
        field(x, t, k1, args)
        jvp(x, t, v, q1, args)
        for stage in range(3):
            kin = k1 if stage == 0 else (k2 if stage == 1 else k3)
            qin = q1 if stage == 0 else (q2 if stage == 1 else q3)
            kout = k2 if stage == 0 else (k3 if stage == 1 else k4)
            qout = q2 if stage == 0 else (q3 if stage == 1 else q4)
            a = 0.5 * h if stage < 2 else h
            ts = t + 0.5 * h if stage < 2 else t_next
            for i in range(dim):
                for b in range(batch):
                    s[i, b] = x[i, b] + a * kin[i, b]
                    for q in range(kk):
                        vs[i, b, q] = v[i, b, q] + a * qin[i, b, q]
            field(s, ts, kout, args)
            jvp(s, ts, vs, qout, args)
        finite = True
        for b in range(batch):
            if runaway[b]:
                continue
            for i in range(dim):
                val = x[i, b] + (h / 6.0) * (k1[i, b] + 2.0 * (k2[i, b] + k3[i, b]) + k4[i, b])
                if clip_lo <= i < clip_hi:
                    val = min(max(val, clip_min), clip_max)
                if not math.isfinite(val):
                    finite = False
                x[i, b] = val
                for q in range(kk):
                    v[i, b, q] = v[i, b, q] + (h / 6.0) * (q1[i, b, q] + 2.0 * (q2[i, b, q] + q3[i, b, q]) + q4[i, b, q])
        if not finite:
            return k
        if threshold > 0.0:
            _flag_runaways(x, threshold, runaway, runaway_time, t_next)
    return -1
