"""What a spiking neuron model declares, and the registry of models.

A model is one file in :mod:`netdyn.models.spiking.neurons`: a subclass of
:class:`NeuronModel` that states its parameters (a :class:`~netdyn.config.base.Spec` with units
in the field names), its state variables, its synapse kind and a numba ``step`` function with
the signature :data:`STEP_SIGNATURE`. The spiking engine calls ``step`` once per population
and time step; it knows nothing else about the model. Dropping a new file into ``neurons/``
registers the model (the package imports every module there).

The step contract (all arrays are views of the engine's buffers)::

    n_spikes = step(state, refractory, constants, syn_input, i_ext_pA, spiked, work)

``state``
    float64 ``(n_vars * n,)``: the population's state, one contiguous block of ``n`` values
    per variable in the order of :meth:`NeuronModel.state_names` (struct of arrays).
``refractory``
    int32 ``(n,)``: steps of refractoriness left.
``constants``
    float64: :meth:`NeuronModel.constants` (parameters and propagators for this dt).
``syn_input``
    float32 ``(n_receptors * n,)``: the sum of the weights that arrive in this step, one block
    per receptor (nS for conductance synapses, pA for current synapses). A model adds it to its
    synaptic state *after* the membrane update of the step (NEST's order: an input that arrives
    in step k acts on V from step k+1 on), and **sets every value it read to zero**: this is the
    step's slot of the engine's ring buffer, reused for a later step.
``i_ext_pA``
    float64 ``(n,)``: external current in pA (DC and step currents), constant within a step;
    empty (size 0) when no current input targets the population, which then reads nothing.
``spiked``
    int32 ``(n,)``: the model writes the indices of the neurons that spiked here.
``work``
    float64 scratch of at least ``4 n`` values (contents undefined on entry).

Write the update as loops over neurons without branches that depend on earlier neurons
(then LLVM vectorises them), find the spikes with :func:`collect_spikes` (or, fused into the
update loop, :func:`spike_candidate` and :func:`scan_block`) and reset them; use
:func:`netdyn.fastmath.exp` rather than ``math.exp`` (a scalar library call), and
explicit selects rather than numba's ``min``/``max`` (calls, which stop vectorisation).

It returns the number of spikes, or ``-(i + 1)`` if neuron ``i`` reached a non-finite state.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numba import njit, types
from numba.core.errors import NumbaExperimentalFeatureWarning

from netdyn.config.base import Spec, parse_config
from netdyn.errors import ConfigError
from netdyn.models.spiking.registry import Registry

warnings.filterwarnings("ignore", category=NumbaExperimentalFeatureWarning)

STEP_SIGNATURE = types.int64(
    types.float64[::1],  # state
    types.int32[::1],  # refractory counters
    types.float64[::1],  # constants
    types.float32[::1],  # synaptic input of this step (read, then zeroed)
    types.float64[::1],  # external current, pA
    types.int32[::1],  # out: indices of the neurons that spiked
    types.float64[::1],  # scratch, at least 4 * n values
)
"""numba signature of every model's ``step`` (explicit, so the engine calls it as a
first-class function and is compiled once for every combination of models)."""

SynapseKind = Literal["conductance", "current"]


class Receptor(Spec):
    """One synaptic receptor (input channel) of a population.

    Attributes
    ----------
    name
        Name used by projections (``"exc"``, ``"inh"``, ``"AffExc"`` ...).
    tau_ms
        Decay time constant of the synaptic conductance or current, in ms.
    e_rev_mV
        Reversal potential in mV; required for conductance-based models, absent for
        current-based ones.
    """

    name: str
    tau_ms: float
    e_rev_mV: float | None = None


def repeated_names(names: list[str]) -> list[str]:
    """The names that occur more than once in ``names``, sorted (linear in their number: the
    multi-area model has ~8,600 projections)."""
    return sorted(name for name, count in Counter(names).items() if count > 1)


@dataclass(frozen=True)
class StateVar:
    """A state variable: its name (with unit suffix) and its unit."""

    name: str
    unit: str


class NeuronModel:
    """Base of all neuron models (a namespace of class attributes and class methods).

    Subclasses set ``name``, ``Params``, ``state_vars``, ``synapse_kind``,
    ``default_receptors`` and ``step``, and implement :meth:`constants` and
    :meth:`resting_state`.
    """

    name: ClassVar[str]
    Params: ClassVar[type[Spec]]
    state_vars: ClassVar[tuple[StateVar, ...]]
    synapse_kind: ClassVar[SynapseKind]
    default_receptors: ClassVar[tuple[Receptor, ...]]
    step: ClassVar[Any]
    description: ClassVar[str] = ""

    @classmethod
    def parse_params(cls, params: dict[str, Any], field: str) -> Spec:
        """Validate ``params`` (defaults filled in); errors name ``field.<key>``."""
        return parse_config(cls.Params, params, at=field)

    @classmethod
    def check_receptors(cls, receptors: tuple[Receptor, ...], field: str) -> tuple[Receptor, ...]:
        """Default receptors if none are given; check names and reversal potentials."""
        receptors = tuple(receptors) or cls.default_receptors
        names = [r.name for r in receptors]
        dup = repeated_names(names)
        if dup:
            raise ConfigError(field, names, f"receptor names must be unique; repeated: {dup}")
        for k, r in enumerate(receptors):
            if not (np.isfinite(r.tau_ms) and r.tau_ms > 0):
                raise ConfigError(f"{field}.{k}.tau_ms", r.tau_ms, "must be a finite number > 0")
            if cls.synapse_kind == "conductance" and r.e_rev_mV is None:
                raise ConfigError(f"{field}.{k}.e_rev_mV", None,
                                  f"model {cls.name!r} has conductance synapses: give a reversal potential")
            if cls.synapse_kind == "current" and r.e_rev_mV is not None:
                raise ConfigError(f"{field}.{k}.e_rev_mV", r.e_rev_mV,
                                  f"model {cls.name!r} has current synapses: no reversal potential")
        return receptors

    @classmethod
    def synaptic_state_name(cls, receptor: Receptor) -> str:
        """``g_<receptor>_nS`` (conductance) or ``i_<receptor>_pA`` (current)."""
        return f"g_{receptor.name}_nS" if cls.synapse_kind == "conductance" else f"i_{receptor.name}_pA"

    @classmethod
    def state_names(cls, receptors: tuple[Receptor, ...]) -> list[str]:
        """Names of the state blocks, in memory order: the model's, then one per receptor."""
        return [v.name for v in cls.state_vars] + [cls.synaptic_state_name(r) for r in receptors]

    @classmethod
    def state_units(cls, receptors: tuple[Receptor, ...]) -> dict[str, str]:
        """Unit of every state variable, synaptic states (nS or pA, as the weights) included."""
        units = {v.name: v.unit for v in cls.state_vars}
        units.update({cls.synaptic_state_name(r): cls.weight_unit() for r in receptors})
        return units

    @classmethod
    def weight_unit(cls) -> str:
        """Unit of the weights onto this model: nS (conductance synapses) or pA (current)."""
        return "nS" if cls.synapse_kind == "conductance" else "pA"

    @classmethod
    def constants(cls, params: Spec, receptors: tuple[Receptor, ...], dt_ms: float) -> np.ndarray:
        """float64 vector read by ``step``: parameters and propagators for ``dt_ms``
        (usually built with :meth:`pack_constants`)."""
        raise NotImplementedError

    @classmethod
    def pack_constants(cls, head: list[float], header: int, per_receptor: list[float]) -> np.ndarray:
        """The constants vector: the ``header`` scalars the step reads by position, then the
        per-receptor values. A ``ValueError`` naming the model when ``head`` does not have
        ``header`` entries (an explicit check: it must not vanish under ``python -O``)."""
        if len(head) != header:
            raise ValueError(f"neuron model {cls.name!r}: constants() built {len(head)} header values, "
                             f"its step reads {header}")
        return np.array(list(head) + list(per_receptor), dtype=np.float64)

    @classmethod
    def resting_state(cls, params: Spec, receptors: tuple[Receptor, ...]) -> dict[str, float]:
        """Initial value of every state variable (synaptic states default to 0)."""
        raise NotImplementedError


_MODELS: Registry[NeuronModel] = Registry("netdyn.models.spiking.neurons", "neuron model")


def register_model(cls: type[NeuronModel]) -> type[NeuronModel]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    return _MODELS.register(cls)


def get_model(name: str, field: str = "model") -> type[NeuronModel]:
    """The registered model ``name``; :class:`ConfigError` listing the known ones otherwise."""
    return _MODELS.get(name, field)


def available_models() -> list[str]:
    """Names of all registered neuron models."""
    return _MODELS.names()


SCAN_BLOCK = 64
"""Neurons per block of the spike search: a block is scanned one neuron at a time only if a
vectorised count (:func:`spike_candidate`) flagged it."""


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def spike_candidate(v_i, threshold, strict):  # pragma: no cover - compiled
    """1 if ``v_i`` is at or above threshold (``> threshold`` when ``strict``) or not finite,
    else 0: summed over a block in the update loop, it tells whether to scan the block."""
    if strict:
        return 0 if (v_i <= threshold and v_i > -1e300) else 1
    return 0 if (v_i < threshold and v_i > -1e300) else 1


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def scan_block(v, start, stop, threshold, strict, spiked, k):  # pragma: no cover - compiled
    """Append the spiking neurons of ``v[start:stop]`` to ``spiked[k:]``; return the new count,
    or ``-(i + 1)`` if neuron ``i`` holds a NaN or infinite V."""
    for i in range(start, stop):
        vi = v[i]
        if not abs(vi) < 1e300:
            return -(i + 1)
        if vi > threshold or (vi == threshold and not strict):
            spiked[k] = i
            k += 1
    return k


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def collect_spikes(v, threshold, strict, spiked):  # pragma: no cover - compiled
    """Indices of the neurons at or above threshold (``> threshold`` when ``strict``).

    Writes them to ``spiked`` and returns their number, or ``-(i + 1)`` if neuron ``i`` holds a
    NaN or infinite V. Each block of :data:`SCAN_BLOCK` neurons is first checked by a vectorised
    count, and only blocks with a candidate are scanned: a step's few spikes cost little. A model
    can instead count candidates in its update loop and call :func:`scan_block` (one pass less).
    """
    n = v.size
    k = 0
    n_whole = n // SCAN_BLOCK
    for blk in range(n_whole + 1):
        start = blk * SCAN_BLOCK
        count = SCAN_BLOCK if blk < n_whole else n - start
        flagged = 0
        for j in range(count):
            flagged += spike_candidate(v[start + j], threshold, strict)
        if flagged:
            k = scan_block(v, start, start + count, threshold, strict, spiked, k)
            if k < 0:
                return k
    return k


def check_reset_below(v_reset_mV: float, threshold_mV: float, threshold_name: str) -> None:
    """:class:`ConfigError` on ``v_reset_mV`` unless it lies below the spike threshold (a reset at
    or above it would fire again at once)."""
    if v_reset_mV >= threshold_mV:
        raise ConfigError("v_reset_mV", v_reset_mV, f"must lie below {threshold_name} = {threshold_mV}")


def refractory_steps(t_ref_ms: float, dt_ms: float) -> int:
    """Number of steps V stays clamped after a spike: ``round(t_ref / dt)`` (NEST's rule)."""
    return int(round(t_ref_ms / dt_ms))
