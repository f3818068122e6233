"""SOURCE_DATE_EPOCH, read in one place: the build's fixed time (reproducible-builds.org).

With the same recipe, lock, artifacts and SOURCE_DATE_EPOCH, the .nupkg, setup.exe and SBOM
are byte-identical: the .nupkg's zip entries carry this time, makensis gets it, signing uses
it as the signing time, and the SBOM states it.
"""

from __future__ import annotations

import os
import time

from .errors import BuildError

ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold
ZIP_LAST = 4354819199  # 2107-12-31T23:59:59Z, the latest


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as an int, None when unset; a malformed value is an error."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be a number of seconds, got {raw!r}")
    return int(raw)


def zip_date_time() -> tuple[int, int, int, int, int, int]:
    """The time of every entry of a reproducible zip: SOURCE_DATE_EPOCH, else 1980-01-01,
    clamped to what a zip entry can hold."""
    epoch = source_date_epoch()
    epoch = min(max(ZIP_EPOCH if epoch is None else epoch, ZIP_EPOCH), ZIP_LAST)
    return time.gmtime(epoch)[:6]  # type: ignore[return-value]


def signing_time() -> int:
    """The Authenticode signing time: SOURCE_DATE_EPOCH when set (reproducible), else now."""
    epoch = source_date_epoch()
    return epoch if epoch is not None else int(time.time())


def tool_epoch() -> str:
    """What external tools (makensis) get as SOURCE_DATE_EPOCH: the build's, else 0."""
    epoch = source_date_epoch()
    return str(epoch if epoch is not None else 0)
