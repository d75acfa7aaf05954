"""The dendrites study: configurations, analysis on closed forms, figures drawn from their
data, the protocols end to end (on a stand-in engine of the engine's layout, and on the cable
engine when it is installed), summary.json against the stored data, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from netdyn.analysis.dendrites import (
    attenuation,
    direction_selectivity,
    epsp_amplitude,
    epsp_features,
    half_width,
    membrane_statistics,
    time_to_peak,
)
from netdyn.cells.morphology import Morphology, Site
from netdyn.config.base import parse_config
from netdyn.config.dendrites import (
    BombardmentConfig,
    Branco2010Config,
    BrtIntegrationConfig,
    VoltageGradientConfig,
)
from netdyn.errors import ConfigError

# --------------------------------------------------------------------------- fixtures


def small_tree() -> Morphology:
    """Soma (branch 0, 10 um), root branch 1 (100 um, diameter 2 um), daughters 2 and 3."""
    prox, dist, parent, tag = [], [], [], []

    def seg(p, d, par, t):
        prox.append(p)
        dist.append(d)
        parent.append(par)
        tag.append(t)
        return len(parent) - 1

    s = seg([0, 0, 0, 5], [10, 0, 0, 5], -1, 1)
    a = seg([10, 0, 0, 1], [60, 0, 0, 1], s, 3)
    b = seg([60, 0, 0, 1], [110, 0, 0, 1], a, 3)
    for sign in (1, -1):
        c = seg([110, 0, 0, 0.63], [145, sign * 35, 0, 0.63], b, 3)
        seg([145, sign * 35, 0, 0.63], [180, sign * 70, 0, 0.63], c, 3)
    return Morphology(np.array(prox, float), np.array(dist, float), np.array(parent), np.array(tag), "small tree")


def _double_exp(t, tr, td):
    x = np.clip(t, 0, None)
    return np.where(t >= 0, np.exp(-x / td) - np.exp(-x / tr), 0.0)


def fake_simulate(cell, inputs, *, duration_ms, dt_ms=0.025, clamps=(), record_sites=(), record_currents=False,
                  tree_times_ms=(), sample_every=1, threads=1, progress=None):
    """A stand-in of the cable engine with its Dataset layout: EPSPs that decay with the path
    distance between synapse and site (length constant 150 um), NMDA adding a slow part that
    grows with the local input impedance (distance), clamps as exponential charging."""
    morph = cell.morphology
    trials = [list(t) for t in inputs]
    t = np.arange(0.0, duration_ms + 1e-9, dt_ms * sample_every)
    e_rest = cell.biophysics.passive.e_leak_mV
    sites = list(record_sites)
    v = np.full((len(trials), len(sites), t.size), e_rest)

    def path(a: Site, b: Site) -> float:
        pa, pb = set(morph.branch_path(a.branch)), set(morph.branch_path(b.branch))
        if a.branch in pb or b.branch in pa:
            return abs(a.distance_um - b.distance_um)
        common = max(pa & pb, key=lambda k: morph.branch_start_um[k])
        end = morph.branch_start_um[common] + morph.branch_length_um[common]
        return (a.distance_um - end) + (b.distance_um - end)

    for k, trial in enumerate(trials):
        for inp in trial:
            sign = -1.0 if inp.receptors == "gaba" else 1.0
            for j, s in enumerate(sites):
                g = np.exp(-path(inp.site, s) / 150.0) * (1.0 + inp.site.distance_um / 100.0)
                for ts in inp.spike_times_ms:
                    v[k, j] += sign * inp.weight * 2.0 * g * _double_exp(t - ts, 0.5, 5.0)
                    if "nmda" in inp.receptors:
                        v[k, j] += inp.weight * g * (inp.site.distance_um / 100.0) * _double_exp(t - ts, 3.0, 70.0)
        for c in clamps:
            for j, s in enumerate(sites):
                r = 100.0 + 400.0 * np.exp(-path(c.site, s) / 150.0)
                v[k, j] += c.amplitude_nA * r * (1 - np.exp(-np.clip(t - c.start_ms, 0, None) / 30.0))
    cv_branch = morph.segment_branch
    cv_dist = 0.5 * (morph.proximal_distance_um + morph.path_distance_um)
    snaps = np.array(tree_times_ms, dtype=float)
    tree = np.empty((len(trials), snaps.size, morph.n_segments))
    for k in range(len(trials)):
        for q, ts in enumerate(snaps):
            i = min(int(round(ts / (dt_ms * sample_every))), t.size - 1)
            tree[k, q] = np.interp(cv_dist, [s.distance_um for s in sites][: max(len(sites), 1)] or [0.0],
                                   v[k, :, i] if sites else [e_rest]) + 0.01 * cv_branch
    return xr.Dataset(
        {"v_mV": (("trial", "site", "time"), v), "v_tree_mV": (("trial", "snapshot", "cv"), tree)},
        coords={"time_ms": ("time", t), "site_branch": ("site", [s.branch for s in sites]),
                "site_distance_um": ("site", [s.distance_um for s in sites]), "snapshot_ms": ("snapshot", snaps),
                "cv_branch": ("cv", cv_branch), "cv_distance_um": ("cv", cv_dist)},
        attrs={"backend": "fake", "dt_ms": dt_ms, "n_cv": morph.n_segments, "build_s": 0.0, "run_s": 0.0})


@pytest.fixture
def stand_in(monkeypatch):
    """The protocols on the small tree and the stand-in engine."""
    from netdyn.studies.dendrites import common

    monkeypatch.setattr(common, "simulate", lambda cell, inputs, **kw: fake_simulate(cell, inputs, **kw))
    monkeypatch.setattr(common, "build_morphology", lambda config: small_tree())


# --------------------------------------------------------------------------- configurations


def test_defaults_are_the_seed_library_numbers():
    c = BrtIntegrationConfig()
    assert c.dt_ms == 0.025 and c.spacing_um == 25.0 and c.receptors == ("ampa", "ampa+nmda")
    assert c.biophysics.passive.g_leak_pS_per_um2 == 0.29 and c.biophysics.synapses.nmda.q_nS == 2.7
    b = BombardmentConfig()
    assert (b.e_density_per_100um2, b.i_density_per_100um2, b.e_rate_hz, b.i_rate_hz) == (0.5, 0.15, 2.5, 5.0)
    assert Branco2010Config().n_synapses == 9


@pytest.mark.parametrize("cls, data, field", [
    (BrtIntegrationConfig, {"spacing_um": 0}, "spacing_um"),
    (BrtIntegrationConfig, {"stim_ms": 300}, "stim_ms"),
    (BrtIntegrationConfig, {"receptors": ["ampa", "gaba"]}, "receptors.1"),
    (Branco2010Config, {"first_fraction": 0.9, "last_fraction": 0.2}, "first_fraction"),
    (Branco2010Config, {"speeds_um_per_ms": [1.0, 1.0]}, "speeds_um_per_ms"),
    (VoltageGradientConfig, {"snapshot_ms": [400.0]}, "snapshot_ms"),
    (BombardmentConfig, {"transient_ms": 700.0}, "transient_ms"),
    (BombardmentConfig, {"morphology": "cell.txt"}, "morphology"),
    (BombardmentConfig, {"biophysics": {"passive": {"g_leak_pS_per_um2": -1}}}, "biophysics.passive.g_leak_pS_per_um2"),
])
def test_bad_fields_are_named(cls, data, field):
    with pytest.raises(ConfigError) as err:
        parse_config(cls, data)
    assert err.value.field == field


@settings(max_examples=40, deadline=None)
@given(speeds=st.lists(st.floats(-5, 20, allow_nan=False), min_size=1, max_size=5))
def test_speeds_validator(speeds):
    ok = all(s > 0 for s in speeds) and len(set(speeds)) == len(speeds)
    if ok:
        assert parse_config(Branco2010Config, {"speeds_um_per_ms": speeds}).speeds_um_per_ms == tuple(speeds)
    else:
        with pytest.raises(ConfigError) as err:
            parse_config(Branco2010Config, {"speeds_um_per_ms": speeds})
        assert err.value.field == "speeds_um_per_ms"


@settings(max_examples=40, deadline=None)
@given(first=st.floats(0, 1), last=st.floats(0, 1))
def test_fraction_order_validator(first, last):
    if first < last:
        parse_config(Branco2010Config, {"first_fraction": first, "last_fraction": last})
    else:
        with pytest.raises(ConfigError):
            parse_config(Branco2010Config, {"first_fraction": first, "last_fraction": last})


def test_config_round_trips_through_toml(tmp_path):
    c = Branco2010Config(speeds_um_per_ms=(1.0, 4.0), biophysics={"passive": {"ri_ohm_cm": 150.0}})
    path = c.save(tmp_path / "c.toml")
    assert Branco2010Config.load(path) == c


# --------------------------------------------------------------------------- analysis


TR, TD, A, T0 = 0.5, 5.0, 3.0, 10.0


def _epsp(t):
    return -70.0 + A * _double_exp(t - T0, TR, TD)


def test_epsp_measures_of_a_double_exponential():
    t = np.arange(0.0, 80.0, 0.001)
    t_peak = TR * TD / (TD - TR) * np.log(TD / TR)
    peak = A * (np.exp(-t_peak / TD) - np.exp(-t_peak / TR))
    f = lambda x: A * _double_exp(np.array(x), TR, TD) - peak / 2  # noqa: E731
    width = brentq(f, t_peak, 60.0) - brentq(f, 1e-9, t_peak)
    v = np.stack([_epsp(t), -70.0 + 2 * (_epsp(t) + 70.0)])  # two traces: amplitude A and 2A
    kw = {"baseline_ms": (0.0, T0), "window_ms": (T0, 80.0)}
    np.testing.assert_allclose(epsp_amplitude(v, t, **kw), [peak, 2 * peak], rtol=1e-6)
    np.testing.assert_allclose(time_to_peak(v, t, onset_ms=T0, **kw), t_peak, atol=1e-3)
    np.testing.assert_allclose(half_width(v, t, **kw), width, atol=1e-4)


def test_epsp_features_keep_the_other_dimensions():
    t = np.arange(0.0, 60.0, 0.01)
    v = xr.DataArray(np.stack([[_epsp(t), _epsp(t) + 1.0]] * 3), dims=("trial", "site", "time"),
                     coords={"time_ms": ("time", t), "site_branch": ("site", [0, 1])})
    f = epsp_features(v, onset_ms=T0, baseline_ms=(0.0, T0))
    assert f["amplitude_mV"].dims == ("trial", "site") and "site_branch" in f.coords
    np.testing.assert_allclose(f["amplitude_mV"].values, f["amplitude_mV"].values[0, 0])


def test_half_width_is_nan_without_a_return_below_half():
    t = np.arange(0.0, 20.0, 0.1)
    assert np.isnan(half_width(np.tanh(t / 5.0), t))


def test_attenuation_and_selectivity():
    np.testing.assert_allclose(attenuation(np.array([1.0, 2.0]), np.array([4.0, 2.0])), [0.25, 1.0])
    assert np.isnan(attenuation(1.0, 0.0))
    np.testing.assert_allclose(direction_selectivity(np.array([3.0, 1.0, 0.0]), np.array([1.0, 1.0, 0.0])),
                               [0.5, 0.0, np.nan])


def test_membrane_statistics():
    t = np.arange(0.0, 1000.0, 0.1)
    v = -65.0 + 2.0 * np.sin(2 * np.pi * t / 100.0)
    s = membrane_statistics(np.stack([v, v + 10.0]), t, level_mV=-65.0, window_ms=(0.0, 1000.0))
    np.testing.assert_allclose(s["mean_mV"], [-65.0, -55.0], atol=1e-9)
    np.testing.assert_allclose(s["sd_mV"], 2.0 / np.sqrt(2.0), rtol=1e-6)
    np.testing.assert_allclose(s["fraction_above"], [0.5, 1.0], atol=1e-3)


# --------------------------------------------------------------------------- figures


def test_segment_values_take_the_nearest_cv_of_the_branch():
    from netdyn.plots.dendrites import segment_values

    m = small_tree()
    # one CV per branch but two on the root branch (at 35 and 85 um)
    cv_branch = np.array([0, 1, 1, 2, 3])
    cv_dist = np.array([5.0, 35.0, 85.0, 160.0, 160.0])
    cv_v = np.array([-70.0, -60.0, -50.0, -40.0, -30.0])
    np.testing.assert_array_equal(segment_values(m, cv_branch, cv_dist, cv_v), [-70, -60, -50, -40, -40, -30, -30])


def test_morphology_colours_are_the_values():
    from matplotlib.collections import LineCollection

    from netdyn.plots.common import house_figure
    from netdyn.plots.dendrites import morphology_panel

    m = small_tree()
    values = np.linspace(-75.0, -50.0, m.n_segments)
    with house_figure((3, 3)) as fig:
        ax = fig.subplots()
        lc = morphology_panel(ax, m, values)
    assert isinstance(lc, LineCollection) and lc in ax.collections
    np.testing.assert_array_equal(lc.get_array(), values)
    np.testing.assert_allclose(lc.to_rgba(lc.get_array())[:, :3], lc.cmap(lc.norm(values))[:, :3])
    segs = lc.get_segments()
    np.testing.assert_allclose(segs[3], [[110, 0], [145, 35]])
    widths = lc.get_linewidths()
    assert widths[0] > widths[1] > widths[3]  # soma > root > daughters


# --------------------------------------------------------------------------- protocols (stand-in engine)


def _stored_equals_summary(out: Path):
    summary = json.loads((out / "summary.json").read_text())
    ds = xr.open_zarr(out / "results.zarr", consolidated=True).load()
    assert ds.attrs["netdyn_study"].startswith("dendrites-")
    assert json.loads(ds.attrs["summary"]) == summary
    assert "config" in ds.attrs and "netdyn_version" in ds.attrs
    return summary, ds


def test_brt_integration_pipeline(tmp_path, stand_in):
    from netdyn.studies.dendrites import run_dendrites

    out = run_dendrites("brt-integration", {"spacing_um": 50.0, "duration_ms": 120.0, "sample_every": 8}, tmp_path)
    summary, ds = _stored_equals_summary(tmp_path)
    assert summary["distance_um"] == [60.0, 110.0, 160.0]
    for r in ("ampa", "ampa+nmda"):
        np.testing.assert_allclose(summary["peak_soma_mV"][r], ds["peak_soma_mV"].values[ds["trial_receptors"] == r])
    assert summary["input_resistance_MOhm"] == pytest.approx(float(ds["input_resistance_MOhm"]))
    assert [p.name for p in out.figures] == ["figure_brt_integration.png", "figure_brt_integration.pdf"]


def test_brt_integration_figure_draws_the_peaks(tmp_path, stand_in):
    from netdyn.plots.dendrites import brt_integration_figure
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("brt-integration", {"spacing_um": 50.0, "duration_ms": 120.0, "sample_every": 8,
                                      "input_resistance": False}, tmp_path, figure=False)
    ds = xr.open_zarr(tmp_path / "results.zarr").load()
    fig = brt_integration_figure(ds)
    ax_c = fig.axes[2]
    lines = {ln.get_label(): ln for ln in ax_c.get_lines()}
    soma_nmda = lines["AMPA + NMDA, soma"]
    np.testing.assert_allclose(soma_nmda.get_xdata(), [60.0, 110.0, 160.0])
    np.testing.assert_allclose(soma_nmda.get_ydata(), ds["peak_soma_mV"].values[ds["trial_receptors"] == "ampa+nmda"])


def test_branco2010_pipeline_and_figure(tmp_path, stand_in):
    from netdyn.plots.dendrites import branco2010_figure
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("branco2010", {"speeds_um_per_ms": [1.0, 5.0], "after_ms": 50.0, "sample_every": 8}, tmp_path)
    summary, ds = _stored_equals_summary(tmp_path)
    assert ds.sizes["trial"] == 2 * 2 * 2
    np.testing.assert_allclose(summary["dsi"]["ampa+nmda"], ds["dsi"].sel(receptors="ampa+nmda").values)
    p_in, p_out = ds["peak_in_mV"].values, ds["peak_out_mV"].values
    np.testing.assert_allclose(ds["dsi"].values, (p_in - p_out) / (p_in + p_out))
    fig = branco2010_figure(ds)
    dsi_lines = {ln.get_label(): ln for ln in fig.axes[3].get_lines()}
    np.testing.assert_allclose(dsi_lines["AMPA + NMDA"].get_ydata(), ds["dsi"].sel(receptors="ampa+nmda").values)
    np.testing.assert_allclose(dsi_lines["AMPA"].get_xdata(), [1.0, 5.0])


def test_voltage_gradient_pipeline_and_tree_colours(tmp_path, stand_in):
    from netdyn.plots.dendrites import segment_values, voltage_gradient_figure
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("voltage-gradient", {"duration_ms": 200.0, "snapshot_ms": [20.0, 195.0], "spacing_um": 25.0,
                                       "sample_every": 8}, tmp_path)
    summary, ds = _stored_equals_summary(tmp_path)
    assert summary["injection_branch"] == 2 and summary["dv_injection_mV"] > summary["dv_soma_mV"] > 0
    fig = voltage_gradient_figure(ds)

    m = Morphology.from_dataset(ds)
    lc = fig.axes[1].collections[0]
    expected = segment_values(m, ds["cv_branch"].values, ds["cv_distance_um"].values,
                              ds["v_tree_mV"].isel(trial=0, snapshot=1).values)
    np.testing.assert_allclose(lc.get_array(), expected)


def test_bombardment_spreads_synapses_by_area(tmp_path, stand_in):
    from netdyn.studies.dendrites import run_dendrites
    from netdyn.studies.dendrites.bombardment import dendritic_area_um2

    out = run_dendrites("bombardment", {"duration_ms": 200.0, "transient_ms": 20.0, "snapshot_ms": [195.0],
                                        "trials": 2, "e_density_per_100um2": 20.0, "sample_every": 8}, tmp_path)
    summary, ds = _stored_equals_summary(tmp_path)
    area = dendritic_area_um2(small_tree())
    assert summary["n_exc"] == round(20.0 * area / 100.0) and summary["n_inh"] == round(0.15 * area / 100.0)
    assert summary["soma"]["mean_mV"]["mean"] == pytest.approx(float(ds["v_mean_mV"].isel(site=0).mean()))
    assert len(summary["dendrite"]["sd_mV"]["per_trial"]) == 2
    assert out.figures


def test_bombardment_inputs_depend_on_seed_and_trial_only():
    from netdyn.studies.dendrites.bombardment import bombardment_inputs

    m = small_tree()
    c = BombardmentConfig(trials=2)
    e1, i1, t1 = bombardment_inputs(c, m)
    e2, _, t2 = bombardment_inputs(c.replace(trials=3), m)
    assert e1 == e2
    for a, b in zip(t1[1], t2[1]):
        np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)
    assert not all(np.array_equal(a.spike_times_ms, b.spike_times_ms) for a, b in zip(t1[0], t1[1]))


# --------------------------------------------------------------------------- CLI


def test_cli_bad_field_exits_2_and_writes_nothing(tmp_path, capsys):
    from netdyn.cli import main

    out = tmp_path / "out"
    assert main(["dendrites", "branco2010", "--out", str(out), "--speeds-um-per-ms", "1,-2"]) == 2
    assert "speeds_um_per_ms" in capsys.readouterr().err
    assert not out.exists()
    cfg = tmp_path / "c.toml"
    cfg.write_text("[biophysics.passive]\nri_ohm_cm = -3\n")
    assert main(["dendrites", "bombardment", "--out", str(out), "--config", str(cfg)]) == 2
    assert "biophysics.passive.ri_ohm_cm" in capsys.readouterr().err
    assert main(["dendrites", "voltage-gradient", "--out", str(out), "--morphology", str(tmp_path / "no.swc")]) == 2
    assert "morphology" in capsys.readouterr().err
    assert not out.exists()


def test_cli_branch_not_terminal_exits_2(tmp_path, capsys, stand_in):
    from netdyn.cli import main

    out = tmp_path / "out"
    assert main(["dendrites", "brt-integration", "--out", str(out), "--branch", "1"]) == 2
    assert "branch" in capsys.readouterr().err and not out.exists()


def test_cli_runs_a_protocol(tmp_path, capsys, stand_in):
    from netdyn.cli import main

    out = tmp_path / "out"
    assert main(["dendrites", "brt-integration", "--out", str(out), "--spacing-um", "50", "--duration-ms", "100",
                 "--no-figure", "--no-input-resistance"]) == 0
    assert (out / "summary.json").is_file() and (out / "results.zarr").is_dir()
    assert main(["plot", "dendrites", "--out", str(out)]) == 0
    assert (out / "figure_brt_integration.png").is_file()


# --------------------------------------------------------------------------- protocols on the cable engine


def _cable_engine():
    pytest.importorskip("netdyn.engines.cable.arbor")
    pytest.importorskip("netdyn.cells.generators")
    pytest.importorskip("arbor")


def test_brt_integration_on_the_cable_engine(tmp_path):
    """The somatic EPSP falls with distance; NMDA enlarges distal EPSPs most; the soma's input
    resistance equals Rall's closed form."""
    _cable_engine()
    from netdyn.studies.dendrites import run_dendrites

    out = run_dendrites("brt-integration", {"spacing_um": 100.0, "duration_ms": 150.0}, tmp_path, figure=False,
                        progress=False)
    s, ds = _stored_equals_summary(tmp_path)
    ampa, nmda = np.array(s["peak_soma_mV"]["ampa"]), np.array(s["peak_soma_mV"]["ampa+nmda"])
    assert np.all(np.diff(ampa) < 0)
    gain = nmda / ampa
    assert np.all(gain > 1.0) and gain[-1] > 1.3 and gain[-1] > gain[0]
    assert np.all(np.array(s["peak_local_mV"]["ampa"]) >= ampa - 1e-9)
    assert s["input_resistance_MOhm"] == pytest.approx(s["input_resistance_theory_MOhm"], rel=0.01)
    assert out.stats == s


def test_voltage_gradient_on_the_cable_engine(tmp_path):
    """Steady state against the exact solution of the tree's cylinders."""
    _cable_engine()
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("voltage-gradient", {"spacing_um": 50.0}, tmp_path, figure=False, progress=False)
    s, _ = _stored_equals_summary(tmp_path)
    assert s["input_resistance_injection_MOhm"] == pytest.approx(s["theory"]["input_resistance_injection_MOhm"], rel=0.005)
    assert s["transfer_resistance_soma_MOhm"] == pytest.approx(s["theory"]["transfer_resistance_soma_MOhm"], rel=0.005)
    assert np.all(np.diff(s["dv_steady_mV"]) > 0)  # depolarisation grows towards the injection


def test_branco2010_on_the_cable_engine(tmp_path):
    _cable_engine()
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("branco2010", {"speeds_um_per_ms": [0.5, 2.0, 10.0]}, tmp_path, figure=False, progress=False)
    s, ds = _stored_equals_summary(tmp_path)
    dsi = ds["dsi"].values
    assert np.all(np.isfinite(dsi)) and np.all(np.abs(dsi) < 1)
    assert np.all(ds["peak_in_mV"].values > 0) and np.all(ds["peak_out_mV"].values > 0)


def test_branco2010_intervals_give_the_speeds(tmp_path):
    """Sequences given by the time between synapses, as Branco et al. gave them."""
    _cable_engine()
    from netdyn.studies.dendrites import run_dendrites

    with pytest.raises(ConfigError) as err:
        parse_config(Branco2010Config, {"intervals_ms": [1.0, 2.0], "speeds_um_per_ms": [1.0]})
    assert err.value.field == "intervals_ms"
    run_dendrites("branco2010", {"intervals_ms": [1.0, 4.0], "receptors": ["ampa"], "after_ms": 50.0,
                                 "first_fraction": 0.0, "last_fraction": 1.0}, tmp_path, figure=False, progress=False)
    s, ds = _stored_equals_summary(tmp_path)
    spacing = np.diff(s["synapse_distance_um"])
    np.testing.assert_allclose(spacing, 100.0 / 8)  # nine synapses over a whole 100-um branch
    np.testing.assert_allclose(s["interval_ms"], [1.0, 4.0])
    np.testing.assert_allclose(s["speed_um_per_ms"], [12.5, 3.125])


def test_branco2010_selectivity_needs_nmda(tmp_path):
    """Branco, Clark & Hausser (2010): with NMDA receptors, sequences towards the soma
    depolarise it more than sequences away from it, increasingly so for slower sequences; with
    AMPA alone a smaller selectivity remains (the cable's delays). The published model gives
    a largest DSI of 0.134 with NMDA and 0.084 without (1.6 times; its NEURON run,
    docs/studies/dendrites.md): the protocol's defaults must give NMDA at least 1.5 times the
    AMPA-only selectivity, IN > OUT at every interval, and a DSI that grows with the interval
    while the sequences still overlap."""
    _cable_engine()
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("branco2010", {"intervals_ms": [1.0, 2.0, 4.0, 8.0, 12.0]}, tmp_path, figure=False, progress=False)
    s, _ = _stored_equals_summary(tmp_path)
    nmda, ampa = np.array(s["dsi"]["ampa+nmda"]), np.array(s["dsi"]["ampa"])
    assert np.all(nmda > 0) and np.all(ampa > 0)
    assert np.all(np.diff(nmda) > 0)
    assert nmda.max() > 0.1 and nmda.max() > 1.5 * ampa.max()
    assert nmda[-1] > 2 * ampa[-1]  # slow sequences: the selectivity is NMDA's


def test_bombardment_on_the_cable_engine(tmp_path):
    _cable_engine()
    from netdyn.studies.dendrites import run_dendrites

    run_dendrites("bombardment", {"trials": 2, "duration_ms": 300.0, "snapshot_ms": [295.0]}, tmp_path,
                  figure=False, progress=False)
    s, ds = _stored_equals_summary(tmp_path)
    assert s["n_exc"] > 0 and s["n_inh"] > 0
    for where in ("soma", "dendrite"):
        assert s[where]["mean_mV"]["mean"] > -75.0 and s[where]["sd_mV"]["mean"] > 0


def test_a_bad_region_name_is_named(tmp_path):
    """A key of the regions table that is no region: the error names it, exit 2, nothing written."""
    import subprocess
    import sys

    config = tmp_path / "bad.toml"
    config.write_text("[biophysics.passive.regions.axn]\ng_leak_pS_per_um2 = 3\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "netdyn.cli", "dendrites", "branco2010", "--out", str(out),
                           "--config", str(config)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "biophysics.passive.regions.axn=" in proc.stderr and "axon" in proc.stderr
    assert not out.exists()
