"""Leaky integrate-and-fire neuron with exponential current synapses, integrated exactly.

NEST's ``iaf_psc_exp`` (Tsodyks et al. 2000; exact integration, Rotter & Diesmann 1999)::

    C_m dV/dt = -(C_m / tau_m) (V - E_L) + sum_r I_r + I_e + I_ext,   dI_r/dt = -I_r / tau_r

Each step, with propagators for dt: if not refractory
``V - E_L <- P22 (V - E_L) + P20 (I_e + I_ext) + sum_r P21_r I_r``, else the refractory counter
counts down (V stays at V_reset); then ``I_r <- P11_r I_r + input``; then, if V >= V_th, a
spike, V = V_reset and t_ref of refractoriness. ``P22 = exp(-dt/tau_m)``,
``P20 = tau_m/C_m (1 - P22)``, ``P11_r = exp(-dt/tau_r)``,
``P21_r = tau_r tau_m / (C_m (tau_m - tau_r)) (exp(-dt/tau_m) - exp(-dt/tau_r))``
(``dt/C_m exp(-dt/tau_m)`` when tau_r = tau_m). This is NEST's order of operations, so the
same inputs give the same spike steps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pydantic import Field, model_validator

from netdyn.config.base import Spec
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

_HEADER = 8


class LIFPscExpParams(Spec):
    """iaf_psc_exp parameters (defaults: the microcircuit of Potjans & Diesmann 2014)."""

    c_m_pF: float = Field(250.0, gt=0, description="membrane capacitance")
    tau_m_ms: float = Field(10.0, gt=0, description="membrane time constant")
    e_l_mV: float = Field(-65.0, description="resting potential")
    v_th_mV: float = Field(-50.0, description="spike threshold")
    v_reset_mV: float = Field(-65.0, description="reset potential")
    t_ref_ms: float = Field(2.0, ge=0, description="refractory period (V clamped)")
    i_e_pA: float = Field(0.0, description="constant input current")

    @model_validator(mode="after")
    def _reset_below_threshold(self) -> "LIFPscExpParams":
        check_reset_below(self.v_reset_mV, self.v_th_mV, "v_th_mV")
        return self


def propagator_21(tau_syn_ms: float, tau_m_ms: float, c_m_pF: float, dt_ms: float) -> float:
    """Weight of a synaptic current on V after one step, in mV/pA (NEST's propagator_32)."""
    if abs(tau_m_ms - tau_syn_ms) < 1e-10 * tau_m_ms:
        return dt_ms / c_m_pF * math.exp(-dt_ms / tau_m_ms)
    return (-tau_m_ms / (c_m_pF * (1.0 - tau_m_ms / tau_syn_ms)) * math.exp(-dt_ms / tau_syn_ms)
            * math.expm1(dt_ms * (1.0 / tau_syn_ms - 1.0 / tau_m_ms)))


@njit(STEP_SIGNATURE, cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _step(s, refr, c, syn, i_ext, spiked, work):  # pragma: no cover - compiled
    n = refr.size
    p22, p20, e_l, v_th, v_reset, i_e = c[0], c[1], c[2], c[3], c[4], c[5]
    ref_steps = np.int32(c[6])
    n_rec = (c.size - _HEADER) // 2
    with_current = i_ext.size > 0
    v = s[0:n]
    if n_rec == 2:  # the common case in one vectorised pass
        c0, c1 = s[n:2 * n], s[2 * n:3 * n]
        x0, x1 = syn[0:n], syn[n:2 * n]
        p11_0, p21_0, p11_1, p21_1 = c[_HEADER], c[_HEADER + 1], c[_HEADER + 2], c[_HEADER + 3]
        for i in range(n):
            a = c0[i]
            b = c1[i]
            i_in = i_e + i_ext[i] if with_current else i_e
            u = p22 * (v[i] - e_l) + p20 * i_in + p21_0 * a + p21_1 * b
            c0[i] = a * p11_0 + x0[i]
            c1[i] = b * p11_1 + x1[i]
            x0[i] = 0.0
            x1[i] = 0.0
            ri = refr[i]
            v[i] = v[i] if ri > 0 else u + e_l
            refr[i] = ri - 1 if ri > 0 else 0
    else:
        u = work[0:n]  # V - E_L after the step, if not refractory
        for i in range(n):
            u[i] = p22 * (v[i] - e_l) + p20 * (i_e + i_ext[i] if with_current else i_e)
        for r in range(n_rec):  # the currents at the step's start act on V, then decay and
            cur = s[(1 + r) * n:(2 + r) * n]  # take this step's input (NEST's order)
            x = syn[r * n:(r + 1) * n]
            p21 = c[_HEADER + 2 * r + 1]
            p11 = c[_HEADER + 2 * r]
            for i in range(n):
                ci = cur[i]
                u[i] += p21 * ci
                cur[i] = ci * p11 + x[i]
                x[i] = 0.0
        for i in range(n):
            ri = refr[i]
            v[i] = v[i] if ri > 0 else u[i] + e_l
            refr[i] = ri - 1 if ri > 0 else 0
    k = collect_spikes(v, v_th, False, spiked)
    for j in range(k):
        i = spiked[j]
        v[i] = v_reset
        refr[i] = ref_steps
    return k


@register_model
class LIFPscExp(NeuronModel):
    name = "lif_psc_exp"
    description = "LIF with exponential current synapses, exact integration (NEST iaf_psc_exp)"
    Params = LIFPscExpParams
    state_vars = (StateVar("v_mV", "mV"),)
    synapse_kind = "current"
    default_receptors = (Receptor(name="exc", tau_ms=0.5), Receptor(name="inh", tau_ms=0.5))
    step = _step

    @classmethod
    def constants(cls, params: LIFPscExpParams, receptors: tuple[Receptor, ...], dt_ms: float) -> np.ndarray:
        p22 = math.exp(-dt_ms / params.tau_m_ms)
        p20 = -params.tau_m_ms / params.c_m_pF * math.expm1(-dt_ms / params.tau_m_ms)
        head = [p22, p20, params.e_l_mV, params.v_th_mV, params.v_reset_mV, params.i_e_pA,
                refractory_steps(params.t_ref_ms, dt_ms), 0.0]
        pairs = [x for r in receptors
                 for x in (math.exp(-dt_ms / r.tau_ms), propagator_21(r.tau_ms, params.tau_m_ms, params.c_m_pF, dt_ms))]
        return cls.pack_constants(head, _HEADER, pairs)

    @classmethod
    def resting_state(cls, params: LIFPscExpParams, receptors: tuple[Receptor, ...]) -> dict[str, float]:
        return {"v_mV": params.e_l_mV}
