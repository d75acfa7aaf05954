"""What every netdyn figure shares: the house style, a headless figure, panel titles and
"no data" notes, heat-map cell labels, min/max decimation of long lines, and the one way a
figure is written to disk.

Only :class:`matplotlib.figure.Figure` objects are used (no ``pyplot``, no global backend
switch), so figures can be built in worker processes and headless sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = [
    "PNG_DPI",
    "RC",
    "MAX_POINTS",
    "NOTE_COLOUR",
    "NOTE_GID",
    "house_figure",
    "save_figure",
    "panel_title",
    "note",
    "has_vars",
    "count",
    "lighter",
    "hide_frame",
    "annotate_cells",
    "minmax_decimate",
]

#: Resolution of the PNG figures (dots per inch); the PDFs are vector graphics.
PNG_DPI = 200

#: matplotlib settings of the house style (font sizes in pt, no top and right spines,
#: TrueType fonts embedded in PDFs so their text stays editable).
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # embed TrueType, editable text in the PDF
    "ps.fonttype": 42,
}

#: At most this many points per drawn line (min/max decimation keeps the extrema).
MAX_POINTS = 4000
#: Colour of the notes a panel shows instead of data, and of small remarks in panels.
NOTE_COLOUR = "0.35"
#: gid of the text a panel shows instead of data, so that callers and tests can find it.
NOTE_GID = "note"


# --------------------------------------------------------------------------- figure and file


@contextmanager
def house_figure(figsize: tuple[float, float], **layout: float) -> Iterator[Figure]:
    """A constrained-layout figure on an Agg canvas, drawn under the house rc parameters.

    Parameters
    ----------
    figsize
        Width and height, inches.
    **layout
        Padding of the constrained layout (``w_pad``, ``h_pad``, ``wspace``, ``hspace``).

    Yields
    ------
    matplotlib.figure.Figure
        Everything drawn inside the ``with`` block picks up :data:`RC`.
    """
    with mpl.rc_context(RC):
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        if layout:
            fig.get_layout_engine().set(**layout)
        yield fig


def save_figure(fig: Figure, path_stem: str | Path,
                attrs: Mapping[str, Any] | None = None) -> list[Path]:
    """Write ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf``.

    Parameters
    ----------
    fig
        The figure.
    path_stem
        Path without suffix; the suffixes are appended, so a stem like ``"out/chaos_v1.2"``
        keeps its dots. Missing parent directories are created.
    attrs
        Attributes of the results drawn; their ``netdyn_version`` goes into the files'
        metadata.

    Returns
    -------
    list of Path
        ``[png_path, pdf_path]``. The PDF carries no creation date, so the same results give
        the same file.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_name(stem.name + ".png")
    pdf = stem.with_name(stem.name + ".pdf")
    software = f"netdyn {(attrs or {}).get('netdyn_version', '')}".strip()
    with mpl.rc_context(RC):
        fig.savefig(png, dpi=PNG_DPI, metadata={"Software": software})
        fig.savefig(pdf, metadata={"Creator": software, "CreationDate": None})
    return [png, pdf]


# --------------------------------------------------------------------------- panels


def panel_title(ax: Axes, letter: str, text: str) -> None:
    """Left-aligned panel title led by its bold letter."""
    ax.set_title(rf"$\mathbf{{{letter}}}$   {text}", loc="left")


def note(ax: Axes, text: str, *, keep_x: bool = False, x: float = 0.5,
         fontsize: float = 9.0) -> Text:
    """Show ``text`` in a panel instead of its data (the text carries the gid :data:`NOTE_GID`).

    Parameters
    ----------
    ax
        The panel.
    text
        Why there is nothing to draw.
    keep_x
        Leave the x axis alone (a time axis shared with other panels); otherwise the ticks
        and the frame go.
    x
        Horizontal centre of the note, in axes coordinates.
    fontsize
        Font size, points.
    """
    ax.set_yticks([])
    if keep_x:
        ax.spines["left"].set_visible(False)
    else:
        ax.set_xticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    return ax.text(x, 0.5, text, transform=ax.transAxes, ha="center", va="center",
                   fontsize=fontsize, color=NOTE_COLOUR, wrap=True, gid=NOTE_GID)


def has_vars(ds: xr.Dataset, *names: str) -> bool:
    """Whether ``ds`` has every one of the variables (or coordinates) ``names``."""
    return all(name in ds.variables for name in names)


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n == 1``: "1 session", "5 sessions"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def lighter(colour: str | tuple, amount: float) -> tuple[float, float, float]:
    """``colour`` mixed with white: ``amount`` 0 keeps it, 1 gives white."""
    rgb = np.array(to_rgb(colour))
    return tuple(float(c) for c in rgb + (1.0 - rgb) * amount)


def hide_frame(ax: Axes) -> None:
    """No spines and zero-length ticks (heat maps)."""
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def annotate_cells(ax: Axes, values: np.ndarray, cmap: Colormap, norm: Normalize,
                   fmt: Callable[[float], str], suffixes: Sequence[Sequence[str]] | None = None,
                   **text_kw: float) -> None:
    """Write each cell's value on a heat map drawn with ``imshow``.

    Parameters
    ----------
    ax
        The heat map's axes (cell ``(i, j)`` centred at x = j, y = i).
    values
        The cell values, 2-D; non-finite cells read "n/a".
    cmap, norm
        The heat map's colours: the text is white on dark cells, black on light ones.
    fmt
        Text of a finite value.
    suffixes
        Text appended to each cell's value (e.g. a second line with counts).
    **text_kw
        Passed to :meth:`~matplotlib.axes.Axes.text` (``fontsize``, ``linespacing``).
    """
    for i, j in np.ndindex(values.shape):
        v = values[i, j]
        if np.isfinite(v):
            dark = sum(cmap(norm(v))[:3]) / 3 < 0.5
            colour, text = ("white" if dark else "black"), fmt(v)
        else:
            colour, text = "0.25", "n/a"
        if suffixes is not None:
            text += suffixes[i][j]
        ax.text(j, i, text, ha="center", va="center", color=colour, **text_kw)


# --------------------------------------------------------------------------- long lines


def minmax_decimate(x: np.ndarray, y: np.ndarray,
                    max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Min/max decimation of the columns of ``y`` (samples along axis 0) to <= max_points.

    Each bucket of consecutive samples contributes its minimum and its maximum in time order,
    so peaks survive. Returns ``(xs, ys)`` of shape ``(m, n_columns)`` (or ``(m,)`` for a 1-D
    ``y``): every column has its own sample times, a subset of ``x``. NaN samples are kept
    only where a whole bucket is NaN.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    squeeze = y.ndim == 1
    if squeeze:
        y = y[:, None]
    n = y.shape[0]
    if n <= max_points:
        xs = np.broadcast_to(x[:, None], y.shape).copy()
        return (xs[:, 0], y[:, 0]) if squeeze else (xs, y)
    n_buckets = max(1, max_points // 2)
    size = -(-n // n_buckets)
    n_buckets = -(-n // size)
    pad = n_buckets * size - n
    yp = np.concatenate([y, np.full((pad, y.shape[1]), np.nan)], axis=0)
    yb = yp.reshape(n_buckets, size, y.shape[1])
    i_min = np.argmin(np.where(np.isnan(yb), np.inf, yb), axis=1)
    i_max = np.argmax(np.where(np.isnan(yb), -np.inf, yb), axis=1)
    start = (np.arange(n_buckets) * size)[:, None]
    first = start + np.minimum(i_min, i_max)
    second = start + np.maximum(i_min, i_max)
    idx = np.stack([first, second], axis=1).reshape(2 * n_buckets, y.shape[1])
    idx = np.minimum(idx, n - 1)
    ys = np.take_along_axis(y, idx, axis=0)
    xs = x[idx]
    return (xs[:, 0], ys[:, 0]) if squeeze else (xs, ys)
