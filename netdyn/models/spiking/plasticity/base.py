"""What a synaptic plasticity rule declares, and the registry of rules.

A rule is one file in :mod:`netdyn.models.spiking.plasticity`: a subclass of
:class:`PlasticityRule` that states its parameters (a :class:`~netdyn.config.base.Spec` with
units in the field names), its per-synapse and per-neuron state variables, and numba functions
with the signatures below. The spiking engine stores the state, finds the events and calls the
functions; it knows nothing else about the rule.

Event-driven state
------------------
A synapse's state is valid at the step stored in its column ``T`` (the last) (the last step at which it
was brought up to date). Between events a rule may keep a synapse *passive*: not touched
every step, its state advanced in closed form when it is next needed. Synapses whose state
must be integrated every step (for the calcium rule: calcium above a threshold, or a tag) sit
in the *stepped set*, ``act[1:act[0] + 1]`` (``flag[k] = 1`` for its members), which the rule's
``step`` function advances; ``flag`` and the rest of ``act`` (:meth:`PlasticityRule.workspace_size`
values in all) are the rule's to use. This is what makes a network of 10^5 - 10^6 plastic synapses cheap:
the cost follows the events and the few synapses in motion, not the synapse count.

The functions (``st``: float64 ``(n_synapses, n_columns)``, one row per synapse holding its
variables, the rule's internal values and last ``T`` (one synapse's state in one cache line); ``nst``: float64 ``(n_neuron_vars, n_post)``, the postsynaptic neurons'
rule state; ``c``: the rule's constants for dt; ``post``: int32 postsynaptic neuron of each
synapse, local to the target population)::

    w_pA = efficacy(st, nst, c, flag, post, k, step)   # weight of synapse k at an arrival in ``step``
    on_pre(st, nst, c, act, flag, post, k, step)   # presynaptic event (after the rule's delay)
    on_post(st, nst, c, act, flag, post, k, step)  # the postsynaptic neuron spiked in ``step``
    status = step(st, nst, c, act, flag, post, step, key)   # end of ``step``: stepped set and
                                                   # neuron state; -(k + 1) on a non-finite state
    x = peek(st, nst, c, flag, post, k, step, var)     # variable ``var`` of synapse k at ``step``,
                                                   # without changing the state (recording)

``efficacy`` and ``peek`` must not change the state, so what is recorded never changes what is
simulated. Random draws are counter-based, keyed by (``key``, step, synapse), so results do not
depend on how a run is cut. Rules also provide plain-Python-called functions for the
consolidation (fast-forward) phases and for rebuilding derived state (:meth:`rebuild`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numba import types

from netdyn.config.base import Spec, parse_config
from netdyn.models.spiking.registry import Registry

_ST = types.float64[:, ::1]
_C = types.float64[::1]
_ACT = types.int64[::1]
_FLAG = types.uint8[::1]
_POST = types.int32[::1]

EFFICACY_SIGNATURE = types.float64(_ST, _ST, _C, _FLAG, _POST, types.int64, types.int64)
EVENT_SIGNATURE = types.void(_ST, _ST, _C, _ACT, _FLAG, _POST, types.int64, types.int64)
STEP_SIGNATURE = types.int64(_ST, _ST, _C, _ACT, _FLAG, _POST, types.int64, types.uint64)
PEEK_SIGNATURE = types.float64(_ST, _ST, _C, _FLAG, _POST, types.int64, types.int64, types.int64)

T_ROW_NAME = "step"
"""Name of the last column of a rule's synapse state: the step at which the row is valid."""


class PlasticityRule:
    """Base of all plasticity rules (a namespace of class attributes and class methods).

    Subclasses set ``name``, ``Params``, ``synapse_vars`` (name -> unit), ``neuron_vars``
    (name -> unit), ``pre_delay_param`` (the parameter holding the delay of the rule's
    presynaptic event, ms, or None for the projection's delay) and the compiled functions
    ``efficacy``, ``on_pre``, ``on_post``, ``step`` and ``peek``; and implement
    :meth:`constants`, :meth:`initial_state`, :meth:`rebuild` and :meth:`fast_forward`.
    """

    name: ClassVar[str]
    Params: ClassVar[type[Spec]]
    synapse_vars: ClassVar[dict[str, str]]
    neuron_vars: ClassVar[dict[str, str]]
    pre_delay_param: ClassVar[str | None] = None
    internal_synapse_rows: ClassVar[tuple[str, ...]] = ()
    n_neuron_rows: ClassVar[int]
    efficacy: ClassVar[Any]
    on_pre: ClassVar[Any]
    on_post: ClassVar[Any]
    step: ClassVar[Any]
    peek: ClassVar[Any]
    description: ClassVar[str] = ""

    @classmethod
    def parse_params(cls, params: dict[str, Any], field: str) -> Spec:
        """Validate ``params`` (defaults filled in); errors name ``field.<key>``."""
        return parse_config(cls.Params, params, at=field)

    @classmethod
    def synapse_state_names(cls) -> list[str]:
        """Columns of the synapse state, in memory order: the variables, the rule's internal
        values, and last the step ``T``."""
        return list(cls.synapse_vars) + list(cls.internal_synapse_rows) + [T_ROW_NAME]

    @classmethod
    def workspace_size(cls, n_synapses: int) -> int:
        """Length of the int64 workspace ``act`` (the stepped set and what else the rule keeps)."""
        return n_synapses + 1

    @classmethod
    def pre_delay_ms(cls, params: Spec) -> float | None:
        """Delay of the rule's presynaptic event, ms (None: the projection's delay)."""
        return None if cls.pre_delay_param is None else float(getattr(params, cls.pre_delay_param))

    @classmethod
    def constants(cls, params: Spec, dt_ms: float) -> np.ndarray:
        """float64 vector read by the compiled functions for a step of ``dt_ms``."""
        raise NotImplementedError

    @classmethod
    def initial_state(cls, params: Spec, weight_pA: np.ndarray, n_post: int) -> tuple[np.ndarray, np.ndarray]:
        """``(st, nst)``: synapse state ``(n_synapses, n_columns)`` for initial weights
        ``weight_pA`` (T = 0) and neuron state ``(n_neuron_rows, n_post)``."""
        raise NotImplementedError

    @classmethod
    def rebuild(cls, st: np.ndarray, nst: np.ndarray, c: np.ndarray, act: np.ndarray, flag: np.ndarray,
                post: np.ndarray, step: int) -> None:
        """Bring every synapse to ``step`` and recompute derived state (stepped set, sums)."""
        raise NotImplementedError

    @classmethod
    def fast_forward(cls, st: np.ndarray, nst: np.ndarray, params: Spec, post: np.ndarray, step: int,
                     duration_ms: float, dt_ff_ms: float, probe_kind: np.ndarray, probe_var: np.ndarray,
                     probe_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integrate only the slow variables over ``duration_ms`` in steps of ``dt_ff_ms``;
        return the times (ms from the start) and probe samples of each step."""
        raise NotImplementedError(f"plasticity rule {cls.name!r} has no consolidation (fast-forward) phase")


_RULES: Registry[PlasticityRule] = Registry("netdyn.models.spiking.plasticity", "plasticity rule", skip=("base",))


def register_rule(cls: type[PlasticityRule]) -> type[PlasticityRule]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    return _RULES.register(cls)


def get_rule(name: str, field: str = "rule") -> type[PlasticityRule]:
    """The registered rule ``name``; :class:`ConfigError` listing the known ones otherwise."""
    return _RULES.get(name, field)


def available_rules() -> list[str]:
    """Names of all registered plasticity rules."""
    return _RULES.names()
