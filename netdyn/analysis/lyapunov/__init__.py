r"""Lyapunov exponents: the chaos seed's twin-trajectory estimate, Benettin's renormalised
largest exponent and the full spectrum by QR re-orthonormalisation of tangent vectors.

Three estimators, from the most to the least biased:

:func:`twin_trajectory_exponent`
    The chaos seed's "data curation", reproduced exactly: a straight-line
    fit to the log of the trial-averaged distance between two trajectories that start
    ``1e-4`` apart and are never renormalised. Biased (see its notes); kept because it is the
    published method.
:func:`benettin_largest` / :func:`rate_benettin`
    Benettin et al. (1980): a small perturbation is carried along a reference trajectory and
    rescaled to its initial norm after every interval; the mean log growth per unit time is
    the largest exponent.
:func:`qr_spectrum` / :func:`rate_lyapunov_spectrum`
    Shimada & Nagashima (1979), Benettin et al. (1980), Wolf et al. (1985): ``k`` tangent
    vectors are advanced with the linearised dynamics and re-orthonormalised by a QR
    decomposition; the time-averaged ``log |R_ii|`` are the ``k`` largest exponents.

The generic cores (:func:`benettin_largest`, :func:`qr_spectrum`) know nothing of rate
networks: they advance any batched system whose state is an array of shape
``(dim, batch)`` (one column per independent trajectory), through a user function. They work
in the time unit of their ``dt`` argument (an iteration of a map: ``dt = 1``). The rate
network adapters pass ``dt`` in seconds, so that **every exponent they return is in 1/s**,
while the engine itself works in ms.

References
----------
.. [B80] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn (1980), "Lyapunov
   characteristic exponents for smooth dynamical systems and for Hamiltonian systems; a
   method for computing all of them", Meccanica 15, 9-20 (part 1: theory) and 21-30
   (part 2: numerical application).
.. [SN79] I. Shimada, T. Nagashima (1979), "A numerical approach to ergodic problem of
   dissipative dynamical systems", Prog. Theor. Phys. 61, 1605-1616.
.. [W85] A. Wolf, J. B. Swift, H. L. Swinney, J. A. Vastano (1985), "Determining Lyapunov
   exponents from a time series", Physica D 16, 285-317.

Modules: :mod:`~netdyn.analysis.lyapunov.twin`, :mod:`~netdyn.analysis.lyapunov.benettin`,
:mod:`~netdyn.analysis.lyapunov.spectrum`. The tangent steppers the spectra need (the
derivative of each integrator's step) are the engines' (:mod:`netdyn.engines.tangent`).
"""

from netdyn.analysis.lyapunov.benettin import (
    BenettinEstimate,
    ODEBenettinEstimate,
    benettin_largest,
    ode_benettin,
    rate_benettin,
)
from netdyn.analysis.lyapunov.spectrum import (
    ODESpectrumEstimate,
    SpectrumEstimate,
    ode_lyapunov_spectrum,
    qr_spectrum,
    rate_lyapunov_spectrum,
)
from netdyn.analysis.lyapunov.twin import TwinEstimate, twin_trajectory_exponent

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
