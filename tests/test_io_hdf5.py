"""HDF5 recording files: layout, round trip, atomic write, errors."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netdyn.errors import ConfigError
from netdyn.io import hdf5
from netdyn.io.hdf5 import FORMAT_NAME, FORMAT_VERSION, read_recording, write_recording
from netdyn.record.spiking import SpikeTrains, SpikingRecording
from tests._spiking_fixtures import assert_recordings_equal, synthetic_recording


def test_round_trip_synthetic(tmp_path):
    rec = synthetic_recording(3)
    out = write_recording(rec, tmp_path / "sub" / "recording.h5")
    assert out == tmp_path / "sub" / "recording.h5" and out.is_file()
    back = read_recording(out)
    assert_recordings_equal(rec, back)
    assert back.state["Exc"]["V"].dtype == np.float32
    assert back.state["Inh"]["V"].dtype == np.float64
    assert back.state["Exc"]["V"].attrs["units"] == "mV"
    assert back.population_rates["Exc"].attrs["bin_ms"] == 5.0
    assert sorted(os.listdir(tmp_path / "sub")) == ["recording.h5"]  # no temporary left


def test_layout_is_documented_and_typed(tmp_path):
    rec = synthetic_recording(1, n_exc=40_000, n_inh=10, t_stop_ms=50.0, n_vm=2)
    path = write_recording(rec, tmp_path / "r.h5")
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == FORMAT_NAME
        assert int(f.attrs["format_version"]) == FORMAT_VERSION
        assert f.attrs["written_by"].startswith("netdyn ")
        assert f.attrs["dt_ms"] == 0.1 and f.attrs["t_stop_ms"] == 50.0
        assert list(f.attrs["populations"]) == ["Exc", "Inh"]
        assert json.loads(f.attrs["config"])["n_exc"] == 40_000
        assert int(f.attrs["seed"]) == 1
        exc = f["populations/Exc"]
        assert int(exc.attrs["n_neurons"]) == 40_000  # the reference's int16 would overflow
        assert exc["spikes/times_ms"].dtype == np.float64
        assert exc["spikes/times_ms"].attrs["units"] == "ms"
        assert exc["spikes/senders"].dtype == np.int32
        assert exc["spikes/senders"][()].max() > 32767
        assert exc["spikes/times_ms"].compression == "gzip"
        assert exc["state/V/values"].shape == (100, 2)
        assert exc["state/V/values"].attrs["units"] == "mV"
        assert exc["state/V/time_ms"].attrs["units"] == "ms"
        assert exc["rate/hz"].attrs["units"] == "Hz"
        assert exc["rate/hz"].attrs["bin_ms"] == 5.0
        assert f["inputs/AffExc/rate_hz"].attrs["units"] == "Hz"
        # times in ms, not x1000 (the reference's tRASTER_PRE bug)
        assert exc["spikes/times_ms"][()].max() < 50.0


def test_uncompressed_and_lzf(tmp_path):
    rec = synthetic_recording(2, n_exc=20, n_inh=5, t_stop_ms=100.0)
    for comp in (None, "lzf"):
        path = write_recording(rec, tmp_path / f"{comp}.h5", compression=comp)
        with h5py.File(path, "r") as f:
            assert f["populations/Exc/spikes/times_ms"].compression == comp
        assert_recordings_equal(rec, read_recording(path))
    with pytest.raises(ConfigError) as err:
        write_recording(rec, tmp_path / "x.h5", compression="zstd")
    assert err.value.field == "compression"


def test_subset_recorded_empty_trains_and_populations_without_spikes(tmp_path):
    empty = SpikeTrains("A", 10, np.array([]), np.array([], dtype=np.int32), 0.0, 100.0,
                        recorded=np.array([1, 3, 5]))
    t = np.arange(0.0, 100.0, 1.0)
    vm = xr.DataArray(np.zeros((t.size, 2)), dims=("neuron", "time_ms")[::-1],
                      coords={"time_ms": t, "neuron": [0, 7]}, attrs={"units": "mV"})
    rec = SpikingRecording(0.1, 0.0, 100.0, spikes={"A": empty}, state={"B": {"V": vm}},
                           attrs={})
    back = read_recording(write_recording(rec, tmp_path / "e.h5"))
    assert_recordings_equal(rec, back)
    assert back.populations == ["A", "B"]
    assert back.spikes["A"].n_spikes == 0 and back.spikes["A"].n_recorded == 3
    assert "B" not in back.spikes


def test_state_dims_in_other_order_are_transposed(tmp_path):
    t = np.arange(5.0)
    vm = xr.DataArray(np.arange(10.0).reshape(2, 5), dims=("neuron", "time_ms"),
                      coords={"time_ms": t, "neuron": [4, 9]}, attrs={"units": "mV"})
    rec = SpikingRecording(1.0, 0.0, 5.0, state={"P": {"V": vm}})
    back = read_recording(write_recording(rec, tmp_path / "t.h5"))
    assert back.state["P"]["V"].dims == ("time_ms", "neuron")
    np.testing.assert_array_equal(back.state["P"]["V"].values, vm.values.T)


def test_attrs_of_every_kind_round_trip(tmp_path):
    attrs = {"config": {"nested": {"a": [1, 2.5, None]}}, "seed": 2**100, "flag": True,
             "x": 1.5, "n": -3, "name": "exc\u00e9", "arr": np.arange(4, dtype=np.int16),
             "none": None, "nul": "a\x00b", "list": ["a", "b"]}
    rec = SpikingRecording(0.1, 0.0, 1.0, attrs=attrs)
    back = read_recording(write_recording(rec, tmp_path / "a.h5"))
    assert_recordings_equal(rec, back)


@pytest.mark.parametrize("bad", [{"format": "mine"}, {"dt_ms": 1.0}, {"x": object()}])
def test_bad_attrs_rejected_and_no_file_left(tmp_path, bad):
    rec = SpikingRecording(0.1, 0.0, 1.0, attrs=bad)
    with pytest.raises(ConfigError) as err:
        write_recording(rec, tmp_path / "bad.h5")
    assert err.value.field.startswith("attrs.")
    assert os.listdir(tmp_path) == []


def test_bad_names_and_units_rejected(tmp_path):
    tr = SpikeTrains("a/b", 1, [], [], 0.0, 1.0)
    with pytest.raises(ConfigError) as err:
        write_recording(SpikingRecording(0.1, 0.0, 1.0, spikes={"a/b": tr}), tmp_path / "n.h5")
    assert err.value.field == "populations"
    rate = xr.DataArray(np.ones(3), dims=("time_ms",), coords={"time_ms": np.arange(3.0)},
                        attrs={"units": "kHz"})
    with pytest.raises(ConfigError) as err:
        write_recording(SpikingRecording(0.1, 0.0, 1.0, input_rates={"aff": rate}),
                        tmp_path / "u.h5")
    assert err.value.field == "input_rates.aff.units"
    vm = xr.DataArray(np.ones(3), dims=("time_ms",), coords={"time_ms": np.arange(3.0)})
    with pytest.raises(ConfigError) as err:
        write_recording(SpikingRecording(0.1, 0.0, 1.0, state={"P": {"V": vm}}),
                        tmp_path / "s.h5")
    assert err.value.field == "state.P.V"
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_old_file_on_crash(tmp_path, monkeypatch):
    path = tmp_path / "r.h5"
    good = synthetic_recording(0, n_exc=10, n_inh=5, t_stop_ms=20.0)
    write_recording(good, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(hdf5, "_write_population", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_recording(synthetic_recording(1, n_exc=10, n_inh=5, t_stop_ms=20.0), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["r.h5"]
    assert_recordings_equal(good, read_recording(path))


def test_read_errors_name_the_path(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_recording(tmp_path / "missing.h5")
    assert err.value.field == "path" and "no such file" in str(err.value)
    text = tmp_path / "text.h5"
    text.write_text("hello")
    with pytest.raises(ConfigError, match="not an HDF5 file") as err:
        read_recording(text)
    assert err.value.field == "path"
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["tRASTER_Exc"] = np.arange(3.0)
    with pytest.raises(ConfigError, match="not a netdyn spiking recording"):
        read_recording(other)
    newer = tmp_path / "newer.h5"
    with h5py.File(newer, "w") as f:
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ConfigError, match="upgrade netdyn"):
        read_recording(newer)


# --------------------------------------------------------------------------- hypothesis

_names = st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1,
                 max_size=8).filter(lambda s: s not in (".", ".."))


@st.composite
def _trains(draw, name: str) -> SpikeTrains:
    n = draw(st.integers(1, 3000))
    k = draw(st.integers(0, 40))
    t0 = draw(st.floats(-100, 100, allow_nan=False))
    dur = draw(st.floats(0.5, 1e4, allow_nan=False))
    times = np.sort(np.array(draw(st.lists(st.floats(t0, t0 + dur, allow_nan=False),
                                            min_size=k, max_size=k)), dtype=float))
    senders = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)),
                       dtype=np.int64)
    recorded = None
    if draw(st.booleans()):
        recorded = np.unique(np.concatenate([senders, [0]]))
    return SpikeTrains(name, n, times, senders, t0, t0 + dur, recorded)


@st.composite
def _recordings(draw) -> SpikingRecording:
    names = draw(st.lists(_names, min_size=0, max_size=3, unique=True))
    rec = SpikingRecording(dt_ms=draw(st.sampled_from([0.025, 0.1, 0.5])),
                           t_start_ms=0.0, t_stop_ms=draw(st.floats(1.0, 1e5)))
    for name in names:
        if draw(st.booleans()):
            rec.spikes[name] = draw(_trains(name))
        if draw(st.booleans()):
            n_t, n_n = draw(st.integers(0, 6)), draw(st.integers(0, 4))
            dtype = draw(st.sampled_from([np.float32, np.float64]))
            values = draw(st.lists(st.floats(-100, 50, width=32), min_size=n_t * n_n,
                                   max_size=n_t * n_n))
            rec.state[name] = {"V": xr.DataArray(
                np.array(values, dtype=dtype).reshape(n_t, n_n), dims=("time_ms", "neuron"),
                coords={"time_ms": np.arange(n_t) * 0.5, "neuron": np.arange(n_n)},
                attrs={"units": "mV"})}
        if draw(st.booleans()):
            n_t = draw(st.integers(0, 20))
            rec.population_rates[name] = xr.DataArray(
                np.array(draw(st.lists(st.floats(0, 1e3), min_size=n_t, max_size=n_t))),
                dims=("time_ms",), coords={"time_ms": np.arange(n_t) * 2.0},
                attrs={"units": "Hz", "bin_ms": 2.0})
    for name in draw(st.lists(_names, max_size=2, unique=True)):
        n_t = draw(st.integers(0, 10))
        rec.input_rates[name] = xr.DataArray(np.linspace(0, 10, n_t), dims=("time_ms",),
                                             coords={"time_ms": np.arange(n_t, dtype=float)})
    rec.attrs = draw(st.dictionaries(
        _names.filter(lambda s: s not in hdf5._RESERVED),
        st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                  st.booleans(), st.lists(st.integers(-5, 5), max_size=3)),
        max_size=4))
    return rec


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=_recordings(), compression=st.sampled_from([None, "gzip", "lzf"]))
def test_round_trip_property(rec, compression):
    with tempfile.TemporaryDirectory() as d:
        back = read_recording(write_recording(rec, Path(d) / "p.h5", compression=compression))
    assert_recordings_equal(rec, back)
