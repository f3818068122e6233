"""Running an external program that must not outlive choconsis (makensis).

The program runs in a process group of its own, so a Ctrl-C at the terminal reaches only
choconsis, which then ends the whole group (makensis and anything it started, such as the
signing command of its ``!finalize``): a KeyboardInterrupt, the SIGTERM that ``choconsis.cli``
turns into an exception, or any other error while it runs ends the group with SIGKILL.

A SIGKILL of choconsis itself runs no code at all; on Linux the program is started with
``PR_SET_PDEATHSIG`` = SIGKILL, so the kernel kills it when choconsis dies. That reaches the
program itself, not what it started in turn: a ``!finalize`` signing command (osslsigncode)
then runs to its own end, seconds at most. Elsewhere a SIGKILL can leave the program running
until it finishes its compile.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from typing import Sequence

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child
    """preexec_fn: SIGKILL when the parent dies; and if it died already, stop now."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def run_tied(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """subprocess.run(cmd, capture_output=True, text=True, **kwargs), tied to choconsis: its
    own process group, killed with the group if choconsis stops waiting for any reason."""
    parent = os.getpid()
    extra: dict[str, object] = {"start_new_session": True}
    if sys.platform.startswith("linux"):
        extra["preexec_fn"] = lambda: _die_with_parent(parent)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **extra, **kwargs)  # type: ignore[call-overload]
    try:
        out, err = proc.communicate()
    except BaseException:
        kill_group(proc)
        raise
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the process group ``proc`` leads, and reap ``proc``."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()
