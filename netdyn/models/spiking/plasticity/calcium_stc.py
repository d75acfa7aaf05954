r"""Calcium-based early-phase plasticity with synaptic tagging and capture (late phase).

The synapse model of Luboeinski & Tetzlaff (2021): a Graupner-Brunel calcium rule for the
early-phase weight :math:`h`, tags, a protein pool per postsynaptic neuron and a late-phase
weight :math:`z` that captures proteins. For a synapse :math:`j \to i` (times in ms, weights
in mV of postsynaptic potential, :math:`\Theta(x) = 1` for :math:`x \ge 0`):

.. math::

   \frac{dCa}{dt} &= -\frac{Ca}{\tau_{Ca}} + c_{pre} \sum_k \delta(t - t_j^k - t_{Ca})
                     + c_{post} \sum_l \delta(t - t_i^l) \\
   \tau_h \frac{dh}{dt} &= 0.1\,(h_0 - h) + \gamma_p (h_{max} - h)\,\Theta[Ca - \theta_p]
                     - \gamma_d\, h\, \Theta[Ca - \theta_d]
                     + \sqrt{\tau_h (\Theta[Ca - \theta_p] + \Theta[Ca - \theta_d])}\,\sigma_{pl}\,\Gamma(t) \\
   \tau_z \frac{dz}{dt} &= f_{int}\, p_i \left[(1 - z)\,\Theta[(h - h_0) - \theta_{tag}]
                     - (z + 0.5)\,\Theta[(h_0 - h) - \theta_{tag}]\right] \\
   \tau_p \frac{dp_i}{dt} &= -p_i + p_{max}\,\Theta\Big[\sum_j |h_{ji} - h_0| - \theta_{pro}\Big]

with one Gaussian white noise :math:`\Gamma` per synapse. A spike arriving at the synapse (after
the projection's delay) adds the weight :math:`h + h_0 z` to the postsynaptic potential, i.e. a
current jump of :math:`(h + h_0 z) / R_{mem}` (mV / MOhm = nA) into an exponential current
synapse; the presynaptic calcium increment arrives after its own delay :math:`t_{Ca}`.

Numerics follow the reference implementations: per step of dt, Euler-Maruyama for h, z and Ca
(the noise from counter-based normal draws keyed by (seed, step, synapse)); the protein pool
decays exactly. A synapse whose calcium is below :math:`\theta_d` and which has no tag moves
in closed form, :math:`h - h_0 \propto (1 - 0.1\,dt/\tau_h)^n`, :math:`Ca \propto (1 -
dt/\tau_{Ca})^n`, :math:`z` constant: the same numbers the per-step update gives, but computed
only when the synapse is next needed (an event, a recording). The sum over a neuron's passive
synapses decays by the same factor each step. Consolidation (fast-forward) phases keep only
h relaxation, z and the protein pool, integrated implicitly with a long step (50 s), and
set calcium to zero.

References
----------
J. Luboeinski, C. Tetzlaff (2021), Memory consolidation and improvement by synaptic tagging and
capture in recurrent neural networks, Communications Biology 4:275.
M. Graupner, N. Brunel (2012), Calcium-based plasticity model explains sensitivity of synaptic
changes to spike pattern, rate, and dendritic location, PNAS 109:3991-3996.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pydantic import Field, model_validator

from netdyn.config.base import Spec
from netdyn.counter_random import counter_normal, step_stream
from netdyn.errors import ConfigError
from netdyn.models.spiking.plasticity.base import (
    EFFICACY_SIGNATURE,
    EVENT_SIGNATURE,
    PEEK_SIGNATURE,
    STEP_SIGNATURE,
    PlasticityRule,
    register_rule,
)

# synapse state rows: h, z, calcium, the neuron's cumulative late-phase log-factor when z was
# last brought up to date, and the step row
H, Z, CA, LZ, T = 0, 1, 2, 3, 4
# neuron state rows: protein pool, protein-synthesis signal, sums over passive / stepped synapses,
# cumulative late-phase log-factor sum_n log(1 - dt f_int p_n / tau_z)
PC, SIG, S_PAS, S_ACT, LOGZ = 0, 1, 2, 3, 4
N_NEURON_ROWS = 5
# synapse flags: closed-form motion without a tag, stepped every step, closed-form motion with a
# tag (the low two bits); LISTED: the synapse is in the list of tagged synapses (once at most)
PASSIVE, STEPPED, TAGGED, LISTED = 0, 1, 2, 4
TAG_SCAN_STEPS = 1000
"""Every this many steps, tagged synapses in closed-form motion whose tag would end within the
next scan interval join the stepped set (the step where a tag ends is then exact)."""
# constants
(C_H0, C_PA_PER_MV, C_LOG_AH, C_LOG_BCA, C_THP, C_THD, C_TAG, C_GP, C_GD, C_RELAX, C_NOISE, C_ZRATE,
 C_CAPRE, C_CAPOST, C_THPRO, C_PMAX, C_EP, C_BCA, C_HMAX, C_AH) = range(20)


class CalciumSTCParams(Spec):
    """Parameters of the calcium / tagging-and-capture rule (defaults: the network of
    Luboeinski & Tetzlaff 2021)."""

    h_0_mV: float = Field(4.20075, gt=0, description="reference early-phase weight (PSP amplitude)")
    r_mem_MOhm: float = Field(10.0, gt=0, description="membrane resistance turning the PSP (mV) into a current (nA)")
    tau_h_ms: float = Field(688400.0, gt=0, description="early-phase time constant")
    tau_z_ms: float = Field(3600000.0, gt=0, description="late-phase time constant")
    tau_ca_ms: float = Field(48.8, gt=0, description="calcium decay time constant")
    tau_p_ms: float = Field(3600000.0, gt=0, description="protein time constant")
    gamma_p: float = Field(1645.6, ge=0, description="potentiation rate")
    gamma_d: float = Field(313.1, ge=0, description="depression rate")
    h_max_mV: float = Field(10.0, description="potentiation target of h")
    theta_p: float = Field(3.0, ge=0, description="calcium threshold of potentiation")
    theta_d: float = Field(1.2, ge=0, description="calcium threshold of depression")
    theta_tag_mV: float = Field(0.840149, gt=0, description="tagging threshold of |h - h_0|")
    theta_pro_mV: float = Field(2.10037, gt=0, description="protein-synthesis threshold of sum |h - h_0|")
    sigma_pl_mV: float = Field(2.90436, ge=0, description="SD of the plasticity noise (0: deterministic)")
    ca_pre: float = Field(0.6, ge=0, description="presynaptic calcium increment")
    ca_post: float = Field(0.1655, ge=0, description="postsynaptic calcium increment")
    t_ca_delay_ms: float = Field(18.8, gt=0, description="delay of the presynaptic calcium increment")
    f_int_l_per_umol: float = Field(0.1, ge=0, description="late-phase integration factor")
    p_max_umol: float = Field(10.0, ge=0, description="protein synthesis target (umol/l)")

    @model_validator(mode="after")
    def _check(self) -> "CalciumSTCParams":
        if self.theta_p < self.theta_d:
            raise ConfigError("theta_p", self.theta_p, f"must be >= theta_d = {self.theta_d}")
        return self


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _advance(st, nst, c, post, flag, k, step):  # pragma: no cover - compiled
    """Bring a synapse in closed-form motion to ``step``: h toward h_0, Ca toward 0 and, with a
    tag, z toward 1 (LTP) or -1/2 (LTD) with its neuron's protein."""
    n = step - st[k, T]
    if n > 0.0:
        h0 = c[C_H0]
        d = st[k, H] - h0
        if flag[k] & 3 == TAGGED:
            f = math.exp(nst[LOGZ, post[k]] - st[k, LZ])
            if d > 0.0:
                st[k, Z] = 1.0 - (1.0 - st[k, Z]) * f
            else:
                st[k, Z] = (st[k, Z] + 0.5) * f - 0.5
            st[k, LZ] = nst[LOGZ, post[k]]
        if d != 0.0:
            st[k, H] = h0 + d * math.exp(n * c[C_LOG_AH])
        ca = st[k, CA]
        if ca != 0.0:
            st[k, CA] = ca * math.exp(n * c[C_LOG_BCA])
        st[k, T] = step


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _h_at(st, c, k, step):  # pragma: no cover - compiled
    n = step - st[k, T]
    d = st[k, H] - c[C_H0]
    if n > 0.0 and d != 0.0:
        d *= math.exp(n * c[C_LOG_AH])
    return c[C_H0] + d


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _z_current(st, nst, c, flag, post, k):  # pragma: no cover - compiled
    """z now (its neuron's current log-factor), without changing the state."""
    z = st[k, Z]
    if flag[k] & 3 != TAGGED:
        return z
    f = math.exp(nst[LOGZ, post[k]] - st[k, LZ])
    if st[k, H] > c[C_H0]:
        return 1.0 - (1.0 - z) * f
    return (z + 0.5) * f - 0.5


@njit(EFFICACY_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def _efficacy(st, nst, c, flag, post, k, step):  # pragma: no cover - compiled
    return (_h_at(st, c, k, step) + c[C_H0] * _z_current(st, nst, c, flag, post, k)) * c[C_PA_PER_MV]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _push(act, base, k):  # pragma: no cover - compiled
    n = act[base] + 1
    act[base + n] = k
    act[base] = n


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _calcium_event(st, nst, c, act, flag, post, k, step, increment):  # pragma: no cover - compiled
    if flag[k] & 3 == STEPPED:
        st[k, CA] += increment
        return
    _advance(st, nst, c, post, flag, k, step)
    ca = st[k, CA] + increment
    st[k, CA] = ca
    if ca >= c[C_THD]:  # calcium above a threshold: integrate this synapse every step
        nst[S_PAS, post[k]] -= abs(st[k, H] - c[C_H0])
        flag[k] = (flag[k] & LISTED) | STEPPED
        _push(act, 0, k)


@njit(EVENT_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def _on_pre(st, nst, c, act, flag, post, k, step):  # pragma: no cover - compiled
    _calcium_event(st, nst, c, act, flag, post, k, step, c[C_CAPRE])


@njit(EVENT_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def _on_post(st, nst, c, act, flag, post, k, step):  # pragma: no cover - compiled
    _calcium_event(st, nst, c, act, flag, post, k, step, c[C_CAPOST])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _tag_lasts(dev, c):  # pragma: no cover - compiled
    """Steps of closed-form motion before a deviation |h - h_0| = ``dev`` falls below theta_tag."""
    return math.log(c[C_TAG] / dev) / c[C_LOG_AH]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _leave_stepped(st, nst, c, act, flag, post, k, dev):  # pragma: no cover - compiled
    """A synapse whose calcium fell below theta_d moves in closed form (with its tag, if the
    tag outlasts the next scan); returns False if it must stay stepped."""
    if dev >= c[C_TAG]:
        if _tag_lasts(dev, c) <= 2.0 * TAG_SCAN_STEPS:
            return False
        if not flag[k] & LISTED:
            _push(act, act.size // 2, k)
        flag[k] = TAGGED | LISTED
        st[k, LZ] = nst[LOGZ, post[k]]
    else:
        flag[k] = (flag[k] & LISTED) | PASSIVE
    nst[S_PAS, post[k]] += dev
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _scan_tags(st, nst, c, act, flag, post, step):  # pragma: no cover - compiled
    """Tagged synapses whose tag ends before the next scan join the stepped set; entries that
    left the tagged state meanwhile are dropped from the list."""
    base = act.size // 2
    count = act[base]
    j = 1
    h0 = c[C_H0]
    while j <= count:
        k = act[base + j]
        keep = flag[k] & 3 == TAGGED
        if keep:
            dev = abs(_h_at(st, c, k, float(step)) - h0)
            if _tag_lasts(dev, c) <= 2.0 * TAG_SCAN_STEPS:
                _advance(st, nst, c, post, flag, k, float(step))
                nst[S_PAS, post[k]] -= abs(st[k, H] - h0)
                flag[k] = STEPPED  # and no longer listed
                _push(act, 0, k)
                keep = False
        if keep:
            j += 1
        else:
            flag[k] &= 3
            act[base + j] = act[base + count]
            count -= 1
    act[base] = count


@njit(STEP_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def _step(st, nst, c, act, flag, post, step, key):  # pragma: no cover - compiled
    n_post = nst.shape[1]
    a_h = c[C_AH]
    if step % TAG_SCAN_STEPS == 0:
        _scan_tags(st, nst, c, act, flag, post, step)
    zrate = c[C_ZRATE]
    for i in range(n_post):
        nst[S_PAS, i] *= a_h  # closed-form synapses: |h - h_0| decays by the same factor
        nst[S_ACT, i] = 0.0
        x = zrate * nst[PC, i]  # this step's late-phase factor: log(1 - x), by its series for tiny x
        if x != 0.0:
            nst[LOGZ, i] += -x * (1.0 + x * (0.5 + x * (1.0 / 3.0))) if x < 1e-4 else math.log1p(-x)
    h0, thp, thd, tag = c[C_H0], c[C_THP], c[C_THD], c[C_TAG]
    noise = c[C_NOISE]
    stream = step_stream(key, step)
    count = act[0]
    j = 1
    while j <= count:
        k = act[j]
        i = post[k]
        h = st[k, H]
        z = st[k, Z]
        ca = st[k, CA]
        d = h - h0
        pc = nst[PC, i]
        if pc != 0.0:
            if d >= tag:
                z += c[C_ZRATE] * pc * (1.0 - z)
            elif -d >= tag:
                z -= c[C_ZRATE] * pc * (z + 0.5)
        above = 0.0
        h_new = h + c[C_RELAX] * (h0 - h)
        if ca >= thp:
            h_new += c[C_GP] * (c[C_HMAX] - h)
            above += 1.0
        if ca >= thd:
            h_new -= c[C_GD] * h
            above += 1.0
        if above > 0.0 and noise > 0.0:
            h_new += noise * math.sqrt(above) * counter_normal(stream, k)
        ca_new = ca * c[C_BCA]
        if not (abs(h_new) < 1e300 and abs(z) < 1e300):
            return -(k + 1)
        st[k, H] = h_new
        st[k, Z] = z
        st[k, CA] = ca_new
        st[k, T] = step + 1
        dev = abs(h_new - h0)
        if ca_new < thd and _leave_stepped(st, nst, c, act, flag, post, k, dev):
            act[j] = act[count]
            count -= 1
        else:
            nst[S_ACT, i] += dev
            j += 1
    act[0] = count
    thpro, pmax, ep = c[C_THPRO], c[C_PMAX], c[C_EP]
    for i in range(n_post):
        pc = nst[PC, i]
        s = nst[S_PAS, i] + nst[S_ACT, i]
        nst[SIG, i] = s
        target = pmax if s >= thpro else 0.0
        nst[PC, i] = target + (pc - target) * ep
    return 0


@njit(PEEK_SIGNATURE, cache=True, nogil=True, error_model="numpy")
def _peek(st, nst, c, flag, post, k, step, var):  # pragma: no cover - compiled
    if var == H:
        return _h_at(st, c, k, step)
    if var == Z:
        return _z_current(st, nst, c, flag, post, k)
    if var == CA:
        n = step - st[k, T]
        return st[k, CA] * math.exp(n * c[C_LOG_BCA]) if n > 0.0 else st[k, CA]
    return _efficacy(st, nst, c, flag, post, k, step)


@njit(cache=True, nogil=True, error_model="numpy")
def _rebuild(st, nst, c, act, flag, post, step):  # pragma: no cover - compiled
    h0 = c[C_H0]
    for k in range(st.shape[0]):
        _advance(st, nst, c, post, flag, k, step)
    nst[S_PAS, :] = 0.0
    nst[S_ACT, :] = 0.0
    act[0] = 0
    act[act.size // 2] = 0
    for k in range(st.shape[0]):
        dev = abs(st[k, H] - h0)
        flag[k] = STEPPED
        if st[k, CA] >= c[C_THD] or not _leave_stepped(st, nst, c, act, flag, post, k, dev):
            flag[k] = STEPPED
            _push(act, 0, k)
            nst[S_ACT, post[k]] += dev
    for i in range(nst.shape[1]):
        nst[SIG, i] = nst[S_PAS, i] + nst[S_ACT, i]


@njit(cache=True, nogil=True, error_model="numpy")
def _fast_forward(st, nst, h0, tag, tau_h, tau_z, tau_p, f_int, thpro, pmax, post, dts, probe_kind, probe_var,
                  probe_index, out):  # pragma: no cover - compiled
    """Implicit Euler of h and z, exact protein decay, one row of ``out`` per step of ``dts``."""
    n_post = nst.shape[1]
    signal = np.zeros(n_post)
    for s in range(dts.size):
        dt = dts[s]
        relax = 0.1 * dt / tau_h
        zrate = f_int * dt / tau_z
        signal[:] = 0.0
        for k in range(st.shape[0]):
            d = st[k, H] - h0
            i = post[k]
            a = zrate * nst[PC, i]
            if a != 0.0:
                z = st[k, Z]
                if d >= tag:
                    st[k, Z] = (z + a) / (1.0 + a)
                elif -d >= tag:
                    st[k, Z] = (z - 0.5 * a) / (1.0 + a)
            h = (st[k, H] + relax * h0) / (1.0 + relax)
            st[k, H] = h
            signal[i] += abs(h - h0)
        ep = math.exp(-dt / tau_p)
        for i in range(n_post):
            nst[SIG, i] = signal[i]
            target = pmax if signal[i] >= thpro else 0.0
            nst[PC, i] = target + (nst[PC, i] - target) * ep
        for j in range(probe_kind.size):
            q = probe_index[j]
            if probe_kind[j] == 0:
                out[s, j] = st[q, probe_var[j]]
            elif probe_kind[j] == 1:
                out[s, j] = nst[probe_var[j], q]
            else:
                out[s, j] = np.nan
    st[:, CA] = 0.0


@register_rule
class CalciumSTC(PlasticityRule):
    name = "calcium_stc"
    description = "calcium-based early phase, synaptic tagging and capture (Luboeinski & Tetzlaff 2021)"
    Params = CalciumSTCParams
    synapse_vars = {"h_mV": "mV", "z": "1", "ca": "1"}
    internal_synapse_rows = ("late_log_factor",)
    neuron_vars = {"protein_umol": "umol/l", "signal_mV": "mV"}
    n_neuron_rows = N_NEURON_ROWS
    pre_delay_param = "t_ca_delay_ms"
    efficacy = _efficacy
    on_pre = _on_pre
    on_post = _on_post
    step = _step
    peek = _peek

    @classmethod
    def constants(cls, params: CalciumSTCParams, dt_ms: float) -> np.ndarray:
        p = params
        a_h = 1.0 - 0.1 * dt_ms / p.tau_h_ms
        b_ca = 1.0 - dt_ms / p.tau_ca_ms
        if b_ca <= 0.0:
            raise ConfigError("tau_ca_ms", p.tau_ca_ms, f"must exceed dt = {dt_ms} ms (explicit Euler of calcium)")
        c = np.zeros(20)
        c[C_H0] = p.h_0_mV
        c[C_PA_PER_MV] = 1000.0 / p.r_mem_MOhm
        c[C_LOG_AH] = math.log(a_h)
        c[C_LOG_BCA] = math.log(b_ca)
        c[C_THP], c[C_THD], c[C_TAG] = p.theta_p, p.theta_d, p.theta_tag_mV
        c[C_GP] = p.gamma_p * dt_ms / p.tau_h_ms
        c[C_GD] = p.gamma_d * dt_ms / p.tau_h_ms
        c[C_RELAX] = 0.1 * dt_ms / p.tau_h_ms
        c[C_NOISE] = p.sigma_pl_mV * math.sqrt(dt_ms / p.tau_h_ms)
        c[C_ZRATE] = p.f_int_l_per_umol * dt_ms / p.tau_z_ms
        c[C_CAPRE], c[C_CAPOST] = p.ca_pre, p.ca_post
        c[C_THPRO], c[C_PMAX] = p.theta_pro_mV, p.p_max_umol
        c[C_EP] = math.exp(-dt_ms / p.tau_p_ms)
        c[C_BCA] = b_ca
        c[C_HMAX] = p.h_max_mV
        c[C_AH] = a_h
        return c

    @classmethod
    def initial_state(cls, params: CalciumSTCParams, weight_pA: np.ndarray, n_post: int) -> tuple[np.ndarray, np.ndarray]:
        st = np.zeros((weight_pA.size, 5))
        st[:, H] = np.asarray(weight_pA, dtype=np.float64) * params.r_mem_MOhm / 1000.0
        return st, np.zeros((N_NEURON_ROWS, n_post))

    @classmethod
    def workspace_size(cls, n_synapses: int) -> int:
        return 2 * (n_synapses + 1)  # the stepped set, then the tagged synapses in closed-form motion

    @classmethod
    def rebuild(cls, st, nst, c, act, flag, post, step) -> None:
        _rebuild(st, nst, c, act, flag, post, float(step))

    @classmethod
    def fast_forward(cls, st, nst, params, post, step, duration_ms, dt_ff_ms, probe_kind, probe_var, probe_index):
        if not (dt_ff_ms > 0 and duration_ms >= 0):
            raise ConfigError("dt_ff_ms", dt_ff_ms, "must be > 0 (and the duration >= 0)")
        n_full = int(duration_ms // dt_ff_ms)
        dts = np.full(n_full, float(dt_ff_ms))
        rest = duration_ms - n_full * dt_ff_ms
        if rest > 1e-9 * dt_ff_ms:
            dts = np.append(dts, rest)
        out = np.empty((dts.size, probe_kind.size))
        p = params
        _fast_forward(st, nst, p.h_0_mV, p.theta_tag_mV, p.tau_h_ms, p.tau_z_ms, p.tau_p_ms, p.f_int_l_per_umol,
                      p.theta_pro_mV, p.p_max_umol, post, dts, probe_kind, probe_var, probe_index, out)
        return np.cumsum(dts), out
