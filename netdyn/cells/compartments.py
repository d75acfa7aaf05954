"""How a tree is cut into compartments: the counts every engine uses, and a table of them.

The soma (branch 0) is one compartment. Every other branch, of length L (um), is cut into
``n`` compartments of equal length L / n:

* by length (``Biophysics.d_lambda`` unset): ``n = ceil(L / compartment_length_um)``, at
  least 1;
* by NEURON's d_lambda rule (Hines & Carnevale 2001), with ``d_lambda`` set: the smallest
  odd ``n`` with ``L / n <= d_lambda * lambda_AC(f)``, where ``f = d_lambda_freq_hz`` and

      lambda_AC(f) = 0.5 sqrt(d / (pi f Ri cm))        (SI units: d m, Ri Ohm m, cm F/m^2)
                   = 1e5 sqrt(d / (4 pi f Ri cm)) um    (d um, Ri Ohm cm, cm uF/cm^2)

  the second being NEURON's ``lambda_f`` (stdlib.hoc), to which the first is identical
  (:func:`lambda_ac_um`). ``d`` is the diameter of the cylinder with the branch's length
  and membrane area, ``area / (pi L)`` (NEURON's ``diam`` of a section built from 3-d
  points). For a uniform branch this is NEURON's rule exactly; for a tapering branch
  NEURON's ``lambda_f`` averages 1 / sqrt(d) along the length instead, which can differ
  by a few per cent. NEURON also rounds with a slack, ``n = 2 int((L / (d_lambda lambda) +
  0.9) / 2) + 1``, which lets a compartment be up to 10 % of ``d_lambda lambda`` too long;
  this module does not (so its ``n`` is NEURON's or the next odd number).

Lengths within 1e-9 (relative) of a multiple of the target are taken as that multiple, so
that a 100 um branch made of three segments is not cut into 11 compartments of 10 um.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netdyn.config.biophysics import Biophysics
from netdyn.cells.morphology import Morphology, Site

__all__ = ["CompartmentTable", "branch_diameter_um", "compartment_table", "compartments_per_branch", "lambda_ac_um"]

_SLACK = 1e-9  # relative tolerance on L / target


def lambda_ac_um(diameter_um: float | np.ndarray, freq_hz: float, ri_ohm_cm: float, cm_uF_per_cm2: float) -> np.ndarray:
    """AC length constant (um) of a cylinder of diameter ``diameter_um`` at ``freq_hz``:
    ``0.5 sqrt(d / (pi f Ri cm))``, in the units of the arguments (d um -> 1e-4 cm, cm uF ->
    1e-6 F; the result cm -> 1e4 um)."""
    d_cm = np.asarray(diameter_um, dtype=float) * 1e-4
    return 0.5 * np.sqrt(d_cm / (np.pi * freq_hz * ri_ohm_cm * cm_uF_per_cm2 * 1e-6)) * 1e4


def branch_diameter_um(morphology: Morphology) -> np.ndarray:
    """(n_branches,) diameter of the cylinder with each branch's length and membrane area
    (um); for a zero-length branch, its mean end diameter."""
    m = morphology
    area = np.array([m.area_um2[s].sum() for s in m.branch_segments])
    length = m.branch_length_um
    ends = np.array([m.proximal[s[0], 3] + m.distal[s[-1], 3] for s in m.branch_segments])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(length > 0, area / (np.pi * np.where(length > 0, length, 1.0)), ends)


def compartments_per_branch(morphology: Morphology, biophysics: Biophysics) -> np.ndarray:
    """(n_branches,) number of compartments of each branch: 1 for the soma (branch 0), else
    by length or by the d_lambda rule (module docstring).

    Parameters
    ----------
    morphology
        The tree.
    biophysics
        ``compartment_length_um``, or ``d_lambda`` with ``d_lambda_freq_hz`` and the passive
        ``ri_ohm_cm`` and ``cm_uF_per_cm2``.

    Returns
    -------
    numpy.ndarray
        int64, >= 1 everywhere.
    """
    length = morphology.branch_length_um
    if biophysics.d_lambda is None:
        x = length / biophysics.compartment_length_um
        n = np.ceil(x * (1 - _SLACK))
    else:
        p = biophysics.passive
        ri_cm = np.array([p.for_tag(t)[1:] for t in morphology.branch_tag])  # each branch's region's values
        lam = lambda_ac_um(branch_diameter_um(morphology), biophysics.d_lambda_freq_hz, ri_cm[:, 1], ri_cm[:, 0])
        x = length / (biophysics.d_lambda * lam)
        n = 2 * np.ceil((x * (1 - _SLACK) - 1) / 2) + 1  # the smallest odd n >= x
    n = np.maximum(n, 1).astype(np.int64)
    n[0] = 1
    return n


@dataclass(frozen=True, eq=False)
class CompartmentTable:
    """Every compartment of a cell, branch by branch, proximal to distal (index
    ``first[b] + k`` is compartment ``k`` of branch ``b``).

    Attributes
    ----------
    branch, index
        (n,) branch of each compartment and its position along it (0 at the proximal end).
    parent
        (n,) the compartment it hangs from: the previous one on its branch, or the last one of
        the parent branch (where the branch is attached); -1 for the soma.
    distance_um
        (n,) path distance of its centre from the soma (um; as :class:`Site`).
    length_um, area_um2, diameter_um
        (n,) its length (um), membrane area (lateral area of the truncated cones it holds,
        um^2) and the diameter of the cylinder of that length and area (um).
    xyz_um
        (n, 3) the point at its centre (um).
    counts, first
        (n_branches,) compartments of each branch and the index of its first.
    """

    branch: np.ndarray
    index: np.ndarray
    parent: np.ndarray
    distance_um: np.ndarray
    length_um: np.ndarray
    area_um2: np.ndarray
    diameter_um: np.ndarray
    xyz_um: np.ndarray
    counts: np.ndarray
    first: np.ndarray

    def __len__(self) -> int:
        return len(self.branch)

    def site(self, compartment: int) -> Site:
        """The site at the centre of ``compartment``."""
        return Site(int(self.branch[compartment]), float(self.distance_um[compartment]))


def _piece_area(m: Morphology, segs: np.ndarray, lo: float, hi: float, last: bool) -> float:
    """Lateral area (um^2) of the part of the chain ``segs`` between path distances ``lo``
    and ``hi`` (``last``: the piece that ends the branch). A zero-length segment counts
    wholly in the piece with ``lo <= its distance < hi`` (in the last piece at the end)."""
    area = 0.0
    for s in segs:
        a, b = m.proximal_distance_um[s], m.path_distance_um[s]
        if b == a:
            if lo <= a < hi or (last and a >= lo):
                area += m.area_um2[s]
            continue
        x0, x1 = max(a, lo), min(b, hi)
        if x1 <= x0:
            continue
        r0, r1 = m.proximal[s, 3], m.distal[s, 3]
        ra = r0 + (r1 - r0) * (x0 - a) / (b - a)
        rb = r0 + (r1 - r0) * (x1 - a) / (b - a)
        area += np.pi * (ra + rb) * np.hypot(x1 - x0, rb - ra)
    return area


def compartment_table(morphology: Morphology, biophysics: Biophysics) -> CompartmentTable:
    """The compartments of :func:`compartments_per_branch`, with their geometry.

    Parameters
    ----------
    morphology, biophysics
        As :func:`compartments_per_branch`.

    Returns
    -------
    CompartmentTable
        Areas sum to the morphology's total area; lengths to each branch's length.
    """
    m = morphology
    counts = compartments_per_branch(m, biophysics)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    total = int(counts.sum())
    branch = np.repeat(np.arange(m.n_branches), counts)
    index = np.arange(total) - first[branch]
    step = m.branch_length_um[branch] / counts[branch]
    distance = m.branch_start_um[branch] + (index + 0.5) * step
    parent = np.arange(total) - 1
    starts = index == 0
    bp = m.branch_parent[branch[starts]]
    parent[starts] = np.where(bp >= 0, first[np.maximum(bp, 0)] + counts[np.maximum(bp, 0)] - 1, -1)
    area = np.empty(total)
    xyz = np.empty((total, 3))
    for b, segs in enumerate(m.branch_segments):
        n = int(counts[b])
        bounds = m.branch_start_um[b] + m.branch_length_um[b] * np.arange(n + 1) / n
        for k in range(n):
            c = first[b] + k
            area[c] = _piece_area(m, segs, bounds[k], bounds[k + 1], k == n - 1)
            xyz[c] = m.point(m.locate(Site(b, float(distance[c]))))
    with np.errstate(divide="ignore", invalid="ignore"):
        diameter = np.where(step > 0, area / (np.pi * np.where(step > 0, step, 1.0)), 0.0)
    if np.any(step == 0):  # zero-length branches: the mean diameter of their ends
        ends = np.array([m.proximal[s[0], 3] + m.distal[s[-1], 3] for s in m.branch_segments])
        diameter = np.where(step > 0, diameter, ends[branch])
    for name, value in (("branch", branch), ("index", index), ("parent", parent), ("distance", distance),
                        ("step", step), ("area", area), ("diameter", diameter), ("xyz", xyz), ("counts", counts),
                        ("first", first)):
        value.setflags(write=False)
    return CompartmentTable(branch, index, parent, distance, step, area, diameter, xyz, counts, first)
