"""A toy sweep for ``tests/test_sweep.py``: deterministic units, the same as two toy studies on
the driver (:data:`TOY`, :data:`TOY_SINGLE`), and a CLI for the kill test.

Run as a script (``python tests/_sweep_toy.py OUT --units 8 --sleep 0.4 --workers 2``) it
runs the sweep into ``OUT`` and prints the units it computed as JSON on stdout.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from typing import Any

from pathlib import Path

import numpy as np
import xarray as xr
from pydantic import Field

from netdyn import atomic
from netdyn.config import Spec
from netdyn.seeding import child_generator
from netdyn.sweep import SingleRunStudy, SweepStore, SweepStudy, open_executor, run_units
from netdyn.sweep.study import STUDY_ATTR

ROOT_SEED = 20240607
N_TIME = 16
N_NEURONS = 5
SHARED_KEY = 2**31  # spawn key of the shared draw, outside the unit keys


def config_json(n_units: int, root_seed: int = ROOT_SEED) -> str:
    """The configuration of the toy sweep (what changes the numbers, nothing else)."""
    return json.dumps({"study": "toy", "root_seed": root_seed, "n_units": n_units,
                       "n_time": N_TIME, "n_neurons": N_NEURONS}, sort_keys=True)


def make_template(n_units: int, root_seed: int = ROOT_SEED) -> xr.Dataset:
    """Layout: units on a (session x gain) grid, a trace per unit, shared weights (values)."""
    units = np.arange(n_units)
    nan = np.full((n_units, N_TIME), np.nan)
    return xr.Dataset(
        {
            "trace": (("unit", "time"), nan, {"units": "a.u."}),
            "mean": (("unit",), np.full(n_units, np.nan)),
            "n_spikes": (("unit",), np.zeros(n_units, dtype=np.int64)),
            "weights": (("neuron",), shared_weights(root_seed)),
        },
        coords={
            "unit": units,
            "session": ("unit", units // 4),
            "gain": ("unit", 1.0 + 0.25 * (units % 4)),
            "time": np.arange(N_TIME) * 0.5,
        },
    )


def toy_unit(unit: int, *, root_seed: int, n_units: int, sleep_s: float = 0.0) -> xr.Dataset:
    """Results of one unit: depend only on (root_seed, unit)."""
    gain = float(make_template(n_units)["gain"].values[unit])
    rng = child_generator(root_seed, unit)
    trace = gain * rng.standard_normal(N_TIME)
    if sleep_s:
        time.sleep(sleep_s)
    return xr.Dataset(
        {
            "trace": (("time",), trace),
            "mean": ((), trace.mean()),
            "n_spikes": ((), np.int64(rng.poisson(3.0 * gain))),
        },
        coords={"time": np.arange(N_TIME) * 0.5},
    )


def failing_unit(unit: int, *, bad: int) -> xr.Dataset:
    """Like :func:`toy_unit`, but raises for unit ``bad``."""
    if unit == bad:
        raise FloatingPointError(f"unit {unit} blew up")
    return toy_unit(unit, root_seed=ROOT_SEED, n_units=8)


def worker_threads(_: Any) -> dict[str, Any]:
    """What a worker sees: pinning environment and threadpoolctl's pool sizes."""
    from threadpoolctl import threadpool_info

    return {"env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")},
            "pools": [p["num_threads"] for p in threadpool_info()], "pid": os.getpid()}


def shared_weights(root_seed: int) -> np.ndarray:
    """The values of the shared variable ``weights`` (no unit dimension)."""
    return child_generator(root_seed, SHARED_KEY).standard_normal(N_NEURONS)


def run(out: str | os.PathLike[str], n_units: int, *, sleep_s: float = 0.0,
        workers: int | None = 0, scheduler: str | None = None,
        start_method: str | None = None, progress: bool = False) -> list:
    """Run (or resume) the toy sweep into ``out``; return the units computed now."""
    fn = functools.partial(toy_unit, root_seed=ROOT_SEED, n_units=n_units, sleep_s=sleep_s)
    # The executor first: bad executor input fails before anything is written.
    with open_executor(workers, scheduler, start_method=start_method) as executor:
        store = SweepStore.create_or_open(out, make_template(n_units), "unit",
                                          config_json(n_units))
        return run_units(fn, store.pending(), store=store, executor=executor,
                         progress=progress, desc="toy")


# --------------------------------------------------------------------------- as studies


class ToyConfig(Spec):
    """Configuration of the toy studies."""

    n_units: int = Field(8, ge=1, description="work units")
    root_seed: int = Field(ROOT_SEED, ge=0, description="root seed")


def study_template(config: ToyConfig) -> xr.Dataset:
    return make_template(config.n_units, config.root_seed)


def study_unit(config_json: str, unit: int) -> xr.Dataset:
    """The toy sweep's unit function in the driver's form."""
    config = ToyConfig.model_validate_json(config_json)
    return toy_unit(unit, root_seed=config.root_seed, n_units=config.n_units)


def study_summary(ds: xr.Dataset) -> dict[str, Any]:
    return {"mean": [float(v) for v in ds["mean"].values], "n_spikes": int(ds["n_spikes"].sum())}


def study_figure(ds: xr.Dataset, out: Path) -> list[Path]:
    """A stand-in figure: the units' means as text."""
    path = out / "figure.txt"
    path.write_text(" ".join(f"{v:.17g}" for v in ds["mean"].values))
    return [path]


TOY = SweepStudy(name="toy", config_class=ToyConfig, unit_dim="unit", template=study_template,
                 unit_function=study_unit, summary=study_summary, figure=study_figure)


def record_values(config: ToyConfig, path: Path, progress: bool | None) -> tuple[np.ndarray, dict[str, Any]]:
    """The toy single run: draws values, writes them to an HDF5 file tagged as its study."""
    import h5py

    values = child_generator(config.root_seed, SHARED_KEY + 1).standard_normal(config.n_units)

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f["values"] = values
            f.attrs[STUDY_ATTR] = "toy-single"

    atomic.write_file(path, write)
    return values, {"sum": float(values.sum())}


def read_values(path: Path) -> np.ndarray:
    import h5py

    with h5py.File(path, "r") as f:
        return f["values"][()]


TOY_SINGLE = SingleRunStudy(name="toy-single", config_class=ToyConfig, results_name="values.h5",
                            run=record_values, reader=read_values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--units", type=int, default=8)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args(argv)
    computed = run(args.out, args.units, sleep_s=args.sleep, workers=args.workers)
    print(json.dumps(computed))
    return 0


if __name__ == "__main__":
    # Hand the workers this module by its importable name, not as __main__.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _sweep_toy

    sys.exit(_sweep_toy.main())
