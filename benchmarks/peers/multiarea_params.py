"""The multi-area model's numbers for the peers' interpreters (which lack netdyn's dependencies).

Loads ``netdyn/models/multiarea.py`` (numpy only) by its path, so NEST is given exactly the
numbers netdyn builds its network from; nothing is duplicated.
"""

from __future__ import annotations

from _common import netdyn_model_module

_module = netdyn_model_module("multiarea")

multiarea_parameters = _module.multiarea_parameters
population_names = _module.population_names
AREAS = _module.AREAS
POPULATIONS = _module.POPULATIONS
PRESETS = _module.PRESETS
REPLACEMENTS = _module.REPLACEMENTS
