"""Fetching the locked wheels: every file verified against its pin, concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from .. import ui
from ..lock.lockfile import Lock

if TYPE_CHECKING:  # pragma: no cover
    from ..store import ArtifactStore

FETCH_WORKERS = 6


def fetch_wheels(lock: Lock, store: "ArtifactStore", *,
                 workers: int = FETCH_WORKERS) -> list[Path]:
    """Every locked wheel as a verified local file, in lock order, fetched concurrently.

    The first failure (download error, sha256 mismatch) cancels what has not started and is
    raised; files already verified stay in the cache.
    """
    if not lock.wheels:
        return []
    store.session  # noqa: B018 - create the shared session once, before the threads start
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(lock.wheels))),
                            thread_name_prefix="choconsis-wheel") as pool:
        futures = [pool.submit(store.fetch_url, w.url, w.sha256, w.filename, w.name)
                   for w in lock.wheels]
        try:
            with ui.bar("wheels", len(futures), unit="file") as progress:
                for done in as_completed(futures):
                    done.result()  # the first failure is raised at once
                    progress.update(1)
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
