"""Reading the stored peer reference files (``tests/data/*.json``): strict JSON (a NaN or an
infinity is an error, not a number) and every number a file holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator


def _reject(token: str):
    raise ValueError(f"non-finite JSON constant {token}")


def load_strict(path: Path) -> Any:
    """The JSON file at ``path``; ValueError on NaN or Infinity."""
    return json.loads(Path(path).read_text(), parse_constant=_reject)


def numbers(obj: Any) -> Iterator[int | float]:
    """Every int and float in nested dicts and lists (booleans left out)."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj
