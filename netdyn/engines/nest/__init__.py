"""NEST as a backend: the same :class:`~netdyn.models.spiking.spec.NetworkSpec`, built and run by
NEST (threads, MPI ranks), returning the same recordings.

``Network(spec, backend="nest", threads=N)`` returns a :class:`NestNetwork`;
:func:`translate` says what NEST builds, or names the field it cannot express. Needs
``pip install 'netdyn[nest]'`` (NEST from PyPI, without MPI) or a NEST built with MPI.
"""

from netdyn.engines.nest.network import NestNetwork, import_nest
from netdyn.engines.nest.translation import NestPlan, translate

__all__ = ["NestNetwork", "NestPlan", "import_nest", "translate"]
