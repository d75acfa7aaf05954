r"""Sparse E/I connectivity obeying Dale's law, strongly connected by construction.

The generator of the SRNN reference (T. Richner's *Stable Random Nonlinear Networks*,
``generate_M_no_iso``): a random directed Hamiltonian cycle through all neurons (so no
neuron is isolated and the graph is strongly connected), plus uniformly drawn extra edges,
Gaussian weights, signs by presynaptic population (column), and one scale per block.

Convention: ``M[post, pre]`` (row = postsynaptic target, column = presynaptic source), so the
recurrent input is ``M @ p``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from netdyn.errors import ConfigError
from netdyn.seeding import SeedLike, as_generator

__all__ = [
    "REFERENCE_MEAN_ABS_NORMAL",
    "default_weight_scale",
    "kept_edges",
    "strongly_connected_dale",
]

#: :math:`E|N(0,1)| = \sqrt{2/\pi} = 0.7978846\ldots`, as rounded in the SRNN reference codes
#: (MATLAB, Python and Julia all write ``0.79782``).
REFERENCE_MEAN_ABS_NORMAL: float = 0.79782


def default_weight_scale(mean_abs: float = 0.5, *, exact: bool = False) -> float:
    r"""Scale that gives standard-normal weights a mean absolute value ``mean_abs``.

    .. math:: s = \frac{\text{mean\_abs}}{E|N(0,1)|}, \qquad E|N(0,1)| = \sqrt{2/\pi}

    Parameters
    ----------
    mean_abs
        Wanted mean absolute weight (the reference: 0.5).
    exact
        ``False`` (default): divide by the reference's rounded constant
        :data:`REFERENCE_MEAN_ABS_NORMAL` ``= 0.79782``, giving the reference's
        ``scale = 0.5 / 0.79782 = 0.626708...`` (mean ``|w|`` = 0.500041, not exactly 0.5).
        ``True``: divide by :math:`\sqrt{2/\pi}` exactly.

    Returns
    -------
    float
    """
    if not (math.isfinite(mean_abs) and mean_abs >= 0):
        raise ConfigError("mean_abs", mean_abs, "must be a finite number >= 0")
    return float(mean_abs) / (math.sqrt(2.0 / math.pi) if exact else REFERENCE_MEAN_ABS_NORMAL)


def _fraction(value: Any, field: str, *, lo_open: bool = False, hi_open: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, value, "must be a number in [0, 1]") from None
    lo_ok = v > 0 if lo_open else v >= 0
    hi_ok = v < 1 if hi_open else v <= 1
    if not (math.isfinite(v) and lo_ok and hi_ok):
        lo, hi = "(" if lo_open else "[", ")" if hi_open else "]"
        raise ConfigError(field, value, f"must lie in {lo}0, 1{hi}")
    return v


def kept_edges(n_units: int, *, mean_degree: float | None = None, sparsity: float | None = None) -> int:
    r"""Number of off-diagonal edges the generator keeps.

    ``E_keep = round((1 - sparsity) * n (n - 1))`` (Python's round, half to even), with
    ``sparsity = 1 - mean_degree / (n - 1)`` when the mean in/out degree is given instead.
    Exactly one of ``mean_degree`` and ``sparsity`` must be given.
    """
    n = _n_units(n_units)
    if (mean_degree is None) == (sparsity is None):
        raise ConfigError("mean_degree/sparsity", (mean_degree, sparsity), "give exactly one of them")
    slots = n * (n - 1)
    if mean_degree is not None:
        try:
            k = float(mean_degree)
        except (TypeError, ValueError):
            raise ConfigError("mean_degree", mean_degree, "must be a number") from None
        if not (math.isfinite(k) and 0 < k <= n - 1):
            raise ConfigError("mean_degree", mean_degree, f"must lie in (0, n_units - 1] = (0, {n - 1}]")
        density, field = k / (n - 1), "mean_degree"
    else:
        density, field = 1.0 - _fraction(sparsity, "sparsity", hi_open=True), "sparsity"
    e_keep = int(round(density * slots))
    if e_keep < n:
        value = mean_degree if mean_degree is not None else sparsity
        raise ConfigError(
            field, value,
            f"keeps {e_keep} edges, fewer than n_units={n}: cannot ensure strong connectivity",
        )
    return e_keep


def _n_units(n_units: Any) -> int:
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 2:
        raise ConfigError("n_units", n_units, "must be an integer >= 2")
    return int(n_units)


def _weight(value: Any, field: str, *, signed: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, value, "must be a finite number") from None
    if not math.isfinite(v) or (not signed and v < 0):
        raise ConfigError(field, value, "must be a finite number" + ("" if signed else " >= 0 (signs come from Dale's law)"))
    return v


def strongly_connected_dale(
    n_units: int,
    *,
    e_fraction: float,
    mean_degree: float | None = None,
    sparsity: float | None = None,
    w_ee: float,
    w_ei: float,
    w_ie: float,
    w_ii: float,
    w_self_e: float = 0.0,
    w_self_i: float = 0.0,
    seed: SeedLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Random sparse E/I weight matrix with Dale's law and no isolated neuron (the SRNN generator).

    Steps (in the reference Python port's draw order, so that ``seed=42000`` reproduces
    the reference's example network "seed 42" and ``seed=7000`` its "seed 7"):

    1. ``is_excitatory[:n_E] = True`` with ``n_E = round(e_fraction * n)`` (Python's round:
       half to even; the first ``n_E`` indices are E, the rest I).
    2. ``E_keep`` off-diagonal edges (:func:`kept_edges`); ``E_keep < n`` is an error.
    3. ``perm = rng.permutation(n)``; edges ``perm[i] -> perm[i+1 mod n]`` (stored at
       ``M[perm[i], perm[i+1]]``), a directed Hamiltonian cycle: every neuron has an input
       and an output and the graph is strongly connected.
    4. ``E_keep - n`` further edges drawn uniformly without replacement
       (``rng.choice(..., replace=False)``) among the remaining off-diagonal slots, listed
       in row-major order.
    5. ``A = rng.standard_normal((n, n))`` (:math:`\sigma = 1`), zeroed outside the edges.
    6. Dale's law by column (presynaptic population): ``A[:, E] = |A[:, E]|``,
       ``A[:, I] = -|A[:, I]|``.
    7. Block scales, named source-to-target as in the reference: ``A[E, E] *= w_ee``,
       ``A[I, E] *= w_ei`` (E -> I), ``A[E, I] *= w_ie`` (I -> E), ``A[I, I] *= w_ii``.
    8. Diagonal: ``w_self_i`` for I neurons, ``w_self_e`` for E neurons (default 0).

    With ``w = default_weight_scale()`` (0.5 / 0.79782) the mean absolute weight of a
    non-zero entry of a block is ``0.5 * w_xy / w``, e.g. 0.5 for the reference's
    ``w_ee = w_ei = w_ie = w`` and 0.25 for ``w_ii = w / 2``.

    Parameters
    ----------
    n_units
        Number of neurons ``n >= 2``.
    e_fraction
        Fraction of excitatory neurons, in [0, 1].
    mean_degree, sparsity
        Exactly one: mean in/out degree ``k`` (density ``k / (n - 1)``), or the fraction
        of empty off-diagonal slots.
    w_ee, w_ei, w_ie, w_ii
        Block scales, finite and >= 0 (signs come from Dale's law).
    w_self_e, w_self_i
        Diagonal values (any finite number; not random, not sign-constrained).
    seed
        Int, SeedSequence or Generator (consumed in the order above).

    Returns
    -------
    M : ndarray
        ``(n, n)`` float64, ``M[post, pre]``.
    is_excitatory : ndarray
        ``(n,)`` bool.

    Raises
    ------
    ConfigError
        Naming the field, for an invalid ``n_units``, fraction, degree, sparsity or weight,
        and when fewer than ``n`` edges would be kept.
    """
    n = _n_units(n_units)
    ef = _fraction(e_fraction, "e_fraction")
    e_keep = kept_edges(n, mean_degree=mean_degree, sparsity=sparsity)
    w = {name: _weight(v, name) for name, v in (("w_ee", w_ee), ("w_ei", w_ei), ("w_ie", w_ie), ("w_ii", w_ii))}
    self_e = _weight(w_self_e, "w_self_e", signed=True)
    self_i = _weight(w_self_i, "w_self_i", signed=True)
    rng = as_generator(seed)

    n_e = int(round(ef * n))
    is_exc = np.zeros(n, dtype=bool)
    is_exc[:n_e] = True

    perm = rng.permutation(n)
    mask = np.zeros((n, n), dtype=bool)
    mask[perm, np.roll(perm, -1)] = True
    free = ~mask
    np.fill_diagonal(free, False)
    extra = rng.choice(np.flatnonzero(free), size=e_keep - n, replace=False)
    mask.flat[extra] = True

    a = rng.standard_normal((n, n))
    a[~mask] = 0.0
    np.fill_diagonal(a, 0.0)
    np.abs(a, out=a)
    exc, inh = is_exc, ~is_exc
    a[:, inh] = 0.0 - a[:, inh]  # (0.0 - x keeps absent edges +0.0, not -0.0)
    a[np.ix_(exc, exc)] *= w["w_ee"]
    a[np.ix_(inh, exc)] *= w["w_ei"]
    a[np.ix_(exc, inh)] *= w["w_ie"]
    a[np.ix_(inh, inh)] *= w["w_ii"]
    diag = np.where(is_exc, self_e, self_i)
    a[np.diag_indices(n)] = diag
    return a, is_exc
