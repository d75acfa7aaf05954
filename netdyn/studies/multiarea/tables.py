"""The model's 254 populations on the (area, population) grid: arrays and JSON tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from netdyn.models.multiarea import AREAS, POPULATIONS

__all__ = ["grid", "per_population"]


def grid(values: np.ndarray, par: dict[str, Any], fill: float = np.nan) -> np.ndarray:
    """Values over the model's 254 populations as an ``(area, population)`` grid (absent
    populations ``fill``)."""
    out = np.full((len(AREAS), len(POPULATIONS)) + np.shape(values)[1:], fill, dtype=float)
    for k, name in enumerate(par["names"]):
        area, pop = name.split("/")
        out[AREAS.index(area), POPULATIONS.index(pop)] = values[k]
    return out


def per_population(values: xr.DataArray) -> dict[str, dict[str, float | None]]:
    """``{area: {population: value}}`` of an ``(area, population)`` array; absent populations
    (NaN: TH's layer 4, areas not simulated) are left out, not written as 0."""
    out: dict[str, dict[str, float | None]] = {}
    for area in values["area"].values:
        row = {str(pop): float(v) for pop, v in zip(values["population"].values, values.sel(area=area).values)
               if np.isfinite(v)}
        if row:
            out[str(area)] = row
    return out
