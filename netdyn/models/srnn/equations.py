r"""The numpy reference of the SRNN's vector field and of its Jacobian-vector product.

Any transfer function, vectorised over neurons, timescales and trajectories; the compiled
kernels (:mod:`netdyn.models.srnn.kernels`) perform the same operations per element and are
tested against these. Equations: :mod:`netdyn.models.srnn`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from netdyn.models.srnn.network import SRNNetwork

__all__ = ["exclusive_products", "jvp", "rhs"]


def rhs(net: "SRNNetwork", t_s: float, state: np.ndarray, out: np.ndarray | None = None, *,
        weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
    r"""Vector field :math:`dx/dt` (1/s) of ``net`` in plain numpy; the arguments and result
    of :meth:`SRNNetwork.rhs <netdyn.models.SRNNetwork.rhs>` (``out``, when given, must be
    C-contiguous to be written in place)."""
    x = state
    if out is None or not out.flags.c_contiguous:
        res = rhs(net, t_s, x, np.empty(x.shape), weight_scale=weight_scale)
        if out is None:
            return res
        out[...] = res
        return out
    batch = x.shape[1]
    lay = net._layout
    ud = x[lay.u_d]
    r = net.phi.apply_inplace(net._effective_drive(x))
    if net._std_pops:
        p = r.copy()
        for pop in net._std_pops:
            b3 = x[pop.b].reshape(pop.n_b, pop.n, batch)
            p[pop.sel] *= b3[0] if pop.n_b == 1 else np.multiply.reduce(b3, axis=0)
    else:
        p = r
    for pop in net._sfa_pops:
        a3 = x[pop.a].reshape(pop.n_a, pop.n, batch)
        da = out[pop.a].reshape(pop.n_a, pop.n, batch)
        np.subtract(r[pop.sel], a3, out=da)
        da *= pop.a_rate
    for pop in net._std_pops:
        b3 = x[pop.b].reshape(pop.n_b, pop.n, batch)
        db = out[pop.b].reshape(pop.n_b, pop.n, batch)
        np.subtract(1.0, b3, out=db)
        db *= pop.b_rate
        if net.std_variant == "matlab":
            loss = p[pop.sel] * pop.f_col
        else:
            loss = b3 * (r[pop.sel] * pop.f_col)
        db -= loss
        if pop.f_mask is not None:
            db *= pop.f_mask[None, :, None]
    du = out[lay.u_d]
    if net.is_sparse:
        du[...] = net.weights @ p
    else:
        np.matmul(net.weights, p, out=du)
    s = net._scale(weight_scale, batch)
    if not (isinstance(s, float) and s == 1.0):
        du *= s
    inp = net.input_at(t_s)
    if inp is not None:
        du += inp[:, None] if inp.ndim == 1 else inp
    du -= ud
    du *= 1.0 / net.tau_d_s
    return out



def jvp(net: "SRNNetwork", t_s: float, state: np.ndarray, tangent: np.ndarray, *,
        weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
    r"""Jacobian-vector product :math:`J(x)\,v` (1/s) of :func:`rhs` in plain numpy; the
    formulas and arguments of :meth:`SRNNetwork.jvp <netdyn.models.SRNNetwork.jvp>`."""
    x = np.asarray(state, dtype=np.float64)
    v = np.asarray(tangent, dtype=np.float64)
    batch = x.shape[1]
    extra = v.shape[2:]
    ex = (slice(None), slice(None)) + (None,) * len(extra)  # (n, B) -> (n, B, 1)
    lay = net._layout
    u_eff = net._effective_drive(x)
    dphi = net.phi.dphi(u_eff)
    r = net.phi.apply_inplace(u_eff)
    bprod = net._std_product(x)

    du_eff = v[lay.u_d].copy()
    if net._sfa_pops:
        du_eff -= net._sfa_sum(v, np.zeros_like(du_eff))
    dr = dphi[ex] * du_eff
    if bprod is None:
        dp = dr
    else:
        dp = dr * bprod[ex]
        for pop in net._std_pops:
            b = x[pop.b].reshape(pop.n_b, pop.n, batch)
            vb = v[pop.b].reshape(pop.n_b, pop.n, batch, *extra)
            excl = exclusive_products(b)
            dp[pop.sel] += r[pop.sel][ex] * np.einsum("mnb...,mnb->nb...", vb, excl)

    out = np.empty(v.shape)  # C-contiguous: the block reshapes below are views
    for pop in net._sfa_pops:
        va = v[pop.a].reshape(pop.n_a, pop.n, batch, *extra)
        oa = out[pop.a].reshape(pop.n_a, pop.n, batch, *extra)
        np.subtract(dr[pop.sel][None], va, out=oa)
        scale = pop.inv_tau_a[:, None] * (np.ones(pop.n) if pop.c_mask is None else pop.c_mask)[None, :]
        oa *= scale.reshape(pop.n_a, pop.n, 1, *([1] * len(extra)))
    for pop in net._std_pops:
        vb = v[pop.b].reshape(pop.n_b, pop.n, batch, *extra)
        ob = out[pop.b].reshape(pop.n_b, pop.n, batch, *extra)
        tail = (1,) * (1 + len(extra))
        np.multiply(vb, -pop.inv_tau_b.reshape(pop.n_b, 1, *tail), out=ob)
        fo = pop.f_over_tau.reshape(1, pop.n, *tail)
        if net.std_variant == "matlab":
            ob -= fo * dp[pop.sel][None]
        else:
            b = x[pop.b].reshape(pop.n_b, pop.n, batch)[(...,) + (None,) * len(extra)]
            ob -= fo * (r[pop.sel][ex][None] * vb + b * dr[pop.sel][None])
        if pop.f_mask is not None:
            ob *= pop.f_mask.reshape(1, pop.n, *tail)
    n = net.n_units
    mdp = (net.weights @ dp.reshape(n, -1)).reshape(dp.shape)
    s = net._scale(weight_scale, batch)
    if not (isinstance(s, float) and s == 1.0):
        mdp *= s if isinstance(s, float) else s.reshape(1, batch, *([1] * len(extra)))
    mdp -= v[lay.u_d]
    mdp *= 1.0 / net.tau_d_s
    out[lay.u_d] = mdp
    return out


def exclusive_products(b: np.ndarray) -> np.ndarray:
    r"""``out[m] = prod_{m' != m} b[m']`` along axis 0 (no division, exact at b = 0)."""
    n_b = b.shape[0]
    if n_b == 1:
        return np.ones_like(b)
    pre = np.ones_like(b)
    suf = np.ones_like(b)
    np.cumprod(b[:-1], axis=0, out=pre[1:])
    np.cumprod(b[:0:-1], axis=0, out=suf[-2::-1])
    return pre * suf
