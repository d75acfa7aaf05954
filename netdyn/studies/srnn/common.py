"""What the two srnn studies share: configuration labels and the seeds of the Lyapunov runs."""

from __future__ import annotations

import numpy as np

from netdyn.config.srnn import CONFIGURATIONS


def coordinate_label(configuration: str) -> str:
    """Label of a configuration in the Datasets: ``"sfa+std"`` -> ``"sfa_std"``."""
    return configuration.replace("+", "_")


def configuration_of(label: str) -> str:
    """The configuration of a coordinate label: ``"sfa_std"`` -> ``"sfa+std"``."""
    name = str(label).replace("_", "+")
    if name not in CONFIGURATIONS:
        raise KeyError(f"{label!r} labels none of the configurations {list(CONFIGURATIONS)}")
    return name


def lyapunov_seed(root: int, *key: int) -> np.random.SeedSequence:
    """Seed of a perturbation direction or QR frame: ``SeedSequence(root, spawn_key=key)``."""
    return np.random.SeedSequence(entropy=root, spawn_key=tuple(int(k) for k in key))
