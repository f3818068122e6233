"""pip's installation report (``pip install --dry-run --report``) as the files of a lock."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from packaging.utils import canonicalize_name

from ..errors import BuildError
from ..recipe import url_filename
from .lockfile import LockedWheel


def _report_sha256(item: dict[str, Any]) -> str | None:
    archive = item.get("download_info", {}).get("archive_info", {})
    hashes = archive.get("hashes") or {}
    if "sha256" in hashes:
        return str(hashes["sha256"]).lower()
    algo, _, value = str(archive.get("hash", "")).partition("=")
    return value.lower() if algo == "sha256" and value else None


def _hash_url(url: str, label: str) -> str:
    """sha256 of a file the index gave no hash for (downloaded into a temporary folder)."""
    from ..store import ArtifactStore

    with tempfile.TemporaryDirectory(prefix="choconsis-hash-") as tmp:
        result = ArtifactStore(cache_dir=Path(tmp)).download(url, label=label)
        result.path.unlink(missing_ok=True)
        return result.sha256


SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


def wheels_from_report(report: dict[str, Any], where: str = "", *,
                       allow_sdists: bool = False) -> tuple[LockedWheel, ...]:
    """The locked files of a pip installation report, in pip's install order.

    Wheels only, unless ``allow_sdists`` (a target whose lock may pin source archives).
    """
    prefix = f"{where}: " if where else ""
    allowed = (".whl", *SDIST_SUFFIXES) if allow_sdists else (".whl",)
    if str(report.get("version")) != "1":
        raise BuildError(f"{prefix}pip wrote a report of version {report.get('version')!r}; "
                         "choconsis reads version 1")
    wheels = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        name = canonicalize_name(meta.get("name", ""))
        version = meta.get("version", "")
        url = urldefrag(item.get("download_info", {}).get("url", "")).url
        filename = url_filename(url)
        if not (name and version and filename.endswith(allowed)):
            what = "neither a wheel nor a source archive" if allow_sdists else "not a wheel"
            raise BuildError(f"{prefix}pip chose {name or '?'} {version} from {url or '?'}, "
                             f"which is {what}")
        sha256 = _report_sha256(item) or _hash_url(url, f"{name} {version}")
        wheels.append(LockedWheel(name, version, sha256, filename, url))
    if not wheels:
        raise BuildError(f"{prefix}pip resolved no wheel at all")
    return tuple(wheels)
