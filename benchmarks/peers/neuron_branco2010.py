"""Run the published model of Branco, Clark & Hausser (2010) in NEURON and print its sequence
selectivity: the yardstick for netdyn's ``branco2010`` protocol.

The model is ModelDB entry 140828 (a passive layer 2/3 pyramidal cell, ``rc19.hoc``; AMPA as
an alpha synapse of 2 ms and 0.5 nS; NMDA as the 10-state kinetic scheme of Kampa et al.
2004 driven by a 0.5-ms transmitter pulse; 9 synapses spread over the whole of basal
dendrite 13, activated towards the soma ("IN") or away from it ("OUT") at intervals of 0 to
8 ms). netdyn does not ship it; download it from https://modeldb.science/140828 and give its
folder. Needs NEURON (``pip install neuron``, tested with 9.0.2), which compiles the model's
mechanisms (``nrnivmodl``) into a temporary folder.

Usage: ``python benchmarks/peers/neuron_branco2010.py PATH/TO/Branco_2010 [--json-out FILE]
[--swc-out FILE]``. ``--swc-out`` also writes the cell's morphology as an SWC file (every
section's 3-d points; soma 1, axon 2, basal ``dend`` 3, apical ``apic`` 4), and the JSON
records which sample starts the stimulated dendrite, so that
``benchmarks/dendrites_branco2010.py`` runs netdyn's ``branco2010`` protocol on the same cell.

Besides the published model as it is (``--nmda-gmax-pS 8000``, its default), the AMPA-only
variant (NMDA conductance 0) is run; the table gives, for each interval, the peak somatic
depolarisation IN and OUT (mV), their ratio and DSI = (IN - OUT) / (IN + OUT).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def compile_mechanisms(model_dir: Path, work: Path) -> Path:
    mods = work / "mod"
    shutil.copytree(model_dir / "mod.files", mods)
    nrnivmodl = Path(sys.executable).with_name("nrnivmodl")
    subprocess.run([str(nrnivmodl if nrnivmodl.exists() else "nrnivmodl"), "."], cwd=mods, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return next(mods.glob("*/libnrnmech.so"))


def selectivity(model_dir: Path, library: Path, nmda_gmax_pS: float, intervals_ms: range) -> list[dict]:
    import numpy as np
    from neuron import h

    here = os.getcwd()
    os.chdir(model_dir)  # the model's hoc files read their data files from the working folder
    try:
        if not hasattr(h, "init_syns"):  # first call: load the mechanisms and the model once
            h.nrn_load_dll(str(library))
            h.load_file("stdrun.hoc")
            for name in ("rc19.hoc", "init_biophys.hoc", "init_synapses.hoc"):
                h.xopen(f"./{name}")
            h.init_params()
            h.init_passive()
            h.init_syn_params()
            h.init_syns(int(h.mloc.nrow()))
        for syn in h.cNMDA:
            syn.gmax = nmda_gmax_pS
        h.tstop = 200
        soma_v = h.Vector()
        soma_v.record(h.soma(0.5)._ref_v)
        orders = {"in": list(range(9)), "out": list(range(8, -1, -1))}  # synapse 0 is the most distal
        rows = []
        for interval in intervals_ms:
            peak = {}
            for name, order in orders.items():
                for k, s in enumerate(order):
                    h.cAMPA[s].onset = 50.0 + k * interval
                    h.PRE[s].del_rel = 50.0 + k * interval
                h.run()
                peak[name] = float(np.max(np.asarray(soma_v)) - h.v_init)
            rows.append({"interval_ms": interval, "peak_in_mV": peak["in"], "peak_out_mV": peak["out"],
                         "ratio": peak["in"] / peak["out"],
                         "dsi": (peak["in"] - peak["out"]) / (peak["in"] + peak["out"])})
        return rows
    finally:
        os.chdir(here)


def write_swc(path: Path) -> dict:
    """The loaded model's sections as SWC samples (x, y, z in um, radius = diam / 2); returns
    the id of the first sample of ``dend[13]`` (the stimulated dendrite) and its length."""
    from neuron import h

    kinds = {"soma": 1, "axon": 2, "dend": 3, "apic": 4}
    lines, last_id, first_id, soma_ids = [], {}, {}, []
    sections = [sec for sec in h.allsec() if sec.name().split("[")[0] in kinds]  # not the PRE terminals
    done: set[str] = set()
    while len(done) < len(sections):  # parents first
        for sec in sections:
            name = sec.name()
            parent = sec.parentseg()
            if name in done or (parent is not None and parent.sec.name() not in done):
                continue
            kind = kinds[name.split("[")[0]]
            if parent is None:
                attach = -1
            elif parent.sec.name() == "soma":  # the soma point nearest the attachment
                attach = soma_ids[min(len(soma_ids) - 1, int(round(parent.x * (len(soma_ids) - 1))))]
            else:
                attach = last_id[parent.sec.name()]
            for k in range(int(sec.n3d())):
                sample = len(lines) + 1
                lines.append(f"{sample} {kind} {sec.x3d(k):.5f} {sec.y3d(k):.5f} {sec.z3d(k):.5f} "
                             f"{sec.diam3d(k) / 2:.5f} {attach}")
                if kind == 1:
                    soma_ids.append(sample)
                first_id.setdefault(name, sample)
                attach = sample
            last_id[name] = attach
            done.add(name)
    path.write_text("# " + "ModelDB 140828 (Branco, Clark & Hausser 2010): rc19.hoc\n" + "\n".join(lines) + "\n")
    return {"swc": str(path), "stimulated_first_sample": first_id["dend[13]"], "stimulated_length_um": h.dend[13].L}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="folder of ModelDB entry 140828 (Branco_2010)")
    parser.add_argument("--json-out", type=Path, help="also write the tables as JSON")
    parser.add_argument("--swc-out", type=Path, help="also write the cell as an SWC file")
    args = parser.parse_args(argv)
    try:
        import neuron
    except ImportError:
        print("NEURON is not installed (pip install neuron): skipped")
        return 0
    out = {"neuron_version": neuron.__version__, "model": "ModelDB 140828 (Branco, Clark & Hausser 2010)"}
    with tempfile.TemporaryDirectory() as tmp:
        library = compile_mechanisms(args.model_dir.resolve(), Path(tmp))
        for label, gmax in (("ampa+nmda", 8000.0), ("ampa", 0.0)):
            rows = selectivity(args.model_dir.resolve(), library, gmax, range(0, 9))
            out[label] = rows
            print(f"\n{label} (NMDA gmax {gmax:g} pS)\n\n| interval (ms) | IN (mV) | OUT (mV) | IN/OUT | DSI |\n|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['interval_ms']} | {r['peak_in_mV']:.2f} | {r['peak_out_mV']:.2f} | {r['ratio']:.3f} | {r['dsi']:+.3f} |")
    if args.swc_out:
        out["morphology"] = write_swc(args.swc_out)
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
