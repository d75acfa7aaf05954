"""Adaptive exponential integrate-and-fire neuron with exponential conductance synapses.

The cell of the AdEx networks of ``ntwk`` (Brette & Gerstner 2005, J Neurophysiol 94:3637)::

    C_m dV/dt   = g_L (E_L - V) + g_L Delta_T exp((V - V_T) / Delta_T) - w + I_syn + I_e + I_ext
    tau_w dw/dt = a (V - E_L) - w
    dg_r/dt     = -g_r / tau_r,   I_syn = sum_r g_r (E_r - V)

A spike is emitted when V > V_peak (default V_T + 5 Delta_T, the seed's cut; V_T itself for
Delta_T = 0, which is then a LIF), then V = V_reset, w += b, and V is clamped at V_reset for
t_ref while w keeps evolving. V, w and the conductances all advance by forward Euler, as the
seed's Brian2 code (``method='euler'``) integrates them: ``g_r <- g_r (1 - dt / tau_r) + input``.
(Exact decay would add 1 % of synaptic charge at dt / tau = 0.02 and raise the rsfs rates after
the bump by about 5 %, away from the seed's figures.)
"""

from __future__ import annotations

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
    collect_spikes,
    refractory_steps,
    register_model,
)

_HEADER = 13  # constants before the per-receptor pairs (decay, E_rev)


class AdExParams(Spec):
    """AdEx parameters (defaults: the seed's RS cell)."""

    c_m_pF: float = Field(200.0, gt=0, description="membrane capacitance")
    g_l_nS: float = Field(10.0, gt=0, description="leak conductance")
    e_l_mV: float = Field(-70.0, description="leak reversal potential")
    v_thre_mV: float = Field(-50.0, description="exponential threshold V_T (spike threshold if Delta_T = 0)")
    delta_t_mV: float = Field(2.0, ge=0, description="slope factor; 0 gives a LIF")
    v_reset_mV: float = Field(-70.0, description="reset potential")
    v_peak_mV: float | None = Field(None, description="spike cut; default V_T + 5 Delta_T")
    t_ref_ms: float = Field(5.0, ge=0, description="refractory period (V clamped)")
    a_nS: float = Field(0.0, description="subthreshold adaptation")
    b_pA: float = Field(0.0, description="spike-triggered adaptation increment")
    tau_w_ms: float = Field(500.0, gt=0, description="adaptation time constant")
    i_e_pA: float = Field(0.0, description="constant input current")

    @model_validator(mode="after")
    def _reset_below_peak(self) -> "AdExParams":
        peak = self.v_peak_mV if self.v_peak_mV is not None else self.v_thre_mV + 5.0 * self.delta_t_mV
        check_reset_below(self.v_reset_mV, peak, "the spike cut V_T + 5 Delta_T (mV)")
        return self


@njit(STEP_SIGNATURE, cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _step(s, refr, c, syn, i_ext, spiked, work):  # pragma: no cover - compiled
    n = refr.size
    dt, c_m, g_l, e_l, v_t, d_t = c[0], c[1], c[2], c[3], c[4], c[5]
    v_reset, v_peak, a, b, tau_w = c[6], c[7], c[8], c[9], c[10]
    ref_steps = np.int32(c[11])
    i_e = c[12]
    n_rec = (c.size - _HEADER) // 2
    v = s[0:n]
    w = s[n:2 * n]
    drive = work[0:n]  # I_e + I_ext + I_syn - w, pA
    if i_ext.size > 0:
        for i in range(n):
            drive[i] = i_e + i_ext[i] - w[i]
    else:
        for i in range(n):
            drive[i] = i_e - w[i]
    for r in range(n_rec):  # the synaptic current from the conductances at the step's start,
        g = s[(2 + r) * n:(3 + r) * n]  # which then decay and take this step's input
        x = syn[r * n:(r + 1) * n]
        e_rev = c[_HEADER + 2 * r + 1]
        decay = c[_HEADER + 2 * r]
        for i in range(n):
            gi = g[i]
            drive[i] += gi * (e_rev - v[i])
            g[i] = gi * decay + x[i]
            x[i] = 0.0
    dt_c = dt / c_m
    dt_w = dt / tau_w
    inv_dt = 1.0 / d_t if d_t > 0.0 else 0.0
    gd = g_l * d_t
    for i in range(n):
        vi = v[i]
        dv = g_l * (e_l - vi) + drive[i]
        if d_t > 0.0:
            dv += gd * exp((vi - v_t) * inv_dt)
        w[i] += dt_w * (a * (vi - e_l) - w[i])
        ri = refr[i]
        v[i] = v_reset if ri > 0 else vi + dt_c * dv
        refr[i] = ri - 1 if ri > 0 else 0
    k = collect_spikes(v, v_peak, True, spiked)
    for j in range(k):
        i = spiked[j]
        v[i] = v_reset
        w[i] += b
        refr[i] = ref_steps
    return k


@register_model
class AdExCondExp(NeuronModel):
    name = "adex_cond_exp"
    description = "AdEx with exponential conductance synapses (forward Euler, spike cut at V_T + 5 Delta_T)"
    Params = AdExParams
    state_vars = (StateVar("v_mV", "mV"), StateVar("w_pA", "pA"))
    synapse_kind = "conductance"
    default_receptors = (Receptor(name="exc", tau_ms=5.0, e_rev_mV=0.0),
                         Receptor(name="inh", tau_ms=5.0, e_rev_mV=-80.0))
    step = _step

    @classmethod
    def constants(cls, params: AdExParams, receptors: tuple[Receptor, ...], dt_ms: float) -> np.ndarray:
        v_peak = params.v_peak_mV if params.v_peak_mV is not None else params.v_thre_mV + 5.0 * params.delta_t_mV
        head = [dt_ms, params.c_m_pF, params.g_l_nS, params.e_l_mV, params.v_thre_mV, params.delta_t_mV,
                params.v_reset_mV, v_peak, params.a_nS, params.b_pA, params.tau_w_ms,
                refractory_steps(params.t_ref_ms, dt_ms), params.i_e_pA]
        pairs = [x for r in receptors for x in (1 - dt_ms / r.tau_ms, r.e_rev_mV)]
        return cls.pack_constants(head, _HEADER, pairs)

    @classmethod
    def resting_state(cls, params: AdExParams, receptors: tuple[Receptor, ...]) -> dict[str, float]:
        return {"v_mV": params.e_l_mV, "w_pA": 0.0}
