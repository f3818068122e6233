"""Windows Installer under Wine: msiexec, waited for until its wineserver is idle."""

from __future__ import annotations

from pathlib import Path

from choconsis.smoke.wine import WinePrefix


def msiexec(prefix: WinePrefix, *args: str, cwd: Path, timeout: int = 300) -> int:
    result = prefix.run(["msiexec", *args], timeout=timeout, cwd=cwd)
    prefix.wait()
    return result.code


def install_per_user(prefix: WinePrefix, msi: Path, *args: str, cwd: Path,
                     timeout: int = 300) -> int:
    """msiexec /i per user. ALLUSERS="": Windows itself turns the MSI's ALLUSERS=2 with
    MSIINSTALLPERUSER=1 into a per-user install; Wine 8.0 installs ALLUSERS=2 for the machine
    whatever MSIINSTALLPERUSER says."""
    return msiexec(prefix, "/i", prefix.to_windows(msi), "/qn", "ALLUSERS=", *args, cwd=cwd,
                   timeout=timeout)
