"""Reading back what a figure's panels show, for the figure tests (tests/test_plots_*.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from netdyn.plots.common import NOTE_GID, PNG_DPI


def axis(fig: Figure, label: str) -> Axes:
    """The one axes of ``fig`` labelled ``label``."""
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def draw(fig: Figure) -> Figure:
    """Render ``fig`` (and return it); layout, glyph and NaN warnings are failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
    return fig


def texts(ax: Axes) -> list[str]:
    """The strings of the text artists of ``ax``, in drawing order."""
    return [t.get_text() for t in ax.texts]


def notes(ax: Axes) -> list[str]:
    """The "no data" notes shown in ``ax`` (texts with the notes' gid)."""
    return [t.get_text() for t in ax.texts if t.get_gid() == NOTE_GID]


def by_gid(ax: Axes, prefix: str) -> dict[str, Artist]:
    """The artists of ``ax`` whose gid starts with ``prefix``, by gid."""
    return {a.get_gid(): a for a in ax.get_children() if (a.get_gid() or "").startswith(prefix)}


def line(ax: Axes, gid: str) -> Line2D:
    """The one line of ``ax`` with this gid."""
    (found,) = [ln for ln in ax.lines if ln.get_gid() == gid]
    return found


def legend_texts(ax: Axes) -> list[str]:
    """The entries of the legend of ``ax``."""
    return [t.get_text() for t in ax.get_legend().get_texts()]


def tick_labels(ax: Axes, which: str = "x") -> list[str]:
    """The tick labels of the x or y axis."""
    ticks = ax.get_xticklabels() if which == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def image_data(ax: Axes) -> np.ndarray:
    """The array of the one image of ``ax``, masked cells as NaN."""
    (image,) = ax.images
    return np.ma.filled(np.ma.asarray(image.get_array()).astype(float), np.nan)


def check_files(paths: list[Path], name: str, size_in: tuple[float, float]) -> None:
    """``[<name>.png, <name>.pdf]`` written, the PNG ``size_in`` at :data:`PNG_DPI` and not
    blank, the PDF without a creation date."""
    assert [p.name for p in paths] == [f"{name}.png", f"{name}.pdf"]
    for path in paths:
        assert path.is_file() and path.stat().st_size > 10_000
    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF") and b"/CreationDate" not in pdf
    img = mpimg.imread(paths[0])
    assert img.shape[1] == pytest.approx(size_in[0] * PNG_DPI, abs=2)
    assert img.shape[0] == pytest.approx(size_in[1] * PNG_DPI, abs=2)
    assert img[..., :3].std() > 0.05  # not a blank page

