"""Analyses of simulated dynamics: Lyapunov exponents (twin-trajectory, Benettin, QR)."""

from netdyn.analysis.lyapunov import (
    BenettinEstimate,
    SpectrumEstimate,
    TwinEstimate,
    benettin_largest,
    qr_spectrum,
    rate_benettin,
    rate_lyapunov_spectrum,
    twin_trajectory_exponent,
)

__all__ = [
    "BenettinEstimate",
    "SpectrumEstimate",
    "TwinEstimate",
    "benettin_largest",
    "qr_spectrum",
    "rate_benettin",
    "rate_lyapunov_spectrum",
    "twin_trajectory_exponent",
]
