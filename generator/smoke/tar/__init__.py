"""A stand-in ``tar.exe`` for Wine, which has none (Windows 10 1803 and later do).

A web-mode setup.exe of a runtime package downloads the package at install time and unpacks
it with ``%SystemRoot%\\System32\\tar.exe -xf ZIP -C DIR`` (Windows' bsdtar reads zip files).
For the prefixes ``smoke`` and the tests use, this builds that one form from ``tar.zig`` (the
zip reader of Zig's standard library, ``std.zip``) with PyPI's ``ziglang``, and puts it where
the prefix lacks a tar.exe. It never goes into an installer.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..zigbuild import provide_in, zig_build

EXE = "tar.exe"


def build(cache_dir: Path, target: str) -> Path:
    """The stand-in for one zig target, built once per source under cache_dir."""
    sources = {"tar.zig": (resources.files(__package__) / "tar.zig").read_bytes()}
    return zig_build(cache_dir, "tar", EXE, sources,
                     ["build-exe", "-O", "ReleaseSmall", "-fstrip", "tar.zig"], target,
                     "this Wine has no tar.exe, which a web-mode setup.exe of a runtime "
                     "package unpacks it with")


def provide(drive_c: Path, cache_dir: Path) -> list[str]:
    """Put the stand-in into each system folder of the prefix that lacks tar.exe; returns
    the folders it went into."""
    return provide_in(drive_c, EXE, lambda target: build(cache_dir, target))
