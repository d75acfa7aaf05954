r"""Batched integrator of rate networks: tau dr/dt = -r + phi(g W r + I(t)).

The state of a batch of ``B`` independent trajectories is one ``(n_units, B)`` array, one
column per trajectory; the weights are shared and the gain ``g`` is per column, so one sparse
(or dense, BLAS-3) product advances the whole batch by one step. Time in ms.

Two backends implement the same arithmetic: ``"numba"`` (for the built-in transfer functions
one compiled kernel per step fuses the CSR product, phi, the update and the finite check; its
vectorised tanh is within 3 ulp of numpy's) and ``"numpy"`` (scipy/numpy reference, any
callable phi). A third, ``"gpu"``, runs the numba back-end's fused step as CUDA kernels
(:mod:`netdyn.engines.gpu.rate`). Observers
(:mod:`netdyn.record`) reduce the state while simulating; nothing else is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import numpy as np

from netdyn.engines import kernels
from netdyn.engines.batch_split import SubBatch, split_batch
from netdyn.engines.rk4 import rk4_step, rk4_work
from netdyn.engines.threads import check_threads, run_parallel
from netdyn.errors import ConfigError, NumericalInstabilityError
from netdyn.timegrid import grid_steps
from netdyn.models.nonlinearity import kernel_code
from netdyn.models.rate import RateNetwork
from netdyn.record.observers import Observer

Method = Literal["euler", "rk4", "exp_euler"]
Backend = Literal["numba", "numpy", "gpu"]
INTEGRATORS: tuple[str, ...] = ("euler", "rk4", "exp_euler")
BACKENDS: tuple[str, ...] = ("numba", "numpy", "gpu")


@dataclass
class RateResult:
    """Outcome of :func:`integrate`.

    Attributes
    ----------
    state
        ``(n_units, batch)`` state at ``t_end_ms`` (continue from it with ``t0_ms=t_end_ms``).
    t_end_ms
        Time of ``state`` in ms.
    n_steps
        Steps taken.
    records
        Observer results by observer name (what each observer's ``result()`` returned).
    """

    state: np.ndarray
    t_end_ms: float
    n_steps: int
    records: dict[str, Any] = field(default_factory=dict)


def n_steps_for(duration_ms: float, dt_ms: float) -> int:
    """Number of steps of ``dt_ms`` in ``duration_ms``; error unless it divides evenly."""
    if not (np.isfinite(dt_ms) and dt_ms > 0):
        raise ConfigError("dt_ms", dt_ms, "must be a finite number > 0")
    if not (np.isfinite(duration_ms) and duration_ms >= 0):
        raise ConfigError("duration_ms", duration_ms, "must be a finite number >= 0")
    return grid_steps(duration_ms, dt_ms, field="duration_ms", step_name="dt_ms")


def relax_rate(method: str, dt_ms: float, tau_ms: float, dtype: np.dtype) -> Any:
    """The factor ``a`` of :math:`r' = r + a(\\phi(x) - r)`: ``dt/tau`` (Euler) or
    ``1 - exp(-dt/tau)`` (exponential Euler), in ``dtype``."""
    return dtype.type(dt_ms / tau_ms if method == "euler" else -math.expm1(-dt_ms / tau_ms))


class _Drive:
    """Computes ``x = g * (W @ r) + I(t)`` into a preallocated buffer."""

    def __init__(self, network: RateNetwork, gain: np.ndarray, dtype: np.dtype, backend: str):
        self.network = network
        self.gain = gain
        self.backend = backend
        self.dtype = dtype
        w = network.weights
        if network.is_sparse:
            self.indptr = w.indptr.astype(np.int32, copy=False)
            self.indices = w.indices.astype(np.int32, copy=False)
            self.data = w.data.astype(dtype, copy=False)
            self.w = w.astype(dtype, copy=False)
        else:
            self.w = np.ascontiguousarray(w, dtype=dtype)
        self.zero_input = np.zeros(network.n_units, dtype=dtype)

    def product(self, state: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out = W @ state`` (no gain, no input); dense weights only."""
        return np.matmul(self.w, state, out=out)

    def __call__(self, state: np.ndarray, t_ms: float, out: np.ndarray) -> np.ndarray:
        if self.network.is_sparse and self.backend == "numba":
            kernels.csr_gain_matmul(self.indptr, self.indices, self.data, state, self.gain, out)
        else:
            if self.network.is_sparse:
                out[...] = self.w @ state
            else:
                np.matmul(self.w, state, out=out)
            out *= self.gain
        inp = self.network.input_at(t_ms)
        if inp is not None:
            out += inp[:, None] if inp.ndim == 1 else inp
        return out

    def input_vector(self, t_ms: float) -> np.ndarray | None:
        """The ``(n,)`` input at ``t_ms`` for the fused kernels, or None if it is per column."""
        inp = self.network.input_at(t_ms)
        if inp is None:
            return self.zero_input
        if inp.ndim == 1:
            return np.ascontiguousarray(inp, dtype=self.dtype)
        return None


def _check_finite(state: np.ndarray, backend: str) -> int:
    if backend == "numba":
        return int(kernels.first_nonfinite(state))
    bad = np.flatnonzero(~np.isfinite(state))
    return int(bad[0]) if bad.size else -1


_NO_PAIRS = np.zeros(0)


class _FusedPairs:
    """Twin distances that the fused kernel computes for an observer with
    ``fused_block() -> (a0, b0, n_pairs)`` (pairs ``(a0 + p, b0 + p)``), every step."""

    def __init__(self, observer: Observer, a0: int, b0: int, n_pairs: int):
        self.observer = observer
        self.a0, self.b0 = int(a0), int(b0)
        self.sq = np.zeros(n_pairs)
        self.filled = False

    @classmethod
    def pick(cls, observers: Sequence[Observer], stepper: "_Stepper") -> "_FusedPairs | None":
        if stepper.code is None:
            return None
        for obs in observers:
            block = getattr(obs, "fused_block", lambda: None)()
            if block is not None and obs.every == 1:
                return cls(obs, *block)
        return None


class _Stepper:
    """Advances the batch by one step of one method; ``step`` returns (new state, bad index).

    The numba back-end fuses product, transfer function, update and finite check in one
    kernel for the built-in transfer functions (Euler and exponential Euler), writing into a
    second buffer (the product needs the whole old state); everything else goes through
    ``rhs`` with numpy.
    """

    def __init__(self, network: RateNetwork, gain: np.ndarray, dtype: np.dtype, method: str,
                 backend: str, dt_ms: float, state: np.ndarray):
        self.drive = _Drive(network, gain, dtype, backend)
        self.phi = network.phi.apply_inplace
        self.tau = float(network.tau_ms)
        self.method = method
        self.backend = backend
        self.dt = dt_ms
        self.dtype = dtype
        self.gain = gain
        self.rate = relax_rate(method, dt_ms, self.tau, dtype)
        code = kernel_code(network.phi)
        self.code = code if (backend == "numba" and method != "rk4") else None
        self.buf = np.empty_like(state)
        self.spare = np.empty_like(state)
        if method == "rk4":
            self.work = rk4_work(state)

    def rhs(self, r: np.ndarray, t_ms: float, out: np.ndarray) -> np.ndarray:
        """out = (phi(x(r, t)) - r) / tau"""
        self.phi(self.drive(r, t_ms, out))
        out -= r
        out /= self.tau
        return out

    def step(self, state: np.ndarray, t_ms: float, pairs: _FusedPairs | None = None) -> tuple[np.ndarray, int]:
        """Advance one step; with ``pairs``, also fill ``pairs.sq`` for the new state (and
        set ``pairs.filled``) when the fused kernel ran."""
        if pairs is not None:
            pairs.filled = False
        if self.code is not None:
            inp = self.drive.input_vector(t_ms)
            if inp is not None:
                return self._fused(state, inp, pairs)
        if self.method == "rk4":
            return state, self._rk4(state, t_ms)
        self.phi(self.drive(state, t_ms, self.buf))
        if self.backend == "numba":
            return state, int(kernels.relax_towards(state, self.buf, self.rate))
        self.buf -= state
        self.buf *= self.rate
        state += self.buf
        return state, _check_finite(state, self.backend)

    def _fused(self, state: np.ndarray, inp: np.ndarray, pairs: _FusedPairs | None) -> tuple[np.ndarray, int]:
        out = self.spare
        d = self.drive
        a0, b0, sq = (pairs.a0, pairs.b0, pairs.sq) if pairs is not None else (0, 0, _NO_PAIRS)
        sq[:] = 0.0
        if self.drive.network.is_sparse:
            bad = kernels.csr_relax_step(d.indptr, d.indices, d.data, state, self.gain, inp, self.rate, self.code,
                                         out, a0, b0, sq)
        else:
            bad = kernels.dense_relax_step(d.product(state, self.buf), state, self.gain, inp, self.rate, self.code,
                                           out, a0, b0, sq)
        if pairs is not None:
            pairs.filled = True
        self.spare = state
        return out, int(bad)

    def _rk4(self, state: np.ndarray, t: float) -> int:
        rk4_step(lambda t_ms, r, out: self.rhs(r, t_ms, out), state, t, self.dt, t + self.dt, self.work)
        return _check_finite(state, self.backend)


def _instability(unit: int, col: int, value: float, step: int, time_ms: float) -> NumericalInstabilityError:
    return NumericalInstabilityError(step=step, time_ms=time_ms, trajectory=col, unit=unit, value=value)


class _StepLoop:
    """A Python loop over steps: any observer, input and method."""

    def __init__(self, stepper: _Stepper, observers: Sequence[Observer]):
        self.stepper = stepper
        self.pairs = _FusedPairs.pick(observers, stepper)
        self.due = [(o, o.every) for o in observers if self.pairs is None or o is not self.pairs.observer]

    def run(self, state, n_steps, t0_ms, dt_ms, progress, progress_every):
        pairs = self.pairs
        for k in range(n_steps):
            t = t0_ms + k * dt_ms
            for obs, every in self.due:
                if k % every == 0:
                    obs.observe(k, state)
            if pairs is not None:
                if pairs.filled:  # distances of this state, computed by the previous step
                    pairs.observer.record_distances(k, np.sqrt(pairs.sq))
                else:
                    pairs.observer.observe(k, state)
            state, bad = self.stepper.step(state, t, pairs)
            if bad >= 0:
                unit, col = divmod(bad, state.shape[1])
                raise _instability(unit, col, float(state.flat[bad]), k, t)
            if progress is not None and ((k + 1) % progress_every == 0 or k + 1 == n_steps):
                progress((k % progress_every) + 1)
        return state


class _Part:
    """One sub-batch of the compiled loop (:func:`netdyn.engines.batch_split.split_batch`):
    its state, spare buffer, gains and recorders. The only part of a one-thread run works
    on the batch's arrays and the observers' own records; the parts of a split run on copies,
    gathered by :meth:`_CompiledLoop.run` at the end."""

    def __init__(self, sub: SubBatch, state: np.ndarray, stepper: "_Stepper", sample: tuple, pairs: tuple,
                 whole: bool):
        self.sub = sub
        self.whole = whole
        self.state = state if whole else np.ascontiguousarray(state[:, sub.cols])
        self.spare = stepper.spare if whole else np.empty_like(self.state)
        self.gain = stepper.gain if whole else np.ascontiguousarray(stepper.gain[sub.cols])
        rows, cols, every, data = sample
        if whole:
            self.sample, self.sample_which = sample, None
        else:
            which, where = sub.local(cols)
            rows = rows if where.size else rows[:0]
            self.sample = (rows, where, every, np.empty(data.shape[:2] + (where.size,), dtype=data.dtype))
            self.sample_which = which
        a0, b0, p_every, p_data = pairs
        if whole:
            self.pairs = pairs
        else:
            self.pairs = (sub.pair_a0, sub.pair_b0, p_every, np.empty((p_data.shape[0], sub.n_pairs)))

    def advance(self, stepper: "_Stepper", inp: np.ndarray, k0: int, n_steps: int) -> tuple[int, int]:
        """Steps ``k0 .. k0 + n_steps - 1`` of this part (compiled, without the GIL);
        ``(steps done, flat index of the first non-finite value in self.state or -1)``."""
        d = stepper.drive
        done, bad, in_spare = kernels.csr_relax_run(
            d.indptr, d.indices, d.data, self.state, self.spare, self.gain, inp, stepper.rate, stepper.code, k0,
            n_steps, *self.sample, *self.pairs,
        )
        if in_spare:
            self.state, self.spare = self.spare, self.state
        return int(done), int(bad)

    def gather(self, state: np.ndarray, sample: tuple, pairs: tuple) -> None:
        """Copy this part's columns and records into the batch's state and the observers'
        records (a split run only)."""
        if self.whole:
            return
        state[:, self.sub.cols] = self.state
        if self.sample_which is not None and self.sample_which.size:
            sample[3][:, :, self.sample_which] = self.sample[3]
        first, n = self.sub.first_pair, self.sub.n_pairs
        if n:
            pairs[3][:, first : first + n] = self.pairs[3]


class _CompiledLoop:
    """Chunks of steps in one compiled kernel (:func:`kernels.csr_relax_run`): CSR weights,
    a built-in transfer function, Euler or exponential Euler, constant input, and observers
    that offer a ``kernel_view`` (at most one sampler and one twin-distance recorder).

    With ``n_threads > 1`` the batch is split into sub-batches (twin pairs kept together),
    each integrated by its own thread through every chunk; the columns' numbers are those
    of a one-thread run, bit for bit (see :mod:`netdyn.engines.batch_split`).
    """

    def __init__(self, stepper: _Stepper, inp: np.ndarray, sample: tuple, pairs: tuple, n_threads: int = 1):
        self.stepper = stepper
        self.inp = inp
        self.sample = sample
        self.pairs = pairs
        self.n_threads = n_threads

    @classmethod
    def plan(cls, network: RateNetwork, stepper: _Stepper, observers: Sequence[Observer],
             n_threads: int = 1) -> "_CompiledLoop | None":
        if stepper.code is None or not network.is_sparse or callable(network.external_input):
            return None
        views: dict[str, tuple] = {}
        for obs in observers:
            view = getattr(obs, "kernel_view", lambda: None)()
            if view is None or view[0] in views:
                return None
            views[view[0]] = view[1:]
        empty = np.zeros(0, dtype=np.int64)
        sample = views.get("sample", (empty, empty, 1, np.zeros((0, 0, 0), dtype=stepper.dtype)))
        pairs = views.get("pairs", (0, 0, 1, np.zeros((0, 0))))
        return cls(stepper, stepper.drive.input_vector(0.0), sample, pairs, n_threads)

    def _parts(self, state: np.ndarray) -> list[_Part]:
        a0, b0, _, p_data = self.pairs
        subs = split_batch(state.shape[1], self.n_threads, (a0, b0, p_data.shape[1]))
        whole = len(subs) == 1
        return [_Part(sub, state, self.stepper, self.sample, self.pairs, whole) for sub in subs]

    def run(self, state, n_steps, t0_ms, dt_ms, progress, progress_every):
        parts = self._parts(state)
        batch = state.shape[1]
        k = 0
        while k < n_steps:
            m = min(progress_every, n_steps - k)
            results = run_parallel(lambda tid: parts[tid].advance(self.stepper, self.inp, k, m), len(parts))
            failures = [_failure(part, done, bad, batch) for part, (done, bad) in zip(parts, results) if bad >= 0]
            if failures:
                done, flat, value = min(failures)
                unit, col = divmod(flat, batch)
                raise _instability(unit, col, value, k + done, t0_ms + (k + done) * dt_ms)
            k += m
            if progress is not None:
                progress(m)
        if len(parts) == 1:
            self.stepper.spare = parts[0].spare
            return parts[0].state
        for part in parts:
            part.gather(state, self.sample, self.pairs)
        return state


def _failure(part: _Part, done: int, bad: int, batch: int) -> tuple[int, int, float]:
    """``(step in the chunk, flat index in the batch, value)`` of a part's first non-finite value."""
    unit, local = divmod(bad, part.sub.width)
    return done, unit * batch + int(part.sub.cols[local]), float(part.state.flat[bad])


def integrate(
    network: RateNetwork,
    r0: np.ndarray,
    *,
    duration_ms: float,
    dt_ms: float = 1.0,
    gain: float | Sequence[float] | np.ndarray = 1.0,
    method: Method = "euler",
    dtype: np.dtype | type | str = np.float64,
    observers: Sequence[Observer] = (),
    backend: Backend = "numba",
    t0_ms: float = 0.0,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 100,
    threads: int = 1,
) -> RateResult:
    r"""Integrate a batch of trajectories of ``network`` for ``duration_ms``.

    Parameters
    ----------
    network
        The :class:`~netdyn.models.rate.RateNetwork`.
    r0
        Initial states, ``(n_units, batch)`` (one column per trajectory) or ``(n_units,)``.
        Not modified.
    duration_ms, dt_ms
        Simulated time and step in ms; ``duration_ms`` must be a multiple of ``dt_ms``.
    gain
        Scalar, or ``(batch,)``: trajectory ``b`` obeys ``phi(gain[b] W r + I)``.
    method
        ``"euler"``: forward Euler, :math:`r_{k+1} = r_k + \frac{dt}{\tau}(\phi(x_k) - r_k)`
        (the chaos seed's scheme); ``"exp_euler"``: exponential Euler,
        :math:`r_{k+1} = r_k + (1 - e^{-dt/\tau})(\phi(x_k) - r_k)`; ``"rk4"``: classical
        Runge-Kutta with the input sampled at ``t``, ``t + dt/2``, ``t + dt``.
    dtype
        ``float64`` (default) or ``float32``.
    observers
        :class:`~netdyn.record.observers.Observer` objects; observer ``o`` sees the state
        *before* the update of every step ``k`` with ``k % o.every == 0`` (time
        ``t0_ms + k dt_ms``), ``k = 0 .. n_steps - 1``, as in the seed.
    backend
        ``"numba"`` (fast), ``"numpy"`` (reference) or ``"gpu"`` (CUDA, :doc:`/gpu`: Euler or
        exponential Euler, a built-in transfer function, constant input, observers with a
        ``kernel_view``; a :class:`~netdyn.errors.ConfigError` naming ``backend`` otherwise, or
        when no GPU is there).
    t0_ms
        Time of ``r0``; lets a run continue where an earlier one stopped.
    progress
        Called with the number of steps done since the last call, every ``progress_every``
        steps and at the end.
    threads
        Threads of this one run (>= 1): the batch is split into that many sub-batches
        of independent trajectories (twin pairs kept together), each integrated by its own
        thread without the GIL. Every number is the same, bit for bit, for any number of
        threads. Used by the compiled loop (numba back-end, CSR weights, built-in transfer
        function, Euler or exponential Euler, constant input, observers with a
        ``kernel_view``); other runs use one thread.

    Returns
    -------
    RateResult

    Raises
    ------
    NumericalInstabilityError
        When a state becomes NaN or infinite: names the step, the time, the trajectory and
        the unit.
    """
    if method not in INTEGRATORS:
        raise ConfigError("method", method, f"unknown integrator; expected one of {list(INTEGRATORS)}")
    if backend not in BACKENDS:
        raise ConfigError("backend", backend, f"expected one of {list(BACKENDS)}")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ConfigError("dtype", str(dtype), "expected float64 or float32")
    n_steps = n_steps_for(duration_ms, dt_ms)
    n_threads = check_threads(threads)

    r0 = np.asarray(r0)
    single = r0.ndim == 1
    state = np.array(r0[:, None] if single else r0, dtype=dtype, order="C", copy=True)
    if state.ndim != 2 or state.shape[0] != network.n_units:
        raise ConfigError("r0", r0.shape, f"must be ({network.n_units},) or ({network.n_units}, batch)")
    n_units, batch = state.shape
    try:
        g = np.ascontiguousarray(np.broadcast_to(np.asarray(gain, dtype=dtype), (batch,)))
    except ValueError:
        raise ConfigError("gain", np.shape(gain), f"must be a scalar or have shape ({batch},)") from None
    if not np.all(np.isfinite(g)):
        raise ConfigError("gain", gain, "must be finite")

    if backend == "gpu":
        from netdyn.engines.gpu.device import cuda_or_error
        from netdyn.engines.gpu.rate import check_supported, integrate_gpu

        check_supported(network, method, [])
        cuda_or_error()
    else:
        stepper = _Stepper(network, g, dtype, method, backend, dt_ms, state)
    for obs in observers:
        obs.start(n_steps=n_steps, n_units=n_units, n_batch=batch, dt_ms=dt_ms, t0_ms=t0_ms, dtype=dtype)
    # overflow and invalid values are caught and reported with where and when
    with np.errstate(over="ignore", invalid="ignore"):
        if backend == "gpu":
            state = integrate_gpu(network, state, g, relax_rate(method, dt_ms, float(network.tau_ms), dtype),
                                  check_supported(network, method, list(observers)), list(observers), n_steps,
                                  t0_ms, dt_ms, progress, max(1, int(progress_every)))
        else:
            runner = _CompiledLoop.plan(network, stepper, observers, n_threads) or _StepLoop(stepper, observers)
            state = runner.run(state, n_steps, t0_ms, dt_ms, progress, max(1, int(progress_every)))

    records = {obs.name: obs.result() for obs in observers}
    final = state[:, 0].copy() if single else state
    return RateResult(state=final, t_end_ms=t0_ms + n_steps * dt_ms, n_steps=n_steps, records=records)
