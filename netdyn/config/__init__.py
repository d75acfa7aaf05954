"""Typed, validated parameter specs and their TOML/JSON files.

Specs are frozen pydantic models (:class:`Spec`): small serialisable records, cheap to ship
to a worker, that round-trip through TOML and JSON. :func:`load_config` and
:func:`parse_config` turn every validation failure into a :class:`~netdyn.errors.ConfigError`
naming the field and the value.
"""

from netdyn.config.base import Spec, load_config, parse_config, read_config_file, save_config

__all__ = ["Spec", "load_config", "parse_config", "read_config_file", "save_config"]
