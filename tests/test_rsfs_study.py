"""The rsfs study and the spiking CLI end to end (small networks)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from netdyn.cli import main
from netdyn.io.hdf5 import read_recording
from netdyn.config.rsfs import RsfsConfig
from netdyn.studies.rsfs import run_rsfs

SMALL = RsfsConfig(n_exc=400, n_inh=100, n_aff=400, tstop_ms=400.0, seed=2)


def test_run_rsfs_writes_recording_summary_and_figure(tmp_path):
    out = run_rsfs(SMALL, tmp_path / "rsfs")
    assert out.recording.exists() and out.summary.exists()
    assert sorted(p.suffix for p in out.figures) == [".pdf", ".png"]
    summary = json.loads(out.summary.read_text())
    assert set(summary["rates_hz"]) == {"Exc", "Inh"}
    assert summary["rates_hz"]["Exc"] == {}  # tstop 400 ms: no window fits
    assert summary["n_synapses"] == 400 * 20 + 400 * 5 + 100 * 20 + 100 * 5
    assert 0 < summary["cv_isi"]["Inh"] < 2
    rec = read_recording(out.recording)
    assert rec.spikes["Exc"].n_neurons == 400 and rec.t_stop_ms == pytest.approx(400.0)
    assert rec.state["Exc"]["v_mV"].shape == (4000, 4)
    assert json.loads(rec.attrs["config"])["seed"] == 2
    assert rec.attrs["study"] == "rsfs" and rec.attrs["netdyn_study"] == "rsfs"
    assert rec.input_rates["AffExc->Exc"].values[0] == pytest.approx(4.0, abs=1e-6)


def test_rsfs_is_deterministic(tmp_path):
    a = run_rsfs(SMALL, tmp_path / "a", figure=False)
    b = run_rsfs(SMALL, tmp_path / "b", figure=False)
    ra, rb = read_recording(a.recording), read_recording(b.recording)
    np.testing.assert_array_equal(ra.spikes["Exc"].times_ms, rb.spikes["Exc"].times_ms)
    np.testing.assert_array_equal(ra.spikes["Inh"].senders, rb.spikes["Inh"].senders)


def test_cli_rsfs_and_plot(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["rsfs", "--out", str(out), "--n-exc", "200", "--n-inh", "50", "--tstop-ms", "1000", "--seed", "3",
                 "--no-figure"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["rates_hz"]["Exc"]) == ["350-900"]  # the windows that end by tstop
    assert not (out / "figure.png").exists()
    assert main(["plot", "rsfs", "--out", str(out)]) == 0
    assert (out / "figure.png").exists() and (out / "figure.pdf").exists()


@pytest.mark.parametrize("argv, field", [
    (["rsfs", "--tstop-ms", "-5"], "tstop_ms"),
    (["rsfs", "--n-exc", "0"], "n_exc"),
    (["bench", "coba", "--n-neurons", "3"], "n_neurons"),
    (["bench", "microcircuit", "--scale", "2"], "scale"),
    (["bench", "microcircuit", "--threads", "0", "--scale", "0.01"], "threads"),
])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, argv, field):
    out = tmp_path / "nothing"
    if argv[0] == "rsfs":
        argv = argv + ["--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"invalid {field}=" in err and err.count("\n") == 1
    assert not out.exists()


def test_cli_bench_coba_prints_one_json_line(capsys):
    assert main(["bench", "coba", "--n-neurons", "400", "--duration-ms", "100", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    for key in ("build_s", "run_s", "cpu_s", "peak_rss_mb", "n_synapses", "bytes_per_synapse", "mean_rate_hz"):
        assert key in record
    assert record["simulator"] == "netdyn" and record["n_neurons"] == 400
    assert 7.9 < record["bytes_per_synapse"] < 9.0


def test_cli_bench_microcircuit_small_scale(capsys):
    assert main(["bench", "microcircuit", "--scale", "0.02", "--duration-ms", "100", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip())
    assert record["model"] == "microcircuit" and record["n_neurons"] == 1544
    assert record["n_synapses"] > 0 and record["real_time_factor"] > 0


def test_seeds_sweep_is_worker_independent_and_resumes(tmp_path):
    from netdyn.studies.rsfs import run_rsfs_seeds

    cfg = RsfsConfig(n_exc=200, n_inh=50, tstop_ms=1000.0)
    serial = run_rsfs_seeds(cfg, [1, 2, 3], tmp_path / "serial", workers=0, progress=False)
    pooled = run_rsfs_seeds(cfg, [1, 2, 3], tmp_path / "pooled", workers=2, progress=False)
    for name in ("rate_hz", "cv_isi", "active_fraction", "asynchrony"):
        np.testing.assert_array_equal(serial[name].values, pooled[name].values)
    assert np.isfinite(serial.rate_hz.sel(window="350-900").values).all()
    assert np.isnan(serial.rate_hz.sel(window="1300-1500").values).all()  # past tstop
    summary = json.loads((tmp_path / "serial" / "seeds_summary.json").read_text())
    assert summary["rates_hz"]["Exc"]["350-900"]["n"] == 3
    # rerun: nothing left to compute, same numbers
    again = run_rsfs_seeds(cfg, [1, 2, 3], tmp_path / "serial", workers=0, progress=False)
    np.testing.assert_array_equal(again.rate_hz.values, serial.rate_hz.values)


def test_cli_rsfs_seeds(tmp_path, capsys):
    out = tmp_path / "seeds"
    assert main(["rsfs", "--out", str(out), "--seeds", "4,5", "--workers", "0", "--n-exc", "200", "--n-inh", "50",
                 "--tstop-ms", "400"]) == 0
    assert (out / "seeds.zarr").exists() and (out / "seeds_summary.json").exists()
    assert main(["rsfs", "--out", str(tmp_path / "x"), "--seeds", "4,4"]) == 2
    assert "invalid seeds=" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    summary = json.loads((out / "seeds_summary.json").read_text())
    assert summary["seeds"] == [4, 5] and summary["active_fraction"]["Exc"]["n"] == 2
    # the seeds sweep has no figure, and its folder is not the single run's
    assert main(["plot", "rsfs", "--out", str(out)]) == 2
    assert "rsfs-seeds results have no figure" in capsys.readouterr().err
    before = sorted(p.name for p in out.iterdir())
    assert main(["rsfs", "--out", str(out), "--n-exc", "200", "--n-inh", "50", "--tstop-ms", "400"]) == 2
    assert "holds rsfs-seeds results" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before


def test_cli_rsfs_seeds_from_the_config_file(tmp_path, capsys):
    """A ``seeds`` key in --config selects the sweep over seeds, as --seeds does; flags win."""
    cfg = tmp_path / "seeds.toml"
    cfg.write_text("seeds = [1, 2]\nn_exc = 200\nn_inh = 50\ntstop_ms = 300.0\n")
    out = tmp_path / "o"
    assert main(["rsfs", "--out", str(out), "--config", str(cfg), "--seeds", "3", "--workers", "0",
                 "--no-progress"]) == 0
    ds = xr.open_zarr(out / "seeds.zarr")
    assert list(ds["seed"].values) == [3]
    assert json.loads(ds.attrs["config"])["n_exc"] == 200 and ds.attrs["netdyn_study"] == "rsfs-seeds"
    capsys.readouterr()


def test_rsfs_on_nest_refuses_the_seeds_bernoulli_afferents_naming_the_field():
    from netdyn.config.rsfs import RsfsConfig
    from netdyn.errors import ConfigError

    with pytest.raises((ConfigError, ValueError), match="afferent_statistics"):
        RsfsConfig(backend="nest")
    assert RsfsConfig(backend="nest", afferent_statistics="poisson", threads=2).threads == 2


def test_rsfs_runs_on_nest_through_the_model_dictionary(tmp_path):
    """The seed's model dictionary goes through the same translation: a small rsfs network on
    NEST, its summary naming the backend, its rates in the seed's windows within 15 % of netdyn's
    (one seed each; measured within 7 %)."""
    pytest.importorskip("nest")
    from netdyn.config.rsfs import RsfsConfig
    from netdyn.studies.rsfs import run_rsfs

    small = dict(n_exc=800, n_inh=200, afferent_statistics="poisson")  # the seed's timing and windows
    nest_out = run_rsfs(RsfsConfig(backend="nest", **small), tmp_path / "nest", figure=False)
    ours = run_rsfs(RsfsConfig(**small), tmp_path / "netdyn", figure=False)
    assert nest_out.stats["backend"] == "nest" and "bytes_per_synapse" not in nest_out.stats
    assert nest_out.stats["n_synapses"] == ours.stats["n_synapses"]
    compared = 0
    for pop in ("Exc", "Inh"):
        a = ours.stats["rates_hz"][pop]
        b = nest_out.stats["rates_hz"][pop]
        for window, value in a.items():
            if value is not None and value > 1.0:
                assert b[window] == pytest.approx(value, rel=0.15), (pop, window)  # measured: within 7 %
                compared += 1
    assert compared >= 2
