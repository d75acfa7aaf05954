"""Command line: ``netdyn <study> ...``, ``netdyn run|sweep NETWORK ...``, ``netdyn plot <study> ...``,
``netdyn bench <model> ...``.

Every study command has the same shape. Its flags come from the fields of the study's
configuration (``--field-name`` for ``field_name``, type, help and default from the field;
see :mod:`netdyn.config.flags`); ``--config FILE`` reads the same keys from TOML or JSON, and
flags win over the file. ``--out``, ``--workers``, ``--scheduler``, ``--mpi``,
``--no-progress`` and ``--no-figure`` say where and how it runs; the study runs through
:func:`netdyn.sweep.run_study`, and ``netdyn plot`` redraws through :func:`netdyn.sweep.redraw`.

``netdyn run NETWORK.toml`` and ``netdyn sweep NETWORK.toml --set PATH=V,... --seeds 1-5`` run
a user's own network file (:mod:`netdyn.studies.network_file`,
:mod:`netdyn.studies.network_sweep`); their run settings come from the file's ``[run]`` table
and the flags of :class:`~netdyn.config.network_file.RunSettings`.

Bad input ends with one line ``netdyn: error: invalid FIELD=VALUE: reason`` on stderr and
exit code 2, before anything is written. A numerical blow-up ends with exit code 1 and a
message naming the step, the time and the trajectory.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from netdyn.config.base import Spec
from netdyn.config.chaos import ChaosConfig
from netdyn.config.consolidation import PROTOCOLS, ConsolidationScreenConfig, ConsolidationTrialsConfig
from netdyn.config.dendrites import PROTOCOL_CONFIGS as DENDRITES_PROTOCOLS
from netdyn.config.multiarea import MultiAreaSeedsConfig, MultiAreaTheoryConfig
from netdyn.config.rsfs import RsfsSeedsConfig
from netdyn.config.srnn import SRNNBasicConfig, SRNNSweepConfig
from netdyn.errors import ConfigError, NetdynError, NumericalInstabilityError
from netdyn.mpi_launch import launched_rank

if TYPE_CHECKING:
    from netdyn.sweep.study import Study

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like netdyn's other errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"netdyn: error: {message} (see '{self.prog} --help')\n")


# --------------------------------------------------------------------------- study commands


@dataclass(frozen=True)
class _StudyCommand:
    """A study command: its help, the configuration its flags come from, the studies it runs.

    ``studies`` names them as ``"module:NAME"`` (imported when the command runs, so that
    ``netdyn --help`` stays quick); the command runs the first whose configuration has every
    key given (rsfs: the single run, or the sweep over seeds when ``seeds`` is given).
    """

    help: str
    description: str
    config_class: type[Spec]
    studies: tuple[str, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    file_only: tuple[str, ...] = ()

    def load(self) -> tuple[Study[Any], ...]:
        """The studies, imported."""
        return tuple(getattr(import_module(module), name) for module, name in (s.split(":") for s in self.studies))

    def select(self, keys: Iterable[str]) -> Study[Any]:
        """The study to run for a configuration with ``keys``."""
        studies = self.load()
        keys = set(keys)
        return next((s for s in studies if keys <= set(s.config_class.model_fields)), studies[0])


_CONSOLIDATION_HELP = {
    "basic-early": "one synapse, seven forced presynaptic spikes (0.2 s)",
    "basic-late": "one neuron at its maximal rate for 4 h, then 4 h of consolidation",
    "smallnet3-10s": "4 + 1 neurons: learning, recall 10 s later",
    "smallnet3-8h": "4 + 1 neurons: learning, consolidation, recall 8 h later",
    "net-10s": "1600 + 400 neurons, an assembly of --n-ca: learning, recall 10 s later",
    "net-8h": "1600 + 400 neurons, an assembly of --n-ca: learning, consolidation, recall 8 h later",
}

_DENDRITES_HELP = {
    "brt-integration": "EPSP against synapse distance on the Ball-and-Rall's tree, AMPA vs AMPA + NMDA",
    "voltage-gradient": "membrane potential over the tree under a steady distal current",
    "branco2010": "centripetal vs centrifugal sequences over speeds, with and without NMDA (Branco et al. 2010)",
    "bombardment": "random E/I synaptic input over the dendrites; V at the soma and a dendrite",
}
_DENDRITES_STUDIES = {
    "brt-integration": "netdyn.studies.dendrites.brt_integration:BRT_INTEGRATION",
    "voltage-gradient": "netdyn.studies.dendrites.voltage_gradient:VOLTAGE_GRADIENT",
    "branco2010": "netdyn.studies.dendrites.branco2010:BRANCO2010",
    "bombardment": "netdyn.studies.dendrites.bombardment:BOMBARDMENT",
}

COMMANDS: dict[tuple[str, ...], _StudyCommand] = {
    ("chaos",): _StudyCommand(
        help="synaptic upscaling and chaos in random rate networks",
        description="Run the chaos study: sessions x gains x trials of twin tanh-rate trajectories; "
        "writes results.zarr, summary.json and figure.png/pdf into --out. A rerun with the same "
        "arguments resumes an interrupted run.",
        config_class=ChaosConfig, studies=("netdyn.studies.chaos:CHAOS",),
    ),
    ("srnn", "basic"): _StudyCommand(
        help="the basic example (n = 10, 20 s, four configurations)",
        description="Writes results.zarr, summary.json and figure_<configuration>.png/pdf into --out; "
        "each configuration is a work unit (resumable).",
        config_class=SRNNBasicConfig, studies=("netdyn.studies.srnn:SRNN_BASIC",),
    ),
    ("srnn", "sweep"): _StudyCommand(
        help="random networks x weight scale x adaptation x slowest timescale",
        description="Writes results.zarr, summary.json and figure.png/pdf into --out; each network is "
        "a work unit (resumable: rerun the same command after an interruption).",
        config_class=SRNNSweepConfig, studies=("netdyn.studies.srnn:SRNN_SWEEP",),
    ),
    ("rsfs",): _StudyCommand(
        help="RS-FS AdEx network driven by an afferent bump",
        description="Run the rsfs study: 4000 RS + 1000 FS AdEx neurons, fixed-indegree wiring, "
        "afferent drive 4 + 4 exp(-(t-1000)^2/(2 100^2)) Hz; writes recording.h5, summary.json and "
        "figure.png/pdf into --out. With --seeds, each seed is a work unit of a sweep instead "
        "(seeds.zarr and seeds_summary.json, resumable).",
        config_class=RsfsSeedsConfig, studies=("netdyn.studies.rsfs:RSFS", "netdyn.studies.rsfs:RSFS_SEEDS"),
    ),
    ("multiarea",): _StudyCommand(
        help="the down-scaled multi-area model of macaque visual cortex (32 areas x 8 populations)",
        description="Build and simulate the multi-area model (Schmidt et al. 2018), write all spikes (spikes.h5), "
        "analyse them (rates, LvR, correlations, synchrony, rate time series, functional connectivity) beside "
        "the mean-field rates: results.zarr, summary.json and the figures in --out. With --seeds, each seed "
        "is a work unit of a sweep instead (seeds.zarr and seeds_summary.json, resumable). "
        "'netdyn multiarea theory' computes the mean field alone.",
        config_class=MultiAreaSeedsConfig,
        studies=("netdyn.studies.multiarea:MULTIAREA", "netdyn.studies.multiarea:MULTIAREA_SEEDS"),
    ),
    ("multiarea", "theory"): _StudyCommand(
        help="the mean-field theory of the multi-area model (seconds)",
        description="Integrate the mean-field pseudo-dynamics of the multi-area model (Siegert rates with the "
        "Fourcaud-Brunel correction; Schuecker et al. 2017) and find its fixed point and the leading "
        "eigenvalue of the gain matrix: results.zarr, summary.json and a figure in --out.",
        config_class=MultiAreaTheoryConfig, studies=("netdyn.studies.multiarea:MULTIAREA_THEORY",),
    ),
    **{("consolidation", name): _StudyCommand(
        help=_CONSOLIDATION_HELP[name],
        description=f"Run the {name} protocol of the consolidation study (Luboeinski & Tetzlaff 2021): "
        "LIF neurons, calcium-based plasticity with synaptic tagging and capture, detailed phases of 0.2 ms "
        "and consolidation phases of 50 s. Writes spikes.h5, results.zarr (traces, spikes, weights), "
        "summary.json and the figures into --out; with --trials N, N trials (seeds seed ... seed+N-1) as "
        "resumable work units instead. --config reads netdyn's keys or a configuration file of the Arbor "
        "reference implementation.",
        config_class=ConsolidationTrialsConfig, fixed={"protocol": name},
        file_only=("learn", "recall", "background", "plasticity", "sample_synapses"),
        studies=("netdyn.studies.consolidation:CONSOLIDATION", "netdyn.studies.consolidation:CONSOLIDATION_TRIALS"),
    ) for name in PROTOCOLS},
    ("consolidation", "net-screen"): _StudyCommand(
        help="assembly sizes x trials x {10-s, 8-h recall} of the 2,000-neuron network",
        description="The screen of Luboeinski & Tetzlaff (2021): for each assembly size, --trials trials of the "
        "10-s and the 8-h recall protocol, each a resumable work unit (rerun the same command after an "
        "interruption); results.zarr, summary.json (Q, MI and rates per size and protocol, mean and SD) and "
        "the figure of Q and MI against the assembly size.",
        config_class=ConsolidationScreenConfig, studies=("netdyn.studies.consolidation:CONSOLIDATION_SCREEN",),
    ),
    **{("dendrites", name): _StudyCommand(
        help=_DENDRITES_HELP[name],
        description=f"Run the {name} protocol of the dendrites study (synaptic integration in a morphologically "
        "detailed neuron: a Ball-and-Rall's tree or an SWC file, passive cable or Hodgkin-Huxley soma, AMPA, NMDA "
        "and GABA-A synapses) on the cable engine, its conditions as trials of one simulation. Writes "
        "results.zarr, summary.json and the figure into --out. The biophysics (membrane, channels, synapses, "
        "compartments) is a nested table of the --config file.",
        config_class=config_class, fixed={"protocol": name}, file_only=("biophysics",),
        studies=(_DENDRITES_STUDIES[name],),
    ) for name, config_class in DENDRITES_PROTOCOLS.items()},
}
"""The study commands, by their words on the command line."""


def _add_study_command(sub: argparse._SubParsersAction, name: str, command: _StudyCommand, *,
                       out_required: bool = True) -> argparse.ArgumentParser:
    from netdyn.config.flags import add_config_flags

    p = sub.add_parser(name, help=command.help, description=command.description)
    run = p.add_argument_group("where and how it runs (never changes a number)")
    # a command with parts of its own (multiarea theory) checks its --out when it runs: argparse
    # would otherwise demand the parent's --out of the part too
    run.add_argument("--out", type=Path, required=out_required, help="output directory (required)")
    run.add_argument("--workers", metavar="N", help="work units in N local processes (default: one per core, "
                     "at most one per unit; 0: in this process)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run the work units on the Dask cluster of the "
                     "scheduler at ADDRESS (tcp://HOST:PORT)")
    run.add_argument("--mpi", dest="use_mpi", action="store_true", default=None,
                     help="run the work units on MPI ranks with mpi4py.futures (automatic when started as "
                     "'mpiexec -n N python -m mpi4py.futures -m netdyn.cli ...': the N-1 ranks besides rank 0 "
                     "are the workers)")
    run.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bar")
    run.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figure")
    config = p.add_argument_group(f"configuration ({command.config_class.__name__})")
    config.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML or JSON file with the keys below (flags win)"
                        + (f"; also {', '.join(command.file_only)}" if command.file_only else ""))
    add_config_flags(config, command.config_class, exclude=(*command.fixed, *command.file_only))
    p.set_defaults(run=_run_study, command=command)
    return p


def _print_outputs(outputs: Any) -> None:
    """The files a study wrote (on MPI rank 0 only: the other ranks of one simulation write
    nothing)."""
    if launched_rank() != 0:
        return
    print(f"results: {outputs.results}")
    print(f"summary: {outputs.summary}")
    for path in outputs.figures:
        print(f"figure:  {path}")


def _run_study(args: argparse.Namespace) -> int:
    from netdyn.config import parse_config
    from netdyn.config.flags import config_data, parse_text
    from netdyn.sweep import run_study

    command: _StudyCommand = args.command
    if args.out is None:
        raise ConfigError("out", None, "give the output directory: --out DIR")
    data = config_data(command.config_class, args, args.config)
    for key, value in command.fixed.items():
        if key in data and data[key] != value:
            raise ConfigError(key, data[key], f"this command runs {key} = {value}")
        data[key] = value
    study = command.select(data)
    config = parse_config(study.config_class, data)
    workers = None if args.workers is None else parse_text(int, "workers", args.workers)
    outputs = run_study(study, config, args.out, workers=workers, scheduler=args.scheduler,
                        use_mpi=args.use_mpi, progress=args.progress, figure=args.figure)
    _print_outputs(outputs)
    return 0


def _add_plot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="redraw a study's figure from its results",
                       description="Redraw the figures in a study's output directory from the results there.")
    p.add_argument("study", choices=sorted({words[0] for words in COMMANDS} | set(NETWORK_STUDIES)))
    p.add_argument("--out", required=True, type=Path, help="the study's output directory")
    p.set_defaults(run=_run_plot)


def _run_plot(args: argparse.Namespace) -> int:
    from netdyn.sweep import redraw

    studies = [s for words, command in COMMANDS.items() if words[0] == args.study for s in command.load()]
    if args.study in NETWORK_STUDIES:
        module, name = NETWORK_STUDIES[args.study].split(":")
        studies.append(getattr(import_module(module), name))
    for path in redraw(args.out, studies):
        print(f"figure:  {path}")
    return 0


# --------------------------------------------------------------------------- network files

NETWORK_STUDIES = {"run": "netdyn.studies.network_file:NETWORK_RUN",
                   "sweep": "netdyn.studies.network_sweep:NETWORK_SWEEP"}
"""The studies of ``netdyn run`` and ``netdyn sweep`` (for ``netdyn plot run|sweep``)."""


def _add_network_run(sub: argparse._SubParsersAction) -> None:
    from netdyn.config.flags import add_config_flags
    from netdyn.config.network_file import RunSettings

    p = sub.add_parser("run", help="run your own network file (TOML or JSON of a NetworkSpec)",
                       description="Build and run the network of NETWORK (a NetworkSpec as spec.save() writes it, "
                       "with an optional [run] table of the settings below; flags win over it) and write "
                       "recording.h5, summary.json (rate, CV ISI, LvR, correlation coefficient and active fraction "
                       "of every population after the transient) and figure.png/pdf into --out. Under mpiexec with "
                       "--backend nest only rank 0 writes.")
    p.add_argument("network", type=Path, metavar="NETWORK", help="the network file (.toml or .json)")
    run = p.add_argument_group("where and how it runs")
    run.add_argument("--out", type=Path, required=True, help="output directory (required)")
    run.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bar")
    run.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figure")
    settings = p.add_argument_group("run settings (RunSettings; flags win over the file's [run] table)")
    add_config_flags(settings, RunSettings)
    settings.add_argument("--seed", metavar="N", help="the network's seed instead of the file's")
    p.set_defaults(run=_run_network)


def _network_flags(args: argparse.Namespace) -> dict[str, Any]:
    from netdyn.config.flags import config_data
    from netdyn.config.network_file import RunSettings

    return config_data(RunSettings, args)


def _run_network(args: argparse.Namespace) -> int:
    from netdyn.config.flags import parse_text
    from netdyn.studies.network_file import NETWORK_RUN, read_network_file
    from netdyn.sweep import run_study

    seed = None if args.seed is None else parse_text(int, "seed", args.seed)
    config = read_network_file(args.network, run=_network_flags(args), seed=seed)
    outputs = run_study(NETWORK_RUN, config, args.out, progress=args.progress, figure=args.figure)
    _print_outputs(outputs)
    return 0


def _add_network_sweep(sub: argparse._SubParsersAction) -> None:
    from netdyn.config.flags import add_config_flags
    from netdyn.config.network_file import RunSettings

    p = sub.add_parser("sweep", help="run your own network file over a grid of its fields and seeds",
                       description="Run the network of NETWORK for every combination of the values given with "
                       "--set and every seed of --seeds, each a work unit (resumable: rerun the same command after "
                       "an interruption; the numbers do not depend on --workers). Writes results.zarr (rate, CV ISI, "
                       "LvR, correlation coefficient and active fraction per run and population), summary.json "
                       "(mean and SD over seeds per grid point) and figure.png/pdf into --out.")
    p.add_argument("network", type=Path, metavar="NETWORK", help="the network file (.toml or .json)")
    grid = p.add_argument_group("the grid")
    grid.add_argument("--set", dest="axes", action="append", required=True, metavar="PATH=V1,V2,...",
                      help="a field of the network and its values, e.g. populations.E.params.i_e_pA=100,150,200 "
                      "(entries by name, projections by key source->target:receptor or index: drives.bg.rate, "
                      "projections.0.weight); repeat for a grid")
    grid.add_argument("--seeds", required=True, metavar="SEEDS", help="the network's seeds, e.g. 1-5 or 1,3,8")
    run = p.add_argument_group("where and how it runs (never changes a number)")
    run.add_argument("--out", type=Path, required=True, help="output directory (required)")
    run.add_argument("--workers", metavar="N", help="work units in N local processes (default: one per core, "
                     "at most one per unit; 0: in this process)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run the work units on the Dask cluster of the "
                     "scheduler at ADDRESS (tcp://HOST:PORT)")
    run.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bar")
    run.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figure")
    settings = p.add_argument_group("run settings (RunSettings; flags win over the file's [run] table)")
    add_config_flags(settings, RunSettings)
    p.set_defaults(run=_run_network_sweep)


def _run_network_sweep(args: argparse.Namespace) -> int:
    from netdyn.config import parse_config
    from netdyn.config.flags import parse_text
    from netdyn.studies.network_file import read_network_file
    from netdyn.studies.network_sweep import NETWORK_SWEEP, NetworkSweepConfig, parse_axis, parse_seeds
    from netdyn.sweep import run_study

    base = read_network_file(args.network, run=_network_flags(args))
    config = parse_config(NetworkSweepConfig, {**dict(base), "axes": [parse_axis(text) for text in args.axes],
                                               "seeds": parse_seeds(args.seeds)})
    workers = None if args.workers is None else parse_text(int, "workers", args.workers)
    outputs = run_study(NETWORK_SWEEP, config, args.out, workers=workers, scheduler=args.scheduler,
                        progress=args.progress, figure=args.figure)
    _print_outputs(outputs)
    return 0


# --------------------------------------------------------------------------- benchmarks


def _add_bench(sub: argparse._SubParsersAction) -> None:
    from netdyn.config.bench import CobaBenchConfig, MicrocircuitBenchConfig
    from netdyn.config.consolidation import ConsolidationBenchConfig
    from netdyn.config.flags import add_config_flags
    from netdyn.config.multiarea import MultiAreaBenchConfig

    p = sub.add_parser("bench", help="time the benchmark models (one JSON line per run with --json)",
                       description="Build and run a benchmark model with netdyn's engine; benchmarks/spiking.py "
                       "runs the same models in Brian2 and NEST and prints the ratios.")
    models = p.add_subparsers(dest="model", required=True, metavar="MODEL")
    for name, config_class, help_text in (
        ("coba", CobaBenchConfig, "Vogels-Abbott COBA network"),
        ("microcircuit", MicrocircuitBenchConfig, "Potjans-Diesmann microcircuit"),
        ("multiarea", MultiAreaBenchConfig, "multi-area model of macaque visual cortex (build, simulation, analysis)"),
        ("consolidation", ConsolidationBenchConfig, "one trial of a consolidation protocol (plastic synapses)"),
    ):
        q = models.add_parser(name, help=help_text, description=config_class.__doc__)
        add_config_flags(q, config_class)
        q.add_argument("--json", action="store_true", help="print one JSON line")
        q.set_defaults(run=_run_bench, config_class=config_class)


def _run_bench(args: argparse.Namespace) -> int:
    from netdyn.config import parse_config
    from netdyn.config.flags import config_data
    from netdyn.studies.bench import bench_coba, bench_consolidation, bench_microcircuit, bench_multiarea, print_record
    from netdyn.sweep.executors import pin_threads

    config = parse_config(args.config_class, config_data(args.config_class, args))
    pin_threads()  # the simulation's own threads only: idle BLAS pools must not spin beside them
    if args.model == "coba":
        record = bench_coba(config.n_neurons, config.duration_ms, seed=config.seed, wiring=config.wiring,
                            integrator=config.integrator, threads=config.threads, connectivity=config.connectivity,
                            backend=config.backend)
    elif args.model == "microcircuit":
        record = bench_microcircuit(config.scale, config.duration_ms, threads=config.threads, seed=config.seed,
                                    connectivity=config.connectivity, backend=config.backend)
    elif args.model == "consolidation":
        record = bench_consolidation(config)
    else:
        record = bench_multiarea(config)
    print_record(record, args.json)
    return 0


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    """The ``netdyn`` argument parser."""
    from netdyn import __version__

    parser = _Parser(prog="netdyn", description="Dynamics of recurrent neural networks.")
    parser.add_argument("--version", action="version", version=f"netdyn {__version__}")
    sub = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    _add_study_command(sub, "chaos", COMMANDS[("chaos",)])
    srnn = sub.add_parser("srnn", help="rate networks with SFA and STD: basic example and sweep",
                          description="The srnn study: 'basic' runs the reference's n = 10 example for none / "
                          "SFA / STD / SFA+STD with Lyapunov exponents; 'sweep' tests the paper's claims over "
                          "many random networks.")
    parts = srnn.add_subparsers(dest="part", required=True, metavar="PART")
    _add_study_command(parts, "basic", COMMANDS[("srnn", "basic")])
    _add_study_command(parts, "sweep", COMMANDS[("srnn", "sweep")])
    _add_study_command(sub, "rsfs", COMMANDS[("rsfs",)])
    multiarea = _add_study_command(sub, "multiarea", COMMANDS[("multiarea",)], out_required=False)
    multiarea_parts = multiarea.add_subparsers(dest="part", metavar="[theory]")
    _add_study_command(multiarea_parts, "theory", COMMANDS[("multiarea", "theory")])
    consolidation = sub.add_parser("consolidation", help="memory consolidation by synaptic tagging and capture",
                                   description="The consolidation study (Luboeinski & Tetzlaff 2021): one protocol "
                                   "per command.")
    protocols = consolidation.add_subparsers(dest="part", required=True, metavar="PROTOCOL")
    for words, command in COMMANDS.items():
        if words[0] == "consolidation":
            _add_study_command(protocols, words[1], command)
    dendrites = sub.add_parser("dendrites", help="dendritic integration in morphologically detailed neurons",
                               description="The dendrites study: synaptic integration on a Ball-and-Rall's tree or "
                               "an SWC morphology, one protocol per command (Rall 1959, 1967; Branco, Clark & "
                               "Hausser 2010).")
    dendrite_protocols = dendrites.add_subparsers(dest="part", required=True, metavar="PROTOCOL")
    for words, command in COMMANDS.items():
        if words[0] == "dendrites":
            _add_study_command(dendrite_protocols, words[1], command)
    _add_network_run(sub)
    _add_network_sweep(sub)
    _add_bench(sub)
    _add_plot(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``netdyn`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"netdyn: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NumericalInstabilityError as exc:
        where = "; ".join(getattr(exc, "__notes__", ()))  # the sweep names the work unit
        print(f"netdyn: numerical error: {exc}" + (f" ({where})" if where else ""), file=sys.stderr)
        return 1
    except NetdynError as exc:
        print(f"netdyn: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("netdyn: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
