"""numba kernels of :meth:`netdyn.models.srnn.SRNNetwork.rhs` for the built-in transfer
functions (single-threaded, nogil). They perform the operations of the numpy reference
(:meth:`~netdyn.models.srnn.SRNNetwork.rhs_numpy`) in the same order per element, so the
two agree to rounding (tanh: libm's instead of numpy's).

Row-level tables (built once per network): ``a_unit[row]`` is the neuron of SFA row
``row``, ``b_unit[row]`` of STD row ``b_off + row``; rows of one neuron come in increasing
timescale order, so sums and products run over the timescales in order.
"""

from __future__ import annotations

import math

from numba import njit

PHI_TANH, PHI_RELU, PHI_LOGISTIC, PHI_IDENTITY = 0, 1, 2, 3
PHI_CODES = {"tanh": PHI_TANH, "relu": PHI_RELU, "logistic": PHI_LOGISTIC, "identity": PHI_IDENTITY}


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _phi(v, code):  # pragma: no cover - compiled
    if code == PHI_RELU:
        return v if not (v < 0.0) else 0.0  # NaN propagates like np.maximum
    if code == PHI_TANH:
        return math.tanh(v)
    if code == PHI_LOGISTIC:
        return (math.tanh(v * 0.5) + 1.0) * 0.5
    return v


@njit(cache=True, nogil=True, error_model="numpy")
def srnn_pre(x, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code,
             r, p, sfa, bprod, out):  # pragma: no cover - compiled
    """Rates ``r``, synaptic output ``p`` (both ``(n, B)``) and the SFA/STD rows of ``out``.

    ``sfa`` and ``bprod`` are ``(n, B)`` scratch arrays.
    """
    batch = x.shape[1]
    n_a = a_unit.shape[0]
    n_b = b_unit.shape[0]
    for i in range(n):
        for b in range(batch):
            sfa[i, b] = 0.0
            bprod[i, b] = 1.0
    # sum_k a_{i,k}, in timescale order
    for row in range(n_a):
        i = a_unit[row]
        for b in range(batch):
            sfa[i, b] += x[row, b]
    for i in range(n):
        ci = c[i]
        for b in range(batch):
            u = x[ud_off + i, b]
            if ci != 0.0:
                u = u - sfa[i, b] * ci
            r[i, b] = _phi(u, phi_code)
    for row in range(n_b):
        i = b_unit[row]
        for b in range(batch):
            bprod[i, b] *= x[b_off + row, b]
    for i in range(n):
        for b in range(batch):
            p[i, b] = r[i, b] * bprod[i, b]
    for row in range(n_a):
        i = a_unit[row]
        k = a_rate[row]
        for b in range(batch):
            out[row, b] = (r[i, b] - x[row, b]) * k
    for row in range(n_b):
        i = b_unit[row]
        k = b_rate[row]
        fo = b_fo[row]
        m = b_mask[row]
        for b in range(batch):
            bb = x[b_off + row, b]
            if julia:
                d = (1.0 - bb) * k - bb * (r[i, b] * fo)
            else:
                d = (1.0 - bb) * k - p[i, b] * fo
            out[b_off + row, b] = d * m


@njit(cache=True, nogil=True, error_model="numpy")
def srnn_post(x, ud_off, mp, scale, inp, inv_tau_d, out):  # pragma: no cover - compiled
    """``out[u_d] = (scale * mp + inp - u_d) / tau_d``; ``scale`` ``(B,)``, ``inp`` ``(n, 1)``
    or ``(n, B)``."""
    n, batch = mp.shape
    per_col = inp.shape[1] > 1
    for i in range(n):
        for b in range(batch):
            v = mp[i, b] * scale[b]
            v = v + inp[i, b if per_col else 0]
            v = v - x[ud_off + i, b]
            out[ud_off + i, b] = v * inv_tau_d
