"""Run a sweep's pending work units on an executor and write each one as it finishes.

A unit function takes one unit (its coordinate value along the store's ``unit_dim``) and
returns an :class:`xarray.Dataset` with every data variable of the store that has
``unit_dim`` (``unit_dim`` of length 1 or absent). A Dataset, not a dict of arrays: it
carries dimension names, so the store can check the result's layout before writing it.

The function runs in worker processes, so it must be picklable: a module-level function or
a :func:`functools.partial` of one. It must draw its random numbers from
``netdyn.seeding.child_generator(root_seed, unit)`` (or a spawn key derived from the unit),
never from state that depends on which worker runs it.

All writes happen in the calling process (one writer), each as soon as its unit finishes.
"""

from __future__ import annotations

import pickle
import sys
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any, Callable, Hashable, Iterable, Iterator

from tqdm import tqdm

from netdyn.sweep.executors import SerialExecutor, executor_width
from netdyn.sweep.store import SweepStore

__all__ = ["run_units"]


def _check_picklable(fn: Callable[..., Any], executor: Executor) -> None:
    """Fail early, in this process, when ``fn`` cannot be sent to workers."""
    if isinstance(executor, SerialExecutor):
        return
    try:
        pickle.dumps(fn)
    except Exception as exc:  # noqa: BLE001 - pickling raises many types
        raise TypeError(
            f"the unit function {fn!r} cannot be pickled ({exc}); use a module-level "
            "function or a functools.partial of one"
        ) from exc


def _in_flight_limit(executor: Executor, max_in_flight: int | None, n_units: int) -> int:
    """How many units to keep submitted at once.

    The serial executor runs a unit when it is submitted, so it gets one at a time (each is
    written before the next starts); local pools get twice their workers; other executors
    (Dask, MPI) get everything at once and schedule it themselves.
    """
    if max_in_flight is not None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        return max_in_flight
    if isinstance(executor, SerialExecutor):
        return 1
    width = executor_width(executor)
    if width is not None and type(executor).__module__.startswith("concurrent.futures"):
        return 2 * width
    return max(n_units, 1)


def _pending_in_order(units: Iterable[Hashable], store: SweepStore) -> list[Hashable]:
    """``units`` that are not completed in ``store`` (each must be a unit of the store)."""
    units = list(dict.fromkeys(units))  # each unit once, first-seen order
    for unit in units:
        store.position(unit)  # KeyError for a unit the store does not know
    pending = set(store.pending())
    return [u for u in units if u in pending]


def _submit_more(
    executor: Executor,
    fn: Callable[[Any], Any],
    todo: Iterator[Hashable],
    in_flight: dict[Future, Hashable],
    limit: int,
) -> None:
    """Top ``in_flight`` up to ``limit`` futures from ``todo``."""
    while len(in_flight) < limit:
        unit = next(todo, _DONE)
        if unit is _DONE:
            return
        in_flight[executor.submit(fn, unit)] = unit


_DONE = object()


def _collect(
    executor: Executor,
    fn: Callable[[Any], Any],
    todo: list[Hashable],
    store: SweepStore,
    limit: int,
    bar: Any,
) -> list[Hashable]:
    """Submit, wait, write as units finish; return the units written, in finishing order."""
    computed: list[Hashable] = []
    remaining = iter(todo)
    in_flight: dict[Future, Hashable] = {}
    current: Hashable = None
    try:
        _submit_more(executor, fn, remaining, in_flight, limit)
        while in_flight:
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                current = in_flight.pop(future)
                store.write_unit(current, future.result())
                computed.append(current)
                bar.update(1)
            current = None
            _submit_more(executor, fn, remaining, in_flight, limit)
    except Exception as exc:
        for future in in_flight:
            future.cancel()
        where = "submitting units" if current is None else (
            f"computing work unit {store.unit_dim}={current!r}")
        exc.add_note(f"while {where} ({len(computed)} units of this run written before)")
        raise
    except BaseException:
        for future in in_flight:
            future.cancel()
        raise
    return computed


def run_units(
    fn: Callable[[Any], Any],
    units: Iterable[Hashable],
    *,
    store: SweepStore,
    executor: Executor,
    progress: bool = True,
    desc: str = "sweep",
    max_in_flight: int | None = None,
) -> list[Hashable]:
    """Compute ``fn(unit)`` for every unit of ``units`` not yet completed in ``store``.

    Parameters
    ----------
    fn
        Picklable unit function, ``fn(unit) -> xr.Dataset`` (see the module docstring).
    units
        Units to run, coordinate values along ``store.unit_dim``; completed ones are
        skipped.
    store
        Where results go; each is written (by this process) as soon as it is done.
    executor
        Any :class:`concurrent.futures.Executor`, e.g. from
        :func:`netdyn.sweep.open_executor`.
    progress
        Show a tqdm bar on stderr (only when stderr is a terminal).
    desc
        Label of the progress bar.
    max_in_flight
        Units submitted at once (default: see ``_in_flight_limit``).

    Returns
    -------
    list
        The units computed by this call, in the order they finished.

    Raises
    ------
    Exception
        The first exception of a unit (or of writing its result), re-raised with a note
        naming the unit, after cancelling the units not yet started. Units written before
        stay written.
    """
    todo = _pending_in_order(units, store)
    if not todo:
        return []
    _check_picklable(fn, executor)
    limit = _in_flight_limit(executor, max_in_flight, len(todo))
    with tqdm(total=len(todo), desc=desc, unit="unit", file=sys.stderr,
              disable=None if progress else True, dynamic_ncols=True) as bar:
        return _collect(executor, fn, todo, store, limit, bar)
