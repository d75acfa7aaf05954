"""Figures of the ``srnn`` study, built from its result Datasets.

* :func:`make_srnn_trajectory_figure` (:mod:`netdyn.plots.srnn.trajectory`): one
  configuration of the basic example, six stacked panels sharing the time axis.
* :func:`make_srnn_sweep_figure` (:mod:`netdyn.plots.srnn.sweep`): the sweep over random
  networks, bounded fractions and Lyapunov exponents against weight scale and timescale.

The ``plot_*`` functions write the figures to PNG and PDF.
"""

from netdyn.plots.common import minmax_decimate
from netdyn.plots.srnn.sweep import (
    SWEEP_FIGSIZE_IN,
    SWEEP_PANEL_LABELS,
    make_srnn_sweep_figure,
    plot_srnn_sweep_figure,
    wilson_interval,
)
from netdyn.plots.srnn.trajectory import (
    MAX_POINTS,
    TRAJECTORY_FIGSIZE_IN,
    TRAJECTORY_PANEL_LABELS,
    make_srnn_trajectory_figure,
    plot_srnn_trajectory_figure,
)

__all__ = [
    "make_srnn_trajectory_figure",
    "plot_srnn_trajectory_figure",
    "make_srnn_sweep_figure",
    "plot_srnn_sweep_figure",
    "wilson_interval",
    "minmax_decimate",
    "MAX_POINTS",
    "TRAJECTORY_FIGSIZE_IN",
    "TRAJECTORY_PANEL_LABELS",
    "SWEEP_FIGSIZE_IN",
    "SWEEP_PANEL_LABELS",
]
