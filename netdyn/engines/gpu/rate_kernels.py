"""CUDA kernels of the GPU rate engine (:mod:`netdyn.engines.gpu.rate`, which documents them).

A module of its own, imported only once a GPU run is asked for: it imports numba's CUDA target,
and numba's CUDA simulator swaps the module-level name ``cuda`` for its own when it runs them.
"""

import math

import numpy as np
from numba import cuda

from netdyn.engines.gpu.device import BLOCK
from netdyn.models.nonlinearity import PHI_LOGISTIC, PHI_RELU, PHI_TANH

NONE = np.iinfo(np.int64).max  # no non-finite value found
# status slots 0 and 1: the first non-finite element of an even and of an odd step. A step's slot
# is read after the step's barrier; faster threads may by then run the next step, which writes
# the other slot. DONE: steps done by a persistent launch; FAILED: the step that made the value.
DONE, FAILED = 2, 3


@cuda.jit(device=True, inline=True)
def phi(code, x):
    """The built-in transfer function ``code`` (:data:`netdyn.models.nonlinearity.PHI_CODES`)."""
    if code == PHI_TANH:
        return math.tanh(x)
    if code == PHI_RELU:
        return x if x > 0 else x * 0
    if code == PHI_LOGISTIC:
        return 0.5 * (1.0 + math.tanh(0.5 * x))
    return x


@cuda.jit(device=True)
def record(cur, k, samp_rows, samp_cols, samp_every, samp_data, pair_a0, pair_b0, pair_every, pair_data, partial):
    """Record the state ``cur`` of step ``k`` (before its update); every thread calls it.

    Samples: grid-stride over (unit, trajectory). Twin distances: one block per pair, its
    threads summing strided units, then a tree in shared memory (``partial``): a fixed order."""
    n = cur.shape[0]
    t = cuda.threadIdx.x
    if samp_rows.size > 0 and k % samp_every == 0:
        n_samp = samp_rows.size * samp_cols.size
        for e in range(cuda.grid(1), n_samp, cuda.gridsize(1)):
            r = e // samp_cols.size
            c = e - r * samp_cols.size
            samp_data[k // samp_every, r, c] = cur[samp_rows[r], samp_cols[c]]
    n_pairs = pair_data.shape[1]
    if n_pairs > 0 and k % pair_every == 0:
        for p in range(cuda.blockIdx.x, n_pairs, cuda.gridDim.x):
            acc = 0.0
            for i in range(t, n, BLOCK):
                d = cur[i, pair_b0 + p] - cur[i, pair_a0 + p]
                acc += d * d
            partial[t] = acc
            cuda.syncthreads()
            half = BLOCK // 2
            while half > 0:
                if t < half:
                    partial[t] += partial[t + half]
                cuda.syncthreads()
                half //= 2
            if t == 0:
                pair_data[k // pair_every, p] = math.sqrt(partial[0])
            cuda.syncthreads()


@cuda.jit(device=True)
def advance(indptr, indices, data, cur, nxt, gain, inp, rate, code, status, k):
    """``nxt`` from ``cur`` (step ``k``), one (unit, trajectory) per thread, grid-stride, each row's
    products summed in stored order; a non-finite result's flat index goes to ``status[k % 2]``
    (atomic minimum: the first in row-major order), ``k`` to ``status[FAILED]``."""
    n, batch = cur.shape
    for e in range(cuda.grid(1), n * batch, cuda.gridsize(1)):
        i = e // batch
        b = e - i * batch
        acc = cur[0, 0] * 0
        for q in range(indptr[i], indptr[i + 1]):
            acc += data[q] * cur[indices[q], b]
        x = gain[b] * acc + inp[i]
        v = cur[i, b] + rate * (phi(code, x) - cur[i, b])
        nxt[i, b] = v
        if not math.isfinite(v):
            cuda.atomic.min(status, k % 2, e)
            status[FAILED] = k


@cuda.jit
def relax_persistent(indptr, indices, data, a, b, gain, inp, rate, code, k0, n_steps, samp_rows, samp_cols,
                     samp_every, samp_data, pair_a0, pair_b0, pair_every, pair_data, status):
    """Steps ``k0 .. k0 + n_steps - 1`` in one cooperative launch, one grid barrier a step (``a``
    holds the state, ``b`` the next; they alternate); ``status[DONE]``: steps done."""
    grid = cuda.cg.this_grid()
    partial = cuda.shared.array(BLOCK, np.float64)
    for s in range(n_steps):
        cur = a if s % 2 == 0 else b
        nxt = b if s % 2 == 0 else a
        record(cur, k0 + s, samp_rows, samp_cols, samp_every, samp_data, pair_a0, pair_b0, pair_every, pair_data,
               partial)
        advance(indptr, indices, data, cur, nxt, gain, inp, rate, code, status, k0 + s)
        grid.sync()
        if status[(k0 + s) % 2] != NONE:
            if cuda.grid(1) == 0:
                status[DONE] = s
            return
    if cuda.grid(1) == 0:
        status[DONE] = n_steps


@cuda.jit
def relax_one(indptr, indices, data, cur, nxt, gain, inp, rate, code, k, samp_rows, samp_cols, samp_every,
              samp_data, pair_a0, pair_b0, pair_every, pair_data, status):
    """Step ``k`` (launch mode ``per_step``); does nothing after a failed step."""
    if status[FAILED] < k:
        return
    partial = cuda.shared.array(BLOCK, np.float64)
    record(cur, k, samp_rows, samp_cols, samp_every, samp_data, pair_a0, pair_b0, pair_every, pair_data, partial)
    advance(indptr, indices, data, cur, nxt, gain, inp, rate, code, status, k)
