"""Sweeps and studies: work units over any executor, results in one resumable Zarr store.

A study declares itself and runs through one entry point (:mod:`netdyn.sweep.study`)::

    CHAOS = SweepStudy(name="chaos", config_class=ChaosConfig, unit_dim="session",
                       template=results_template, unit_function=simulate_session,
                       summary=summary, figure=draw)
    outputs = run_study(CHAOS, config, "results/chaos", workers=4)   # or scheduler=, use_mpi=
    redraw("results/chaos", [CHAOS])

Underneath, usable on their own::

    store = SweepStore.create_or_open(out / "results.zarr", template, "unit", config_json)
    with open_executor(workers=4) as executor:          # or scheduler="tcp://...", use_mpi
        run_units(partial(simulate_unit, cfg), store.pending(), store=store, executor=executor)

See :mod:`netdyn.sweep.study`, :mod:`netdyn.sweep.executors`, :mod:`netdyn.sweep.store` and
:mod:`netdyn.sweep.runner`.
"""

from netdyn.sweep.executors import SerialExecutor, open_executor, pin_threads
from netdyn.sweep.runner import run_units
from netdyn.sweep.store import COMPLETED_VAR, SweepStore
from netdyn.sweep.study import (
    SingleRunStudy,
    Study,
    StudyOutputs,
    SweepStudy,
    redraw,
    run_study,
)

__all__ = [
    "COMPLETED_VAR",
    "SerialExecutor",
    "SingleRunStudy",
    "Study",
    "StudyOutputs",
    "SweepStore",
    "SweepStudy",
    "open_executor",
    "pin_threads",
    "redraw",
    "run_study",
    "run_units",
]
