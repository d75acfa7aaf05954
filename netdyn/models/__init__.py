"""Declarative network specs: what a network is, not how it is integrated."""

from netdyn.models.nonlinearity import Nonlinearity, get_nonlinearity
from netdyn.models.rate import RateNetwork

__all__ = ["Nonlinearity", "RateNetwork", "get_nonlinearity"]
