"""Morphologically detailed single neurons, as declarative records: morphology (SWC files,
generated trees), biophysics (passive cable, Hodgkin-Huxley, AMPA / NMDA / GABA-A), and
inputs placed on the tree. Engines (:mod:`netdyn.engines.cable`) simulate them."""

from __future__ import annotations

from netdyn.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Morphology": "netdyn.cells.morphology",
    "Site": "netdyn.cells.morphology",
    "Location": "netdyn.cells.morphology",
    "Cell": "netdyn.cells.cell",
    "Biophysics": "netdyn.config.biophysics",
    "Passive": "netdyn.config.biophysics",
    "HodgkinHuxley": "netdyn.config.biophysics",
    "DoubleExponential": "netdyn.config.biophysics",
    "NMDA": "netdyn.config.biophysics",
    "KineticNMDA": "netdyn.config.biophysics",
    "Synapses": "netdyn.config.biophysics",
    "SynapticInput": "netdyn.cells.inputs",
    "CurrentClamp": "netdyn.cells.inputs",
    "VoltageClamp": "netdyn.cells.inputs",
    "poisson_times": "netdyn.cells.inputs",
    "sequence_inputs": "netdyn.cells.inputs",
    "read_swc": "netdyn.cells.swc",
    "write_swc": "netdyn.cells.swc",
    "ball_and_ralls_tree": "netdyn.cells.generators",
    "ball_and_stick": "netdyn.cells.generators",
    "branches_at_level": "netdyn.cells.generators",
    "cylinder": "netdyn.cells.generators",
    "CompartmentTable": "netdyn.cells.compartments",
    "compartment_table": "netdyn.cells.compartments",
    "compartments_per_branch": "netdyn.cells.compartments",
    "lambda_ac_um": "netdyn.cells.compartments",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
