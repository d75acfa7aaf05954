"""Declarative network specs: what a network is, not how it is integrated."""

from netdyn.models.inputs import SampledInput
from netdyn.models.nonlinearity import Nonlinearity, get_nonlinearity
from netdyn.models.rate import RateNetwork
from netdyn.models.srnn import SRNNetwork

__all__ = ["Nonlinearity", "RateNetwork", "SRNNetwork", "SampledInput", "get_nonlinearity"]
