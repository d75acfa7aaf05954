"""Study ``rsfs``: the AdEx seed's README network (spec spiking.md section 2.1).

4000 excitatory regular-spiking (RS, adapting) and 1000 inhibitory fast-spiking (FS) AdEx
neurons with conductance synapses, fixed-indegree recurrent wiring (K = 200 from Exc, 50 from
Inh, drawn with replacement), and an afferent drive of rate
``4 + 4 exp(-(t - 1000)^2 / (2 100^2))`` Hz through K_aff = 200 independent inputs per neuron.
The study builds it from the seed's own model dictionary (:data:`RSFS_MODEL`), runs it, and
writes::

    recording.h5   spikes, Vm of 4 neurons per population, population rates, the afferent
                   rate (layout: netdyn.io.hdf5)
    summary.json   rates per window and population, CV of ISIs, active fraction, asynchrony,
                   build/run times and the network's size
    figure.png/pdf afferent rate, raster, Vm and population rates (netdyn.plots.activity)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netdyn.config.rsfs import RSFS_MODEL, RsfsConfig
from netdyn.models.spiking.model_dict import spec_from_model_dict
from netdyn.models.spiking.spec import NetworkSpec
from netdyn.studies.outputs import check_out_dir, write_json

RATE_WINDOWS_MS = ((350.0, 900.0), (950.0, 1050.0), (1000.0, 1500.0), (1300.0, 1500.0))
"""Windows of the summary's rates (before, at and after the afferent bump)."""

POPULATIONS = ("Exc", "Inh")
RECORDING_NAME = "recording.h5"
SUMMARY_NAME = "summary.json"
FIGURE_STEM = "figure"


def rsfs_spec(config: RsfsConfig) -> NetworkSpec:
    """The network of the study as a :class:`NetworkSpec` (through the seed's dictionary)."""
    return spec_from_model_dict(config.model_dict(), list(POPULATIONS), ["AffExc"],
                                afferent_rates={"AffExc": config.afferent_rate()}, seed=config.seed,
                                statistics=config.afferent_statistics, record_vm=config.record_vm,
                                rate_bin_ms=1.0)


def summarise(recording: Any, tstop_ms: float) -> dict[str, Any]:
    """The summary's statistics (spec spiking.md section 2.1) of a recording."""
    from netdyn.analysis.spikes import active_fraction, mean_isi_cv, mean_rate, population_synchrony

    def clean(x: float) -> float | None:
        return None if x != x else float(x)

    out: dict[str, Any] = {"rates_hz": {}, "cv_isi": {}, "active_fraction": {}, "asynchrony": {}}
    for pop in POPULATIONS:
        s = recording.spikes[pop]
        out["rates_hz"][pop] = {f"{a:g}-{b:g}": clean(mean_rate(s, t_start_ms=a, t_stop_ms=b))
                                for a, b in RATE_WINDOWS_MS if b <= tstop_ms}
        late = min(350.0, tstop_ms / 2)
        out["cv_isi"][pop] = clean(mean_isi_cv(s, t_start_ms=late, t_stop_ms=tstop_ms, min_isis=3))
        out["active_fraction"][pop] = clean(active_fraction(s, t_start_ms=late, t_stop_ms=tstop_ms))
        stop = min(900.0, tstop_ms)
        out["asynchrony"][pop] = clean(population_synchrony(s, t_start_ms=late, t_stop_ms=stop, bin_ms=5.0).count_cv) \
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


def run_rsfs(config: RsfsConfig, out: str | Path, *, figure: bool = True, progress: bool | None = None) -> RsfsOutputs:
    """Build, run and write the rsfs study into directory ``out``.

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
    from netdyn.engines.spiking import Network
    from netdyn.io.hdf5 import write_recording

    out = Path(out)
    check_out_dir(out)
    spec = rsfs_spec(config)
    t0 = time.perf_counter()
    net = Network(spec)
    build_s = time.perf_counter() - t0
    net.run(config.tstop_ms, progress=progress)
    run_s = net.run_time_s
    recording = net.recording()
    recording.attrs["study"] = "rsfs"
    recording.attrs["study_config"] = config.model_dump_json()
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    rec_path = write_recording(recording, out / RECORDING_NAME)
    stats = summarise(recording, config.tstop_ms)
    stats.update({
        "config": config.to_dict(),
        "n_neurons": int(net.layout.n_neurons),
        "n_synapses": net.n_synapses,
        "bytes_per_synapse": round(net.bytes_per_synapse, 3),
        "timing_s": {"build": round(build_s, 3), "run": round(run_s, 3), "write": round(time.perf_counter() - t1, 3)},
        "netdyn_version": recording.attrs["netdyn_version"],
    })
    summary_path = write_json(out / SUMMARY_NAME, stats)
    figures: tuple[Path, ...] = ()
    if figure:
        from netdyn.plots.activity import plot_activity_figure

        figures = tuple(plot_activity_figure(recording, out / FIGURE_STEM, rate_smoothing_ms=5.0))
    return RsfsOutputs(rec_path, summary_path, figures, stats)


# ----------------------------------------------------------------------------- seeds sweep
SEEDS_NAME = "seeds.zarr"
SEEDS_SUMMARY_NAME = "seeds_summary.json"
WINDOW_LABELS = tuple(f"{a:g}-{b:g}" for a, b in RATE_WINDOWS_MS)


def simulate_seed(config_json: str, seed: int) -> Any:
    """One work unit of :func:`run_rsfs_seeds`: the statistics of the network of ``seed``."""
    import numpy as np
    import xarray as xr

    from netdyn.engines.spiking import Network

    config = RsfsConfig.model_validate_json(config_json).replace(seed=int(seed), record_vm=0)
    recording = Network(rsfs_spec(config)).run(config.tstop_ms, progress=False).recording()
    stats = summarise(recording, config.tstop_ms)

    def num(x: Any) -> float:
        return np.nan if x is None else float(x)

    rates = np.array([[num(stats["rates_hz"][p].get(w)) for w in WINDOW_LABELS] for p in POPULATIONS])
    per_pop = {k: np.array([num(stats[k][p]) for p in POPULATIONS]) for k in ("cv_isi", "active_fraction", "asynchrony")}
    return xr.Dataset(
        {"rate_hz": (("seed", "population", "window"), rates[None]),
         **{k: (("seed", "population"), v[None]) for k, v in per_pop.items()}},
        coords={"seed": [int(seed)], "population": np.array(POPULATIONS, dtype=object),
                "window": np.array(WINDOW_LABELS, dtype=object)},
    )


def seeds_template(config: RsfsConfig, seeds: list[int]) -> Any:
    """The Zarr layout of a seeds sweep (lazy, NaN-filled)."""
    import dask.array as da
    import numpy as np
    import xarray as xr

    from netdyn import __version__

    s, p, w = len(seeds), len(POPULATIONS), len(WINDOW_LABELS)
    attrs = {"rate_hz": {"units": "Hz", "long_name": "population rate per window (NaN past tstop)"},
             "cv_isi": {"units": "1", "long_name": "mean CV of ISIs, neurons with >= 3 ISIs after 350 ms"},
             "active_fraction": {"units": "1", "long_name": "fraction of neurons firing after 350 ms"},
             "asynchrony": {"units": "1", "long_name": "CV of 5-ms-binned population counts in [350, 900) ms"}}
    data = {"rate_hz": (("seed", "population", "window"), da.full((s, p, w), np.nan, chunks=(1, p, w)), attrs["rate_hz"])}
    for k in ("cv_isi", "active_fraction", "asynchrony"):
        data[k] = (("seed", "population"), da.full((s, p), np.nan, chunks=(1, p)), attrs[k])
    return xr.Dataset(data, coords={"seed": ("seed", np.asarray(seeds, dtype=np.int64)),
                                    "population": np.array(POPULATIONS, dtype=object),
                                    "window": np.array(WINDOW_LABELS, dtype=object)},
                      attrs={"title": "netdyn rsfs study over seeds", "config": config.model_dump_json(),
                             "netdyn_version": __version__})


def run_rsfs_seeds(config: RsfsConfig, seeds: list[int], out: str | Path, *, workers: int | None = None,
                   scheduler: str | None = None, progress: bool = True) -> Any:
    """Run the rsfs network for every seed of ``seeds`` on the sweep layer.

    Each seed is one work unit (local processes, Dask with ``scheduler``, or in this process
    with ``workers=0``), written to ``out/seeds.zarr`` as soon as it finishes; a rerun resumes
    and the numbers do not depend on the executor. ``out/seeds_summary.json`` holds the mean
    and SD over seeds. Returns the loaded Dataset.
    """
    import functools
    import os

    import numpy as np

    from netdyn.errors import ConfigError
    from netdyn.sweep import SweepStore, open_executor, run_units

    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ConfigError("seeds", seeds, "give distinct seeds >= 0")
    out = Path(out)
    check_out_dir(out)
    if workers is None and scheduler is None:
        workers = min(os.cpu_count() or 1, len(seeds))
    base = config.replace(seed=0)  # the seed is the unit's; the rest must match to resume
    with open_executor(workers=workers, scheduler=scheduler) as executor:
        out.mkdir(parents=True, exist_ok=True)
        store = SweepStore.create_or_open(out / SEEDS_NAME, seeds_template(base, seeds), unit_dim="seed",
                                          config_json=base.model_dump_json())
        fn = functools.partial(simulate_seed, base.model_dump_json())
        run_units(fn, store.pending(), store=store, executor=executor, progress=progress, desc="rsfs seeds")
    ds = store.open(load=True)

    def stat(values: np.ndarray) -> dict[str, Any]:
        ok = values[np.isfinite(values)]
        if ok.size == 0:
            return {"mean": None, "sd": None, "n": 0}
        return {"mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if ok.size > 1 else None, "n": int(ok.size)}

    summary = {"seeds": seeds, "rates_hz": {p: {w: stat(ds.rate_hz.sel(population=p, window=w).values)
                                                 for w in WINDOW_LABELS} for p in POPULATIONS}}
    for k in ("cv_isi", "active_fraction", "asynchrony"):
        summary[k] = {p: stat(ds[k].sel(population=p).values) for p in POPULATIONS}
    summary["netdyn_version"] = ds.attrs.get("netdyn_version")
    write_json(out / SEEDS_SUMMARY_NAME, summary)
    return ds
