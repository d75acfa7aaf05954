"""Leaky integrate-and-fire neuron with exponential conductance synapses.

The COBA benchmark cell (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1)::

    C_m dV/dt = g_L (E_L - V) + sum_r g_r (E_r - V) + I_e + I_ext,   dg_r/dt = -g_r / tau_r

Spike when V >= V_th; then V = V_reset, clamped for t_ref. By default V advances by
exponential Euler with the conductances held over the step (exact for a frozen conductance):
``V <- V_inf + (V - V_inf) exp(-dt g_tot / C_m)``, ``V_inf = (g_L E_L + sum g_r E_r + I) / g_tot``;
the conductances decay exactly, ``g_r <- g_r exp(-dt / tau_r) + input``. ``integrator="euler"``
takes forward Euler steps of V and g instead, ``V <- V + dt g_tot (V_inf - V) / C_m``,
``g_r <- g_r (1 - dt / tau_r) + input``: the numerics of Brian2's ``method='euler'``, for
comparisons with the same numerics.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numba import njit
from pydantic import Field, model_validator

from netdyn.config.base import Spec
from netdyn.fastmath import exp
from netdyn.models.spiking.base import (
    STEP_SIGNATURE,
    NeuronModel,
    Receptor,
    StateVar,
    check_reset_below,
    SCAN_BLOCK,
    collect_spikes,
    refractory_steps,
    scan_block,
    spike_candidate,
    register_model,
)

_HEADER = 8


class LIFCondParams(Spec):
    """LIF parameters (defaults: the COBA benchmark)."""

    c_m_pF: float = Field(200.0, gt=0, description="membrane capacitance")
    g_l_nS: float = Field(10.0, gt=0, description="leak conductance")
    e_l_mV: float = Field(-60.0, description="leak reversal potential")
    v_th_mV: float = Field(-50.0, description="spike threshold")
    v_reset_mV: float = Field(-60.0, description="reset potential")
    t_ref_ms: float = Field(5.0, ge=0, description="refractory period (V clamped)")
    i_e_pA: float = Field(0.0, description="constant input current")
    integrator: Literal["exp_euler", "euler"] = Field(
        "exp_euler", description="exponential Euler (exact for frozen conductances) or forward Euler "
                                 "(Brian2's method='euler', for comparisons with the same numerics)")

    @model_validator(mode="after")
    def _reset_below_threshold(self) -> "LIFCondParams":
        check_reset_below(self.v_reset_mV, self.v_th_mV, "v_th_mV")
        return self


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _membrane(v_i, g_tot, num, dt_over_c, euler):  # pragma: no cover - compiled
    if euler:
        return v_i + dt_over_c * (num - g_tot * v_i)
    v_inf = num / g_tot
    return v_inf + (v_i - v_inf) * exp(-dt_over_c * g_tot)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"}, inline="always")
def _block2(start, count, euler, with_current, v, g0, g1, x0, x1, refr, i_ext, k):  # pragma: no cover
    """Advance neurons ``start .. start + count`` with two receptors; return the number of spike
    candidates. ``k`` holds the constants as scalars (read once per step, not per block). Inlined
    with constant ``euler``, ``with_current`` and (for whole blocks) ``count``: a constant trip
    count lets LLVM vectorise the block, and the choices cost nothing in the loop."""
    dt_over_c, g_l, v_th, v_reset, base, d0, e0, d1, e1 = k
    flagged = 0
    for j in range(count):
        i = start + j
        a = g0[i]
        b = g1[i]
        i_in = base + i_ext[i] if with_current else base
        v_new = _membrane(v[i], g_l + a + b, i_in + a * e0 + b * e1, dt_over_c, euler)
        g0[i] = a * d0 + x0[i]
        g1[i] = b * d1 + x1[i]
        x0[i] = 0.0
        x1[i] = 0.0
        ri = refr[i]
        v_new = v_reset if ri > 0 else v_new
        v[i] = v_new
        refr[i] = ri - 1 if ri > 0 else 0
        flagged += spike_candidate(v_new, v_th, False)
    return flagged


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _advance2(euler, with_current, v, g0, g1, x0, x1, refr, i_ext, k, spiked):  # pragma: no cover
    """The two-receptor step, update and spike search fused block by block: whole blocks, then
    the rest after the loop (LLVM vectorises this layout only: not ``range(0, n, step)``, nor a
    loop whose body also holds the shorter last block). Returns the spike count (or < 0)."""
    n = v.size
    v_th = k[2]
    n_spikes = 0
    n_whole = n // SCAN_BLOCK
    for blk in range(n_whole):
        start = blk * SCAN_BLOCK
        if _block2(start, SCAN_BLOCK, euler, with_current, v, g0, g1, x0, x1, refr, i_ext, k):
            n_spikes = scan_block(v, start, start + SCAN_BLOCK, v_th, False, spiked, n_spikes)
            if n_spikes < 0:
                return n_spikes
    start = n_whole * SCAN_BLOCK
    if start < n and _block2(start, n - start, euler, with_current, v, g0, g1, x0, x1, refr, i_ext, k):
        n_spikes = scan_block(v, start, n, v_th, False, spiked, n_spikes)
    return n_spikes


@njit(STEP_SIGNATURE, cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _step(s, refr, c, syn, i_ext, spiked, work):  # pragma: no cover - compiled
    n = refr.size
    dt_over_c, g_l, e_l, v_th, v_reset = c[0], c[1], c[2], c[3], c[4]
    ref_steps = np.int32(c[5])
    i_e = c[6]
    euler = c[7] != 0.0
    with_current = i_ext.size > 0
    n_rec = (c.size - _HEADER) // 2
    v = s[0:n]
    base = g_l * e_l + i_e
    if n_rec == 2:  # the common case, compiled once per (integrator, external current or not)
        g0, g1 = s[n:2 * n], s[2 * n:3 * n]
        x0, x1 = syn[0:n], syn[n:2 * n]
        k2 = (dt_over_c, g_l, v_th, v_reset, base, c[_HEADER], c[_HEADER + 1], c[_HEADER + 2], c[_HEADER + 3])
        if euler and with_current:
            k = _advance2(True, True, v, g0, g1, x0, x1, refr, i_ext, k2, spiked)
        elif euler:
            k = _advance2(True, False, v, g0, g1, x0, x1, refr, i_ext, k2, spiked)
        elif with_current:
            k = _advance2(False, True, v, g0, g1, x0, x1, refr, i_ext, k2, spiked)
        else:
            k = _advance2(False, False, v, g0, g1, x0, x1, refr, i_ext, k2, spiked)
        if k < 0:
            return k
    else:
        g_tot = work[0:n]  # nS
        num = work[n:2 * n]  # g_L E_L + sum g_r E_r + I, pA
        for i in range(n):
            g_tot[i] = g_l
            num[i] = base
        if with_current:
            for i in range(n):
                num[i] += i_ext[i]
        for r in range(n_rec):  # the conductances at the step's start, which then decay and
            g = s[(1 + r) * n:(2 + r) * n]  # take this step's input
            x = syn[r * n:(r + 1) * n]
            e_rev = c[_HEADER + 2 * r + 1]
            decay = c[_HEADER + 2 * r]
            for i in range(n):
                gi = g[i]
                g_tot[i] += gi
                num[i] += gi * e_rev
                g[i] = gi * decay + x[i]
                x[i] = 0.0
        for i in range(n):
            v_new = _membrane(v[i], g_tot[i], num[i], dt_over_c, euler)
            ri = refr[i]
            v[i] = v_reset if ri > 0 else v_new
            refr[i] = ri - 1 if ri > 0 else 0
        k = collect_spikes(v, v_th, False, spiked)
        if k < 0:
            return k
    for j in range(k):
        i = spiked[j]
        v[i] = v_reset
        refr[i] = ref_steps
    return k


@register_model
class LIFCondExp(NeuronModel):
    name = "lif_cond_exp"
    description = "LIF with exponential conductance synapses (exponential Euler)"
    Params = LIFCondParams
    state_vars = (StateVar("v_mV", "mV"),)
    synapse_kind = "conductance"
    default_receptors = (Receptor(name="exc", tau_ms=5.0, e_rev_mV=0.0),
                         Receptor(name="inh", tau_ms=10.0, e_rev_mV=-80.0))
    step = _step

    @classmethod
    def constants(cls, params: LIFCondParams, receptors: tuple[Receptor, ...], dt_ms: float) -> np.ndarray:
        head = [dt_ms / params.c_m_pF, params.g_l_nS, params.e_l_mV, params.v_th_mV, params.v_reset_mV,
                refractory_steps(params.t_ref_ms, dt_ms), params.i_e_pA, float(params.integrator == "euler")]
        euler = params.integrator == "euler"
        pairs = [x for r in receptors
                 for x in ((1.0 - dt_ms / r.tau_ms) if euler else math.exp(-dt_ms / r.tau_ms), r.e_rev_mV)]
        return cls.pack_constants(head, _HEADER, pairs)

    @classmethod
    def resting_state(cls, params: LIFCondParams, receptors: tuple[Receptor, ...]) -> dict[str, float]:
        return {"v_mV": params.e_l_mV}
