"""Write the example network files of this directory from netdyn's own models.

    python examples/networks/generate.py [DIR]     (default: this directory)

Each file is a NetworkSpec with a [run] table (netdyn.studies.network_file.NetworkFile), for
``netdyn run FILE --out DIR`` and ``netdyn sweep FILE --set ... --seeds ... --out DIR``;
tests/test_example_networks.py checks that the files here are what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from netdyn.config.network_file import RunSettings
from netdyn.config.rsfs import RsfsConfig
from netdyn.studies.coba import coba_spec
from netdyn.studies.microcircuit import microcircuit_spec
from netdyn.studies.network_file import NetworkFile
from netdyn.studies.rsfs import rsfs_spec

HERE = Path(__file__).resolve().parent


def example_files() -> dict[str, NetworkFile]:
    """File name -> what it holds."""
    return {
        # Vogels & Abbott (2005) / Brette et al. (2007) benchmark 1: 4000 LIF neurons with
        # conductance synapses, self-sustained at 21-22 Hz
        "coba.toml": NetworkFile.of(coba_spec(4000, seed=1), RunSettings(duration_ms=1000.0, transient_ms=200.0)),
        # the rsfs study's 4000 RS + 1000 FS AdEx network and its afferent bump at 1000 ms, with
        # Poisson afferent counts (NEST cannot express the seed's Bernoulli-per-step drive)
        "rsfs.toml": NetworkFile.of(rsfs_spec(RsfsConfig(afferent_statistics="poisson")),
                                    RunSettings(duration_ms=1500.0, transient_ms=350.0)),
        # the Potjans-Diesmann microcircuit at 10 % of its neurons (7,717) and 1 % of its synapses
        "microcircuit-0.1.toml": NetworkFile.of(microcircuit_spec(0.1, seed=1),
                                                RunSettings(duration_ms=1000.0, transient_ms=200.0)),
    }


def write_examples(directory: str | Path = HERE) -> list[Path]:
    """Write every example file into ``directory``; their paths."""
    return [file.save(Path(directory) / name) for name, file in example_files().items()]


if __name__ == "__main__":
    for path in write_examples(sys.argv[1] if len(sys.argv) > 1 else HERE):
        print(path)
