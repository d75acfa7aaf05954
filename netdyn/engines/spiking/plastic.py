"""The plastic projection of a network and the Ornstein-Uhlenbeck currents, as engine arrays.

A plastic projection's synapses are kept apart from the static CSR (whose weights never
change): sorted by source (``src_ptr``: source ``i`` owns synapses ``src_ptr[i] ..
src_ptr[i+1]``), each with its postsynaptic neuron (``post``, local to the target population),
its input channel (``chan``), and the rule's state (``st``, one row per synapse: its variables
and last the step). ``in_ptr``/``in_syn`` list each postsynaptic neuron's incoming synapses (for its
postsynaptic events). A FIFO of the sources' spikes is read twice: for the PSP after the
projection's delay and for the rule's presynaptic event after the rule's delay; it holds at
most one spike per source and step over the longer delay, so it cannot overflow.

:class:`PlasticSynapses` is also built, empty, for a network without plasticity: the compiled
step loop then skips every plastic branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netdyn.engines.spiking.build import Layout, delay_steps, draw_projection
from netdyn.errors import ConfigError
from netdyn.models.spiking.plasticity.base import PlasticityRule, get_rule
from netdyn.models.spiking.spec import NetworkSpec
from netdyn.seeding import named_generator

_DEFAULT_RULE = "calcium_stc"  # any rule's functions type the compiled loop's arguments when there is none


@dataclass
class PlasticSynapses:
    """Arrays of the plastic projection (see the module docstring); empty without one."""

    rule: type[PlasticityRule]
    params: object
    key_name: str
    st: np.ndarray
    nst: np.ndarray
    c: np.ndarray
    act: np.ndarray
    flag: np.ndarray
    post: np.ndarray
    chan: np.ndarray
    pre: np.ndarray
    src_ptr: np.ndarray
    in_ptr: np.ndarray
    in_syn: np.ndarray
    post_first: int
    d_psp: int
    d_pre: int
    key: np.uint64
    fifo_step: np.ndarray
    fifo_src: np.ndarray
    fifo_ctr: np.ndarray = field(default_factory=lambda: np.zeros(3, np.int64))

    @property
    def n_synapses(self) -> int:
        return int(self.post.size)

    @property
    def fns(self) -> tuple:
        """The rule's compiled functions, each in a 1-tuple: numba then types it as a
        first-class function of its signature (cacheable), not as this process's dispatcher."""
        r = self.rule
        return tuple((f,) for f in (r.efficacy, r.on_pre, r.on_post, r.step, r.peek))

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (self.st, self.post, self.chan, self.pre, self.src_ptr, self.in_ptr,
                                            self.in_syn, self.act, self.flag)))

    def synapse_index(self, pre: int, post: int, field_name: str) -> int:
        """Index of the synapse ``pre -> post`` (population-local indices); ConfigError if absent."""
        hit = np.flatnonzero((self.pre == pre) & (self.post == post))
        if hit.size == 0:
            raise ConfigError(field_name, (pre, post), "no plastic synapse between these neurons")
        return int(hit[0])

    def rebuild(self, step: int) -> None:
        """Bring every synapse to ``step`` and recompute the stepped set and the sums."""
        self.rule.rebuild(self.st, self.nst, self.c, self.act, self.flag, self.post, step)

    def clear_events(self) -> None:
        """Forget the spikes in flight (their PSPs and presynaptic events are not delivered)."""
        self.fifo_ctr[:] = 0


def build_plastic(spec: NetworkSpec, layout: Layout) -> PlasticSynapses:
    """Draw the plastic projection (its named seed, as a static one) and set up its state."""
    k = next((k for k, p in enumerate(spec.projections) if p.plasticity is not None), None)
    if k is None:
        return _empty()
    proj = spec.projections[k]
    rule = proj.plasticity.rule_model
    params = proj.plasticity.parsed_params(f"projections.{k}.plasticity.params")
    pre, post, chan, weight, _ = draw_projection(spec, layout, k, proj, with_values=True)
    src_first, n_src = layout.source_offset(proj.source)
    post_first, n_post = layout.source_offset(proj.target)
    order = np.argsort(pre, kind="stable")
    pre, chan, weight, post = pre[order], chan[order], weight[order], post[order].astype(np.int32)
    src_ptr = np.zeros(layout.n_sources + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=layout.n_sources), out=src_ptr[1:])
    in_syn = np.argsort(post, kind="stable").astype(np.int32)
    in_ptr = np.zeros(n_post + 1, np.int64)
    np.cumsum(np.bincount(post, minlength=n_post), out=in_ptr[1:])
    st, nst = rule.initial_state(params, weight.astype(np.float64), n_post)
    d_psp = int(delay_steps(proj.delay_ms.value if proj.delay_ms is not None else spec.dt_ms, spec.dt_ms))
    pre_delay = rule.pre_delay_ms(params)
    d_pre = d_psp if pre_delay is None else int(delay_steps(pre_delay, spec.dt_ms))
    n_senders = int(np.count_nonzero(np.diff(src_ptr)))
    cap = max(n_senders * (max(d_psp, d_pre) + 1), 1)
    key = np.uint64(named_generator(spec.seed, "plasticity", proj.key).integers(0, 2**63, dtype=np.uint64))
    syn = PlasticSynapses(
        rule=rule, params=params, key_name=proj.key, st=st, nst=nst, c=rule.constants(params, spec.dt_ms),
        act=np.zeros(rule.workspace_size(post.size), np.int64), flag=np.zeros(post.size, np.uint8), post=post,
        chan=chan.astype(np.int32), pre=(pre - src_first).astype(np.int32), src_ptr=src_ptr, in_ptr=in_ptr,
        in_syn=in_syn, post_first=int(post_first), d_psp=d_psp, d_pre=d_pre, key=key,
        fifo_step=np.zeros(cap, np.int64), fifo_src=np.zeros(cap, np.int32))
    syn.rebuild(0)
    return syn


def _empty() -> PlasticSynapses:
    rule = get_rule(_DEFAULT_RULE)
    params = rule.parse_params({}, "plasticity")
    return PlasticSynapses(
        rule=rule, params=params, key_name="", st=np.zeros((0, len(rule.synapse_state_names()))),
        nst=np.zeros((rule.n_neuron_rows, 0)), c=rule.constants(params, 1.0), act=np.zeros(rule.workspace_size(0), np.int64), flag=np.zeros(0, np.uint8),
        post=np.zeros(0, np.int32), chan=np.zeros(0, np.int32), pre=np.zeros(0, np.int32),
        src_ptr=np.zeros(1, np.int64), in_ptr=np.zeros(1, np.int64), in_syn=np.zeros(0, np.int32), post_first=0,
        d_psp=1, d_pre=1, key=np.uint64(0), fifo_step=np.zeros(1, np.int64), fifo_src=np.zeros(1, np.int32))


@dataclass
class OUInputs:
    """The Ornstein-Uhlenbeck currents as flat arrays (see :func:`kernel._ou_currents`)."""

    ptr: np.ndarray
    neuron: np.ndarray
    state: np.ndarray
    mean: np.ndarray
    decay: np.ndarray
    noise: np.ndarray
    key: np.ndarray
    was_on: np.ndarray
    intervals: list[list[tuple[int, int | None]]]

    def switched_on(self, step0: int, n: int) -> np.ndarray:
        """uint8 ``(n_inputs, n)``: whether input ``d`` is on in steps ``step0 .. step0 + n``."""
        on = np.zeros((self.mean.size, n), np.uint8)
        for d, spans in enumerate(self.intervals):
            for start, stop in spans:
                a = max(start - step0, 0)
                b = n if stop is None else min(stop - step0, n)
                if b > a:
                    on[d, a:b] = 1
        return on

    def switch_off(self) -> None:
        """Every current off and at zero (it restarts at its mean when next switched on)."""
        self.state[:] = 0.0
        self.was_on[:] = 0


def build_ou(spec: NetworkSpec, layout: Layout) -> OUInputs:
    """Flatten the spec's OU currents; interval bounds become steps."""
    dt = spec.dt_ms
    neurons, ptr = [], [0]
    for ou in spec.ou_currents:
        first, n = layout.source_offset(ou.target)
        idx = np.arange(n) if ou.neurons is None else np.asarray(ou.neurons, dtype=np.int64)
        neurons.append(first + idx)
        ptr.append(ptr[-1] + idx.size)
    mean = np.array([o.mean_pA for o in spec.ou_currents], np.float64)
    decay = np.array([np.exp(-dt / o.tau_ms) for o in spec.ou_currents], np.float64)
    noise = np.array([o.sd_pA * np.sqrt(-np.expm1(-2.0 * dt / o.tau_ms)) for o in spec.ou_currents], np.float64)
    key = np.array([named_generator(spec.seed, "ou", o.name).integers(0, 2**63, dtype=np.uint64)
                    for o in spec.ou_currents], np.uint64)
    intervals = [[(int(round(a / dt)), None if b is None else int(round(b / dt))) for a, b in o.intervals_ms]
                 for o in spec.ou_currents]
    flat = np.concatenate(neurons) if neurons else np.zeros(0, np.int64)
    return OUInputs(np.asarray(ptr, np.int64), flat.astype(np.int64), np.zeros(flat.size), mean, decay, noise, key,
                    np.zeros(mean.size, np.uint8), intervals)
