"""Neuron models, one module each. Every module here is imported by the registry
(:func:`netdyn.models.spiking.base.get_model`), so adding a model means adding a file."""
