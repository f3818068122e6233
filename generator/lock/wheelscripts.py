"""The console scripts a wheel declares (its entry_points.txt), read at lock time and kept
in the lock (:mod:`.scripts`)."""

from __future__ import annotations

import configparser
import zipfile
from pathlib import Path

from ..errors import BuildError


def console_scripts(wheel: Path) -> list[str]:
    """The [console_scripts] names of a wheel's entry_points.txt, in file order."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist()
                     if n.count("/") == 1 and n.endswith(".dist-info/entry_points.txt")]
            if not names:
                return []
            text = zf.read(names[0]).decode("utf-8", "replace")
    except zipfile.BadZipFile as err:
        raise BuildError(f"{wheel.name}: not a wheel (zip): {err}") from None
    parser = configparser.RawConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the case
    try:
        parser.read_string(text)
    except configparser.Error as err:
        raise BuildError(f"{wheel.name}: unreadable entry_points.txt: {err}") from None
    return list(parser["console_scripts"]) if parser.has_section("console_scripts") else []
