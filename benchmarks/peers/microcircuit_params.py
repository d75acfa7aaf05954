"""The microcircuit's numbers for the peers' interpreters (which lack netdyn's dependencies).

Loads ``netdyn/models/microcircuit.py`` (numpy only) by its path, so NEST is given exactly the
numbers netdyn builds its network from; nothing is duplicated.
"""

from __future__ import annotations

from _common import netdyn_model_module

_module = netdyn_model_module("microcircuit")

microcircuit_parameters = _module.microcircuit_parameters
POPULATIONS = _module.POPULATIONS
