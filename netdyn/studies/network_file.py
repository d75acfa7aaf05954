"""Study ``network-run`` (``netdyn run NETWORK.toml``): a user's own network file, simulated once,
recorded and summarised.

The file is a :class:`~netdyn.models.spiking.spec.NetworkSpec` as ``spec.save(path)`` writes it
(TOML or JSON), optionally with a ``[run]`` table (:class:`~netdyn.config.network_file.RunSettings`:
``duration_ms``, ``transient_ms``, ``backend``, ``threads``, ``connectivity``); flags win over
the table.
:func:`read_network_file` reads it into a :class:`NetworkRunConfig`, whose errors name the
field (``populations.0.n_neurons``, ``run.duration_ms``, ``network`` for a file that cannot
be read). :data:`NETWORK_RUN` writes into its output directory::

    recording.h5   every recorded spike, state probe and population rate (netdyn.io.hdf5)
    summary.json   per population the statistics of netdyn.analysis.spikes.population_summary
                   after the transient (rate_hz, cv_isi, lvr, corrcoef, active_fraction), the
                   run settings, the projections regenerated per spike
                   (procedural_projections), netdyn's version and the whole configuration
    figure.png/pdf the activity figure (netdyn.plots.activity)

With ``backend="nest"`` under ``mpiexec``, every rank runs its part of the simulation and
only rank 0 writes (:func:`netdyn.sweep.run_study` runs the other ranks into a scratch
directory, and they write nothing there either).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from netdyn import __version__
from netdyn.config.base import parse_config, read_config_file
from netdyn.config.network_file import RunSettings
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec
from netdyn.sweep import SingleRunStudy, StudyOutputs, run_study
from netdyn.sweep.study import STUDY_ATTR, nan_to_none
from netdyn.studies.recorded import draw_activity, read_recording_file

__all__ = ["NETWORK_RUN", "NetworkFile", "NetworkRunConfig", "build_network", "population_statistics", "read_network_file",
           "run_network_file"]



class NetworkRunConfig(RunSettings):
    """A network and how to run it: what ``netdyn run`` runs."""

    network: NetworkSpec


class NetworkFile(NetworkSpec):
    """What a network file holds: a :class:`~netdyn.models.spiking.spec.NetworkSpec` and an
    optional ``run`` table (:class:`~netdyn.config.network_file.RunSettings`).

    >>> NetworkFile.of(spec, RunSettings(duration_ms=500.0)).save("net.toml")
    """

    run: RunSettings | None = None

    @classmethod
    def of(cls, network: NetworkSpec, run: RunSettings | None = None) -> "NetworkFile":
        """The file of ``network`` with the run settings ``run`` (None: no ``run`` table)."""
        return cls.model_validate({**dict(network), "run": run})

    @property
    def network(self) -> NetworkSpec:
        """The network without the run settings."""
        return NetworkSpec.model_validate({k: v for k, v in dict(self).items() if k != "run"})


def read_network_file(path: str | os.PathLike[str], *, run: Mapping[str, Any] | None = None,
                      seed: int | None = None) -> NetworkRunConfig:
    """Read a network file (TOML or JSON, :class:`NetworkFile`) into a :class:`NetworkRunConfig`.

    Parameters
    ----------
    path
        The file: the keys of a :class:`~netdyn.models.spiking.spec.NetworkSpec` and an
        optional ``run`` table of :class:`~netdyn.config.network_file.RunSettings` keys.
    run
        Run settings that win over the file's ``run`` table (the command line's flags).
    seed
        The network's ``seed`` instead of the file's.

    Raises
    ------
    ConfigError
        Naming the field: ``network`` (a file that is missing, malformed or of another
        suffix), an unknown key, a bad value of the network (``populations.0.n_neurons``) or
        of the ``run`` table (``run.duration_ms``; a bad value given in ``run`` is named
        without ``run.``, as its flag).
    """
    try:
        data = read_config_file(path)
    except ConfigError as exc:
        raise ConfigError("network", exc.value, exc.reason) from None
    flags = dict(run or {})
    table = data.get("run", {})
    if isinstance(table, dict):
        data["run"] = {**table, **flags}
    if seed is not None:
        data["seed"] = seed
    try:
        file = parse_config(NetworkFile, data)
    except ConfigError as exc:
        field = exc.field.split(".")
        if field[0] == "run" and len(field) > 1 and field[1] in flags:
            raise ConfigError(".".join(field[1:]), exc.value, exc.reason) from None
        raise
    settings = file.run or RunSettings()
    return NetworkRunConfig.model_validate({**dict(settings), "network": file.network})


def check_backend(config: RunSettings) -> None:
    """Refuse a backend that is not installed, before anything is written.

    Raises
    ------
    ConfigError
        (field ``backend``) ``"nest"`` without the ``nest`` module; ``"gpu"`` without a CUDA GPU.
    """
    if config.backend == "nest" and importlib.util.find_spec("nest") is None:
        raise ConfigError("backend", "nest", "NEST is not installed (pip install nest-simulator; with MPI: "
                          "benchmarks/peers/build_nest_mpi.sh)")
    if config.backend == "gpu":
        from netdyn.engines.gpu.device import cuda_or_error

        cuda_or_error()


def build_network(config: NetworkRunConfig, network: NetworkSpec | None = None) -> Any:
    """The network built by the configured backend (``network`` instead of the configuration's
    own, if given): a :class:`netdyn.engines.spiking.Network` or NEST's equivalent."""
    from netdyn.engines.spiking import Network

    return Network(network if network is not None else config.network, backend=config.backend,
                   threads=config.threads, connectivity=config.connectivity)


def population_statistics(recording: Any, populations: list[str], t_start_ms: float,
                          t_stop_ms: float) -> dict[str, dict[str, float]]:
    """Population -> :func:`netdyn.analysis.spikes.population_summary` in ``[t_start_ms,
    t_stop_ms)`` (NaN for a population whose spikes were not recorded)."""
    from netdyn.analysis.spikes import population_summary
    from netdyn.analysis.spikes.summary import SUMMARY_STATISTICS

    nan = {name: float("nan") for name in SUMMARY_STATISTICS}
    return {pop: population_summary(recording.spikes[pop], t_start_ms=t_start_ms, t_stop_ms=t_stop_ms)
            if pop in recording.spikes else dict(nan) for pop in populations}


def recorded_populations(network: NetworkSpec) -> list[str]:
    """The populations whose spikes the network records, in model order (sources left out)."""
    names = [p.name for p in network.populations]
    chosen = network.record.spikes
    return names if chosen is None else [n for n in names if n in chosen]


def run_settings_summary(config: RunSettings) -> dict[str, Any]:
    """The run's settings as ``summary.json`` states them (the transient resolved)."""
    return {"backend": config.backend, "threads": config.threads, "connectivity": config.connectivity,
            "duration_ms": config.duration_ms,
            "transient_ms": config.transient, "netdyn_version": __version__}


def record_network(config: NetworkRunConfig, path: Path, progress: bool | None) -> tuple[Any, dict[str, Any] | None]:
    """Build and run the network, write its recording to ``path`` (rank 0 only); the
    recording and the summary (None on other MPI ranks)."""
    from netdyn.io.hdf5 import write_recording

    t0 = time.perf_counter()
    net = build_network(config)
    t1 = time.perf_counter()
    is_root = bool(getattr(net, "is_root", True))
    net.run(config.duration_ms, progress=(sys.stderr.isatty() if progress is None else progress) and is_root)
    t2 = time.perf_counter()
    recording = net.recording()  # on every rank: NEST gathers the spikes from every rank
    if not is_root:  # under mpiexec rank 0 writes (run_study gives the other ranks a scratch directory)
        return recording, {}
    recording.attrs[STUDY_ATTR] = NETWORK_RUN.name
    recording.attrs["study"] = NETWORK_RUN.name
    recording.attrs["study_config"] = config.model_dump_json()
    write_recording(recording, path)
    stats = population_statistics(recording, recorded_populations(config.network), config.transient,
                                  config.duration_ms)
    summary = {
        "populations": {pop: {k: nan_to_none(v) for k, v in values.items()} for pop, values in stats.items()},
        **run_settings_summary(config),
        "procedural_projections": list(net.procedural_keys),
        "spike_digest": recording.spike_digest(),
        "timing_s": {"build": round(t1 - t0, 3), "run": round(t2 - t1, 3)},
        "config": config.to_dict(),
    }
    return recording, summary


NETWORK_RUN = SingleRunStudy(
    name="network-run", config_class=NetworkRunConfig, results_name="recording.h5", run=record_network,
    reader=read_recording_file, figure=draw_activity, check=check_backend,
)
"""A network file run once, for :func:`netdyn.sweep.run_study` and :func:`netdyn.sweep.redraw`."""


def run_network_file(config: NetworkRunConfig | str | os.PathLike[str], out: str | os.PathLike[str], *,
                     figure: bool = True, progress: bool | None = None) -> StudyOutputs:
    """Run a network (a :class:`NetworkRunConfig`, or the path of a network file) into ``out``.

    Writes ``recording.h5``, ``summary.json`` and ``figure.png``/``.pdf`` (module docstring);
    a rerun replaces them. ``progress``: a progress bar of the simulation (default: on a
    terminal).
    """
    if not isinstance(config, NetworkRunConfig):
        config = read_network_file(config)
    return run_study(NETWORK_RUN, config, out, figure=figure, progress=progress)
