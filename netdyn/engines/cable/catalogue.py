"""netdyn's Arbor mechanisms: compiled once per machine, cached, loaded on first use.

The NMODL files in ``mechanisms/`` (``dexp_syn``, ``nmda_mg``, ``nmda_kampa``, ``seclamp``, ``hh_traub``)
are compiled by Arbor's catalogue builder (``arbor-build-catalogue``, which needs cmake and a
C++ compiler) into a shared library, cached under::

    $NETDYN_CACHE_DIR/arbor-catalogue/<key>/netdyn-catalogue.so      (if the variable is set)
    ~/.cache/netdyn/arbor-catalogue/<key>/netdyn-catalogue.so         (otherwise)

where ``<key>`` hashes the mod files, Arbor's version and Python's version, so a changed
mechanism or a new Arbor builds a new library. The build runs in a temporary sibling
directory that is renamed into place (:func:`netdyn.atomic.create_directory`): a killed
build leaves nothing behind, and when two processes build at once, one wins and both load
the winner's library.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from netdyn.atomic import create_directory
from netdyn.errors import ConfigError

__all__ = ["MECHANISMS", "catalogue_path", "load_catalogue", "mechanism_files", "require_arbor"]

#: The mechanisms netdyn adds to Arbor's default catalogue.
MECHANISMS = ("dexp_syn", "nmda_mg", "nmda_kampa", "seclamp", "hh_traub")

_LIBRARY = "netdyn-catalogue.so"
_INSTALL = "pip install netdyn[cells]"


def require_arbor() -> Any:
    """The ``arbor`` module, or :class:`ConfigError` (field ``backend``) saying what to install."""
    try:
        import arbor
    except ImportError as exc:
        raise ConfigError("backend", "arbor", f"the cable engine needs Arbor 0.12 ({_INSTALL}); "
                          f"importing it failed: {exc}") from None
    return arbor


def mechanism_files() -> dict[str, bytes]:
    """``{file name: content}`` of netdyn's NMODL files."""
    root = resources.files("netdyn.engines.cable") / "mechanisms"
    return {f"{m}.mod": (root / f"{m}.mod").read_bytes() for m in MECHANISMS}


def _cache_root() -> Path:
    base = os.environ.get("NETDYN_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "netdyn"
    return root / "arbor-catalogue"


def catalogue_path() -> Path:
    """Where the compiled catalogue of this netdyn, Arbor and Python lives (it may not exist yet)."""
    arbor = require_arbor()
    h = hashlib.sha256()
    for name, content in sorted(mechanism_files().items()):
        h.update(name.encode() + b"\0" + content + b"\0")
    h.update(f"arbor {arbor.__version__}; python {sys.version_info[:3]}; {sys.platform}".encode())
    return _cache_root() / h.hexdigest()[:16] / _LIBRARY


def _tools() -> tuple[Path, str]:
    """Arbor's catalogue builder and a C++ compiler, or :class:`ConfigError`."""
    arbor = require_arbor()
    builder = Path(arbor.__file__).parent / "bin" / "arbor-build-catalogue"
    missing = []
    if not builder.exists():
        missing.append(f"Arbor's catalogue builder ({builder})")
    cxx = str(arbor.config().get("CXX", ""))
    if not (cxx and Path(cxx).exists()):
        cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++") or ""
    if not cxx:
        missing.append("a C++ compiler (c++, g++ or clang++; or set CXX)")
    if shutil.which("cmake") is None:
        missing.append("cmake")
    if missing:
        raise ConfigError("backend", "arbor", "compiling netdyn's Arbor mechanisms needs " + ", ".join(missing)
                          + f"; install them (and Arbor: {_INSTALL})")
    return builder, cxx


def _build(target_dir: Path) -> None:
    """Compile the mod files into ``target_dir`` / netdyn-catalogue.so."""
    builder, cxx = _tools()
    target_dir.mkdir(parents=True)
    mod_dir = target_dir / "mod"
    mod_dir.mkdir()
    for name, content in mechanism_files().items():
        (mod_dir / name).write_bytes(content)
    proc = subprocess.run([sys.executable, str(builder), "netdyn", "mod", "--cxx", cxx, "--quiet"],
                          cwd=target_dir, capture_output=True, text=True)
    shutil.rmtree(mod_dir, ignore_errors=True)
    if proc.returncode != 0 or not (target_dir / _LIBRARY).exists():
        tail = (proc.stdout + proc.stderr).strip()[-2000:]
        raise ConfigError("backend", "arbor", f"compiling netdyn's Arbor mechanisms failed (exit {proc.returncode}); "
                          f"check the C++ compiler and cmake ({_INSTALL}):\n{tail}")


@functools.cache
def load_catalogue() -> Any:
    """Arbor's default catalogue extended by netdyn's mechanisms (compiled on first use).

    Raises
    ------
    ConfigError
        (field ``backend``) Arbor, cmake or a C++ compiler is missing, or the build failed.
    """
    arbor = require_arbor()
    path = catalogue_path()
    if not path.exists():
        create_directory(path.parent, _build)
    cat = arbor.default_catalogue()
    cat.extend(arbor.load_catalogue(str(path)), "")
    return cat
