r"""Study ``srnn``: rate networks with spike-frequency adaptation (SFA) and short-term
depression (STD) (seed 002, spec ``srnn.md``).

Two parts, each writing into its own output directory:

``basic`` (:func:`run_srnn_basic`)
    The reference's basic example (spec 1.2, 1.4): one n = 10 network, the same for the
    four configurations none / SFA / STD / SFA+STD, 20 s from -10 s, stimuli on neuron 0.
    Per configuration: the trajectory (RK4 at 1 ms, or dopri5 with max step 1 ms), the
    largest Lyapunov exponent by Benettin with the reference's bookkeeping
    (:func:`~netdyn.analysis.lyapunov.ode_benettin`) and the Lyapunov spectrum by QR of the
    variational equations (:func:`~netdyn.analysis.lyapunov.ode_lyapunov_spectrum`).
``sweep`` (:func:`run_srnn_sweep`)
    The paper's claims at scale: random networks (work units) x weight scale x
    configuration x slowest adaptation timescale. Per network, every (configuration,
    timescale) is one batched run whose columns are the weight scales: Benettin's LLE
    (reference and perturbed copy of every column in one batch) and the leading QR
    exponents. Runaway networks (``max |x| > runaway_threshold``) are recorded as
    unbounded (``bounded = False``, exponents NaN) and frozen; the run goes on.

Output layout (both parts): ``results.zarr`` (an :class:`xarray.Dataset`; open it with
``xarray.open_zarr``), ``summary.json`` and the figures (PNG and PDF). The Dataset's
attributes hold ``netdyn_study`` (``"srnn-basic"`` / ``"srnn-sweep"``), ``config`` (JSON of
the full configuration) and ``netdyn_version``; every variable has ``units`` and
``long_name`` attributes. Times are in s, exponents in 1/s.

Seeding: the basic example's network comes from ``network_seed`` (42000 = the spec's
"seed 42"), the perturbation directions of configuration ``c`` from
``SeedSequence(seed, spawn_key=(c,))``. In the sweep, network ``k`` is drawn from
``SeedSequence(seed, spawn_key=(k,))`` and the directions of its (configuration ``c``,
timescale ``j``) runs from ``spawn_key=(k, 1, c, j)``, so results do not depend on the
number of workers or on interruptions (the sweep resumes where it stopped).
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

import netdyn
from netdyn.analysis.lyapunov import ode_benettin, ode_lyapunov_spectrum
from netdyn.config.srnn import CONFIGURATIONS, SRNNBasicConfig, SRNNSweepConfig
from netdyn.connectivity.dale import default_weight_scale, strongly_connected_dale
from netdyn.engines.ode import integrate_ode
from netdyn.errors import ConfigError
from netdyn.models.inputs import SampledInput
from netdyn.models.srnn import SRNNetwork, basic_example_network, sfa_timescales
from netdyn.record import FullState
from netdyn.seeding import child_generator
from netdyn.studies.outputs import atomic_write_text, check_out_dir

RESULTS_NAME = "results.zarr"
SUMMARY_NAME = "summary.json"
BASIC_FIGURE_STEM = "figure"  # figure_<configuration>.png / .pdf
SWEEP_FIGURE_STEM = "figure"
BASIC_STUDY = "srnn-basic"
SWEEP_STUDY = "srnn-sweep"


def coordinate_label(configuration: str) -> str:
    """Label of a configuration in the Datasets: ``"sfa+std"`` -> ``"sfa_std"``."""
    return configuration.replace("+", "_")


def _nan_to_none(values: Any) -> Any:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        v = float(arr)
        return None if not math.isfinite(v) else v
    return [_nan_to_none(v) for v in arr]


def _write_zarr_atomically(ds: xr.Dataset, path: Path, study: str) -> None:
    """Write ``ds`` to ``path`` through a temporary directory; replaces an older result of
    the same study, refuses anything else."""
    if path.exists():
        try:
            old = xr.open_zarr(path).attrs.get("netdyn_study")
        except Exception:  # noqa: BLE001 - not a readable store
            old = None
        if old != study:
            raise ConfigError("out", str(path.parent), f"holds a {RESULTS_NAME} that is not a {study} result; "
                              "choose another output directory")
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.writing"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            ds.to_zarr(tmp, mode="w-", consolidated=True)
        if path.exists():
            old_dir = path.parent / f".{path.name}.{uuid.uuid4().hex}.old"
            os.rename(path, old_dir)
            os.rename(tmp, path)
            shutil.rmtree(old_dir, ignore_errors=True)
        else:
            os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ======================================================================================
# basic example


def basic_network(config: SRNNBasicConfig, adaptation: str) -> SRNNetwork:
    """The basic-example network of ``config`` with the adaptation ``adaptation``."""
    return basic_example_network(
        adaptation, seed=config.network_seed, n_units=config.n_units, e_fraction=config.e_fraction,
        mean_degree=config.mean_degree, w_ee_factor=config.w_ee_factor, tau_a_max_s=config.tau_a_max_s,
        t_span_s=(config.t_start_s, config.t_end_s), fs_hz=1.0 / config.dt_s,
    )


def _lyapunov_seed(root: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=root, spawn_key=tuple(int(k) for k in key))


def simulate_basic_configuration(config: SRNNBasicConfig, adaptation: str) -> dict[str, Any]:
    """Trajectory, Benettin LLE and QR spectrum of one configuration of the basic example.

    Returns a dict of numpy arrays (see :func:`basic_dataset` for their meaning).
    """
    net = basic_network(config, adaptation)
    c_index = CONFIGURATIONS.index(adaptation)
    t0, t1, dt = config.t_start_s, config.t_end_s, config.dt_s
    solver = dict(method=config.method, rtol=config.rtol, atol=config.atol,
                  max_step=dt if config.method == "dopri5" else None)
    x0 = net.initial_state(1)
    run = integrate_ode(net, x0, t0=t0, t1=t1, dt=dt, observers=[FullState()],
                        runaway_threshold=config.runaway_threshold, **solver)
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
                       seed=_lyapunov_seed(config.seed, c_index), runaway_threshold=config.runaway_threshold,
                       **solver)
    n_trans = ben.n_transient
    local = np.concatenate([ben.transient_log_growth[:, 0], ben.log_growth[:, 0]]) / ben.interval
    finite = np.concatenate([np.full(n_trans, np.nan), ben.finite_time[:, 0]])
    lya_time = t0 + ben.interval * np.arange(local.size)

    k = net.dim if config.spectrum_exponents is None else min(config.spectrum_exponents, net.dim)
    spectrum = np.full(net.dim, np.nan)
    if k > 0:
        qr = ode_lyapunov_spectrum(net, x0, t0=t0, t1=t1, dt=dt, accumulate_from=0.0, qr_every=config.qr_every,
                                   n_exponents=k, seed=_lyapunov_seed(config.seed, c_index, 1),
                                   runaway_threshold=config.runaway_threshold)
        spectrum[:k] = qr.exponents[0]
    return dict(
        net=net, rate=net.rates(states).T, u_d=states[lay.u_d].T, sfa=sfa.T, std=std.T,
        lya_local=local, lya_finite=finite, lya_time=lya_time, lle=float(ben.exponent[0]), spectrum=spectrum,
        runaway=bool(run.runaway[0] or ben.runaway[0]), runaway_time=float(np.fmin(run.runaway_time[0], ben.runaway_time[0])),
        renorm_steps=ben.renorm_steps, dim=net.dim,
    )


def basic_dataset(config: SRNNBasicConfig, runs: dict[str, dict[str, Any]]) -> xr.Dataset:
    """Assemble the per-configuration runs into the basic example's Dataset.

    Variables: ``input`` (time, neuron); ``rate``, ``u_d``, ``sfa`` (c_SFA sum_k a_k, NaN
    without SFA), ``std`` (prod_m b_m, NaN without STD) (configuration, time, neuron);
    ``lya_local``, ``lya_finite`` (configuration, lya_time; finite-time NaN in the
    transient); ``lle`` (Benettin), ``lle_qr`` (largest QR exponent), ``n_states``,
    ``bounded``, ``runaway_time`` (configuration); ``spectrum`` (configuration, exponent;
    NaN beyond the configuration's state dimension); ``is_excitatory`` (neuron);
    ``weights`` (post, pre).
    """
    configs = list(runs)
    first = runs[configs[0]]
    net: SRNNetwork = first["net"]
    n_time = first["rate"].shape[0]
    time = config.t_start_s + config.dt_s * np.arange(n_time)
    max_dim = max(r["dim"] for r in runs.values())
    spectrum = np.full((len(configs), max_dim), np.nan)
    for c, name in enumerate(configs):
        spectrum[c, : runs[name]["dim"]] = runs[name]["spectrum"]
    stack = lambda key: np.stack([runs[c][key] for c in configs])  # noqa: E731
    u = net.external_input.values if isinstance(net.external_input, SampledInput) else np.zeros((n_time, net.n_units))
    ctn = ("configuration", "time", "neuron")
    data = {
        "input": (("time", "neuron"), u, {"units": "Hz", "long_name": "external input u_ex"}),
        "rate": (ctn, stack("rate"), {"units": "Hz", "long_name": "rate r = phi(u_d - c_SFA sum_k a_k)"}),
        "u_d": (ctn, stack("u_d"), {"units": "Hz", "long_name": "dendritic state u_d"}),
        "sfa": (ctn, stack("sfa"), {"units": "Hz", "long_name": "SFA drive c_SFA sum_k a_k (NaN without SFA)"}),
        "std": (ctn, stack("std"), {"units": "1", "long_name": "STD factor prod_m b_m (NaN without STD)"}),
        "lya_local": (("configuration", "lya_time"), stack("lya_local"),
                      {"units": "1/s", "long_name": "local exponent ln(d_k/d0)/tau of each Benettin interval"}),
        "lya_finite": (("configuration", "lya_time"), stack("lya_finite"),
                       {"units": "1/s", "long_name": "finite-time LLE (NaN in the transient t < 0)"}),
        "lle": (("configuration",), stack("lle"),
                {"units": "1/s", "long_name": "largest Lyapunov exponent (Benettin, reference bookkeeping)"}),
        "lle_qr": (("configuration",), spectrum[:, 0], {"units": "1/s", "long_name": "largest exponent of the QR spectrum"}),
        "spectrum": (("configuration", "exponent"), spectrum,
                     {"units": "1/s", "long_name": "Lyapunov spectrum by QR (descending; NaN beyond n_states)"}),
        "n_states": (("configuration",), stack("dim").astype(np.int64), {"units": "1", "long_name": "state dimension"}),
        "bounded": (("configuration",), ~stack("runaway"), {"long_name": "max |state| stayed below runaway_threshold"}),
        "runaway_time": (("configuration",), stack("runaway_time"), {"units": "s", "long_name": "time of runaway (NaN if bounded)"}),
        "is_excitatory": (("neuron",), np.asarray(net.is_excitatory)),
        "weights": (("post", "pre"), np.asarray(net.weights), {"units": "1", "long_name": "weights M[post, pre]"}),
    }
    return xr.Dataset(
        data,
        coords={
            "configuration": ("configuration", np.array([coordinate_label(c) for c in configs], dtype=object)),
            "time": ("time", time, {"units": "s"}),
            "neuron": ("neuron", np.arange(net.n_units)),
            "lya_time": ("lya_time", first["lya_time"], {"units": "s", "long_name": "start of each Benettin interval"}),
            "exponent": ("exponent", np.arange(max_dim)),
        },
        attrs={
            "title": "netdyn srnn study: basic example (n = 10) with and without SFA / STD",
            "netdyn_study": BASIC_STUDY,
            "config": config.model_dump_json(),
            "netdyn_version": netdyn.__version__,
            "renorm_steps": int(first["renorm_steps"]),
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
            "lle": _nan_to_none(sel["lle"]), "lle_qr": _nan_to_none(sel["lle_qr"]),
            "spectrum_leading": _nan_to_none(sel["spectrum"].values[: min(n, 5)]),
            "spectrum_sum": _nan_to_none(np.sum(sel["spectrum"].values[:n])),
            "n_states": n, "bounded": bool(sel["bounded"]),
            "mean_rate_e": _nan_to_none(r[:, exc].mean()) if exc.any() else None,
            "mean_rate_i": _nan_to_none(r[:, ~exc].mean()) if (~exc).any() else None,
            "max_rate": _nan_to_none(r.max()),
        }
    return out


@dataclass(frozen=True)
class SRNNOutputs:
    """Paths written by :func:`run_srnn_basic` / :func:`run_srnn_sweep` and the results."""

    results: Path
    summary: Path
    figures: tuple[Path, ...]
    dataset: xr.Dataset
    computed_units: tuple[int, ...] = ()


def plot_basic(ds: xr.Dataset, out: Path) -> tuple[Path, ...]:
    """The six-panel figure of every configuration: ``figure_<configuration>.png/pdf``."""
    from netdyn.plots.srnn import plot_srnn_trajectory_figure

    paths: list[Path] = []
    for c in ds["configuration"].values:
        paths += plot_srnn_trajectory_figure(ds, c, out / f"{BASIC_FIGURE_STEM}_{c}")
    return tuple(paths)


def run_srnn_basic(config: SRNNBasicConfig, out: str | os.PathLike[str], *, figure: bool = True,
                   progress: bool = True) -> SRNNOutputs:
    """Run the basic example into directory ``out`` (``results.zarr``, ``summary.json``,
    ``figure_<configuration>.png/pdf``); a rerun replaces the results.

    Parameters
    ----------
    config
        The example's parameters.
    out
        Output directory (created).
    figure
        Write the figures.
    progress
        Show a progress bar over the configurations on a terminal.
    """
    from tqdm import tqdm

    out = Path(out)
    check_out_dir(out)
    basic_network(config, config.configurations[0])  # bad network parameters fail before anything is written
    runs: dict[str, dict[str, Any]] = {}
    with tqdm(config.configurations, desc="srnn basic", unit="config", disable=None if progress else True) as bar:
        for adaptation in bar:
            runs[adaptation] = simulate_basic_configuration(config, adaptation)
    ds = basic_dataset(config, runs)
    out.mkdir(parents=True, exist_ok=True)
    _write_zarr_atomically(ds, out / RESULTS_NAME, BASIC_STUDY)
    summary_path = out / SUMMARY_NAME
    atomic_write_text(summary_path, json.dumps(basic_summary(ds), indent=2) + "\n")
    figures = plot_basic(ds, out) if figure else ()
    return SRNNOutputs(out / RESULTS_NAME, summary_path, figures, ds)


# ======================================================================================
# sweep


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
                               seed=_lyapunov_seed(config.seed, network, 1, c, j))
            runaway, when = ben.runaway.copy(), ben.runaway_time.copy()
            if k > 0:
                qr = ode_lyapunov_spectrum(net, x0, t0=t0, t1=t1, dt=dt, accumulate_from=0.0,
                                           qr_every=config.qr_every, n_exponents=min(k, net.dim), params=params,
                                           runaway_threshold=config.runaway_threshold,
                                           seed=_lyapunov_seed(config.seed, network, 2, c, j))
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
        "netdyn_study": SWEEP_STUDY,
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
                    "lle_median": _nan_to_none(np.median(lle)) if lle.size else None,
                    "lle_q25": _nan_to_none(np.quantile(lle, 0.25)) if lle.size else None,
                    "lle_q75": _nan_to_none(np.quantile(lle, 0.75)) if lle.size else None,
                }
                if has_spec:
                    spec = cell["spectrum"].values[ok]
                    entry["spectrum_median"] = _nan_to_none(np.median(spec, axis=0)) if spec.size else None
                cells.append(entry)
    return {"cells": cells, "units": {"lle": "1/s", "tau_slowest_s": "s"},
            "netdyn_version": ds.attrs.get("netdyn_version")}


def run_srnn_sweep(
    config: SRNNSweepConfig,
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    use_mpi: bool | None = None,
    progress: bool = True,
    figure: bool = True,
) -> SRNNOutputs:
    """Run the sweep into directory ``out``; resume what an earlier run left unfinished.

    Parameters
    ----------
    config
        The sweep's parameters.
    out
        Output directory: ``results.zarr``, ``summary.json``, ``figure.png``/``.pdf``.
    workers
        Local worker processes (default: one per core, at most one per network; 0 runs in
        this process).
    scheduler
        Address of a Dask scheduler (``tcp://host:port``).
    use_mpi
        Use mpi4py.futures (default: when started under ``mpirun``).
    progress
        Show a progress bar (networks) on a terminal.
    figure
        Write the figure.

    Networks already in ``results.zarr`` (same config) are not recomputed; numbers do not
    depend on ``workers``, ``scheduler`` or interruptions.
    """
    from netdyn.sweep import SweepStore, open_executor, run_units

    out = Path(out)
    check_out_dir(out)
    if (out / RESULTS_NAME).exists():
        try:
            study = xr.open_zarr(out / RESULTS_NAME).attrs.get("netdyn_study")
        except Exception:  # noqa: BLE001 - SweepStore reports unreadable stores
            study = SWEEP_STUDY
        if study != SWEEP_STUDY:
            raise ConfigError("out", str(out), f"holds a {study or 'foreign'} result, not an srnn sweep; "
                              "choose another output directory")
    sweep_weights(config, 0)  # bad network parameters fail here, before anything is written
    if workers is None and scheduler is None:
        workers = min(os.cpu_count() or 1, config.networks)
    with open_executor(workers=workers, scheduler=scheduler, use_mpi=use_mpi) as executor:
        out.mkdir(parents=True, exist_ok=True)
        store = SweepStore.create_or_open(out / RESULTS_NAME, sweep_template(config), unit_dim="network",
                                          config_json=config.model_dump_json())
        fn = functools.partial(simulate_network, config.model_dump_json())
        computed = run_units(fn, store.pending(), store=store, executor=executor, progress=progress,
                             desc="srnn networks")
    ds = store.open(load=True)
    summary_path = out / SUMMARY_NAME
    atomic_write_text(summary_path, json.dumps(sweep_summary(ds), indent=2) + "\n")
    figures: tuple[Path, ...] = ()
    if figure:
        figures = plot_sweep(ds, out)
    return SRNNOutputs(out / RESULTS_NAME, summary_path, figures, ds, tuple(int(u) for u in computed))


def plot_sweep(ds: xr.Dataset, out: Path) -> tuple[Path, ...]:
    """The sweep summary figure ``figure.png/pdf``."""
    from netdyn.plots.srnn import plot_srnn_sweep_figure

    return tuple(plot_srnn_sweep_figure(ds.drop_vars("unit_completed", errors="ignore"), out / SWEEP_FIGURE_STEM))


def plot_results(out: str | os.PathLike[str]) -> tuple[Path, ...]:
    """Redraw the figures of an srnn output directory (basic or sweep, from its attributes)."""
    out = Path(out)
    path = out / RESULTS_NAME
    if not (path / "zarr.json").is_file():
        raise ConfigError("out", str(out), f"holds no {RESULTS_NAME}")
    ds = xr.open_zarr(path).load()
    study = ds.attrs.get("netdyn_study")
    if study == BASIC_STUDY:
        return plot_basic(ds, out)
    if study == SWEEP_STUDY:
        return plot_sweep(ds, out)
    raise ConfigError("out", str(out), f"holds no srnn result (study {study!r})")
