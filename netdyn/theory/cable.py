"""Passive cable theory: closed forms for cylinders and trees of cylinders at steady state.

Units: lengths and diameters in um, membrane conductance density ``g_leak_pS_per_um2``
(pS/um^2; the specific membrane resistance is ``Rm = 1 / g_leak``, 1 pS/um^2 = 1e-4 S/cm^2,
so ``Rm [Ohm cm^2] = 1e4 / g_leak``), axial resistivity ``ri_ohm_cm`` (Ohm cm); results in
nS (conductances), MOhm (resistances), um (length constants) or dimensionless ratios.

For a cylinder of diameter ``d``::

    lambda = sqrt(d Rm / (4 Ri))                 length constant
    G_inf  = pi d^2 / (4 Ri lambda)              input conductance of a semi-infinite cylinder
           = pi d lambda / Rm

and for one of length ``L`` loaded at its far end by a conductance ``G_L`` (sealed end:
``G_L = 0``)::

    G_in   = G_inf (G_L + G_inf tanh(L/lambda)) / (G_inf + G_L tanh(L/lambda))
    V(x)   = V(0) [cosh((L-x)/lambda) + (G_L/G_inf) sinh((L-x)/lambda)]
                  / [cosh(L/lambda) + (G_L/G_inf) sinh(L/lambda)]      (current injected at x = 0)

(Rall 1959; Koch, *Biophysics of Computation*, 1999, ch. 2-3; Johnston & Wu 1995, ch. 4).

A tree of uniform cylinders with an isopotential soma is solved exactly as a linear network:
each cylinder of length ``l`` between end voltages ``V1`` and ``V2`` is the two-port

    I1 = G_inf (coth(l/lambda) V1 - csch(l/lambda) V2)
    I2 = G_inf (coth(l/lambda) V2 - csch(l/lambda) V1)

(``I1``, ``I2``: currents flowing into the cylinder at its ends), the soma adds its membrane
conductance at its node, sealed ends carry no current, and the node equations ``Y V = I``
give input and transfer resistances anywhere (a site inside a cylinder is a node that splits
it in two). This is the continuous cable, not a compartmental approximation.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from netdyn.errors import ConfigError, nonnegative_float, positive_float

__all__ = [
    "ball_and_rall_tree",
    "ball_and_rall_tree_attenuation",
    "ball_and_rall_tree_input_conductance_nS",
    "cylinder_tree_input_conductance_nS",
    "cylinder_tree_resistances_MOhm",
    "infinite_cylinder_conductance_nS",
    "length_constant_um",
    "loaded_cylinder_input_conductance_nS",
    "loaded_cylinder_voltage_ratio",
    "rall_child_diameter_um",
    "sealed_cylinder_attenuation",
    "sealed_cylinder_input_conductance_nS",
    "sealed_cylinder_input_resistance_MOhm",
    "sealed_cylinder_transfer_resistance_MOhm",
]


def _rm_ohm_cm2(g_leak_pS_per_um2: float) -> float:
    return 1e4 / positive_float(g_leak_pS_per_um2, "g_leak_pS_per_um2")


def length_constant_um(diameter_um: float, g_leak_pS_per_um2: float, ri_ohm_cm: float) -> float:
    """Length constant ``lambda = sqrt(d Rm / (4 Ri))`` (um) of a cylinder.

    Parameters
    ----------
    diameter_um
        Cylinder diameter ``d`` (um).
    g_leak_pS_per_um2
        Membrane conductance density (pS/um^2); ``Rm = 1e4 / g_leak`` Ohm cm^2.
    ri_ohm_cm
        Axial resistivity ``Ri`` (Ohm cm).

    Returns
    -------
    float
        ``lambda`` in um (``d`` converted to cm, the result back to um).
    """
    d_cm = positive_float(diameter_um, "diameter_um") * 1e-4
    lam_cm = np.sqrt(d_cm * _rm_ohm_cm2(g_leak_pS_per_um2) / (4.0 * positive_float(ri_ohm_cm, "ri_ohm_cm")))
    return float(lam_cm * 1e4)


def infinite_cylinder_conductance_nS(diameter_um: float, g_leak_pS_per_um2: float, ri_ohm_cm: float) -> float:
    """Input conductance of a semi-infinite cylinder, ``G_inf = pi d^2 / (4 Ri lambda)`` (nS).

    With ``d`` and ``lambda`` in cm and ``Ri`` in Ohm cm the formula gives S; times 1e9, nS.
    Equivalently ``G_inf = pi d lambda g_leak``.
    """
    d_cm = positive_float(diameter_um, "diameter_um") * 1e-4
    lam_cm = length_constant_um(diameter_um, g_leak_pS_per_um2, ri_ohm_cm) * 1e-4
    return float(np.pi * d_cm ** 2 / (4.0 * ri_ohm_cm * lam_cm) * 1e9)


def loaded_cylinder_input_conductance_nS(length_um: float, diameter_um: float, g_leak_pS_per_um2: float,
                                         ri_ohm_cm: float, load_nS: float = 0.0) -> float:
    """Input conductance (nS) at the near end of a cylinder whose far end is loaded by
    ``load_nS`` (0: sealed end)::

        G_in = G_inf (G_L + G_inf tanh(L/lambda)) / (G_inf + G_L tanh(L/lambda))
    """
    length = nonnegative_float(length_um, "length_um")
    g_l = nonnegative_float(load_nS, "load_nS")
    g_inf = infinite_cylinder_conductance_nS(diameter_um, g_leak_pS_per_um2, ri_ohm_cm)
    t = np.tanh(length / length_constant_um(diameter_um, g_leak_pS_per_um2, ri_ohm_cm))
    return float(g_inf * (g_l + g_inf * t) / (g_inf + g_l * t))


def sealed_cylinder_input_conductance_nS(length_um: float, diameter_um: float, g_leak_pS_per_um2: float,
                                         ri_ohm_cm: float) -> float:
    """Input conductance (nS) at one end of a sealed-end cylinder of length ``L``:
    ``G_in = G_inf tanh(L / lambda)``."""
    return loaded_cylinder_input_conductance_nS(length_um, diameter_um, g_leak_pS_per_um2, ri_ohm_cm, 0.0)


def sealed_cylinder_input_resistance_MOhm(length_um: float, diameter_um: float, g_leak_pS_per_um2: float,
                                          ri_ohm_cm: float) -> float:
    """Input resistance ``1 / G_in`` (MOhm; 1/nS = 1e3 MOhm) at one end of a sealed cylinder."""
    return 1e3 / sealed_cylinder_input_conductance_nS(length_um, diameter_um, g_leak_pS_per_um2, ri_ohm_cm)


def loaded_cylinder_voltage_ratio(x_um: float | np.ndarray, length_um: float, diameter_um: float,
                                  g_leak_pS_per_um2: float, ri_ohm_cm: float, load_nS: float = 0.0) -> np.ndarray:
    """Steady ``V(x) / V(0)`` along a cylinder loaded by ``load_nS`` at ``x = L``, for current
    injected at ``x = 0``::

        V(x)/V(0) = [cosh((L-x)/lambda) + (G_L/G_inf) sinh((L-x)/lambda)]
                    / [cosh(L/lambda) + (G_L/G_inf) sinh(L/lambda)]
    """
    length = nonnegative_float(length_um, "length_um")
    x = np.asarray(x_um, dtype=float)
    if np.any((x < 0) | (x > length * (1 + 1e-12))):
        raise ConfigError("x_um", x_um, f"must be in [0, length_um={length:g}]")
    lam = length_constant_um(diameter_um, g_leak_pS_per_um2, ri_ohm_cm)
    r = nonnegative_float(load_nS, "load_nS") / infinite_cylinder_conductance_nS(diameter_um, g_leak_pS_per_um2, ri_ohm_cm)
    u, big = (length - x) / lam, length / lam
    return (np.cosh(u) + r * np.sinh(u)) / (np.cosh(big) + r * np.sinh(big))


def sealed_cylinder_attenuation(x_um: float | np.ndarray, length_um: float, diameter_um: float,
                                g_leak_pS_per_um2: float, ri_ohm_cm: float) -> np.ndarray:
    """Steady ``V(x) / V(0) = cosh((L-x)/lambda) / cosh(L/lambda)`` along a sealed cylinder,
    for current injected at ``x = 0``. By symmetry, ``V(0) / V(L)`` for current injected at
    the far end is ``1 / cosh(L / lambda)``: ``sealed_cylinder_attenuation(L, ...)``."""
    return loaded_cylinder_voltage_ratio(x_um, length_um, diameter_um, g_leak_pS_per_um2, ri_ohm_cm, 0.0)


def sealed_cylinder_transfer_resistance_MOhm(length_um: float, diameter_um: float, g_leak_pS_per_um2: float,
                                             ri_ohm_cm: float) -> float:
    """Transfer resistance between the two ends of a sealed cylinder, ``V(0) / I(L) =
    1 / (G_inf sinh(L / lambda))`` (MOhm); the same in both directions (reciprocity)."""
    lam = length_constant_um(diameter_um, g_leak_pS_per_um2, ri_ohm_cm)
    g_inf = infinite_cylinder_conductance_nS(diameter_um, g_leak_pS_per_um2, ri_ohm_cm)
    return float(1e3 / (g_inf * np.sinh(nonnegative_float(length_um, "length_um") / lam)))


# --------------------------------------------------------------------------- trees
def _tree_arrays(parent: Sequence[int], length_um: Sequence[float], diameter_um: Sequence[float]):
    parent = np.asarray(parent, dtype=np.int64)
    length = np.asarray(length_um, dtype=float)
    diameter = np.asarray(diameter_um, dtype=float)
    n = len(parent)
    if length.shape != (n,) or diameter.shape != (n,):
        raise ConfigError("length_um", length_um, "parent, length_um and diameter_um must have one entry per cylinder")
    if np.any(parent >= np.arange(n)) or np.any(parent < -1):
        raise ConfigError("parent", parent.tolist(), "each cylinder's parent must be an earlier cylinder, or -1 (the soma)")
    if np.any(~(length > 0)) or np.any(~(diameter > 0)):
        raise ConfigError("length_um", length_um, "lengths and diameters must be > 0")
    return parent, length, diameter


def cylinder_tree_input_conductance_nS(parent: Sequence[int], length_um: Sequence[float], diameter_um: Sequence[float],
                                       g_leak_pS_per_um2: float, ri_ohm_cm: float, soma_conductance_nS: float = 0.0) -> float:
    """Input conductance (nS) at the soma of a tree of uniform cylinders with sealed ends.

    Recursion from the leaves up: a cylinder's far end is loaded by the sum of its
    children's input conductances, ``G_L``, and its own input conductance is
    ``G_inf (G_L + G_inf tanh(L/lambda)) / (G_inf + G_L tanh(L/lambda))``
    (:func:`loaded_cylinder_input_conductance_nS`); the soma adds its membrane conductance
    ``soma_conductance_nS`` (``g_leak`` times its area) to the stems' sum.

    Parameters
    ----------
    parent
        Parent cylinder of each cylinder (-1: attached to the soma); parents come first.
    length_um, diameter_um
        Each cylinder's length and diameter (um).
    """
    parent, length, diameter = _tree_arrays(parent, length_um, diameter_um)
    load = np.zeros(len(parent))
    total = nonnegative_float(soma_conductance_nS, "soma_conductance_nS")
    for i in range(len(parent) - 1, -1, -1):  # children after parents: leaves first
        g = loaded_cylinder_input_conductance_nS(length[i], diameter[i], g_leak_pS_per_um2, ri_ohm_cm, load[i])
        if parent[i] >= 0:
            load[parent[i]] += g
        else:
            total += g
    return float(total)


def cylinder_tree_resistances_MOhm(parent: Sequence[int], length_um: Sequence[float], diameter_um: Sequence[float],
                                   g_leak_pS_per_um2: float, ri_ohm_cm: float, soma_conductance_nS: float,
                                   site_cylinder: int, site_x_um: float) -> tuple[float, float]:
    """Input resistance at a site and transfer resistance from it to the soma (MOhm).

    The exact steady state of the continuous cables (two-port of each cylinder, see the
    module docstring), with current injected at ``site_x_um`` from the proximal end of
    cylinder ``site_cylinder``: returns ``(V_site / I, V_soma / I)``. Their ratio
    ``V_soma / V_site`` is the steady attenuation from the site to the soma; by reciprocity
    ``V_soma / I_site`` equals ``V_site / I_soma``.
    """
    parent, length, diameter = _tree_arrays(parent, length_um, diameter_um)
    n = len(parent)
    if not 0 <= site_cylinder < n:
        raise ConfigError("site_cylinder", site_cylinder, f"must be in [0, {n - 1}]")
    x = nonnegative_float(site_x_um, "site_x_um")
    if x > length[site_cylinder] * (1 + 1e-12):
        raise ConfigError("site_x_um", site_x_um, f"must be <= the cylinder's length {length[site_cylinder]:g} um")
    # nodes: 0 soma, 1 + i the distal end of cylinder i, n + 1 the site (if inside a cylinder)
    pieces = []  # (node a, node b, length, diameter)
    site_node = None
    for i in range(n):
        a, b = (0 if parent[i] < 0 else 1 + parent[i]), 1 + i
        if i == site_cylinder and 0 < x < length[i]:
            site_node = n + 1
            pieces += [(a, site_node, x, diameter[i]), (site_node, b, length[i] - x, diameter[i])]
        else:
            pieces.append((a, b, length[i], diameter[i]))
    if site_node is None:
        site_node = (0 if parent[site_cylinder] < 0 else 1 + parent[site_cylinder]) if x == 0 else 1 + site_cylinder
    m = n + 2
    y = np.zeros((m, m))
    y[0, 0] = nonnegative_float(soma_conductance_nS, "soma_conductance_nS")
    for a, b, ell, d in pieces:
        lam = length_constant_um(d, g_leak_pS_per_um2, ri_ohm_cm)
        g_inf = infinite_cylinder_conductance_nS(d, g_leak_pS_per_um2, ri_ohm_cm)
        u = ell / lam
        coth, csch = 1.0 / np.tanh(u), 1.0 / np.sinh(u)
        y[a, a] += g_inf * coth
        y[b, b] += g_inf * coth
        y[a, b] -= g_inf * csch
        y[b, a] -= g_inf * csch
    if site_node != n + 1:
        y[n + 1, n + 1] = 1.0  # unused node
    current = np.zeros(m)
    current[site_node] = 1.0  # 1 nA -> volts in mV / ... : V = Y^-1 I in 1/nS = 1e3 MOhm
    v = np.linalg.solve(y, current)
    return float(v[site_node] * 1e3), float(v[0] * 1e3)


def rall_child_diameter_um(parent_diameter_um: float) -> float:
    """Diameter of each of two daughters by Rall's 3/2 rule, ``d_p^(3/2) = 2 d_c^(3/2)``:
    ``d_c = d_p 2^(-2/3)``."""
    return float(positive_float(parent_diameter_um, "parent_diameter_um") * 2.0 ** (-2.0 / 3.0))


def ball_and_rall_tree(stem_diameter_um: float, level_lengths_um: Sequence[float],
                       n_stems: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cylinders of a Ball-and-Rall's tree: ``n_stems`` symmetric binary trees whose
    level ``k`` branches have length ``level_lengths_um[k]`` and diameter
    ``stem_diameter_um * 2^(-2k/3)`` (Rall's 3/2 rule at every branch point).

    Returns
    -------
    parent, length_um, diameter_um
        One entry per cylinder, parents first, in breadth-first order per stem (-1: soma).
    """
    if int(n_stems) != n_stems or n_stems < 1:
        raise ConfigError("n_stems", n_stems, "must be a positive integer")
    levels = [positive_float(x, "level_lengths_um") for x in level_lengths_um]
    if not levels:
        raise ConfigError("level_lengths_um", level_lengths_um, "needs at least one level")
    d0 = positive_float(stem_diameter_um, "stem_diameter_um")
    parent, length, diameter = [], [], []
    for _ in range(int(n_stems)):
        frontier = [-1]
        for k, ell in enumerate(levels):
            new = []
            for p in frontier:
                for _child in range(1 if k == 0 else 2):
                    parent.append(p)
                    length.append(ell)
                    diameter.append(d0 * 2.0 ** (-2.0 * k / 3.0))
                    new.append(len(parent) - 1)
            frontier = new
    return np.array(parent, dtype=np.int64), np.array(length), np.array(diameter)


def ball_and_rall_tree_input_conductance_nS(soma_area_um2: float, stem_diameter_um: float,
                                            level_lengths_um: Sequence[float], g_leak_pS_per_um2: float,
                                            ri_ohm_cm: float, n_stems: int = 1) -> float:
    """Input conductance (nS) at the soma of a Ball-and-Rall's tree (:func:`ball_and_rall_tree`):
    the soma's membrane, ``g_leak * soma_area_um2`` (pS -> nS: times 1e-3), plus the trees'
    input conductances by the loaded-cylinder recursion
    (:func:`cylinder_tree_input_conductance_nS`)."""
    parent, length, diameter = ball_and_rall_tree(stem_diameter_um, level_lengths_um, n_stems)
    g_soma = positive_float(g_leak_pS_per_um2, "g_leak_pS_per_um2") * nonnegative_float(soma_area_um2, "soma_area_um2") * 1e-3
    return cylinder_tree_input_conductance_nS(parent, length, diameter, g_leak_pS_per_um2, ri_ohm_cm, g_soma)


def ball_and_rall_tree_attenuation(soma_area_um2: float, stem_diameter_um: float, level_lengths_um: Sequence[float],
                                   g_leak_pS_per_um2: float, ri_ohm_cm: float, fraction: float = 1.0,
                                   n_stems: int = 1) -> float:
    """Steady attenuation ``V_soma / V_site`` for current injected at ``fraction`` (0:
    proximal end, 1: tip) of the length of the first terminal branch of a Ball-and-Rall's
    tree (all terminals are equivalent by symmetry), from the exact network solution
    (:func:`cylinder_tree_resistances_MOhm`)."""
    parent, length, diameter = ball_and_rall_tree(stem_diameter_um, level_lengths_um, n_stems)
    if not 0.0 <= fraction <= 1.0:
        raise ConfigError("fraction", fraction, "must be in [0, 1]")
    has_child = np.zeros(len(parent), dtype=bool)
    has_child[parent[parent >= 0]] = True
    leaf = int(np.flatnonzero(~has_child)[0])
    g_soma = g_leak_pS_per_um2 * soma_area_um2 * 1e-3
    r_site, r_soma = cylinder_tree_resistances_MOhm(parent, length, diameter, g_leak_pS_per_um2, ri_ohm_cm, g_soma,
                                                    leaf, fraction * length[leaf])
    return r_soma / r_site
