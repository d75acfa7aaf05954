"""The analysis of a multi-area simulation, as the model's notebook does it (Schmidt et al. 2018).

Every statistic leaves out the first ``transient_ms`` (500 ms) and runs to the end of the
simulation:

* population rate: spikes over the model's (non-integer) population size and the time;
  area rate: the size-weighted mean of its populations';
* irregularity: the population mean of the revised local variation LvR with R = 2 ms (the
  refractory period), neurons with fewer than three spikes counted as 0 and the population
  padded with zeros to its model size (:func:`netdyn.analysis.population_lvr`);
* correlation coefficient: mean Pearson correlation of 1-ms binned counts of up to 2000
  spiking neurons (:func:`netdyn.analysis.mean_correlation_coefficient`);
* synchrony: CV of the population's 1-ms spike-count histogram;
* rate time series: 1-ms histogram and a Gaussian kernel of Shimazaki & Shinomoto's (2010)
  width (a population with too few spikes to choose the width keeps its histogram), per
  population and size-weighted per area;
* functional connectivity: the correlation matrix of the areas' synaptic inputs
  :math:`I_i(t) = \\sum_j |W_{ij}| K_{ij} r_j(t)` (filtered with the synaptic time constant),
  and its correlation with the experimental fMRI functional connectivity.

The results are one :class:`xarray.Dataset` with dimensions ``area`` (32), ``population``
(8), ``time_ms`` (1-ms bins after the transient), ``source`` (32 areas and ``external``) and
``area_b``; absent populations (TH's layer 4, areas not simulated) hold NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from netdyn.analysis import (
    area_average,
    fc_correlation,
    functional_connectivity,
    kernel_population_rate,
    mean_correlation_coefficient,
    mean_rate,
    population_lvr,
    population_rate,
    population_synchrony,
    synaptic_input,
)
from netdyn.errors import ConfigError
from netdyn.models.multiarea import AREAS, POPULATIONS, area_relative_indegrees, fmri_functional_connectivity
from netdyn.record.spiking import SpikingRecording
from netdyn.studies.multiarea.network import population_label
from netdyn.studies.multiarea.tables import grid

__all__ = ["activity_dataset", "notebook_mean_rate"]

_ATTRS = {
    "n_neurons": {"units": "1", "long_name": "neurons simulated"},
    "rate_hz": {"units": "spikes/s", "long_name": "population rate after the transient"},
    "lvr": {"units": "1", "long_name": "irregularity: mean LvR (R = 2 ms), < 3 spikes and silent neurons as 0"},
    "corrcoef": {"units": "1", "long_name": "mean correlation coefficient of 1-ms counts, up to 2000 neurons"},
    "synchrony": {"units": "1", "long_name": "CV of the 1-ms population spike-count histogram"},
    "population_rate_series_hz": {"units": "spikes/s", "long_name": "1-ms histogram rate"},
    "area_rate_hz": {"units": "spikes/s", "long_name": "size-weighted mean of the area's population rates"},
    "area_rate_series_hz": {"units": "spikes/s", "long_name": "area rate, 1-ms histogram"},
    "area_rate_kernel_hz": {"units": "spikes/s", "long_name": "area rate, Gaussian kernel of optimal width"},
    "synaptic_input": {"units": "pA spikes/s", "long_name": "area synaptic input sum_j |W_ij| K_ij r_j, filtered"},
    "fc_sim": {"units": "1", "long_name": "functional connectivity: correlation of the areas' synaptic inputs"},
    "fc_fmri": {"units": "1", "long_name": "experimental resting-state fMRI functional connectivity"},
    "relative_indegree_full": {"units": "1", "long_name": "area-level indegree / total, full-scale model"},
    "relative_indegree_scaled": {"units": "1", "long_name": "area-level indegree / total, network as built"},
    "mean_field_rate_hz": {"units": "spikes/s", "long_name": "mean-field rate of the same configuration"},
}


def notebook_mean_rate(rates: np.ndarray) -> float:
    """The notebook's "mean firing rate over all simulated populations": the mean of the
    32 x 8 grid with silent populations at 1e-5 spikes/s and TH's two absent layer-4 slots at 0
    (so the sum over the 254 populations divided by 256)."""
    grid_rates = np.where(np.isfinite(rates), np.where(rates == 0, 1e-5, rates), 0.0)
    return float(grid_rates.mean())


def activity_dataset(recording: SpikingRecording, par: dict[str, Any], *, transient_ms: float,
                     max_correlation_neurons: int = 2000,
                     mean_field_rates_hz: np.ndarray | None = None) -> xr.Dataset:
    """The analysis of a recording of the multi-area network (module docstring).

    Parameters
    ----------
    recording
        Spikes of every population (named ``AREA.POP``).
    par
        The model's numbers (:func:`netdyn.models.multiarea.multiarea_parameters`).
    transient_ms
        Initial time left out.
    max_correlation_neurons
        Spiking neurons per population in the correlation coefficient.
    mean_field_rates_hz
        ``(254,)`` mean-field rates of the same configuration, stored beside the simulated ones.
    """
    t0, t1 = float(transient_ms), float(recording.t_stop_ms)
    n_model = par["n_neurons_float"]
    names = par["names"]
    built = par["simulated"] & (par["n_neurons"] > 0)
    n_pop = len(names)
    n_bins = int(math.floor(t1 - t0))
    rate = np.full(n_pop, np.nan)
    lvr = np.full(n_pop, np.nan)
    corr = np.full(n_pop, np.nan)
    sync = np.full(n_pop, np.nan)
    series = np.full((n_pop, n_bins), np.nan)
    kernel = np.full((n_pop, n_bins), np.nan)
    total_spikes = 0
    for i in np.flatnonzero(built):
        spikes = recording.spikes[population_label(names[i])]
        window = spikes.window(t0, t1)
        total_spikes += window.n_spikes
        rate[i] = mean_rate(spikes, t_start_ms=t0, t_stop_ms=t1) * spikes.n_neurons / n_model[i]
        lvr[i] = population_lvr(spikes, t_start_ms=t0, t_stop_ms=t1, R_ms=2.0, n_model=n_model[i])
        corr[i] = mean_correlation_coefficient(spikes, t_start_ms=t0, t_stop_ms=t1, bin_ms=1.0,
                                               max_trains=max_correlation_neurons)
        sync[i] = population_synchrony(spikes, t_start_ms=t0, t_stop_ms=t1, bin_ms=1.0).count_cv
        series[i] = population_rate(spikes, t_start_ms=t0, t_stop_ms=t1, bin_ms=1.0, n_model=n_model[i]).values[:n_bins]
        try:
            kernel[i] = kernel_population_rate(spikes, t_start_ms=t0, t_stop_ms=t1, sampling_ms=1.0,
                                               n_model=n_model[i]).values[:n_bins]
        except ConfigError:  # too few spikes to choose a bandwidth: the histogram stands in
            kernel[i] = series[i]
    rows = np.flatnonzero(built)
    area_names = [names[i].split("/")[0] for i in rows]

    def by_area(values: np.ndarray) -> np.ndarray:
        """Size-weighted mean over each simulated area's populations; other areas NaN."""
        return area_average(values[rows], n_model[rows], area_names).reindex(area=list(AREAS)).values

    area_series = by_area(series)
    area_kernel = by_area(kernel)
    area_rate = by_area(rate[:, None])[:, 0]
    area_input = by_area(synaptic_input(np.nan_to_num(series), par["indegree"], par["weight_pa"]))
    fc_fmri = fmri_functional_connectivity()
    simulated_areas = np.isin(np.arange(len(AREAS)), par["area_of"][built])
    pairs = np.ix_(simulated_areas, simulated_areas)
    fc_sim = np.full((len(AREAS), len(AREAS)), np.nan)
    fc_r = np.nan
    if simulated_areas.sum() > 1:
        fc_sim[pairs] = functional_connectivity(area_input[simulated_areas])
    if simulated_areas.sum() > 2:
        fc_r = fc_correlation(fc_sim[pairs], fc_fmri[pairs])
    population = ("area", "population")
    data: dict[str, Any] = {
        "n_neurons": (population, grid(np.where(built, par["n_neurons"], 0), par, fill=0).astype(np.int64)),
        "rate_hz": (population, grid(rate, par)),
        "lvr": (population, grid(lvr, par)),
        "corrcoef": (population, grid(corr, par)),
        "synchrony": (population, grid(sync, par)),
        "population_rate_series_hz": (population + ("time_ms",), grid(series, par)),
        "area_rate_hz": (("area",), area_rate),
        "area_rate_series_hz": (("area", "time_ms"), area_series),
        "area_rate_kernel_hz": (("area", "time_ms"), area_kernel),
        "synaptic_input": (("area", "time_ms"), area_input),
        "fc_sim": (("area", "area_b"), fc_sim),
        "fc_fmri": (("area", "area_b"), fc_fmri),
        "relative_indegree_full": (("area", "source"), area_relative_indegrees(par)),
        "relative_indegree_scaled": (("area", "source"), area_relative_indegrees(par, realised=True)),
    }
    if mean_field_rates_hz is not None:
        data["mean_field_rate_hz"] = (population, grid(np.asarray(mean_field_rates_hz, dtype=float), par))
    ds = xr.Dataset(
        {name: (dims, values, _ATTRS[name]) for name, (dims, values) in data.items()},
        coords={"area": np.array(AREAS, dtype=object), "population": np.array(POPULATIONS, dtype=object),
                "time_ms": ("time_ms", t0 + np.arange(n_bins, dtype=float), {"units": "ms",
                                                                             "long_name": "start of the 1-ms bin"}),
                "source": np.array([*AREAS, "external"], dtype=object), "area_b": np.array(AREAS, dtype=object)},
    )
    n_created = int(par["n_neurons"][built].sum())  # all spikes over all neurons, as NEST counts
    ds.attrs.update({
        "network_rate_hz": total_spikes / n_created / ((t1 - t0) * 1e-3) if n_created else float("nan"),
        "mean_rate_hz": notebook_mean_rate(ds["rate_hz"].values),
        "fc_vs_fmri_r": float(fc_r),
        "transient_ms": t0, "t_sim_ms": t1,
        "n_spikes_after_transient": int(total_spikes),
    })
    return ds
