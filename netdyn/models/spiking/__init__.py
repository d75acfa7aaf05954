"""Spiking network models: neuron models (one file each in ``neurons/``), rate waveforms and
the declarative network spec."""

from netdyn.models.spiking.base import NeuronModel, Receptor, available_models, get_model, register_model

__all__ = ["NeuronModel", "Receptor", "available_models", "get_model", "register_model"]
