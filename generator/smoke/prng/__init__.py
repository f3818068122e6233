"""A stand-in ``bcryptprimitives.dll`` for Wine before 8.13, so that uv.exe runs under it.

uv.exe, like every program built with Rust 1.78 or later, imports ``ProcessPrng`` from
``bcryptprimitives.dll``. Windows 10 and later have it; Wine added it in 8.13. Under Debian
12's Wine 8.0 the loader refuses uv.exe before any of its code runs (exit code 53;
``WINEDEBUG=+module`` says ``Library bcryptprimitives.dll (which is needed by uv.exe) not
found``), so no uv option can help. For the prefixes ``smoke`` and the tests use, this puts a
stand-in where Wine lacks one: a DLL exporting only ``ProcessPrng``, which forwards to
RtlGenRandom (``advapi32!SystemFunction036``), built from ``bcryptprimitives.c`` here with
zig's C compiler (PyPI's ``ziglang``). It never goes into an installer.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..zigbuild import FOLDERS, missing_in, provide_in, zig_build

DLL = "bcryptprimitives.dll"
__all__ = ["DLL", "FOLDERS", "build", "missing_in", "provide"]


def build(cache_dir: Path, target: str) -> Path:
    """The stand-in for one zig target, built once per source under cache_dir."""
    source = resources.files(__package__)
    sources = {"s.c": (source / "bcryptprimitives.c").read_bytes(),
               "s.def": (source / "bcryptprimitives.def").read_bytes()}
    return zig_build(cache_dir, "prng", DLL, sources,
                     ["cc", "-O2", "-shared", "-s", "-o", DLL, "s.c", "s.def", "-ladvapi32"],
                     target, f"this Wine lacks {DLL}, which uv.exe needs (Wine has it from "
                     "8.13)")


def provide(drive_c: Path, cache_dir: Path) -> list[str]:
    """Put the stand-in into each system folder of the prefix that lacks the DLL; returns
    the folders it went into."""
    return provide_in(drive_c, DLL, lambda target: build(cache_dir, target))
