"""The protocols of the ``dendrites`` study by name, and one entry point for all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netdyn.errors import ConfigError
from netdyn.studies.dendrites.bombardment import BOMBARDMENT
from netdyn.studies.dendrites.branco2010 import BRANCO2010
from netdyn.studies.dendrites.brt_integration import BRT_INTEGRATION
from netdyn.studies.dendrites.voltage_gradient import VOLTAGE_GRADIENT

__all__ = ["PROTOCOLS", "run_dendrites"]

#: Each protocol's study, by its name on the command line.
#:
#: :meta hide-value:
PROTOCOLS = {"brt-integration": BRT_INTEGRATION, "voltage-gradient": VOLTAGE_GRADIENT,
             "branco2010": BRANCO2010, "bombardment": BOMBARDMENT}


def run_dendrites(protocol: str, config: Any = None, out: str | Path = "results/dendrites", *,
                  figure: bool = True, progress: bool | None = None):
    """Run ``protocol`` with ``config`` (its config class, a mapping of its fields, or None for
    the defaults) into directory ``out``; returns :class:`netdyn.sweep.StudyOutputs`."""
    from netdyn.sweep import run_study

    if protocol not in PROTOCOLS:
        raise ConfigError("protocol", protocol, f"expected one of {', '.join(PROTOCOLS)}")
    study = PROTOCOLS[protocol]
    return run_study(study, {} if config is None else config, out, progress=progress, figure=figure)
