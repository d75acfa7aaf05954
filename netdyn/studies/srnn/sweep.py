"""The srnn sweep as a sweep study: random networks (the units) x weight scale x configuration
x slowest adaptation timescale.

Per network, every (configuration, timescale) is one batched run whose columns are the weight
scales: Benettin's LLE and the leading QR exponents. A network that runs away is a result
(``bounded = False``, exponents NaN), not a crash.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

import netdyn
from netdyn.analysis.lyapunov import ode_benettin, ode_lyapunov_spectrum
from netdyn.config.srnn import SRNNSweepConfig
from netdyn.connectivity.dale import default_weight_scale, strongly_connected_dale
from netdyn.models.inputs import SampledInput
from netdyn.models.srnn import SRNNetwork, sfa_timescales
from netdyn.seeding import child_generator
from netdyn.studies.srnn.common import coordinate_label, lyapunov_seed
from netdyn.sweep import COMPLETED_VAR, StudyOutputs, SweepStudy, run_study
from netdyn.sweep.study import nan_to_none

FIGURE_STEM = "figure"


def sweep_weights(config: SRNNSweepConfig, network: int) -> tuple[sp.csr_array, np.ndarray]:
    """Weights ``M[post, pre]`` (CSR, unscaled) and E flags of network ``network``."""
    s = default_weight_scale()
    m, exc = strongly_connected_dale(
        config.n_units, e_fraction=config.e_fraction, mean_degree=config.mean_degree,
        w_ee=config.w_ee * s, w_ei=config.w_ei * s, w_ie=config.w_ie * s, w_ii=config.w_ii * s,
        seed=child_generator(config.seed, network),
    )
    return sp.csr_array(m), exc


def sweep_input(config: SRNNSweepConfig) -> SampledInput:
    """``input_dc`` to every neuron, reached by a linear ramp over ``input_ramp_s`` from the start."""
    t0, t1, ramp = config.t_start_s, config.t_end_s, config.input_ramp_s
    if ramp <= 0:
        t, level = np.array([t0, t1]), np.array([1.0, 1.0])
    elif t0 + ramp < t1:
        t, level = np.array([t0, t0 + ramp, t1]), np.array([0.0, 1.0, 1.0])
    else:
        t, level = np.array([t0, t1]), np.array([0.0, (t1 - t0) / ramp])
    return SampledInput(t, config.input_dc * level[:, None] * np.ones((1, config.n_units)))


def sweep_model(config: SRNNSweepConfig, weights: Any, is_excitatory: np.ndarray, adaptation: str,
                tau_slowest_s: float) -> SRNNetwork:
    """The model of one (configuration, slowest timescale) cell; adaptation in E neurons only."""
    sfa = adaptation in ("sfa", "sfa+std")
    std = adaptation in ("std", "sfa+std")
    return SRNNetwork(
        weights=weights, is_excitatory=is_excitatory, tau_d_s=config.tau_d_s,
        tau_a_e_s=sfa_timescales(config.n_sfa, config.tau_a_min_s, tau_slowest_s) if sfa else (),
        tau_b_e_s=(tau_slowest_s,) if std else (),
        tau_std_s=config.std_onset_ratio * tau_slowest_s if std else 0.5,
        external_input=sweep_input(config),
    )


_CELL_VARS = ("bounded", "lle", "runaway_time", "mean_rate_e", "mean_rate_i")


def simulate_network(config_json: str, network: int) -> xr.Dataset:
    """Work unit: every (weight scale, configuration, timescale) cell of one network.

    Takes the config as JSON so that the unit is a small picklable record for any executor.
    """
    config = SRNNSweepConfig.model_validate_json(config_json)
    weights, exc = sweep_weights(config, network)
    ws = np.asarray(config.weight_scales, dtype=np.float64)
    n_w, n_c, n_t, k = ws.size, len(config.configurations), len(config.tau_slowest_s), config.spectrum_exponents
    cells = {name: np.full((n_w, n_c, n_t), np.nan) for name in _CELL_VARS}
    spectrum = np.full((n_w, n_c, n_t, k), np.nan)
    t0, t1, dt = config.t_start_s, config.t_end_s, config.dt_s
    for c, adaptation in enumerate(config.configurations):
        taus = config.tau_slowest_s[:1] if adaptation == "none" else config.tau_slowest_s
        for j, tau in enumerate(taus):
            net = sweep_model(config, weights, exc, adaptation, tau)
            x0 = net.initial_state(n_w)
            params = {"weight_scale": ws}
            ben = ode_benettin(net, x0, t0=t0, t1=t1, dt=dt, lya_dt=config.lya_dt_s, d0=config.d0,
                               accumulate_from=0.0, params=params, runaway_threshold=config.runaway_threshold,
                               seed=lyapunov_seed(config.seed, network, 1, c, j), threads=config.threads)
            runaway, when = ben.runaway.copy(), ben.runaway_time.copy()
            if k > 0:
                qr = ode_lyapunov_spectrum(net, x0, t0=t0, t1=t1, dt=dt, accumulate_from=0.0,
                                           qr_every=config.qr_every, n_exponents=min(k, net.dim), params=params,
                                           runaway_threshold=config.runaway_threshold,
                                           seed=lyapunov_seed(config.seed, network, 2, c, j),
                                           threads=config.threads)
                runaway |= qr.runaway
                when = np.fmin(when, qr.runaway_time)
                spectrum[:, c, j, : qr.exponents.shape[1]] = np.where(runaway[:, None], np.nan, qr.exponents)
            rates = net.rates(ben.state)
            cells["bounded"][:, c, j] = ~runaway
            cells["lle"][:, c, j] = np.where(runaway, np.nan, ben.exponent)
            cells["runaway_time"][:, c, j] = when
            for name, pop in (("mean_rate_e", exc), ("mean_rate_i", ~exc)):
                mean = rates[pop].mean(axis=0) if pop.any() else np.full(n_w, np.nan)
                cells[name][:, c, j] = np.where(runaway, np.nan, mean)
        if adaptation == "none":  # no adaptation: the timescale does not enter, copy along it
            for arr in (*cells.values(), spectrum):
                arr[:, c, 1:] = arr[:, c, :1]
    dims = ("network", "weight_scale", "configuration", "tau_slowest")
    one = lambda a: a[None]  # noqa: E731 - the network axis
    data: dict[str, Any] = {name: (dims, one(cells[name])) for name in _CELL_VARS}
    data["bounded"] = (dims, one(cells["bounded"] > 0.5))
    if k > 0:
        data["spectrum"] = (dims + ("exponent",), one(spectrum))
    dense = weights.toarray()
    data["max_re_eig"] = (("network",), np.array([np.linalg.eigvals(dense).real.max()]))
    return xr.Dataset(data, coords={"network": [network]})


def _sweep_attrs() -> dict[str, dict[str, str]]:
    return {
        "bounded": {"long_name": "max |state| stayed below runaway_threshold (reference and perturbed runs)"},
        "lle": {"units": "1/s", "long_name": "largest Lyapunov exponent (Benettin; NaN where unbounded)"},
        "runaway_time": {"units": "s", "long_name": "time at which the network ran away (NaN if bounded)"},
        "mean_rate_e": {"units": "Hz", "long_name": "mean E rate at the end (NaN where unbounded)"},
        "mean_rate_i": {"units": "Hz", "long_name": "mean I rate at the end (NaN where unbounded)"},
        "spectrum": {"units": "1/s", "long_name": "leading Lyapunov exponents by QR (descending; NaN where unbounded)"},
        "max_re_eig": {"units": "1", "long_name": "largest real part of the eigenvalues of M at weight scale 1"},
    }


def sweep_template(config: SRNNSweepConfig) -> xr.Dataset:
    """The sweep's results Dataset before any network ran (lazy, NaN/False-filled)."""
    import dask.array as da

    n, n_w, n_c, n_t, k = (config.networks, len(config.weight_scales), len(config.configurations),
                           len(config.tau_slowest_s), config.spectrum_exponents)
    dims = ("network", "weight_scale", "configuration", "tau_slowest")
    shape = (n, n_w, n_c, n_t)
    specs: dict[str, tuple] = {name: (dims, shape, np.float64) for name in _CELL_VARS}
    specs["bounded"] = (dims, shape, np.bool_)
    if k > 0:
        specs["spectrum"] = (dims + ("exponent",), shape + (k,), np.float64)
    specs["max_re_eig"] = (("network",), (n,), np.float64)
    attrs = _sweep_attrs()
    data = {}
    for name, (d, s, dtype) in specs.items():
        fill = False if dtype is np.bool_ else np.nan
        data[name] = (d, da.full(s, fill, dtype=dtype, chunks=(1,) + s[1:]), attrs[name])
    coords = {
        "network": ("network", np.arange(n), {"long_name": "random network (work unit)"}),
        "weight_scale": ("weight_scale", np.asarray(config.weight_scales), {"long_name": "global weight scale"}),
        "configuration": ("configuration",
                          np.array([coordinate_label(c) for c in config.configurations], dtype=object)),
        "tau_slowest": ("tau_slowest", np.asarray(config.tau_slowest_s),
                        {"units": "s", "long_name": "slowest adaptation timescale"}),
    }
    if k > 0:
        coords["exponent"] = ("exponent", np.arange(k))
    return xr.Dataset(data, coords=coords, attrs={
        "title": "netdyn srnn study: sweep over random sparse unbalanced networks with and without SFA / STD",
        "config": config.model_dump_json(),
        "netdyn_version": netdyn.__version__,
    })


def sweep_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Per cell (configuration, timescale, weight scale): fraction of bounded networks and
    the LLE and spectrum quantiles over the bounded ones (NaN -> null)."""
    cells = []
    has_spec = "spectrum" in ds
    for conf in ds["configuration"].values:
        for tau in ds["tau_slowest"].values:
            for w in ds["weight_scale"].values:
                cell = ds.sel(configuration=conf, tau_slowest=tau, weight_scale=w)
                ok = cell["bounded"].values.astype(bool)
                lle = cell["lle"].values[ok]
                entry = {
                    "configuration": str(conf), "tau_slowest_s": float(tau), "weight_scale": float(w),
                    "n_networks": int(ok.size), "n_bounded": int(ok.sum()),
                    "fraction_bounded": float(ok.mean()) if ok.size else None,
                    "lle_median": nan_to_none(np.median(lle)) if lle.size else None,
                    "lle_q25": nan_to_none(np.quantile(lle, 0.25)) if lle.size else None,
                    "lle_q75": nan_to_none(np.quantile(lle, 0.75)) if lle.size else None,
                }
                if has_spec:
                    spec = cell["spectrum"].values[ok]
                    entry["spectrum_median"] = nan_to_none(np.median(spec, axis=0)) if spec.size else None
                cells.append(entry)
    return {"cells": cells, "units": {"lle": "1/s", "tau_slowest_s": "s"},
            "netdyn_version": ds.attrs.get("netdyn_version")}


def plot_sweep(ds: xr.Dataset, out: Path) -> tuple[Path, ...]:
    """The sweep summary figure ``figure.png/pdf``."""
    from netdyn.plots.srnn import plot_srnn_sweep_figure

    return tuple(plot_srnn_sweep_figure(ds.drop_vars(COMPLETED_VAR, errors="ignore"), out / FIGURE_STEM))


def _check_network(config: SRNNSweepConfig) -> None:
    """Bad network parameters fail here, before anything is written."""
    sweep_weights(config, 0)


SRNN_SWEEP = SweepStudy(
    name="srnn-sweep", config_class=SRNNSweepConfig, unit_dim="network", template=sweep_template,
    unit_function=simulate_network, summary=sweep_summary, figure=plot_sweep, check=_check_network,
)
"""The srnn sweep, for :func:`netdyn.sweep.run_study` and :func:`netdyn.sweep.redraw`."""


def run_srnn_sweep(config: SRNNSweepConfig, out: str | os.PathLike[str], **execution: Any) -> StudyOutputs:
    """Run the sweep into directory ``out`` (``results.zarr``, ``summary.json``,
    ``figure.png``/``.pdf``); resume what an earlier run left unfinished.

    ``execution``: the keywords of :func:`netdyn.sweep.run_study` (``workers``,
    ``scheduler``, ``use_mpi``, ``progress``, ``figure``). Networks already
    in ``results.zarr`` (same config) are not recomputed; numbers do not depend on the
    executor or on interruptions.
    """
    return run_study(SRNN_SWEEP, config, out, **execution)
