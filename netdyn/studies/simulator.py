"""What the studies state about how netdyn held a network's synapses (``summary.json``, results'
attributes, benchmark records)."""

from __future__ import annotations

from typing import Any, Mapping


def connectivity_record(net: Any, connectivity: str | Mapping[str, str]) -> dict[str, Any]:
    """The fields that state it: ``connectivity`` as asked (stored, procedural, auto or a
    mapping {projection key: mode}) and ``procedural_projections``, the keys of the
    projections ``net`` regenerates per spike (empty on NEST, which stores every synapse)."""
    return {"connectivity": connectivity if isinstance(connectivity, str) else dict(connectivity),
            "procedural_projections": list(getattr(net, "procedural_keys", []))}
