"""A registry of named classes filled from the modules of one package: neuron models
(:mod:`netdyn.models.spiking.neurons`) and plasticity rules
(:mod:`netdyn.models.spiking.plasticity`) are one file each, and adding the file registers it."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Generic, TypeVar

from netdyn.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Classes by their ``name`` attribute; the modules of ``package`` are imported on first use.

    Parameters
    ----------
    package
        Dotted name of the package whose modules define (and register) the classes.
    kind
        What the classes are, for messages ("neuron model", "plasticity rule").
    skip
        Modules of the package that define none (e.g. the base module).
    """

    def __init__(self, package: str, kind: str, skip: tuple[str, ...] = ()):
        self._package, self._kind, self._skip = package, kind, skip
        self._classes: dict[str, type[T]] = {}
        self._loaded = False

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: make ``cls`` available under ``cls.name``."""
        name = cls.name  # type: ignore[attr-defined]
        if name in self._classes and self._classes[name] is not cls:
            raise ValueError(f"a {self._kind} named {name!r} is already registered")
        self._classes[name] = cls
        return cls

    def _load(self) -> None:
        if self._loaded:
            return
        package = importlib.import_module(self._package)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name not in self._skip:
                importlib.import_module(f"{self._package}.{info.name}")
        self._loaded = True

    def get(self, name: str, field: str) -> type[T]:
        """The class registered as ``name``; :class:`ConfigError` naming ``field`` and listing
        the known names otherwise."""
        self._load()
        try:
            return self._classes[name]
        except KeyError:
            raise ConfigError(field, name, f"unknown {self._kind}; known: {sorted(self._classes)}") from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        self._load()
        return sorted(self._classes)
