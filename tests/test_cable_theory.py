"""Closed forms of passive cable theory (netdyn.theory.cable) against each other and against
hand-computed values: the recursion and the exact network solution of a tree, Rall's
equivalent cylinder, reciprocity."""

from __future__ import annotations

import numpy as np
import pytest

from netdyn.errors import ConfigError
from netdyn.theory import cable as ct

D, G, RI = 2.0, 1.0, 100.0  # um, pS/um^2 (Rm = 1e4 Ohm cm^2), Ohm cm


def test_length_constant_and_g_inf_by_hand():
    # lambda = sqrt(d Rm / 4 Ri) = sqrt(2e-4 cm * 1e4 Ohm cm^2 / 400 Ohm cm) = sqrt(5e-3) cm
    assert ct.length_constant_um(D, G, RI) == pytest.approx(np.sqrt(5e-3) * 1e4, rel=1e-12)
    # G_inf = pi d lambda / Rm = pi * 2e-4 cm * 0.0707 cm / 1e4 Ohm cm^2 (S) -> nS
    assert ct.infinite_cylinder_conductance_nS(D, G, RI) == pytest.approx(np.pi * 2e-4 * np.sqrt(5e-3) / 1e4 * 1e9, rel=1e-12)
    # a short sealed cylinder is isopotential: G_in -> g_leak * area
    area = np.pi * D * 1.0  # um^2 of a 1 um long cylinder
    assert ct.sealed_cylinder_input_conductance_nS(1.0, D, G, RI) == pytest.approx(G * area * 1e-3, rel=1e-5)
    assert ct.sealed_cylinder_input_resistance_MOhm(500.0, D, G, RI) == pytest.approx(
        1e3 / (ct.infinite_cylinder_conductance_nS(D, G, RI) * np.tanh(500.0 / ct.length_constant_um(D, G, RI))))


def test_loaded_cylinder_limits():
    g_inf = ct.infinite_cylinder_conductance_nS(D, G, RI)
    # loaded by G_inf, a finite cylinder looks infinite
    assert ct.loaded_cylinder_input_conductance_nS(300.0, D, G, RI, g_inf) == pytest.approx(g_inf, rel=1e-12)
    x = np.linspace(0, 300, 7)
    lam = ct.length_constant_um(D, G, RI)
    assert np.allclose(ct.loaded_cylinder_voltage_ratio(x, 300.0, D, G, RI, g_inf), np.exp(-x / lam), rtol=1e-12)
    assert np.allclose(ct.sealed_cylinder_attenuation(x, 300.0, D, G, RI), np.cosh((300 - x) / lam) / np.cosh(300 / lam))


def test_network_solution_of_one_cylinder_matches_closed_forms():
    L = 600.0
    lam = ct.length_constant_um(D, G, RI)
    r_in, r_soma = ct.cylinder_tree_resistances_MOhm([-1], [L], [D], G, RI, 0.0, 0, 0.0)
    assert r_in == pytest.approx(ct.sealed_cylinder_input_resistance_MOhm(L, D, G, RI), rel=1e-10)
    assert r_soma == pytest.approx(r_in)
    # current at the far end: V(0)/V(L) = 1/cosh(L/lambda); transfer resistance 1/(G_inf sinh)
    r_tip, r_0 = ct.cylinder_tree_resistances_MOhm([-1], [L], [D], G, RI, 0.0, 0, L)
    assert r_0 / r_tip == pytest.approx(1 / np.cosh(L / lam), rel=1e-10)
    assert r_0 == pytest.approx(ct.sealed_cylinder_transfer_resistance_MOhm(L, D, G, RI), rel=1e-10)
    # reciprocity: V(0)/I(x) = V(x)/I(0) = R_in(0) cosh((L-x)/lambda)/cosh(L/lambda)
    for x in (100.0, 350.0):
        _, r_x0 = ct.cylinder_tree_resistances_MOhm([-1], [L], [D], G, RI, 0.0, 0, x)
        assert r_x0 == pytest.approx(r_in * ct.sealed_cylinder_attenuation(x, L, D, G, RI), rel=1e-10)


def test_ball_and_rall_tree_recursion_equivalent_cylinder_and_network_agree():
    levels = [150.0, 120.0, 100.0]
    soma_area = np.pi * 20.0 * 20.0
    parent, length, diameter = ct.ball_and_rall_tree(D, levels, n_stems=2)
    assert len(parent) == 2 * (1 + 2 + 4)
    assert diameter[1] == pytest.approx(ct.rall_child_diameter_um(D))
    g = ct.ball_and_rall_tree_input_conductance_nS(soma_area, D, levels, G, RI, n_stems=2)
    # Rall's equivalent cylinder: each stem's tree = a cylinder of diameter D and electrotonic
    # length sum_k L_k / lambda_k
    ell = sum(L / ct.length_constant_um(D * 2 ** (-2 * k / 3), G, RI) for k, L in enumerate(levels))
    g_eq = G * soma_area * 1e-3 + 2 * ct.infinite_cylinder_conductance_nS(D, G, RI) * np.tanh(ell)
    assert g == pytest.approx(g_eq, rel=1e-10)
    r_in, _ = ct.cylinder_tree_resistances_MOhm(parent, length, diameter, G, RI, G * soma_area * 1e-3, 0, 0.0)
    assert 1e3 / r_in == pytest.approx(g, rel=1e-10)
    att = ct.ball_and_rall_tree_attenuation(soma_area, D, levels, G, RI, fraction=1.0, n_stems=2)
    assert 0 < att < 1


def test_errors_name_fields():
    with pytest.raises(ConfigError) as e:
        ct.length_constant_um(-1.0, G, RI)
    assert e.value.field == "diameter_um"
    with pytest.raises(ConfigError) as e:
        ct.cylinder_tree_resistances_MOhm([-1], [100.0], [D], G, RI, 0.0, 0, 150.0)
    assert e.value.field == "site_x_um"
    with pytest.raises(ConfigError) as e:
        ct.ball_and_rall_tree(D, [100.0], n_stems=0)
    assert e.value.field == "n_stems"
