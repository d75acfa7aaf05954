"""Tests of the chaos-study figure (netdyn.plots.chaos) on synthetic Datasets of its schema."""

from __future__ import annotations

import json
import warnings

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr

from netdyn.plots import make_chaos_figure, plot_chaos_figure
from netdyn.plots.chaos import FIGSIZE_IN, PANEL_LABELS
from netdyn.plots.common import PNG_DPI


def chaos_dataset(
    n_sessions: int = 5,
    gains=tuple(range(1, 24, 3)),
    n_trials: int = 20,
    n_units: int = 200,
    p: float = 0.1,
    duration_ms: float = 3000.0,
    dt_ms: float = 1.0,
    *,
    lyapunov_nan: bool = False,
    n_edges: int | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """A synthetic Dataset with exactly the schema the chaos study writes.

    ``D(t)`` is a logistic growth from ``sqrt(N) 1e-4`` to a plateau at rate ``lambda`` for
    g >= 10 and a decay for smaller g; the example rates are noisy oscillations that split
    after a g-dependent time.
    """
    rng = np.random.default_rng(seed)
    gains = np.asarray(gains, dtype=float)
    sessions = np.arange(1, n_sessions + 1)
    time = np.arange(0.0, duration_ms, dt_ms)
    example_time = time[time < 2000.0]
    t_s = time / 1000.0
    d0 = np.sqrt(n_units) * 1e-4

    lam = np.full((n_sessions, gains.size), np.nan)
    div = np.empty((n_sessions, gains.size, time.size))
    n_ns = np.zeros((n_sessions, gains.size), dtype=np.int64)
    for i in range(n_sessions):
        for k, g in enumerate(gains):
            if g >= 10:
                rate = 0.7 * (g - 6.0) + rng.normal(0.0, 0.4)
                plateau = 10.0 + 0.3 * g + rng.normal(0.0, 0.5)
                div[i, k] = plateau / (1.0 + (plateau / d0 - 1.0) * np.exp(-rate * t_s))
                n_ns[i, k] = n_trials - int(rng.integers(0, 3))
                lam[i, k] = rate
            else:
                div[i, k] = d0 * np.exp(-t_s / (0.02 * g))
                div[i, k, div[i, k] < 1e-300] = 0.0
    if not lyapunov_nan and gains.size and n_sessions > 1 and (gains >= 10).any():
        j = int(np.flatnonzero(gains >= 10)[0])
        lam[1, j] = np.nan  # one episode without a non-stable trial
        n_ns[1, j] = 0
    if lyapunov_nan:
        lam[:] = np.nan
        n_ns[:] = 0

    te = example_time / 1000.0
    ex = np.empty((n_sessions, gains.size, 2, example_time.size))
    for k, g in enumerate(gains):
        envelope = np.exp(-te / max(0.1, 0.05 * g))
        base = np.tanh(0.1 * g) * np.sin(2 * np.pi * (1.0 + 0.2 * g) * te) * envelope
        noise = np.cumsum(rng.normal(0.0, 0.05, size=te.size))
        split = np.clip((te - 2.5 / g) * g / 3.0, 0.0, 1.0) if g >= 10 else 0.0
        ex[:, k, 0] = np.clip(base + 0.3 * np.tanh(noise) * (g >= 10), -1, 1)
        ex[:, k, 1] = np.clip(ex[:, k, 0] + split * 0.8 * np.sin(7 * te + g), -1, 1)

    if n_edges is None:
        present = rng.random((n_units, n_units)) < p
        np.fill_diagonal(present, False)
        post, pre = np.nonzero(present)
        weight = rng.normal(0.0, 1.0 / (n_units * p), size=pre.size)
        weight -= weight.mean()
    else:
        pre = rng.integers(0, n_units, size=n_edges)
        post = (pre + 1 + rng.integers(0, n_units - 1, size=n_edges)) % n_units
        weight = rng.normal(0.0, 0.05, size=n_edges)

    cfg = dict(n_neurons=n_units, p=p, sigma=1.0 / (n_units * p), tau_ms=20.0, dt_ms=dt_ms,
               duration_ms=duration_ms, seed=1234, gains=gains.tolist())
    return xr.Dataset(
        data_vars=dict(
            lyapunov_exponent=(("session", "g"), lam),
            divergence_mean=(("session", "g", "time"), div),
            n_nonstable=(("session", "g"), n_ns),
            example_rate=(("session", "g", "twin", "example_time"), ex),
            example_edge_pre=(("edge",), pre.astype(np.int64)),
            example_edge_post=(("edge",), post.astype(np.int64)),
            example_edge_weight=(("edge",), weight.astype(np.float64)),
        ),
        coords=dict(session=sessions, g=gains, trial=np.arange(n_trials), time=time,
                    example_time=example_time, twin=["original", "twin"],
                    edge=np.arange(pre.size)),
        attrs=dict(config=json.dumps(cfg), netdyn_version="0.1.0", example_n_units=n_units),
    )


def _axis(fig, label):
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _draw(fig) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # layout / glyph warnings are failures
        fig.canvas.draw()


def _texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def test_writes_png_and_pdf(tmp_path):
    ds = chaos_dataset()
    paths = plot_chaos_figure(ds, tmp_path / "sub" / "chaos.v1")
    assert [p.name for p in paths] == ["chaos.v1.png", "chaos.v1.pdf"]
    for path in paths:
        assert path.is_file() and path.stat().st_size > 10_000
    assert paths[1].read_bytes().startswith(b"%PDF")
    img = mpimg.imread(paths[0])
    assert img.shape[:2] == (round(FIGSIZE_IN[1] * PNG_DPI), round(FIGSIZE_IN[0] * PNG_DPI))
    assert img[..., :3].std() > 0.05  # not a blank page


def test_panels_and_heatmap_data():
    ds = chaos_dataset()
    fig = make_chaos_figure(ds)
    _draw(fig)
    assert all(any(a.get_label() == lab for a in fig.axes) for lab in PANEL_LABELS)

    heat = _axis(fig, "lyapunov")
    (image,) = heat.images
    arr = np.ma.filled(image.get_array().astype(float), np.nan)
    lam = ds["lyapunov_exponent"].transpose("session", "g").values
    cols = np.isfinite(lam).any(axis=0)
    assert cols.sum() == 5  # g = 10 .. 22
    np.testing.assert_array_equal(arr, lam[:, cols])
    assert [t.get_text() for t in heat.get_xticklabels()] == ["10", "13", "16", "19", "22"]
    assert "n/a" in _texts(heat)  # the NaN cell is labelled
    assert image.colorbar is not None and image.colorbar.ax.get_ylabel() == "λ_max (1/s)"

    div = _axis(fig, "divergence")
    assert div.get_yscale() == "log"
    thick = [ln for ln in div.lines if ln.get_linewidth() > 1.5]
    assert len(thick) == 5  # one session-1 line per g >= 10
    np.testing.assert_allclose(thick[0].get_ydata(), ds["divergence_mean"].sel(session=1, g=10.0))

    act = _axis(fig, "activity")
    assert len(act.get_yticklabels()) == ds.sizes["g"]
    dashed = [ln for ln in act.lines if ln.get_linestyle() not in ("-", "solid")]
    assert len(dashed) == ds.sizes["g"]  # one twin trace per g

    design = _axis(fig, "design")
    (net,) = design.child_axes
    assert net.collections and net.patches  # nodes and edges drawn
    assert "g × W" in _texts(design)


def test_all_nan_single_session_no_chaos_g_no_edges():
    # NaN everywhere: panel d says so, no image
    fig = make_chaos_figure(chaos_dataset(n_sessions=2, lyapunov_nan=True, duration_ms=500))
    _draw(fig)
    heat = _axis(fig, "lyapunov")
    assert not heat.images and "no chaotic episode" in _texts(heat)

    # a single session
    ds = chaos_dataset(n_sessions=1, duration_ms=500)
    fig = make_chaos_figure(ds)
    _draw(fig)
    arr = _axis(fig, "lyapunov").images[0].get_array()
    assert arr.shape == (1, 5)

    # no g >= 10 (exponents NaN by construction) and no edges at all
    ds = chaos_dataset(n_sessions=3, gains=(1, 4, 7), duration_ms=500, n_edges=0)
    fig = make_chaos_figure(ds)
    _draw(fig)
    assert "no upscaling factor" in _texts(_axis(fig, "divergence"))
    assert "no chaotic episode" in _texts(_axis(fig, "lyapunov"))
    assert "no example network" in _texts(_axis(fig, "design"))


@pytest.mark.parametrize("drop", [
    ["example_edge_pre", "example_edge_post", "example_edge_weight"],
    ["example_rate", "n_nonstable"],
])
def test_missing_variables(drop, tmp_path):
    ds = chaos_dataset(n_sessions=2, gains=(4, 13), duration_ms=400, n_units=40, n_edges=30)
    ds = ds.drop_vars(drop)
    ds.attrs["config"] = "not json"
    fig = make_chaos_figure(ds)
    _draw(fig)


def test_rejects_dataset_without_g():
    with pytest.raises(ValueError, match="'g'"):
        make_chaos_figure(xr.Dataset(coords={"session": [1]}))


def test_divergence_panel_follows_chaos_min_gain():
    ds = chaos_dataset(n_sessions=2, duration_ms=500)
    cfg = json.loads(ds.attrs["config"])
    ds.attrs["config"] = json.dumps({**cfg, "chaos_min_gain": 15.0, "perturbation": 1e-3})
    div = _axis(make_chaos_figure(ds), "divergence")
    thick = [ln for ln in div.lines if ln.get_linewidth() > 1.5]
    assert [ln.get_label() for ln in thick] == ["g = 16", "g = 19", "g = 22"]
    assert "g ≥ 15" in div.get_title(loc="left")
    start = [ln for ln in div.lines if ln.get_linestyle() == ":"]
    np.testing.assert_allclose(start[0].get_ydata(), np.sqrt(200) * 1e-3)
