"""Sweeps: a grid of work units run over any executor, results in one resumable Zarr store.

Typical use::

    store = SweepStore.create_or_open(out / "results.zarr", template, "unit", config_json)
    with open_executor(workers=4) as executor:          # or scheduler="tcp://...", use_mpi
        run_units(partial(simulate_unit, cfg), store.pending(), store=store, executor=executor)

See :mod:`netdyn.sweep.executors`, :mod:`netdyn.sweep.store` and :mod:`netdyn.sweep.runner`.
"""

from netdyn.sweep.executors import SerialExecutor, open_executor, pin_threads
from netdyn.sweep.runner import run_units
from netdyn.sweep.store import COMPLETED_VAR, SweepStore

__all__ = [
    "COMPLETED_VAR",
    "SerialExecutor",
    "SweepStore",
    "open_executor",
    "pin_threads",
    "run_units",
]
