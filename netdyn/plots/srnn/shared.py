"""What both srnn figures share: the configurations' display names and colours, the compact
number format of their labels, and quantiles over networks that tolerate all-NaN cells."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = [
    "CONFIG_NAMES",
    "CONFIG_COLOURS",
    "config_name",
    "config_colours",
    "fmt_number",
    "nan_quantiles",
]

#: Display names of the configurations (coordinate value -> name).
CONFIG_NAMES = {"none": "none", "sfa": "SFA", "std": "STD", "sfa_std": "SFA+STD"}
#: Colour of each configuration (Okabe-Ito palette); other labels take _EXTRA_COLOURS.
CONFIG_COLOURS = {"none": "#4d4d4d", "sfa": "#0072B2", "std": "#E69F00", "sfa_std": "#009E73"}
_EXTRA_COLOURS = ("#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


def fmt_number(value: float, digits: int = 2) -> str:
    """Compact number with a typographic minus: -0.0667 -> '−0.067', -29.49 -> '−29'."""
    if not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:.0f}"
    return text.replace("-", "\u2212")


def config_name(label: Any) -> str:
    """Display name of a configuration ("sfa_std" -> "SFA+STD"); unknown labels as they are."""
    return CONFIG_NAMES.get(str(label), str(label))


def config_colours(configs: list[str]) -> dict[str, str]:
    """Colour of each configuration, the fixed ones first, then a spare palette."""
    colours, extra = {}, iter(_EXTRA_COLOURS * 4)
    for c in configs:
        colours[c] = CONFIG_COLOURS.get(c) or next(extra)
    return colours


def nan_quantiles(values: np.ndarray, qs: tuple[float, ...], axis: int) -> np.ndarray:
    """``np.nanquantile`` without the all-NaN RuntimeWarning (all-NaN slices give NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(values, qs, axis=axis)
