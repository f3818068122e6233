"""Running the ``choconsis`` command in-process for tests, and reading what it printed."""

from __future__ import annotations

from choconsis.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """stderr holds exactly one line, an error: never a traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("choconsis: error: ") and "Traceback" not in err, err
    return lines[0][len("choconsis: error: "):]
