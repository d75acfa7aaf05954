"""Publication figures of the seed studies (matplotlib ``Figure`` objects, no pyplot)."""

from netdyn.plots.activity import make_activity_figure, plot_activity_figure
from netdyn.plots.chaos import make_chaos_figure, plot_chaos_figure
from netdyn.plots.srnn import (
    make_srnn_sweep_figure,
    make_srnn_trajectory_figure,
    plot_srnn_sweep_figure,
    plot_srnn_trajectory_figure,
)

__all__ = [
    "make_activity_figure",
    "plot_activity_figure",
    "make_chaos_figure",
    "plot_chaos_figure",
    "make_srnn_trajectory_figure",
    "plot_srnn_trajectory_figure",
    "make_srnn_sweep_figure",
    "plot_srnn_sweep_figure",
]
