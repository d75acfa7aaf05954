"""pytest plugin for numba's CUDA simulator: record the argument types of every kernel launch.

With ``NETDYN_KERNEL_SIGNATURES=FILE``, every launch of a netdyn kernel during the session is
typed as numba's CUDA target would type it (arrays by dtype, dimensions and layout; Python ints
as int64) and the distinct ``(module, kernel, signature)`` are pickled to FILE at the end.
``tests/test_gpu_simulated.py`` then compiles each for a real GPU, which the simulator never does.
"""

from __future__ import annotations

import os
import pickle

_SEEN: set[tuple[str, str, tuple]] = set()


def _typeof(arg):
    import numba
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    if isinstance(arg, FakeCUDAArray):
        arg = arg._ary
    return numba.typeof(arg)


def pytest_configure(config):
    if not os.environ.get("NETDYN_KERNEL_SIGNATURES"):
        return
    from numba.cuda.simulator.kernel import FakeCUDAKernel

    launch = FakeCUDAKernel.__call__

    def spy(self, *args):
        module = getattr(self.fn, "__module__", "")
        if not self._device and module.startswith("netdyn."):
            _SEEN.add((module, self.fn.__name__, tuple(_typeof(a) for a in args)))
        return launch(self, *args)

    FakeCUDAKernel.__call__ = spy


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("NETDYN_KERNEL_SIGNATURES")
    if path:
        with open(path, "wb") as f:
            pickle.dump(sorted(_SEEN, key=repr), f)
