"""Command line: ``netdyn <study> ...`` and ``netdyn plot <study> ...``.

Bad input ends with one line ``netdyn: error: invalid FIELD=VALUE: reason`` on stderr and
exit code 2, before anything is written. A numerical blow-up ends with exit code 1 and a
message naming the step, the time and the trajectory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from netdyn.errors import ConfigError, NetdynError, NumericalInstabilityError

EXIT_USAGE = 2


def _float_list(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _add_chaos(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chaos",
        help="synaptic upscaling and chaos in random rate networks (seed 000)",
        description="Run the chaos study: sessions x gains x trials of twin tanh-rate trajectories; "
        "writes results.zarr, summary.json and figure.png/pdf into --out. A rerun with the same "
        "arguments resumes an interrupted run.",
    )
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--config", type=Path, help="TOML or JSON file with the same keys (command-line flags win)")
    p.add_argument("--sessions", type=int, help="number of networks (default 5)")
    p.add_argument("--trials", type=int, help="initial states per session (default 20)")
    p.add_argument("--gains", type=_float_list, help="comma-separated upscaling factors (default 1,4,...,22)")
    p.add_argument("--n-neurons", dest="n_neurons", type=int, help="units per network (default 200)")
    p.add_argument("--p", type=float, help="connection probability (default 0.1)")
    p.add_argument("--duration-ms", dest="duration_ms", type=float, help="simulated time (default 7000)")
    p.add_argument("--dt-ms", dest="dt_ms", type=float, help="integration step (default 1)")
    p.add_argument("--method", help="integrator: euler (default), rk4, exp_euler")
    p.add_argument("--seed", type=int, help="root seed (default 1234)")
    p.add_argument("--workers", type=int, help="local worker processes (default: one per core; 0: in this process)")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT")
    p.add_argument("--mpi", action="store_true", default=None, help="use mpi4py.futures (automatic under mpirun)")
    p.add_argument("--store-trial-divergence", dest="store_trial_divergence", action="store_true", default=None,
                   help="also store d(t) of every trial in results.zarr")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figure")
    p.set_defaults(run=_run_chaos)


def _add_srnn(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "srnn",
        help="rate networks with SFA and STD: basic example and sweep (seed 002)",
        description="The srnn study: 'basic' runs the reference's n = 10 example for none / SFA / STD / "
        "SFA+STD with Lyapunov exponents; 'sweep' tests the paper's claims over many random networks "
        "(resumable: rerun the same command after an interruption).",
    )
    parts = p.add_subparsers(dest="part", required=True, metavar="PART")
    b = parts.add_parser("basic", help="the basic example (n = 10, 20 s, four configurations)",
                         description="Writes results.zarr, summary.json and figure_<configuration>.png/pdf into --out.")
    b.add_argument("--out", required=True, type=Path, help="output directory")
    b.add_argument("--config", type=Path, help="TOML or JSON file with SRNNBasicConfig keys (flags win)")
    b.add_argument("--network-seed", dest="network_seed", type=int, help="connectivity seed (default 42000 = spec 'seed 42')")
    b.add_argument("--w-ee-factor", dest="w_ee_factor", type=float, help="multiplies w_EE (default 1)")
    b.add_argument("--t-start-s", dest="t_start_s", type=float, help="start (s, default -10)")
    b.add_argument("--t-end-s", dest="t_end_s", type=float, help="end (s, default 10)")
    b.add_argument("--dt-s", dest="dt_s", type=float, help="step and output grid (s, default 0.001)")
    b.add_argument("--method", help="integrator: rk4 (default) or dopri5")
    b.add_argument("--spectrum-exponents", dest="spectrum_exponents", type=int, help="leading QR exponents (default 4; 0: none)")
    b.add_argument("--configurations", type=_str_list, help="comma-separated subset of none,sfa,std,sfa+std")
    b.add_argument("--seed", type=int, help="seed of the Lyapunov perturbations (default 11)")
    b.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    b.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figures")
    b.set_defaults(run=_run_srnn, keys=("network_seed", "w_ee_factor", "t_start_s", "t_end_s", "dt_s", "method",
                                         "spectrum_exponents", "configurations", "seed"))

    w = parts.add_parser("sweep", help="random networks x weight scale x adaptation x slowest timescale",
                         description="Writes results.zarr, summary.json and figure.png/pdf into --out.")
    w.add_argument("--out", required=True, type=Path, help="output directory")
    w.add_argument("--config", type=Path, help="TOML or JSON file with SRNNSweepConfig keys (flags win)")
    w.add_argument("--networks", type=int, help="random networks (default 6)")
    w.add_argument("--n-units", dest="n_units", type=int, help="neurons per network (default 200)")
    w.add_argument("--e-fraction", dest="e_fraction", type=float, help="fraction of E neurons (default 0.8)")
    w.add_argument("--mean-degree", dest="mean_degree", type=float, help="mean in/out degree (default 10)")
    w.add_argument("--weight-scales", dest="weight_scales", type=_float_list, help="comma-separated weight scales (default 0.125,0.25,0.5,1,2,4)")
    w.add_argument("--configurations", type=_str_list, help="comma-separated subset of none,sfa,std,sfa+std")
    w.add_argument("--tau-slowest-s", dest="tau_slowest_s", type=_float_list, help="comma-separated slowest timescales (s, default 2,15)")
    w.add_argument("--transient-s", dest="transient_s", type=float, help="transient before t = 0 (s, default 2)")
    w.add_argument("--duration-s", dest="duration_s", type=float, help="averaged span (s, default 4)")
    w.add_argument("--dt-s", dest="dt_s", type=float, help="RK4 step (s, default 0.001)")
    w.add_argument("--spectrum-exponents", dest="spectrum_exponents", type=int, help="leading QR exponents (default 2; 0: none)")
    w.add_argument("--seed", type=int, help="root seed (default 2024)")
    w.add_argument("--workers", type=int, help="local worker processes (default: one per core; 0: in this process)")
    w.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT")
    w.add_argument("--mpi", action="store_true", default=None, help="use mpi4py.futures (automatic under mpirun)")
    w.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    w.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figure")
    w.set_defaults(run=_run_srnn, keys=("networks", "n_units", "e_fraction", "mean_degree", "weight_scales",
                                         "configurations", "tau_slowest_s", "transient_s", "duration_s", "dt_s",
                                         "spectrum_exponents", "seed"))


def _str_list(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _run_srnn(args: argparse.Namespace) -> int:
    from netdyn.config import load_config, parse_config
    from netdyn.config.srnn import SRNNBasicConfig, SRNNSweepConfig
    from netdyn.studies.srnn import run_srnn_basic, run_srnn_sweep

    spec = SRNNBasicConfig if args.part == "basic" else SRNNSweepConfig
    overrides: dict[str, Any] = {k: getattr(args, k) for k in args.keys if getattr(args, k) is not None}
    config = load_config(spec, args.config, **overrides) if args.config else parse_config(spec, overrides)
    if args.part == "basic":
        outputs = run_srnn_basic(config, args.out, figure=args.figure, progress=args.progress)
    else:
        if args.workers is not None and args.workers < 0:
            raise ConfigError("workers", args.workers, "must be >= 0")
        outputs = run_srnn_sweep(config, args.out, workers=args.workers, scheduler=args.scheduler,
                                 use_mpi=args.mpi, progress=args.progress, figure=args.figure)
    print(f"results: {outputs.results}")
    print(f"summary: {outputs.summary}")
    for path in outputs.figures:
        print(f"figure:  {path}")
    return 0


def _run_chaos(args: argparse.Namespace) -> int:
    from netdyn.config import load_config, parse_config
    from netdyn.config.chaos import ChaosConfig
    from netdyn.studies.chaos import run_chaos

    keys = ("sessions", "trials", "gains", "n_neurons", "p", "duration_ms", "dt_ms", "method", "seed",
            "store_trial_divergence")
    overrides: dict[str, Any] = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    config = load_config(ChaosConfig, args.config, **overrides) if args.config else parse_config(ChaosConfig, overrides)
    if args.workers is not None and args.workers < 0:
        raise ConfigError("workers", args.workers, "must be >= 0")
    outputs = run_chaos(
        config, args.out, workers=args.workers, scheduler=args.scheduler, use_mpi=args.mpi,
        progress=args.progress, figure=args.figure,
    )
    print(f"results: {outputs.results}")
    print(f"summary: {outputs.summary}")
    for path in outputs.figures:
        print(f"figure:  {path}")
    return 0


def _add_rsfs(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rsfs",
        help="RS-FS AdEx network driven by an afferent bump (seed 001)",
        description="Run the rsfs study: 4000 RS + 1000 FS AdEx neurons, fixed-indegree wiring, afferent "
        "drive 4 + 4 exp(-(t-1000)^2/(2 100^2)) Hz; writes recording.h5, summary.json and "
        "figure.png/pdf into --out.",
    )
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--config", type=Path, help="TOML or JSON file with the keys of RsfsConfig (flags win)")
    p.add_argument("--seed", type=int, help="root seed (default 5)")
    p.add_argument("--tstop-ms", dest="tstop_ms", type=float, help="simulated time (default 1500)")
    p.add_argument("--dt-ms", dest="dt_ms", type=float, help="integration step (default 0.1)")
    p.add_argument("--n-exc", dest="n_exc", type=int, help="excitatory neurons (default 4000)")
    p.add_argument("--n-inh", dest="n_inh", type=int, help="inhibitory neurons (default 1000)")
    p.add_argument("--afferent-statistics", dest="afferent_statistics", choices=["bernoulli", "poisson"],
                   help="afferent events per step: at most one (the seed, default) or Poisson")
    p.add_argument("--seeds", type=_int_list, help="comma-separated seeds: run each as a work unit of a sweep "
                   "(seeds.zarr + seeds_summary.json, resumable) instead of one recorded run")
    p.add_argument("--workers", type=int, help="with --seeds: local worker processes (0: in this process)")
    p.add_argument("--scheduler", help="with --seeds: Dask scheduler address tcp://HOST:PORT")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bar")
    p.add_argument("--no-figure", dest="figure", action="store_false", help="skip the figure")
    p.set_defaults(run=_run_rsfs)


def _run_rsfs(args: argparse.Namespace) -> int:
    from netdyn.config import load_config, parse_config
    from netdyn.config.rsfs import RsfsConfig
    from netdyn.studies.rsfs import run_rsfs

    keys = ("seed", "tstop_ms", "dt_ms", "n_exc", "n_inh", "afferent_statistics")
    overrides: dict[str, Any] = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    config = load_config(RsfsConfig, args.config, **overrides) if args.config else parse_config(RsfsConfig, overrides)
    if args.workers is not None and args.workers < 0:
        raise ConfigError("workers", args.workers, "must be >= 0")
    if args.seeds is not None:
        from netdyn.studies.rsfs import SEEDS_NAME, SEEDS_SUMMARY_NAME, run_rsfs_seeds

        run_rsfs_seeds(config, args.seeds, args.out, workers=args.workers, scheduler=args.scheduler,
                       progress=args.progress is not False)
        print(f"results: {args.out / SEEDS_NAME}")
        print(f"summary: {args.out / SEEDS_SUMMARY_NAME}")
        return 0
    outputs = run_rsfs(config, args.out, figure=args.figure, progress=args.progress)
    print(f"recording: {outputs.recording}")
    print(f"summary:   {outputs.summary}")
    for path in outputs.figures:
        print(f"figure:    {path}")
    return 0


def _add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="time the benchmark models (one JSON line per run with --json)",
                       description="Build and run a benchmark model with netdyn's engine; benchmarks/spiking.py "
                       "runs the same models in Brian2 and NEST and prints the ratios.")
    models = p.add_subparsers(dest="model", required=True, metavar="MODEL")
    coba = models.add_parser("coba", help="Vogels-Abbott COBA network (spec spiking.md section 5)")
    coba.add_argument("--n-neurons", dest="n_neurons", type=int, default=4000)
    coba.add_argument("--connectivity", choices=["bernoulli", "fixed_indegree"], default="bernoulli")
    coba.add_argument("--integrator", choices=["exp_euler", "euler"], default="exp_euler",
                      help="membrane integrator of the cells (euler: Brian2's method='euler')")
    micro = models.add_parser("microcircuit", help="Potjans-Diesmann microcircuit (spec microcircuit.md)")
    micro.add_argument("--scale", type=float, default=0.1)
    micro.add_argument("--threads", type=int, default=1)
    for q in (coba, micro):
        q.add_argument("--duration-ms", dest="duration_ms", type=float, default=1000.0)
        q.add_argument("--seed", type=int, default=1)
        q.add_argument("--json", action="store_true", help="print one JSON line")
    p.set_defaults(run=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from netdyn.studies.bench import bench_coba, bench_microcircuit, print_record
    from netdyn.sweep.executors import pin_threads

    pin_threads()  # one simulation thread: idle BLAS pools must not spin beside it
    if args.model == "coba":
        record = bench_coba(args.n_neurons, args.duration_ms, seed=args.seed, connectivity=args.connectivity,
                            integrator=args.integrator)
    else:
        if not args.scale > 0 or args.scale > 1:
            raise ConfigError("scale", args.scale, "must lie in (0, 1]")
        record = bench_microcircuit(args.scale, args.duration_ms, threads=args.threads, seed=args.seed)
    print_record(record, args.json)
    return 0


def _add_plot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="redraw a study's figure from its results")
    p.add_argument("study", choices=["chaos", "srnn", "rsfs"])
    p.add_argument("--out", required=True, type=Path, help="the study's output directory")
    p.set_defaults(run=_run_plot)


def _run_plot(args: argparse.Namespace) -> int:
    if args.study == "rsfs":
        return _plot_rsfs(args.out)
    import xarray as xr

    if args.study == "srnn":
        from netdyn.studies.srnn import plot_results

        for fig in plot_results(args.out):
            print(f"figure:  {fig}")
        return 0

    from netdyn.plots.chaos import plot_chaos_figure
    from netdyn.studies.chaos import FIGURE_STEM, RESULTS_NAME

    path = args.out / RESULTS_NAME
    if not path.exists():
        raise ConfigError("out", str(args.out), f"holds no {RESULTS_NAME}")
    ds = xr.open_zarr(path).load()
    for fig in plot_chaos_figure(ds, args.out / FIGURE_STEM):
        print(f"figure:  {fig}")
    return 0


def _plot_rsfs(out: Path) -> int:
    from netdyn.io.hdf5 import read_recording
    from netdyn.plots.activity import plot_activity_figure
    from netdyn.studies.rsfs import FIGURE_STEM, RECORDING_NAME

    path = out / RECORDING_NAME
    if not path.exists():
        raise ConfigError("out", str(out), f"holds no {RECORDING_NAME}")
    for fig in plot_activity_figure(read_recording(path), out / FIGURE_STEM, rate_smoothing_ms=5.0):
        print(f"figure:  {fig}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from netdyn import __version__

    parser = argparse.ArgumentParser(prog="netdyn", description="Dynamics of recurrent neural networks.")
    parser.add_argument("--version", action="version", version=f"netdyn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_chaos(sub)
    _add_srnn(sub)
    _add_rsfs(sub)
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
