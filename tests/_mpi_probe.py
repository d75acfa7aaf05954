"""Where the units of a sweep run under MPI, for ``tests/test_mpi_sweep.py``.

Run as ``mpiexec -n N python -m mpi4py.futures tests/_mpi_probe.py UNITS SLEEP_S`` (with
``tests/`` on ``PYTHONPATH``, so that the worker ranks can import this module): opens the
executor as a sweep does (:func:`netdyn.sweep.open_executor`, MPI detected from the
launcher), runs :func:`worker_info` for each unit and prints one JSON object on stdout:
the executor's type, the driver's rank and process id, and what each unit saw.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def worker_info(unit: int, sleep_s: float = 0.0) -> dict[str, Any]:
    """What the process running ``unit`` is: its MPI rank, pid and thread pinning.

    Parameters
    ----------
    unit
        The unit's label, handed back.
    sleep_s
        Seconds to wait, so that every worker gets a share of the units.

    Returns
    -------
    dict
        ``unit``, ``rank``, ``pid``, ``env`` (the pinning variables), ``pools`` (the
        thread counts threadpoolctl reports) and ``netdyn`` (where its netdyn comes from).
    """
    from mpi4py import MPI
    from threadpoolctl import threadpool_info

    import netdyn

    time.sleep(sleep_s)
    return {
        "unit": unit,
        "rank": MPI.COMM_WORLD.Get_rank(),
        "pid": os.getpid(),
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")},
        "pools": [p["num_threads"] for p in threadpool_info()],
        "netdyn": os.path.dirname(netdyn.__file__),
    }


def main(argv: list[str]) -> int:
    """Run the probe units (``argv``: number of units, seconds each) and print the JSON."""
    from mpi4py import MPI

    import netdyn
    from netdyn.sweep import open_executor

    n_units, sleep_s = int(argv[0]), float(argv[1])
    with open_executor(n_units=n_units) as executor:
        futures = [executor.submit(worker_info, unit, sleep_s) for unit in range(n_units)]
        units = [future.result() for future in futures]
        kind = f"{type(executor).__module__}.{type(executor).__qualname__}"
    print(json.dumps({"executor": kind, "rank": MPI.COMM_WORLD.Get_rank(),
                      "size": MPI.COMM_WORLD.Get_size(), "pid": os.getpid(), "netdyn": os.path.dirname(netdyn.__file__),
                      "units": units}))
    return 0


if __name__ == "__main__":
    # Hand the workers this module by its importable name, not as __main__.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _mpi_probe

    sys.exit(_mpi_probe.main(sys.argv[1:]))
