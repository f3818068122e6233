"""Checks of the command line made before any work starts: a wrong path is a usage error
(exit 2) at once, not a traceback or a failure after minutes of downloads.

Each check names the path and the problem in one line.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UsageError


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def writable_folder(path: Path, what: str) -> None:
    """``path`` is (or can be created as) a folder this process can write into.

    The test is a real one: a temporary file is created and removed in the folder (or in the
    nearest existing parent), so a read-only mount, missing permissions or a full disk's
    inode table all show up here, with the system's own words.
    """
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: the {what} is a file, not a folder")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise UsageError(f"{path}: cannot create the {what}: {existing} is a file")
    try:
        fd, name = tempfile.mkstemp(prefix=".choconsis-probe-", dir=existing)
    except OSError as err:
        raise UsageError(f"{path}: cannot write the {what}: "
                         f"{err.strerror or err}") from None
    os.close(fd)
    os.unlink(name)


def existing_folder(path: Path, option: str) -> None:
    if not path.exists():
        raise UsageError(f"{option} {path}: no such folder")
    if not path.is_dir():
        raise UsageError(f"{option} {path}: not a folder")


def existing_file(path: Path, option: str = "") -> None:
    """``path`` is a readable file; ``option`` (e.g. --sign-cert) is named in the message."""
    where = f"{option} {path}" if option else str(path)
    if not path.exists():
        raise UsageError(f"{where}: no such file")
    if not path.is_file():
        raise UsageError(f"{where}: not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        raise UsageError(f"{where}: cannot read it: {err.strerror or err}") from None
