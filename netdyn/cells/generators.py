"""Generated morphologies: the Ball-and-Rall's tree, a sealed cylinder, a ball and stick.

All are built in the x-y plane, in um. Their somata are spheres of radius r drawn as one
cylinder of radius r and length 2 r (the same lateral area, 4 pi r^2, as the sphere; the
NeuroMorpho.Org convention, see :mod:`netdyn.cells.swc`), and their neurites hang from the
soma segment's distal end, so a neurite's path distance starts at 2 r.

Branch numbering of the Ball-and-Rall's tree (breadth first, as a binary heap): branch 0 is
the soma, branch 1 the root dendrite, and the daughters of branch ``b`` are ``2 b`` and
``2 b + 1``; its parent is ``b // 2``. Level ``k`` (the root is level 1) holds branches
``2**(k-1)`` to ``2**k - 1``, so the terminal branches of a tree of ``levels`` levels are
``2**(levels-1)`` to ``2**levels - 1``. :func:`branches_at_level` gives the same for any
morphology, from its branch orders.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from netdyn.cells.morphology import BASAL, SOMA, Morphology
from netdyn.errors import ConfigError
from netdyn.seeding import named_generator

__all__ = ["MAX_LEVELS", "STUB_FRACTION", "ball_and_ralls_tree", "ball_and_stick", "branches_at_level", "cylinder"]

#: The deepest Ball-and-Rall's tree :func:`ball_and_ralls_tree` builds (2**20 - 1 branches).
MAX_LEVELS = 20

#: Length of the soma stub of a :func:`cylinder` without soma, as a fraction of its length.
STUB_FRACTION = 1e-3


def _positive(value: object, field: str) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(field, value, "must be a finite number > 0") from None
    if isinstance(value, bool) or not (math.isfinite(x) and x > 0):
        raise ConfigError(field, value, "must be a finite number > 0")
    return x


def _finite(value: object, field: str, *, minimum: float | None = None) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(field, value, "must be a finite number") from None
    if isinstance(value, bool) or not math.isfinite(x) or (minimum is not None and x < minimum):
        raise ConfigError(field, value, "must be a finite number" + (f" >= {minimum}" if minimum is not None else ""))
    return x


def _count(value: object, field: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < lo or (hi is not None and value > hi):
        raise ConfigError(field, value, f"must be an integer >= {lo}" + (f" and <= {hi}" if hi is not None else ""))
    return int(value)


def _soma(radius_um: float, centre: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The soma cylinder of a sphere of radius ``radius_um`` at ``centre``, along ``axis``."""
    p = np.append(centre - radius_um * axis, radius_um)
    d = np.append(centre + radius_um * axis, radius_um)
    return p, d


def ball_and_ralls_tree(levels: int = 5, branch_length_um: float = 100.0, soma_radius_um: float = 5.0,
                        root_diameter_um: float = 2.0, diameter_factor: float = 0.5 ** (2 / 3),
                        angle_rad: float = np.pi / 8, random_angle_rad: float = np.pi / 15, seed: int = 0,
                        segments_per_branch: int = 1) -> Morphology:
    """A spherical soma and a symmetric binary dendritic tree (the "Ball-and-Rall's tree").

    The soma is a sphere of radius ``soma_radius_um`` (one cylinder of that radius, length
    2 r, centred on the origin along y). The root dendrite (level 1), a cylinder of diameter
    ``root_diameter_um``, leaves the soma's surface at 45 degrees; at each further level every
    branch forks into two daughters of diameter ``diameter_factor`` times their parent's. Every
    branch is ``branch_length_um`` long and made of ``segments_per_branch`` equal cylinders.
    The default factor 2**(-2/3) obeys Rall's 3/2 rule at every fork,
    ``2 d_child**1.5 = d_parent**1.5``, so the tree is electrically equivalent to one cylinder.

    A daughter's direction is its parent's plus or minus ``angle_rad``, plus a normal draw of
    standard deviation ``random_angle_rad`` (from ``named_generator(seed, "ball-and-ralls-tree")``,
    two draws per fork in branch order). Angles change only the drawing: the seed moves
    points, never lengths, diameters or the branch structure.

    Parameters
    ----------
    levels
        Levels of the tree, the root counting as level 1: ``2**levels - 1`` dendritic branches
        (31 for 5). At most :data:`MAX_LEVELS`.
    branch_length_um, soma_radius_um, root_diameter_um
        Length of every branch, radius of the soma, diameter of the root branch (um).
    diameter_factor
        Daughter diameter over parent diameter (> 0).
    angle_rad, random_angle_rad
        Half the angle between two daughters, and the standard deviation of the random part
        (>= 0) of each daughter's direction (rad).
    seed
        Root seed of the angles.
    segments_per_branch
        Cylinders per branch (>= 1); the compartments are set by the biophysics, not by this.

    Returns
    -------
    Morphology
        Branches numbered breadth first as a binary heap (module docstring): branch ``b``'s
        daughters are ``2 b`` and ``2 b + 1``; level ``k`` is ``range(2**(k-1), 2**k)``; all
        segments tagged basal dendrite (3), the soma 1.

    Raises
    ------
    ConfigError
        Naming the parameter: ``levels`` or ``segments_per_branch`` not an integer in range, a
        length, radius, diameter or factor not finite and > 0, an angle not finite,
        ``random_angle_rad`` < 0, ``seed`` not a non-negative integer.
    """
    levels = _count(levels, "levels", 1, MAX_LEVELS)
    length = _positive(branch_length_um, "branch_length_um")
    soma_r = _positive(soma_radius_um, "soma_radius_um")
    root_d = _positive(root_diameter_um, "root_diameter_um")
    factor = _positive(diameter_factor, "diameter_factor")
    angle = _finite(angle_rad, "angle_rad")
    sigma = _finite(random_angle_rad, "random_angle_rad", minimum=0.0)
    seed = _count(seed, "seed", 0)
    n_seg = _count(segments_per_branch, "segments_per_branch", 1)

    n_branches = 2 ** levels  # heap slots 1 .. 2**levels - 1; slot 0 is the soma
    direction = np.empty(n_branches)
    direction[1] = np.pi / 4
    draws = named_generator(seed, "ball-and-ralls-tree").normal(0.0, 1.0, size=max(n_branches - 2, 0)) * sigma
    for level in range(2, levels + 1):  # a daughter's direction needs its parent's: level by level
        kids = np.arange(2 ** (level - 1), 2 ** level)
        sign = np.where(kids % 2 == 0, 1.0, -1.0)
        direction[kids] = direction[kids // 2] + sign * angle + draws[kids - 2]
    level_of = np.floor(np.log2(np.maximum(np.arange(n_branches), 1))).astype(np.int64)  # 0 for the root
    radius = 0.5 * root_d * factor ** level_of

    n = 1 + (n_branches - 1) * n_seg
    prox = np.empty((n, 4))
    dist = np.empty((n, 4))
    parent = np.empty(n, dtype=np.int64)
    prox[0], dist[0] = _soma(soma_r, np.zeros(3), np.array([0.0, 1.0, 0.0]))
    parent[0] = -1
    end = np.empty((n_branches, 3))  # where each branch ends
    end[0] = soma_r * np.array([np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0])  # the root starts on the soma's surface
    t = np.arange(n_seg + 1) / n_seg
    for br in range(1, n_branches):  # parents first
        u = np.array([np.cos(direction[br]), np.sin(direction[br]), 0.0])
        pts = end[br // 2] + length * t[:, None] * u
        end[br] = pts[-1]
        first = 1 + (br - 1) * n_seg
        rows = slice(first, first + n_seg)
        prox[rows, :3], dist[rows, :3] = pts[:-1], pts[1:]
        prox[rows, 3] = dist[rows, 3] = radius[br]
        parent[first] = 0 if br == 1 else _last_segment(br // 2, n_seg)
        parent[first + 1:first + n_seg] = np.arange(first, first + n_seg - 1)
    tag = np.full(n, BASAL, dtype=np.int64)
    tag[0] = SOMA
    name = (f"ball_and_ralls_tree(levels={levels}, branch_length_um={length:g}, soma_radius_um={soma_r:g}, "
            f"root_diameter_um={root_d:g}, diameter_factor={factor:.6g}, seed={seed})")
    return Morphology(prox, dist, parent, tag, name)


def _last_segment(branch: int, n_seg: int) -> int:
    """Last segment of ``branch`` of a Ball-and-Rall's tree with ``n_seg`` segments a branch."""
    return 1 + (branch - 1) * n_seg + n_seg - 1


def branches_at_level(morphology: Morphology, level: int) -> np.ndarray:
    """The branches ``level`` forks away from the soma (level 1: the branches attached to the
    soma; level 0: the soma), in increasing order.

    For a :func:`ball_and_ralls_tree` this is ``range(2**(level-1), 2**level)``; its terminal
    branches are ``branches_at_level(m, levels)``, and "a terminal branch" is reproducibly
    its first, ``2**(levels-1)``.
    """
    level = _count(level, "level", 0)
    return np.flatnonzero(morphology.branch_order == level)


def cylinder(length_um: float, diameter_um: float, *, soma_radius_um: float | None = None,
             segments: int = 1) -> Morphology:
    """A sealed-end cylinder along x, for comparisons with the closed forms of cable theory.

    Without a soma (``soma_radius_um=None``) the whole cell is the cylinder, from x = 0 to
    ``length_um``: its first ``STUB_FRACTION`` (0.1 %) is the soma stub (tag 1, branch 0, one
    compartment, as the soma always is) and the rest branch 1 (tag 3, ``segments`` equal
    cylinders). Both have the same diameter, so the cell is exactly one uniform sealed cable
    of length ``length_um``, and its input resistance at x = 0 (``Site(0, 0.0)``) is the
    textbook one, ``R_inf coth(L / lambda)`` with ``lambda = sqrt(d Rm / (4 Ri))`` and
    ``R_inf = 4 Ri lambda / (pi d**2)`` (the soma's middle, :meth:`Morphology.soma_site`, is
    0.05 % of the length further and differs by less than the discretisation error).

    With a soma, a sphere of radius ``soma_radius_um`` (one cylinder of radius r from
    x = -2 r to 0) carries the cable (branch 1, x = 0 to ``length_um``); the input resistance
    at the soma is ``1 / (g_leak 4 pi r**2 + 1 / (R_inf coth(L / lambda)))``.

    Raises
    ------
    ConfigError
        Naming the parameter: a length, diameter or radius not finite and > 0, ``segments``
        not an integer >= 1.
    """
    length = _positive(length_um, "length_um")
    radius = 0.5 * _positive(diameter_um, "diameter_um")
    n_seg = _count(segments, "segments", 1)
    x_axis = np.array([1.0, 0.0, 0.0])
    if soma_radius_um is None:
        stub = STUB_FRACTION * length
        p0, d0 = np.array([0.0, 0.0, 0.0, radius]), np.array([stub, 0.0, 0.0, radius])
        x = stub + (length - stub) * np.arange(n_seg + 1) / n_seg
        name = f"cylinder(length_um={length:g}, diameter_um={2 * radius:g})"
    else:
        r = _positive(soma_radius_um, "soma_radius_um")
        p0, d0 = _soma(r, np.array([-r, 0.0, 0.0]), x_axis)
        x = length * np.arange(n_seg + 1) / n_seg
        name = f"ball_and_stick(soma_radius_um={r:g}, length_um={length:g}, diameter_um={2 * radius:g})"
    pts = np.zeros((n_seg + 1, 4))
    pts[:, 0], pts[:, 3] = x, radius
    prox = np.vstack([p0, pts[:-1]])
    dist = np.vstack([d0, pts[1:]])
    parent = np.arange(-1, n_seg)
    tag = np.full(n_seg + 1, BASAL)
    tag[0] = SOMA
    return Morphology(prox, dist, parent, tag, name)


def ball_and_stick(soma_radius_um: float = 10.0, dendrite_length_um: float = 500.0, dendrite_diameter_um: float = 2.0,
                   *, segments: int = 1) -> Morphology:
    """A spherical soma with one sealed dendrite: ``cylinder(dendrite_length_um,
    dendrite_diameter_um, soma_radius_um=soma_radius_um, segments=segments)``."""
    _positive(soma_radius_um, "soma_radius_um")
    _positive(dendrite_length_um, "dendrite_length_um")
    _positive(dendrite_diameter_um, "dendrite_diameter_um")
    return cylinder(dendrite_length_um, dendrite_diameter_um, soma_radius_um=soma_radius_um, segments=segments)
