"""Plastic synapses (rule ``calcium_stc``), OU current inputs and counter-based normals in the
spiking engine: closed forms, the reference's numbers, and invariance to how a run is cut,
checkpointed or recorded."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from netdyn.counter_random import counter_normal, step_stream
from netdyn.engines.spiking import Network
from netdyn.errors import ConfigError
from netdyn.models.spiking.plasticity import available_rules, get_rule
from netdyn.models.spiking.plasticity.calcium_stc import CalciumSTCParams
from netdyn.models.spiking.spec import spec_from_any

DT = 0.2
H0 = 4.20075
NEURON = {"c_m_pF": 1000.0, "tau_m_ms": 10.0, "e_l_mV": -65.0, "v_th_mV": -55.0, "v_reset_mV": -70.0, "t_ref_ms": 2.0}
FORCE_PA = 1.5303e7  # a one-step current that makes a neuron fire in that step


def smallnet2(spike_times_ms, *, plasticity=None, runtime_probe_every=None, ou=(), seed=1, extra_probes=()):
    """Four neurons, 0->1, 0->2, 0->3, 2->3, 3->2 (plastic), neuron 0 forced to spike."""
    params = {"ca_pre": 1.0, "ca_post": 0.2758, "sigma_pl_mV": 0.0, **(plasticity or {})}
    return {
        "dt_ms": DT, "seed": seed,
        "populations": [{"name": "E", "n_neurons": 4, "model": "lif_psc_exp", "params": NEURON,
                         "receptors": [{"name": "syn", "tau_ms": 5.0}]}],
        "projections": [{"source": "E", "target": "E", "receptor": "syn",
                         "rule": {"rule": "explicit", "pre": [0, 0, 0, 2, 3], "post": [1, 2, 3, 3, 2]},
                         "weight": H0 * 100.0, "delay_ms": 3.0,
                         "plasticity": {"rule": "calcium_stc", "params": params}}],
        "currents": [{"name": f"x{k}", "target": "E", "amplitude_pA": FORCE_PA, "start_ms": t, "stop_ms": t + DT,
                      "neurons": [0]} for k, t in enumerate(spike_times_ms)],
        "ou_currents": list(ou),
        "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": [1]}],
                   "state_every_ms": runtime_probe_every, "rate_bin_ms": None,
                   "plasticity": [{"variable": "h_mV", "synapses": [[0, 1]]}, {"variable": "ca", "synapses": [[0, 1]]},
                                  {"variable": "z", "synapses": [[0, 1]]},
                                  {"variable": "protein_umol", "neurons": [1]}, *extra_probes]},
    }


def traces(net):
    rec = net.recording()
    syn = rec.state["E->E:syn"]
    return (syn["h_mV"].time_ms.values, syn["h_mV"].values[:, 0], syn["ca"].values[:, 0], syn["z"].values[:, 0],
            rec.state["E"]["v_mV"].values[:, 0], rec)


def at(t, values, t_ms):
    return values[int(np.argmin(np.abs(t - t_ms)))]


BASIC_SPIKES = [10, 20, 30, 40, 50, 60, 100]


# ------------------------------------------------------------------ the rule and its registry
def test_rule_registry_and_parameters():
    assert "calcium_stc" in available_rules()
    with pytest.raises(ConfigError, match="rule"):
        get_rule("stdp_nonexistent")
    rule = get_rule("calcium_stc")
    with pytest.raises(ConfigError, match="theta_p"):
        rule.parse_params({"theta_p": 1.0, "theta_d": 2.0}, "params")
    with pytest.raises(ConfigError, match="params.sigma_pl_mV"):
        rule.parse_params({"sigma_pl_mV": -1.0}, "params")


def test_fixed_points_of_the_early_phase():
    """h* = (0.1 h_0 + 10 gamma_p) / (0.1 + gamma_p + gamma_d) = 8.4013 mV = 2.000 h_0 with both
    thresholds crossed; 0.0013 mV with theta_d only (Luboeinski & Tetzlaff 2021)."""
    p = CalciumSTCParams()
    both = (0.1 * p.h_0_mV + p.h_max_mV * p.gamma_p) / (0.1 + p.gamma_p + p.gamma_d)
    assert both == pytest.approx(8.4013, abs=1e-4)
    assert both / p.h_0_mV == pytest.approx(2.000, abs=1e-3)
    only_d = 0.1 * p.h_0_mV / (0.1 + p.gamma_d)
    assert only_d == pytest.approx(0.0013, abs=1e-4)
    assert p.tau_h_ms / (p.gamma_p + p.gamma_d + 0.1) == pytest.approx(351.4, abs=0.5)


# ------------------------------------------------------------------ the reference's deterministic numbers
def test_single_psp_peak():
    """One forced spike at 10 ms: V of neuron 1 peaks at -63.948 mV (1.052 mV; analytic 1.050 at
    3 ms delay + 6.93 ms)."""
    net = Network(smallnet2([10.0])).run(60.0)
    t, *_, v, _ = traces(net)
    k = int(np.argmax(v))
    assert v[k] == pytest.approx(-63.948, abs=0.005)
    tau_m, tau_s = 10.0, 5.0
    t_star = tau_m * tau_s * math.log(tau_m / tau_s) / (tau_m - tau_s)
    dv = H0 * tau_s / (tau_m - tau_s) * (math.exp(-t_star / tau_m) - math.exp(-t_star / tau_s))
    assert v[k] + 65.0 == pytest.approx(dv, abs=0.003)
    assert t[k] == pytest.approx(10.0 + 3.0 + t_star, abs=0.5)


def test_calcium_trace_basic_early():
    """Ca jumps by Ca_pre 18.8 ms after each presynaptic spike and decays with 48.8 ms (values
    after the step's events: the sample one step later divided by one step of decay)."""
    net = Network(smallnet2(BASIC_SPIKES)).run(200.0)
    t, _, ca, *_ = traces(net)
    decay = 1.0 - DT / 48.8
    after = {round(tt, 1): c / decay for tt, c in zip(t[1:] - DT, ca[1:])}  # Ca after the events of each step
    jump = after[28.8] - ca[np.argmin(np.abs(t - 28.8))]
    assert jump == pytest.approx(1.0, abs=1e-9)
    assert max(after.values()) == pytest.approx(3.811, abs=0.01)
    assert max(after, key=after.get) == pytest.approx(78.8, abs=0.21)
    for t_ms, expected in ((38.8, 1.814), (48.8, 2.475), (58.8, 3.019), (68.8, 3.459)):
        assert after[t_ms] == pytest.approx(expected, abs=0.01)
    assert at(t, ca, 199.8) == pytest.approx(0.508, abs=0.01)


BASIC_EARLY_DET = {40.0: 4.1983, 60.0: 4.1658, 68.8: 4.1494, 78.8: 4.2287, 90.6: 4.3665, 100.0: 4.3478,
                   120.0: 4.3085, 150.0: 4.2501, 199.8: 4.2348}


def test_deterministic_early_phase_weight_basic_early():
    """LTD while theta_d <= Ca < theta_p, then LTP after the 4th spike: the reference's h(t)
    within 0.005 mV; the minimum at 68.7 ms and the maximum near 90.6 ms."""
    net = Network(smallnet2(BASIC_SPIKES)).run(200.0)
    t, h, *_ = traces(net)
    for t_ms, expected in BASIC_EARLY_DET.items():
        assert at(t, h, t_ms) == pytest.approx(expected, abs=0.005), t_ms
    assert t[np.argmin(h)] == pytest.approx(68.7, abs=0.3)
    assert t[np.argmax(h)] == pytest.approx(90.6, abs=0.5)


def _euler_maruyama_sd(t, ca, p):
    """SD of h from the linear recursion of its Euler-Maruyama update on a given (deterministic)
    calcium trace: Var_{n+1} = (1 - r_n)^2 Var_n + sigma^2 dt / tau_h (Theta_p + Theta_d), Theta on
    the calcium after the step's events."""
    after = ca[1:] / (1.0 - DT / p.tau_ca_ms)
    var = np.zeros(t.size)
    for n in range(t.size - 1):
        above = int(after[n] >= p.theta_p) + int(after[n] >= p.theta_d)
        rate = (0.1 + p.gamma_p * (after[n] >= p.theta_p) + p.gamma_d * (after[n] >= p.theta_d)) * DT / p.tau_h_ms
        var[n + 1] = var[n] * (1 - rate) ** 2 + p.sigma_pl_mV ** 2 * DT / p.tau_h_ms * above
    return np.sqrt(var)


def test_stochastic_early_phase_statistics_basic_early():
    """sigma_pl = 2.90436 mV: over 200 trials the SD of h follows the Euler-Maruyama recursion
    (3 standard errors) and the mean the deterministic run; both lie within the sampling
    error of the reference's 60 trials (mean 4.3434 +- 0.027 at 100 ms, 4.2341 +- 0.032 at
    199.7 ms)."""
    det = Network(smallnet2(BASIC_SPIKES)).run(200.0)
    t, h_det, ca, *_ = traces(det)
    n = 200
    h = np.array([traces(Network(smallnet2(BASIC_SPIKES, plasticity={"sigma_pl_mV": 2.90436}, seed=seed))
                         .run(200.0))[1] for seed in range(n)])
    theory = _euler_maruyama_sd(t, ca, CalciumSTCParams(ca_pre=1.0, ca_post=0.2758))
    for t_ms, ref_mean, ref_sd in ((100.0, 4.3434, 0.027), (199.8, 4.2341, 0.032)):
        k = int(np.argmin(np.abs(t - t_ms)))
        sd = h[:, k].std(ddof=1)
        assert sd == pytest.approx(theory[k], rel=3 / math.sqrt(2 * (n - 1)))
        assert h[:, k].mean() == pytest.approx(h_det[k], abs=3 * sd / math.sqrt(n))
        # against the reference's 60 trials: both means and both SDs are samples
        assert h[:, k].mean() == pytest.approx(ref_mean, abs=2 * ref_sd / math.sqrt(60) + 0.005)
        assert sd == pytest.approx(ref_sd, rel=3 * math.sqrt(1 / (2 * 59) + 1 / (2 * (n - 1))))
    # noise acts only while Ca is above a threshold: before the 2nd calcium event h is deterministic
    k = int(np.argmin(np.abs(t - 38.0)))
    assert np.ptp(h[:, k]) == 0.0


# ------------------------------------------------------------------ closed form vs every step
def test_closed_form_z_equals_the_euler_recursion():
    """A tagged synapse in closed-form motion takes the product of (1 - dt f_int p / tau_z) of its
    neuron's protein: z equals the per-step Euler recursion on the recorded h and protein."""
    spikes = [10.0 + 2.2 * k for k in range(45)] + [510.0 + 2.2 * k for k in range(45)]
    params = {"ca_pre": 1.0, "ca_post": 0.2758, "sigma_pl_mV": 0.0, "p_max_umol": 10.0}
    net = Network(smallnet2(spikes, plasticity=params)).run(3000.0)
    t, h, _, z, _, rec = traces(net)
    pc = rec.state["E"]["protein_umol"].values[:, 0]
    p = CalciumSTCParams(**params)
    rate = p.f_int_l_per_umol * DT / p.tau_z_ms
    expected = np.zeros_like(z)
    for n in range(t.size - 1):
        d = h[n] - p.h_0_mV
        zn = expected[n]
        if d >= p.theta_tag_mV:
            zn += rate * pc[n] * (1 - zn)
        elif -d >= p.theta_tag_mV:
            zn -= rate * pc[n] * (zn + 0.5)
        expected[n + 1] = zn
    assert z[-1] > 1e-7  # the late phase moved
    np.testing.assert_allclose(z, expected, rtol=1e-8, atol=1e-15)


# ------------------------------------------------------------------ reproducibility
def _noisy_net(**kw):
    ou = [{"name": "bg", "target": "E", "mean_pA": 150.0, "sd_pA": 500.0, "tau_ms": 5.0},
          {"name": "kick", "target": "E", "mean_pA": 1.05e6, "sd_pA": 2.1e5, "tau_ms": 5.0, "neurons": [0],
           "intervals_ms": [[100.0, 200.0], [600.0, 700.0]]}]
    spec = smallnet2([], plasticity={"sigma_pl_mV": 2.90436, "ca_pre": 0.6, "ca_post": 0.1655}, ou=ou,
                     runtime_probe_every=1.0)
    return Network(spec, **kw)


def _state(net):
    rec = net.recording()
    return (rec.spikes["E"].times_ms, rec.spikes["E"].senders, net.plastic.st.copy(), net.plastic.nst.copy(),
            rec.state["E->E:syn"]["h_mV"].values)


def test_results_do_not_depend_on_how_the_run_is_cut():
    one = _noisy_net().run(1500.0)
    cut = _noisy_net(chunk_steps=37)
    for d in (0.2, 99.8, 400.0, 1000.0):
        cut.run(d)
    for a, b in zip(_state(one), _state(cut)):
        np.testing.assert_array_equal(a, b)
    assert _state(one)[0].size > 50


def test_checkpoint_resumes_bit_for_bit(tmp_path):
    ref = _noisy_net().run(1500.0)
    first = _noisy_net().run(650.0)
    first.save_state(tmp_path / "state.npz")
    second = _noisy_net().load_state(tmp_path / "state.npz").run(850.0)
    np.testing.assert_array_equal(ref.plastic.st, second.plastic.st)
    np.testing.assert_array_equal(ref.plastic.nst, second.plastic.nst)
    np.testing.assert_array_equal(ref.state, second.state)
    late = ref.recording().spikes["E"]
    keep = late.times_ms > 650.0
    rec2 = second.recording().spikes["E"]
    np.testing.assert_array_equal(late.times_ms[keep], rec2.times_ms)
    other = Network(smallnet2([5.0]))
    with pytest.raises(ConfigError, match="another spec"):
        other.load_state(tmp_path / "state.npz")


def test_recording_does_not_change_the_simulation():
    plain = _noisy_net().run(1200.0)
    spec = plain.spec.model_dump()
    spec["record"]["plasticity"] = []
    spec["record"]["state"] = []
    bare = Network(spec).run(1200.0)
    np.testing.assert_array_equal(plain.plastic.st, bare.plastic.st)
    np.testing.assert_array_equal(plain.recording().spikes["E"].times_ms, bare.recording().spikes["E"].times_ms)


def test_fast_forward_relaxes_h_and_moves_the_clock():
    net = Network(smallnet2([10.0 + 2.2 * k for k in range(45)], plasticity={"ca_pre": 1.0})).run(500.0)
    h_before = net.plastic_state()["h_mV"].values.copy()
    t0 = net.t_ms
    net.fast_forward(3_600_000.0, 50_000.0)
    assert net.t_ms == pytest.approx(t0 + 3_600_000.0)
    h_after = net.plastic_state()["h_mV"].values
    # implicit Euler of tau_h dh/dt = 0.1 (h_0 - h): 72 steps of 50 s
    p = CalciumSTCParams()
    factor = (1.0 / (1.0 + 0.1 * 50_000.0 / p.tau_h_ms)) ** 72
    np.testing.assert_allclose(h_after - p.h_0_mV, (h_before - p.h_0_mV) * factor, rtol=1e-9)
    assert np.all(net.plastic.st[:, 2] == 0.0)  # calcium reset
    net.run(100.0)  # detailed again: neurons at rest, nothing in flight
    assert net.recording().spikes["E"].times_ms.max() < t0


# ------------------------------------------------------------------ OU currents
def test_ou_background_membrane_statistics():
    """Isolated neurons with the background OU current (mean 150 pA, SD 500 pA, tau 5 ms):
    V around -63.5 mV with SD R sigma sqrt(tau_OU / (tau_OU + tau_m)) = 2.89 mV."""
    spec = {"dt_ms": DT, "seed": 3,
            "populations": [{"name": "E", "n_neurons": 400, "model": "lif_psc_exp",
                             "params": {**NEURON, "v_th_mV": 0.0}, "receptors": [{"name": "syn", "tau_ms": 5.0}]}],
            "ou_currents": [{"name": "bg", "target": "E", "mean_pA": 150.0, "sd_pA": 500.0, "tau_ms": 5.0}],
            "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": list(range(400))}],
                       "state_every_ms": 10.0, "rate_bin_ms": None}}
    net = Network(spec).run(5000.0)
    v = net.recording().state["E"]["v_mV"].values[20:]
    assert v.mean() == pytest.approx(-63.5, abs=0.05)
    assert v.std() == pytest.approx(10 * 0.5 * math.sqrt(5 / 15), rel=0.03)


def test_ou_switches_on_at_the_mean_and_off_to_zero():
    spec = {"dt_ms": DT, "populations": [{"name": "E", "n_neurons": 3, "model": "lif_psc_exp",
                                          "params": {**NEURON, "v_th_mV": 1e9}}],
            "ou_currents": [{"name": "x", "target": "E", "mean_pA": 100.0, "sd_pA": 0.0, "tau_ms": 5.0, "neurons": [1],
                             "intervals_ms": [[10.0, 20.0]]}],
            "record": {"state": [{"population": "E", "variable": "v_mV", "neurons": [0, 1]}], "rate_bin_ms": None}}
    net = Network(spec).run(40.0)
    v = net.recording().state["E"]["v_mV"]
    t = v.time_ms.values
    v1 = v.values[:, 1]
    assert np.all(v.values[:, 0] == -65.0)
    assert np.all(v1[t <= 10.0] == -65.0)
    on = (t > 10.0) & (t <= 20.0)
    r_i = 10.0 / 1000.0 * 100.0  # tau_m / C_m * I
    np.testing.assert_allclose(v1[on] + 65.0, r_i * (1 - np.exp(-(t[on] - 10.0) / 10.0)), rtol=1e-9)
    assert np.all(np.diff(v1[t > 20.2]) < 0)


@pytest.mark.parametrize("bad, field", [
    ({"intervals_ms": [[10.0, 5.0]]}, "intervals_ms.0"),
    ({"intervals_ms": [[0.0, 10.0], [5.0, 20.0]]}, "intervals_ms.1"),
    ({"intervals_ms": [[0.0, None], [5.0, 20.0]]}, "intervals_ms.0"),
    ({"sd_pA": -1.0}, "sd_pA"),
    ({"neurons": [5]}, "ou_currents.0.neurons"),
])
def test_ou_validation_names_the_field(bad, field):
    ou = {"name": "x", "target": "E", "mean_pA": 1.0, "sd_pA": 1.0, "tau_ms": 5.0, **bad}
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        spec_from_any({"populations": [{"name": "E", "n_neurons": 2, "model": "lif_psc_exp"}],
                                    "ou_currents": [ou]})


def test_plastic_projection_validation():
    base = smallnet2([])
    two = {**base, "projections": base["projections"] * 2}
    two["projections"] = [dict(p, name=f"p{k}") for k, p in enumerate(two["projections"])]
    with pytest.raises(ConfigError, match="projections.1.plasticity"):
        spec_from_any(two)
    cond = {**base, "populations": [dict(base["populations"][0], model="lif_cond_exp", params={},
                                         receptors=[{"name": "syn", "tau_ms": 5.0, "e_rev_mV": 0.0}])]}
    with pytest.raises(ConfigError, match="projections.0.target"):
        spec_from_any(cond)
    varying = {**base, "projections": [dict(base["projections"][0], delay_ms={"kind": "uniform", "low": 1, "high": 3})]}
    with pytest.raises(ConfigError, match="projections.0.delay_ms"):
        spec_from_any(varying)
    probe = {**base, "record": {"plasticity": [{"variable": "h_mV", "synapses": [[1, 0]]}]}}
    with pytest.raises(ConfigError, match="record.plasticity.0.synapses"):
        Network(probe)  # 1 -> 0 does not exist
    probe = {**base, "record": {"plasticity": [{"variable": "voltage", "neurons": [0]}]}}
    with pytest.raises(ConfigError, match="record.plasticity.0.variable"):
        spec_from_any(probe)


def test_plastic_memory_estimate_and_bytes():
    net = Network(smallnet2([]))
    assert net.memory_estimate.parts["plastic synapses"] == 57 * 5
    assert net.plastic.n_synapses == 5
    assert net.n_synapses == 0  # the static CSR holds none of them


# ------------------------------------------------------------------ counter-based normals
@njit
def _normals(key, step, n):
    out = np.empty(n)
    s = step_stream(np.uint64(key), step)
    for i in range(n):
        out[i] = counter_normal(s, i)
    return out


def test_counter_normal_is_standard_normal_and_reproducible():
    from scipy import stats

    x = _normals(11, 5, 400_000)
    assert stats.kstest(x, "norm").pvalue > 1e-3
    assert abs(x.mean()) < 5 / math.sqrt(x.size)
    assert x.std() == pytest.approx(1.0, abs=5 * math.sqrt(2 / x.size))
    tail = np.mean(np.abs(x) > 3.5)  # the ziggurat's base-strip tail
    assert tail == pytest.approx(2 * stats.norm.sf(3.5), rel=0.25)
    np.testing.assert_array_equal(x[:1000], _normals(11, 5, 1000))
    assert not np.array_equal(x[:1000], _normals(11, 6, 1000))
