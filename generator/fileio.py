"""Writing files so that readers see the old file or the new one, never half of one.

Every output goes through a temporary file beside its target and a rename. Temporary files
from ``tempfile`` are private (0600); what we hand out gets the ordinary mode the umask gives.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def new_file_mode() -> int:
    """The mode a newly created file gets under the current umask (0644 under umask 022)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, new_file_mode() if mode is None else mode)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def stage(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path`` (final mode set) and return it.

    For changes to several files that must land together: stage each, then rename them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(name, new_file_mode())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write text (UTF-8, as given: no newline translation) or bytes to ``path`` atomically."""
    tmp = stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_pair(first: Path, first_data: str | bytes, second: Path, second_data: str | bytes,
               first_before: str | bytes | None) -> None:
    """Write ``first`` then ``second``, both or neither (a recipe's lock, then the recipe).

    Both are staged beside their targets first; when ``second`` cannot be put in place,
    ``first`` is put back as it was (``first_before``; None: it did not exist). Raises the
    OSError; no temporary file is left.
    """
    staged: list[Path] = []
    try:
        staged.append(stage(first, first_data))
        staged.append(stage(second, second_data))
        os.replace(staged[0], first)
        try:
            os.replace(staged[1], second)
        except OSError:
            if first_before is None:
                first.unlink(missing_ok=True)
            else:
                os.replace(stage(first, first_before), first)
            raise
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)
