"""Command-line flags made from a spec's fields: names, types, defaults and help in one place.

Field ``field_name`` becomes the flag ``--field-name``; its value is read according to the
field's annotation:

=====================================  ==============================================  ==============
annotation                             command line                                    value
=====================================  ==============================================  ==============
``int``, ``float``, ``str``            ``--n-neurons 200``                             200
``Literal["a", "b"]``                  ``--method rk4``  (help lists the choices)      ``"rk4"``
``tuple[float, ...]`` (or ``list``)    ``--gains 1,4,7``                               (1.0, 4.0, 7.0)
``bool``                               ``--store-trial-divergence`` / ``--no-...``     True / False
``X | None``                           as ``X``, or ``none``                           None
=====================================  ==============================================  ==============

The help text is the field's ``description`` followed by its default. Flags only convert
text to the field's type; the spec validates the values, so every bad value ends as a
:class:`~netdyn.errors.ConfigError` naming the field (``invalid n_neurons=-5: ...``).
A flag that is not given leaves no trace (``argparse.SUPPRESS``): the file given with
``--config`` or the spec's default applies.
"""

from __future__ import annotations

import argparse
import types
import typing
from typing import Any, Callable, Iterable, Literal, Mapping

from pydantic.fields import FieldInfo

from netdyn.config.base import Spec, read_config_file
from netdyn.errors import ConfigError

__all__ = ["add_config_flags", "config_data", "flag_name", "format_value", "parse_text"]

_TYPE_WORDS = {int: ("N", "expected a whole number"), float: ("X", "expected a number"), str: ("TEXT", "")}


def flag_name(field: str) -> str:
    """``"n_neurons"`` -> ``"--n-neurons"``."""
    return "--" + field.replace("_", "-")


def format_value(value: Any) -> str:
    """A value as the command line writes it (comma-separated sequences, ``none``, ``true``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(format_value(v) for v in value)
    return str(value)


def _optional_inner(annotation: Any) -> Any | None:
    """``X`` of ``X | None``, else None."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0]
    return None


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (tuple, list)


def _item_type(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        raise TypeError(f"fixed-length tuples have no flag form: {annotation}")
    return args[0]


def _scalar_parser(annotation: Any, field: str) -> tuple[Callable[[str], Any], str]:
    """Parser of one value (text -> value) and its metavar."""
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        by_text = {str(c): c for c in choices}
        # an unknown choice goes to the spec as it is, which names the field and the choices
        return (lambda text: by_text.get(text.strip(), text)), "{" + ",".join(map(str, choices)) + "}"
    if annotation not in _TYPE_WORDS:
        raise TypeError(f"field {field!r}: no flag form for {annotation!r}")
    metavar, reason = _TYPE_WORDS[annotation]

    def parse(text: str) -> Any:
        try:
            return annotation(text.strip()) if annotation is not str else text
        except ValueError:
            raise ConfigError(field, text, reason) from None

    return parse, metavar


def _parser(annotation: Any, field: str) -> tuple[Callable[[str], Any], str]:
    """Parser of a flag's text and its metavar, from the field's annotation."""
    inner = _optional_inner(annotation)
    if inner is not None:
        parse, metavar = _parser(inner, field)
        return (lambda text: None if text.strip().lower() == "none" else parse(text)), f"{metavar}|none"
    if _is_sequence(annotation):
        parse_item, item = _scalar_parser(_item_type(annotation), field)
        return (lambda text: [parse_item(x) for x in text.split(",") if x.strip()]), f"{item},..."
    return _scalar_parser(annotation, field)


def parse_text(annotation: Any, field: str, text: str) -> Any:
    """``text`` as a value of type ``annotation`` (raises ConfigError naming ``field``)."""
    return _parser(annotation, field)[0](text)


def _help(info: FieldInfo) -> str:
    text = (info.description or "").rstrip(".")
    default = "no default" if info.is_required() else f"default: {format_value(info.get_default(call_default_factory=True))}"
    return f"{text} ({default})".strip().replace("%", "%%")


def add_config_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup, spec_cls: type[Spec],
                     exclude: Iterable[str] = ()) -> None:
    """Add a flag for every field of ``spec_cls`` (but ``exclude``) to ``parser`` (or a group).

    Raises
    ------
    TypeError
        A field whose annotation has no flag form.
    ValueError
        A field whose flag is already taken (e.g. by ``--out``).
    """
    taken = set(parser._option_string_actions)  # noqa: SLF001 - argparse has no public view
    for name, info in spec_cls.model_fields.items():
        if name in exclude:
            continue
        flag = flag_name(name)
        if flag in taken:
            raise ValueError(f"{spec_cls.__name__}.{name}: the flag {flag} is already taken")
        if info.annotation is bool:
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=_help(info))
        else:
            _, metavar = _parser(info.annotation, name)
            parser.add_argument(flag, dest=name, metavar=metavar, default=argparse.SUPPRESS, help=_help(info))


def config_data(spec_cls: type[Spec], args: argparse.Namespace, config_file: Any = None) -> dict[str, Any]:
    """The keys of ``config_file`` (TOML or JSON, optional) updated by the flags in ``args``
    that were given, converted to the types of ``spec_cls``'s fields; not yet validated."""
    data: dict[str, Any] = read_config_file(config_file) if config_file is not None else {}
    given: Mapping[str, Any] = vars(args)
    for name, info in spec_cls.model_fields.items():
        if name in given:
            raw = given[name]
            data[name] = raw if isinstance(raw, bool) else parse_text(info.annotation, name, raw)
    return data
