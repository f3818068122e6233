"""A tiny native Windows program for the tests, built with zig's C compiler (PyPI's
``ziglang``, the ``test`` extra) and cached by its source, as ``choconsis.smoke.prng`` builds
its stand-in DLL: a wheel's ``.data/scripts`` program (ruff.exe's kind of command)."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

TINY_LINE = "tiny native program"
# Prints TINY_LINE, then its arguments one per line, and exits with 0.
TINY_C = b"""#include <stdio.h>
int main(int argc, char **argv) {
    int i;
    printf("%s\\n", "tiny native program");
    for (i = 1; i < argc; i++) printf("arg: %s\\n", argv[i]);
    return 0;
}
"""


def tiny_exe(cache: Path, target: str = "x86_64-windows-gnu") -> Path:
    """tiny.exe for ``target``, built once per source under ``cache``."""
    key = hashlib.sha256(TINY_C + target.encode()).hexdigest()[:12]
    final = Path(cache) / "native" / f"{key}-{target}" / "tiny.exe"
    if final.is_file():
        return final
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip("PyPI's ziglang is not installed (pip install -e '.[test]')")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".native-", dir=final.parent.parent))
    try:
        (work / "tiny.c").write_bytes(TINY_C)
        proc = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", target, "-O2",
                               "-s", "-o", "tiny.exe", "tiny.c"], cwd=work, capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0 and (work / "tiny.exe").is_file(), proc.stderr[-400:]
        (work / "tiny.exe").replace(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final
