"""Random Erdos-Renyi (Bernoulli) connectivity with Gaussian weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from netdyn.errors import ConfigError
from netdyn.seeding import SeedLike, as_generator


def bernoulli_gaussian(
    n_units: int,
    p: float,
    sigma: float,
    seed: SeedLike = None,
    *,
    zero_mean: bool = True,
    autapses: bool = False,
    dtype: np.dtype | type = np.float64,
) -> sp.csr_array:
    """Random weight matrix: each pair connected with probability ``p``, weight ~ N(0, sigma).

    The draw order is that of the chaos seed's code, so that with
    the seed's generator the published networks are reproduced exactly:

    1. ``n*n - n`` uniforms ``u`` over the off-diagonal slots in row-major order (``n*n``
       slots with autapses); a slot holds an edge where ``u > 1 - p``;
    2. one ``Normal(0, sigma)`` weight per present edge, in the same order;
    3. with ``zero_mean`` the mean over the present edges is subtracted from each of them
       (absent edges stay exactly 0).

    Parameters
    ----------
    n_units
        Number of units ``n`` (square matrix).
    p
        Connection probability, in (0, 1].
    sigma
        Standard deviation of the weights (not the variance), >= 0.
    seed
        Int, SeedSequence or Generator (consumed as described above).
    zero_mean
        Subtract the mean over existing edges.
    autapses
        Allow self-connections (diagonal slots are drawn too).
    dtype
        Floating dtype of the weights.

    Returns
    -------
    scipy.sparse.csr_array
        ``(n, n)`` with ``W[i, j]`` the weight from ``j`` onto ``i``; int32 indices.
    """
    if int(n_units) != n_units or n_units < 1:
        raise ConfigError("n_units", n_units, "must be a positive integer")
    if not (0.0 < p <= 1.0):
        raise ConfigError("p", p, "connection probability must lie in (0, 1]")
    if not (sigma >= 0.0 and np.isfinite(sigma)):
        raise ConfigError("sigma", sigma, "must be a finite number >= 0")
    n = int(n_units)
    rng = as_generator(seed)
    if autapses:
        rows, cols = np.divmod(np.arange(n * n, dtype=np.int64), n)
    else:
        flat = np.arange(n * n, dtype=np.int64)
        flat = flat[flat % (n + 1) != 0]  # drop the diagonal, keep row-major order
        rows, cols = np.divmod(flat, n)
    present = rng.random(rows.size) > 1.0 - p
    weights = rng.normal(0.0, sigma, size=int(present.sum()))
    if zero_mean and weights.size:
        weights -= weights.mean()
    w = sp.csr_array(
        (weights.astype(dtype, copy=False), (rows[present], cols[present])), shape=(n, n)
    )
    w.indices = w.indices.astype(np.int32, copy=False)
    w.indptr = w.indptr.astype(np.int32, copy=False)
    return w


@dataclass(frozen=True)
class EdgeStatistics:
    """Summary of a weight matrix's edges (for tests and reports)."""

    n_units: int
    n_edges: int
    edge_fraction: float
    n_autapses: int
    mean_weight: float
    std_weight: float


def edge_statistics(weights: sp.sparray | np.ndarray, autapses: bool = False) -> EdgeStatistics:
    """Edge count, fraction of possible edges, self-loops, mean and std of existing weights."""
    w = sp.csr_array(weights)
    w.eliminate_zeros()
    n = w.shape[0]
    possible = n * n if autapses else n * (n - 1)
    data = w.data
    return EdgeStatistics(
        n_units=n,
        n_edges=int(w.nnz),
        edge_fraction=w.nnz / possible,
        n_autapses=int(np.count_nonzero(w.diagonal())),
        mean_weight=float(data.mean()) if data.size else 0.0,
        std_weight=float(data.std()) if data.size else 0.0,
    )
