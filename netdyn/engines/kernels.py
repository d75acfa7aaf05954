"""numba kernels of the rate engine (single-threaded, nogil; parallelism is across processes).

Each kernel computes every output element ``(i, b)`` with the same sequence of operations
whatever the batch width, so a batched run equals separate runs bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, fastmath=False)
def csr_gain_matmul(indptr, indices, data, state, gain, out):  # pragma: no cover - compiled
    """``out[i, b] = gain[b] * sum_k data[k] * state[indices[k], b]`` over row ``i`` of a CSR.

    ``state`` and ``out`` are ``(n, batch)`` C-contiguous. The sum runs over the row's
    entries in stored order with one accumulator per column (SIMD across the batch); four
    entries are taken per pass over the accumulator, which keeps the left-to-right order of
    the additions and so the result, and quarters the accumulator's loads and stores.
    """
    n, batch = state.shape
    acc = np.empty(batch, dtype=out.dtype)
    for i in range(n):
        for b in range(batch):
            acc[b] = 0.0
        k = indptr[i]
        end = indptr[i + 1]
        while k + 3 < end:
            j1, j2, j3, j4 = indices[k], indices[k + 1], indices[k + 2], indices[k + 3]
            w1, w2, w3, w4 = data[k], data[k + 1], data[k + 2], data[k + 3]
            for b in range(batch):
                acc[b] = (((acc[b] + w1 * state[j1, b]) + w2 * state[j2, b]) + w3 * state[j3, b]) + w4 * state[j4, b]
            k += 4
        while k < end:
            j1 = indices[k]
            w1 = data[k]
            for b in range(batch):
                acc[b] += w1 * state[j1, b]
            k += 1
        for b in range(batch):
            out[i, b] = gain[b] * acc[b]


@njit(cache=True, nogil=True, fastmath=False)
def relax_towards(state, target, rate):  # pragma: no cover - compiled
    """In place ``state += rate * (target - state)``; flat index of the first non-finite
    result, or -1.

    Forward Euler of ``tau dr/dt = -r + f`` is ``rate = dt/tau``; exponential Euler (exact for
    ``f`` frozen over the step) is ``rate = 1 - exp(-dt/tau)``.
    """
    n, batch = state.shape
    bad = 0
    for i in range(n):
        for b in range(batch):
            v = state[i, b] + rate * (target[i, b] - state[i, b])
            state[i, b] = v
            bad |= not np.isfinite(v)
    if bad:
        for i in range(n):
            for b in range(batch):
                if not np.isfinite(state[i, b]):
                    return i * batch + b
    return -1


@njit(cache=True, nogil=True)
def first_nonfinite(state):  # pragma: no cover - compiled
    """Flat index of the first non-finite element of a 2-D array, or -1."""
    n, batch = state.shape
    bad = 0
    for i in range(n):
        for b in range(batch):
            bad |= not np.isfinite(state[i, b])
    if bad:
        for i in range(n):
            for b in range(batch):
                if not np.isfinite(state[i, b]):
                    return i * batch + b
    return -1
