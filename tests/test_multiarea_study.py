"""The multiarea study end to end on a few areas (the full model's statistics are validated
against NEST in tests/test_multiarea_validation.py, marked slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from netdyn.cli import main
from netdyn.config.multiarea import MultiAreaConfig
from netdyn.io.hdf5 import read_recording
from netdyn.models.multiarea import AREAS, POPULATIONS, multiarea_parameters
from netdyn.studies.multiarea import run_multiarea, simulate

SMALL = MultiAreaConfig(areas=("V1", "V2", "FEF"), t_sim_ms=800.0, transient_ms=500.0, seed=3)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("multiarea")
    return run_multiarea(SMALL, out, progress=False)


def test_study_writes_spikes_results_summary_and_figures(small_run):
    assert small_run.spikes.exists() and small_run.results.exists() and small_run.summary.exists()
    assert not (small_run.spikes.parent / "spikes.partial.h5").exists()  # the run's stream, replaced
    names = sorted(p.name for p in small_run.figures)
    for fig in ("connectivity", "area_rates", "population_rates", "dynamics", "functional_connectivity",
                "mean_field"):
        assert f"figure_{fig}.png" in names and f"figure_{fig}.pdf" in names
    ds = xr.open_zarr(small_run.results)
    assert ds.attrs["netdyn_study"] == "multiarea"
    assert dict(ds["rate_hz"].sizes) == {"area": 32, "population": 8}
    assert ds["population_rate_series_hz"].sizes["time_ms"] == 300
    assert ds["fc_sim"].shape == (32, 32) and ds["relative_indegree_full"].shape == (32, 33)


def test_summary_rates_are_the_spikes_over_the_model_population_sizes(small_run):
    """Recount every population's rate from spikes.h5 with the model's (non-integer) sizes."""
    summary = json.loads(small_run.summary.read_text())
    par = multiarea_parameters(**SMALL.model_arguments())
    rec = read_recording(small_run.spikes)
    assert set(summary["rates_hz"]) == {"V1", "V2", "FEF"}
    for k, name in enumerate(par["names"]):
        area, pop = name.split("/")
        if area not in SMALL.areas:
            continue
        spikes = rec.spikes[f"{area}.{pop}"]
        n_after = int(np.count_nonzero(spikes.times_ms >= 500.0))
        expected = n_after / par["n_neurons_float"][k] / 0.3
        assert summary["rates_hz"][area][pop] == pytest.approx(expected, rel=1e-9)
        assert 0.0 <= summary["lvr"][area][pop] < 3.0
        assert -1.0 <= summary["corrcoef"][area][pop] <= 1.0
        assert summary["mean_field_rates_hz"][area][pop] >= 0.0
    assert rec.spikes["V1.23E"].n_neurons == int(par["n_neurons"][par["names"].index("V1/23E")])
    total = sum(int(np.count_nonzero(t.times_ms >= 500.0)) for t in rec.spikes.values())
    n_created = sum(t.n_neurons for t in rec.spikes.values())
    assert summary["network_rate_hz"] == pytest.approx(total / n_created / 0.3, rel=1e-9)
    assert summary["fc_vs_fmri_r"] is not None and -1.0 <= summary["fc_vs_fmri_r"] <= 1.0


def test_absent_populations_are_absent_not_zero(small_run):
    summary = json.loads(small_run.summary.read_text())
    for table in ("rates_hz", "lvr", "corrcoef", "mean_field_rates_hz"):
        assert set(summary[table]) == {"V1", "V2", "FEF"}  # the others are not simulated
        assert all(set(row) == set(POPULATIONS) for row in summary[table].values())
    ds = xr.open_zarr(small_run.results)
    assert np.isnan(ds["rate_hz"].sel(area="V4")).all() and np.isnan(ds["mean_field_rate_hz"].sel(area="TH")).all()


def test_same_seed_same_numbers_other_seed_others():
    config = SMALL.replace(areas=("V1",), t_sim_ms=600.0)
    a, _ = simulate(config, mean_field=False)
    b, _ = simulate(config, mean_field=False)
    c, _ = simulate(config.replace(seed=4), mean_field=False)
    np.testing.assert_array_equal(a["rate_hz"].values, b["rate_hz"].values)
    np.testing.assert_array_equal(a["lvr"].values, b["lvr"].values)
    assert not np.array_equal(a["rate_hz"].sel(area="V1").values, c["rate_hz"].sel(area="V1").values)


def test_cli_multiarea_and_plot(tmp_path):
    out = tmp_path / "cli"
    assert main(["multiarea", "--out", str(out), "--areas", "V1", "--t-sim-ms", "600", "--no-figure",
                 "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["rates_hz"]) == {"V1"} and summary["config"]["areas"] == ["V1"]
    assert not (out / "figure_dynamics.png").exists()
    assert main(["plot", "multiarea", "--out", str(out)]) == 0
    assert (out / "figure_dynamics.png").exists() and (out / "figure_mean_field.pdf").exists()


@pytest.mark.parametrize("argv, field", [
    (["--areas", "V1,XX"], "areas"),
    (["--scale", "1.5"], "scale"),
    (["--scale", "0"], "scale"),
    (["--t-sim-ms", "500"], "t_sim_ms"),
    (["--chi", "-1"], "chi"),
    (["--seeds", "1,1"], "seeds"),
])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, argv, field):
    out = tmp_path / "nothing"
    assert main(["multiarea", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert f"invalid {field}=" in err and err.count("\n") == 1
    assert not out.exists()


def test_network_too_large_is_refused_before_building(tmp_path, capsys, monkeypatch):
    import netdyn.engines.spiking.build as build

    monkeypatch.setattr(build, "available_memory_bytes", lambda: 100_000)
    out = tmp_path / "nothing"
    assert main(["multiarea", "--out", str(out), "--areas", "V1"]) == 2
    err = capsys.readouterr().err
    assert "invalid scale=0.005" in err and "GiB are available" in err and err.count("\n") == 1
    assert not out.exists()


def test_seeds_are_work_units_with_statistics(tmp_path):
    out = tmp_path / "seeds"
    argv = ["multiarea", "--out", str(out), "--areas", "V1", "--t-sim-ms", "600", "--seeds", "1,2",
            "--workers", "0", "--no-progress"]
    assert main(argv) == 0
    ds = xr.open_zarr(out / "seeds.zarr")
    assert ds.attrs["netdyn_study"] == "multiarea-seeds" and list(ds["seed"].values) == [1, 2]
    summary = json.loads((out / "seeds_summary.json").read_text())
    stat = summary["rate_hz"]["V1"]["23E"]
    values = ds["rate_hz"].sel(area="V1", population="23E").values
    assert stat["n"] == 2 and stat["mean"] == pytest.approx(values.mean())
    assert stat["sd"] == pytest.approx(values.std(ddof=1))
    one, _ = simulate(MultiAreaConfig(areas=("V1",), t_sim_ms=600.0, seed=2), mean_field=False)
    np.testing.assert_array_equal(ds["lvr"].sel(seed=2).values, one["lvr"].values)
    assert main(argv) == 0  # a rerun finds every unit done
    assert "V2" not in summary["rate_hz"]


def test_cli_theory_summary(tmp_path):
    out = tmp_path / "theory"
    assert main(["multiarea", "theory", "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= {"mean_rate_hz", "rates_hz", "leading_eigenvalue"}
    assert set(summary["rates_hz"]) == set(AREAS) and "4E" not in summary["rates_hz"]["TH"]
    rates = [v for area in summary["rates_hz"].values() for v in area.values()]
    assert len(rates) == 254 and summary["mean_rate_hz"] == pytest.approx(np.mean(rates), rel=1e-12)
    ds = xr.open_zarr(out / "results.zarr")
    assert ds.attrs["netdyn_study"] == "multiarea-theory"
    assert (out / "figure.png").exists()


def test_spikes_are_on_disk_while_the_run_goes(tmp_path, monkeypatch):
    """A run killed midway keeps its spikes: spikes.partial.h5 holds those of every block
    simulated so far (here read after the second block, then the run is stopped)."""
    from netdyn.engines.spiking import Network

    blocks = []
    run = Network.run

    def stopping_run(self, duration_ms, *, progress=None, on_spikes=None):
        def append(steps, ids, t_stop_ms):
            on_spikes(steps, ids, t_stop_ms)
            blocks.append(read_recording(tmp_path / "spikes.partial.h5"))
            if len(blocks) == 2:
                raise KeyboardInterrupt
        self.chunk_steps = 1000
        return run(self, duration_ms, progress=progress, on_spikes=append)

    monkeypatch.setattr(Network, "run", stopping_run)
    config = MultiAreaConfig(areas=("V1", "V2"), t_sim_ms=800.0, transient_ms=500.0, seed=3)
    with pytest.raises(KeyboardInterrupt):
        simulate(config, record_path=tmp_path / "spikes.h5", mean_field=False)
    assert [b.t_stop_ms for b in blocks] == [100.0, 200.0]
    kept = read_recording(tmp_path / "spikes.partial.h5")
    assert kept.t_stop_ms == 200.0 and not (tmp_path / "spikes.h5").exists()
    n = sum(t.n_spikes for t in kept.spikes.values())
    assert n > sum(t.n_spikes for t in blocks[0].spikes.values()) > 0
    assert max(t.times_ms.max(initial=0) for t in kept.spikes.values()) <= 200.0
