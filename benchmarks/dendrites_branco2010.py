"""netdyn's ``branco2010`` protocol on the published model of Branco, Clark & Hausser (2010),
beside NEURON running that model: the sequence selectivity, interval by interval.

First run the published model in NEURON (``benchmarks/peers/neuron_branco2010.py MODEL_DIR
--json-out ref.json --swc-out rc19.swc``, under a Python with NEURON), then this script under
netdyn's Python: it reads the cell from the SWC file, finds the stimulated dendrite (the
branch that starts at the recorded sample), runs ``netdyn dendrites branco2010`` with
``examples/dendrites/branco2010_published.toml`` (the published passive parameters and
synapses; ``--config`` for another file) and prints, for AMPA + NMDA and AMPA alone, the
peak somatic depolarisation IN and OUT and the DSI of both simulators.

Usage: ``python benchmarks/dendrites_branco2010.py ref.json [--config FILE] [--out DIR]
[--json-out FILE]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from netdyn.cells.swc import read_swc
from netdyn.config.base import load_config
from netdyn.config.dendrites import Branco2010Config
from netdyn.studies.dendrites import run_dendrites

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = HERE.parent / "examples" / "dendrites" / "branco2010_published.toml"


def stimulated_branch(swc: Path, first_sample: int, length_um: float) -> int:
    """The branch of the morphology read from ``swc`` that starts at sample ``first_sample``."""
    morph = read_swc(swc)
    xyz = None
    for line in swc.read_text().splitlines():
        bits = line.split()
        if bits and not line.startswith("#") and int(bits[0]) == first_sample:
            xyz = np.array([float(b) for b in bits[2:5]])
    starts = np.array([morph.proximal[s[0], :3] for s in morph.branch_segments])
    branch = int(np.argmin(np.linalg.norm(starts - xyz, axis=1)))
    if abs(morph.branch_length_um[branch] - length_um) > 1e-3 * length_um:
        raise SystemExit(f"branch {branch} is {morph.branch_length_um[branch]:.3f} um long, the dendrite {length_um:.3f} um")
    return branch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="JSON of neuron_branco2010.py --json-out ... --swc-out ...")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--out", type=Path, help="output directory of the netdyn run (default: a temporary one)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    ref = json.loads(args.reference.read_text())
    swc = Path(ref["morphology"]["swc"])
    branch = stimulated_branch(swc, ref["morphology"]["stimulated_first_sample"], ref["morphology"]["stimulated_length_um"])
    config = load_config(Branco2010Config, args.config, morphology=str(swc), branch=branch)
    with tempfile.TemporaryDirectory() as tmp:
        out = run_dendrites("branco2010", config, args.out or tmp, figure=args.out is not None, progress=False)
    s = out.stats
    rows = []
    print(f"cell {swc.name}, branch {branch}, NEURON {ref['neuron_version']}, netdyn {s['netdyn_version']}")
    for receptors in ("ampa+nmda", "ampa"):
        print(f"\n{receptors}\n\n| interval (ms) | NEURON IN | NEURON OUT | NEURON DSI | netdyn IN | netdyn OUT | netdyn DSI |"
              "\n|---|---|---|---|---|---|---|")
        theirs = {round(r["interval_ms"], 6): r for r in ref[receptors]}
        for k, interval in enumerate(s["interval_ms"]):
            r = theirs.get(round(interval, 6))
            ours = (s["peak_in_mV"][receptors][k], s["peak_out_mV"][receptors][k], s["dsi"][receptors][k])
            row = {"receptors": receptors, "interval_ms": interval, "netdyn": ours,
                   "neuron": (r["peak_in_mV"], r["peak_out_mV"], r["dsi"]) if r else None}
            rows.append(row)
            n = f"{r['peak_in_mV']:.2f} | {r['peak_out_mV']:.2f} | {r['dsi']:+.3f}" if r else "- | - | -"
            print(f"| {interval:g} | {n} | {ours[0]:.2f} | {ours[1]:.2f} | {ours[2]:+.3f} |")
    if args.json_out:
        args.json_out.write_text(json.dumps({"branch": branch, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
