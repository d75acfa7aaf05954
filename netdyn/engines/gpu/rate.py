r"""The batched rate engine on the GPU: :math:`r' = r + a(\phi(g W r + I) - r)` for every unit
and trajectory, one thread per (unit, trajectory), CSR weights shared by the whole batch.

The arithmetic is the CPU kernel's (:func:`netdyn.engines.kernels.csr_relax_run`): each row's
products are summed in stored order, the gain of the trajectory's column multiplies the sum,
``a`` is ``dt/tau`` (Euler) or ``1 - exp(-dt/tau)`` (exponential Euler). Only the transfer
functions differ: the device's ``tanh`` (libdevice, within 2 ulp) rather than netdyn's
vectorised polynomial, and the device may fuse a multiply and an add. Trajectories thus agree
with the CPU's to a few ulp per step; chaotic ones part after that, as any two round-offs do,
and their statistics (Lyapunov exponents) agree (:doc:`/gpu`).

Recording happens in the kernel: the sampled units (``SampledUnits``, ``FullState``) and the
twin distances :math:`\|r_{b_0+p} - r_{a_0+p}\|` (``TwinDivergence`` with contiguous pairs),
each pair summed by one block in a fixed order, so a run gives the same numbers every time.
A non-finite value stops the run at the step that made it, with the first such element in the
CPU's row-major order (an atomic minimum of its flat index).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from netdyn.engines.gpu.device import (
    BLOCK,
    blocks_for,
    cuda_or_error,
    fall_back_to_per_step,
    launch_failure as _launch_failure,
    launch_mode,
    persistent_blocks,
)
from netdyn.errors import ConfigError
from netdyn.models.nonlinearity import kernel_code

def check_supported(network: Any, method: str, observers: list, field: str = "backend") -> int:
    """The transfer function's kernel code, or a ConfigError (naming ``field``) for what the GPU
    engine does not run: RK4, a user-defined transfer function, time-varying input, an observer
    without a kernel view, or two of one kind."""
    if method == "rk4":
        raise ConfigError(field, "gpu", "the GPU rate engine integrates with 'euler' or 'exp_euler', not 'rk4'")
    code = kernel_code(network.phi)
    if code is None:
        raise ConfigError(field, "gpu", f"the GPU rate engine runs the built-in transfer functions; "
                                        f"{network.phi.name!r} is user-defined")
    if callable(network.external_input):
        raise ConfigError(field, "gpu", "the GPU rate engine takes a constant external input, not a function of time")
    kinds = []
    for obs in observers:
        view = getattr(obs, "kernel_view", lambda: None)()
        if view is None:
            raise ConfigError(field, "gpu", f"observer {obs.name!r} cannot record inside a GPU kernel (the GPU "
                                            "records SampledUnits, FullState and TwinDivergence of contiguous pairs)")
        if view[0] in kinds:
            raise ConfigError(field, "gpu", f"the GPU rate engine records one observer of each kind; "
                                            f"two are of kind {view[0]!r}")
        kinds.append(view[0])
    return int(code)


def integrate_gpu(network: Any, state: np.ndarray, gain: np.ndarray, rate: float, code: int, observers: list,
                  n_steps: int, t0_ms: float, dt_ms: float, progress: Callable[[int], None] | None,
                  progress_every: int) -> np.ndarray:
    """Integrate ``state`` (``(n, batch)``, the batch's dtype) for ``n_steps`` on the GPU and
    fill the observers' records (already started); returns the final state on the host.

    Raises
    ------
    NumericalInstabilityError
        At the first non-finite value, with step, time, trajectory and unit.
    """
    from netdyn.engines.rate import _instability

    cuda = cuda_or_error()
    from netdyn.engines.gpu import rate_kernels as kernels

    _NONE = kernels.NONE
    dtype = state.dtype
    n, batch = state.shape
    w = network.weights
    csr = w.tocsr() if sp.issparse(w) else sp.csr_matrix(np.asarray(w))
    indptr = cuda.to_device(csr.indptr.astype(np.int64))
    indices = cuda.to_device(csr.indices.astype(np.int32))
    data = cuda.to_device(csr.data.astype(dtype))
    inp_host = network.input_at(t0_ms)
    inp = cuda.to_device(np.zeros(n, dtype) if inp_host is None else np.ascontiguousarray(inp_host, dtype=dtype))
    views = {view[0]: view[1:] for view in (obs.kernel_view() for obs in observers)}
    empty = np.zeros(0, dtype=np.int64)
    rows, cols, samp_every, samp_host = views.get("sample", (empty, empty, 1, np.zeros((0, 0, 0), dtype)))
    a0, b0, pair_every, pair_host = views.get("pairs", (0, 0, 1, np.zeros((0, 0))))
    samp_rows, samp_cols = cuda.to_device(np.asarray(rows, np.int64)), cuda.to_device(np.asarray(cols, np.int64))
    samp_data = cuda.to_device(samp_host)
    pair_data = cuda.to_device(pair_host)
    a = cuda.to_device(np.ascontiguousarray(state))
    b = cuda.device_array_like(a)
    g = cuda.to_device(np.ascontiguousarray(gain, dtype=dtype))
    status = cuda.to_device(np.array([_NONE, _NONE, 0, _NONE], dtype=np.int64))  # see rate_kernels
    r = dtype.type(rate)
    mode = launch_mode()
    k = 0
    while k < n_steps:
        m = min(max(1, progress_every), n_steps - k)
        if mode == "persistent":
            args = (indptr, indices, data, a, b, g, inp, r, code, k, m, samp_rows, samp_cols, samp_every, samp_data,
                    a0, b0, pair_every, pair_data, status)
            try:
                blocks = persistent_blocks(kernels.relax_persistent, args, blocks_for(n * batch))
                kernels.relax_persistent[blocks, BLOCK](*args)
            except Exception as exc:  # nothing ran: this chunk again, a launch per step
                if not _launch_failure(exc):
                    raise
                mode = fall_back_to_per_step(exc)
                continue
        else:
            blocks = blocks_for(n * batch)
            for s in range(m):
                cur, nxt = (a, b) if s % 2 == 0 else (b, a)
                kernels.relax_one[blocks, BLOCK](indptr, indices, data, cur, nxt, g, inp, r, code, k + s, samp_rows,
                                              samp_cols, samp_every, samp_data, a0, b0, pair_every, pair_data,
                                              status)
        flags = status.copy_to_host()  # one copy a chunk: steps done, failed step, first bad element
        failed = int(flags[kernels.FAILED])
        if mode == "persistent":
            done = int(flags[kernels.DONE])
        else:
            done = m if failed == _NONE else failed - k
        if done % 2 == 1:  # an odd number of steps left the latest values in b
            a, b = b, a
        bad = _NONE if failed == _NONE else int(flags[failed % 2])
        if bad != _NONE:
            value = float(b.copy_to_host().flat[bad])  # the failing step's output (a holds its input)
            unit, col = divmod(bad, batch)
            step = k + done
            raise _instability(unit, col, value, step, t0_ms + step * dt_ms)
        k += m
        if progress is not None:
            progress(m)
    samp_host[...] = samp_data.copy_to_host()
    pair_host[...] = pair_data.copy_to_host()
    return a.copy_to_host()
