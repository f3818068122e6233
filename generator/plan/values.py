"""Values of the plan: literal text and install-time markers, and Windows command lines.

Values that are only known on the target machine (the install folder the user chose, where a
downloaded installer landed, where the lock file was unpacked) are :class:`Marker` parts of a
:data:`Templated` value. Each back end maps markers to its own variables ($INSTDIR,
$installDir) and escapes every literal part for its own language; command lines are composed
here, once, for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Marker:
    """A value only known at install time; back ends substitute their own variable."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


INSTALL_DIR = Marker("install_dir")  # the install folder (recipe default, user may override)
RUNTIME_DIR = Marker("runtime_dir")  # the Python runtime's folder (INSTALL_DIR for "runtime")
STATE_DIR = Marker("state_dir")  # the install's own records: INSTALL_DIR\choconsis-<id>
SCOPE = Marker("scope")  # the install's scope at install time: user | machine
ALL_USERS = Marker("all_users")  # 1 for a machine install, 0 for a per-user one
PROGRAM_FILES = Marker("program_files")  # %ProgramFiles% of the target's architecture
USER_PROGRAMS = Marker("user_programs")  # %LOCALAPPDATA%\Programs (per-user installs)
FILE = Marker("file")  # local path of the step's artifact (downloaded or embedded)
LOCK = Marker("lock")  # local path of the lock file (a pip requirements file with hashes)
WHEELS = Marker("wheels")  # local folder of embedded wheels (offline mode only)
SCRIPTS = Marker("scripts")  # local folder of the engine's files that ship with the package
PRODUCT_CODE = Marker("product_code")  # an MSI's ProductCode, read from the MSI at install
EXPOSE = Marker("expose")  # how the commands are exposed: path (setup.exe) | shims (Chocolatey)
PREINSTALLED = Marker("preinstalled")  # --preinstall: where the back end staged the tree
TEMP_DIR = Marker("temp_dir")  # %TEMP% of the installing user (msiexec's own logs)

Part = Union[str, Marker]
Templated = tuple[Part, ...]


PLACEHOLDER_MARKERS = {"{install_dir}": INSTALL_DIR, "{runtime_dir}": RUNTIME_DIR}
_PLACEHOLDER_SPLIT = re.compile(r"(\{install_dir\}|\{runtime_dir\})")


def templated(text: str) -> Templated:
    """Turn recipe text with {install_dir} and {runtime_dir} into a Templated value."""
    parts: list[Part] = []
    for piece in _PLACEHOLDER_SPLIT.split(text):
        if piece in PLACEHOLDER_MARKERS:
            parts.append(PLACEHOLDER_MARKERS[piece])
        elif piece:
            parts.append(piece)
    return tuple(parts)


def join(*pieces: Part | Templated) -> Templated:
    """Concatenate parts and templated values, merging adjacent literals."""
    flat: list[Part] = []
    for piece in pieces:
        for part in piece if isinstance(piece, tuple) else (piece,):
            if isinstance(part, str) and flat and isinstance(flat[-1], str):
                flat[-1] += part
            elif part != "":
                flat.append(part)
    return tuple(flat)


def literal(value: Templated) -> str | None:
    """The plain string if a templated value holds no marker."""
    if all(isinstance(p, str) for p in value):
        return "".join(value)  # type: ignore[arg-type]
    return None


def under(folder: Marker, *names: str) -> Templated:
    """A path below an install-time folder: under(INSTALL_DIR, "Scripts") -> <dir>\\Scripts."""
    return join(folder, *("\\" + n for n in names))


_PROPERTY_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*=)(.*)", re.S)


def _quote_arg(arg: Templated) -> Templated:
    """Quote one argument for a Windows command line.

    Literal arguments are quoted by CommandLineToArgvW rules. An argument holding a marker
    (an install-time path, which never contains a double quote) is always quoted, and an MSI
    or installer property is quoted on its value: NAME="C:\\Some Dir", as msiexec and the
    python.org installer expect.
    """
    from ..escaping import windows_arg

    text = literal(arg)
    first = arg[0] if arg else ""
    if isinstance(first, str) and first.upper().startswith("/D="):
        # An NSIS-built installer reads /D= raw to the end of its command line: never quoted.
        return arg
    if text is not None:
        match = _PROPERTY_RE.fullmatch(text)
        if match and any(c in match.group(2) for c in ' \t"'):
            return (match.group(1) + windows_arg(match.group(2)),)
        return (windows_arg(text),)
    if isinstance(first, str):
        match = _PROPERTY_RE.fullmatch(first)
        if match and not match.group(2) and arg[1:] in ((SCOPE,), (ALL_USERS,)):
            return arg  # NAME=<a word or a digit>: nothing to quote
        if match:
            return join(match.group(1) + '"' + match.group(2), arg[1:], '"')
    if arg in ((PRODUCT_CODE,), (SCOPE,), (ALL_USERS,)):
        return arg  # a GUID, a word or a digit: nothing to quote (msiexec /x wants it bare)
    return join('"', arg, '"')


def command_line(args: tuple[Templated, ...]) -> Templated:
    """Compose a Windows command line from templated arguments."""
    out: list[Part | Templated] = []
    for i, arg in enumerate(args):
        if i:
            out.append(" ")
        out.append(_quote_arg(arg))
    return join(*out)


Command = tuple[Templated, ...]  # a program and its arguments, each a templated value
