"""SWC files: read a reconstructed neuron into a :class:`~netdyn.cells.morphology.Morphology`,
write one back.

An SWC file lists samples, one a line: ``id type x y z radius parent`` (um; ``type`` is the
SWC structure type, 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite; ``parent`` -1 for
the root). ``#`` starts a comment, blank lines are skipped. Ids need not be contiguous or
sorted: samples are put in topological order (each after its parent, otherwise in the order
of the file).

How samples become segments (the NEURON interpretation, as NEURON 8's ``Import3d`` and
Arbor's ``load_swc_neuron`` read NeuroMorpho.Org files):

Soma (type-1 samples)
    The soma samples must include the root and be reached from it through soma samples only.

    * **one sample** (a sphere of radius r, NeuroMorpho.Org's single-point soma): one cylinder
      of radius r from ``y - r`` to ``y + r``. Its lateral area, 2 pi r 2 r, is the sphere's.
    * **three samples**, the root and two soma children (NeuroMorpho.Org's 3-point soma: the
      centre and two points at y -/+ r): one cylinder of the root's radius r from the first
      child to the second (length 2 r for a conforming file, so again the sphere's area).
    * **any other number** (a soma stack): the samples must form one unbranched chain from
      the root, kept as given, one truncated cone between each sample and its parent, so the
      soma's area is exactly that of the file. A soma drawn as an outline (contour) must be
      converted to the 3-point form first (NeuroMorpho.Org's standardised files are).

    The soma is always one branch, branch 0, and segment 0 is its first segment.

Neurites (every other sample)
    * A segment runs from each sample's parent to the sample and takes the sample's type.
    * A neurite starts at its **first sample**, not inside the soma: a sample whose parent is
      a soma sample gets no segment of its own; its children's segments start at it, with its
      own radius. Electrically every neurite is attached to the **distal end of the soma's
      last segment** (NEURON attaches them to the soma's centre by a wire of no resistance;
      the difference is the axial resistance of half the soma, Ri / (pi r), 0.06 MOhm for
      r = 5 um and Ri = 100 Ohm cm). So the neurites' lengths and areas are exactly the
      file's, and their path distances start at the soma's length (2 r for the spherical
      somata above).
    * **Exception** (as NEURON and Arbor): a soma child that has no children of its own gets
      one cylinder of its own radius from its soma parent to it, so that it is not lost.
    * A sample at exactly the same x, y, z as its non-soma parent (a zero-length step) makes no
      segment: its children start at it with its radius. This is how :func:`write_swc` stores
      a change of radius at a branch point (the daughters of a generated tree are thinner
      than their parent).

:func:`write_swc` writes a one-segment cylindrical soma of length 2 r in the 3-point form
and any other soma as a chain, then every neurite segment, so that reading the file back gives
the same segments, branches, lengths and areas.
"""

from __future__ import annotations

import heapq
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netdyn.atomic import write_text
from netdyn.cells.morphology import AXON, SOMA, Morphology
from netdyn.errors import ConfigError

__all__ = ["read_swc", "write_swc"]


@dataclass
class _Samples:
    """The samples of a file, in file order."""

    ids: np.ndarray  # (n,) int
    types: np.ndarray  # (n,) int
    points: np.ndarray  # (n, 4) x, y, z, radius
    parent_ids: np.ndarray  # (n,) int
    lines: np.ndarray  # (n,) line number (1-based) of each sample


def _where(path: Path, line: int | None = None) -> str:
    return str(path) if line is None else f"{path}, line {line}"


def _parse(text: str, path: Path) -> _Samples:
    ids, types, points, parents, lines = [], [], [], [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) != 7:
            raise ConfigError("swc", _where(path, number), f"expected 7 fields 'id type x y z radius parent', got {len(words)}: {raw.strip()!r}")
        try:
            sample_id, kind, parent = int(words[0]), int(words[1]), int(words[6])
            xyzr = [float(w) for w in words[2:6]]
        except ValueError:
            raise ConfigError("swc", _where(path, number), f"id, type and parent must be integers and x, y, z, radius "
                              f"numbers: {raw.strip()!r}") from None
        if not all(np.isfinite(xyzr)):
            raise ConfigError("swc", _where(path, number), "x, y, z and radius must be finite")
        if xyzr[3] <= 0:
            raise ConfigError("swc", _where(path, number), f"radius must be > 0 um, got {xyzr[3]}")
        if kind < 0:
            raise ConfigError("swc", _where(path, number), f"type must be >= 0, got {kind}")
        ids.append(sample_id)
        types.append(kind)
        points.append(xyzr)
        parents.append(parent)
        lines.append(number)
    if not ids:
        raise ConfigError("swc", _where(path), "has no samples")
    return _Samples(np.array(ids), np.array(types), np.array(points, dtype=float).reshape(-1, 4), np.array(parents),
                    np.array(lines))


def _topological(samples: _Samples, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Order of the samples (each after its parent, else in file order) and each sample's
    parent as a position in the file (-1 for the root)."""
    n = len(samples.ids)
    position: dict[int, int] = {}
    for k, sample_id in enumerate(samples.ids.tolist()):
        if sample_id in position:
            raise ConfigError("swc", _where(path, int(samples.lines[k])),
                              f"id {sample_id} is used twice (first on line {samples.lines[position[sample_id]]})")
        position[sample_id] = k
    parent = np.empty(n, dtype=np.int64)
    roots = []
    for k, pid in enumerate(samples.parent_ids.tolist()):
        if pid < 0:
            parent[k] = -1
            roots.append(k)
        elif pid not in position:
            raise ConfigError("swc", _where(path, int(samples.lines[k])), f"parent {pid} is not a sample of the file")
        else:
            parent[k] = position[pid]
    if len(roots) != 1:
        where = _where(path, int(samples.lines[roots[1]])) if roots else _where(path)
        raise ConfigError("swc", where, f"a neuron has exactly one root (parent -1); found {len(roots)}")
    children: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        if parent[k] >= 0:
            children[parent[k]].append(k)
    order, heap = [], [roots[0]]
    while heap:  # Kahn's algorithm, the smallest file position first: a sorted file keeps its order
        k = heapq.heappop(heap)
        order.append(k)
        for c in children[k]:
            heapq.heappush(heap, c)
    if len(order) != n:
        reached = np.zeros(n, dtype=bool)
        reached[order] = True
        k = int(np.flatnonzero(~reached)[0])
        raise ConfigError("swc", _where(path, int(samples.lines[k])),
                          f"sample {samples.ids[k]} is on a cycle of parents that never reaches the root")
    return np.array(order, dtype=np.int64), parent


def _build(samples: _Samples, order: np.ndarray, parent: np.ndarray, path: Path, name: str) -> Morphology:
    types, pts, lines = samples.types, samples.points, samples.lines
    root = int(order[0])
    n = len(types)
    is_soma = types == SOMA
    n_children = np.bincount(parent[parent >= 0], minlength=n)
    for k in order[1:]:
        if is_soma[k] and not is_soma[parent[k]]:
            raise ConfigError("swc", _where(path, int(lines[k])), "a soma sample (type 1) must hang from the soma, "
                              f"not from a sample of type {types[parent[k]]}")
    soma = [int(k) for k in order if is_soma[k]]
    soma_children = np.bincount(parent[soma[1:]], minlength=n) if len(soma) > 1 else np.zeros(n, dtype=np.int64)

    prox, dist, seg_parent, seg_tag = [], [], [], []

    def add(p: np.ndarray, d: np.ndarray, par: int, tag: int) -> int:
        prox.append(p)
        dist.append(d)
        seg_parent.append(par)
        seg_tag.append(tag)
        return len(prox) - 1

    if len(soma) == 1:
        x, y, z, r = pts[root]
        add(np.array([x, y - r, z, r]), np.array([x, y + r, z, r]), -1, SOMA)
    elif len(soma) == 3 and soma_children[root] == 2:
        a, b = soma[1], soma[2]
        r = pts[root, 3]
        add(np.append(pts[a, :3], r), np.append(pts[b, :3], r), -1, SOMA)
    else:
        branching = [k for k in soma if soma_children[k] > 1]
        if branching:
            k = branching[0]
            raise ConfigError("swc", _where(path, int(lines[k])), "the soma samples branch here: a soma of other than 1 or "
                              "3 (NeuroMorpho.Org) samples must be one unbranched chain of samples")
        for j, k in enumerate(soma[1:]):
            add(pts[parent[k]].copy(), pts[k].copy(), j - 1, SOMA)
    soma_end = len(prox) - 1

    attach = np.full(n, soma_end, dtype=np.int64)  # the segment each sample's children hang from
    for k in order:
        if is_soma[k]:
            continue
        p = int(parent[k])
        if is_soma[p]:
            if n_children[k] == 0:  # a lone sample on the soma: a cylinder of its radius from its parent
                attach[k] = add(np.append(pts[p, :3], pts[k, 3]), pts[k].copy(), soma_end, int(types[k]))
            continue  # a neurite starts at its first sample
        if np.array_equal(pts[k, :3], pts[p, :3]):
            attach[k] = attach[p]  # a step in radius, no segment
            continue
        attach[k] = add(pts[p].copy(), pts[k].copy(), int(attach[p]), int(types[k]))
    return Morphology(np.array(prox), np.array(dist), np.array(seg_parent), np.array(seg_tag), name)


def _drop_axons(samples: _Samples, order: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Mask of the samples that are neither axon (type 2) nor below an axon sample."""
    keep = np.ones(len(order), dtype=bool)
    for k in order:  # parents first
        keep[k] = samples.types[k] != AXON and (parent[k] < 0 or keep[parent[k]])
    return keep


def read_swc(path: str | os.PathLike[str], *, remove_axon: bool = False, name: str | None = None) -> Morphology:
    """Read a neuron from an SWC file (see the module's description of the conventions).

    Parameters
    ----------
    path
        The SWC file (coordinates and radii in um).
    remove_axon
        Drop the axon: every type-2 sample and everything below it.
    name
        The morphology's name; default: the file's name without its suffix.

    Returns
    -------
    Morphology
        Segment 0 is the soma's; branch 0 is the soma.

    Raises
    ------
    ConfigError
        (field ``swc``, the value naming the file and line) An unreadable file, a malformed
        line, a radius <= 0, a duplicated id, an unknown parent, more or fewer than one root,
        a cycle of parents, a soma sample below a neurite, a branching soma stack;
        (``morphology``) no soma (the root is not of type 1).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise ConfigError("swc", str(path), f"cannot be read: {err.strerror or err}") from None
    samples = _parse(text, path)
    order, parent = _topological(samples, path)
    if samples.types[order[0]] != SOMA:
        raise ConfigError("morphology", _where(path, int(samples.lines[order[0]])),
                          "has no soma: the root sample must have type 1")
    if remove_axon:
        keep = _drop_axons(samples, order, parent)
        if not keep.all():
            new_pos = np.cumsum(keep) - 1
            samples = _Samples(samples.ids[keep], samples.types[keep], samples.points[keep], samples.parent_ids[keep],
                               samples.lines[keep])
            parent = np.where(parent[keep] >= 0, new_pos[np.maximum(parent[keep], 0)], -1)
            order = new_pos[order[keep[order]]]
    return _build(samples, order, parent, path, path.stem if name is None else name)


def _number(x: float) -> str:
    return repr(float(x))  # the shortest text that reads back as the same float


def _swc_lines(morphology: Morphology) -> list[str]:
    """The sample lines of ``morphology`` in SWC (what :func:`write_swc` writes below its
    header).

    Raises
    ------
    ConfigError
        (field ``morphology``) A tree that SWC cannot hold as read back by :func:`read_swc`:
        soma segments outside branch 0 (a branching soma, or soma inside a neurite), a soma
        chain whose segments do not meet, or a neurite segment that does not start where its
        parent ends (a gap in space inside a neurite).
    """
    m = morphology
    soma = m.branch_segments[0]
    if np.count_nonzero(m.tag == SOMA) != len(soma) or np.any(m.tag[soma] != SOMA):
        raise ConfigError("morphology", m.name, "SWC (as read_swc reads it) needs the soma to be one branch, branch 0, "
                          "with every type-1 segment in it")
    rows: list[tuple[int, int, np.ndarray, int]] = []  # id, type, point, parent id

    def sample(kind: int, point: np.ndarray, parent_id: int) -> int:
        rows.append((len(rows) + 1, int(kind), point, parent_id))
        return len(rows)

    end_id = np.zeros(m.n_segments, dtype=np.int64)  # the sample at each segment's distal end
    s0 = int(soma[0])
    p0, d0 = m.proximal[s0], m.distal[s0]
    if len(soma) == 1 and p0[3] == d0[3] and np.isclose(m.length_um[s0], 2 * p0[3], rtol=1e-12, atol=0):
        centre = sample(SOMA, np.append((p0[:3] + d0[:3]) / 2, p0[3]), -1)
        sample(SOMA, p0, centre)
        sample(SOMA, d0, centre)
        end_id[s0] = centre  # neurites hang from the centre, as in NeuroMorpho.Org files
    else:
        previous = sample(SOMA, p0, -1)
        for j, s in enumerate(soma):
            if j and not np.array_equal(m.proximal[s], m.distal[soma[j - 1]]):
                raise ConfigError("morphology", m.name, f"soma segment {s} does not start where segment {soma[j - 1]} ends; "
                                  "SWC cannot hold that")
            previous = end_id[s] = sample(SOMA, m.distal[s], previous)
    soma_set = set(soma.tolist())
    for s in range(m.n_segments):
        if s in soma_set:
            continue
        p = int(m.parent[s])
        if p in soma_set:
            start = sample(m.tag[s], m.proximal[s], int(end_id[soma[-1]]))
        else:
            if not np.allclose(m.proximal[s, :3], m.distal[p, :3], rtol=0, atol=1e-9):
                raise ConfigError("morphology", m.name, f"segment {s} does not start where its parent {p} ends; SWC "
                                  "cannot hold a gap inside a neurite")
            start = int(end_id[p])
            if m.proximal[s, 3] != m.distal[p, 3]:  # a step in radius: a sample at the same place
                start = sample(m.tag[s], np.append(m.distal[p, :3], m.proximal[s, 3]), start)
        end_id[s] = sample(m.tag[s], m.distal[s], start)
    return [f"{i} {kind} {' '.join(_number(v) for v in point)} {pid}" for i, kind, point, pid in rows]


def write_swc(morphology: Morphology, path: str | os.PathLike[str]) -> Path:
    """Write ``morphology`` to the SWC file ``path``, atomically (a reader sees the old file
    or the whole new one; nothing is written when the tree cannot be stored).

    Reading the file back with :func:`read_swc` gives the same segments (coordinates and
    radii to the last bit), branches, lengths and areas, except that zero-length neurite
    segments become steps in radius (see the module's conventions).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigError
        (field ``morphology``) See :func:`_swc_lines`.
    """
    lines = _swc_lines(morphology)
    title = " ".join(morphology.name.split()) or "morphology"  # one line, whatever the name holds
    header = [f"# {title}",
              "# written by netdyn (netdyn.cells.swc); units um",
              "# id type x y z radius parent"]
    return write_text(path, "\n".join(header + lines) + "\n")
