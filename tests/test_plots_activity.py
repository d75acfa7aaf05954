"""The activity figure (netdyn.plots.activity): each panel shows the synthetic spiking
recording it is given."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from scipy.ndimage import gaussian_filter1d

from netdyn.errors import ConfigError
from netdyn.plots import make_activity_figure, plot_activity_figure
from netdyn.plots.activity import population_colours
from netdyn.record.spiking import SpikeTrains, SpikingRecording
from tests._plots_readback import by_gid, check_files, legend_texts, line, notes, tick_labels
from tests._spiking_fixtures import synthetic_recording


def _axes(fig) -> dict:
    return {ax.get_label(): ax for ax in fig.axes}


def _dots(ax, population: str) -> np.ndarray:
    """(time, row) of the raster dots of ``population``, sorted."""
    (dots,) = by_gid(ax, f"raster:{population}").values()
    xy = np.asarray(dots.get_offsets())
    return xy[np.lexsort((xy[:, 1], xy[:, 0]))]


def _spikes(trains: SpikeTrains, first_row: int = 0, keep=None) -> np.ndarray:
    """(time, row) of the spikes, sorted, as the raster should draw them."""
    keep = np.ones(trains.times_ms.size, dtype=bool) if keep is None else keep
    xy = np.c_[trains.times_ms[keep], first_row + trains.senders[keep]]
    return xy[np.lexsort((xy[:, 1], xy[:, 0]))]


@pytest.fixture(scope="module")
def rec() -> SpikingRecording:
    return synthetic_recording(7, n_exc=800, n_inh=200, t_stop_ms=1000.0)


@pytest.fixture(scope="module")
def axes(rec) -> dict:
    return _axes(make_activity_figure(rec, raster_max_spikes=10**9))


def test_panels_labels_and_shared_time_axis(rec):
    fig = make_activity_figure(rec, rate_smoothing_ms=5.0)
    axes = _axes(fig)
    assert list(axes) == ["inputs", "raster", "vm:Exc", "vm:Inh", "rates"]
    assert all(ax.get_xlim() == (0.0, 1000.0) for ax in axes.values())
    assert axes["rates"].get_xlabel() == "time (ms)"
    assert [ax.get_ylabel() for ax in axes.values()] == [
        "input rate\n(Hz)", "neurons", "$V_m$ (mV)", "$V_m$ (mV)", "rate (Hz)"]
    titles = [ax.get_title(loc="left") for ax in axes.values()]
    assert titles == [r"$\mathbf{a}$   Afferent drive", r"$\mathbf{b}$   Spikes",
                      r"$\mathbf{c}$   Membrane potential, Exc",
                      r"$\mathbf{d}$   Membrane potential, Inh",
                      r"$\mathbf{e}$   Population rates, smoothed (Gaussian σ = 5 ms)"]
    assert not any(notes(ax) for ax in axes.values())


def test_input_panel_shows_the_afferent_rates(rec, axes):
    drive = rec.input_rates["AffExc"]
    ln = line(axes["inputs"], "input:AffExc")
    np.testing.assert_array_equal(ln.get_xdata(), drive["time_ms"].values)
    np.testing.assert_array_equal(ln.get_ydata(), drive.values)
    assert legend_texts(axes["inputs"]) == ["AffExc"]
    assert axes["inputs"].get_ylim()[0] == 0.0


def test_raster_shows_every_spike_at_its_time_and_row(rec, axes):
    raster = axes["raster"]
    np.testing.assert_array_equal(_dots(raster, "Exc"), _spikes(rec.spikes["Exc"]))
    np.testing.assert_array_equal(_dots(raster, "Inh"), _spikes(rec.spikes["Inh"], 800))
    assert raster.get_ylim() == (1000.0, 0.0)  # Exc rows 0-799 on top, Inh 800-999 below
    assert tick_labels(raster, "y") == ["Exc", "Inh"]
    assert list(raster.get_yticks()) == [400.0, 900.0]
    colours = population_colours(["Exc", "Inh"])
    for p in ("Exc", "Inh"):
        (dots,) = by_gid(raster, f"raster:{p}").values()
        np.testing.assert_allclose(dots.get_facecolor()[0], to_rgba(colours[p]))
    assert raster.get_title(loc="right") == ""


def test_raster_thins_whole_rows_when_spikes_are_many(rec):
    n_spikes = {p: s.n_spikes for p, s in rec.spikes.items()}
    cap = max(n_spikes.values()) // 4
    step = int(np.ceil(max(n_spikes.values()) / cap))
    raster = _axes(make_activity_figure(rec, raster_max_spikes=cap))["raster"]
    assert raster.get_title(loc="right") == f"every {step}th recorded neuron shown"
    for p, first_row in (("Exc", 0), ("Inh", 800)):
        trains = rec.spikes[p]
        keep = trains.senders % step == 0  # one step for all, whole trains kept
        np.testing.assert_array_equal(_dots(raster, p), _spikes(trains, first_row, keep))
        assert keep.sum() <= 1.2 * cap


def test_vm_panels_show_the_first_recorded_traces_and_their_spikes(rec, axes):
    ax = axes["vm:Exc"]
    vm = rec.state["Exc"]["V"]
    t = vm["time_ms"].values
    assert sorted(by_gid(ax, "vm:Exc:")) == ["vm:Exc:0", "vm:Exc:1"]
    for j in (0, 1):
        ln = line(ax, f"vm:Exc:{j}")
        np.testing.assert_array_equal(ln.get_xdata(), t)
        np.testing.assert_array_equal(ln.get_ydata(), vm.sel(neuron=j).values)
    assert ax.get_title(loc="right") == "2 of 3 recorded neurons"
    # one vertical marker per spike of neurons 0 and 1, from the last sample before it
    segments = np.concatenate([m.get_segments() for m in ax.collections
                               if isinstance(m, LineCollection)])
    trains = rec.spikes["Exc"]
    drawn = np.isin(trains.senders, [0, 1])
    np.testing.assert_array_equal(np.sort(segments[:, 0, 0]), np.sort(trains.times_ms[drawn]))
    assert np.all(segments[:, 0, 0] == segments[:, 1, 0])
    top = float(vm.sel(neuron=[0, 1]).max())
    assert np.all(segments[:, 1, 1] > top)
    for (x0, y0), _ in segments[:3]:
        j = trains.senders[drawn][np.flatnonzero(trains.times_ms[drawn] == x0)[0]]
        i = np.searchsorted(t, x0) - 1
        assert y0 == pytest.approx(float(vm.sel(neuron=j).values[i]))
    fig = make_activity_figure(rec, spike_marker=False)
    assert not [c for c in _axes(fig)["vm:Exc"].collections if isinstance(c, LineCollection)]


def test_rates_panel_shows_the_population_rates(rec, axes):
    ax = axes["rates"]
    for p in ("Exc", "Inh"):
        rate = rec.population_rates[p]
        ln = line(ax, f"rate:{p}")
        np.testing.assert_allclose(ln.get_xdata(), rate["time_ms"].values + 2.5)  # bin centres
        np.testing.assert_array_equal(ln.get_ydata(), rate.values)
    assert legend_texts(ax) == [f"{p} (mean {float(rec.population_rates[p].mean()):.3g} Hz)"
                                for p in ("Exc", "Inh")]
    smoothed = _axes(make_activity_figure(rec, rate_smoothing_ms=10.0))["rates"]
    np.testing.assert_allclose(  # sigma 10 ms over 5 ms bins
        line(smoothed, "rate:Exc").get_ydata(),
        gaussian_filter1d(rec.population_rates["Exc"].values, 2.0, mode="nearest"))


def test_window_and_population_subset(rec):
    fig = make_activity_figure(rec, t_window_ms=(200.0, 400.0), populations=["Inh"],
                               show_inputs=False, raster_max_spikes=10**9)
    axes = _axes(fig)
    assert list(axes) == ["raster", "vm:Inh", "rates"]
    assert axes["raster"].get_xlim() == (200.0, 400.0)
    # the only population shown takes the top rows
    np.testing.assert_array_equal(_dots(axes["raster"], "Inh"),
                                  _spikes(rec.spikes["Inh"].window(200.0, 400.0)))
    vm = rec.state["Inh"]["V"].sel(time_ms=slice(200.0, 400.0))
    ln = line(axes["vm:Inh"], "vm:Inh:0")
    np.testing.assert_array_equal(ln.get_xdata(), vm["time_ms"].values)
    np.testing.assert_array_equal(ln.get_ydata(), vm.sel(neuron=0).values)
    r = rec.population_rates["Inh"].sel(time_ms=slice(200.0, 400.0))
    np.testing.assert_array_equal(line(axes["rates"], "rate:Inh").get_ydata(), r.values)
    assert legend_texts(axes["rates"]) == [f"Inh (mean {float(r.mean()):.3g} Hz)"]


def test_populations_without_vm_or_rates_and_empty_trains():
    t = np.arange(0.0, 300.0, 1.0)
    rng = np.random.default_rng(1)
    e_trains = SpikeTrains("E", 50, np.sort(rng.uniform(0, 300, 200)),
                           np.random.default_rng(2).integers(0, 50, 200), 0.0, 300.0)
    rec = SpikingRecording(
        0.1, 0.0, 300.0,
        spikes={"E": e_trains, "I": SpikeTrains("I", 10, [], [], 0.0, 300.0)},
        state={"I": {"V": xr.DataArray(np.full((t.size, 1), -70.0), dims=("time_ms", "neuron"),
                                       coords={"time_ms": t, "neuron": [0]},
                                       attrs={"units": "mV"})}},
    )
    axes = _axes(make_activity_figure(rec))
    assert list(axes) == ["raster", "vm:I", "rates"]  # no inputs, no Vm of E
    np.testing.assert_array_equal(_dots(axes["raster"], "E"), _spikes(e_trains))
    assert len(_dots(axes["raster"], "I")) == 0
    # rates binned from the spikes (5 ms bins, Hz per neuron), drawn at the bin centres
    counts, _ = np.histogram(e_trains.times_ms, np.arange(0.0, 305.0, 5.0))
    e_line = line(axes["rates"], "rate:E")
    np.testing.assert_allclose(e_line.get_ydata(), counts / (50 * 5e-3))
    np.testing.assert_allclose(e_line.get_xdata(), np.arange(2.5, 300.0, 5.0))
    assert np.all(line(axes["rates"], "rate:I").get_ydata() == 0)
    np.testing.assert_array_equal(line(axes["vm:I"], "vm:I:0").get_ydata(), -70.0)
    assert not [c for c in axes["vm:I"].collections if isinstance(c, LineCollection)]


def test_panels_without_data_say_so():
    axes = _axes(make_activity_figure(SpikingRecording(0.1, 0.0, 100.0)))
    assert list(axes) == ["raster"]
    assert notes(axes["raster"]) == ["no spikes recorded"]
    t = np.arange(0.0, 100.0, 0.5)
    vm = xr.DataArray(np.zeros((t.size, 2)), dims=("time_ms", "neuron"),
                      coords={"time_ms": t, "neuron": [3, 4]}, attrs={"units": "mV"})
    axes = _axes(make_activity_figure(SpikingRecording(0.1, 0.0, 100.0,
                                                       state={"P": {"v_m": vm}}),
                                      t_window_ms=(200.0, 300.0)))
    assert list(axes) == ["raster", "vm:P"]
    assert notes(axes["vm:P"]) == ["no v_m samples in the window"]
    assert axes["vm:P"].get_ylabel() == "P v_m\n(mV)"


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
    assert all(to_rgba(h)[0] > to_rgba(h)[2] for h in reds)
    assert all(to_rgba(h)[2] > to_rgba(h)[0] for h in blues)
    assert c["thalamus"] not in reds + blues
    fig = make_activity_figure(synthetic_recording(0, n_exc=20, n_inh=5, t_stop_ms=100.0),
                               colours={"Exc": "#00ff00"})
    axes = _axes(fig)
    assert axes["raster"].get_yticklabels()[0].get_color() == "#00ff00"
    (dots,) = by_gid(axes["raster"], "raster:Exc").values()
    np.testing.assert_allclose(dots.get_facecolor()[0], to_rgba("#00ff00"))
    assert line(axes["rates"], "rate:Exc").get_color() == "#00ff00"


def test_files_written(rec, tmp_path):
    paths = plot_activity_figure(rec, tmp_path / "figs" / "activity_v1.2", rate_smoothing_ms=3)
    check_files(paths, "activity_v1.2", tuple(make_activity_figure(rec).get_size_inches()))
    assert paths[1].stat().st_size < 2_000_000  # the raster is rasterised in the PDF


def test_many_populations_alternate_raster_names():
    rng = np.random.default_rng(3)
    names = ["L23E", "L23I", "L4E", "L4I", "L5E"]
    spikes = {p: SpikeTrains(p, 20, np.sort(rng.uniform(0, 100, 30)), rng.integers(0, 20, 30),
                             0.0, 100.0) for p in names}
    fig = make_activity_figure(SpikingRecording(0.1, 0.0, 100.0, spikes=spikes))
    raster = _axes(fig)["raster"]
    assert tick_labels(raster, "y") == ["L23E", "L4E", "L5E"]
    right = {t.get_text(): t.get_position()[1] for t in raster.texts}
    assert right == {"L23I": 30.0, "L4I": 70.0}  # centres of rows 20-40 and 60-80
    for k, p in enumerate(names):
        np.testing.assert_array_equal(_dots(raster, p), _spikes(spikes[p], 20 * k))
