"""Stand-ins for what Debian 12's Wine 8.0 lacks and the installers need, built once with zig
(PyPI's ``ziglang``) and cached by source and target: ``bcryptprimitives.dll`` for uv.exe
(:mod:`.prng`) and ``tar.exe`` for a runtime package fetched at install time (:mod:`.tar`).
They go into the prefixes of ``smoke`` and the tests, never into an installer."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import BuildError

# The prefix folder of each architecture's system files, and zig's target for it.
FOLDERS = {"system32": "x86_64-windows-gnu", "syswow64": "x86-windows-gnu"}


def missing_in(drive_c: Path, name: str) -> list[str]:
    """The system folders of a prefix that hold DLLs but not ``name`` (a Wine that has a
    builtin puts a placeholder for it there)."""
    windows = drive_c / "windows"
    return [folder for folder in FOLDERS if (windows / folder / "kernel32.dll").is_file()
            and not (windows / folder / name).is_file()]


def zig_build(cache_dir: Path, kind: str, product: str, sources: dict[str, bytes],
              command: list[str], target: str, missing: str) -> Path:
    """``product`` built from ``sources`` (file name -> bytes) by ``zig COMMAND... -target
    TARGET`` once per source under ``cache_dir/kind``; ``missing`` says what needs it when
    ziglang is not installed."""
    key = hashlib.sha256(b"".join(sources.values()) + " ".join(command).encode()
                         + target.encode()).hexdigest()[:12]
    final = Path(cache_dir) / kind / f"{key}-{target}" / product
    if final.is_file():
        return final
    if importlib.util.find_spec("ziglang") is None:
        raise BuildError(f"{missing}: install PyPI's ziglang (pip install ziglang) so that a "
                         f"stand-in {product} can be built, or a newer Wine")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=final.parent.parent))
    try:
        for name, data in sources.items():
            (work / name).write_bytes(data)
        proc = subprocess.run([sys.executable, "-m", "ziglang", *command, "-target", target],
                              cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not (work / product).is_file():
            raise BuildError(f"building the {product} stand-in for {target} failed: "
                             f"{(proc.stderr or proc.stdout).strip()[-400:]}")
        (work / product).replace(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def provide_in(drive_c: Path, name: str, build) -> list[str]:
    """Put ``build(target)`` into each system folder of the prefix that lacks ``name``;
    returns the folders it went into."""
    folders = missing_in(drive_c, name)
    for folder in folders:
        shutil.copyfile(build(FOLDERS[folder]), drive_c / "windows" / folder / name)
    return folders
