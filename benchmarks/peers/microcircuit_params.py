"""The microcircuit's numbers for the peers' interpreters (which lack netdyn's dependencies).

Loads ``netdyn/models/microcircuit.py`` (numpy only) by its path, so NEST is given exactly the
numbers netdyn builds its network from; nothing is duplicated.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "netdyn" / "models" / "microcircuit.py"
_spec = importlib.util.spec_from_file_location("netdyn_models_microcircuit", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

microcircuit_parameters = _module.microcircuit_parameters
POPULATIONS = _module.POPULATIONS
