"""Reference currents of the kinetic NMDA receptor (Kampa et al. 2004) from NEURON, for
``tests/test_nmda_kampa.py``.

One ``NMDA_Mg_T`` synapse of ModelDB entry 140828 (Branco, Clark & Hausser 2010) with
Branco's settings (gmax 8000 pS, Erev 5 mV, mg 1 mM; transmitter from ``release_BMK``, a
square pulse of 2 mM for 0.5 ms) on an isopotential compartment held by an SEClamp of
series resistance 1e-4 MOhm; NEURON's fixed step dt = 0.025 ms, v_init = the holding
potential. Protocols, each with mg = 1 mM and mg = 0: holding at -80, -60, -40, -20, 0 and
+20 mV with one release at 10 ms; and "step": -70 mV, release at 10 ms, a step to -20 mV at
30 ms (the slow magnesium unblock). The synaptic current (nA, positive outward) is recorded
every 0.1 ms for 200 ms and stored every 0.1 ms up to 60 ms and every 0.5 ms after that.

Needs NEURON (``pip install neuron``, tested with 9.0.2), which compiles the model's
mechanisms (``nrnivmodl``) into a temporary folder. netdyn does not ship the model: download
it from https://modeldb.science/140828.

Usage: ``python benchmarks/peers/neuron_nmda_kampa.py PATH/TO/Branco_2010/mod.files
[--out tests/data/nmda_kampa_neuron_reference.json]``
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HOLDING_MV = (-80.0, -60.0, -40.0, -20.0, 0.0, 20.0)
STEP = {"hold_mV": -70.0, "step_at_ms": 30.0, "step_mV": -20.0}
RELEASE_MS = 10.0
DT_MS = 0.025
DURATION_MS = 200.0
RECORD_MS = 0.1
DENSE_UNTIL_MS = 60.0   # stored every RECORD_MS before, every SPARSE_MS after
SPARSE_MS = 0.5
SETTINGS = {"gmax_pS": 8000.0, "erev_mV": 5.0, "transmitter_mM": 2.0, "pulse_ms": 0.5, "celsius": 37.0,
            "series_resistance_MOhm": 1e-4}


def compile_mechanisms(mod_dir: Path, work: Path) -> Path:
    mods = work / "mod"
    mods.mkdir()
    for name in ("NMDA_Mg_T.mod", "release_BMK.mod"):
        shutil.copy(mod_dir / name, mods / name)
    nrnivmodl = Path(sys.executable).with_name("nrnivmodl")
    subprocess.run([str(nrnivmodl if nrnivmodl.exists() else "nrnivmodl"), "."], cwd=mods, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return next(mods.glob("*/libnrnmech.so"))


def stored_indices(n: int) -> list[int]:
    """Indices (of samples every RECORD_MS) that are stored."""
    dense = round(DENSE_UNTIL_MS / RECORD_MS)
    every = round(SPARSE_MS / RECORD_MS)
    return list(range(0, dense)) + list(range(dense, n, every))


def run(h, mg_mM: float, hold_mV: float, step_at_ms: float | None = None, step_mV: float | None = None) -> list[float]:
    cell = h.Section(name="cell")
    cell.L = cell.diam = 10.0
    pre = h.Section(name="pre")  # carries the transmitter, as in Branco's model
    pre.L = pre.diam = 1.0
    pre.insert("rel")
    pre(0.5).rel.dur = SETTINGS["pulse_ms"]
    pre(0.5).rel.amp = SETTINGS["transmitter_mM"]
    setattr(pre(0.5).rel, "del", RELEASE_MS)  # "del" is a Python keyword
    syn = h.NMDA_Mg_T(cell(0.5))
    syn.gmax = SETTINGS["gmax_pS"]
    h.setpointer(pre(0.5).rel._ref_T, "C", syn)
    h.Erev_NMDA_Mg_T = SETTINGS["erev_mV"]
    h.mg_NMDA_Mg_T = mg_mM
    clamp = h.SEClamp(cell(0.5))
    clamp.rs = SETTINGS["series_resistance_MOhm"]
    if step_at_ms is None:
        clamp.amp1, clamp.dur1 = hold_mV, 1e9
    else:
        clamp.amp1, clamp.dur1 = hold_mV, step_at_ms
        clamp.amp2, clamp.dur2 = step_mV, 1e9
    current = h.Vector()
    current.record(syn._ref_i, RECORD_MS)
    h.dt = DT_MS
    h.steps_per_ms = 1.0 / DT_MS
    h.celsius = SETTINGS["celsius"]
    h.finitialize(hold_mV)
    h.continuerun(DURATION_MS)
    values = list(current)[: round(DURATION_MS / RECORD_MS)]
    return [float(f"{values[k]:.7g}") for k in stored_indices(len(values))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mod_dir", type=Path, help="the mod.files folder of ModelDB entry 140828 (Branco_2010)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[2] / "tests" / "data"
                        / "nmda_kampa_neuron_reference.json")
    args = parser.parse_args(argv)
    try:
        import neuron
        from neuron import h
    except ImportError:
        print("NEURON is not installed (pip install neuron): skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        h.nrn_load_dll(str(compile_mechanisms(args.mod_dir.resolve(), Path(tmp))))
        h.load_file("stdrun.hoc")
        n = round(DURATION_MS / RECORD_MS)
        time_ms = [round(k * RECORD_MS, 6) for k in stored_indices(n)]
        traces = []
        for mg in (1.0, 0.0):
            for hold in HOLDING_MV:
                traces.append({"protocol": "hold", "mg_mM": mg, "hold_mV": hold, "i_nA": run(h, mg, hold)})
            traces.append({"protocol": "step", "mg_mM": mg, **STEP,
                           "i_nA": run(h, mg, STEP["hold_mV"], STEP["step_at_ms"], STEP["step_mV"])})
    out = {
        "provenance": {"generated_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "script": "benchmarks/peers/neuron_nmda_kampa.py", "host": platform.platform(),
                       "neuron_version": neuron.__version__,
                       "model": "NMDA_Mg_T.mod and release_BMK.mod of ModelDB 140828 (Branco, Clark & Hausser 2010)"},
        "description": "NMDA current (nA, positive outward) of one kinetic NMDA synapse (Kampa et al. 2004) under "
                       "voltage clamp; one transmitter release at release_ms; v_init = the holding potential",
        "settings": {**SETTINGS, "dt_ms": DT_MS, "duration_ms": DURATION_MS, "release_ms": RELEASE_MS,
                     "recorded_every_ms": RECORD_MS, "stored": f"every {RECORD_MS} ms before {DENSE_UNTIL_MS} ms, "
                                                               f"every {SPARSE_MS} ms after"},
        "time_ms": time_ms,
        "traces": traces,
    }
    args.out.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    for tr in traces:
        peak = max(tr["i_nA"], key=abs)
        k = tr["i_nA"].index(peak)
        print(f"{tr['protocol']:5s} mg {tr['mg_mM']:g}  {tr.get('hold_mV'):+5.0f} mV: peak {peak:+.5f} nA at {time_ms[k]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
