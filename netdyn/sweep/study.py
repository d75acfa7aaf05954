"""The study driver: every study runs into its output directory the same way.

A study is a small declarative object; :func:`run_study` runs it and :func:`redraw` redraws
its figures from what it wrote. Two kinds:

:class:`SweepStudy`
    Work units along one dimension of a results Dataset (networks, sessions, seeds,
    configurations), computed by a module-level unit function on local processes, Dask or
    MPI and written to a resumable Zarr store (:class:`~netdyn.sweep.SweepStore`) as each
    one finishes.
:class:`SingleRunStudy`
    One run that writes one results file itself (e.g. a recorded spiking network).

A new study declares itself and adds no plumbing::

    PLASTICITY = SweepStudy(
        name="plasticity", config_class=PlasticityConfig, unit_dim="seed",
        template=plasticity_template,        # config -> Dataset: layout, units, shared values
        unit_function=simulate_seed,         # (config_json, seed) -> the seed's Dataset
        summary=plasticity_summary,          # Dataset -> summary.json content
        figure=plot_plasticity,              # (Dataset, out) -> paths written
    )
    outputs = run_study(PLASTICITY, config, "results/plasticity", workers=4)

What :func:`run_study` does, in order:

1. validates, before anything is written: the configuration (a mapping is parsed into
   ``config_class``), the study's own ``check``, the execution arguments, the output
   directory (not a file, writable) and what it holds: a directory with another study's
   results (a Zarr store or an HDF5 file whose attribute ``netdyn_study`` names another
   study) is refused with a :class:`~netdyn.errors.ConfigError` naming ``out``;
2. computes: a sweep resumes what an earlier run of the same configuration left unfinished;
   a single run replaces its results;
3. writes ``summary.json`` atomically, then the figures (unless ``figure=False``).

Results are tagged with the study's name (attribute ``netdyn_study``), which is how both the
check above and :func:`redraw` recognise them.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generic, Hashable, Mapping, Sequence, TypeVar

import numpy as np
import xarray as xr

from netdyn import atomic
from netdyn.config.base import Spec, parse_config
from netdyn.errors import ConfigError
from netdyn.mpi_launch import launched_rank
from netdyn.sweep.executors import check_execution, open_executor
from netdyn.sweep.runner import run_units
from netdyn.sweep.store import SweepStore, open_results

__all__ = [
    "STUDY_ATTR",
    "SingleRunStudy",
    "Study",
    "StudyOutputs",
    "SweepStudy",
    "check_out_dir",
    "nan_to_none",
    "redraw",
    "run_study",
    "stored_study",
]

#: Attribute naming the study that wrote a results file (Zarr store or HDF5 file).
STUDY_ATTR = "netdyn_study"

C = TypeVar("C", bound=Spec)
FigureWriter = Callable[[Any, Path], Sequence[Path]]
"""``figure(results, out) -> paths``: draws the study's figures into directory ``out``."""


# --------------------------------------------------------------------------- studies


@dataclass(frozen=True, kw_only=True)
class Study(Generic[C]):
    """What every study declares (use :class:`SweepStudy` or :class:`SingleRunStudy`).

    Parameters
    ----------
    name
        The study's tag, e.g. ``"chaos"``; stored in its results (:data:`STUDY_ATTR`).
    config_class
        The configuration's :class:`~netdyn.config.Spec`.
    figure
        ``figure(results, out) -> paths`` or None (no figure).
    check
        ``check(config)``: validation beyond the configuration's own, run before anything
        is written (raises :class:`~netdyn.errors.ConfigError`).
    results_name, summary_name
        File names in the output directory.
    """

    name: str
    config_class: type[C]
    figure: FigureWriter | None = None
    check: Callable[[C], None] | None = None
    results_name: str = "results.zarr"
    summary_name: str = "summary.json"

    def load(self, path: Path) -> Any:
        """The results stored at ``path`` (what ``figure`` draws)."""
        raise NotImplementedError

    def _compute(self, config: C, out: Path, execution: dict[str, Any],
                 progress: bool | None) -> _Computed:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class SweepStudy(Study[C]):
    """A study whose work units lie along one dimension of a resumable Zarr store.

    Parameters
    ----------
    unit_dim
        The dimension of the work units.
    template
        ``template(config) -> xr.Dataset``: the results' layout (see
        :meth:`SweepStore.create_or_open`). Its coordinate along ``unit_dim`` lists the
        units; variables with ``unit_dim`` may be lazy, variables without it (shared by all
        units) hold their values.
    unit_function
        ``unit_function(config_json, unit) -> xr.Dataset``: the results of one unit (every
        variable with ``unit_dim``). Module-level, so that it pickles to any worker; it
        draws its random numbers from the unit (e.g. ``SeedSequence(seed, spawn_key=(unit,))``).
    summary
        ``summary(ds) -> dict``: the content of ``summary.json`` (JSON types, None for NaN).
    store_config
        ``store_config(config) -> Spec``: the configuration the unit function gets and the
        store records (a rerun resumes only with the same one). Default: ``config`` itself;
        a study whose configuration lists its units may leave them out (the unit coordinate
        records them).
    """

    unit_dim: str
    template: Callable[[C], xr.Dataset]
    unit_function: Callable[[str, Any], xr.Dataset]
    summary: Callable[[xr.Dataset], dict[str, Any]]
    store_config: Callable[[C], Spec] | None = None

    def load(self, path: Path) -> xr.Dataset:
        return open_results(path, load=True)

    def _compute(self, config: C, out: Path, execution: dict[str, Any],
                 progress: bool | None) -> _Computed:
        template = self.template(config).assign_attrs({STUDY_ATTR: self.name})
        units: list[Hashable] = template.indexes[self.unit_dim].tolist()
        config_json = (self.store_config(config) if self.store_config else config).model_dump_json()
        with open_executor(**execution, n_units=len(units)) as executor:
            out.mkdir(parents=True, exist_ok=True)
            store = SweepStore.create_or_open(out / self.results_name, template, self.unit_dim, config_json)
            computed = run_units(functools.partial(self.unit_function, config_json), units, store=store,
                                 executor=executor, progress=progress is not False,
                                 desc=f"{self.name} {self.unit_dim}s")
        ds = store.open(load=True)
        return _Computed(ds, self.summary(ds), tuple(computed))


@dataclass(frozen=True, kw_only=True)
class SingleRunStudy(Study[C]):
    """A study that computes once and writes one results file itself.

    Parameters
    ----------
    run
        ``run(config, path, progress) -> (results, summary)``: computes, writes the results
        file ``path`` (atomically, creating its directory, with the attribute
        :data:`STUDY_ATTR` = ``name``) and returns the results and the content of
        ``summary.json``. Rerunning replaces them.
    reader
        ``reader(path) -> results``: what :func:`redraw` draws from.
    """

    run: Callable[[C, Path, bool | None], tuple[Any, dict[str, Any]]]
    reader: Callable[[Path], Any]

    def load(self, path: Path) -> Any:
        return self.reader(path)

    def _compute(self, config: C, out: Path, execution: dict[str, Any],
                 progress: bool | None) -> _Computed:
        results, summary = self.run(config, out / self.results_name, progress)
        return _Computed(results, summary, ())


@dataclass(frozen=True)
class _Computed:
    results: Any
    summary: dict[str, Any]
    units: tuple[Hashable, ...]


@dataclass(frozen=True)
class StudyOutputs:
    """What :func:`run_study` wrote and computed.

    Attributes
    ----------
    results, summary, figures
        Paths of the results file, ``summary.json`` and the figures.
    stats
        The content of ``summary.json``.
    dataset
        The results of a :class:`SweepStudy`, loaded (None for a single run).
    computed_units
        Units computed by this call (a sweep's others were already done).
    """

    results: Path
    summary: Path
    figures: tuple[Path, ...]
    stats: dict[str, Any]
    dataset: xr.Dataset | None = None
    computed_units: tuple[Hashable, ...] = ()


# --------------------------------------------------------------------------- entry points


def run_study(
    study: Study[C],
    config: C | Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    use_mpi: bool | None = None,
    progress: bool | None = True,
    figure: bool = True,
) -> StudyOutputs:
    """Run ``study`` with ``config`` into the directory ``out`` (steps in the module doc).

    Parameters
    ----------
    study
        What to run.
    config
        The study's configuration, or a mapping of its fields.
    out
        Output directory (created with its parents).
    workers
        Local worker processes of a sweep (default: one per core, at most one per unit;
        0 runs in this process).
    scheduler
        Address of a Dask scheduler (``tcp://host:port``) to run a sweep's units on.
    use_mpi
        Run a sweep's units with mpi4py.futures (default: when started under ``mpiexec``;
        start it as ``mpiexec -n N python -m mpi4py.futures ...``, see
        :mod:`netdyn.sweep.executors`).
    progress
        Show a progress bar on a terminal (None: the study's default).
    figure
        Write the figures.

    Returns
    -------
    StudyOutputs

    Raises
    ------
    ConfigError
        Bad configuration, execution arguments or output directory; nothing is written.
    """
    config = _as_config(study, config)
    if study.check is not None:
        study.check(config)
    execution = {"workers": workers, "scheduler": check_execution(workers, scheduler, use_mpi),
                 "use_mpi": use_mpi}
    out = Path(out)
    if isinstance(study, SingleRunStudy) and launched_rank() > 0:
        # one simulation over MPI ranks (NEST under mpiexec): every rank computes, rank 0 writes
        with tempfile.TemporaryDirectory(prefix=f"netdyn-rank{launched_rank()}-") as scratch:
            computed = study._compute(config, Path(scratch), execution, progress)
        return StudyOutputs(out / study.results_name, out / study.summary_name, (), computed.summary, None, ())
    check_out_dir(out, study.name)
    computed = study._compute(config, out, execution, progress)
    summary = write_json(out / study.summary_name, computed.summary)
    figures = _draw(study, computed.results, out) if figure and study.figure is not None else ()
    return StudyOutputs(out / study.results_name, summary, figures, computed.summary,
                        computed.results if isinstance(computed.results, xr.Dataset) else None,
                        computed.units)


def redraw(out: str | os.PathLike[str], studies: Sequence[Study[Any]]) -> tuple[Path, ...]:
    """Redraw the figures of the results in ``out``, written by one of ``studies``.

    The study is recognised by the tag of its results file; results without a tag (written
    by an older netdyn) are taken for the only study whose results file is there.

    Raises
    ------
    ConfigError
        (field ``out``) ``out`` holds no results of these studies, or results without a figure.
    """
    out = Path(out)
    present = [s for s in studies if (out / s.results_name).exists()]
    tags = {s.name: stored_study(out / s.results_name) for s in present}
    matching = [s for s in present if tags[s.name] == s.name]
    if not matching and len(present) == 1 and tags[present[0].name] is None:
        matching = present
    if not matching:
        names = " or ".join(sorted({s.results_name for s in studies}))
        found = sorted({t for t in tags.values() if t is not None})
        what = f"holds {', '.join(found)} results, not {'/'.join(s.name for s in studies)}" if found \
            else f"holds no {names}"
        raise ConfigError("out", str(out), what)
    study = matching[0]
    return _draw(study, study.load(out / study.results_name), out)


def _draw(study: Study[Any], results: Any, out: Path) -> tuple[Path, ...]:
    if study.figure is None:
        raise ConfigError("out", str(out), f"{study.name} results have no figure")
    return tuple(study.figure(results, out))


def _as_config(study: Study[C], config: C | Mapping[str, Any]) -> C:
    if isinstance(config, study.config_class):
        return config
    if isinstance(config, Mapping):
        return parse_config(study.config_class, config)
    raise TypeError(f"{study.name} needs a {study.config_class.__name__}, got {type(config).__name__}")


# --------------------------------------------------------------------------- output directory


def stored_study(path: Path) -> str | None:
    """The tag (:data:`STUDY_ATTR`) of a results file: a Zarr store or an HDF5 file.

    None when ``path`` is neither, cannot be read, or carries no tag.
    """
    try:
        if (path / "zarr.json").is_file():
            attrs = json.loads((path / "zarr.json").read_text(encoding="utf-8")).get("attributes", {})
            tag = attrs.get(STUDY_ATTR)
        elif path.is_file() and path.suffix in (".h5", ".hdf5"):
            import h5py

            with h5py.File(path, "r") as f:
                tag = f.attrs.get(STUDY_ATTR)
        else:
            return None
    except (OSError, ValueError):
        return None
    if isinstance(tag, bytes):
        tag = tag.decode("utf-8", "replace")
    return tag if isinstance(tag, str) else None


def check_out_dir(out: Path, study: str) -> None:
    """Fail before anything is written if ``out`` cannot hold the results of ``study``.

    Raises
    ------
    ConfigError
        (field ``out``) ``out`` is a file, lies in a directory that is not writable, or
        holds results tagged with another study.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError("out", str(out), "exists and is not a directory")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError("out", str(out), f"directory {probe} is not writable")
    if not out.is_dir():
        return
    for path in sorted(out.iterdir()):
        tag = stored_study(path)
        if tag is not None and tag != study:
            raise ConfigError("out", str(out), f"holds {tag} results ({path.name}), not {study} results; "
                              "choose another output directory")


# --------------------------------------------------------------------------- summaries


def nan_to_none(values: Any) -> Any:
    """A number or (nested) array as JSON values: floats, lists, None for NaN and inf."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        v = float(arr)
        return v if math.isfinite(v) else None
    return [nan_to_none(v) for v in arr]


def write_json(path: Path, data: Any) -> Path:
    """Atomically write ``data`` as indented JSON (NaN is not allowed: use None)."""
    return atomic.write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
