"""``netdyn bench``: the benchmark models run by netdyn's engine, measured the way the peers'
scripts (``benchmarks/peers/``) measure Brian2 and NEST, one JSON line per run.

Fields: ``build_s`` (wall time from spec to a runnable network: wiring, state, compiled
kernels loaded), ``run_s`` / ``cpu_s`` (wall and process CPU time of the simulation loop),
``cpu_s_per_bio_s``, ``real_time_factor`` (run_s / biological time), ``peak_rss_mb`` (peak
resident memory of the process), ``n_synapses``, ``bytes_per_synapse`` (synapse structure
only), ``mean_rate_hz`` (all neurons) and the rate per population. :func:`measure` adds
``connectivity`` (stored, procedural or auto), ``procedural_projections`` (the keys of the projections regenerated per spike), ``synapse_bytes`` (the stored CSR),
``procedural_bytes`` (what regenerates the procedural projections), ``procedural_synapses``
(their expected number), ``ring_bytes`` (the delay ring) and ``synaptic_events``
(:func:`synaptic_events`).
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Any

import numpy as np

from netdyn.errors import ConfigError
from netdyn.studies.simulator import connectivity_record


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _warm_up(spec: Any, threads: int = 1, backend: str = "netdyn") -> None:
    """Load the compiled step loop for this combination of models (numba's disk cache; the GPU's
    kernels are compiled) on a tiny copy of the network, so that build_s and run_s measure the
    model, not the loader or the compiler."""
    from netdyn.engines.spiking import Network

    tiny = spec.model_copy(update={"populations": tuple(p.model_copy(update={"n_neurons": 2}) for p in spec.populations),
                                   "projections": (), "record": spec.record.model_copy(update={"state": ()})})
    Network(tiny, check_memory=False, threads=threads, backend=backend).run(1.0)


def synaptic_events(spec: Any, spikes: dict[str, float]) -> float:
    """Synaptic events of ``spikes`` (population name -> number of spikes): every spike of a
    projection's source delivers the projection's mean out-degree (its expected synapses
    over its sources), exact in expectation over the wiring for every rule. Sources missing
    from ``spikes`` (the Poisson sources, whose spikes the population rates leave out)
    count none."""
    from netdyn.connectivity.rules import expected_synapses

    sizes = {p.name: p.n_neurons for p in (*spec.populations, *spec.sources)}
    total = 0.0
    for proj in spec.projections:
        n_pre = sizes[proj.source]
        n_syn = expected_synapses(proj.rule, n_pre, sizes[proj.target], same_population=proj.source == proj.target)
        total += spikes.get(proj.source, 0.0) * n_syn / n_pre
    return total


def measure(spec: Any, duration_ms: float, *, model: str, threads: int = 1, connectivity: Any = "stored",
            backend: str = "netdyn", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build and run ``spec`` for ``duration_ms`` on ``threads`` threads (or on the GPU: ``backend
    = "gpu"``) with ``connectivity`` (:class:`~netdyn.engines.spiking.Network`'s: stored,
    procedural, auto or a mapping); the benchmark record (see module doc)."""
    from netdyn import __version__
    from netdyn.engines.spiking import Network

    if not (duration_ms > 0):
        raise ConfigError("duration_ms", duration_ms, "must be > 0")
    _warm_up(spec, threads, backend)
    t0 = time.perf_counter()
    net = Network(spec, threads=threads, connectivity=connectivity, backend=backend)
    build_s = time.perf_counter() - t0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    net.run(duration_ms, progress=False)
    run_s = time.perf_counter() - wall0
    cpu_s = time.process_time() - cpu0
    rec = net.recording()
    bio_s = duration_ms * 1e-3
    counts = {name: float(r.values.sum() * r.attrs["bin_ms"] * 1e-3 * net.spec.population(name).n_neurons)
              for name, r in rec.population_rates.items()}
    n = int(net.layout.n_neurons)
    out = {
        "simulator": "netdyn", "backend": backend, "model": model, "version": __version__,
        "n_neurons": n, "duration_ms": float(duration_ms), "dt_ms": net.spec.dt_ms, "seed": net.spec.seed, "threads": threads,
        "build_s": build_s, "run_s": run_s, "cpu_s": cpu_s, "cpu_s_per_bio_s": cpu_s / bio_s,
        "cpu_s_measured_as": "time.process_time() around Network.run(duration)",
        "real_time_factor": run_s / bio_s, "peak_rss_mb": peak_rss_mb(),
        "n_synapses": net.n_synapses, "bytes_per_synapse": net.bytes_per_synapse,
        **connectivity_record(net, connectivity),
        "mean_rate_hz": sum(counts.values()) / n / bio_s,
        "rates_hz": {name: c / net.spec.population(name).n_neurons / bio_s for name, c in counts.items()},
        "spike_digest": rec.spike_digest(),
        "connectivity": connectivity, "synapse_bytes": net.synapses.nbytes, "procedural_bytes": net.procedural.nbytes,
        "procedural_synapses": float(net.procedural.expected_synapses),
        "ring_bytes": net.ring_bytes,
        "synaptic_events": synaptic_events(net.spec, counts),
    }
    out.update(extra or {})
    return out


def bench_coba(n_neurons: int, duration_ms: float, *, seed: int = 1, wiring: str = "bernoulli",
               integrator: str = "exp_euler", threads: int = 1, connectivity: str = "stored",
               backend: str = "netdyn") -> dict[str, Any]:
    """The COBA benchmark (:mod:`netdyn.studies.coba`) at ``n_neurons``, wired by ``wiring``
    (bernoulli or fixed_indegree), its synapses ``connectivity`` (stored, procedural, auto)."""
    from netdyn.studies.coba import coba_spec

    if n_neurons < 10:
        raise ConfigError("n_neurons", n_neurons, "must be >= 10")
    return measure(coba_spec(n_neurons, seed=seed, wiring=wiring, integrator=integrator), duration_ms,
                   model="coba", threads=threads, connectivity=connectivity, backend=backend,
                   extra={"wiring": wiring, "integrator": integrator})


def bench_microcircuit(scale: float, duration_ms: float, *, threads: int = 1, seed: int = 1,
                       connectivity: str = "stored", backend: str = "netdyn") -> dict[str, Any]:
    """The Potjans-Diesmann microcircuit (:mod:`netdyn.studies.microcircuit`) at ``scale``, its
    synapses ``connectivity`` (stored, procedural, auto)."""
    from netdyn.studies.microcircuit import microcircuit_spec

    return measure(microcircuit_spec(scale, seed=seed), duration_ms, model="microcircuit", threads=threads,
                   connectivity=connectivity, backend=backend, extra={"scale": scale})


def bench_consolidation(config: Any) -> dict[str, Any]:
    """One trial of a consolidation protocol (:mod:`netdyn.studies.consolidation`): build, the
    schedule of detailed and consolidation phases, the readout.

    Extra fields: ``phases_s`` (wall time per phase), ``total_cpu_s`` (CPU of this process from
    its start: interpreter, imports, compiled-kernel loading, build, simulation and readout, the
    number to set beside a whole peer process), ``n_plastic_synapses`` and
    ``bytes_per_plastic_synapse`` (rule state and indices), ``n_spikes``, and for the 2,000-neuron
    protocols ``Q`` and ``MI_bits``.
    """
    from netdyn import __version__
    from netdyn.engines.spiking.build import PLASTIC_BYTES_PER_SYNAPSE
    from netdyn.studies.consolidation import readout, schedule, simulate

    trial_config = config.trial_config()
    trial = simulate(trial_config, progress=False)
    summary = readout(trial_config, trial)
    r = trial_config.resolved()
    t = trial.timing
    bio_s = sum(p.duration_ms for p in schedule(trial_config) if p.kind == "detailed") * 1e-3
    out = {
        "simulator": "netdyn", "model": "consolidation", "protocol": config.protocol, "version": __version__,
        "n_ca": r["n_ca"], "seed": config.seed, "n_neurons": r["n_exc"] + r["n_inh"], "dt_ms": trial_config.dt_ms,
        "threads": trial_config.threads, "build_s": t["build"], "run_s": t["simulate"], "cpu_s": t["build_cpu"] + t["simulate_cpu"],
        "detailed_bio_s": bio_s, "total_cpu_s": time.process_time(), "peak_rss_mb": peak_rss_mb(),
        "n_synapses": trial.n_synapses + trial.n_plastic, "n_plastic_synapses": trial.n_plastic,
        "bytes_per_plastic_synapse": PLASTIC_BYTES_PER_SYNAPSE, "n_spikes": int(trial.spike_ids.size),
        "connectivity": trial_config.connectivity, "procedural_projections": list(trial.procedural_projections),
        "phases_s": {k[6:]: v for k, v in t.items() if k.startswith("phase_")},
    }
    for key in ("Q", "MI_bits"):
        if key in summary:
            out[key] = summary[key]
    return out


def bench_multiarea(config: Any) -> dict[str, Any]:
    """The multi-area model (:mod:`netdyn.studies.multiarea`): its numbers and network built,
    simulated for ``t_sim_ms`` and analysed as the study does (rates, LvR, correlation
    coefficients, synchrony, rate time series, functional connectivity), each part timed.

    Extra fields: ``model_s`` (the model's numbers and the network spec), ``analysis_s`` /
    ``analysis_cpu_s``, ``mean_field_s`` (the mean-field rates of the same configuration),
    ``total_cpu_s`` (process CPU of model + build + simulation + analysis, the part NEST's
    build + simulation compares with; the warm-up that loads the compiled kernels and the mean
    field are left out), ``network_rate_hz`` (all spikes after the transient over all neurons;
    transient min(500 ms, t_sim / 2)) and the configuration.
    """
    from netdyn import __version__
    from netdyn.engines.spiking import Network
    from netdyn.studies.multiarea import activity_dataset, mean_field_rates, model_parameters, multiarea_spec

    cpu: dict[str, float] = {}
    wall: dict[str, float] = {}

    def timed(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        w0, c0 = time.perf_counter(), time.process_time()
        value = fn(*args, **kwargs)
        wall[name], cpu[name] = time.perf_counter() - w0, time.process_time() - c0
        return value

    par = timed("model", model_parameters, config)
    spec = timed("spec", multiarea_spec, par, seed=config.seed)
    _warm_up(spec, config.threads, config.backend)
    net = timed("build", Network, spec, threads=config.threads, connectivity=config.connectivity, backend=config.backend)
    timed("run", net.run, config.t_sim_ms, progress=False)
    transient = min(500.0, 0.5 * config.t_sim_ms)
    ds = timed("analysis", activity_dataset, net.recording(), par, transient_ms=transient)
    timed("mean_field", mean_field_rates, par)
    bio_s = config.t_sim_ms * 1e-3
    return {
        "simulator": "netdyn", "backend": config.backend, "model": "multiarea", "version": __version__, "preset": config.preset,
        "scale": config.resolved("scale"), "chi": config.resolved("chi"), "chi_i": config.resolved("chi_i"),
        "seed": config.seed, "t_sim_ms": config.t_sim_ms, "dt_ms": spec.dt_ms, "threads": config.threads,
        "n_neurons": int(net.layout.n_neurons), "n_synapses": net.n_synapses, "n_projections": len(spec.projections),
        "bytes_per_synapse": net.bytes_per_synapse, **connectivity_record(net, config.connectivity),
        "model_s": wall["model"] + wall["spec"], "build_s": wall["build"], "run_s": wall["run"], "cpu_s": cpu["run"],
        "cpu_s_per_bio_s": cpu["run"] / bio_s, "real_time_factor": wall["run"] / bio_s,
        "analysis_s": wall["analysis"], "analysis_cpu_s": cpu["analysis"], "mean_field_s": wall["mean_field"],
        "total_cpu_s": sum(cpu[k] for k in ("model", "spec", "build", "run", "analysis")),
        "cpu_s_measured_as": "time.process_time() around each part; total_cpu_s: model + build + simulation + "
                             "analysis",
        "peak_rss_mb": peak_rss_mb(), "network_rate_hz": ds.attrs["network_rate_hz"],
        "mean_rate_hz": ds.attrs["mean_rate_hz"], "analysis_transient_ms": transient,
    }


def print_record(record: dict[str, Any], as_json: bool) -> None:
    """One JSON line (``as_json``) or a short human-readable table."""
    import json

    if as_json:
        print(json.dumps({k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in record.items()}))
        return
    for key in ("model", "n_neurons", "n_synapses", "bytes_per_synapse", "build_s", "run_s", "cpu_s",
                "real_time_factor", "peak_rss_mb", "mean_rate_hz"):
        value = record.get(key)
        print(f"{key:>18}: {value:.4g}" if isinstance(value, float) else f"{key:>18}: {value}", file=sys.stdout)
