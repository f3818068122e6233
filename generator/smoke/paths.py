"""PATH as an install should leave it, and the registered uninstall command as a program and
its arguments."""

from __future__ import annotations

import re
import shlex
from pathlib import PureWindowsPath
from typing import Iterable

from .report import Phase
from .snapshot import describe_change
from .wine import RegValue



def norm_dir(entry: str) -> str:
    """Compare PATH entries as Windows does: case-insensitive, trailing backslash ignored."""
    text = entry.strip().strip('"')
    return text.rstrip("\\").lower() if len(text) > 3 else text.lower()


def path_entries(value: str) -> list[str]:
    return [e for e in value.split(";") if e]


def expected_path(before: str | None, entries: Iterable[str]) -> str:
    """The PATH an install should write: missing entries prepended in order, the rest kept."""
    old = before or ""
    present = {norm_dir(e) for e in path_entries(old)}
    new: list[str] = []
    for entry in entries:
        if norm_dir(entry) not in present and norm_dir(entry) not in {norm_dir(n) for n in new}:
            new.append(entry)
    if not new:
        return old
    return ";".join(new) + (";" + old if old else "")


def check_path_after_install(phase: Phase, scope: str, before: RegValue | None,
                             after: RegValue | None, entries: list[str]) -> None:
    if not phase.check(f"{scope} PATH value exists", after is not None):
        return
    assert after is not None
    want = expected_path(before.data if before else None, entries)
    phase.check(f"{scope} PATH = recipe entries prepended, every other character kept",
                after.data == want,
                "" if after.data == want else describe_change(
                    RegValue("Path", after.type, want), after))
    if before is not None:
        phase.check(f"{scope} PATH keeps its type {before.type}", after.type == before.type,
                    after.type)
    else:
        phase.check(f"{scope} PATH is REG_EXPAND_SZ", after.type == "REG_EXPAND_SZ", after.type)


def effective_path(machine: RegValue | None, user: RegValue | None) -> str:
    """The PATH a new Windows process gets: machine PATH, then the user's."""
    parts = [v.data for v in (machine, user) if v is not None and v.data]
    return ";".join(parts)


CHECK_EXIT_MARKER = "choconsis-smoke-exit-code:"


def check_script(path_value: str, command: str) -> str:
    """A batch file that runs command with exactly this PATH (cmd expands %VARS% in it) and
    prints its whole exit code last (Wine's own exit status keeps only the low 8 bits: a
    missing DLL's -1073741515 would arrive as 53)."""
    return ("@echo off\r\n"
            f'set "PATH={path_value}"\r\n'
            f"{command}\r\n"
            'set "CHOCONSIS_EXIT=%ERRORLEVEL%"\r\n'
            f"echo {CHECK_EXIT_MARKER} %CHOCONSIS_EXIT%\r\n"
            "exit /b %CHOCONSIS_EXIT%\r\n")


def split_check_output(output: str) -> tuple[str, str | None]:
    """The check's own output and its whole exit code (None when the marker is missing)."""
    lines = output.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(CHECK_EXIT_MARKER):
            code = lines[i][len(CHECK_EXIT_MARKER):].strip()
            return "".join(lines[:i] + lines[i + 1:]), code
    return output, None




def split_command(command: str) -> list[str]:
    """Split a registry command line: a quoted or unquoted program, then its arguments."""
    command = command.strip()
    if command.startswith('"'):
        end = command.find('"', 1)
        if end < 0:
            return [command.strip('"')]
        program, rest = command[1:end], command[end + 1:]
    else:
        match = re.match(r"(.*?\.exe)(\s.*)?$", command, re.I)
        program, rest = (match.group(1), match.group(2) or "") if match else (command, "")
    return [program, *shlex.split(rest, posix=False)]


def uninstall_args(quiet_uninstall: str) -> list[str]:
    """The registered quiet uninstall, run with ``_?=`` (its folder) for a real exit code.

    Without ``_?=`` an NSIS uninstaller copies itself to %TEMP%, starts the copy with
    ``_?=<its folder>`` and exits 0 at once; passing it ourselves is the same run, waited for.
    """
    args = split_command(quiet_uninstall)
    if not any(a.startswith("_?=") for a in args):
        args.append("_?=" + str(PureWindowsPath(args[0]).parent))
    return args
