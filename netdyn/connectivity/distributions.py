"""Distributions of synaptic weights and delays, as small serialisable records.

A projection's weight or delay is a :data:`Distribution` (``{"kind": "normal", "mean": 87.8,
"std": 8.78, "min": 0.0}``); :func:`sample` draws ``n`` values of it with a given seed. Units
are those of the quantity sampled (pA or nS for weights, ms for delays).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import Field, FiniteFloat, TypeAdapter, ValidationError, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError
from netdyn.seeding import SeedLike, as_generator

# A bounded normal whose admissible mass is below this is taken for a configuration mistake
# (a std in the wrong unit, a sign error), not a request for a far tail.
MIN_ADMISSIBLE_MASS = 1e-9
# Redraw rounds before the remaining values are drawn by inverting the truncated CDF.
_MAX_REDRAW_ROUNDS = 64
# Below this admissible mass, redrawing wastes draws: invert the truncated CDF directly.
_REDRAW_MIN_MASS = 0.25
# Beyond this coefficient of variation a lognormal's draws overflow or vanish in float64.
_MAX_LOGNORMAL_CV = 1e6
_Z_MAX = 1e3


def _norm_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _norm_pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) if math.isfinite(z) else 0.0


class Constant(Spec):
    """Every synapse gets ``value``."""

    kind: Literal["constant"] = "constant"
    value: FiniteFloat

    @property
    def mean(self) -> float:
        """Expected value (= ``value``)."""
        return self.value

    @property
    def expected_value(self) -> float:
        return self.value


class Normal(Spec):
    """Normal ``N(mean, std^2)``, optionally bounded to ``[min, max]``.

    With ``bound="redraw"`` values outside ``[min, max]`` are drawn again (NEST's
    ``nest.math.redraw``), so the values follow the truncated normal; with ``bound="clip"``
    they are set to the nearest bound. A sign-keeping excitatory weight is
    ``Normal(mean=w, std=0.1 w, min=0)``, an inhibitory one ``max=0``; a delay at least one
    step is ``min=dt_ms``.

    ``mean`` is the location parameter; the expected value of the bounded variable is
    :attr:`expected_value`.
    """

    kind: Literal["normal"] = "normal"
    mean: FiniteFloat
    std: FiniteFloat = Field(ge=0.0)
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None
    bound: Literal["redraw", "clip"] = "redraw"

    @model_validator(mode="after")
    def _admissible(self) -> "Normal":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError("max", self.max, f"must be >= min={self.min}")
        if self.bound == "redraw" and self.admissible_mass < MIN_ADMISSIBLE_MASS:
            field = "min" if self.min is not None else "max"
            raise ConfigError(
                field,
                getattr(self, field),
                f"N({self.mean}, {self.std}^2) puts mass {self.admissible_mass:.3g} in "
                f"[{self.min}, {self.max}]: nothing to redraw from (check the std's unit and the sign)",
            )
        return self

    @property
    def _lo(self) -> float:
        return -math.inf if self.min is None else self.min

    @property
    def _hi(self) -> float:
        return math.inf if self.max is None else self.max

    @property
    def _z(self) -> tuple[float, float]:
        lo, hi = self._lo, self._hi
        if self.std == 0.0:
            a = -math.inf if lo <= self.mean else math.inf
            b = math.inf if hi >= self.mean else -math.inf
            return a, b
        # beyond 1e3 standard deviations the mass is 0 in float64; clamping keeps scipy's
        # truncnorm away from overflowing squares for a tiny std
        return tuple(min(max((v - self.mean) / self.std, -_Z_MAX), _Z_MAX) for v in (lo, hi))

    @property
    def admissible_mass(self) -> float:
        """Probability that an unbounded draw lies in ``[min, max]``."""
        a, b = self._z
        if a >= b:
            return 0.0
        # Upper tail by the complement, so far tails keep their relative precision.
        return _norm_cdf(b) - _norm_cdf(a) if b <= 0 else _norm_cdf(-a) - _norm_cdf(-b)

    @property
    def expected_value(self) -> float:
        """Expected value after redrawing (truncated normal) or clipping."""
        a, b = self._z
        if self.bound == "redraw":
            if self.std == 0.0:
                return self.mean
            from scipy.stats import truncnorm

            return min(max(float(truncnorm.mean(a, b, loc=self.mean, scale=self.std)), self._lo), self._hi)
        if self.std == 0.0:
            return min(max(self.mean, self._lo), self._hi)
        # E[clip(X)] = min P(X<min) + max P(X>max) + E[X; min<=X<=max]
        inner = self.mean * (_norm_cdf(b) - _norm_cdf(a)) + self.std * (_norm_pdf(a) - _norm_pdf(b))
        low = self.min * _norm_cdf(a) if self.min is not None else 0.0
        high = self.max * _norm_cdf(-b) if self.max is not None else 0.0
        # the sum rounds; an expected value lies in [min, max] (min == max is a constant)
        return min(max(inner + low + high, self._lo), self._hi)

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lo, hi = self._lo, self._hi
        if self.bound == "clip":
            return np.clip(rng.normal(self.mean, self.std, n), lo, hi)
        if self.std == 0.0:
            return np.full(n, self.mean)
        if self.admissible_mass < _REDRAW_MIN_MASS:
            return self._inverse_cdf(n, rng)
        x = rng.normal(self.mean, self.std, n)
        bad = np.flatnonzero((x < lo) | (x > hi))
        for _ in range(_MAX_REDRAW_ROUNDS):
            if bad.size == 0:
                return x
            x[bad] = rng.normal(self.mean, self.std, bad.size)
            bad = bad[(x[bad] < lo) | (x[bad] > hi)]
        if bad.size:  # same distribution; only reached with absurd luck
            x[bad] = self._inverse_cdf(bad.size, rng)
        return x

    def _inverse_cdf(self, n: int, rng: np.random.Generator) -> np.ndarray:
        from scipy.stats import truncnorm

        a, b = self._z
        x = truncnorm.rvs(a, b, loc=self.mean, scale=self.std, size=n, random_state=rng)
        # clip only guards against round-off at the bounds
        return np.clip(np.asarray(x, dtype=np.float64).reshape(n), self._lo, self._hi)


class LogNormal(Spec):
    """Lognormal with the given ``mean`` and ``std`` of the variable itself (not of its log).

    ``|X| = exp(N(mu, s^2))`` with ``s^2 = ln(1 + (std/mean)^2)`` and
    ``mu = ln|mean| - s^2 / 2``; a negative ``mean`` gives ``X = -|X|`` (inhibitory weights).
    """

    kind: Literal["lognormal"] = "lognormal"
    mean: FiniteFloat
    std: FiniteFloat = Field(ge=0.0)

    @model_validator(mode="after")
    def _nonzero(self) -> "LogNormal":
        if self.mean == 0.0:
            raise ConfigError("mean", self.mean, "a lognormal's mean must be nonzero (its sign is the sign of every value)")
        if not self.std / abs(self.mean) <= _MAX_LOGNORMAL_CV:
            raise ConfigError("std", self.std, f"std/|mean| must be <= {_MAX_LOGNORMAL_CV:g} (got mean={self.mean})")
        return self

    @property
    def log_params(self) -> tuple[float, float]:
        """``(mu, s)``: mean and std of ``ln|X|``."""
        s2 = math.log1p((self.std / self.mean) ** 2)
        return math.log(abs(self.mean)) - 0.5 * s2, math.sqrt(s2)

    @property
    def expected_value(self) -> float:
        return self.mean

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        mu, s = self.log_params
        return math.copysign(1.0, self.mean) * rng.lognormal(mu, s, n)


class Uniform(Spec):
    """Uniform on ``[low, high)``."""

    kind: Literal["uniform"] = "uniform"
    low: FiniteFloat
    high: FiniteFloat

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high < self.low:
            raise ConfigError("high", self.high, f"must be >= low={self.low}")
        return self

    @property
    def mean(self) -> float:
        """Expected value ``(low + high) / 2``."""
        return 0.5 * (self.low + self.high)

    @property
    def expected_value(self) -> float:
        return self.mean

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


Distribution = Annotated[Union[Constant, Normal, LogNormal, Uniform], Field(discriminator="kind")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)


def validate_union(adapter: TypeAdapter[Any], data: Any, what: str) -> Any:
    """Validate ``data`` with ``adapter``; a failure becomes a :class:`ConfigError` on its field."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ConfigError):
            raise original from None
        loc = [str(p) for p in err["loc"]]
        field = ".".join(loc[1:] if len(loc) > 1 else loc) or what
        raise ConfigError(field, err.get("input"), f"{what}: {err['msg']}") from None


def as_distribution(x: Any) -> Constant | Normal | LogNormal | Uniform:
    """A :data:`Distribution` from a number (:class:`Constant`), a dict or a record."""
    if isinstance(x, (Constant, Normal, LogNormal, Uniform)):
        return x
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return validate_union(_ADAPTER, {"kind": "constant", "value": float(x)}, "distribution")
    if isinstance(x, dict):
        return validate_union(_ADAPTER, x, "distribution")
    raise ConfigError("distribution", x, "expected a number, a dict with a 'kind' or a distribution record")


def sample(dist: Any, n: int, seed: SeedLike = None) -> np.ndarray:
    """``n`` float64 draws of ``dist`` (anything :func:`as_distribution` accepts).

    Parameters
    ----------
    dist
        The distribution (a number means a constant).
    n
        Number of values, >= 0.
    seed
        Int, SeedSequence or Generator (a Generator is advanced).
    """
    dist = as_distribution(dist)
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ConfigError("n", n, "must be an integer >= 0")
    n = int(n)
    if isinstance(dist, Constant):
        return np.full(n, dist.value, dtype=np.float64)
    out = dist._sample(n, as_generator(seed))
    return np.ascontiguousarray(out, dtype=np.float64)
