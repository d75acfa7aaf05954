"""The results file and figure of the studies whose result is one spiking recording (``rsfs``,
``netdyn run``): ``recording.h5`` and the activity figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIGURE_STEM = "figure"


def draw_activity(recording: Any, out: Path) -> list[Path]:
    """The activity figure, ``figure.png``/``.pdf`` in ``out``."""
    from netdyn.plots.activity import plot_activity_figure

    return plot_activity_figure(recording, Path(out) / FIGURE_STEM, rate_smoothing_ms=5.0)


def read_recording_file(path: Path) -> Any:
    """The :class:`~netdyn.record.spiking.SpikingRecording` stored at ``path`` (HDF5)."""
    from netdyn.io.hdf5 import read_recording

    return read_recording(path)
