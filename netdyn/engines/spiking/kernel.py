"""The compiled step loop of the spiking engine.

One call advances the whole network by ``n_steps`` steps of dt. Per step:

1. independent Poisson drives add their events to this step's synaptic input, drawn from a
   counter-based generator keyed by (drive, step, neuron) and vectorised over neurons;
2. each population's model ``step`` (a first-class numba function, see
   :mod:`netdyn.models.spiking.base`) advances its state and reports its spikes;
3. each spike is propagated at once into the delay ring buffer (spike-driven: the cost is
   proportional to the number of synapses of the neurons that spiked);
4. Poisson source populations emit their spikes the same way.

Each model's ``step`` reads this step's slot of the ring buffer and sets it to zero as it goes
(a separate clearing pass would cost another sweep over the slot, 10-15 % of a COBA step).

Synapses are CSR by presynaptic source: source ``i`` owns synapses ``syn_ptr[i] ..
syn_ptr[i+1]``, each an int32 input-channel index (which encodes target neuron and receptor)
and a float32 weight, sorted by delay and cut into segments ``seg_ptr[i] .. seg_ptr[i+1]`` of
equal delay (``seg_delay``, int16 steps; ``seg_len``, uint16 synapses): 8 bytes per synapse,
4 per (source, delay) segment and 16 per source. The ring buffer holds ``n_slots`` rows of ``n_chan``
input channels; ``n_slots`` exceeds the largest delay. It is float32, like the weights it sums: a
step's sum per channel is rounded to float32 (relative 6e-8, the precision of the weights
themselves), and reading the slot each step moves half the bytes of float64.

Status codes returned: 0 done, 1 spike buffer full (resume after growing it), 2 non-finite
state (population and neuron given).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from netdyn.counter_random import counter_normal, counter_uniform, step_stream

DONE, SPIKE_BUFFER_FULL, NON_FINITE = 0, 1, 2


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
def _rotl(x, k):  # pragma: no cover - compiled
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True, nogil=True, inline="always")
def uniform(state):  # pragma: no cover - compiled
    """xoshiro256+ (Blackman & Vigna 2018): a uniform double in [0, 1) from the top 53 bits;
    ``state`` is the uint64[4] generator state, advanced in place."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = s0 + s3
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return np.float64(result >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True, inline="always")
def poisson(state, lam, exp_minus_lam):  # pragma: no cover - compiled
    """A Poisson count of mean ``lam`` <= POISSON_CHUNK by inversion of the CDF (one uniform;
    ``exp_minus_lam`` = exp(-lam), computed once per step by the caller). It stops where the
    float64 CDF stops growing, as :func:`poisson_table` does (before, a draw above that point,
    probability < 1e-15, ran on to a count of 1000)."""
    u = uniform(state)
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
def _add_poisson_counts(x, stream, table, n_table, w):  # pragma: no cover - compiled
    """``x[i] += w * Poisson count`` for every ``i``, with ``n_table`` (constant at each call
    site) CDF entries compared per draw: LLVM unrolls them and vectorises over neurons."""
    for i in range(x.size):
        u = counter_uniform(stream, i)
        k = 0
        for j in range(n_table):
            k += 1 if u > table[j] else 0
        x[i] += w * np.float32(k)


@njit(cache=True, nogil=True, error_model="numpy")
def add_poisson_drive(x, stream, lam, table, w):  # pragma: no cover - compiled
    """``x[i] += w * k_i``, ``k_i ~ Poisson(lam)`` for every ``i`` (``lam <=``
    :data:`POISSON_CHUNK`), from the counter-based ``stream``; False if the CDF table does not fit
    (then nothing is added). ``x`` is a view of the drive's channels: indexing the ring as
    ``ring[c0 + i]`` would add numba's negative-index wraparound, which stops vectorisation."""
    n_table = poisson_table(lam, table)
    if n_table < 0:
        return False
    if n_table <= 8:
        _add_poisson_counts(x, stream, table, 8, w)
    elif n_table <= 16:
        _add_poisson_counts(x, stream, table, 16, w)
    elif n_table <= 32:
        _add_poisson_counts(x, stream, table, 32, w)
    else:
        _add_poisson_counts(x, stream, table, POISSON_TABLE, w)
    return True


@njit(cache=True, nogil=True)
def poisson_large(state, lam):  # pragma: no cover - compiled
    """A Poisson count of any mean: a sum of counts of mean <= POISSON_CHUNK."""
    k = 0
    while lam > 0.0:
        part = lam if lam < POISSON_CHUNK else POISSON_CHUNK
        k += poisson(state, part, np.exp(-part))
        lam -= part
    return k


@njit(cache=True, nogil=True, error_model="numpy")
def run_steps(fns, kinds, pop_state_off, pop_state_len, pop_n, pop_first, pop_chan_off, pop_n_rec, consts, const_len,
              state, refr, i_ext, pop_current,
              ring, n_slots, n_chan, step0, n_steps,
              syn_ptr, seg_ptr, seg_delay, seg_len, syn_target, syn_weight,
              src_first, src_n, src_lam,
              drv_chan, drv_n, drv_weight, drv_lam, drv_bernoulli, drv_key,
              rec_mask, max_rec_per_step, spk_step, spk_id, n_spk,
              pop_counts, probe_idx, probe_every, probe_out,
              rng, spiked, work,
              i_dc, ou_ptr, ou_neuron, ou_state, ou_mean, ou_decay, ou_noise, ou_key, ou_on, ou_was_on,
              pl_fns, pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, pl_chan, pl_src_ptr, pl_in_ptr, pl_in_syn,
              pl_post_first, pl_key, pl_d_psp, pl_d_pre, fifo_step, fifo_src, fifo_ctr,
              pprobe_kind, pprobe_var, pprobe_idx):  # pragma: no cover - compiled
    """Advance ``n_steps`` steps from global step ``step0``; see the module docstring.

    Returns ``(status, steps_done, population, neuron, probe_rows_written)``; ``n_spk[0]`` is
    updated in place. Population ``p`` gets its slice of ``i_ext`` if ``pop_current[p]`` (1: a
    current input targets it), else an empty one. ``consts[p, :const_len[p]]`` are population ``p``'s model constants.

    Ornstein-Uhlenbeck currents (``ou_*``, see :func:`_ou_currents`) add to the constant
    currents ``i_dc`` in ``i_ext`` each step when there are any (else ``i_ext`` is ``i_dc``).
    A plastic projection (``pl_*``, empty when there is none; see
    :mod:`netdyn.models.spiking.plasticity.base`) keeps the spikes of its sources in a FIFO
    (``fifo_*``; ``fifo_ctr`` = [end, next PSP, next presynaptic event]) read twice: after
    ``pl_d_psp`` steps for the PSP, whose weight the rule gives at arrival, and after
    ``pl_d_pre`` steps for the rule's presynaptic event; a spike of a postsynaptic neuron is
    the rule's postsynaptic event at once; the rule's ``step`` ends every step. Plastic probes
    (``pprobe_*``: kind 0 synapse variable, 1 rule neuron variable) fill the columns of
    ``probe_out`` after the state probes.
    """
    n_pops = kinds.size
    const_width = consts.shape[1]
    const_flat = consts.reshape(consts.size)
    spiked_view = borrowed_slice(spiked, 0, spiked.size)
    work_view = borrowed_slice(work, 0, work.size)
    table = np.empty(POISSON_TABLE)
    n_srcpops = src_first.size
    n_drv = drv_chan.size
    n_probe = probe_idx.size
    n_pprobe = pprobe_kind.size
    cap = spk_step.size
    probe_row = 0
    n_ou = ou_mean.size
    plastic = pl_post.size > 0
    pl_efficacy, pl_on_pre, pl_on_post, pl_step, pl_peek = (pl_fns[0][0], pl_fns[1][0], pl_fns[2][0], pl_fns[3][0],
                                                            pl_fns[4][0])
    n_pl_post = pl_nst.shape[1]
    fifo_cap = fifo_step.size
    for t in range(n_steps):
        step = step0 + t
        if n_spk[0] + max_rec_per_step > cap:
            return SPIKE_BUFFER_FULL, t, -1, -1, probe_row
        if (n_probe > 0 or n_pprobe > 0) and step % probe_every == 0:
            for j in range(n_probe):
                probe_out[probe_row, j] = state[probe_idx[j]]
            for j in range(n_pprobe):
                q = pprobe_idx[j]
                probe_out[probe_row, n_probe + j] = (pl_peek(pl_st, pl_nst, pl_c, pl_flag, pl_post, q, step, pprobe_var[j])
                                                     if pprobe_kind[j] == 0 else pl_nst[pprobe_var[j], q])
            probe_row += 1
        cur = step % n_slots
        base = cur * n_chan
        if n_ou > 0:
            _ou_currents(i_ext, i_dc, ou_ptr, ou_neuron, ou_state, ou_mean, ou_decay, ou_noise, ou_key, ou_on, ou_was_on,
                         t, step)
        if plastic:
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
        for d in range(n_drv):
            lam = drv_lam[d, t]
            if lam <= 0.0:
                continue
            w = drv_weight[d]
            c0 = base + drv_chan[d]
            x = borrowed_slice(ring, c0, c0 + drv_n[d])  # this step's channels of the drive
            stream = step_stream(drv_key[d], step)
            if drv_bernoulli[d]:
                for i in range(x.size):
                    x[i] += w if counter_uniform(stream, i) < lam else np.float32(0.0)
                continue
            if lam > POISSON_CHUNK or not add_poisson_drive(x, stream, lam, table, w):
                for i in range(x.size):  # large means: sums of counts of mean <= POISSON_CHUNK
                    x[i] += w * np.float32(poisson_large(rng, lam))
        for p in range(n_pops):
            n = pop_n[p]
            s0 = pop_state_off[p]
            first = pop_first[p]
            c0 = base + pop_chan_off[p]
            k = fns[kinds[p]](borrowed_slice(state, s0, s0 + pop_state_len[p]),
                              borrowed_slice(refr, first, first + n),
                              borrowed_slice(const_flat, p * const_width, p * const_width + const_len[p]),
                              borrowed_slice(ring, c0, c0 + pop_n_rec[p] * n),
                              borrowed_slice(i_ext, first, first + n * pop_current[p]), spiked_view, work_view)
            if k < 0:
                return NON_FINITE, t, p, -k - 1, probe_row
            pop_counts[t, p] = k
            for j in range(k):
                src = first + spiked[j]
                _deliver(src, np.float32(1.0), cur, ring, n_slots, n_chan, syn_ptr, seg_ptr, seg_delay, seg_len, syn_target, syn_weight)
                if rec_mask[src]:
                    spk_step[n_spk[0]] = step
                    spk_id[n_spk[0]] = src
                    n_spk[0] += 1
                if plastic:
                    if pl_src_ptr[src + 1] > pl_src_ptr[src]:  # FIFO sized so that it cannot overflow
                        e = fifo_ctr[0] % fifo_cap
                        fifo_step[e] = step
                        fifo_src[e] = src
                        fifo_ctr[0] += 1
                    local = src - pl_post_first
                    if 0 <= local < n_pl_post:
                        for q in range(pl_in_ptr[local], pl_in_ptr[local + 1]):
                            pl_on_post(pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, pl_in_syn[q], step)
        for q in range(n_srcpops):
            lam = src_lam[q, t]
            if lam <= 0.0:
                continue
            e = np.exp(-lam)
            for i in range(src_n[q]):
                k = poisson(rng, lam, e) if lam <= POISSON_CHUNK else poisson_large(rng, lam)
                if k > 0:
                    src = src_first[q] + i
                    _deliver(src, np.float32(k), cur, ring, n_slots, n_chan, syn_ptr, seg_ptr, seg_delay, seg_len, syn_target, syn_weight)
                    if rec_mask[src]:
                        for _ in range(k):
                            spk_step[n_spk[0]] = step
                            spk_id[n_spk[0]] = src
                            n_spk[0] += 1
        if plastic:
            bad = pl_step(pl_st, pl_nst, pl_c, pl_act, pl_flag, pl_post, step, pl_key)
            if bad < 0:
                return NON_FINITE, t, -2, pl_post[-bad - 1], probe_row
    return DONE, n_steps, -1, -1, probe_row


@njit(cache=True, nogil=True, error_model="numpy")
def _ou_currents(i_ext, i_dc, ou_ptr, ou_neuron, ou_state, ou_mean, ou_decay, ou_noise, ou_key, ou_on, ou_was_on,
                 t, step):  # pragma: no cover - compiled
    """``i_ext = i_dc +`` every switched-on Ornstein-Uhlenbeck current (pA), advanced one step.

    Input ``d`` drives neurons ``ou_neuron[ou_ptr[d]:ou_ptr[d+1]]`` with state ``ou_state`` (same
    slice). Switched on (``ou_on[d, t]``) after being off, a current starts at its mean; while on,
    ``I <- mu + (I - mu) e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) N(0, 1)`` (the exact update of
    the OU process of stationary SD sigma); switched off, it is zero. The normal draws are
    counter-based, keyed by (input, step, neuron) (ziggurat).
    """
    for i in range(i_ext.size):
        i_ext[i] = i_dc[i]
    for d in range(ou_mean.size):
        a, b = ou_ptr[d], ou_ptr[d + 1]
        on = ou_on[d, t]
        mu = ou_mean[d]
        if not on:
            if ou_was_on[d]:
                ou_state[a:b] = 0.0
            ou_was_on[d] = 0
            continue
        if not ou_was_on[d]:
            ou_state[a:b] = mu
            ou_was_on[d] = 1
        else:
            decay, noise = ou_decay[d], ou_noise[d]
            stream = step_stream(ou_key[d], step)
            for q in range(a, b):
                ou_state[q] = mu + (ou_state[q] - mu) * decay + noise * counter_normal(stream, q - a)
        for q in range(a, b):
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
def scatter_by_source(fill, pre, channel, weight, delay, out_target, out_weight, out_delay):  # pragma: no cover
    """Counting-sort one projection's synapses into the CSR arrays; ``fill`` holds the next
    free position of each source and is advanced in place."""
    for q in range(pre.size):
        pos = fill[pre[q]]
        out_target[pos] = channel[q]
        out_weight[pos] = weight[q]
        out_delay[pos] = delay[q]
        fill[pre[q]] = pos + 1
