"""Procedural projections of the spiking engine: static projections whose synapses are
regenerated per source spike (:mod:`netdyn.connectivity.procedural`) instead of stored in the
CSR, as flat arrays the step loop reads.

Projection ``q`` starts from source index ``src_first[q]`` (its ``n_pre`` sources) and ends on
receptor ``receptor[q]`` of population ``tgt_pop[q]``; the projections of the sources of group
``g`` (the populations, then the Poisson sources, in spec order) are ``group_ptr[g] ..
group_ptr[g + 1]``. Source ``i``'s targets come from ``step_stream(key[q], i)``, its weights
from ``step_stream(key_w[q], i)`` and its delays from ``step_stream(key_d[q], i)``, draw ``s``
for synapse ``s``. A delay is drawn in whole steps from the alias table of its law
(:func:`~netdyn.connectivity.procedural.delay_step_pmf`: the law of the stored synapses'
rounded delays, cut at :data:`TAIL_SD`), ``dl_prob[dl_off[q]:dl_off[q] + dl_len[q]]``, value
``d`` at column ``d - 1``.

Delay windows. A ring buffer spanning the longest delay costs ``4 n_channels (max delay + 1)``
bytes: 30 GB for the full multi-area model (8.3 million channels, delays up to 90 ms at
0.1 ms). Where that exceeds :data:`RING_BYTES`, the delays are cut into windows of
``window_steps`` steps: window ``j`` holds the delays ``j W + 1 .. (j + 1) W``. A spike's
synapses in window 0 are delivered when it is emitted; those in window ``j`` are
regenerated and delivered ``j W`` steps later, from the spike history (each synapse is
delivered once, by the window of its delay, so nothing changes but the ring's size: it
spans ``W`` steps). Projection ``q`` has synapses in windows ``win_first[q] .. n_win[q] - 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, get_args

import numpy as np
from numba import njit

from netdyn.config.simulator import Connectivity
from netdyn.connectivity.distributions import Constant, LogNormal, Normal, Uniform, as_distribution
from netdyn.connectivity.procedural import (
    UNIFORM_TARGETS,
    alias_table,
    delay_step_pmf,
    draw_alias,
    draw_value,
    needs_counts,
    plan_projection,
    source_targets,
    value_params,
)
from netdyn.connectivity.rules import expected_synapses as expected_synapse_count
from netdyn.counter_random import step_stream
from netdyn.engines.spiking.build import Layout, delay_steps, estimate_memory, fits_in_memory, plan_layout
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec, Projection
from netdyn.seeding import named_generator

PROCEDURAL_BYTES_PER_SOURCE = 4  # an int32 out-degree per source of a counted rule


@dataclass
class ProceduralSynapses:
    """The procedural projections as flat arrays (see the module docstring)."""

    group_ptr: np.ndarray
    src_first: np.ndarray
    n_pre: np.ndarray
    tgt_pop: np.ndarray
    receptor: np.ndarray
    kind: np.ndarray
    n_post: np.ndarray
    skip_self: np.ndarray
    p: np.ndarray
    key: np.ndarray
    key_w: np.ndarray
    key_d: np.ndarray
    counts_off: np.ndarray
    counts: np.ndarray
    weight: np.ndarray
    dl_off: np.ndarray
    dl_len: np.ndarray
    dl_prob: np.ndarray
    dl_alias: np.ndarray
    win_first: np.ndarray
    n_win: np.ndarray
    wt_ptr: np.ndarray
    wt_off: np.ndarray
    wt_len: np.ndarray
    wc_off: np.ndarray
    wcounts: np.ndarray
    group_n_win: np.ndarray
    window_steps: int
    max_per_source: int
    max_delay_steps: int
    expected_synapses: float

    @property
    def n_projections(self) -> int:
        return int(self.kind.size)

    @property
    def nbytes(self) -> int:
        return int(self.counts.nbytes + self.wcounts.nbytes + self.dl_prob.nbytes + self.dl_alias.nbytes)

    @property
    def n_windows(self) -> int:
        """The most delay windows of one projection (1: no spike is delivered later)."""
        return int(self.n_win.max(initial=1))

    @property
    def history_steps(self) -> int:
        """Steps of spike history the windows need (0 without windows): spikes of step ``s -
        j W`` are read at step ``s``, while other threads write steps up to ``s + 1``."""
        return 0 if self.n_windows <= 1 else (self.n_windows - 1) * self.window_steps + 2

    def synapses(self, q: int, source: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Projection ``q``'s synapses of source ``source`` (index within the projection's
        sources), as the step loop makes them: ``(target, weight, delay_steps)``, targets as
        neuron indices of the target population."""
        count = int(self.counts[self.counts_off[q] + source]) if self.counts_off[q] >= 0 else 0
        n_max = max(self.max_per_source, 1)
        out_t, out_w, out_d = np.empty(n_max, np.int64), np.empty(n_max), np.empty(n_max, np.int64)
        k = regenerate(self.kind[q], self.n_post[q], self.skip_self[q], count, self.p[q], self.key[q],
                       self.key_w[q], self.key_d[q], self.weight[q], self.dl_prob, self.dl_alias, self.dl_off[q],
                       self.dl_len[q], source, out_t, out_w, out_d)
        if self.wt_ptr[q] >= 0:  # one draw per synapse, window by window: the delays from the windows' tables
            nw = int(self.n_win[q] - self.win_first[q])
            per_window = self.wcounts[self.wc_off[q] + source * nw:self.wc_off[q] + (source + 1) * nw]
            windowed_delays(per_window, int(self.win_first[q]), self.window_steps, self.key_d[q], source,
                            self.dl_prob, self.dl_alias, self.wt_off[self.wt_ptr[q]:self.wt_ptr[q] + nw],
                            self.wt_len[self.wt_ptr[q]:self.wt_ptr[q] + nw], out_d)
        return out_t[:k], out_w[:k], out_d[:k]


RING_BYTES = 4 * 2**30
"""Largest ring buffer (bytes) before procedural delays are delivered by windows."""

TAIL_SD = 8.0
"""An unbounded delay distribution is cut at 8 standard deviations above its centre (normal:
mean + 8 std; lognormal: exp(mu + 8 s)): the probability that a synapse's delay lies beyond is
6e-16, about 1e-5 synapses of the full multi-area model; such a delay is set to the cut."""


def _upper_bound(dist) -> float:
    """The largest delay (ms) a procedural synapse takes (see :data:`TAIL_SD`)."""
    dist = as_distribution(dist)
    if isinstance(dist, Constant):
        return dist.value
    if isinstance(dist, Uniform):
        return dist.high
    if isinstance(dist, LogNormal):
        mu, sd = dist.log_params
        return float(np.exp(mu + TAIL_SD * sd))
    cut = dist.mean + TAIL_SD * dist.std
    return cut if dist.max is None else min(cut, float(dist.max))


def _nonnegative(dist) -> bool:
    dist = as_distribution(dist)
    if isinstance(dist, Constant):
        return dist.value >= 0
    if isinstance(dist, Uniform):
        return dist.low >= 0
    if isinstance(dist, LogNormal):
        return dist.mean > 0
    return dist.std == 0.0 and dist.mean >= 0 or dist.min is not None and dist.min >= 0


def build_procedural(spec: NetworkSpec, layout: Layout, which: list[int]) -> ProceduralSynapses:
    """The projections ``which`` (indices into ``spec.projections``) in procedural form.

    Each keeps the named seed of its stored form ("projection", key): its out-degrees (counted
    rules) come from that generator; its streams are keyed by draws from it.
    """
    groups = [*layout.pop_names, *layout.src_names]
    rows: list[tuple[int, int, Projection, object]] = []
    counts: list[np.ndarray] = []
    offset = 0
    max_delay = 1
    for k in which:
        proj = spec.projections[k]
        field = f"projections.{k}"
        if proj.plasticity is not None:
            raise ConfigError(f"{field}.plasticity", proj.plasticity.rule, "plastic synapses are stored, not "
                                                                            "regenerated")
        tgt = layout.pop_names.index(proj.target)
        model = spec.populations[tgt].neuron_model
        if model.synapse_kind == "conductance" and not _nonnegative(proj.weight):
            raise ConfigError(f"{field}.weight", proj.weight, "conductance weights (nS) must be >= 0: give the "
                                                              "distribution a 'min' of 0 for procedural synapses")
        if proj.delay_ms is not None:
            max_delay = max(max_delay, int(delay_steps(_upper_bound(proj.delay_ms), spec.dt_ms)))
        rng = named_generator(spec.seed, "projection", proj.key)
        first, n_pre = layout.source_offset(proj.source)
        keys = rng.integers(0, 2**63, size=3, dtype=np.uint64)
        plan = plan_projection(proj.rule, n_pre, int(layout.pop_n[tgt]), same_population=proj.source == proj.target,
                               key=keys[0], rng=rng, field=f"{field}.rule")
        rows.append((groups.index(proj.source), k, proj, (plan, keys, first, tgt, offset)))
        counts.append(plan.counts)
        offset += plan.counts.size
    rows.sort(key=lambda r: (r[0], r[1]))  # by source group, then spec order
    n = len(rows)
    group_ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum(np.bincount([r[0] for r in rows], minlength=len(groups)), out=group_ptr[1:])
    out = ProceduralSynapses(
        group_ptr=group_ptr, src_first=np.zeros(n, np.int64), n_pre=np.zeros(n, np.int64),
        tgt_pop=np.zeros(n, np.int64), receptor=np.zeros(n, np.int64), kind=np.zeros(n, np.int64),
        n_post=np.zeros(n, np.int64), skip_self=np.zeros(n, np.bool_), p=np.zeros(n), key=np.zeros(n, np.uint64),
        key_w=np.zeros(n, np.uint64), key_d=np.zeros(n, np.uint64), counts_off=np.zeros(n, np.int64),
        counts=np.concatenate(counts).astype(np.int32) if counts else np.zeros(0, np.int32),
        weight=np.zeros((n, 6)), dl_off=np.zeros(n, np.int64), dl_len=np.zeros(n, np.int64), dl_prob=np.zeros(0),
        dl_alias=np.zeros(0, np.int32), win_first=np.zeros(n, np.int64), n_win=np.ones(n, np.int64),
        wt_ptr=np.full(n, -1, np.int64), wt_off=np.zeros(0, np.int64), wt_len=np.zeros(0, np.int64),
        wc_off=np.full(n, -1, np.int64), wcounts=np.zeros(0, np.uint16),
        group_n_win=np.zeros(len(groups), np.int64), window_steps=max_delay, max_per_source=1,
        max_delay_steps=max_delay, expected_synapses=0.0)
    out.window_steps = window_steps(layout.n_chan, max_delay)
    tables: dict[tuple, tuple[int, int, int]] = {}  # (delay law) -> (offset, columns, shortest delay)
    window_tables: dict[tuple, int] = {}  # (delay law) -> its first window table
    probs, aliases, pmfs = [], [], {}
    wt_off, wt_len, wcounts = [], [], []
    n_cols = n_wc = 0
    count_dtype = np.uint16 if max((int(c.max(initial=0)) for c in counts), default=0) < 2**16 else np.int32
    for q, (_, k, proj, (plan, keys, first, tgt, off)) in enumerate(rows):
        out.src_first[q], out.n_pre[q], out.tgt_pop[q] = first, plan.n_pre, tgt
        out.receptor[q] = layout.receptor_index[tgt][proj.receptor]
        out.kind[q], out.n_post[q], out.skip_self[q], out.p[q] = plan.kind, plan.n_post, plan.skip_self, plan.p
        out.key[q], out.key_w[q], out.key_d[q] = keys
        out.counts_off[q] = off if plan.kind == UNIFORM_TARGETS else -1
        out.weight[q] = value_params(proj.weight)
        dist = proj.delay_ms if proj.delay_ms is not None else spec.dt_ms
        law = tuple(value_params(dist))
        if law not in tables:
            d_max = int(delay_steps(_upper_bound(dist), spec.dt_ms))
            pmf = delay_step_pmf(dist, spec.dt_ms, d_max)
            prob, alias = alias_table(pmf)
            tables[law] = (n_cols, pmf.size, int(np.flatnonzero(pmf > 0)[0]) + 1)
            pmfs[law] = pmf
            probs.append(prob)
            aliases.append(alias)
            n_cols += pmf.size
        out.dl_off[q], out.dl_len[q], d_min = tables[law]
        w = out.window_steps
        out.win_first[q], out.n_win[q] = (d_min - 1) // w, -(-out.dl_len[q] // w)
        if plan.kind == UNIFORM_TARGETS and out.n_win[q] - out.win_first[q] > 1:
            # the synapses of each source split among the windows (multinomial), each window's
            # delays from the law conditioned on it: every synapse drawn once, in its window
            pmf = pmfs[law]
            cuts = range(int(out.win_first[q]) * w, int(out.n_win[q]) * w, w)
            mass = np.array([pmf[c:c + w].sum() for c in cuts])
            if law not in window_tables:
                window_tables[law] = len(wt_off)
                for c in cuts:
                    prob, alias = alias_table(pmf[c:c + w] if pmf[c:c + w].sum() > 0 else np.ones(1))
                    wt_off.append(n_cols)
                    wt_len.append(prob.size)
                    probs.append(prob)
                    aliases.append(alias)
                    n_cols += prob.size
            out.wt_ptr[q] = window_tables[law]
            out.wc_off[q] = n_wc
            split = named_generator(spec.seed, "projection", proj.key, "windows").multinomial(
                plan.counts, mass / mass.sum())
            wcounts.append(split.reshape(-1).astype(count_dtype))  # a window holds at most the out-degree
            n_wc += split.size
        out.max_per_source = max(out.max_per_source, plan.max_synapses_per_source())
        out.expected_synapses += plan.expected_synapses()
        g = rows[q][0]
        out.group_n_win[g] = max(out.group_n_win[g], out.n_win[q])
    if probs:
        out.dl_prob, out.dl_alias = np.concatenate(probs), np.concatenate(aliases).astype(np.int32)
    if wcounts:
        out.wcounts = np.concatenate(wcounts)
        out.wt_off, out.wt_len = np.array(wt_off, np.int64), np.array(wt_len, np.int64)
    return out


@njit(cache=True, nogil=True)
def windowed_delays(per_window, win_first, window, key_d, source, dl_prob, dl_alias, wt_off, wt_len,
                    out_d):  # pragma: no cover - compiled
    """The delays (steps) of a source whose synapses are split among delay windows:
    ``per_window[j]`` synapses in window ``win_first + j``, in synapse order, each drawn from
    its window's table (as ``_deliver_procedural`` does)."""
    sd = step_stream(key_d, source)
    s = 0
    for j in range(per_window.size):
        lo = (win_first + j) * window + 1
        for _ in range(per_window[j]):
            out_d[s] = lo + draw_alias(dl_prob, dl_alias, wt_off[j], wt_len[j], sd, s)
            s += 1


CONNECTIVITY_MODES: tuple[str, ...] = get_args(Connectivity)
"""What ``Network(spec, connectivity=...)`` takes as one word (see :func:`procedural_projections`)."""
PROJECTION_MODES = ("stored", "procedural")
"""What a mapping ``{projection key: mode}`` may give one projection."""


def regenerable_projections(spec: NetworkSpec) -> list[int]:
    """Indices of the projections that can be procedural: static, not explicit pairs, with
    multapses (the rules without multapses draw distinct pairs, which must be stored)."""
    return [k for k, p in enumerate(spec.projections)
            if p.plasticity is None and p.rule.rule != "explicit" and getattr(p.rule, "multapses", True)]


def procedural_projections(spec: NetworkSpec, connectivity: str | Mapping[str, str], layout: Layout | None = None,
                           available: int | None = None) -> list[int]:
    """Indices of the projections to regenerate.

    Parameters
    ----------
    spec
        The network.
    connectivity
        ``"stored"``: none; ``"procedural"``: every projection that can be
        (:func:`regenerable_projections`: explicit pairs, rules without multapses and plastic
        projections stay stored); ``"auto"``: the same as ``"procedural"`` if the all-stored
        network would not fit in memory (:func:`~netdyn.engines.spiking.build.fits_in_memory`),
        else none; a mapping ``{projection key: "stored" | "procedural"}``: those named
        ``"procedural"`` (a projection that cannot be is refused when it is built, naming it).
    layout
        The layout the network is built with (``"auto"`` only; default: one thread).
    available
        Bytes of memory available (``"auto"`` only; default: this machine's).

    Raises
    ------
    ConfigError
        Naming ``connectivity`` (an unknown mode) or ``connectivity.<key>`` (an unknown
        projection or a mode other than stored / procedural).
    """
    if isinstance(connectivity, str):
        if connectivity not in CONNECTIVITY_MODES:
            raise ConfigError("connectivity", connectivity, f"one of {list(CONNECTIVITY_MODES)} or a mapping "
                                                            "{projection key: mode}")
        if connectivity == "stored":
            return []
        if connectivity == "auto":
            layout = plan_layout(spec) if layout is None else layout
            if fits_in_memory(estimate_memory(spec, layout), available):
                return []
        return regenerable_projections(spec)
    if not isinstance(connectivity, Mapping):
        raise ConfigError("connectivity", connectivity, f"one of {list(CONNECTIVITY_MODES)} or a mapping "
                                                        "{projection key: mode}")
    keys = [p.key for p in spec.projections]
    which = []
    for key, mode in connectivity.items():
        if key not in keys:
            raise ConfigError(f"connectivity.{key}", mode, f"no such projection; known: {keys}")
        if mode not in PROJECTION_MODES:
            raise ConfigError(f"connectivity.{key}", mode, f"one of {list(PROJECTION_MODES)}")
        if mode == "procedural":
            which.append(keys.index(key))
    return sorted(which)


@njit(cache=True, nogil=True, error_model="numpy")
def regenerate(kind, n_post, skip_self, count, p, key, key_w, key_d, weight, dl_prob, dl_alias, dl_off, dl_len, source,
               out_t, out_w, out_d):  # pragma: no cover - compiled
    """Write source ``source``'s synapses of one projection (targets, weights, delays in steps)
    into ``out_*`` and return how many: the draws the step loop makes (``_deliver_procedural``
    in :mod:`netdyn.engines.spiking.kernel`), all of them at once."""
    k = source_targets(kind, n_post, skip_self, count, p, key, source, out_t)
    sw, sd = step_stream(key_w, source), step_stream(key_d, source)
    for s in range(k):
        out_w[s] = draw_value(weight, sw, s)
        out_d[s] = draw_alias(dl_prob, dl_alias, dl_off, dl_len, sd, s) + 1
    return k


@dataclass(frozen=True)
class ProceduralEstimate:
    """Memory of the procedural projections, estimated before anything is drawn.

    Attributes
    ----------
    counts_bytes
        The int32 out-degree per source of the counted rules
        (:func:`~netdyn.connectivity.procedural.needs_counts`) and, with delay windows, its split
        among them, bytes.
    buffer_bytes
        The threads' event buffers (:func:`event_buffers`) and spike history (delay windows),
        bytes.
    window_steps
        Steps the ring buffer spans for them (:func:`window_steps`).
    """

    counts_bytes: int
    buffer_bytes: int
    window_steps: int


def window_steps(n_chan: int, max_delay: int) -> int:
    """Steps of a delay window: the longest delay if a ring spanning it fits in
    :data:`RING_BYTES`, else as many as fit (see the module docstring)."""
    if max_delay > 1 and 4 * n_chan * (max_delay + 1) > RING_BYTES:
        return max(1, RING_BYTES // (4 * n_chan) - 1)
    return max_delay


def estimate_procedural(spec: NetworkSpec, layout: Layout, which: Iterable[int]) -> ProceduralEstimate:
    """What :func:`build_procedural` of the projections ``which`` and the step loop's buffers
    will hold, without drawing: out-degrees, event buffers, spike history and the ring's span."""
    counts_bytes, max_delay, delays = 0, 1, {}
    for k in which:
        proj = spec.projections[k]
        if proj.delay_ms is not None:
            delays[k] = int(delay_steps(_upper_bound(proj.delay_ms), spec.dt_ms))
            max_delay = max(max_delay, delays[k])
    span = window_steps(layout.n_chan, max_delay)
    for k in which:
        proj = spec.projections[k]
        _, n_pre = layout.source_offset(proj.source)
        if needs_counts(proj.rule):
            counts_bytes += PROCEDURAL_BYTES_PER_SOURCE * n_pre
            windows = -(-delays.get(k, 1) // span)
            if windows > 1:  # the out-degrees split among the windows, uint16 (int32 if larger)
                n_post = spec.population(proj.target).n_neurons
                mean = expected_synapse_count(proj.rule, n_pre, n_post, same_population=proj.source == proj.target) / n_pre
                counts_bytes += windows * n_pre * (2 if mean + 10 * math.sqrt(mean) < 2**16 else 4)
    buffers = sum(a.nbytes for a in event_buffers(layout.threads, True))
    if span < max_delay:  # the history of the later windows: ids and multiplicities
        own = layout.n_sources // layout.threads + 1
        buffers += layout.threads * 8 * (4 * own + HISTORY_SLACK)
    return ProceduralEstimate(counts_bytes, buffers, span)


EVENT_BUFFER = 4096
"""Synaptic events a thread makes before it adds them to the ring (see :func:`event_buffers`)."""
HISTORY_SLACK = 65536
"""Spikes a thread's history holds beyond four steps of all its neurons, to start with."""


def event_buffers(threads: int, procedural: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per thread, room for :data:`EVENT_BUFFER` procedural synaptic events (ring index, int64;
    value, float32): the step loop makes a projection's synapses into it, then adds them to
    the ring in the same order (``kernel._apply_events``)."""
    size = EVENT_BUFFER if procedural else 1
    return np.zeros((threads, size), np.int64), np.zeros((threads, size), np.float32)
