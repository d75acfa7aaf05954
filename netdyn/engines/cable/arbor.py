"""Simulate a morphologically detailed cell on Arbor's cable solver.

:func:`simulate_cell` is the one entry point: it turns a :class:`~netdyn.cells.Cell` (a
:class:`~netdyn.cells.Morphology` and its :class:`~netdyn.cells.Biophysics`), synaptic
inputs and clamps into one Arbor simulation and returns an :class:`xarray.Dataset`.

How the description maps onto Arbor
-----------------------------------
- **Morphology.** Segment ``i`` of the morphology is segment ``i`` of Arbor's
  ``segment_tree`` (same parent, same SWC tag). Every place (site, synapse, clamp,
  compartment boundary) is located by :meth:`Morphology.locate` and handed to Arbor as the
  locset ``(on-components FRACTION (segment I))``, so nothing depends on how Arbor numbers
  its branches (Arbor's branches run between forks only; netdyn's also break where the SWC
  type changes).
- **Compartments.** Branch ``b`` of length ``L`` is cut into ``n_b`` equal compartments:
  ``ceil(L / compartment_length_um)``, or with ``d_lambda`` the smallest odd ``n`` with
  ``L / n <= d_lambda * lambda_AC(f)``, ``lambda_AC(f) = 0.5 sqrt(d / (pi f Ri cm))`` with
  ``d`` the branch's mean diameter (NEURON's rule; :func:`netdyn.cells.compartments.compartments_per_branch`); a soma branch is one compartment. The
  boundaries are given to Arbor explicitly (``cv_policy_explicit``), each branch's proximal
  end included, so Arbor's control volumes (CVs) are exactly these compartments plus, at
  each fork, a CV of zero extent (the branch point, as NEURON's zero-area node). The fork
  CVs are counted in ``attrs["n_cv"]`` but left out of the ``cv`` dimension.
- **Membrane.** Arbor's ``pas`` (``g = g_leak_pS_per_um2 * 1e-4`` S/cm^2, ``e = e_leak_mV``),
  ``cm`` and ``Ri`` on the whole cell (or per SWC type, with ``passive.regions``), initial voltage ``passive.v_rest_mV``; netdyn's
  ``hh_traub`` (Traub & Miles kinetics) on the regions of ``biophysics.hh``.
- **Synapses.** ``dexp_syn`` (AMPA, GABA-A) and ``nmda_mg`` (NMDA with the magnesium
  block), double exponentials normalised to a peak of ``q_nS * weight`` (the event weight,
  uS); with a :class:`~netdyn.config.biophysics.KineticNMDA`, NMDA is ``nmda_kampa`` (the
  kinetic scheme of Kampa et al. 2004; ``gmax_nS`` is a parameter, the event weight is the
  input's dimensionless weight, and each event starts a transmitter pulse inside the
  mechanism). An ``"ampa+nmda"`` input is one AMPA and one NMDA synapse at the same place,
  driven by the same spikes. Spikes are explicit Arbor event schedules; an event is
  delivered at the start of the time step it falls in (spike times on the grid are exact).
- **Clamps.** :class:`~netdyn.cells.CurrentClamp` is Arbor's ``i_clamp``;
  :class:`~netdyn.cells.VoltageClamp` is netdyn's ``seclamp``, ``i = (v - v_c) / r_s``; its
  ``steps`` are events on the clamp that set ``v_c`` from the start of their time step.
- **Trials.** Each trial is a copy of the cell (gid = trial) in one Arbor simulation;
  clamps act on every trial. The cells do not interact.

Signs: synaptic currents ``i_syn_nA`` are membrane currents, positive outward (Arbor's and
NEURON's convention: an excitatory current at rest is negative). The clamp current
``i_clamp_nA`` is the current injected into the cell (positive depolarises), for current
and voltage clamps alike.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import xarray as xr

from netdyn.config.biophysics import Biophysics, KineticNMDA
from netdyn.cells.cell import Cell
from netdyn.cells.inputs import CurrentClamp, SynapticInput, VoltageClamp
from netdyn.cells.morphology import APICAL, AXON, BASAL, SOMA, Location, Morphology, Site
from netdyn.cells.compartments import compartments_per_branch
from netdyn.engines.cable.catalogue import load_catalogue, require_arbor
from netdyn.errors import ConfigError, NumericalInstabilityError, positive_float
from netdyn.timegrid import grid_steps

__all__ = ["CableInstabilityError", "simulate_cell"]

BACKENDS = ("arbor",)

#: Arbor region of each place that channels can be inserted in (biophysics.REGIONS).
_REGION_EXPR = {
    "soma": f"(tag {SOMA})",
    "axon": f"(tag {AXON})",
    "basal": f"(tag {BASAL})",
    "apical": f"(tag {APICAL})",
    "dend": f"(join (tag {BASAL}) (tag {APICAL}))",
    "all": "(all)",
}


class CableInstabilityError(NumericalInstabilityError):
    """The cable simulation produced a non-finite voltage: names the trial, where (site or
    compartment: branch and distance from the soma) and when (ms, the first recorded time)."""

    def __init__(self, trial: int, where: str, step: int, time_ms: float):
        self.trial = trial
        self.where = where
        self.step = step
        self.time_ms = time_ms
        self.trajectory = trial
        self.unit = -1
        self.value = float("nan")
        FloatingPointError.__init__(
            self, f"non-finite membrane voltage in trial {trial} at {where}, first seen at t = {time_ms:g} ms "
                  f"(step {step}); reduce dt_ms, or check the conductances and inputs")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.trial, self.where, self.step, self.time_ms))


# --------------------------------------------------------------------------- geometry
def _locset(loc: Location) -> str:
    return f"(on-components {loc.fraction!r} (segment {loc.segment}))"


class _Geometry:
    """Our segments against Arbor's branches: Arbor starts a branch at the root and at every
    child of a fork (and nowhere else), numbering branches in the order of their first
    segment; this is checked against Arbor's own morphology."""

    def __init__(self, arbor: Any, morphology: Morphology, arb_morph: Any):
        m = morphology
        starts = np.ones(m.n_segments, dtype=bool)
        starts[1:] = m.n_children[m.parent[1:]] != 1
        abranch = np.cumsum(starts) - 1
        self.segments = [np.flatnonzero(abranch == b) for b in range(int(abranch[-1]) + 1)]
        if arb_morph.num_branches != len(self.segments):
            raise RuntimeError(f"Arbor made {arb_morph.num_branches} branches of the morphology, netdyn expected "
                               f"{len(self.segments)}")
        for b, segs in enumerate(self.segments):
            arb_segs = arb_morph.branch_segments(b)
            ok = len(arb_segs) == len(segs)
            for s, a in zip(segs[[0, -1]], (arb_segs[0], arb_segs[-1])) if ok else ():
                ok = ok and np.allclose([a.prox.x, a.prox.y, a.prox.z, a.dist.x, a.dist.y, a.dist.z],
                                        np.r_[m.proximal[s, :3], m.distal[s, :3]])
            if not ok:
                raise RuntimeError(f"Arbor's branch {b} does not hold netdyn's segments {segs.tolist()}")
        self.cum = [np.r_[0.0, np.cumsum(m.length_um[s])] for s in self.segments]
        self.m = m

    def arbor_location(self, loc: Location) -> tuple[int, float]:
        """Arbor's (branch, position) of one of our locations."""
        for b, segs in enumerate(self.segments):
            k = np.flatnonzero(segs == loc.segment)
            if k.size:
                cum = self.cum[b]
                return b, float((cum[k[0]] + loc.fraction * self.m.length_um[loc.segment]) / cum[-1])
        raise ValueError(loc)

    def cable_points(self, branch: int, prox: float, dist: float) -> tuple[int, float, float]:
        """Our segment of the middle of an Arbor cable, the fraction there, and the cable's area (um^2)."""
        m, segs, cum = self.m, self.segments[branch], self.cum[branch]
        total = cum[-1]
        o0, o1 = prox * total, dist * total
        mid = 0.5 * (o0 + o1)
        k = min(int(np.searchsorted(cum, mid, side="right")) - 1, len(segs) - 1)
        seg = int(segs[k])
        frac = 0.0 if m.length_um[seg] == 0 else (mid - cum[k]) / m.length_um[seg]
        area = 0.0
        for j, s in enumerate(segs):  # sub-frusta of the segments the cable overlaps
            a, b = max(o0, cum[j]), min(o1, cum[j + 1])
            if b <= a or m.length_um[s] == 0:
                continue
            f0, f1 = (a - cum[j]) / m.length_um[s], (b - cum[j]) / m.length_um[s]
            r0, r1 = m.proximal[s, 3], m.distal[s, 3]
            ra, rb = r0 + f0 * (r1 - r0), r0 + f1 * (r1 - r0)
            area += np.pi * (ra + rb) * math.hypot(b - a, rb - ra)
        return seg, float(min(max(frac, 0.0), 1.0)), float(area)


# --------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class _Synapse:
    input: int
    receptor: str
    location: Location
    site: Site
    weight: float  # event weight: uS for the double exponentials, dimensionless for nmda_kampa
    times_ms: np.ndarray


def _as_trials(inputs: Any) -> list[list[SynapticInput]]:
    items = list(inputs) if inputs is not None else []
    if not items or isinstance(items[0], SynapticInput):
        trials = [items]
    else:
        trials = [list(t) for t in items]
    for i, trial in enumerate(trials):
        for j, x in enumerate(trial):
            if not isinstance(x, SynapticInput):
                raise ConfigError(f"inputs[{i}][{j}]", type(x).__name__,
                                  "expected a SynapticInput (one trial: a sequence of them; trials: a sequence of such sequences)")
    return trials


def _locate(morphology: Morphology, site: Any, field: str) -> Location:
    if not isinstance(site, Site):
        raise ConfigError(field, site, "expected a netdyn.cells.Site(branch, distance_um)")
    try:
        return morphology.locate(site)
    except ConfigError as exc:
        raise ConfigError(f"{field}.{exc.field}", exc.value, exc.reason) from None


def _synapses(cell: Cell, trial: list[SynapticInput], t: int) -> list[_Synapse]:
    syn = cell.biophysics.synapses
    out = []
    for j, x in enumerate(trial):
        loc = _locate(cell.morphology, x.site, f"inputs[{t}][{j}].site")
        for receptor in ("ampa", "nmda") if x.receptors == "ampa+nmda" else (x.receptors,):
            spec = getattr(syn, receptor)
            weight = x.weight if isinstance(spec, KineticNMDA) else spec.q_nS * x.weight * 1e-3
            out.append(_Synapse(j, receptor, loc, x.site, weight, x.spike_times_ms))
    return out


def _mechanism_name(biophysics: Biophysics, receptor: str) -> str:
    if receptor != "nmda":
        return "dexp_syn"
    return "nmda_kampa" if isinstance(biophysics.synapses.nmda, KineticNMDA) else "nmda_mg"


def _mechanisms(biophysics: Biophysics, synapses: list[_Synapse]) -> dict[str, list[int]]:
    """The synapses (indices, in the order placed) of each point mechanism."""
    out: dict[str, list[int]] = {}
    for k, s in enumerate(synapses):
        out.setdefault(_mechanism_name(biophysics, s.receptor), []).append(k)
    return out


def _mechanism(arbor: Any, biophysics: Biophysics, receptor: str) -> Any:
    s = getattr(biophysics.synapses, receptor)
    if isinstance(s, KineticNMDA):
        return arbor.synapse("nmda_kampa", {"gmax": s.gmax_nS * 1e-3, "e": s.e_rev_mV, "mg": s.c_mg_mM,
                                            "c_mM": s.transmitter_mM, "pulse_ms": s.pulse_ms})
    params = {"tau_rise": s.tau_rise_ms, "tau_decay": s.tau_decay_ms, "e": s.e_rev_mV}
    if receptor == "nmda":
        params.update(cMg=s.c_mg_mM, etaMg=s.eta_mg_per_mM, V0=s.v0_mV)
        return arbor.synapse("nmda_mg", params)
    return arbor.synapse("dexp_syn", params)


def _decor(arbor: Any, cell: Cell, synapses: list[_Synapse], clamps: list[tuple[Any, Location]]) -> Any:
    U = arbor.units
    b = cell.biophysics
    p = b.passive
    d = arbor.decor()
    d.set_property(Vm=p.v_rest_mV * U.mV, cm=p.cm_uF_per_cm2 * 1e-2 * U.F / U.m2, rL=p.ri_ohm_cm * U.Ohm * U.cm)
    if not p.regions:
        d.paint("(all)", arbor.density(f"pas/e={p.e_leak_mV!r}", {"g": p.g_leak_pS_per_um2 * 1e-4}))
    else:  # one disjoint region per SWC type, each with its own values
        for tag in np.unique(cell.morphology.tag):
            g, cm, ri = p.for_tag(int(tag))
            d.paint(f"(tag {int(tag)})", cm=cm * 1e-2 * U.F / U.m2, rL=ri * U.Ohm * U.cm)
            d.paint(f"(tag {int(tag)})", arbor.density(f"pas/e={p.e_leak_mV!r}", {"g": g * 1e-4}))
    if b.hh is not None:
        hh = b.hh
        params = {"gnabar": hh.g_na_pS_per_um2 * 1e-4, "gkbar": hh.g_k_pS_per_um2 * 1e-4, "ena": hh.e_na_mV,
                  "ek": hh.e_k_mV, "vt": hh.vt_mV, "tadj": hh.tadj}
        regions = sorted(set(hh.regions))
        region = "(all)" if "all" in regions else ("(join " + " ".join(_REGION_EXPR[r] for r in regions) + ")"
                                                   if len(regions) > 1 else _REGION_EXPR[regions[0]])
        d.paint(region, arbor.density("hh_traub", params))
    for k, s in enumerate(synapses):
        d.place(_locset(s.location), _mechanism(arbor, b, s.receptor), f"syn{k}")
    for k, (clamp, loc) in enumerate(clamps):
        if isinstance(clamp, CurrentClamp):
            d.place(_locset(loc), arbor.i_clamp(clamp.start_ms * U.ms, clamp.duration_ms * U.ms, clamp.amplitude_nA * U.nA))
        else:
            d.place(_locset(loc), arbor.synapse("seclamp", {"vc": clamp.v_mV, "rs": clamp.series_resistance_MOhm}),
                    f"clamp{k}")
    return d


def _check_clamps(morphology: Morphology, clamps: Sequence[Any], duration_ms: float) -> list[tuple[Any, Location]]:
    out = []
    for k, c in enumerate(clamps):
        f = f"clamps[{k}]"
        if isinstance(c, CurrentClamp):
            if not math.isfinite(c.amplitude_nA):
                raise ConfigError(f + ".amplitude_nA", c.amplitude_nA, "must be finite")
            if not (math.isfinite(c.start_ms) and c.start_ms >= 0):
                raise ConfigError(f + ".start_ms", c.start_ms, "must be finite and >= 0")
            if not c.duration_ms > 0:
                raise ConfigError(f + ".duration_ms", c.duration_ms, "must be > 0")
            c = CurrentClamp(c.site, c.amplitude_nA, c.start_ms, min(c.duration_ms, duration_ms + 1.0))
        elif isinstance(c, VoltageClamp):
            if not math.isfinite(c.v_mV):
                raise ConfigError(f + ".v_mV", c.v_mV, "must be finite")
            positive_float(c.series_resistance_MOhm, f + ".series_resistance_MOhm")
            steps = []
            for j, step in enumerate(c.steps):
                if len(step) != 2 or not all(math.isfinite(x) for x in step):
                    raise ConfigError(f"{f}.steps[{j}]", step, "expected a (time_ms, v_mV) pair of finite numbers")
                if not (step[0] >= 0 and (j == 0 or step[0] > c.steps[j - 1][0])):
                    raise ConfigError(f"{f}.steps[{j}]", step, "times must be >= 0 and increasing")
                steps.append((float(step[0]), float(step[1])))
            c = VoltageClamp(c.site, c.v_mV, c.series_resistance_MOhm, tuple(steps))
        else:
            raise ConfigError(f, type(c).__name__, "expected a CurrentClamp or a VoltageClamp")
        out.append((c, _locate(morphology, c.site, f + ".site")))
    return out


# --------------------------------------------------------------------------- entry point
def simulate_cell(cell: Cell, inputs: Sequence[SynapticInput] | Sequence[Sequence[SynapticInput]] = (), *,
                  duration_ms: float, dt_ms: float = 0.025, clamps: Sequence[CurrentClamp | VoltageClamp] = (),
                  record_sites: Sequence[Site] = (), record_currents: bool = False,
                  tree_times_ms: Sequence[float] = (), sample_every: int = 1, threads: int = 1,
                  backend: str = "arbor", progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Simulate ``cell`` receiving ``inputs`` (one trial or several) on Arbor.

    Parameters
    ----------
    cell
        The morphology and biophysics.
    inputs
        The synaptic inputs of one trial (a sequence of :class:`SynapticInput`), or of
        several trials (a sequence of such sequences). Trials are copies of the cell in one
        simulation; they may differ in their inputs.
    duration_ms, dt_ms
        Length of the run and fixed time step (ms); the duration must be a whole number of
        steps.
    clamps
        :class:`CurrentClamp` and :class:`VoltageClamp` records, applied in every trial.
    record_sites
        Sites whose membrane voltage is recorded (linear interpolation between the
        compartment centres, Arbor's probe).
    record_currents
        Record the current of every synapse (nA, positive outward).
    tree_times_ms
        Times (ms, on the grid, in ``[0, duration_ms)``) of whole-tree voltage snapshots, one
        value per compartment.
    sample_every
        Record traces every this many steps.
    threads
        Arbor threads; results do not depend on it.
    backend
        ``"arbor"`` (the only one).
    progress
        Called with the number of steps advanced, in chunks of about a twentieth of the run.

    Returns
    -------
    xarray.Dataset
        Dimensions ``trial``, ``time`` (coordinate ``time_ms``: samples at
        ``k * sample_every * dt_ms`` in ``[0, duration_ms)``), ``site``, ``synapse``,
        ``clamp``, ``snapshot``, ``cv``. Variables ``v_mV(trial, site, time)``,
        ``i_syn_nA(trial, synapse, time)`` (with ``record_currents``; trials with fewer
        synapses than the most are padded with NaN, and the synapse coordinates are those of
        the first trial that has the synapse), ``i_clamp_nA(trial, clamp, time)`` (injected
        current, positive into the cell: the step of a current clamp, ``(v_c - v) / r_s`` of
        a voltage clamp), ``v_tree_mV(trial, snapshot, cv)``. Attributes ``backend``,
        ``arbor_version``, ``dt_ms``, ``duration_ms``, ``n_cv`` (Arbor's control volumes of
        one cell, fork points included), ``build_s``, ``run_s``.

    Raises
    ------
    ConfigError
        Before anything runs, naming the field: an unknown backend, ``dt_ms <= 0``, a
        duration that is not a whole number of steps, a site off the tree, a snapshot time
        outside the run or off the grid, a bad clamp; or (``backend``) Arbor or a compiler to
        build netdyn's mechanisms is missing.
    CableInstabilityError
        The voltage became non-finite (names trial, place and time).
    """
    # ---- validation (nothing runs before it passes)
    if backend not in BACKENDS:
        raise ConfigError("backend", backend, f"expected one of {', '.join(BACKENDS)}")
    if not isinstance(cell, Cell):
        raise ConfigError("cell", type(cell).__name__, "expected a netdyn.cells.Cell")
    dt = positive_float(dt_ms, "dt_ms")
    duration = positive_float(duration_ms, "duration_ms")
    n_steps = grid_steps(duration, dt, field="duration_ms", step_name="dt_ms", minimum=1)
    if int(sample_every) != sample_every or sample_every < 1:
        raise ConfigError("sample_every", sample_every, "must be a positive integer")
    sample_every = int(sample_every)
    if int(threads) != threads or threads < 1:
        raise ConfigError("threads", threads, "must be a positive integer")
    morph = cell.morphology
    trials = _as_trials(inputs)
    synapses = [_synapses(cell, trial, t) for t, trial in enumerate(trials)]
    clamp_locs = _check_clamps(morph, list(clamps), duration)
    site_locs = [_locate(morph, s, f"record_sites[{k}]") for k, s in enumerate(record_sites)]
    snap_steps = []
    for k, t in enumerate(tree_times_ms):
        if not (math.isfinite(t) and 0 <= t < duration):
            raise ConfigError(f"tree_times_ms[{k}]", t, f"must be in [0, duration_ms={duration:g})")
        snap_steps.append(grid_steps(float(t), dt, field=f"tree_times_ms[{k}]", step_name="dt_ms"))
    arbor = require_arbor()
    catalogue = load_catalogue()

    # ---- build
    t0 = time.perf_counter()
    U = arbor.units
    tree = arbor.segment_tree()
    for i in range(morph.n_segments):
        p, d = morph.proximal[i], morph.distal[i]
        tree.append(arbor.mnpos if morph.parent[i] < 0 else int(morph.parent[i]),
                    arbor.mpoint(*map(float, p)), arbor.mpoint(*map(float, d)), tag=int(morph.tag[i]))
    arb_morph = arbor.morphology(tree)
    geometry = _Geometry(arbor, morph, arb_morph)
    n_comp = compartments_per_branch(morph, cell.biophysics)
    bounds = []
    for b in range(morph.n_branches):
        start, length = morph.branch_start_um[b], morph.branch_length_um[b]
        segs = morph.branch_segments[b]
        joints = np.r_[start, morph.path_distance_um[segs]]
        for k in range(n_comp[b] + 1):
            d = start + length * k / n_comp[b]
            j = int(np.argmin(np.abs(joints - d)))
            if abs(joints[j] - d) <= 1e-9 * max(1.0, length):  # on a joint: exactly there, not a rounding away
                loc = Location(int(segs[0]), 0.0) if j == 0 else Location(int(segs[j - 1]), 1.0)
            else:
                loc = morph.locate(Site(b, d))
            bounds.append(_locset(loc))
    policy = arbor.cv_policy_explicit("(sum " + " ".join(bounds) + ")")
    labels = arbor.label_dict()

    vclamps = [k for k, (c, _) in enumerate(clamp_locs) if isinstance(c, VoltageClamp)]
    snap_times = sorted(set(s * dt for s in snap_steps) | {(n_steps - 1) * dt})
    n_trials = len(trials)

    class Recipe(arbor.recipe):
        def __init__(self) -> None:
            arbor.recipe.__init__(self)
            self.props = arbor.neuron_cable_properties()
            self.props.catalogue = catalogue
            self.props.coalesce_synapses = not record_currents

        def num_cells(self) -> int:
            return n_trials

        def cell_kind(self, gid: int) -> Any:
            return arbor.cell_kind.cable

        def cell_description(self, gid: int) -> Any:
            return arbor.cable_cell(arb_morph, _decor(arbor, cell, synapses[gid], clamp_locs), labels, policy)

        def global_properties(self, kind: Any) -> Any:
            return self.props

        def event_generators(self, gid: int) -> list[Any]:
            out = []
            for k, s in enumerate(synapses[gid]):
                if s.times_ms.size and s.weight > 0:
                    sched = arbor.explicit_schedule()
                    sched.times_ms = s.times_ms.tolist()
                    out.append(arbor.event_generator(f"syn{k}", s.weight, sched))
            for k in vclamps:  # each step: one event whose weight is the new holding potential
                for t_ms, v_mV in clamp_locs[k][0].steps:
                    out.append(arbor.event_generator(f"clamp{k}", float(v_mV), arbor.explicit_schedule([t_ms * U.ms])))
            return out

        def probes(self, gid: int) -> list[Any]:
            out = [arbor.cable_probe_membrane_voltage(_locset(loc), f"v{k}") for k, loc in enumerate(site_locs)]
            if record_currents:  # one probe per mechanism: all its synapses, in the order placed
                out += [arbor.cable_probe_point_state_cell(mech, "i_nA", f"i:{mech}") for mech in _mechanisms(cell.biophysics, synapses[gid])]
            out += [arbor.cable_probe_point_state(f"clamp{k}", "seclamp", "i_nA", f"c{k}") for k in vclamps]
            out.append(arbor.cable_probe_membrane_voltage_cell("tree"))
            return out

    recipe = Recipe()
    context = arbor.context(threads=int(threads))
    sim = arbor.simulation(recipe, context)
    every = sample_every * dt
    n_samples = -(-n_steps // sample_every)
    trace = arbor.regular_schedule(0.0 * U.ms, every * U.ms, (n_samples - 0.5) * every * U.ms)
    snap_sched = arbor.explicit_schedule([t * U.ms for t in snap_times])
    handles: dict[tuple[str, int], int] = {}
    for g in range(n_trials):
        for k in range(len(site_locs)):
            handles["v", g, k] = sim.sample((g, f"v{k}"), trace)
        if record_currents:
            for mech in _mechanisms(cell.biophysics, synapses[g]):
                handles["i", g, mech] = sim.sample((g, f"i:{mech}"), trace)
        for k in vclamps:
            handles["c", g, k] = sim.sample((g, f"c{k}"), trace)
        handles["tree", g] = sim.sample((g, "tree"), snap_sched)
    cv = arbor.cv_data(recipe.cell_description(0))
    build_s = time.perf_counter() - t0

    # ---- run
    t0 = time.perf_counter()
    if progress is None:
        sim.run(duration * U.ms, dt * U.ms)
    else:
        chunk = max(1, n_steps // 20)
        done = 0
        while done < n_steps:
            step = min(chunk, n_steps - done)
            sim.run((done + step) * dt * U.ms, dt * U.ms)
            done += step
            progress(step)
    run_s = time.perf_counter() - t0

    # ---- collect
    time_ms = np.arange(n_samples) * every

    def series(key: Any) -> np.ndarray:
        data = sim.samples(handles[key])
        values = data[0][0][:, 1] if data else np.full(n_samples, np.nan)
        if values.shape[0] != n_samples:
            raise RuntimeError(f"Arbor returned {values.shape[0]} samples of {key}, expected {n_samples}")
        return values

    v = np.empty((n_trials, len(site_locs), n_samples))
    for g in range(n_trials):
        for k in range(len(site_locs)):
            v[g, k] = series(("v", g, k))

    # compartments: our CVs (non-zero extent) and where each one's value is in the cell probe
    cv_rows = []
    for i in range(cv.num_cv):
        cables = cv.cables(i)
        longest = max(cables, key=lambda c: c.dist - c.prox)
        if longest.dist - longest.prox <= 0:
            continue  # the zero-extent CV of a fork point
        seg, frac, area = geometry.cable_points(longest.branch, longest.prox, longest.dist)
        cv_rows.append(((longest.branch, longest.prox, longest.dist), seg, frac, area))
    meta = sim.probe_metadata((0, "tree"))[0]
    cable_index = {(c.branch, c.prox, c.dist): j for j, c in enumerate(meta)}
    col = np.array([cable_index[r[0]] for r in cv_rows], dtype=np.int64)
    cv_seg = np.array([r[1] for r in cv_rows], dtype=np.int64)
    cv_frac = np.array([r[2] for r in cv_rows])
    cv_xyz = np.array([morph.point(Location(int(s), float(f))) for s, f in zip(cv_seg, cv_frac)]).reshape(-1, 3)
    cv_dist = morph.proximal_distance_um[cv_seg] + cv_frac * morph.length_um[cv_seg]

    snap_index = {round(t / dt): j for j, t in enumerate(snap_times)}
    v_tree = np.empty((n_trials, len(snap_steps), len(cv_rows)))
    final = np.empty((n_trials, len(cv_rows)))
    for g in range(n_trials):
        data = sim.samples(handles["tree", g])[0][0]
        if data.shape[0] != len(snap_times):
            raise RuntimeError(f"Arbor returned {data.shape[0]} tree snapshots, expected {len(snap_times)}")
        values = data[:, 1:][:, col]
        for j, s in enumerate(snap_steps):
            v_tree[g, j] = values[snap_index[s]]
        final[g] = values[-1]

    # ---- a blow-up: where and when
    for g in range(n_trials):
        if np.all(np.isfinite(v[g])) and np.all(np.isfinite(final[g])) and np.all(np.isfinite(v_tree[g])):
            continue
        if v.shape[1] and not np.all(np.isfinite(v[g])):
            bad = ~np.isfinite(v[g])
            k = int(np.argmax(bad.any(axis=0)))
            site = int(np.argmax(bad[:, k]))
            s = record_sites[site]
            raise CableInstabilityError(g, f"site {site} (branch {s.branch}, {s.distance_um:g} um)", k * sample_every,
                                        float(time_ms[k]))
        j = int(np.argmax(~np.isfinite(final[g])))
        raise CableInstabilityError(g, f"compartment on branch {int(morph.segment_branch[cv_seg[j]])} at "
                                       f"{cv_dist[j]:g} um", n_steps - 1, (n_steps - 1) * dt)

    # ---- dataset
    ds = xr.Dataset(
        coords={
            "trial": np.arange(n_trials),
            "time_ms": ("time", time_ms),
            "site_branch": ("site", np.array([s.branch for s in record_sites], dtype=np.int64)),
            "site_distance_um": ("site", np.array([s.distance_um for s in record_sites], dtype=float)),
            "snapshot_ms": ("snapshot", np.array(snap_steps, dtype=float) * dt),
            "cv_branch": ("cv", morph.segment_branch[cv_seg]),
            "cv_distance_um": ("cv", cv_dist),
            "cv_x_um": ("cv", cv_xyz[:, 0]),
            "cv_y_um": ("cv", cv_xyz[:, 1]),
            "cv_z_um": ("cv", cv_xyz[:, 2]),
            "cv_area_um2": ("cv", np.array([r[3] for r in cv_rows])),
        },
        attrs={"backend": backend, "arbor_version": arbor.__version__, "dt_ms": dt, "duration_ms": duration,
               "sample_every": sample_every, "n_cv": int(cv.num_cv), "build_s": build_s, "run_s": run_s},
    )
    ds["v_mV"] = (("trial", "site", "time"), v)
    ds["v_tree_mV"] = (("trial", "snapshot", "cv"), v_tree)
    i_clamp = np.empty((n_trials, len(clamp_locs), n_samples))
    for k, (c, _) in enumerate(clamp_locs):
        if isinstance(c, CurrentClamp):
            on = (time_ms >= c.start_ms - 1e-9 * max(1.0, c.start_ms)) & (time_ms < c.start_ms + c.duration_ms)
            i_clamp[:, k] = np.where(on, c.amplitude_nA, 0.0)
        else:
            for g in range(n_trials):
                i_clamp[g, k] = -series(("c", g, k))
    ds["i_clamp_nA"] = (("trial", "clamp", "time"), i_clamp)
    ds = ds.assign_coords(clamp_kind=("clamp", np.array(["current" if isinstance(c, CurrentClamp) else "voltage"
                                                           for c, _ in clamp_locs], dtype=object).astype(str)))
    if record_currents:
        n_syn = max((len(s) for s in synapses), default=0)
        i_syn = np.full((n_trials, n_syn, n_samples), np.nan)
        first = [None] * n_syn
        for g in range(n_trials):
            for mech, which in _mechanisms(cell.biophysics, synapses[g]).items():
                data, meta = sim.samples(handles["i", g, mech])[0]
                where = [(m.location.branch, m.location.pos) for m in meta]
                expected = [geometry.arbor_location(synapses[g][k].location) for k in which]
                if data.shape != (n_samples, 1 + len(which)) or not np.allclose(where, expected, rtol=0, atol=1e-9):
                    raise RuntimeError(f"Arbor's {mech} probe of trial {g} does not list the synapses in the order placed")
                i_syn[g, which] = data[:, 1:].T
            for k, s in enumerate(synapses[g]):
                first[k] = first[k] or s
        ds["i_syn_nA"] = (("trial", "synapse", "time"), i_syn)
        ds = ds.assign_coords(
            synapse_input=("synapse", np.array([s.input for s in first], dtype=np.int64)),
            synapse_receptor=("synapse", np.array([s.receptor for s in first], dtype=str)),
            synapse_branch=("synapse", np.array([s.site.branch for s in first], dtype=np.int64)),
            synapse_distance_um=("synapse", np.array([s.site.distance_um for s in first], dtype=float)),
        )
    ds["v_mV"].attrs["units"] = "mV"
    return ds
