"""Schema and checks of the stored NEST multi-area reference (tests/data/multiarea_nest_reference.json).

Written by ``benchmarks/peers/make_reference_data.py --only multiarea``. Every number is
compared with something that does not come from the file: netdyn's model module (sizes), the
model's published construction checks (20,525 neurons and 600,003 synapses at 0.005; 24,655
and 865,334 at 0.006), the reference simulation of the model's own code with NEST 3.10 (seed
1, 2000 ms, statistics over 500-2000 ms: the ground state's spike total, network rate and
population means over areas; the metastable configuration's population rates of the
reference repository's regression file), and what seeds can plausibly change.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from netdyn.models.multiarea import PRESETS, multiarea_parameters, population_names
from tests._reference_json import load_strict, numbers

DATA = Path(__file__).parent / "data"
PEERS = Path(__file__).parent.parent / "benchmarks" / "peers"
NAME = "multiarea_nest_reference.json"
TYPES = ("23E", "23I", "4E", "4I", "5E", "5I", "6E", "6I")
PER_POPULATION = ("rate_hz", "spike_count", "lvr", "corrcoef", "corrcoef_n_trains")

# the model's construction checks (Schmidt et al. 2018 model code, int-truncated sizes)
TOTALS = {"ground": (20_525, 600_003), "metastable": (24_655, 865_334)}

# Reference simulation of the ground state with the model's own code (NEST 3.10, one thread,
# rng_seed 1, 0.005, chi = chi_I = 1, 2000 ms; statistics over 500-2000 ms): spikes recorded,
# network rate, unweighted mean of the 254 population rates, the notebook's printed mean (256
# slots, TH's missing layer 4 as 0, silent populations as 1e-5) and the population means over
# areas (rate, LvR, correlation coefficient) as printed.
RUN_A = {
    "n_spikes": 740_783, "network_rate_hz": 18.20, "mean_254_hz": 23.547, "notebook_mean_hz": 23.363,
    "rate_hz": dict(zip(TYPES, (11.39, 18.97, 33.01, 32.54, 26.87, 31.27, 9.07, 25.83))),
    "lvr": dict(zip(TYPES, (0.442, 0.566, 0.556, 0.521, 0.606, 0.511, 0.420, 0.500))),
    "corrcoef": dict(zip(TYPES, (0.0029, 0.0033, 0.0036, 0.0081, 0.0033, 0.0060, 0.0020, 0.0058))),
}
PRINTED = {"rate_hz": 0.005, "lvr": 0.0005, "corrcoef": 0.00005}  # half the last printed digit
# Regression file of the model's repository (M2E_pop_rates_ref.npy, NEST, 0.006, chi 1.9,
# chi_I 2, seed 1, 2000 ms, rates over 500-2000 ms; an 8 x 32 matrix in the notebook's layout):
# the mean of its 256 entries and area V1's rates (23E ... 6I).
M2E_MEAN_256_HZ = 26.20577226475727
M2E_V1_HZ = [9.015659287809996, 12.710298185877985, 12.565405659549675, 11.541966569319243, 31.05515786146208,
             14.076619931696673, 13.704223036813119, 15.122715089067803]


@pytest.fixture(scope="module")
def data() -> dict:
    return load_strict(DATA / NAME)


def _window_s(data) -> float:
    t0, t1 = data["analysis_window_ms"]
    return (t1 - t0) / 1000.0


def _means_over_areas(names, values) -> dict:
    out = {}
    for pop in TYPES:
        xs = [v for n, v in zip(names, values) if n.endswith("/" + pop) and v is not None]
        out[pop] = sum(xs) / len(xs)
    return out


def _run(data, preset, seed):
    return next((r for r in data["presets"][preset]["runs"] if r["seed"] == seed), None)


def test_file_schema_and_provenance(data):
    assert (DATA / NAME).stat().st_size < 400_000
    assert all(math.isfinite(x) for x in numbers(data))
    prov = data["provenance"]
    assert prov["script"] == "benchmarks/peers/make_reference_data.py"
    assert prov["peer"] == "benchmarks/peers/nest_multiarea.py"
    assert prov["nest_version"].startswith("3.")
    assert prov["generated_utc"].endswith("Z")
    assert NAME in (DATA / "README.md").read_text()
    assert data["populations"] == population_names() and len(data["populations"]) == 254
    assert data["analysis_window_ms"] == [500.0, data["t_sim_ms"]] and data["t_sim_ms"] >= 1500.0
    assert data["threads"] == 1
    assert set(data["presets"]) == {"ground", "metastable"}
    for preset, block in data["presets"].items():
        assert {k: block[k] for k in ("scale", "chi", "chi_i")} == PRESETS[preset]
        assert len(block["seeds"]) >= 3 and len(set(block["seeds"])) == len(block["seeds"])
        assert [r["seed"] for r in block["runs"]] == block["seeds"]
        for run in block["runs"]:
            for key in PER_POPULATION:
                assert len(run[key]) == 254, key
            assert all(isinstance(c, int) and c >= 0 for c in run["spike_count"])
            assert "--preset " + preset in run["command"] and f"--seed {run['seed']}" in run["command"]
            assert run["build_s"] > 0 and run["cpu_s"] > 0 and run["peak_rss_mb"] >= run["rss_after_build_mb"] > 0


@pytest.mark.parametrize("preset", sorted(TOTALS))
def test_network_size_is_the_models(data, preset):
    """What NEST created against netdyn's model module and the model's construction checks."""
    block = data["presets"][preset]
    par = multiarea_parameters(**{"scale": PRESETS[preset]["scale"]}, chi=PRESETS[preset]["chi"],
                               chi_i=PRESETS[preset]["chi_i"])
    n_neurons, n_synapses = TOTALS[preset]
    assert block["n_neurons"] == par["n_neurons"].tolist()
    assert block["n_neurons_total"] == n_neurons == int(par["n_neurons"].sum())
    assert block["n_synapses_total"] == n_synapses == par["n_synapses_total"]
    for run in block["runs"]:
        assert run["n_neurons"] == n_neurons and run["n_synapses"] == n_synapses


@pytest.mark.parametrize("preset", sorted(TOTALS))
def test_rates_are_counts_over_the_models_unrounded_sizes(data, preset):
    """rate = count / (N window) with N the model's unrounded size (the reference analysis);
    the network rate = all counts / (created neurons x window); corrcoef uses at most
    min(created neurons, 2000) trains."""
    block = data["presets"][preset]
    par = multiarea_parameters(PRESETS[preset]["scale"], chi=PRESETS[preset]["chi"], chi_i=PRESETS[preset]["chi_i"])
    window = _window_s(data)
    for run in block["runs"]:
        counts = np.array(run["spike_count"], dtype=float)
        np.testing.assert_allclose(run["rate_hz"], counts / (par["n_neurons_float"] * window), rtol=1e-5, atol=1e-9)
        assert run["network_rate_hz"] == pytest.approx(counts.sum() / (par["n_neurons"].sum() * window), rel=1e-5)
        assert counts.sum() <= run["n_spikes"]
        trains = np.array(run["corrcoef_n_trains"])
        assert np.all(trains <= np.minimum(par["n_neurons"], 2000))
        cc = run["corrcoef"]
        assert all((c is None) == (n < 2) for c, n in zip(cc, trains))
        # asynchronous irregular: weak correlations, LvR of irregular firing, padded with zeros
        assert all(abs(c) < 0.2 for c in cc if c is not None)
        assert all(0.0 <= v < 2.0 for v in run["lvr"])


def test_ground_seed_1_is_the_reference_simulation(data):
    """Same network (built in the reference code's order), same seed, same NEST: the ground
    state's seed 1 is the reference simulation itself, to its printed digits."""
    run = _run(data, "ground", 1)
    if run is None or not data["provenance"]["nest_version"].startswith("3.10"):
        pytest.skip("no seed-1 ground run with NEST 3.10 stored")
    names = data["populations"]
    assert run["n_spikes"] == RUN_A["n_spikes"]
    assert run["network_rate_hz"] == pytest.approx(RUN_A["network_rate_hz"], abs=0.005)
    rates = np.array(run["rate_hz"])
    assert rates.mean() == pytest.approx(RUN_A["mean_254_hz"], abs=5e-4)
    assert np.where(rates == 0, 1e-5, rates).sum() / 256 == pytest.approx(RUN_A["notebook_mean_hz"], abs=5e-4)
    for key, tol in PRINTED.items():
        means = _means_over_areas(names, run[key])
        for pop in TYPES:
            assert means[pop] == pytest.approx(RUN_A[key][pop], abs=tol * 1.01), (key, pop)


def test_metastable_seed_1_is_the_reference_repositorys_regression_run(data):
    run = _run(data, "metastable", 1)
    if run is None or not data["provenance"]["nest_version"].startswith("3.10"):
        pytest.skip("no seed-1 metastable run with NEST 3.10 stored")
    names = data["populations"]
    rates = dict(zip(names, run["rate_hz"]))
    slots = []  # the notebook's 8 x 32 layout: silent populations 1e-5, TH's missing layer 4 0
    for area in dict.fromkeys(n.split("/")[0] for n in names):
        for pop in TYPES:
            rate = rates.get(f"{area}/{pop}")
            slots.append(0.0 if rate is None else (rate or 1e-5))
    slots = np.array(slots)
    assert slots.size == 256
    assert slots.mean() == pytest.approx(M2E_MEAN_256_HZ, rel=2e-6)
    np.testing.assert_allclose([rates[f"V1/{p}"] for p in TYPES], M2E_V1_HZ, rtol=1e-5)


def test_ground_state_over_seeds_against_the_reference_simulation(data):
    """Other seeds are other networks and other initial states: the network rate and the
    population means over areas stay near the reference simulation's. The reference is one
    draw, so the mean over n seeds lies within 3 SD sqrt(1 + 1/n) of it (SD over seeds), and
    every seed within 4 SD of it (with 8 seeds the spread is what the populations of a few
    hundred neurons give: up to 8 % of a type's mean LvR, 4 % of its rate)."""
    block = data["presets"]["ground"]
    names = data["populations"]
    rates = np.array([r["network_rate_hz"] for r in block["runs"]])
    # the network rate's SD over seeds is ~2.4 % (8 seeds): every seed within ~3.3 SD of run A
    assert np.all(np.abs(rates / RUN_A["network_rate_hz"] - 1) < 0.08), rates
    assert 0 < rates.std(ddof=1) < 0.05 * rates.mean(), rates  # seeds differ, but little
    n = len(block["runs"])
    for key in ("rate_hz", "lvr", "corrcoef"):
        per_seed = np.array([[_means_over_areas(names, r[key])[p] for p in TYPES] for r in block["runs"]])
        table = np.array([RUN_A[key][p] for p in TYPES])
        mean, sd = per_seed.mean(axis=0), per_seed.std(axis=0, ddof=1)
        assert np.all(np.abs(mean - table) <= 3 * sd * math.sqrt(1 + 1 / n)), (key, mean, sd)
        assert np.all(np.abs(per_seed - table) <= 4 * sd), (key, per_seed)
        stored = block["summary"]["means_over_areas"][key]
        np.testing.assert_allclose([stored[p]["mean"] for p in TYPES], mean, rtol=1e-5)


def test_metastable_preset_stays_asynchronous(data):
    """At 0.006 with chi = 1.9 the down-scaled network stays asynchronous, without the
    bursts of the full-scale metastable state: weak correlations in every population, every
    seed's network rate within 10 % of the regression run's (seed 1), a small spread."""
    block = data["presets"]["metastable"]
    rates = np.array([r["network_rate_hz"] for r in block["runs"]])
    seed_1 = _run(data, "metastable", 1)
    if seed_1 is not None:
        assert np.all(np.abs(rates / seed_1["network_rate_hz"] - 1) < 0.1), rates
    assert 0 < rates.std(ddof=1) < 0.05 * rates.mean(), rates
    for run in block["runs"]:
        assert max(c for c in run["corrcoef"] if c is not None) < 0.1  # small populations (~10 trains) are noisy
        means = _means_over_areas(data["populations"], run["corrcoef"])
        assert all(0 < means[p] < 0.02 for p in TYPES), means


def _nest_python() -> Path | None:
    root = Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers")).expanduser()
    exe = root / "nest" / "bin" / "python"
    return exe if exe.exists() else None


@pytest.mark.slow
@pytest.mark.skipif(_nest_python() is None, reason="NEST peer not installed (shared/peers/setup.sh)")
def test_nest_peer_builds_the_models_subnetwork(tmp_path):
    """Two areas for 600 ms (a few CPU-seconds): NEST connects the model's synapses, replaces the
    30 other areas by the model's Poisson inputs, and writes every spike once."""
    sys.path.insert(0, str(PEERS))
    import multiarea_stats as ms

    out = tmp_path / "spikes.npz"
    proc = subprocess.run([str(_nest_python()), str(PEERS / "nest_multiarea.py"), "--areas", "V1,V2",
                           "--t-sim-ms", "600", "--seed", "3", "--json", "--spikes-out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rec = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    par = multiarea_parameters(0.005, areas=["V1", "V2"])
    assert rec["n_neurons"] == int(par["n_neurons"][par["simulated"]].sum())
    assert rec["n_synapses"] == par["n_synapses_total"] > 0
    assert rec["n_replacements"] == len(par["replacements"]) > 0
    assert rec["n_poisson_generators"] == 16 + len(par["replacements"])  # one per population of V1 and V2
    spikes = ms.load_spikes(out)
    assert spikes["n_neurons"].tolist() == np.where(par["simulated"], par["n_neurons"], 0).tolist()
    assert spikes["offsets"][-1] == rec["n_spikes"] == spikes["senders"].size > 0
    sizes = np.repeat(spikes["n_neurons"], np.diff(spikes["offsets"]))
    assert np.all(spikes["senders"] < sizes)
    assert np.all(spikes["times_steps"] <= 6000) and np.all(spikes["times_steps"] >= 1)
    stats = ms.population_statistics(spikes, t_min=500.0, t_max=600.0)
    assert stats["network_rate_hz"] == pytest.approx(rec["network_rate_hz"], rel=1e-12)
