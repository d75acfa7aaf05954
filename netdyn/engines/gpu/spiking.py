r"""The spiking engine's step loop on the GPU (``Network(spec, backend="gpu")``).

The network is built as for the CPU (:class:`netdyn.engines.spiking.network.Network`, one
thread's layout): the same synapses, drives, sources, currents and recorders. This module moves
the arrays to the device and runs the steps there; the :class:`Network` object keeps its API
(``run``, ``recording``, ``get_state``, ``set_state``, ``set_params``).

Each step has two phases, separated by grid-wide barriers (launch mode ``persistent``) or kernel
launches (``per_step``, :mod:`netdyn.engines.gpu.device`):

A. one thread per neuron: the Poisson drives of its population add their counts to its input
   channels (the CPU's counter-based draws, keyed by drive, step and neuron, so the CPU and the
   GPU give a network the same input), then the neuron's model advances one step
   (:mod:`netdyn.engines.gpu.spiking_kernels`, the CPU models' arithmetic) and a spike is
   appended to the step's list; one thread per Poisson source neuron draws its spikes;
B. one block per spike delivers it: its threads stride over the spike's CSR row (int32 target
   channel, float32 weight, and on the GPU a uint8 or int16 delay per synapse: 9 or 10 bytes per
   synapse) and add the weights into the delay ring with atomic additions; then the step's
   spikes are recorded and the population counts kept.

**Exact, order-free sums.** The ring holds 64-bit integers: weights in fixed point,
:math:`w \cdot 2^S` with :math:`S = 38 - \lceil \log_2 \max |w| \rceil` (every float32 weight
within :math:`2^{-14}` of the largest is exactly an integer there; the sums have headroom for
:math:`2^{24}` largest weights a step and channel). Integer additions do not depend on their
order, so a run gives the same numbers every time, whatever order the atomics land in; a
channel's sum is exact, and it is rounded to float32 once when the neuron reads it. The CPU
engine adds in float32 in one canonical order, which rounds at every addition: where its sums
are exact too (few inputs a step, weights of few significant bits), the two engines integrate the
same inputs, and differ only by the last bits of the models' arithmetic (fused multiply-adds,
the device's ``exp``), which rarely moves a spike; elsewhere they agree in rates, CV and
correlations (:doc:`/gpu`).

**Procedural connectivity** (:mod:`netdyn.engines.spiking.procedural`): a spike's block also
regenerates its procedural synapses, with the CPU's counter-based draws (the same targets,
weights and delays), its threads sharing the synapse indices (one thread walks a Bernoulli
rule's chain of geometric skips). The device's ring spans the longest delay, so every synapse
is added when it is made; the CPU's delay windows, where it has them, only decide which table a
delay is drawn from.

Not on the GPU (a :class:`~netdyn.errors.ConfigError` naming ``backend``): plastic
projections (and so fast-forward), Ornstein-Uhlenbeck currents, and models without a GPU update
(:data:`~netdyn.engines.gpu.spiking_kernels.GPU_MODELS`). Checkpoints
(:meth:`~netdyn.engines.spiking.network.Network.save_state`) keep the device's ring as it is, in
fixed point, so that a GPU network continues from one bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from netdyn.engines.spiking.kernel import POISSON_CHUNK, POISSON_TABLE, poisson_table
from netdyn.engines.gpu.device import (
    BLOCK,
    blocks_for,
    cuda_or_error,
    fall_back_to_per_step,
    launch_failure,
    launch_mode,
    persistent_blocks,
)
from netdyn.errors import ConfigError, SpikingInstabilityError

FIXED_POINT_BITS = 38
"""Bits of the fixed-point ring below the largest weight (see the module docstring)."""


def fixed_point_scale(max_abs_weight: float) -> float:
    """:math:`2^S`, ``S = FIXED_POINT_BITS - ceil(log2 max|w|)``: the ring's unit is ``1 / 2^S``
    of a weight unit (nS or pA)."""
    top = math.ceil(math.log2(max_abs_weight)) if max_abs_weight > 0 else 0
    return math.ldexp(1.0, FIXED_POINT_BITS - top)


@njit(cache=True)
def poisson_paths(lam, tables):  # pragma: no cover - compiled
    """Per mean ``lam`` (any shape), how the CPU engine draws its counts, for
    :func:`~netdyn.engines.gpu.spiking_kernels.poisson_count`: ``exp(-lam)`` (computed as the
    CPU's compiled loop computes it) where one inversion draws the count, -1 where it sums
    sub-stream counts (``poisson_large``): means above ``POISSON_CHUNK``, and for drives
    (``tables``) means whose CDF table does not fit in ``POISSON_TABLE`` entries."""
    out = np.empty_like(lam)
    table = np.empty(POISSON_TABLE)
    for i in range(lam.size):
        x = lam.flat[i]
        large = x > POISSON_CHUNK or (tables and x > 0.0 and poisson_table(x, table) < 0)
        out.flat[i] = -1.0 if large else np.exp(-x)
    return out


PROCEDURAL_TAIL_SD = 8.0
"""An unbounded procedural weight law is taken to reach 8 standard deviations from its centre
when the fixed-point scale is chosen (beyond: coarser, never overflowing; see
:func:`weight_bound`)."""


def weight_bound(params: np.ndarray) -> float:
    """The largest absolute weight a procedural projection draws (``value_params`` vector), for the
    fixed-point scale: exact for constant, uniform and clipped laws, mean + 8 SD otherwise."""
    from netdyn.connectivity.procedural import CONSTANT, LOGNORMAL, UNIFORM

    kind, a, b, lo, hi = int(params[0]), *(float(x) for x in params[1:5])
    if kind == CONSTANT:
        return abs(a)
    if kind == UNIFORM:
        return max(abs(a), abs(b))
    if kind == LOGNORMAL:
        return math.exp(a + PROCEDURAL_TAIL_SD * b)
    reach = max(abs(a - PROCEDURAL_TAIL_SD * b), abs(a + PROCEDURAL_TAIL_SD * b))
    bounds = [abs(x) for x in (lo, hi) if math.isfinite(x)]
    return min(reach, max(bounds)) if len(bounds) == 2 else reach


def check_gpu_supported(spec: Any, threads: int) -> None:
    """ConfigError (field ``backend``, or ``threads``) for what the GPU step loop does not run,
    or where numba finds no CUDA GPU (:func:`~netdyn.engines.gpu.device.cuda_or_error`);
    :class:`~netdyn.engines.spiking.network.Network` asks before it builds anything."""
    from netdyn.engines.gpu.spiking_kernels import GPU_MODELS

    for k, p in enumerate(spec.populations):
        if p.neuron_model.name not in GPU_MODELS:
            raise ConfigError("backend", "gpu", f"population {p.name!r} uses model {p.neuron_model.name!r}, which "
                                                f"has no GPU update (GPU models: {sorted(GPU_MODELS)})")
    if spec.plastic_projection is not None:
        raise ConfigError("backend", "gpu", "plastic projections run on the CPU engine only")
    if spec.ou_currents:
        raise ConfigError("backend", "gpu", "Ornstein-Uhlenbeck currents run on the CPU engine only")
    if threads != 1:
        raise ConfigError("threads", threads, "the GPU backend runs a simulation on the device: threads must be 1")
    cuda_or_error()


class GpuStepLoop:
    """The device copy of a built :class:`~netdyn.engines.spiking.network.Network` and its step
    loop; :meth:`run_chunk` stands in for the CPU's compiled loop."""

    initial_record_size = 1 << 16
    """Recorded spikes the device holds before a launch stops to hand them over (at least two
    steps' worth; doubled while a chunk's spikes need more room)."""

    def __init__(self, net: Any):
        cuda = cuda_or_error()
        from netdyn.engines.gpu import spiking_kernels as kernels

        self.cuda, self.kernels = cuda, kernels
        self.mode = launch_mode()
        lay, syn, spec = net.layout, net.synapses, net.spec
        self.n_neurons = int(lay.n_neurons)
        self.n_total = int(lay.n_neurons + lay.src_n.sum())
        self.n_chan = int(lay.n_chan)
        pr = net.procedural
        # the device's ring spans the longest delay: procedural synapses are delivered when made
        self.n_slots = int(max(syn.n_slots, pr.max_delay_steps + 1 if pr.n_projections else 2))
        to = cuda.to_device
        self.neuron_pop = to(np.repeat(np.arange(lay.pop_n.size, dtype=np.int32), lay.pop_n))
        self.pop_first = to(lay.pop_first.astype(np.int64))
        self.pop_n = to(lay.pop_n.astype(np.int64))
        self.pop_state_off = to(lay.pop_state_off.astype(np.int64))
        self.pop_chan_off = to(lay.pop_chan_off.astype(np.int64))
        self.pop_kind = to(np.array([kernels.GPU_MODELS[p.neuron_model.name] for p in spec.populations], np.int64))
        self.pop_current = to(net._pop_current.astype(np.int64))
        self.const_len = to(net._const_len.astype(np.int64))
        # drives grouped by target population (their order does not matter: integer sums)
        drives = net.drive_arrays
        order = np.argsort(drives.population, kind="stable")
        self.drv_order = order
        self.drv_ptr = to(np.searchsorted(drives.population[order], np.arange(lay.pop_n.size + 1)).astype(np.int64))
        self.drv_rec = to(drives.receptor[order].astype(np.int64))
        self.drv_bernoulli = to(drives.bernoulli[order].astype(np.uint8))
        self.drv_key = to(drives.key[order])
        self.src_first = to(lay.src_first.astype(np.int64))
        self.src_n = to(lay.src_n.astype(np.int64))
        self.src_key = to(net.source_keys)
        largest = float(max(np.abs(syn.weight).max(initial=0.0), np.abs(drives.weight).max(initial=0.0),
                            max((weight_bound(w) for w in pr.weight), default=0.0)))
        if not math.isfinite(largest):
            raise ConfigError("backend", "gpu", "a weight overflows float32 (|w| > 3.4e38): the GPU's fixed-point "
                                                "sums need finite weights")
        self.scale = fixed_point_scale(largest)
        self.inv_scale = 1.0 / self.scale
        self.drv_wfix = to(np.floor(drives.weight[order].astype(np.float64) * self.scale + 0.5).astype(np.int64))
        # CSR by source (one thread's layout), a delay per synapse
        delay = np.repeat(syn.seg_delay, syn.seg_len.astype(np.int64))
        self.syn_ptr = to(syn.syn_ptr.astype(np.int64))
        self.syn_target = to(syn.target)
        self.syn_weight = to(syn.weight)
        self.syn_delay = to(delay.astype(np.uint8 if self.n_slots <= 256 else np.int16))
        ring_bytes = 8 * self.n_slots * self.n_chan
        free = cuda.current_context().get_memory_info()[0]
        if ring_bytes > 0.9 * free:
            raise ConfigError("backend", "gpu", f"the ring buffer ({self.n_slots} steps x {self.n_chan} input "
                                                f"channels x 8 bytes = {ring_bytes / 2**30:.1f} GiB) does not fit in "
                                                f"the GPU's free memory ({free / 2**30:.1f} GiB)")
        self.ring = cuda.to_device(np.zeros(self.n_slots * self.n_chan, dtype=np.int64))
        self.procedural = tuple(to(np.ascontiguousarray(a)) for a in (
            pr.group_ptr, pr.src_first, pr.tgt_pop, pr.receptor, pr.kind, pr.n_post, pr.skip_self.astype(np.uint8),
            pr.p, pr.key, pr.key_w, pr.key_d, pr.counts_off, pr.counts, pr.weight, pr.dl_prob, pr.dl_alias, pr.dl_off,
            pr.dl_len, pr.win_first, pr.n_win)) + (int(pr.window_steps),) + tuple(to(np.ascontiguousarray(a)) for a in (
                pr.wt_ptr, pr.wt_off, pr.wt_len, pr.wc_off, pr.wcounts))
        self.n_pops = int(lay.pop_n.size)
        cap = max(self.n_total, 1)
        self.spk_ids = cuda.device_array((2, cap), dtype=np.int32)
        self.spk_mult = cuda.device_array((2, cap), dtype=np.int32)
        self.rec_mask = to(net._rec_mask.astype(np.uint8))
        self.probe_idx = to(net._probe_idx.astype(np.int64))
        self.launches = 0

    def ring_to_host(self) -> np.ndarray:
        """The device's ring buffer, ``(n_slots, n_chan)`` int64 in units of ``1 / scale``; slot
        ``step % n_slots`` holds the input that arrives at ``step``."""
        return self.ring.copy_to_host().reshape(self.n_slots, self.n_chan)

    def ring_from_host(self, ring: np.ndarray) -> None:
        """Overwrite the device's ring buffer with ``ring`` (as :meth:`ring_to_host` returns it)."""
        ring = np.ascontiguousarray(ring, dtype=np.int64)
        if ring.shape != (self.n_slots, self.n_chan):
            raise ValueError(f"ring of shape {ring.shape}, expected {(self.n_slots, self.n_chan)}")
        self.ring.copy_to_device(ring.reshape(-1))

    @property
    def nbytes_per_synapse(self) -> float:
        """Device bytes of the synapse arrays per synapse (target, weight, delay; the row pointers)."""
        arrays = (self.syn_ptr, self.syn_target, self.syn_weight, self.syn_delay)
        return sum(a.nbytes for a in arrays) / max(self.syn_target.size, 1)

    def run_chunk(self, net: Any, n: int) -> None:
        """Advance ``net`` by ``n`` steps on the device and store what it recorded (the CPU
        loop's :meth:`Network._run_chunk` on the GPU)."""
        cuda, k = self.cuda, self.kernels
        lay, spec = net.layout, net.spec
        plan = net._plan_chunk(n)
        drv_lam, src_lam = np.ascontiguousarray(plan.drive_means[self.drv_order]), plan.source_means
        drv_exp, src_exp = poisson_paths(drv_lam, True), poisson_paths(src_lam, False)
        first_probe, n_rows, n_cols, max_rec = plan.first_probe, plan.n_probe_rows, plan.n_probe_cols, plan.max_recorded
        to = cuda.to_device
        state, refr = to(net.state), to(net.refractory)
        consts = to(net._consts)
        i_ext = to(net.i_ext)
        d_drv_lam, d_drv_exp = to(drv_lam.reshape(len(spec.drives), n)), to(drv_exp.reshape(len(spec.drives), n))
        d_src_lam, d_src_exp = to(src_lam), to(src_exp)
        pop_counts = to(np.zeros((n, lay.pop_n.size), dtype=np.int32))
        probe_out = to(np.zeros((max(n_rows, 1), max(n_cols, 1)), dtype=np.float64))
        size = max(2 * max_rec, self.initial_record_size)
        rec_t, rec_id = cuda.device_array(size, np.int32), cuda.device_array(size, np.int32)
        done = 0
        while done < n:
            status = to(np.array([k.NONE, 0, 0, k.NONE], dtype=np.int64))
            rec_n = to(np.zeros(1, dtype=np.int64))
            spk_count = to(np.zeros(2, dtype=np.int32))
            step0 = net.step_count
            m = n - done
            views = (d_drv_lam[:, done:], d_drv_exp[:, done:], d_src_lam[:, done:], d_src_exp[:, done:],
                     pop_counts[done:])
            steps = self._launch(step0, m, state, refr, consts, i_ext, views, spk_count, rec_t, rec_id, rec_n, max_rec,
                                 probe_out, first_probe, net._probe_every, status)
            flags = status.copy_to_host()
            bad = int(flags[k.BAD])
            if bad != k.NONE:
                steps = int(flags[k.BAD_STEP])
            n_rec = min(int(rec_n.copy_to_host()[0]), size)
            if n_rec:
                t_rel, ids = rec_t[:n_rec].copy_to_host(), rec_id[:n_rec].copy_to_host()
                order = np.lexsort((ids, t_rel))  # the CPU's order: by step, then id
                net._keep_spikes(step0 + t_rel[order].astype(np.int64), ids[order].astype(np.int32))
            net.step_count += steps
            done += steps
            if bad != k.NONE:
                counts = pop_counts.copy_to_host()
                net._store_counts(counts[:done], net.step_count - done)
                net.state[:], net.refractory[:] = state.copy_to_host(), refr.copy_to_host()
                pop = int(np.searchsorted(lay.pop_first, bad, side="right") - 1)
                raise SpikingInstabilityError(lay.pop_names[pop], bad - int(lay.pop_first[pop]), net.step_count,
                                              (net.step_count + 1) * spec.dt_ms)
            if int(flags[k.STOPPED]) and size < 4 * max_rec:  # room for the recorded spikes of the next steps
                size *= 2
                rec_t, rec_id = cuda.device_array(size, np.int32), cuda.device_array(size, np.int32)
        net.state[:], net.refractory[:] = state.copy_to_host(), refr.copy_to_host()
        if n_cols:
            net._keep_probes(plan, probe_out.copy_to_host()[:n_rows])
        net._store_counts(pop_counts.copy_to_host(), net.step_count - n)

    def _launch(self, step0, m, state, refr, consts, i_ext, views, spk_count, rec_t, rec_id, rec_n, max_rec,
                probe_out, first_probe, probe_every, status) -> int:
        """Run up to ``m`` steps from ``step0``; the steps done (before any stop)."""
        k = self.kernels
        self.launches += 1
        drv_lam, drv_exp, src_lam, src_exp, pop_counts = views
        a_args = (self.n_slots, self.n_chan, self.neuron_pop, self.pop_first, self.pop_n, self.pop_state_off,
                  self.pop_chan_off, self.pop_kind, self.pop_current, consts, self.const_len, state, refr, i_ext,
                  self.ring, self.inv_scale)
        drive_args = (self.drv_ptr, self.drv_rec, self.drv_wfix, self.drv_bernoulli, self.drv_key, drv_lam, drv_exp,
                      self.src_first, self.src_n, self.src_key, src_lam, src_exp, self.n_neurons, self.n_total,
                      self.spk_ids, self.spk_mult, spk_count, pop_counts)
        syn_args = (self.syn_ptr, self.syn_target, self.syn_weight, self.syn_delay)
        if self.mode == "persistent":
            args = (step0, m, *a_args[:-1], self.inv_scale, self.scale, *drive_args, *syn_args, self.rec_mask, rec_t,
                    rec_id, rec_n, max_rec, self.probe_idx, probe_out, probe_every, first_probe, status, self.n_pops,
                    *self.procedural)
            try:
                blocks = persistent_blocks(k.steps_persistent, args, blocks_for(max(self.n_total, 1)))
                k.steps_persistent[blocks, BLOCK](*args)
                return int(status.copy_to_host()[k.DONE])
            except Exception as exc:  # nothing ran: these steps again, a launch per phase
                if not launch_failure(exc):
                    raise
                self.mode = fall_back_to_per_step(exc)
        blocks = blocks_for(max(self.n_total, self.n_neurons, 1))
        for t in range(m):
            k.step_a[blocks, BLOCK](t, step0, *a_args, *drive_args, rec_n, max_rec, rec_t.size, self.probe_idx,
                                    probe_out, probe_every, first_probe, status)
            k.step_b[blocks, BLOCK](t, step0, m, self.n_slots, self.n_chan, *syn_args, self.scale, self.ring,
                                    self.spk_ids, self.spk_mult, spk_count, self.rec_mask, rec_t, rec_id, rec_n,
                                    self.probe_idx, probe_out, probe_every, first_probe, state, status,
                                    self.neuron_pop, self.n_neurons, self.n_pops, self.src_n, self.pop_chan_off,
                                    self.pop_n, *self.procedural)
        flags = status.copy_to_host()
        return int(flags[k.DONE]) if flags[k.STOPPED] else m
