"""Split a batch of independent trajectories (the columns of a ``(dim, batch)`` state) into
sub-batches, one per thread (see :mod:`netdyn.engines.threads`).

The batched engines compute every column with the same operations whatever the batch
width and whatever the other columns, so a sub-batch integrated on its own gives each of
its columns bit for bit what the whole batch gives it: results do not depend on the number
of threads. Twin pairs ``(a0 + p, b0 + p)`` (:meth:`TwinDivergence.fused_block
<netdyn.record.observers.TwinDivergence.fused_block>`) are kept in one sub-batch, so that
the engine can compute their distance inside its kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

__all__ = ["SubBatch", "column_params", "split_batch"]


@dataclass(frozen=True)
class SubBatch:
    """Columns of one sub-batch, in its own order.

    Attributes
    ----------
    cols
        ``(width,)`` int64: batch column of each of its columns.
    pair_a0, pair_b0, n_pairs
        Its twin pairs are its columns ``(pair_a0 + p, pair_b0 + p)``, ``p < n_pairs``;
        they are the batch's pairs ``first_pair + p``.
    first_pair
        Index of its first pair among the batch's pairs.
    """

    cols: np.ndarray
    pair_a0: int = 0
    pair_b0: int = 0
    n_pairs: int = 0
    first_pair: int = 0

    @property
    def width(self) -> int:
        """Number of columns."""
        return int(self.cols.size)

    def local(self, batch_cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(which, where)``: the entries ``which`` of ``batch_cols`` that lie in this
        sub-batch, and their columns ``where`` in it (both int64, in ``batch_cols`` order)."""
        lookup = np.full(int(max(self.cols.max(initial=-1), np.max(batch_cols, initial=-1))) + 1, -1, dtype=np.int64)
        lookup[self.cols] = np.arange(self.width)
        pos = lookup[np.asarray(batch_cols, dtype=np.int64)] if len(batch_cols) else np.zeros(0, dtype=np.int64)
        which = np.flatnonzero(pos >= 0).astype(np.int64)
        return which, pos[which]


def split_batch(batch: int, n_parts: int, pairs: tuple[int, int, int] | None = None) -> list[SubBatch]:
    """Split ``batch`` columns into at most ``n_parts`` non-empty sub-batches of similar width.

    Parameters
    ----------
    batch
        Number of columns.
    n_parts
        Number of sub-batches wanted (threads); fewer when there are fewer columns.
    pairs
        ``(a0, b0, n_pairs)``: the twin pairs ``(a0 + p, b0 + p)`` to keep together, or None.

    Returns
    -------
    list of SubBatch
        With ``n_parts = 1``: one sub-batch holding the batch in its own order. Otherwise
        sub-batch ``t`` holds pairs ``P_t`` (consecutive) as ``[a0 + P_t, b0 + P_t]`` followed
        by its share of the unpaired columns (each given, in order, to the narrowest part).
    """
    if n_parts <= 1 or batch <= 1:
        a0, b0, n_pairs = pairs if pairs is not None else (0, 0, 0)
        return [SubBatch(np.arange(batch, dtype=np.int64), a0, b0, n_pairs, 0)]
    a0, b0, n_pairs = pairs if pairs is not None else (0, 0, 0)
    paired = np.zeros(batch, dtype=bool)
    paired[a0 : a0 + n_pairs] = True
    paired[b0 : b0 + n_pairs] = True
    rest = np.flatnonzero(~paired).astype(np.int64)
    units = n_pairs + rest.size  # a pair counts as one unit of work placement
    n = min(n_parts, units)
    pair_chunks = np.array_split(np.arange(n_pairs, dtype=np.int64), n)
    widths = [2 * p.size for p in pair_chunks]
    singles: list[list[int]] = [[] for _ in range(n)]
    for col in rest.tolist():  # each unpaired column to the narrowest part so far
        t = int(np.argmin(widths))
        singles[t].append(col)
        widths[t] += 1
    out = []
    for p, r in zip(pair_chunks, singles):
        cols = np.concatenate([a0 + p, b0 + p, np.asarray(r, dtype=np.int64)])
        if cols.size:
            out.append(SubBatch(cols, 0, p.size, p.size, int(p[0]) if p.size else 0))
    return out


def column_params(params: Mapping[str, Any], cols: np.ndarray, batch: int) -> dict[str, Any]:
    """Per-trajectory parameters (e.g. the SRNN's ``weight_scale``) of the columns ``cols``:
    values whose first axis has length ``batch`` are sliced, others kept."""
    return {k: (np.asarray(v)[cols] if np.ndim(v) >= 1 and np.shape(v)[0] == batch else v) for k, v in params.items()}
