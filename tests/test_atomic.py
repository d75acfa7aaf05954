"""Atomic writes of files and directories (netdyn.atomic)."""

from __future__ import annotations

import pytest

from netdyn import atomic


def _fill(text: str):
    def write(tmp):
        tmp.mkdir()
        (tmp / "a.txt").write_text(text)
    return write


def test_replace_directory_creates_and_replaces(tmp_path):
    target = tmp_path / "sub" / "store"
    assert atomic.replace_directory(target, _fill("one")) == target
    assert (target / "a.txt").read_text() == "one"
    (target / "stale.txt").write_text("x")
    atomic.replace_directory(target, _fill("two"))
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]  # nothing of the old one is left
    assert (target / "a.txt").read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["store"]  # no temporary left beside it


def test_replace_directory_keeps_the_old_one_when_writing_fails(tmp_path):
    target = tmp_path / "store"
    atomic.replace_directory(target, _fill("one"))

    def broken(tmp):
        tmp.mkdir()
        (tmp / "a.txt").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic.replace_directory(target, broken)
    assert (target / "a.txt").read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


def test_write_text_replaces_whole(tmp_path):
    path = tmp_path / "summary.json"
    atomic.write_text(path, "{}")
    atomic.write_text(path, '{"a": 1}')
    assert path.read_text() == '{"a": 1}' and [p.name for p in tmp_path.iterdir()] == ["summary.json"]
