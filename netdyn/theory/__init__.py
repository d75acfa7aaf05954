"""Closed-form predictions (random-matrix theory, mean-field) to check simulations against."""

from netdyn.theory.random_matrix import (
    critical_gain,
    effective_gain,
    fixed_point_exponent,
    spectral_radius_prediction,
)

__all__ = ["critical_gain", "effective_gain", "fixed_point_exponent", "spectral_radius_prediction"]
