"""netdyn: simulate and analyse the dynamics of recurrent neural networks.

Layers, data flowing one way::

    config -> connectivity / models -> engines (+ record observers) -> analysis -> plots
                                   \\-> sweep (grids x trials over executors, Zarr results)

The seed studies (``netdyn.studies``) compose these layers; the CLI (``netdyn``) runs them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netdyn")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
