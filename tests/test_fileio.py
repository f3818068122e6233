"""Atomic writes: old or new content, never half; ordinary file modes."""

from __future__ import annotations

import os

import pytest

from choconsis.fileio import atomic_path, stage, write_atomic


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_atomic_text_and_bytes(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    write_atomic(target, "é\nline\r\n")
    assert target.read_bytes() == "é\nline\r\n".encode("utf-8")
    assert target.stat().st_mode & 0o777 == 0o644
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "x.zip"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.zip"]
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o644


def test_stage_sets_the_final_mode(tmp_path):
    staged = stage(tmp_path / "r.toml", "x = 1\n")
    assert staged.parent == tmp_path and staged.name.startswith(".r.toml.")
    assert staged.stat().st_mode & 0o777 == 0o644
