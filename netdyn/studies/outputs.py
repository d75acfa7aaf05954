"""Writing a study's output directory: checked before anything is written, files replaced
atomically so that an interrupted run never leaves a half-written file behind."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from netdyn.errors import ConfigError


def check_out_dir(out: Path) -> None:
    """Fail before anything is written if ``out`` cannot hold the results."""
    if out.exists() and not out.is_dir():
        raise ConfigError("out", str(out), "exists and is not a directory")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError("out", str(out), f"directory {probe} is not writable")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> Path:
    """Atomically write ``data`` as indented JSON (NaN is not allowed: use None)."""
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
    return path
