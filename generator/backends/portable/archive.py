"""The portable zip, written reproducibly: entries sorted by name, every entry with the
build's fixed time (SOURCE_DATE_EPOCH, else 1980-01-01) and no host permission bits."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from ...fileio import atomic_path
from ...reproducible import zip_date_time


def write_zip(folder: Path, archive: Path) -> Path:
    """Zip every file below ``folder`` (paths relative to it) into ``archive``."""
    stamp = zip_date_time()
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*")
                   if p.is_file())
    with atomic_path(archive) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, path in files:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 0  # MS-DOS: no host-specific permission bits
                info.external_attr = 0
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    return archive
