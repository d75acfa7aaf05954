"""The multi-area study against NEST 3.10 on the same configuration (slow: ~1.5 CPU-min).

NEST's reference (tests/data/multiarea_nest_reference.json, benchmarks/peers/nest_multiarea.py)
holds 8 seeds of each preset, analysed by an independent numpy transcription of the model's
analysis. netdyn runs 4 seeds of its own (its random streams differ from NEST's, so the two
are compared as samples). Tolerances come from the seed-to-seed spread of both:

* network rate: Welch's z = difference / combined standard error below 4;
* the means over the 32 areas of each population type (rate, LvR, correlation
  coefficient): z below 4 with the relative seed-to-seed variance pooled over the types;
* per population (254 x 3 statistics): with 4 + 8 seeds, z follows roughly a t distribution
  with ~6-10 degrees of freedom, P(|t| > 4) < 1 %: at most 3 % of the populations may exceed 4
  (a systematic difference in any population type would exceed it in far more);
* the median relative difference of the population rates below 10 % (seed-to-seed SD of a
  population's rate is ~5-10 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netdyn.config.multiarea import MultiAreaConfig
from netdyn.models.multiarea import AREAS, POPULATIONS
from netdyn.studies.multiarea import simulate

REFERENCE = json.loads((Path(__file__).parent / "data" / "multiarea_nest_reference.json").read_text())
SEEDS = (11, 12, 13, 14)
STATISTICS = ("rate_hz", "lvr", "corrcoef")
Z_MAX = 4.0
MAX_FRACTION_BEYOND = 0.03


def _welch_z(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Difference of the means over axis 0 over the combined standard error."""
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    diff = a.mean(axis=0) - b.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.inf))


@pytest.fixture(scope="module", params=["ground", "metastable"])
def runs(request):
    preset = request.param
    ref = REFERENCE["presets"][preset]
    cells = [(AREAS.index(n.split("/")[0]), POPULATIONS.index(n.split("/")[1])) for n in REFERENCE["populations"]]
    rows, cols = np.array(cells).T
    netdyn: dict[str, list] = {k: [] for k in (*STATISTICS, "network_rate_hz")}
    for seed in SEEDS:
        ds, _ = simulate(MultiAreaConfig(preset=preset, seed=seed), mean_field=False)
        assert ds.attrs["scale"] == ref["scale"] and ds.attrs["chi"] == ref["chi"]
        for k in STATISTICS:
            netdyn[k].append(ds[k].values[rows, cols])
        netdyn["network_rate_hz"].append(ds.attrs["network_rate_hz"])
    nest = {k: np.array([run[k] for run in ref["runs"]], dtype=float) for k in (*STATISTICS, "network_rate_hz")}
    return preset, {k: np.array(v, dtype=float) for k, v in netdyn.items()}, nest


@pytest.mark.slow
def test_network_rate_agrees_with_nest(runs):
    preset, netdyn, nest = runs
    z = _welch_z(netdyn["network_rate_hz"], nest["network_rate_hz"])
    assert abs(z) < Z_MAX, (preset, netdyn["network_rate_hz"], nest["network_rate_hz"])
    assert netdyn["network_rate_hz"].mean() == pytest.approx(nest["network_rate_hz"].mean(), rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("statistic", STATISTICS)
def test_population_type_means_over_areas_agree_with_nest(runs, statistic):
    """The 8 population types' means over areas: the seed-to-seed variance relative to the
    mean is pooled over the types and both simulators (80 degrees of freedom, 4-sample SDs
    alone are too noisy), so z ~ t(80); 4.0 keeps the family-wise error of all 48 such tests
    (2 presets x 3 statistics x 8 types) below 1 %."""
    preset, netdyn, nest = runs
    types = np.array([n.split("/")[1] for n in REFERENCE["populations"]])
    ours = np.array([netdyn[statistic][:, types == pop].mean(axis=1) for pop in POPULATIONS])  # (type, seed)
    theirs = np.array([nest[statistic][:, types == pop].mean(axis=1) for pop in POPULATIONS])
    scale = 0.5 * (ours.mean(axis=1) + theirs.mean(axis=1))
    rel_var = np.concatenate([(ours / scale[:, None]).var(axis=1, ddof=1),
                              (theirs / scale[:, None]).var(axis=1, ddof=1)]).mean()
    z = (ours.mean(axis=1) - theirs.mean(axis=1)) / scale / np.sqrt(rel_var * (1 / ours.shape[1] + 1 / theirs.shape[1]))
    assert np.all(np.abs(z) < Z_MAX), (preset, statistic, dict(zip(POPULATIONS, np.round(z, 2))))


@pytest.mark.slow
@pytest.mark.parametrize("statistic", STATISTICS)
def test_populations_agree_with_nest(runs, statistic):
    preset, netdyn, nest = runs
    z = _welch_z(netdyn[statistic], nest[statistic])
    beyond = np.flatnonzero(np.abs(z) > Z_MAX)
    names = [REFERENCE["populations"][i] for i in beyond]
    assert beyond.size <= MAX_FRACTION_BEYOND * z.size, (preset, statistic, names)
    if statistic == "rate_hz":
        rel = np.abs(netdyn[statistic].mean(0) - nest[statistic].mean(0)) / nest[statistic].mean(0)
        assert np.median(rel) < 0.10
