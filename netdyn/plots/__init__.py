"""Publication figures of the seed studies (matplotlib ``Figure`` objects, no pyplot)."""

from netdyn.plots.chaos import make_chaos_figure, plot_chaos_figure

__all__ = ["make_chaos_figure", "plot_chaos_figure"]
