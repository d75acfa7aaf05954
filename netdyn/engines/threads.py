"""Threads inside one simulation: a pool of Python threads running compiled code without the
GIL, and a barrier that compiled code waits at, which sleeps rather than spins.

An engine that runs on several threads calls :func:`run_parallel` with a function of the thread
index; each thread calls a ``nogil`` compiled function, which partitions the work by thread
index and meets the others at :func:`barrier_wait` where one phase must finish before the next
(the spiking engine: once per time step). Results never depend on the number of threads: each
engine assigns every sum to one thread and keeps its order (see the engines).

The barrier spins for a bounded number of checks (about 1 ms, yielding the core after every
64; no spin when there are more threads than cores) and then sleeps on a POSIX condition
variable: a thread that waits must not keep a core from others for long. A wait within the
spin costs a few atomic loads; a thread that has gone to sleep costs a system call to wake
(see :data:`SPIN_ROUNDS`). The yield matters on a shared machine: a spinning thread then hands its core to the thread it
waits for (``benchmarks/spiking_threads.py --busy-neighbour``).

POSIX only (Linux, macOS): elsewhere :func:`check_threads` refuses more than one thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from typing import Any, Callable, TypeVar

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from netdyn.errors import ConfigError

T = TypeVar("T")

SPIN_ROUNDS = 2000
"""Rounds of :data:`SPIN_BURST` checks of the barrier's generation, each followed by
``sched_yield``, before a waiting thread sleeps (of the order of a millisecond on an idle core,
about a step of a large network). With 100 rounds instead, ``benchmarks/spiking_threads.py``
measured COBA with 100,000 neurons 1.65x faster on 2 threads than on 1 (the threads fell asleep
and had to be woken at many steps), with 2000 rounds 1.79x. The yield hands the core to any
other runnable thread, so the spin does not take a core from the thread it waits for."""

SPIN_BURST = 64


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def check_threads(value: Any, field: str = "threads") -> int:
    """``value`` as a thread count >= 1; :class:`ConfigError` naming ``field`` otherwise, or
    when more than one thread is asked for on a platform without POSIX threads."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(field, value, "must be an integer >= 1")
    if value > 1 and not _posix():
        raise ConfigError(field, value, f"threads inside one simulation need POSIX threads (Linux, macOS); "
                                        f"this is {sys.platform}")
    return int(value)


def _posix() -> bool:
    return sys.platform != "win32"


def run_parallel(work: Callable[[int], T], n_threads: int) -> list[T]:
    """``[work(0), ..., work(n_threads - 1)]``, each on its own thread (``work(0)`` on the
    caller's); the first exception raised is raised again here after all have ended."""
    if n_threads == 1:
        return [work(0)]
    results: list[Any] = [None] * n_threads
    errors: list[BaseException] = []

    def call(tid: int) -> None:
        try:
            results[tid] = work(tid)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            errors.append(exc)

    others = [threading.Thread(target=call, args=(tid,), name=f"netdyn-{tid}", daemon=True)
              for tid in range(1, n_threads)]
    for th in others:
        th.start()
    call(0)
    for th in others:
        th.join()
    if errors:
        raise errors[0]
    return results


# ----------------------------------------------------------------------------- atomics
def _int64_atomic(result: Any, emit: Callable[..., Any], doc: str, with_value: bool) -> Any:
    """An intrinsic ``f(arr, idx)`` or ``f(arr, idx, val)`` on element ``idx`` of an int64 array:
    ``emit(builder, pointer, val)`` writes the instruction (``val`` None for a load)."""

    def typing(arr: Any) -> Any:
        sig = result(arr, types.intp, types.int64) if with_value else result(arr, types.intp)

        def codegen(context, builder, signature, args):  # pragma: no cover - compiled
            a = context.make_array(signature.args[0])(context, builder, args[0])
            out = emit(builder, builder.gep(a.data, [args[1]]), args[2] if with_value else None)
            return context.get_dummy_value() if out is None else out

        return sig, codegen

    if with_value:
        def typer(typingctx, arr, idx, val):  # pragma: no cover - compiled
            return typing(arr)
    else:
        def typer(typingctx, arr, idx):  # pragma: no cover - compiled
            return typing(arr)
    typer.__doc__ = doc
    return intrinsic(typer)


atomic_load = _int64_atomic(types.int64, lambda b, ptr, _: b.load_atomic(ptr, "acquire", 8),
                            "``arr[idx]`` of an int64 array, loaded with acquire ordering.", False)
atomic_store = _int64_atomic(types.void, lambda b, ptr, val: b.store_atomic(val, ptr, "release", 8),
                             "``arr[idx] = val`` on an int64 array, with release ordering.", True)
atomic_add = _int64_atomic(types.int64, lambda b, ptr, val: b.atomic_rmw("add", ptr, val, "acq_rel"),
                           "``arr[idx] += val`` on an int64 array, atomically; returns the value before.", True)


# ----------------------------------------------------------------------------- barrier
_MUTEX_BYTES = _COND_BYTES = 256  # larger than pthread_mutex_t / pthread_cond_t on Linux and macOS


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None)


def _pthread_calls() -> tuple[Any, ...]:
    libc = _libc()
    calls = []
    for name, n_args in (("pthread_mutex_lock", 1), ("pthread_mutex_unlock", 1), ("pthread_cond_wait", 2),
                         ("pthread_cond_broadcast", 1), ("sched_yield", 0)):
        fn = getattr(libc, name)
        fn.argtypes = [ctypes.c_size_t] * n_args  # addresses, passed as integers from compiled code
        fn.restype = ctypes.c_int
        calls.append(fn)
    return tuple(calls)  # type: ignore[return-value]


class SleepingBarrier:
    """A barrier for ``n_threads`` threads of compiled code (see :func:`barrier_wait`).

    Holds a POSIX mutex and condition variable in memory of its own and the shared counters
    ``ctrl`` (arrivals, generation). Pass ``args`` (a tuple: the POSIX calls, the mutex's and
    condition variable's addresses, ``ctrl``, the thread count and the spin) to the compiled
    code, which calls ``barrier_wait(*args)``.
    """

    def __init__(self, n_threads: int, spin: int | None = None):
        self.n_threads = check_threads(n_threads)
        self.spin = (SPIN_ROUNDS if n_threads <= usable_cores() else 0) if spin is None else int(spin)
        self.ctrl = np.zeros(2, dtype=np.int64)
        if self.n_threads == 1:  # never waits: no POSIX objects needed
            self._memory = np.zeros(0, dtype=np.uint8)
            self.args = (_pthread_calls() if _posix() else _no_calls(), 0, 0, self.ctrl, 1, 0)
            return
        self._memory = np.zeros(_MUTEX_BYTES + _COND_BYTES, dtype=np.uint8)
        mutex = self._memory.ctypes.data
        cond = mutex + _MUTEX_BYTES
        libc = _libc()
        if libc.pthread_mutex_init(ctypes.c_void_p(mutex), None) or libc.pthread_cond_init(ctypes.c_void_p(cond), None):
            raise OSError("could not initialise the threads' barrier (pthread_mutex_init / pthread_cond_init)")
        self.args = (_pthread_calls(), mutex, cond, self.ctrl, self.n_threads, self.spin)

    def reset(self) -> None:
        """Counters to zero (between runs, when no thread waits)."""
        self.ctrl[:] = 0


def _no_calls() -> tuple[Any, ...]:
    """Stand-ins of the POSIX calls where there are none: one thread never calls them."""
    one = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_size_t)(lambda a: 0)
    two = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t)(lambda a, b: 0)
    none = ctypes.CFUNCTYPE(ctypes.c_int)(lambda: 0)
    return (one, one, two, one, none)


@njit(cache=True, nogil=True)
def barrier_wait(calls, mutex, cond, ctrl, n_threads, spin):  # pragma: no cover - compiled
    """Wait until all ``n_threads`` threads have arrived; everything written before by any of
    them is visible after. Spins ``spin`` rounds of checks of the generation, yielding the core
    after each, then sleeps on the condition variable; the last thread to arrive starts the next
    generation and wakes the sleepers."""
    if n_threads == 1:
        return
    lock, unlock, wait, broadcast, yield_core = calls
    gen = atomic_load(ctrl, 1)
    if atomic_add(ctrl, 0, 1) == n_threads - 1:
        atomic_store(ctrl, 0, 0)
        lock(mutex)
        atomic_store(ctrl, 1, gen + 1)
        broadcast(cond)
        unlock(mutex)
        return
    for _ in range(spin):
        for _ in range(SPIN_BURST):
            if atomic_load(ctrl, 1) != gen:
                return
        yield_core()  # returns at once on an idle core; on a busy one, lets the other thread run
    lock(mutex)
    while atomic_load(ctrl, 1) == gen:
        wait(cond, mutex)
    unlock(mutex)
