"""Exceptions raised by netdyn.

Every error a user can provoke with bad input is a :class:`ConfigError` naming the field and
the offending value; the CLI turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations

from typing import Any


class NetdynError(Exception):
    """Base class of all netdyn errors."""


class ConfigError(NetdynError, ValueError):
    """Invalid user input: names the field, the value and what is expected.

    Parameters
    ----------
    field
        Dotted name of the offending field (``"n_neurons"``, ``"sweep.scheduler"``).
    value
        The value that was given.
    reason
        What is wrong or what is expected.
    """

    def __init__(self, field: str, value: Any, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {field}={value!r}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, so it crosses process pools intact
        return (type(self), (self.field, self.value, self.reason))


class NumericalInstabilityError(NetdynError, FloatingPointError):
    """A simulation produced a non-finite value (NaN or inf).

    Attributes give where and when: the integration step, the time in ms, the trajectory
    (column of the batch) and the unit.
    """

    def __init__(self, step: int, time_ms: float, trajectory: int, unit: int, value: float):
        self.step = step
        self.time_ms = time_ms
        self.trajectory = trajectory
        self.unit = unit
        self.value = value
        super().__init__(
            f"non-finite state ({value}) at step {step} (t = {time_ms:g} ms) in trajectory "
            f"{trajectory}, unit {unit}; reduce dt_ms or the gain, or check the input"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.step, self.time_ms, self.trajectory, self.unit, self.value))


def positive_float(value: Any, field: str) -> float:
    """``float(value)`` if it is finite and > 0, else :class:`ConfigError` naming ``field``."""
    return _bounded_float(value, field, strict=True)


def nonnegative_float(value: Any, field: str) -> float:
    """``float(value)`` if it is finite and >= 0, else :class:`ConfigError` naming ``field``."""
    return _bounded_float(value, field, strict=False)


def _bounded_float(value: Any, field: str, *, strict: bool) -> float:
    import math

    what = "must be a finite number > 0" if strict else "must be a finite number >= 0"
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, value, what) from None
    if not (math.isfinite(v) and (v > 0 if strict else v >= 0)):
        raise ConfigError(field, value, what)
    return v


class SpikingInstabilityError(NumericalInstabilityError):
    """A spiking simulation reached a non-finite membrane state: names population, neuron,
    step and time."""

    def __init__(self, population: str, neuron: int, step: int, time_ms: float):
        self.population = population
        self.neuron = neuron
        self.step = step
        self.time_ms = time_ms
        self.trajectory = 0
        self.unit = neuron
        self.value = float("nan")
        FloatingPointError.__init__(
            self,
            f"non-finite state in population {population!r}, neuron {neuron}, at step {step} "
            f"(t = {time_ms:g} ms); reduce dt_ms, or check parameters, weights and inputs",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.population, self.neuron, self.step, self.time_ms))


class MemoryEstimateError(NetdynError, MemoryError):
    """A model would not fit in memory: raised before building, with the estimate."""

    def __init__(self, needed_bytes: int, available_bytes: int, breakdown: dict[str, int]):
        self.needed_bytes = needed_bytes
        self.available_bytes = available_bytes
        self.breakdown = breakdown
        parts = ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in breakdown.items())
        super().__init__(
            f"the network needs about {needed_bytes / 2**30:.2f} GiB ({parts}) but only "
            f"{available_bytes / 2**30:.2f} GiB are available; scale it down or use a larger machine"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.needed_bytes, self.available_bytes, self.breakdown))
