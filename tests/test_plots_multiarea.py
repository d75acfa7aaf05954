"""The multi-area figures show what the results hold (panels read back)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from netdyn.models.multiarea import AREAS, POPULATIONS, area_relative_indegrees, multiarea_parameters
from netdyn.plots.multiarea import RASTER_AREAS, make_multiarea_figures, plot_multiarea_figures
from tests._plots_readback import axis, check_files, draw, image_data, notes, tick_labels

def results(**drop: bool) -> xr.Dataset:
    """A results Dataset of the study's layout with random, known values (the same at every call)."""
    RNG = np.random.default_rng(3)
    rates = RNG.uniform(0.1, 40.0, (32, 8))
    rates[AREAS.index("TH"), 2:4] = np.nan  # TH has no layer 4
    rates[0, 0] = 0.0  # a silent population
    time = 500.0 + np.arange(200.0)
    par = multiarea_parameters(0.005)
    fc = np.corrcoef(RNG.normal(size=(32, 50)))
    data = {
        "rate_hz": (("area", "population"), rates),
        "lvr": (("area", "population"), RNG.uniform(0.2, 1.0, (32, 8))),
        "corrcoef": (("area", "population"), RNG.uniform(0.0, 0.01, (32, 8))),
        "mean_field_rate_hz": (("area", "population"), rates * 1.2 + 1.0),
        "area_rate_series_hz": (("area", "time_ms"), RNG.uniform(0.0, 30.0, (32, time.size))),
        "relative_indegree_full": (("area", "source"), area_relative_indegrees(par)),
        "relative_indegree_scaled": (("area", "source"), area_relative_indegrees(par, realised=True)),
        "fc_sim": (("area", "area_b"), fc),
        "fc_fmri": (("area", "area_b"), fc.T * 0.5),
    }
    data = {k: v for k, v in data.items() if not drop.get(k)}
    return xr.Dataset(data, coords={"area": list(AREAS), "population": list(POPULATIONS), "time_ms": time,
                                    "source": [*AREAS, "external"], "area_b": list(AREAS)},
                      attrs={"scale": 0.005, "chi": 1.0, "chi_i": 1.0, "t_sim_ms": 700.0, "fc_vs_fmri_r": 0.5,
                             "netdyn_version": "test"})


def rasters() -> dict:
    RNG = np.random.default_rng(4)
    out = {}
    for area in RASTER_AREAS:
        out[area] = {}
        for k, pop in enumerate(POPULATIONS):
            n = 20 + k
            times = np.sort(RNG.uniform(0.0, 700.0, 300))
            out[area][pop] = (times, RNG.integers(0, n, 300), n)
    return out


@pytest.fixture(scope="module")
def figures():
    return {name: draw(fig) for name, fig in make_multiarea_figures(results(), rasters()).items()}


def test_six_figures_none_saying_no_data(figures):
    assert list(figures) == ["connectivity", "area_rates", "population_rates", "dynamics",
                             "functional_connectivity", "mean_field"]
    for fig in figures.values():
        assert all(not notes(ax) for ax in fig.axes)


def test_connectivity_panels_show_the_relative_indegrees(figures):
    ds = results()
    for letter, name in (("a", "relative_indegree_full"), ("b", "relative_indegree_scaled")):
        shown = image_data(axis(figures["connectivity"], letter))
        expected = ds[name].values
        np.testing.assert_allclose(shown, np.where(expected > 0, expected, np.nan))
        assert tick_labels(axis(figures["connectivity"], letter))[-1] == "external"


def test_area_rates_show_the_first_100_ms(figures):
    shown = image_data(axis(figures["area_rates"], "a"))
    np.testing.assert_allclose(shown, results()["area_rate_series_hz"].values[:, :100])


def test_population_rates_hatch_the_absent_populations(figures):
    ax = axis(figures["population_rates"], "a")
    shown = image_data(ax)
    rates = results()["rate_hz"].transpose("population", "area").values
    np.testing.assert_allclose(shown, np.where(rates > 0, rates, np.nan))
    hatched = sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches if p.get_gid() == "absent")
    assert hatched == [(AREAS.index("TH"), 2.0), (AREAS.index("TH"), 3.0)]


def test_dynamics_rasters_and_box_plots(figures):
    fig = figures["dynamics"]
    spikes = rasters()
    for letter, area in zip("abc", RASTER_AREAS):
        ax = axis(fig, letter)
        offset = 0
        for pop in POPULATIONS:
            times, senders, n = spikes[area][pop]
            (line,) = [ln for ln in ax.lines if ln.get_gid() == f"raster:{pop}"]
            keep = (times >= 200.0) & (times < 700.0)
            np.testing.assert_array_equal(line.get_xdata(), times[keep])
            np.testing.assert_array_equal(line.get_ydata(), offset + senders[keep])
            offset += n
    rates = results()["rate_hz"].transpose("population", "area").values
    ax = axis(fig, "d")
    assert tick_labels(ax, "y") == list(POPULATIONS)
    medians = [ln for ln in ax.lines if ln.get_color() == "k"]
    np.testing.assert_allclose([m.get_xdata()[0] for m in medians],
                               [np.median(r[np.isfinite(r)]) for r in rates])


def test_functional_connectivity_and_mean_field(figures):
    ds = results()
    fc = image_data(axis(figures["functional_connectivity"], "a"))
    expected = ds["fc_sim"].values.copy()
    np.fill_diagonal(expected, np.nan)
    np.testing.assert_allclose(fc, expected)
    assert "r = 0.500" in figures["functional_connectivity"].get_suptitle()
    ax = axis(figures["mean_field"], "a")
    pop = POPULATIONS[1]
    (points,) = [c for c in ax.collections if c.get_gid() == f"rates:{pop}"]
    sim = ds["rate_hz"].sel(population=pop).values
    mf = ds["mean_field_rate_hz"].sel(population=pop).values
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([mf, sim]))


@pytest.mark.parametrize("variable, figure, letter", [("relative_indegree_full", "connectivity", "a"),
                                                      ("area_rate_series_hz", "area_rates", "a"),
                                                      ("rate_hz", "population_rates", "a"),
                                                      ("lvr", "dynamics", "f"),
                                                      ("fc_fmri", "functional_connectivity", "b"),
                                                      ("mean_field_rate_hz", "mean_field", "a")])
def test_a_missing_variable_is_said_where_it_is_missing(variable, figure, letter):
    figs = make_multiarea_figures(results(**{variable: True}), rasters())
    assert notes(axis(figs[figure], letter))


def test_rasters_missing_are_said(tmp_path):
    figs = make_multiarea_figures(results(), None)
    assert notes(axis(figs["dynamics"], "a")) == ["no spikes of V1 stored"]
    paths = plot_multiarea_figures(results(), tmp_path, rasters())
    assert len(paths) == 12
    check_files(paths[:2], "figure_connectivity", (11.0, 5.4))


def theory_results(**drop: bool) -> xr.Dataset:
    """A mean-field results Dataset of the theory study's layout with known values."""
    rng = np.random.default_rng(5)
    rates = rng.uniform(0.5, 40.0, (32, 8))
    rates[AREAS.index("TH"), 2:4] = np.nan
    t = np.arange(0.0, 50.05, 0.1)
    trajectory = rates[None] * (1.0 - np.exp(-t / 5.0))[:, None, None]
    eig = np.sort(rng.normal(size=254) * 0.3 + 0.1j * rng.normal(size=254))[::-1]
    eig = eig[np.argsort(-eig.real)]
    data = {
        "rate_hz": (("area", "population"), rates),
        "trajectory_hz": (("time_ms", "area", "population"), trajectory),
        "eigenvalue_real": (("mode",), eig.real),
        "eigenvalue_imag": (("mode",), eig.imag),
    }
    data = {k: v for k, v in data.items() if not drop.get(k)}
    return xr.Dataset(data, coords={"area": list(AREAS), "population": list(POPULATIONS), "time_ms": t,
                                    "mode": np.arange(254)},
                      attrs={"scale": 0.005, "chi": 1.0, "chi_i": 1.0, "mean_rate_hz": 29.5884,
                             "netdyn_version": "test"})


def test_mean_field_theory_figure_shows_trajectories_rates_and_spectrum(tmp_path):
    from netdyn.plots.multiarea import make_mean_field_theory_figure, plot_mean_field_theory

    ds = theory_results()
    fig = draw(make_mean_field_theory_figure(ds))
    for letter in "abc":
        assert not notes(axis(fig, letter))
    (lines,) = [c for c in axis(fig, "a").collections if c.get_gid() == "trajectory:4E"]
    assert len(lines.get_segments()) == 31  # TH has no 4E
    np.testing.assert_allclose(lines.get_segments()[0][:, 1], ds["trajectory_hz"].sel(area=AREAS[0], population="4E"))
    shown = image_data(axis(fig, "b"))
    np.testing.assert_allclose(shown, ds["rate_hz"].transpose("population", "area").values)
    (points,) = [c for c in axis(fig, "c").collections if c.get_gid() == "eigenvalues"]
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([ds.eigenvalue_real, ds.eigenvalue_imag]))
    assert "29.588" in fig.get_suptitle()
    paths = plot_mean_field_theory(ds, tmp_path / "figure")
    check_files(paths, "figure", (12.0, 3.8))
    assert notes(axis(make_mean_field_theory_figure(theory_results(eigenvalue_real=True)), "c"))
