r"""Compiled (numba) forms of the SRNN's vector field and Jacobian-vector product.

They perform the operations of the numpy reference (:mod:`netdyn.models.srnn.equations`) in
the same order per element, so the two agree to rounding (``tanh``: libm's instead of
numpy's). Two uses:

* :func:`rhs_compiled` and :func:`jvp_compiled`, behind :meth:`SRNNetwork.rhs
  <netdyn.models.SRNNetwork.rhs>` and :meth:`~netdyn.models.SRNNetwork.jvp` for built-in
  transfer functions (two kernels around one BLAS or sparse product);
* :func:`compiled_field`: the whole field and its Jacobian-vector product as first-class
  compiled functions with their arguments, which the engines' compiled RK4
  (:mod:`netdyn.engines.rk4`) steps without returning to Python.

Row-level tables (built once per network by :func:`row_tables`): ``a_unit[row]`` is the
neuron of SFA row ``row``, ``b_unit[row]`` of STD row ``b_off + row``; rows of one neuron come
in increasing timescale order, so sums and products run over the timescales in order.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import cfunc, njit, types

from netdyn.errors import ConfigError
from netdyn.models.compiled import CompiledField
from netdyn.models.inputs import SampledInput
from netdyn.models.nonlinearity import PHI_LOGISTIC, PHI_RELU, PHI_TANH, kernel_code

if TYPE_CHECKING:
    from netdyn.models.srnn.network import SRNNetwork

__all__ = ["compiled_field", "jvp_compiled", "rhs_compiled", "row_tables"]


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

    The effective drive and the STD products are computed as in :func:`srnn_pre`, written out
    again: shared inline helpers measured 3-4 % slower in the tangent RK4.

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
           inv_tau_d, r, p, s1, s2, mp, inp, out):  # pragma: no cover - compiled
    """The vector field (srnn_pre, M p, srnn_post) into ``out``."""
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



# ------------------------------------------------------------------------------ first-class field

_F1 = types.float64[::1]
_F2 = types.float64[:, ::1]
_F3 = types.float64[:, :, ::1]
_I1 = types.int64[::1]
#: Type of the argument tuple of :func:`field` and :func:`jvp` (built by :func:`compiled_field`).
ARGS_TYPE = types.Tuple((
    types.int64, types.int64, _I1, _F1, _F1, types.int64, _I1, _F1, _F1, _F1,  # n .. b_mask
    types.int64[:, ::1], types.boolean, types.int64,  # b_sib, julia, phi_code
    types.boolean, _F2, _F1, _I1, _I1, _F1,  # sparse, w_dense, w_data, w_indices, w_indptr, scale
    types.int64, _F1, _F2, types.float64, types.float64,  # input kind, times, values, 1/step; 1/tau_d
    _F2, _F2, _F2, _F2, _F2, _F2, _F3, _F3,  # scratch: r, p, s1, s2, mp, inp; dp, mdp
))
FIELD_SIGNATURE = types.void(_F2, types.float64, _F2, ARGS_TYPE)
JVP_SIGNATURE = types.void(_F2, types.float64, _F3, _F3, ARGS_TYPE)


@cfunc(FIELD_SIGNATURE, cache=True, error_model="numpy")
def field(x, t, out, args):  # pragma: no cover - compiled
    """``out = dx/dt`` at ``(x, t)``: the first-class form handed to the engines."""
    (n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia, phi_code, sparse, w_dense,
     w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d, r, p, s1, s2, mp, inp,
     dp, mdp) = args
    _field(x, t, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, julia, phi_code, sparse, w_dense,
           w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d, r, p, s1, s2, mp, inp,
           out)


@cfunc(JVP_SIGNATURE, cache=True, error_model="numpy")
def jvp(x, t, v, out, args):  # pragma: no cover - compiled
    """``out = J(x) v`` (the input is additive: ``t`` does not enter)."""
    (n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia, phi_code, sparse, w_dense,
     w_data, w_indices, w_indptr, scale, in_kind, in_t, in_vals, in_inv_step, inv_tau_d, r, p, s1, s2, mp, inp,
     dp, mdp) = args
    _jvp_into(x, v, n, ud_off, a_unit, a_rate, c, b_off, b_unit, b_rate, b_fo, b_mask, b_sib, julia, phi_code,
              sparse, w_dense, w_data, w_indices, w_indptr, scale, inv_tau_d, dp, mdp, out)


# ------------------------------------------------------------------------------ from Python

_ONES = np.ones(4096)
_ONES.setflags(write=False)


def row_tables(net: "SRNNetwork", pops: list) -> dict[str, Any] | None:
    """Row-level arrays of ``net`` for the kernels; None when its transfer function is not
    built in. ``pops`` are the network's two population records (E, then I)."""
    phi_code = kernel_code(net.phi)
    if phi_code is None:
        return None
    lay = net.layout
    units = (lay.e_units, lay.i_units)
    a_unit = np.concatenate([np.tile(u, p.n_a) for u, p in zip(units, pops)]).astype(np.int64)
    a_rate = np.concatenate([p.a_rate.ravel() for p in pops])
    b_unit = np.concatenate([np.tile(u, p.n_b) for u, p in zip(units, pops)]).astype(np.int64)
    b_rate = np.concatenate([np.repeat(p.inv_tau_b, p.n) for p in pops])
    b_fo = np.concatenate([np.tile(p.f_over_tau, p.n_b) for p in pops])
    b_mask = np.concatenate([np.tile(np.ones(p.n) if p.f_mask is None else p.f_mask, p.n_b) for p in pops])
    # STD rows of the same neuron, for the exclusive products of the jvp (-1 padded)
    max_nb = max([p.n_b for p in pops] + [1])
    b_sib = np.full((b_unit.size, max_nb), -1, dtype=np.int64)
    order = np.argsort(b_unit, kind="stable")
    units_sorted = b_unit[order]
    starts = np.searchsorted(units_sorted, b_unit, side="left")
    counts = np.searchsorted(units_sorted, b_unit, side="right") - starts
    for m in range(max_nb):
        ok = m < counts
        b_sib[ok, m] = order[starts[ok] + m]
    return dict(
        b_sib=b_sib, n=net.n_units, ud_off=lay.u_d.start, a_unit=a_unit, a_rate=a_rate.astype(np.float64),
        c=np.array(net.c_sfa, dtype=np.float64), b_off=lay.b.start, b_unit=b_unit,
        b_rate=b_rate.astype(np.float64), b_fo=b_fo.astype(np.float64), b_mask=b_mask.astype(np.float64),
        julia=net.std_variant == "julia", phi_code=phi_code,
    )


def _model_tables(tb: dict[str, Any]) -> tuple:
    return (tb["n"], tb["ud_off"], tb["a_unit"], tb["a_rate"], tb["c"], tb["b_off"], tb["b_unit"], tb["b_rate"],
            tb["b_fo"], tb["b_mask"])


def rhs_compiled(net: "SRNNetwork", t_s: float, x: np.ndarray, out: np.ndarray | None,
                 weight_scale: float | np.ndarray) -> np.ndarray:
    """:meth:`SRNNetwork.rhs <netdyn.models.SRNNetwork.rhs>` through the kernels (C-contiguous
    float64 states, built-in transfer function): srnn_pre, one BLAS or sparse product, srnn_post."""
    tb = net._tables
    n, batch = net.n_units, x.shape[1]
    if out is None:
        out = np.empty_like(x)
    r = np.empty((n, batch))
    p = np.empty((n, batch))
    scratch = np.empty((2, n, batch))
    srnn_pre(x, *_model_tables(tb), tb["julia"], tb["phi_code"], r, p, scratch[0], scratch[1], out)
    if net.is_sparse:
        mp = np.ascontiguousarray(net.weights @ p)
    else:
        mp = np.matmul(net.weights, p, out=r)  # r is no longer needed
    s = net._scale(weight_scale, batch)
    scale = s if not isinstance(s, float) else (_ONES[:batch] if s == 1.0 and batch <= _ONES.size else np.full(batch, s))
    inp = net.input_at(t_s)
    if inp is None:
        inp2 = np.zeros((n, 1))
    else:
        inp2 = np.ascontiguousarray(inp.reshape(n, 1) if inp.shape == (n,) else inp)
        if inp2.shape not in ((n, 1), (n, batch)):
            raise ConfigError("external_input", inp.shape, f"must give ({n},) or ({n}, {batch}) values")
    srnn_post(x, tb["ud_off"], mp, scale, inp2, 1.0 / net.tau_d_s, out)
    return out


def jvp_compiled(net: "SRNNetwork", x: np.ndarray, v: np.ndarray, weight_scale: float | np.ndarray) -> np.ndarray:
    """:meth:`SRNNetwork.jvp <netdyn.models.SRNNetwork.jvp>` through the kernels."""
    tb = net._tables
    n, batch = net.n_units, x.shape[1]
    v3 = np.ascontiguousarray(v if v.ndim == 3 else v[:, :, None])
    x = np.ascontiguousarray(x)
    kk = v3.shape[2]
    out = np.empty(v3.shape)
    dp = np.empty((n, batch, kk))
    srnn_jvp_pre(x, v3, *_model_tables(tb), tb["b_sib"], tb["julia"], tb["phi_code"], dp, out)
    mdp = (net.weights @ dp.reshape(n, -1)).reshape(dp.shape)
    s = net._scale(weight_scale, batch)
    if not (isinstance(s, float) and s == 1.0):
        mdp *= s if isinstance(s, float) else s.reshape(1, batch, 1)
    ud = net.layout.u_d
    mdp -= v3[ud]
    mdp *= 1.0 / net.tau_d_s
    out[ud] = mdp
    return out if v.ndim == 3 else out[:, :, 0]


def static_args(net: "SRNNetwork") -> tuple[tuple, tuple] | None:
    """The batch-independent parts of the argument tuple of :func:`field` (copied once per
    network into the exact array types of :data:`ARGS_TYPE`): ``(head, inputs)`` around the
    per-batch weight scale; ``None`` for a user transfer function or a callable input."""
    tb = net._tables
    inp = net.external_input
    if tb is None:
        return None
    if inp is None:
        inputs = (0, np.zeros(2), np.zeros((1, 1)), 0.0)
    elif isinstance(inp, np.ndarray):
        inputs = (1, np.zeros(2), np.array(inp[None, :], dtype=np.float64), 0.0)
    elif isinstance(inp, SampledInput):
        inv = float(inp._inv_step) if inp._inv_step is not None else 0.0
        inputs = (2, np.array(inp.t, dtype=np.float64), np.array(inp.values, dtype=np.float64), inv)
    else:
        return None
    if net.is_sparse:
        w = net.weights
        weights = (True, np.zeros((1, 1)), np.array(w.data, dtype=np.float64), w.indices.astype(np.int64),
                   w.indptr.astype(np.int64))
    else:
        weights = (False, np.array(net.weights, dtype=np.float64), np.zeros(1), np.zeros(1, dtype=np.int64),
                   np.zeros(1, dtype=np.int64))
    head = _model_tables(tb) + (tb["b_sib"], tb["julia"], tb["phi_code"]) + weights
    return head, inputs + (1.0 / net.tau_d_s,)


def compiled_field(net: "SRNNetwork", t_start_s: float, t_end_s: float, batch: int, params: dict[str, Any],
                   n_tangents: int = 0) -> CompiledField | None:
    """The compiled field of ``net`` for ``batch`` trajectories over ``[t_start_s, t_end_s]``
    (with scratch for ``n_tangents`` tangent vectors per trajectory), or ``None`` where it
    does not apply: a user transfer function, a callable input, a sampled input that does
    not cover the span (the Python path then raises, gives NaN or holds, as the input says),
    or parameters other than ``weight_scale``."""
    static = net._field_static_args
    if static is None or set(params) - {"weight_scale"}:
        return None
    inp = net.external_input
    if isinstance(inp, SampledInput):
        lo, hi = inp.span
        tol = 1e-9 * max(1.0, hi - lo)
        if t_start_s < lo - tol or t_end_s > hi + tol:
            return None
    head, tail = static
    scale = np.array(np.broadcast_to(net._scale(params.get("weight_scale", 1.0), batch), (batch,)), dtype=np.float64)
    n = net.n_units
    scratch = tuple(np.empty((n, batch)) for _ in range(5)) + (np.empty((n, 1)),)
    tangent_scratch = tuple(np.empty((n, batch, n_tangents)) for _ in range(2))
    b = net.layout.b
    return CompiledField(field, jvp if n_tangents else None, head + (scale,) + tail + scratch + tangent_scratch,
                         clip_rows=(b.start, b.stop))
