"""Synthetic spiking recordings for IO and plot tests (no simulation engine involved).

Spikes are inhomogeneous Poisson trains (thinning), drawn with numpy; membrane potentials are
a sawtooth between each neuron's own spikes (reset, relaxation towards threshold) plus
Ornstein-Uhlenbeck noise, so the Vm panels show resets where the rasters show spikes.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import lfilter

from netdyn.record.spiking import SpikeTrains, SpikingRecording

V_RESET_MV = -65.0
V_THRESHOLD_MV = -50.0
V_REST_MV = -70.0


def drive_hz(t_ms: np.ndarray) -> np.ndarray:
    """The rsfs afferent drive: 4 + 4 exp(-(t - 1000)^2 / (2 100^2)) Hz."""
    return 4.0 + 4.0 * np.exp(-((t_ms - 1000.0) ** 2) / (2 * 100.0**2))


def poisson_trains(rng: np.random.Generator, name: str, n_neurons: int, rate_hz,
                   t_stop_ms: float, t_start_ms: float = 0.0,
                   recorded: np.ndarray | None = None) -> SpikeTrains:
    """Inhomogeneous Poisson spikes of ``n_neurons`` neurons by thinning (``rate_hz`` is a
    number or a function of time in ms)."""
    rate = (lambda t: np.full_like(t, float(rate_hz))) if np.isscalar(rate_hz) else rate_hz
    grid = np.linspace(t_start_ms, t_stop_ms, 512)
    r_max = float(np.max(rate(grid))) if t_stop_ms > t_start_ms else 0.0
    neurons = np.arange(n_neurons) if recorded is None else np.asarray(recorded)
    lam = r_max * 1e-3 * (t_stop_ms - t_start_ms)
    counts = rng.poisson(lam, size=neurons.size)
    senders = np.repeat(neurons, counts)
    times = rng.uniform(t_start_ms, t_stop_ms, size=senders.size)
    if r_max > 0:
        keep = rng.uniform(0, r_max, size=times.size) < rate(times)
        times, senders = times[keep], senders[keep]
    order = np.argsort(times, kind="stable")
    return SpikeTrains(name, n_neurons, times[order], senders[order], t_start_ms, t_stop_ms,
                       recorded)


def synthetic_vm(rng: np.random.Generator, trains: SpikeTrains, neurons: np.ndarray,
                 time_ms: np.ndarray, dtype=np.float32) -> xr.DataArray:
    """Sawtooth-plus-noise membrane potential (mV) of ``neurons``, reset at their spikes."""
    dt = float(time_ms[1] - time_ms[0])
    n_t = time_ms.size
    # OU noise, tau 5 ms, sd 1.5 mV, filtered along time for all neurons at once.
    a = np.exp(-dt / 5.0)
    noise = lfilter([np.sqrt(1 - a * a) * 1.5], [1, -a], rng.standard_normal((neurons.size, n_t)),
                    axis=1)
    v = np.empty((neurons.size, n_t))
    for row, j in enumerate(neurons):  # a handful of recorded neurons
        ts = trains.times_ms[trains.senders == j]
        if ts.size == 0:
            v[row] = V_REST_MV + 2.0 * noise[row]
            continue
        edges = np.concatenate(([time_ms[0] - (ts[0] - time_ms[0]) - 50.0], ts,
                                [max(ts[-1] + 200.0, time_ms[-1] + dt)]))
        k = np.searchsorted(edges, time_ms, side="right") - 1
        phase = (time_ms - edges[k]) / (edges[k + 1] - edges[k])
        ramp = (1 - np.exp(-3 * phase)) / (1 - np.exp(-3))
        v[row] = V_RESET_MV + (V_THRESHOLD_MV - V_RESET_MV) * ramp + noise[row] * phase
    return xr.DataArray(v.T.astype(dtype), dims=("time_ms", "neuron"),
                        coords={"time_ms": time_ms, "neuron": np.asarray(neurons, dtype=np.int64)},
                        attrs={"units": "mV"})


def binned_rate(trains: SpikeTrains, bin_ms: float) -> xr.DataArray:
    edges = np.arange(trains.t_start_ms, trains.t_stop_ms + 0.5 * bin_ms, bin_ms)
    counts, _ = np.histogram(trains.times_ms, edges)
    hz = counts / (trains.n_recorded * bin_ms * 1e-3)
    return xr.DataArray(hz, dims=("time_ms",), coords={"time_ms": edges[:-1]},
                        attrs={"units": "Hz", "bin_ms": bin_ms})


def synthetic_recording(seed: int = 0, *, n_exc: int = 400, n_inh: int = 100,
                        t_stop_ms: float = 1500.0, dt_ms: float = 0.1, n_vm: int = 3,
                        bin_ms: float = 5.0) -> SpikingRecording:
    """An rsfs-like recording: Exc and Inh populations, Vm of ``n_vm`` neurons each (sampled
    every 0.5 ms), 5 ms population rates and the afferent drive."""
    rng = np.random.default_rng(seed)
    exc = poisson_trains(rng, "Exc", n_exc, lambda t: 1.5 * drive_hz(t), t_stop_ms)
    inh = poisson_trains(rng, "Inh", n_inh, lambda t: 4.0 * drive_hz(t), t_stop_ms)
    t_vm = np.arange(0.0, t_stop_ms, 0.5)
    t_in = np.arange(0.0, t_stop_ms, 1.0)
    state = {}
    if n_vm:
        state = {"Exc": {"V": synthetic_vm(rng, exc, np.arange(n_vm), t_vm)},
                 "Inh": {"V": synthetic_vm(rng, inh, np.arange(n_vm), t_vm, np.float64)}}
    return SpikingRecording(
        dt_ms=dt_ms, t_start_ms=0.0, t_stop_ms=t_stop_ms,
        spikes={"Exc": exc, "Inh": inh},
        state=state,
        population_rates={"Exc": binned_rate(exc, bin_ms), "Inh": binned_rate(inh, bin_ms)},
        input_rates={"AffExc": xr.DataArray(drive_hz(t_in), dims=("time_ms",),
                                            coords={"time_ms": t_in}, attrs={"units": "Hz"})},
        attrs={"netdyn_version": "test", "seed": seed,
               "config": '{"study": "synthetic", "n_exc": %d, "n_inh": %d}' % (n_exc, n_inh)},
    )


def assert_recordings_equal(a: SpikingRecording, b: SpikingRecording) -> None:
    """Every array, coordinate, dtype and attribute of two recordings equal."""
    assert (a.dt_ms, a.t_start_ms, a.t_stop_ms) == (b.dt_ms, b.t_start_ms, b.t_stop_ms)
    assert a.populations == b.populations
    assert list(a.input_rates) == list(b.input_rates)
    _assert_attrs_equal(a.attrs, b.attrs)
    assert set(a.spikes) == set(b.spikes)
    for name, sa in a.spikes.items():
        sb = b.spikes[name]
        assert (sa.population, sa.n_neurons, sa.t_start_ms, sa.t_stop_ms) == \
            (sb.population, sb.n_neurons, sb.t_start_ms, sb.t_stop_ms)
        np.testing.assert_array_equal(sa.times_ms, sb.times_ms)
        np.testing.assert_array_equal(sa.senders, sb.senders)
        assert sa.times_ms.dtype == sb.times_ms.dtype and sa.senders.dtype == sb.senders.dtype
        assert (sa.recorded is None) == (sb.recorded is None)
        if sa.recorded is not None:
            np.testing.assert_array_equal(sa.recorded, sb.recorded)
    assert set(a.state) == set(b.state)
    for name, variables in a.state.items():
        assert list(variables) == list(b.state[name])
        for var, da in variables.items():
            _assert_da_equal(da, b.state[name][var])
    for group_a, group_b in ((a.population_rates, b.population_rates),
                             (a.input_rates, b.input_rates)):
        assert set(group_a) == set(group_b)
        for name, da in group_a.items():
            _assert_da_equal(da, group_b[name], implied={"units": "Hz"})


def _assert_da_equal(a: xr.DataArray, b: xr.DataArray, implied: dict | None = None) -> None:
    a = a.transpose(*b.dims)
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a.values, b.values)
    for dim in b.dims:
        np.testing.assert_array_equal(a[dim].values, b[dim].values)
    _assert_attrs_equal({**(implied or {}), **a.attrs}, b.attrs)


def _assert_attrs_equal(a: dict, b: dict) -> None:
    assert set(a) == set(b), (a, b)
    for key, value in a.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, b[key])
            assert value.dtype == b[key].dtype
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(b[key])
        else:
            assert value == b[key] and type(value) is type(b[key]), (key, value, b[key])
