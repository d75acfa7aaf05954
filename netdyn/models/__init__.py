"""Declarative network specs: what a network is, not how it is integrated.

Names are loaded on first use (the SRNN's compiled kernels only when asked for).
"""

from netdyn.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Nonlinearity": "netdyn.models.nonlinearity",
    "RateNetwork": "netdyn.models.rate",
    "SRNNetwork": "netdyn.models.srnn",
    "SampledInput": "netdyn.models.inputs",
    "get_nonlinearity": "netdyn.models.nonlinearity",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
