"""Procedural projections of the spiking engine: static projections whose synapses are
regenerated per source spike (:mod:`netdyn.connectivity.procedural`) instead of stored in the
CSR, as flat arrays the step loop reads.

Projection ``q`` starts from source index ``src_first[q]`` (its ``n_pre`` sources) and ends on
receptor ``receptor[q]`` of population ``tgt_pop[q]``; the projections of the sources of group
``g`` (the populations, then the Poisson sources, in spec order) are ``group_ptr[g] ..
group_ptr[g + 1]``. Source ``i``'s targets come from ``step_stream(key[q], i)``, its weights
from ``step_stream(key_w[q], i)`` and its delays (ms) from ``step_stream(key_d[q], i)``, draw
``s`` for synapse ``s``. Delays are cut at ``max_delay_steps`` (:data:`TAIL_SD`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, get_args

import numpy as np

from netdyn.connectivity.distributions import Constant, LogNormal, Normal, Uniform, as_distribution
from netdyn.connectivity.procedural import UNIFORM_TARGETS, plan_projection, value_params
from netdyn.engines.spiking.build import Layout, delay_steps
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec, Projection
from netdyn.seeding import named_generator
from netdyn.config.simulator import Connectivity
from netdyn.connectivity.procedural import max_synapses_per_source_bound, needs_counts
from netdyn.engines.spiking.build import estimate_memory, fits_in_memory, plan_layout

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
    delay: np.ndarray
    max_per_source: int
    max_delay_steps: int
    expected_synapses: float

    @property
    def n_projections(self) -> int:
        return int(self.kind.size)

    @property
    def nbytes(self) -> int:
        return int(self.counts.nbytes)


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
        weight=np.zeros((n, 6)), delay=np.zeros((n, 6)), max_per_source=1, max_delay_steps=max_delay,
        expected_synapses=0.0)
    for q, (_, k, proj, (plan, keys, first, tgt, off)) in enumerate(rows):
        out.src_first[q], out.n_pre[q], out.tgt_pop[q] = first, plan.n_pre, tgt
        out.receptor[q] = layout.receptor_index[tgt][proj.receptor]
        out.kind[q], out.n_post[q], out.skip_self[q], out.p[q] = plan.kind, plan.n_post, plan.skip_self, plan.p
        out.key[q], out.key_w[q], out.key_d[q] = keys
        out.counts_off[q] = off if plan.kind == UNIFORM_TARGETS else -1
        out.weight[q] = value_params(proj.weight)
        out.delay[q] = value_params(proj.delay_ms if proj.delay_ms is not None else spec.dt_ms)
        out.max_per_source = max(out.max_per_source, plan.max_synapses_per_source())
        out.expected_synapses += plan.expected_synapses()
    return out


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


PROCEDURAL_SCRATCH_BYTES = 8
"""Bytes per slot of a thread's scratch list of one source's targets (int64)."""


@dataclass(frozen=True)
class ProceduralEstimate:
    """Memory of the procedural projections, estimated before anything is drawn.

    Attributes
    ----------
    counts_bytes
        The int32 out-degree per source of the counted rules
        (:func:`~netdyn.connectivity.procedural.needs_counts`), bytes.
    scratch_bytes
        Per thread, room for the largest source's targets (int64), bytes.
    max_delay_steps
        The largest delay in steps (unbounded distributions cut at :data:`TAIL_SD`).
    """

    counts_bytes: int
    scratch_bytes: int
    max_delay_steps: int


def estimate_procedural(spec: NetworkSpec, layout: Layout, which: Iterable[int]) -> ProceduralEstimate:
    """What :func:`build_procedural` of the projections ``which`` will hold, without drawing:
    out-degrees, per-thread scratch and the ring buffer's reach."""
    counts_bytes, per_source, max_delay = 0, 1, 1
    for k in which:
        proj = spec.projections[k]
        _, n_pre = layout.source_offset(proj.source)
        n_post = spec.population(proj.target).n_neurons
        same = proj.source == proj.target
        if needs_counts(proj.rule):
            counts_bytes += PROCEDURAL_BYTES_PER_SOURCE * n_pre
        per_source = max(per_source, max_synapses_per_source_bound(proj.rule, n_pre, n_post, same_population=same))
        if proj.delay_ms is not None:
            max_delay = max(max_delay, int(delay_steps(_upper_bound(proj.delay_ms), spec.dt_ms)))
    return ProceduralEstimate(counts_bytes, layout.threads * per_source * PROCEDURAL_SCRATCH_BYTES, max_delay)
