"""Publication figures of the seed studies (matplotlib ``Figure`` objects, no pyplot).

Names are loaded on first use, so that drawing one study's figure imports only its module.
"""

from netdyn.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "make_activity_figure": "netdyn.plots.activity",
    "plot_activity_figure": "netdyn.plots.activity",
    "make_chaos_figure": "netdyn.plots.chaos",
    "plot_chaos_figure": "netdyn.plots.chaos",
    "make_srnn_trajectory_figure": "netdyn.plots.srnn",
    "plot_srnn_trajectory_figure": "netdyn.plots.srnn",
    "make_srnn_sweep_figure": "netdyn.plots.srnn",
    "plot_srnn_sweep_figure": "netdyn.plots.srnn",
    "make_multiarea_figures": "netdyn.plots.multiarea",
    "plot_multiarea_figures": "netdyn.plots.multiarea",
    "make_mean_field_theory_figure": "netdyn.plots.multiarea",
    "plot_mean_field_theory": "netdyn.plots.multiarea",
    "trace_figure": "netdyn.plots.consolidation",
    "raster_figure": "netdyn.plots.consolidation",
    "screen_figure": "netdyn.plots.consolidation",
    "save_consolidation_figures": "netdyn.plots.consolidation",
    "make_network_sweep_figure": "netdyn.plots.network_sweep",
    "plot_network_sweep": "netdyn.plots.network_sweep",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
