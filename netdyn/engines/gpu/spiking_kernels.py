"""CUDA kernels of the GPU spiking engine (:mod:`netdyn.engines.gpu.spiking` documents the step).

Imported only once a GPU run is asked for (it imports numba's CUDA target; numba's simulator
swaps the module-level name ``cuda``). The per-neuron updates repeat the CPU models' arithmetic
(:mod:`netdyn.models.spiking.neurons`) operation for operation, one neuron per thread.
"""

import math

import numpy as np
from numba import cuda

from netdyn.connectivity.procedural import (
    BERNOULLI_TARGETS,
    SAME_INDEX,
    UNIFORM_TARGETS,
    alias_draw,
    bernoulli_next,
    draw_value,
    uniform_target,
)
from netdyn.counter_random import counter_uniform, step_stream
from netdyn.engines.gpu.device import BLOCK
from netdyn.engines.spiking.kernel import poisson, poisson_large

LIF_PSC_EXP, LIF_COND_EXP, ADEX_COND_EXP = 0, 1, 2
GPU_MODELS = {"lif_psc_exp": LIF_PSC_EXP, "lif_cond_exp": LIF_COND_EXP, "adex_cond_exp": ADEX_COND_EXP}
"""Neuron models with a GPU update, by name: their code in the kernels."""

NONE = np.iinfo(np.int64).max  # status: no non-finite neuron
# status slots: first non-finite neuron, steps done, stopped for room, step of the non-finite neuron
BAD, DONE, STOPPED, BAD_STEP = 0, 1, 2, 3


@cuda.jit(device=True, inline=True)
def take_input(ring, at, inv_scale):
    """The input summed in ring entry ``at`` (fixed point), as the CPU's float32, and clear it."""
    x = np.float32(ring[at] * inv_scale)
    ring[at] = 0
    return x


@cuda.jit(device=True, inline=True)
def settle_lif(state, at, refr, e, v, v_th, v_reset, ref_steps):
    """Store the new V of a LIF neuron (state index ``at``; neuron ``e``'s refractory counter):
    -1 if it is not finite, 1 if it reaches ``v_th`` (then reset and refractory for
    ``ref_steps``), else 0; the CPU models' spike rule (``collect_spikes``, not strict)."""
    if not abs(v) < 1e300:
        state[at] = v
        return -1
    if v >= v_th:
        state[at] = v_reset
        refr[e] = np.int32(ref_steps)
        return 1
    state[at] = v
    return 0


@cuda.jit(device=True)
def lif_psc_exp(state, s0, n, i, refr, e, c, ring, cb, inv_scale, has_ext, x_ext):
    """One step of neuron ``i`` (local) of an ``lif_psc_exp`` population; 1 spike, 0, -1 non-finite."""
    p22, p20, e_l, v_th, v_reset = c[0], c[1], c[2], c[3], c[4]
    n_rec = (c.size - 8) // 2
    v = state[s0 + i]
    u = p22 * (v - e_l) + p20 * (c[5] + x_ext if has_ext else c[5])
    for r in range(n_rec):
        at = s0 + (1 + r) * n + i
        ci = state[at]
        u += c[8 + 2 * r + 1] * ci
        state[at] = ci * c[8 + 2 * r] + take_input(ring, cb + r * n, inv_scale)
    ri = refr[e]
    refr[e] = ri - 1 if ri > 0 else 0
    return settle_lif(state, s0 + i, refr, e, v if ri > 0 else u + e_l, v_th, v_reset, c[6])


@cuda.jit(device=True)
def lif_cond_exp(state, s0, n, i, refr, e, c, ring, cb, inv_scale, has_ext, x_ext):
    """One step of neuron ``i`` of an ``lif_cond_exp`` population (``x_ext``: I_ext, pA)."""
    dt_over_c, g_l, e_l, v_th, v_reset = c[0], c[1], c[2], c[3], c[4]
    n_rec = (c.size - 8) // 2
    g_tot = g_l
    num = g_l * e_l + c[6]
    if has_ext:
        num += x_ext
    for r in range(n_rec):
        at = s0 + (1 + r) * n + i
        gi = state[at]
        g_tot += gi
        num += gi * c[8 + 2 * r + 1]
        state[at] = gi * c[8 + 2 * r] + take_input(ring, cb + r * n, inv_scale)
    v = state[s0 + i]
    if c[7] != 0.0:
        v_new = v + dt_over_c * (num - g_tot * v)
    else:
        v_inf = num / g_tot
        v_new = v_inf + (v - v_inf) * math.exp(-dt_over_c * g_tot)
    ri = refr[e]
    refr[e] = ri - 1 if ri > 0 else 0
    return settle_lif(state, s0 + i, refr, e, v_reset if ri > 0 else v_new, v_th, v_reset, c[5])


@cuda.jit(device=True)
def adex_cond_exp(state, s0, n, i, refr, e, c, ring, cb, inv_scale, has_ext, x_ext):
    """One step of neuron ``i`` of an ``adex_cond_exp`` population (forward Euler, as the CPU)."""
    dt, c_m, g_l, e_l, v_t, d_t = c[0], c[1], c[2], c[3], c[4], c[5]
    v_reset, v_peak, a, b, tau_w = c[6], c[7], c[8], c[9], c[10]
    n_rec = (c.size - 13) // 2
    v = state[s0 + i]
    w = state[s0 + n + i]
    drive = (c[12] + x_ext if has_ext else c[12]) - w
    for r in range(n_rec):
        at = s0 + (2 + r) * n + i
        gi = state[at]
        drive += gi * (c[13 + 2 * r + 1] - v)
        state[at] = gi * c[13 + 2 * r] + take_input(ring, cb + r * n, inv_scale)
    dv = g_l * (e_l - v) + drive
    if d_t > 0.0:
        dv += g_l * d_t * math.exp((v - v_t) * (1.0 / d_t))
    w += dt / tau_w * (a * (v - e_l) - w)
    ri = refr[e]
    v = v_reset if ri > 0 else v + dt / c_m * dv
    refr[e] = ri - 1 if ri > 0 else 0
    if not abs(v) < 1e300:
        state[s0 + i] = v
        state[s0 + n + i] = w
        return -1
    spiked = v > v_peak
    if spiked:
        v = v_reset
        w += b
        refr[e] = np.int32(c[11])
    state[s0 + i] = v
    state[s0 + n + i] = w
    return 1 if spiked else 0


@cuda.jit(device=True)
def poisson_count(stream, i, lam, exp_minus_lam):
    """Draw ``i`` of ``stream``: a Poisson count of mean ``lam`` by inversion with
    ``exp_minus_lam`` = exp(-lam), or (``exp_minus_lam < 0``) as a sum of counts of mean <= 30
    from sub-streams: the CPU engine's two paths, chosen as it chooses them (host side)."""
    if exp_minus_lam >= 0.0:
        return poisson(counter_uniform(stream, i), lam, exp_minus_lam)
    return poisson_large(stream, i, lam)


@cuda.jit(device=True)
def phase_a(t, step, cur, n_slots, n_chan, neuron_pop, pop_first, pop_n, pop_state_off, pop_chan_off, pop_kind,
            pop_current, consts, const_len, state, refr, i_ext, ring, inv_scale, drv_ptr, drv_rec, drv_wfix, drv_bernoulli,
            drv_key, drv_lam, drv_exp, src_first, src_n, src_key, src_lam, src_exp, n_neurons, n_total, spk_ids, spk_mult,
            spk_count, pop_counts, status):
    """Drives, neuron updates and Poisson sources of step ``step`` (``t`` in the chunk); the
    spikes go to the list ``spk_*[step % 2]`` (unordered: delivery is order-free)."""
    par = step % 2
    for e in range(cuda.grid(1), n_total, cuda.gridsize(1)):
        if e < n_neurons:
            p = neuron_pop[e]
            n = pop_n[p]
            i = e - pop_first[p]
            cb = cur * n_chan + pop_chan_off[p] + i
            for d in range(drv_ptr[p], drv_ptr[p + 1]):
                lam = drv_lam[d, t]
                if lam <= 0.0:
                    continue
                stream = np.uint64(step_stream(drv_key[d], step))  # (a Python int in the simulator)
                if drv_bernoulli[d]:
                    k = 1 if counter_uniform(stream, i) < lam else 0
                else:
                    k = poisson_count(stream, i, lam, drv_exp[d, t])
                ring[cb + drv_rec[d] * n] += k * drv_wfix[d]
            c = consts[p, :const_len[p]]
            has_ext = pop_current[p] != 0
            x_ext = i_ext[e] if has_ext else 0.0
            s0 = pop_state_off[p]
            kind = pop_kind[p]
            if kind == LIF_PSC_EXP:
                res = lif_psc_exp(state, s0, n, i, refr, e, c, ring, cb, inv_scale, has_ext, x_ext)
            elif kind == LIF_COND_EXP:
                res = lif_cond_exp(state, s0, n, i, refr, e, c, ring, cb, inv_scale, has_ext, x_ext)
            else:
                res = adex_cond_exp(state, s0, n, i, refr, e, c, ring, cb, inv_scale, has_ext, x_ext)
            if res < 0:
                cuda.atomic.min(status, BAD, e)
                status[BAD_STEP] = t
            elif res > 0:
                j = cuda.atomic.add(spk_count, par, 1)
                spk_ids[par, j] = e
                spk_mult[par, j] = 1
                cuda.atomic.add(pop_counts, (t, p), 1)
        else:
            s = e - n_neurons
            q = 0
            while s >= src_n[q]:
                s -= src_n[q]
                q += 1
            lam = src_lam[q, t]
            if lam <= 0.0:
                continue
            k = poisson_count(np.uint64(step_stream(src_key[q], step)), s, lam, src_exp[q, t])
            if k > 0:
                j = cuda.atomic.add(spk_count, par, 1)
                spk_ids[par, j] = src_first[q] + s
                spk_mult[par, j] = k


@cuda.jit(device=True, inline=True)
def table_draw(prob, alias, off, n, stream, i):
    """:func:`netdyn.connectivity.procedural.draw_alias` with the tables read here (numba's
    simulator cannot hand its device arrays to a CPU-compiled function)."""
    col, coin = alias_draw(n, stream, i)
    return col if coin < prob[off + col] else np.int64(alias[off + col])


@cuda.jit(device=True, inline=True)
def weight_draw(w, stream, i):
    """Weight ``i`` of ``stream`` from the law ``w`` (a ``value_params`` row) as float32, as the CPU
    adds it (:func:`~netdyn.connectivity.procedural.draw_value` of the row as a tuple)."""
    return np.float32(draw_value((w[0], w[1], w[2], w[3], w[4], w[5]), stream, i))


@cuda.jit(device=True, inline=True)
def add_event(ring, cur, d, n_slots, n_chan, channel, value, scale, mult):
    """Add ``mult`` times the float32 ``value`` (fixed point) to ``channel``, ``d`` steps after ``cur``."""
    slot = cur + d
    while slot >= n_slots:
        slot -= n_slots
    cuda.atomic.add(ring, slot * n_chan + channel, mult * np.int64(math.floor(np.float64(value) * scale + 0.5)))


@cuda.jit(device=True)
def deliver_procedural(src, g, mult, cur, n_slots, n_chan, ring, scale, pop_chan_off, pop_n, pr_group_ptr,
                       pr_src_first, pr_tgt_pop, pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w,
                       pr_key_d, pr_counts_off, pr_counts, pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off, pr_dl_len,
                       pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len, pr_wc_off, pr_wcounts):
    """Regenerate the synapses of source ``src`` (group ``g``) in every procedural projection and
    add them to the ring, all delays at once (the device's ring spans the longest delay); the
    block's threads share the synapses. The draws are the CPU's
    (``_deliver_procedural`` in :mod:`netdyn.engines.spiking.kernel`), delay windows included:
    where a source's synapses are split among windows, each window's are drawn from its table."""
    tid = cuda.threadIdx.x
    for q in range(pr_group_ptr[g], pr_group_ptr[g + 1]):
        tgt = pr_tgt_pop[q]
        n = pop_n[tgt]
        c0 = pop_chan_off[tgt] + pr_receptor[q] * n
        i = src - pr_src_first[q]
        kind = pr_kind[q]
        skip_self = pr_skip_self[q] != 0
        others = pr_n_post[q] - 1 if skip_self else pr_n_post[q]
        weight = pr_weight[q]
        d_off, d_len = pr_dl_off[q], pr_dl_len[q]
        st = np.uint64(step_stream(pr_key[q], i))
        sw = np.uint64(step_stream(pr_key_w[q], i))
        sd = np.uint64(step_stream(pr_key_d[q], i))
        if kind == UNIFORM_TARGETS and pr_wt_ptr[q] >= 0:  # split among delay windows
            nw = pr_n_win[q] - pr_win_first[q]
            at = pr_wc_off[q] + i * nw
            s0 = np.int64(0)
            for j in range(nw):
                cnt = np.int64(pr_wcounts[at + j])
                d_lo = (pr_win_first[q] + j) * pr_window + 1
                t_off, t_len = pr_wt_off[pr_wt_ptr[q] + j], pr_wt_len[pr_wt_ptr[q] + j]
                for s in range(s0 + tid, s0 + cnt, BLOCK):
                    t = uniform_target(st, s, others, skip_self, i)
                    d = d_lo + table_draw(pr_dl_prob, pr_dl_alias, t_off, t_len, sd, s)
                    add_event(ring, cur, d, n_slots, n_chan, c0 + t, weight_draw(weight, sw, s), scale,
                              mult)
                s0 += cnt
        elif kind == UNIFORM_TARGETS:
            for s in range(tid, np.int64(pr_counts[pr_counts_off[q] + i]), BLOCK):
                t = uniform_target(st, s, others, skip_self, i)
                d = table_draw(pr_dl_prob, pr_dl_alias, d_off, d_len, sd, s) + 1
                add_event(ring, cur, d, n_slots, n_chan, c0 + t, weight_draw(weight, sw, s), scale, mult)
        elif kind == BERNOULLI_TARGETS and pr_p[q] < 1.0:
            p = pr_p[q]
            if tid == 0 and p > 0.0:  # geometric skipping: one chain of draws, walked by one thread
                inv_log_q = 1.0 / math.log1p(-p)
                s = np.int64(0)
                t = bernoulli_next(st, s, np.int64(-1), others, inv_log_q)
                while t >= 0:
                    tt = t + 1 if skip_self and t >= i else t
                    if tt >= n:
                        break
                    d = table_draw(pr_dl_prob, pr_dl_alias, d_off, d_len, sd, s) + 1
                    add_event(ring, cur, d, n_slots, n_chan, c0 + tt, weight_draw(weight, sw, s), scale,
                              mult)
                    s += 1
                    t = bernoulli_next(st, s, t, others, inv_log_q)
        else:  # every target, or the same index
            first, stop = (i, i + 1 if i + 1 < n else n) if kind == SAME_INDEX else (0, n)
            for tt in range(first + tid, stop, BLOCK):
                if kind == SAME_INDEX:
                    s = np.int64(0)
                else:
                    if skip_self and tt == i:
                        continue
                    s = np.int64(tt - 1 if skip_self and tt > i else tt)
                d = table_draw(pr_dl_prob, pr_dl_alias, d_off, d_len, sd, s) + 1
                add_event(ring, cur, d, n_slots, n_chan, c0 + tt, weight_draw(weight, sw, s), scale, mult)


@cuda.jit(device=True)
def phase_b(t, step, cur, n_slots, n_chan, syn_ptr, syn_target, syn_weight, syn_delay, scale, ring, spk_ids, spk_mult, spk_count,
            rec_mask, rec_t, rec_id, rec_n, probe_idx, probe_out, probe_row, state, neuron_pop, n_neurons, n_pops,
            src_n, pop_chan_off, pop_n, pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor, pr_kind, pr_n_post,
            pr_skip_self, pr_p, pr_key, pr_key_w, pr_key_d, pr_counts_off, pr_counts, pr_weight, pr_dl_prob,
            pr_dl_alias, pr_dl_off, pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len,
            pr_wc_off, pr_wcounts):
    """Deliver the spikes of step ``step`` (one block per spike, its threads over the stored
    synapses, then over the procedural ones it regenerates; integer atomics into the ring:
    exact, so the order does not matter), record them, take the
    state probes of the next step (row ``probe_row`` >= 0) and clear the next step's spike list."""
    par = step % 2
    count = spk_count[par]
    for j in range(cuda.blockIdx.x, count, cuda.gridDim.x):
        src = spk_ids[par, j]
        mult = np.int64(spk_mult[par, j])
        for q in range(syn_ptr[src] + cuda.threadIdx.x, syn_ptr[src + 1], BLOCK):
            slot = cur + np.int64(syn_delay[q])  # (not uint8 arithmetic in the simulator)
            if slot >= n_slots:
                slot -= n_slots
            cuda.atomic.add(ring, slot * n_chan + syn_target[q], mult * np.int64(math.floor(syn_weight[q] * scale + 0.5)))
        if pr_kind.size > 0:
            if src < n_neurons:
                g = np.int64(neuron_pop[src])
            else:
                g = np.int64(n_pops)
                rest = src - n_neurons
                while rest >= src_n[g - n_pops]:
                    rest -= src_n[g - n_pops]
                    g += 1
            deliver_procedural(src, g, mult, cur, n_slots, n_chan, ring, scale, pop_chan_off, pop_n, pr_group_ptr, pr_src_first, pr_tgt_pop,
                               pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w, pr_key_d,
                               pr_counts_off, pr_counts, pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off, pr_dl_len,
                               pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len, pr_wc_off,
                               pr_wcounts)
    for j in range(cuda.grid(1), count, cuda.gridsize(1)):
        src = spk_ids[par, j]
        if rec_mask[src]:
            for _ in range(spk_mult[par, j]):
                at = cuda.atomic.add(rec_n, 0, 1)
                if at < rec_t.size:
                    rec_t[at] = t
                    rec_id[at] = src
    if probe_row >= 0:
        for j in range(cuda.grid(1), probe_idx.size, cuda.gridsize(1)):
            probe_out[probe_row, j] = state[probe_idx[j]]
    if cuda.grid(1) == 0:
        spk_count[1 - par] = 0


@cuda.jit(device=True)
def probe_row_of(step, probe_every, first_probe, n_probe):
    """Row of the probes taken before ``step``, or -1 if none are."""
    if n_probe == 0 or step % probe_every != 0:
        return -1
    return (step - first_probe) // probe_every


@cuda.jit
def steps_persistent(step0, n_steps, n_slots, n_chan, neuron_pop, pop_first, pop_n, pop_state_off, pop_chan_off,
                     pop_kind, pop_current, consts, const_len, state, refr, i_ext, ring, inv_scale, scale, drv_ptr, drv_rec,
                     drv_wfix, drv_bernoulli, drv_key, drv_lam, drv_exp, src_first, src_n, src_key, src_lam, src_exp,
                     n_neurons, n_total, spk_ids, spk_mult, spk_count, pop_counts, syn_ptr, syn_target, syn_weight, syn_delay,
                     rec_mask, rec_t, rec_id, rec_n, rec_room, probe_idx, probe_out, probe_every, first_probe, status,
                     n_pops, pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w,
                     pr_key_d, pr_counts_off, pr_counts, pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off, pr_dl_len,
                     pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len, pr_wc_off, pr_wcounts):
    """``n_steps`` steps from ``step0`` in one cooperative launch, two grid barriers a step.
    Stops early (``status[STOPPED] = 1``) when the recorded spikes might overflow
    ``rec_t`` (fewer than ``rec_room`` entries left), or at a non-finite neuron
    (``status[BAD]``); ``status[DONE]``: steps done."""
    grid = cuda.cg.this_grid()
    row = probe_row_of(step0, probe_every, first_probe, probe_idx.size)
    if row >= 0:
        for j in range(cuda.grid(1), probe_idx.size, cuda.gridsize(1)):
            probe_out[row, j] = state[probe_idx[j]]
    grid.sync()
    for t in range(n_steps):
        step = step0 + t
        if rec_n[0] + rec_room > rec_t.size:
            if cuda.grid(1) == 0:
                status[DONE] = t
                status[STOPPED] = 1
            return
        cur = step % n_slots
        phase_a(t, step, cur, n_slots, n_chan, neuron_pop, pop_first, pop_n, pop_state_off, pop_chan_off, pop_kind,
                pop_current, consts, const_len, state, refr, i_ext, ring, inv_scale, drv_ptr, drv_rec, drv_wfix, drv_bernoulli,
                drv_key, drv_lam, drv_exp, src_first, src_n, src_key, src_lam, src_exp, n_neurons, n_total, spk_ids, spk_mult,
                spk_count, pop_counts, status)
        grid.sync()
        if status[BAD] != NONE:
            if cuda.grid(1) == 0:
                status[DONE] = t
            return
        row = probe_row_of(step + 1, probe_every, first_probe, probe_idx.size) if t + 1 < n_steps else -1
        phase_b(t, step, cur, n_slots, n_chan, syn_ptr, syn_target, syn_weight, syn_delay, scale, ring, spk_ids, spk_mult, spk_count,
                rec_mask, rec_t, rec_id, rec_n, probe_idx, probe_out, row, state, neuron_pop, n_neurons, n_pops,
                src_n, pop_chan_off, pop_n, pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor, pr_kind, pr_n_post,
                pr_skip_self, pr_p, pr_key, pr_key_w, pr_key_d, pr_counts_off, pr_counts, pr_weight, pr_dl_prob,
                pr_dl_alias, pr_dl_off, pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len,
                pr_wc_off, pr_wcounts)
        grid.sync()
    if cuda.grid(1) == 0:
        status[DONE] = n_steps


@cuda.jit
def step_a(t, step0, n_slots, n_chan, neuron_pop, pop_first, pop_n, pop_state_off, pop_chan_off, pop_kind,
           pop_current, consts, const_len, state, refr, i_ext, ring, inv_scale, drv_ptr, drv_rec, drv_wfix, drv_bernoulli,
           drv_key, drv_lam, drv_exp, src_first, src_n, src_key, src_lam, src_exp, n_neurons, n_total, spk_ids, spk_mult,
           spk_count, pop_counts, rec_n, rec_room, rec_size, probe_idx, probe_out, probe_every, first_probe, status):
    """Phase A of step ``step0 + t`` (launch mode ``per_step``; probes of the chunk's first
    step too); nothing once the run has stopped."""
    if status[STOPPED] != 0 or status[BAD_STEP] < t:
        return
    step = step0 + t
    if rec_n[0] + rec_room > rec_size:  # read by every thread before any writes it this step
        if cuda.grid(1) == 0:
            status[DONE] = t
            status[STOPPED] = 1
        return
    if t == 0:
        row = probe_row_of(step0, probe_every, first_probe, probe_idx.size)
        if row >= 0:
            for j in range(cuda.grid(1), probe_idx.size, cuda.gridsize(1)):
                probe_out[row, j] = state[probe_idx[j]]
    phase_a(t, step, step % n_slots, n_slots, n_chan, neuron_pop, pop_first, pop_n, pop_state_off, pop_chan_off,
            pop_kind, pop_current, consts, const_len, state, refr, i_ext, ring, inv_scale, drv_ptr, drv_rec, drv_wfix,
            drv_bernoulli, drv_key, drv_lam, drv_exp, src_first, src_n, src_key, src_lam, src_exp, n_neurons, n_total, spk_ids,
            spk_mult, spk_count, pop_counts, status)
    if cuda.grid(1) == 0:
        status[DONE] = t + 1


@cuda.jit
def step_b(t, step0, n_steps, n_slots, n_chan, syn_ptr, syn_target, syn_weight, syn_delay, scale, ring, spk_ids, spk_mult,
           spk_count, rec_mask, rec_t, rec_id, rec_n, probe_idx, probe_out, probe_every, first_probe, state, status,
           neuron_pop, n_neurons, n_pops, src_n, pop_chan_off, pop_n, pr_group_ptr, pr_src_first, pr_tgt_pop,
           pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w, pr_key_d, pr_counts_off, pr_counts,
           pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off, pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr,
           pr_wt_off, pr_wt_len, pr_wc_off, pr_wcounts):
    """Phase B of step ``step0 + t`` (launch mode ``per_step``)."""
    if status[STOPPED] != 0 or status[BAD] != NONE:
        return
    step = step0 + t
    row = probe_row_of(step + 1, probe_every, first_probe, probe_idx.size) if t + 1 < n_steps else -1
    phase_b(t, step, step % n_slots, n_slots, n_chan, syn_ptr, syn_target, syn_weight, syn_delay, scale, ring, spk_ids, spk_mult,
            spk_count, rec_mask, rec_t, rec_id, rec_n, probe_idx, probe_out, row, state, neuron_pop, n_neurons,
            n_pops, src_n, pop_chan_off, pop_n, pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor, pr_kind,
            pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w, pr_key_d, pr_counts_off, pr_counts, pr_weight,
            pr_dl_prob, pr_dl_alias, pr_dl_off, pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off,
            pr_wt_len, pr_wc_off, pr_wcounts)
