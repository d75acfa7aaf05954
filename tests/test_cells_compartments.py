"""Compartments (netdyn.cells.compartments): the length and d_lambda rules, the table."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdyn.config.biophysics import Biophysics, Passive
from netdyn.cells.compartments import compartment_table, compartments_per_branch, lambda_ac_um
from netdyn.cells.generators import ball_and_ralls_tree, ball_and_stick, cylinder
from netdyn.cells.morphology import Morphology


def _neuron_lambda_f(diam_um, freq_hz, ra_ohm_cm, cm_uF_per_cm2):
    """NEURON's stdlib.hoc lambda_f for a section without 3-d points (um)."""
    return 1e5 * math.sqrt(diam_um / (4 * math.pi * freq_hz * ra_ohm_cm * cm_uF_per_cm2))


def _neuron_nseg(length_um, lam_um, d_lambda):
    """NEURON's d_lambda rule, with its 0.9 slack."""
    return int((length_um / (d_lambda * lam_um) + 0.9) / 2) * 2 + 1


@settings(max_examples=50, deadline=None)
@given(d=st.floats(0.1, 20.0), f=st.floats(1.0, 1e4), ra=st.floats(10.0, 500.0), cm=st.floats(0.3, 3.0))
def test_lambda_ac_is_neurons_lambda_f(d, f, ra, cm):
    assert lambda_ac_um(d, f, ra, cm) == pytest.approx(_neuron_lambda_f(d, f, ra, cm), rel=1e-12)


def test_lambda_ac_value():
    # d = 2 um, 100 Hz, 100 Ohm cm, 1 uF/cm^2: 0.5 sqrt(2e-4 cm / (pi 100 100 1e-6)) = 0.3989 mm
    assert lambda_ac_um(2.0, 100.0, 100.0, 1.0) == pytest.approx(398.942, rel=1e-5)


def test_length_rule_and_soma():
    m = ball_and_ralls_tree(levels=3, segments_per_branch=3)  # 3 x 33.3.. um: no extra compartment from rounding
    n = compartments_per_branch(m, Biophysics(compartment_length_um=10.0))
    assert n.tolist() == [1] + [10] * 7
    assert compartments_per_branch(m, Biophysics(compartment_length_um=30.0)).tolist() == [1] + [4] * 7
    assert compartments_per_branch(m, Biophysics(compartment_length_um=1000.0)).tolist() == [1] * 8
    assert compartments_per_branch(cylinder(100, 1, soma_radius_um=50), Biophysics()).tolist() == [1, 10]


@settings(max_examples=50, deadline=None)
@given(length=st.floats(1.0, 2000.0), d=st.floats(0.2, 10.0), d_lambda=st.floats(0.01, 0.5), f=st.floats(10.0, 1000.0),
       ra=st.floats(30.0, 300.0), cm=st.floats(0.5, 2.0))
def test_d_lambda_rule_is_the_smallest_odd_count_and_neurons_or_next(length, d, d_lambda, f, ra, cm):
    bio = Biophysics(d_lambda=d_lambda, d_lambda_freq_hz=f, passive=Passive(ri_ohm_cm=ra, cm_uF_per_cm2=cm))
    n = int(compartments_per_branch(cylinder(length, d, soma_radius_um=5.0), bio)[1])
    lam = _neuron_lambda_f(d, f, ra, cm)
    assert n % 2 == 1
    assert length / n <= d_lambda * lam * (1 + 1e-9)
    assert n == 1 or length / (n - 2) > d_lambda * lam * (1 - 1e-9)
    assert n - _neuron_nseg(length, lam, d_lambda) in (0, 2)


def test_d_lambda_uses_the_branches_equivalent_diameter():
    # a cone 4 -> 2 um over 300 um: its area / (pi L) is the mean diameter 3 um (to the slant)
    m = Morphology(np.array([[0, 0, 0, 5], [0, 5, 0, 2]], float), np.array([[0, 5, 0, 5], [0, 305, 0, 1]], float),
                   [-1, 0], [1, 3])
    bio = Biophysics(d_lambda=0.1)
    d_eq = m.area_um2[1] / (np.pi * 300.0)
    assert d_eq == pytest.approx(3.0, rel=1e-4)
    lam = lambda_ac_um(d_eq, 100.0, 100.0, 0.91)
    x = 300.0 / (0.1 * lam)
    assert compartments_per_branch(m, bio)[1] == 2 * math.ceil((x - 1) / 2) + 1


def test_table_geometry_sums_to_the_tree():
    m = ball_and_ralls_tree(levels=4, segments_per_branch=3)
    bio = Biophysics(compartment_length_um=7.0)
    t = compartment_table(m, bio)
    assert len(t) == t.counts.sum()
    assert t.counts.tolist() == compartments_per_branch(m, bio).tolist()
    assert t.area_um2.sum() == pytest.approx(m.total_area_um2, rel=1e-12)
    for b in range(m.n_branches):
        rows = slice(t.first[b], t.first[b] + t.counts[b])
        assert t.branch[rows].tolist() == [b] * t.counts[b]
        assert t.index[rows].tolist() == list(range(t.counts[b]))
        assert t.length_um[rows].sum() == pytest.approx(m.branch_length_um[b])
    np.testing.assert_allclose(t.diameter_um[1:t.counts[1] + 1], 2.0)
    # parents: along the branch, then the last compartment of the parent branch; -1 for the soma
    assert t.parent[0] == -1 and np.all(t.parent[1:] < np.arange(1, len(t)))
    assert t.parent[t.first[1]] == 0
    assert t.parent[t.first[2]] == t.first[1] + t.counts[1] - 1
    # centres: distances and points agree with the morphology
    c = t.first[3] + 2
    assert t.distance_um[c] == pytest.approx(m.branch_start_um[3] + 2.5 * 100.0 / t.counts[3])
    np.testing.assert_allclose(t.xyz_um[c], m.point(m.locate(t.site(c))))
    assert t.distance_um[0] == pytest.approx(5.0) and t.length_um[0] == pytest.approx(10.0)


def test_table_splits_cones_exactly():
    # one cone 2 -> 1 um radius over 10 um, cut into 2: each half's area is its own frustum
    m = Morphology(np.array([[0, 0, 0, 3], [0, 6, 0, 2]], float), np.array([[0, 6, 0, 3], [0, 16, 0, 1]], float),
                   [-1, 0], [1, 3])
    t = compartment_table(m, Biophysics(compartment_length_um=5.0))
    frustum = lambda r1, r2, h: np.pi * (r1 + r2) * np.hypot(h, r1 - r2)
    np.testing.assert_allclose(t.area_um2[1:], [frustum(2, 1.5, 5), frustum(1.5, 1, 5)])
    np.testing.assert_allclose(t.xyz_um[1:], [[0, 8.5, 0], [0, 13.5, 0]])


def test_table_arrays_are_read_only():
    t = compartment_table(cylinder(50, 1), Biophysics())
    with pytest.raises(ValueError):
        t.area_um2[0] = 0.0


def test_zero_length_branch_is_one_compartment_with_its_area():
    # a fork with a zero-length daughter that changes radius (its annulus is its area)
    m = Morphology(np.array([[0, 0, 0, 3], [0, 6, 0, 1], [0, 16, 0, 1], [0, 16, 0, 2]], float),
                   np.array([[0, 6, 0, 3], [0, 16, 0, 1], [0, 26, 0, 1], [0, 16, 0, 1]], float),
                   [-1, 0, 1, 1], [1, 3, 3, 3])
    t = compartment_table(m, Biophysics(compartment_length_um=4.0))
    assert t.counts.tolist() == [1, 3, 3, 1]
    assert t.area_um2[-1] == pytest.approx(m.area_um2[3]) and t.length_um[-1] == 0.0
    assert t.diameter_um[-1] == pytest.approx(3.0)
    assert t.area_um2.sum() == pytest.approx(m.total_area_um2)


def test_region_values_win_over_the_cells_and_over_dend():
    p = Passive(g_leak_pS_per_um2=0.5, cm_uF_per_cm2=1.0, ri_ohm_cm=100.0,
                regions={"dend": {"cm_uF_per_cm2": 2.0}, "basal": {"cm_uF_per_cm2": 3.0}, "axon": {"g_leak_pS_per_um2": 200.0}})
    assert p.for_tag(1) == (0.5, 1.0, 100.0)
    assert p.for_tag(2) == (200.0, 1.0, 100.0)
    assert p.for_tag(3) == (0.5, 3.0, 100.0)   # basal wins over dend
    assert p.for_tag(4) == (0.5, 2.0, 100.0)
    assert p.for_tag(7) == (0.5, 1.0, 100.0)   # other SWC types keep the cell's values


def test_d_lambda_uses_each_branchs_region_values():
    m = ball_and_stick(dendrite_length_um=2000.0, dendrite_diameter_um=1.0)
    base = Biophysics(d_lambda=0.1)
    doubled = base.replace(passive=base.passive.replace(regions={"dend": {"cm_uF_per_cm2": 4 * base.passive.cm_uF_per_cm2}}).to_dict())
    n1, n4 = compartments_per_branch(m, base)[1], compartments_per_branch(m, doubled)[1]
    # lambda_AC scales as cm^-1/2: four times the capacitance, about twice the compartments
    assert n4 == pytest.approx(2 * n1, abs=2)
