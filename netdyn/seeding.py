"""One way to turn a user's ``seed`` into random generators.

Every stochastic entry point of netdyn takes ``seed`` (int, :class:`numpy.random.SeedSequence`
or :class:`numpy.random.Generator`) and passes it through :func:`as_generator`. Child streams
for work units come from spawn keys (:func:`child_generator`), never from the order in which
workers run, so a result does not depend on how work is split.
"""

from __future__ import annotations

import hashlib
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


def _name_words(name: str | int) -> tuple[int, ...]:
    """Four stable 32-bit words (128 bits of BLAKE2b) identifying ``name``.

    Strings and ints are tagged differently, so ``"3"`` and ``3`` are different names. One
    32-bit word per name would make a collision between two of the ~65 000 projections of a
    254-population model likely (birthday bound); 128 bits make it negligible.
    """
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise TypeError(f"a generator name must be a str or an int, not {type(name).__name__}")
    tagged = ("s:" + name) if isinstance(name, str) else ("i:" + str(int(name)))
    digest = hashlib.blake2b(tagged.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def named_generator(root_seed: int, *names: str | int) -> np.random.Generator:
    """Generator of the named stream ``names`` under ``root_seed``.

    ``default_rng(SeedSequence(entropy=root_seed, spawn_key=words))`` where ``words`` joins
    four 32-bit words of a BLAKE2b hash per name (never Python's salted ``hash``). The stream
    depends only on the root seed and the names, so a projection ``"Exc->Inh"`` gets the same
    random numbers whatever order projections are built in, in any process.

    Parameters
    ----------
    root_seed
        Non-negative integer root seed of the model.
    *names
        Strings or ints naming the stream, e.g. ``("connect", "Exc->Inh")``.
    """
    key = tuple(word for name in names for word in _name_words(name))
    return np.random.default_rng(np.random.SeedSequence(entropy=int(root_seed), spawn_key=key))
