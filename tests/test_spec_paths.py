"""Dotted paths into a NetworkSpec (what ``netdyn sweep --set`` varies): entries by name, key
or index, names with dots, parameters not yet set, and errors that name the path."""

from __future__ import annotations

import pytest

from netdyn.errors import ConfigError
from netdyn.models.spiking.paths import resolve_path, set_field
from netdyn.studies.coba import coba_spec


@pytest.fixture(scope="module")
def spec():
    base = coba_spec(100)
    data = base.to_dict()
    data["populations"][1]["name"] = "V1.I"  # a name with a dot
    for proj in data["projections"]:
        proj["source"] = "V1.I" if proj["source"] == "I" else proj["source"]
        proj["target"] = "V1.I" if proj["target"] == "I" else proj["target"]
    data["record"]["spikes"] = ["E", "V1.I"]
    data["drives"] = [{"name": "bg", "target": "E", "receptor": "exc", "n_inputs": 10, "weight": 1.0, "rate": 5.0}]
    return type(base).model_validate(data)


@pytest.mark.parametrize("path, keys", [
    ("dt_ms", ("dt_ms",)),
    ("populations.E.params.i_e_pA", ("populations", 0, "params", "i_e_pA")),
    ("populations.V1.I.n_neurons", ("populations", 1, "n_neurons")),
    ("populations.1.params.b_pA", ("populations", 1, "params", "b_pA")),  # not set yet: a new key
    ("projections.E->V1.I:exc.weight", ("projections", 1, "weight")),
    ("projections.3.rule.p", ("projections", 3, "rule", "p")),
    ("drives.bg.rate", ("drives", 0, "rate")),
    ("record.rate_bin_ms", ("record", "rate_bin_ms")),
])
def test_paths_resolve_to_keys_and_indices(spec, path, keys):
    assert resolve_path(spec, path) == keys


def test_set_field_changes_that_field_only(spec):
    changed = set_field(spec, "populations.E.params.i_e_pA", 150)
    assert changed.populations[0].params["i_e_pA"] == 150.0
    assert changed.replace(populations=spec.to_dict()["populations"]) == spec
    assert set_field(spec, "projections.E->V1.I:exc.weight", 2).projections[1].weight.value == 2.0
    assert set_field(spec, "drives.bg.rate", 7.5).drives[0].rate.rate_hz == 7.5
    assert set_field(spec, "seed", 4).seed == 4


@pytest.mark.parametrize("path, value, needle", [
    ("populations.X.params.i_e_pA", 1, "populations has no entry 'X'; one of ['E', 'V1.I']"),
    ("populations.E.params.foo_pA", 1, "unknown key"),
    ("populations.E.params.i_e_pA", "abc", "valid number"),
    ("populations.E.n_neurons", 0, "greater than or equal to 1"),
    ("populations.E.n_neurons.x", 1, "is a value (80), not a table"),
    ("dt_ms", -0.1, "greater than 0"),
    ("nope", 1, "the network has no field 'nope'"),
    ("a..b", 1, "dotted path"),
    ("currents.c.amplitude_pA", 1, "currents is empty"),
    ("populations.E.name", "Q", "projections.0.source: no such population"),
    ("populations.E.name", "V1.I", "names must be unique; repeated: ['V1.I']"),
    ("projections.0.target", "V1.I", "parallel projections); repeated: ['E->V1.I:exc']"),
])
def test_bad_paths_and_values_name_the_path(spec, path, value, needle):
    with pytest.raises(ConfigError) as info:
        set_field(spec, path, value)
    assert info.value.field == path and needle in str(info.value), str(info.value)


def test_repeated_receptor_names_are_named(spec):
    receptors = [{"name": "exc", "tau_ms": 5.0, "e_rev_mV": 0.0}, {"name": "exc", "tau_ms": 10.0, "e_rev_mV": -80.0}]
    with pytest.raises(ConfigError, match=r"receptor names must be unique; repeated: \['exc'\]") as info:
        set_field(spec, "populations.E.receptors", receptors)
    assert info.value.field == "populations.E.receptors"
