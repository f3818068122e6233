"""Plan values as NSIS strings: markers become NSIS variables, literals are escaped."""

from __future__ import annotations

import re

from ...errors import BuildError
from ...plan import (ALL_USERS, EXPOSE, FILE, PREINSTALLED, INSTALL_DIR, LOCK, LOCK_FILE,
                     PRODUCT_CODE, PROGRAM_FILES, RUNTIME_DIR, SCOPE, SCRIPTS, STATE_DIR, TEMP_DIR,
                     USER_PROGRAMS, WHEELS, Command, Marker, Templated, command_line)
from ... import escaping
from ..templating import Code

WHEELS_DIR = "wheels"

# Markers that only the NSIS side knows (plan.Marker is a plain value type).
SYSDIR = Marker("nsis_sysdir")
PLUGINSDIR = Marker("nsis_pluginsdir")
KEPT_RUNTIMES = Marker("nsis_kept_runtimes")  # where a shared runtime's installer is kept
LOG_FILE = Marker("nsis_log_file")  # the install log in the state folder ("" at uninstall)
LOG_COPY = Marker("nsis_log_copy")  # its copy in %TEMP%
PREINSTALL_DIR = "preinstall"  # $PLUGINSDIR\preinstall: --preinstall's tree, for the engine

NSIS_VARIABLES: dict[Marker, str] = {
    INSTALL_DIR: "$INSTDIR",
    RUNTIME_DIR: "$RuntimeDir",
    SCOPE: "$Scope",
    ALL_USERS: "$AllUsers",
    PROGRAM_FILES: "${CHOCONSIS_PROGRAMFILES}",  # $PROGRAMFILES64 or $PROGRAMFILES, by arch
    USER_PROGRAMS: "$LOCALAPPDATA\\Programs",  # with SetShellVarContext current
    KEPT_RUNTIMES: "${CHOCONSIS_KEPT_RUNTIMES}",
    FILE: "$StepFile",
    LOCK: "$StateDir\\" + LOCK_FILE,
    WHEELS: "$PLUGINSDIR\\" + WHEELS_DIR,
    STATE_DIR: "$StateDir",
    SCRIPTS: "$StateDir",  # the helper scripts are unpacked beside the install records
    PRODUCT_CODE: "$ProductCode",
    SYSDIR: "$SYSDIR",
    PLUGINSDIR: "$PLUGINSDIR",
    TEMP_DIR: "$TEMP",
    EXPOSE: "path",  # setup.exe puts the commands folder on PATH
    PREINSTALLED: "$PLUGINSDIR\\" + PREINSTALL_DIR,
    LOG_FILE: "$LogFile",
    LOG_COPY: "$LogCopy",
}

# What $INSTDIR may expand to at install time (MAX_PATH), for measuring command lines.
_LONGEST_INSTDIR = {**NSIS_VARIABLES, INSTALL_DIR: "X" * 260, RUNTIME_DIR: "X" * 260}


def nsis_value(value: Templated, where: str) -> Code:
    """A plan value as one escaped NSIS string literal (markers become NSIS variables)."""
    try:
        return Code(escaping.nsis_templated(value, NSIS_VARIABLES))
    except ValueError as err:
        raise BuildError(f"NSIS installer, {where}: {err}") from None


def nsis_command(command: Command, where: str) -> Code:
    return nsis_value(command_line(command), where)


def fits(command: Command) -> bool:
    """Does the command line fit in one NSIS string with the longest $INSTDIR?"""
    try:
        escaping.nsis_templated(command_line(command), _LONGEST_INSTDIR)
    except ValueError:
        return False
    return True


def vi_version(version: str) -> str:
    """VIProductVersion needs exactly four numbers: 10.5.0-beta -> 10.5.0.0."""
    numbers = re.findall(r"\d+", version.split("-", 1)[0])[:4]
    numbers += ["0"] * (4 - len(numbers))
    return ".".join(str(min(int(n), 65535)) for n in numbers)
