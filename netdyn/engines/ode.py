r"""Generic batched ODE integrators for rate-model families (the SRNN and any model that
follows :class:`ODEModel`).

A batch of ``B`` trajectories is one ``(dim, B)`` array, one column per trajectory; the
model's vector field is evaluated for the whole batch at once. Two schemes:

``"rk4"``
    Classical fixed-step Runge-Kutta (the Julia SRNN port's solver), step ``dt``, input
    sampled at ``t``, ``t + dt/2``, ``t + dt``.
``"dopri5"``
    Dormand-Prince 5(4) (Dormand & Prince 1980; the scheme of MATLAB ``ode45`` and SciPy
    ``RK45``): 7 stages with first-same-as-last, 5th-order solution, embedded 4th-order
    error estimate, PI step-size control (Hairer, Norsett & Wanner 1993, II.4; Gustafsson
    1991). **One step size is shared by the whole batch**: the error norm of a step is the
    largest over the trajectories (frozen runaway trajectories excluded), so every column
    is integrated at least as accurately as asked, and stiffer columns slow down the
    others (batch similar trajectories together).

Time is in the model's unit (``model.time_unit``; seconds for the SRNN). The step ``dt``
defines the **observation grid** ``t0 + k dt``: observers (:mod:`netdyn.record`) see the
state at grid time ``t0 + k dt`` *before* step ``k``, ``k = 0 .. n_steps - 1``, as in the
chaos engine. With ``"dopri5"`` the adaptive steps **land exactly** on every grid time
that some observer records (``k % every == 0``) and on ``t1`` (a step that would pass one
is shortened to end on it), so recorded states are solutions of the method, not
interpolations; between recorded times the step size is free (up to ``max_step``).

Other behaviour:

* after every step ``model.clip(state)`` (if the model has it and ``constrain=True``),
  e.g. keeping the SRNN's STD states in [0, 1]; stages are not clipped;
* a NaN or inf in the state raises :class:`~netdyn.errors.NumericalInstabilityError` naming
  the step, the time (in ms, as the error's field says), the trajectory and the state row;
* ``runaway_threshold``: a trajectory with :math:`\max_i |x_i| >` threshold (checked on the
  initial state and after every step) is flagged as unbounded, its time recorded, and
  frozen (its derivative is set to 0, so it keeps the state it had when flagged) while the
  others go on: runaway is a result, not an error.

References
----------
.. [DP80] J. R. Dormand, P. J. Prince (1980), "A family of embedded Runge-Kutta
   formulae", J. Comput. Appl. Math. 6, 19-26.
.. [HNW93] E. Hairer, S. P. Norsett, G. Wanner (1993), *Solving Ordinary Differential
   Equations I*, 2nd ed., Springer: II.4 (step size control, starting step size) and
   the DOPRI5 code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np
import xarray as xr

from netdyn.engines.batch_split import SubBatch, column_params, split_batch
from netdyn.engines.rk4 import advance_compiled, rk4_step, rk4_steps, rk4_work
from netdyn.engines.threads import check_threads, run_parallel
from netdyn import timegrid
from netdyn.errors import ConfigError, NumericalInstabilityError
from netdyn.record.observers import Observer

__all__ = ["ODE_METHODS", "ODEModel", "ODEResult", "StepSizeUnderflowError", "grid_steps", "integrate_ode"]

ODEMethod = Literal["rk4", "dopri5"]
ODE_METHODS: tuple[str, ...] = ("rk4", "dopri5")
_MS_PER_UNIT = {"s": 1000.0, "ms": 1.0}


@runtime_checkable
class ODEModel(Protocol):
    """What :func:`integrate_ode` needs of a model.

    Attributes
    ----------
    dim
        Rows of the state.
    time_unit
        ``"s"`` or ``"ms"``: unit of ``t`` and of the engine's ``t0, t1, dt``.

    Notes
    -----
    Methods:

    ``rhs(t, state, out, **params)``
        Writes :math:`dx/dt` of the ``(dim, B)`` states into the C-contiguous ``out`` and
        returns it. ``params`` are the keyword arguments given to :func:`integrate_ode`
        (per-trajectory parameters such as the SRNN's ``weight_scale``).
    ``clip(state)``
        Optional: projects states onto the admissible set in place.
    ``jvp(t, state, tangent, **params)``
        Optional, for :func:`netdyn.analysis.ode_lyapunov_spectrum`: the Jacobian-vector
        product of ``rhs`` for tangents of shape ``(dim, B)`` or ``(dim, B, k)``.
    ``initial_state(batch)``
        Optional: default initial states for the Lyapunov adapters.
    ``compiled_field(t_start, t_end, batch, params, n_tangents=0)``
        Optional: the model's vector field as a
        :class:`~netdyn.models.compiled.CompiledField` (or ``None`` where it does not
        apply, e.g. :meth:`netdyn.models.SRNNetwork.compiled_field`); ``method="rk4"`` then
        runs the compiled RK4 of :mod:`netdyn.engines.rk4`, whose operations are those of
        the Python loop.
    """

    dim: int
    time_unit: str

    def rhs(self, t: float, state: np.ndarray, out: np.ndarray, **params: Any) -> np.ndarray: ...


@dataclass
class ODEResult:
    """Outcome of :func:`integrate_ode`.

    Attributes
    ----------
    state
        ``(dim, batch)`` state at ``t_end`` (``(dim,)`` if ``x0`` was 1-D). Runaway
        trajectories hold the state at which they were flagged.
    t_end
        Time of ``state`` (``t1``), in the model's unit.
    n_steps
        Grid steps of ``dt`` covered, ``round((t1 - t0) / dt)``.
    records
        Observer results by observer name; time coordinates of
        :class:`xarray.DataArray` records are converted to the model's time unit (their
        ``units`` attribute says which).
    runaway
        ``(batch,)`` bool: trajectories flagged as unbounded.
    runaway_time
        ``(batch,)`` time at which each was flagged (NaN where not).
    n_accepted, n_rejected, n_rhs
        Accepted and rejected steps, and vector-field evaluations (work statistics; for
        RK4 ``n_accepted = n_steps``, ``n_rejected = 0``).
    """

    state: np.ndarray
    t_end: float
    n_steps: int
    records: dict[str, Any] = field(default_factory=dict)
    runaway: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    runaway_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_accepted: int = 0
    n_rejected: int = 0
    n_rhs: int = 0

    @property
    def bounded(self) -> np.ndarray:
        """``(batch,)`` bool: ``~runaway``."""
        return ~self.runaway


def grid_steps(t0: float, t1: float, dt: float) -> int:
    """Number of steps of ``dt`` from ``t0`` to ``t1``; ConfigError unless it divides evenly."""
    for name, v in (("t0", t0), ("t1", t1)):
        if not math.isfinite(v):
            raise ConfigError(name, v, "must be finite")
    if not (math.isfinite(dt) and dt > 0):
        raise ConfigError("dt", dt, "must be a finite number > 0")
    if t1 < t0:
        raise ConfigError("t1", t1, f"must be >= t0={t0}")
    return timegrid.grid_steps(t1 - t0, dt, field="t1", value=t1, origin=t0)


# --------------------------------------------------------------------------------------
# Dormand-Prince 5(4) tableau (HNW93 Table II.5.2)

_DP_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_DP_A = [
    np.array([]),
    np.array([1 / 5]),
    np.array([3 / 40, 9 / 40]),
    np.array([44 / 45, -56 / 15, 32 / 9]),
    np.array([19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]),
    np.array([9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]),
    np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]),
]
# 5th-order weights (= last row of A, FSAL) minus the embedded 4th-order weights
_DP_E = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])


class _Integrator:
    """State shared by the two schemes: the model call with frozen columns, checks."""

    def __init__(self, model: Any, x: np.ndarray, params: Mapping[str, Any], constrain: bool,
                 threshold: float | None, t0: float, dt: float, ms_per_unit: float):
        self.model = model
        self.params = dict(params)
        self.clip = getattr(model, "clip", None) if constrain else None
        self.threshold = threshold
        self.batch = x.shape[1]
        self.runaway = np.zeros(self.batch, dtype=bool)
        self.runaway_time = np.full(self.batch, np.nan)
        self.active: np.ndarray | None = None  # (batch,) float 1/0 once something froze
        self.t0, self.dt, self.ms = t0, dt, ms_per_unit
        self.n_rhs = 0

    def f(self, t: float, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        self.model.rhs(t, x, out, **self.params)
        self.n_rhs += 1
        if self.active is not None:
            out *= self.active
        return out

    def after_step(self, x: np.ndarray, t_new: float, t_old: float) -> bool:
        """Clip, then check finiteness and runaway of the state reached at ``t_new``;
        True when a trajectory was newly frozen."""
        if self.clip is not None:
            self.clip(x)
        if not np.isfinite(x).all():
            row, col = (int(v) for v in np.argwhere(~np.isfinite(x))[0])
            k = int(math.floor((t_old - self.t0) / self.dt + 1e-9))
            raise NumericalInstabilityError(step=k, time_ms=t_old * self.ms, trajectory=col, unit=row,
                                            value=float(x[row, col]))
        return self.check_runaway(x, t_new)

    def check_runaway(self, x: np.ndarray, t: float) -> bool:
        """Flag and freeze trajectories beyond the threshold; True if any new one."""
        if self.threshold is None:
            return False
        big = np.abs(x).max(axis=0) > self.threshold
        new = big & ~self.runaway
        if not new.any():
            return False
        self.runaway |= new
        self.runaway_time[new] = t
        self.active = (~self.runaway).astype(np.float64)
        return True


def _check_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise ConfigError("params", params, "must be a mapping of keyword arguments of model.rhs")
    return dict(params)


def integrate_ode(
    model: ODEModel,
    x0: np.ndarray,
    *,
    t0: float,
    t1: float,
    dt: float,
    method: ODEMethod = "rk4",
    rtol: float = 1e-7,
    atol: float = 1e-8,
    max_step: float | None = None,
    first_step: float | None = None,
    observers: Sequence[Observer] = (),
    constrain: bool = True,
    runaway_threshold: float | None = None,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
    threads: int = 1,
) -> ODEResult:
    r"""Integrate a batch of trajectories of an ODE model from ``t0`` to ``t1``.

    Parameters
    ----------
    model
        An :class:`ODEModel` (e.g. :class:`~netdyn.models.srnn.SRNNetwork`).
    x0
        ``(dim, batch)`` initial states (one column per trajectory) or ``(dim,)``. Not
        modified.
    t0, t1
        Start and end time, in the model's unit (s for the SRNN); ``t1 - t0`` must be a
        multiple of ``dt``.
    dt
        RK4: the step. Both methods: spacing of the observation grid ``t0 + k dt``.
    method
        ``"rk4"`` (fixed step) or ``"dopri5"`` (adaptive; see the module docstring).
    rtol, atol
        dopri5 tolerances: a step is accepted when
        :math:`\max_b \sqrt{\frac{1}{\mathrm{dim}}\sum_i (e_{ib}/s_{ib})^2} \le 1`,
        :math:`s_{ib} = \mathrm{atol} + \mathrm{rtol}\max(|x_{ib}|, |x^\mathrm{new}_{ib}|)`
        (the RMS norm of HNW93 / SciPy, per trajectory, maximised over the batch).
    max_step
        dopri5: largest step (default: unlimited). The reference's Python example uses
        ``max_step = dt``.
    first_step
        dopri5: initial step (default: HNW93's estimate, capped by ``max_step``).
    observers
        :mod:`netdyn.record` observers; they receive the ``(dim, batch)`` state at grid
        times (``n_units`` in their ``start`` is ``dim``), and their ``dt_ms``/``t0_ms``
        are the grid in ms.
    constrain
        Apply ``model.clip`` after every step.
    runaway_threshold
        ``None`` (off) or a positive number: trajectories whose largest absolute state
        exceeds it are flagged, timed and frozen; the run continues.
    params
        Keyword arguments passed to every ``model.rhs`` call (per-trajectory parameters,
        e.g. ``{"weight_scale": np.array([...])}`` for the SRNN).
    progress
        Called with the number of grid steps done since the last call, about every
        ``progress_every`` grid steps and at the end.
    threads
        Threads of this one run (>= 1): with ``method="rk4"`` and a model with a compiled
        field (:meth:`ODEModel.compiled_field`), the batch is split into that many
        sub-batches of trajectories, each stepped by its own thread without the GIL (the
        per-trajectory ``params`` are split with it); every number is the same, bit for bit,
        for any number of threads. Other runs (dopri5, whose step size is shared by the
        whole batch; Python vector fields) use one thread.

    Returns
    -------
    ODEResult

    Raises
    ------
    NumericalInstabilityError
        When a state becomes NaN or infinite (before any threshold catches it): names the
        grid step ``k`` in which it happened, the start time of the failing step (in ms),
        the trajectory and the state row (``unit``).
    ConfigError
        For invalid arguments, naming the field.
    """
    if method not in ODE_METHODS:
        raise ConfigError("method", method, f"unknown integrator; expected one of {list(ODE_METHODS)}")
    t0, t1, dt = float(t0), float(t1), float(dt)
    n_steps = grid_steps(t0, t1, dt)
    time_unit = getattr(model, "time_unit", "ms")
    if time_unit not in _MS_PER_UNIT:
        raise ConfigError("model.time_unit", time_unit, f"expected one of {list(_MS_PER_UNIT)}")
    ms = _MS_PER_UNIT[time_unit]
    x0a = np.asarray(x0)
    single = x0a.ndim == 1
    x = np.array(x0a[:, None] if single else x0a, dtype=np.float64, order="C", copy=True)
    dim = int(model.dim)
    if x.ndim != 2 or x.shape[0] != dim or x.shape[1] < 1:
        raise ConfigError("x0", x0a.shape, f"must be ({dim},) or ({dim}, batch)")
    if not np.all(np.isfinite(x)):
        raise ConfigError("x0", "non-finite values", "initial states must be finite")
    if runaway_threshold is not None and not (math.isfinite(runaway_threshold) and runaway_threshold > 0):
        raise ConfigError("runaway_threshold", runaway_threshold, "must be None or a finite number > 0")
    if method == "dopri5":
        for name, v in (("rtol", rtol), ("atol", atol)):
            if not (math.isfinite(v) and v >= 0):
                raise ConfigError(name, v, "must be a finite number >= 0")
        if rtol == 0 and atol == 0:
            raise ConfigError("rtol", rtol, "rtol and atol cannot both be 0")
        if max_step is not None and not (math.isfinite(max_step) and max_step > 0):
            raise ConfigError("max_step", max_step, "must be None or a finite number > 0")
        if first_step is not None and not (math.isfinite(first_step) and first_step > 0):
            raise ConfigError("first_step", first_step, "must be None or a finite number > 0")
    if int(progress_every) != progress_every or progress_every < 1:
        raise ConfigError("progress_every", progress_every, "must be a positive integer")
    params = _check_params(params)
    n_threads = check_threads(threads)
    batch = x.shape[1]

    integ = _Integrator(model, x, params, constrain, runaway_threshold, t0, dt, ms)
    for obs in observers:
        obs.start(n_steps=n_steps, n_units=dim, n_batch=batch, dt_ms=dt * ms, t0_ms=t0 * ms, dtype=np.dtype(np.float64))
    everys = [obs.every for obs in observers]
    integ.check_runaway(x, t0)
    counter = _Progress(progress, int(progress_every))

    # overflow / invalid values are caught by the finite check and reported with where and when
    with np.errstate(over="ignore", invalid="ignore"):
        if method == "rk4":
            x = _run_rk4(integ, x, t0, dt, n_steps, observers, counter, n_threads)
            n_acc, n_rej = n_steps, 0
        else:
            x, n_acc, n_rej = _run_dopri5(integ, x, t0, t1, dt, n_steps, observers, everys, counter,
                                          float(rtol), float(atol), max_step, first_step)
    counter.flush()

    records = {obs.name: _relabel_time(obs.result(), ms, time_unit) for obs in observers}
    return ODEResult(
        state=x[:, 0].copy() if single else x, t_end=t1, n_steps=n_steps, records=records,
        runaway=integ.runaway, runaway_time=integ.runaway_time,
        n_accepted=n_acc, n_rejected=n_rej, n_rhs=integ.n_rhs,
    )


class _Progress:
    def __init__(self, fn: Callable[[int], None] | None, every: int):
        self.fn, self.every, self.pending = fn, every, 0

    def add(self, k: int) -> None:
        if self.fn is None:
            return
        self.pending += k
        if self.pending >= self.every:
            self.fn(self.pending)
            self.pending = 0

    def flush(self) -> None:
        if self.fn is not None and self.pending:
            self.fn(self.pending)
            self.pending = 0


def _relabel_time(rec: Any, ms: float, unit: str) -> Any:
    """Observers label time in ms; give DataArray records the model's unit."""
    if unit == "ms" or not isinstance(rec, xr.DataArray) or "time" not in rec.coords:
        return rec
    if rec.coords["time"].attrs.get("units") != "ms":
        return rec
    return rec.assign_coords(time=("time", rec.coords["time"].values / ms, {"units": unit}))


def _kernel_sampler(observers: Sequence[Observer]) -> tuple | None:
    """The compiled loop's recorder ``(rows, cols, every, data)`` when the observers are at
    most one sampler that offers a ``kernel_view``, else None (observers run in Python)."""
    empty = np.zeros(0, dtype=np.int64)
    if not observers:
        return empty, empty, 1, np.zeros((0, 0, 0))
    view = getattr(observers[0], "kernel_view", lambda: None)() if len(observers) == 1 else None
    if view is None or view[0] != "sample" or view[4].dtype != np.float64:
        return None
    return view[1:]


class _Columns:
    """One sub-batch of the compiled RK4 (:func:`netdyn.engines.batch_split.split_batch`):
    its states, compiled field, frozen flags and recorder. The only sub-batch of a one-thread
    run works on the batch's own arrays; those of a split run on copies, gathered at the end."""

    def __init__(self, sub: SubBatch, compiled: Any, integ: _Integrator, x: np.ndarray, active: np.ndarray,
                 sample: tuple, whole: bool):
        self.sub, self.whole, self.compiled = sub, whole, compiled
        cols = sub.cols
        self.x = x if whole else np.ascontiguousarray(x[:, cols])
        self.active = active if whole else active[cols].copy()
        self.runaway = integ.runaway if whole else integ.runaway[cols].copy()
        self.runaway_time = integ.runaway_time if whole else integ.runaway_time[cols].copy()
        if whole:
            self.sample, self.sample_which = sample, None
        else:
            rows, s_cols, every, data = sample
            which, where = sub.local(s_cols)
            self.sample = (rows if where.size else rows[:0], where, every,
                           np.empty(data.shape[:2] + (where.size,), dtype=data.dtype))
            self.sample_which = which

    def advance(self, integ: _Integrator, t0: float, k: int, n: int, dt: float, threshold: float) -> int:
        """Grid steps ``k .. k + n - 1`` (compiled, without the GIL); -1 or the failing step."""
        c = self.compiled
        lo, hi = c.clip_rows if integ.clip is not None else (0, 0)
        return advance_compiled(rk4_steps, c.field, c.args, self.x, n, t0, k, dt, lo, hi, *c.clip_range, threshold,
                                self.active, self.runaway, self.runaway_time, *self.sample)

    def gather(self, x: np.ndarray, active: np.ndarray, integ: _Integrator, sample: tuple) -> None:
        """Copy the columns, flags and records of a split run back into the batch's arrays."""
        if self.whole:
            return
        cols = self.sub.cols
        x[:, cols] = self.x
        active[cols] = self.active
        integ.runaway[cols] = self.runaway
        integ.runaway_time[cols] = self.runaway_time
        if self.sample_which is not None and self.sample_which.size:
            sample[3][:, :, self.sample_which] = self.sample[3]


def _first_nonfinite(failed: list[_Columns], shape: tuple[int, int]) -> tuple[int, int]:
    """``(row, column)`` of the batch's first non-finite value (row-major) among the
    sub-batches that failed at the earliest step: the one a one-thread run reports."""
    bad = np.zeros(shape, dtype=bool)
    for part in failed:
        bad[:, part.sub.cols] = ~np.isfinite(part.x)
    row, col = np.argwhere(bad)[0]
    return int(row), int(col)


def _split_columns(integ: _Integrator, x: np.ndarray, t_end: float, active: np.ndarray, sample: tuple,
                   n_threads: int) -> list[_Columns] | None:
    """The sub-batches of a threaded run, or None when the model has no compiled field."""
    batch = x.shape[1]
    subs = split_batch(batch, n_threads)
    whole = len(subs) == 1
    parts = []
    for sub in subs:
        params = integ.params if whole else column_params(integ.params, sub.cols, batch)
        compiled = integ.model.compiled_field(integ.t0, t_end, sub.width, params)
        if compiled is None:
            return None
        parts.append(_Columns(sub, compiled, integ, x, active, sample, whole))
    return parts


def _run_rk4_compiled(parts: list[_Columns], integ: _Integrator, x: np.ndarray, active: np.ndarray, t0: float,
                      dt: float, n_steps: int, observers: Sequence[Observer], sample: tuple | None,
                      counter: _Progress) -> np.ndarray:
    """RK4 of the model's compiled field (:func:`netdyn.engines.rk4.rk4_steps`): chunks of
    steps in one call per sub-batch (one thread each), recording inside the compiled loop
    where the observer allows it, else in segments between observed grid steps."""
    everys = [] if sample is not None else [obs.every for obs in observers]
    threshold = 0.0 if integ.threshold is None else float(integ.threshold)
    chunk = counter.every if counter.fn is not None else n_steps
    k = 0
    while k < n_steps:
        if sample is None:
            for obs, every in zip(observers, everys):
                if k % every == 0:
                    obs.observe(k, x)
        k_stop = min(n_steps, k + max(chunk, 1))
        for every in everys:
            k_stop = min(k_stop, (k // every + 1) * every)
        flagged = int(integ.runaway.sum()) + sum(int(p.runaway.sum()) for p in parts if not p.whole)
        bads = run_parallel(lambda tid: parts[tid].advance(integ, t0, k, k_stop - k, dt, threshold), len(parts))
        if len(parts) > 1 and (sample is None or max(bads) >= 0):
            for part in parts:  # observers in Python, or an error to report: the whole batch
                part.gather(x, active, integ, sample if sample is not None else _kernel_sampler(()))
        if max(bads) >= 0:
            bad = min(b for b in bads if b >= 0)
            row, col = _first_nonfinite([p for p, b in zip(parts, bads) if b == bad], x.shape)
            raise NumericalInstabilityError(step=bad, time_ms=(t0 + bad * dt) * integ.ms, trajectory=col, unit=row,
                                            value=float(x[row, col]))
        integ.n_rhs += 4 * (k_stop - k)
        now = int(integ.runaway.sum()) + sum(int(p.runaway.sum()) for p in parts if not p.whole)
        if now != flagged and len(parts) == 1:
            integ.active = active.copy()
        counter.add(k_stop - k)
        k = k_stop
    for part in parts:
        part.gather(x, active, integ, sample if sample is not None else _kernel_sampler(()))
    if len(parts) > 1 and integ.runaway.any():
        integ.active = active.copy()
    return x


def _run_rk4(integ: _Integrator, x: np.ndarray, t0: float, dt: float, n_steps: int,
             observers: Sequence[Observer], counter: _Progress, n_threads: int = 1) -> np.ndarray:
    if getattr(integ.model, "compiled_field", None) is not None:
        active = np.ones(x.shape[1]) if integ.active is None else np.array(integ.active)
        sample = _kernel_sampler(observers)
        parts = _split_columns(integ, x, t0 + n_steps * dt, active, sample if sample is not None else
                               _kernel_sampler(()), n_threads)
        if parts is not None:
            return _run_rk4_compiled(parts, integ, x, active, t0, dt, n_steps, observers, sample, counter)
    work = rk4_work(x)
    field = integ.f
    t_next = t0
    for k in range(n_steps):
        t = t_next  # = t0 + k dt, computed once so that the input cache hits
        t_next = t0 + (k + 1) * dt
        for obs in observers:
            if k % obs.every == 0:
                obs.observe(k, x)
        rk4_step(field, x, t, dt, t_next, work)
        integ.after_step(x, t_next, t)
        counter.add(1)
    return x


class StepSizeUnderflowError(NumericalInstabilityError):
    """dopri5 could not meet the tolerance with any step (``h`` fell below 1e-14 ``|t|``):
    a non-finite trial state, or a finite-time blow-up. ``unit``/``trajectory`` locate the
    largest scaled error (or the first non-finite value); ``value`` is the state there."""

    def __init__(self, step: int, time_ms: float, trajectory: int, unit: int, value: float):
        super().__init__(step=step, time_ms=time_ms, trajectory=trajectory, unit=unit, value=value)
        self.args = (
            f"dopri5 step size underflow at step {step} (t = {time_ms:g} ms) in trajectory {trajectory}, "
            f"unit {unit} (state {value}): the solution blows up or becomes non-finite there; check the "
            "model and the input, or use runaway_threshold",
        )


def _underflow(integ: "_Integrator", x_new: np.ndarray, scaled_err: np.ndarray, t: float, t0: float,
               dt: float) -> StepSizeUnderflowError:
    bad = np.argwhere(~np.isfinite(x_new))
    if bad.size:
        row, col = (int(v) for v in bad[0])
    else:
        e = np.abs(scaled_err)
        if integ.active is not None:
            e = e * integ.active
        row, col = (int(v) for v in np.unravel_index(int(np.nanargmax(e)), e.shape))
    k = int(math.floor((t - t0) / dt + 1e-9))
    return StepSizeUnderflowError(step=k, time_ms=t * integ.ms, trajectory=col, unit=row, value=float(x_new[row, col]))


def _rms_max(e: np.ndarray, scale: np.ndarray, active: np.ndarray | None) -> float:
    """max over trajectories of the RMS over rows of ``e / scale``."""
    r = e / scale
    norms = np.sqrt(np.mean(r * r, axis=0))
    if active is not None:
        norms = norms * active
    return float(norms.max()) if norms.size else 0.0


def _initial_step(integ: _Integrator, x: np.ndarray, t: float, f0: np.ndarray, h_max: float,
                  rtol: float, atol: float) -> float:
    """HNW93 II.4 starting step for a 5th-order method (one extra evaluation)."""
    scale = atol + rtol * np.abs(x)
    d0 = _rms_max(x, scale, integ.active)
    d1 = _rms_max(f0, scale, integ.active)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, h_max)
    x1 = x + h0 * f0
    f1 = integ.f(t + h0, x1, np.empty_like(x))
    d2 = _rms_max(f1 - f0, scale, integ.active) / h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    return min(100.0 * h0, h1, h_max)


def _run_dopri5(integ: _Integrator, x: np.ndarray, t0: float, t1: float, dt: float, n_steps: int,
                observers: Sequence[Observer], everys: list[int], counter: _Progress,
                rtol: float, atol: float, max_step: float | None,
                first_step: float | None) -> tuple[np.ndarray, int, int]:
    safety, fac_min, fac_max = 0.9, 0.2, 10.0
    beta = 0.04  # PI control (HNW93 II.4 / DOPRI5): fac = err^-(0.2 - 0.75 beta) * err_old^beta
    alpha = 0.2 - 0.75 * beta
    h_max = (t1 - t0) if max_step is None else float(max_step)
    dim, batch = x.shape
    K = np.empty((7, dim, batch))
    k_flat = K.reshape(7, dim * batch)
    tmp = np.empty_like(x)
    tmp_flat = tmp.reshape(-1)
    x_new = np.empty_like(x)
    f = integ.f
    n_acc = n_rej = 0
    if n_steps == 0:
        return x, 0, 0

    f(t0, x, K[0])
    h = float(first_step) if first_step is not None else _initial_step(integ, x, t0, K[0], min(h_max, t1 - t0), rtol, atol)
    h = min(h, h_max)
    err_old = 1e-4
    k_done = 0  # grid index of the current time
    t = t0
    span_tol = 1e-12 * max(1.0, abs(t0), abs(t1))
    while k_done < n_steps:
        for obs, every in zip(observers, everys):
            if k_done % every == 0:
                obs.observe(k_done, x)
        # next grid index at which someone records, or the end
        k_stop = n_steps
        for every in everys:
            k_stop = min(k_stop, (k_done // every + 1) * every)
        t_stop = t0 + k_stop * dt
        rejected_last = False
        while True:  # adaptive steps up to t_stop
            h_free = h
            landing = t + min(1.01 * h, h_max) >= t_stop - span_tol  # no sliver steps
            if landing:
                h = t_stop - t
            # stages 2..7: x + h sum_j a_sj K_j, one product per stage
            for s in range(1, 7):
                np.dot(_DP_A[s] * h, k_flat[:s], out=tmp_flat)
                tmp += x
                if s == 6:
                    x_new[...] = tmp
                f(t + _DP_C[s] * h, tmp, K[s])
            err_vec = np.dot(_DP_E * h, k_flat).reshape(dim, batch)
            scale = atol + rtol * np.maximum(np.abs(x), np.abs(x_new))
            err = _rms_max(err_vec, scale, integ.active)
            if not math.isfinite(err):
                err = math.inf
            if err <= 1.0:
                n_acc += 1
                t_new = t_stop if landing else t + h
                fac = safety * max(err, 1e-10) ** (-alpha) * err_old ** beta
                fac = min(fac_max, max(fac_min, fac))
                if rejected_last:
                    fac = min(fac, 1.0)
                h_next = h * fac
                if landing:
                    h_next = max(h_next, min(h_free, h_max))
                err_old = max(err, 1e-4)
                x, x_new = x_new, x
                froze = integ.after_step(x, t_new, t)
                # first-same-as-last: K[6] = f(x_new) is the next K[0], unless clipping or
                # freezing changed the state or the field
                if froze or (integ.clip is not None and not np.array_equal(x, tmp)):
                    f(t_new, x, K[0])
                else:
                    K[0] = K[6]
                t = t_new
                h = min(h_next, h_max)
                if landing:
                    break
                rejected_last = False
            else:
                n_rej += 1
                rejected_last = True
                fac = 0.2 if not math.isfinite(err) else max(fac_min, safety * err ** (-alpha))
                h = h * fac
                if h <= 1e-14 * max(1.0, abs(t)):
                    raise _underflow(integ, x_new, err_vec / scale, t, t0, dt)
        counter.add(k_stop - k_done)
        k_done = k_stop
        t = t0 + k_done * dt  # exact grid time (no drift)
    return x, n_acc, n_rej
