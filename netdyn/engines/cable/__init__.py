"""The cable engine: morphologically detailed cells (:mod:`netdyn.cells`) simulated on
Arbor's cable solver, with netdyn's mechanisms (:mod:`netdyn.engines.cable.catalogue`)."""

from __future__ import annotations

from netdyn.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "simulate_cell": "netdyn.engines.cable.arbor",
    "load_catalogue": "netdyn.engines.cable.catalogue",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
