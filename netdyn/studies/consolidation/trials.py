"""Studies ``consolidation-trials`` and ``consolidation-screen``: many trials, each a work unit.

:data:`CONSOLIDATION_TRIALS` (``--trials N``) runs one protocol N times (seeds ``seed`` ...
``seed + N - 1``); :data:`CONSOLIDATION_SCREEN` runs the assembly-size screen of Luboeinski &
Tetzlaff (2021): trials x assembly sizes x {10-s, 8-h recall} of the 2,000-neuron network.
Each trial is a unit of the sweep layer (local processes, Dask or MPI), written to
``results.zarr`` as it finishes, so that a killed screen resumes where it stopped; a trial's
numbers depend only on its configuration and seed, never on the number of workers.

Per trial the store holds the recall quality (Q, its across-neuron error, MI and H(L) in bits),
the rates of the subpopulations at recall, and per sampled synapse and neuron the numbers of
``summary.json`` of a single trial. ``summary.json`` gives their mean, SD and count over trials
(per assembly size and protocol for the screen).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.config.consolidation import ConsolidationConfig, ConsolidationScreenConfig, ConsolidationTrialsConfig
from netdyn.studies.consolidation.simulation import CITATIONS, check_consolidation, readout, simulate
from netdyn.sweep import SweepStudy, run_study

__all__ = ["CONSOLIDATION_SCREEN", "CONSOLIDATION_TRIALS", "REFERENCE_SCREEN", "run_consolidation_screen",
           "run_consolidation_trials", "screen_summary", "trials_summary"]

#: Per-trial scalars: name -> (units, long name).
SCALARS: dict[str, tuple[str, str]] = {
    "Q": ("1", "recall quality (nu_ans - nu_ctrl) / nu_as"),
    "sigma_Q": ("1", "error of Q from the across-neuron SDs"),
    "MI_bits": ("bit", "mutual information of the rates at learning and at recall"),
    "H_L_bits": ("bit", "entropy of the rates at learning"),
    "rate_as_hz": ("spikes/s", "mean rate at recall of the recall-stimulated assembly neurons"),
    "rate_ans_hz": ("spikes/s", "mean rate at recall of the other assembly neurons"),
    "rate_ctrl_hz": ("spikes/s", "mean rate at recall of the excitatory neurons outside the assembly"),
    "rate_inh_hz": ("spikes/s", "mean rate at recall of the inhibitory neurons"),
    "rate_exc_hz": ("spikes/s", "mean rate at recall of all excitatory neurons"),
    "cpu_s": ("s", "time of building and simulating the trial"),
}
PER_SYNAPSE = {"h_final_mV": "mV", "z_final": "1", "h_max_mV": "mV"}
N_SAMPLES = 8  # sampled synapses kept per trial (padded with NaN / -1)

#: Mean and SD over 50 trials of the stand-alone simulator of Luboeinski & Tetzlaff (2021)
#: (their repository's memory-recall comparison), per (assembly size, protocol).
REFERENCE_SCREEN: dict[str, dict[tuple[int, str], tuple[float, float]]] = {
    "Q": {(100, "net-10s"): (0.0174, 0.0146), (100, "net-8h"): (0.0237, 0.0183),
          (150, "net-10s"): (0.0307, 0.0140), (150, "net-8h"): (0.0340, 0.0155),
          (200, "net-10s"): (0.0390, 0.0178), (200, "net-8h"): (0.0514, 0.0219),
          (250, "net-10s"): (0.0503, 0.0162), (250, "net-8h"): (0.0801, 0.0273)},
    "MI_bits": {(100, "net-10s"): (0.661, 0.048), (100, "net-8h"): (0.709, 0.051),
                (150, "net-10s"): (0.860, 0.066), (150, "net-8h"): (0.941, 0.062),
                (200, "net-10s"): (1.024, 0.066), (200, "net-8h"): (1.105, 0.059),
                (250, "net-10s"): (1.169, 0.061), (250, "net-8h"): (1.292, 0.070)},
}


def trial_values(config: ConsolidationConfig) -> dict[str, Any]:
    """Simulate one trial and reduce it to the numbers a sweep stores."""
    import time

    t0 = time.process_time()
    trial = simulate(config, progress=False)
    summary = readout(config, trial)
    values: dict[str, Any] = {k: np.nan for k in SCALARS}
    for key in ("Q", "sigma_Q", "MI_bits", "H_L_bits"):
        if summary.get(key) is not None:
            values[key] = summary[key]
    for group, rate in (summary.get("rates_hz") or {}).items():
        values[f"rate_{group}_hz"] = np.nan if rate is None else rate
    values["cpu_s"] = time.process_time() - t0
    syn = list(summary["synapses"].items())[:N_SAMPLES]
    pairs = np.full((N_SAMPLES, 2), -1, np.int64)
    per = {name: np.full(N_SAMPLES, np.nan) for name in PER_SYNAPSE}
    for j, (label, entry) in enumerate(syn):
        pairs[j] = [int(x) for x in label.split("->")]
        for name in PER_SYNAPSE:
            per[name][j] = np.nan if entry[name] is None else entry[name]
    values["pairs"] = pairs
    values.update(per)
    return values


def _unit_dataset(dim: str, unit: Any, values: dict[str, Any], coords: dict[str, Any]) -> xr.Dataset:
    data = {k: ((dim,), [values[k]], {"units": u, "long_name": n}) for k, (u, n) in SCALARS.items()}
    for name, unit_name in PER_SYNAPSE.items():
        data[name] = ((dim, "sample"), values[name][None], {"units": unit_name})
    data["sample_pre"] = ((dim, "sample"), values["pairs"][None, :, 0], {"units": "1"})
    data["sample_post"] = ((dim, "sample"), values["pairs"][None, :, 1], {"units": "1"})
    return xr.Dataset(data, coords={dim: [unit], **coords})


def _template(dim: str, units: Sequence[Any], coords: dict[str, Any], attrs: dict[str, Any]) -> xr.Dataset:
    import dask.array as da

    n = len(units)
    data = {k: ((dim,), da.full((n,), np.nan, chunks=(1,)), {"units": u, "long_name": ln})
            for k, (u, ln) in SCALARS.items()}
    for name, unit_name in PER_SYNAPSE.items():
        data[name] = ((dim, "sample"), da.full((n, N_SAMPLES), np.nan, chunks=(1, N_SAMPLES)), {"units": unit_name})
    for name in ("sample_pre", "sample_post"):
        data[name] = ((dim, "sample"), da.full((n, N_SAMPLES), -1, chunks=(1, N_SAMPLES), dtype=np.int64), {"units": "1"})
    return xr.Dataset(data, coords={dim: np.asarray(units, dtype=np.int64), **coords},
                      attrs={**attrs, "netdyn_version": __version__, "references": "\n".join(CITATIONS)})


def _stat(values: np.ndarray) -> dict[str, Any]:
    ok = np.asarray(values, dtype=float)
    ok = ok[np.isfinite(ok)]
    if ok.size == 0:
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": float(ok.mean()), "sd": float(ok.std(ddof=1)) if ok.size > 1 else None, "n": int(ok.size)}


# --------------------------------------------------------------------------- trials of one protocol


def simulate_trial(config_json: str, trial: int) -> xr.Dataset:
    """One unit of :data:`CONSOLIDATION_TRIALS`: trial ``trial`` (seed ``seed + trial``)."""
    base = ConsolidationConfig.model_validate_json(config_json)
    config = base.replace(seed=base.seed + int(trial))
    return _unit_dataset("trial", int(trial), trial_values(config), {})


def trials_template(config: ConsolidationTrialsConfig) -> xr.Dataset:
    return _template("trial", range(config.trials), {}, {
        "title": "netdyn consolidation study over trials", "protocol": config.protocol,
        "config": _single(config).model_dump_json()})


def _single(config: ConsolidationTrialsConfig) -> ConsolidationConfig:
    return ConsolidationConfig.model_validate(config.model_dump(exclude={"trials"}))


def trials_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Mean, SD and count over trials of every number a trial stores."""
    out: dict[str, Any] = {"protocol": ds.attrs.get("protocol"), "trials": int(ds.sizes["trial"])}
    out.update({k: _stat(ds[k].values) for k in SCALARS})
    synapses = {}
    pre, post = ds["sample_pre"].values, ds["sample_post"].values
    for j in range(N_SAMPLES):
        if (pre[:, j] >= 0).any() and len({(a, b) for a, b in zip(pre[:, j], post[:, j]) if a >= 0}) == 1:
            label = f"{int(pre[pre[:, j] >= 0, j][0])}->{int(post[pre[:, j] >= 0, j][0])}"
            synapses[label] = {name: _stat(ds[name].values[:, j]) for name in PER_SYNAPSE}
    out["synapses"] = synapses
    out["netdyn_version"] = ds.attrs.get("netdyn_version")
    return out


def _trials_figure(ds: xr.Dataset, out) -> list:
    if not np.isfinite(ds["Q"].values).any():
        return []
    from netdyn.plots.consolidation import save_consolidation_figures

    config = ConsolidationConfig.model_validate_json(ds.attrs["config"])
    r = config.resolved()
    screen = _as_screen(ds, r["n_ca"], config.protocol)
    reference = REFERENCE_SCREEN if (r["n_exc"], r["n_inh"]) == (1600, 400) else None
    return save_consolidation_figures(out, screen=screen, reference=reference, attrs=ds.attrs)


def _as_screen(ds: xr.Dataset, n_ca: int, protocol: str) -> xr.Dataset:
    keep = ["Q", "MI_bits", "rate_as_hz", "rate_ans_hz", "rate_ctrl_hz", "rate_inh_hz"]
    return ds[keep].expand_dims(n_ca=[n_ca], protocol=np.array([protocol], dtype=object)).transpose("n_ca", "protocol", "trial")


def _check_trials(config: ConsolidationTrialsConfig) -> None:
    check_consolidation(_single(config))


CONSOLIDATION_TRIALS = SweepStudy(
    name="consolidation-trials", config_class=ConsolidationTrialsConfig, unit_dim="trial",
    template=trials_template, unit_function=simulate_trial, summary=trials_summary, figure=_trials_figure,
    check=_check_trials, store_config=_single,
)
"""Trials of one consolidation protocol, for :func:`netdyn.sweep.run_study`."""


# --------------------------------------------------------------------------- the screen


def _cells(config: ConsolidationScreenConfig) -> list[tuple[str, int, int]]:
    """(protocol, n_ca, trial) of every run, in run order."""
    return [(p, n, t) for t in range(config.trials) for n in config.n_ca_values for p in config.protocols]


def simulate_screen_run(config_json: str, run: int) -> xr.Dataset:
    """One unit of :data:`CONSOLIDATION_SCREEN`: run ``run`` of :func:`_cells`."""
    config = ConsolidationScreenConfig.model_validate_json(config_json)
    protocol, n_ca, trial = _cells(config)[int(run)]
    values = trial_values(config.trial_config(protocol, n_ca, trial))
    return _unit_dataset("run", int(run), values, {})


def screen_template(config: ConsolidationScreenConfig) -> xr.Dataset:
    cells = _cells(config)
    coords = {"protocol": ("run", np.array([c[0] for c in cells], dtype=object)),
              "n_ca": ("run", np.array([c[1] for c in cells], dtype=np.int64)),
              "trial": ("run", np.array([c[2] for c in cells], dtype=np.int64))}
    return _template("run", range(len(cells)), coords, {"title": "netdyn consolidation screen",
                                                         "config": config.model_dump_json()})


def screen_dataset(ds: xr.Dataset) -> xr.Dataset:
    """The screen's runs as ``(n_ca, protocol, trial)`` arrays (NaN where a run is missing)."""
    keep = [k for k in SCALARS if k in ds]
    table = ds[keep].set_index(run=["n_ca", "protocol", "trial"]).unstack("run")
    return table.transpose("n_ca", "protocol", "trial")


def screen_summary(ds: xr.Dataset) -> dict[str, Any]:
    """Per assembly size and protocol: mean, SD and count over trials of Q, MI and the rates;
    and whether MI after 8 h exceeds MI after 10 s (the paper's memory improvement)."""
    table = screen_dataset(ds)
    out: dict[str, Any] = {"cells": {}}
    for n_ca in table.n_ca.values:
        for protocol in table.protocol.values:
            cell = table.sel(n_ca=n_ca, protocol=protocol)
            entry = {k: _stat(cell[k].values) for k in SCALARS}
            entry["reference"] = {k: REFERENCE_SCREEN[k].get((int(n_ca), str(protocol))) for k in REFERENCE_SCREEN}
            out["cells"][f"{int(n_ca)}/{protocol}"] = entry
    improvement = {}
    if {"net-10s", "net-8h"} <= set(map(str, table.protocol.values)):
        for n_ca in table.n_ca.values:
            a = table["MI_bits"].sel(n_ca=n_ca, protocol="net-10s").values
            b = table["MI_bits"].sel(n_ca=n_ca, protocol="net-8h").values
            ok = np.isfinite(a) & np.isfinite(b)
            improvement[str(int(n_ca))] = {"mi_8h_minus_10s": _stat(b[ok] - a[ok]),
                                           "mi_8h_gt_10s": bool(ok.any() and np.mean(b[ok]) > np.mean(a[ok]))}
    out["memory_improvement"] = improvement
    out["netdyn_version"] = ds.attrs.get("netdyn_version")
    return out


def _screen_figure(ds: xr.Dataset, out) -> list:
    from netdyn.plots.consolidation import save_consolidation_figures

    config = ConsolidationScreenConfig.model_validate_json(ds.attrs["config"])
    reference = REFERENCE_SCREEN if (config.n_exc, config.n_inh) == (1600, 400) else None
    return save_consolidation_figures(out, screen=screen_dataset(ds), reference=reference, attrs=ds.attrs)


def _check_screen(config: ConsolidationScreenConfig) -> None:
    for protocol in config.protocols:
        check_consolidation(config.trial_config(protocol, config.n_ca_values[0], 0))


CONSOLIDATION_SCREEN = SweepStudy(
    name="consolidation-screen", config_class=ConsolidationScreenConfig, unit_dim="run",
    template=screen_template, unit_function=simulate_screen_run, summary=screen_summary, figure=_screen_figure,
    check=_check_screen,
)
"""The assembly-size screen, for :func:`netdyn.sweep.run_study`."""


def run_consolidation_trials(config: ConsolidationTrialsConfig | dict[str, Any], out: str | os.PathLike[str], *,
                             workers: int | None = None, scheduler: str | None = None, use_mpi: bool | None = None,
                             progress: bool | None = True, figure: bool = True):
    """Run ``config.trials`` trials of a protocol into ``out`` (resumable; see the module doc)."""
    return run_study(CONSOLIDATION_TRIALS, config, out, workers=workers, scheduler=scheduler, use_mpi=use_mpi,
                     progress=progress, figure=figure)


def run_consolidation_screen(config: ConsolidationScreenConfig | dict[str, Any], out: str | os.PathLike[str], *,
                             workers: int | None = None, scheduler: str | None = None, use_mpi: bool | None = None,
                             progress: bool | None = True, figure: bool = True):
    """Run the assembly-size screen into ``out`` (resumable: rerun after an interruption).

    >>> out = run_consolidation_screen({"n_ca_values": [100, 150], "trials": 10}, "results/screen", workers=2)
    >>> out.stats["memory_improvement"]          # MI after 8 h against MI after 10 s, per size
    """
    return run_study(CONSOLIDATION_SCREEN, config, out, workers=workers, scheduler=scheduler, use_mpi=use_mpi,
                     progress=progress, figure=figure)
