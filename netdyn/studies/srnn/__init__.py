r"""Study ``srnn``: rate networks with spike-frequency adaptation (SFA) and short-term
depression (STD).

Two sweep studies (run by :func:`netdyn.sweep.run_study`), each writing into its own output
directory:

``basic`` (:data:`SRNN_BASIC`, :func:`run_srnn_basic`, module :mod:`.basic`)
    The reference's basic example: one n = 10 network, the same for the four configurations
    none / SFA / STD / SFA+STD (the work units), 20 s from -10 s, stimuli on neuron 0. Per
    configuration: the trajectory (RK4 at 1 ms, or dopri5 with max step 1 ms), the largest
    Lyapunov exponent by Benettin with the reference's bookkeeping
    (:func:`~netdyn.analysis.lyapunov.ode_benettin`) and the Lyapunov spectrum by QR of the
    variational equations (:func:`~netdyn.analysis.lyapunov.ode_lyapunov_spectrum`).
``sweep`` (:data:`SRNN_SWEEP`, :func:`run_srnn_sweep`, module :mod:`.sweep`)
    The paper's claims at scale: random networks (work units) x weight scale x
    configuration x slowest adaptation timescale. Per network, every (configuration,
    timescale) is one batched run whose columns are the weight scales: Benettin's LLE
    (reference and perturbed copy of every column in one batch) and the leading QR
    exponents. Runaway networks (``max |x| > runaway_threshold``) are recorded as
    unbounded (``bounded = False``, exponents NaN) and frozen; the run goes on.

Output layout (both parts): ``results.zarr`` (an :class:`xarray.Dataset`; open it with
``xarray.open_zarr``), ``summary.json`` and the figures (PNG and PDF). The Dataset's
attributes hold ``netdyn_study`` (``"srnn-basic"`` / ``"srnn-sweep"``), ``config`` (JSON of
the full configuration) and ``netdyn_version``; every variable has ``units`` and
``long_name`` attributes. Times are in s, exponents in 1/s. Both resume an interrupted run
and run their units on local processes, Dask or MPI.

Seeding: the basic example's network comes from ``network_seed`` (42000 = the reference's
"seed 42"), the perturbation directions of configuration ``c`` from
``SeedSequence(seed, spawn_key=(c,))``. In the sweep, network ``k`` is drawn from
``SeedSequence(seed, spawn_key=(k,))`` and the directions of its (configuration ``c``,
timescale ``j``) runs from ``spawn_key=(k, 1, c, j)``, so results do not depend on the
number of workers or on interruptions.
"""

from netdyn.studies.srnn.basic import (
    SRNN_BASIC,
    basic_network,
    basic_summary,
    basic_template,
    plot_basic,
    run_srnn_basic,
    simulate_basic_configuration,
    simulate_configuration,
)
from netdyn.studies.srnn.common import coordinate_label
from netdyn.studies.srnn.sweep import (
    SRNN_SWEEP,
    plot_sweep,
    run_srnn_sweep,
    simulate_network,
    sweep_input,
    sweep_model,
    sweep_summary,
    sweep_template,
    sweep_weights,
)

__all__ = [
    "SRNN_BASIC",
    "SRNN_SWEEP",
    "basic_network",
    "basic_summary",
    "basic_template",
    "coordinate_label",
    "plot_basic",
    "plot_sweep",
    "run_srnn_basic",
    "run_srnn_sweep",
    "simulate_basic_configuration",
    "simulate_configuration",
    "simulate_network",
    "sweep_input",
    "sweep_model",
    "sweep_summary",
    "sweep_template",
    "sweep_weights",
]
