"""Finding the GPU, and the launch geometry shared by the GPU kernels.

Every kernel runs in one of two launch modes:

``"persistent"`` (default on a GPU)
    one cooperative launch runs a whole chunk of steps; the steps' phases are separated by
    grid-wide barriers (``cuda.cg.this_grid().sync()``), so a step costs no kernel launch. The
    grid is as large as the device can keep resident at once (a cooperative launch requires it).
``"per_step"``
    one launch per phase of every step, in order on one stream; the same device functions.
    Costs a launch (about 5-20 us of host time) per phase, but needs no cooperative launch: the
    fallback, and the mode of numba's CUDA simulator with more than one block.

``NETDYN_GPU_LAUNCH`` (``persistent`` or ``per_step``) overrides the default.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from netdyn.errors import ConfigError

def simulated() -> bool:
    """True when numba's CUDA simulator stands in for the GPU (``NUMBA_ENABLE_CUDASIM=1``)."""
    from numba import config

    return bool(config.ENABLE_CUDASIM)


BLOCK = 32 if simulated() else 128
"""Threads per block of every kernel (a power of two: block reductions halve it). The simulator
runs a Python thread per GPU thread, hence its smaller blocks."""

LAUNCH_MODES = ("persistent", "per_step")

NO_GPU = ("no CUDA GPU is available to numba (numba.cuda.is_available() is False): install an NVIDIA driver "
          "and numba-cuda, or run on the CPU; NUMBA_ENABLE_CUDASIM=1 runs the GPU kernels in numba's CUDA "
          "simulator (slow; for tests)")


def cuda_or_error(field: str = "backend") -> Any:
    """numba's ``cuda`` module, once a device (or the simulator) is known to be there.

    Raises
    ------
    ConfigError
        Naming ``field`` (value ``"gpu"``), when numba's CUDA target cannot be imported or no
        GPU is visible to it.
    """
    try:
        from numba import cuda
    except Exception as exc:  # an ImportError, or a broken CUDA installation found at import
        raise ConfigError(field, "gpu", f"numba's CUDA target cannot be loaded ({exc})") from None
    try:
        available = cuda.is_available()
    except Exception:
        available = False
    if not available:
        raise ConfigError(field, "gpu", NO_GPU)
    return cuda


def launch_mode(field: str = "NETDYN_GPU_LAUNCH") -> str:
    """The launch mode: ``NETDYN_GPU_LAUNCH`` if set, else ``"persistent"``."""
    mode = os.environ.get("NETDYN_GPU_LAUNCH", "persistent")
    if mode not in LAUNCH_MODES:
        raise ConfigError(field, mode, f"expected one of {list(LAUNCH_MODES)}")
    return mode


def blocks_for(n_items: int) -> int:
    """Blocks of :data:`BLOCK` threads that give every one of ``n_items`` its own thread (>= 1)."""
    return max(1, -(-int(n_items) // BLOCK))


def persistent_blocks(kernel: Any, args: tuple, wanted: int) -> int:
    """Blocks of a cooperative launch of ``kernel`` with ``args``: ``wanted``, at most what the
    device keeps resident at once (one block in the simulator, whose grid barrier is a block
    barrier). Where numba cannot tell, one block per multiprocessor, which is always resident."""
    if simulated():
        return 1
    from numba import cuda

    try:
        types = tuple(kernel.typeof_pyval(a) for a in args)
        if types not in kernel.overloads:
            kernel.compile(types)
        resident = int(kernel.overloads[types].max_cooperative_grid_blocks(BLOCK))
    except Exception:
        resident = int(cuda.get_current_device().MULTIPROCESSOR_COUNT)
    return max(1, min(int(wanted), resident))


def launch_failure(exc: Exception) -> bool:
    """Whether ``exc`` is a failure of a cooperative launch itself (linking the CUDA device
    runtime, a grid that does not fit: a driver or linker error) rather than an error in
    compiling the kernel's code, which is raised."""
    from numba.core.errors import NumbaError

    return not isinstance(exc, NumbaError)


def fall_back_to_per_step(exc: Exception) -> str:
    """Warn that a cooperative launch failed (it needs the CUDA device runtime at link time and a
    grid that fits) and return the launch mode to use instead, ``"per_step"``."""
    warnings.warn(f"netdyn's GPU back-end: a cooperative (persistent) launch failed ({type(exc).__name__}: "
                  f"{exc}); launching every phase of every step instead (slower; set NETDYN_GPU_LAUNCH=per_step "
                  "to skip the attempt)", RuntimeWarning, stacklevel=3)
    return "per_step"
