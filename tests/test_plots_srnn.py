"""Tests of the srnn-study figures (netdyn.plots.srnn) on synthetic Datasets of their schemas."""

from __future__ import annotations

import warnings

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr

from netdyn.plots import (
    make_srnn_sweep_figure,
    make_srnn_trajectory_figure,
    plot_srnn_sweep_figure,
    plot_srnn_trajectory_figure,
)
from netdyn.plots.common import PNG_DPI
from netdyn.plots.srnn import (
    MAX_POINTS,
    SWEEP_FIGSIZE_IN,
    SWEEP_PANEL_LABELS,
    TRAJECTORY_FIGSIZE_IN,
    TRAJECTORY_PANEL_LABELS,
    minmax_decimate,
    wilson_interval,
)

CONFIGS = ("none", "sfa", "std", "sfa_std")

# --------------------------------------------------------------------------- datasets


def _network(n: int, n_e: int, rng: np.random.Generator) -> np.ndarray:
    """Generator of spec 1.3: Hamiltonian cycle + uniform extra edges, Dale by column."""
    mask = np.zeros((n, n), dtype=bool)
    perm = rng.permutation(n)
    mask[perm, np.roll(perm, -1)] = True
    free = np.flatnonzero(~mask & ~np.eye(n, dtype=bool))
    n_keep = round(5 / (n - 1) * n * (n - 1))
    mask.flat[rng.choice(free, size=n_keep - n, replace=False)] = True
    w = np.abs(rng.standard_normal((n, n))) * mask * (0.5 / 0.79782)
    w[:, n_e:] *= -1.0
    w[n_e:, n_e:] *= 0.5
    return w


def trajectory_dataset(n: int = 10, n_e: int = 7, dt: float = 1e-3, t0: float = -10.0,
                       t1: float = 10.0, *, seed: int = 42) -> xr.Dataset:
    """The basic example (spec 1.2, 1.4), Euler-integrated for the four configurations.

    The Lyapunov curves are synthetic: local exponents scattered around the configuration's
    reference LLE (spec section 2) and the finite-time curve accumulated from them as the
    reference does (t_k >= 0 only, divided by t_k + tau_lya).
    """
    rng = np.random.default_rng(seed)
    t = np.round(np.arange(t0, t1 + dt / 2, dt), 9)
    u = np.clip((t - t0) / 5.0, 0.0, 1.0)[:, None] * 0.1 * np.ones(n)
    pulse = (t >= 1) & (t < 4)
    square = (t >= 6) & (t < 9)
    u[pulse, 0] += 0.5 + 0.5 * -np.cos(2 * np.pi * (t[pulse] - t0))
    u[square, 0] += 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * (t[square] - t0)))
    m = _network(n, n_e, rng)

    tau_a = np.array([0.3, 2.1213, 15.0])
    c_sfa, tau_b, tau_std, tau_d = 1.0 / 3.0, 2.0, 0.5, 0.025
    is_exc = np.arange(n) < n_e
    has_sfa = np.array([False, True, False, True])[:, None] & is_exc  # (config, n)
    has_std = np.array([False, False, True, True])[:, None] & is_exc
    a = np.zeros((4, n, 3))
    b = np.ones((4, n))
    ud = np.zeros((4, n))
    rate = np.empty((4, t.size, n))
    udr = np.empty_like(rate)
    sfa = np.empty_like(rate)
    std = np.empty_like(rate)
    for k in range(t.size):
        drive = c_sfa * a.sum(axis=2) * has_sfa
        r = np.maximum(ud - drive, 0.0)
        rate[:, k], udr[:, k], sfa[:, k], std[:, k] = r, ud, drive, b
        p = r * b
        a += dt * (r[:, :, None] - a) / tau_a * has_sfa[:, :, None]
        b = np.clip(b + dt * ((1 - b) / tau_b - p / tau_std) * has_std, 0.0, 1.0)
        ud += dt / tau_d * (-ud + u[k] + p @ m.T)
    sfa[:, :, :] = np.where(has_sfa[:, None, :], sfa, np.nan)
    std[:, :, :] = np.where(has_std[:, None, :], std, np.nan)

    deci = 12
    lya_t = t[::deci]
    lya_t = lya_t[lya_t + deci * dt <= t1 + 1e-9]
    ref = {"none": -29.49, "sfa": -0.0692, "std": -0.5025, "sfa_std": -0.0702}
    spread = {"none": 9.0, "sfa": 0.12, "std": 0.004, "sfa_std": 0.08}
    local = np.empty((4, lya_t.size))
    finite = np.full((4, lya_t.size), np.nan)
    lle = np.empty(4)
    after = lya_t >= 0
    for c, name in enumerate(CONFIGS):
        base = ref[name] + spread[name] * np.sin(2 * np.pi * lya_t / 3.0)
        local[c] = base + spread[name] * rng.standard_normal(lya_t.size)
        local[c, lya_t < -9.9] += 8 * ref[name]  # alignment of the first perturbations
        acc = np.cumsum(local[c, after] * deci * dt)
        finite[c, after] = acc / (lya_t[after] + deci * dt)
        lle[c] = finite[c, -1]

    return xr.Dataset(
        data_vars=dict(
            input=(("time", "neuron"), u),
            rate=(("configuration", "time", "neuron"), rate),
            u_d=(("configuration", "time", "neuron"), udr),
            sfa=(("configuration", "time", "neuron"), sfa),
            std=(("configuration", "time", "neuron"), std),
            lya_local=(("configuration", "lya_time"), local),
            lya_finite=(("configuration", "lya_time"), finite),
            lle=(("configuration",), lle),
            is_excitatory=(("neuron",), is_exc),
        ),
        coords=dict(configuration=list(CONFIGS), time=t, neuron=np.arange(n), lya_time=lya_t),
        attrs=dict(netdyn_version="0.1.0"),
    )


def sweep_dataset(n_networks: int = 24, weight_scales=(0.5, 1, 1.5, 2, 3, 4, 6, 8),
                  taus=(0.5, 2.0, 5.0, 15.0), k: int = 5, *, seed: int = 1,
                  spectrum: bool = True) -> xr.Dataset:
    """A synthetic sweep: bounded fractions fall with the weight scale (later with STD and
    with slower adaptation), LLE = -1/tau_slowest with adaptation and about -25 1/s without,
    a few positive exponents near the stability edge."""
    rng = np.random.default_rng(seed)
    ws = np.asarray(weight_scales, dtype=float)
    taus = np.asarray(taus, dtype=float)
    shape = (n_networks, ws.size, len(CONFIGS), taus.size)
    centre = {"none": 2.0, "sfa": 3.0, "std": 5.0, "sfa_std": 6.5}
    bounded = np.zeros(shape, dtype=bool)
    lle = np.full(shape, np.nan)
    spec = np.full(shape + (k,), np.nan)
    for c, name in enumerate(CONFIGS):
        for j, tau in enumerate(taus):
            shift = 0.0 if name == "none" else 0.4 * np.log10(tau)
            p = 1.0 / (1.0 + np.exp((ws - centre[name] - shift) / 0.5))
            ok = rng.random((n_networks, ws.size)) < p
            bounded[:, :, c, j] = ok
            if name == "none":
                val = -25.0 / ws + rng.normal(0, 3.0, ok.shape)
            else:
                val = -1.0 / tau * (1 + rng.normal(0, 0.08, ok.shape))
            near_edge = (ws > centre[name] + shift - 1.0) & (rng.random(ok.shape) < 0.15)
            val = np.where(near_edge, np.abs(rng.normal(0.3, 0.2, ok.shape)), val)
            lle[:, :, c, j] = np.where(ok, val, np.nan)
            steps = np.cumsum(np.abs(rng.normal(1.0, 0.3, ok.shape + (k,))), axis=-1)
            sp = val[..., None] - (steps - steps[..., :1]) * (1.0 / tau)
            sp[..., 0] = val + rng.normal(0, 0.002, ok.shape)
            spec[:, :, c, j] = np.where(ok[..., None], sp, np.nan)
    data = dict(
        bounded=(("network", "weight_scale", "configuration", "tau_slowest"), bounded),
        lle=(("network", "weight_scale", "configuration", "tau_slowest"), lle),
    )
    if spectrum:
        data["spectrum"] = (("network", "weight_scale", "configuration", "tau_slowest",
                             "exponent"), spec)
    coords = dict(network=np.arange(n_networks), weight_scale=ws, configuration=list(CONFIGS),
                  tau_slowest=taus)
    if spectrum:
        coords["exponent"] = np.arange(k)
    return xr.Dataset(data, coords=coords, attrs=dict(netdyn_version="0.1.0"))


@pytest.fixture(scope="module")
def traj_ds() -> xr.Dataset:
    return trajectory_dataset()


# --------------------------------------------------------------------------- helpers


def _axis(fig, label):
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _draw(fig) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # layout / glyph / NaN warnings are failures
        fig.canvas.draw()


def _texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def _line(ax, gid):
    (line,) = [ln for ln in ax.lines if ln.get_gid() == gid]
    return line


def _check_files(paths, name, figsize):
    assert [p.name for p in paths] == [f"{name}.png", f"{name}.pdf"]
    for path in paths:
        assert path.is_file() and path.stat().st_size > 10_000
    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF") and b"/CreationDate" not in pdf
    img = mpimg.imread(paths[0])
    assert img.shape[:2] == (round(figsize[1] * PNG_DPI), round(figsize[0] * PNG_DPI))
    assert img[..., :3].std() > 0.05


# --------------------------------------------------------------------------- helpers' tests


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


def test_wilson_interval():
    lo, hi = wilson_interval(np.array([0, 5, 10, 0]), np.array([10, 10, 10, 0]))
    np.testing.assert_allclose(lo[:3], [0.0, 0.236593, 0.722467], atol=1e-6)
    np.testing.assert_allclose(hi[:3], [0.277533, 0.763407, 1.0], atol=1e-6)
    assert np.isnan(lo[3]) and np.isnan(hi[3])


# --------------------------------------------------------------------------- trajectory


def test_trajectory_files(traj_ds, tmp_path):
    paths = plot_srnn_trajectory_figure(traj_ds, "sfa_std", tmp_path / "sub" / "srnn.traj")
    _check_files(paths, "srnn.traj", TRAJECTORY_FIGSIZE_IN)


def test_trajectory_panel_data(traj_ds):
    fig = make_srnn_trajectory_figure(traj_ds, "SFA+STD")
    _draw(fig)
    assert [a.get_label() for a in fig.axes] == list(TRAJECTORY_PANEL_LABELS)
    assert "SFA+STD" in fig.get_suptitle() and "LLE" in fig.get_suptitle()
    cfg = traj_ds.sel(configuration="sfa_std")
    t = traj_ds["time"].values

    # a: only neuron 0 is stimulated after the transient; the others are drawn grey
    inp = _axis(fig, "input")
    coloured = [ln for ln in inp.lines if (ln.get_gid() or "").startswith("neuron:")]
    assert [ln.get_gid() for ln in coloured] == ["neuron:0"]
    assert "neuron 0 (E)" in [t.get_text() for t in inp.get_legend().get_texts()]

    # b: every neuron, decimated samples of the data with the extrema kept
    rate_ax = _axis(fig, "rate")
    for i in range(traj_ds.sizes["neuron"]):
        line = _line(rate_ax, f"neuron:{i}")
        x, y = line.get_xdata(), line.get_ydata()
        assert len(x) <= MAX_POINTS
        idx = np.searchsorted(t, x)
        np.testing.assert_allclose(t[idx], x)
        np.testing.assert_array_equal(y, cfg["rate"].values[idx, i])
        assert y.max() == cfg["rate"].values[:, i].max()
    legend = [t.get_text() for t in rate_ax.get_legend().get_texts()]
    assert legend == ["E (7)", "I (3)"]

    # d, e: E neurons only (I neurons have NaN), STD axis 0..1.05
    sfa_ax, std_ax = _axis(fig, "sfa"), _axis(fig, "std")
    assert sorted(ln.get_gid() for ln in sfa_ax.lines if ln.get_gid()) == \
        [f"neuron:{i}" for i in range(7)]
    assert std_ax.get_ylim() == (0.0, 1.05)
    np.testing.assert_array_equal(_line(std_ax, "neuron:0").get_ydata().max(),
                                  np.nanmax(cfg["std"].values[:, 0]))

    # f: finite-time LLE line equals lya_finite, dashed line at the final LLE
    lya = _axis(fig, "lyapunov")
    np.testing.assert_array_equal(_line(lya, "lya_finite").get_ydata(), cfg["lya_finite"].values)
    np.testing.assert_array_equal(_line(lya, "lya_local").get_ydata(), cfg["lya_local"].values)
    lle_line = _line(lya, "lle")
    assert lle_line.get_linestyle() == "--"
    np.testing.assert_allclose(lle_line.get_ydata(), float(cfg["lle"]))
    assert f"{float(cfg['lle']):.3g}".replace("-", "\u2212") in lle_line.get_label()

    # t < 0 shaded in every panel, shared x axis from -10 s to 10 s
    for ax in fig.axes:
        assert ax.patches, ax.get_label()
        assert ax.get_xlim() == (-10.0, 10.0)


def test_trajectory_no_adaptation_notes(traj_ds):
    fig = make_srnn_trajectory_figure(traj_ds, "none")
    _draw(fig)
    assert "no SFA" in _texts(_axis(fig, "sfa"))
    assert "no STD" in _texts(_axis(fig, "std"))
    assert "none" in fig.get_suptitle()
    fig = make_srnn_trajectory_figure(traj_ds, "std")
    _draw(fig)
    assert "no SFA" in _texts(_axis(fig, "sfa"))
    assert not _texts(_axis(fig, "std"))


def test_trajectory_edge_cases(traj_ds):
    small = traj_ds.isel(time=slice(9000, 11001))  # -1 .. 1 s, below MAX_POINTS
    small = small.drop_vars(["lya_local", "sfa"])
    small["input"] = small["input"] * 0 + 0.1  # nobody stimulated
    fig = make_srnn_trajectory_figure(small, "sfa")
    _draw(fig)
    assert "no neuron stimulated" in _texts(_axis(fig, "input"))
    assert "no SFA" in _texts(_axis(fig, "sfa"))
    assert _line(_axis(fig, "lyapunov"), "lya_finite")

    only_pos = traj_ds.isel(time=slice(10000, None), lya_time=slice(834, None))
    only_pos = only_pos.assign(lle=only_pos["lle"] * np.nan)
    _draw(make_srnn_trajectory_figure(only_pos, "sfa_std"))

    with pytest.raises(ValueError, match="configuration"):
        make_srnn_trajectory_figure(traj_ds, "bursting")


# --------------------------------------------------------------------------- sweep


def test_sweep_files(tmp_path):
    paths = plot_srnn_sweep_figure(sweep_dataset(), tmp_path / "srnn_sweep")
    _check_files(paths, "srnn_sweep", SWEEP_FIGSIZE_IN)


def test_sweep_panel_data():
    ds = sweep_dataset()
    fig = make_srnn_sweep_figure(ds)
    _draw(fig)
    assert [a.get_label() for a in fig.axes if a.get_label() in SWEEP_PANEL_LABELS] == \
        list(SWEEP_PANEL_LABELS)

    frac = ds["bounded"].mean("network")
    a = _axis(fig, "bounded")
    for config in CONFIGS:
        for tau in ds["tau_slowest"].values:
            line = _line(a, f"bounded:{config}:{tau:g}")
            np.testing.assert_array_equal(line.get_xdata(), ds["weight_scale"].values)
            np.testing.assert_allclose(
                line.get_ydata(), frac.sel(configuration=config, tau_slowest=tau).values)
    assert len(a.collections) == len(CONFIGS)  # one CI band per configuration

    b = _axis(fig, "lle")
    assert b.get_yscale() == "symlog"
    expected = ds["lle"].where(ds["bounded"]).sel(tau_slowest=15.0, configuration="std")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(expected.transpose("network", "weight_scale").values, axis=0)
    np.testing.assert_allclose(_line(b, "lle:std").get_ydata(), expected)

    c = _axis(fig, "heatmap")
    (image,) = c.images
    arr = np.ma.filled(image.get_array().astype(float), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(ds["lle"].where(ds["bounded"]).sel(configuration="sfa_std")
                           .transpose("network", "tau_slowest", "weight_scale").values, axis=0)
    np.testing.assert_allclose(arr, med)
    assert "SFA+STD" in c.get_title(loc="left")
    assert image.colorbar is not None

    d = _axis(fig, "rule")
    assert d.get_xscale() == "symlog" and d.get_yscale() == "symlog"
    assert "identity" in [t.get_text() for t in d.get_legend().get_texts()]
    e = _axis(fig, "spectrum")
    assert len(e.get_xticks()) == ds.sizes["exponent"]


def test_sweep_edge_cases():
    # single tau, single weight scale
    _draw(make_srnn_sweep_figure(sweep_dataset(n_networks=5, taus=(15.0,))))
    ds = sweep_dataset(n_networks=5, weight_scales=(2.0,), taus=(15.0,))
    fig = make_srnn_sweep_figure(ds)
    _draw(fig)
    assert _axis(fig, "heatmap").images[0].get_array().shape == (1, 1)

    # scalar coordinates instead of dimensions
    _draw(make_srnn_sweep_figure(ds.squeeze(["weight_scale", "tau_slowest"])))

    # no spectrum, all-NaN spectrum
    fig = make_srnn_sweep_figure(sweep_dataset(n_networks=5, spectrum=False))
    _draw(fig)
    assert "no Lyapunov spectrum" in _texts(_axis(fig, "spectrum"))
    ds = sweep_dataset(n_networks=5)
    ds["spectrum"] = ds["spectrum"] * np.nan
    _draw(make_srnn_sweep_figure(ds))

    # everything unbounded for some configurations, then everywhere
    ds = sweep_dataset(n_networks=6)
    ds["bounded"] = ds["bounded"].where(ds["configuration"] == "none", False)
    fig = make_srnn_sweep_figure(ds)
    _draw(fig)
    assert "no bounded network" in _texts(_axis(fig, "heatmap"))
    ds["bounded"] = ds["bounded"] & False
    fig = make_srnn_sweep_figure(ds)
    _draw(fig)
    assert "no bounded network" in _texts(_axis(fig, "lle"))
    np.testing.assert_array_equal(_line(_axis(fig, "bounded"), "bounded:sfa:15").get_ydata(), 0.0)

    # only the configuration without adaptation
    fig = make_srnn_sweep_figure(sweep_dataset(n_networks=5).sel(configuration=["none"]))
    _draw(fig)
    assert "no configuration with adaptation" in _texts(_axis(fig, "rule"))

    with pytest.raises(ValueError, match="bounded"):
        make_srnn_sweep_figure(sweep_dataset(n_networks=2).drop_vars("bounded"))
