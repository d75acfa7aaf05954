"""The Morphology record (netdyn.cells.morphology): branches, distances, locate, errors."""

from __future__ import annotations

import numpy as np
import pytest

from netdyn.cells.morphology import Location, Morphology, Site
from netdyn.errors import ConfigError


def _y_tree() -> Morphology:
    """Soma (0..10 along y, r 5), a 2-segment dendrite trunk (10..30), forking into two
    one-segment daughters (30..40) and a cone (r 1 -> 0.5)."""
    prox = [[0, 0, 0, 5], [0, 10, 0, 1], [0, 20, 0, 1], [0, 30, 0, 0.5], [0, 30, 0, 0.5]]
    dist = [[0, 10, 0, 5], [0, 20, 0, 1], [0, 30, 0, 1], [10, 30, 0, 0.5], [-10, 30, 0, 0.25]]
    return Morphology(np.array(prox, float), np.array(dist, float), np.array([-1, 0, 1, 2, 2]),
                      np.array([1, 3, 3, 3, 3]), "y")


def test_branches_follow_forks_and_tags():
    m = _y_tree()
    assert m.n_branches == 4
    assert m.segment_branch.tolist() == [0, 1, 1, 2, 3]
    assert [s.tolist() for s in m.branch_segments] == [[0], [1, 2], [3], [4]]
    assert m.branch_parent.tolist() == [-1, 0, 1, 1]
    assert m.branch_order.tolist() == [0, 1, 2, 2]
    assert m.terminal_branches.tolist() == [2, 3]
    assert m.branch_path(3).tolist() == [0, 1, 3]
    np.testing.assert_allclose(m.branch_length_um, [10, 20, 10, 10])
    np.testing.assert_allclose(m.branch_start_um, [0, 10, 30, 30])


def test_tag_change_starts_a_branch_without_a_fork():
    prox = np.array([[0, 0, 0, 1], [0, 1, 0, 1], [0, 2, 0, 1]], float)
    dist = np.array([[0, 1, 0, 1], [0, 2, 0, 1], [0, 3, 0, 1]], float)
    m = Morphology(prox, dist, [-1, 0, 1], [1, 3, 4])
    assert m.segment_branch.tolist() == [0, 1, 2]
    assert m.branch_tag.tolist() == [1, 3, 4]


def test_geometry_of_cones_and_distances():
    m = _y_tree()
    np.testing.assert_allclose(m.length_um, [10, 10, 10, 10, 10])
    np.testing.assert_allclose(m.area_um2[0], 2 * np.pi * 5 * 10)
    np.testing.assert_allclose(m.area_um2[4], np.pi * 0.75 * np.sqrt(100 + 0.25 ** 2))
    np.testing.assert_allclose(m.path_distance_um, [10, 20, 30, 40, 40])
    np.testing.assert_allclose(m.proximal_distance_um, [0, 10, 20, 30, 30])
    assert m.total_area_um2 == pytest.approx(m.area_um2.sum())


def test_locate_and_back():
    m = _y_tree()
    assert m.locate(Site(1, 10.0)) == Location(1, 0.0)
    assert m.locate(Site(1, 25.0)) == Location(2, 0.5)
    assert m.locate(Site(1, 20.0)) == Location(1, 1.0)  # the shared end belongs to the first
    assert m.locate(Site(3, 40.0)) == Location(4, 1.0)
    assert m.locate(m.soma_site()) == Location(0, 0.5)
    np.testing.assert_allclose(m.point(m.locate(Site(2, 35.0))), [5, 30, 0])
    site = m.site_at_fraction(1, 0.25)
    assert site == Site(1, 15.0)
    assert m.locate(Site(1, 30.0 + 1e-12)) == Location(2, 1.0)  # rounding at the end is forgiven


@pytest.mark.parametrize("site, field", [(Site(4, 0.0), "branch"), (Site(-1, 0.0), "branch"), (Site(1.5, 12.0), "branch"),
                                         (Site(True, 12.0), "branch"), (Site(1, 5.0), "distance_um"),
                                         (Site(2, 41.0), "distance_um"), (Site(2, float("nan")), "distance_um")])
def test_locate_rejects_sites_off_the_tree(site, field):
    with pytest.raises(ConfigError) as err:
        _y_tree().locate(site)
    assert err.value.field == field


def test_site_at_fraction_rejects_bad_fractions():
    with pytest.raises(ConfigError, match="fraction"):
        _y_tree().site_at_fraction(1, 1.5)


def test_with_segments_keeps_a_subtree_and_merges_branches():
    m = _y_tree().with_segments(np.array([True, True, True, True, False]), name="cut")
    assert m.name == "cut" and m.n_segments == 4
    assert m.segment_branch.tolist() == [0, 1, 1, 1]  # the fork is gone: one dendrite branch
    with pytest.raises(ConfigError, match="keep"):
        _y_tree().with_segments(np.array([True, False, True, True, True]))  # orphan
    with pytest.raises(ConfigError, match="keep"):
        _y_tree().with_segments(np.array([True, True]))  # wrong shape
    with pytest.raises(ConfigError, match="keep"):
        _y_tree().with_segments(np.array([1, 1, 1, 1, 0]))  # not a mask


def test_arrays_are_read_only():
    m = _y_tree()
    with pytest.raises(ValueError):
        m.proximal[0, 0] = 1.0


def _one(prox=((0, 0, 0, 1),), dist=((0, 1, 0, 1),), parent=(-1,), tag=(1,)):
    return Morphology(np.array(prox, float), np.array(dist, float), np.array(parent), np.array(tag))


@pytest.mark.parametrize("kwargs, field", [
    (dict(prox=((0, 0, 0, 0),)), "morphology.radius"),
    (dict(dist=((0, 1, 0, -1),)), "morphology.radius"),
    (dict(dist=((0, np.nan, 0, 1),)), "morphology.points"),
    (dict(tag=(3,)), "morphology.tag"),
    (dict(tag=(1.5,)), "morphology.tag"),
    (dict(parent=(0,)), "morphology.parent"),
    (dict(prox=((0, 0, 0, 1), (0, 0, 0, 1)), dist=((0, 1, 0, 1), (0, 2, 0, 1)), parent=(-1, 1), tag=(1, 3)), "morphology.parent"),
    (dict(prox=((0, 0, 0, 1), (0, 0, 0, 1)), dist=((0, 1, 0, 1), (0, 2, 0, 1)), parent=(-1, 0.5), tag=(1, 3)), "morphology.parent"),
    (dict(prox=((0, 0, 0),)), "morphology"),
    (dict(prox=(), dist=(), parent=(), tag=()), "morphology"),
])
def test_invalid_records_name_the_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        _one(**kwargs)
    assert err.value.field == field
