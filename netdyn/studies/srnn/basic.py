"""The srnn basic example as a sweep study: the configurations of one network are the units.

One n = 10 network (``network_seed``) with each adaptation configuration (none, SFA, STD,
SFA+STD): trajectory, Benettin LLE (reference bookkeeping) and QR spectrum. The network's
input, E flags and weights do not depend on the configuration: they are the store's shared
variables, written with its layout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import netdyn
from netdyn.analysis.lyapunov import ode_benettin, ode_lyapunov_spectrum
from netdyn.config.srnn import CONFIGURATIONS, SRNNBasicConfig
from netdyn.engines.ode import grid_steps, integrate_ode
from netdyn.models.inputs import SampledInput
from netdyn.models.srnn import SRNNetwork, basic_example_network
from netdyn.record import FullState
from netdyn.studies.srnn.common import configuration_of, coordinate_label, lyapunov_seed
from netdyn.sweep import StudyOutputs, SweepStudy, run_study
from netdyn.sweep.study import nan_to_none

FIGURE_STEM = "figure"  # figure_<configuration>.png / .pdf


def basic_network(config: SRNNBasicConfig, adaptation: str) -> SRNNetwork:
    """The basic-example network of ``config`` with the adaptation ``adaptation``."""
    return basic_example_network(
        adaptation, seed=config.network_seed, n_units=config.n_units, e_fraction=config.e_fraction,
        mean_degree=config.mean_degree, w_ee_factor=config.w_ee_factor, tau_a_max_s=config.tau_a_max_s,
        t_span_s=(config.t_start_s, config.t_end_s), fs_hz=1.0 / config.dt_s,
    )


def simulate_basic_configuration(config: SRNNBasicConfig, adaptation: str) -> dict[str, Any]:
    """Trajectory, Benettin LLE and QR spectrum of one configuration of the basic example.

    Returns a dict of numpy arrays (see :func:`basic_template` for their meaning).
    """
    net = basic_network(config, adaptation)
    c_index = CONFIGURATIONS.index(adaptation)
    t0, t1, dt = config.t_start_s, config.t_end_s, config.dt_s
    solver = dict(method=config.method, rtol=config.rtol, atol=config.atol,
                  max_step=dt if config.method == "dopri5" else None)
    x0 = net.initial_state(1)
    run = integrate_ode(net, x0, t0=t0, t1=t1, dt=dt, observers=[FullState()],
                        runaway_threshold=config.runaway_threshold, threads=config.threads, **solver)
    states = np.concatenate([run.records["state"].values[:, :, 0], run.state[:, 0][None]], axis=0).T  # (dim, time)
    lay = net.layout
    has_sfa = np.asarray(net.c_sfa) != 0
    has_std = np.zeros(net.n_units, dtype=bool)
    if lay.n_b_e:
        has_std[lay.e_units] = True
    if lay.n_b_i:
        has_std[lay.i_units] = True
    sfa = net.sfa_drive(states)
    sfa[~has_sfa] = np.nan
    std = net.std_factor(states)
    std[~has_std] = np.nan

    ben = ode_benettin(net, x0, t0=t0, t1=t1, dt=dt, lya_dt=config.lya_dt_s, d0=config.d0, accumulate_from=0.0,
                       seed=lyapunov_seed(config.seed, c_index), runaway_threshold=config.runaway_threshold,
                       threads=config.threads, **solver)
    n_trans = ben.n_transient
    local = np.concatenate([ben.transient_log_growth[:, 0], ben.log_growth[:, 0]]) / ben.interval
    finite = np.concatenate([np.full(n_trans, np.nan), ben.finite_time[:, 0]])
    lya_time = t0 + ben.interval * np.arange(local.size)

    k = net.dim if config.spectrum_exponents is None else min(config.spectrum_exponents, net.dim)
    spectrum = np.full(net.dim, np.nan)
    if k > 0:
        qr = ode_lyapunov_spectrum(net, x0, t0=t0, t1=t1, dt=dt, accumulate_from=0.0, qr_every=config.qr_every,
                                   n_exponents=k, seed=lyapunov_seed(config.seed, c_index, 1),
                                   runaway_threshold=config.runaway_threshold, threads=config.threads)
        spectrum[:k] = qr.exponents[0]
    return dict(
        net=net, rate=net.rates(states).T, u_d=states[lay.u_d].T, sfa=sfa.T, std=std.T,
        lya_local=local, lya_finite=finite, lya_time=lya_time, lle=float(ben.exponent[0]), spectrum=spectrum,
        runaway=bool(run.runaway[0] or ben.runaway[0]), runaway_time=float(np.fmin(run.runaway_time[0], ben.runaway_time[0])),
        renorm_steps=ben.renorm_steps, dim=net.dim,
    )


def simulate_configuration(config_json: str, configuration: str) -> xr.Dataset:
    """Work unit: one configuration (its coordinate label, e.g. ``"sfa_std"``) of the example.

    Takes the config as JSON so that the unit is a small picklable record for any executor.
    """
    config = SRNNBasicConfig.model_validate_json(config_json)
    run = simulate_basic_configuration(config, configuration_of(configuration))
    spectrum = np.full(_max_states(config), np.nan)
    spectrum[: run["dim"]] = run["spectrum"]
    ctn = ("configuration", "time", "neuron")
    one = lambda a: np.asarray(a)[None]  # noqa: E731 - add the configuration axis
    return xr.Dataset(
        {
            "rate": (ctn, one(run["rate"])),
            "u_d": (ctn, one(run["u_d"])),
            "sfa": (ctn, one(run["sfa"])),
            "std": (ctn, one(run["std"])),
            "lya_local": (("configuration", "lya_time"), one(run["lya_local"])),
            "lya_finite": (("configuration", "lya_time"), one(run["lya_finite"])),
            "lle": (("configuration",), one(run["lle"])),
            "lle_qr": (("configuration",), one(spectrum[0])),
            "spectrum": (("configuration", "exponent"), one(spectrum)),
            "n_states": (("configuration",), one(np.int64(run["dim"]))),
            "bounded": (("configuration",), one(not run["runaway"])),
            "runaway_time": (("configuration",), one(run["runaway_time"])),
        },
        coords={"configuration": [configuration], "lya_time": run["lya_time"]},
    )


def _max_states(config: SRNNBasicConfig) -> int:
    """The largest state dimension over the configurations (length of ``exponent``)."""
    return max(basic_network(config, c).dim for c in config.configurations)


def _benettin_grid(config: SRNNBasicConfig) -> tuple[int, np.ndarray]:
    """Steps per Benettin interval and the interval starts, as ``ode_benettin`` lays them
    out (the store checks each unit's ``lya_time`` against these)."""
    dt = float(config.dt_s)
    steps = int(round(config.lya_dt_s * (1.0 / dt)))
    n_intervals = grid_steps(config.t_start_s, config.t_end_s, dt) // steps
    return steps, config.t_start_s + (steps * dt) * np.arange(n_intervals)


def basic_template(config: SRNNBasicConfig) -> xr.Dataset:
    """The basic example's results before any configuration ran.

    Per configuration (lazy until its unit ran): ``rate``, ``u_d``, ``sfa`` (c_SFA sum_k
    a_k, NaN without SFA), ``std`` (prod_m b_m, NaN without STD) (configuration, time,
    neuron); ``lya_local``, ``lya_finite`` (configuration, lya_time; finite-time NaN in the
    transient); ``lle`` (Benettin), ``lle_qr`` (largest QR exponent), ``n_states``,
    ``bounded``, ``runaway_time`` (configuration); ``spectrum`` (configuration, exponent;
    NaN beyond the configuration's state dimension). Shared, with their values: ``input``
    (time, neuron), ``is_excitatory`` (neuron), ``weights`` (post, pre).
    """
    import dask.array as da

    net = basic_network(config, config.configurations[0])
    n_c, n, k = len(config.configurations), net.n_units, _max_states(config)
    n_time = grid_steps(config.t_start_s, config.t_end_s, config.dt_s) + 1
    renorm_steps, lya_time = _benettin_grid(config)

    def lazy(dims: tuple[str, ...], shape: tuple[int, ...], attrs: dict[str, str], dtype: Any = np.float64) -> tuple:
        return dims, da.zeros(shape, dtype=dtype, chunks=(1,) + shape[1:]), attrs

    u = net.external_input.values if isinstance(net.external_input, SampledInput) else np.zeros((n_time, n))
    ctn, shape_ctn = ("configuration", "time", "neuron"), (n_c, n_time, n)
    data = {
        "input": (("time", "neuron"), u, {"units": "Hz", "long_name": "external input u_ex"}),
        "rate": lazy(ctn, shape_ctn, {"units": "Hz", "long_name": "rate r = phi(u_d - c_SFA sum_k a_k)"}),
        "u_d": lazy(ctn, shape_ctn, {"units": "Hz", "long_name": "dendritic state u_d"}),
        "sfa": lazy(ctn, shape_ctn, {"units": "Hz", "long_name": "SFA drive c_SFA sum_k a_k (NaN without SFA)"}),
        "std": lazy(ctn, shape_ctn, {"units": "1", "long_name": "STD factor prod_m b_m (NaN without STD)"}),
        "lya_local": lazy(("configuration", "lya_time"), (n_c, lya_time.size),
                          {"units": "1/s", "long_name": "local exponent ln(d_k/d0)/tau of each Benettin interval"}),
        "lya_finite": lazy(("configuration", "lya_time"), (n_c, lya_time.size),
                           {"units": "1/s", "long_name": "finite-time LLE (NaN in the transient t < 0)"}),
        "lle": lazy(("configuration",), (n_c,),
                    {"units": "1/s", "long_name": "largest Lyapunov exponent (Benettin, reference bookkeeping)"}),
        "lle_qr": lazy(("configuration",), (n_c,), {"units": "1/s", "long_name": "largest exponent of the QR spectrum"}),
        "spectrum": lazy(("configuration", "exponent"), (n_c, k),
                         {"units": "1/s", "long_name": "Lyapunov spectrum by QR (descending; NaN beyond n_states)"}),
        "n_states": lazy(("configuration",), (n_c,), {"units": "1", "long_name": "state dimension"}, np.int64),
        "bounded": lazy(("configuration",), (n_c,), {"long_name": "max |state| stayed below runaway_threshold"},
                        np.bool_),
        "runaway_time": lazy(("configuration",), (n_c,), {"units": "s", "long_name": "time of runaway (NaN if bounded)"}),
        "is_excitatory": (("neuron",), np.asarray(net.is_excitatory)),
        "weights": (("post", "pre"), np.asarray(net.weights), {"units": "1", "long_name": "weights M[post, pre]"}),
    }
    return xr.Dataset(
        data,
        coords={
            "configuration": ("configuration",
                              np.array([coordinate_label(c) for c in config.configurations], dtype=object)),
            "time": ("time", config.t_start_s + config.dt_s * np.arange(n_time), {"units": "s"}),
            "neuron": ("neuron", np.arange(n)),
            "lya_time": ("lya_time", lya_time, {"units": "s", "long_name": "start of each Benettin interval"}),
            "exponent": ("exponent", np.arange(k)),
        },
        attrs={
            "title": "netdyn srnn study: basic example (n = 10) with and without SFA / STD",
            "config": config.model_dump_json(),
            "netdyn_version": netdyn.__version__,
            "renorm_steps": renorm_steps,
        },
    )


def basic_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Per configuration: LLE (Benettin and QR), leading exponents, mean rates for t >= 0."""
    t = ds["time"].values
    exc = ds["is_excitatory"].values
    out: dict[str, Any] = {"configurations": {}, "units": {"lle": "1/s", "rate": "Hz"},
                           "netdyn_version": ds.attrs.get("netdyn_version")}
    for c in ds["configuration"].values:
        sel = ds.sel(configuration=c)
        r = sel["rate"].values[t >= 0]
        n = int(sel["n_states"])
        out["configurations"][str(c)] = {
            "lle": nan_to_none(sel["lle"]), "lle_qr": nan_to_none(sel["lle_qr"]),
            "spectrum_leading": nan_to_none(sel["spectrum"].values[: min(n, 5)]),
            "spectrum_sum": nan_to_none(np.sum(sel["spectrum"].values[:n])),
            "n_states": n, "bounded": bool(sel["bounded"]),
            "mean_rate_e": nan_to_none(r[:, exc].mean()) if exc.any() else None,
            "mean_rate_i": nan_to_none(r[:, ~exc].mean()) if (~exc).any() else None,
            "max_rate": nan_to_none(r.max()),
        }
    return out


def plot_basic(ds: xr.Dataset, out: Path) -> tuple[Path, ...]:
    """The six-panel figure of every configuration: ``figure_<configuration>.png/pdf``."""
    from netdyn.plots.srnn import plot_srnn_trajectory_figure

    paths: list[Path] = []
    for c in ds["configuration"].values:
        paths += plot_srnn_trajectory_figure(ds, c, out / f"{FIGURE_STEM}_{c}")
    return tuple(paths)


SRNN_BASIC = SweepStudy(
    name="srnn-basic", config_class=SRNNBasicConfig, unit_dim="configuration", template=basic_template,
    unit_function=simulate_configuration, summary=basic_summary, figure=plot_basic,
)
"""The srnn basic example, for :func:`netdyn.sweep.run_study` and :func:`netdyn.sweep.redraw`."""


def run_srnn_basic(config: SRNNBasicConfig, out: str | os.PathLike[str], **execution: Any) -> StudyOutputs:
    """Run the basic example into directory ``out`` (``results.zarr``, ``summary.json``,
    ``figure_<configuration>.png/pdf``); resume what an earlier run left unfinished.

    ``execution``: the keywords of :func:`netdyn.sweep.run_study` (``workers``,
    ``scheduler``, ``use_mpi``, ``progress``, ``figure``).
    """
    return run_study(SRNN_BASIC, config, out, **execution)
