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

import numpy as np

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


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _dphi(v, code):  # pragma: no cover - compiled
    if code == PHI_RELU:
        return 1.0 if v > 0.0 else 0.0
    if code == PHI_TANH:
        t = math.tanh(v)
        return 1.0 - t * t
    if code == PHI_LOGISTIC:
        s = (math.tanh(v * 0.5) + 1.0) * 0.5
        return s * (1.0 - s)
    return 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def srnn_jvp_pre(x, v, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia,
                 phi_code, dp, out):  # pragma: no cover - compiled
    """Tangent part of the Jacobian-vector product (the formulas of ``SRNNetwork.jvp``).

    ``x`` is ``(dim, B)``, ``v`` and ``out`` ``(dim, B, K)``, ``dp`` ``(n, B, K)``:
    writes ``dp`` (the tangent of the synaptic output) and the SFA / STD rows of ``out``.
    ``b_sib[row]`` lists the STD rows of the same neuron (``-1`` padded), for the
    exclusive products :math:`\\prod_{m' \\ne m} b_{m'}`.
    """
    batch = x.shape[1]
    kk = v.shape[2]
    n_a = a_unit.shape[0]
    n_b = b_unit.shape[0]
    sfa = np.zeros((n, batch))
    bprod = np.ones((n, batch))
    dsfa = np.zeros((n, batch, kk))
    for row in range(n_a):
        i = a_unit[row]
        for b in range(batch):
            sfa[i, b] += x[row, b]
            for q in range(kk):
                dsfa[i, b, q] += v[row, b, q]
    r = np.empty((n, batch))
    dr = np.empty((n, batch, kk))
    for i in range(n):
        ci = c[i]
        for b in range(batch):
            u = x[ud_off + i, b]
            if ci != 0.0:
                u = u - sfa[i, b] * ci
            r[i, b] = _phi(u, phi_code)
            g = _dphi(u, phi_code)
            for q in range(kk):
                du = v[ud_off + i, b, q]
                if ci != 0.0:
                    du = du - dsfa[i, b, q] * ci
                dr[i, b, q] = g * du
    for row in range(n_b):
        i = b_unit[row]
        for b in range(batch):
            bprod[i, b] *= x[b_off + row, b]
    for i in range(n):
        for b in range(batch):
            for q in range(kk):
                dp[i, b, q] = dr[i, b, q] * bprod[i, b]
    for row in range(n_b):
        i = b_unit[row]
        for b in range(batch):
            excl = 1.0
            for s in range(b_sib.shape[1]):
                other = b_sib[row, s]
                if other >= 0 and other != row:
                    excl *= x[b_off + other, b]
            w = r[i, b] * excl
            for q in range(kk):
                dp[i, b, q] += w * v[b_off + row, b, q]
    for row in range(n_a):
        i = a_unit[row]
        k = a_rate[row]
        for b in range(batch):
            for q in range(kk):
                out[row, b, q] = (dr[i, b, q] - v[row, b, q]) * k
    for row in range(n_b):
        i = b_unit[row]
        k = b_rate[row]
        fo = b_fo[row]
        m = b_mask[row]
        for b in range(batch):
            bb = x[b_off + row, b]
            for q in range(kk):
                vb = v[b_off + row, b, q]
                if julia:
                    d = -vb * k - fo * (r[i, b] * vb + bb * dr[i, b, q])
                else:
                    d = -vb * k - fo * dp[i, b, q]
                out[b_off + row, b, q] = d * m
