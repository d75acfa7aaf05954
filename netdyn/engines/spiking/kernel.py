"""The compiled step loop of the spiking engine.

One call advances the whole network by ``n_steps`` steps of dt, on one or more threads, each
running :func:`run_steps` on its own chunk of every population. Per step:

1. independent Poisson drives add their events to this step's synaptic input, drawn from a
   counter-based generator keyed by (drive, step, neuron) and vectorised over neurons;
2. each population's model ``step`` (a first-class numba function, see
   :mod:`netdyn.models.spiking.base`) advances its state and lists its spikes;
3. Poisson source populations list theirs, counter-based as well (keyed by source, step,
   neuron), so no random state is carried and no draw depends on the number of threads;
4. after a barrier, every thread propagates every spike of the step onto its own chunks'
   channels in the delay ring buffer (spike-driven: the cost is proportional to the number of
   synapses of the neurons that spiked), in one canonical order.

Each model's ``step`` reads this step's slot of the ring buffer and sets it to zero as it goes
(a separate clearing pass would cost another sweep over the slot, 10-15 % of a COBA step).

Synapses are CSR by (thread of the target, presynaptic source): row ``r = u n_sources + i``
holds the synapses of source ``i`` onto thread ``u``'s chunks, ``syn_ptr[r] .. syn_ptr[r+1]``, each an int32 input-channel index (which encodes target neuron and receptor)
and a float32 weight, sorted by delay and cut into segments ``seg_ptr[i] .. seg_ptr[i+1]`` of
equal delay (``seg_delay``, int16 steps; ``seg_len``, uint16 synapses): 8 bytes per synapse,
4 per (row, delay) segment and 16 per row (per source and thread). The ring buffer holds ``n_slots`` rows of ``n_chan``
input channels; ``n_slots`` exceeds the largest delay. It is float32, like the weights it sums: a
step's sum per channel is rounded to float32 (relative 6e-8, the precision of the weights
themselves), and reading the slot each step moves half the bytes of float64.

Procedural projections (:mod:`netdyn.engines.spiking.procedural`) store no synapses: in step
4 each thread regenerates, for every spike, the synapses that end on its own chunks (targets,
weights and delays from counter-based streams keyed by projection and source) into a small
buffer, then adds the buffer to the ring in the same order (making and writing in separate
loops lets the writes' cache misses overlap). Where delays are cut into windows, the spikes of
``j W`` steps ago deliver their synapses of window ``j`` from a per-thread spike history.

Status codes returned: 0 done, 1 spike buffer or spike history full (resume after growing
it), 2 non-finite state (population and neuron given).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from netdyn.connectivity.procedural import (
    BERNOULLI_TARGETS,
    bernoulli_next,
    SAME_INDEX as SAME_INDEX_TARGET,
    UNIFORM_TARGETS,
    draw_alias,
    draw_value,
    uniform_target,
)
from netdyn.counter_random import counter_normal, counter_uniform, step_stream
from netdyn.engines.threads import barrier_wait

DONE, SPIKE_BUFFER_FULL, NON_FINITE = 0, 1, 2

MODEL_SLOTS = 4
"""Length of :func:`run_steps`' tuple of neuron-model step functions for networks of up to 4
models (padded with the first; :func:`model_slots`): the loop's type does not depend on how
many models a network uses, so it is compiled and cached once (about 40 s)."""


def model_slots(steps: tuple) -> tuple:
    """The models' step functions padded to :data:`MODEL_SLOTS` entries (unused entries repeat
    the first; a network indexes only its own)."""
    return steps + steps[:1] * (MODEL_SLOTS - len(steps))


@intrinsic
def borrowed_slice(typingctx, arr, start, stop):  # pragma: no cover - compiled
    """``arr[start:stop]`` of a 1-D contiguous array, without a reference count: the view has no
    meminfo, so passing it to a model's step costs no atomic increment and decrement (a slice
    costs two, about 5 % of a small network's step). Valid only while ``arr`` lives, which the
    step loop's arguments guarantee."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.layout == "C"):
        return None
    sig = arr(arr, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        src = context.make_array(aryty)(context, builder, args[0])
        out = context.make_array(aryty)(context, builder)
        count = builder.sub(args[2], args[1])
        data = builder.gep(src.data, [args[1]])
        context.populate_array(out, data=data, shape=[count], strides=[src.itemsize], itemsize=src.itemsize,
                               meminfo=None)
        return out._getvalue()

    return sig, codegen


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _deliver(src, mult, cur, ring, n_slots, n_chan, syn_ptr, seg_ptr, seg_delay, seg_len, syn_target, syn_weight):  # pragma: no cover
    q = syn_ptr[src]
    for g in range(seg_ptr[src], seg_ptr[src + 1]):
        slot = cur + seg_delay[g]
        if slot >= n_slots:
            slot -= n_slots
        base = slot * n_chan
        end = q + seg_len[g]
        for k in range(q, end):
            ring[base + syn_target[k]] += mult * syn_weight[k]  # float32
        q = end


#: Largest Poisson mean drawn by one inversion; larger means are sums of Poisson(<= 30) draws.
POISSON_CHUNK = 30.0


@njit(cache=True, nogil=True, inline="always")
def poisson(u, lam, exp_minus_lam):  # pragma: no cover - compiled
    """The Poisson count of mean ``lam`` <= POISSON_CHUNK at which the uniform ``u`` falls, by
    inversion of the CDF (``exp_minus_lam`` = exp(-lam), computed once per step by the caller).
    It stops where the float64 CDF stops growing, as :func:`poisson_table` does."""
    k = 0
    p = exp_minus_lam
    f = p
    while u > f:
        k += 1
        p *= lam / k
        grown = f + p
        if grown == f:
            break
        f = grown
    return k


POISSON_TABLE = 64  # CDF entries of a drive's per-step Poisson table (longer: the scalar path)


@njit(cache=True, nogil=True)
def poisson_table(lam, table):  # pragma: no cover - compiled
    """Fill ``table`` with the Poisson(``lam``) CDF F_0, F_1 ... while it grows below 1.0 in
    float64, then 2.0; return the number of CDF entries, or -1 if they do not fit.

    A count is then ``sum_j [u > F_j]``: the CDF inversion of :func:`poisson`, with the same
    sums in the same order, but branch-free. Where the float64 sum stops growing short of 1.0,
    a draw above it (probability < 1e-15) gets the table's length, a count in the far tail."""
    p = np.exp(-lam)
    f = p
    j = 0
    while f < 1.0:
        if j >= table.size:
            return -1
        table[j] = f
        j += 1
        p *= lam / j
        grown = f + p
        if grown == f:
            break
        f = grown
    table[j:] = 2.0
    return j


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _add_poisson_counts(x, stream, lo, table, n_table, w):  # pragma: no cover - compiled
    """``x[i] += w * Poisson count`` (draw ``lo + i``) for every ``i``, with ``n_table`` (constant
    at each call site) CDF entries compared per draw: LLVM unrolls them and vectorises over neurons."""
    for i in range(x.size):
        u = counter_uniform(stream, lo + i)
        k = 0
        for j in range(n_table):
            k += 1 if u > table[j] else 0
        x[i] += w * np.float32(k)


@njit(cache=True, nogil=True, error_model="numpy")
def add_poisson_drive(x, stream, lo, lam, table, w):  # pragma: no cover - compiled
    """``x[i] += w * k_i``, ``k_i ~ Poisson(lam)`` for every ``i`` (``lam <=``
    :data:`POISSON_CHUNK`), draw ``lo + i`` of the counter-based ``stream`` (``lo``: the first
    neuron of a thread's chunk, so draws are keyed by neuron); False if the CDF table does not fit
    (then nothing is added). ``x`` is a view of the drive's channels: indexing the ring as
    ``ring[c0 + i]`` would add numba's negative-index wraparound, which stops vectorisation."""
    n_table = poisson_table(lam, table)
    if n_table < 0:
        return False
    if n_table <= 8:
        _add_poisson_counts(x, stream, lo, table, 8, w)
    elif n_table <= 16:
        _add_poisson_counts(x, stream, lo, table, 16, w)
    elif n_table <= 32:
        _add_poisson_counts(x, stream, lo, table, 32, w)
    else:
        _add_poisson_counts(x, stream, lo, table, POISSON_TABLE, w)
    return True


def max_poisson_count(lam: float) -> int:
    """The largest count :func:`poisson` (``lam`` <= POISSON_CHUNK) or :func:`poisson_large` can
    return for mean ``lam``: the inversion stops where the float64 CDF reaches 1 - 2**-53 (the
    largest uniform) or stops growing. Sizes the spike buffer of Poisson sources."""
    k_max = 0
    while lam > 0.0:
        part = min(lam, POISSON_CHUNK)
        p = f = float(np.exp(-part))
        k = 0
        while f < 1.0 - 2.0**-53:
            k += 1
            p *= part / k
            if f + p == f:
                break
            f += p
        k_max += k
        lam -= part
    return k_max


@njit(cache=True, nogil=True)
def poisson_large(stream, i, lam):  # pragma: no cover - compiled
    """Draw ``i`` of a Poisson count of any mean from ``stream``: a sum of counts of mean <=
    :data:`POISSON_CHUNK`, part ``j`` drawn from the sub-stream ``step_stream(stream, j)``."""
    k = 0
    j = 0
    while lam > 0.0:
        part = lam if lam < POISSON_CHUNK else POISSON_CHUNK
        k += poisson(counter_uniform(step_stream(stream, j), i), part, math.exp(-part))  # (math: also on GPUs)
        lam -= part
        j += 1
    return k


@njit(cache=True, nogil=True, inline="always")
def _apply_events(ring, ev_at, ev_w, m):  # pragma: no cover - compiled
    """Add the ``m`` buffered events to the ring, in the order they were made. Making the
    synapses (hashes, tables, branches) and writing them in separate loops lets the writes,
    cache misses into a ring of gigabytes, overlap one another."""
    for k in range(m):
        ring[ev_at[k]] += ev_w[k]


@njit(cache=True, nogil=True, inline="always")
def _push_event(ring, ev_at, ev_w, m, slot, n_slots, channel, n_chan, value):  # pragma: no cover - compiled
    """Buffer ``value`` for ring ``slot`` (wrapped), ``channel``; add the buffer to the ring when
    full. Returns the events now buffered."""
    ev_at[m] = (slot - n_slots if slot >= n_slots else slot) * n_chan + channel
    ev_w[m] = value
    m += 1
    if m == ev_at.size:
        _apply_events(ring, ev_at, ev_w, m)
        m = 0
    return m


@njit(cache=True, nogil=True, error_model="numpy")
def _deliver_procedural(tid, n_threads, src, mult, g, window, cur, ring, n_slots, n_chan, blk_lo, blk_n, blk_chan_off,
                        pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p,
                        pr_key, pr_key_w, pr_key_d, pr_counts_off, pr_counts, pr_weight, pr_dl_prob, pr_dl_alias,
                        pr_dl_off, pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len,
                        pr_wc_off, pr_wcounts, ev_at, ev_w):  # pragma: no cover - compiled
    """Regenerate the synapses of ``src`` (source group ``g``) in every procedural projection
    whose delays fall in delay window ``window``, and add those onto thread ``tid``'s chunk
    to the ring (see :mod:`netdyn.engines.spiking.procedural`): in synapse order, so the sums
    do not depend on the number of threads. ``cur`` is the ring slot of the delivering step;
    a synapse of delay ``d`` (steps) lands ``d - window W`` slots later."""
    d_lo = window * pr_window + 1
    d_hi = d_lo + pr_window - 1
    m = 0  # events made, not yet in the ring
    for q in range(pr_group_ptr[g], pr_group_ptr[g + 1]):
        if window < pr_win_first[q] or window >= pr_n_win[q]:
            continue
        b = pr_tgt_pop[q] * n_threads + tid
        lo, n = blk_lo[b], blk_n[b]
        if n == 0:
            continue
        i = src - pr_src_first[q]
        c0 = blk_chan_off[b] + pr_receptor[q] * n
        shift = cur - window * pr_window
        kind = pr_kind[q]
        skip_self = pr_skip_self[q]
        others = pr_n_post[q] - 1 if skip_self else pr_n_post[q]
        weight = pr_weight[q]
        d_off, d_len = pr_dl_off[q], pr_dl_len[q]
        st, sw, sd = step_stream(pr_key[q], i), step_stream(pr_key_w[q], i), step_stream(pr_key_d[q], i)
        if kind == UNIFORM_TARGETS and pr_wt_ptr[q] >= 0:  # synapses split among the windows: this one's
            nw = pr_n_win[q] - pr_win_first[q]
            j = window - pr_win_first[q]
            at = pr_wc_off[q] + i * nw
            s0 = 0
            for jj in range(j):
                s0 += np.int64(pr_wcounts[at + jj])
            t_off, t_len = pr_wt_off[pr_wt_ptr[q] + j], pr_wt_len[pr_wt_ptr[q] + j]
            for s in range(s0, s0 + np.int64(pr_wcounts[at + j])):
                t = uniform_target(st, s, others, skip_self, i) - lo
                if t < 0 or t >= n:
                    continue
                after = 1 + draw_alias(pr_dl_prob, pr_dl_alias, t_off, t_len, sd, s)  # delay - window W
                m = _push_event(ring, ev_at, ev_w, m, cur + after, n_slots, c0 + t, n_chan,
                                mult * np.float32(draw_value(weight, sw, s)))
            continue
        if kind == UNIFORM_TARGETS:  # one window: every delay in it
            for s in range(pr_counts[pr_counts_off[q] + i]):
                t = uniform_target(st, s, others, skip_self, i) - lo
                if t < 0 or t >= n:
                    continue
                d = draw_alias(pr_dl_prob, pr_dl_alias, d_off, d_len, sd, s) + 1
                m = _push_event(ring, ev_at, ev_w, m, shift + d, n_slots, c0 + t, n_chan,
                                mult * np.float32(draw_value(weight, sw, s)))
            continue
        t_first, t_stop = lo, lo + n  # the thread's targets
        p = pr_p[q]
        if kind == BERNOULLI_TARGETS and p < 1.0:
            if p <= 0.0:
                continue
            inv_log_q = 1.0 / math.log1p(-p)
            s = 0
            t = bernoulli_next(st, 0, np.int64(-1), others, inv_log_q)
            while t >= 0:  # geometric skipping: the targets in increasing order
                tt = t + 1 if skip_self and t >= i else t
                if tt >= t_stop:
                    break
                if tt >= t_first:
                    d = draw_alias(pr_dl_prob, pr_dl_alias, d_off, d_len, sd, s) + 1
                    if d_lo <= d <= d_hi:
                        m = _push_event(ring, ev_at, ev_w, m, shift + d, n_slots, c0 + tt - lo, n_chan,
                                        mult * np.float32(draw_value(weight, sw, s)))
                s += 1
                t = bernoulli_next(st, s, t, others, inv_log_q)
            continue
        if kind == SAME_INDEX_TARGET:
            t_first, t_stop = max(lo, i), min(lo + n, i + 1)
        for tt in range(t_first, t_stop):  # every target (all_to_all) or the same index
            if kind == SAME_INDEX_TARGET:
                s = 0
            else:
                if skip_self and tt == i:
                    continue
                s = tt - 1 if skip_self and tt > i else tt
            d = draw_alias(pr_dl_prob, pr_dl_alias, d_off, d_len, sd, s) + 1
            if d < d_lo or d > d_hi:
                continue
            m = _push_event(ring, ev_at, ev_w, m, shift + d, n_slots, c0 + tt - lo, n_chan,
                            mult * np.float32(draw_value(weight, sw, s)))
    _apply_events(ring, ev_at, ev_w, m)


@njit(cache=True, nogil=True, error_model="numpy")
def run_steps(tid, bar, fns, kinds, blk_state_off, blk_state_len, blk_n, blk_first, blk_lo, blk_chan_off, pop_n_rec,
              consts, const_len, state, refr, i_ext, pop_current, neuron_thread,
              ring, n_slots, n_chan, step0, n_steps,
              syn_ptr, seg_ptr, seg_delay, seg_len, syn_target, syn_weight, n_sources,
              src_first, src_lo, src_cn, src_lam, src_key,
              drv_pop, drv_rec, drv_weight, drv_lam, drv_bernoulli, drv_key,
              rec_mask, max_rec_per_step, spk_step, spk_id, n_spk,
              pop_counts, probe_idx, probe_thread, probe_every, probe_out,
              spikes, mults, offs, flags, work,
              i_dc, ou_ptr, ou_neuron, ou_state, ou_mean, ou_decay, ou_noise, ou_key, ou_on, ou_was_on,
              pl_fns, pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, pl_chan, pl_src_ptr, pl_in_ptr, pl_in_syn,
              pl_post_first, pl_key, pl_d_psp, pl_d_pre, fifo_step, fifo_src, fifo_ctr,
              pprobe_kind, pprobe_var, pprobe_idx,
              pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p,
              pr_key, pr_key_w, pr_key_d, pr_counts_off, pr_counts, pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off,
              pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len, pr_wc_off, pr_wcounts,
              pr_group_n_win, hist_ids, hist_mult, hist_pos,
              hist_own_max, events_at, events_w):  # pragma: no cover - compiled
    """Thread ``tid``'s part of ``n_steps`` steps from global step ``step0``; every thread of
    the run calls it with the same arguments (see the module docstring).

    Each step has two phases separated by the barrier ``bar`` (:mod:`netdyn.engines.threads`):

    A. on its own chunks (``blk_*``, block ``p T + tid``): state probes, OU currents, drives,
       each population's model step, Poisson sources; the spikes go to the thread's list
       ``spikes[step % 2, tid]`` (``mults``: their multiplicity; ``offs``: where each
       population's and source's spikes start);
    B. every spike of the step, read in the canonical order (population, thread, neuron; then
       sources), delivered onto the thread's own chunks: row ``tid n_sources + source`` of the
       CSR. Every channel thus receives its inputs in the same order for any number of threads,
       and the float32 sums are bit-identical. Thread 0 also records the spikes, counts them
       and runs the plastic projection's serial work (its events of the step, ``pl_step``).

    A plastic projection's PSPs and presynaptic events (thread 0) come between two more
    barriers at the start of a step. Thread 0 stops every thread when the spike buffer might
    fill (``flags[0]``, ``flags[1]``: by step parity, read after the next step's barrier); a
    non-finite state found by thread ``u`` (``flags[2 + 2 (parity T + u)]``: population, the
    next slot: neuron) stops all after the barrier; ``flags[2 + 4 T]``: a neuron of the plastic
    projection with a non-finite state. A decision to stop is always read by every thread
    after the same barrier, from a slot no thread writes until the next one.

    Returns ``(status, steps_done, population, neuron, probe_rows_written)``; ``n_spk[0]`` is
    updated in place. ``consts[p, :const_len[p]]`` are population ``p``'s model constants.
    """
    n_threads = bar[4]
    n_pops = kinds.size
    const_width = consts.shape[1]
    const_flat = consts.reshape(consts.size)
    cap_list = spikes.shape[2]
    spikes_flat = spikes.reshape(spikes.size)
    work_view = borrowed_slice(work.reshape(work.size), tid * work.shape[1], (tid + 1) * work.shape[1])
    table = np.empty(POISSON_TABLE)
    n_srcpops = src_first.size
    n_groups = n_pops + n_srcpops
    n_drv = drv_pop.size
    n_probe = probe_idx.size
    n_pprobe = pprobe_kind.size
    cap = spk_step.size
    probe_row = 0
    n_ou = ou_mean.size
    was_on = ou_was_on.copy()
    plastic = pl_post.size > 0
    pl_efficacy, pl_on_pre, pl_on_post, pl_step, pl_peek = (pl_fns[0][0], pl_fns[1][0], pl_fns[2][0], pl_fns[3][0],
                                                            pl_fns[4][0])
    n_pl_post = pl_nst.shape[1]
    fifo_cap = fifo_step.size
    row0 = tid * n_sources
    pl_bad = 2 + 4 * n_threads  # flags slot of the plastic projection's non-finite neuron
    status, done, bad_pop, bad_neuron = DONE, n_steps, -1, -1
    procedural = pr_kind.size > 0
    n_hist = hist_pos.shape[0]  # steps of spike history (delay windows; 0: none)
    hist_cap = hist_ids.shape[1]
    n_windows = pr_group_n_win.max() if n_hist > 0 else 1
    ev_at, ev_w = events_at[tid], events_w[tid]  # the thread's buffer of procedural events
    for t in range(n_steps):
        step = step0 + t
        par = step % 2
        cur = step % n_slots
        base = cur * n_chan
        probing = (n_probe > 0 or n_pprobe > 0) and step % probe_every == 0
        if plastic:
            barrier_wait(*bar)  # every delivery of the last step done
            if flags[pl_bad] >= 0:
                status, done, bad_pop, bad_neuron = NON_FINITE, t - 1, -2, flags[pl_bad]
                break
            if tid == 0:
                if probing:
                    for j in range(n_pprobe):
                        q = pprobe_idx[j]
                        probe_out[probe_row, n_probe + j] = (
                            pl_peek(pl_st, pl_nst, pl_c, pl_flag, pl_post, q, step, pprobe_var[j])
                            if pprobe_kind[j] == 0 else pl_nst[pprobe_var[j], q])
                while fifo_ctr[1] < fifo_ctr[0] and fifo_step[fifo_ctr[1] % fifo_cap] + pl_d_psp == step:
                    src = fifo_src[fifo_ctr[1] % fifo_cap]
                    for k in range(pl_src_ptr[src], pl_src_ptr[src + 1]):
                        ring[base + pl_chan[k]] += np.float32(pl_efficacy(pl_st, pl_nst, pl_c, pl_flag, pl_post, k, step))
                    fifo_ctr[1] += 1
                while fifo_ctr[2] < fifo_ctr[0] and fifo_step[fifo_ctr[2] % fifo_cap] + pl_d_pre == step:
                    src = fifo_src[fifo_ctr[2] % fifo_cap]
                    for k in range(pl_src_ptr[src], pl_src_ptr[src + 1]):
                        pl_on_pre(pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, k, step)
                    fifo_ctr[2] += 1
            barrier_wait(*bar)  # this step's plastic PSPs are in the ring
        # ---------------------------------------------------------------- phase A
        if probing:
            for j in range(n_probe):
                if probe_thread[j] == tid:
                    probe_out[probe_row, j] = state[probe_idx[j]]
            probe_row += 1
        if n_ou > 0:
            _ou_currents(tid, n_threads, blk_first, blk_n, neuron_thread, i_ext, i_dc, ou_ptr, ou_neuron, ou_state,
                         ou_mean, ou_decay, ou_noise, ou_key, ou_on, was_on, t, step)
        for d in range(n_drv):
            lam = drv_lam[d, t]
            b = drv_pop[d] * n_threads + tid
            n = blk_n[b]
            if lam <= 0.0 or n == 0:
                continue
            w = drv_weight[d]
            c0 = base + blk_chan_off[b] + drv_rec[d] * n
            x = borrowed_slice(ring, c0, c0 + n)  # this step's channels of the drive on this chunk
            lo = blk_lo[b]
            stream = step_stream(drv_key[d], step)
            if drv_bernoulli[d]:
                for i in range(n):
                    x[i] += w if counter_uniform(stream, lo + i) < lam else np.float32(0.0)
                continue
            if lam > POISSON_CHUNK or not add_poisson_drive(x, stream, lo, lam, table, w):
                for i in range(n):  # large means: sums of counts of mean <= POISSON_CHUNK
                    x[i] += w * np.float32(poisson_large(stream, lo + i, lam))
        list0 = (par * n_threads + tid) * cap_list
        m = 0
        for p in range(n_pops):
            offs[par, tid, p] = m
            b = p * n_threads + tid
            n = blk_n[b]
            if n == 0 or bad_pop >= 0:
                continue
            s0 = blk_state_off[b]
            first = blk_first[b]
            c0 = base + blk_chan_off[b]
            k = fns[kinds[p]](borrowed_slice(state, s0, s0 + blk_state_len[b]),
                              borrowed_slice(refr, first, first + n),
                              borrowed_slice(const_flat, p * const_width, p * const_width + const_len[p]),
                              borrowed_slice(ring, c0, c0 + pop_n_rec[p] * n),
                              borrowed_slice(i_ext, first, first + n * pop_current[p]),
                              borrowed_slice(spikes_flat, list0 + m, list0 + m + n), work_view)
            if k < 0:
                bad_pop = p
                flags[2 + 2 * (par * n_threads + tid)] = p
                flags[3 + 2 * (par * n_threads + tid)] = blk_lo[b] - k - 1
                continue
            for j in range(list0 + m, list0 + m + k):
                spikes_flat[j] += first
            m += k
        for q in range(n_srcpops):
            offs[par, tid, n_pops + q] = m
            lam = src_lam[q, t]
            c = q * n_threads + tid
            if lam <= 0.0 or bad_pop >= 0:
                continue
            lo = src_lo[c]
            first = src_first[q] + lo
            stream = step_stream(src_key[q], step)
            e = np.exp(-lam)
            for i in range(src_cn[c]):
                k = (poisson(counter_uniform(stream, lo + i), lam, e) if lam <= POISSON_CHUNK
                     else poisson_large(stream, lo + i, lam))
                if k > 0:
                    spikes[par, tid, m] = first + i
                    mults[par, tid, m] = k
                    m += 1
        offs[par, tid, n_groups] = m
        if n_hist > 0:  # the step's spikes into the thread's history, for the later delay windows
            h = step % n_hist
            start = hist_pos[(step + n_hist - 1) % n_hist, tid, n_groups]
            for g in range(n_groups + 1):
                hist_pos[h, tid, g] = start + offs[par, tid, g]
            for j in range(m):
                hist_ids[tid, (start + j) % hist_cap] = spikes[par, tid, j]
            for j in range(offs[par, tid, n_pops], m):
                hist_mult[tid, (start + j) % hist_cap] = mults[par, tid, j]
        barrier_wait(*bar)  # every thread's spikes of this step are listed
        # ---------------------------------------------------------------- phase B
        bad_pop = -1
        for u in range(n_threads):  # the first bad neuron in canonical order, whichever thread found it
            f = 2 + 2 * (par * n_threads + u)
            if flags[f] >= 0 and (bad_pop < 0 or flags[f] < bad_pop or (flags[f] == bad_pop and flags[f + 1] < bad_neuron)):
                bad_pop, bad_neuron = flags[f], flags[f + 1]
        if bad_pop >= 0:
            status, done = NON_FINITE, t
            break
        stopping = flags[par] != 0
        for g in range(n_groups):
            for u in range(n_threads):
                for j in range(offs[par, u, g], offs[par, u, g + 1]):
                    src = spikes[par, u, j]
                    mult = np.float32(1.0) if g < n_pops else np.float32(mults[par, u, j])
                    _deliver(row0 + src, mult, cur, ring, n_slots, n_chan, syn_ptr, seg_ptr, seg_delay, seg_len,
                             syn_target, syn_weight)
                    if procedural:
                        # window 0 as int64, not a literal: one compiled copy for every window
                        _deliver_procedural(tid, n_threads, src, mult, g, np.int64(0), cur, ring, n_slots, n_chan,
                                            blk_lo, blk_n, blk_chan_off, pr_group_ptr, pr_src_first, pr_tgt_pop,
                                            pr_receptor, pr_kind, pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w,
                                            pr_key_d, pr_counts_off,
                                            pr_counts, pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off, pr_dl_len,
                                            pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off, pr_wt_len,
                                            pr_wc_off, pr_wcounts, ev_at, ev_w)
        for w in range(1, n_windows):  # the later delay windows of earlier spikes
            old = step - w * pr_window
            if old < 0:
                break
            h = old % n_hist
            for g in range(n_groups):
                if pr_group_n_win[g] <= w:
                    continue
                for u in range(n_threads):
                    for j in range(hist_pos[h, u, g], hist_pos[h, u, g + 1]):
                        src = hist_ids[u, j % hist_cap]
                        mult = np.float32(1.0) if g < n_pops else np.float32(hist_mult[u, j % hist_cap])
                        _deliver_procedural(tid, n_threads, src, mult, g, w, cur, ring, n_slots, n_chan, blk_lo,
                                            blk_n, blk_chan_off, pr_group_ptr, pr_src_first, pr_tgt_pop, pr_receptor,
                                            pr_kind, pr_n_post, pr_skip_self, pr_p, pr_key, pr_key_w, pr_key_d,
                                            pr_counts_off, pr_counts, pr_weight, pr_dl_prob, pr_dl_alias, pr_dl_off,
                                            pr_dl_len, pr_win_first, pr_n_win, pr_window, pr_wt_ptr, pr_wt_off,
                                            pr_wt_len, pr_wc_off, pr_wcounts, ev_at, ev_w)
        if n_hist > 0:  # room for the next step's spikes while the others still read the oldest window
            oldest = step + 1 - (n_windows - 1) * pr_window
            first_kept = hist_pos[oldest % n_hist, tid, 0] if oldest >= 0 else 0
            if hist_pos[step % n_hist, tid, n_groups] + 2 * hist_own_max[tid] - first_kept > hist_cap:
                flags[1 - par] = 1  # read by every thread after the next step's barrier
        if tid == 0:
            for g in range(n_groups):
                total = 0
                for u in range(n_threads):
                    a, z = offs[par, u, g], offs[par, u, g + 1]
                    total += z - a
                    for j in range(a, z):
                        src = spikes[par, u, j]
                        if rec_mask[src]:
                            for _ in range(1 if g < n_pops else mults[par, u, j]):
                                spk_step[n_spk[0]] = step
                                spk_id[n_spk[0]] = src
                                n_spk[0] += 1
                        if plastic and g < n_pops:
                            if pl_src_ptr[src + 1] > pl_src_ptr[src]:  # FIFO sized so that it cannot overflow
                                e_ = fifo_ctr[0] % fifo_cap
                                fifo_step[e_] = step
                                fifo_src[e_] = src
                                fifo_ctr[0] += 1
                            local = src - pl_post_first
                            if 0 <= local < n_pl_post:
                                for q in range(pl_in_ptr[local], pl_in_ptr[local + 1]):
                                    pl_on_post(pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, pl_in_syn[q], step)
                if g < n_pops:
                    pop_counts[t, g] = total
            if plastic:
                bad = pl_step(pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, step, pl_key)
                if bad < 0:
                    flags[pl_bad] = pl_post[-bad - 1]
            if n_spk[0] + 2 * max_rec_per_step > cap:
                flags[1 - par] = 1  # read by every thread after the next step's barrier
        if stopping:
            status, done = SPIKE_BUFFER_FULL, t + 1
            break
    if tid == 0 and plastic and status != NON_FINITE and flags[pl_bad] >= 0:  # found in the last step run
        status, done, bad_pop, bad_neuron = NON_FINITE, done - 1, -2, flags[pl_bad]
    if tid == 0:
        ou_was_on[:] = was_on
    return status, done, bad_pop, bad_neuron, probe_row



@njit(cache=True, nogil=True, error_model="numpy")
def _ou_currents(tid, n_threads, blk_first, blk_n, neuron_thread, i_ext, i_dc, ou_ptr, ou_neuron, ou_state, ou_mean,
                 ou_decay, ou_noise, ou_key, ou_on, was_on, t, step):  # pragma: no cover - compiled
    """``i_ext = i_dc +`` every switched-on Ornstein-Uhlenbeck current (pA), advanced one step,
    for thread ``tid``'s neurons (``neuron_thread``; ``was_on`` is the thread's copy).

    Input ``d`` drives neurons ``ou_neuron[ou_ptr[d]:ou_ptr[d+1]]`` with state ``ou_state`` (same
    slice). Switched on (``ou_on[d, t]``) after being off, a current starts at its mean; while on,
    ``I <- mu + (I - mu) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) N(0, 1)`` (the exact update of
    the OU process of stationary SD sigma); switched off, it is zero. The normal draws are
    counter-based, keyed by (input, step, neuron) (ziggurat).
    """
    for b in range(tid, blk_n.size, n_threads):
        for i in range(blk_first[b], blk_first[b] + blk_n[b]):
            i_ext[i] = i_dc[i]
    for d in range(ou_mean.size):
        a, z = ou_ptr[d], ou_ptr[d + 1]
        on = ou_on[d, t]
        mu = ou_mean[d]
        if not on:
            if was_on[d]:
                for q in range(a, z):
                    if neuron_thread[ou_neuron[q]] == tid:
                        ou_state[q] = 0.0
            was_on[d] = 0
            continue
        if not was_on[d]:
            for q in range(a, z):
                if neuron_thread[ou_neuron[q]] == tid:
                    ou_state[q] = mu
            was_on[d] = 1
        else:
            decay, noise = ou_decay[d], ou_noise[d]
            stream = step_stream(ou_key[d], step)
            for q in range(a, z):
                if neuron_thread[ou_neuron[q]] == tid:
                    ou_state[q] = mu + (ou_state[q] - mu) * decay + noise * counter_normal(stream, q - a)
        for q in range(a, z):
            if neuron_thread[ou_neuron[q]] == tid:
                i_ext[ou_neuron[q]] += ou_state[q]


MAX_SEGMENT = 65535  # synapses per segment (uint16 length); longer runs are split


@njit(cache=True, nogil=True)
def sort_rows_by_delay(indptr, target, weight, delay):  # pragma: no cover - compiled
    """Sort each source's synapses by delay, in place and stably; return the segments.

    ``indptr`` (n_sources + 1) delimits each source's synapses. Returns ``seg_ptr``
    (n_sources + 1, int64), ``seg_delay`` (int16) and ``seg_len`` (uint16): source ``i`` has
    segments ``seg_ptr[i] .. seg_ptr[i+1]``, laid out one after the other from ``indptr[i]``.
    """
    n_sources = indptr.size - 1
    n_seg = 0
    max_delay = 0
    longest = 0
    for i in range(n_sources):
        longest = max(longest, indptr[i + 1] - indptr[i])
    for q in range(delay.size):
        max_delay = max(max_delay, delay[q])
    count = np.zeros(max_delay + 2, np.int64)
    tmp_target = np.empty(longest, target.dtype)
    tmp_weight = np.empty(longest, weight.dtype)
    for i in range(n_sources):
        a, b = indptr[i], indptr[i + 1]
        unsorted = False
        for q in range(a + 1, b):
            if delay[q] < delay[q - 1]:
                unsorted = True
                break
        if unsorted:  # counting sort by delay (small integers), stable
            count[:] = 0
            for q in range(a, b):
                count[delay[q] + 1] += 1
            for d in range(1, max_delay + 2):
                count[d] += count[d - 1]
            for q in range(a, b):
                pos = count[delay[q]]
                count[delay[q]] = pos + 1
                tmp_target[pos] = target[q]
                tmp_weight[pos] = weight[q]
            target[a:b] = tmp_target[: b - a]
            weight[a:b] = tmp_weight[: b - a]
            start = 0
            for d in range(max_delay + 1):  # count[d] is now the end of delay d's run
                delay[a + start:a + count[d]] = d
                start = count[d]
        run = 0
        for q in range(a, b):
            if q == a or delay[q] != delay[q - 1] or run == MAX_SEGMENT:
                n_seg += 1
                run = 0
            run += 1
    seg_ptr = np.empty(n_sources + 1, np.int64)
    seg_delay = np.empty(n_seg, np.int16)
    seg_len = np.zeros(n_seg, np.uint16)
    g = -1
    for i in range(n_sources):
        seg_ptr[i] = g + 1
        a = indptr[i]
        for q in range(a, indptr[i + 1]):
            if q == a or delay[q] != delay[q - 1] or seg_len[g] == MAX_SEGMENT:
                g += 1
                seg_delay[g] = delay[q]
            seg_len[g] += 1
    seg_ptr[n_sources] = g + 1
    return seg_ptr, seg_delay, seg_len


@njit(cache=True, nogil=True)
def scatter_by_source(fill, row, channel, weight, delay, out_target, out_weight, out_delay):  # pragma: no cover
    """Counting-sort one projection's synapses into the CSR arrays by ``row`` (thread of the
    target, source); ``fill`` holds the next free position of each row and is advanced in place."""
    for q in range(row.size):
        pos = fill[row[q]]
        out_target[pos] = channel[q]
        out_weight[pos] = weight[q]
        out_delay[pos] = delay[q]
        fill[row[q]] = pos + 1
