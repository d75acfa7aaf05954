"""What a model hands to the engines to be integrated in compiled code.

A model family whose vector field is written in numba offers it as a :class:`CompiledField`;
the engines' compiled integrators (:mod:`netdyn.engines.rk4`) run it. The model says what
its equations are; the engine says how they are stepped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)
class CompiledField:
    """A compiled vector field with its arguments, ready for one batch.

    Attributes
    ----------
    field
        numba ``cfunc`` ``field(x, t, out, args)``: writes :math:`dx/dt` of the C-contiguous
        ``(dim, batch)`` float64 states ``x`` at time ``t`` into ``out``.
    jvp
        numba ``cfunc`` ``jvp(x, t, v, out, args)``: writes :math:`J(x)\\,v` for tangents of
        shape ``(dim, batch, k)``; ``None`` when tangents were not asked for.
    args
        The tuple passed to both (tables, parameters, scratch arrays sized for the batch).
    clip_rows
        ``(lo, hi)``: rows ``lo .. hi-1`` are clipped into ``clip_range`` after every step
        (the model's ``clip``); ``(0, 0)`` for none.
    clip_range
        ``(min, max)`` of the clipped rows.
    """

    field: Any
    jvp: Any
    args: tuple
    clip_rows: tuple[int, int] = (0, 0)
    clip_range: tuple[float, float] = (0.0, 1.0)
