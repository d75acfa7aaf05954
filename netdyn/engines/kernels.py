"""numba kernels of the rate engine (single-threaded, nogil; parallelism is across processes).

Each kernel computes every output element ``(i, b)`` with the same sequence of operations
whatever the batch width, so a batched run equals separate runs bit for bit.

``error_model="numpy"`` drops Python's ZeroDivisionError checks: they are early exits that
stop LLVM from vectorising the loops (a 8x difference for :func:`tanh`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from netdyn.fastmath import tanh, tanh_native
from netdyn.models.nonlinearity import PHI_LOGISTIC, PHI_RELU, PHI_TANH

@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _csr_row(indptr, indices, data, state, i, acc):  # pragma: no cover - compiled
    """``acc[b] = sum_k data[k] state[indices[k], b]`` over row ``i`` in stored order.

    Four entries per pass over the accumulator keep the left-to-right order of the
    additions (and so the result) and quarter the accumulator's loads and stores.
    """
    batch = state.shape[1]
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


@njit(cache=True, nogil=True, error_model="numpy")
def csr_gain_matmul(indptr, indices, data, state, gain, out):  # pragma: no cover - compiled
    """``out[i, b] = gain[b] * sum_k data[k] * state[indices[k], b]`` over row ``i`` of a CSR.

    ``state`` and ``out`` are ``(n, batch)`` C-contiguous; one accumulator per column
    (SIMD across the batch).
    """
    n, batch = state.shape
    acc = np.empty(batch, dtype=out.dtype)
    for i in range(n):
        _csr_row(indptr, indices, data, state, i, acc)
        for b in range(batch):
            out[i, b] = gain[b] * acc[b]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _relax_row(i, acc, state, gain, inp, rate, code, out):  # pragma: no cover - compiled
    """Row ``i`` of ``out = state + rate (phi(gain acc + inp[i]) - state)``; True if any
    result is non-finite. One loop per transfer function, so that each vectorises. tanh is
    computed in the state's precision (:func:`netdyn.fastmath.tanh_native`: float32 states
    in float32 arithmetic)."""
    batch = state.shape[1]
    c = inp[i]
    bad = False
    if code == PHI_TANH:
        for b in range(batch):
            v = state[i, b] + rate * (tanh_native(gain[b] * acc[b] + c) - state[i, b])
            out[i, b] = v
            bad |= not np.isfinite(v)
    elif code == PHI_RELU:
        for b in range(batch):
            v = state[i, b] + rate * (max(gain[b] * acc[b] + c, 0.0) - state[i, b])
            out[i, b] = v
            bad |= not np.isfinite(v)
    elif code == PHI_LOGISTIC:
        for b in range(batch):
            v = state[i, b] + rate * (0.5 * (1.0 + tanh(0.5 * (gain[b] * acc[b] + c))) - state[i, b])
            out[i, b] = v
            bad |= not np.isfinite(v)
    else:
        for b in range(batch):
            v = state[i, b] + rate * ((gain[b] * acc[b] + c) - state[i, b])
            out[i, b] = v
            bad |= not np.isfinite(v)
    return bad


@njit(cache=True, nogil=True, error_model="numpy")
def csr_relax_step(indptr, indices, data, state, gain, inp, rate, code, out, pair_a0, pair_b0, pair_sq):  # pragma: no cover
    r"""One fused step :math:`r' = r + a(\phi(g W r + I) - r)` with CSR ``W``.

    ``inp`` is the ``(n,)`` external input of this step (zeros for none); ``rate`` is ``a``
    (``dt/tau`` for Euler, ``1 - exp(-dt/tau)`` for exponential Euler); ``code`` selects
    the transfer function (:data:`netdyn.models.nonlinearity.PHI_CODES`); ``out`` must not alias ``state``. If ``pair_sq`` is
    not empty, ``pair_sq[p]`` receives :math:`\|r'_{b_0+p} - r'_{a_0+p}\|^2` over the units,
    computed while each row of ``r'`` is still in cache. Returns the flat index of the first
    non-finite element of ``out``, or -1.
    """
    n, batch = state.shape
    acc = np.empty(batch, dtype=out.dtype)
    sq = np.zeros(pair_sq.size)  # fresh, so LLVM knows it does not alias ``out``
    bad = False
    for i in range(n):
        _csr_row(indptr, indices, data, state, i, acc)
        bad |= _relax_row(i, acc, state, gain, inp, rate, code, out)
        _pair_row(i, out, pair_a0, pair_b0, sq)
    pair_sq[:] = sq
    return first_nonfinite(out) if bad else -1


@njit(cache=True, nogil=True, error_model="numpy")
def dense_relax_step(product, state, gain, inp, rate, code, out, pair_a0, pair_b0, pair_sq):  # pragma: no cover
    """As :func:`csr_relax_step` with ``product = W @ state`` computed by BLAS."""
    n = state.shape[0]
    sq = np.zeros(pair_sq.size)
    bad = False
    for i in range(n):
        bad |= _relax_row(i, product[i], state, gain, inp, rate, code, out)
        _pair_row(i, out, pair_a0, pair_b0, sq)
    pair_sq[:] = sq
    return first_nonfinite(out) if bad else -1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _pair_row(i, out, a0, b0, pair_sq):  # pragma: no cover - compiled
    """Accumulate the squared differences of row ``i`` between two column blocks."""
    for p in range(pair_sq.size):
        d = out[i, b0 + p] - out[i, a0 + p]
        pair_sq[p] += d * d


@njit(cache=True, nogil=True, error_model="numpy")
def relax_towards(state, target, rate):  # pragma: no cover - compiled
    """In place ``state += rate * (target - state)``; flat index of the first non-finite
    result, or -1 (used with user-defined transfer functions)."""
    n, batch = state.shape
    bad = False
    for i in range(n):
        for b in range(batch):
            v = state[i, b] + rate * (target[i, b] - state[i, b])
            state[i, b] = v
            bad |= not np.isfinite(v)
    return first_nonfinite(state) if bad else -1


@njit(cache=True, nogil=True)
def first_nonfinite(state):  # pragma: no cover - compiled
    """Flat index of the first non-finite element of a 2-D array, or -1."""
    n, batch = state.shape
    for i in range(n):
        for b in range(batch):
            if not np.isfinite(state[i, b]):
                return i * batch + b
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def csr_relax_run(indptr, indices, data, state, spare, gain, inp, rate, code, k0, n_steps,
                  samp_rows, samp_cols, samp_every, samp_data,
                  pair_a0, pair_b0, pair_every, pair_data):  # pragma: no cover - compiled
    """``n_steps`` fused steps (:func:`csr_relax_step`) in one compiled loop, recording on
    the way: ``samp_data[k // samp_every] = state[samp_rows][:, samp_cols]`` and
    ``pair_data[k // pair_every, p] = ||state[:, pair_b0 + p] - state[:, pair_a0 + p]||``
    for the state *before* step ``k`` (``k = k0 .. k0 + n_steps - 1``), when ``k`` is a
    multiple of the interval. Empty ``samp_rows`` / a ``pair_data`` with no columns disable
    a recorder. ``state`` and ``spare`` are used alternately (the input of a step is read
    whole while its output is written).

    Returns
    -------
    (n_done, bad, in_spare)
        ``n_done`` steps completed (``< n_steps`` if step ``k0 + n_done`` produced a
        non-finite value, at flat index ``bad``; ``bad = -1`` otherwise); ``in_spare``:
        whether the latest values (the final state, or the non-finite one) are in ``spare``.
    """
    n, batch = state.shape
    acc = np.empty(batch, dtype=state.dtype)
    n_pairs = pair_data.shape[1]
    sq = np.zeros(n_pairs)
    cur = state
    nxt = spare
    for s in range(n_steps):
        k = k0 + s
        if samp_rows.size > 0 and k % samp_every == 0:
            slot = k // samp_every
            for r in range(samp_rows.size):
                for c in range(samp_cols.size):
                    samp_data[slot, r, c] = cur[samp_rows[r], samp_cols[c]]
        if n_pairs > 0 and k % pair_every == 0:
            if s == 0:  # the chunk's first state was not produced here: one extra pass
                for p in range(n_pairs):
                    sq[p] = 0.0
                for i in range(n):
                    _pair_row(i, cur, pair_a0, pair_b0, sq)
            for p in range(n_pairs):
                pair_data[k // pair_every, p] = np.sqrt(sq[p])
        want_pairs = n_pairs > 0 and (k + 1) % pair_every == 0
        for p in range(n_pairs):
            sq[p] = 0.0
        bad = False
        for i in range(n):
            _csr_row(indptr, indices, data, cur, i, acc)
            bad |= _relax_row(i, acc, cur, gain, inp, rate, code, nxt)
            if want_pairs:
                _pair_row(i, nxt, pair_a0, pair_b0, sq)
        if bad:
            return s, first_nonfinite(nxt), s % 2 == 0
        cur, nxt = nxt, cur
    return n_steps, -1, n_steps % 2 == 1
