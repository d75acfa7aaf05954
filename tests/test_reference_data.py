"""Schema and sanity checks of the stored peer reference data (tests/data/*.json).

The files are written by benchmarks/peers/make_reference_data.py from Brian2 and NEST runs
and from the spec's tables; these tests keep them from rotting silently: every file loads
without NaN/Infinity tokens, carries the keys the validation tests read, and its numbers
obey what the models and the sampling guarantee.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
PEERS = Path(__file__).parent.parent / "benchmarks" / "peers"
POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]


def _reject(token: str):
    raise ValueError(f"non-finite JSON constant {token}")


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(), parse_constant=_reject)


def numbers(obj):
    """Every int/float leaf of a JSON tree."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


def microcircuit_files() -> list[Path]:
    return sorted(DATA.glob("microcircuit_nest_k*.json"))


ALL_FILES = ["rsfs_brian2_reference.json", "coba_reference.json", "fi_curves_brian2.json"]


@pytest.mark.parametrize("name", ALL_FILES + [p.name for p in microcircuit_files()])
def test_file_loads_with_finite_numbers_and_provenance(name):
    data = load(name)
    assert all(math.isfinite(x) for x in numbers(data))
    assert data["provenance"]["script"] == "benchmarks/peers/make_reference_data.py"
    assert (DATA / "README.md").read_text().count(name.split("_k")[0]) >= 1


def test_microcircuit_reference_present():
    assert microcircuit_files(), "no tests/data/microcircuit_nest_k*.json"


def test_rsfs_reference_windows_and_adaptation_signature():
    data = load("rsfs_brian2_reference.json")
    assert data["setup"]["n_seeds"] == len(data["setup"]["seeds"]) == 7
    for pop in ("Exc", "Inh"):
        windows = data["rates_hz"][pop]
        for key in ("350-900", "950-1050", "1000-1500", "1300-1500"):
            w = windows[key]
            assert w["mean"] > 0 and w["sd"] > 0
            if w["min"] is not None:
                assert w["min"] <= w["mean"] <= w["max"]
        # the bump raises the rate; adaptation leaves the rate after it below the rate before it
        assert windows["950-1050"]["mean"] > windows["350-900"]["mean"] > windows["1300-1500"]["mean"]
        assert 0 < data["cv_isi"][pop]["mean"] < 2
        assert 0 < data["asynchrony_cv_5ms_population_counts"][pop]["mean"] < 1
        assert -70 < data["vm_mv"][pop]["mean"]["mean"] < -50


def test_coba_reference_tables_and_runs():
    data = load("coba_reference.json")
    bern = data["spec_table"]["variants"]["brian2_bernoulli_trefrac5"]
    assert bern["rate_exc_hz"]["mean"] == 19.0 and bern["rate_inh_hz"]["mean"] == 19.2
    assert data["spec_table"]["variants"]["brian2_fixed_indegree_trefrac5"]["rate_exc_hz_per_seed"] == [14.4, 14.7]
    model = data["section5_model"]
    n = model["n_neurons"]
    p = 80.0 / n
    for sim in ("brian2-runtime", "nest"):
        runs = model["runs"][sim]
        assert sorted(r["seed"] for r in runs) == sorted(model["seeds"]) and len(runs) >= 3
        for r in runs:
            assert r["n_neurons"] == n and r["duration_ms"] == 1000.0
            # Bernoulli wiring: n_synapses ~ Binomial(N^2, p); 6 SD covers every honest draw
            sd = math.sqrt(n * n * p * (1 - p))
            assert abs(r["n_synapses"] - n * n * p) < 6 * sd
            # spec section 5: all implementations produce 21-22 Hz; allow the seed spread
            assert 15.0 < r["rate_exc_hz"] < 30.0 and 15.0 < r["rate_inh_hz"] < 30.0
            assert 1.0 < r["cv_isi_exc"] < 2.5
            assert r["cpu_s"] > 0 and r["build_s"] > 0
        summary = model["summary"][sim]["rate_exc_hz"]
        assert summary["n"] == len(runs)
        assert summary["mean"] == pytest.approx(np.mean([r["rate_exc_hz"] for r in runs]))


@pytest.mark.parametrize("path", microcircuit_files(), ids=lambda p: p.name)
def test_microcircuit_reference(path):
    data = load(path.name)
    n_seeds = len(data["seeds"])
    assert n_seeds >= 4 and len(data["runs"]) == n_seeds
    assert data["discard_ms"] >= 200 and data["duration_ms"] - data["discard_ms"] >= 1000
    assert list(data["populations"]) == POPULATIONS
    for pop, stats in data["populations"].items():
        for q in ("rate_hz", "cv_isi", "correlation"):
            assert len(stats[q]["per_seed"]) == n_seeds
            assert stats[q]["mean"] == pytest.approx(np.mean(stats[q]["per_seed"]))
            assert stats[q]["sd"] == pytest.approx(np.std(stats[q]["per_seed"], ddof=1))
        assert 0 < stats["rate_hz"]["mean"] < 30  # asynchronous irregular, low rates
        assert 0.2 < stats["cv_isi"]["mean"] < 1.5
        assert abs(stats["correlation"]["mean"]) < 0.2
    for run in data["runs"]:
        assert run["n_synapses"] == run["n_synapses_expected"] == data["parameters"]["n_synapses_total"]


@pytest.mark.parametrize("path", microcircuit_files(), ids=lambda p: p.name)
def test_microcircuit_parameters_match_their_generator(path):
    """The stored parameters are what netdyn's microcircuit module computes now (else: regenerate)."""
    from netdyn.models.microcircuit import microcircuit_parameters

    stored = load(path.name)["parameters"]
    fresh = json.loads(json.dumps(microcircuit_parameters(stored["scale"])))
    assert stored["n_synapses"] == fresh["n_synapses"]
    assert stored["n_neurons"] == fresh["n_neurons"]
    np.testing.assert_allclose(stored["i_dc_pa"], fresh["i_dc_pa"], rtol=1e-12)
    np.testing.assert_allclose(stored["weight_pa"], fresh["weight_pa"], rtol=1e-12)
    assert stored["w_e_full_pa"] == pytest.approx(87.8085, abs=1e-4)  # multiarea.md section 1.3


def test_fi_curves_schema_and_lif_closed_form():
    data = load("fi_curves_brian2.json")
    assert data["method"] == "euler" and data["dt_ms"] == 0.1 and data["duration_ms"] == 2000.0
    assert set(data["cells"]) == {"RS", "FS", "LIF", "EIF", "AdExp"}
    for name, cell in data["cells"].items():
        currents = [r["current_pa"] for r in cell["curve"]]
        assert currents == [25.0 * k for k in range(25)]
        rates = [r["rate_hz"] for r in cell["curve"]]
        assert rates[0] == 0.0 and rates[-1] > 0
        assert all(b >= a for a, b in zip(rates, rates[1:])), name  # f-I curves are monotone
    lif = data["cells"]["LIF"]
    tau_ms = lif["params"]["Cm"] / lif["params"]["Gl"]
    dt = data["dt_ms"]
    for row in lif["curve"]:
        closed = row["closed_form_rate_hz"]
        if closed == 0:
            assert row["rate_hz"] == 0
            continue
        # forward Euler + threshold detection on the grid: the period is off by at most one
        # step plus Euler's relative decay-rate error dt / (2 tau) of the whole period
        period = 1000.0 / closed
        assert abs(row["mean_isi_last_1s_ms"] - period) <= dt + period * dt / (2 * tau_ms)


def _peer_python(name: str) -> Path | None:
    import os

    root = Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers")).expanduser()
    exe = root / name / "bin" / "python"
    return exe if exe.exists() else None


@pytest.mark.slow
@pytest.mark.skipif(_peer_python("brian2") is None, reason="Brian2 peer not installed (shared/peers/setup.sh)")
def test_stored_brian2_coba_run_is_reproduced_exactly():
    """Brian2's COBA run is deterministic per seed: a fresh run gives the stored spikes."""
    import subprocess

    stored = next(r for r in load("coba_reference.json")["section5_model"]["runs"]["brian2-runtime"] if r["seed"] == 1)
    out = subprocess.run([str(_peer_python("brian2")), str(PEERS / "brian2_coba.py"), "--device", "runtime",
                          "--n-neurons", str(stored["n_neurons"]), "--duration-ms", "1000", "--seed", "1", "--json"],
                         capture_output=True, text=True, timeout=900, check=True).stdout
    fresh = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    assert fresh["n_synapses"] == stored["n_synapses"]
    assert fresh["n_spikes"] == stored["n_spikes"]
    assert fresh["rate_exc_hz"] == pytest.approx(stored["rate_exc_hz"], rel=1e-12)
