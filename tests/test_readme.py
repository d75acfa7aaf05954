"""The README's Python examples run as written (in a scratch directory)."""

import json
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


def test_readme_network_file_commands_run(tmp_path, monkeypatch):
    """The section on network files: its Python saves net.toml, its netdyn run / sweep lines run
    (shortened: 100 ms, one seed, in this process; the NEST lines are the NEST backend's tests)."""
    import shlex

    from netdyn.cli import main

    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Your own network files"):]
    section = section[:section.index("\n### ")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    (shell,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README network file", "exec"), {"__name__": "readme_example"})
    lines = [line.split("#")[0] for line in shell.replace("\\\n", " ").splitlines()]
    commands = [shlex.split(line)[1:] for line in lines if line.startswith(".venv/bin/netdyn") and "nest" not in line]
    assert [c[0] for c in commands] == ["run", "run", "sweep"]
    for argv in commands:
        extra = ["--seeds", "1", "--workers", "0"] if argv[0] == "sweep" else []
        assert main([*argv, "--duration-ms", "100", "--no-progress", *extra]) == 0, argv
    assert (tmp_path / "results" / "my-net" / "summary.json").exists()
    one, two = (json.loads((tmp_path / "results" / d / "summary.json").read_text()) for d in ("my-net", "my-net-2t"))
    assert two["threads"] == 2 and one["spike_digest"] == two["spike_digest"]
    assert (tmp_path / "results" / "my-net-sweep" / "results.zarr").exists()
