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

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from ...errors import BuildError

DLL = "bcryptprimitives.dll"
# The prefix folder of each architecture's system DLLs, and zig's target for it.
FOLDERS = {"system32": "x86_64-windows-gnu", "syswow64": "x86-windows-gnu"}


def missing_in(drive_c: Path) -> list[str]:
    """The system folders of a prefix that hold DLLs but not bcryptprimitives.dll (a Wine
    that has it puts a placeholder for each builtin DLL there)."""
    windows = drive_c / "windows"
    return [name for name in FOLDERS
            if (windows / name / "kernel32.dll").is_file() and not (windows / name / DLL).is_file()]


def build(cache_dir: Path, target: str) -> Path:
    """The stand-in for one zig target, built once per source under cache_dir."""
    source = resources.files(__package__)
    code = (source / "bcryptprimitives.c").read_bytes()
    exports = (source / "bcryptprimitives.def").read_bytes()
    key = hashlib.sha256(code + exports + target.encode()).hexdigest()[:12]
    final = Path(cache_dir) / "prng" / f"{key}-{target}" / DLL
    if final.is_file():
        return final
    if importlib.util.find_spec("ziglang") is None:
        raise BuildError(f"this Wine lacks {DLL}, which uv.exe needs (Wine has it from 8.13): "
                         "install PyPI's ziglang (pip install ziglang) so that smoke can build "
                         "a stand-in, or a newer Wine")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".prng-", dir=final.parent.parent))
    try:
        (work / "s.c").write_bytes(code)
        (work / "s.def").write_bytes(exports)
        proc = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", target, "-O2",
                               "-shared", "-s", "-o", DLL, "s.c", "s.def", "-ladvapi32"],
                              cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not (work / DLL).is_file():
            raise BuildError(f"building the {DLL} stand-in for {target} failed: "
                             f"{(proc.stderr or proc.stdout).strip()[-400:]}")
        (work / DLL).replace(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def provide(drive_c: Path, cache_dir: Path) -> list[str]:
    """Put the stand-in into each system folder of the prefix that lacks the DLL; returns
    the folders it went into."""
    folders = missing_in(drive_c)
    for name in folders:
        shutil.copyfile(build(cache_dir, FOLDERS[name]), drive_c / "windows" / name / DLL)
    return folders
