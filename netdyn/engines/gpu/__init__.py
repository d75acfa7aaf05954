"""The GPU back-end: numba-cuda kernels for the batched rate engine and the static spiking
networks, selected with ``integrate(..., backend="gpu")`` and ``Network(spec, backend="gpu")``.

The models, specs, inputs and recordings are the CPU engines'; only the step loop runs on the
device (:mod:`netdyn.engines.gpu.rate`, :mod:`netdyn.engines.gpu.spiking`). Nothing here is
imported by ``import netdyn``: numba's CUDA target loads when a GPU run is asked for, and
:func:`~netdyn.engines.gpu.device.cuda_or_error` names the ``backend`` when no GPU (or no CUDA)
is there. With ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run in numba's CUDA simulator, which
is how the test suite checks them on machines without a GPU (:doc:`/gpu`).
"""
