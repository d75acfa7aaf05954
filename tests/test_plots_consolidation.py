"""The consolidation figures (netdyn.plots.consolidation) show what the data hold (panels read
back): weights relative to h_0, thresholds, the postsynaptic neuron, raster colours by recall
group, NaN-aware trial statistics."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_rgba

from netdyn.errors import ConfigError
from netdyn.plots import raster_figure, save_consolidation_figures, screen_figure, trace_figure
from netdyn.plots.consolidation import GROUP_COLOURS
from tests._plots_readback import axis, by_gid, check_files, draw, legend_texts, line, notes

H0 = 4.20075
ATTRS = {"h_0_mV": H0, "theta_p": 3.0, "theta_d": 1.2, "theta_tag_mV": 0.840149, "theta_pro_mV": 2.10037,
         "f_int": 0.1, "p_max_umol": 10.0, "netdyn_version": "test"}


def traces(long: bool = False) -> xr.Dataset:
    """Three neurons, two synapses. Short: 0-25 s at 10 ms, irregular (a gap at 12-15 s).
    Long (8 h): dense 0-16 s at 1 ms, 50-s steps to 28805 s, dense 28805-28815 s."""
    if long:
        t = np.concatenate([np.arange(0.0, 16.1, 0.001), np.arange(16.1, 28805.0, 50.0),
                            np.arange(28805.0, 28815.1, 0.001)])
    else:
        t = np.concatenate([np.arange(0.0, 12.0, 0.01), np.arange(15.0, 25.0, 0.013)])
    rng = np.random.default_rng(7)
    n = t.size
    v = -65.0 + rng.normal(0.0, 1.0, (n, 3))
    v[(t > 10.0) & (t < 10.1), 1] = -50.0  # a burst of the postsynaptic neuron
    h = H0 * (1.0 + 0.8 * np.exp(-((t - 11.0) / 3.0) ** 2))[:, None] * np.array([1.0, 0.9])
    z = np.clip(t / t.max(), 0, 1)[:, None] * np.array([0.4, 0.1])
    ca = np.abs(rng.normal(0.5, 1.0, (n, 2)))
    pc = 10.0 * (1.0 - np.exp(-t / 3600.0))[:, None] * np.array([0.0, 1.0, 0.5])
    return xr.Dataset(
        {"v_mV": (("time_s", "neuron"), v), "protein_umol": (("time_s", "neuron"), pc),
         "h_mV": (("time_s", "synapse"), h), "z": (("time_s", "synapse"), z), "ca": (("time_s", "synapse"), ca)},
        coords={"time_s": t, "neuron": np.array([0, 1, 2], dtype=np.int64),
                "synapse": ["0->1", "0->2"], "pre": ("synapse", np.array([0, 0], dtype=np.int64)),
                "post": ("synapse", np.array([1, 2], dtype=np.int64))},
        attrs=dict(ATTRS))


@pytest.fixture(scope="module")
def short_fig():
    return draw(trace_figure(traces()))


def test_weight_panel_shows_h_and_z_relative_to_h0_with_the_thresholds(short_fig):
    ds = traces()
    ax = axis(short_fig, "a")
    np.testing.assert_allclose(line(ax, "h").get_xdata(), ds["time_s"].values)
    np.testing.assert_allclose(line(ax, "h").get_ydata(), ds["h_mV"].sel(synapse="0->1").values / H0 * 100)
    np.testing.assert_allclose(line(ax, "z").get_ydata(), (1 + ds["z"].sel(synapse="0->1").values) * 100)
    tag, pro = ATTRS["theta_tag_mV"] / H0 * 100, ATTRS["theta_pro_mV"] / H0 * 100  # ~20 % and ~50 %
    assert line(ax, "theta_tag:ltp").get_ydata()[0] == pytest.approx(100 + tag, rel=1e-12)
    assert line(ax, "theta_tag:ltd").get_ydata()[0] == pytest.approx(100 - tag, rel=1e-12)
    assert line(ax, "theta_pro").get_ydata()[0] == pytest.approx(100 + pro, rel=1e-12)
    assert tag == pytest.approx(20.0, abs=1e-3) and pro == pytest.approx(50.0, abs=1e-3)
    assert by_gid(ax, "theta_tag:band")
    assert len(legend_texts(ax)) == 4 and "tag" in legend_texts(ax)[2] and "protein" in legend_texts(ax)[3]


def test_neuron_panels_follow_the_postsynaptic_neuron(short_fig):
    ds = traces()
    np.testing.assert_allclose(line(axis(short_fig, "b"), "v").get_ydata(), ds["v_mV"].sel(neuron=1).values)
    np.testing.assert_allclose(line(axis(short_fig, "c"), "protein").get_ydata(),
                               ds["protein_umol"].sel(neuron=1).values)
    assert axis(short_fig, "c").get_ylabel() == "protein pc (µmol/l)"
    ca_ax = axis(short_fig, "c_ca")
    np.testing.assert_allclose(line(ca_ax, "ca").get_ydata(), ds["ca"].sel(synapse="0->1").values)
    assert line(ca_ax, "theta_p").get_ydata()[0] == 3.0 and line(ca_ax, "theta_d").get_ydata()[0] == 1.2
    assert legend_texts(axis(short_fig, "c")) == ["protein pc", "calcium Ca", r"LTP threshold $\theta_p$",
                                                  r"LTD threshold $\theta_d$"]
    assert axis(short_fig, "c").get_xlabel() == "time (s)"
    assert all(not notes(ax) for ax in short_fig.axes)


def test_other_synapse_p_tilde_and_time_window():
    ds = traces()
    fig = draw(trace_figure(ds, "0->2", time_window=(9.0, 13.0), protein="p_tilde"))
    keep = (ds["time_s"].values >= 9.0) & (ds["time_s"].values <= 13.0)
    np.testing.assert_allclose(line(axis(fig, "a"), "h").get_ydata(),
                               ds["h_mV"].sel(synapse="0->2").values[keep] / H0 * 100)
    np.testing.assert_allclose(line(axis(fig, "c"), "protein").get_ydata(),
                               0.1 * ds["protein_umol"].sel(neuron=2).values[keep])
    assert axis(fig, "c").get_xlim() == (9.0, 13.0)


def test_eight_hours_in_hours_with_the_bursts_kept():
    ds = traces(long=True)
    fig = draw(trace_figure(ds))
    ax = axis(fig, "c")
    assert ax.get_xlabel() == "time (h)"
    assert ax.get_xlim() == pytest.approx((0.0, ds["time_s"].values[-1] / 3600))
    v = line(axis(fig, "b"), "v")
    assert len(v.get_xdata()) <= 4000 < ds.sizes["time_s"]
    assert max(v.get_ydata()) == -50.0  # the burst at 10 s survives the decimation
    # zoomed onto the learning stimulus, in seconds
    zoom = draw(trace_figure(ds, time_window=(9.5, 12.0)))
    assert axis(zoom, "c").get_xlabel() == "time (s)"


def test_missing_neuron_and_bad_arguments():
    ds = traces().sel(neuron=[0, 2])
    fig = draw(trace_figure(ds))
    assert notes(axis(fig, "b")) == ["V of neuron 1 not recorded"]
    with pytest.raises(ConfigError, match="synapse"):
        trace_figure(traces(), "5->6")
    with pytest.raises(ConfigError, match="time_window"):
        trace_figure(traces(), time_window=(5.0, 1.0))


# --------------------------------------------------------------------------- raster

N_CA, N_EXC, N_INH = 20, 60, 15


def spikes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    ids = rng.integers(0, N_EXC + N_INH, 3000)
    return rng.uniform(0.0, 25.0, ids.size), ids


def test_raster_colours_the_recall_groups():
    times, ids = spikes()
    fig = draw(raster_figure(times, ids, N_CA, N_EXC, N_INH))
    ax = axis(fig, "a")
    bounds = {"as": (0, 10), "ans": (10, 20), "ctrl": (20, 60), "inh": (60, 75)}
    dots = by_gid(ax, "raster:")
    assert sorted(dots) == sorted(f"raster:{g}" for g in bounds)
    for g, (lo, hi) in bounds.items():
        xy = np.asarray(dots[f"raster:{g}"].get_offsets())
        sel = (ids >= lo) & (ids < hi)
        expected = np.c_[times[sel], ids[sel]]
        np.testing.assert_array_equal(xy[np.lexsort(xy.T[::-1])], expected[np.lexsort(expected.T[::-1])])
        assert tuple(dots[f"raster:{g}"].get_facecolor()[0]) == to_rgba(GROUP_COLOURS[g])
    labels = legend_texts(ax)
    assert [lab.split(",")[0] for lab in labels] == ["assembly", "assembly", "control (ctrl)", "inhibitory (inh)"]
    assert labels[0].endswith("10 neurons") and labels[2].endswith("40 neurons")
    assert ax.get_xlim() == pytest.approx((0.0, times.max()))


def test_raster_window_and_neuron_thinning():
    times, ids = spikes()
    fig = draw(raster_figure(times, ids, N_CA, N_EXC, N_INH, window_s=(10.0, 12.0), max_neurons=25))
    ax = axis(fig, "a")
    xy = np.concatenate([np.asarray(c.get_offsets()) for c in by_gid(ax, "raster:").values()])
    assert xy[:, 0].min() >= 10.0 and xy[:, 0].max() <= 12.0
    assert set(np.unique(xy[:, 1]).astype(int)) <= set(range(0, 75, 3))  # every 3rd id: 25 of 75
    assert "every 3th neuron" in ax.get_title(loc="left")
    with pytest.raises(ConfigError, match="spike_ids"):
        raster_figure(times, ids + 1, N_CA, N_EXC, N_INH)
    with pytest.raises(ConfigError, match="n_ca"):
        raster_figure(times, ids, N_EXC + 1, N_EXC, N_INH)


# --------------------------------------------------------------------------- screen

SIZES = [100, 150, 200]


def screen() -> xr.Dataset:
    rng = np.random.default_rng(11)
    shape = (len(SIZES), 2, 5)
    q = rng.normal(0.03, 0.01, shape)
    q[0, 1, 4] = np.nan  # an unfinished trial
    q[2, 0, :] = np.nan  # no finished trial at all
    mi = rng.normal(0.8, 0.05, shape)
    data = {"Q": q, "MI_bits": mi}
    for g, base in (("as", 92.0), ("ans", 8.0), ("ctrl", 5.0), ("inh", 20.0)):
        data[f"rate_{g}_hz"] = rng.normal(base, 0.5, shape)
    return xr.Dataset({k: (("n_ca", "protocol", "trial"), v) for k, v in data.items()},
                      coords={"n_ca": SIZES, "protocol": ["10s", "8h"], "trial": np.arange(5)},
                      attrs={"netdyn_version": "test"})


REFERENCE = {"Q": {(100, "10s"): (0.0174, 0.0146), (100, "8h"): (0.0237, 0.0183), (150, "8h"): (0.034, 0.0155)},
             "MI_bits": {(100, "10s"): (0.661, 0.048)}}


@pytest.fixture(scope="module")
def screen_fig():
    return draw(screen_figure(screen(), REFERENCE, reference_label="stand-alone"))


def test_screen_means_and_sds_ignore_unfinished_trials(screen_fig):
    ds = screen()
    for letter, name in (("a", "Q"), ("b", "MI_bits")):
        ax = axis(screen_fig, letter)
        for proto in ("10s", "8h"):
            values = ds[name].sel(protocol=proto).values
            mean = line(ax, f"{name}:{proto}")
            np.testing.assert_array_equal(mean.get_xdata(), SIZES)
            expected = [np.mean(v[np.isfinite(v)]) if np.isfinite(v).any() else np.nan for v in values]
            np.testing.assert_allclose(mean.get_ydata(), expected)
            (bars,) = by_gid(ax, f"{name}:{proto}:sd").values()
            segments = bars.get_segments()
            finite = [v[np.isfinite(v)] for v in values]
            for seg, v in zip(segments, [f for f in finite if f.size]):
                assert seg[1, 1] - seg[0, 1] == pytest.approx(2 * np.std(v, ddof=1))
    # Q, 8 h, N_CA 100: four finished trials of five
    assert line(axis(screen_fig, "a"), "Q:8h").get_ydata()[0] == pytest.approx(np.mean(ds["Q"].values[0, 1, :4]))
    labels = legend_texts(axis(screen_fig, "a"))
    assert "10 s after learning (0-5 trials)" in labels and "8 h after learning (4-5 trials)" in labels


def test_screen_reference_overlay_is_hollow(screen_fig):
    ax = axis(screen_fig, "a")
    ref = line(ax, "reference:Q:8h")
    np.testing.assert_array_equal(ref.get_xdata(), [100, 150])
    np.testing.assert_array_equal(ref.get_ydata(), [0.0237, 0.034])
    assert ref.get_markerfacecolor() == "none"
    np.testing.assert_array_equal(line(axis(screen_fig, "b"), "reference:MI_bits:10s").get_ydata(), [0.661])
    assert "stand-alone, 8 h after learning" in legend_texts(ax)


def test_screen_rates_panel(screen_fig):
    ds = screen()
    ax = axis(screen_fig, "c")
    for g in ("as", "ans", "ctrl", "inh"):
        np.testing.assert_allclose(line(ax, f"rate_{g}_hz:8h").get_ydata(),
                                   ds[f"rate_{g}_hz"].sel(protocol="8h").mean("trial").values)
        assert line(ax, f"rate_{g}_hz:8h").get_color() == GROUP_COLOURS[g]
    no_rates = draw(screen_figure(screen()[["Q", "MI_bits"]]))
    assert notes(axis(no_rates, "c")) == ["no rates in the screen"]
    with pytest.raises(ConfigError, match="screen"):
        screen_figure(screen().isel(trial=0))


# --------------------------------------------------------------------------- files


def test_save_writes_png_and_pdf_per_figure(tmp_path):
    times, ids = spikes()
    paths = save_consolidation_figures(tmp_path, traces=traces(), spikes=(times, ids), screen=screen(),
                                       n_ca=N_CA, n_exc=N_EXC, n_inh=N_INH, reference=REFERENCE)
    check_files(paths[0:2], "figure_traces", (8.0, 8.0))
    check_files(paths[2:4], "figure_raster", (8.0, 4.5))
    check_files(paths[4:6], "figure_screen", (11.0, 3.8))
    assert save_consolidation_figures(tmp_path / "none") == []
    with pytest.raises(ConfigError, match="n_exc"):
        save_consolidation_figures(tmp_path, spikes=(times, ids), n_ca=N_CA)
