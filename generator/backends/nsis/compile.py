"""makensis: compile a rendered NSIS folder into setup.exe (warnings are errors), signing it
while compiling when asked."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from ... import ui
from ...children import run_tied
from ...errors import BuildError, ToolMissingError
from ...plan import InstallPlan
from ...reproducible import signing_time, tool_epoch
from .signing import makensis_sign_args


def find_makensis() -> str:
    exe = shutil.which("makensis")
    if exe is None:
        raise ToolMissingError("makensis", "nsis")
    return exe


_WARNING_RE = re.compile(r"^\s*(\d+ warnings?:|warning[: ])", re.I | re.M)


def compile_installer(nsis_dir: Path, exe: Path, *, plan: InstallPlan, sign_cert=None,
                      sign_key=None, sign_password=None) -> Path:
    """Run makensis on nsis_dir/installer.nsi; write exe through a temporary file.

    Warnings are errors (-WX). The output is reproducible: SetDateSave off in the script keeps
    file times out of the installer, and SOURCE_DATE_EPOCH is pinned for makensis.
    """
    makensis = find_makensis()
    nsis_dir, exe = Path(nsis_dir), Path(exe)
    script = nsis_dir / "installer.nsi"
    if not script.is_file():
        raise BuildError(f"{script} does not exist: render the NSIS sources first")
    exe.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{exe.name}-", suffix=".exe", dir=exe.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        signing: contextlib.AbstractContextManager[list[str]] = contextlib.nullcontext([])
        if sign_cert is not None:  # setup.exe and its uninstaller, signed while compiling
            signing = makensis_sign_args(Path(sign_cert), Path(sign_key) if sign_key else None,
                                         sign_password, signing_time(), output=tmp)
        with signing as sign_args, ui.task(f"makensis: compiling {exe.name}"):
            _run_makensis(makensis, script, tmp, plan, sign_args)
        tmp.chmod(0o755)  # mkstemp made it 0600
        tmp.replace(exe)
    finally:
        tmp.unlink(missing_ok=True)
    return exe


def _run_makensis(makensis: str, script: Path, out: Path, plan: InstallPlan,
                  extra_args: Sequence[str] = ()) -> None:
    if '"' in str(out):
        raise BuildError(f"cannot write the installer to {out}: the path holds a double quote")
    cmd = [makensis, "-V2", "-WX", "-INPUTCHARSET", "UTF8", *extra_args,
           "-DCHOCONSIS_OUTFILE=" + str(out.resolve()).replace("$", "$$"), script.name]
    env = {**os.environ, "SOURCE_DATE_EPOCH": tool_epoch(), "LC_ALL": "C.UTF-8"}
    ui.detail(f"makensis: {' '.join(cmd)} (in {script.parent})")
    # its own process group, killed with choconsis (SIGINT, SIGTERM, and SIGKILL on Linux)
    proc = run_tied(cmd, cwd=script.parent, errors="replace", env=env)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise BuildError(f"makensis failed on {script} for {plan.package.id} "
                         f"(exit code {proc.returncode}):\n{output[-6000:]}")
    if _WARNING_RE.search(output):
        raise BuildError(f"makensis warned on {script}:\n{output[-6000:]}")
