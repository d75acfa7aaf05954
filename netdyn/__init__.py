"""netdyn: simulate and analyse the dynamics of recurrent neural networks.

One import gives what a user needs::

    import netdyn as nd

    net = nd.Network(nd.NetworkSpec(...))          # spiking networks
    run = nd.integrate(nd.RateNetwork(w), r0, duration_ms=1000.0, gain=[13.0])
    out = nd.run_chaos(nd.ChaosConfig(sessions=2), "results/chaos")

Names are loaded on first use, so ``import netdyn`` stays cheap; ``dir(netdyn)`` lists them.

Layers, data flowing one way (a package imports only those below it)::

    cli
    studies                      the seed studies as compositions
    sweep                        work units over executors, Zarr with resume, the study driver
    plots, io                    figures; HDF5 / NWB
    analysis                     Lyapunov exponents, spike statistics, measured transfer functions
    theory                       closed-form predictions (random matrices, mean field)
    engines                      integrators: rate, ODE (RK4, dopri5), spiking; cable cells (Arbor)
    record                       observers that reduce while simulating; recordings
    cells                        what a morphologically detailed neuron is (tree, membrane, synapses, inputs)
    models                       what a network is: rate, SRNN, spiking (plasticity rules), multi-area
    connectivity                 seeded generators
    config                       typed, validated parameter specs; TOML / JSON
    fastmath, seeding, timegrid  leaves: vectorisable exp and tanh, seeds, whole numbers of steps
    errors
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from netdyn.lazy import lazy_exports

try:
    __version__ = version("netdyn")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

#: Public name -> module that defines it (loaded on first access).
_EXPORTS: dict[str, str] = {
    # configs and errors
    "load_config": "netdyn.config",
    "save_config": "netdyn.config",
    "ChaosConfig": "netdyn.config.chaos",
    "SRNNBasicConfig": "netdyn.config.srnn",
    "SRNNSweepConfig": "netdyn.config.srnn",
    "RsfsConfig": "netdyn.config.rsfs",
    "MultiAreaConfig": "netdyn.config.multiarea",
    "MultiAreaTheoryConfig": "netdyn.config.multiarea",
    "ConsolidationConfig": "netdyn.config.consolidation",
    "ConsolidationScreenConfig": "netdyn.config.consolidation",
    "ConfigError": "netdyn.errors",
    "NumericalInstabilityError": "netdyn.errors",
    "SpikingInstabilityError": "netdyn.errors",
    # connectivity
    "bernoulli_gaussian": "netdyn.connectivity",
    "strongly_connected_dale": "netdyn.connectivity.dale",
    # models
    "RateNetwork": "netdyn.models",
    "SRNNetwork": "netdyn.models",
    "SampledInput": "netdyn.models",
    "NetworkSpec": "netdyn.models.spiking.spec",
    "available_models": "netdyn.models.spiking",
    "available_rules": "netdyn.models.spiking.plasticity",
    "multiarea_parameters": "netdyn.models.multiarea",
    # morphologically detailed cells
    "Cell": "netdyn.cells",
    "Morphology": "netdyn.cells",
    "Site": "netdyn.cells",
    "Biophysics": "netdyn.cells",
    "SynapticInput": "netdyn.cells",
    "CurrentClamp": "netdyn.cells",
    "VoltageClamp": "netdyn.cells",
    "read_swc": "netdyn.cells",
    "ball_and_ralls_tree": "netdyn.cells",
    # engines
    "integrate": "netdyn.engines",
    "integrate_ode": "netdyn.engines",
    "Network": "netdyn.engines.spiking",
    "NestNetwork": "netdyn.engines.nest",
    "simulate_cell": "netdyn.engines.cable",
    # observers and recordings
    "FullState": "netdyn.record",
    "SampledUnits": "netdyn.record",
    "TwinDivergence": "netdyn.record",
    "SpikeTrains": "netdyn.record.spiking",
    "SpikingRecording": "netdyn.record.spiking",
    # analysis
    "twin_trajectory_exponent": "netdyn.analysis",
    "benettin_largest": "netdyn.analysis",
    "qr_spectrum": "netdyn.analysis",
    "rate_benettin": "netdyn.analysis",
    "rate_lyapunov_spectrum": "netdyn.analysis",
    "ode_benettin": "netdyn.analysis",
    "ode_lyapunov_spectrum": "netdyn.analysis",
    "firing_rates": "netdyn.analysis",
    "mean_rate": "netdyn.analysis",
    "active_fraction": "netdyn.analysis",
    "population_rate": "netdyn.analysis",
    "isi_cv": "netdyn.analysis",
    "mean_isi_cv": "netdyn.analysis",
    "lv": "netdyn.analysis",
    "lvr": "netdyn.analysis",
    "binned_counts": "netdyn.analysis",
    "pairwise_correlation": "netdyn.analysis",
    "sttc": "netdyn.analysis",
    "population_synchrony": "netdyn.analysis",
    "golomb_chi": "netdyn.analysis",
    "population_lvr": "netdyn.analysis",
    "mean_correlation_coefficient": "netdyn.analysis",
    "kernel_population_rate": "netdyn.analysis",
    "optimal_kernel_bandwidth": "netdyn.analysis",
    "area_average": "netdyn.analysis",
    "synaptic_input": "netdyn.analysis",
    "functional_connectivity": "netdyn.analysis",
    "fc_correlation": "netdyn.analysis",
    "recall_readout": "netdyn.analysis",
    # theory
    "critical_gain": "netdyn.theory",
    "transfer_function": "netdyn.theory",
    "mean_field_fixed_point": "netdyn.theory",
    "siegert_rate": "netdyn.theory",
    "LIFMeanField": "netdyn.theory",
    "multiarea_mean_field": "netdyn.theory",
    # io
    "read_recording": "netdyn.io",
    "write_recording": "netdyn.io",
    # studies
    "run_chaos": "netdyn.studies.chaos",
    "run_srnn_basic": "netdyn.studies.srnn",
    "run_srnn_sweep": "netdyn.studies.srnn",
    "run_rsfs": "netdyn.studies.rsfs",
    "run_rsfs_seeds": "netdyn.studies.rsfs",
    "run_multiarea": "netdyn.studies.multiarea",
    "run_multiarea_seeds": "netdyn.studies.multiarea",
    "run_multiarea_theory": "netdyn.studies.multiarea",
    "run_consolidation": "netdyn.studies.consolidation",
    "run_consolidation_trials": "netdyn.studies.consolidation",
    "run_consolidation_screen": "netdyn.studies.consolidation",
    "run_dendrites": "netdyn.studies.dendrites",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
