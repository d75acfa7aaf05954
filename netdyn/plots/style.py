"""House style of netdyn's figures and the one way they are written to disk."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import xarray as xr
from matplotlib.figure import Figure

PNG_DPI = 200

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


def save_figure(fig: Figure, ds: xr.Dataset, path_stem: str | Path) -> list[Path]:
    """Write ``<path_stem>.png`` (200 dpi) and ``<path_stem>.pdf`` (no creation date, so the
    same results give the same file). The suffixes are appended, so a stem like
    ``"out/chaos_v1.2"`` keeps its dots; missing parent directories are created.
    Returns ``[png_path, pdf_path]``."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_name(stem.name + ".png")
    pdf = stem.with_name(stem.name + ".pdf")
    software = f"netdyn {ds.attrs.get('netdyn_version', '')}".strip()
    with mpl.rc_context(RC):
        fig.savefig(png, dpi=PNG_DPI, metadata={"Software": software})
        fig.savefig(pdf, metadata={"Creator": software, "CreationDate": None})
    return [png, pdf]
