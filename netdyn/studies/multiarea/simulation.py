"""Study ``multiarea``: one recorded simulation of the multi-area model, analysed beside its mean field.

:data:`MULTIAREA` (:func:`run_multiarea`) writes into its output directory::

    spikes.h5      every spike of every population (layout: netdyn.io.hdf5; populations
                   named AREA.POP, e.g. V1.23E); while the simulation runs, the spikes so
                   far are in spikes.partial.h5 (the same layout, spike trains only)
    results.zarr   the analysis (netdyn.studies.multiarea.analysis): dimensions area,
                   population, time_ms, source, area_b
    summary.json   rates, LvR and correlation coefficients per area and population, the
                   mean-field rates, the notebook's mean rate, the network rate, the
                   correlation of simulated and fMRI functional connectivity, sizes and timings
    figure_*.png/pdf  the six figures of netdyn.plots.multiarea

Before anything is written the configuration is checked: unknown areas, and a network that
would not fit in memory (estimated from the wiring, before any synapse is drawn), are refused
naming their field.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.config.multiarea import MultiAreaConfig
from netdyn.errors import ConfigError, MemoryEstimateError
from netdyn.models.multiarea import CITATIONS, POPULATIONS
from netdyn.studies.multiarea.analysis import activity_dataset
from netdyn.studies.multiarea.network import model_network, population_label
from netdyn.studies.multiarea.tables import per_population
from netdyn.studies.multiarea.theory import mean_field_rates
from netdyn.sweep import SingleRunStudy, run_study
from netdyn.sweep.store import open_results, write_results
from netdyn.sweep.study import STUDY_ATTR, nan_to_none

__all__ = ["MULTIAREA", "MultiAreaOutputs", "check_multiarea", "run_multiarea",
           "simulate"]

SPIKES_NAME = "spikes.h5"
PARTIAL_SPIKES_NAME = "spikes.partial.h5"
"""The spikes written while the simulation runs (readable by netdyn.io.hdf5.read_recording up to
the time reached); replaced by spikes.h5 when the run ends."""
FIGURE_STEM = "figure"


def check_multiarea(config: MultiAreaConfig, available: int | None = None) -> None:
    """Refuse, before anything is built or written, unknown areas and a network too large for
    this machine's memory (:class:`~netdyn.errors.ConfigError` naming ``areas`` or ``scale``).

    Parameters
    ----------
    config
        The simulation; its ``connectivity`` (stored, procedural, auto) is what is estimated.
    available
        Bytes of memory available (default: this machine's).
    """
    from netdyn.engines.spiking.build import available_memory_bytes, check_memory, estimate_memory, plan_layout
    from netdyn.engines.spiking.procedural import procedural_projections

    _, spec, _ = model_network(config)
    available = available_memory_bytes() if available is None else available
    layout = plan_layout(spec, config.threads if config.backend == "netdyn" else 1)
    if config.backend == "nest":
        estimate = estimate_memory(spec, layout)
        check_nest_memory(config, sum(p.n_neurons for p in spec.populations), estimate.n_synapses, available)
        return
    which = procedural_projections(spec, config.connectivity, layout, available)
    try:
        check_memory(estimate_memory(spec, layout, which), available)
    except MemoryEstimateError as exc:
        raise ConfigError("scale", config.resolved("scale"), f"{exc}{_procedural_hint(spec, layout, which, available)}") from None


def _procedural_hint(spec: Any, layout: Any, which: list[int], available: int) -> str:
    """What ``--connectivity procedural`` would need, when some projections are stored."""
    from netdyn.engines.spiking.build import estimate_memory, fits_in_memory
    from netdyn.engines.spiking.procedural import regenerable_projections

    every = regenerable_projections(spec)
    if not set(every) - set(which):
        return ""
    estimate = estimate_memory(spec, layout, every)
    verdict = "which fits: use --connectivity procedural (or auto)" if fits_in_memory(estimate, available) else \
        "which does not fit either"
    return (f"; with its synapses regenerated per spike (--connectivity procedural) it needs about "
            f"{estimate.total_bytes / 2**30:.2f} GiB, {verdict}")


NODE_BYTES = 256e9
"""Memory of the cluster node that a refusal counts nodes for (a common HPC node)."""


def check_nest_memory(config: MultiAreaConfig, n_neurons: int, n_synapses: int, available_bytes: int) -> None:
    """Refuse (ConfigError naming ``scale``) a NEST run whose ranks on this machine would need
    more than 90 % of its available memory; the message says what each rank needs and how many
    256-GB nodes the network needs."""
    from netdyn.engines.nest import memory
    from netdyn.mpi_launch import launched_ranks

    ranks = launched_ranks()
    try:
        memory.check_nest_memory(n_neurons, n_synapses, available_bytes, ranks=ranks)
    except MemoryEstimateError:
        per_rank = memory.nest_memory_bytes(n_neurons, n_synapses, ranks=ranks)
        nodes = memory.nodes_needed(n_neurons, n_synapses, NODE_BYTES)
        raise ConfigError("scale", config.resolved("scale"),
                          f"NEST needs ~{per_rank / 1e9:.1f} GB on each of {ranks} rank(s) for {n_neurons:,} neurons and "
                          f"{n_synapses:,} synapses; this machine has {available_bytes / 1e9:.1f} GB available. On "
                          f"{NODE_BYTES / 1e9:.0f}-GB nodes it needs at least {nodes} node(s) (mpiexec across them; "
                          f"see the cluster guide)") from None


def summarise(ds: xr.Dataset) -> dict[str, Any]:
    """The content of ``summary.json`` from the results."""
    summary: dict[str, Any] = {
        "mean_rate_hz": nan_to_none(ds.attrs["mean_rate_hz"]),
        "network_rate_hz": nan_to_none(ds.attrs["network_rate_hz"]),
        "rates_hz": per_population(ds["rate_hz"]),
        "lvr": per_population(ds["lvr"]),
        "corrcoef": per_population(ds["corrcoef"]),
        "synchrony": per_population(ds["synchrony"]),
        "mean_field_rates_hz": per_population(ds["mean_field_rate_hz"]) if "mean_field_rate_hz" in ds else None,
        "area_rates_hz": {str(a): float(v) for a, v in zip(ds["area"].values, ds["area_rate_hz"].values)
                          if np.isfinite(v)},
        "fc_vs_fmri_r": nan_to_none(ds.attrs["fc_vs_fmri_r"]),
    }
    for key in ("n_neurons", "n_synapses", "bytes_per_synapse", "backend", "threads", "connectivity",
                "procedural_projections", "mpi_ranks", "timing_s", "peak_rss_mb", "config", "netdyn_version"):
        if key in ds.attrs:
            value = ds.attrs[key]
            summary[key] = _json_attr(value)
    summary["notes"] = {
        "mean_rate_hz": "the notebook's figure: sum of the 254 population rates / 256 (silent ones at 1e-5)",
        "network_rate_hz": "all spikes after the transient / neurons simulated / time",
        "statistics": f"after the {ds.attrs['transient_ms']:g}-ms transient; rates over the model's population "
                      "sizes; LvR with R = 2 ms, zero-padded; correlation of 1-ms counts",
    }
    return summary


def _json_attr(value: Any) -> Any:
    import json

    if isinstance(value, str) and value[:1] in "{[":
        return json.loads(value)
    return value.item() if isinstance(value, np.generic) else value


def simulate(config: MultiAreaConfig, *, progress: bool | None = None, record_path: Path | None = None,
             mean_field: bool = True) -> tuple[xr.Dataset, Any]:
    """Build, simulate and analyse the network of ``config``.

    Parameters
    ----------
    config
        The model and the simulation.
    progress
        Progress bar of the simulation (default: on a terminal, for long runs).
    record_path
        Write every spike there (HDF5) before the analysis.
    mean_field
        Compute the mean-field rates of the same configuration (``mean_field_rate_hz``).

    Returns
    -------
    (xarray.Dataset, SpikingRecording)
        The analysis (:func:`~netdyn.studies.multiarea.analysis.activity_dataset`, attributes
        with sizes, timings and the configuration) and the recording.
    """
    from netdyn.engines.spiking import Network
    from netdyn.io.hdf5 import SpikeStream, write_recording
    from netdyn.studies.bench import peak_rss_mb

    timing: dict[str, float] = {}
    par, spec, timing["model"] = model_network(config)
    net = Network(spec, backend=config.backend, threads=config.threads, connectivity=config.connectivity)
    timing["build"] = net.build_time_s
    attrs = {"study": MULTIAREA.name, STUDY_ATTR: MULTIAREA.name, "study_config": config.model_dump_json(),
             "references": "\n".join(CITATIONS)}
    if record_path is not None and config.backend == "netdyn":  # spikes on disk as the run goes
        partial = record_path.with_name(PARTIAL_SPIKES_NAME)
        populations = {p.name: net.layout.source_offset(p.name) for p in spec.populations}
        with SpikeStream(partial, populations, spec.dt_ms, attrs) as stream:
            net.run(config.t_sim_ms, progress=progress, on_spikes=stream.append)
    else:
        net.run(config.t_sim_ms, progress=progress)
    timing["run"] = net.run_time_s
    recording = net.recording()
    recording.attrs.update(attrs)
    if record_path is not None and getattr(net, "is_root", True):  # under MPI rank 0 writes
        t1 = time.perf_counter()
        write_recording(recording, record_path)
        record_path.with_name(PARTIAL_SPIKES_NAME).unlink(missing_ok=True)
        timing["write_spikes"] = time.perf_counter() - t1
    theory = None
    if mean_field:
        t1 = time.perf_counter()
        theory = mean_field_rates(par)
        timing["mean_field"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    ds = activity_dataset(recording, par, transient_ms=config.transient_ms,
                          max_correlation_neurons=config.correlation_neurons, mean_field_rates_hz=theory)
    timing["analysis"] = time.perf_counter() - t1
    ds.attrs.update({
        "title": "netdyn multiarea study", STUDY_ATTR: MULTIAREA.name, "config": config.model_dump_json(),
        "preset": config.preset, "scale": config.resolved("scale"), "chi": config.resolved("chi"),
        "chi_i": config.resolved("chi_i"), "seed": config.seed,
        "n_neurons": int(sum(p.n_neurons for p in spec.populations)), "n_synapses": int(net.n_synapses),
        "backend": config.backend, "threads": config.threads, "mpi_ranks": int(getattr(net, "n_ranks", 1)),
        "connectivity": config.connectivity, "procedural_projections": json.dumps(list(net.procedural_keys)),
        "timing_s": _timing_json(timing), "peak_rss_mb": round(peak_rss_mb(), 1),
        "netdyn_version": __version__, "references": "\n".join(CITATIONS),
    })
    if hasattr(net, "bytes_per_synapse"):  # netdyn's engine: its synapse structure
        ds.attrs["bytes_per_synapse"] = round(float(net.bytes_per_synapse), 3)
    return ds, recording


def _timing_json(timing: dict[str, float]) -> str:
    import json

    return json.dumps({k: round(v, 3) for k, v in timing.items()})


def record_multiarea(config: MultiAreaConfig, path: Path, progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    """The single run of :data:`MULTIAREA`: spikes next to ``path``, the analysis at ``path``."""
    ds, _ = simulate(config, progress=progress, record_path=path.parent / SPIKES_NAME)
    write_results(ds, path)
    return ds, summarise(ds)


def raster_spikes(path: Path, areas: tuple[str, ...]) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray, int]]]:
    """Spikes of ``areas`` from ``spikes.h5`` for the rasters (area -> population -> (times in
    ms, senders within the population, neurons)); populations not stored are left out."""
    from netdyn.io.hdf5 import read_recording

    recording = read_recording(path)
    rasters: dict[str, dict[str, tuple[np.ndarray, np.ndarray, int]]] = {}
    for area in areas:
        pops = {}
        for pop in POPULATIONS:
            trains = recording.spikes.get(population_label(f"{area}/{pop}"))
            if trains is not None:
                pops[pop] = (trains.times_ms, trains.senders, trains.n_neurons)
        if pops:
            rasters[area] = pops
    return rasters


def draw_figures(ds: xr.Dataset, out: Path) -> list[Path]:
    """The six figures into ``out`` (rasters from ``out/spikes.h5`` when it is there)."""
    from netdyn.plots.multiarea import RASTER_AREAS, plot_multiarea_figures

    spikes = Path(out) / SPIKES_NAME
    rasters = raster_spikes(spikes, RASTER_AREAS) if spikes.exists() else None
    return plot_multiarea_figures(ds, out, rasters, stem=FIGURE_STEM)


MULTIAREA = SingleRunStudy(
    name="multiarea", config_class=MultiAreaConfig, run=record_multiarea,
    reader=functools.partial(open_results, load=True),
    figure=draw_figures, check=check_multiarea,
)
"""One recorded simulation of the multi-area model, for :func:`netdyn.sweep.run_study`."""


@dataclass(frozen=True)
class MultiAreaOutputs:
    """What :func:`run_multiarea` wrote and measured."""

    results: Path
    spikes: Path
    summary: Path
    figures: tuple[Path, ...]
    stats: dict[str, Any]


def run_multiarea(config: MultiAreaConfig, out: str | Path, *, figure: bool = True,
                  progress: bool | None = None) -> MultiAreaOutputs:
    """Build, simulate, analyse and draw the multi-area model into directory ``out``.

    Parameters
    ----------
    config
        The model (preset and overrides) and the simulation.
    out
        Output directory (created): ``spikes.h5``, ``results.zarr``, ``summary.json``,
        ``figure_*.png``/``.pdf``. A rerun replaces them.
    figure
        Draw the figures.
    progress
        Progress bar of the simulation.
    """
    outputs = run_study(MULTIAREA, config, out, figure=figure, progress=progress)
    return MultiAreaOutputs(outputs.results, Path(out) / SPIKES_NAME, outputs.summary, outputs.figures,
                            outputs.stats)

