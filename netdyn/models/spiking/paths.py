"""Dotted paths to the fields of a :class:`~netdyn.models.spiking.spec.NetworkSpec`: what
``netdyn sweep --set PATH=V1,V2,...`` varies.

Syntax
------
A path is the field names from the network down to the value, joined by ``.``:

``dt_ms``, ``seed``
    a field of the network;
``populations.E.params.i_e_pA``
    an entry of a list is addressed by its name (``populations``, ``sources``, ``drives``,
    ``currents``, ``ou_currents``), a projection by its key (its ``name``, else
    ``source->target:receptor``, e.g. ``projections.E->I:exc.weight``); any list entry also
    by its 0-based index (``projections.3.weight``, ``record.state.0.neurons``). Names may
    hold dots themselves (``populations.V1.L4E.n_neurons``): the longest name that matches
    wins;
``populations.E.params.b_pA``, ``drives.bg.rate``, ``projections.0.rule.indegree``
    keys of a table, including parameters that the file does not list yet (the model's
    default until set) and fields of a distribution or rate (``weight.mean``).

A value replaces what the path points at, so it may be a number, a string or a whole table
(``projections.0.weight`` = 1.5 makes the weight a constant 1.5 nS even if it was a
distribution). Every change is validated as the whole network is: errors name the path.
"""

from __future__ import annotations

from typing import Any

from netdyn.config.base import Spec, parse_config
from netdyn.errors import ConfigError
from netdyn.models.spiking.spec import NetworkSpec

__all__ = ["resolve_path", "set_field"]


def _label(item: Any) -> str | None:
    """The name a list entry is addressed by (a projection's key, else its name)."""
    label = getattr(item, "key", None) or getattr(item, "name", None)
    return label if isinstance(label, str) else None


def _select(items: Any, parts: list[str], i: int, path: str, where: str) -> tuple[int, int]:
    """Index of the list entry named by ``parts[i:]`` (longest name first) and the number of
    parts its name takes."""
    labels = [_label(item) for item in items]
    for j in range(len(parts), i, -1):
        name = ".".join(parts[i:j])
        if name in labels:
            return labels.index(name), j - i
    part = parts[i]
    if part.isdigit() and int(part) < len(items):
        return int(part), 1
    known = [label for label in labels if label is not None]
    if not items:
        raise ConfigError(path, part, f"{where} is empty")
    hint = f"one of {known} or an index < {len(items)}" if known else f"an index < {len(items)}"
    raise ConfigError(path, part, f"{where} has no entry {part!r}; {hint}")


def resolve_path(spec: NetworkSpec, path: str) -> tuple[str | int, ...]:
    """The keys and list indices that ``path`` names in ``spec.to_dict()``.

    Parameters
    ----------
    spec
        The network.
    path
        A dotted path (module docstring).

    Returns
    -------
    tuple
        E.g. ``("populations", 0, "params", "i_e_pA")`` for ``populations.E.params.i_e_pA``.

    Raises
    ------
    ConfigError
        (field ``path``) An unknown field, entry or key, or a path that goes on past a value.
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ConfigError(path, path, "give a dotted path such as populations.E.params.i_e_pA")
    node: Any = spec
    keys: list[str | int] = []
    i = 0
    while i < len(parts):
        where = ".".join(map(str, keys)) or "the network"
        part = parts[i]
        if isinstance(node, Spec):
            fields = type(node).model_fields
            if part not in fields:
                raise ConfigError(path, part, f"{where} has no field {part!r}; one of {sorted(fields)}")
            node, step = getattr(node, part), 1
            keys.append(part)
        elif isinstance(node, (tuple, list)):
            index, step = _select(node, parts, i, path, where)
            node = node[index]
            keys.append(index)
        elif isinstance(node, dict):
            node, step = node.get(part), 1  # a new key (a parameter not yet set) is allowed
            keys.append(part)
        else:
            raise ConfigError(path, part, f"{where} is a value ({node!r}), not a table")
        i += step
    return tuple(keys)


def set_field(spec: NetworkSpec, path: str, value: Any) -> NetworkSpec:
    """A validated copy of ``spec`` with the field at ``path`` set to ``value``.

    Raises
    ------
    ConfigError
        (field ``path``) An unknown path (:func:`resolve_path`), or a value the network does not
        accept; the reason names the field of the network that refused it when it is another.
    """
    keys = resolve_path(spec, path)
    data = spec.to_dict()
    node: Any = data
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    try:
        return parse_config(NetworkSpec, data)
    except ConfigError as exc:
        where = ".".join(map(str, keys))
        exact = where == exc.field or where.endswith("." + exc.field)  # nested validators name the field locally
        raise ConfigError(path, value, exc.reason if exact else f"{exc.field}: {exc.reason}") from None
