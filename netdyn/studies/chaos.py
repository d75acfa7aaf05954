"""Study ``chaos``: synaptic upscaling and chaotic spontaneous activity in random rate networks.

A sweep study (:data:`CHAOS`, run by :func:`netdyn.sweep.run_study`): for each session (one
random network, the work unit) integrate all gains x trials x twins as one batch, reduce to
the twin divergence while simulating, estimate the largest Lyapunov exponent with the
twin-trajectory method, write the session into ``results.zarr`` as soon as it is done, then
write ``summary.json`` and the figure. The edges of session 1's network are stored with the
layout (shared variables ``example_edge_*``) for the figure's design panel.

Batch layout of a session (``_batch_layout``): all gains x trials, then all their twins,
so one sparse product advances every trajectory of the session at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import netdyn
from netdyn.analysis.lyapunov import twin_trajectory_exponent
from netdyn.config.chaos import ChaosConfig
from netdyn.connectivity import bernoulli_gaussian
from netdyn.engines import integrate
from netdyn.models import RateNetwork
from netdyn.record import SampledUnits, TwinDivergence
from netdyn.seeding import child_generator
from netdyn.sweep import StudyOutputs, SweepStudy, run_study
from netdyn.sweep.study import nan_to_none

FIGURE_STEM = "figure"


def session_network(config: ChaosConfig, session: int) -> tuple[RateNetwork, np.ndarray]:
    """The network and the initial states of ``session`` (1-based), as the seed draws them.

    Generator ``default_rng(SeedSequence(entropy=seed, spawn_key=(session,)))``; draws: the
    off-diagonal uniforms, the edge weights, then ``trials x n`` uniforms ``2u - 1``.

    Returns
    -------
    network, r0
        ``r0`` has shape ``(trials, n_neurons)``.
    """
    rng = child_generator(config.seed, session)
    weights = bernoulli_gaussian(config.n_neurons, config.p, config.weight_std, rng)
    r0 = 2.0 * rng.random((config.trials, config.n_neurons)) - 1.0
    return RateNetwork(weights, tau_ms=config.tau_ms, phi="tanh"), r0


def _batch_layout(config: ChaosConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gains per column and the (reference, twin) columns of every pair, pair = (g, trial).

    Columns ``gi*T + t`` hold trial ``t`` at gain index ``gi``; its twin is ``G*T`` columns
    further (``G`` gains, ``T`` trials): the two halves of the batch are contiguous, which
    makes the twin distance a contiguous pass over each row.
    """
    n_g, n_t = len(config.gains), config.trials
    gain = np.tile(np.repeat(np.asarray(config.gains, dtype=np.float64), n_t), 2)
    ref = np.arange(n_g * n_t)
    return gain, ref, ref + n_g * n_t


def simulate_session(config_json: str, session: int) -> xr.Dataset:
    """Work unit: simulate and analyse one session; returns its slice of the results.

    Takes the config as JSON so that the unit is a small picklable record for any executor.
    """
    config = ChaosConfig.model_validate_json(config_json)
    network, r0 = session_network(config, session)
    gain, ref_cols, twin_cols = _batch_layout(config)
    n_g, n_t = len(config.gains), config.trials
    start = np.tile(r0.T, (1, 2 * n_g))  # (n, 2 G T): every gain starts from the same r0
    start[:, n_g * n_t :] += config.perturbation

    n_example = min(config.n_steps, int(round(config.example_duration_ms / config.dt_ms)))
    example_cols = np.stack([ref_cols, twin_cols], axis=1).reshape(n_g, n_t, 2)[:, config.trial_index, :]  # (g, twin)
    divergence = TwinDivergence(ref_cols, twin_cols)
    example = SampledUnits([config.unit_index], trajectories=example_cols.ravel())
    integrate(
        network,
        start,
        duration_ms=config.duration_ms,
        dt_ms=config.dt_ms,
        gain=gain,
        method=config.method,
        dtype=config.dtype,
        observers=[divergence, example],
        backend=config.backend,
        threads=config.threads,
    )
    time_ms = divergence.time_ms
    div = divergence.data.T.reshape(n_g, n_t, -1)  # (g, trial, time)

    exponent = np.full(n_g, np.nan)
    n_kept = np.zeros(n_g, dtype=np.int64)
    div_mean = div.mean(axis=1)
    for gi, g in enumerate(config.gains):
        if g < config.chaos_min_gain:
            continue
        est = twin_trajectory_exponent(
            div[gi], time_ms, final_threshold=config.final_threshold, cut_fraction=config.cut_fraction
        )
        exponent[gi] = est.exponent_per_s
        n_kept[gi] = est.n_kept
        div_mean[gi] = est.mean_divergence

    example_rate = example.data[:n_example, 0, :].reshape(n_example, n_g, 2).transpose(1, 2, 0)
    one = lambda a: a[None]  # noqa: E731 - add the session axis
    trial_divergence = {}
    if config.store_trial_divergence:
        trial_divergence["divergence"] = (("session", "g", "trial", "time"), one(div.astype(np.float32)))
    return xr.Dataset(
        {
            **trial_divergence,
            "lyapunov_exponent": (("session", "g"), one(exponent)),
            "n_nonstable": (("session", "g"), one(n_kept)),
            "divergence_mean": (("session", "g", "time"), one(div_mean)),
            "final_divergence": (("session", "g", "trial"), one(div[:, :, -1])),
            "example_rate": (("session", "g", "twin", "example_time"), one(example_rate)),
        },
        coords={"session": [session], "g": np.asarray(config.gains, dtype=np.float64)},
    )


def _variable_attrs() -> dict[str, dict[str, str]]:
    return {
        "lyapunov_exponent": {"units": "1/s", "long_name": "largest Lyapunov exponent (twin-trajectory estimate)",
                              "description": "NaN where g < chaos_min_gain or no trial is non-stable"},
        "n_nonstable": {"units": "1", "long_name": "trials whose final divergence >= final_threshold"},
        "divergence_mean": {"units": "1", "long_name": "D(t): mean twin divergence",
                            "description": "over non-stable trials for g >= chaos_min_gain (all trials if none), over all trials below"},
        "final_divergence": {"units": "1", "long_name": "||r_twin - r|| at the last step"},
        "divergence": {"units": "1", "long_name": "||r_twin - r|| per trial (float32)"},
        "example_rate": {"units": "1", "long_name": "rate of the example unit in the example trial"},
    }


def results_template(config: ChaosConfig) -> xr.Dataset:
    """The results Dataset before any session ran: every variable (lazy, NaN-filled),
    dimension, coordinate and attribute, and the edges of session 1's network."""
    import dask.array as da

    s, n_g, n_t, n_time = config.sessions, len(config.gains), config.trials, config.n_steps
    n_example = min(n_time, int(round(config.example_duration_ms / config.dt_ms)))
    shapes = {
        "lyapunov_exponent": (("session", "g"), (s, n_g), np.float64),
        "n_nonstable": (("session", "g"), (s, n_g), np.int64),
        "divergence_mean": (("session", "g", "time"), (s, n_g, n_time), np.float64),
        "final_divergence": (("session", "g", "trial"), (s, n_g, n_t), np.float64),
        "example_rate": (("session", "g", "twin", "example_time"), (s, n_g, 2, n_example), np.float64),
    }
    if config.store_trial_divergence:
        shapes["divergence"] = (("session", "g", "trial", "time"), (s, n_g, n_t, n_time), np.float32)
    attrs = _variable_attrs()
    data_vars = {}
    for name, (dims, shape, dtype) in shapes.items():
        chunks = (1,) + shape[1:]
        fill = 0 if np.issubdtype(dtype, np.integer) else np.nan
        data_vars[name] = (dims, da.full(shape, fill, dtype=dtype, chunks=chunks), attrs[name])
    time_ms = np.arange(n_time) * config.dt_ms
    ds = xr.Dataset(
        data_vars,
        coords={
            "session": ("session", np.arange(1, s + 1), {"long_name": "network (session) number"}),
            "g": ("g", np.asarray(config.gains, dtype=np.float64), {"long_name": "synaptic upscaling factor"}),
            "trial": ("trial", np.arange(n_t)),
            "time": ("time", time_ms, {"units": "ms"}),
            "example_time": ("example_time", time_ms[:n_example], {"units": "ms"}),
            "twin": ("twin", np.array(["original", "twin"], dtype=object)),
        },
        attrs={
            "title": "netdyn chaos study: synaptic upscaling and chaos in random rate networks",
            "config": config.model_dump_json(),
            "netdyn_version": netdyn.__version__,
            "example_unit": config.unit_index,
            "example_trial": config.trial_index,
            "weight_std": config.weight_std,
        },
    )
    return ds.merge(example_edges(config))


def example_edges(config: ChaosConfig) -> xr.Dataset:
    """Edges of session 1's network (for the figure's design panel), with their values."""
    network, _ = session_network(config, 1)
    w = network.weights.tocoo()
    return xr.Dataset(
        {
            "example_edge_pre": ("edge", w.col.astype(np.int64)),
            "example_edge_post": ("edge", w.row.astype(np.int64)),
            "example_edge_weight": ("edge", w.data),
        },
        coords={"edge": np.arange(w.nnz)},
    )


def summary(ds: xr.Dataset) -> dict[str, Any]:
    """``{"g": [...], "lyapunov_exponent": [[...] per session]}``; NaN becomes null."""
    lam = ds["lyapunov_exponent"].values
    return {
        "g": [float(g) for g in ds["g"].values],
        "session": [int(s) for s in ds["session"].values],
        "lyapunov_exponent": nan_to_none(lam),
        "units": {"lyapunov_exponent": "1/s"},
        "netdyn_version": ds.attrs.get("netdyn_version"),
    }


def draw_figure(ds: xr.Dataset, out: Path) -> list[Path]:
    """The study's figure, ``figure.png``/``.pdf`` in ``out``."""
    from netdyn.plots.chaos import plot_chaos_figure

    return plot_chaos_figure(ds, out / FIGURE_STEM)


def check_backend(config: ChaosConfig) -> None:
    """Refuse ``backend = "gpu"`` without a CUDA GPU, before anything is written (ConfigError
    naming ``backend``)."""
    if config.backend == "gpu":
        from netdyn.engines.gpu.device import cuda_or_error

        cuda_or_error()


CHAOS = SweepStudy(
    name="chaos", config_class=ChaosConfig, unit_dim="session", template=results_template,
    unit_function=simulate_session, summary=summary, figure=draw_figure, check=check_backend,
)
"""The chaos study, for :func:`netdyn.sweep.run_study` and :func:`netdyn.sweep.redraw`."""


def run_chaos(config: ChaosConfig, out: str | os.PathLike[str], **execution: Any) -> StudyOutputs:
    """Run the chaos study into directory ``out`` (``results.zarr``, ``summary.json``,
    ``figure.png``/``.pdf``); resume what an earlier run left unfinished.

    ``execution``: the keywords of :func:`netdyn.sweep.run_study` (``workers``,
    ``scheduler``, ``use_mpi``, ``progress``, ``figure``). Sessions already
    in ``results.zarr`` (same config) are not recomputed; numbers do not depend on the
    executor or on interruptions.
    """
    return run_study(CHAOS, config, out, **execution)
