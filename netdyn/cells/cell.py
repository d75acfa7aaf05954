"""A cell: a morphology with its biophysics."""

from __future__ import annotations

from dataclasses import dataclass

from netdyn.config.biophysics import Biophysics
from netdyn.cells.morphology import Morphology

__all__ = ["Cell"]


@dataclass(frozen=True)
class Cell:
    """A morphologically detailed neuron: what it is, not how it is simulated."""

    morphology: Morphology
    biophysics: Biophysics = Biophysics()
