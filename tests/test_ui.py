"""What choconsis says besides results: progress bars on stderr only, only on a terminal, never
with -q; notes unless -q; details with -v."""

from __future__ import annotations

import io
import sys

import pytest

from choconsis import ui
from choconsis.store import ArtifactStore


class Terminal(io.StringIO):
    """A stderr that says it is a terminal (progress bars draw on it)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def level():
    before = ui.level()
    yield ui.set_level
    ui.set_level(before)


@pytest.fixture
def terminal(monkeypatch):
    """Installs a Terminal as sys.stderr when called (inside the test: pytest sets its own
    capture streams again between fixture setup and the test)."""
    def install() -> Terminal:
        stream = Terminal()
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.delenv("TERM", raising=False)
        return stream

    return install


def _download(loopback, tmp_path, size: int = 3 << 20) -> None:
    url = loopback.add("/files/runtime.zip", b"x" * size)
    result = ArtifactStore(cache_dir=tmp_path / "cache").download(url, label="runtime.zip")
    assert result.size == size


def test_a_download_draws_a_bar_on_a_terminal_stderr(loopback, tmp_path, terminal, capsys,
                                                     level):
    level(ui.NORMAL)
    stream = terminal()
    _download(loopback, tmp_path)
    drawn = stream.getvalue()
    assert "runtime.zip:" in drawn and "/3.00M" in drawn  # label and size (bytes, 1024)
    assert capsys.readouterr().out == ""  # never on stdout


def test_no_bar_when_stderr_is_not_a_terminal(loopback, tmp_path, capsys, level):
    level(ui.NORMAL)
    _download(loopback, tmp_path)
    assert capsys.readouterr() == ("", "")


def test_no_bar_with_quiet_even_on_a_terminal(loopback, tmp_path, terminal, level):
    level(ui.QUIET)
    stream = terminal()
    _download(loopback, tmp_path)
    assert stream.getvalue() == ""


def test_verbose_names_each_download(loopback, tmp_path, capsys, level):
    level(ui.VERBOSE)
    _download(loopback, tmp_path, size=10)
    assert f"runtime.zip: downloading {loopback.url('/files/runtime.zip')}" in \
        capsys.readouterr().err


def test_a_long_step_shows_its_elapsed_time(terminal, level):
    level(ui.VERBOSE)
    stream = terminal()
    with ui.task("makensis: compiling setup.exe"):
        pass
    drawn = stream.getvalue()
    assert "makensis: compiling setup.exe: 00:00" in drawn
    assert drawn.rstrip().endswith("s") and "makensis: compiling setup.exe: 0." in drawn


def test_notes_and_details_by_level(capsys, level):
    for lvl, want in ((ui.QUIET, ""), (ui.NORMAL, "note\n"), (ui.VERBOSE, "note\ndetail\n")):
        level(lvl)
        ui.note("note")
        ui.detail("detail")
        assert capsys.readouterr() == ("", want)


def test_one_bar_at_a_time(loopback, tmp_path, terminal, level):
    """Downloads under the counting bar of a concurrent fetch draw nothing of their own; a
    download in a worker thread that is alone gets its bar."""
    import threading

    level(ui.NORMAL)
    stream = terminal()
    with ui.bar("wheels", 2, unit="file"):
        _download(loopback, tmp_path)
    assert "runtime.zip" not in stream.getvalue() and "wheels:" in stream.getvalue()
    worker = threading.Thread(target=_download, args=(loopback, tmp_path / "w"))
    worker.start()
    worker.join()
    assert "runtime.zip:" in stream.getvalue()
