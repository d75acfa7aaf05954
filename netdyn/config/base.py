"""Base class of netdyn's specs and their file formats (TOML, JSON)."""

from __future__ import annotations

import json
import os
import tomllib
import types
from pathlib import Path
from typing import Any, Mapping, TypeVar

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from netdyn import atomic
from netdyn.errors import ConfigError

S = TypeVar("S", bound="Spec")


class Spec(BaseModel):
    """Frozen, validated parameter record. Unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict of the parameters."""
        return self.model_dump(mode="json")

    def replace(self: S, **changes: Any) -> S:
        """A validated copy with ``changes`` applied."""
        return parse_config(type(self), {**self.to_dict(), **changes})

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this spec to ``path`` (TOML or JSON by suffix) atomically (:func:`save_config`)."""
        return save_config(self, path)

    @classmethod
    def load(cls: type[S], path: str | os.PathLike[str]) -> S:
        """Read a spec written by :meth:`save` (or any TOML or JSON file of its keys;
        :func:`load_config`)."""
        return load_config(cls, path)


class OverSeeds(Spec):
    """Mixin of a study's configuration run once per seed, each seed a work unit of a sweep.

    ``class RsfsSeedsConfig(OverSeeds, RsfsConfig)`` adds the field ``seeds`` (distinct,
    >= 0) to the single run's configuration; :meth:`network_config` is that configuration
    without the seeds.
    """

    seeds: tuple[int, ...] = Field(min_length=1, description="run each seed as a work unit of a sweep "
                                   "(seeds.zarr, resumable) instead of one recorded run")

    @model_validator(mode="after")
    def _distinct_seeds(self) -> "OverSeeds":
        if len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ConfigError("seeds", list(self.seeds), "give distinct seeds >= 0")
        return self

    def network_config(self) -> Spec:
        """The single run's configuration (the first base that is not over seeds), without the
        seeds and with ``seed = 0`` (each unit sets its own)."""
        single = next(c for c in type(self).__mro__ if issubclass(c, Spec) and not issubclass(c, OverSeeds))
        return single.model_validate(self.model_dump(exclude={"seeds"})).replace(seed=0)


def parse_config(spec_cls: type[S], data: Mapping[str, Any], at: str | None = None) -> S:
    """Validate ``data`` into ``spec_cls``; raise :class:`ConfigError` on the first bad field
    (named ``<at>.<field>`` when ``data`` sits at ``at`` in a larger configuration)."""
    if at is not None:
        try:
            return parse_config(spec_cls, data)
        except ConfigError as exc:
            raise ConfigError(f"{at}.{exc.field}", exc.value, exc.reason) from None
    try:
        return spec_cls.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ConfigError):  # raised by a cross-field validator
            where = ".".join(str(p) for p in err["loc"])  # of a nested spec: name it in the whole
            if where and not original.field.startswith(where + "."):
                raise ConfigError(f"{where}.{original.field}", original.value, original.reason) from None
            raise original from None
        field = ".".join(str(p) for p in err["loc"] if p != "[key]") or spec_cls.__name__  # a bad mapping key is named by itself
        value = err.get("input")
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            owner = _spec_at(spec_cls, err["loc"][:-1])
            msg = f"unknown key; expected one of {sorted(owner.model_fields)}" if owner else "unknown key"
        raise ConfigError(field, value, msg) from None


def _spec_at(spec_cls: type[Spec], loc: tuple[Any, ...]) -> type[Spec] | None:
    """The spec class at ``loc`` (field names and list indices) inside ``spec_cls``; None where
    it is not one class (a union of specs, a mapping)."""
    import typing

    current: Any = spec_cls
    for part in loc:
        if isinstance(part, int):
            continue  # an entry of a tuple or list: its type was unwrapped with the field
        if not (isinstance(current, type) and issubclass(current, Spec)) or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        while True:
            args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis]
            if typing.get_origin(annotation) in (tuple, list, typing.Union, types.UnionType) and len(args) == 1:
                annotation = args[0]
            elif typing.get_origin(annotation) is typing.Annotated:
                annotation = args[0]
            else:
                break
        current = annotation
    return current if isinstance(current, type) and issubclass(current, Spec) else None


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The keys of a TOML or JSON file (by suffix), not yet validated.

    Raises
    ------
    ConfigError
        (field ``config``) The file cannot be read, is malformed, or has another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("config", str(path), f"cannot read file: {exc.strerror}") from None
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix == ".json":
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ConfigError("config", str(path), "JSON config must be an object")
            return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", str(path), f"malformed TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError("config", str(path), f"malformed JSON: {exc}") from None
    raise ConfigError("config", str(path), "expected a .toml or .json file")


def load_config(spec_cls: type[S], path: str | os.PathLike[str], **overrides: Any) -> S:
    """Read a TOML or JSON file into ``spec_cls``; ``overrides`` win over the file's keys."""
    data = read_config_file(path)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return parse_config(spec_cls, data)


def _toml_data(spec: Spec, data: dict[str, Any], at: str = "") -> dict[str, Any]:
    """``data`` (``spec.to_dict()``) without the None values TOML cannot hold.

    A field that is None by default is left out (reading the file gives it back); a None
    elsewhere (a non-default None, or one inside a list or a mapping) has no TOML form.

    Raises
    ------
    ConfigError
        (the field's dotted name) A None that cannot be left out.
    """
    out: dict[str, Any] = {}
    for name, value in data.items():
        field = f"{at}{name}"
        if value is None:
            info = type(spec).model_fields.get(name)
            if info is not None and not info.is_required() and info.get_default(call_default_factory=True) is None:
                continue
            raise ConfigError(field, None, "None has no TOML form; save the spec as .json")
        out[name] = _toml_value(getattr(spec, name, None), value, field)
    return out


def _toml_value(model: Any, value: Any, field: str) -> Any:
    if isinstance(model, Spec) and isinstance(value, dict):
        return _toml_data(model, value, field + ".")
    if isinstance(value, list):
        items = list(model) if isinstance(model, (list, tuple)) and len(model) == len(value) else [None] * len(value)
        return [_toml_value(m, v, f"{field}.{k}") for k, (m, v) in enumerate(zip(items, value))]
    if isinstance(value, dict):
        inner = model if isinstance(model, dict) else {}
        return {k: _toml_value(inner.get(k), v, f"{field}.{k}") for k, v in value.items()}
    if value is None:
        raise ConfigError(field, None, "None has no TOML form; save the spec as .json")
    return value


def save_config(spec: Spec, path: str | os.PathLike[str]) -> Path:
    """Write ``spec`` to ``path`` (TOML or JSON by suffix) atomically.

    TOML has no None: fields that are None by default are left out (reading the file gives
    them back); any other None raises :class:`ConfigError` naming the field (save as JSON).
    """
    path = Path(path)
    data = spec.to_dict()
    if path.suffix.lower() == ".toml":
        text = tomli_w.dumps(_toml_data(spec, data))
    elif path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2)
    else:
        raise ConfigError("path", str(path), "expected a .toml or .json file")
    return atomic.write_text(path, text)
