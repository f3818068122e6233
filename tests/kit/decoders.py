"""Reading what builds and installs write: PowerShell scripts (UTF-8 with a BOM), the
members of a .nupkg, and the install log setup.exe leaves in %TEMP% (UTF-16)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from choconsis.smoke.wine import WinePrefix


def read_script(dest: Path, name: str) -> str:
    """tools/<name> of a rendered Chocolatey package, which must start with a UTF-8 BOM."""
    raw = (dest / "tools" / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "PowerShell 5.1 needs the BOM to read UTF-8"
    return raw.decode("utf-8-sig")


def nupkg_parts(nupkg: Path) -> dict[str, bytes]:
    """Every member of a .nupkg (a zip), name -> bytes."""
    with zipfile.ZipFile(nupkg) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def failure_log(prefix: "WinePrefix", package_id: str) -> str:
    """The install log (UTF-16) a failed install leaves in %TEMP% of a Wine prefix."""
    from choconsis.smoke import find_log, read_log

    name = f"{package_id}-install.log"
    for folder in (prefix.drive_c / "users", prefix.drive_c / "windows" / "temp"):
        log = find_log(folder, name)
        if log is not None:
            return read_log(log)
    raise AssertionError(f"no {name} under %TEMP% of {prefix.path}")
