"""One way to turn a user's ``seed`` into random generators.

Every stochastic entry point of netdyn takes ``seed`` (int, :class:`numpy.random.SeedSequence`
or :class:`numpy.random.Generator`) and passes it through :func:`as_generator`. Child streams
for work units come from spawn keys (:func:`child_generator`), never from the order in which
workers run, so a result does not depend on how work is split.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

SeedLike: TypeAlias = int | np.random.SeedSequence | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed`` (a Generator is passed through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def child_generator(root_seed: int, *spawn_key: int) -> np.random.Generator:
    """Generator of the work unit ``spawn_key`` under ``root_seed``.

    ``default_rng(SeedSequence(entropy=root_seed, spawn_key=spawn_key))``: the stream depends
    only on the root seed and the key, so any worker can rebuild it.
    """
    return np.random.default_rng(
        np.random.SeedSequence(entropy=root_seed, spawn_key=tuple(int(k) for k in spawn_key))
    )
