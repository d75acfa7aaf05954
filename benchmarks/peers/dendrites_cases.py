"""The dendritic-integration cases netdyn is compared on with Brian2's ``SpatialNeuron``: a
netdyn :class:`~netdyn.cells.Cell`, its synaptic inputs and a protocol, and the same thing as a
plain JSON "case" that ``brian2_dendrites.py`` (Brian2's interpreter, numpy only) builds from.

Runs under netdyn's interpreter. Cases:

* ``bas_ampa_x<X>`` (a) ball-and-stick: soma radius 10 um, one sealed 400-um dendrite of
  diameter 1 um, one AMPA synapse (one spike at 5 ms) at X um from the dendrite's start.
* ``brt_ampa_l<k>``, ``brt_nmda_l<k>``, ``brt_nmda_w10_l<k>`` (b) Ball-and-Rall's tree
  (:func:`ball_and_rall_tree`: 5 levels of 100-um branches, soma radius 5 um, root diameter
  2 um, Rall's 3/2 rule), one synapse at 55 um into the level-k branch of the path to the
  first tip (``brt_nmda``: AMPA+NMDA; ``w10``: weight 10, which unblocks NMDA).
* ``brt_poisson_1k`` (c) the performance case: the same tree cut into 1,024 compartments
  (``compartment_length_um`` 3.1), 100 AMPA+NMDA synapses spread over the tree, each
  receiving a 10-Hz Poisson train (:func:`~netdyn.cells.inputs.poisson_times`, seed 1), 1 s at
  dt 0.025 ms.

The other cases use the default biophysics (compartments of at most 10 um), dt 0.025 ms,
150 ms. Every synapse lies in the middle of a compartment, so the two simulators put its
current into the same compartment whatever they take as the compartment's node.

Case JSON (``CASE_FORMAT``): lengths and diameters in um, times in ms, potentials in mV,
conductances of one synapse in nS, membrane parameters in SI (``g_leak_S_per_m2``,
``cm_F_per_m2``, ``ri_ohm_m``). ``branches[b]``: ``parent`` (branch, -1 for the soma),
``kind`` (``soma``: Brian2's ``Soma`` of ``diameter_um``, the sphere whose area equals that of
netdyn's soma cylinder of length 2r and radius r; ``cylinder``; ``tapered``: per-segment
``segments`` of length and end diameters), ``length_um``, ``n_compartments``. Children start at
their parent's distal end. ``synapses[i]``: ``branch``, ``x_um`` (from the branch's start),
``distance_um`` (netdyn's ``Site.distance_um``), ``compartment`` (in the branch, the one that
holds the site), ``receptors``, ``spike_times_ms``, ``weight``. ``record``: ``[branch,
x_um]`` sites, the soma first.

Whole protocols (:func:`study_protocol`, :func:`protocol_cases`): ``brt-integration`` and
``branco2010`` of the ``dendrites`` study at their default configurations, built by the
study's own functions, each condition (trial) exported as a case. Their synapses sit where the
study puts them, some on compartment boundaries: there the Brian2 peer puts the current into
the distal compartment.

Usage: ``python benchmarks/peers/dendrites_cases.py --list`` or ``--out DIR [--cases a,b]``
(one ``<name>.json`` per case).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netdyn.config.biophysics import Biophysics, KineticNMDA
from netdyn.cells.cell import Cell
from netdyn.cells.inputs import SynapticInput, poisson_times
from netdyn.cells import compartments, generators
from netdyn.cells.morphology import SOMA, Morphology, Site

CASE_FORMAT = 1
#: the EPSP cases stored as the Brian2 reference (tests/data/dendrites_brian2_reference.json)
REFERENCE_CASES = ("bas_ampa_x55", "bas_ampa_x205", "bas_ampa_x395",
                   *(f"brt_ampa_l{k}" for k in range(5)), *(f"brt_nmda_l{k}" for k in range(5)),
                   "brt_nmda_w10_l2", "brt_nmda_w10_l4")
#: the performance case
PERF_CASE = "brt_poisson_1k"
EPSP_SPIKE_MS = 5.0
EPSP_DURATION_MS = 150.0
DT_MS = 0.025


@dataclass(frozen=True)
class Protocol:
    """How a case is run: duration, step, and where V is recorded (soma first)."""

    duration_ms: float
    dt_ms: float
    record_sites: tuple[Site, ...]
    epsp_onset_ms: float | None = None


# ---------------------------------------------------------------------- morphologies
def ball_and_stick(soma_radius_um: float = 10.0, length_um: float = 400.0, diameter_um: float = 1.0) -> Morphology:
    return generators.ball_and_stick(soma_radius_um, length_um, diameter_um)


def ball_and_rall_tree(n_levels: int = 5, branch_length_um: float = 100.0, soma_radius_um: float = 5.0,
                       root_diameter_um: float = 2.0) -> Morphology:
    """netdyn's Ball-and-Rall's tree (:func:`netdyn.cells.generators.ball_and_ralls_tree`):
    branches numbered as a binary heap, level k (root = level 1) holding branches 2^(k-1) ..
    2^k - 1, so that branch 2^(k-1) is on the path to the first tip."""
    return generators.ball_and_ralls_tree(n_levels, branch_length_um, soma_radius_um, root_diameter_um)


# ---------------------------------------------------------------------- compartments
#: netdyn's rule, which the Brian2 peer is given as counts per branch
compartments_per_branch = compartments.compartments_per_branch


# ---------------------------------------------------------------------- cases
def _epsp(cell: Cell, sites: list[tuple[int, float]], receptors: str, weight: float = 1.0):
    m = cell.morphology
    inputs = [SynapticInput(Site(b, float(m.branch_start_um[b] + x)), receptors, np.array([EPSP_SPIKE_MS]), weight)
              for b, x in sites]
    record = (m.soma_site(), *(i.site for i in inputs))
    return cell, inputs, Protocol(EPSP_DURATION_MS, DT_MS, record, EPSP_SPIKE_MS)


def _perf(n_synapses: int = 100, rate_hz: float = 10.0, duration_ms: float = 1000.0, seed: int = 1):
    cell = Cell(ball_and_rall_tree(), Biophysics(compartment_length_um=3.1))
    m = cell.morphology
    n_comp = compartments_per_branch(m, cell.biophysics)
    dend = np.flatnonzero(m.branch_tag != SOMA)
    rng = np.random.default_rng(seed)
    inputs = []
    for i in range(n_synapses):
        b = int(dend[i % dend.size])
        k = int(rng.integers(n_comp[b]))  # the middle of a random compartment of the branch
        x = (k + 0.5) * m.branch_length_um[b] / n_comp[b]
        times = poisson_times(rate_hz, duration_ms, seed, "dendrites_perf", i)
        inputs.append(SynapticInput(Site(b, float(m.branch_start_um[b] + x)), "ampa+nmda", times, 1.0))
    return cell, inputs, Protocol(duration_ms, DT_MS, (m.soma_site(),), None)


def build(name: str) -> tuple[Cell, list[SynapticInput], Protocol]:
    """The cell, inputs and protocol of case ``name`` (see the module docstring)."""
    if name.startswith("bas_ampa_x"):
        return _epsp(Cell(ball_and_stick()), [(1, float(name[len("bas_ampa_x"):]))], "ampa")
    for prefix, receptors, weight in (("brt_ampa_l", "ampa", 1.0), ("brt_nmda_w10_l", "ampa+nmda", 10.0),
                                      ("brt_nmda_l", "ampa+nmda", 1.0)):
        if name.startswith(prefix):
            level = int(name[len(prefix):])
            return _epsp(Cell(ball_and_rall_tree()), [(2 ** level, 55.0)], receptors, weight)
    if name == PERF_CASE:
        return _perf()
    raise KeyError(f"unknown case {name!r}; known: {', '.join((*REFERENCE_CASES, PERF_CASE))}")


def _branch_record(m: Morphology, b: int, n: int) -> dict:
    segs = m.branch_segments[b]
    length = float(m.branch_length_um[b])
    if m.branch_tag[b] == SOMA:
        if len(segs) != 1 or abs(m.proximal[segs[0], 3] - m.distal[segs[0], 3]) > 1e-9 * m.distal[segs[0], 3]:
            raise ValueError("the soma must be one cylinder segment (length 2r, radius r)")
        r = float(m.distal[segs[0], 3])
        if abs(length - 2 * r) > 1e-6 * r:
            raise ValueError(f"the soma cylinder has length {length:g} um, not its diameter {2 * r:g} um: "
                             "not the sphere Brian2's Soma stands for")
        return {"parent": -1, "kind": "soma", "diameter_um": 2 * r, "length_um": length, "n_compartments": 1}
    d0, d1 = 2 * m.proximal[segs, 3], 2 * m.distal[segs, 3]
    rec = {"parent": int(m.branch_parent[b]), "length_um": length, "n_compartments": int(n)}
    if np.allclose(d0, d0[0], rtol=1e-12) and np.allclose(d1, d0[0], rtol=1e-12):
        rec.update(kind="cylinder", diameter_um=float(d0[0]))
    else:
        rec.update(kind="tapered", segments=[{"length_um": float(m.length_um[s]), "d_proximal_um": float(a),
                                              "d_distal_um": float(c)} for s, a, c in zip(segs, d0, d1)])
    return rec


def to_case(name: str, cell: Cell, inputs: list[SynapticInput], protocol: Protocol) -> dict:
    """Case ``name`` as plain JSON (see the module docstring)."""
    m, bio = cell.morphology, cell.biophysics
    if bio.hh is not None:
        raise NotImplementedError("the Brian2 peer is passive: no Hodgkin-Huxley channels")
    if bio.passive.regions:
        raise NotImplementedError("the Brian2 peer has one passive membrane for the whole cell: no passive.regions")
    if isinstance(bio.synapses.nmda, KineticNMDA):
        raise NotImplementedError("the Brian2 peer has only the double-exponential NMDA synapse (model = "
                                  "'double_exponential'), not the kinetic scheme of Kampa et al. 2004 (model = 'kampa2004')")
    n_comp = compartments_per_branch(m, bio)
    if m.branch_tag[0] != SOMA or np.any(m.branch_tag[1:] == SOMA):
        raise ValueError("the soma must be branch 0 and the only soma branch")

    def on_branch(site: Site) -> tuple[int, float]:
        m.locate(site)  # raises when the site is not on its branch
        return int(site.branch), float(site.distance_um - m.branch_start_um[site.branch])

    synapses = []
    for inp in inputs:
        b, x = on_branch(inp.site)
        k = min(int(x / m.branch_length_um[b] * n_comp[b]), int(n_comp[b]) - 1)
        synapses.append({"branch": b, "x_um": x, "distance_um": float(inp.site.distance_um), "compartment": k,
                         "receptors": inp.receptors, "spike_times_ms": inp.spike_times_ms.tolist(),
                         "weight": float(inp.weight)})
    p, s = bio.passive, bio.synapses
    kin = {k: {"q_nS": v.q_nS, "tau_rise_ms": v.tau_rise_ms, "tau_decay_ms": v.tau_decay_ms, "e_rev_mV": v.e_rev_mV}
           for k, v in (("ampa", s.ampa), ("nmda", s.nmda), ("gaba", s.gaba))}
    kin["nmda"].update(c_mg_mM=s.nmda.c_mg_mM, eta_mg_per_mM=s.nmda.eta_mg_per_mM, v0_mV=s.nmda.v0_mV)
    return {
        "format": CASE_FORMAT,
        "name": name,
        "morphology": m.name,
        "branches": [_branch_record(m, b, n_comp[b]) for b in range(m.n_branches)],
        "n_compartments": int(n_comp.sum()),
        "biophysics": {
            "g_leak_S_per_m2": p.g_leak_pS_per_um2,  # 1 pS/um^2 = 1 S/m^2
            "e_leak_mV": p.e_leak_mV,
            "v_init_mV": p.v_rest_mV,
            "cm_F_per_m2": p.cm_uF_per_cm2 * 1e-2,  # 1 uF/cm^2 = 0.01 F/m^2
            "ri_ohm_m": p.ri_ohm_cm * 1e-2,  # 1 Ohm cm = 0.01 Ohm m
            "compartment_length_um": bio.compartment_length_um,
            "synapses": kin,
        },
        "synapses": synapses,
        "record": [list(on_branch(site)) for site in protocol.record_sites],
        "dt_ms": protocol.dt_ms,
        "duration_ms": protocol.duration_ms,
        "epsp_onset_ms": protocol.epsp_onset_ms,
    }


def case(name: str) -> dict:
    return to_case(name, *build(name))


# ---------------------------------------------------------------------- whole protocols
#: the study protocols run whole (benchmarks/dendrites.py): each condition a trial of one netdyn call
PROTOCOLS = ("brt-integration", "branco2010")


@dataclass(frozen=True)
class StudyProtocol:
    """A ``dendrites`` study protocol at its default configuration, as the study builds it:
    the cell, one list of inputs per condition (trial), the conditions' labels, the recorded
    sites (the soma first) and the engine's options."""

    name: str
    cell: Cell
    trials: list[list[SynapticInput]]
    labels: list[str]
    record_sites: tuple[Site, ...]
    duration_ms: float
    dt_ms: float
    sample_every: int
    onset_ms: float


def study_protocol(name: str) -> StudyProtocol:
    """Protocol ``name`` (``brt-integration``: receptor sets x distances, without the separate
    input-resistance call; ``branco2010``: receptor sets x directions x speeds), built by the
    study's own functions (:mod:`netdyn.studies.dendrites`) from its default configuration."""
    from netdyn.config.dendrites import Branco2010Config, BrtIntegrationConfig, branco2010_biophysics
    from netdyn.studies.dendrites import branco2010, brt_integration, common

    if name == "brt-integration":
        config = BrtIntegrationConfig()
        morph = common.build_morphology(config)
        sites, coords, trials = brt_integration.brt_integration_inputs(config, morph)
        labels = [f"{c['receptors']} d={c['distance_um']:g}um" for c in coords]
        duration, onset = config.duration_ms, config.stim_ms
    elif name == "branco2010":
        # the published model's protocol, with its kinetic NMDA receptor as the double exponential
        # fitted to it (the Brian2 peer has the double exponential only)
        bio = branco2010_biophysics().to_dict()
        bio["synapses"]["nmda"] = {"model": "double_exponential", "q_nS": 1.7, "tau_rise_ms": 4.5,
                                   "tau_decay_ms": 66.0, "e_rev_mV": 5.0, "eta_mg_per_mM": 0.095, "v0_mV": 12.05}
        bio["passive"]["regions"] = {}  # an axon's leak only; the tree has no axon
        config = Branco2010Config(biophysics=bio)
        morph = common.build_morphology(config)
        sites, coords, trials = branco2010.branco2010_inputs(config, morph)
        labels = [f"{c['receptors']} {c['direction']} {c['speed_um_per_ms']:g}um/ms" for c in coords]
        duration, onset = branco2010.duration_ms(config, morph), config.start_ms
    else:
        raise KeyError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    return StudyProtocol(name, common.build_cell(config, morph), trials, labels, (morph.soma_site(), *sites),
                         float(duration), config.dt_ms, config.sample_every, float(onset))


def protocol_cases(name: str) -> list[dict]:
    """Every condition of protocol ``name`` as a case (:func:`to_case`, the soma recorded, the
    EPSP measured from the protocol's onset), in the order of the trials."""
    p = study_protocol(name)
    proto = Protocol(p.duration_ms, p.dt_ms, p.record_sites[:1], p.onset_ms)
    return [to_case(f"{name}[{k}] {label}", p.cell, trial, proto) for k, (label, trial) in
            enumerate(zip(p.labels, p.trials))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the case names and sizes")
    parser.add_argument("--out", default=None, help="write <name>.json for each case into this folder")
    parser.add_argument("--cases", default=",".join((*REFERENCE_CASES, PERF_CASE)))
    args = parser.parse_args(argv)
    names = [n for n in args.cases.split(",") if n]
    for name in names:
        c = case(name)
        if args.list:
            print(f"{name}: {c['morphology']}, {c['n_compartments']} compartments, {len(c['synapses'])} synapses, "
                  f"{sum(len(s['spike_times_ms']) for s in c['synapses'])} spikes, {c['duration_ms']:g} ms")
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{name}.json").write_text(json.dumps(c) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
