"""A :class:`~netdyn.models.spiking.spec.NetworkSpec` built and run by NEST.

>>> net = Network(spec, backend="nest", threads=4)   # or NestNetwork(spec, threads=4)
>>> net.run(1000.0)
>>> net.set_params("E", i_e_pA=50.0)
>>> net.run(1000.0)
>>> rec = net.recording()      # the same SpikingRecording as netdyn's engine returns

Under MPI (``mpiexec -n R python ...`` with a NEST built with MPI, see the scaling guide) every
rank builds the same network; NEST places each neuron on one rank, each rank records its own
neurons, and :meth:`NestNetwork.recording` gathers them, so every rank holds the whole
recording (write files on ``is_root`` only). NEST gives the same numbers for the same number of
virtual processes (ranks x threads).

NEST holds one network per process: building a second :class:`NestNetwork` resets NEST's
kernel, and the first one refuses further use.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import warnings
from typing import Any, Mapping

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from netdyn import __version__
from netdyn.connectivity.distributions import Constant, LogNormal, Normal, Uniform, sample
from netdyn.engines.nest.memory import check_nest_memory
from netdyn.engines.nest.translation import PARAM_NAMES, STATE_NAMES, NestPlan, translate
from netdyn.engines.spiking.build import available_memory_bytes, estimate_memory, initial_state, plan_layout
from netdyn.engines.spiking.network import checked_duration_ms, input_rate_traces, population_rate_traces
from netdyn.engines.spiking.procedural import CONNECTIVITY_MODES, PROJECTION_MODES
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec, spec_from_any
from netdyn.record.spiking import SpikeTrains, SpikingRecording
from netdyn.seeding import named_generator

_OWNER: list[int] = [0]  # id of the NestNetwork that owns NEST's kernel in this process


def import_nest() -> Any:
    """PyNEST, quiet; a :class:`ConfigError` naming the backend if it is not installed."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    try:
        import nest
    except ImportError as exc:
        raise ConfigError("backend", "nest", f"NEST is not installed ({exc}): pip install 'netdyn[nest]'; "
                                             "NEST with MPI: benchmarks/peers/build_nest_mpi.sh") from None
    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


def nest_seed(seed: int) -> int:
    """NEST's ``rng_seed`` (1 .. 2^31 - 1) of a netdyn seed."""
    return seed % (2**31 - 2) + 1


def nest_connectivity(connectivity: str | Mapping[str, str]) -> str:
    """``"stored"``: what NEST builds for ``connectivity`` (see
    :func:`netdyn.engines.spiking.procedural.procedural_projections`).

    Raises
    ------
    ConfigError
        Naming ``connectivity``: ``"procedural"``, a mapping that makes a projection
        procedural, or anything that is not a mode (NEST has no procedural synapses).
    """
    modes = list(CONNECTIVITY_MODES)
    if isinstance(connectivity, str):
        if connectivity not in CONNECTIVITY_MODES:
            raise ConfigError("connectivity", connectivity, f"one of {modes} or a mapping {{projection key: mode}}")
        procedural = connectivity == "procedural"
    elif isinstance(connectivity, Mapping):
        for key, mode in connectivity.items():
            if mode not in PROJECTION_MODES:
                raise ConfigError(f"connectivity.{key}", mode, f"one of {list(PROJECTION_MODES)}")
        procedural = "procedural" in connectivity.values()
    else:
        raise ConfigError("connectivity", connectivity, f"one of {modes} or a mapping {{projection key: mode}}")
    if procedural:
        raise ConfigError("connectivity", connectivity if isinstance(connectivity, str) else dict(connectivity),
                          "NEST stores every synapse (it has no procedural synapses): use 'stored' or 'auto' with "
                          "backend 'nest'")
    return "stored"


class NestNetwork:
    """A network built by NEST, with the interface of :class:`netdyn.engines.spiking.Network`.

    Parameters
    ----------
    spec
        The network (a :class:`NetworkSpec` or a mapping validated into one).
    threads
        NEST threads in this process (``local_num_threads``); with MPI, per rank.
    check_memory
        Estimate NEST's memory on this machine's ranks before building
        (:mod:`netdyn.engines.nest.memory`) and raise
        :class:`~netdyn.errors.MemoryEstimateError` if it will not fit.
    connectivity
        NEST stores every synapse: ``"stored"`` and ``"auto"`` build stored synapses;
        ``"procedural"`` or a mapping that makes a projection procedural is refused
        (:func:`nest_connectivity`).

    Attributes
    ----------
    plan
        The translation (:class:`~netdyn.engines.nest.translation.NestPlan`).
    rank, n_ranks, is_root
        MPI rank of this process, number of ranks, and ``rank == 0``.
    build_time_s, run_time_s
        Wall time of building (Create, Connect) and of all runs.
    """

    backend = "nest"

    def __init__(self, spec: NetworkSpec | dict[str, Any], *, threads: int = 1, check_memory: bool = True,
                 connectivity: str | Mapping[str, str] = "stored"):
        t0 = time.perf_counter()
        nest_connectivity(connectivity)  # before NEST is imported
        self.spec = spec_from_any(spec)
        if not (isinstance(threads, int) and threads >= 1):
            raise ConfigError("threads", threads, "must be an integer >= 1")
        self.plan: NestPlan = translate(self.spec)  # refuses what NEST cannot express, before building
        if check_memory:
            n_synapses = estimate_memory(self.spec, plan_layout(self.spec)).n_synapses
            check_nest_memory(sum(p.n_neurons for p in self.spec.populations), n_synapses, available_memory_bytes())
        self.threads = threads
        self.nest = nest = import_nest()
        nest.ResetKernel()
        _OWNER[0] = id(self)
        nest.set(resolution=self.spec.dt_ms, rng_seed=nest_seed(self.spec.seed), local_num_threads=threads,
                 print_time=False)
        self.rank, self.n_ranks = nest.Rank(), nest.NumProcesses()
        self.is_root = self.rank == 0
        self._params = [p.neuron_model.parse_params(p.params, f"populations.{k}.params")
                        for k, p in enumerate(self.spec.populations)]
        self._build()
        self.t_ms = 0.0
        self.build_time_s = time.perf_counter() - t0
        self.run_time_s = 0.0

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        nest, spec = self.nest, self.spec
        dt = spec.dt_ms
        self.nodes: dict[str, Any] = {}
        for k, pp in enumerate(self.plan.populations):
            nodes = nest.Create(pp.model, pp.n_neurons, params=pp.params)
            pop = spec.populations[k]
            for var, values in initial_state(spec, k, self._params[k]).items():
                if var in STATE_NAMES or var in pop.initial:  # synaptic states start at 0 in both
                    self._set_each(nodes, self._nest_state(pp.name, var), values)
            self.nodes[pp.name] = nodes
        self._timed: list[tuple[Any, Any, float]] = []  # (generator, waveform, factor) to refresh
        for src in spec.sources:
            parrots = nest.Create("parrot_neuron", src.n_neurons)
            gen = self._generator(src.rate, 1.0)
            nest.Connect(gen, parrots, "all_to_all", {"delay": dt})
            self.nodes[src.name] = parrots
        for drive in spec.drives:
            port, sign = self.plan.population(drive.target).route[drive.receptor]
            gen = self._generator(drive.rate, float(drive.n_inputs))
            syn = {"weight": sign * drive.weight, "delay": dt}
            if port:
                syn["receptor_type"] = port
            nest.Connect(gen, self.nodes[drive.target], "all_to_all", syn)
        # Currents: a dc_generator active in (start, stop] reaches the neuron one step (its
        # delay) later, so netdyn's steps start <= step < stop get a generator over
        # (start - dt, stop - dt]. Nothing reaches step 0 that way: a current from t = 0 is
        # added to the neurons' I_e, and a generator of the opposite sign ends it at stop.
        self._i_e_extra = {p.name: np.zeros(p.n_neurons) for p in spec.populations}
        for cur in spec.currents:
            targets = self._subset(cur.target, cur.neurons)
            if cur.start_ms == 0.0:
                extra = self._i_e_extra[cur.target]
                extra[sorted(set(cur.neurons)) if cur.neurons is not None else slice(None)] += cur.amplitude_pA
                if cur.stop_ms is None:
                    continue
                params = {"amplitude": -cur.amplitude_pA, "start": cur.stop_ms - dt}
            else:
                params = {"amplitude": cur.amplitude_pA, "start": cur.start_ms - dt}
                if cur.stop_ms is not None:
                    params["stop"] = cur.stop_ms - dt
            gen = nest.Create("dc_generator", params=params)
            nest.Connect(gen, targets, "all_to_all", {"delay": dt})
        for k, p in enumerate(spec.populations):
            if self._i_e_extra[p.name].any():
                self._set_i_e(k)
        before = nest.num_connections
        for pj in self.plan.projections:
            self._connect(pj)
        self._n_synapses = self._sum(int(nest.num_connections) - int(before))
        self._init_recorders()

    def _nest_state(self, pop: str, var: str) -> str | None:
        """NEST state of a netdyn state variable, or None where NEST holds no such value alone."""
        if var in STATE_NAMES:
            return STATE_NAMES[var]
        pp = self.plan.population(pop)
        p = self.spec.population(pop)
        for r in p.receptor_list:
            if p.neuron_model.synaptic_state_name(r) == var:
                return pp.channels.get(r.name)
        return None

    def _subset(self, pop: str, neurons: tuple[int, ...] | None) -> Any:
        nodes = self.nodes[pop]
        if neurons is None:
            return nodes
        return nodes[sorted(set(int(i) for i in neurons))]

    def _generator(self, rate: Any, factor: float) -> Any:
        nest = self.nest
        if getattr(rate, "kind", None) == "constant":
            return nest.Create("poisson_generator", params={"rate": factor * rate.rate_hz})
        gen = nest.Create("inhomogeneous_poisson_generator")
        self._timed.append((gen, rate, factor))
        return gen

    def _parameter(self, dist: Any, sign: float = 1.0, floor: float | None = None) -> Any:
        """A netdyn distribution as a NEST parameter (a float where it is constant)."""
        nest = self.nest
        if isinstance(dist, Constant) or (isinstance(dist, Normal) and dist.std == 0.0):
            value = dist.value if isinstance(dist, Constant) else dist.expected_value
            value = sign * value
            return max(value, floor) if floor is not None else value
        if isinstance(dist, Normal):
            base = nest.random.normal(mean=dist.mean, std=dist.std)
            lo = -math.inf if dist.min is None else dist.min
            hi = math.inf if dist.max is None else dist.max
            if dist.bound == "redraw" and (dist.min is not None or dist.max is not None):
                base = nest.math.redraw(base, min=lo, max=hi)
            elif dist.bound == "clip":
                if dist.max is not None:
                    base = nest.math.min(base, hi)
                if dist.min is not None:
                    base = nest.math.max(base, lo)
        elif isinstance(dist, LogNormal):
            mu, s = dist.log_params
            base = nest.random.lognormal(mean=mu, std=s) * math.copysign(1.0, dist.mean)
        elif isinstance(dist, Uniform):
            base = nest.random.uniform(min=dist.low, max=dist.high)
        else:  # pragma: no cover - the spec admits no other distribution
            raise ConfigError("distribution", dist, "no NEST parameter for it")
        if sign != 1.0:
            base = base * sign
        if floor is not None:
            base = nest.math.max(base, floor)
        return base

    def _connect(self, pj: Any) -> None:
        nest, spec = self.nest, self.spec
        pre, post = self.nodes[pj.source], self.nodes[pj.target]
        syn: dict[str, Any] = {"synapse_model": "static_synapse"}
        if pj.receptor_type:
            syn["receptor_type"] = pj.receptor_type
        if pj.explicit is not None:  # netdyn's draws, in the order its engine makes them
            rng = named_generator(spec.seed, "projection", pj.key)
            n = len(pj.explicit[0])
            weight = pj.sign * sample(pj.weight, n, rng)
            delay = (np.maximum(sample(spec.projections[pj.index].delay_ms, n, rng), spec.dt_ms)
                     if spec.projections[pj.index].delay_ms is not None else np.full(n, spec.dt_ms))
            pre_ids = np.asarray(pre.tolist())[list(pj.explicit[0])]
            post_ids = np.asarray(post.tolist())[list(pj.explicit[1])]
            syn.update(weight=weight, delay=delay)
            nest.Connect(pre_ids, post_ids, pj.conn_spec, syn)
            return
        syn["weight"] = self._parameter(pj.weight, pj.sign)
        syn["delay"] = self._parameter(pj.delay, floor=spec.dt_ms)
        nest.Connect(pre, post, pj.conn_spec, syn)

    def _init_recorders(self) -> None:
        nest, spec = self.nest, self.spec
        rec = spec.record
        recorded = list(rec.spikes) if rec.spikes is not None else [p.name for p in spec.populations]
        counted = [p.name for p in spec.populations] if rec.rate_bin_ms is not None else []
        self._recorded = {name: rec.spike_neurons.get(name) for name in recorded}
        self._spike_recorders = {}
        for name in dict.fromkeys(recorded + counted):
            sr = nest.Create("spike_recorder")
            nest.Connect(self.nodes[name], sr)
            self._spike_recorders[name] = sr
        self._bin_steps = None if rec.rate_bin_ms is None else max(1, int(round(rec.rate_bin_ms / spec.dt_ms)))
        every = rec.state_every_ms or spec.dt_ms
        self._multimeters = []
        for probe in rec.state:
            mm = nest.Create("multimeter", params={"record_from": [self._nest_state(probe.population, probe.variable)],
                                                   "interval": every})
            nest.Connect(mm, self._subset(probe.population, probe.neurons))
            self._multimeters.append((probe, mm))

    # ------------------------------------------------------------------ checks
    def _check_owner(self) -> None:
        if _OWNER[0] != id(self):
            raise RuntimeError("this NEST network was replaced by a later one: NEST holds one network per "
                               "process (build the network again)")

    def _pop_index(self, population: str) -> int:
        names = [p.name for p in self.spec.populations]
        if population not in names:
            raise ConfigError("population", population, f"no such population; known: {names}")
        return names.index(population)

    # ------------------------------------------------------------------ interface of Network
    @property
    def dt_ms(self) -> float:
        return self.spec.dt_ms

    @property
    def procedural_keys(self) -> list[str]:
        """Keys of procedural projections: none (NEST stores every synapse)."""
        return []

    @property
    def n_synapses(self) -> int:
        """Synapses of the network in NEST (all ranks), generators' connections excluded."""
        return self._n_synapses

    def _sum(self, local: int) -> int:
        if self.n_ranks == 1:
            return local
        from mpi4py import MPI

        return int(MPI.COMM_WORLD.allreduce(local))

    def set_params(self, population: str, **params: Any) -> None:
        """Change model parameters of ``population`` between runs (validated by netdyn; e.g.
        ``i_e_pA``)."""
        self._check_owner()
        k = self._pop_index(population)
        p = self.spec.populations[k]
        new = p.neuron_model.parse_params({**self._params[k].to_dict(), **params}, f"populations.{population}.params")
        names = PARAM_NAMES[p.model]
        values = {}
        for key in params:
            if key not in names:
                raise ConfigError(f"populations.{population}.params.{key}", params[key], "not a parameter NEST holds")
            value = getattr(new, key)
            if key == "v_peak_mV" and value is None:
                value = new.v_thre_mV + 5.0 * new.delta_t_mV
            values[names[key]] = float(value)
        self.nodes[population].set(values)
        self._params[k] = new
        if "i_e_pA" in params and self._i_e_extra[population].any():
            self._set_i_e(k)

    def _set_i_e(self, k: int) -> None:
        """I_e of each neuron: the model's i_e_pA plus the currents that run from t = 0."""
        p = self.spec.populations[k]
        self._set_each(self.nodes[p.name], "I_e", self._params[k].i_e_pA + self._i_e_extra[p.name])

    def _local(self, nodes: Any) -> Any:
        """The neurons of ``nodes`` that live on this rank."""
        if self.n_ranks == 1:
            return nodes
        with warnings.catch_warnings():  # NEST warns that other ranks' neurons are not in it: known
            warnings.simplefilter("ignore")
            return self.nest.GetLocalNodeCollection(nodes)

    def _set_each(self, nodes: Any, name: str, values: np.ndarray) -> None:
        """Set ``name`` of every neuron of ``nodes`` to its value (under MPI: of this rank's)."""
        local = self._local(nodes)
        if len(local):
            idx = np.asarray(local.tolist()) - nodes[0].global_id
            local.set({name: values[idx].tolist()})

    def params(self, population: str) -> dict[str, Any]:
        """Current model parameters of ``population`` (netdyn names)."""
        return self._params[self._pop_index(population)].to_dict()

    def get_state(self, population: str) -> dict[str, np.ndarray]:
        """The state variables NEST holds for ``population`` (netdyn names; this rank's neurons
        as NaN-filled arrays under MPI where a neuron lives elsewhere)."""
        self._check_owner()
        k = self._pop_index(population)
        p = self.spec.populations[k]
        nodes = self.nodes[population]
        out = {}
        for var in p.neuron_model.state_names(p.receptor_list):
            name = self._nest_state(population, var)
            if name is None:
                continue
            values = np.full(p.n_neurons, np.nan)
            local = self._local(nodes)
            if len(local):
                got = np.atleast_1d(np.asarray(local.get(name), dtype=np.float64))
                values[np.asarray(local.tolist()) - nodes[0].global_id] = got
            out[var] = values
        return out

    def run(self, duration_ms: float, *, progress: bool | None = None) -> "NestNetwork":
        """Advance the network by ``duration_ms`` (NEST rounds to whole steps).

        Parameters
        ----------
        duration_ms
            Biological time to simulate, ms.
        progress
            Show a progress bar (default: on a terminal, on rank 0).
        """
        self._check_owner()
        duration = checked_duration_ms(duration_ms)
        n_steps = int(round(duration / self.spec.dt_ms))
        if n_steps == 0:
            return self
        if progress is None:
            progress = sys.stderr.isatty() and self.is_root and n_steps >= 10_000
        self._refresh_rates(n_steps)
        chunks = min(100, n_steps) if progress else 1
        edges = np.linspace(0, n_steps, chunks + 1).round().astype(np.int64)
        t0 = time.perf_counter()
        nest = self.nest
        nest.Prepare()
        try:
            with tqdm(total=n_steps, unit="step", desc="simulate (NEST)", disable=not progress, leave=False) as bar:
                for a, b in zip(edges[:-1], edges[1:]):
                    if b > a:
                        nest.Run((b - a) * self.spec.dt_ms)
                        bar.update(int(b - a))
        finally:
            nest.Cleanup()
        self.run_time_s += time.perf_counter() - t0
        self.t_ms = round((self.t_ms / self.spec.dt_ms) + n_steps) * self.spec.dt_ms
        return self

    def _refresh_rates(self, n_steps: int) -> None:
        """Time-varying rates of the coming run: the waveform on the step grid, change points only."""
        if not self._timed:
            return
        dt = self.spec.dt_ms
        step0 = int(round(self.t_ms / dt))
        steps = step0 + np.arange(n_steps)
        for gen, waveform, factor in self._timed:
            rates = factor * np.asarray(waveform(steps * dt), dtype=np.float64)
            keep = np.ones(rates.size, dtype=bool)
            keep[1:] = rates[1:] != rates[:-1]
            # a rate set at time t applies from t on; NEST takes future times only
            times = np.maximum(steps[keep], step0 + 1) * dt
            times, idx = np.unique(np.round(times / dt), return_index=True)
            gen.set(rate_times=(times * dt).tolist(), rate_values=rates[keep][idx].tolist())

    # ------------------------------------------------------------------ results
    def _gather(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Concatenate each rank's arrays (every rank gets the whole)."""
        if self.n_ranks == 1:
            return arrays
        from mpi4py import MPI

        parts = MPI.COMM_WORLD.allgather(arrays)
        return {key: np.concatenate([p[key] for p in parts]) for key in arrays}

    def recording(self) -> SpikingRecording:
        """What was recorded since the network was built, as a :class:`SpikingRecording`
        (the same layout as netdyn's engine; under MPI gathered from every rank)."""
        self._check_owner()
        spec = self.spec
        dt = spec.dt_ms
        t_stop = self.t_ms
        events = {}
        for name, sr in self._spike_recorders.items():
            ev = sr.get("events")
            events[name] = self._gather({"t": np.asarray(ev["times"], dtype=np.float64),
                                         "id": np.asarray(ev["senders"], dtype=np.int64)})
        steps_of = {}
        spikes = {}
        for name, ev in events.items():
            first = self.nodes[name][0].global_id
            step = np.rint(ev["t"] / dt).astype(np.int64) - 1  # NEST stamps a spike at its step's end
            ids = (ev["id"] - first).astype(np.int32)
            order = np.lexsort((ids, step))
            step, ids = step[order], ids[order]
            steps_of[name] = step
            if name in self._recorded:
                idx = self._recorded[name]
                recorded = None if idx is None else np.asarray(idx, dtype=np.int64)
                if recorded is not None:
                    sel = np.isin(ids, recorded)
                    s, i = step[sel], ids[sel]
                else:
                    s, i = step, ids
                n = len(self.nodes[name])
                spikes[name] = SpikeTrains(name, n, (s + 1) * dt, i, 0.0, t_stop, recorded)
        rates = {}
        if self._bin_steps is not None:
            n_bins = int(round(t_stop / dt)) // self._bin_steps
            names = [p.name for p in spec.populations]
            counts = np.zeros((n_bins, len(names)))
            for k, name in enumerate(names):
                b = steps_of[name] // self._bin_steps
                counts[:, k] = np.bincount(b[b < n_bins], minlength=n_bins)[:n_bins]
            rates = population_rate_traces(counts, names, [p.n_neurons for p in spec.populations],
                                           self._bin_steps * dt)
        state: dict[str, dict[str, xr.DataArray]] = {}
        for probe, mm in self._multimeters:
            ev = mm.get("events")
            var = self._nest_state(probe.population, probe.variable)
            got = self._gather({"t": np.asarray(ev["times"], dtype=np.float64),
                                "id": np.asarray(ev["senders"], dtype=np.int64),
                                "x": np.asarray(ev[var], dtype=np.float64)})
            neurons = np.asarray(sorted(set(probe.neurons)), dtype=np.int64)
            first = self.nodes[probe.population][0].global_id
            times = np.unique(got["t"])
            data = np.full((times.size, neurons.size), np.nan)
            data[np.searchsorted(times, got["t"]), np.searchsorted(neurons, got["id"] - first)] = got["x"]
            p = spec.population(probe.population)
            unit = p.neuron_model.state_units(p.receptor_list)[probe.variable]
            state.setdefault(probe.population, {})[probe.variable] = xr.DataArray(
                data, dims=("time_ms", "neuron"), coords={"time_ms": times, "neuron": neurons},
                name=probe.variable, attrs={"units": unit, "population": probe.population})
        inputs = input_rate_traces(spec, t_stop, self._bin_steps)
        attrs = {"config": json.dumps(spec.to_dict()), "netdyn_version": __version__, "seed": spec.seed,
                 "backend": "nest", "nest_version": self.nest.__version__, "threads": self.threads,
                 "mpi_ranks": self.n_ranks, "nest_models": json.dumps({p.name: p.model for p in self.plan.populations}),
                 "nest_notes": json.dumps(list(self.plan.notes))}
        return SpikingRecording(dt_ms=dt, t_start_ms=0.0, t_stop_ms=t_stop, spikes=spikes, state=state,
                                population_rates=rates, input_rates=inputs, attrs=attrs)
