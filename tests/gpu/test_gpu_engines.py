"""The GPU back-end against the CPU engines, on a few neurons and a few steps.

These tests run where numba's CUDA target has a device: a GPU, or numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``, which runs every GPU thread as a Python thread). The default
suite runs this module in the simulator, in a subprocess (tests/test_gpu_simulated.py), less
the tests marked ``simulator_slow``, which the slow suite adds (every kernel and launch mode
is in the default selection; the marked tests are variants and features built on them); on a
machine with a GPU, ``pytest tests/gpu`` runs it all on the device.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from netdyn.engines.gpu.device import cuda_or_error, simulated
from netdyn.errors import ConfigError

try:
    cuda_or_error()
except ConfigError:
    pytest.skip("no CUDA device and no CUDA simulator (NUMBA_ENABLE_CUDASIM=1)", allow_module_level=True)

warnings.filterwarnings("ignore", message="overflow encountered")  # the simulator's uint64 hashes wrap
# the simulator runs the GPU's arithmetic in Python (no fused multiply-adds): equal to the CPU's
# but for its vectorised exp/tanh (a few ulp); a GPU also fuses multiply-adds
STATE_RTOL = 1e-12 if simulated() else 1e-9
LAUNCH_MODES = ["persistent", "per_step"]


@pytest.fixture(params=LAUNCH_MODES)
def launch(request, monkeypatch):
    monkeypatch.setenv("NETDYN_GPU_LAUNCH", request.param)
    return request.param


# --------------------------------------------------------------------------- rate engine
def _rate_case():
    from netdyn.connectivity import bernoulli_gaussian

    rng = np.random.default_rng(1)
    n = 16
    w = bernoulli_gaussian(n, 0.3, 1.0 / (n * 0.3), rng)
    r0 = rng.uniform(-1, 1, (n, 6))
    r0[:, 3:] = r0[:, :3] + 1e-4
    return n, w, r0, np.array([1.0, 8.0, 15.0, 1.0, 8.0, 15.0])


@pytest.mark.parametrize("mode,method,phi,dtype", [
    ("persistent", "euler", "tanh", "float64"), ("per_step", "euler", "tanh", "float64"),
    pytest.param("persistent", "exp_euler", "relu", "float64", marks=pytest.mark.simulator_slow),
    pytest.param("persistent", "euler", "tanh", "float32", marks=pytest.mark.simulator_slow),
])
def test_rate_gpu_equals_cpu(monkeypatch, mode, method, phi, dtype):
    """Final state, twin distances and samples as the CPU's compiled loop gives them (the
    launch modes share every device function: both once, the variants in one)."""
    monkeypatch.setenv("NETDYN_GPU_LAUNCH", mode)
    from netdyn.engines import integrate
    from netdyn.models import RateNetwork
    from netdyn.record import SampledUnits, TwinDivergence

    n, w, r0, gain = _rate_case()
    net = RateNetwork(w, tau_ms=20.0, phi=phi, external_input=0.1 * np.arange(n) / n)
    out = {}
    for backend in ("numba", "gpu"):
        div, samp = TwinDivergence([0, 1, 2], [3, 4, 5]), SampledUnits([0, 5], trajectories=[1, 4], every=2)
        res = integrate(net, r0, duration_ms=6.0, dt_ms=1.0, gain=gain, method=method, dtype=dtype,
                        observers=[div, samp], backend=backend, progress_every=4)
        out[backend] = (res.state, div.data.copy(), samp.data.copy())
    # float32: a few ulp of rates of order 1 (the twin distances are differences of such rates)
    rtol, atol = (STATE_RTOL, 1e-15) if dtype == "float64" else (1e-5, 1e-6)
    for cpu, gpu in zip(out["numba"], out["gpu"]):
        assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
        np.testing.assert_allclose(gpu, cpu, rtol=rtol, atol=atol)


def test_rate_gpu_instability_names_step_and_unit(launch):
    """A blow-up stops with the step, the trajectory and the unit, as on the CPU."""
    from netdyn.engines import integrate
    from netdyn.errors import NumericalInstabilityError
    from netdyn.models import RateNetwork

    n, w, r0, _ = _rate_case()
    net = RateNetwork(w * 1e200, tau_ms=1.0, phi="identity")
    errors = {}
    for backend in ("numba", "gpu"):
        with pytest.raises(NumericalInstabilityError) as err:
            integrate(net, r0, duration_ms=20.0, dt_ms=1.0, gain=1.0, backend=backend, progress_every=3)
        errors[backend] = err.value
    cpu, gpu = errors["numba"], errors["gpu"]
    assert (gpu.step, gpu.trajectory, gpu.unit) == (cpu.step, cpu.trajectory, cpu.unit)


def test_rate_gpu_refuses_what_it_does_not_run():
    from netdyn.engines import integrate
    from netdyn.models import RateNetwork
    from netdyn.record import TwinDivergence

    n, w, r0, _ = _rate_case()
    net = RateNetwork(w, tau_ms=20.0, phi="tanh")
    with pytest.raises(ConfigError, match="backend.*rk4"):
        integrate(net, r0, duration_ms=2.0, dt_ms=1.0, method="rk4", backend="gpu")
    with pytest.raises(ConfigError, match="backend.*cannot record"):
        integrate(net, r0, duration_ms=2.0, dt_ms=1.0, observers=[TwinDivergence([0, 2], [1, 5])], backend="gpu")


# --------------------------------------------------------------------------- spiking engine
def _spiking_spec(**changes):
    """Three models, Poisson and Bernoulli drives (one of mean > 30 a step), a Poisson source,
    a step current, delays of 1-12 steps and state probes; weights of few significant bits, so
    the CPU's float32 sums are exact and both engines see the same inputs."""
    from netdyn.config.base import parse_config
    from netdyn.models.spiking.spec import NetworkSpec

    lif = {"model": "lif_psc_exp", "params": {"i_e_pA": 300.0, "t_ref_ms": 1.0},
           "initial": {"v_mV": {"kind": "uniform", "low": -65.0, "high": -52.0}}}
    coba = {"model": "lif_cond_exp", "params": {"i_e_pA": 150.0},
            "initial": {"v_mV": {"kind": "uniform", "low": -60.0, "high": -51.0}}}
    adex = {"model": "adex_cond_exp", "params": {"a_nS": 2.0, "b_pA": 20.0, "i_e_pA": 150.0},
            "initial": {"v_mV": {"kind": "uniform", "low": -70.0, "high": -55.0}}}
    spec = {
        "dt_ms": 0.1, "seed": 11,
        "populations": [{"name": "L", "n_neurons": 24, **lif}, {"name": "C", "n_neurons": 10, **coba},
                        {"name": "A", "n_neurons": 8, **adex}],
        "sources": [{"name": "P", "n_neurons": 6, "rate": {"kind": "gaussian", "amplitude_hz": 4000.0, "baseline_hz": 200.0,
                                                            "center_ms": 2.0, "sigma_ms": 1.0}}],
        "projections": [
            {"source": "L", "target": "L", "receptor": "exc", "rule": {"rule": "fixed_probability", "p": 0.3},
             "weight": 40.0, "delay_ms": {"kind": "uniform", "low": 0.1, "high": 1.2}},
            {"source": "C", "target": "L", "receptor": "inh", "rule": {"rule": "fixed_probability", "p": 0.5},
             "weight": -60.5, "delay_ms": 0.3},
            {"source": "L", "target": "C", "receptor": "exc", "rule": {"rule": "fixed_indegree", "indegree": 5},
             "weight": 2.5},
            {"source": "P", "target": "A", "receptor": "exc", "rule": {"rule": "all_to_all"}, "weight": 3.0,
             "delay_ms": 0.2},
            {"source": "A", "target": "C", "receptor": "inh", "rule": {"rule": "fixed_probability", "p": 0.5},
             "weight": 4.0},
        ],
        "drives": [{"name": "dL", "target": "L", "receptor": "exc", "n_inputs": 100, "weight": 20.0, "rate": 2000.0},
                   {"name": "dC", "target": "C", "receptor": "exc", "n_inputs": 50, "weight": 0.5, "rate": 400.0,
                    "statistics": "bernoulli"},
                   {"name": "big", "target": "A", "receptor": "exc", "n_inputs": 400, "weight": 0.25,
                    "rate": 1000.0}],
        "currents": [{"name": "step", "target": "C", "amplitude_pA": 100.0, "start_ms": 1.0, "stop_ms": 3.0}],
        "record": {"spikes": ["L", "C", "A", "P"], "rate_bin_ms": 0.5,
                   "state": [{"population": "L", "variable": "v_mV", "neurons": [0, 5]},
                             {"population": "A", "variable": "w_pA", "neurons": [1]}]},
    }
    spec.update(changes)
    return parse_config(NetworkSpec, spec)


def _run(spec, backend, duration_ms, **options):
    from netdyn.engines.spiking.network import Network

    net = Network(spec, backend=backend, **options)
    net.run(duration_ms / 2)
    net.run(duration_ms / 2)  # a second run continues from the first
    return net, net.recording()


def test_spiking_gpu_equals_cpu(launch):
    """Same spikes (every population and the source), population rates and probes; the final
    state to round-off."""
    spec = _spiking_spec()
    cpu_net, cpu = _run(spec, "netdyn", 6.0)
    gpu_net, gpu = _run(spec, "gpu", 6.0, chunk_steps=25)
    assert sum(s.times_ms.size for s in cpu.spikes.values()) > 50  # every population spikes
    for name in cpu.spikes:
        assert cpu.spikes[name].times_ms.size > 0, name
        np.testing.assert_array_equal(gpu.spikes[name].times_ms, cpu.spikes[name].times_ms, err_msg=name)
        np.testing.assert_array_equal(gpu.spikes[name].senders, cpu.spikes[name].senders, err_msg=name)
    for name in cpu.population_rates:
        np.testing.assert_array_equal(gpu.population_rates[name].values, cpu.population_rates[name].values)
    for pop, variables in cpu.state.items():
        for var, da in variables.items():
            np.testing.assert_allclose(gpu.state[pop][var].values, da.values, rtol=STATE_RTOL)
            np.testing.assert_array_equal(gpu.state[pop][var].time_ms.values, da.time_ms.values)
    np.testing.assert_allclose(gpu_net.state, cpu_net.state, rtol=STATE_RTOL, atol=1e-9)
    np.testing.assert_array_equal(gpu_net.refractory, cpu_net.refractory)
    # the ring is on the device: the host neither holds one nor counts one
    assert gpu_net.ring.size == 0 and "ring buffer" not in gpu_net.memory_estimate.parts
    host_ring = cpu_net.memory_estimate.parts["ring buffer"]
    assert cpu_net.memory_estimate.total_bytes - gpu_net.memory_estimate.total_bytes == host_ring


@pytest.mark.parametrize("mode,windows", [pytest.param("persistent", True, marks=pytest.mark.simulator_slow),
                                          ("per_step", False)])
def test_procedural_connectivity_on_the_gpu(monkeypatch, mode, windows):
    """Procedural synapses regenerated on the device are the CPU's (targets, weights, delays),
    also where the CPU cuts the delays into windows (a ring of a few steps): same spikes."""
    from netdyn.engines.spiking import procedural

    monkeypatch.setenv("NETDYN_GPU_LAUNCH", mode)
    if windows:  # a ring of 3 steps of the network's channels at most: windows of 2 steps
        monkeypatch.setattr(procedural, "RING_BYTES", 4 * 3 * (2 * 24 + 2 * 10 + 2 * 8))
    base = _spiking_spec()
    extra = {"name": "LL2", "source": "L", "target": "L", "receptor": "exc",
             "rule": {"rule": "fixed_total_number", "n_synapses": 90},
             "weight": 10.0, "delay_ms": {"kind": "uniform", "low": 0.1, "high": 1.2}}  # out-degrees split by window
    spec = _spiking_spec(projections=[p.to_dict() for p in base.projections] + [extra])
    cpu_net, cpu = _run(spec, "netdyn", 6.0, connectivity="procedural")
    gpu_net, gpu = _run(spec, "gpu", 6.0, connectivity="procedural")
    assert len(cpu_net.procedural_keys) == len(spec.projections)
    assert (cpu_net.procedural.n_windows > 1) == windows
    assert (cpu_net.procedural.wt_ptr >= 0).any() == windows
    assert sum(s.times_ms.size for s in cpu.spikes.values()) > 50
    for name in cpu.spikes:
        np.testing.assert_array_equal(gpu.spikes[name].times_ms, cpu.spikes[name].times_ms, err_msg=name)
        np.testing.assert_array_equal(gpu.spikes[name].senders, cpu.spikes[name].senders, err_msg=name)
    np.testing.assert_allclose(gpu_net.state, cpu_net.state, rtol=STATE_RTOL, atol=1e-9)


@pytest.mark.simulator_slow
def test_spiking_gpu_grows_its_spike_record(launch):
    """A chunk that records more spikes than the device buffer holds stops, grows it and
    goes on, losing nothing."""
    from netdyn.engines.spiking.network import Network

    spec = _spiking_spec()
    _, cpu = _run(spec, "netdyn", 4.0)
    net = Network(spec, backend="gpu")
    net._gpu.initial_record_size = 8  # room for two steps' spikes at most
    net.run(4.0)
    gpu = net.recording()
    assert net._gpu.launches > 1  # it stopped to hand over the recorded spikes
    for name in cpu.spikes:
        np.testing.assert_array_equal(gpu.spikes[name].times_ms, cpu.spikes[name].times_ms)


def test_spiking_gpu_instability_names_population_neuron_and_step(launch):
    from netdyn.errors import SpikingInstabilityError

    # two such inputs in a step overflow float32 (on the CPU's ring, and when the GPU reads its
    # fixed point); the AdEx exponential then overflows V
    spec = _spiking_spec(drives=[{"name": "huge", "target": "A", "receptor": "exc", "n_inputs": 10,
                                  "weight": 3e38, "rate": 5000.0}])
    errors = {}
    for backend in ("netdyn", "gpu"):
        with pytest.raises(SpikingInstabilityError) as err:
            _run(spec, backend, 4.0)
        errors[backend] = err.value
    assert str(errors["gpu"]) == str(errors["netdyn"])


def test_failed_cooperative_launch_falls_back_to_a_launch_per_step(monkeypatch):
    """Where a persistent launch cannot be made (no CUDA device runtime to link, a grid too
    large), the engines warn and launch per step, with the same results."""
    from netdyn.engines import integrate
    from netdyn.engines.gpu import rate as gpu_rate
    from netdyn.engines.gpu import spiking as gpu_spiking
    from netdyn.models import RateNetwork

    def refuse(*args):
        raise RuntimeError("cooperative launch too large")

    monkeypatch.setenv("NETDYN_GPU_LAUNCH", "persistent")
    monkeypatch.setattr(gpu_rate, "persistent_blocks", refuse)
    monkeypatch.setattr(gpu_spiking, "persistent_blocks", refuse)
    n, w, r0, gain = _rate_case()
    net = RateNetwork(w, tau_ms=20.0, phi="tanh")
    with pytest.warns(RuntimeWarning, match="cooperative"):
        gpu = integrate(net, r0, duration_ms=4.0, dt_ms=1.0, gain=gain, backend="gpu").state
    cpu = integrate(net, r0, duration_ms=4.0, dt_ms=1.0, gain=gain).state
    np.testing.assert_allclose(gpu, cpu, rtol=STATE_RTOL)
    spec = _spiking_spec()
    _, cpu_rec = _run(spec, "netdyn", 2.0)
    with pytest.warns(RuntimeWarning, match="cooperative"):
        _, gpu_rec = _run(spec, "gpu", 2.0)
    for name in cpu_rec.spikes:
        np.testing.assert_array_equal(gpu_rec.spikes[name].times_ms, cpu_rec.spikes[name].times_ms)


@pytest.mark.simulator_slow
def test_a_gpu_checkpoint_continues_bit_for_bit(tmp_path):
    """save_state keeps the device's ring (the spikes still in flight, in fixed point): a GPU
    network loaded from it continues with the spikes and state of the run that wrote it; a
    checkpoint moves only between networks of the same backend."""
    from netdyn.engines.spiking.network import Network

    spec = _spiking_spec()
    whole = Network(spec, backend="gpu").run(2.0)
    assert whole._gpu.ring_to_host().any()  # spikes in flight (delays up to 1.2 ms) at 2 ms
    path = whole.save_state(tmp_path / "gpu.npz")
    whole.run(3.0)
    resumed = Network(spec, backend="gpu").load_state(path).run(3.0)
    assert resumed.step_count == whole.step_count == 50
    np.testing.assert_array_equal(resumed.state, whole.state)
    np.testing.assert_array_equal(resumed.refractory, whole.refractory)
    np.testing.assert_array_equal(resumed._gpu.ring_to_host(), whole._gpu.ring_to_host())
    after, later = whole.recording(), resumed.recording()
    assert sum((s.times_ms > 2.05).sum() for s in after.spikes.values()) > 20  # spikes of steps 20-49
    for name in after.spikes:
        late = after.spikes[name].times_ms > 2.05
        np.testing.assert_array_equal(later.spikes[name].times_ms, after.spikes[name].times_ms[late], err_msg=name)
        np.testing.assert_array_equal(later.spikes[name].senders, after.spikes[name].senders[late], err_msg=name)
    cpu_path = Network(spec).run(1.0).save_state(tmp_path / "cpu.npz")
    with pytest.raises(ConfigError, match="backend='netdyn'.*backend='gpu'"):
        Network(spec, backend="gpu").load_state(cpu_path)
    with pytest.raises(ConfigError, match="backend='gpu'.*backend='netdyn'"):
        Network(spec).load_state(path)


def test_spiking_gpu_refuses_what_it_does_not_run():
    from netdyn.engines.spiking.network import Network

    spec = _spiking_spec(ou_currents=[{"name": "ou", "target": "L", "mean_pA": 10.0, "sd_pA": 5.0, "tau_ms": 5.0}])
    with pytest.raises(ConfigError, match="backend.*Ornstein"):
        Network(spec, backend="gpu")
    with pytest.raises(ConfigError, match="threads"):
        Network(_spiking_spec(), backend="gpu", threads=2)


# --------------------------------------------------------------------------- the chaos study
@pytest.mark.simulator_slow
def test_chaos_study_on_the_gpu(tmp_path):
    """``backend = "gpu"`` through the study driver: the store holds the GPU's numbers, which
    equal the CPU's to round-off over a short, non-chaotic stretch."""
    from netdyn.config.chaos import ChaosConfig
    from netdyn.studies.chaos import run_chaos

    cfg = dict(sessions=1, trials=2, gains=(1.0, 13.0), n_neurons=20, duration_ms=6.0, example_duration_ms=4.0)
    gpu = run_chaos(ChaosConfig(backend="gpu", **cfg), tmp_path / "gpu", workers=0, progress=False, figure=False)
    cpu = run_chaos(ChaosConfig(**cfg), tmp_path / "cpu", workers=0, progress=False, figure=False)
    assert '"backend":"gpu"' in gpu.dataset.attrs["config"]
    for name in ("divergence_mean", "final_divergence", "example_rate"):
        np.testing.assert_allclose(gpu.dataset[name].values, cpu.dataset[name].values, rtol=1e-10)


@pytest.mark.slow
@pytest.mark.skipif(simulated(), reason="7,000 steps of 1,600 trajectories: a real GPU only")
def test_chaos_published_exponent_ranges_on_the_gpu(tmp_path):
    """The full protocol on the GPU reproduces the seed's published ranges, with the bounds of
    the CPU's test (tests/test_chaos_study.py::test_published_exponent_ranges)."""
    from netdyn.config.chaos import ChaosConfig
    from netdyn.studies.chaos import run_chaos

    out = run_chaos(ChaosConfig(backend="gpu"), tmp_path, workers=0, progress=False, figure=False)
    lam = out.dataset["lyapunov_exponent"]
    assert np.all(lam.sel(g=[1.0, 4.0, 7.0]).isnull())
    assert np.all((lam.sel(g=10.0) > 2.0) & (lam.sel(g=10.0) < 5.2))
    assert np.all((lam.sel(g=22.0) > 10.0) & (lam.sel(g=22.0) < 17.0))
    assert np.all(np.diff(lam.sel(g=[10.0, 13.0, 16.0, 19.0, 22.0]).mean("session").values) > 0)
    plateau = out.dataset["divergence_mean"].sel(g=[13.0, 16.0, 19.0, 22.0]).isel(time=slice(-1000, None))
    assert float(plateau.min()) > 9.0 and float(plateau.max()) < 19.0


def _rates_and_cv(rec, t0_ms: float) -> dict[str, tuple[float, float]]:
    """Mean rate (Hz) and mean CV of the inter-spike intervals (neurons with >= 3 spikes) per
    population, after ``t0_ms``."""
    out = {}
    for name, trains in rec.spikes.items():
        keep = trains.times_ms >= t0_ms
        times, senders = trains.times_ms[keep], trains.senders[keep]
        rate = times.size / (trains.n_recorded * (rec.t_stop_ms - t0_ms) * 1e-3)
        cvs = []
        for i in np.unique(senders):
            isi = np.diff(np.sort(times[senders == i]))
            if isi.size >= 2:
                cvs.append(isi.std() / isi.mean())
        out[name] = (rate, float(np.mean(cvs)) if cvs else np.nan)
    return out


@pytest.mark.slow
@pytest.mark.skipif(simulated(), reason="4,000 neurons for 1 s: a real GPU only")
def test_coba_statistics_on_the_gpu_within_the_cpu_seed_spread():
    """COBA (4,000 neurons, 1 s): every population's rate and CV on the GPU lie within the spread
    of the CPU engine over seeds (mean +- 4 SD of 4 seeds, at least 5 % of the mean)."""
    from netdyn.engines.spiking.network import Network
    from netdyn.studies.coba import coba_spec

    cpu = []
    for seed in range(4):
        net = Network(coba_spec(4000, seed=seed))
        net.run(1000.0)
        cpu.append(_rates_and_cv(net.recording(), 200.0))
    net = Network(coba_spec(4000, seed=0), backend="gpu")
    net.run(1000.0)
    gpu = _rates_and_cv(net.recording(), 200.0)
    for name, (rate, cv) in gpu.items():
        for k, value in ((0, rate), (1, cv)):
            ref = np.array([c[name][k] for c in cpu])
            half_width = max(4 * ref.std(ddof=1), 0.05 * abs(ref.mean()))
            assert abs(value - ref.mean()) <= half_width, (name, k, value, ref)


@pytest.mark.simulator_slow
def test_bench_record_on_the_gpu_has_the_cpu_spikes():
    """``netdyn bench coba --backend gpu``: the record of the GPU run, whose spikes (digest) are the
    CPU's (COBA's weights, 6 and 67 nS, sum exactly in float32)."""
    from netdyn.studies.bench import bench_coba

    gpu = bench_coba(100, 3.0, backend="gpu")
    cpu = bench_coba(100, 3.0)
    assert gpu["backend"] == "gpu" and cpu["backend"] == "netdyn"
    assert gpu["spike_digest"] == cpu["spike_digest"] and gpu["mean_rate_hz"] == cpu["mean_rate_hz"] > 0
    assert gpu["ring_bytes"] == 8 * cpu["ring_bytes"] // 4  # int64 fixed point against float32, same span
    assert gpu["bytes_per_synapse"] == pytest.approx(9.0, abs=0.5)  # int32 + float32 + uint8 delay, row pointers
