"""The README's Python examples run as written (in a scratch directory)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples_and_set_up_commands():
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    assert len(python_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks()
    if "open_zarr" in blocks[index]:  # needs the results of the CLI example
        from netdyn.config.chaos import ChaosConfig
        from netdyn.studies.chaos import run_chaos

        run_chaos(ChaosConfig(sessions=1, trials=2, duration_ms=500.0), "results/chaos", workers=0,
                  progress=False, figure=False)
    exec(compile(blocks[index], f"README block {index}", "exec"), {"__name__": "readme_example"})
