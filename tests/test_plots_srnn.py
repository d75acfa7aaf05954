"""Tests of the srnn-study figures (netdyn.plots.srnn): each panel shows the Dataset it is
given, on synthetic Datasets of the study's schemas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from scipy.stats import binomtest

from netdyn.plots import (
    make_srnn_sweep_figure,
    make_srnn_trajectory_figure,
    plot_srnn_sweep_figure,
    plot_srnn_trajectory_figure,
)
from netdyn.plots.srnn import (
    MAX_POINTS,
    SWEEP_FIGSIZE_IN,
    SWEEP_PANEL_LABELS,
    TRAJECTORY_FIGSIZE_IN,
    TRAJECTORY_PANEL_LABELS,
    wilson_interval,
)
from netdyn.plots.srnn.shared import fmt_number
from tests._plots_readback import axis, by_gid, check_files, draw, image_data, legend_texts, line
from tests._plots_readback import notes, texts, tick_labels

CONFIGS = ("none", "sfa", "std", "sfa_std")

# --------------------------------------------------------------------------- datasets


def _network(n: int, n_e: int, rng: np.random.Generator) -> np.ndarray:
    """The study's network generator: a Hamiltonian cycle plus uniform extra edges (5 per
    neuron on average), |N(0, 1)| weights, excitatory or inhibitory by column (Dale)."""
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
    """The basic example (a ramp to a constant drive, then a sine pulse and a square pulse to
    neuron 0), Euler-integrated for the four configurations.

    The Lyapunov curves are synthetic: local exponents scattered around a typical LLE of the
    configuration, and the finite-time curve accumulated from them (t_k >= 0 only, divided by
    t_k + the renormalisation interval).
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


@pytest.fixture(scope="module")
def traj_fig(traj_ds):
    return draw(make_srnn_trajectory_figure(traj_ds, "SFA+STD"))


@pytest.fixture(scope="module")
def sweep_ds() -> xr.Dataset:
    return sweep_dataset()


@pytest.fixture(scope="module")
def sweep_fig(sweep_ds):
    return draw(make_srnn_sweep_figure(sweep_ds))


# --------------------------------------------------------------------------- helpers


def _median(values: np.ndarray, axis: int, q: float = 0.5) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells give NaN
        return np.nanquantile(values, q, axis=axis)


def _check_samples(ln, t: np.ndarray, column: np.ndarray) -> None:
    """A decimated line: at most MAX_POINTS samples, each one of the data, extrema kept."""
    x, y = ln.get_xdata(), ln.get_ydata()
    assert len(x) <= MAX_POINTS
    idx = np.searchsorted(t, x)
    np.testing.assert_array_equal(t[idx], x)
    np.testing.assert_array_equal(y, column[idx])
    assert np.nanmax(y) == np.nanmax(column) and np.nanmin(y) == np.nanmin(column)


def _check_band(band, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """A fill_between band spans [lo, hi] at each x where both are finite, nothing elsewhere."""
    verts = np.concatenate([p.vertices for p in band.get_paths()])
    for xi, l, h in zip(x, lo, hi):
        ys = verts[np.isclose(verts[:, 0], xi), 1]
        if np.isfinite(l) and np.isfinite(h):
            assert ys.min() == pytest.approx(l, abs=1e-12)
            assert ys.max() == pytest.approx(h, abs=1e-12)
        else:
            assert ys.size == 0


def _sweep(ds: xr.Dataset, name: str) -> np.ndarray:
    """``name`` (network, weight_scale, configuration, tau_slowest[, exponent]), bounded only."""
    da = ds[name].where(ds["bounded"])
    dims = ("network", "weight_scale", "configuration", "tau_slowest")
    return da.transpose(*dims, *[d for d in da.dims if d not in dims]).values


# --------------------------------------------------------------------------- Wilson interval


def test_wilson_interval_matches_scipy():
    pairs = [(k, n) for n in (1, 2, 3, 5, 10, 24, 50) for k in range(n + 1)]
    pairs += [(k, 1000) for k in (0, 1, 17, 500, 999, 1000)]
    k, n = np.array(pairs).T
    lo, hi = wilson_interval(k, n)
    for i, (ki, ni) in enumerate(pairs):
        ci = binomtest(int(ki), int(ni)).proportion_ci(confidence_level=0.95, method="wilson")
        assert lo[i] == pytest.approx(ci.low, abs=1e-12), (ki, ni)
        assert hi[i] == pytest.approx(ci.high, abs=1e-12), (ki, ni)
    assert np.all(lo[k == 0] == 0.0) and np.all(hi[k == n] == 1.0)
    # n = 0: no interval (NaN), documented, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo0, hi0 = wilson_interval(np.array([0, 0]), np.array([0, 5]))
    assert np.isnan(lo0[0]) and np.isnan(hi0[0]) and lo0[1] == 0.0
    # counts broadcast like arrays: (config, weight scale) grids at once
    lo2, hi2 = wilson_interval(np.array([[3], [7]]), np.array([10, 20]))
    assert lo2.shape == (2, 2) and hi2[1, 0] == pytest.approx(
        binomtest(7, 10).proportion_ci(method="wilson").high, abs=1e-12)


# --------------------------------------------------------------------------- trajectory


def test_trajectory_files(traj_ds, tmp_path):
    paths = plot_srnn_trajectory_figure(traj_ds, "sfa_std", tmp_path / "sub" / "srnn.traj")
    check_files(paths, "srnn.traj", TRAJECTORY_FIGSIZE_IN)


def test_trajectory_panels_title_and_shared_time_axis(traj_fig, traj_ds):
    assert [a.get_label() for a in traj_fig.axes] == list(TRAJECTORY_PANEL_LABELS)
    lle = float(traj_ds["lle"].sel(configuration="sfa_std"))
    assert traj_fig.get_suptitle() == (
        f"SRNN basic example, configuration SFA+STD:   LLE = {fmt_number(lle, 3)} 1/s"
        "   (n = 10: 7 E, 3 I)")
    assert [a.get_ylabel() for a in traj_fig.axes] == [
        "$u_\\mathrm{ex}$ (Hz)", "$r$ (Hz)", "$u_d$ (Hz)", "$c_\\mathrm{SFA}\\,\\Sigma_k a_k$",
        "$\\Pi_m b_m$", "exponent (1/s)"]
    assert [a.get_title(loc="left").split("$")[1] for a in traj_fig.axes] == \
        [rf"\mathbf{{{c}}}" for c in "abcdef"]
    for ax in traj_fig.axes:
        assert ax.get_xlim() == (-10.0, 10.0)
        # the transient t < 0 shaded
        assert [(p.get_x(), p.get_width()) for p in ax.patches] == [(-10.0, 10.0)], ax.get_label()
        assert not notes(ax), ax.get_label()


def test_trajectory_input_panel_shows_the_stimulated_neuron_and_the_others(traj_fig, traj_ds):
    inp = axis(traj_fig, "input")
    t = traj_ds["time"].values
    u = traj_ds["input"].transpose("time", "neuron").values
    assert sorted(by_gid(inp, "neuron:")) == ["neuron:0"]  # pulses after the transient
    _check_samples(line(inp, "neuron:0"), t, u[:, 0])
    grey = by_gid(inp, "unstimulated:")
    assert sorted(grey) == sorted(f"unstimulated:{i}" for i in range(1, 10))
    for i in range(1, 10):
        _check_samples(grey[f"unstimulated:{i}"], t, u[:, i])
    assert legend_texts(inp) == ["unstimulated (9)", "neuron 0 (E)"]


@pytest.mark.parametrize("panel, name, neurons, legend", [
    ("rate", "rate", range(10), ["E (7)", "I (3)"]),
    ("dendrite", "u_d", range(10), ["E (7)", "I (3)"]),
    ("sfa", "sfa", range(7), ["E (7)"]),  # adaptation of E neurons only
    ("std", "std", range(7), ["E (7)"]),
])
def test_trajectory_neuron_panels_show_every_neuron(traj_fig, traj_ds, panel, name, neurons,
                                                    legend):
    ax = axis(traj_fig, panel)
    t = traj_ds["time"].values
    data = traj_ds[name].sel(configuration="sfa_std").transpose("time", "neuron").values
    lines = by_gid(ax, "neuron:")
    assert sorted(lines) == sorted(f"neuron:{i}" for i in neurons)
    for i in neurons:
        _check_samples(lines[f"neuron:{i}"], t, data[:, i])
    assert legend_texts(ax) == legend
    if panel == "std":
        assert ax.get_ylim() == (0.0, 1.05)


def test_trajectory_lyapunov_panel(traj_fig, traj_ds):
    lya = axis(traj_fig, "lyapunov")
    cfg = traj_ds.sel(configuration="sfa_std")
    for gid in ("lya_local", "lya_finite"):
        ln = line(lya, gid)
        np.testing.assert_array_equal(ln.get_xdata(), traj_ds["lya_time"].values)
        np.testing.assert_array_equal(ln.get_ydata(), cfg[gid].values)
    lle = float(cfg["lle"])
    lle_line = line(lya, "lle")
    assert lle_line.get_linestyle() == "--"
    np.testing.assert_allclose(lle_line.get_ydata(), lle)
    assert legend_texts(lya) == ["local exponent (per interval)", "finite-time LLE",
                                 f"LLE = {fmt_number(lle, 3)} 1/s",
                                 "transient $t<0$\n(not in the LLE)"]


#: The variables each trajectory panel draws, and the note it shows without them.
TRAJECTORY_NOTES = {
    "input": (["input"], "no external input stored"),
    "rate": (["rate"], "no rates stored"),
    "dendrite": (["u_d"], "no dendritic states stored"),
    "sfa": (["sfa"], "no SFA in configuration 'SFA+STD'"),
    "std": (["std"], "no STD in configuration 'SFA+STD'"),
    "lyapunov": (["lya_local", "lya_finite"], "no Lyapunov exponents stored"),
}


@pytest.mark.parametrize("missing", list(TRAJECTORY_NOTES))
def test_trajectory_panel_without_its_data_says_so_and_only_then(traj_ds, missing):
    small = traj_ds.isel(time=slice(9000, 11001)).drop_vars(TRAJECTORY_NOTES[missing][0])
    fig = make_srnn_trajectory_figure(small, "sfa_std")
    draw(fig)
    for panel, (_, text) in TRAJECTORY_NOTES.items():
        assert notes(axis(fig, panel)) == ([text] if panel == missing else []), panel


def test_trajectory_configurations_without_adaptation(traj_ds):
    fig = make_srnn_trajectory_figure(traj_ds, "none")
    draw(fig)
    assert notes(axis(fig, "sfa")) == ["no SFA in configuration 'none'"]
    assert notes(axis(fig, "std")) == ["no STD in configuration 'none'"]
    assert "configuration none" in fig.get_suptitle()
    np.testing.assert_array_equal(line(axis(fig, "lyapunov"), "lya_finite").get_ydata(),
                                  traj_ds["lya_finite"].sel(configuration="none").values)
    fig = make_srnn_trajectory_figure(traj_ds, "std")
    draw(fig)
    assert notes(axis(fig, "sfa")) == ["no SFA in configuration 'STD'"]
    assert not notes(axis(fig, "std"))
    assert sorted(by_gid(axis(fig, "std"), "neuron:")) == [f"neuron:{i}" for i in range(7)]


def test_trajectory_many_neurons_are_thinned_evenly():
    ds = trajectory_dataset(n=80, n_e=64, t0=-1.0, t1=1.0)
    fig = make_srnn_trajectory_figure(ds, "none")
    shown = [int(g.split(":")[1]) for g in by_gid(axis(fig, "rate"), "neuron:")]
    assert len(shown) == 60
    assert sum(i < 64 for i in shown) == 48 and sum(i >= 64 for i in shown) == 12
    legend = axis(fig, "rate").get_legend()
    assert legend.get_title().get_text() == "60 of 80 shown"
    assert [t.get_text() for t in legend.get_texts()] == ["E (48)", "I (12)"]


def test_trajectory_edge_cases(traj_ds):
    small = traj_ds.isel(time=slice(9000, 11001))  # -1 .. 1 s, below MAX_POINTS
    small = small.drop_vars(["lya_local"])
    small["input"] = small["input"] * 0 + 0.1  # nobody stimulated
    fig = make_srnn_trajectory_figure(small, "sfa")
    draw(fig)
    inp = axis(fig, "input")
    assert "no neuron stimulated after the transient" in texts(inp)
    assert not by_gid(inp, "neuron:") and len(by_gid(inp, "unstimulated:")) == 10
    np.testing.assert_array_equal(line(inp, "unstimulated:3").get_ydata(), 0.1)
    rate = small["rate"].sel(configuration="sfa").values
    np.testing.assert_array_equal(line(axis(fig, "rate"), "neuron:2").get_ydata(), rate[:, 2])
    lya = axis(fig, "lyapunov")
    assert not by_gid(lya, "lya_local") and line(lya, "lya_finite")

    only_pos = traj_ds.isel(time=slice(10000, None), lya_time=slice(834, None))
    only_pos = only_pos.assign(lle=only_pos["lle"] * np.nan)
    fig = make_srnn_trajectory_figure(only_pos, "sfa_std")
    draw(fig)
    assert "LLE = n/a 1/s" in fig.get_suptitle()
    assert not by_gid(axis(fig, "lyapunov"), "lle")

    with pytest.raises(ValueError, match="configuration"):
        make_srnn_trajectory_figure(traj_ds, "bursting")


# --------------------------------------------------------------------------- sweep


def test_sweep_files(sweep_ds, tmp_path):
    paths = plot_srnn_sweep_figure(sweep_ds, tmp_path / "srnn_sweep")
    check_files(paths, "srnn_sweep", SWEEP_FIGSIZE_IN)


def test_sweep_panels_legend_and_title(sweep_fig):
    assert [a.get_label() for a in sweep_fig.axes if a.get_label() in SWEEP_PANEL_LABELS] == \
        list(SWEEP_PANEL_LABELS)
    for label in SWEEP_PANEL_LABELS:
        assert not notes(axis(sweep_fig, label)), label
    (legend,) = sweep_fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["none", "SFA", "STD", "SFA+STD"]
    assert sweep_fig.get_suptitle().endswith(
        "(24 networks × 8 weight scales × 4 configurations × 4 τ)")


def test_sweep_bounded_panel_shows_fractions_and_wilson_bands(sweep_fig, sweep_ds):
    a = axis(sweep_fig, "bounded")
    ws = sweep_ds["weight_scale"].values
    bounded = sweep_ds["bounded"]
    for config in CONFIGS:
        for tau in sweep_ds["tau_slowest"].values:
            ln = line(a, f"bounded:{config}:{tau:g}")
            np.testing.assert_array_equal(ln.get_xdata(), ws)
            np.testing.assert_allclose(
                ln.get_ydata(), bounded.sel(configuration=config, tau_slowest=tau).mean("network"))
        # the band of the slowest timescale: Wilson 95 % interval of k bounded of 24
        k = bounded.sel(configuration=config, tau_slowest=15.0).sum("network").values
        cis = [binomtest(int(ki), 24).proportion_ci(method="wilson") for ki in k]
        _check_band(by_gid(a, f"ci:{config}")[f"ci:{config}"], ws,
                    np.array([c.low for c in cis]), np.array([c.high for c in cis]))
    assert a.get_ylabel() == "fraction bounded (n = 24 networks)"
    assert legend_texts(a) == ["$\\tau_\\mathrm{slowest}$ = 15 s", "95 % CI (Wilson)",
                               "faster: 0.5, 2, 5 s\n(lighter = faster)"]


def test_sweep_lle_panel_shows_median_and_iqr_of_bounded_networks(sweep_fig, sweep_ds):
    b = axis(sweep_fig, "lle")
    lle = _sweep(sweep_ds, "lle")[:, :, :, -1]  # tau_slowest = 15 s
    ws = sweep_ds["weight_scale"].values
    for c, config in enumerate(CONFIGS):
        ln = line(b, f"lle:{config}")
        np.testing.assert_array_equal(ln.get_xdata(), ws)
        np.testing.assert_allclose(ln.get_ydata(), _median(lle[:, :, c], 0))
        _check_band(by_gid(b, f"iqr:{config}")[f"iqr:{config}"], ws,
                    _median(lle[:, :, c], 0, 0.25), _median(lle[:, :, c], 0, 0.75))
    assert b.get_yscale() == "symlog"
    assert b.get_title(loc="left").endswith("$\\tau_\\mathrm{slowest}$ = 15 s")


def test_sweep_heatmap_shows_median_lle_and_counts(sweep_fig, sweep_ds):
    c = axis(sweep_fig, "heatmap")
    lle = _sweep(sweep_ds, "lle")[:, :, 3, :]  # SFA+STD
    med = _median(lle, 0).T  # (tau, weight scale)
    n_b = sweep_ds["bounded"].sel(configuration="sfa_std").sum("network") \
        .transpose("tau_slowest", "weight_scale").values
    np.testing.assert_allclose(image_data(c), med)
    assert texts(c) == [f"{fmt_number(v)}\n{k}/24" for v, k in zip(med.ravel(), n_b.ravel())]
    assert tick_labels(c, "x") == ["0.5", "1", "1.5", "2", "3", "4", "6", "8"]
    assert tick_labels(c, "y") == ["0.5", "2", "5", "15"]
    assert "SFA+STD" in c.get_title(loc="left")
    assert c.images[0].colorbar.ax.get_ylabel() == "median LLE (1/s)"


def test_sweep_rule_panel_shows_lle_against_minus_one_over_tau(sweep_fig, sweep_ds):
    d = axis(sweep_fig, "rule")
    taus = sweep_ds["tau_slowest"].values
    lle = _sweep(sweep_ds, "lle")
    spectrum = _sweep(sweep_ds, "spectrum")
    for m, config in enumerate(["sfa", "std", "sfa_std"]):
        c = CONFIGS.index(config)
        x = -1.0 / taus * (1.0 + 0.04 * (m - 1))  # configurations side by side
        pooled = _median(lle[:, :, c, :].reshape(-1, taus.size), 0)
        ln = line(d, f"rule:{config}")
        np.testing.assert_allclose(ln.get_xdata(), x[np.isfinite(pooled)])
        np.testing.assert_allclose(ln.get_ydata(), pooled[np.isfinite(pooled)])
        per_ws = _median(lle[:, :, c, :], 0)
        for w in range(per_ws.shape[0]):
            np.testing.assert_allclose(line(d, f"rule_cell:{config}:{w}").get_ydata(), per_ws[w])
        lam1 = _median(spectrum[:, :, c, :, 0].reshape(-1, taus.size), 0)
        np.testing.assert_allclose(line(d, f"rule_lambda1:{config}").get_ydata(),
                                   lam1[np.isfinite(lam1)])
    assert not by_gid(d, "rule:none")
    assert legend_texts(d) == ["median (IQR), pooled", "identity", "per weight scale",
                               "$\\lambda_1$ (QR spectrum)"]
    assert d.get_xscale() == "symlog" and d.get_yscale() == "symlog"


def test_sweep_spectrum_panel_shows_the_median_exponents(sweep_fig, sweep_ds):
    e = axis(sweep_fig, "spectrum")
    spectrum = _sweep(sweep_ds, "spectrum")[:, :, :, -1, :]  # tau_slowest = 15 s
    k = sweep_ds.sizes["exponent"]
    for c, config in enumerate(CONFIGS):
        med = _median(spectrum[:, :, c, :].reshape(-1, k), 0)
        ln = line(e, f"spectrum:{config}")
        np.testing.assert_allclose(ln.get_xdata(), np.arange(1, k + 1) + (c - 1.5) * 0.15)
        np.testing.assert_allclose(ln.get_ydata(), med)
    assert tick_labels(e, "x") == [f"$\\lambda_{{{i}}}$" for i in range(1, k + 1)]
    assert legend_texts(e) == ["$-1/\\tau_\\mathrm{slowest}$ = \u22120.0667 1/s"]


def test_sweep_single_timescale_and_weight_scale():
    ds = sweep_dataset(n_networks=5, taus=(15.0,))
    fig = make_srnn_sweep_figure(ds)
    draw(fig)
    assert "faster" not in " ".join(legend_texts(axis(fig, "bounded")))
    ds = sweep_dataset(n_networks=5, weight_scales=(2.0,), taus=(15.0,))
    for variant in (ds, ds.squeeze(["weight_scale", "tau_slowest"])):  # dims or scalar coords
        fig = make_srnn_sweep_figure(variant)
        draw(fig)
        med = _median(_sweep(ds, "lle")[:, 0, 3, 0], 0)
        np.testing.assert_allclose(image_data(axis(fig, "heatmap")), [[med]])
        # one weight scale: error bars instead of bands, configurations side by side
        a = axis(fig, "bounded")
        assert not by_gid(a, "ci:")
        x = [line(a, f"bounded:{c}:15").get_xdata()[0] for c in CONFIGS]
        np.testing.assert_allclose(x, 2.0 + 0.08 * (np.arange(4) - 1.5))


def test_sweep_panels_without_data_say_so():
    fig = make_srnn_sweep_figure(sweep_dataset(n_networks=5, spectrum=False))
    draw(fig)
    assert notes(axis(fig, "spectrum")) == ["no Lyapunov spectrum stored"]
    assert not by_gid(axis(fig, "rule"), "rule_lambda1:")
    ds = sweep_dataset(n_networks=5)
    ds["spectrum"] = ds["spectrum"] * np.nan
    fig = make_srnn_sweep_figure(ds)
    draw(fig)
    assert notes(axis(fig, "spectrum")) == ["no Lyapunov spectrum stored"]

    # unbounded everywhere with adaptation, then everywhere
    ds = sweep_dataset(n_networks=6)
    ds["bounded"] = ds["bounded"].where(ds["configuration"] == "none", False)
    fig = make_srnn_sweep_figure(ds)
    draw(fig)
    assert notes(axis(fig, "heatmap")) == ["no bounded network with SFA+STD: LLE undefined"]
    assert notes(axis(fig, "rule")) == ["no bounded network with adaptation: LLE undefined"]
    assert not notes(axis(fig, "lle")) and by_gid(axis(fig, "lle"), "lle:none")
    ds["bounded"] = ds["bounded"] & False
    fig = make_srnn_sweep_figure(ds)
    draw(fig)
    assert notes(axis(fig, "lle")) == ["no bounded network: LLE undefined everywhere"]
    np.testing.assert_array_equal(line(axis(fig, "bounded"), "bounded:sfa:15").get_ydata(), 0.0)

    # only the configuration without adaptation
    fig = make_srnn_sweep_figure(sweep_dataset(n_networks=5).sel(configuration=["none"]))
    draw(fig)
    assert notes(axis(fig, "rule")) == ["no configuration with adaptation in this sweep"]
    assert notes(axis(fig, "heatmap")) == ["no configuration with adaptation in this sweep"]

    with pytest.raises(ValueError, match="bounded"):
        make_srnn_sweep_figure(sweep_dataset(n_networks=2).drop_vars("bounded"))
