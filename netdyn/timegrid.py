"""Whole numbers of steps: the one check that a span is a multiple of a step.

Durations, renormalisation intervals and input spans must fall on the integration grid, or a
run would silently end between two steps. Every such check in netdyn goes through
:func:`grid_steps`, with one tolerance: ``1e-9`` relative to the largest of 1, the span and
the span's origin (the rounding of ``t1 - t0`` grows with ``|t0|``).

This module is a leaf: it imports only :mod:`netdyn.errors`.
"""

from __future__ import annotations

from typing import Any

from netdyn.errors import ConfigError

__all__ = ["GRID_RTOL", "grid_steps"]

#: Relative tolerance of :func:`grid_steps`.
GRID_RTOL = 1e-9


def grid_steps(span: float, step: float, *, field: str, value: Any = None, step_name: str = "dt",
               origin: float = 0.0, minimum: int = 0) -> int:
    """Number of steps of ``step`` in ``span``; :class:`ConfigError` unless it is whole.

    Parameters
    ----------
    span, step
        Lengths in one unit (``step > 0``, finite: the caller checks).
    field
        Field named by the error.
    value
        Value shown by the error (default ``span``).
    step_name
        Name of the step in the message.
    origin
        Start of the span, when it was computed as a difference (``t1 - t0``): its magnitude
        enters the tolerance.
    minimum
        Fewest steps accepted (1: the span must not be empty).

    Returns
    -------
    int
        ``round(span / step)``.
    """
    n = round(span / step)
    tol = GRID_RTOL * max(1.0, abs(span), abs(origin))
    if n < minimum or abs(n * step - span) > tol:
        what = "a positive multiple" if minimum >= 1 else ("a multiple" if n >= 0 else "a non-negative multiple")
        raise ConfigError(field, span if value is None else value, f"must be {what} of {step_name}={step}")
    return int(n)
