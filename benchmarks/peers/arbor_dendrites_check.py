"""Cross-check of the Brian2 dendrites reference with Arbor itself (not netdyn's engine): the
AMPA-only cases of tests/data/dendrites_brian2_reference.json as an Arbor 0.12 cable cell
(``pas``, built-in ``exp2syn``, whose peak is normalised to the weight as netdyn's), with
``cv_policy_single`` on the soma plus ``cv_policy_max_extent(compartment_length_um)`` on the
dendrites. Branches are laid along x (only lengths matter). Needs arbor (netdyn's venv).

Arbor keeps its own fork handling (a zero-length CV at each fork: 329 CVs on the tree where
the case has 311), so the tree cases differ slightly; the ball-and-stick is the same
discretisation on both sides.

Usage: ``python benchmarks/peers/arbor_dendrites_check.py [tests/data/dendrites_brian2_reference.json]``
"""
import json
import sys
from pathlib import Path

import numpy as np
import arbor as A
from arbor import units as U

def run(case):
    br = case["branches"]; bio = case["biophysics"]
    tree = A.segment_tree()
    ends = []
    r = br[0]["diameter_um"] / 2
    s0 = tree.append(A.mnpos, A.mpoint(-r, 0, 0, r), A.mpoint(r, 0, 0, r), tag=1)
    ends.append((s0, r))
    for b in br[1:]:
        pseg, x0 = ends[b["parent"]]
        d = b["diameter_um"]
        s = tree.append(pseg, A.mpoint(x0, 0, 0, d / 2), A.mpoint(x0 + b["length_um"], 0, 0, d / 2), tag=3)
        ends.append((s, x0 + b["length_um"]))
    labels = A.label_dict()
    dec = A.decor()
    dec.set_property(Vm=bio["v_init_mV"] * U.mV, cm=bio["cm_F_per_m2"] * U.F / U.m2, rL=bio["ri_ohm_m"] * 100 * U.Ohm * U.cm)
    dec.paint("(all)", A.density(f"pas/e={bio['e_leak_mV']}", g=bio["g_leak_S_per_m2"] * 1e-4))
    # segment ids == branch index in the case; place by segment location
    for i, s in enumerate(case["synapses"]):
        frac = s["x_um"] / br[s["branch"]]["length_um"]
        k = bio["synapses"]["ampa"]
        dec.place(f"(on-components {frac} (segment {s['branch']}))", A.synapse("exp2syn", tau1=k["tau_rise_ms"], tau2=k["tau_decay_ms"], e=k["e_rev_mV"]), f"syn{i}")
    cl = bio["compartment_length_um"]
    pol = A.cv_policy_single("(tag 1)") + A.cv_policy_max_extent(cl * U.um, "(tag 3)")
    m = A.morphology(tree)
    cell = A.cable_cell(m, dec, labels, pol)
    run.n_cv = A.cv_data(cell).num_cv
    class Rec(A.recipe):
        def __init__(s): super().__init__()
        def num_cells(s): return 1
        def cell_kind(s, gid): return A.cell_kind.cable
        def cell_description(s, gid): return cell
        def event_generators(s, gid):
            return [A.event_generator(f"syn{i}", sy["weight"] * bio["synapses"]["ampa"]["q_nS"] * 1e-3, A.explicit_schedule([t * U.ms for t in sy["spike_times_ms"]])) for i, sy in enumerate(case["synapses"])]
        def probes(s, gid): return [A.cable_probe_membrane_voltage("(on-components 0.5 (segment 0))", "Um")]
        def global_properties(s, kind):
            p = A.neuron_cable_properties(); return p
    sim = A.simulation(Rec())
    h = sim.sample((0, "Um"), A.regular_schedule(case["dt_ms"] * U.ms))
    sim.run(case["duration_ms"] * U.ms, case["dt_ms"] * U.ms)
    data, meta = sim.samples(h)[0]
    return data[:, 0], data[:, 1]


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "tests" / "data" / "dendrites_brian2_reference.json"
    ref = json.loads(path.read_text())
    for name, entry in sorted(ref["cases"].items()):
        case = entry["case"]
        if any(s["receptors"] != "ampa" for s in case["synapses"]):
            continue
        t, v = run(case)
        i0 = int(round(case["epsp_onset_ms"] / case["dt_ms"]))
        k = i0 + int(np.argmax(v[i0:]))
        amp, tp = v[k] - v[i0], t[k] - case["epsp_onset_ms"]
        e = entry["epsp"]
        vb = np.asarray(entry["soma_v_mV"])
        va = np.interp(entry["t0_ms"] + entry["sample_dt_ms"] * np.arange(vb.size), t, v)
        rms = np.sqrt(np.mean((va - vb) ** 2)) / e["peak_mV"]
        print(f"{name}: {run.n_cv} CVs (case {case['n_compartments']}); Arbor {amp:.4f} mV at {tp:.3f} ms, "
              f"Brian2 {e['peak_mV']:.4f} mV at {e['time_to_peak_ms']:.3f} ms: amplitude {100 * (amp / e['peak_mV'] - 1):+.3f} %, "
              f"time to peak {100 * (tp / e['time_to_peak_ms'] - 1):+.3f} %, RMS {100 * rms:.3f} % of the peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
