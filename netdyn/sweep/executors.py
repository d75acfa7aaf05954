"""Executors that run the work units of a sweep.

:func:`open_executor` yields a :class:`concurrent.futures.Executor`; the sweep runner
(:func:`netdyn.sweep.run_units`) only ever calls ``submit`` on it, so any of these work:

``workers=0``
    :class:`SerialExecutor`: runs each unit in this process when it is submitted. For
    debugging (breakpoints, profilers) and tests.
default
    :class:`concurrent.futures.ProcessPoolExecutor` with ``workers`` (default
    ``os.cpu_count()``) local processes. Embedded: no server, nothing to start by hand.
``scheduler="tcp://host:port"``
    A Dask distributed cluster, through ``distributed.Client(address).get_executor()``.
``use_mpi=True``, or running under ``mpirun`` / ``mpiexec``
    :class:`mpi4py.futures.MPIPoolExecutor` (``pip install netdyn[mpi]``); see *MPI* below.

Results never depend on the executor: every unit draws its random numbers from
:func:`netdyn.seeding.child_generator` with its own spawn key.

Threads
-------
The machines this runs on may have few cores, where several processes each spinning a
full-size BLAS / OpenMP / numba thread pool collapse. Every worker process therefore runs
:func:`pin_threads`: it sets ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``, ``NUMBA_NUM_THREADS`` ... to 1 (read by libraries imported later) and
limits the pools already loaded to one thread with :mod:`threadpoolctl`. Local pool workers
are started while these variables are set in the parent's environment, so a spawned worker
has them before it imports anything heavy. Dask workers run it through a worker plugin
(existing workers and those joining later); MPI workers through the pool's initializer.

Start method of local workers
-----------------------------
On Linux the pool forks when the parent has no other Python thread and numba has not
launched its threading layer (forking a process whose other threads may hold locks can
deadlock the child); otherwise it spawns. Measured on the 2-core development machine
(Python 3.11, pool of 2 workers, parent with numpy, xarray, zarr and dask imported, median
of 3), time until both workers have answered a no-op: fork 0.02 s, forkserver 0.4 s,
spawn 0.5 s (a spawned worker re-imports the parent's ``__main__`` and netdyn, numpy,
xarray ...), and spawn adds 0.25 s at shutdown. Fork is what makes ``workers=2`` worth it
for sweeps of a few seconds. With spawn, a script that starts a sweep must guard its entry
point with ``if __name__ == "__main__":`` and the unit function must live in an importable
module. All workers are started when the executor opens, before any progress-bar thread
exists.

MPI
---
Start the run through :mod:`mpi4py.futures`, so that rank 0 runs the sweep (and writes every
result) while the other ``N - 1`` ranks serve as workers::

    mpiexec -n N python -m mpi4py.futures -m netdyn.cli chaos --out results/chaos
    mpiexec -n N python -m mpi4py.futures script.py ...

The workers are the other ranks: leave ``workers`` unset (or give ``N - 1``). Open MPI
refuses to run as root without ``--allow-run-as-root`` (or ``OMPI_ALLOW_RUN_AS_ROOT=1``
and ``OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1``) and more ranks than cores without
``--oversubscribe``. Started under ``mpiexec -n N`` with ``N > 1`` but without
``-m mpi4py.futures``, every rank would run the whole sweep into the same store, so that
is refused (:class:`~netdyn.errors.ConfigError`, field ``mpi``) before anything is written.
A single process (``mpiexec -n 1 python script.py``, or ``use_mpi=True`` outside
``mpiexec``) spawns ``workers`` new processes with ``MPI_Comm_spawn``; where the MPI library
cannot spawn them the run stops with a ConfigError instead of waiting forever.
``tests/test_mpi_sweep.py`` runs the command above with ``N = 3`` and compares the stored
numbers with those of a local run, bit for bit.

SLURM with dask-jobqueue
------------------------
Start a cluster of SLURM jobs and hand its scheduler address to the sweep::

    from dask_jobqueue import SLURMCluster          # pip install netdyn[jobqueue]

    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="02:00:00",
                           job_script_prologue=["export NUMBA_NUM_THREADS=1"])
    cluster.scale(jobs=32)                          # or cluster.adapt(maximum_jobs=64)
    print(cluster.scheduler_address)                # tcp://10.1.2.3:8786
    # then: netdyn sweep ... --scheduler tcp://10.1.2.3:8786
    # or:   with open_executor(scheduler=cluster.scheduler_address) as ex: ...

The cluster object must stay alive while the sweep runs (keep it in a running Python
session or start the scheduler with ``dask scheduler`` in the batch script). Workers need
netdyn installed in the same version as the process that runs the sweep.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import sys
import threading
import time
import warnings
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator

from netdyn.errors import ConfigError

__all__ = [
    "PIN_ENV",
    "SerialExecutor",
    "check_execution",
    "choose_start_method",
    "executor_width",
    "mpi_environment",
    "mpi_requested",
    "open_executor",
    "pin_threads",
]

#: Environment variables set to ``"1"`` in every worker process.
PIN_ENV: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}

#: Environment variables set by MPI launchers (Open MPI, MPICH / Intel MPI, PMIx, MVAPICH).
MPI_ENV_VARS: tuple[str, ...] = (
    "OMPI_COMM_WORLD_SIZE",
    "PMI_SIZE",
    "PMIX_RANK",
    "MV2_COMM_WORLD_SIZE",
)

#: Seconds :func:`open_executor` waits for a Dask scheduler unless told otherwise.
DEFAULT_CONNECT_TIMEOUT_S = 5.0

#: Seconds to wait for the MPI workers to answer before giving up (spawning may be slow).
MPI_START_TIMEOUT_S = 120.0

#: How to start a run under MPI, for error messages.
MPI_LAUNCH = "mpiexec -n N python -m mpi4py.futures -m netdyn.cli STUDY ... (a script: " \
    "mpiexec -n N python -m mpi4py.futures script.py ...)"

_SCHEDULER_RE = re.compile(
    r"^(?P<scheme>tcp|tls|ucx|ws|wss)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)"
    r"(?::(?P<port>\d{1,5}))?/?$"
)

_threadpool_limiter: Any = None  # keeps the threadpoolctl limiter of this process alive


# --------------------------------------------------------------------------- thread pinning


def pin_threads() -> None:
    """Limit this process to one thread per numeric library.

    Sets :data:`PIN_ENV` in ``os.environ`` (read by libraries imported afterwards), limits
    the BLAS / OpenMP pools already loaded with :func:`threadpoolctl.threadpool_limits`, and
    limits numba's parallel pool. Idempotent; meant for worker processes, not for the
    process a user works in.
    """
    global _threadpool_limiter
    os.environ.update(PIN_ENV)
    from threadpoolctl import threadpool_limits

    _threadpool_limiter = threadpool_limits(limits=1)
    if "numba" in sys.modules:
        _pin_numba()


def _pin_numba() -> None:
    """Limit numba's parallel pool to one thread (numba already imported)."""
    try:
        from numba.np.ufunc import parallel

        if not parallel._is_initialized:
            # The pool is not started yet: make it start with one thread.
            import numba

            numba.config.NUMBA_NUM_THREADS = 1
            parallel.NUM_THREADS = 1
            return
        import numba

        numba.set_num_threads(1)  # pool running: mask it (for this thread)
    except Exception:  # pragma: no cover - numba internals moved; env var still applies
        pass


def _watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Exit this worker when its parent has died (it would otherwise be orphaned)."""
    while True:
        time.sleep(interval_s)
        if os.getppid() != parent_pid:
            os._exit(1)


def _local_worker_init(parent_pid: int) -> None:
    """Initializer of local pool workers: pin threads, exit with the parent."""
    pin_threads()
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="netdyn-parent-watch", daemon=True
    ).start()


def _noop(i: int) -> int:
    return i


@contextlib.contextmanager
def _pinned_environ() -> Iterator[None]:
    """Set :data:`PIN_ENV` in this process's environment for the block, then restore."""
    saved = {k: os.environ.get(k) for k in PIN_ENV}
    os.environ.update(PIN_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --------------------------------------------------------------------------- serial


class SerialExecutor(Executor):
    """Executor that runs each call in this process, at ``submit`` time.

    The returned future is already done (result or exception). For debugging and tests;
    :func:`netdyn.sweep.run_units` submits one unit at a time to it, so units are still
    written as they finish.
    """

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now and return a finished future."""
        if self._shutdown:
            raise RuntimeError("cannot submit to a SerialExecutor after shutdown")
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            if not isinstance(exc, Exception):
                raise
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse further submissions (nothing is ever pending)."""
        self._shutdown = True


# --------------------------------------------------------------------------- selection


def mpi_environment() -> str | None:
    """``"NAME=value"`` of the first MPI launcher variable set, or None outside MPI.

    An Open MPI process that initialised MPI without a launcher (a "singleton": any library
    that imports ``mpi4py.MPI``, elephant for one) leaves ``OMPI_MCA_ess=singleton`` and
    ``PMIX_RANK`` in the environment its child processes inherit; that is not a launcher
    (``mpiexec`` sets ``OMPI_MCA_ess=^singleton``), so it gives None.
    """
    if os.environ.get("OMPI_MCA_ess") == "singleton":
        return None
    for name in MPI_ENV_VARS:
        if name in os.environ:
            return f"{name}={os.environ[name]}"
    return None


def _thread_matters(thread: threading.Thread) -> bool:
    """Whether ``thread`` makes forking unsafe.

    Ignored: zarr's I/O event loop (``zarr_io``) and its ``asyncio_*`` file workers, idle
    whenever this thread is not inside a zarr call, and reset by zarr in a forked child
    (``os.register_at_fork``); tqdm's monitor thread, which only sleeps and reads bars.
    """
    if thread is threading.main_thread():
        return False
    if thread.daemon and (thread.name == "zarr_io" or thread.name.startswith("asyncio_")):
        return False
    monitor = sys.modules.get("tqdm._monitor")
    return not (monitor is not None and isinstance(thread, monitor.TMonitor))


def choose_start_method() -> str:
    """``"fork"`` when forking is safe and cheap here, else ``"spawn"``.

    Fork needs Linux, no other Python thread that matters (a lock held by another thread at
    fork time stays locked forever in the child; see ``_thread_matters``) and numba's
    threading layer not yet launched (GNU OpenMP is not fork-safe).
    """
    if not sys.platform.startswith("linux"):
        return "spawn"
    if "fork" not in multiprocessing.get_all_start_methods():
        return "spawn"  # pragma: no cover
    if any(_thread_matters(t) for t in threading.enumerate()):
        return "spawn"
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and getattr(parallel, "_is_initialized", False):
        return "spawn"
    return "fork"


def executor_width(executor: Executor) -> int | None:
    """Number of units ``executor`` runs at once, when it can be told cheaply, else None."""
    if isinstance(executor, SerialExecutor):
        return 1
    width = getattr(executor, "_max_workers", None)
    return int(width) if isinstance(width, int) and width > 0 else None


def _check_workers(workers: int | None) -> None:
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ConfigError(
            "workers", workers, "must be a whole number >= 0 (0: run in this process)"
        )


def _check_scheduler(scheduler: str) -> str:
    """Validate a scheduler address, return it stripped."""
    if not isinstance(scheduler, str):
        raise ConfigError("scheduler", scheduler, "must be an address like tcp://host:8786")
    address = scheduler.strip()
    match = _SCHEDULER_RE.match(address)
    if match is None:
        raise ConfigError(
            "scheduler",
            scheduler,
            "is not a scheduler address; expected PROTOCOL://HOST:PORT with PROTOCOL one of "
            "tcp, tls, ucx, ws, wss, e.g. tcp://10.0.0.5:8786",
        )
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ConfigError("scheduler", scheduler, f"port {port} is not in 1..65535")
    return address


def check_execution(
    workers: int | None = None, scheduler: str | None = None, use_mpi: bool | None = None
) -> str | None:
    """Check the arguments of :func:`open_executor` without opening anything.

    Returns
    -------
    str or None
        The scheduler address, stripped.

    Raises
    ------
    ConfigError
        Bad ``workers`` or ``scheduler``, a scheduler with MPI or with ``workers``, or
        ``workers=0`` with MPI.
    """
    _check_workers(workers)
    if scheduler is not None:
        scheduler = _check_scheduler(scheduler)
        if use_mpi:
            raise ConfigError("scheduler", scheduler, "give either a scheduler or MPI, not both")
        if workers is not None:
            raise ConfigError(
                "workers",
                workers,
                "the Dask cluster behind the scheduler decides the number of workers; "
                "leave workers unset with a scheduler",
            )
    elif workers == 0 and use_mpi:
        raise ConfigError("workers", 0, "0 runs every unit in this process; not with MPI")
    return scheduler


# --------------------------------------------------------------------------- executors


@contextlib.contextmanager
def open_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    use_mpi: bool | None = None,
    *,
    start_method: str | None = None,
    connect_timeout: float | None = None,
    n_units: int | None = None,
) -> Iterator[Executor]:
    """Open the executor that runs a sweep's work units; shut it down on exit.

    Parameters
    ----------
    workers
        Local worker processes (default ``os.cpu_count()``, at most ``n_units``); ``0``
        runs every unit in this process (:class:`SerialExecutor`). Must be left unset with
        ``scheduler`` (the cluster decides). Under ``python -m mpi4py.futures`` the workers
        are the other ranks: unset or their number. A single MPI process spawns
        ``workers`` (default as for local processes).
    scheduler
        Address of a running Dask scheduler, ``"tcp://host:port"``.
    use_mpi
        True: :class:`mpi4py.futures.MPIPoolExecutor`. None: the same when an MPI launcher
        is detected (:func:`mpi_environment`), ``workers`` is not 0 and no scheduler is
        given. False: never.
    start_method
        ``"fork"``, ``"spawn"`` or ``"forkserver"`` for local processes; default
        :func:`choose_start_method`.
    connect_timeout
        Seconds to wait for the Dask scheduler (default :data:`DEFAULT_CONNECT_TIMEOUT_S`).
    n_units
        Number of units to run, if known: the default number of local (or spawned MPI)
        workers is at most this.

    Yields
    ------
    concurrent.futures.Executor

    Raises
    ------
    ConfigError
        Bad ``workers`` / ``scheduler`` / ``start_method``, an unreachable scheduler, both a
        scheduler and MPI; (field ``mpi``) MPI without mpi4py, several MPI ranks not started
        through ``python -m mpi4py.futures``, MPI workers that do not start.
    """
    scheduler = check_execution(workers, scheduler, use_mpi)
    if scheduler is not None:
        timeout = DEFAULT_CONNECT_TIMEOUT_S if connect_timeout is None else connect_timeout
        with _dask_executor(scheduler, timeout) as executor:
            yield executor
        return
    default_workers = os.cpu_count() or 1
    if n_units is not None:
        default_workers = max(1, min(default_workers, n_units))
    mpi_reason = mpi_requested(workers, scheduler, use_mpi)
    if mpi_reason is not None:
        with _mpi_executor(workers, mpi_reason, default_workers) as executor:
            yield executor
        return
    if workers == 0:
        executor = SerialExecutor()
        try:
            yield executor
        finally:
            executor.shutdown()
        return
    with _process_executor(workers or default_workers, start_method) as executor:
        yield executor


def mpi_requested(
    workers: int | None = None, scheduler: str | None = None, use_mpi: bool | None = None
) -> str | None:
    """Why :func:`open_executor` would run the units under MPI, or None if it would not.

    Returns
    -------
    str or None
        ``"use_mpi=True"``, the launcher variable that was detected (``"NAME=value"``,
        see :func:`mpi_environment`), or None.
    """
    if scheduler is not None or use_mpi is False:
        return None
    if use_mpi:
        return "use_mpi=True"
    return mpi_environment() if workers != 0 else None


@contextlib.contextmanager
def _process_executor(workers: int, start_method: str | None) -> Iterator[Executor]:
    """Local process pool, all workers started and pinned before it is yielded."""
    method = start_method or choose_start_method()
    if method not in multiprocessing.get_all_start_methods():
        raise ConfigError(
            "start_method",
            start_method,
            f"must be one of {multiprocessing.get_all_start_methods()}",
        )
    with _pinned_environ(), warnings.catch_warnings():
        # Python >= 3.12 warns on fork with any other thread; ours were checked above.
        warnings.filterwarnings(
            "ignore", message=".*multi-threaded.*fork", category=DeprecationWarning
        )
        executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_local_worker_init,
            initargs=(os.getpid(),),
        )
        try:
            for future in [executor.submit(_noop, i) for i in range(workers)]:
                future.result()
        except BrokenProcessPool as exc:
            _stop_process_pool(executor)
            raise RuntimeError(
                f"the worker processes (start method {method!r}) died while starting; with "
                "spawn, the script that runs the sweep must guard its entry point with "
                "`if __name__ == \"__main__\":` (or use workers=0 to debug)"
            ) from exc
        except BaseException:
            _stop_process_pool(executor)
            raise
    try:
        yield executor
    except BaseException:
        _stop_process_pool(executor)
        raise
    executor.shutdown(wait=True)


def _stop_process_pool(executor: ProcessPoolExecutor) -> None:
    """Cancel what is queued, terminate our workers (a unit may run for long), join."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
    executor.shutdown(wait=True)


def _pin_threads_plugin() -> Any:
    """A Dask worker plugin running :func:`pin_threads` on every worker, present and future."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class PinThreadsPlugin(WorkerPlugin):
        name = "netdyn-pin-threads"

        def setup(self, worker: Any) -> None:
            pin_threads()

    return PinThreadsPlugin()


@contextlib.contextmanager
def _dask_executor(address: str, connect_timeout: float) -> Iterator[Executor]:
    """Executor of a Dask cluster, through a client this function owns."""
    from distributed import Client

    try:
        client = Client(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            "scheduler",
            address,
            f"cannot connect to a Dask scheduler there within {connect_timeout:g} s ({exc}); "
            "check that the scheduler runs and the address and port are right",
        ) from None
    try:
        client.register_plugin(_pin_threads_plugin())
        executor = client.get_executor(pure=False)
        try:
            yield executor
        finally:
            executor.shutdown(wait=False)
    finally:
        client.close()


def _mpi_shared_pool() -> bool | None:
    """Whether this process runs under ``python -m mpi4py.futures`` (its shared pool of ranks).

    None when this mpi4py keeps the pool where netdyn does not look (private module
    attribute: ``_core.SharedPool`` in mpi4py 4, ``_lib.SharedPool`` in mpi4py 3).
    """
    for name in ("mpi4py.futures._core", "mpi4py.futures._lib"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "SharedPool"):
            return module.SharedPool is not None
    return None


@contextlib.contextmanager
def _mpi_executor(workers: int | None, reason: str, default_workers: int) -> Iterator[Executor]:
    """:class:`mpi4py.futures.MPIPoolExecutor` with pinned workers, started and checked."""
    try:
        from mpi4py import MPI
        from mpi4py.futures import MPIPoolExecutor
    except ImportError:
        raise ConfigError(
            "mpi",
            reason,
            "MPI requested but mpi4py is not installed: pip install netdyn[mpi] "
            "(needs an MPI library), or run without MPI (use_mpi=False)",
        ) from None
    size = MPI.COMM_WORLD.Get_size()
    shared = _mpi_shared_pool()
    if shared:
        # `python -m mpi4py.futures`: rank 0 runs this, the other ranks are the workers.
        ranks = max(size - 1, 1)
        if workers is not None and workers != ranks:
            raise ConfigError(
                "workers",
                workers,
                f"under `mpiexec -n {size} python -m mpi4py.futures` the workers are the "
                f"{ranks} other rank(s); leave workers unset or change mpiexec's -n",
            )
        executor = MPIPoolExecutor(initializer=pin_threads)
    elif size > 1 and shared is not None:
        raise ConfigError(
            "mpi",
            reason,
            f"started as {size} MPI ranks without mpi4py.futures, so every rank would run the "
            f"whole sweep into the same results; start it as {MPI_LAUNCH}",
        )
    else:
        executor = MPIPoolExecutor(max_workers=workers or default_workers,
                                   initializer=pin_threads)
    try:
        _wait_for_mpi_workers(executor, reason, MPI_START_TIMEOUT_S)
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _wait_for_mpi_workers(executor: Executor, reason: str, timeout_s: float) -> None:
    """Return once a worker of ``executor`` has answered; raise instead of hanging.

    mpi4py starts its workers in a thread; when that fails (``MPI_Comm_spawn`` refused, the
    initializer raised) the thread dies or the pool is marked broken, and a future submitted
    before would never finish.
    """
    future = executor.submit(_noop, 0)
    deadline = time.monotonic() + timeout_s
    while True:
        done, _ = wait([future], timeout=0.1)
        if done:
            try:
                future.result()
            except Exception as exc:  # noqa: BLE001 - BrokenExecutor, initializer failures
                raise ConfigError("mpi", reason, f"the MPI workers failed to start ({exc}); "
                                  f"start the run as {MPI_LAUNCH}") from exc
            return
        thread = getattr(getattr(executor, "_pool", None), "thread", None)
        if thread is not None and not thread.is_alive():
            raise ConfigError("mpi", reason, "the MPI workers could not be started (see the "
                              f"MPI error above); start the run as {MPI_LAUNCH}")
        if time.monotonic() > deadline:
            raise ConfigError("mpi", reason, f"no MPI worker answered within {timeout_s:g} s; "
                              f"start the run as {MPI_LAUNCH}")
