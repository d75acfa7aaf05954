"""Where this process stands among the ranks an MPI launcher (``mpiexec``, ``mpirun``, ``srun``
with PMI) started, read from the launcher's environment, without importing MPI."""

from __future__ import annotations

import os

RANK_ENV_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")
"""Variables in which MPI launchers give this process's rank."""

SIZE_ENV_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MV2_COMM_WORLD_SIZE")
"""Variables in which MPI launchers give the number of ranks."""


def _first_integer(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return default


def launched_rank() -> int:
    """This process's MPI rank (0 outside ``mpiexec``)."""
    return _first_integer(RANK_ENV_VARS, 0)


def launched_ranks() -> int:
    """Number of MPI ranks this process was started among (1 outside ``mpiexec``)."""
    return _first_integer(SIZE_ENV_VARS, 1)
