"""SWC files (netdyn.cells.swc): soma conventions, attachment, ordering, axon removal,
round trips, errors naming the line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netdyn.cells.generators import ball_and_ralls_tree, cylinder
from netdyn.cells.morphology import Morphology
from netdyn.cells.swc import read_swc, write_swc
from netdyn.errors import ConfigError

THREE_POINT = """\
# NeuroMorpho.Org 3-point soma, r = 5
1 1 0 0 0 5 -1
2 1 0 -5 0 5 1
3 1 0 5 0 5 1
4 3 0 6 0 1 1
5 3 0 16 0 1 4
6 3 6 24 0 0.5 5
7 3 -6 24 0 0.5 5
8 2 0 -6 0 0.5 1
9 2 0 -26 0 0.5 8
10 2 0 -36 0 0.25 9
11 3 4 0 0 0.7 1
"""


def _write(tmp_path, text, name="cell.swc"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _same(a: Morphology, b: Morphology) -> None:
    for field in ("proximal", "distal", "parent", "tag"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_three_point_soma_is_one_cylinder_of_the_spheres_area(tmp_path):
    m = read_swc(_write(tmp_path, THREE_POINT))
    assert m.name == "cell"
    np.testing.assert_array_equal(m.proximal[0], [0, -5, 0, 5])
    np.testing.assert_array_equal(m.distal[0], [0, 5, 0, 5])
    assert m.area_um2[0] == pytest.approx(4 * np.pi * 5 ** 2)
    assert m.branch_segments[0].tolist() == [0] and m.tag[0] == 1


def test_neurites_start_at_their_first_sample_and_hang_from_the_soma(tmp_path):
    m = read_swc(_write(tmp_path, THREE_POINT))
    # dendrite 4-5-(6, 7): 3 segments, no segment from the soma to sample 4
    first = [int(s[0]) for s in m.branch_segments[1:]]
    assert m.parent[first].tolist() == [0, 1, 1, 0, 0]
    np.testing.assert_array_equal(m.proximal[1], [0, 6, 0, 1])  # sample 4, its own radius
    np.testing.assert_array_equal(m.distal[1], [0, 16, 0, 1])
    # neurite lengths are the file's: 10 + 2 * sqrt(6^2 + 8^2) for the dendrite, 20 + 10 for the axon
    dend = m.tag == 3
    axon = m.tag == 2
    lone = m.n_segments - 1
    assert m.length_um[dend & (np.arange(m.n_segments) != lone)].sum() == pytest.approx(10 + 2 * 10)
    assert m.length_um[axon].sum() == pytest.approx(30)
    # path distances start at the soma's length, 2 r
    assert m.branch_start_um[1] == pytest.approx(10.0)
    # the lone sample 11 on the soma: a cylinder of its radius from the soma's centre to it
    np.testing.assert_array_equal(m.proximal[lone], [0, 0, 0, 0.7])
    np.testing.assert_array_equal(m.distal[lone], [4, 0, 0, 0.7])
    assert m.n_branches == 6  # soma, trunk, 2 daughters, axon, lone stub


def test_single_point_soma_is_a_cylinder_along_y(tmp_path):
    m = read_swc(_write(tmp_path, "1 1 1 2 3 4 -1\n2 3 1 7 3 1 1\n3 3 1 17 3 1 2\n"))
    np.testing.assert_array_equal(m.proximal[0], [1, -2, 3, 4])
    np.testing.assert_array_equal(m.distal[0], [1, 6, 3, 4])
    assert m.area_um2[0] == pytest.approx(4 * np.pi * 16)
    assert m.n_segments == 2 and m.length_um[1] == pytest.approx(10)


def test_soma_stack_is_kept_as_a_chain(tmp_path):
    text = "1 1 0 0 0 2 -1\n2 1 0 3 0 4 1\n3 1 0 6 0 3 2\n4 1 0 8 0 1 3\n5 3 0 9 0 1 2\n6 3 0 19 0 1 5\n"
    m = read_swc(_write(tmp_path, text))
    assert m.branch_segments[0].tolist() == [0, 1, 2]
    soma_area = sum(np.pi * (a + b) * np.hypot(l, a - b) for a, b, l in [(2, 4, 3), (4, 3, 3), (3, 1, 2)])
    assert m.area_um2[:3].sum() == pytest.approx(soma_area)
    assert m.parent[3] == 2  # attached to the soma's last segment, though drawn from sample 2
    assert m.branch_start_um[1] == pytest.approx(8.0)


def test_unsorted_ids_with_gaps_give_the_sorted_files_tree(tmp_path):
    lines = THREE_POINT.splitlines()[1:]
    renamed = []
    for line in lines:  # ids times 10, in reverse order
        w = line.split()
        w[0] = str(int(w[0]) * 10)
        w[6] = str(int(w[6]) * 10 if int(w[6]) > 0 else -1)
        renamed.append(" ".join(w))
    shuffled = "\n".join(reversed(renamed)) + "\n"
    a = read_swc(_write(tmp_path, THREE_POINT, "a.swc"))
    b = read_swc(_write(tmp_path, shuffled, "b.swc"))
    assert a.n_segments == b.n_segments and a.n_branches == b.n_branches
    assert a.total_area_um2 == pytest.approx(b.total_area_um2)
    assert sorted(a.branch_length_um) == pytest.approx(sorted(b.branch_length_um))


def test_remove_axon_drops_the_axon_and_its_subtree(tmp_path):
    text = THREE_POINT + "12 3 0 -46 0 0.2 10\n"  # a dendrite-typed sample below the axon goes too
    full = read_swc(_write(tmp_path, text))
    cut = read_swc(_write(tmp_path, text), remove_axon=True, name="no axon")
    assert cut.name == "no axon"
    assert 2 not in cut.tag.tolist()
    assert cut.n_segments == full.n_segments - 3
    assert cut.total_area_um2 == pytest.approx(full.total_area_um2 - full.area_um2[full.tag == 2].sum()
                                              - full.area_um2[-1])


def test_round_trip_of_a_file_and_of_generated_trees(tmp_path):
    m = read_swc(_write(tmp_path, THREE_POINT))
    write_swc(m, tmp_path / "out.swc")
    _same(m, read_swc(tmp_path / "out.swc"))
    for gen in (ball_and_ralls_tree(levels=4, segments_per_branch=2), cylinder(100, 2, segments=3),
                cylinder(50, 1, soma_radius_um=7)):
        path = write_swc(gen, tmp_path / "gen.swc")
        back = read_swc(path)
        _same(gen, back)
        assert back.n_branches == gen.n_branches
        assert back.total_area_um2 == gen.total_area_um2


def test_write_is_atomic_and_refuses_trees_swc_cannot_hold(tmp_path):
    path = write_swc(cylinder(10, 1), tmp_path / "a.swc")
    before = path.read_text()
    gap = Morphology(np.array([[0, 0, 0, 1], [0, 1, 0, 1], [5, 5, 0, 1]], float),
                     np.array([[0, 1, 0, 1], [0, 2, 0, 1], [5, 6, 0, 1]], float), [-1, 0, 1], [1, 3, 3])
    with pytest.raises(ConfigError, match="gap") as err:
        write_swc(gap, path)
    assert err.value.field == "morphology"
    split_soma = Morphology(np.array([[0, 0, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1]], float),
                            np.array([[0, 1, 0, 1], [0, 2, 0, 1], [1, 1, 0, 1]], float), [-1, 0, 0], [1, 1, 3])
    with pytest.raises(ConfigError, match="soma"):
        write_swc(split_soma, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.swc"]


@pytest.mark.parametrize("text, line, match", [
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 1\n", 2, "7 fields"),
    ("1 1 0 0 0 5 -1\n\n# c\n2 3 0 5 zero 1 1\n", 4, "numbers"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 0 1\n", 2, "radius"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 -1 1\n", 2, "radius"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 nan 1\n", 2, "finite"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 7\n", 2, "parent 7"),
    ("1 1 0 0 0 5 -1\n1 3 0 5 0 1 1\n", 2, "twice"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 -1\n", 2, "one root"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 3\n3 3 0 9 0 1 2\n", 2, "cycle"),
    ("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 1 0 9 0 1 2\n", 3, "soma sample"),
    ("1 1 0 0 0 5 -1\n2 1 0 5 0 1 1\n3 1 0 9 0 1 2\n4 1 0 9 9 1 2\n5 1 0 9 9 1 1\n", 1, "branch"),
])
def test_malformed_files_name_the_file_and_line(tmp_path, text, line, match):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=match) as err:
        read_swc(path)
    assert err.value.field == "swc"
    assert err.value.value == f"{path}, line {line}"


def test_no_soma_unreadable_and_empty_files(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_swc(_write(tmp_path, "1 3 0 0 0 1 -1\n2 3 0 5 0 1 1\n"))
    assert err.value.field == "morphology" and "no soma" in err.value.reason
    with pytest.raises(ConfigError, match="cannot be read") as err:
        read_swc(tmp_path / "missing.swc")
    assert err.value.field == "swc"
    with pytest.raises(ConfigError, match="no samples"):
        read_swc(_write(tmp_path, "# only a comment\n"))


# --------------------------------------------------------------------------- hypothesis
@st.composite
def swc_trees(draw):
    """A random valid SWC text: a 1- or 3-point soma and neurites with random parents."""
    n = draw(st.integers(1, 25))
    three = draw(st.booleans())
    r = draw(st.floats(1.0, 10.0))
    rows = [(1, 1, 0.0, 0.0, 0.0, r, -1)]
    if three:
        rows += [(2, 1, 0.0, -r, 0.0, r, 1), (3, 1, 0.0, r, 0.0, r, 1)]
    # distinct points off the soma's (coincident ones would make zero-length segments, which
    # a round trip turns into steps in radius: see netdyn.cells.swc)
    points = draw(st.lists(st.tuples(*[st.integers(-40, 40)] * 3), min_size=n, max_size=n, unique=True)
                  .filter(lambda ps: (0, 0, 0) not in ps))
    for xyz in points:
        pid = draw(st.integers(1, len(rows)))
        kind = draw(st.sampled_from([2, 3, 4]))
        if rows[pid - 1][1] != 1:
            kind = rows[pid - 1][1] if draw(st.booleans()) else kind
        rows.append((len(rows) + 1, kind, *(0.5 * v + 0.25 for v in xyz), draw(st.sampled_from([0.25, 0.5, 1.0, 1.5])), pid))
    perm = draw(st.permutations(range(len(rows))))
    return "\n".join(" ".join(str(v) for v in rows[i]) for i in perm) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=swc_trees())
def test_random_files_round_trip_through_write(tmp_path, text):
    m = read_swc(_write(tmp_path, text, "in.swc"))
    assert m.tag[0] == 1 and m.branch_segments[0].tolist() == [0]
    assert np.all(m.tag[1:] != 1)
    back = read_swc(write_swc(m, tmp_path / "out.swc"))
    assert back.n_segments == m.n_segments
    _same(m, back)
    np.testing.assert_array_equal(back.branch_length_um, m.branch_length_um)
    assert back.total_area_um2 == m.total_area_um2
