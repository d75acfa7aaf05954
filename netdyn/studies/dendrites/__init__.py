"""Study ``dendrites``: synaptic integration in morphologically detailed neurons.

Four protocols, each a single run on the driver (:func:`netdyn.sweep.run_study`) whose
conditions are trials of one call of the cable engine
(:func:`netdyn.engines.cable.simulate_cell`):

:data:`BRT_INTEGRATION` (module :mod:`.brt_integration`)
    the EPSP of one synapse against its distance from the soma on the Ball-and-Rall's tree,
    AMPA only against AMPA + NMDA, at the soma and at the synapse; the soma's input
    resistance next to Rall's closed form.
:data:`VOLTAGE_GRADIENT` (module :mod:`.voltage_gradient`)
    the membrane potential over the tree under a steady current into a distal site.
:data:`BRANCO2010` (module :mod:`.branco2010`)
    centripetal against centrifugal sequences along one dendrite over a range of intervals,
    with and without NMDA receptors: the direction selectivity of Branco, Clark & Hausser (2010).
:data:`BOMBARDMENT` (module :mod:`.bombardment`)
    random excitatory and inhibitory input spread over the dendrites by membrane area.

:func:`run_dendrites` runs a protocol by its name on the command line;
:data:`netdyn.studies.dendrites.protocols.PROTOCOLS` maps each name to its study.

References
----------
- T. Branco, B. A. Clark, M. Hausser (2010), "Dendritic discrimination of temporal input
  sequences in cortical neurons", Science 329, 1671-1675.
- W. Rall (1959), "Branching dendritic trees and motoneuron membrane resistivity", Exp.
  Neurol. 1, 491-527; W. Rall (1967), J. Neurophysiol. 30, 1138-1168.
- C. E. Jahr, C. F. Stevens (1990), J. Neurosci. 10, 3178-3182 (the NMDA magnesium block).
- Y. Zerlaut, neural_network_dynamics (the library these protocols grow from).
"""

from __future__ import annotations

from netdyn.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "BRT_INTEGRATION": "netdyn.studies.dendrites.brt_integration",
    "brt_integration_inputs": "netdyn.studies.dendrites.brt_integration",
    "VOLTAGE_GRADIENT": "netdyn.studies.dendrites.voltage_gradient",
    "BRANCO2010": "netdyn.studies.dendrites.branco2010",
    "branco2010_inputs": "netdyn.studies.dendrites.branco2010",
    "BOMBARDMENT": "netdyn.studies.dendrites.bombardment",
    "bombardment_inputs": "netdyn.studies.dendrites.bombardment",
    "spread_synapses": "netdyn.studies.dendrites.bombardment",
    "run_dendrites": "netdyn.studies.dendrites.protocols",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
