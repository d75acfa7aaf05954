"""Closed-form predictions (random-matrix theory, mean-field) to check simulations against."""

from netdyn.theory.random_matrix import (
    critical_gain,
    effective_gain,
    fixed_point_exponent,
    spectral_radius_prediction,
)

from netdyn.theory.mean_field import (
    CellParams,
    SynapticInput,
    fit_transfer_function,
    mean_field_fixed_point,
    membrane_moments,
    solve_mean_field,
    transfer_function,
)

__all__ = [
    "CellParams", "SynapticInput", "critical_gain", "effective_gain", "fit_transfer_function",
    "fixed_point_exponent", "mean_field_fixed_point", "membrane_moments",
    "solve_mean_field", "spectral_radius_prediction", "transfer_function",
]
