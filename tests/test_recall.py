"""Recall quality (Q, MI) of the consolidation study: closed forms, invariants, and the
reference analysis code of Luboeinski & Tetzlaff run on the same spikes."""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdyn.analysis.recall import (
    RecallReadout,
    mutual_information_bits,
    recall_quality,
    recall_readout,
    subpopulations,
    window_rates_hz,
)
from netdyn.errors import ConfigError

#: The Arbor peer of the study (its extract/analysis scripts), beside the repository by default.
PEER = Path(os.environ.get("NETDYN_ARBOR_CONSOLIDATION_DIR",
                           Path(__file__).resolve().parents[2] / "shared" / "peers" / "arbor_consolidation"))


# --------------------------------------------------------------------------- window rates


def test_window_is_half_open_and_rates_are_multiples_of_two_hz():
    t = 11.0
    times = [t - 0.25, t - 0.25, t + 0.25, t, t + 0.2499, t - 0.2501, 20.0]
    ids = [0, 0, 1, 1, 2, 3, 3]
    rates = window_rates_hz(times, ids, 5, t)
    # neuron 0: two spikes at the left edge count; neuron 1: the one at the right edge does not
    np.testing.assert_array_equal(rates, [4.0, 2.0, 2.0, 0.0, 0.0])
    assert rates.dtype == np.float64


def test_window_half_width_and_unsorted_input():
    rates = window_rates_hz([1.9, 0.5, 1.0, 1.0], [1, 0, 0, 0], 2, 1.0, half_width_s=1.0)
    np.testing.assert_array_equal(rates, [1.5, 0.5])  # 3 spikes / 2 s, 1 spike / 2 s
    np.testing.assert_array_equal(window_rates_hz([], [], 3, 1.0), np.zeros(3))


@pytest.mark.parametrize("kwargs, field", [
    ({"spike_ids": [0, 5]}, "spike_ids"),
    ({"spike_ids": [-1, 0]}, "spike_ids"),
    ({"spike_ids": [0.0, 1.0]}, "spike_ids"),
    ({"spike_ids": [0]}, "spike_ids"),
    ({"spike_times_s": [-0.1, 1.0]}, "spike_times_s"),
    ({"spike_times_s": [np.nan, 1.0]}, "spike_times_s"),
    ({"t_center_s": -1.0}, "t_center_s"),
    ({"half_width_s": 0.0}, "half_width_s"),
    ({"n_neurons": 0}, "n_neurons"),
])
def test_window_rates_reject_bad_input_naming_the_field(kwargs, field):
    args = {"spike_times_s": [0.5, 1.0], "spike_ids": [0, 1], "n_neurons": 5, "t_center_s": 1.0} | kwargs
    with pytest.raises(ConfigError) as err:
        window_rates_hz(**args)
    assert err.value.field == field


# --------------------------------------------------------------------------- subpopulations


def test_subpopulations_of_the_default_network():
    assert subpopulations(150, 1600, 400) == {"as": slice(0, 75), "ans": slice(75, 150),
                                              "ctrl": slice(150, 1600), "inh": slice(1600, 2000)}
    assert subpopulations(101, 1600, 400)["as"] == slice(0, 50)  # floor
    assert subpopulations(100, 1600, 400, 0.29)["as"] == slice(0, 28)  # floor of 28.999999999999996
    assert subpopulations(1, 4, 1, 1.0) == {"as": slice(0, 1), "ans": slice(1, 1), "ctrl": slice(1, 4),
                                            "inh": slice(4, 5)}


@pytest.mark.parametrize("args, field", [
    ((1601, 1600, 400, 0.5), "n_ca"),
    ((-1, 1600, 400, 0.5), "n_ca"),
    ((10, 0, 400, 0.5), "n_exc"),
    ((10, 100, -1, 0.5), "n_inh"),
    ((10, 100, 10, 1.5), "recall_fraction"),
    ((10.0, 100, 10, 0.5), "n_ca"),
])
def test_subpopulations_reject_bad_sizes(args, field):
    with pytest.raises(ConfigError) as err:
        subpopulations(*args)
    assert err.value.field == field


# --------------------------------------------------------------------------- Q


def test_q_on_constructed_rates():
    # as: 4 neurons, ans: 4, ctrl: 4 (n_ca 8, n_exc 12), then 2 inhibitory rates that are ignored
    rates = np.array([90, 94, 96, 100, 10, 14, 10, 14, 2, 6, 2, 6, 500, 500], dtype=float)
    v_as, s_as = 95.0, np.std([90, 94, 96, 100])
    v_ans, s_ans, v_ctrl, s_ctrl = 12.0, 2.0, 4.0, 2.0
    q, sigma = recall_quality(rates, 8, 12)
    assert q == pytest.approx((v_ans - v_ctrl) / v_as, rel=1e-15)
    expected = math.sqrt((s_ans / v_as) ** 2 + (s_ctrl / v_as) ** 2 + (s_as * (v_ans - v_ctrl) / v_as**2) ** 2)
    assert sigma == pytest.approx(expected, rel=1e-14)
    assert s_as == pytest.approx(math.sqrt(13.0))  # ddof 0: variance (25 + 1 + 1 + 25) / 4


def test_q_of_perfect_and_chance_recall_and_degenerate_groups():
    perfect = np.array([100.0, 100.0, 100.0, 100.0, 0.0, 0.0])
    assert recall_quality(perfect, 4, 6) == (1.0, 0.0)
    chance = np.array([80.0, 80.0, 4.0, 4.0, 4.0, 4.0])
    assert recall_quality(chance, 4, 6) == (0.0, 0.0)
    assert all(math.isnan(v) for v in recall_quality(np.zeros(6), 4, 6))  # nu_as = 0
    assert all(math.isnan(v) for v in recall_quality(perfect, 4, 6, 1.0))  # no "ans"
    with pytest.raises(ConfigError, match="rates_recall_hz"):
        recall_quality(perfect[:5], 4, 6)


# --------------------------------------------------------------------------- entropy and MI


def test_entropies_of_known_distributions():
    uniform4 = [0.0, 2.0, 4.0, 6.0] * 5
    mi, h = mutual_information_bits(uniform4, uniform4)
    assert h == pytest.approx(2.0, abs=1e-15) and mi == pytest.approx(2.0, abs=1e-15)
    # 1/2, 1/4, 1/4 -> 1.5 bits; a constant vector carries none
    assert mutual_information_bits([0, 0, 2, 4], [0, 0, 0, 0]) == (0.0, 1.5)
    assert mutual_information_bits([7, 7, 7], [1, 2, 3])[1] == 0.0


def test_mi_of_independent_construction_is_zero():
    # every pair of the product of {0, 2} x {0, 2, 4} once: p(l, r) = p(l) p(r)
    learn = np.repeat([0.0, 2.0], 3)
    recall = np.tile([0.0, 2.0, 4.0], 2)
    mi, h = mutual_information_bits(learn, recall)
    assert h == pytest.approx(1.0)
    assert mi == pytest.approx(0.0, abs=1e-12)


def test_mi_of_a_function_of_learn_is_the_entropy_of_recall():
    learn = np.array([0, 2, 4, 6, 8, 10, 0, 2], dtype=float)
    recall = (learn >= 6).astype(float) * 10  # a deterministic function of L: H(R|L) = 0
    mi, _ = mutual_information_bits(learn, recall)
    h_recall = mutual_information_bits(recall, recall)[1]
    assert mi == pytest.approx(h_recall, abs=1e-14)


def test_mi_rejects_mismatched_or_bad_input():
    with pytest.raises(ConfigError, match="rates_recall_hz"):
        mutual_information_bits([1.0, 2.0], [1.0])
    with pytest.raises(ConfigError, match="rates_learn_hz"):
        mutual_information_bits([], [])
    with pytest.raises(ConfigError, match="rates_learn_hz"):
        mutual_information_bits([np.inf, 1.0], [1.0, 2.0])


RATES = st.lists(st.integers(0, 6), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=80),
       perm=st.permutations(range(7)))
def test_mi_bounds_and_relabelling_invariance(pairs, perm):
    learn = 2.0 * np.array([p[0] for p in pairs])
    recall = 2.0 * np.array([p[1] for p in pairs])
    mi, h_l = mutual_information_bits(learn, recall)
    h_r = mutual_information_bits(recall, recall)[1]
    assert mi >= -1e-12
    assert mi <= min(h_l, h_r) + 1e-12
    # any one-to-one relabelling of the values (here: of both vectors) keeps MI and H(L)
    relabel = np.array(perm, dtype=float) * 3.5 + 1.0
    mi2, h_l2 = mutual_information_bits(relabel[(learn / 2).astype(int)], relabel[(recall / 2).astype(int)] * 7.0)
    assert mi2 == pytest.approx(mi, abs=1e-12)
    assert h_l2 == pytest.approx(h_l, abs=1e-12)
    # MI is symmetric; the neurons' order does not matter
    assert mutual_information_bits(recall, learn)[0] == pytest.approx(mi, abs=1e-12)
    order = np.argsort(recall, kind="stable")[::-1]
    assert mutual_information_bits(learn[order], recall[order])[0] == pytest.approx(mi, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(values=RATES)
def test_mi_of_identical_vectors_is_their_entropy(values):
    v = 2.0 * np.array(values)
    mi, h = mutual_information_bits(v, v)
    assert mi == pytest.approx(h, abs=1e-12)
    assert 0.0 <= h <= math.log2(len(v)) + 1e-12


# --------------------------------------------------------------------------- readout


def _trial(seed: int, n_exc: int = 40, n_inh: int = 10, n_ca: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic spikes in ms (as a spike file holds them) and their neuron ids: background at
    random rates, the assembly firing more around learning (11 s) and its recall half around
    recall (20.1 s), with spikes placed exactly on some window edges."""
    rng = np.random.default_rng(seed)
    times, ids = [], []
    for i in range(n_exc + n_inh):
        rate = rng.uniform(1.0, 12.0) * (3.0 if i >= n_exc else 1.0)
        t = np.sort(rng.uniform(0.0, 25_000.0, rng.poisson(rate * 25.0)))
        if i < n_ca:
            t = np.concatenate([t, rng.uniform(10_750.0, 11_250.0, rng.integers(5, 40))])
            if i < n_ca // 2:
                t = np.concatenate([t, rng.uniform(19_850.0, 20_350.0, rng.integers(20, 50))])
            else:
                t = np.concatenate([t, rng.uniform(19_850.0, 20_350.0, rng.integers(0, 6))])
        times.append(np.round(t, 4))
        ids.append(np.full(t.size, i))
    times.append(np.array([10_750.0, 11_250.0, 19_850.0, 20_350.0]))  # the windows' edges
    ids.append(np.array([0, 1, n_ca, n_exc]))
    t_ms, gid = np.concatenate(times), np.concatenate(ids)
    order = np.argsort(t_ms, kind="stable")
    return t_ms[order], gid[order]


def test_recall_readout_combines_the_measures():
    t_ms, gid = _trial(1)
    t_s = t_ms / 1000
    out = recall_readout(t_s, gid, 12, 40, 10, 11.0, 20.1)
    assert isinstance(out, RecallReadout)
    learn = window_rates_hz(t_s, gid, 50, 11.0)
    recall = window_rates_hz(t_s, gid, 50, 20.1)
    assert (out.Q, out.sigma_Q) == recall_quality(recall, 12, 40)
    assert (out.MI_bits, out.H_L_bits) == mutual_information_bits(learn[:40], recall[:40])
    assert out.rates_hz == pytest.approx({"as": recall[:6].mean(), "ans": recall[6:12].mean(),
                                          "ctrl": recall[12:40].mean(), "inh": recall[40:].mean(),
                                          "exc": recall[:40].mean()})
    assert out.Q > 0 and out.MI_bits > 0
    flat = out.to_dict()
    assert list(flat) == ["Q", "sigma_Q", "MI_bits", "H_L_bits", "rate_as_hz", "rate_ans_hz", "rate_ctrl_hz",
                          "rate_inh_hz", "rate_exc_hz"]
    with pytest.raises(AttributeError):
        out.Q = 0.0  # frozen


@pytest.mark.parametrize("kwargs, field", [
    ({"n_ca": 41}, "n_ca"),
    ({"t_learn_s": -11.0}, "t_learn_s"),
    ({"t_recall_s": 11.3}, "t_recall_s"),  # windows overlap
    ({"spike_ids": "bad"}, "spike_ids"),
])
def test_recall_readout_rejects_bad_input(kwargs, field):
    t_ms, gid = _trial(2)
    args = {"spike_times_s": t_ms / 1000, "spike_ids": gid, "n_ca": 12, "n_exc": 40, "n_inh": 10,
            "t_learn_s": 11.0, "t_recall_s": 20.1}
    if kwargs.get("spike_ids") == "bad":
        kwargs = {"spike_ids": np.where(gid == 3, 50, gid)}  # id 50 of 50 neurons
    with pytest.raises(ConfigError) as err:
        recall_readout(**(args | kwargs))
    assert err.value.field == field


# --------------------------------------------------------------------------- the reference's own code


@pytest.fixture(scope="module")
def reference_analysis():
    """``extractParamsQMIfromSpikes`` of the Arbor peer, imported by path (numpy and the
    standard library only)."""
    folder = PEER / "extract" / "analysis"
    if not (folder / "extractParamsQMIfromSpikes.py").is_file():
        pytest.skip(f"reference analysis code not found in {folder} (set NETDYN_ARBOR_CONSOLIDATION_DIR)")
    names = ("utilityFunctions", "valueDistributions", "calculateQ", "calculateMIa", "extractParamsQMIfromSpikes")
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("extractParamsQMIfromSpikes")
    except ImportError as exc:  # pragma: no cover - a dependency beyond numpy
        pytest.skip(f"reference analysis code not importable: {exc}")
    finally:
        sys.path.remove(str(folder))
    yield module
    for name in names:
        sys.modules.pop(name, None)
    sys.modules.update(saved)


@pytest.mark.parametrize("seed, n_ca, p_r", [(3, 12, 0.5), (4, 15, 0.5), (5, 10, 0.3)])
def test_identical_to_the_reference_analysis(reference_analysis, tmp_path, capsys, seed, n_ca, p_r):
    n_exc, n_inh = 40, 10
    t_ms, gid = _trial(seed, n_exc, n_inh, n_ca)
    stamp = "data_24-01-01_00-00-00"
    lines = "".join(f"{t!r} {g}\n" for t, g in zip(t_ms.tolist(), gid.tolist()))
    (tmp_path / f"{stamp}_spikes.txt").write_text(lines)  # the Arbor script's format: ms, gid
    config = {"populations": {"N_CA": n_ca, "p_r": p_r, "w_ei": 2, "w_ie": 4, "w_ii": 4}, "neuron": {},
              "simulation": {"learn_protocol": {"time_start": 10.0}, "recall_protocol": {"time_start": 20.0}}}
    (tmp_path / f"{stamp}_config.json").write_text(json.dumps(config))
    with open(tmp_path / "Params_Q_MI.txt", "w") as fout:
        reference_analysis.extractParamsQMI(str(tmp_path), str(tmp_path / f"{stamp}_spikes.txt"), fout,
                                            Ne=n_exc, Ni=n_inh)
    capsys.readouterr()  # the reference prints its results
    row = (tmp_path / "Params_Q_MI.txt").read_text().split(" ")
    ref = {"exc": float(row[7]), "as": float(row[9]), "ans": float(row[11]), "ctrl": float(row[13]),
           "inh": float(row[15]), "Q": float(row[17]), "sigma_Q": float(row[18]), "MI": float(row[19]),
           "H_L": float(row[20])}

    # the reference reads the times as float(ms) / 1000: give netdyn the same numbers
    t_s = np.array([float(repr(t)) for t in t_ms.tolist()]) / 1000
    out = recall_readout(t_s, gid, n_ca, n_exc, n_inh, 10.0 + 1.0, 20.0 + 0.1, p_r)
    for group in ("as", "ans", "ctrl", "inh", "exc"):
        assert out.rates_hz[group] == ref[group], group
    assert out.Q == ref["Q"]
    assert out.MI_bits == ref["MI"]
    assert out.H_L_bits == ref["H_L"]
    # the reference's SD is sqrt(mean(x^2) - mean(x)^2), netdyn's np.std: equal but for rounding
    assert out.sigma_Q == pytest.approx(ref["sigma_Q"], rel=1e-12)
