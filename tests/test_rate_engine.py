"""Rate engine: hand-computed steps, batching, backends, integrators, observers, blow-ups."""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp

from netdyn.connectivity import bernoulli_gaussian
from netdyn.engines import integrate
from netdyn.errors import ConfigError, NumericalInstabilityError
from netdyn.models import RateNetwork
from netdyn.record import FullState, SampledUnits, TwinDivergence


def seed_like_network(n=200, p=0.1, seed=3, sparse=True):
    w = bernoulli_gaussian(n, p, 1.0 / (n * p), seed)
    return RateNetwork(w if sparse else w.toarray(), tau_ms=20.0)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("sparse", [True, False])
def test_one_euler_step_is_the_formula(backend, sparse):
    net = seed_like_network(sparse=sparse)
    rng = np.random.default_rng(0)
    r0 = rng.uniform(-1, 1, (200, 3))
    g = np.array([1.0, 7.0, 22.0])
    res = integrate(net, r0, duration_ms=1.0, dt_ms=1.0, gain=g, backend=backend)
    w = net.weights.toarray() if sparse else net.weights
    expected = r0 + (1.0 / 20.0) * (-r0 + np.tanh(g * (w @ r0)))
    np.testing.assert_allclose(res.state, expected, rtol=0, atol=1e-15)


def test_batched_equals_separate_runs():
    """Batch composition does not change any trajectory (kernels sum in a fixed order)."""
    net = seed_like_network()
    rng = np.random.default_rng(1)
    r0 = rng.uniform(-1, 1, (200, 6))
    g = np.array([1.0, 4.0, 10.0, 13.0, 16.0, 22.0])
    batched = integrate(net, r0, duration_ms=1000.0, gain=g).state
    for b in range(6):
        single = integrate(net, r0[:, b], duration_ms=1000.0, gain=g[b]).state
        np.testing.assert_allclose(batched[:, b], single, rtol=0, atol=1e-12)


def test_numba_and_numpy_backends_agree():
    """The back-ends' tanh differ by <= 3 ulp; chaos (lambda <= 15/s) amplifies that by
    exp(15 * 0.3) ~ 90 over 300 ms, far below the tolerance."""
    net = seed_like_network()
    r0 = np.random.default_rng(2).uniform(-1, 1, (200, 4))
    g = np.array([1.0, 10.0, 16.0, 22.0])
    a = integrate(net, r0, duration_ms=300.0, gain=g, backend="numba").state
    b = integrate(net, r0, duration_ms=300.0, gain=g, backend="numpy").state
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_observers_see_the_state_before_each_update():
    net = seed_like_network(n=50)
    r0 = np.random.default_rng(3).uniform(-1, 1, (50, 4))
    full = FullState()
    sampled = SampledUnits([3, 7], trajectories=[1, 2], every=5)
    div = TwinDivergence([0, 1], [2, 3])
    res = integrate(net, r0, duration_ms=100.0, gain=[10, 10, 10, 10], observers=[full, sampled, div])
    states = res.records["state"].values  # (time, unit, trajectory)
    assert states.shape == (100, 50, 4)
    np.testing.assert_array_equal(states[0], r0)
    np.testing.assert_array_equal(res.records["sampled_units"].values, states[::5][:, [3, 7]][:, :, [1, 2]])
    expected = np.linalg.norm(states[:, :, [2, 3]] - states[:, :, [0, 1]], axis=1)
    np.testing.assert_allclose(res.records["divergence"].values, expected, rtol=1e-13)
    np.testing.assert_allclose(res.records["divergence"]["time"].values, np.arange(100.0))
    # the last sample is the state before the last update, not the final state
    assert not np.array_equal(states[-1], res.state)


def test_continuation_equals_one_run():
    net = seed_like_network()
    r0 = np.random.default_rng(4).uniform(-1, 1, (200, 2))
    whole = integrate(net, r0, duration_ms=300.0, gain=13.0)
    first = integrate(net, r0, duration_ms=100.0, gain=13.0)
    rest = integrate(net, first.state, duration_ms=200.0, gain=13.0, t0_ms=first.t_end_ms)
    np.testing.assert_array_equal(rest.state, whole.state)
    assert rest.t_end_ms == 300.0


def test_rk4_on_a_linear_network_matches_the_matrix_exponential():
    n = 20
    w = np.random.default_rng(5).normal(0, 1 / np.sqrt(n), (n, n))
    net = RateNetwork(w, tau_ms=10.0, phi="identity")
    r0 = np.random.default_rng(6).normal(size=n)
    g = 0.8
    res = integrate(net, r0, duration_ms=50.0, dt_ms=0.5, gain=g, method="rk4")
    exact = scipy.linalg.expm((g * w - np.eye(n)) / 10.0 * 50.0) @ r0
    # RK4 global error ~ C (dt/tau)^4: (0.05)^4 ~ 6e-6 relative, with a generous constant
    np.testing.assert_allclose(res.state, exact, rtol=0, atol=1e-6 * np.abs(exact).max())
    euler = integrate(net, r0, duration_ms=50.0, dt_ms=0.5, gain=g, method="euler")
    assert np.abs(euler.state - exact).max() > 100 * np.abs(res.state - exact).max()


def test_exponential_euler_is_exact_for_constant_drive():
    n = 5
    net = RateNetwork(np.zeros((n, n)), tau_ms=20.0, phi="tanh", external_input=np.linspace(-1, 1, n))
    r0 = np.zeros(n)
    res = integrate(net, r0, duration_ms=30.0, dt_ms=3.0, method="exp_euler")
    exact = np.tanh(np.linspace(-1, 1, n)) * (1 - np.exp(-30.0 / 20.0))
    np.testing.assert_allclose(res.state, exact, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("phi", ["tanh", "relu", "logistic", "identity", np.sin])
def test_nonlinearities_and_callables(phi):
    n = 30
    w = np.random.default_rng(7).normal(0, 0.2, (n, n))
    net = RateNetwork(w, tau_ms=20.0, phi=phi)
    r0 = np.random.default_rng(8).uniform(-1, 1, n)
    res = integrate(net, r0, duration_ms=1.0, dt_ms=1.0, gain=2.0)
    x = 2.0 * (w @ r0)
    f = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "logistic": lambda v: 1 / (1 + np.exp(-v)),
         "identity": lambda v: v}.get(phi, phi) if isinstance(phi, str) else phi
    np.testing.assert_allclose(res.state, r0 + (f(x) - r0) / 20.0, rtol=1e-13, atol=1e-15)


def test_float32_on_request():
    net = seed_like_network()
    r0 = np.random.default_rng(9).uniform(-1, 1, (200, 2))
    a = integrate(net, r0, duration_ms=50.0, gain=[4.0, 13.0], dtype="float32")
    b = integrate(net, r0, duration_ms=50.0, gain=[4.0, 13.0])
    assert a.state.dtype == np.float32
    np.testing.assert_allclose(a.state, b.state, atol=1e-5)


def test_input_callable_and_time():
    n = 4
    seen = []

    def inp(t_ms):
        seen.append(t_ms)
        return np.full(n, t_ms)

    net = RateNetwork(np.zeros((n, n)), phi="identity", external_input=inp, tau_ms=1.0)
    integrate(net, np.zeros(n), duration_ms=3.0, dt_ms=1.0, t0_ms=10.0)
    assert seen == [10.0, 11.0, 12.0]


def test_blow_up_names_step_time_and_trajectory():
    n = 10

    def inp(t_ms):
        x = np.zeros((n, 3))
        if t_ms >= 7.0:
            x[4, 2] = np.nan
        return x

    net = RateNetwork(np.zeros((n, n)), phi="identity", external_input=inp)
    for backend in ("numba", "numpy"):
        with pytest.raises(NumericalInstabilityError) as err:
            integrate(net, np.zeros((n, 3)), duration_ms=20.0, dt_ms=0.5, backend=backend)
        e = err.value
        assert (e.step, e.time_ms, e.trajectory, e.unit) == (14, 7.0, 2, 4)
        assert "step 14" in str(e) and "t = 7 ms" in str(e) and "trajectory 2" in str(e)


def test_relu_runaway_is_reported_not_silently_inf():
    w = np.full((3, 3), 10.0)
    net = RateNetwork(w, phi="relu", tau_ms=1.0)
    with pytest.raises(NumericalInstabilityError):
        integrate(net, np.ones(3), duration_ms=10000.0, dt_ms=0.5, method="rk4")


@pytest.mark.parametrize(
    "kwargs,field",
    [(dict(method="leapfrog"), "method"), (dict(duration_ms=10.5), "duration_ms"), (dict(dt_ms=0.0), "dt_ms"),
     (dict(gain=[1.0, 2.0, 3.0]), "gain"), (dict(dtype="int32"), "dtype"), (dict(backend="cuda"), "backend")],
)
def test_bad_arguments(kwargs, field):
    net = seed_like_network(n=20)
    args = dict(duration_ms=10.0, dt_ms=1.0)
    args.update(kwargs)
    with pytest.raises(ConfigError) as err:
        integrate(net, np.zeros((20, 2)), **args)
    assert err.value.field == field


def test_bad_network():
    with pytest.raises(ConfigError) as err:
        RateNetwork(np.zeros((3, 4)))
    assert err.value.field == "weights"
    with pytest.raises(ConfigError) as err:
        RateNetwork(np.zeros((3, 3)), phi="softsign")
    assert err.value.field == "phi"
    with pytest.raises(ConfigError):
        integrate(RateNetwork(sp.eye(3, format="csr")), np.zeros((4, 1)), duration_ms=1.0)


@pytest.mark.parametrize("phi", ["tanh", "relu", "logistic", "identity"])
@pytest.mark.parametrize("sparse", [True, False])
def test_fused_kernels_match_the_reference_step(phi, sparse):
    """The numba back-end fuses product, phi, update and check; the numpy one does not."""
    net = seed_like_network(n=60, p=0.3, sparse=sparse)
    net = RateNetwork(net.weights, tau_ms=20.0, phi=phi, external_input=np.linspace(-0.5, 0.5, 60))
    r0 = np.random.default_rng(12).uniform(-1, 1, (60, 5))
    for method in ("euler", "exp_euler"):
        a = integrate(net, r0, duration_ms=20.0, gain=[1, 2, 3, 4, 5], method=method, backend="numba").state
        b = integrate(net, r0, duration_ms=20.0, gain=[1, 2, 3, 4, 5], method=method, backend="numpy").state
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


def test_twin_divergence_block_and_scattered_pairs_agree():
    rng = np.random.default_rng(13)
    net = seed_like_network(n=40)
    r0 = rng.uniform(-1, 1, (40, 8))
    block = TwinDivergence([0, 1, 2, 3], [4, 5, 6, 7], name="block")
    scattered = TwinDivergence([0, 2, 1, 3], [4, 6, 5, 7], name="scattered")
    res = integrate(net, r0, duration_ms=50.0, gain=13.0, observers=[block, scattered])
    np.testing.assert_array_equal(res.records["block"].values[:, [0, 2, 1, 3]], res.records["scattered"].values)


def _recorders():
    return [SampledUnits([0, 5, 9], trajectories=[1, 3], every=3), TwinDivergence([0, 1], [2, 3])]


def test_compiled_loop_equals_the_step_loop():
    """Constant input runs in the compiled multi-step kernel; the same input given as a
    callable goes through the Python step loop: same numbers, bit for bit."""
    w = bernoulli_gaussian(80, 0.2, 0.15, 21)
    inp = np.linspace(-0.2, 0.2, 80)
    r0 = np.random.default_rng(22).uniform(-1, 1, (80, 4))
    steps = []
    compiled = integrate(RateNetwork(w, external_input=inp), r0, duration_ms=257.0, gain=[3, 3, 9, 9],
                         observers=_recorders(), progress=steps.append)
    looped = integrate(RateNetwork(w, external_input=lambda t: inp), r0, duration_ms=257.0, gain=[3, 3, 9, 9],
                       observers=_recorders())
    assert sum(steps) == 257 and max(steps) == 100
    np.testing.assert_array_equal(compiled.state, looped.state)
    for name in ("sampled_units", "divergence"):
        np.testing.assert_array_equal(compiled.records[name].values, looped.records[name].values)


def test_compiled_loop_reports_blow_up_like_the_step_loop():
    w = bernoulli_gaussian(30, 0.5, 1.0, 23)
    r0 = np.full((30, 4), 0.5)
    errors = []
    for inp in (np.full(30, 1.0), lambda t: np.full(30, 1.0)):
        net = RateNetwork(w * 50.0, phi="relu", tau_ms=1.0, external_input=inp)
        with pytest.raises(NumericalInstabilityError) as err:
            integrate(net, r0, duration_ms=4500.0, dt_ms=0.9, gain=[1.0, 2.0, 3.0, 4.0], observers=_recorders())
        errors.append((err.value.step, err.value.trajectory, err.value.unit))
    assert errors[0] == errors[1]
