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


def _add_plot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="redraw a study's figure from its results")
    p.add_argument("study", choices=["chaos"])
    p.add_argument("--out", required=True, type=Path, help="the study's output directory")
    p.set_defaults(run=_run_plot)


def _run_plot(args: argparse.Namespace) -> int:
    import xarray as xr

    from netdyn.plots.chaos import plot_chaos_figure
    from netdyn.studies.chaos import FIGURE_STEM, RESULTS_NAME

    path = args.out / RESULTS_NAME
    if not path.exists():
        raise ConfigError("out", str(args.out), f"holds no {RESULTS_NAME}")
    ds = xr.open_zarr(path).load()
    for fig in plot_chaos_figure(ds, args.out / FIGURE_STEM):
        print(f"figure:  {fig}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from netdyn import __version__

    parser = argparse.ArgumentParser(prog="netdyn", description="Dynamics of recurrent neural networks.")
    parser.add_argument("--version", action="version", version=f"netdyn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_chaos(sub)
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
