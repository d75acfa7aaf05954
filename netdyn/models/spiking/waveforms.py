"""Rate waveforms of Poisson inputs: serialisable records that evaluate to Hz on a time grid."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import Field, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError


class ConstantRate(Spec):
    """``rate_hz`` at all times."""

    kind: Literal["constant"] = "constant"
    rate_hz: float = Field(ge=0)

    def __call__(self, t_ms: np.ndarray) -> np.ndarray:
        return np.full(np.shape(t_ms), self.rate_hz, dtype=np.float64)


class GaussianBump(Spec):
    """``baseline_hz + amplitude_hz exp(-(t - center_ms)^2 / (2 sigma_ms^2))``."""

    kind: Literal["gaussian"] = "gaussian"
    baseline_hz: float = Field(ge=0)
    amplitude_hz: float
    center_ms: float
    sigma_ms: float = Field(gt=0)

    def __call__(self, t_ms: np.ndarray) -> np.ndarray:
        t = np.asarray(t_ms, dtype=np.float64)
        return np.maximum(self.baseline_hz + self.amplitude_hz * np.exp(-0.5 * ((t - self.center_ms) / self.sigma_ms) ** 2), 0.0)


class SampledRate(Spec):
    """Samples ``rates_hz`` at ``times_ms`` (increasing), linearly interpolated, held outside."""

    kind: Literal["samples"] = "samples"
    times_ms: tuple[float, ...]
    rates_hz: tuple[float, ...]

    @model_validator(mode="after")
    def _check(self) -> "SampledRate":
        t = np.asarray(self.times_ms)
        r = np.asarray(self.rates_hz)
        if t.size == 0 or t.shape != r.shape:
            raise ConfigError("rates_hz", len(self.rates_hz), f"needs one rate per time ({t.size} times)")
        if np.any(np.diff(t) <= 0):
            raise ConfigError("times_ms", self.times_ms[:5], "must be strictly increasing")
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ConfigError("rates_hz", float(r.min()), "rates must be finite and >= 0")
        return self

    def __call__(self, t_ms: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(t_ms, dtype=np.float64), self.times_ms, self.rates_hz)


RateWaveform = Annotated[Union[ConstantRate, GaussianBump, SampledRate], Field(discriminator="kind")]


def as_waveform(value: Any) -> Any:
    """A number is a constant rate in Hz; a mapping is parsed by its ``kind``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "constant", "rate_hz": float(value)}
    return value
