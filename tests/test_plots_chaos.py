"""Tests of the chaos-study figure (netdyn.plots.chaos): each panel shows the Dataset it is
given, on synthetic Datasets of the study's schema and on a tiny real run of the study."""

from __future__ import annotations

import json

import matplotlib as mpl
import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import Normalize
from matplotlib.patches import FancyArrowPatch

from netdyn.config.chaos import ChaosConfig
from netdyn.plots import make_chaos_figure, plot_chaos_figure
from netdyn.plots.chaos import FIGSIZE_IN, N_EXAMPLE_NODES, PANEL_LABELS
from netdyn.studies.chaos import run_chaos, session_network
from tests._plots_readback import axis, by_gid, check_files, draw, image_data, legend_texts, line
from tests._plots_readback import notes, texts, tick_labels

#: The variables each panel draws; without them the panel shows its "no data" note.
PANEL_VARIABLES = {
    "design": ["example_edge_pre", "example_edge_post", "example_edge_weight"],
    "activity": ["example_rate"],
    "divergence": ["divergence_mean"],
    "lyapunov": ["lyapunov_exponent"],
}
NO_DATA_NOTE = {
    "design": "no example network\nstored in the dataset",
    "activity": "no example trajectories stored",
    "divergence": "no divergence stored",
    "lyapunov": "no Lyapunov exponents stored",
}


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
    sigma: float | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """A synthetic Dataset with exactly the schema the chaos study writes.

    ``D(t)`` is a logistic growth from ``sqrt(N) 1e-4`` to a plateau at rate ``lambda`` for
    g >= 10 and a decay for smaller g; the example rates are noisy oscillations that split
    after a g-dependent time. ``sigma=None`` leaves the config's ``sigma`` unset, as the study
    does by default (the weights then have SD 1 / (N p)).
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
        weight = rng.normal(0.0, sigma or 1.0 / (n_units * p), size=pre.size)
        weight -= weight.mean()
    else:
        pre = rng.integers(0, n_units, size=n_edges)
        post = (pre + 1 + rng.integers(0, n_units - 1, size=n_edges)) % n_units
        weight = rng.normal(0.0, 0.05, size=n_edges)

    cfg = dict(n_neurons=n_units, p=p, sigma=sigma, tau_ms=20.0, dt_ms=dt_ms,
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
        attrs=dict(config=json.dumps(cfg), netdyn_version="0.1.0", example_n_units=n_units,
                   example_unit=7, example_trial=2),
    )


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    """The default synthetic results: 5 sessions x 8 gains x 20 trials, 200 units."""
    return chaos_dataset()


@pytest.fixture(scope="module")
def fig(ds):
    return draw(make_chaos_figure(ds))


# --------------------------------------------------------------------------- helpers


def _shown_edges(fig) -> dict[tuple[int, int], FancyArrowPatch]:
    """The edges drawn in panel a, (pre, post) -> arrow."""
    (net,) = axis(fig, "design").child_axes
    arrows = by_gid(net, "edge:")
    return {tuple(int(i) for i in gid[5:].split("->")): a for gid, a in arrows.items()}


def _expected_edges(pre, post, weight, n_sub):
    """The edges among the first ``n_sub`` units, self-connections left out: (pre, post) -> w."""
    keep = (pre < n_sub) & (post < n_sub) & (pre != post)
    return {(int(a), int(b)): float(w) for a, b, w in zip(pre[keep], post[keep], weight[keep])}


def _check_design(fig, pre, post, weight, n_units):
    """Panel a draws the network (pre, post, weight): its first units, every edge among them
    coloured by weight, nodes red / blue by the sign of their mean outgoing weight."""
    design = axis(fig, "design")
    assert not notes(design)
    n_sub = min(N_EXAMPLE_NODES, n_units)
    expected = _expected_edges(pre, post, weight, n_sub)
    shown = _shown_edges(fig)
    assert set(shown) == set(expected) and expected
    w_max = float(np.max(np.abs(weight)))
    colour = Normalize(-w_max, w_max)
    for key, arrow in shown.items():
        np.testing.assert_allclose(arrow.get_edgecolor(),
                                   mpl.colormaps["RdBu_r"](colour(expected[key])))
    (net,) = design.child_axes
    (nodes,) = [c for c in net.collections if c.get_gid() == "nodes"]
    assert len(nodes.get_offsets()) == n_sub
    out_sum = np.bincount(pre, weights=weight, minlength=n_units)[:n_sub]
    out_cnt = np.bincount(pre, minlength=n_units)[:n_sub]
    faces = nodes.get_facecolors()
    for i in range(n_sub):
        red, blue = faces[i][0], faces[i][2]
        if out_cnt[i] == 0:
            assert red == blue  # grey: no outgoing edge
        elif out_sum[i] > 0:
            assert red > blue, i
        else:
            assert blue > red, i
    assert design.get_legend().get_title().get_text() == f"units 0–{n_sub - 1} of {n_units}"


# --------------------------------------------------------------------------- panels


def test_files_written(ds, tmp_path):
    paths = plot_chaos_figure(ds, tmp_path / "sub" / "chaos.v1")
    check_files(paths, "chaos.v1", FIGSIZE_IN)


def test_four_labelled_panels_and_title(fig, ds):
    assert [a.get_label() for a in fig.axes if a.get_label() in PANEL_LABELS] == \
        list(PANEL_LABELS)
    assert [axis(fig, p).get_title(loc="left").split("$")[1] for p in PANEL_LABELS] == \
        [rf"\mathbf{{{c}}}" for c in "abcd"]
    assert "(5 sessions × 8 g × 20 trials, seed 1234, netdyn 0.1.0)" in fig.get_suptitle()


def test_design_panel_shows_the_parameters_and_the_edges(fig, ds):
    (info,) = [t for t in axis(fig, "design").texts if t.get_gid() == "design_info"]
    assert info.get_text().splitlines() == [
        "N = 200 rate units",
        "p = 0.1,  σ = 0.05",  # the config leaves sigma unset: its default 1 / (N p)
        "τ = 20 ms",
        "τ dr/dt = −r + tanh(gWr)",
        "recurrent weights: g × W",
        "g = 1, 4, …, 22 (8 values)",
    ]
    _check_design(fig, ds["example_edge_pre"].values, ds["example_edge_post"].values,
                  ds["example_edge_weight"].values, 200)


def test_design_panel_shows_a_set_sigma_and_few_gains():
    ds = chaos_dataset(n_sessions=1, gains=(2.0, 12.5), n_units=20, sigma=0.07, duration_ms=300)
    fig = make_chaos_figure(ds)
    (info,) = [t for t in axis(fig, "design").texts if t.get_gid() == "design_info"]
    assert "p = 0.1,  σ = 0.07" in info.get_text() and "g = 2, 12.5" in info.get_text()
    _check_design(fig, ds["example_edge_pre"].values, ds["example_edge_post"].values,
                  ds["example_edge_weight"].values, 20)


def test_activity_panel_shows_each_gain_original_and_twin(fig, ds):
    act = axis(fig, "activity")
    rate = ds["example_rate"].sel(session=1)
    t_s = ds["example_time"].values / 1000.0
    offsets = act.get_yticks()
    assert tick_labels(act, "y") == [f"g = {g:g}" for g in ds["g"].values]
    for k, g in enumerate(ds["g"].values):
        for twin, style in (("original", "-"), ("twin", "--")):
            ln = line(act, f"rate:{g:g}:{twin}")
            np.testing.assert_array_equal(ln.get_xdata(), t_s)
            np.testing.assert_allclose(ln.get_ydata() - offsets[k], rate.sel(g=g, twin=twin),
                                       atol=1e-12)
            assert ln.get_linestyle() == style
    assert act.get_ylabel() == "rate $r$ of unit 7, trial 2, session 1"
    assert act.get_xlabel() == "time (s)"
    assert not notes(act)


def test_divergence_panel_shows_every_session_for_the_chaotic_gains(fig, ds):
    div = axis(fig, "divergence")
    chaos_g = [g for g in ds["g"].values if g >= 10]
    assert chaos_g == [10, 13, 16, 19, 22]
    curves = by_gid(div, "divergence:")
    assert len(curves) == ds.sizes["session"] * len(chaos_g)
    for s in ds["session"].values:
        for g in chaos_g:
            ln = curves[f"divergence:{s}:{g:g}"]
            np.testing.assert_allclose(ln.get_ydata(), ds["divergence_mean"].sel(session=s, g=g))
            np.testing.assert_allclose(ln.get_xdata(), ds["time"].values / 1000.0)
            assert (ln.get_linewidth() > 1.5) == (s == 1)  # session 1 thick
    np.testing.assert_allclose(line(div, "divergence_start").get_ydata(), np.sqrt(200) * 1e-4)
    assert div.get_yscale() == "log"
    assert legend_texts(div) == ["g = 10", "g = 13", "g = 16", "g = 19", "g = 22",
                                 "sessions ≠ 1", "$\\sqrt{N}\\cdot 10^{-4}$ (start)"]
    assert div.get_legend().get_title().get_text() == "session 1 (thick)"
    assert div.get_title(loc="left").endswith("g ≥ 10")


def test_lyapunov_panel_shows_the_exponents_and_counts(fig, ds):
    heat = axis(fig, "lyapunov")
    lam = ds["lyapunov_exponent"].transpose("session", "g").values
    n_ns = ds["n_nonstable"].transpose("session", "g").values
    cols = np.isfinite(lam).any(axis=0)
    np.testing.assert_array_equal(image_data(heat), lam[:, cols])
    assert tick_labels(heat, "x") == ["10", "13", "16", "19", "22"]
    assert tick_labels(heat, "y") == ["1", "2", "3", "4", "5"]
    expected = [f"{v:.1f}\n({k}/20)" if np.isfinite(v) else f"n/a\n({k}/20)"
                for v, k in zip(lam[:, cols].ravel(), n_ns[:, cols].ravel())]
    assert texts(heat) == expected
    assert "n/a\n(0/20)" in expected  # the episode without a non-stable trial
    assert heat.images[0].colorbar.ax.get_ylabel() == "λ_max (1/s)"
    assert "n/a (grey): no non-stable trial" in heat.get_xlabel()


@pytest.mark.parametrize("missing", [None, *PANEL_VARIABLES])
def test_a_panel_without_its_data_says_so_and_only_then(missing):
    ds = chaos_dataset(n_sessions=2, gains=(4, 13), duration_ms=400, n_units=40, n_edges=30)
    if missing:
        ds = ds.drop_vars(PANEL_VARIABLES[missing])
    fig = make_chaos_figure(ds)
    draw(fig)
    for panel in PANEL_VARIABLES:
        assert notes(axis(fig, panel)) == ([NO_DATA_NOTE[panel]] if panel == missing else [])


def test_divergence_panel_follows_chaos_min_gain():
    ds = chaos_dataset(n_sessions=2, duration_ms=500, lyapunov_nan=True)
    cfg = json.loads(ds.attrs["config"])
    ds.attrs["config"] = json.dumps({**cfg, "chaos_min_gain": 15.0, "perturbation": 1e-3})
    fig = make_chaos_figure(ds)
    div = axis(fig, "divergence")
    assert sorted(by_gid(div, "divergence:")) == [f"divergence:{s}:{g}" for s in (1, 2)
                                                  for g in (16, 19, 22)]
    assert "g ≥ 15" in div.get_title(loc="left")
    np.testing.assert_allclose(line(div, "divergence_start").get_ydata(), np.sqrt(200) * 1e-3)
    assert "$\\sqrt{N}\\cdot 10^{-3}$ (start)" in legend_texts(div)
    assert "needs g ≥ 15" in notes(axis(fig, "lyapunov"))[0]

    ds.attrs["config"] = json.dumps({**cfg, "chaos_min_gain": 30.0})
    fig = make_chaos_figure(ds)
    assert notes(axis(fig, "divergence")) == [
        "no upscaling factor g ≥ 30 in this sweep\n(divergence is analysed for g ≥ 30 only)"]


def test_without_a_config_the_study_defaults_apply():
    ds = chaos_dataset(n_sessions=2, duration_ms=500, n_units=40, n_edges=60)
    ds.attrs["config"] = "not json"
    fig = make_chaos_figure(ds)
    draw(fig)
    assert ChaosConfig.model_fields["chaos_min_gain"].default == 10.0
    assert axis(fig, "divergence").get_title(loc="left").endswith("g ≥ 10")
    assert len(by_gid(axis(fig, "divergence"), "divergence:")) == 2 * 5
    (info,) = [t for t in axis(fig, "design").texts if t.get_gid() == "design_info"]
    # N from the dataset's example_n_units; p and sigma are unknown and say so
    assert info.get_text().splitlines()[:2] == ["N = 40 rate units", "p = ?,  σ = ?"]
    assert "seed ?" in fig.get_suptitle()


def test_all_nan_exponents_single_session_and_no_chaotic_gain():
    fig = make_chaos_figure(chaos_dataset(n_sessions=2, lyapunov_nan=True, duration_ms=500))
    draw(fig)
    heat = axis(fig, "lyapunov")
    assert not heat.images
    assert notes(heat) == ["no chaotic episode:\nλ_max was not computed for any session and g\n"
                           "(needs g ≥ 10 and a non-stable trial)"]

    ds = chaos_dataset(n_sessions=1, duration_ms=500)
    fig = make_chaos_figure(ds)
    draw(fig)
    np.testing.assert_array_equal(image_data(axis(fig, "lyapunov")),
                                  ds["lyapunov_exponent"].values[:, 3:])
    div = axis(fig, "divergence")
    assert all(ln.get_linewidth() > 1.5 for ln in by_gid(div, "divergence:").values())
    assert "sessions ≠ 1" not in legend_texts(div)

    ds = chaos_dataset(n_sessions=3, gains=(1, 4, 7), duration_ms=500, n_edges=0)
    fig = make_chaos_figure(ds)
    draw(fig)
    assert notes(axis(fig, "divergence"))[0].startswith("no upscaling factor g ≥ 10")
    assert notes(axis(fig, "lyapunov"))[0].startswith("no chaotic episode")
    assert notes(axis(fig, "design")) == [NO_DATA_NOTE["design"]]
    assert len(by_gid(axis(fig, "activity"), "rate:")) == 2 * 3  # the traces are there


def test_rejects_dataset_without_g():
    with pytest.raises(ValueError, match="'g'"):
        make_chaos_figure(xr.Dataset(coords={"session": [1]}))


# --------------------------------------------------------------------------- the real study

#: A tiny run of the study with some chaotic episodes (N p = 12, g up to 19).
STUDY = ChaosConfig(sessions=2, trials=3, n_neurons=60, p=0.2, duration_ms=1500,
                    gains=(4.0, 13.0, 19.0), example_duration_ms=500, chaos_min_gain=12.0)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = run_chaos(STUDY, tmp_path_factory.mktemp("chaos"), workers=0, progress=False)
    fig = make_chaos_figure(out.dataset)
    draw(fig)
    return out, fig


def test_study_figure_panels_b_to_d_show_its_results(study):
    out, fig = study
    ds = out.dataset
    check_files(list(out.figures), "figure", FIGSIZE_IN)
    (info,) = [t for t in axis(fig, "design").texts if t.get_gid() == "design_info"]
    assert info.get_text().splitlines()[:3] == ["N = 60 rate units",
                                                f"p = 0.2,  σ = {1 / 12:g}", "τ = 20 ms"]

    act = axis(fig, "activity")
    offsets = act.get_yticks()
    for k, g in enumerate(STUDY.gains):
        for twin in ("original", "twin"):
            np.testing.assert_allclose(
                line(act, f"rate:{g:g}:{twin}").get_ydata() - offsets[k],
                ds["example_rate"].sel(session=1, g=g, twin=twin), atol=1e-12)
    assert act.get_ylabel() == f"rate $r$ of unit {STUDY.unit_index}, trial 1, session 1"

    div = axis(fig, "divergence")
    assert div.get_title(loc="left").endswith("g ≥ 12")
    for s in (1, 2):
        for g in (13.0, 19.0):
            expected = ds["divergence_mean"].sel(session=s, g=g).values
            np.testing.assert_allclose(line(div, f"divergence:{s}:{g:g}").get_ydata(),
                                       np.where(expected > 0, expected, np.nan))
    assert not by_gid(div, "divergence:1:4")

    lam = ds["lyapunov_exponent"].transpose("session", "g").values
    cols = np.isfinite(lam).any(axis=0)
    assert cols.any(), "the tiny study should have a chaotic episode"
    np.testing.assert_array_equal(image_data(axis(fig, "lyapunov")), lam[:, cols])


# Panel a depends on the results store writing session 1's network into example_edge_*: a
# store that left them as fill values once made every chaos figure say "no example network".
def test_study_figure_panel_a_draws_session_one_network(study):
    _, fig = study
    w = session_network(STUDY, 1)[0].weights.tocoo()
    _check_design(fig, w.col, w.row, w.data, STUDY.n_neurons)
