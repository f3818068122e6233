"""What choconsis reads inside a wheel file: its one ``*.dist-info`` folder's ``METADATA``, the
entry points of ``entry_points.txt``, the commands the wheel installs (:func:`wheel_commands`)
and the size of what it unpacks to.

One reader for every user, so that ``new`` (the recipe's commands and check command) and
``build`` (the commands put on PATH) see the same commands in the same order: the order the
wheel's author wrote them in entry_points.txt, names with their case.
"""

from __future__ import annotations

import configparser
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

CONSOLE_SCRIPTS = "console_scripts"
GUI_SCRIPTS = "gui_scripts"

# The kinds of command a wheel installs into Scripts (what [install] commands may name):
CONSOLE = "console"  # a console_scripts entry point: pip writes a launcher
GUI = "gui"  # a gui_scripts entry point: the same, without a console
EXE = "exe"  # a native program in <name>-<ver>.data/scripts (ruff.exe)
SCRIPT = "script"  # a Python script file there (#!python shebang; legacy setup.py scripts)
BATCH = "batch"  # a .cmd or .bat file there (awscli's aws.cmd)
KINDS = (CONSOLE, GUI, EXE, SCRIPT, BATCH)
BATCH_EXTENSIONS = (".cmd", ".bat")
# distlib's test of a Python shebang (what pip and the installer library rewrite)
_PYTHON_SHEBANG = re.compile(rb"^#!.*pythonw?[0-9.]*(\.exe)?\"?([ \t].*)?$")


@dataclass(frozen=True)
class WheelCommand:
    """A command a wheel installs: its name (what a user types; a batch file keeps its
    extension, ``aws.cmd``) and kind (:data:`KINDS`)."""

    name: str
    kind: str = CONSOLE

    @property
    def file(self) -> str:
        """Its file in the app's commands folder: a batch file as named, else ``<name>.exe``
        (a launcher, or the native program itself)."""
        return self.name if self.kind == BATCH else self.name + ".exe"

    @property
    def runs_as(self) -> str:
        """What a user types to run it (a batch file without its extension)."""
        return self.name.rsplit(".", 1)[0] if self.kind == BATCH else self.name

    @property
    def typed(self) -> str:
        """:attr:`runs_as` as cmd.exe compares it: in lower case."""
        return self.runs_as.lower()


@dataclass(frozen=True)
class DistInfo:
    """The texts of a wheel's dist-info folder ("" for a file the wheel does not have)."""

    wheel: str  # the wheel's file name, for messages
    metadata: str
    entry_points: str

    def scripts(self, group: str = CONSOLE_SCRIPTS) -> tuple[str, ...]:
        """The names of an entry-point group (console_scripts, gui_scripts), in file order."""
        return entry_point_names(self.entry_points, group, self.wheel)


def read_dist_info(path: Path, *, need_metadata: bool = True) -> DistInfo:
    """METADATA and entry_points.txt of the wheel at ``path``, from the one ``*.dist-info``
    folder at its top. ``need_metadata``: that folder must exist and hold a METADATA (what
    reads the metadata says so; entry points alone are read from whatever the wheel has)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            infos = {n.split("/", 1)[0] for n in names
                     if n.count("/") == 1 and n.split("/", 1)[0].endswith(".dist-info")}
            if need_metadata:
                infos = {i for i in infos if f"{i}/METADATA" in names}
            if len(infos) > 1 or (need_metadata and not infos):
                what = " with METADATA" if need_metadata else ""
                raise BuildError(f"{path.name}: expected one *.dist-info folder{what}, "
                                 f"found {len(infos)}")
            texts = []
            for member in ("METADATA", "entry_points.txt"):
                name = f"{next(iter(infos))}/{member}" if infos else ""
                texts.append(zf.read(name).decode("utf-8", "replace") if name in names else "")
    except zipfile.BadZipFile as err:
        raise BuildError(f"{path.name}: not a wheel (zip): {err}") from None
    metadata, entry_points = texts
    return DistInfo(path.name, metadata, entry_points)


def entry_point_names(text: str, group: str, wheel: str = "") -> tuple[str, ...]:
    """The names of one group of an entry_points.txt text, in file order, case kept."""
    return tuple(entry_point_map(text, group, wheel))


def entry_point_map(text: str, group: str, wheel: str = "") -> dict[str, str]:
    """One group of an entry_points.txt text: name -> "module:attr", in file order."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names keep their case
    try:
        parser.read_string(text)
    except configparser.Error as err:
        prefix = f"{wheel}: " if wheel else ""
        raise BuildError(f"{prefix}unreadable entry_points.txt: {err}") from None
    if not parser.has_section(group):
        return {}
    return {name: parser.get(group, name).strip() for name in parser.options(group)}


def console_scripts(path: Path) -> tuple[str, ...]:
    """The [console_scripts] names of the wheel at ``path``, in file order."""
    return read_dist_info(path, need_metadata=False).scripts(CONSOLE_SCRIPTS)


def data_script_command(filename: str, head: bytes) -> WheelCommand | None:
    """The command a file of ``.data/scripts`` is, from its name and first line; None for a
    file Windows cannot run as a command (a shell script, a .ps1, a DLL, a .py without a
    Python shebang)."""
    lower = filename.lower()
    if lower.endswith(".exe") and len(filename) > 4:
        return WheelCommand(filename[:-4], EXE)
    if lower.endswith(BATCH_EXTENSIONS) and len(filename) > 4:
        return WheelCommand(filename, BATCH)
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if _PYTHON_SHEBANG.match(first):
        stem, dot, ext = filename.rpartition(".")
        # as pip's launchers name it: foo.py and foo.pyw run as foo
        return WheelCommand(stem if dot and ext.lower().startswith("py") and stem
                            else filename, SCRIPT)
    return None


def wheel_commands(path: Path) -> tuple[WheelCommand, ...]:
    """Every command the wheel at ``path`` installs into Scripts: its console_scripts and
    gui_scripts entry points (in file order), then the files of its ``.data/scripts`` folder
    that Windows can run (by name)."""
    info = read_dist_info(path, need_metadata=False)
    found = [WheelCommand(n, CONSOLE) for n in info.scripts(CONSOLE_SCRIPTS)]
    found += [WheelCommand(n, GUI) for n in info.scripts(GUI_SCRIPTS)]
    with zipfile.ZipFile(path) as zf:
        for member in sorted(zf.namelist()):
            parts = member.split("/")
            if (len(parts) == 3 and parts[0].endswith(".data") and parts[1] == "scripts"
                    and parts[2]):
                with zf.open(member) as handle:
                    command = data_script_command(parts[2], handle.read(256))
                if command is not None:
                    found.append(command)
    return tuple(found)


def wheel_metadata(path: Path) -> str:
    """The METADATA text of the wheel at ``path``."""
    return read_dist_info(path).metadata


def unpacked_size(path: Path) -> int | None:
    """Bytes the wheel's members take unpacked; None when the file is not a zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        return None
