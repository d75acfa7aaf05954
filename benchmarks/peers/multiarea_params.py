"""The multi-area model's numbers for the peers' interpreters (which lack netdyn's dependencies).

Loads ``netdyn/models/multiarea.py`` (numpy only) by its path, so NEST is given exactly the
numbers netdyn builds its network from; nothing is duplicated.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "netdyn" / "models" / "multiarea.py"
_spec = importlib.util.spec_from_file_location("netdyn_models_multiarea", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

multiarea_parameters = _module.multiarea_parameters
population_names = _module.population_names
AREAS = _module.AREAS
POPULATIONS = _module.POPULATIONS
PRESETS = _module.PRESETS
REPLACEMENTS = _module.REPLACEMENTS
