"""Analyses of simulated dynamics: Lyapunov exponents (twin-trajectory, Benettin, QR)."""

from netdyn.analysis.lyapunov import (
    BenettinEstimate,
    ODEBenettinEstimate,
    ODESpectrumEstimate,
    SpectrumEstimate,
    TwinEstimate,
    benettin_largest,
    ode_benettin,
    ode_lyapunov_spectrum,
    qr_spectrum,
    rate_benettin,
    rate_lyapunov_spectrum,
    twin_trajectory_exponent,
)

__all__ = [
    "BenettinEstimate",
    "ODEBenettinEstimate",
    "ODESpectrumEstimate",
    "SpectrumEstimate",
    "TwinEstimate",
    "benettin_largest",
    "ode_benettin",
    "ode_lyapunov_spectrum",
    "qr_spectrum",
    "rate_benettin",
    "rate_lyapunov_spectrum",
    "twin_trajectory_exponent",
]
