"""The packages of netdyn form layers: every import points down (or stays in its package).

The order is the one the top-level docstring of :mod:`netdyn` draws; data flow one way,
config -> model -> engine -> results -> analysis -> figure. Lazy imports inside functions
count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import netdyn

ROOT = Path(netdyn.__file__).resolve().parent

#: Bottom to top; a package may import only those before it.
LAYERS: list[set[str]] = [
    {"errors"},
    {"seeding", "fastmath", "atomic", "timegrid", "lazy", "counter_random", "mpi_launch"},
    {"config"},
    {"connectivity"},
    {"models"},
    {"cells"},
    {"record"},
    {"engines"},
    {"theory"},
    {"analysis"},
    {"io"},
    {"plots"},
    {"sweep"},
    {"studies"},
    {"cli"},
]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}
LEVEL["__version__"] = -1  # ``from netdyn import __version__``: the version string, not a layer


def _part(module: str) -> str | None:
    bits = module.split(".")
    return bits[1] if bits[0] == "netdyn" and len(bits) > 1 else None


def _imports() -> list[tuple[str, str, str]]:
    """(importing package, imported package, file:line) for every import between packages."""
    out = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "__init__.py":
            continue  # the top-level namespace re-exports from every layer, lazily
        src = rel.parts[0].removesuffix(".py")
        pkg = ("netdyn",) + rel.with_suffix("").parts
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(pkg[: len(pkg) - node.level] + ((node.module,) if node.module else ())) \
                    if node.level else (node.module or "")
                targets = [base] + ([f"{base}.{a.name}" for a in node.names] if base == "netdyn" else [])
            else:
                continue
            for target in targets:
                dst = _part(target)
                if dst and dst != src:
                    out.append((src, dst, f"{rel}:{node.lineno}"))
    return out


def test_every_package_has_a_layer():
    packages = {p.name.removesuffix(".py") for p in ROOT.iterdir()
                if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")}
    assert packages <= set(LEVEL), f"give these a layer: {sorted(packages - set(LEVEL))}"


def test_every_import_points_down():
    up = [f"{src} -> {dst} ({where})" for src, dst, where in _imports() if LEVEL.get(dst, len(LAYERS)) >= LEVEL[src]]
    assert not up, "imports that point up or sideways:\n" + "\n".join(sorted(up))
