"""What choconsis tells the person running it, besides results and errors.

Results go to stdout (``cli.py`` prints them); errors go to stderr (``cli.py`` too). This module
carries the rest, all on stderr:

- :func:`note`: what a command did (shown unless ``-q``);
- :func:`detail`: how it did it, such as each download, cache hit and external command
  (shown with ``-v``);
- progress bars (tqdm) for downloads and long steps: only when stderr is a terminal, never
  with ``-q``, never on stdout, so output that a script or CI captures stays clean.

The level is set once per command by ``cli.py`` (:func:`set_level`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Protocol

QUIET, NORMAL, VERBOSE = 0, 1, 2
_state = {"level": NORMAL}


def set_level(level: int) -> None:
    _state["level"] = level


def level() -> int:
    return _state["level"]


def note(message: str) -> None:
    """What was done (stderr, unless -q)."""
    if _state["level"] >= NORMAL:
        print(message, file=sys.stderr, flush=True)


def detail(message: str) -> None:
    """How it was done (stderr, with -v only)."""
    if _state["level"] >= VERBOSE:
        print(message, file=sys.stderr, flush=True)


def progress_enabled() -> bool:
    """Bars only for a person watching: stderr is a terminal, not -q, not TERM=dumb, and only
    from the main thread (concurrent downloads report through one counting bar instead)."""
    stream = sys.stderr
    return (_state["level"] >= NORMAL and stream is not None and stream.isatty()
            and os.environ.get("TERM") != "dumb"
            and threading.current_thread() is threading.main_thread())


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        return None


@contextmanager
def bar(label: str, total: int | None = None, *, unit: str = "B") -> Iterator[Bar]:
    """A progress bar for ``total`` units (bytes by default), or a no-op when bars are off."""
    if not progress_enabled():
        yield _NoBar()
        return
    from tqdm import tqdm

    byte_units = unit == "B"
    with tqdm(total=total, desc=label, unit=unit, unit_scale=byte_units,
              unit_divisor=1024 if byte_units else 1000, file=sys.stderr, leave=False,
              dynamic_ncols=True) as progress:
        yield progress


@contextmanager
def task(label: str) -> Iterator[None]:
    """A long step without countable progress (pip's resolver, makensis): a line showing the
    elapsed time while it runs (terminal only); with -v, its duration once it ends."""
    start = time.monotonic()
    if not progress_enabled():
        yield
        detail(f"{label}: {time.monotonic() - start:.1f} s")
        return
    from tqdm import tqdm

    done = threading.Event()
    with tqdm(total=None, desc=label, bar_format="{desc}: {elapsed}", file=sys.stderr,
              leave=False) as progress:
        def tick() -> None:
            while not done.wait(0.5):
                progress.refresh()

        ticker = threading.Thread(target=tick, name="choconsis-task", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()
    detail(f"{label}: {time.monotonic() - start:.1f} s")
