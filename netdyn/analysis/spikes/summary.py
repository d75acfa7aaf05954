"""Five numbers that summarise the activity of one population in a window: the statistics
``netdyn run`` and ``netdyn sweep`` report for every population of a network file."""

from __future__ import annotations

from typing import Any

import numpy as np

from netdyn.analysis.spikes.correlation import mean_correlation_coefficient
from netdyn.analysis.spikes.irregularity import lvr, mean_isi_cv
from netdyn.analysis.spikes.rates import active_fraction, mean_rate
from netdyn.record.spiking import SpikeTrains

__all__ = ["population_summary"]

SUMMARY_STATISTICS: dict[str, dict[str, str]] = {
    "rate_hz": {"units": "Hz", "long_name": "mean firing rate of the recorded neurons, silent ones included"},
    "cv_isi": {"units": "1", "long_name": "mean CV of the ISIs of the neurons with >= 3 ISIs"},
    "lvr": {"units": "1", "long_name": "mean LvR (R = 5 ms) of the neurons with >= 3 ISIs"},
    "corrcoef": {"units": "1", "long_name": "mean correlation coefficient of 1-ms counts of up to 2000 "
                 "spiking neurons"},
    "active_fraction": {"units": "1", "long_name": "fraction of the recorded neurons with >= 1 spike"},
}
"""Name -> ``units`` and ``long_name`` of each statistic of :func:`population_summary`, in order
(a dict, so not re-exported: import it from this module)."""


def population_summary(spikes: SpikeTrains | Any, senders: Any = None, n_neurons: Any = None,
                       t_start_ms: Any = None, t_stop_ms: Any = None) -> dict[str, float]:
    r"""Five statistics of one population in a window (``SUMMARY_STATISTICS`` of this module).

    * ``rate_hz``: :func:`~netdyn.analysis.spikes.mean_rate` (Hz);
    * ``cv_isi``: :func:`~netdyn.analysis.spikes.mean_isi_cv`, neurons with at least 3 ISIs;
    * ``lvr``: the mean of :func:`~netdyn.analysis.spikes.lvr` with R = 5 ms (Shinomoto et
      al. 2009) over the neurons with at least 3 ISIs (the same neurons as ``cv_isi``);
    * ``corrcoef``: :func:`~netdyn.analysis.spikes.mean_correlation_coefficient` (1-ms bins,
      up to 2000 non-silent neurons, as the multi-area model);
    * ``active_fraction``: :func:`~netdyn.analysis.spikes.active_fraction`, at least one spike.

    Arguments as in :func:`~netdyn.analysis.spikes.firing_rates` (a
    :class:`~netdyn.record.spiking.SpikeTrains` or plain arrays, and the window in ms).

    Returns
    -------
    dict
        Name -> value (float); NaN where a statistic is undefined (no neuron with 3 ISIs,
        fewer than two non-silent neurons).
    """
    args = (spikes, senders, n_neurons, t_start_ms, t_stop_ms)
    per_neuron_lvr = lvr(*args, R_ms=5.0, min_isis=3)
    ok = np.isfinite(per_neuron_lvr)
    return {
        "rate_hz": mean_rate(*args),
        "cv_isi": mean_isi_cv(*args, min_isis=3),
        "lvr": float(per_neuron_lvr[ok].mean()) if ok.any() else float("nan"),
        "corrcoef": mean_correlation_coefficient(*args),
        "active_fraction": active_fraction(*args),
    }
