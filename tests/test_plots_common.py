"""The helpers every figure shares (netdyn.plots.common)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from PIL import Image

from netdyn.plots.common import NOTE_COLOUR, NOTE_GID, annotate_cells, count, house_figure, lighter
from netdyn.plots.common import minmax_decimate, note, panel_title, save_figure


def test_minmax_decimate_keeps_extrema_and_samples():
    rng = np.random.default_rng(0)
    x = np.arange(20001) * 1e-3
    y = rng.standard_normal((20001, 3))
    y[5000:5100, 1] = np.nan
    xs, ys = minmax_decimate(x, y, max_points=4000)
    assert xs.shape == ys.shape and xs.shape[0] <= 4000
    for col in range(3):
        idx = np.round(xs[:, col] / 1e-3).astype(int)
        assert np.all(np.diff(idx) >= 0)
        np.testing.assert_array_equal(ys[:, col], y[idx, col])
        assert np.nanmax(ys[:, col]) == np.nanmax(y[:, col])
        assert np.nanmin(ys[:, col]) == np.nanmin(y[:, col])
    _, short_y = minmax_decimate(x[:100], y[:100, 0])
    np.testing.assert_array_equal(short_y, y[:100, 0])


def test_house_figure_title_and_note():
    with house_figure((4.0, 3.0), w_pad=0.1) as fig:
        assert mpl.rcParams["font.size"] == 9  # the house style inside the block
        ax, bx = fig.subplots(1, 2)
        panel_title(ax, "a", "Rates")
        text = note(ax, "no rates stored")
        note(bx, "nothing", keep_x=True, x=0.6, fontsize=8)
    assert isinstance(fig.canvas, FigureCanvasAgg)
    assert tuple(fig.get_size_inches()) == (4.0, 3.0)
    assert ax.get_title(loc="left") == r"$\mathbf{a}$   Rates"
    assert (text.get_text(), text.get_gid(), text.get_color()) == \
        ("no rates stored", NOTE_GID, NOTE_COLOUR)
    assert not any(s.get_visible() for s in ax.spines.values())
    assert len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0
    # keep_x: a shared time axis stays
    assert bx.spines["bottom"].get_visible() and not bx.spines["left"].get_visible()
    assert len(bx.get_xticks()) > 0
    assert bx.texts[0].get_position() == (0.6, 0.5) and bx.texts[0].get_fontsize() == 8


def test_annotate_cells_contrast_and_missing_cells():
    with house_figure((3.0, 3.0)) as fig:
        ax = fig.subplots()
        values = np.array([[0.0, 1.0], [np.nan, 0.5]])
        annotate_cells(ax, values, mpl.colormaps["gray"], Normalize(0.0, 1.0),
                       lambda v: f"{v:.1f}", [["\nA", "\nB"], ["\nC", "\nD"]], fontsize=7)
    assert [t.get_text() for t in ax.texts] == ["0.0\nA", "1.0\nB", "n/a\nC", "0.5\nD"]
    assert [t.get_position() for t in ax.texts] == [(0, 0), (1, 0), (0, 1), (1, 1)]
    # white on the black cell, black on the white one
    assert [t.get_color() for t in ax.texts[:2]] == ["white", "black"]
    assert ax.texts[0].get_fontsize() == 7


def test_count_and_lighter():
    assert (count(1, "session"), count(0, "session"), count(5, "weight scale")) == \
        ("1 session", "0 sessions", "5 weight scales")
    assert lighter("#000000", 0.25) == (0.25, 0.25, 0.25)
    assert lighter((1.0, 0.0, 0.0), 0.0) == (1.0, 0.0, 0.0)


def _small_figure():
    with house_figure((2.0, 1.5)) as fig:
        fig.subplots().plot([0, 1], [1, 0])
    return fig


def test_save_figure_writes_both_files_with_provenance(tmp_path):
    png, pdf = save_figure(_small_figure(), tmp_path / "new" / "fig_v1.2",
                           {"netdyn_version": "9.9"})
    assert (png.name, pdf.name) == ("fig_v1.2.png", "fig_v1.2.pdf")
    with Image.open(png) as img:
        assert img.size == (400, 300)  # 200 dpi
        assert img.info["Software"] == "netdyn 9.9"
    data = pdf.read_bytes()
    assert b"netdyn 9.9" in data and b"/CreationDate" not in data
    # the same figure built again gives the same PDF, byte for byte
    again = save_figure(_small_figure(), tmp_path / "again", {"netdyn_version": "9.9"})
    assert again[1].read_bytes() == data
