"""Generated morphologies (netdyn.cells.generators): the Ball-and-Rall's tree, cylinders."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdyn.cells.generators import (MAX_LEVELS, STUB_FRACTION, ball_and_ralls_tree, ball_and_stick, branches_at_level,
                                     cylinder)
from netdyn.errors import ConfigError


def _diameter(m, b):
    return 2 * m.proximal[m.branch_segments[b][0], 3]


@pytest.mark.parametrize("levels, n_seg", [(1, 1), (3, 2), (5, 1), (5, 3)])
def test_brt_structure_is_a_breadth_first_heap(levels, n_seg):
    m = ball_and_ralls_tree(levels=levels, segments_per_branch=n_seg)
    assert m.n_branches == 2 ** levels  # the soma and 2**levels - 1 dendrites
    assert m.n_segments == 1 + (2 ** levels - 1) * n_seg
    b = np.arange(1, m.n_branches)
    assert m.branch_parent[1:].tolist() == (b // 2).tolist()
    for level in range(1, levels + 1):
        assert branches_at_level(m, level).tolist() == list(range(2 ** (level - 1), 2 ** level))
    assert m.terminal_branches.tolist() == list(range(2 ** (levels - 1), 2 ** levels))
    assert branches_at_level(m, 0).tolist() == [0]
    assert np.all(m.tag[1:] == 3) and m.tag[0] == 1


def test_brt_default_is_31_dendrites_with_rall_forks_and_fixed_lengths():
    m = ball_and_ralls_tree()
    assert m.n_branches - 1 == 31
    np.testing.assert_allclose(m.branch_length_um[1:], 100.0, rtol=1e-12)
    assert m.length_um[0] == pytest.approx(10.0) and m.area_um2[0] == pytest.approx(4 * np.pi * 25)
    assert _diameter(m, 1) == pytest.approx(2.0)
    for parent in range(1, 16):
        d_parent = _diameter(m, parent)
        d_kids = [_diameter(m, 2 * parent), _diameter(m, 2 * parent + 1)]
        assert sum(d ** 1.5 for d in d_kids) == pytest.approx(d_parent ** 1.5, rel=1e-12)
    for s in range(1, m.n_segments):  # cylinders, and each daughter starts where its parent ends
        assert m.proximal[s, 3] == m.distal[s, 3]
        if m.parent[s] > 0:
            np.testing.assert_allclose(m.proximal[s, :3], m.distal[m.parent[s], :3], atol=1e-12)
    # the root leaves the soma's surface at 45 degrees
    np.testing.assert_allclose(m.proximal[1, :3], 5 * np.array([np.sqrt(0.5), np.sqrt(0.5), 0]))
    direction = (m.distal[1, :3] - m.proximal[1, :3]) / 100.0
    np.testing.assert_allclose(direction, [np.sqrt(0.5), np.sqrt(0.5), 0], atol=1e-12)
    # path distances: the soma's length, then 100 um a level
    np.testing.assert_allclose(m.branch_start_um[branches_at_level(m, 5)], 10 + 400)


def test_brt_seed_and_angles_move_points_only():
    a = ball_and_ralls_tree(seed=1)
    b = ball_and_ralls_tree(seed=2)
    c = ball_and_ralls_tree(seed=1, angle_rad=0.3, random_angle_rad=0.0)
    again = ball_and_ralls_tree(seed=1)
    np.testing.assert_array_equal(a.proximal, again.proximal)
    assert not np.allclose(a.distal[:, :3], b.distal[:, :3])
    for other in (b, c):
        np.testing.assert_array_equal(a.parent, other.parent)
        np.testing.assert_array_equal(a.distal[:, 3], other.distal[:, 3])
        np.testing.assert_allclose(a.length_um, other.length_um, rtol=1e-12)
        np.testing.assert_allclose(a.area_um2, other.area_um2, rtol=1e-12)
    # no randomness: the two daughters are symmetric about their parent's direction
    d = c.distal[2, :3] - c.proximal[2, :3]
    e = c.distal[3, :3] - c.proximal[3, :3]
    root = c.distal[1, :3] - c.proximal[1, :3]
    cos = lambda u, v: u @ v / np.linalg.norm(u) / np.linalg.norm(v)
    assert cos(d, root) == pytest.approx(np.cos(0.3)) and cos(e, root) == pytest.approx(np.cos(0.3))


def test_brt_diameter_factor_and_levels():
    m = ball_and_ralls_tree(levels=3, diameter_factor=0.5, root_diameter_um=4.0, branch_length_um=50.0)
    assert [_diameter(m, b) for b in (1, 2, 5)] == pytest.approx([4.0, 2.0, 1.0])
    np.testing.assert_allclose(m.branch_length_um[1:], 50.0)


def test_cylinder_without_soma_is_one_uniform_cable():
    m = cylinder(200.0, 1.5, segments=4)
    assert m.n_branches == 2 and m.branch_segments[0].tolist() == [0]
    assert m.length_um.sum() == pytest.approx(200.0, rel=1e-14)
    assert m.length_um[0] == pytest.approx(STUB_FRACTION * 200.0)
    np.testing.assert_array_equal(np.r_[m.proximal[:, 3], m.distal[:, 3]], 0.75)
    assert m.total_area_um2 == pytest.approx(np.pi * 1.5 * 200.0)
    assert m.locate(m.soma_site()).segment == 0
    assert m.proximal[0, 0] == 0.0 and m.distal[-1, 0] == 200.0


def test_ball_and_stick():
    m = ball_and_stick(soma_radius_um=8.0, dendrite_length_um=300.0, dendrite_diameter_um=2.0, segments=3)
    assert m.area_um2[0] == pytest.approx(4 * np.pi * 64)
    assert m.branch_length_um.tolist() == pytest.approx([16.0, 300.0])
    assert m.branch_start_um[1] == pytest.approx(16.0)
    np.testing.assert_array_equal(m.distal[0, :3], m.proximal[1, :3])  # the stick leaves the soma's end
    assert cylinder(300.0, 2.0, soma_radius_um=8.0, segments=3).total_area_um2 == m.total_area_um2


# --------------------------------------------------------------------------- validation
_BAD = st.sampled_from([0, -1.0, float("nan"), float("inf"), "x", None, True])


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(["branch_length_um", "soma_radius_um", "root_diameter_um", "diameter_factor"]), bad=_BAD)
def test_brt_rejects_bad_sizes_naming_the_parameter(field, bad):
    with pytest.raises(ConfigError) as err:
        ball_and_ralls_tree(levels=2, **{field: bad})
    assert err.value.field == field


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(["levels", "segments_per_branch", "seed"]),
       bad=st.one_of(st.integers(max_value=-1), st.sampled_from([1.5, "2", True, None, MAX_LEVELS + 1])))
def test_brt_rejects_bad_counts_naming_the_parameter(field, bad):
    if field != "levels" and bad == MAX_LEVELS + 1:  # a valid seed or segment count
        bad = -3
    with pytest.raises(ConfigError) as err:
        ball_and_ralls_tree(**{field: bad})
    assert err.value.field == field


@pytest.mark.parametrize("kwargs, field", [(dict(levels=0), "levels"), (dict(segments_per_branch=0), "segments_per_branch"),
                                           (dict(angle_rad=float("nan")), "angle_rad"),
                                           (dict(random_angle_rad=-0.1), "random_angle_rad")])
def test_brt_rejects_edge_values(kwargs, field):
    with pytest.raises(ConfigError) as err:
        ball_and_ralls_tree(**kwargs)
    assert err.value.field == field


@settings(max_examples=40, deadline=None)
@given(field=st.sampled_from(["length_um", "diameter_um", "soma_radius_um", "segments"]), bad=_BAD)
def test_cylinder_rejects_bad_parameters_naming_them(field, bad):
    kwargs = dict(length_um=10.0, diameter_um=1.0, soma_radius_um=3.0, segments=2)
    if field == "segments" and bad == 0:
        bad = 0.5
    kwargs[field] = bad
    if field == "soma_radius_um" and bad is None:
        return  # no soma: valid
    with pytest.raises(ConfigError) as err:
        cylinder(kwargs.pop("length_um"), kwargs.pop("diameter_um"), **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("kwargs, field", [(dict(soma_radius_um=0), "soma_radius_um"),
                                           (dict(dendrite_length_um=-1), "dendrite_length_um"),
                                           (dict(dendrite_diameter_um=float("inf")), "dendrite_diameter_um")])
def test_ball_and_stick_names_its_own_parameters(kwargs, field):
    with pytest.raises(ConfigError) as err:
        ball_and_stick(**kwargs)
    assert err.value.field == field


def test_branches_at_level_validates():
    with pytest.raises(ConfigError, match="level"):
        branches_at_level(ball_and_ralls_tree(levels=2), -1)
