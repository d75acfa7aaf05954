"""Study ``consolidation``: memory consolidation by synaptic tagging and capture (Luboeinski &
Tetzlaff 2021).

LIF neurons with exponential current synapses; E->E synapses with calcium-based early-phase
plasticity, tags, a protein pool per neuron and a late phase that captures proteins (the
plasticity rule ``calcium_stc`` of netdyn's spiking engine). Long protocols alternate detailed
phases (0.2-ms steps) with consolidation phases (50-s steps of the slow variables only). Three
studies on the driver (:func:`netdyn.sweep.run_study`):

:data:`CONSOLIDATION` (:func:`run_consolidation`, module :mod:`.simulation`)
    One trial of a protocol: spikes, traces, weights, summary (recall quality Q and MI for the
    2,000-neuron network) and figures.
:data:`CONSOLIDATION_TRIALS` (module :mod:`.trials`)
    Trials of one protocol, each a resumable work unit.
:data:`CONSOLIDATION_SCREEN` (module :mod:`.trials`)
    The assembly-size screen: trials x sizes x {10-s, 8-h recall}.

The building blocks: :func:`consolidation_spec` (the engine's network of a configuration),
:func:`schedule` (its phases) and :func:`simulate` (one trial, in memory).

References
----------
- J. Luboeinski, C. Tetzlaff (2021), "Memory consolidation and improvement by synaptic tagging
  and capture in recurrent neural networks", Communications Biology 4, 275.
- J. Luboeinski et al. (2024), "Plastic Arbor: a modern simulation framework for synaptic
  plasticity - from single synapses to networks of morphological neurons", arXiv:2411.16445.
"""

from __future__ import annotations

from netdyn.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "consolidation_spec": "netdyn.studies.consolidation.network",
    "schedule": "netdyn.studies.consolidation.network",
    "Phase": "netdyn.studies.consolidation.network",
    "CONSOLIDATION": "netdyn.studies.consolidation.simulation",
    "Trial": "netdyn.studies.consolidation.simulation",
    "readout": "netdyn.studies.consolidation.simulation",
    "run_consolidation": "netdyn.studies.consolidation.simulation",
    "simulate": "netdyn.studies.consolidation.simulation",
    "CONSOLIDATION_SCREEN": "netdyn.studies.consolidation.trials",
    "CONSOLIDATION_TRIALS": "netdyn.studies.consolidation.trials",
    "run_consolidation_screen": "netdyn.studies.consolidation.trials",
    "run_consolidation_trials": "netdyn.studies.consolidation.trials",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
