"""Where each variable of an SRNN lives in the ``(dim, batch)`` state array.

Blocks in the reference's order ``[a_E; a_I; b_E; b_I; u_d]``; inside a population block the
neuron index runs fastest (see :mod:`netdyn.models.srnn`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from netdyn.errors import ConfigError

__all__ = ["SRNNLayout"]


@dataclass(frozen=True, eq=False)
class SRNNLayout:
    """Where each variable lives in the ``(dim, batch)`` state (see the module docstring).

    Attributes
    ----------
    n_units, dim
        Neurons and state rows.
    e_units, i_units
        ``(n_E,)``, ``(n_I,)`` neuron indices of each population, increasing.
    n_a_e, n_a_i, n_b_e, n_b_i
        SFA / STD timescales per population.
    a_e, a_i, b_e, b_i, u_d
        Row slices of the blocks.
    a, b
        Row slices of all SFA (``a_E`` then ``a_I``) and all STD (``b_E`` then ``b_I``) rows.
    """

    n_units: int
    e_units: np.ndarray
    i_units: np.ndarray
    n_a_e: int
    n_a_i: int
    n_b_e: int
    n_b_i: int

    @cached_property
    def n_e(self) -> int:
        return int(self.e_units.size)

    @cached_property
    def n_i(self) -> int:
        return int(self.i_units.size)

    @cached_property
    def a_e(self) -> slice:
        return slice(0, self.n_a_e * self.n_e)

    @cached_property
    def a_i(self) -> slice:
        return slice(self.a_e.stop, self.a_e.stop + self.n_a_i * self.n_i)

    @cached_property
    def b_e(self) -> slice:
        return slice(self.a_i.stop, self.a_i.stop + self.n_b_e * self.n_e)

    @cached_property
    def b_i(self) -> slice:
        return slice(self.b_e.stop, self.b_e.stop + self.n_b_i * self.n_i)

    @cached_property
    def u_d(self) -> slice:
        return slice(self.b_i.stop, self.b_i.stop + self.n_units)

    @cached_property
    def a(self) -> slice:
        return slice(0, self.a_i.stop)

    @cached_property
    def b(self) -> slice:
        return slice(self.b_e.start, self.b_i.stop)

    @cached_property
    def dim(self) -> int:
        return self.u_d.stop

    def _pop(self, unit: int) -> tuple[bool, int]:
        unit = int(unit)
        if not 0 <= unit < self.n_units:
            raise ConfigError("unit", unit, f"must lie in [0, {self.n_units})")
        j = np.searchsorted(self.e_units, unit)
        if j < self.n_e and self.e_units[j] == unit:
            return True, int(j)
        return False, int(np.searchsorted(self.i_units, unit))

    def a_index(self, unit: int, k: int) -> int:
        """Row of SFA state ``a_{unit, k}``."""
        exc, j = self._pop(unit)
        n_k, n_p, block = (self.n_a_e, self.n_e, self.a_e) if exc else (self.n_a_i, self.n_i, self.a_i)
        if not 0 <= k < n_k:
            raise ConfigError("k", k, f"neuron {unit} has {n_k} SFA timescales")
        return block.start + k * n_p + j

    def b_index(self, unit: int, m: int) -> int:
        """Row of STD state ``b_{unit, m}``."""
        exc, j = self._pop(unit)
        n_m, n_p, block = (self.n_b_e, self.n_e, self.b_e) if exc else (self.n_b_i, self.n_i, self.b_i)
        if not 0 <= m < n_m:
            raise ConfigError("m", m, f"neuron {unit} has {n_m} STD timescales")
        return block.start + m * n_p + j

    def u_d_index(self, unit: int | Sequence[int] | np.ndarray) -> int | np.ndarray:
        """Row(s) of the dendritic state(s) of ``unit`` (an int or an array of ints)."""
        u = np.asarray(unit)
        if u.size and (u.min() < 0 or u.max() >= self.n_units):
            raise ConfigError("unit", unit, f"must lie in [0, {self.n_units})")
        rows = self.u_d.start + u
        return int(rows) if rows.ndim == 0 else rows

    def labels(self) -> list[str]:
        """One label per state row: ``"a[i,k]"``, ``"b[i,m]"``, ``"u_d[i]"`` (neuron ``i``)."""
        out: list[str] = []
        for name, n_k, units in (("a", self.n_a_e, self.e_units), ("a", self.n_a_i, self.i_units),
                                 ("b", self.n_b_e, self.e_units), ("b", self.n_b_i, self.i_units)):
            out += [f"{name}[{i},{k}]" for k in range(n_k) for i in units]
        out += [f"u_d[{i}]" for i in range(self.n_units)]
        return out
