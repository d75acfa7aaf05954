"""``import netdyn as nd``: every advertised name resolves, cheaply."""

from __future__ import annotations

import subprocess
import sys

import pytest

import netdyn as nd
import netdyn.plots as ndp  # lazy: imports no matplotlib until a name is used


@pytest.mark.parametrize("name", sorted(nd._EXPORTS))
def test_every_export_resolves_to_its_definition(name):
    obj = getattr(nd, name)
    assert obj is not None
    assert name in dir(nd)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Netwrok'"):
        nd.Netwrok  # noqa: B018


def test_import_loads_no_heavy_dependency():
    code = "import sys, netdyn; print(sorted(m for m in ('numba', 'xarray', 'matplotlib', 'dask', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", sorted(ndp._EXPORTS))
def test_every_figure_export_resolves(name):
    assert callable(getattr(ndp, name))
    assert name in dir(ndp) and name in ndp.__all__


def test_analysis_exports_every_public_name_of_its_modules():
    """netdyn.analysis loads its names lazily from a written-out table: the table must list
    exactly the public names of its modules, each under the module that exports it."""
    import importlib

    import netdyn.analysis as analysis

    expected = {}
    for module in ("areas", "dendrites", "fc", "lyapunov", "recall", "spikes", "transfer_function"):
        mod = importlib.import_module(f"netdyn.analysis.{module}")
        expected.update({name: f"netdyn.analysis.{module}" for name in mod.__all__})
    assert analysis._EXPORTS == expected
    for name in expected:
        assert getattr(analysis, name) is getattr(importlib.import_module(expected[name]), name)
