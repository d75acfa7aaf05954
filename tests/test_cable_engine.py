"""The Arbor cable engine (netdyn.engines.cable.simulate_cell) against passive cable theory
(netdyn.theory.cable) and the synapse models of netdyn.config.biophysics.

Tolerances: compartments of 10 um on cables with lambda ~ 700 um make the second-order
finite-volume error ~ (10/700)^2 ~ 2e-4, and the runs last 15 membrane time constants
(e^-15 ~ 3e-7 of the step left): 1 % leaves a wide margin for the steady states. The synaptic
conductance is integrated exactly (cnexp) and spikes fall on the grid, so its time course is
checked to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("arbor")

from netdyn.cells import (Biophysics, Cell, CurrentClamp, HodgkinHuxley, Morphology, Passive, Site, SynapticInput,
                          VoltageClamp)
from netdyn.config.biophysics import Synapses
from netdyn.engines.cable import simulate_cell
from netdyn.cells.compartments import compartments_per_branch
from netdyn.cells.generators import ball_and_stick
from netdyn.errors import ConfigError
from netdyn.theory import cable as ct

G, RI, E = 1.0, 100.0, -70.0  # pS/um^2 (tau_m = 9.1 ms), Ohm cm, mV
PASSIVE = Passive(g_leak_pS_per_um2=G, e_leak_mV=E, ri_ohm_cm=RI)


def cylinder(length_um: float = 600.0, diameter_um: float = 2.0, n_segments: int = 12, soma_um: float = 10.0) -> Morphology:
    """A uniform cylinder along x: its first soma_um are the soma (tag 1), the rest a dendrite."""
    xs = np.r_[0.0, np.linspace(soma_um, length_um, n_segments)]
    r = diameter_um / 2
    prox = np.array([[x, 0, 0, r] for x in xs[:-1]])
    dist = np.array([[x, 0, 0, r] for x in xs[1:]])
    tag = np.full(len(prox), 3)
    tag[0] = 1
    return Morphology(prox, dist, np.arange(-1, len(prox) - 1), tag, "cylinder")


def ball_and_rall_tree(soma_d: float, stem_d: float, levels: list[float], n_stems: int) -> Morphology:
    """A cylindrical soma (length = diameter, along x) with n_stems symmetric binary trees
    obeying Rall's 3/2 rule, built by hand (2 segments per branch)."""
    prox, dist, parent, tag = [[0, 0, 0, soma_d / 2]], [[soma_d, 0, 0, soma_d / 2]], [-1], [1]

    def grow(start, direction, level, par, d):
        end = start + direction * levels[level]
        mid = 0.5 * (start + end)
        for a, b in ((start, mid), (mid, end)):
            prox.append([*a, d / 2])
            dist.append([*b, d / 2])
            parent.append(par)
            tag.append(3)
            par = len(parent) - 1
        if level + 1 < len(levels):
            for s in (-1, 1):
                c, sn = np.cos(0.5 * s), np.sin(0.5 * s)
                new = np.array([c * direction[0] - sn * direction[1], sn * direction[0] + c * direction[1], 0.0])
                grow(end, new, level + 1, par, d * 2 ** (-2 / 3))

    for k in range(n_stems):
        ang = (k - (n_stems - 1) / 2) * 0.8
        grow(np.array([soma_d, 0.0, 0.0]), np.array([np.cos(ang), np.sin(ang), 0.0]), 0, 0, stem_d)
    return Morphology(np.array(prox, float), np.array(dist, float), np.array(parent), np.array(tag), "ball-and-rall")


def steady_state(cell: Cell, inject: Site, sites: list[Site], amplitude_nA: float = 0.01) -> np.ndarray:
    """Voltage deflections (mV) at sites after 15 membrane time constants of a current step."""
    tau = PASSIVE.cm_uF_per_cm2 * 1e-6 / (G * 1e-4) * 1e3  # ms
    ds = simulate_cell(cell, [], duration_ms=round(15 * tau), dt_ms=0.1, clamps=[CurrentClamp(inject, amplitude_nA)],
                       record_sites=sites, sample_every=10)
    return ds.v_mV.values[0, :, -1] - E


def test_sealed_cylinder_input_resistance_and_attenuation():
    L, d = 600.0, 2.0
    m = cylinder(L, d)
    sites = [Site(0, 0.0)] + [Site(1, x) for x in (100.0, 300.0, 500.0, L)]
    dv = steady_state(Cell(m, Biophysics(passive=PASSIVE)), Site(0, 0.0), sites, amplitude_nA=0.01)
    r_in = dv[0] / 0.01  # mV / nA = MOhm
    assert r_in == pytest.approx(ct.sealed_cylinder_input_resistance_MOhm(L, d, G, RI), rel=0.01)
    x = np.array([s.distance_um for s in sites])
    assert dv / dv[0] == pytest.approx(ct.sealed_cylinder_attenuation(x, L, d, G, RI), rel=0.01)


def test_ball_and_rall_tree_input_resistance_and_attenuation():
    soma_d, stem_d, levels = 20.0, 2.0, [150.0, 120.0, 100.0]
    m = ball_and_rall_tree(soma_d, stem_d, levels, n_stems=2)
    assert m.n_branches == 1 + 2 * 7
    cell = Cell(m, Biophysics(passive=PASSIVE))
    soma_area = np.pi * soma_d * soma_d
    leaf = int(m.terminal_branches[0])
    tip = m.site_at_fraction(leaf, 1.0)
    dv = steady_state(cell, m.soma_site(), [m.soma_site()], amplitude_nA=0.02)
    r_in = dv[0] / 0.02
    g_theory = ct.ball_and_rall_tree_input_conductance_nS(soma_area, stem_d, levels, G, RI, n_stems=2)
    assert r_in == pytest.approx(1e3 / g_theory, rel=0.01)
    dv = steady_state(cell, tip, [tip, m.soma_site()], amplitude_nA=0.01)
    att = ct.ball_and_rall_tree_attenuation(soma_area, stem_d, levels, G, RI, fraction=1.0, n_stems=2)
    assert dv[1] / dv[0] == pytest.approx(att, rel=0.01)


def test_compartments_per_branch_are_arbors_cvs():
    m = ball_and_rall_tree(20.0, 2.0, [155.0, 120.0, 95.0], n_stems=2)
    for bio in (Biophysics(passive=PASSIVE, compartment_length_um=10.0), Biophysics(passive=PASSIVE, d_lambda=0.1)):
        n = compartments_per_branch(m, bio)
        assert n[0] == 1
        ds = simulate_cell(Cell(m, bio), [], duration_ms=0.1, dt_ms=0.1, tree_times_ms=[0.0])
        assert np.array_equal(np.bincount(ds.cv_branch.values, minlength=m.n_branches), n)
        # the CVs tile the tree: their areas add up to the membrane's
        assert ds.cv_area_um2.sum() == pytest.approx(m.total_area_um2, rel=1e-9)
        assert ds.attrs["n_cv"] == n.sum() + np.sum(m.n_children > 1)  # and a zero-extent CV at each fork point
    assert np.array_equal(compartments_per_branch(m, Biophysics(compartment_length_um=10.0))[1:3], [16, 12])


def _double_exp(t_ms: np.ndarray, tau_rise: float, tau_decay: float) -> np.ndarray:
    tp = tau_rise * tau_decay / (tau_decay - tau_rise) * np.log(tau_decay / tau_rise)
    f = 1 / (np.exp(-tp / tau_decay) - np.exp(-tp / tau_rise))
    return np.where(t_ms >= 0, f * (np.exp(-t_ms / tau_decay) - np.exp(-t_ms / tau_rise)), 0.0)


def _double_exp_arbor(t_ms: np.ndarray, tau_rise: float, tau_decay: float, dt: float) -> np.ndarray:
    """The same, as Arbor integrates it: its ``cnexp`` advances ``x' = -x/tau`` by the (1,1)
    Pade approximant of ``exp(-dt/tau)``, ``(1 - dt/2tau) / (1 + dt/2tau)`` (second order)."""
    tp = tau_rise * tau_decay / (tau_decay - tau_rise) * np.log(tau_decay / tau_rise)
    f = 1 / (np.exp(-tp / tau_decay) - np.exp(-tp / tau_rise))
    k = np.round(t_ms / dt)
    pade = lambda tau: ((1 - dt / (2 * tau)) / (1 + dt / (2 * tau))) ** np.maximum(k, 0)  # noqa: E731
    return np.where(t_ms >= 0, f * (pade(tau_decay) - pade(tau_rise)), 0.0)


def soma_only() -> Morphology:
    return Morphology(np.array([[0.0, 0, 0, 10]]), np.array([[20.0, 0, 0, 10]]), np.array([-1]), np.array([1]), "soma")


def test_ampa_conductance_is_q_times_normalised_double_exponential():
    syn = Synapses()
    cell = Cell(soma_only(), Biophysics(passive=PASSIVE, synapses=syn))
    site = Site(0, 10.0)
    ds = simulate_cell(cell, [SynapticInput(site, "ampa", np.array([2.0]), weight=1.5)], duration_ms=20.0, dt_ms=0.025,
                       record_sites=[site], record_currents=True)
    t = ds.time_ms.values
    i = ds.i_syn_nA.values[0, 0]
    v = ds.v_mV.values[0, 0]
    g = i / (v - syn.ampa.e_rev_mV) * 1e3  # nS
    expected = 1.5 * syn.ampa.q_nS * _double_exp_arbor(t - 2.0, syn.ampa.tau_rise_ms, syn.ampa.tau_decay_ms, 0.025)
    # the solver evaluates the current with the voltage of a neighbouring step: the error is
    # bounded by the voltage change per step over the driving force
    dv = np.abs(np.diff(v, prepend=v[0], append=v[-1]))
    tol = 2 * np.maximum(dv[:-1], dv[1:]) / np.abs(v - syn.ampa.e_rev_mV) + 1e-9
    assert np.all(np.abs(g - expected) <= tol * expected + 1e-12)
    assert np.abs(g - expected).max() < 1e-3 * expected.max()
    assert g.max() == pytest.approx(1.5 * syn.ampa.q_nS, rel=1e-3)  # peak on the grid, within a step of tp
    assert i.min() < 0  # inward at rest: positive = outward
    assert ds.synapse_receptor.values.tolist() == ["ampa"]
    # at a clamped voltage the conductance is Arbor's discretised double exponential
    ds = simulate_cell(cell, [SynapticInput(site, "gaba", np.array([2.0]))], duration_ms=20.0, dt_ms=0.025,
                       record_sites=[site], record_currents=True, clamps=[VoltageClamp(site, -50.0, 1e-4)])
    g = ds.i_syn_nA.values[0, 0] / (ds.v_mV.values[0, 0] - syn.gaba.e_rev_mV) * 1e3
    tau_r, tau_d = syn.gaba.tau_rise_ms, syn.gaba.tau_decay_ms
    # (the clamped voltage still moves by ~1e-5 mV between steps: 1e-6 of the driving force)
    assert np.allclose(g, syn.gaba.q_nS * _double_exp_arbor(t - 2.0, tau_r, tau_d, 0.025), rtol=1e-6, atol=1e-12)
    # against the exact exponentials: the Pade step changes the rates by (dt/tau)^2/12, which
    # near the onset is a relative error of (dt/tau_rise)^2/12 / (1 - tau_rise/tau_decay)
    exact = syn.gaba.q_nS * _double_exp(t - 2.0, tau_r, tau_d)
    bound = (0.025 / tau_r) ** 2 / 12 / (1 - tau_r / tau_d)
    assert np.all(np.abs(g - exact) <= 1.01 * bound * exact + 1e-12)
    assert ds.i_syn_nA.values[0, 0].max() > 0  # GABA at -50 mV with e_rev -80 mV: outward


def test_nmda_current_under_voltage_clamp_follows_the_magnesium_block():
    syn = Synapses()
    n = syn.nmda
    cell = Cell(soma_only(), Biophysics(passive=PASSIVE, synapses=syn))
    site = Site(0, 10.0)
    for v_c in (-80.0, -40.0, -10.0, 20.0):
        ds = simulate_cell(cell, [SynapticInput(site, "nmda", np.array([1.0]))], duration_ms=40.0, dt_ms=0.025,
                           clamps=[VoltageClamp(site, v_c, 1e-3)], record_sites=[site], record_currents=True)
        t = ds.time_ms.values
        v = ds.v_mV.values[0, 0]
        i = ds.i_syn_nA.values[0, 0]
        on = t >= 5.0
        assert np.abs(v[on] - v_c).max() < 1e-3  # the clamp holds
        block = 1 / (1 + n.eta_mg_per_mM * n.c_mg_mM * np.exp(-v / n.v0_mV))
        expected = n.q_nS * 1e-3 * _double_exp(t - 1.0, n.tau_rise_ms, n.tau_decay_ms) * (v - n.e_rev_mV) * block
        assert i[on] == pytest.approx(expected[on], rel=0.01)
        # the clamp supplies the synaptic and leak currents: injected = outward membrane current
        leak = G * 1e-3 * np.pi * 20 * 20 * (v - E) * 1e-3  # nS * mV = pA -> nA
        assert ds.i_clamp_nA.values[0, 0, -1] == pytest.approx(i[-1] + leak[-1], rel=0.01)


def _inputs(seed: int, m: Morphology, n: int = 6) -> list[SynapticInput]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        b = int(rng.integers(1, m.n_branches))
        out.append(SynapticInput(m.site_at_fraction(b, float(rng.uniform())), ("ampa", "ampa+nmda", "gaba")[k % 3],
                                 np.sort(np.round(rng.uniform(0, 20, 3), 1))))
    return out


def test_trials_equal_separate_runs_and_threads_do_not_matter():
    m = ball_and_rall_tree(20.0, 2.0, [100.0, 80.0], n_stems=2)
    cell = Cell(m, Biophysics(passive=PASSIVE, hh=HodgkinHuxley()))
    trials = [_inputs(1, m), _inputs(2, m, 4)]
    kw = dict(duration_ms=25.0, record_sites=[m.soma_site(), m.site_at_fraction(3, 0.5)], record_currents=True,
              tree_times_ms=[10.0, 20.0])
    both = simulate_cell(cell, trials, **kw)
    assert both.sizes["trial"] == 2 and both.sizes["synapse"] == 8  # 6 inputs, 2 of them ampa+nmda
    for g, trial in enumerate(trials):
        one = simulate_cell(cell, trial, **kw)
        n_syn = one.sizes["synapse"]
        assert np.array_equal(both.v_mV.values[g], one.v_mV.values[0])
        assert np.array_equal(both.v_tree_mV.values[g], one.v_tree_mV.values[0])
        assert np.array_equal(both.i_syn_nA.values[g, :n_syn], one.i_syn_nA.values[0])
        assert np.all(np.isnan(both.i_syn_nA.values[g, n_syn:]))  # padding of the shorter trial
    two = simulate_cell(cell, trials, threads=2, **kw)
    for name in ("v_mV", "v_tree_mV", "i_syn_nA"):
        assert np.array_equal(two[name].values, both[name].values, equal_nan=True)


def test_hh_soma_fires_under_a_current_step():
    m = ball_and_rall_tree(20.0, 2.0, [100.0], n_stems=1)
    cell = Cell(m, Biophysics(passive=Passive(), hh=HodgkinHuxley()))
    ds = simulate_cell(cell, [], duration_ms=100.0, clamps=[CurrentClamp(m.soma_site(), 0.3, 20.0, 60.0)],
                       record_sites=[m.soma_site()], sample_every=4)
    v = ds.v_mV.values[0, 0]
    t = ds.time_ms.values
    spikes = t[1:][(v[1:] >= 0) & (v[:-1] < 0)]
    assert len(spikes) >= 2 and spikes.min() > 20.0 and spikes.max() < 85.0
    assert v[t < 20].max() < -60  # rests before the step
    assert ds.i_clamp_nA.values[0, 0, t.searchsorted(50.0)] == 0.3


def test_errors_name_fields_before_running():
    m = cylinder()
    cell = Cell(m, Biophysics(passive=PASSIVE))
    cases = [
        (dict(backend="neuron"), "backend"),
        (dict(dt_ms=0.0), "dt_ms"),
        (dict(duration_ms=10.01), "duration_ms"),
        (dict(record_sites=[Site(1, 5000.0)]), "record_sites[0].distance_um"),
        (dict(record_sites=[Site(9, 5.0)]), "record_sites[0].branch"),
        (dict(tree_times_ms=[10.0]), "tree_times_ms[0]"),
        (dict(tree_times_ms=[1.01]), "tree_times_ms[0]"),
        (dict(clamps=[VoltageClamp(Site(0, 1.0), -70.0, 0.0)]), "clamps[0].series_resistance_MOhm"),
        (dict(sample_every=0), "sample_every"),
    ]
    for kw, field in cases:
        args = dict(duration_ms=10.0, dt_ms=0.025) | kw
        with pytest.raises(ConfigError) as e:
            simulate_cell(cell, [], **args)
        assert e.value.field == field, kw
    with pytest.raises(ConfigError) as e:
        simulate_cell(cell, [[SynapticInput(Site(1, 900.0), "ampa", np.array([1.0]))]], duration_ms=1.0)
    assert e.value.field == "inputs[0][0].site.distance_um"


def test_blow_up_says_where_and_when():
    from netdyn.engines.cable.arbor import CableInstabilityError

    m = soma_only()
    cell = Cell(m, Biophysics(passive=PASSIVE))
    # an absurd clamp: 1e300 nA into a 1257 um^2 soma overflows the voltage
    with pytest.raises(CableInstabilityError) as e:
        simulate_cell(cell, [], duration_ms=2.0, clamps=[CurrentClamp(Site(0, 10.0), 1e308, 0.5, 1.0)],
                      record_sites=[Site(0, 10.0)])
    assert e.value.trial == 0 and 0.5 <= e.value.time_ms <= 1.0 and "site 0" in str(e.value)


def test_progress_reports_every_step_once():
    m = soma_only()
    steps = []
    simulate_cell(Cell(m, Biophysics(passive=PASSIVE)), [], duration_ms=10.0, dt_ms=0.1, progress=steps.append)
    assert sum(steps) == 100 and len(steps) == 20


def test_missing_arbor_or_compiler_is_one_config_error_on_backend(monkeypatch):
    import sys

    from netdyn.engines.cable import catalogue

    monkeypatch.setattr(catalogue.shutil, "which", lambda name: None)
    monkeypatch.setattr(catalogue.os, "environ", {})
    monkeypatch.setattr(sys.modules["arbor"], "config", lambda: {"CXX": "/nonexistent/g++"})
    with pytest.raises(ConfigError) as e:
        catalogue._tools()
    assert e.value.field == "backend" and e.value.value == "arbor"
    assert "C++ compiler" in e.value.reason and "cmake" in e.value.reason and "netdyn[cells]" in e.value.reason
    monkeypatch.setitem(sys.modules, "arbor", None)  # import arbor -> ImportError
    with pytest.raises(ConfigError) as e:
        catalogue.require_arbor()
    assert e.value.field == "backend" and "pip install netdyn[cells]" in e.value.reason


@pytest.mark.slow
def test_two_processes_build_the_catalogue_at_once(tmp_path):
    """Both compile into a fresh cache; one rename wins and both load a working catalogue."""
    import os
    import subprocess
    import sys

    code = ("from netdyn.engines.cable.catalogue import load_catalogue, catalogue_path; "
            "c = load_catalogue(); assert 'nmda_mg' in c and 'hh_traub' in c; print(catalogue_path())")
    env = dict(os.environ, NETDYN_CACHE_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    paths = [p.communicate(timeout=600)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert paths[0] == paths[1] and os.path.exists(paths[0])
    root = tmp_path / "arbor-catalogue"
    assert [p.name for p in root.iterdir()] == [os.path.basename(os.path.dirname(paths[0]))]  # no temporary left


def test_each_synapse_current_is_its_own():
    """Several synapses of one kind at one place, different weights and times: each recorded
    current follows its own conductance (the engine maps Arbor's probe to the inputs)."""
    syn = Synapses()
    cell = Cell(soma_only(), Biophysics(passive=PASSIVE, synapses=syn))
    site = Site(0, 10.0)
    inputs = [SynapticInput(site, "ampa+nmda", np.array([1.0]), 0.5), SynapticInput(site, "gaba", np.array([2.0]), 2.0),
              SynapticInput(site, "ampa", np.array([3.0]), 3.0), SynapticInput(site, "nmda", np.array([4.0]), 1.0)]
    ds = simulate_cell(cell, inputs, duration_ms=10.0, record_sites=[site], record_currents=True,
                       clamps=[VoltageClamp(site, -30.0, 1e-4)])
    assert ds.synapse_input.values.tolist() == [0, 0, 1, 2, 3]
    assert ds.synapse_receptor.values.tolist() == ["ampa", "nmda", "gaba", "ampa", "nmda"]
    t, v = ds.time_ms.values, ds.v_mV.values[0, 0]
    for k, (x, receptor) in enumerate([(0, "ampa"), (0, "nmda"), (1, "gaba"), (2, "ampa"), (3, "nmda")]):
        r = getattr(syn, receptor)
        g = inputs[x].weight * r.q_nS * 1e-3 * _double_exp_arbor(t - inputs[x].spike_times_ms[0], r.tau_rise_ms,
                                                                 r.tau_decay_ms, 0.025)
        block = 1 / (1 + r.eta_mg_per_mM * r.c_mg_mM * np.exp(-v / r.v0_mV)) if receptor == "nmda" else 1.0
        assert np.allclose(ds.i_syn_nA.values[0, k], g * (v - r.e_rev_mV) * block, rtol=1e-6, atol=1e-15)


def test_hh_soma_matches_an_independent_integration_of_the_traub_miles_equations():
    """A one-compartment HH cell against scipy's integration of the equations as written in
    netdyn.config.biophysics: the same spikes, with spike-time errors that shrink in
    proportion to dt (Arbor's implicit Euler voltage step is first order)."""
    from scipy.integrate import solve_ivp

    hh, p = HodgkinHuxley(), Passive()
    m = soma_only()
    area = m.total_area_um2
    amp, t_on, t_off, T = 0.2, 5.0, 45.0, 50.0

    def vtrap(x, y):
        return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / np.expm1(x / y)

    def rates(v):
        v2 = v - hh.vt_mV
        return (0.32 * vtrap(13 - v2, 4), 0.28 * vtrap(v2 - 40, 5), 0.032 * vtrap(15 - v2, 5),
                0.5 * np.exp((10 - v2) / 40), 0.128 * np.exp((17 - v2) / 18), 4 / (1 + np.exp((40 - v2) / 5)))

    c_pF = p.cm_uF_per_cm2 * 1e-2 * area
    g_na, g_k, g_l = (x * 1e-3 * area for x in (hh.g_na_pS_per_um2, hh.g_k_pS_per_um2, p.g_leak_pS_per_um2))  # nS

    def rhs(t, y):
        v, mm, n, h = y
        am, bm, an, bn, ah, bh = rates(v)
        i_ion = g_na * mm ** 3 * h * (v - hh.e_na_mV) + g_k * n ** 4 * (v - hh.e_k_mV) + g_l * (v - p.e_leak_mV)  # pA
        inj = amp * 1e3 if t_on <= t < t_off else 0.0
        return [(inj - i_ion) / c_pF, hh.tadj * (am * (1 - mm) - bm * mm), hh.tadj * (an * (1 - n) - bn * n),
                hh.tadj * (ah * (1 - h) - bh * h)]

    am, bm, an, bn, ah, bh = rates(p.v_rest_mV)
    sol = solve_ivp(rhs, (0, T), [p.v_rest_mV, am / (am + bm), an / (an + bn), ah / (ah + bh)], max_step=0.01,
                    rtol=1e-8, atol=1e-10, dense_output=True)
    tt = np.arange(0, T, 0.001)
    vv = sol.sol(tt)[0]
    ref = tt[1:][(vv[1:] >= 0) & (vv[:-1] < 0)]
    assert len(ref) >= 5
    errors = []
    for dt in (0.025, 0.01):
        ds = simulate_cell(Cell(m, Biophysics(passive=p, hh=hh)), [], duration_ms=T, dt_ms=dt,
                           clamps=[CurrentClamp(Site(0, 10.0), amp, t_on, t_off - t_on)], record_sites=[Site(0, 10.0)])
        v, t = ds.v_mV.values[0, 0], ds.time_ms.values
        spikes = t[1:][(v[1:] >= 0) & (v[:-1] < 0)]
        assert len(spikes) == len(ref)
        errors.append(np.abs(spikes - ref).max())
    assert errors[0] < 0.25  # ms, after 9 spikes at dt = 0.025 ms
    assert 0.25 < errors[1] / errors[0] < 0.6  # first order: 0.4 expected


def test_passive_parameters_per_region():
    """A soma with its own leak and a dendrite with another: the input resistance is the
    soma's membrane in parallel with the sealed cylinder of the dendrite's values; setting
    every region to the cell's values changes nothing."""
    soma_r, L, d = 10.0, 600.0, 2.0
    m = ball_and_stick(soma_radius_um=soma_r, dendrite_length_um=L, dendrite_diameter_um=d)
    g_dend, ri_dend = 3.0 * G, 0.5 * RI
    passive = PASSIVE.replace(regions={"dend": {"g_leak_pS_per_um2": g_dend, "ri_ohm_cm": ri_dend}})
    soma = m.soma_site()
    dv = steady_state(Cell(m, Biophysics(passive=passive)), soma, [soma], amplitude_nA=0.01)
    g_soma_nS = 4 * np.pi * soma_r ** 2 * G * 1e-3  # pS/um^2 * um^2 = pS
    g_in = g_soma_nS + ct.sealed_cylinder_input_conductance_nS(L, d, g_dend, ri_dend)
    assert dv[0] / 0.01 == pytest.approx(1e3 / g_in, rel=0.01)
    # capacitance per region: a region set to the cell's own values is the same cell
    same = PASSIVE.replace(regions={"soma": {"cm_uF_per_cm2": PASSIVE.cm_uF_per_cm2}, "dend": {"ri_ohm_cm": RI}})
    inputs = [SynapticInput(m.site_at_fraction(1, 0.8), "ampa", [1.0])]
    a, b = (simulate_cell(Cell(m, Biophysics(passive=p)), inputs, duration_ms=20.0, record_sites=[soma]).v_mV.values
            for p in (PASSIVE, same))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    # a doubled dendritic capacitance slows the somatic EPSP
    slow = PASSIVE.replace(regions={"dend": {"cm_uF_per_cm2": 2 * PASSIVE.cm_uF_per_cm2}})
    c = simulate_cell(Cell(m, Biophysics(passive=slow)), inputs, duration_ms=20.0, record_sites=[soma]).v_mV.values
    assert np.argmax(c[0, 0]) > np.argmax(a[0, 0]) and c[0, 0].max() < a[0, 0].max()
