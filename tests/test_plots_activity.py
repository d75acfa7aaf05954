"""The activity figure (netdyn.plots.activity) on synthetic spiking recordings."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import LineCollection, PathCollection

from netdyn.errors import ConfigError
from netdyn.plots import make_activity_figure, plot_activity_figure
from netdyn.plots.activity import population_colours
from netdyn.plots.common import PNG_DPI
from netdyn.record.spiking import SpikeTrains, SpikingRecording
from tests._spiking_fixtures import synthetic_recording


def _axes(fig) -> dict:
    return {ax.get_label(): ax for ax in fig.axes}


def _dots(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


@pytest.fixture(scope="module")
def rec() -> SpikingRecording:
    return synthetic_recording(7, n_exc=800, n_inh=200, t_stop_ms=1000.0)


def test_panels_labels_and_shared_time_axis(rec):
    fig = make_activity_figure(rec, rate_smoothing_ms=5.0)
    axes = _axes(fig)
    assert list(axes) == ["inputs", "raster", "vm:Exc", "vm:Inh", "rates"]
    assert axes["rates"].get_xlabel() == "time (ms)"
    assert axes["rates"].get_xlim() == (0.0, 1000.0)
    assert all(ax.get_xlim() == (0.0, 1000.0) for ax in axes.values())
    assert "Hz" in axes["inputs"].get_ylabel() and "Hz" in axes["rates"].get_ylabel()
    assert axes["vm:Exc"].get_ylabel() == "$V_m$ (mV)"
    assert [t.get_text() for t in axes["raster"].get_yticklabels()] == ["Exc", "Inh"]
    titles = [ax.get_title(loc="left") for ax in axes.values()]
    assert [t.split("$")[1] for t in titles] == [rf"\mathbf{{{c}}}" for c in "abcde"]
    assert "σ = 5 ms" in axes["rates"].get_title(loc="left")
    legend = [t.get_text() for t in axes["rates"].get_legend().get_texts()]
    assert legend[0].startswith("Exc (mean") and legend[1].startswith("Inh (mean")


def test_raster_draws_every_spike_when_few_and_thins_rows_when_many(rec):
    n_spikes = {p: s.n_spikes for p, s in rec.spikes.items()}
    fig = make_activity_figure(rec, raster_max_spikes=10**9)
    raster = _axes(fig)["raster"]
    assert _dots(raster) == sum(n_spikes.values())
    assert raster.get_title(loc="right") == ""
    # raster rows: Exc 0..799 (top), Inh 800..999
    ys = np.concatenate([c.get_offsets()[:, 1] for c in raster.collections
                         if isinstance(c, PathCollection)])
    assert ys.min() >= 0 and ys.max() < 1000
    assert raster.get_ylim() == (1000.0, 0.0)

    cap = max(n_spikes.values()) // 4
    fig = make_activity_figure(rec, raster_max_spikes=cap)
    raster = _axes(fig)["raster"]
    step = int(np.ceil(max(n_spikes.values()) / cap))
    assert raster.get_title(loc="right") == f"every {step}th recorded neuron shown"
    for coll, (p, trains) in zip([c for c in raster.collections
                                  if isinstance(c, PathCollection)], rec.spikes.items()):
        expected = int(np.sum(trains.senders % step == 0))
        assert len(coll.get_offsets()) == expected
        assert expected <= 1.2 * cap  # about the cap; whole trains are kept


def test_vm_panels_show_traces_and_spike_markers(rec):
    fig = make_activity_figure(rec, vm_max_traces=2)
    ax = _axes(fig)["vm:Exc"]
    assert len(ax.get_lines()) == 2
    assert ax.get_title(loc="right") == "2 of 3 recorded neurons"
    markers = [c for c in ax.collections if isinstance(c, LineCollection)]
    trains = rec.spikes["Exc"]
    assert sum(len(m.get_segments()) for m in markers) == int(np.isin(trains.senders,
                                                                       [0, 1]).sum())
    seg = markers[0].get_segments()[0]
    assert seg[0, 0] == seg[1, 0] and seg[1, 1] > seg[0, 1]  # vertical, upwards
    fig = make_activity_figure(rec, spike_marker=False)
    assert not [c for c in _axes(fig)["vm:Exc"].collections if isinstance(c, LineCollection)]


def test_window_and_population_subset(rec):
    fig = make_activity_figure(rec, t_window_ms=(200.0, 400.0), populations=["Inh"],
                               show_inputs=False, raster_max_spikes=10**9)
    axes = _axes(fig)
    assert list(axes) == ["raster", "vm:Inh", "rates"]
    assert axes["raster"].get_xlim() == (200.0, 400.0)
    inh = rec.spikes["Inh"].window(200.0, 400.0)
    assert _dots(axes["raster"]) == inh.n_spikes
    x = axes["vm:Inh"].get_lines()[0].get_xdata()
    assert x.min() >= 200.0 and x.max() <= 400.0
    # the legend's mean is the mean of the rate inside the window
    r = rec.population_rates["Inh"]
    mean = float(r.sel(time_ms=slice(200.0, 400.0)).mean())
    assert f"{mean:.3g} Hz" in axes["rates"].get_legend().get_texts()[0].get_text()


def test_populations_without_vm_or_rates_and_empty_trains():
    t = np.arange(0.0, 300.0, 1.0)
    rec = SpikingRecording(
        0.1, 0.0, 300.0,
        spikes={"E": SpikeTrains("E", 50, np.sort(np.random.default_rng(1).uniform(0, 300, 200)),
                                 np.random.default_rng(2).integers(0, 50, 200), 0.0, 300.0),
                "I": SpikeTrains("I", 10, [], [], 0.0, 300.0)},
        state={"I": {"V": xr.DataArray(np.full((t.size, 1), -70.0), dims=("time_ms", "neuron"),
                                       coords={"time_ms": t, "neuron": [0]},
                                       attrs={"units": "mV"})}},
    )
    fig = make_activity_figure(rec)
    axes = _axes(fig)
    assert list(axes) == ["raster", "vm:I", "rates"]  # no inputs, no Vm of E
    assert _dots(axes["raster"]) == 200
    # rates binned from spikes (5 ms bins): E fires 200 spikes / 50 neurons / 0.3 s
    e_line = axes["rates"].get_lines()[0]
    assert np.mean(e_line.get_ydata()) == pytest.approx(200 / 50 / 0.3)
    assert np.all(axes["rates"].get_lines()[1].get_ydata() == 0)
    assert not [c for c in axes["vm:I"].collections if isinstance(c, LineCollection)]


def test_empty_recording_and_state_only():
    fig = make_activity_figure(SpikingRecording(0.1, 0.0, 100.0))
    axes = _axes(fig)
    assert list(axes) == ["raster"]
    assert "no spikes recorded" in [t.get_text() for t in axes["raster"].texts]
    t = np.arange(0.0, 100.0, 0.5)
    vm = xr.DataArray(np.zeros((t.size, 2)), dims=("time_ms", "neuron"),
                      coords={"time_ms": t, "neuron": [3, 4]}, attrs={"units": "mV"})
    fig = make_activity_figure(SpikingRecording(0.1, 0.0, 100.0, state={"P": {"v_m": vm}}),
                               t_window_ms=(200.0, 300.0))
    assert list(_axes(fig)) == ["raster", "vm:P"]
    assert "no v_m samples" in _axes(fig)["vm:P"].texts[0].get_text()


def test_errors(rec):
    for window in [(10.0, 10.0), (5.0, 1.0), (0.0, float("nan"))]:
        with pytest.raises(ConfigError) as err:
            make_activity_figure(rec, t_window_ms=window)
        assert err.value.field == "t_window_ms"
    with pytest.raises(ConfigError) as err:
        make_activity_figure(rec, populations=["Exc", "L5E"])
    assert err.value.field == "populations" and err.value.value == "L5E"
    with pytest.raises(ConfigError) as err:
        make_activity_figure(rec, rate_bin_ms=0)
    assert err.value.field == "rate_bin_ms"


def test_population_colours():
    c = population_colours(["Exc", "Inh", "L23E", "L23I", "FS", "RS", "thalamus"])
    reds = [c[n] for n in ("Exc", "L23E", "RS")]
    blues = [c[n] for n in ("Inh", "L23I", "FS")]
    assert len(set(c.values())) == 7
    to_rgb = lambda h: np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)])  # noqa: E731
    assert all(to_rgb(h)[0] > to_rgb(h)[2] for h in reds)
    assert all(to_rgb(h)[2] > to_rgb(h)[0] for h in blues)
    assert c["thalamus"] not in reds + blues
    fig = make_activity_figure(synthetic_recording(0, n_exc=20, n_inh=5, t_stop_ms=100.0),
                               colours={"Exc": "#00ff00"})
    assert _axes(fig)["raster"].get_yticklabels()[0].get_color() == "#00ff00"


def test_files_written(rec, tmp_path):
    paths = plot_activity_figure(rec, tmp_path / "figs" / "activity_v1.2", rate_smoothing_ms=3)
    assert [p.name for p in paths] == ["activity_v1.2.png", "activity_v1.2.pdf"]
    img = mpimg.imread(paths[0])
    fig = make_activity_figure(rec)
    w_in, h_in = fig.get_size_inches()
    assert img.shape[1] == pytest.approx(w_in * PNG_DPI, abs=2)
    assert img.shape[0] == pytest.approx(h_in * PNG_DPI, abs=2)
    assert img[..., :3].std() > 0.1  # not blank
    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) < 2_000_000
    assert b"CreationDate" not in pdf


def test_many_populations_alternate_raster_names():
    rng = np.random.default_rng(3)
    names = ["L23E", "L23I", "L4E", "L4I", "L5E"]
    spikes = {p: SpikeTrains(p, 20, np.sort(rng.uniform(0, 100, 30)), rng.integers(0, 20, 30),
                             0.0, 100.0) for p in names}
    fig = make_activity_figure(SpikingRecording(0.1, 0.0, 100.0, spikes=spikes))
    raster = _axes(fig)["raster"]
    assert [t.get_text() for t in raster.get_yticklabels()] == ["L23E", "L4E", "L5E"]
    right = {t.get_text(): t.get_position()[1] for t in raster.texts}
    assert right == {"L23I": 30.0, "L4I": 70.0}  # centres of rows 20-40 and 60-80
