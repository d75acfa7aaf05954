"""Study ``multiarea-theory``: the mean field of the multi-area model (Schuecker et al. 2017).

The population rates follow the pseudo-dynamics :math:`\\tau_r\\dot\\nu = -\\nu +
\\Phi(\\mu(\\nu), \\sigma(\\nu))` with the Siegert rate :math:`\\Phi` (Fourcaud-Brunel correction)
of :mod:`netdyn.theory.multiarea`, integrated from rest by exponential Euler (:math:`\\tau_r` =
1 ms, :math:`h` = 0.1 ms, :math:`T` = 50 ms); the rates at :math:`T` are refined to the fixed
point by a root finder, and the gain matrix :math:`G = \\partial\\Phi/\\partial\\nu` there gives
the stability measure: its leading eigenvalue (largest real part) below 1 means a stable state.

:data:`MULTIAREA_THEORY` (:func:`run_multiarea_theory`) writes::

    results.zarr   rates at T, at the fixed point, mu and sigma (area, population), the
                   trajectory (time_ms, area, population), the eigenvalues of the gain matrix
    summary.json   {"mean_rate_hz": unweighted mean over the populations at T, "rates_hz":
                   {area: {population: rate}}, "leading_eigenvalue": its real part, ...}
    figure.png/pdf the trajectory, the rates and the spectrum (netdyn.plots.multiarea)
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from netdyn import __version__
from netdyn.config.multiarea import MultiAreaTheoryConfig
from netdyn.errors import ConfigError
from netdyn.models.multiarea import AREAS, CITATIONS, POPULATIONS
from netdyn.studies.multiarea.network import check_model, model_parameters
from netdyn.studies.multiarea.tables import grid, per_population
from netdyn.sweep import SingleRunStudy, run_study
from netdyn.sweep.store import open_results, write_results
from netdyn.sweep.study import STUDY_ATTR, nan_to_none

__all__ = ["MULTIAREA_THEORY", "MultiAreaTheoryOutputs", "mean_field_rates", "run_multiarea_theory", "theory_dataset"]

FIGURE_STEM = "figure"


def mean_field_rates(par: dict[str, Any], *, t_end_ms: float = 50.0, dt_ms: float = 0.1,
                     tau_r_ms: float = 1.0) -> np.ndarray:
    """Mean-field rates (spikes/s) of the model's numbers ``par`` at ``t_end_ms`` of the
    pseudo-dynamics from rest, over the model's 254 populations (NaN where not simulated)."""
    from netdyn.theory.multiarea import multiarea_rates

    rates = multiarea_rates(par, t_end_ms=t_end_ms, dt_ms=dt_ms, tau_r_ms=tau_r_ms).rates_hz
    return _over_model(rates, par)


def _over_model(values: np.ndarray, par: dict[str, Any]) -> np.ndarray:
    """Values of the simulated populations placed in the model's 254 (NaN elsewhere)."""
    out = np.full((len(par["names"]),) + np.shape(values)[1:], np.nan)
    out[np.asarray(par["simulated"], dtype=bool)] = values
    return out


def theory_dataset(config: MultiAreaTheoryConfig) -> xr.Dataset:
    """The mean field of ``config``: trajectory, rates at T and at the fixed point, moments,
    spectrum of the gain matrix (module docstring), with timings in the attributes."""
    from netdyn.theory.multiarea import multiarea_mean_field

    t0 = time.perf_counter()
    par = model_parameters(config)
    mf = multiarea_mean_field(par)
    dynamics = mf.integrate(t_end_ms=config.t_end_ms, dt_ms=config.dt_ms, tau_r_ms=config.tau_r_ms, trajectory=True)
    t_dyn = time.perf_counter() - t0
    try:
        fixed = mf.fixed_point(dynamics.rates_hz)
        fixed_rates, residual = fixed.rates_hz, fixed.residual_hz
    except ConfigError:  # no root near the end point: the spectrum is taken there
        fixed_rates, residual = dynamics.rates_hz, float("nan")
    eigenvalues = np.linalg.eigvals(mf.gain_matrix(fixed_rates))
    eigenvalues = eigenvalues[np.argsort(-eigenvalues.real, kind="stable")]
    elapsed = time.perf_counter() - t0
    population = ("area", "population")
    trajectory = np.moveaxis(grid(_over_model(dynamics.trajectory_hz.T, par), par), -1, 0)
    data = {
        "rate_hz": (population, grid(_over_model(dynamics.rates_hz, par), par),
                    {"units": "spikes/s", "long_name": f"mean-field rate at T = {config.t_end_ms:g} ms"}),
        "fixed_point_rate_hz": (population, grid(_over_model(fixed_rates, par), par),
                                {"units": "spikes/s", "long_name": "fixed point of the mean field (root finder "
                                 "from the rates at T)"}),
        "mu_mV": (population, grid(_over_model(dynamics.mu_mV, par), par),
                  {"units": "mV", "long_name": "mean input at T (relative to rest)"}),
        "sigma_mV": (population, grid(_over_model(dynamics.sigma_mV, par), par),
                     {"units": "mV", "long_name": "SD of the input at T"}),
        "trajectory_hz": (("time_ms",) + population, trajectory,
                          {"units": "spikes/s", "long_name": "rates of the pseudo-dynamics"}),
        "eigenvalue_real": (("mode",), eigenvalues.real, {"units": "1", "long_name": "gain-matrix eigenvalue, "
                                                          "real part (descending)"}),
        "eigenvalue_imag": (("mode",), eigenvalues.imag, {"units": "1", "long_name": "gain-matrix eigenvalue, "
                                                          "imaginary part"}),
    }
    rates_t = dynamics.rates_hz
    return xr.Dataset(
        data,
        coords={"area": np.array(AREAS, dtype=object), "population": np.array(POPULATIONS, dtype=object),
                "time_ms": ("time_ms", dynamics.times_ms, {"units": "ms", "long_name": "pseudo-time"}),
                "mode": np.arange(eigenvalues.size)},
        attrs={"title": "netdyn multiarea mean-field theory", STUDY_ATTR: "multiarea-theory",
               "config": config.model_dump_json(), "netdyn_version": __version__,
               "references": "\n".join(CITATIONS),
               "scale": config.resolved("scale"), "chi": config.resolved("chi"), "chi_i": config.resolved("chi_i"),
               "mean_rate_hz": float(rates_t.mean()), "n_populations": int(rates_t.size),
               "leading_eigenvalue_real": float(eigenvalues[0].real),
               "leading_eigenvalue_imag": float(eigenvalues[0].imag),
               "fixed_point_residual_hz": residual,
               "max_rate_change_at_t_hz": float(np.max(np.abs(dynamics.trajectory_hz[-1] - dynamics.trajectory_hz[-2]))
                                                / config.dt_ms),
               "time_s": round(elapsed, 3), "pseudo_dynamics_s": round(t_dyn, 3)},
    )


def theory_summary(ds: xr.Dataset) -> dict[str, Any]:
    """The content of ``summary.json``."""
    return {
        "mean_rate_hz": ds.attrs["mean_rate_hz"],
        "rates_hz": per_population(ds["rate_hz"]),
        "leading_eigenvalue": ds.attrs["leading_eigenvalue_real"],
        "leading_eigenvalue_imag": ds.attrs["leading_eigenvalue_imag"],
        "stable": bool(ds.attrs["leading_eigenvalue_real"] < 1.0),
        "fixed_point_rates_hz": per_population(ds["fixed_point_rate_hz"]),
        "fixed_point_residual_hz": nan_to_none(ds.attrs["fixed_point_residual_hz"]),
        "n_populations": ds.attrs["n_populations"],
        "config": json.loads(ds.attrs["config"]),
        "time_s": ds.attrs["time_s"],
        "netdyn_version": ds.attrs["netdyn_version"],
        "notes": {"mean_rate_hz": "unweighted mean over the populations at T",
                  "leading_eigenvalue": "real part of the gain-matrix eigenvalue with the largest real part, at "
                                        "the fixed point; below 1: stable (Schuecker et al. 2017)"},
    }


def _run(config: MultiAreaTheoryConfig, path: Path, progress: bool | None) -> tuple[xr.Dataset, dict[str, Any]]:
    ds = theory_dataset(config)
    write_results(ds, path)
    return ds, theory_summary(ds)


def _figure(ds: xr.Dataset, out: Path) -> list[Path]:
    from netdyn.plots.multiarea import plot_mean_field_theory

    return plot_mean_field_theory(ds, Path(out) / FIGURE_STEM)


MULTIAREA_THEORY = SingleRunStudy(
    name="multiarea-theory", config_class=MultiAreaTheoryConfig, run=_run,
    reader=functools.partial(open_results, load=True), figure=_figure,
    check=check_model,
)
"""The mean field of the multi-area model, for :func:`netdyn.sweep.run_study`."""


@dataclass(frozen=True)
class MultiAreaTheoryOutputs:
    """What :func:`run_multiarea_theory` wrote and computed."""

    results: Path
    summary: Path
    figures: tuple[Path, ...]
    stats: dict[str, Any]


def run_multiarea_theory(config: MultiAreaTheoryConfig, out: str | Path, *,
                         figure: bool = True) -> MultiAreaTheoryOutputs:
    """Compute the mean field of ``config`` into directory ``out`` (``results.zarr``,
    ``summary.json``, ``figure.png``/``.pdf``); a rerun replaces them."""
    outputs = run_study(MULTIAREA_THEORY, config, out, figure=figure)
    return MultiAreaTheoryOutputs(outputs.results, outputs.summary, outputs.figures, outputs.stats)
