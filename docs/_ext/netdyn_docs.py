"""Sphinx extension of netdyn's documentation: what keeps the site in step with the code.

* ``netdyn-fields``: a directive that renders the fields of a pydantic config class (name,
  type, unit, default, constraints, description) from its ``model_fields``, so a parameter
  table can never drift from the code. It is used on the study pages and appended to the
  docstring of every :class:`netdyn.config.Spec` subclass in the API reference.
* The API map: every public module of netdyn, what it documents and where each public name
  is documented ("home"): a name re-exported by a package (``__all__``) is documented there,
  under its stable package-level name (``netdyn.analysis.ode_benettin``), and listed with a
  link in the module that defines it. The autosummary templates read this map, so the API
  pages follow the code as modules are split or moved.
* A ``missing-reference`` handler that resolves any importable netdyn name, however it is
  spelled (``netdyn.Network``, ``netdyn.analysis.lyapunov.ode_benettin``, a bare name in a
  docstring's module), to the place where it is documented; a netdyn name that does not
  exist stays unresolved and fails the build (``nitpicky``). A bare name in an explicit role
  inside a netdyn docstring that names no netdyn object is reported too.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import inspect
import os
import pkgutil
import shutil
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

ROOT = "netdyn"
_HOMES: dict[str, str] = {}  # canonical name -> documented name, filled when the config is read

# ---------------------------------------------------------------------------------- API map


def _public(modname: str) -> bool:
    return not any(part.startswith("_") for part in modname.split("."))


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isroutine(obj) or hasattr(obj, "__wrapped__") and callable(obj):
        return "function"
    return "data"


def _attr_docs(modname: str) -> list[str]:
    """Module-level names documented with ``#:`` or a docstring after the assignment."""
    try:
        analyzer = ModuleAnalyzer.for_module(modname)
        return [name for (ns, name) in analyzer.find_attr_docs() if not ns and not name.startswith("_")]
    except Exception:  # noqa: BLE001 - no source: no documented attributes
        return []


def _canonical(obj: Any) -> str | None:
    """``module.qualname`` of a class or function (where it is defined)."""
    mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(mod, str) and isinstance(qual, str) and _kind(obj) != "data":
        return f"{mod}.{qual}"
    return None


def build_api_map(root: str = ROOT) -> dict[str, Any]:
    """The public modules of ``root`` with their documented names and the home of every name.

    Returns ``{"modules": {modname: {"doc": [(name, kind)], "elsewhere": [(name, home)],
    "submodules": [modname], "exports": [name]}}, "homes": {canonical: home}}``.
    """
    top = importlib.import_module(root)
    modules: dict[str, types.ModuleType] = {root: top}
    for info in pkgutil.walk_packages(top.__path__, root + "."):
        if _public(info.name):
            modules[info.name] = importlib.import_module(info.name)
    # A module whose package re-exports an object under the module's own name cannot have a
    # page of its own (both would be documented under one name): a warning, so the build
    # fails until the module is renamed.
    for name in list(modules):
        parent, _, last = name.rpartition(".")
        if parent in modules and getattr(modules[parent], last, None) is not modules[name]:
            logger.warning("module %s is hidden by the name %r its package re-exports; rename the module",
                           name, last)
            del modules[name]

    # public names of every module: (module, name, object, key)
    entries: list[tuple[str, str, Any, str]] = []
    attr_docs = {m: _attr_docs(m) for m in modules}
    for modname, mod in modules.items():
        if modname == root:
            continue  # the top level re-exports lazily; it documents nothing itself
        names = getattr(mod, "__all__", None)
        if names is None:
            names = [n for n, v in vars(mod).items()
                     if not n.startswith("_") and _kind(v) != "data" and not inspect.ismodule(v)
                     and getattr(v, "__module__", None) == modname]
            names += [n for n in attr_docs[modname] if n in vars(mod) and n not in names]
        for name in names:
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                continue
            key = _canonical(obj)
            if key is None:  # data: keyed by the module that documents the value
                key = f"{modname}.{name}"
                for other in modules:
                    if (other != modname and other.startswith(modname + ".") and name in attr_docs[other]
                            and getattr(modules[other], name, None) is obj):
                        key = f"{other}.{name}"
                        break
            entries.append((modname, name, obj, key))

    candidates: dict[str, list[str]] = {}
    for modname, name, _obj, key in entries:
        candidates.setdefault(key, []).append(f"{modname}.{name}")
    homes = {key: min(c, key=lambda s: (s.count("."), s)) for key, c in candidates.items()}

    out: dict[str, Any] = {}
    for modname, mod in modules.items():
        doc: list[tuple[str, str]] = []
        elsewhere: list[tuple[str, str]] = []
        for m, name, obj, key in entries:
            if m != modname:
                continue
            if homes[key] == f"{modname}.{name}":
                doc.append((name, _kind(obj)))
            else:
                elsewhere.append((name, homes[key]))
        prefix = modname + "."
        subs = sorted(m for m in modules if m.startswith(prefix) and "." not in m[len(prefix):])
        exports: list[str] = []
        if modname == root:
            exports = list(getattr(top, "_EXPORTS", {}))
        out[modname] = {"doc": doc, "elsewhere": sorted(elsewhere), "submodules": subs, "exports": exports}
    return {"modules": out, "homes": homes}


# ------------------------------------------------------------------------- field tables

_UNITS = {"_ms": "ms", "_s": "s", "_hz": "Hz", "_Hz": "Hz", "_mV": "mV", "_pA": "pA", "_nS": "nS",
          "_pF": "pF", "_mb": "MB"}


def unit_of(name: str) -> str:
    """The unit a field's name states by its suffix (netdyn's convention), or ``""``."""
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            return unit
    return ""


def format_type(tp: Any) -> str:
    """A short, readable form of a type annotation."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return format_type(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(format_type(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join('...' if a is Ellipsis else format_type(a) for a in args)}]"
    if tp is type(None):
        return "None"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def format_default(field: Any) -> str:
    from pydantic_core import PydanticUndefined

    if field.default_factory is not None:
        value = field.default_factory()
        if hasattr(value, "model_fields"):
            return f"{type(value).__name__}()"
        return repr(value)
    if field.default is PydanticUndefined:
        return "required"
    return repr(field.default)


def format_constraints(field: Any) -> str:
    symbols = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    parts = []
    for meta in field.metadata:
        for attr, sym in symbols.items():
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sym} {value:g}" if isinstance(value, (int, float)) else f"{sym} {value}")
        if getattr(meta, "min_length", None) is not None:
            parts.append(f"at least {meta.min_length} item{'s' if meta.min_length != 1 else ''}")
        if getattr(meta, "max_length", None) is not None:
            parts.append(f"at most {meta.max_length} items")
    return ", ".join(parts)


def field_rows(cls: type) -> list[tuple[str, str, str, str, str, str]]:
    """(name, type, unit, default, constraints, description) of every field of ``cls``."""
    rows = []
    for name, field in cls.model_fields.items():
        rows.append((name, format_type(field.annotation), unit_of(name), format_default(field),
                     format_constraints(field), field.description or ""))
    return rows


def import_object(path: str) -> Any:
    """``dotted.path.Object``, or ``model:NAME``: the parameter class of neuron model NAME."""
    if path.startswith("model:"):
        from netdyn.models.spiking import get_model

        return get_model(path[len("model:"):]).Params
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


class FieldsDirective(SphinxDirective):
    """``.. netdyn-fields:: dotted.path.ConfigClass``: the fields of a pydantic config as a table.

    ``model:NAME`` names the parameter class of a registered neuron model.
    """

    required_arguments = 1
    option_spec = {"caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        path = self.arguments[0]
        try:
            cls = import_object(path)
            rows = field_rows(cls)
        except Exception as exc:  # noqa: BLE001 - reported as a build warning
            logger.warning("netdyn-fields: cannot read the fields of %s: %s", path, exc, location=self.get_location())
            return []
        headers = ("field", "type", "unit", "default", "constraint", "description")
        widths = (16, 16, 5, 14, 10, 39)
        table = nodes.table(classes=["netdyn-fields", "colwidths-auto"])
        if "caption" in self.options:
            table += nodes.title(text=self.options["caption"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        for w in widths:
            group += nodes.colspec(colwidth=w)
        head = nodes.thead()
        group += head
        row = nodes.row()
        for h in headers:
            row += nodes.entry("", nodes.paragraph(text=h))
        head += row
        body = nodes.tbody()
        group += body
        for name, tp, unit, default, constraint, desc in rows:
            row = nodes.row()
            for k, text in enumerate((name, tp, unit, default, constraint, desc)):
                para = nodes.paragraph()
                if text and k in (0, 1, 3):
                    para += nodes.literal(text=text)
                else:
                    para += nodes.Text(text or ("—" if k == 5 else ""))
                row += nodes.entry("", para)
            body += row
        return [table]


class ModelsDirective(SphinxDirective):
    """``.. netdyn-models::``: every registered neuron model, its state, receptors and parameters."""

    def run(self) -> list[nodes.Node]:
        from netdyn.models.spiking import available_models, get_model

        out: list[nodes.Node] = []
        for name in available_models():
            model = get_model(name)
            out.append(nodes.rubric(text=name))
            para = nodes.paragraph()
            para += nodes.Text(f"{model.description}. Synapses: {model.synapse_kind}-based "
                               f"(weights in {model.weight_unit()}). State: ")
            for k, var in enumerate(model.state_vars):
                para += nodes.literal(text=var.name)
                para += nodes.Text(f" ({var.unit})" + (", " if k < len(model.state_vars) - 1 else ""))
            para += nodes.Text(", plus one synaptic variable per receptor. Default receptors: ")
            for k, r in enumerate(model.default_receptors):
                para += nodes.literal(text=r.name)
                extra = f"τ = {r.tau_ms:g} ms" + (f", E_rev = {r.e_rev_mV:g} mV" if r.e_rev_mV is not None else "")
                para += nodes.Text(f" ({extra})" + (", " if k < len(model.default_receptors) - 1 else "."))
            out.append(para)
            fields = FieldsDirective(self.name, [f"model:{name}"], {}, self.content, self.lineno,
                                     self.content_offset, self.block_text, self.state, self.state_machine)
            out.extend(fields.run())
        return out


_PYDANTIC_INTERNALS = {"model_config", "model_fields", "model_computed_fields", "model_post_init"}


def skip_pydantic_internals(app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool | None:
    """pydantic's own class attributes (``model_config`` ...) are not part of netdyn's API."""
    return True if name in _PYDANTIC_INTERNALS else None


def _is_spec(obj: Any) -> bool:
    try:
        from netdyn.config.base import Spec
    except Exception:  # noqa: BLE001
        return False
    return inspect.isclass(obj) and issubclass(obj, Spec) and obj is not Spec and bool(obj.model_fields)


def append_fields(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Docstrings of config classes get their field table."""
    if what == "class" and _is_spec(obj):
        lines.extend(["", ".. rubric:: Fields", "", f".. netdyn-fields:: {obj.__module__}.{obj.__qualname__}", ""])


# --------------------------------------------------------------------- reference resolution


def _import_longest(parts: list[str]) -> tuple[Any, int] | None:
    for k in range(len(parts), 0, -1):
        try:
            return importlib.import_module(".".join(parts[:k])), k
        except ImportError:
            continue
        except Exception:  # noqa: BLE001
            return None
    return None


def _declared(cls: type, attr: str) -> bool:
    """Whether ``attr`` is a field or an annotated (``ClassVar``) attribute of ``cls``."""
    if attr in getattr(cls, "model_fields", {}):
        return True
    return any(attr in getattr(c, "__annotations__", {}) for c in inspect.getmro(cls))


def documented_name(target: str, homes: dict[str, str]) -> str | None:
    """Where the importable netdyn object ``target`` is documented (before domain lookup)."""
    parts = target.split(".")
    found = _import_longest(parts)
    if found is None:
        return None
    obj, k = found
    if k == len(parts):
        return target
    chain = [obj]
    for attr in parts[k:]:
        try:
            obj = inspect.getattr_static(obj, attr) if inspect.isclass(obj) else getattr(obj, attr)
        except AttributeError:
            if inspect.isclass(chain[-1]) and _declared(chain[-1], attr):
                obj = None  # a pydantic field or an annotated class attribute: no object
            else:
                return None
        chain.append(obj)
    # the deepest object that knows where it was defined
    for depth in range(len(chain) - 1, 0, -1):
        obj = chain[depth]
        if isinstance(obj, (classmethod, staticmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            obj = obj.fget
        key = _canonical(obj) if obj is not None else None
        if key is None:
            continue
        mod, qual = obj.__module__, obj.__qualname__
        q = qual.split(".")
        for j in range(len(q), 0, -1):
            home = homes.get(f"{mod}.{'.'.join(q[:j])}")
            if home:
                rest = q[j:] + parts[k + depth:]
                return ".".join([home, *rest])
    # data or an object without a canonical name
    return homes.get(f"{chain[0].__name__}.{parts[k]}", ".".join(parts))


def _all_netdyn_names(domain: Any) -> dict[str, list[str]]:
    by_last: dict[str, list[str]] = {}
    for fullname in domain.objects:
        if fullname.startswith(ROOT + "."):
            by_last.setdefault(fullname.rsplit(".", 1)[-1], []).append(fullname)
    return by_last


def resolve_missing(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    target: str = node["reftarget"].lstrip(".~")
    module = node.get("py:module") or ""
    cls = node.get("py:class") or ""
    in_netdyn = module == ROOT or module.startswith(ROOT + ".")
    candidates: list[str] = []
    if target == ROOT or target.startswith(ROOT + "."):
        candidates.append(target)
    elif in_netdyn:
        if cls:
            candidates.append(f"{module}.{cls}.{target}")
        candidates.append(f"{module}.{target}")
    if not candidates:
        return None
    domain = env.get_domain("py")
    homes = _HOMES
    exists = False
    for cand in candidates:
        name = documented_name(cand, homes)
        if name and name in domain.objects:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], name, node, contnode)
        exists = exists or name is not None
    if in_netdyn and not exists and "." not in target:
        # the docstring may belong to an object re-exported here from another module
        exists = any(getattr(m, target, None) is not None for name, m in list(sys.modules.items())
                     if m is not None and (name == ROOT or name.startswith(ROOT + ".")))
    if in_netdyn and not target.startswith(ROOT + ".") and "." not in target:
        # a bare name in a netdyn docstring: the unique netdyn object of that name, if any
        matches = _all_netdyn_names(domain).get(target, [])
        if len(matches) == 1:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], matches[0], node, contnode)
        explicit = not node.hasattr("refspecific")  # a role written in a docstring, not a type
        if explicit and not matches and not exists and not _external(target):
            logger.warning("reference to %r in %s: no netdyn object of that name", target, module,
                           location=node, type="ref", subtype="netdyn")
    if exists:
        # an existing object that is not documented (private, or data without a doc comment):
        # its name is shown without a link (NETDYN_DOCS_REPORT_UNLINKED=1 lists them)
        if os.environ.get("NETDYN_DOCS_REPORT_UNLINKED"):
            logger.info("unlinked reference to undocumented %r (module %s)", node["reftarget"], module or "-",
                        location=node)
        return contnode
    return None


def _external(name: str) -> bool:
    """A builtin or an importable top-level module (``threadpoolctl``)."""
    if hasattr(builtins, name):
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# ------------------------------------------------------------------ autosummary summaries


def _first_sentence(text: str) -> str:
    """Text up to the first full stop that ends a sentence outside an inline literal."""
    inside = False
    i = 0
    while i < len(text):
        if text.startswith("``", i):
            inside = not inside
            i += 2
            continue
        if not inside and text[i] == "." and (i + 1 == len(text) or text[i + 1] == " "):
            return text[: i + 1]
        i += 1
    return text


def _patch_extract_summary() -> None:
    """autosummary cuts a summary at the first ". " even inside ````k0 .. k1````; cut outside."""
    from sphinx.ext import autosummary

    original = autosummary.extract_summary
    if getattr(original, "_netdyn", False):
        return

    def extract_summary(doc: list[str], document: Any) -> str:
        summary = original(doc, document)
        if summary.count("``") % 2 == 0:
            return summary
        para: list[str] = []
        for line in doc:
            if not line.strip():
                if para:
                    break
                continue
            para.append(line.strip())
        return _first_sentence(" ".join(para))

    extract_summary._netdyn = True  # type: ignore[attr-defined]
    autosummary.extract_summary = extract_summary


# --------------------------------------------------------------------------------- set-up


def _on_config_inited(app: Sphinx, config: Any) -> None:
    api = build_api_map()
    context = dict(config.autosummary_context or {})
    context["netdyn_api"] = api["modules"]
    config.autosummary_context = context
    _HOMES.clear()
    _HOMES.update(api["homes"])
    # Pages of modules that no longer exist would be orphans, and the stale page of their
    # package would list them again: when the set of modules changed, generate all anew.
    generated = Path(app.srcdir) / "api" / "generated"
    if generated.is_dir() and any(p.stem not in api["modules"] for p in generated.glob("*.rst")):
        shutil.rmtree(generated)


def setup(app: Sphinx) -> dict[str, Any]:
    _patch_extract_summary()
    app.add_directive("netdyn-fields", FieldsDirective)
    app.add_directive("netdyn-models", ModelsDirective)
    app.connect("config-inited", _on_config_inited)
    app.connect("autodoc-process-docstring", append_fields)
    app.connect("autodoc-skip-member", skip_pydantic_internals)
    app.connect("missing-reference", resolve_missing)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
