"""The seed's model dictionary loads into the same specs as netdyn's own API."""

from __future__ import annotations

import numpy as np
import pytest

from netdyn.engines.spiking import Network
from netdyn.errors import ConfigError
from netdyn.models.spiking.model_dict import spec_from_model_dict
from netdyn.config.rsfs import RSFS_MODEL, RsfsConfig
from netdyn.studies.rsfs import rsfs_spec


def test_readme_dictionary_gives_the_readme_network():
    spec = rsfs_spec(RsfsConfig())
    exc, inh = spec.populations
    assert (exc.name, exc.n_neurons, inh.n_neurons) == ("Exc", 4000, 1000)
    assert exc.params["b_pA"] == 40.0 and exc.params["delta_t_mV"] == 2.0
    assert inh.params["delta_t_mV"] == 0.5 and inh.params["b_pA"] == 0.0
    assert [r.name for r in exc.receptors] == ["Exc", "Inh", "AffExc"]
    assert {(r.name, r.tau_ms, r.e_rev_mV) for r in inh.receptors} == {("Exc", 5.0, 0.0), ("Inh", 5.0, -80.0),
                                                                       ("AffExc", 5.0, 0.0)}
    k = {(p.source, p.target): p.rule.indegree for p in spec.projections}
    assert k == {("Exc", "Exc"): 200, ("Inh", "Exc"): 50, ("Exc", "Inh"): 200, ("Inh", "Inh"): 50}
    assert all(p.rule.multapses and not p.rule.autapses for p in spec.projections)
    drives = {d.target: d for d in spec.drives}
    assert drives["Exc"].n_inputs == 200 and drives["Exc"].statistics == "bernoulli"
    assert drives["Inh"].rate(np.array([0.0, 1000.0])) == pytest.approx([4.0 + 4 * np.exp(-50.0), 8.0])


def test_built_network_has_the_readme_synapse_counts():
    net = Network(rsfs_spec(RsfsConfig(n_exc=400, n_inh=100, n_aff=40)))
    # K = int(p N_src) per target: 20 from Exc, 5 from Inh
    assert net.synapses.per_projection == {"Exc->Exc:Exc": 400 * 20, "Inh->Exc:Inh": 400 * 5,
                                           "Exc->Inh:Exc": 100 * 20, "Inh->Inh:Inh": 100 * 5}


def test_old_key_names_are_accepted_with_a_deprecation_warning():
    model = {k: v for k, v in RSFS_MODEL.items() if not k.startswith(("Tsyn", "Erev"))}
    model.update({"Tse": 5.0, "Tsi": 5.0, "Ee": 0.0, "Ei": -80.0})
    with pytest.warns(DeprecationWarning, match="Tse"):
        old = spec_from_model_dict(model, ["Exc", "Inh"], ["AffExc"], afferent_rates={"AffExc": 4.0})
    new = spec_from_model_dict(RSFS_MODEL, ["Exc", "Inh"], ["AffExc"], afferent_rates={"AffExc": 4.0})
    assert old == new


@pytest.mark.parametrize("change, field", [
    ({"Exc_Cm": None}, "Exc_Cm"),
    ({"Exc_Cm": "big"}, "Exc_Cm"),
    ({"Exc_Ioscill_amp": 200.0}, "Exc_Ioscill_amp"),
    ({"N_Inh": None}, "N_Inh"),
    ({"psyn_Exc_Inh": 0.5}, "psyn_Exc_Inh"),
])
def test_bad_dictionaries_name_the_key(change, field):
    model = dict(RSFS_MODEL)
    for key, value in change.items():
        if value is None:
            model.pop(key)
        else:
            model[key] = value
    with pytest.raises(ConfigError) as err:
        spec_from_model_dict(model, ["Exc", "Inh"], ["AffExc"], afferent_rates={"AffExc": 4.0})
    assert err.value.field == field


def test_population_names_with_underscores_are_refused():
    with pytest.raises(ConfigError, match="must not contain '_'"):
        spec_from_model_dict(RSFS_MODEL, ["Exc_1"], [])


def test_a_zero_weight_means_no_projection():
    model = {**RSFS_MODEL, "Q_Inh_Inh": 0.0}
    spec = spec_from_model_dict(model, ["Exc", "Inh"], [])
    assert ("Inh", "Inh") not in {(p.source, p.target) for p in spec.projections}
    assert spec.drives == ()
