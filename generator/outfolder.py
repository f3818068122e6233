"""The output folder of a build: one build at a time, and no leftovers of killed ones.

A build holds an exclusive ``flock`` on the output folder itself (an open file descriptor
of the directory) from before its staging folder is made until its outputs are in place
and described. The kernel releases the lock when the process ends, however it ends (even
SIGKILL), so a stale lock cannot exist and no lock file is left in the folder. A second
build into the same folder waits for it (at most ``wait`` seconds, saying so once), then
stops with one line (:class:`FolderBusyError`, exit 1).

The staging folder is named ``.choconsis-<pid>-XXXXXXXX``. Holding the lock, a build removes
every staging folder it finds of a build that is gone: one whose process no longer runs,
and one named without a pid (made by a choconsis from before the lock, which never held
it). A live process's folder is left alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

from . import ui
from .errors import ChoconsisError

STAGING_PREFIX = ".choconsis-"
_STAGING_RE = re.compile(r"\.choconsis-(?:(?P<pid>\d+)-)?[A-Za-z0-9_]{8}")
DEFAULT_WAIT = 600.0  # seconds a second build waits for the first (a build takes minutes)
_POLL = 0.2
_NAME_WAIT = 1.0  # how long a waiter looks for the holder's pid before it says it waits


class FolderBusyError(ChoconsisError):
    """Another build kept the output folder for longer than this one would wait."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _owners(folder: Path) -> list[int]:
    """The pids named by the staging folders in ``folder`` (the builds working there)."""
    pids = []
    for path in folder.glob(STAGING_PREFIX + "*"):
        match = _STAGING_RE.fullmatch(path.name)
        if match and match.group("pid"):
            pids.append(int(match.group("pid")))
    return pids


@contextlib.contextmanager
def locked(folder: Path, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold the build lock of ``folder`` (which must exist) for the ``with`` block."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        started = time.monotonic()
        deadline = started + wait
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            except OSError as err:  # a file system without locks (some network mounts)
                ui.note(f"{folder}: the output folder cannot be locked ({err.strerror or err}); "
                        "building without the lock")
                break
            others = [p for p in _owners(folder) if p != os.getpid()]
            who = f" (pid {', '.join(map(str, others))})" if others else ""
            if time.monotonic() >= deadline:
                raise FolderBusyError(
                    f"{folder}: another choconsis build{who} is writing into this output "
                    f"folder; waited {wait:.0f} s (--wait SECONDS waits longer, or use "
                    "another -o folder)")
            # the holder names itself by its staging folder a moment after it takes the lock
            if not said and (others or time.monotonic() - started >= _NAME_WAIT):
                ui.note(f"{folder}: another choconsis build{who} is writing here; waiting "
                        f"for it (at most {wait:.0f} s)")
                said = True
            time.sleep(_POLL)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the staging folders of builds that are gone (call it holding the lock)."""
    removed = []
    for path in sorted(folder.glob(STAGING_PREFIX + "*")):
        match = _STAGING_RE.fullmatch(path.name)
        if not match or not path.is_dir() or path.is_symlink():
            continue
        pid = match.group("pid")
        if pid is not None and (int(pid) == os.getpid() or _alive(int(pid))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        ui.note(f"{path}: removed what a killed build left")
        removed.append(path)
    return removed


def make_staging(folder: Path) -> Path:
    """This build's staging folder inside ``folder``, named with its pid."""
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=folder))
