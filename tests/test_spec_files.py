"""Specs round-trip through their TOML and JSON files (``Spec.save`` / ``Spec.load``), a
network's included: TOML has no None, so fields None by default are left out and any other
None is refused, naming the field."""

from __future__ import annotations

import pytest

from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec
from netdyn.studies.coba import coba_spec


def _network() -> NetworkSpec:
    spec = coba_spec(100, seed=3)
    return spec.replace(ou_currents=[{"name": "ou", "target": "E", "mean_pA": 5.0, "sd_pA": 1.0, "tau_ms": 10.0,
                                      "intervals_ms": [[0.0, 50.0]]}])


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_network_round_trips_through_its_file(tmp_path, suffix):
    spec = _network()
    path = spec.save(tmp_path / f"net{suffix}")
    assert path == tmp_path / f"net{suffix}"
    assert NetworkSpec.load(path) == spec


def test_toml_leaves_out_default_nones_and_refuses_others(tmp_path):
    spec = _network()
    text = spec.save(tmp_path / "net.toml").read_text()
    assert "delay_ms" not in text and "\nname =" not in text.split("[[projections]]")[1]  # None by default
    with pytest.raises(ConfigError) as info:
        spec.replace(record={"rate_bin_ms": None}).save(tmp_path / "off.toml")  # None turns the rates off
    assert info.value.field == "record.rate_bin_ms"
    open_interval = spec.replace(ou_currents=[{"name": "ou", "target": "E", "mean_pA": 5.0, "sd_pA": 1.0,
                                               "tau_ms": 10.0}])
    with pytest.raises(ConfigError) as info:
        open_interval.save(tmp_path / "open.toml")
    assert info.value.field == "ou_currents.0.intervals_ms.0.1"
    assert NetworkSpec.load(open_interval.save(tmp_path / "open.json")) == open_interval
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.toml", "open.json"]


def test_bad_suffix_is_refused(tmp_path):
    with pytest.raises(ConfigError) as info:
        _network().save(tmp_path / "net.yaml")
    assert info.value.field == "path"
