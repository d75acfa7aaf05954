"""From a :class:`~netdyn.models.spiking.spec.NetworkSpec` to the engine's arrays.

Index spaces:

- *neurons*: all populations' neurons, concatenated in spec order (``pop_first``);
- *sources*: the neurons followed by the Poisson sources' trains (``src_first``): what a
  synapse starts from;
- *channels*: per population, one block of ``n_neurons`` inputs per receptor (``chan_off``):
  what a synapse ends on, so one int32 encodes target neuron and receptor;
- *state*: per population one contiguous block of ``n_neurons`` values per state variable.

With ``threads`` = T > 1 every population (and Poisson source) is cut into T chunks of
contiguous neurons, chunk ``u`` run by thread ``u``: the state and channels of a population are
then laid out chunk by chunk, each chunk a block of the same form (``blk_*``, block ``p T + u``),
so a model's step runs on a chunk as on a whole population. The neuron and source indices do
not change. Synapses are CSR by (thread of the target, source): thread ``u`` delivers the
synapses onto its own chunks, so no two threads write the same channel.

Building is two passes over the projections: count the synapses of each source, then
generate each projection again (same named seed, same draws) and counting-sort it into CSR.
Only one projection's temporaries exist at a time; the finished network costs 10 bytes per
synapse while building (target, weight, delay) and 8 when running (delays become segments of
4 bytes per source and delay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import psutil

from netdyn.connectivity.distributions import sample
from netdyn.connectivity.rules import connect, expected_synapses
from netdyn.engines.spiking.kernel import scatter_by_source, sort_rows_by_delay
from netdyn.errors import ConfigError, MemoryEstimateError
from netdyn.config.base import Spec
from netdyn.models.spiking.spec import NetworkSpec, Projection
from netdyn.seeding import named_generator

SYNAPSE_BYTES_RUN = 8  # int32 channel + float32 weight
SYNAPSE_BYTES_BUILD = 10  # + int16 delay until segments are cut
TEMP_BYTES_PER_SYNAPSE = 24  # one projection's pre, post, channel, weight and delay draws
PLASTIC_BYTES_PER_SYNAPSE = 57  # 4 float64 state rows; pre, post, channel, incoming index (int32); flag; stepped-set slot


@dataclass(frozen=True)
class Layout:
    """Offsets of every population and source in the engine's index spaces."""

    pop_names: list[str]
    pop_n: np.ndarray
    pop_first: np.ndarray
    pop_state_off: np.ndarray
    pop_state_len: np.ndarray
    pop_chan_off: np.ndarray
    pop_n_rec: np.ndarray
    receptor_index: list[dict[str, int]]
    src_names: list[str]
    src_first: np.ndarray
    src_n: np.ndarray
    n_neurons: int
    n_sources: int
    n_chan: int
    n_state: int
    threads: int = 1
    blk_lo: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blk_n: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blk_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blk_state_off: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blk_state_len: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blk_chan_off: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    src_lo: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    src_cn: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def source_offset(self, name: str) -> tuple[int, int]:
        """(first source index, size) of a population or Poisson source."""
        if name in self.pop_names:
            k = self.pop_names.index(name)
            return int(self.pop_first[k]), int(self.pop_n[k])
        k = self.src_names.index(name)
        return int(self.src_first[k]), int(self.src_n[k])

    def thread_of(self, pop: int, neurons: np.ndarray) -> np.ndarray:
        """The thread (chunk) of each of ``neurons`` (population-local indices) of population ``pop``."""
        lo = self.blk_lo[pop * self.threads:(pop + 1) * self.threads]
        return (np.searchsorted(lo, np.asarray(neurons, dtype=np.int64), side="right") - 1).astype(np.int64)

    def state_index(self, pop: int, var: int, neurons: np.ndarray) -> np.ndarray:
        """Index in the state array of variable ``var`` of ``neurons`` of population ``pop``."""
        neurons = np.asarray(neurons, dtype=np.int64)
        b = pop * self.threads + self.thread_of(pop, neurons)
        return self.blk_state_off[b] + var * self.blk_n[b] + neurons - self.blk_lo[b]

    def channel_index(self, pop: int, receptor: int, neurons: np.ndarray) -> np.ndarray:
        """Input channel of receptor ``receptor`` of ``neurons`` of population ``pop``."""
        neurons = np.asarray(neurons, dtype=np.int64)
        b = pop * self.threads + self.thread_of(pop, neurons)
        return self.blk_chan_off[b] + receptor * self.blk_n[b] + neurons - self.blk_lo[b]


def _chunks(sizes: np.ndarray, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """First index and size of chunk ``u`` of item ``k`` at ``k * threads + u``: near-equal cuts."""
    u = np.arange(threads + 1)
    bounds = (np.asarray(sizes, dtype=np.int64)[:, None] * u[None, :]) // threads
    # contiguous, whatever the shape: the compiled step loop is typed (and cached) once
    return np.ascontiguousarray(bounds[:, :-1].reshape(-1)), np.diff(bounds, axis=1).reshape(-1)


def plan_layout(spec: NetworkSpec, threads: int = 1) -> Layout:
    """Offsets of every population, source and (with ``threads`` > 1) thread chunk."""
    pops = spec.populations
    pop_n = np.array([p.n_neurons for p in pops], dtype=np.int64)
    pop_first = np.concatenate([[0], np.cumsum(pop_n)[:-1]]).astype(np.int64)
    n_vars = np.array([len(p.neuron_model.state_names(p.receptor_list)) for p in pops], dtype=np.int64)
    state_len = n_vars * pop_n
    n_rec = np.array([len(p.receptor_list) for p in pops], dtype=np.int64)
    chan_len = n_rec * pop_n
    n_neurons = int(pop_n.sum())
    src_n = np.array([s.n_neurons for s in spec.sources], dtype=np.int64)
    src_first = (n_neurons + np.concatenate([[0], np.cumsum(src_n)[:-1]])).astype(np.int64) if src_n.size else np.zeros(0, np.int64)
    n_chan = int(chan_len.sum())
    if n_chan >= 2**31:
        raise ConfigError("populations", n_chan, "more than 2**31 synaptic input channels; split the model")
    pop_state_off = np.concatenate([[0], np.cumsum(state_len)[:-1]]).astype(np.int64)
    pop_chan_off = np.concatenate([[0], np.cumsum(chan_len)[:-1]]).astype(np.int64)
    blk_lo, blk_n = _chunks(pop_n, threads)
    rep = np.repeat(np.arange(len(pops)), threads)
    src_lo, src_cn = _chunks(src_n, threads)
    return Layout(
        pop_names=[p.name for p in pops], pop_n=pop_n, pop_first=pop_first,
        pop_state_off=pop_state_off, pop_state_len=state_len, pop_chan_off=pop_chan_off,
        pop_n_rec=n_rec, receptor_index=[{r.name: k for k, r in enumerate(p.receptor_list)} for p in pops],
        src_names=[s.name for s in spec.sources], src_first=src_first, src_n=src_n,
        n_neurons=n_neurons, n_sources=n_neurons + int(src_n.sum()), n_chan=n_chan, n_state=int(state_len.sum()),
        threads=threads, blk_lo=blk_lo, blk_n=blk_n, blk_first=pop_first[rep] + blk_lo,
        blk_state_off=pop_state_off[rep] + n_vars[rep] * blk_lo, blk_state_len=n_vars[rep] * blk_n,
        blk_chan_off=pop_chan_off[rep] + n_rec[rep] * blk_lo, src_lo=src_lo, src_cn=src_cn,
    )


def delay_steps(value_ms: np.ndarray, dt_ms: float) -> np.ndarray:
    """Delays rounded to whole steps, at least one step."""
    return np.maximum(np.rint(np.asarray(value_ms) / dt_ms), 1).astype(np.int64)


def max_delay_steps(spec: NetworkSpec, exclude: frozenset[int] = frozenset()) -> int:
    """Upper bound of the delays in steps of the projections but ``exclude`` (indices), from
    the distributions' bounds (an unbounded distribution adds nothing: its delays are drawn)."""
    return max([1] + [int(_delay_bound(p, spec.dt_ms)) for k, p in enumerate(spec.projections) if k not in exclude])


def _delay_bound(proj: Projection, dt_ms: float) -> int:
    dist = proj.delay_ms
    if dist is None:
        return 1
    kind = getattr(dist, "kind", "")
    if kind == "constant":
        return int(delay_steps(dist.value, dt_ms))
    if kind == "uniform":
        return int(delay_steps(max(abs(dist.low), abs(dist.high)), dt_ms))
    return 0  # unbounded distributions: taken from the drawn delays


# ----------------------------------------------------------------------------- memory
@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a network needs, by part, before it is built."""

    n_synapses: int
    parts: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return int(sum(self.parts.values()))


def available_memory_bytes() -> int:
    """Memory available without swapping: ``psutil.virtual_memory().available`` (on Linux
    the kernel's MemAvailable; also on macOS and Windows)."""
    return int(psutil.virtual_memory().available)


def estimate_memory(spec: NetworkSpec, layout: Layout, procedural: Iterable[int] = (), *,
                    host_ring: bool = True) -> MemoryEstimate:
    """Peak bytes of building and running ``spec`` (synapses, temporaries, ring, state).

    Parameters
    ----------
    spec, layout
        The network and its layout (threads).
    procedural
        Indices of the projections that will be procedural
        (:mod:`netdyn.engines.spiking.procedural`): they cost no synapse bytes but their
        per-source out-degrees (``"procedural out-degrees"``, 4 bytes per source of the rules
        with out-degrees: fixed_total_number, fixed_indegree, fixed_outdegree) and the threads'
        event buffers and spike history (``"procedural buffers"``); their delays, cut at
        :data:`~netdyn.engines.spiking.procedural.TAIL_SD`, size the ring buffer up to
        :data:`~netdyn.engines.spiking.procedural.RING_BYTES` (beyond, delay windows).
    host_ring
        Whether the ring buffer is in this machine's memory (False for ``backend="gpu"``, whose
        ring is on the device and is checked against the GPU's free memory).

    Returns
    -------
    MemoryEstimate
        ``n_synapses``: every projection's synapses, stored or procedural; ``parts``: bytes.
    """
    which = frozenset(procedural)
    counts = []
    for proj in spec.projections:
        _, n_pre = layout.source_offset(proj.source)
        n_post = spec.population(proj.target).n_neurons
        counts.append(expected_synapses(proj.rule, n_pre, n_post, same_population=proj.source == proj.target))
    n_syn = int(sum(counts))
    stored = [c for k, c in enumerate(counts) if k not in which]
    n_stored = int(sum(stored))
    n_plastic = sum(c for k, (c, proj) in enumerate(zip(counts, spec.projections))
                    if proj.plasticity is not None and k not in which)
    delay_bound = max_delay_steps(spec, exclude=which)
    parts = {
        "synapses": SYNAPSE_BYTES_BUILD * (n_stored - n_plastic),
        "plastic synapses": PLASTIC_BYTES_PER_SYNAPSE * n_plastic,
        "largest projection while building": TEMP_BYTES_PER_SYNAPSE * max(stored, default=0),
        "segments": 16 * layout.n_sources * layout.threads + 4 * min(n_stored, 64 * layout.n_sources * layout.threads),
    }
    if which:
        from netdyn.engines.spiking.procedural import estimate_procedural  # it builds on this module

        pr = estimate_procedural(spec, layout, sorted(which))
        parts["procedural out-degrees"] = pr.counts_bytes
        parts["procedural out-degrees while building"] = pr.counts_bytes  # drawn per projection, then joined
        parts["procedural buffers"] = pr.buffer_bytes
        delay_bound = max(delay_bound, pr.window_steps)
    if host_ring:
        slots = max(delay_bound, 16) + 1
        parts["ring buffer"] = 4 * slots * layout.n_chan
    parts["state"] = 8 * layout.n_state + 16 * layout.n_neurons
    return MemoryEstimate(n_syn, parts)


def fits_in_memory(estimate: MemoryEstimate, available: int | None = None) -> bool:
    """Whether the estimate needs at most 90 % of ``available`` bytes (default: this machine's
    :func:`available_memory_bytes`)."""
    available = available_memory_bytes() if available is None else available
    return estimate.total_bytes <= 0.9 * available


def check_memory(estimate: MemoryEstimate, available: int | None = None) -> None:
    """:class:`MemoryEstimateError` if the estimate exceeds 90 % of the available memory."""
    available = available_memory_bytes() if available is None else available
    if not fits_in_memory(estimate, available):
        raise MemoryEstimateError(estimate.total_bytes, available, estimate.parts)


# ----------------------------------------------------------------------------- synapses
@dataclass
class Synapses:
    """CSR synapses cut into equal-delay segments (see :mod:`.kernel`): row ``u n_sources + i``
    holds the synapses of source ``i`` onto thread ``u``'s chunks."""

    syn_ptr: np.ndarray
    seg_ptr: np.ndarray
    seg_delay: np.ndarray
    seg_len: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    n_slots: int
    per_projection: dict[str, int]

    @property
    def n_synapses(self) -> int:
        return int(self.target.size)

    @property
    def nbytes(self) -> int:
        return int(self.syn_ptr.nbytes + self.seg_ptr.nbytes + self.seg_delay.nbytes + self.seg_len.nbytes
                   + self.target.nbytes + self.weight.nbytes)

    @property
    def bytes_per_synapse(self) -> float:
        return self.nbytes / max(self.n_synapses, 1)


def draw_projection(spec: NetworkSpec, layout: Layout, k: int, proj: Projection, with_values: bool):
    """Projection ``k``'s synapses from its named seed: ``(pre, post, channel, weight, delay)``,
    ``pre`` a source index and ``post`` a target-population index (int64); the values (input
    channel int32, weight float32, delay int16 steps) are None unless ``with_values``."""
    rng = named_generator(spec.seed, "projection", proj.key)
    first, n_pre = layout.source_offset(proj.source)
    tgt = layout.pop_names.index(proj.target)
    n_post = int(layout.pop_n[tgt])
    pre, post = connect(proj.rule, n_pre, n_post, rng, same_population=proj.source == proj.target)
    pre = pre.astype(np.int64) + first
    post = post.astype(np.int64)
    if not with_values:
        return pre, post, None, None, None
    model = spec.populations[tgt].neuron_model
    weight = sample(proj.weight, pre.size, rng)
    if model.synapse_kind == "conductance" and weight.size and weight.min() < 0:
        raise ConfigError(f"projections.{k}.weight", float(weight.min()),
                          f"conductance weights (nS) onto {proj.target!r} ({model.name}) must be >= 0; "
                          "inhibition comes from the receptor's reversal potential")
    if not np.all(np.isfinite(weight)):
        raise ConfigError(f"projections.{k}.weight", proj.weight, "drew non-finite weights")
    if proj.delay_ms is None:
        delay = np.ones(pre.size, dtype=np.int16)
    else:
        d = sample(proj.delay_ms, pre.size, rng)
        if d.size and (not np.all(np.isfinite(d)) or d.min() < 0):
            raise ConfigError(f"projections.{k}.delay_ms", proj.delay_ms, "delays must be finite and >= 0 ms")
        steps = delay_steps(d, spec.dt_ms)
        if steps.size and steps.max() >= 2**15:
            raise ConfigError(f"projections.{k}.delay_ms", float(d.max()), "delays above 32767 steps are not supported")
        delay = steps.astype(np.int16)
    r = layout.receptor_index[tgt][proj.receptor]
    channel = layout.channel_index(tgt, r, post).astype(np.int32)
    return pre, post, channel, weight.astype(np.float32), delay


def _rows(layout: Layout, proj: Projection, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    """CSR row of each synapse: (thread of its target) * n_sources + source."""
    if layout.threads == 1:
        return pre
    return layout.thread_of(layout.pop_names.index(proj.target), post) * layout.n_sources + pre


def build_synapses(spec: NetworkSpec, layout: Layout, procedural: frozenset[int] = frozenset()) -> Synapses:
    """Generate every static projection (except the ``procedural`` ones, regenerated per spike
    instead) and assemble the CSR segments (two passes, see module doc)."""
    n_rows = layout.n_sources * layout.threads
    counts = np.zeros(n_rows, dtype=np.int64)
    per_projection: dict[str, int] = {}
    static = [(k, proj) for k, proj in enumerate(spec.projections) if proj.plasticity is None and k not in procedural]
    for k, proj in static:
        pre, post, *_ = draw_projection(spec, layout, k, proj, with_values=False)
        counts += np.bincount(_rows(layout, proj, pre, post), minlength=n_rows)
        per_projection[proj.key] = int(pre.size)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    n_syn = int(indptr[-1])
    target = np.empty(n_syn, dtype=np.int32)
    weight = np.empty(n_syn, dtype=np.float32)
    delay = np.empty(n_syn, dtype=np.int16)
    fill = indptr[:-1].copy()
    for k, proj in static:
        pre, post, channel, w, d = draw_projection(spec, layout, k, proj, with_values=True)
        scatter_by_source(fill, _rows(layout, proj, pre, post), channel, w, d, target, weight, delay)
        del pre, post, channel, w, d
    seg_ptr, seg_delay, seg_len = sort_rows_by_delay(indptr, target, weight, delay)
    del delay
    n_slots = int(seg_delay.max()) + 1 if seg_delay.size else 2
    return Synapses(indptr, seg_ptr, seg_delay, seg_len, target, weight, n_slots, per_projection)


def initial_state(spec: NetworkSpec, k: int, params: Spec) -> dict[str, np.ndarray]:
    """Initial values of every state variable of population ``k`` (state-name order): draws from
    ``Population.initial`` keyed by (seed, population name), the model's resting state
    otherwise. Every backend starts from these values."""
    p = spec.populations[k]
    model = p.neuron_model
    rest = model.resting_state(params, p.receptor_list)
    rng = named_generator(spec.seed, "initial", p.name)
    out = {}
    for var in model.state_names(p.receptor_list):
        if var in p.initial:
            out[var] = sample(p.initial[var], p.n_neurons, rng)
        else:
            out[var] = np.full(p.n_neurons, rest.get(var, 0.0))
    return out
