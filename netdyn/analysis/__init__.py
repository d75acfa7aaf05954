"""Analyses of simulated dynamics: Lyapunov exponents (twin-trajectory, Benettin, QR),
spike-train statistics (rates, ISI irregularity, correlations, synchrony, kernel rate
estimates), transfer functions measured by simulation, the recall quality of a learned cell
assembly (Q and mutual information), for multi-area models the area averages of population
signals, synaptic-input signals and functional connectivity, and for detailed neurons the
EPSP measures, attenuation, direction selectivity and membrane-potential statistics.

Every public name of the modules is available here (``netdyn.analysis.ode_benettin``),
imported on first use: a study that needs one analysis does not pay for the others' imports
(scipy.signal alone costs about a second).
"""

from __future__ import annotations

from netdyn.lazy import lazy_exports

#: Public name -> the subpackage or module that exports it (its ``__all__``).
_EXPORTS: dict[str, str] = {
    "area_average": "netdyn.analysis.areas",
    "fc_correlation": "netdyn.analysis.fc",
    "attenuation": "netdyn.analysis.dendrites",
    "baseline": "netdyn.analysis.dendrites",
    "direction_selectivity": "netdyn.analysis.dendrites",
    "epsp_amplitude": "netdyn.analysis.dendrites",
    "epsp_features": "netdyn.analysis.dendrites",
    "half_width": "netdyn.analysis.dendrites",
    "membrane_statistics": "netdyn.analysis.dendrites",
    "time_to_peak": "netdyn.analysis.dendrites",
    "functional_connectivity": "netdyn.analysis.fc",
    "synaptic_input": "netdyn.analysis.fc",
    "BenettinEstimate": "netdyn.analysis.lyapunov",
    "ODEBenettinEstimate": "netdyn.analysis.lyapunov",
    "ODESpectrumEstimate": "netdyn.analysis.lyapunov",
    "SpectrumEstimate": "netdyn.analysis.lyapunov",
    "TwinEstimate": "netdyn.analysis.lyapunov",
    "benettin_largest": "netdyn.analysis.lyapunov",
    "ode_benettin": "netdyn.analysis.lyapunov",
    "ode_lyapunov_spectrum": "netdyn.analysis.lyapunov",
    "qr_spectrum": "netdyn.analysis.lyapunov",
    "rate_benettin": "netdyn.analysis.lyapunov",
    "rate_lyapunov_spectrum": "netdyn.analysis.lyapunov",
    "twin_trajectory_exponent": "netdyn.analysis.lyapunov",
    "RECALL_GROUPS": "netdyn.analysis.recall",
    "RecallReadout": "netdyn.analysis.recall",
    "mutual_information_bits": "netdyn.analysis.recall",
    "recall_quality": "netdyn.analysis.recall",
    "recall_readout": "netdyn.analysis.recall",
    "subpopulations": "netdyn.analysis.recall",
    "window_rates_hz": "netdyn.analysis.recall",
    "active_fraction": "netdyn.analysis.spikes",
    "binned_counts": "netdyn.analysis.spikes",
    "firing_rates": "netdyn.analysis.spikes",
    "mean_rate": "netdyn.analysis.spikes",
    "population_rate": "netdyn.analysis.spikes",
    "kernel_population_rate": "netdyn.analysis.spikes",
    "optimal_kernel_bandwidth": "netdyn.analysis.spikes",
    "isi_cv": "netdyn.analysis.spikes",
    "lv": "netdyn.analysis.spikes",
    "lvr": "netdyn.analysis.spikes",
    "mean_isi_cv": "netdyn.analysis.spikes",
    "population_lvr": "netdyn.analysis.spikes",
    "PairCorrelations": "netdyn.analysis.spikes",
    "PopulationSynchrony": "netdyn.analysis.spikes",
    "golomb_chi": "netdyn.analysis.spikes",
    "mean_correlation_coefficient": "netdyn.analysis.spikes",
    "pairwise_correlation": "netdyn.analysis.spikes",
    "population_synchrony": "netdyn.analysis.spikes",
    "sttc": "netdyn.analysis.spikes",
    "population_summary": "netdyn.analysis.spikes",
    "measure_transfer_function": "netdyn.analysis.transfer_function",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
