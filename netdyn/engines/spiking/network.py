"""The spiking engine's user object: build a :class:`NetworkSpec`, run it, read what it recorded.

>>> net = Network(spec)          # builds synapses and state (memory checked first)
>>> net.run(500.0)               # ms; can be called again, the state carries over
>>> net.set_params("E", i_e_pA=50.0)   # change parameters between runs
>>> net.run(500.0)
>>> rec = net.recording()        # SpikingRecording: spikes, sampled state, population rates

The step loop runs compiled (:func:`netdyn.engines.spiking.kernel.run_steps`) in chunks of
``chunk_steps``, on ``threads`` threads (each its own chunk of every population; the spikes,
states and recordings are bit-identical for any number of threads); between chunks the engine
refreshes time-varying input rates and step currents, moves recorded data out and updates the
progress bar. The whole mutable state — membrane state, refractory counters, ring buffer and
the clock — lives in this object (``state``, ``refractory``, ``ring``, ``step_count``; state
and ring in the layout of the thread count, :meth:`Network.save_state` writes them in one
independent of it; with ``backend="gpu"`` the ring is on the device and ``ring`` is empty).
Poisson drives and sources need no carried state: their draws are counter-based, a function
of (seed, input, step, neuron).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import xarray as xr
from numba import njit
from tqdm.auto import tqdm

from netdyn import __version__
from netdyn.atomic import write_file
from netdyn.engines.spiking.build import check_memory as refuse_if_too_large
from netdyn.engines.spiking.build import (
    Layout,
    MemoryEstimate,
    Synapses,
    build_synapses,
    estimate_memory,
    initial_state,
    plan_layout,
)
from netdyn.engines.spiking.kernel import NON_FINITE, SPIKE_BUFFER_FULL, max_poisson_count, model_slots, run_steps
from netdyn.engines.spiking.plastic import OUInputs, PlasticSynapses, build_ou, build_plastic
from netdyn.engines.spiking.procedural import (
    HISTORY_SLACK,
    ProceduralSynapses,
    build_procedural,
    event_buffers,
    procedural_projections,
)
from netdyn.engines.threads import SleepingBarrier, check_threads, run_parallel
from netdyn.errors import ConfigError, SpikingInstabilityError, nonnegative_float
from netdyn.models.spiking.spec import NetworkSpec, spec_from_any
from netdyn.record.spiking import SpikeTrains, SpikingRecording
from netdyn.seeding import named_generator

BACKENDS = ("netdyn", "nest", "gpu")
"""Simulators that build and run a :class:`NetworkSpec`."""


class DriveArrays(NamedTuple):
    """The Poisson/Bernoulli drives of a network, one entry per drive in spec order."""

    population: np.ndarray  # int64: index of the target population
    receptor: np.ndarray  # int64: receptor (input channel) of the target population
    weight: np.ndarray  # float32: weight of one input spike (nS or pA, by the target's model)
    bernoulli: np.ndarray  # bool: at most one input spike a step (else Poisson counts)
    key: np.ndarray  # uint64: key of the drive's counter-based stream (kernel.counter_uniform)


@dataclass(frozen=True)
class ChunkPlan:
    r"""What a step loop needs, besides the network's arrays, to advance it by ``n_steps``
    steps from step ``step0`` (:meth:`Network._plan_chunk`). The compiled CPU loop and the GPU's
    (:mod:`netdyn.engines.gpu.spiking`) start from the same plan, and hand back what they
    recorded through :meth:`Network._keep_spikes`, :meth:`Network._keep_probes` and
    :meth:`Network._store_counts`.

    Attributes
    ----------
    step0, n_steps
        The network's clock (steps) and the length of the chunk.
    drive_means
        ``(drives, n_steps)``: a drive's expected input spikes onto one neuron in each step,
        :math:`n_\text{inputs} \, \nu(t) \, \Delta t` (at most 1 for Bernoulli drives).
    source_means
        ``(sources, n_steps)``: a Poisson source neuron's expected spikes in each step.
    first_probe
        The first step at or after ``step0`` at which the state probes sample.
    n_probe_rows, n_probe_cols
        The probes' samples in the chunk (0 without probes) and the probed values per sample
        (state probes, then plastic probes).
    max_recorded
        The most recorded spikes one step can produce (a source neuron can emit up to
        :func:`~netdyn.engines.spiking.kernel.max_poisson_count` a step).
    """

    step0: int
    n_steps: int
    drive_means: np.ndarray
    source_means: np.ndarray
    first_probe: int
    n_probe_rows: int
    n_probe_cols: int
    max_recorded: int


class Network:
    """A built spiking network.

    Parameters
    ----------
    spec
        The network (a :class:`NetworkSpec` or a mapping validated into one).
    chunk_steps
        Steps per compiled call (memory of input-rate arrays, per-step counts and state samples
        scales with it). Default: about 4e7 neuron-steps per call, 1000 to 500,000 steps, fewer if
        the state samples of one call would exceed 1e6 values; between calls the engine refreshes
        the inputs, stores the recordings and advances the progress bar (~0.1 ms each).
    check_memory
        Estimate the memory before building and raise :class:`~netdyn.errors.MemoryEstimateError`
        if it will not fit.
    backend
        ``"netdyn"`` (this engine), ``"gpu"`` (this engine's network, stepped on a CUDA GPU by
        :mod:`netdyn.engines.gpu.spiking`; static models, drives, sources, currents, stored or
        procedural synapses; checked, with the GPU, before anything is built) or ``"nest"``: the
        same spec built and run by NEST (:class:`netdyn.engines.nest.NestNetwork`, same ``run``,
        ``set_params`` and ``recording``; threads and MPI ranks).
    threads
        Threads of one simulation (NEST: per MPI rank). This engine cuts every population into
        ``threads`` chunks, one per thread, and gives the same spikes and states, bit for bit,
        for any number of threads (see :mod:`netdyn.engines.spiking.kernel`); a thread that
        waits for the others sleeps after a spin of about a millisecond, so more threads than free
        cores cost time but do not stall the host. Two threads ran COBA 1.33x (4,000 neurons) to
        1.79x (100,000) faster than one (:doc:`/threads`).
    connectivity
        ``"stored"`` (default), ``"procedural"`` (every static projection that can be is
        regenerated per spike, not stored), ``"auto"`` (procedural if the stored network would
        not fit in memory) or ``{projection key: "stored" | "procedural"}``
        (:func:`~netdyn.engines.spiking.procedural.procedural_projections`, :doc:`/procedural`).
        The memory estimate counts the resolved choice; :attr:`procedural_keys` lists it.
    """

    def __new__(cls, spec: NetworkSpec | dict[str, Any] | None = None, *, backend: str = "netdyn",
                threads: int = 1, **options: Any):
        if backend == "nest":
            from netdyn.engines.nest import NestNetwork

            return NestNetwork(spec, threads=threads, **options)
        if backend not in ("netdyn", "gpu"):
            raise ConfigError("backend", backend, f"one of {list(BACKENDS)}")
        return super().__new__(cls)

    def __init__(self, spec: NetworkSpec | dict[str, Any], *, chunk_steps: int | None = None,
                 check_memory: bool = True, backend: str = "netdyn", threads: int = 1,
                 connectivity: str | dict[str, str] = "stored"):
        t0 = time.perf_counter()
        self.threads = check_threads(threads)
        self.spec = spec_from_any(spec)
        if chunk_steps is not None and chunk_steps < 1:
            raise ConfigError("chunk_steps", chunk_steps, "must be >= 1")
        on_gpu = backend == "gpu"
        if on_gpu:  # before the build: a network the GPU cannot run costs nothing
            from netdyn.engines.gpu.spiking import check_gpu_supported

            check_gpu_supported(self.spec, self.threads)
        self.layout: Layout = plan_layout(self.spec, self.threads)
        self._procedural_keys = procedural_projections(self.spec, connectivity, self.layout)
        self.memory_estimate: MemoryEstimate = estimate_memory(self.spec, self.layout, self._procedural_keys,
                                                               host_ring=not on_gpu)
        if check_memory:
            refuse_if_too_large(self.memory_estimate)
        self.procedural: ProceduralSynapses = build_procedural(self.spec, self.layout, self._procedural_keys)
        self.synapses: Synapses = build_synapses(self.spec, self.layout, frozenset(self._procedural_keys))
        self.plastic: PlasticSynapses = build_plastic(self.spec, self.layout)
        self.ou: OUInputs = build_ou(self.spec, self.layout)
        self._init_populations()
        self._init_inputs()
        self._init_recorders()
        self.chunk_steps = int(chunk_steps) if chunk_steps is not None else self._default_chunk_steps()
        self.n_slots = max(self.synapses.n_slots, self.procedural.window_steps + 1)
        # the GPU's ring is on the device (netdyn.engines.gpu.spiking)
        self.ring = np.zeros(0 if on_gpu else self.n_slots * self.layout.n_chan, dtype=np.float32)
        self._init_threads()
        self.step_count = 0
        self._gpu = None
        if on_gpu:
            from netdyn.engines.gpu.spiking import GpuStepLoop

            self._gpu = GpuStepLoop(self)
        self.build_time_s = time.perf_counter() - t0
        self.run_time_s = 0.0

    # ------------------------------------------------------------------ construction
    def _default_chunk_steps(self) -> int:
        # small networks take long chunks: each compiled call costs ~1 ms of argument typing
        steps = int(np.clip(4e7 / max(self.layout.n_neurons, 1), 1000, 500_000))
        n_probes = self._probe_idx.size + self._pprobe_kind.size
        if n_probes:
            steps = min(steps, max(1000, int(1e6 / n_probes) * self._probe_every))
        return steps

    def _init_populations(self) -> None:
        spec, lay = self.spec, self.layout
        models = []
        for p in spec.populations:
            if p.neuron_model not in models:
                models.append(p.neuron_model)
        self._models = models
        self._fns = model_slots(tuple(m.step for m in models))
        self._kinds = np.array([models.index(p.neuron_model) for p in spec.populations], dtype=np.int64)
        self._params = [p.neuron_model.parse_params(p.params, f"populations.{k}.params")
                        for k, p in enumerate(spec.populations)]
        rows = [p.neuron_model.constants(self._params[k], p.receptor_list, spec.dt_ms)
                for k, p in enumerate(spec.populations)]
        self._consts = np.zeros((len(rows), max(r.size for r in rows)), dtype=np.float64)
        self._const_len = np.array([r.size for r in rows], dtype=np.int64)
        for k, r in enumerate(rows):
            self._consts[k, : r.size] = r
        self.state = np.empty(lay.n_state, dtype=np.float64)
        for k, p in enumerate(spec.populations):
            for j, values in enumerate(initial_state(spec, k, self._params[k]).values()):
                self.state[self._var_index(k, j)] = values
        self.refractory = np.zeros(lay.n_neurons, dtype=np.int32)
        # canonical (one-thread) order of the state and of the ring's channels, for checkpoints
        self._state_order = np.concatenate([self._var_index(k, j) for k, p in enumerate(spec.populations)
                                            for j in range(len(p.neuron_model.state_names(p.receptor_list)))])
        self._chan_order = np.concatenate([lay.channel_index(k, r, np.arange(p.n_neurons))
                                           for k, p in enumerate(spec.populations) for r in range(len(p.receptor_list))])

    def _var_index(self, pop: int, var: int) -> np.ndarray:
        """Indices in ``state`` of variable ``var`` of every neuron of population ``pop``."""
        return self.layout.state_index(pop, var, np.arange(int(self.layout.pop_n[pop])))

    def _init_threads(self) -> None:
        """Per-thread buffers of the step loop: spike lists by step parity, scratch, flags."""
        lay, threads = self.layout, self.threads
        own = lay.blk_n.reshape(-1, threads).sum(axis=0) + lay.src_cn.reshape(-1, threads).sum(axis=0)
        n_groups = lay.pop_n.size + lay.src_n.size
        self._spike_lists = np.zeros((2, threads, max(int(own.max()), 1)), dtype=np.int32)
        self._spike_mults = np.zeros_like(self._spike_lists)
        self._spike_offs = np.zeros((2, threads, n_groups + 1), dtype=np.int64)
        self._flags = np.zeros(3 + 4 * threads, dtype=np.int64)
        self._work = np.zeros((threads, 4 * max(int(lay.blk_n.max()), 1)), dtype=np.float64)
        self._barrier = SleepingBarrier(threads)
        # spike history of the procedural delay windows (netdyn.engines.spiking.procedural): per
        # thread a circular list of its spikes (absolute positions in hist_pos, by step % n_hist)
        self._hist_own_max = own.astype(np.int64)
        n_hist = self.procedural.history_steps
        self._hist_pos = np.zeros((n_hist, threads, n_groups + 1), dtype=np.int64)
        cap = 4 * int(own.max()) + HISTORY_SLACK if n_hist else 0
        self._hist_ids = np.zeros((threads, cap), dtype=np.int32)
        self._hist_mult = np.zeros((threads, cap), dtype=np.int32)
        self._events = event_buffers(threads, self.procedural.n_projections > 0)
        self._neuron_thread = np.zeros(0, dtype=np.int32)
        if self.spec.ou_currents:
            self._neuron_thread = np.concatenate([lay.thread_of(k, np.arange(n)) for k, n in enumerate(lay.pop_n)]).astype(np.int32)

    def _init_inputs(self) -> None:
        spec, lay = self.spec, self.layout
        drives = spec.drives
        self.drive_arrays = DriveArrays(
            population=np.array([lay.pop_names.index(d.target) for d in drives], dtype=np.int64),
            receptor=np.array([lay.receptor_index[lay.pop_names.index(d.target)][d.receptor] for d in drives],
                              dtype=np.int64),
            weight=np.array([d.weight for d in drives], dtype=np.float32),
            bernoulli=np.array([d.statistics == "bernoulli" for d in drives], dtype=np.bool_),
            key=np.array([named_generator(spec.seed, "drive", d.name).integers(0, 2**63, dtype=np.uint64)
                          for d in drives], dtype=np.uint64))
        # keys of the Poisson sources' counter-based streams
        self.source_keys = np.array([named_generator(spec.seed, "source", s.name).integers(0, 2**63, dtype=np.uint64)
                                     for s in spec.sources], dtype=np.uint64)
        for k, d in enumerate(drives):
            model = spec.population(d.target).neuron_model
            if model.synapse_kind == "conductance" and d.weight < 0:
                raise ConfigError(f"drives.{k}.weight", d.weight, "conductance weights (nS) must be >= 0")
        self.i_dc = np.zeros(lay.n_neurons, dtype=np.float64)  # DC and step currents, pA
        # the current each step, pA: the DC ones plus the OU currents (the same array without OU)
        self.i_ext = np.zeros(lay.n_neurons, dtype=np.float64) if spec.ou_currents else self.i_dc
        targets = {c.target for c in spec.currents} | {o.target for o in spec.ou_currents}
        self._pop_current = np.array([name in targets for name in lay.pop_names], dtype=np.int64)
        self._current_changes = sorted({int(round(c.start_ms / spec.dt_ms)) for c in spec.currents}
                                       | {int(round(c.stop_ms / spec.dt_ms)) for c in spec.currents if c.stop_ms is not None})

    def _init_recorders(self) -> None:
        spec, lay = self.spec, self.layout
        rec = spec.record
        names = list(rec.spikes) if rec.spikes is not None else list(lay.pop_names)
        self._rec_mask = np.zeros(lay.n_sources, dtype=np.bool_)
        self._recorded: dict[str, np.ndarray | None] = {}
        for name in names:
            first, n = lay.source_offset(name)
            idx = rec.spike_neurons.get(name)
            if idx is None:
                self._rec_mask[first:first + n] = True
            else:
                self._rec_mask[first + np.asarray(idx, dtype=np.int64)] = True
            self._recorded[name] = None if idx is None else np.asarray(idx, dtype=np.int64)
        self._rec_neurons = int(self._rec_mask[: lay.n_neurons].sum())
        self._rec_sources = np.array([self._rec_mask[a:a + n].sum() for a, n in zip(lay.src_first, lay.src_n)],
                                     dtype=np.int64)
        self._spk_step = np.empty(max(4 * self._rec_neurons, 1 << 16), dtype=np.int64)
        self._spk_id = np.empty(self._spk_step.size, dtype=np.int32)
        self._spikes_steps: list[np.ndarray] = []
        self._spikes_ids: list[np.ndarray] = []
        # state probes
        idx, owner, self._probe_cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], []
        for probe in rec.state:
            k = lay.pop_names.index(probe.population)
            p = spec.populations[k]
            j = p.neuron_model.state_names(p.receptor_list).index(probe.variable)
            idx.append(lay.state_index(k, j, probe.neurons))
            owner.append(lay.thread_of(k, probe.neurons))
            self._probe_cols.append((probe.population, probe.variable, np.asarray(probe.neurons)))
        self._probe_idx = np.concatenate(idx).astype(np.int64)
        self._probe_thread = np.concatenate(owner).astype(np.int64)
        self._init_plasticity_probes()
        self._probe_every = max(1, int(round((rec.state_every_ms or spec.dt_ms) / spec.dt_ms)))
        self._probe_rows: list[np.ndarray] = []
        self._probe_steps: list[np.ndarray] = []
        # population rates
        self._bin_steps = None if rec.rate_bin_ms is None else max(1, int(round(rec.rate_bin_ms / spec.dt_ms)))
        self._bin_counts = np.zeros((0, len(lay.pop_names)), dtype=np.int64)

    def _init_plasticity_probes(self) -> None:
        """Columns of the plastic probes: kind 0 (synapse variable ``var`` of synapse ``index``)
        or 1 (rule neuron variable ``var`` of neuron ``index``)."""
        kinds, rows, index = [], [], []
        self._pprobe_cols: list[tuple[str, str, np.ndarray, np.ndarray | None]] = []
        pl = self.plastic
        for k, probe in enumerate(self.spec.record.plasticity):
            rule = pl.rule
            if probe.variable in rule.synapse_vars:
                row = list(rule.synapse_vars).index(probe.variable)
                ids = [pl.synapse_index(a, b, f"record.plasticity.{k}.synapses") for a, b in probe.synapses]
                kinds += [0] * len(ids)
                pairs = np.asarray(probe.synapses, dtype=np.int64).reshape(-1, 2)
                self._pprobe_cols.append((pl.key_name, probe.variable, pairs[:, 0], pairs[:, 1]))
            else:
                row = list(rule.neuron_vars).index(probe.variable)
                ids = list(probe.neurons)
                kinds += [1] * len(ids)
                target = self.spec.plastic_projection.target
                self._pprobe_cols.append((target, probe.variable, np.asarray(ids, dtype=np.int64), None))
            rows += [row] * len(ids)
            index += ids
        self._pprobe_kind = np.asarray(kinds, dtype=np.int64)
        self._pprobe_var = np.asarray(rows, dtype=np.int64)
        self._pprobe_idx = np.asarray(index, dtype=np.int64)

    # ------------------------------------------------------------------ properties
    @property
    def dt_ms(self) -> float:
        return self.spec.dt_ms

    @property
    def t_ms(self) -> float:
        """Current time of the network clock (ms)."""
        return self.step_count * self.spec.dt_ms

    @property
    def n_synapses(self) -> int:
        return self.synapses.n_synapses

    @property
    def bytes_per_synapse(self) -> float:
        """Bytes of the synapse structure per synapse: CSR + delay segments, or on the GPU the
        device's CSR with a delay per synapse."""
        return self._gpu.nbytes_per_synapse if self._gpu is not None else self.synapses.bytes_per_synapse

    @property
    def ring_bytes(self) -> int:
        """Bytes of the delay ring buffer (float32; on the GPU int64 fixed point, on the device)."""
        return int(self._gpu.ring.nbytes if self._gpu is not None else self.ring.nbytes)

    @property
    def procedural_keys(self) -> list[str]:
        """Keys of the projections whose synapses are regenerated per spike, not stored
        (``connectivity`` resolved), in spec order."""
        return [self.spec.projections[k].key for k in self._procedural_keys]

    # ------------------------------------------------------------------ state access
    def get_state(self, population: str) -> dict[str, np.ndarray]:
        """Copies of the state variables of ``population`` (name -> (n_neurons,) array)."""
        k = self._pop_index(population)
        p = self.spec.populations[k]
        names = p.neuron_model.state_names(p.receptor_list)
        out = {name: self.state[self._var_index(k, j)] for j, name in enumerate(names)}
        first = int(self.layout.pop_first[k])
        out["refractory_steps"] = self.refractory[first:first + p.n_neurons].copy()
        return out

    def set_state(self, population: str, variable: str, values: Any) -> None:
        """Set a state variable of ``population`` (scalar or one value per neuron)."""
        k = self._pop_index(population)
        p = self.spec.populations[k]
        names = p.neuron_model.state_names(p.receptor_list)
        if variable not in names:
            raise ConfigError("variable", variable, f"one of {names}")
        index = self._var_index(k, names.index(variable))
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), index.shape)
        if not np.all(np.isfinite(values)):
            raise ConfigError(variable, values, "must be finite")
        self.state[index] = values

    def set_params(self, population: str, **params: Any) -> None:
        """Change model parameters of ``population`` between runs (validated; e.g. ``i_e_pA``)."""
        k = self._pop_index(population)
        p = self.spec.populations[k]
        merged = {**self._params[k].to_dict(), **params}
        new = p.neuron_model.parse_params(merged, f"populations.{population}.params")
        row = p.neuron_model.constants(new, p.receptor_list, self.spec.dt_ms)
        self._params[k] = new
        self._consts[k, : row.size] = row

    def params(self, population: str) -> dict[str, Any]:
        """Current model parameters of ``population``."""
        return self._params[self._pop_index(population)].to_dict()

    # ------------------------------------------------------------------ plasticity
    def plastic_state(self) -> xr.Dataset:
        """The plastic projection's synapses now: one row per synapse with ``pre`` and ``post``
        (population-local indices) and every synapse variable of the rule at the current step
        (e.g. the full weight matrix as a sparse list), and the rule's neuron variables of the
        target population. Values are computed, not stepped: reading changes nothing."""
        pl = self.plastic
        if pl.n_synapses == 0:
            raise ConfigError("projections", None, "the network has no plastic projection")
        rule = pl.rule
        step = self.step_count
        data = {}
        for row, (var, unit) in enumerate(rule.synapse_vars.items()):
            values = _peek_all(rule, pl, step, row)
            data[var] = xr.DataArray(values, dims=("synapse",), attrs={"units": unit})
        for row, (var, unit) in enumerate(rule.neuron_vars.items()):
            data[var] = xr.DataArray(pl.nst[row].copy(), dims=("neuron",), attrs={"units": unit})
        return xr.Dataset(data, coords={"pre": ("synapse", pl.pre.copy()), "post": ("synapse", pl.post.copy()),
                                        "time_ms": self.t_ms},
                          attrs={"projection": pl.key_name, "rule": rule.name})

    def fast_forward(self, duration_ms: float, dt_ff_ms: float) -> "Network":
        """A consolidation phase: advance only the plastic projection's slow variables by
        ``duration_ms`` in steps of ``dt_ff_ms`` (the last one partial), then start the fast
        variables afresh.

        Membrane potentials, synaptic currents, spikes in flight, external inputs and the
        rule's fast variables (e.g. calcium) are not simulated during the phase; afterwards
        neurons are at rest, nothing is in flight and the OU currents restart at their mean
        when switched on. The clock advances by ``duration_ms`` (rounded to steps of dt), so
        the next detailed phase continues in absolute time. Plastic probes are sampled after
        each long step; neuron-state probes read NaN there.
        """
        pl = self.plastic
        if pl.n_synapses == 0:
            raise ConfigError("fast_forward", duration_ms, "the network has no plastic projection")
        duration = checked_duration_ms(duration_ms)
        try:
            dt_ff = float(dt_ff_ms)
        except (TypeError, ValueError):
            raise ConfigError("dt_ff_ms", dt_ff_ms, "must be a number of ms > 0") from None
        if not (np.isfinite(dt_ff) and dt_ff > 0):
            raise ConfigError("dt_ff_ms", dt_ff_ms, "must be a number of ms > 0")
        t0 = time.perf_counter()
        n_steps = int(round(duration / self.spec.dt_ms))
        kinds = np.concatenate([np.full(self._probe_idx.size, 2, np.int64), self._pprobe_kind])
        rows = np.concatenate([np.zeros(self._probe_idx.size, np.int64), self._pprobe_var])
        index = np.concatenate([np.zeros(self._probe_idx.size, np.int64), self._pprobe_idx])
        pl.rebuild(self.step_count)  # every synapse up to date: the long steps start from here
        t_ms, samples = pl.rule.fast_forward(pl.st, pl.nst, pl.params, pl.post, self.step_count, duration, dt_ff,
                                             kinds, rows, index)
        if kinds.size and t_ms.size:
            self._probe_rows.append(samples)
            self._probe_steps.append(self.step_count + np.rint(t_ms / self.spec.dt_ms).astype(np.int64))
        self.step_count += n_steps
        pl.st[:, -1] = self.step_count
        self._restart_fast_state()
        self.run_time_s += time.perf_counter() - t0
        return self

    def _restart_fast_state(self) -> None:
        for k, p in enumerate(self.spec.populations):
            model = p.neuron_model
            rest = model.resting_state(self._params[k], p.receptor_list)
            for j, var in enumerate(model.state_names(p.receptor_list)):
                self.state[self._var_index(k, j)] = rest.get(var, 0.0)
        self.refractory[:] = 0
        self.ring[:] = 0.0
        self._set_history(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))
        self.plastic.clear_events()
        self.plastic.rebuild(self.step_count)
        self.ou.switch_off()

    # ------------------------------------------------------------------ checkpoints
    @property
    def backend(self) -> str:
        """Where the steps run: ``"netdyn"`` (the CPU engine) or ``"gpu"``."""
        return "gpu" if self._gpu is not None else "netdyn"

    def save_state(self, path: str | Path) -> Path:
        """Write the whole mutable state (clock, neurons, ring buffer, plastic synapses, OU
        currents) to ``path`` (``.npz``, written atomically, in an order independent of the
        number of threads), so that :meth:`load_state` on a network built from the same spec
        and backend, with any number of threads, continues bit for bit. A GPU network's ring
        buffer is saved as the device holds it (fixed point, with its scale)."""
        pl, ou = self.plastic, self.ou
        n_slots = self.n_slots
        if self._gpu is not None:
            ring = {"ring_fixed": self._gpu.ring_to_host()[:, self._chan_order].reshape(-1),
                    "ring_scale": np.float64(self._gpu.scale)}
            history = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))  # the GPU keeps none
        else:
            ring = {"ring": self.ring.reshape(n_slots, -1)[:, self._chan_order].reshape(-1)}
            history = self._history_spikes()
        arrays = {"step_count": np.int64(self.step_count), "backend": np.array(self.backend),
                  "state": self.state[self._state_order], "refractory": self.refractory, **ring,
                  "pl_st": pl.st, "pl_nst": pl.nst, "pl_act": pl.act, "pl_flag": pl.flag,
                  "pl_fifo_step": pl.fifo_step, "pl_fifo_src": pl.fifo_src, "pl_fifo_ctr": pl.fifo_ctr,
                  "ou_state": ou.state, "ou_was_on": ou.was_on,
                  **dict(zip(("hist_step", "hist_id", "hist_mult"), history)),
                  "spec": np.frombuffer(json.dumps(self.spec.to_dict(), sort_keys=True).encode(), np.uint8)}
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)

        return write_file(path, write)

    def load_state(self, path: str | Path) -> "Network":
        """Restore a state written by :meth:`save_state` (the spec and the backend must be the
        same: a CPU ring buffer holds float32 sums, a GPU one fixed-point integers)."""
        with np.load(Path(path)) as f:
            saved = json.loads(bytes(f["spec"]).decode())
            if saved != json.loads(json.dumps(self.spec.to_dict(), sort_keys=True)):
                raise ConfigError("path", str(path), "the checkpoint was written by a network of another spec")
            written_by = str(f["backend"]) if "backend" in f else "netdyn"
            if written_by != self.backend:
                raise ConfigError("path", str(path), f"the checkpoint was written by a network with "
                                                     f"backend={written_by!r}; load it into "
                                                     f"Network(spec, backend={written_by!r}), not into one with "
                                                     f"backend={self.backend!r}")
            pl, ou = self.plastic, self.ou
            self.state[self._state_order] = f["state"]
            if self._gpu is not None:
                if float(f["ring_scale"]) != self._gpu.scale:
                    raise ConfigError("path", str(path), "the checkpoint's fixed-point scale differs from this "
                                                         "network's (other weights)")
                ring = np.empty((self._gpu.n_slots, self.layout.n_chan), np.int64)
                ring[:, self._chan_order] = f["ring_fixed"].reshape(self._gpu.n_slots, -1)
                self._gpu.ring_from_host(ring)
            else:
                self.ring.reshape(self.n_slots, -1)[:, self._chan_order] = f["ring"].reshape(self.n_slots, -1)
            for name, target in (("refractory", self.refractory), ("pl_st", pl.st), ("pl_nst", pl.nst),
                                 ("pl_act", pl.act), ("pl_flag", pl.flag),
                                 ("pl_fifo_step", pl.fifo_step), ("pl_fifo_src", pl.fifo_src),
                                 ("pl_fifo_ctr", pl.fifo_ctr), ("ou_state", ou.state), ("ou_was_on", ou.was_on)):
                target[...] = f[name]
            self.step_count = int(f["step_count"])
            if "hist_step" in f and self._gpu is None:
                self._set_history(f["hist_step"], f["hist_id"], f["hist_mult"])
        return self

    def _pop_index(self, population: str) -> int:
        try:
            return self.layout.pop_names.index(population)
        except ValueError:
            raise ConfigError("population", population, f"no such population; known: {self.layout.pop_names}") from None

    # ------------------------------------------------------------------ running
    def run(self, duration_ms: float, *, progress: bool | None = None,
            on_spikes: Callable[[np.ndarray, np.ndarray, float], None] | None = None) -> "Network":
        """Advance the network by ``duration_ms`` (rounded to whole steps).

        Parameters
        ----------
        duration_ms
            Biological time to simulate, ms.
        progress
            Show a progress bar (default: when stderr is a terminal and the run is long).
        on_spikes
            Called after each block of steps with the recorded spikes of the block, ``(steps,
            ids, t_stop_ms)``: step numbers (a spike of step ``k`` is stamped ``(k + 1) dt``),
            global neuron indices (populations in spec order, then sources) and the time
            simulated so far; e.g. :meth:`netdyn.io.hdf5.SpikeStream.append`, to write spikes
            as the run goes. The spikes also stay in :meth:`recording`.
        """
        duration = checked_duration_ms(duration_ms)
        n_total = int(round(duration / self.spec.dt_ms))
        if progress is None:
            progress = sys.stderr.isatty() and n_total * self.layout.n_neurons > 5e8
        t0 = time.perf_counter()
        end = self.step_count + n_total
        with tqdm(total=n_total, unit="step", desc="simulate", disable=not progress, leave=False) as bar:
            while self.step_count < end:
                n = min(self.chunk_steps, end - self.step_count)
                later = [c for c in self._current_changes if c > self.step_count]
                if later:
                    n = min(n, later[0] - self.step_count)
                before = len(self._spikes_steps)
                self._run_chunk(n)
                if on_spikes is not None:
                    fresh = self._spikes_steps[before:]
                    on_spikes(np.concatenate(fresh) if fresh else np.zeros(0, np.int64),
                              np.concatenate(self._spikes_ids[before:]) if fresh else np.zeros(0, np.int32), self.t_ms)
                bar.update(n)
        self.run_time_s += time.perf_counter() - t0
        return self

    def _refresh_currents(self) -> None:
        step = self.step_count
        self.i_dc[:] = 0.0
        for c in self.spec.currents:
            start = int(round(c.start_ms / self.spec.dt_ms))
            stop = None if c.stop_ms is None else int(round(c.stop_ms / self.spec.dt_ms))
            if start <= step and (stop is None or step < stop):
                first, n = self.layout.source_offset(c.target)
                if c.neurons is None:
                    self.i_dc[first:first + n] += c.amplitude_pA
                else:
                    self.i_dc[first + np.asarray(c.neurons, dtype=np.int64)] += c.amplitude_pA

    # ------------------------------------------------------------------ the step loops' interface
    def _plan_chunk(self, n: int) -> ChunkPlan:
        """The step currents of the clock's step (into ``i_dc``), and the :class:`ChunkPlan` of
        the next ``n`` steps."""
        self._refresh_currents()
        dt = self.spec.dt_ms
        t_ms = (self.step_count + np.arange(n)) * dt
        drv = np.zeros((len(self.spec.drives), n))
        for k, d in enumerate(self.spec.drives):
            drv[k] = d.n_inputs * d.rate(t_ms) * dt * 1e-3
            if d.statistics == "bernoulli":
                np.minimum(drv[k], 1.0, out=drv[k])
        src = np.zeros((len(self.spec.sources), n))
        for k, s in enumerate(self.spec.sources):
            src[k] = s.rate(t_ms) * dt * 1e-3
        every = self._probe_every
        first_probe = -(-self.step_count // every) * every
        n_cols = self._probe_idx.size + self._pprobe_kind.size
        n_rows = max(0, -(-(self.step_count + n - first_probe) // every)) if n_cols else 0
        max_rec = self._rec_neurons + sum(int(c) * max_poisson_count(float(src[q].max(initial=0.0)))
                                          for q, c in enumerate(self._rec_sources) if c)
        return ChunkPlan(self.step_count, n, drv, src, first_probe, n_rows, n_cols, max_rec)

    def _keep_spikes(self, steps: np.ndarray, ids: np.ndarray) -> None:
        """Keep recorded spikes (int64 steps, int32 global ids; by step, then id)."""
        if steps.size:
            self._spikes_steps.append(steps)
            self._spikes_ids.append(ids)

    def _keep_probes(self, plan: ChunkPlan, rows: np.ndarray) -> None:
        """Keep the probes' first ``len(rows)`` samples of a chunk (from ``plan.first_probe``)."""
        if rows.shape[1]:
            every = self._probe_every
            self._probe_rows.append(rows)
            self._probe_steps.append(np.arange(plan.first_probe, plan.first_probe + rows.shape[0] * every, every))

    def _run_chunk(self, n: int) -> None:
        if self._gpu is not None:
            self._gpu.run_chunk(self, n)
            return
        lay, syn = self.layout, self.synapses
        plan = self._plan_chunk(n)
        drv_lam, src_lam, max_rec = plan.drive_means, plan.source_means, plan.max_recorded
        probe_out = np.empty((plan.n_probe_rows, plan.n_probe_cols), dtype=np.float64)
        ou_on = self.ou.switched_on(self.step_count, n)
        pl, ou, pr, drives = self.plastic, self.ou, self.procedural, self.drive_arrays
        pop_counts = np.zeros((n, lay.pop_n.size), dtype=np.int32)
        if self._spk_step.size < 2 * max_rec:  # the step loop stops, to grow it, when below 2 max_rec
            self._spk_step = np.empty(4 * max_rec, dtype=np.int64)
            self._spk_id = np.empty(4 * max_rec, dtype=np.int32)
        self._grow_history()
        done = 0
        row_done = 0
        while done < n:
            n_spk = np.zeros(1, dtype=np.int64)
            step0 = self.step_count
            self._flags[:2] = 0
            self._flags[2:] = -1
            self._barrier.reset()
            args = (
                self._barrier.args, self._fns, self._kinds, lay.blk_state_off, lay.blk_state_len, lay.blk_n,
                lay.blk_first, lay.blk_lo, lay.blk_chan_off, lay.pop_n_rec, self._consts, self._const_len,
                self.state, self.refractory, self.i_ext, self._pop_current, self._neuron_thread,
                self.ring, self.n_slots, lay.n_chan, step0, n - done,
                syn.syn_ptr, syn.seg_ptr, syn.seg_delay, syn.seg_len, syn.target, syn.weight, lay.n_sources,
                lay.src_first, lay.src_lo, lay.src_cn, np.ascontiguousarray(src_lam[:, done:]), self.source_keys,
                drives.population, drives.receptor, drives.weight, np.ascontiguousarray(drv_lam[:, done:]),
                drives.bernoulli, drives.key,
                self._rec_mask, max_rec, self._spk_step, self._spk_id, n_spk,
                pop_counts[done:], self._probe_idx, self._probe_thread, self._probe_every, probe_out[row_done:],
                self._spike_lists, self._spike_mults, self._spike_offs, self._flags, self._work,
                self.i_dc, ou.ptr, ou.neuron, ou.state, ou.mean, ou.decay, ou.noise, ou.key,
                np.ascontiguousarray(ou_on[:, done:]), ou.was_on,
                pl.fns, pl.st, pl.nst, pl.c, pl.act, pl.flag, pl.post, pl.chan, pl.src_ptr, pl.in_ptr, pl.in_syn,
                pl.post_first, pl.key, pl.d_psp, pl.d_pre, pl.fifo_step, pl.fifo_src, pl.fifo_ctr,
                self._pprobe_kind, self._pprobe_var, self._pprobe_idx,
                pr.group_ptr, pr.src_first, pr.tgt_pop, pr.receptor, pr.kind, pr.n_post, pr.skip_self, pr.p,
                pr.key, pr.key_w, pr.key_d, pr.counts_off, pr.counts, pr.weight, pr.dl_prob, pr.dl_alias, pr.dl_off,
                pr.dl_len, pr.win_first, pr.n_win, pr.window_steps, pr.wt_ptr, pr.wt_off, pr.wt_len, pr.wc_off,
                pr.wcounts, pr.group_n_win, self._hist_ids, self._hist_mult,
                self._hist_pos, self._hist_own_max, *self._events,
            )
            status, steps, pop, neuron, rows = run_parallel(lambda tid: run_steps(tid, *args), self.threads)[0]
            k = int(n_spk[0])
            self._keep_spikes(self._spk_step[:k].copy(), self._spk_id[:k].copy())
            row_done += int(rows)
            self.step_count += int(steps)
            done += int(steps)
            if status == NON_FINITE:
                self._store_counts(pop_counts[:done], self.step_count - done)
                name = lay.pop_names[pop] if pop >= 0 else f"plastic synapses onto {self.spec.plastic_projection.target}"
                bad_step = self.step_count  # the step that produced it, ending at (step + 1) dt
                raise SpikingInstabilityError(name, int(neuron), bad_step, (bad_step + 1) * self.spec.dt_ms)
            if status == SPIKE_BUFFER_FULL:  # or the spike history: the step loop stopped to let them grow
                if k + 2 * max_rec > self._spk_step.size:
                    size = 2 * self._spk_step.size
                    self._spk_step = np.empty(size, dtype=np.int64)
                    self._spk_id = np.empty(size, dtype=np.int32)
                self._grow_history()
        self._keep_probes(plan, probe_out[:row_done])
        self._store_counts(pop_counts, self.step_count - n)

    def _history_span(self) -> tuple[np.ndarray, np.ndarray]:
        """Per thread, the first position of the spike history the next step may read and the
        next free one (see :meth:`_grow_history`)."""
        n_hist = self._hist_pos.shape[0]
        pr, step = self.procedural, self.step_count
        zero = np.zeros(self.threads, dtype=np.int64)
        head = self._hist_pos[(step - 1) % n_hist, :, -1] if step > 0 else zero
        oldest = step - (pr.n_windows - 1) * pr.window_steps
        first = self._hist_pos[oldest % n_hist, :, 0] if oldest >= 0 else zero
        return first, head

    def _grow_history(self) -> None:
        """Make room in the spike history for two more steps of every thread's spikes (the step
        loop stops when the next ones might not fit); positions are absolute, so a spike at
        position ``p`` moves from ``p % old`` to ``p % new``."""
        if self._hist_pos.shape[0] == 0:
            return
        first, head = self._history_span()
        cap = self._hist_ids.shape[1]
        need = int((head - first + 4 * self._hist_own_max).max())
        if need <= cap:
            return
        new_cap = max(2 * cap, need)
        ids = np.zeros((self.threads, new_cap), dtype=np.int32)
        mult = np.zeros_like(ids)
        for u in range(self.threads):
            pos = np.arange(max(int(head[u]) - cap, 0), int(head[u]))
            ids[u, pos % new_cap] = self._hist_ids[u, pos % cap]
            mult[u, pos % new_cap] = self._hist_mult[u, pos % cap]
        self._hist_ids, self._hist_mult = ids, mult

    def _history_spikes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The spikes the delay windows will still deliver, in canonical order (step,
        population or source group, neuron), whatever the number of threads: ``(step, id,
        multiplicity)``."""
        n_hist = self._hist_pos.shape[0]
        if n_hist == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32)
        pr, cap = self.procedural, self._hist_ids.shape[1]
        steps, ids, mults = [], [], []
        for old in range(max(self.step_count - (pr.n_windows - 1) * pr.window_steps, 0), self.step_count):
            pos = self._hist_pos[old % n_hist]
            for g in range(pos.shape[1] - 1):
                for u in range(self.threads):
                    at = np.arange(pos[u, g], pos[u, g + 1]) % cap
                    ids.append(self._hist_ids[u, at])
                    mults.append(self._hist_mult[u, at] if g >= self.layout.pop_n.size else np.ones(at.size, np.int32))
                    steps.append(np.full(at.size, old, np.int64))
        return np.concatenate(steps), np.concatenate(ids), np.concatenate(mults)

    def _set_history(self, steps: np.ndarray, ids: np.ndarray, mults: np.ndarray) -> None:
        """Refill the spike history from :meth:`_history_spikes` (of any number of threads)."""
        n_hist = self._hist_pos.shape[0]
        if n_hist == 0:
            return
        lay = self.layout
        group_of = np.searchsorted(np.append(np.cumsum(np.append(lay.pop_n, lay.src_n)), np.inf), ids, side="right")
        thread = np.zeros(ids.size, dtype=np.int64)
        for g in range(lay.pop_n.size + lay.src_n.size):
            sel = group_of == g
            name = (list(lay.pop_names) + list(lay.src_names))[g]
            first, _ = lay.source_offset(name)
            if g < lay.pop_n.size:
                thread[sel] = lay.thread_of(g, ids[sel] - first)
            else:
                q = g - lay.pop_n.size
                lo = lay.src_lo[q * self.threads:(q + 1) * self.threads]
                thread[sel] = np.searchsorted(lo, ids[sel] - first, side="right") - 1
        self._hist_pos[:] = 0
        cap = max(self._hist_ids.shape[1], 4 * int(self._hist_own_max.max()) + ids.size + 65536)
        self._hist_ids = np.zeros((self.threads, cap), dtype=np.int32)
        self._hist_mult = np.zeros_like(self._hist_ids)
        head = np.zeros(self.threads, dtype=np.int64)
        n_groups = self._hist_pos.shape[2] - 1
        for old in range(max(self.step_count - n_hist + 1, 0), self.step_count):
            at_step = steps == old
            for u in range(self.threads):
                mine = at_step & (thread == u)
                counts = np.bincount(group_of[mine], minlength=n_groups)
                self._hist_pos[old % n_hist, u] = head[u] + np.concatenate([[0], np.cumsum(counts)])
                k = int(mine.sum())
                self._hist_ids[u, head[u]:head[u] + k] = ids[mine]
                self._hist_mult[u, head[u]:head[u] + k] = mults[mine]
                head[u] += k

    def _store_counts(self, counts: np.ndarray, step0: int) -> None:
        if self._bin_steps is None or counts.shape[0] == 0:
            return
        bins = (step0 + np.arange(counts.shape[0])) // self._bin_steps
        need = int(bins[-1]) + 1
        if need > self._bin_counts.shape[0]:
            grown = np.zeros((max(need, 2 * self._bin_counts.shape[0]), counts.shape[1]), dtype=np.int64)
            grown[: self._bin_counts.shape[0]] = self._bin_counts
            self._bin_counts = grown
        first = int(bins[0])  # only the bins this chunk touches: the cost stays per chunk on long runs
        for p in range(counts.shape[1]):
            self._bin_counts[first:need, p] += np.bincount(bins - first, weights=counts[:, p],
                                                           minlength=need - first).astype(np.int64)

    # ------------------------------------------------------------------ results
    def recording(self) -> SpikingRecording:
        """What was recorded since the network was built, as a :class:`SpikingRecording`."""
        spec, lay = self.spec, self.layout
        dt = spec.dt_ms
        t_stop = self.t_ms
        steps = np.concatenate(self._spikes_steps) if self._spikes_steps else np.zeros(0, np.int64)
        ids = np.concatenate(self._spikes_ids) if self._spikes_ids else np.zeros(0, np.int32)
        order = np.argsort(steps, kind="stable")
        steps, ids = steps[order], ids[order]
        spikes = {}
        for name, recorded in self._recorded.items():
            first, n = lay.source_offset(name)
            sel = (ids >= first) & (ids < first + n)
            spikes[name] = SpikeTrains(name, n, (steps[sel] + 1) * dt, ids[sel] - first, 0.0, t_stop, recorded)
        state: dict[str, dict[str, xr.DataArray]] = {}
        if self._probe_rows:
            rows = np.concatenate(self._probe_rows)
            t = np.concatenate(self._probe_steps) * dt
            col = 0
            for pop, var, neurons in self._probe_cols:
                k = lay.pop_names.index(pop)
                p = spec.populations[k]
                unit = p.neuron_model.state_units(p.receptor_list)[var]
                data = rows[:, col:col + neurons.size]
                col += neurons.size
                da = xr.DataArray(data, dims=("time_ms", "neuron"), coords={"time_ms": t, "neuron": neurons},
                                  name=var, attrs={"units": unit, "population": pop})
                state.setdefault(pop, {})[var] = da
            rule = self.plastic.rule
            for owner, var, first_ids, post_ids in self._pprobe_cols:
                data = rows[:, col:col + first_ids.size]
                col += first_ids.size
                if post_ids is None:  # a rule variable of the target population's neurons
                    da = xr.DataArray(data, dims=("time_ms", "neuron"), coords={"time_ms": t, "neuron": first_ids},
                                      name=var, attrs={"units": rule.neuron_vars[var], "population": owner})
                else:
                    labels = [f"{a}->{b}" for a, b in zip(first_ids, post_ids)]
                    da = xr.DataArray(data, dims=("time_ms", "synapse"),
                                      coords={"time_ms": t, "synapse": labels, "pre": ("synapse", first_ids),
                                              "post": ("synapse", post_ids)},
                                      name=var, attrs={"units": rule.synapse_vars[var], "projection": owner})
                state.setdefault(owner, {})[var] = da
        rates = {}
        if self._bin_steps is not None:
            n_bins = self.step_count // self._bin_steps
            rates = population_rate_traces(self._bin_counts[:n_bins], lay.pop_names, lay.pop_n, self._bin_steps * dt)
        inputs = input_rate_traces(spec, t_stop, self._bin_steps)
        attrs = {"config": json.dumps(spec.to_dict()), "netdyn_version": __version__, "seed": spec.seed,
                 "backend": self.backend,
                 "n_synapses": self.n_synapses, "bytes_per_synapse": self.bytes_per_synapse}
        return SpikingRecording(dt_ms=dt, t_start_ms=0.0, t_stop_ms=t_stop, spikes=spikes, state=state,
                                population_rates=rates, input_rates=inputs, attrs=attrs)


def checked_duration_ms(duration_ms: Any) -> float:
    """``duration_ms`` as a float; :class:`ConfigError` unless it is a finite number >= 0."""
    return nonnegative_float(duration_ms, "duration_ms")


def population_rate_traces(bin_counts: np.ndarray, names: list[str], sizes: Any, bin_ms: float) -> dict[str, xr.DataArray]:
    """Population rates (Hz) from spike counts per bin, ``bin_counts`` of shape (bins, populations)."""
    out = {}
    for k, name in enumerate(names):
        hz = bin_counts[:, k] / (sizes[k] * bin_ms * 1e-3)
        out[name] = xr.DataArray(hz, dims=("time_ms",), coords={"time_ms": np.arange(hz.size) * bin_ms},
                                 name="rate_hz", attrs={"units": "Hz", "bin_ms": bin_ms, "population": name})
    return out


def input_rate_traces(spec: NetworkSpec, t_stop_ms: float, bin_steps: int | None) -> dict[str, xr.DataArray]:
    """Rates (Hz) of every drive and Poisson source on the rate bins' grid (1 ms without bins):
    they are functions of time, evaluated, not stored per step."""
    dt = spec.dt_ms
    grid_ms = (bin_steps or int(round(1.0 / dt)) or 1) * dt
    t_grid = np.arange(0.0, t_stop_ms, grid_ms)
    inputs = {}
    if t_grid.size:
        for item in (*spec.drives, *spec.sources):
            inputs[item.name] = xr.DataArray(item.rate(t_grid), dims=("time_ms",), coords={"time_ms": t_grid},
                                             name="rate_hz", attrs={"units": "Hz"})
    return inputs


def _peek_all(rule, pl: PlasticSynapses, step: int, row: int) -> np.ndarray:
    """Synapse variable ``row`` of every plastic synapse at ``step`` (compiled loop)."""
    return _peek_loop((rule.peek,), pl.st, pl.nst, pl.c, pl.flag, pl.post, step, row)


@njit(cache=True, nogil=True)
def _peek_loop(peek_fn, st, nst, c, flag, post, step, row):  # pragma: no cover - compiled
    peek = peek_fn[0]
    out = np.empty(st.shape[0])
    for k in range(st.shape[0]):
        out[k] = peek(st, nst, c, flag, post, k, step, row)
    return out
