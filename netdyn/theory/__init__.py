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

from netdyn.theory.siegert import FOURCAUD_BRUNEL_ALPHA, siegert_derivatives, siegert_rate

from netdyn.theory.lif_mean_field import LIFMeanField, LIFParams, MeanFieldFixedPoint, PseudoDynamics

from netdyn.theory.multiarea import multiarea_mean_field, multiarea_rates

__all__ = [
    "CellParams", "FOURCAUD_BRUNEL_ALPHA", "LIFMeanField", "LIFParams", "MeanFieldFixedPoint", "PseudoDynamics",
    "SynapticInput", "critical_gain", "effective_gain", "fit_transfer_function",
    "fixed_point_exponent", "mean_field_fixed_point", "membrane_moments", "multiarea_mean_field",
    "multiarea_rates", "siegert_derivatives", "siegert_rate", "solve_mean_field", "spectral_radius_prediction",
    "transfer_function",
]
