"""Plasticity rules of spiking synapses, one module each. Every module here is imported by the
registry (:func:`netdyn.models.spiking.plasticity.base.get_rule`), so adding a rule means
adding a file, as for neuron models."""

from netdyn.models.spiking.plasticity.base import PlasticityRule, available_rules, get_rule, register_rule

__all__ = ["PlasticityRule", "available_rules", "get_rule", "register_rule"]
