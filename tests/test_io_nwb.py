"""NWB export: spikes as a Units table (seconds), rates and state as TimeSeries."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import numpy as np
import pytest

from netdyn.errors import ConfigError
from netdyn.record.spiking import SpikeTrains, SpikingRecording
from tests._spiking_fixtures import synthetic_recording

pynwb = pytest.importorskip("pynwb")

from netdyn.io.nwb import export_nwb  # noqa: E402


def _read(path):
    io = pynwb.NWBHDF5IO(str(path), "r")
    return io, io.read()


def test_units_table_round_trip(tmp_path):
    rec = synthetic_recording(5, n_exc=60, n_inh=20, t_stop_ms=400.0)
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    path = export_nwb(rec, tmp_path / "out" / "rec.nwb", identifier="test-id",
                      session_start_time=start)
    assert os.listdir(tmp_path / "out") == ["rec.nwb"]
    io, nwb = _read(path)
    try:
        assert nwb.identifier == "test-id"
        assert nwb.session_start_time == start
        units = nwb.units
        assert len(units) == 80
        pops = np.asarray(units["population"][:])
        neurons = np.asarray(units["neuron"][:])
        assert list(pops[:60]) == ["Exc"] * 60 and list(pops[60:]) == ["Inh"] * 20
        np.testing.assert_array_equal(neurons, np.r_[np.arange(60), np.arange(20)])
        for name, trains in rec.spikes.items():
            expected = trains.trains()
            rows = np.flatnonzero(pops == name)
            for j, row in zip(neurons[rows], rows):
                np.testing.assert_allclose(units["spike_times"][row], expected[j] * 1e-3,
                                           rtol=0, atol=1e-12)
        np.testing.assert_allclose(units["obs_intervals"][0], [[0.0, 0.4]])
        rate = nwb.processing["population_rates"]["Exc"]
        assert rate.unit == "Hz"
        np.testing.assert_array_equal(rate.data[:], rec.population_rates["Exc"].values)
        np.testing.assert_allclose(rate.timestamps[:],
                                   rec.population_rates["Exc"]["time_ms"].values * 1e-3)
        vm = nwb.processing["state"]["Exc_V"]
        assert vm.unit == "volts" and vm.conversion == pytest.approx(1e-3)
        np.testing.assert_array_equal(vm.data[:], rec.state["Exc"]["V"].values)
        assert "AffExc" in nwb.processing["input_rates"].data_interfaces
    finally:
        io.close()


def test_subset_recorded_and_empty(tmp_path):
    tr = SpikeTrains("P", 100, np.array([1.0, 2.0, 3.0]), np.array([7, 3, 7]), 0.0, 10.0,
                     recorded=np.array([7, 3, 50]))
    empty = SpikeTrains("Q", 4, np.array([]), np.array([], dtype=np.int32), 0.0, 10.0)
    rec = SpikingRecording(0.1, 0.0, 10.0, spikes={"P": tr, "Q": empty})
    io, nwb = _read(export_nwb(rec, tmp_path / "s.nwb"))
    try:
        assert len(nwb.units) == 3 + 4
        np.testing.assert_array_equal(nwb.units["neuron"][:], [3, 7, 50, 0, 1, 2, 3])
        np.testing.assert_allclose(nwb.units["spike_times"][0], [2e-3])
        np.testing.assert_allclose(nwb.units["spike_times"][1], [1e-3, 3e-3])
        assert len(nwb.units["spike_times"][2]) == 0
        assert "population_rates" not in nwb.processing
    finally:
        io.close()


def test_errors(tmp_path):
    rec = SpikingRecording(0.1, 0.0, 10.0)
    with pytest.raises(ConfigError) as err:
        export_nwb(rec, tmp_path / "x.nwb", session_start_time=datetime(2026, 1, 1))
    assert err.value.field == "session_start_time"
    bad = SpikeTrains("P", 10, np.array([1.0]), np.array([4]), 0.0, 10.0, recorded=np.array([1]))
    with pytest.raises(ConfigError) as err:
        export_nwb(SpikingRecording(0.1, 0.0, 10.0, spikes={"P": bad}), tmp_path / "y.nwb")
    assert err.value.field == "spikes.P.senders"
    assert os.listdir(tmp_path) == []


def test_file_passes_the_nwb_validator(tmp_path):
    rec = synthetic_recording(1, n_exc=10, n_inh=5, t_stop_ms=100.0)
    path = export_nwb(rec, tmp_path / "v.nwb")
    assert list(pynwb.validate(path=str(path))) == []
