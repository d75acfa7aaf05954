"""Spikes written to HDF5 as the run goes (netdyn.io.hdf5.SpikeStream): readable at any time up
to the time reached, and in the end the recording's spikes."""

from __future__ import annotations

import numpy as np

from netdyn.engines.spiking import Network
from netdyn.io.hdf5 import SpikeStream, read_recording
from netdyn.studies.microcircuit import microcircuit_spec


def test_streamed_spikes_are_the_recordings_and_readable_mid_run(tmp_path):
    spec = microcircuit_spec(0.02, seed=5)
    net = Network(spec, chunk_steps=300)
    populations = {p.name: net.layout.source_offset(p.name) for p in spec.populations}
    path = tmp_path / "spikes.partial.h5"
    seen = []
    with SpikeStream(path, populations, spec.dt_ms, {"seed": spec.seed}) as stream:
        def append(steps, ids, t_stop_ms):
            stream.append(steps, ids, t_stop_ms)
            partial = read_recording(path)  # a reader while the run goes on
            seen.append((partial.t_stop_ms, sum(s.n_spikes for s in partial.spikes.values())))

        net.run(100.0, on_spikes=append)
    assert [t for t, _ in seen] == [30.0, 60.0, 90.0, 100.0]
    assert all(a <= b for (_, a), (_, b) in zip(seen, seen[1:])) and seen[-1][1] > 100
    got, want = read_recording(path), net.recording()
    assert got.t_stop_ms == 100.0 and got.attrs["seed"] == spec.seed
    for name, trains in want.spikes.items():
        np.testing.assert_array_equal(got.spikes[name].times_ms, trains.times_ms)
        np.testing.assert_array_equal(got.spikes[name].senders, trains.senders)
        assert got.spikes[name].n_neurons == trains.n_neurons
