"""Observers of a batched simulation: sampled units, (downsampled) full state, and the
distance between twin trajectories.

An engine calls ``start`` once, then ``observe(step, state)`` for every step ``k`` with
``k % every == 0`` (with the state *before* that step's update, shape
``(n_units, n_batch)``), then ``result()``. Observers copy what they keep; memory is
``O(n_samples x what is recorded)``, never ``O(n_units x n_steps x n_batch)`` unless
:class:`FullState` is asked for.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np
import xarray as xr
from numba import njit

from netdyn.errors import ConfigError


@runtime_checkable
class Observer(Protocol):
    """What an engine needs of an observer."""

    name: str
    every: int

    def start(self, *, n_steps: int, n_units: int, n_batch: int, dt_ms: float, t0_ms: float, dtype: np.dtype) -> None: ...

    def observe(self, step: int, state: np.ndarray) -> None: ...

    def result(self) -> xr.DataArray: ...


class _Sampled:
    """Shared bookkeeping: sample times and the slot of each observed step."""

    def __init__(self, name: str, every: int):
        if int(every) != every or every < 1:
            raise ConfigError("every", every, "must be a positive integer number of steps")
        self.name = name
        self.every = int(every)

    def _start_times(self, n_steps: int, dt_ms: float, t0_ms: float) -> None:
        self.n_samples = -(-n_steps // self.every)
        self.time_ms = t0_ms + dt_ms * self.every * np.arange(self.n_samples)


class SampledUnits(_Sampled):
    """Record chosen units of chosen trajectories: ``(time, unit, trajectory)``.

    Parameters
    ----------
    units
        Unit indices to record.
    trajectories
        Batch columns to record (all when ``None``).
    every
        Record every ``every``-th step.
    """

    def __init__(self, units: Sequence[int], trajectories: Sequence[int] | None = None, every: int = 1, name: str = "sampled_units"):
        super().__init__(name, every)
        self.units = np.asarray(units, dtype=np.intp)
        self.trajectories = None if trajectories is None else np.asarray(trajectories, dtype=np.intp)

    def start(self, *, n_steps, n_units, n_batch, dt_ms, t0_ms, dtype):
        if self.units.size and (self.units.min() < 0 or self.units.max() >= n_units):
            raise ConfigError("units", self.units.tolist(), f"unit indices must lie in [0, {n_units})")
        cols = np.arange(n_batch) if self.trajectories is None else self.trajectories
        if cols.size and (cols.min() < 0 or cols.max() >= n_batch):
            raise ConfigError("trajectories", cols.tolist(), f"must lie in [0, {n_batch})")
        self._cols = cols
        self._start_times(n_steps, dt_ms, t0_ms)
        self.data = np.empty((self.n_samples, self.units.size, cols.size), dtype=dtype)
        self._index = np.ix_(self.units, cols)

    def kernel_view(self) -> tuple[str, np.ndarray, np.ndarray, int, np.ndarray]:
        """What a compiled step loop needs to record for this observer (after ``start``):
        ``("sample", rows, cols, every, data)``."""
        return "sample", self.units.astype(np.int64), self._cols.astype(np.int64), self.every, self.data

    def observe(self, step, state):
        self.data[step // self.every] = state[self._index]

    def result(self) -> xr.DataArray:
        return xr.DataArray(
            self.data,
            dims=("time", "unit", "trajectory"),
            coords={"time": ("time", self.time_ms, {"units": "ms"}), "unit": self.units, "trajectory": self._cols},
            name=self.name,
        )


class FullState(SampledUnits):
    """Record every unit of every trajectory, every ``every``-th step (downsampled state).

    Memory: ``ceil(n_steps / every) x n_units x n_batch`` values; ask for it knowingly.
    """

    def __init__(self, every: int = 1, name: str = "state"):
        _Sampled.__init__(self, name, every)
        self.trajectories = None

    def start(self, *, n_steps, n_units, n_batch, dt_ms, t0_ms, dtype):
        self.units = np.arange(n_units)
        super().start(n_steps=n_steps, n_units=n_units, n_batch=n_batch, dt_ms=dt_ms, t0_ms=t0_ms, dtype=dtype)

    def observe(self, step, state):
        self.data[step // self.every] = state


@njit(cache=True, nogil=True)
def _pair_distances(state, col_a, col_b, out):  # pragma: no cover - compiled
    n = state.shape[0]
    n_pairs = col_a.size
    for p in range(n_pairs):
        out[p] = 0.0
    for i in range(n):  # row-major: each row of the state is read once, contiguously
        for p in range(n_pairs):
            d = state[i, col_b[p]] - state[i, col_a[p]]
            out[p] += d * d
    for p in range(n_pairs):
        out[p] = np.sqrt(out[p])


@njit(cache=True, nogil=True, error_model="numpy")
def _block_distances(state, a0, b0, out):  # pragma: no cover - compiled
    """Pairs ``(a0 + p, b0 + p)``: contiguous slices of every row. The accumulator is a
    fresh array so that LLVM knows it does not alias ``state`` and vectorises."""
    n = state.shape[0]
    n_pairs = out.size
    acc = np.zeros(n_pairs)
    for i in range(n):
        for p in range(n_pairs):
            d = state[i, b0 + p] - state[i, a0 + p]
            acc[p] += d * d
    for p in range(n_pairs):
        out[p] = np.sqrt(acc[p])


class TwinDivergence(_Sampled):
    r"""Euclidean distance between paired trajectories, :math:`d(t) = \|r_b(t) - r_a(t)\|_2`.

    Parameters
    ----------
    col_a, col_b
        Batch columns of the reference and twin trajectory of each pair.
    every
        Record every ``every``-th step.

    Result: ``(time, pair)``, always float64.
    """

    def __init__(self, col_a: Sequence[int], col_b: Sequence[int], every: int = 1, name: str = "divergence"):
        super().__init__(name, every)
        self.col_a = np.asarray(col_a, dtype=np.int64)
        self.col_b = np.asarray(col_b, dtype=np.int64)
        if self.col_a.shape != self.col_b.shape or self.col_a.ndim != 1:
            raise ConfigError("col_b", self.col_b.tolist(), "must pair one-to-one with col_a")

    def start(self, *, n_steps, n_units, n_batch, dt_ms, t0_ms, dtype):
        both = np.concatenate([self.col_a, self.col_b])
        if both.size and (both.min() < 0 or both.max() >= n_batch):
            raise ConfigError("col_a/col_b", both.tolist(), f"must lie in [0, {n_batch})")
        self._start_times(n_steps, dt_ms, t0_ms)
        self.data = np.empty((self.n_samples, self.col_a.size), dtype=np.float64)
        m = self.col_a.size
        self._blocks = m > 0 and all(
            np.array_equal(c, c[0] + np.arange(m)) for c in (self.col_a, self.col_b)
        )

    def fused_block(self) -> tuple[int, int, int] | None:
        """``(a0, b0, n_pairs)`` when the pairs are ``(a0 + p, b0 + p)``: an engine may then
        compute the distances inside its step kernel and hand them to
        ``record_distances`` instead of calling ``observe``."""
        if not self._blocks:
            return None
        return int(self.col_a[0]), int(self.col_b[0]), int(self.col_a.size)

    def kernel_view(self) -> tuple[str, int, int, int, np.ndarray] | None:
        """``("pairs", a0, b0, every, data)`` for a compiled step loop, or None when the
        pairs are not two contiguous blocks (after ``start``)."""
        block = self.fused_block()
        if block is None:
            return None
        return "pairs", block[0], block[1], self.every, self.data

    def record_distances(self, step: int, distances: np.ndarray) -> None:
        """Store distances computed by the engine for the state of ``step``."""
        self.data[step // self.every] = distances

    def observe(self, step, state):
        out = self.data[step // self.every]
        if self._blocks:
            _block_distances(state, self.col_a[0], self.col_b[0], out)
        else:
            _pair_distances(state, self.col_a, self.col_b, out)

    def result(self) -> xr.DataArray:
        return xr.DataArray(
            self.data,
            dims=("time", "pair"),
            coords={"time": ("time", self.time_ms, {"units": "ms"}), "pair": np.arange(self.col_a.size)},
            name=self.name,
        )
