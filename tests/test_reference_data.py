"""Schema and sanity checks of the stored peer reference data (tests/data/*.json).

The files are written by benchmarks/peers/make_reference_data.py from Brian2 and NEST runs
and from the spec's tables; these tests keep them from rotting silently: every file loads
without NaN/Infinity tokens, carries the keys the validation tests read, and its numbers
obey what the models and the sampling guarantee. Every number is compared with something
that does not come from the same file: a closed form, the published tables of the models
(re-typed here), or the other peer. (Checks such as "the stored mean equals the mean of the
stored per-seed values" were dropped: they compare a file with itself.)
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
    # fixed in-degree wiring: K synapses per target neuron (200 from E, 50 from I)
    setup = data["setup"]
    n = {"Exc": setup["n_exc"], "Inh": setup["n_inh"]}
    k = {"Exc": 200, "Inh": 50}
    for src in ("Exc", "Inh"):
        for tgt in ("Exc", "Inh"):
            assert setup["synapse_counts"][src + tgt] == n[tgt] * k[src]


def test_rsfs_afferent_events_follow_the_rate_integral():
    """Brian2's afferent events (README seed pair) against the closed form: per neuron
    K_aff * int_0^1500 (4 + 4 exp(-(t - 1000)^2 / (2 100^2))) dt = 200 (6 + 0.4 sqrt(2 pi))
    = 1400.53 (the Gaussian's tails outside [0, 1500] ms are 3e-7 of it); Bernoulli draws per
    bin: the total count has SD <= sqrt(mean), so 4 SD of the per-neuron mean."""
    data = load("rsfs_brian2_reference.json")
    counts = data["readme_seed_pair_counts"]
    expected = 200 * (4.0 * 1.5 + 4.0 * 0.1 * math.sqrt(2 * math.pi))
    for pop, n in (("exc", data["setup"]["n_exc"]), ("inh", data["setup"]["n_inh"])):
        total = counts[f"afferent_events_{pop}"]
        assert abs(total / n - expected) < 4 * math.sqrt(n * expected) / n, (pop, total / n, expected)


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
            assert 15.0 < r["rate_exc_hz"] < 30.0 and 15.0 < r["rate_inh_hz"] < 30.0  # sanity; the spec's band below
            assert 1.0 < r["cv_isi_exc"] < 2.5
            assert r["cpu_s"] > 0 and r["build_s"] > 0
        # spec section 5: "all implementations produce 21-22 Hz mean rate": each peer's mean
        # over its seeds, within 3 standard errors (seed SD / sqrt(n)) of that band
        rates = np.array([r["mean_rate_hz"] for r in runs])
        se = rates.std(ddof=1) / math.sqrt(rates.size)
        assert 21.0 - 3 * se <= rates.mean() <= 22.0 + 3 * se, (sim, rates)
    # the two peers are independent simulators of one model (Brian2 forward Euler, zero
    # delay; NEST RKF45, 0.1-ms delay): their seed means agree within 3 standard errors
    for key in ("rate_exc_hz", "rate_inh_hz", "mean_rate_hz", "cv_isi_exc", "cv_isi_inh"):
        a, b = ([r[key] for r in model["runs"][sim]] for sim in ("brian2-runtime", "nest"))
        se = math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
        assert abs(np.mean(a) - np.mean(b)) <= 3 * se, (key, a, b)


# Potjans & Diesmann (2014), as published (spec microcircuit.md): full-scale sizes, external
# indegrees, connection probabilities [target][source], the reference rates of the DC
# compensation, the cell (iaf_psc_exp) and the weights.
PD_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
PD_K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
PD_C = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0000, 0.0076, 0.0000],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0000, 0.0042, 0.0000],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0000],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0000, 0.1057, 0.0000],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0000],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0000],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
]
PD_RATES_HZ = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
PD_CELL = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "t_ref": 2.0, "E_L": -65.0,
           "V_th": -50.0, "V_reset": -65.0}


def pd_closed_form(k: float) -> dict:
    """The microcircuit at scale k from the published tables and the spec's down-scaling
    rules, written out here independently of netdyn.models.microcircuit."""
    n_full = np.array(PD_N, dtype=float)
    n = np.maximum(1, np.round(k * n_full))
    s_full = np.log1p(-np.array(PD_C)) / np.log1p(-1 / np.outer(n_full, n_full))  # log1p: 1/(N N) ~ 1e-9
    k_full = s_full / n_full[:, None]
    # PSP peak of a unit exponential current on the LIF membrane: (1/C) a (e^-t*/tm - e^-t*/ts),
    # a = tm ts / (tm - ts), peak at t* = a ln(tm / ts); W_E gives a 0.15-mV peak
    tm, ts = PD_CELL["tau_m"], PD_CELL["tau_syn_ex"]
    a = tm * ts / (tm - ts)
    t_peak = a * math.log(tm / ts)
    w_e = 0.15 / (a * (math.exp(-t_peak / tm) - math.exp(-t_peak / ts)) / PD_CELL["C_m"])
    w = np.tile([w_e, -4 * w_e] * 4, (8, 1))
    w[0, 2] = 2 * w_e  # L4E -> L2/3E doubled
    i_dc = 1e-3 * ts * (1 - math.sqrt(k)) * ((k_full * w) @ np.array(PD_RATES_HZ) + np.array(PD_K_EXT) * w_e * 8.0)
    return {"n_neurons": n.astype(int).tolist(), "n_synapses": np.round(k * k_full * n[:, None]).astype(int),
            "k_ext": np.round(k * np.array(PD_K_EXT)).astype(int).tolist(), "w_e_full_pa": w_e,
            "weight_pa": w / math.sqrt(k), "i_dc_pa": i_dc}


def test_microcircuit_dc_is_the_same_on_every_cpu():
    """The DC compensation sums its recurrent terms exactly (rational sums, rounded once), not
    with numpy's sums, whose last bit depends on the CPU's SIMD width (AVX2 and AVX-512 machines
    gave other network files): the same currents on every machine."""
    from fractions import Fraction

    from netdyn.models.microcircuit import microcircuit_parameters

    for k in (0.1, 0.5):
        par = microcircuit_parameters(k)
        terms = np.array(par["indegree_full"]) * np.array(par["weight_full_pa"]) * np.array(par["reference_rates_hz"])
        rec = np.array([float(sum(map(Fraction, row))) for row in terms])
        ext = np.array(par["k_ext_full"]) * par["w_e_full_pa"] * par["bg_rate_hz"]
        i_dc = 1e-3 * par["neuron_params"]["tau_syn_ex"] * (1.0 - math.sqrt(k)) * (rec + ext)
        assert par["i_dc_pa"] == i_dc.tolist()


@pytest.mark.parametrize("path", microcircuit_files(), ids=lambda p: p.name)
def test_microcircuit_reference(path):
    """NEST's runs against the published model: the network NEST built has the closed-form
    size, and its rates keep the published order of the populations (L2/3E < L6E < L2/3I <
    L4E < L4I < L5E < L6I < L5I) within a factor 2 of the published rates (measured ratios
    0.55-0.91 at k = 0.1: the DC compensation keeps the mean input only to first order)."""
    data = load(path.name)
    n_seeds = len(data["seeds"])
    assert n_seeds >= 4 and len(data["runs"]) == n_seeds
    assert data["discard_ms"] >= 200 and data["duration_ms"] - data["discard_ms"] >= 1000
    assert list(data["populations"]) == POPULATIONS
    closed = pd_closed_form(data["scale"])
    for pop, stats in data["populations"].items():
        for q in ("rate_hz", "cv_isi", "correlation"):
            assert len(stats[q]["per_seed"]) == n_seeds
        assert 0.2 < stats["cv_isi"]["mean"] < 1.5  # asynchronous irregular
        assert abs(stats["correlation"]["mean"]) < 0.2
        assert stats["n_neurons"] == closed["n_neurons"][POPULATIONS.index(pop)]
    rates = np.array([data["populations"][p]["rate_hz"]["mean"] for p in POPULATIONS])
    np.testing.assert_array_equal(np.argsort(rates), np.argsort(PD_RATES_HZ))
    np.testing.assert_array_less(np.abs(np.log(rates / np.array(PD_RATES_HZ))), math.log(2.0))
    for run in data["runs"]:  # what NEST connected, against the closed-form count
        assert run["n_neurons"] == sum(closed["n_neurons"])
        assert run["n_synapses"] == int(closed["n_synapses"].sum())


@pytest.mark.parametrize("path", microcircuit_files(), ids=lambda p: p.name)
def test_microcircuit_parameters_match_the_published_model(path):
    """What NEST was given, and what netdyn's microcircuit module computes, are the
    published model down-scaled by the spec's rules (closed forms above). Integers exactly;
    floats to 1e-12 (the same formulas, summed in another order)."""
    from netdyn.models.microcircuit import microcircuit_parameters

    stored = load(path.name)["parameters"]
    closed = pd_closed_form(stored["scale"])
    ours = json.loads(json.dumps(microcircuit_parameters(stored["scale"])))
    for params in (stored, ours):
        assert params["n_neurons_full"] == PD_N and params["k_ext_full"] == PD_K_EXT
        np.testing.assert_array_equal(params["connection_probability"], PD_C)
        assert params["n_neurons"] == closed["n_neurons"] and params["k_ext"] == closed["k_ext"]
        np.testing.assert_array_equal(params["n_synapses"], closed["n_synapses"])
        assert params["n_synapses_total"] == int(closed["n_synapses"].sum())
        assert params["neuron_params"] == PD_CELL and params["g"] == -4.0
        assert params["w_e_full_pa"] == pytest.approx(closed["w_e_full_pa"], rel=1e-12)
        assert params["w_e_full_pa"] == pytest.approx(87.8085, abs=1e-4)  # multiarea.md section 1.3
        np.testing.assert_allclose(params["weight_pa"], closed["weight_pa"], rtol=1e-12)
        np.testing.assert_allclose(params["i_dc_pa"], closed["i_dc_pa"], rtol=1e-12)
        np.testing.assert_allclose(params["poisson_rate_hz_per_neuron"], np.array(closed["k_ext"]) * 8.0, rtol=1e-15)
        assert params["reference_rates_hz"] == PD_RATES_HZ


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
    # below the rheobase gL (V_T - E_L - Delta_T) (the minimum over V of the current that holds
    # V still; for the LIF, Delta_T = 0, the threshold itself) no cell ever fires; each fires
    # at the first current of the grid above it
    for name, cell in data["cells"].items():
        q = cell["params"]
        rheobase = q["Gl"] * (q["Vthre"] - q["El"] - q["deltaV"])
        for row in cell["curve"]:
            assert (row["rate_hz"] > 0) == (row["current_pa"] > rheobase), (name, row["current_pa"], rheobase)
    # AdExp (a = 2 nS): w follows a (V - E_L), so sustained firing needs the larger rheobase
    # (gL + a) (V_T - E_L - Delta_T + Delta_T ln(1 + a / gL)) = 230.2 pA; below it the cell
    # only fires while w builds up, and is silent over the last second
    q = data["cells"]["AdExp"]["params"]
    g = q["Gl"] + q["a"]
    sustained = g * (q["Vthre"] - q["El"] - q["deltaV"] + q["deltaV"] * math.log(g / q["Gl"]))
    for row in data["cells"]["AdExp"]["curve"]:
        assert (row["rate_last_1s_hz"] > 0) == (row["current_pa"] > sustained), (row["current_pa"], sustained)
    # LIF: period T = t_ref + tau ln(I / (I - gL (V_T - E_L))) from V = E_L, computed here
    lif = data["cells"]["LIF"]
    q = lif["params"]
    tau_ms = q["Cm"] / q["Gl"]
    dt = data["dt_ms"]
    for row in lif["curve"]:
        drive = row["current_pa"] / q["Gl"]  # mV above E_L at steady state
        gap = q["Vthre"] - q["El"]
        if drive <= gap:
            assert row["rate_hz"] == 0
            continue
        ramp = tau_ms * math.log(drive / (drive - gap))
        period = q["Trefrac"] + ramp
        assert row["closed_form_rate_hz"] == pytest.approx(1000.0 / period, rel=1e-12)
        # forward Euler + threshold detection on the grid: the period is off by at most one
        # step plus Euler's relative decay-rate error dt / (2 tau) of the whole period
        assert abs(row["mean_isi_last_1s_ms"] - period) <= dt + period * dt / (2 * tau_ms)
        assert abs(row["first_spike_ms"] - ramp) <= dt + ramp * dt / (2 * tau_ms)  # no refractory before it


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
