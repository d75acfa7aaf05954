"""Study ``rsfs``: the AdEx network of the seed's README, one recorded run or statistics over seeds.

4000 excitatory regular-spiking (RS, adapting) and 1000 inhibitory fast-spiking (FS) AdEx
neurons with conductance synapses, fixed-indegree recurrent wiring (K = 200 from Exc, 50 from
Inh, drawn with replacement), and an afferent drive of rate
``4 + 4 exp(-(t - 1000)^2 / (2 100^2))`` Hz through K_aff = 200 independent inputs per neuron.
The study builds it from the seed's own model dictionary (:data:`RSFS_MODEL`). Two studies
on the driver (:func:`netdyn.sweep.run_study`):

:data:`RSFS` (:func:`run_rsfs`), a single run, writes::

    recording.h5   spikes, Vm of 4 neurons per population, population rates, the afferent
                   rate (layout: netdyn.io.hdf5)
    summary.json   rates per window and population, CV of ISIs, active fraction, asynchrony,
                   build/run times and the network's size
    figure.png/pdf afferent rate, raster, Vm and population rates (netdyn.plots.activity)

:data:`RSFS_SEEDS` (:func:`run_rsfs_seeds`), a sweep whose units are seeds, writes::

    seeds.zarr           rates per (seed, population, window), CV of ISIs, active fraction,
                         asynchrony, written as each seed finishes (a rerun resumes)
    seeds_summary.json   their mean and SD over seeds
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.config.base import parse_config
from netdyn.config.rsfs import RsfsConfig, RsfsSeedsConfig
from netdyn.models.spiking.model_dict import spec_from_model_dict
from netdyn.models.spiking.spec import NetworkSpec
from netdyn.sweep import SingleRunStudy, SweepStudy, run_study
from netdyn.sweep.study import STUDY_ATTR, nan_to_none
from netdyn.studies.recorded import draw_activity, read_recording_file
from netdyn.studies.simulator import connectivity_record

RATE_WINDOWS_MS = ((350.0, 900.0), (950.0, 1050.0), (1000.0, 1500.0), (1300.0, 1500.0))
"""Windows of the summary's rates (before, at and after the afferent bump)."""

POPULATIONS = ("Exc", "Inh")


def rsfs_spec(config: RsfsConfig) -> NetworkSpec:
    """The network of the study as a :class:`NetworkSpec` (through the seed's dictionary)."""
    return spec_from_model_dict(config.model_dict(), list(POPULATIONS), ["AffExc"],
                                afferent_rates={"AffExc": config.afferent_rate()}, seed=config.seed,
                                statistics=config.afferent_statistics, record_vm=config.record_vm,
                                rate_bin_ms=1.0)


def summarise(recording: Any, tstop_ms: float) -> dict[str, Any]:
    """The summary's statistics of a recording: rates per window, CV of ISIs, active
    fraction and asynchrony per population."""
    from netdyn.analysis.spikes import active_fraction, mean_isi_cv, mean_rate, population_synchrony

    out: dict[str, Any] = {"rates_hz": {}, "cv_isi": {}, "active_fraction": {}, "asynchrony": {}}
    for pop in POPULATIONS:
        s = recording.spikes[pop]
        out["rates_hz"][pop] = {f"{a:g}-{b:g}": nan_to_none(mean_rate(s, t_start_ms=a, t_stop_ms=b))
                                for a, b in RATE_WINDOWS_MS if b <= tstop_ms}
        late = min(350.0, tstop_ms / 2)
        out["cv_isi"][pop] = nan_to_none(mean_isi_cv(s, t_start_ms=late, t_stop_ms=tstop_ms, min_isis=3))
        out["active_fraction"][pop] = nan_to_none(active_fraction(s, t_start_ms=late, t_stop_ms=tstop_ms))
        stop = min(900.0, tstop_ms)
        out["asynchrony"][pop] = nan_to_none(population_synchrony(s, t_start_ms=late, t_stop_ms=stop, bin_ms=5.0).count_cv) \
            if stop - late >= 50.0 else None
    out["windows_ms"] = [list(w) for w in RATE_WINDOWS_MS if w[1] <= tstop_ms]
    out["notes"] = {"cv_isi": "mean CV of ISIs over neurons with >= 3 ISIs in [350 ms, tstop)",
                    "asynchrony": "CV of the 5-ms-binned population spike count in [350, 900) ms"}
    return out


@dataclass(frozen=True)
class RsfsOutputs:
    """What :func:`run_rsfs` wrote and measured."""

    recording: Path
    summary: Path
    figures: tuple[Path, ...]
    stats: dict[str, Any]


def record_network(config: RsfsConfig, path: Path, progress: bool | None) -> tuple[Any, dict[str, Any]]:
    """Build and run the network, write its recording to ``path``; the recording and summary."""
    from netdyn.engines.spiking import Network
    from netdyn.io.hdf5 import write_recording

    t0 = time.perf_counter()
    net = Network(rsfs_spec(config), backend=config.backend, threads=config.threads, connectivity=config.connectivity)
    build_s = time.perf_counter() - t0
    net.run(config.tstop_ms, progress=progress)
    run_s = net.run_time_s
    recording = net.recording()
    if not getattr(net, "is_root", True):  # under mpiexec rank 0 writes
        return recording, {}
    recording.attrs["study"] = RSFS.name
    recording.attrs[STUDY_ATTR] = RSFS.name
    recording.attrs["study_config"] = config.model_dump_json()
    t1 = time.perf_counter()
    write_recording(recording, path)
    stats = summarise(recording, config.tstop_ms)
    stats.update({
        "config": config.to_dict(),
        "n_neurons": int(sum(p.n_neurons for p in net.spec.populations)),
        "n_synapses": net.n_synapses,
        "backend": config.backend, "threads": config.threads, **connectivity_record(net, config.connectivity),
        "timing_s": {"build": round(build_s, 3), "run": round(run_s, 3), "write": round(time.perf_counter() - t1, 3)},
        "netdyn_version": recording.attrs["netdyn_version"],
    })
    if hasattr(net, "bytes_per_synapse"):  # netdyn's engine: its synapse structure
        stats["bytes_per_synapse"] = round(net.bytes_per_synapse, 3)
    return recording, stats


RSFS = SingleRunStudy(
    name="rsfs", config_class=RsfsConfig, results_name="recording.h5", run=record_network,
    reader=read_recording_file, figure=draw_activity,
)
"""The rsfs single run, for :func:`netdyn.sweep.run_study` and :func:`netdyn.sweep.redraw`."""


def run_rsfs(config: RsfsConfig, out: str | Path, *, figure: bool = True, progress: bool | None = None) -> RsfsOutputs:
    """Build, run and write the rsfs study into directory ``out``; a rerun replaces it.

    Parameters
    ----------
    config
        The study's parameters.
    out
        Output directory (created): ``recording.h5``, ``summary.json``, ``figure.png``/``.pdf``.
    figure
        Write the activity figure.
    progress
        Progress bar of the simulation (default: on a terminal, for long runs).
    """
    outputs = run_study(RSFS, config, out, figure=figure, progress=progress)
    return RsfsOutputs(outputs.results, outputs.summary, outputs.figures, outputs.stats)


# ----------------------------------------------------------------------------- seeds sweep
WINDOW_LABELS = tuple(f"{a:g}-{b:g}" for a, b in RATE_WINDOWS_MS)
_PER_POPULATION = ("cv_isi", "active_fraction", "asynchrony")


def simulate_seed(config_json: str, seed: int) -> xr.Dataset:
    """One work unit of :func:`run_rsfs_seeds`: the statistics of the network of ``seed``."""
    from netdyn.engines.spiking import Network

    config = RsfsConfig.model_validate_json(config_json).replace(seed=int(seed), record_vm=0)
    net = Network(rsfs_spec(config), backend=config.backend, threads=config.threads, connectivity=config.connectivity)
    recording = net.run(config.tstop_ms, progress=False).recording()
    stats = summarise(recording, config.tstop_ms)

    def num(x: Any) -> float:
        return np.nan if x is None else float(x)

    rates = np.array([[num(stats["rates_hz"][p].get(w)) for w in WINDOW_LABELS] for p in POPULATIONS])
    per_pop = {k: np.array([num(stats[k][p]) for p in POPULATIONS]) for k in _PER_POPULATION}
    return xr.Dataset(
        {"rate_hz": (("seed", "population", "window"), rates[None]),
         **{k: (("seed", "population"), v[None]) for k, v in per_pop.items()}},
        coords={"seed": [int(seed)], "population": np.array(POPULATIONS, dtype=object),
                "window": np.array(WINDOW_LABELS, dtype=object)},
    )


def seeds_template(config: RsfsSeedsConfig) -> xr.Dataset:
    """The Zarr layout of a seeds sweep (lazy, NaN-filled)."""
    import dask.array as da

    s, p, w = len(config.seeds), len(POPULATIONS), len(WINDOW_LABELS)
    attrs = {"rate_hz": {"units": "Hz", "long_name": "population rate per window (NaN past tstop)"},
             "cv_isi": {"units": "1", "long_name": "mean CV of ISIs, neurons with >= 3 ISIs after 350 ms"},
             "active_fraction": {"units": "1", "long_name": "fraction of neurons firing after 350 ms"},
             "asynchrony": {"units": "1", "long_name": "CV of 5-ms-binned population counts in [350, 900) ms"}}
    data = {"rate_hz": (("seed", "population", "window"), da.full((s, p, w), np.nan, chunks=(1, p, w)), attrs["rate_hz"])}
    for k in _PER_POPULATION:
        data[k] = (("seed", "population"), da.full((s, p), np.nan, chunks=(1, p)), attrs[k])
    return xr.Dataset(data, coords={"seed": ("seed", np.asarray(config.seeds, dtype=np.int64)),
                                    "population": np.array(POPULATIONS, dtype=object),
                                    "window": np.array(WINDOW_LABELS, dtype=object)},
                      attrs={"title": "netdyn rsfs study over seeds",
                             "config": config.network_config().model_dump_json(),
                             "netdyn_version": __version__})


def seeds_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Mean, SD and count over the seeds of every statistic (NaN values left out)."""
    def stat(values: np.ndarray) -> dict[str, Any]:
        ok = values[np.isfinite(values)]
        if ok.size == 0:
            return {"mean": None, "sd": None, "n": 0}
        return {"mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if ok.size > 1 else None, "n": int(ok.size)}

    summary: dict[str, Any] = {
        "seeds": [int(s) for s in ds["seed"].values],
        "rates_hz": {p: {w: stat(ds.rate_hz.sel(population=p, window=w).values) for w in WINDOW_LABELS}
                     for p in POPULATIONS},
    }
    for k in _PER_POPULATION:
        summary[k] = {p: stat(ds[k].sel(population=p).values) for p in POPULATIONS}
    summary["netdyn_version"] = ds.attrs.get("netdyn_version")
    return summary


RSFS_SEEDS = SweepStudy(
    name="rsfs-seeds", config_class=RsfsSeedsConfig, unit_dim="seed", template=seeds_template,
    unit_function=simulate_seed, summary=seeds_summary, store_config=RsfsSeedsConfig.network_config,
    results_name="seeds.zarr", summary_name="seeds_summary.json",
)
"""The rsfs network over seeds, for :func:`netdyn.sweep.run_study`."""


def run_rsfs_seeds(config: RsfsConfig, seeds: Sequence[int], out: str | os.PathLike[str], *,
                   workers: int | None = None, scheduler: str | None = None, use_mpi: bool | None = None,
                   progress: bool = True) -> xr.Dataset:
    """Run the rsfs network for every seed of ``seeds`` on the sweep layer.

    Each seed is one work unit (local processes, Dask with ``scheduler``, MPI, or in this
    process with ``workers=0``), written to ``out/seeds.zarr`` as soon as it finishes; a
    rerun resumes and the numbers do not depend on the executor. ``out/seeds_summary.json``
    holds the mean and SD over seeds. Returns the loaded Dataset.
    """
    seeds_config = parse_config(RsfsSeedsConfig, {**config.to_dict(), "seeds": [int(s) for s in seeds]})
    return run_study(RSFS_SEEDS, seeds_config, out, workers=workers, scheduler=scheduler, use_mpi=use_mpi,
                     progress=progress).dataset
