"""The morphology of a neuron: a tree of truncated cones (segments), in micrometres.

A :class:`Morphology` is an immutable, validated record that every cable engine reads the
same way. Segment ``i`` runs from ``proximal[i]`` to ``distal[i]`` (x, y, z, radius, all in
um); its parent is ``parent[i] < i`` (``-1`` for the root, segment 0, which is always in the
soma), and a child is attached (electrically) to its parent's distal end: it starts there in
path distance, though its proximal point may lie elsewhere in space (a neurite that starts at
its first reconstructed point, not inside the soma, see :mod:`netdyn.cells.swc`). ``tag`` holds the SWC structure type
(:data:`SOMA`, :data:`AXON`, :data:`BASAL`, :data:`APICAL`, others allowed).

Branches are maximal unbranched chains of segments of one type, as NEURON's sections: a
segment starts a new branch when it is the root, when its parent has more than one child, or
when its tag differs from its parent's (so the soma is a branch of its own, branch 0). Places on the tree are :class:`Site` records (branch, distance from the soma),
turned into (segment, fraction) by :meth:`Morphology.locate`, which is what engines use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from netdyn.errors import ConfigError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["APICAL", "AXON", "BASAL", "SOMA", "Location", "Morphology", "Site"]

#: SWC structure types (NeuroMorpho.Org conventions).
SOMA, AXON, BASAL, APICAL = 1, 2, 3, 4


def _integers(value: object, field_name: str, name: str) -> np.ndarray:
    """``value`` as a contiguous int64 array; ConfigError if any entry is not an integer
    (``np.asarray(..., dtype=int64)`` would silently truncate 0.5 to 0)."""
    raw = np.asarray(value)
    if raw.dtype.kind not in "iub":
        if raw.dtype.kind != "f" or not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
            raise ConfigError(field_name, name, "must hold integers")
    return np.ascontiguousarray(raw, dtype=np.int64)


@dataclass(frozen=True)
class Site:
    """A place on a branch, given by its path distance from the soma (um).

    ``distance_um`` is measured along the tree from the proximal end of the root segment
    (segment 0, in the soma), as :attr:`Morphology.path_distance_um`; it must fall on
    ``branch``. A neurite attached to a one-segment soma of length 2 r (the NeuroMorpho.Org
    soma of radius r, see :mod:`netdyn.cells.swc`) therefore starts at 2 r, and the soma's
    centre is at r (:meth:`Morphology.soma_site`).
    """

    branch: int
    distance_um: float


@dataclass(frozen=True)
class Location:
    """A point on one segment: ``fraction`` in [0, 1] from its proximal to its distal end."""

    segment: int
    fraction: float


@dataclass(frozen=True, eq=False)
class Morphology:
    """A neuron's tree of segments (truncated cones), in um.

    Parameters
    ----------
    proximal, distal
        (n_segments, 4) arrays: x, y, z, radius (um) of each segment's two ends.
    parent
        (n_segments,) parent segment of each segment; ``-1`` for segment 0 only, and
        ``parent[i] < i`` otherwise.
    tag
        (n_segments,) SWC structure type of each segment (1 soma, 2 axon, 3 basal dendrite,
        4 apical dendrite).
    name
        Where it comes from (a file name, a generator and its parameters).

    Raises
    ------
    ConfigError
        (field ``morphology.<what>``) Inconsistent shapes, a radius <= 0, a parent that is
        not an earlier segment, or a root that is not in the soma.
    """

    proximal: np.ndarray
    distal: np.ndarray
    parent: np.ndarray
    tag: np.ndarray
    name: str = ""
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prox = np.ascontiguousarray(self.proximal, dtype=np.float64)
        dist = np.ascontiguousarray(self.distal, dtype=np.float64)
        parent = _integers(self.parent, "morphology.parent", self.name)
        tag = _integers(self.tag, "morphology.tag", self.name)
        n = len(parent)
        if n == 0:
            raise ConfigError("morphology", self.name, "has no segments")
        if prox.shape != (n, 4) or dist.shape != (n, 4) or tag.shape != (n,) or parent.ndim != 1:
            raise ConfigError("morphology", self.name, "proximal and distal must be (n, 4) arrays (x, y, z, radius um) "
                              "and parent and tag (n,) arrays of the same n")
        if not (np.all(np.isfinite(prox)) and np.all(np.isfinite(dist))):
            raise ConfigError("morphology.points", self.name, "coordinates and radii must be finite")
        if np.any(prox[:, 3] <= 0) or np.any(dist[:, 3] <= 0):
            bad = int(np.flatnonzero((prox[:, 3] <= 0) | (dist[:, 3] <= 0))[0])
            raise ConfigError("morphology.radius", bad, "every radius must be > 0 um (segment index given)")
        if parent[0] != -1 or np.any(parent[1:] < 0) or np.any(parent[1:] >= np.arange(1, n)):
            raise ConfigError("morphology.parent", self.name, "segment 0 is the only root (parent -1) and every "
                              "other segment's parent is an earlier segment")
        if tag[0] != SOMA:
            raise ConfigError("morphology.tag", int(tag[0]), "the root segment must be in the soma (tag 1)")
        for name, value in (("proximal", prox), ("distal", dist), ("parent", parent), ("tag", tag)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ geometry
    @property
    def n_segments(self) -> int:
        return len(self.parent)

    @cached_property
    def length_um(self) -> np.ndarray:
        """(n_segments,) length of each segment (um)."""
        return np.linalg.norm(self.distal[:, :3] - self.proximal[:, :3], axis=1)

    @cached_property
    def area_um2(self) -> np.ndarray:
        """(n_segments,) lateral area of each truncated cone (um^2)."""
        r1, r2 = self.proximal[:, 3], self.distal[:, 3]
        return np.pi * (r1 + r2) * np.sqrt(self.length_um ** 2 + (r1 - r2) ** 2)

    @cached_property
    def path_distance_um(self) -> np.ndarray:
        """(n_segments,) path distance from the root's proximal end to each segment's distal
        end (um). A segment's proximal end lies at ``path_distance_um[parent]`` (0 for the
        root)."""
        out = np.empty(self.n_segments)
        for i, p in enumerate(self.parent):  # parent[i] < i: one pass in order
            out[i] = (out[p] if p >= 0 else 0.0) + self.length_um[i]
        return out

    @cached_property
    def proximal_distance_um(self) -> np.ndarray:
        """(n_segments,) path distance from the root's proximal end to each segment's
        proximal end (um)."""
        return np.where(self.parent >= 0, self.path_distance_um[np.maximum(self.parent, 0)], 0.0)

    @cached_property
    def n_children(self) -> np.ndarray:
        return np.bincount(self.parent[1:], minlength=self.n_segments)

    @cached_property
    def segment_branch(self) -> np.ndarray:
        """(n_segments,) branch of each segment. Branches are numbered in the order of their
        first segment."""
        starts = np.ones(self.n_segments, dtype=bool)
        starts[1:] = (self.n_children[self.parent[1:]] != 1) | (self.tag[1:] != self.tag[self.parent[1:]])
        out = np.empty(self.n_segments, dtype=np.int64)
        next_id = 0
        for i in range(self.n_segments):
            if starts[i]:
                out[i] = next_id
                next_id += 1
            else:
                out[i] = out[self.parent[i]]
        return out

    @property
    def n_branches(self) -> int:
        return int(self.segment_branch.max()) + 1

    @cached_property
    def branch_segments(self) -> tuple[np.ndarray, ...]:
        """Segments of each branch, proximal to distal."""
        order = np.argsort(self.segment_branch, kind="stable")
        bounds = np.cumsum(np.bincount(self.segment_branch, minlength=self.n_branches))
        return tuple(np.split(order, bounds[:-1]))

    @cached_property
    def branch_parent(self) -> np.ndarray:
        """(n_branches,) parent branch of each branch (-1 for the root branch)."""
        first = np.array([s[0] for s in self.branch_segments])
        p = self.parent[first]
        return np.where(p >= 0, self.segment_branch[np.maximum(p, 0)], -1)

    @cached_property
    def branch_tag(self) -> np.ndarray:
        """(n_branches,) SWC type of each branch's first segment."""
        return self.tag[np.array([s[0] for s in self.branch_segments])]

    @cached_property
    def branch_length_um(self) -> np.ndarray:
        return np.array([self.length_um[s].sum() for s in self.branch_segments])

    @cached_property
    def branch_start_um(self) -> np.ndarray:
        """(n_branches,) path distance from the soma to each branch's proximal end (um)."""
        return np.array([self.proximal_distance_um[s[0]] for s in self.branch_segments])

    @cached_property
    def branch_order(self) -> np.ndarray:
        """(n_branches,) centrifugal order of each branch: 0 for the soma, 1 for a branch
        attached to it, and one more at every branch point away from the soma."""
        out = np.zeros(self.n_branches, dtype=np.int64)
        for b, p in enumerate(self.branch_parent):
            out[b] = out[p] + 1 if p >= 0 else 0
        return out

    @cached_property
    def terminal_branches(self) -> np.ndarray:
        """Branches with no child branch (the leaves)."""
        has_child = np.zeros(self.n_branches, dtype=bool)
        has_child[self.branch_parent[self.branch_parent >= 0]] = True
        return np.flatnonzero(~has_child)

    def branch_path(self, branch: int) -> np.ndarray:
        """Branches from the root branch down to ``branch`` (inclusive)."""
        self._check_branch(branch)
        path = [branch]
        while self.branch_parent[path[-1]] >= 0:
            path.append(int(self.branch_parent[path[-1]]))
        return np.array(path[::-1])

    @property
    def total_area_um2(self) -> float:
        return float(self.area_um2.sum())

    # ------------------------------------------------------------------ places
    def _check_branch(self, branch: int) -> None:
        if isinstance(branch, (bool, np.bool_)) or not isinstance(branch, (int, np.integer)) \
                or not (0 <= int(branch) < self.n_branches):
            raise ConfigError("branch", branch, f"must be in [0, {self.n_branches - 1}] ({self.name or 'morphology'} "
                              f"has {self.n_branches} branches)")

    def locate(self, site: Site) -> Location:
        """The segment and fraction of ``site``.

        Raises
        ------
        ConfigError
            (``branch`` or ``distance_um``) The branch does not exist, or the distance is not
            on it (the error gives the branch's range of distances).
        """
        self._check_branch(site.branch)
        segs = self.branch_segments[site.branch]
        lo = self.proximal_distance_um[segs[0]]
        hi = self.path_distance_um[segs[-1]]
        d = float(site.distance_um)
        tol = 1e-9 * max(1.0, hi)
        if not (lo - tol <= d <= hi + tol):
            raise ConfigError("distance_um", site.distance_um,
                              f"branch {site.branch} spans {lo:.6g} to {hi:.6g} um from the soma")
        d = min(max(d, lo), hi)
        k = int(np.searchsorted(self.path_distance_um[segs], d, side="left"))
        seg = int(segs[min(k, len(segs) - 1)])
        start = self.proximal_distance_um[seg]
        length = self.length_um[seg]
        frac = 0.0 if length == 0 else (d - start) / length
        return Location(seg, float(min(max(frac, 0.0), 1.0)))

    def site_at_fraction(self, branch: int, fraction: float) -> Site:
        """The site at ``fraction`` (0: proximal end, 1: distal end) of ``branch``'s length."""
        self._check_branch(branch)
        if not 0.0 <= fraction <= 1.0:
            raise ConfigError("fraction", fraction, "must be in [0, 1]")
        return Site(int(branch), float(self.branch_start_um[branch] + fraction * self.branch_length_um[branch]))

    def point(self, location: Location) -> np.ndarray:
        """x, y, z (um) of ``location``."""
        p, d = self.proximal[location.segment, :3], self.distal[location.segment, :3]
        return p + location.fraction * (d - p)

    def soma_site(self) -> Site:
        """The middle of the soma's root segment."""
        return Site(0, float(self.length_um[0] / 2))

    def with_segments(self, keep: np.ndarray, name: str | None = None) -> "Morphology":
        """The sub-tree of the segments in ``keep`` (a boolean mask that keeps every kept
        segment's parent; the root must be kept), renumbered in order."""
        keep = np.asarray(keep)
        if keep.dtype != bool or keep.shape != (self.n_segments,):
            raise ConfigError("keep", f"{keep.dtype} {keep.shape}", f"must be a boolean mask of shape ({self.n_segments},)")
        if not keep[0] or np.any(keep[1:] & ~keep[np.maximum(self.parent[1:], 0)]):
            raise ConfigError("keep", name or self.name, "must keep the root and the parent of every kept segment")
        new_index = np.cumsum(keep) - 1
        parent = np.where(self.parent[keep] >= 0, new_index[np.maximum(self.parent[keep], 0)], -1)
        return Morphology(self.proximal[keep], self.distal[keep], parent, self.tag[keep],
                          name if name is not None else self.name)

    # ------------------------------------------------------------------ storage
    def to_dataset(self) -> "xr.Dataset":
        """The segments as an :class:`xarray.Dataset`: ``segment_proximal`` and
        ``segment_distal`` over (``segment``, ``point``: x, y, z, r; um), ``segment_parent``,
        ``segment_tag``, and the name in the attribute ``morphology_name``
        (:meth:`from_dataset` reads it back)."""
        import xarray as xr

        return xr.Dataset(
            {"segment_proximal": (("segment", "point"), self.proximal, {"units": "um"}),
             "segment_distal": (("segment", "point"), self.distal, {"units": "um"}),
             "segment_parent": (("segment",), self.parent.astype(np.int64)),
             "segment_tag": (("segment",), self.tag.astype(np.int64), {"long_name": "SWC structure type"})},
            coords={"point": np.array(["x", "y", "z", "r"], dtype=object)},
            attrs={"morphology_name": self.name})

    @classmethod
    def from_dataset(cls, ds: "xr.Dataset") -> "Morphology":
        """The morphology stored by :meth:`to_dataset` (in ``ds`` or a larger Dataset)."""
        return cls(ds["segment_proximal"].values, ds["segment_distal"].values, ds["segment_parent"].values,
                   ds["segment_tag"].values, str(ds.attrs.get("morphology_name", "")))
