"""``netdyn sweep NETWORK.toml --set PATH=V,... --seeds ...``: the grid of fields x seeds as
resumable work units. The stored statistics are those of the network of each unit run on its
own, the numbers do not depend on the workers or on an interruption, every path and value is
checked before anything is written, and the figure shows the means over seeds."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import xarray as xr

from netdyn.analysis import population_summary
from netdyn.analysis.spikes.summary import SUMMARY_STATISTICS
from netdyn.cli import main
from netdyn.config.network_file import RunSettings
from netdyn.engines.spiking import Network
from netdyn.models.spiking.paths import set_field
from netdyn.plots.network_sweep import make_network_sweep_figure
from netdyn.studies.network_file import NetworkFile, read_network_file
from netdyn.studies.network_sweep import (
    NETWORK_SWEEP,
    NetworkSweepConfig,
    parse_axis,
    parse_seeds,
    simulate_run,
    sweep_grid,
)
from netdyn.sweep import SweepStore, run_study
from test_network_file import tiny_network

CURRENT = "populations.E.params.i_e_pA"
WEIGHT = "projections.I->E:inh.weight"
SET = ["--set", f"{CURRENT}=150,200,250", "--set", f"{WEIGHT}=50,67", "--seeds", "1-2"]


@pytest.fixture(scope="module")
def network_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "net.toml"
    NetworkFile.of(tiny_network(), RunSettings(duration_ms=150.0, transient_ms=50.0)).save(path)
    return path


@pytest.fixture(scope="module")
def serial(network_file, tmp_path_factory):
    """The sweep of 3 x 2 values x 2 seeds, uninterrupted, in this process."""
    out = tmp_path_factory.mktemp("serial")
    assert main(["sweep", str(network_file), *SET, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    return out


def _config(network_file) -> NetworkSweepConfig:
    base = read_network_file(network_file)
    return NetworkSweepConfig.model_validate({**dict(base), "axes": [parse_axis(f"{CURRENT}=150,200,250"),
                                                                     parse_axis(f"{WEIGHT}=50,67")],
                                              "seeds": [1, 2]})


def test_grid_shape_coordinates_and_values(serial, network_file):
    ds = xr.open_zarr(serial / "results.zarr").load()
    assert ds.attrs["netdyn_study"] == "network-sweep" and ds.sizes == {"run": 12, "population": 2}
    grid = sweep_grid(ds)
    assert list(grid.rate_hz.dims) == [CURRENT, WEIGHT, "seed", "population"]
    assert grid.rate_hz.shape == (3, 2, 2, 2)
    assert grid[CURRENT].values.tolist() == [150.0, 200.0, 250.0] and grid[WEIGHT].values.tolist() == [50.0, 67.0]
    assert grid.seed.values.tolist() == [1, 2] and grid.population.values.tolist() == ["E", "I"]
    assert list(grid.data_vars) == list(SUMMARY_STATISTICS)
    assert np.isfinite(grid.rate_hz.values).all() and (grid.rate_hz.values > 0).all()
    # one grid point, run on its own, gives the numbers stored
    network = set_field(set_field(tiny_network(), CURRENT, 250), WEIGHT, 50).replace(seed=2)
    recording = Network(network).run(150.0, progress=False).recording()
    for pop in ("E", "I"):
        expected = population_summary(recording.spikes[pop], t_start_ms=50.0, t_stop_ms=150.0)
        stored = grid.sel({CURRENT: 250.0, WEIGHT: 50.0, "seed": 2, "population": pop})
        for name, value in expected.items():
            np.testing.assert_equal(float(stored[name]), value, err_msg=f"{pop} {name}")
    assert len(np.unique(grid.rate_hz.values)) > 12  # the fields and seeds change the numbers


def test_summary_means_over_seeds(serial):
    summary = json.loads((serial / "summary.json").read_text())
    grid = sweep_grid(xr.open_zarr(serial / "results.zarr").load())
    assert summary["fields"] == {CURRENT: [150.0, 200.0, 250.0], WEIGHT: [50.0, 67.0]}
    assert summary["seeds"] == [1, 2] and len(summary["points"]) == 6
    assert (summary["duration_ms"], summary["transient_ms"], summary["backend"]) == (150.0, 50.0, "netdyn")
    point = summary["points"][3]
    assert point["values"] == {CURRENT: 200.0, WEIGHT: 67.0}
    rates = grid.rate_hz.sel({CURRENT: 200.0, WEIGHT: 67.0, "population": "I"}).values
    cell = point["populations"]["I"]["rate_hz"]
    assert cell["n"] == 2 and cell["mean"] == pytest.approx(rates.mean()) and cell["sd"] == pytest.approx(rates.std(ddof=1))


def test_figure_shows_the_means_over_seeds(serial):
    grid = sweep_grid(xr.open_zarr(serial / "results.zarr").load())
    fig = make_network_sweep_figure(grid)
    ax = next(a for a in fig.axes if a.get_label() == "cv_isi:E")
    lines = {ln.get_gid(): ln for ln in ax.lines if ln.get_gid()}
    assert set(lines) == {f"cv_isi:E:{WEIGHT} = 50.0", f"cv_isi:E:{WEIGHT} = 67.0"}
    line = lines[f"cv_isi:E:{WEIGHT} = 67.0"]
    np.testing.assert_array_equal(line.get_xdata(), [150.0, 200.0, 250.0])
    expected = grid.cv_isi.sel({WEIGHT: 67.0, "population": "E"}).mean("seed").values
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    assert len(fig.axes) == 5 * 2
    assert (serial / "figure.png").read_bytes().startswith(b"\x89PNG")


def _stop_at_run_7(config_json: str, run: int) -> xr.Dataset:
    """The unit function of a run interrupted (Ctrl-C) at its 8th unit."""
    if int(run) == 7:
        raise KeyboardInterrupt
    return simulate_run(config_json, run)


def test_same_numbers_with_two_workers_and_after_an_interruption(serial, network_file, tmp_path, capsys):
    out = tmp_path / "interrupted"
    interrupted = dataclasses.replace(NETWORK_SWEEP, unit_function=_stop_at_run_7)
    with pytest.raises(KeyboardInterrupt):
        run_study(interrupted, _config(network_file), out, workers=0, progress=False)
    store = SweepStore(out / "results.zarr")
    assert store.pending() == [7, 8, 9, 10, 11] and not (out / "summary.json").exists()
    # the rerun of the same command, with two workers, computes what is left
    assert main(["sweep", str(network_file), *SET, "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    assert SweepStore(out / "results.zarr").is_complete
    a = xr.open_zarr(serial / "results.zarr").load()
    b = xr.open_zarr(out / "results.zarr").load()
    for name in SUMMARY_STATISTICS:
        assert a[name].values.tobytes() == b[name].values.tobytes(), name
    assert json.loads((out / "summary.json").read_text())["points"] == \
        json.loads((serial / "summary.json").read_text())["points"]
    # a finished sweep reruns nothing
    outputs = run_study(NETWORK_SWEEP, _config(network_file), out, workers=0, progress=False, figure=False)
    assert outputs.computed_units == ()


@pytest.mark.parametrize("argv, needle", [
    (["--set", "populations.X.params.i_e_pA=1", "--seeds", "1"],
     "invalid populations.X.params.i_e_pA='X': populations has no entry 'X'; one of ['E', 'I']"),
    (["--set", "populations.E.params.i_e_pA=100,abc", "--seeds", "1"],
     "invalid populations.E.params.i_e_pA='abc': Input should be a valid number"),
    (["--set", "populations.E.params.i_ee_pA=100", "--seeds", "1"], "invalid populations.E.params.i_ee_pA=100: "
     "unknown key"),
    (["--set", "projections.E->X:exc.weight=1", "--seeds", "1"], "invalid projections.E->X:exc.weight="),
    (["--set", "drives.bg.rate=1", "--seeds", "1"], "invalid drives.bg.rate='bg': drives is empty"),
    (["--set", "populations.E.n_neurons=100,0", "--seeds", "1"], "invalid populations.E.n_neurons=0"),
    (["--set", "dt_ms=0.1,0.1", "--seeds", "1"], "invalid dt_ms=[0.1, 0.1]: give distinct values"),
    (["--set", "dt_ms=0.1", "--set", "dt_ms=0.05", "--seeds", "1"], "invalid dt_ms=[0.05]: this field is already swept"),
    (["--set", "populations.E.params=1", "--set", f"{CURRENT}=1", "--seeds", "1"], "invalid populations.E.params=1"),
    (["--set", "seed=1,2", "--seeds", "1"], "invalid seed=[1, 2]: the seeds are swept with --seeds"),
    (["--set", "dt_ms", "--seeds", "1"], "invalid set='dt_ms': expected PATH=VALUE,VALUE,..."),
    (["--set", "dt_ms=0.1,", "--seeds", "1"], "invalid set='dt_ms=0.1,'"),
    (["--set", "dt_ms=0.1", "--seeds", "1-x"], "invalid seeds='1-x'"),
    (["--set", "dt_ms=0.1", "--seeds", "3-1"], "invalid seeds='3-1': the range 3-1 is empty"),
    (["--set", "dt_ms=0.1", "--seeds", "1,1"], "invalid seeds=[1, 1]: give distinct seeds >= 0"),
    (["--set", "dt_ms=0.1", "--seeds", "1", "--workers", "-1"], "invalid workers=-1"),
    (["--set", "dt_ms=0.1", "--seeds", "1", "--threads", "0"], "invalid threads=0"),
    (["--set", "dt_ms=0.1", "--seeds", "1", "--transient-ms", "150"], "invalid transient_ms=150.0"),
    (["--seeds", "1"], "the following arguments are required: --set"),
    (["--set", "dt_ms=0.1"], "the following arguments are required: --seeds"),
])
def test_bad_grids_are_one_line_exit_2_and_write_nothing(network_file, tmp_path, capsys, argv, needle):
    out = tmp_path / "out"
    try:
        code = main(["sweep", str(network_file), "--out", str(out), *argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("netdyn: error: ") and needle in err and err.count("\n") == 1, err
    assert not out.exists()


@pytest.mark.parametrize("text, seeds", [("1-5", (1, 2, 3, 4, 5)), ("3", (3,)), ("1,3,8", (1, 3, 8)),
                                         ("0-2, 7", (0, 1, 2, 7))])
def test_seed_ranges(text, seeds):
    assert parse_seeds(text) == seeds


def test_values_are_read_as_toml_literals():
    axis = parse_axis("drives.bg.statistics=poisson,\"bernoulli\"")
    assert axis.values == ("poisson", "bernoulli")
    assert parse_axis("x=1, 2.5,true").values == (1, 2.5, True)


def test_nest_backend_sweep(network_file, tmp_path):
    pytest.importorskip("nest")
    pytest.importorskip("netdyn.engines.nest")
    out = tmp_path / "nest"
    assert main(["sweep", str(network_file), "--set", f"{CURRENT}=150,250", "--seeds", "1", "--out", str(out),
                 "--backend", "nest", "--workers", "1", "--no-progress", "--no-figure"]) == 0
    grid = sweep_grid(xr.open_zarr(out / "results.zarr").load())
    assert json.loads((out / "summary.json").read_text())["backend"] == "nest"
    # the unit of 250 pA, run on its own by NEST, gives the numbers stored
    network = set_field(tiny_network(), CURRENT, 250).replace(seed=1)
    recording = Network(network, backend="nest").run(150.0, progress=False).recording()
    for pop in ("E", "I"):
        expected = population_summary(recording.spikes[pop], t_start_ms=50.0, t_stop_ms=150.0)
        stored = grid.sel({CURRENT: 250.0, "seed": 1, "population": pop})
        for name, value in expected.items():
            np.testing.assert_equal(float(stored[name]), value, err_msg=f"{pop} {name}")
    assert np.isfinite(grid.rate_hz.values).all()
