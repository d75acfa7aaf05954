"""Integrators, one per model family. They know nothing of studies."""

from netdyn.engines.rate import INTEGRATORS, RateResult, integrate

__all__ = ["INTEGRATORS", "RateResult", "integrate"]
