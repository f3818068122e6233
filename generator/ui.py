"""What choconsis tells the person running it, besides results and errors.

Results go to stdout (``choconsis.cli`` prints them); errors go to stderr (``choconsis.cli`` too). This module
carries the rest, all on stderr:

- :func:`note`: what a command did (shown unless ``-q``);
- :func:`detail`: how it did it, such as each download, cache hit and external command
  (shown with ``-v``);
- progress bars (tqdm) for downloads and long steps: only when stderr is a terminal, never
  with ``-q``, never on stdout, so output that a script or CI captures stays clean; one bar
  at a time.

The level is set once per command by ``choconsis.cli`` (:func:`set_level`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Protocol

QUIET, NORMAL, VERBOSE = 0, 1, 2
_state = {"level": NORMAL, "drawing": False}
_drawing = threading.Lock()


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
    """Bars only for a person watching: stderr is a terminal, not -q, not TERM=dumb."""
    stream = sys.stderr
    return (_state["level"] >= NORMAL and stream is not None and stream.isatty()
            and os.environ.get("TERM") != "dumb")


@contextmanager
def _one_bar() -> Iterator[bool]:
    """Whether this bar may draw: one bar at a time, so concurrent downloads (wheels fetched
    in threads) stay quiet under the bar that counts them, and a download in a worker thread
    still gets its bar when it is the only one."""
    with _drawing:
        mine = progress_enabled() and not _state["drawing"]
        if mine:
            _state["drawing"] = True
    try:
        yield mine
    finally:
        if mine:
            with _drawing:
                _state["drawing"] = False


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        return None


@contextmanager
def bar(label: str, total: int | None = None, *, unit: str = "B") -> Iterator[Bar]:
    """A progress bar for ``total`` units (bytes by default), or a no-op when bars are off."""
    with _one_bar() as mine:
        if not mine:
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
    with _one_bar() as mine:
        if not mine:
            yield
        else:
            yield from _elapsed_line(label)
    detail(f"{label}: {time.monotonic() - start:.1f} s")


def _elapsed_line(label: str) -> Iterator[None]:
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
