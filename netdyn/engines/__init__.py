"""Integrators, one per model family. They know nothing of studies."""

from netdyn.engines.ode import ODE_METHODS, ODEResult, integrate_ode
from netdyn.engines.rate import INTEGRATORS, RateResult, integrate

__all__ = ["INTEGRATORS", "ODE_METHODS", "ODEResult", "RateResult", "integrate", "integrate_ode"]
