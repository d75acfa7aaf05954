"""Analyses of simulated dynamics: Lyapunov exponents (twin-trajectory, Benettin, QR),
spike-train statistics (rates, ISI irregularity, correlations, synchrony, kernel rate
estimates), transfer functions measured by simulation, the recall quality of a learned cell
assembly (Q and mutual information), and for multi-area models the area
averages of population signals, synaptic-input signals and functional connectivity.

Every public name of the modules is available here (``netdyn.analysis.ode_benettin``).
"""

from netdyn.analysis import areas, fc, lyapunov, recall, spikes, transfer_function
from netdyn.analysis.areas import *  # noqa: F403
from netdyn.analysis.fc import *  # noqa: F403
from netdyn.analysis.lyapunov import *  # noqa: F403 - the package's face: its modules' public names
from netdyn.analysis.recall import *  # noqa: F403
from netdyn.analysis.spikes import *  # noqa: F403
from netdyn.analysis.transfer_function import *  # noqa: F403

__all__ = [*areas.__all__, *fc.__all__, *lyapunov.__all__, *recall.__all__, *spikes.__all__,
           *transfer_function.__all__]
