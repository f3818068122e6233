"""A zip runtime, unpacked at build time: its tree is what setup.exe embeds (Windows has no
unzip a silent installer can script dependably), and its top-level entries are what the
uninstall removes again (in both back ends)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import BuildError


@dataclass(frozen=True)
class RuntimeTree:
    root: Path  # the unpacked archive: python.exe at its root
    dirs: tuple[str, ...]  # top-level folders, sorted
    files: tuple[str, ...]  # top-level files, sorted


def unpack_runtime(archive: Path, dest: Path) -> RuntimeTree:
    """Unpack a zip runtime into dest.

    Refuses members that would land outside dest and archives without python.exe at the root.
    """
    top_dirs: set[str] = set()
    top_files: set[str] = set()
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = info.filename.replace("\\", "/")
                parts = PurePosixPath(name).parts
                if (name.startswith("/") or not parts or ".." in parts
                        or re.match(r"[A-Za-z]:", parts[0])):
                    raise BuildError(f"zip runtime {archive.name}: unsafe member path {name!r}")
                if info.is_dir() or len(parts) > 1:
                    top_dirs.add(parts[0])
                else:
                    top_files.add(parts[0])
            if not any(f.lower() == "python.exe" for f in top_files):
                raise BuildError(f"zip runtime {archive.name} has no python.exe at its root")
            zf.extractall(dest)
    except zipfile.BadZipFile as err:
        raise BuildError(f"zip runtime {archive.name} is not a zip archive: {err}") from None
    return RuntimeTree(dest, tuple(sorted(top_dirs)), tuple(sorted(top_files)))
