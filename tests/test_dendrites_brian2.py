"""netdyn's cable engine (Arbor) against Brian2's ``SpatialNeuron`` on the same cells and inputs.

tests/data/dendrites_brian2_reference.json (``benchmarks/peers/make_reference_data.py --only
dendrites``, Brian2 2.9): somatic EPSPs of a ball-and-stick and a Ball-and-Rall's tree after one
AMPA or AMPA+NMDA input at several distances (``benchmarks/peers/dendrites_cases.py``). The
issue's criterion: peak amplitude, time to peak and the trace (RMS difference over the run,
relative to the peak) within 2 %. Both simulators use the same compartments (n = ceil(L /
compartment_length_um) per branch, soma 1), put a synapse's current into the compartment that
holds it, and integrate the cable with implicit Euler.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("arbor")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))

import dendrites_cases  # noqa: E402

REFERENCE = json.loads((ROOT / "tests" / "data" / "dendrites_brian2_reference.json").read_text())
CASES = sorted(REFERENCE["cases"])
# The issue asks for 2 %; the engine agrees to 0.2 % (the largest difference: NMDA at the
# thinnest branch, where Brian2's exponential Euler and Arbor's cnexp step the gating apart),
# so the test holds it to 0.5 %.
TOLERANCE = 0.005

from netdyn.engines import cable  # noqa: E402


def test_reference_covers_the_cases():
    assert CASES == sorted(dendrites_cases.REFERENCE_CASES)
    for name in CASES:
        e = REFERENCE["cases"][name]["epsp"]
        assert e["peak_mV"] > 0.5 and e["time_to_peak_ms"] > 0


@pytest.mark.parametrize("name", CASES)
def test_case_is_what_the_reference_simulated(name):
    """The cell, inputs and protocol built today are the ones Brian2 was given."""
    assert dendrites_cases.case(name) == REFERENCE["cases"][name]["case"]


@pytest.mark.parametrize("name", CASES)
def test_somatic_epsp_matches_brian2(name):
    ref = REFERENCE["cases"][name]
    cell, inputs, protocol = dendrites_cases.build(name)
    ds = cable.simulate_cell(cell, inputs, duration_ms=protocol.duration_ms, dt_ms=protocol.dt_ms,
                             record_sites=protocol.record_sites[:1], sample_every=1)
    v = np.asarray(ds["v_mV"].isel(trial=0, site=0).values, dtype=float)
    t = np.asarray(ds["time_ms"].values, dtype=float)
    dt = protocol.dt_ms
    onset = ref["epsp"]["onset_ms"]
    i0 = int(np.argmin(np.abs(t - onset)))
    assert abs(t[i0] - onset) < 1e-6 * dt + 1e-9
    k = i0 + int(np.argmax(v[i0:]))
    peak, time_to_peak = v[k] - v[i0], t[k] - onset
    ref_peak, ref_ttp = ref["epsp"]["peak_mV"], ref["epsp"]["time_to_peak_ms"]
    assert peak == pytest.approx(ref_peak, rel=TOLERANCE), f"{name}: peak {peak:.4f} mV, Brian2 {ref_peak:.4f} mV"
    assert time_to_peak == pytest.approx(ref_ttp, rel=TOLERANCE, abs=dt), \
        f"{name}: time to peak {time_to_peak:.3f} ms, Brian2 {ref_ttp:.3f} ms"
    ref_v = np.asarray(ref["soma_v_mV"])
    ref_t = ref["t0_ms"] + ref["sample_dt_ms"] * np.arange(ref_v.size)
    ours = np.interp(ref_t, t, v)
    rms = float(np.sqrt(np.mean((ours - ref_v) ** 2))) / ref_peak
    assert rms < TOLERANCE, f"{name}: RMS difference {100 * rms:.2f} % of the peak"
    print(f"{name}: peak {100 * (peak / ref_peak - 1):+.3f} %, time to peak {time_to_peak - ref_ttp:+.3f} ms, "
          f"RMS {100 * rms:.3f} % of the peak")
