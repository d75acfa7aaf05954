"""Analyses of simulated dynamics: Lyapunov exponents (twin-trajectory, Benettin, QR),
spike-train statistics (rates, ISI irregularity, correlations, synchrony) and transfer
functions measured by simulation.

Every public name of the modules is available here (``netdyn.analysis.ode_benettin``).
"""

from netdyn.analysis import lyapunov, spikes, transfer_function
from netdyn.analysis.lyapunov import *  # noqa: F403 - the package's face: its modules' public names
from netdyn.analysis.spikes import *  # noqa: F403
from netdyn.analysis.transfer_function import *  # noqa: F403

__all__ = [*lyapunov.__all__, *spikes.__all__, *transfer_function.__all__]
