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


@njit(cache=True, nogil=True, error_model="numpy")
def _input_into(t, kind, ts, vals, inv_step, buf):  # pragma: no cover - compiled
    """``buf[:, 0] = u_ex(t)``: kind 0 zero, 1 constant ``vals[0]``, 2 samples ``(ts, vals)``
    interpolated linearly as :class:`~netdyn.models.inputs.SampledInput` does (``t`` is
    inside the span up to its tolerance; checked by the caller)."""
    n = buf.shape[0]
    if kind == 0:
        for i in range(n):
            buf[i, 0] = 0.0
        return
    if kind == 1:
        for i in range(n):
            buf[i, 0] = vals[0, i]
        return
    m = ts.shape[0]
    t = min(max(t, ts[0]), ts[m - 1])
    if inv_step > 0.0:
        j = min(int((t - ts[0]) * inv_step), m - 2)
        if t < ts[j]:
            j -= 1
        elif t > ts[j + 1]:
            j += 1
        j = min(max(j, 0), m - 2)
    else:
        j = min(np.searchsorted(ts, t, side="right") - 1, m - 2)
    w = (t - ts[j]) / (ts[j + 1] - ts[j])
    for i in range(n):
        buf[i, 0] = vals[j, i] + w * (vals[j + 1, i] - vals[j, i])


@njit(cache=True, nogil=True, error_model="numpy")
def _field(x, t, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code,
           sparse, w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step,
           inv_tau_d, active, r, p, s1, s2, mp, inp, out):  # pragma: no cover - compiled
    """The vector field (srnn_pre, M p, srnn_post) into ``out``, times ``active`` per column."""
    batch = x.shape[1]
    srnn_pre(x, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code, r, p, s1, s2, out)
    for i in range(n):
        for b in range(batch):
            mp[i, b] = 0.0
    if sparse:
        for i in range(n):
            for q in range(w_indptr[i], w_indptr[i + 1]):
                j = w_indices[q]
                w = w_data[q]
                for b in range(batch):
                    mp[i, b] += w * p[j, b]
    else:
        for i in range(n):
            for j in range(n):
                w = w_dense[i, j]
                if w != 0.0:
                    for b in range(batch):
                        mp[i, b] += w * p[j, b]
    _input_into(t, in_kind, in_t, in_vals, in_inv_step, inp)
    srnn_post(x, ud_off, mp, scale, inp, inv_tau_d, out)
    dim = x.shape[0]
    for b in range(batch):
        if active[b] != 1.0:
            for row in range(dim):
                out[row, b] *= active[b]


@njit(cache=True, nogil=True, error_model="numpy")
def _flag_runaways(x, threshold, runaway, runaway_time, t_next):  # pragma: no cover - compiled
    """Mark the columns of ``x`` (dim, batch) whose largest |state| exceeds ``threshold`` as run
    away at ``t_next``; returns the newly flagged columns."""
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
def srnn_rk4_steps(x, n_steps, t0, k0, dt, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask,
                   julia, phi_code, sparse, w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals,
                   in_inv_step, inv_tau_d, b_lo, b_hi, clip, threshold, active, runaway, runaway_time):  # pragma: no cover
    """``n_steps`` classical RK4 steps of the SRNN from grid step ``k0`` (times
    ``t0 + k dt``), in place on ``x``, with the operations of the engine's Python loop:
    stages, clipping of the STD rows ``[b_lo, b_hi)`` into [0, 1], runaway flagging and
    freezing (``threshold > 0``). Returns -1, or the grid step in which a state became
    non-finite (``x`` then holds that step's result)."""
    dim, batch = x.shape
    k1 = np.empty((dim, batch))
    k2 = np.empty((dim, batch))
    k3 = np.empty((dim, batch))
    k4 = np.empty((dim, batch))
    tmp = np.empty((dim, batch))
    r = np.empty((n, batch))
    p = np.empty((n, batch))
    s1 = np.empty((n, batch))
    s2 = np.empty((n, batch))
    mp = np.empty((n, batch))
    inp = np.empty((n, 1))
    half = 0.5 * dt
    sixth = dt / 6.0
    for s in range(n_steps):
        k = k0 + s
        t = t0 + k * dt
        t_next = t0 + (k + 1) * dt
        _field(x, t, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code, sparse,
               w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d, active,
               r, p, s1, s2, mp, inp, k1)
        for i in range(dim):
            for b in range(batch):
                tmp[i, b] = k1[i, b] * half + x[i, b]
        _field(tmp, t + half, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code,
               sparse, w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d,
               active, r, p, s1, s2, mp, inp, k2)
        for i in range(dim):
            for b in range(batch):
                tmp[i, b] = k2[i, b] * half + x[i, b]
        _field(tmp, t + half, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code,
               sparse, w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d,
               active, r, p, s1, s2, mp, inp, k3)
        for i in range(dim):
            for b in range(batch):
                tmp[i, b] = k3[i, b] * dt + x[i, b]
        _field(tmp, t_next, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code,
               sparse, w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d,
               active, r, p, s1, s2, mp, inp, k4)
        finite = True
        for i in range(dim):
            for b in range(batch):
                v = x[i, b] + (k1[i, b] + k4[i, b] + (k2[i, b] + k3[i, b]) * 2.0) * sixth
                if clip and b_lo <= i < b_hi:
                    v = min(max(v, 0.0), 1.0)
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
def _jvp_into(x, v, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia, phi_code,
              sparse, w_dense, w_data, w_indices, w_indptr, scale, inv_tau_d, dp, mdp, out):  # pragma: no cover
    """``out = J(x) v`` for ``v`` of shape ``(dim, B, K)`` (srnn_jvp_pre, M dp, the u_d rows)."""
    batch = x.shape[1]
    kk = v.shape[2]
    srnn_jvp_pre(x, v, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia, phi_code,
                 dp, out)
    for i in range(n):
        for b in range(batch):
            for q in range(kk):
                mdp[i, b, q] = 0.0
    if sparse:
        for i in range(n):
            for e in range(w_indptr[i], w_indptr[i + 1]):
                j = w_indices[e]
                w = w_data[e]
                for b in range(batch):
                    for q in range(kk):
                        mdp[i, b, q] += w * dp[j, b, q]
    else:
        for i in range(n):
            for j in range(n):
                w = w_dense[i, j]
                if w != 0.0:
                    for b in range(batch):
                        for q in range(kk):
                            mdp[i, b, q] += w * dp[j, b, q]
    for i in range(n):
        for b in range(batch):
            for q in range(kk):
                out[ud_off + i, b, q] = (mdp[i, b, q] * scale[b] - v[ud_off + i, b, q]) * inv_tau_d


@njit(cache=True, nogil=True, error_model="numpy")
def srnn_rk4_tangent_steps(x, v, n_steps, t0, k0, dt, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo,
                           b_mask, b_sib, julia, phi_code, sparse, w_dense, w_data, w_indices, w_indptr, scale,
                           in_kind, in_t, in_vals, in_inv_step, inv_tau_d, b_lo, b_hi, clip, threshold, runaway,
                           runaway_time):  # pragma: no cover - compiled
    """``n_steps`` RK4 steps of the states ``x`` ``(dim, B)`` and of the tangent vectors
    ``v`` ``(dim, B, K)`` by the exact derivative of each step (the formulas of
    ``ode_lyapunov_spectrum``), in place: clipping of the STD rows after the step (not
    differentiated), runaway columns frozen (state and tangents). Returns -1 or the grid
    step that produced a non-finite state."""
    dim, batch = x.shape
    kk = v.shape[2]
    ones = np.ones(batch)
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
    r = np.empty((n, batch))
    p = np.empty((n, batch))
    s1 = np.empty((n, batch))
    s2 = np.empty((n, batch))
    mp = np.empty((n, batch))
    inp = np.empty((n, 1))
    dp = np.empty((n, batch, kk))
    mdp = np.empty((n, batch, kk))
    h = dt
    for st in range(n_steps):
        k = k0 + st
        t = t0 + k * h
        t_next = t0 + (k + 1) * h
        _field(x, t, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code, sparse,
               w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d, ones,
               r, p, s1, s2, mp, inp, k1)
        _jvp_into(x, v, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia, phi_code,
                  sparse, w_dense, w_data, w_indices, w_indptr, scale, inv_tau_d, dp, mdp, q1)
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
            _field(s, ts, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code,
                   sparse, w_dense, w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step,
                   inv_tau_d, ones, r, p, s1, s2, mp, inp, kout)
            _jvp_into(s, vs, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia,
                      phi_code, sparse, w_dense, w_data, w_indices, w_indptr, scale, inv_tau_d, dp, mdp, qout)
        finite = True
        for b in range(batch):
            if runaway[b]:
                continue
            for i in range(dim):
                val = x[i, b] + (h / 6.0) * (k1[i, b] + 2.0 * (k2[i, b] + k3[i, b]) + k4[i, b])
                if clip and b_lo <= i < b_hi:
                    val = min(max(val, 0.0), 1.0)
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
