"""Single-neuron f-I curves from Brian2 on the ntwk cell equations (Zerlaut's
``neural_network_dynamics``).

Runs under the Brian2 interpreter. For each cell, one NeuronGroup with one neuron per
current (no coupling), integrated with ``method='euler'`` at dt 0.1 ms for 2 s:

    Cm dV/dt = Gl (El - V) + Gl DeltaV exp((V - Vthre) / DeltaV) + I - w   (unless refractory)
    tau_w dw/dt = a (V - El) - w                                           (only if a or b != 0)

the exponential term dropped when DeltaV = 0 (LIF); spike when V > Vthre + 5 DeltaV; reset
V = Vreset, w += b; V clamped for Trefrac while w keeps evolving; V(0) = El, w(0) = 0.

Cells: the README's RS and FS network cells, and the ``LIF``, ``EIF`` and ``AdExp`` presets
of ``cell_library`` (its parameter table; Vreset is not in that table: Vreset = El
as in every ntwk preset). Units: ms, mV, pF, nS, pA, Hz.

Per current: ``rate_hz`` (spikes in [0, 2 s) / 2 s), ``rate_last_1s_hz`` (spikes in [1, 2) s),
``first_spike_ms``, ``first_isi_ms``, ``mean_isi_last_1s_ms`` (mean ISI between the
spikes in [1, 2) s: the steady-state period at a finer resolution than a count), ``n_spikes``; for the LIF also the closed form
f = 1 / (Trefrac + tau_m ln((I/Gl + El - Vreset) / (I/Gl + El - Vthre))) above rheobase.

Prints the whole result as JSON (``--out FILE`` writes it there instead).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

BASE = {"Gl": 10.0, "Cm": 200.0, "El": -70.0, "Vthre": -50.0, "Vreset": -70.0, "Trefrac": 5.0}
CELLS = {
    "RS": {**BASE, "deltaV": 2.0, "a": 0.0, "b": 40.0, "tauw": 500.0},
    "FS": {**BASE, "deltaV": 0.5, "a": 0.0, "b": 0.0, "tauw": 500.0},
    "LIF": {**BASE, "Cm": 150.0, "deltaV": 0.0, "a": 0.0, "b": 0.0, "tauw": None},
    "EIF": {**BASE, "deltaV": 1.0, "a": 0.0, "b": 0.0, "tauw": None},
    "AdExp": {**BASE, "deltaV": 1.0, "a": 2.0, "b": 20.0, "tauw": 500.0},
}
UNITS = {"Gl": "nS", "Cm": "pF", "El": "mV", "Vthre": "mV", "Vreset": "mV", "Trefrac": "ms", "deltaV": "mV",
         "a": "nS", "b": "pA", "tauw": "ms"}


def lif_rate_hz(i_pa: float, p: dict) -> float:
    """Closed-form rate (Hz) of the LIF under a constant current (0 below rheobase)."""
    v_inf = p["El"] + i_pa / p["Gl"]
    if v_inf <= p["Vthre"]:
        return 0.0
    tau = p["Cm"] / p["Gl"]
    period = p["Trefrac"] + tau * math.log((v_inf - p["Vreset"]) / (v_inf - p["Vthre"]))
    return 1000.0 / period


def simulate(b2, p: dict, currents_pa: list[float], duration_ms: float, dt_ms: float) -> list[dict]:
    """One Brian2 run of len(currents) uncoupled cells; returns the per-current figures."""
    import numpy as np

    b2.start_scope()
    b2.defaultclock.dt = dt_ms * b2.ms
    ns = {"Gl": p["Gl"] * b2.nS, "Cm": p["Cm"] * b2.pF, "El": p["El"] * b2.mV, "Vthre": p["Vthre"] * b2.mV,
          "Vreset": p["Vreset"] * b2.mV, "deltaV": p["deltaV"] * b2.mV, "a": p["a"] * b2.nS, "b": p["b"] * b2.pA}
    exp_term = " + Gl*deltaV*exp((V-Vthre)/deltaV)" if p["deltaV"] > 0 else ""
    adaptive = p["a"] != 0 or p["b"] != 0
    eqs = f"dV/dt = (Gl*(El-V){exp_term} + I0 - w)/Cm : volt (unless refractory)\nI0 : amp\n"
    if adaptive:
        ns["tauw"] = p["tauw"] * b2.ms
        eqs += "dw/dt = (a*(V-El) - w)/tauw : amp\n"
        reset = "V = Vreset\nw += b"
    else:
        eqs += "w : amp\n"
        reset = "V = Vreset"
    group = b2.NeuronGroup(len(currents_pa), eqs, threshold="V > Vthre + 5*deltaV", reset=reset,
                           refractory=p["Trefrac"] * b2.ms, method="euler", namespace=ns)
    group.V = p["El"] * b2.mV
    group.w = 0 * b2.pA
    group.I0 = np.asarray(currents_pa) * b2.pA
    mon = b2.SpikeMonitor(group)
    b2.run(duration_ms * b2.ms, namespace=ns)
    trains = mon.spike_trains()
    rows = []
    for k, i_pa in enumerate(currents_pa):
        t = np.asarray(trains[k] / b2.ms)
        late = t[t >= duration_ms - 1000.0]
        rows.append({
            "current_pa": float(i_pa),
            "n_spikes": int(t.size),
            "rate_hz": float(t.size / (duration_ms * 1e-3)),
            "rate_last_1s_hz": float(np.count_nonzero(t >= duration_ms - 1000.0) / 1.0),
            "first_spike_ms": float(t[0]) if t.size else None,
            "first_isi_ms": float(t[1] - t[0]) if t.size > 1 else None,
            "mean_isi_last_1s_ms": float(np.mean(np.diff(late))) if late.size > 1 else None,
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--i-max-pa", type=float, default=600.0)
    parser.add_argument("--i-step-pa", type=float, default=25.0)
    parser.add_argument("--duration-ms", type=float, default=2000.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    import brian2 as b2
    import numpy as np

    b2.prefs.logging.console_log_level = "ERROR"
    b2.prefs.codegen.target = "numpy"  # no compiler needed; tiny groups
    dt_ms = 0.1
    currents = [float(x) for x in np.arange(0.0, args.i_max_pa + 0.5 * args.i_step_pa, args.i_step_pa)]
    result = {
        "description": "Single-neuron f-I curves, Brian2 on the ntwk cell equations (spiking.md 1.3)",
        "simulator": "brian2",
        "version": b2.__version__,
        "method": "euler",
        "dt_ms": dt_ms,
        "duration_ms": args.duration_ms,
        "initial_state": {"V": "El", "w_pa": 0.0},
        "spike_condition": "V > Vthre + 5 deltaV",
        "units": UNITS,
        "cells": {},
    }
    for name, p in CELLS.items():
        rows = simulate(b2, p, currents, args.duration_ms, dt_ms)
        if p["deltaV"] == 0:
            for row in rows:
                row["closed_form_rate_hz"] = lif_rate_hz(row["current_pa"], p)
        result["cells"][name] = {"params": p, "curve": rows}
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
