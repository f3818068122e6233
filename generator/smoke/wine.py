"""Wine as a test Windows: prefixes, clean runs, the registry, and path conversion.

Every Windows program runs with a clean environment (``env -i`` style: only PATH, HOME,
WINEPREFIX, WINEDEBUG=-all), so PIP_*, PYTHON* and other Linux-side variables never leak into
it; stdin is /dev/null and stdout and stderr share one pipe (python.exe under wine needs both on
a pipe). A fresh prefix takes 6-13 s to make; :func:`template_prefix` makes one once per cache
folder and :func:`copy_prefix` clones it with ``cp -a`` (1-3 s). Prefixes are 64-bit Windows; a
32-bit program (an x86 setup.exe) runs in them only when Wine's 32-bit side is installed
(Debian's ``wine32:i386``): without it, it starts, does nothing and exits 0.

Registry helpers go through wine's own ``reg.exe`` so that they see exactly what Windows
programs see, in the 64-bit or the 32-bit view (``/reg:64`` / ``/reg:32``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Mapping, Sequence

from ..errors import ToolMissingError
from .registry import (  # noqa: F401 - the registry names are part of this module's API
    _MARK, ENV_KEY, UNINSTALL_KEY, USER_ENV_KEY, RegKeyDump, RegValue, WineError, normalize_key,
    parse_batch_answers, parse_reg_query, view_arg)

DEFAULT_TIMEOUT = 900.0


# Wine's 32-bit Windows side: the DLLs that wineboot copies into a prefix's syswow64 (Debian's
# wine32:i386 puts them under /usr/lib/i386-linux-gnu/wine, WineHQ's packages under /opt).
WINE32_DLLS = ("/usr/lib/i386-linux-gnu/wine/i386-windows/kernel32.dll",
               "/usr/lib/wine/i386-windows/kernel32.dll",
               "/opt/wine-*/lib/wine/i386-windows/kernel32.dll")
# what Debian needs before 'apt-get install wine32:i386'
WINE32_INSTALL = "dpkg --add-architecture i386 && apt-get update"


@dataclass(frozen=True)
class WineTools:
    wine: str
    wineboot: str
    wineserver: str
    wine32: bool = False  # 32-bit Windows programs run (see WINE32_DLLS)


def find_wine() -> WineTools:
    """Locate wine, wineboot and wineserver, or raise ToolMissingError naming the packages."""
    found = {name: shutil.which(name) for name in ("wine", "wineboot", "wineserver")}
    if found["wine"] is None and shutil.which("wine64"):
        found["wine"] = shutil.which("wine64")
    if found["wineserver"] is None:
        for candidate in ("/usr/lib/wine/wineserver", "/usr/lib/wine/wineserver64"):
            if os.access(candidate, os.X_OK):
                found["wineserver"] = candidate
                break
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise ToolMissingError(missing[0], "wine wine64")
    wine, wineboot, wineserver = (str(found[n]) for n in ("wine", "wineboot", "wineserver"))
    return WineTools(wine, wineboot, wineserver, any(glob.glob(p) for p in WINE32_DLLS))


def require_wine32(tools: WineTools, program: Path) -> None:
    """Refuse to run a 32-bit program under a Wine that cannot: it would exit 0 having done
    nothing (the hint wine prints is hidden by WINEDEBUG=-all)."""
    if pe_machine(program) == "x86" and not tools.wine32:
        raise ToolMissingError(f"wine32 (needed by the 32-bit {program.name})", "wine32:i386",
                               first=WINE32_INSTALL)


def not_a_program(program: Path) -> str | None:
    """Why ``program`` is not a Windows program (no MZ header, no PE signature), or None."""
    with open(program, "rb") as fh:
        head = fh.read(4096)
    if head[:2] != b"MZ" or len(head) < 0x40:
        if head[:4] == b"PK\x03\x04":
            return "a zip archive (a .nupkg?), not a Windows program: smoke runs a setup.exe"
        return "not a Windows program (no MZ header): smoke runs a setup.exe"
    offset = int.from_bytes(head[0x3C:0x40], "little")
    if head[offset:offset + 4] != b"PE\0\0":
        return "not a Windows program (an MZ header without a PE signature)"
    return None


def pe_machine(program: Path) -> str | None:
    """The architecture of a Windows program from its PE header: "x86", "amd64" or None."""
    with open(program, "rb") as fh:
        head = fh.read(4096)
    if head[:2] != b"MZ" or len(head) < 0x40:
        return None
    offset = int.from_bytes(head[0x3C:0x40], "little")
    if head[offset:offset + 4] != b"PE\0\0":
        return None
    machine = int.from_bytes(head[offset + 4:offset + 6], "little")
    return {0x14C: "x86", 0x8664: "amd64"}.get(machine)


@dataclass(frozen=True)
class RunResult:
    """Outcome of one Windows program: its Windows exit code (mod 256) and merged output."""

    code: int
    output: str
    seconds: float
    timed_out: bool = False


def linux_to_windows(path: Path, drive_c: Path) -> str:
    """A Linux path as a Windows program sees it: C:\\... inside drive_c, Z:\\... elsewhere."""
    path = Path(os.path.abspath(path))
    try:
        rel = path.relative_to(drive_c)
    except ValueError:
        return "Z:" + str(path).replace("/", "\\")
    return "C:\\" + str(PurePosixPath(rel)).replace("/", "\\").lstrip(".")


def windows_to_linux(win_path: str, drive_c: Path) -> Path:
    """A C:\\ (or Z:\\) Windows path as a Linux path, matching existing names case-insensitively."""
    pure = PureWindowsPath(win_path)
    drive = pure.drive.upper()
    if drive == "Z:":
        base = Path("/")
    elif drive == "C:":
        base = drive_c
    else:
        raise ValueError(f"{win_path!r} is not on drive C: or Z:")
    current = base
    for part in pure.parts[1:]:
        exact = current / part
        if not exact.exists() and current.is_dir():
            lower = part.lower()
            match = next((c for c in current.iterdir() if c.name.lower() == lower), None)
            exact = match if match is not None else exact
        current = exact
    return current


class WinePrefix:
    """One Wine prefix: run programs in it, read and edit its registry, map paths."""

    def __init__(self, path: Path, tools: WineTools | None = None):
        self.path = Path(os.path.abspath(path))
        self.tools = tools or find_wine()

    @property
    def drive_c(self) -> Path:
        return self.path / "drive_c"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a Windows program: nothing else leaks in from Linux."""
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "WINEPREFIX": str(self.path),
            "WINEDEBUG": "-all",
            # No Mono/Gecko install prompts: none of our programs needs .NET or a browser.
            "WINEDLLOVERRIDES": "mscoree=;mshtml=",
        }
        if extra:
            env.update(extra)
        return env

    # -------------------------------------------------------------------- processes

    def run(self, args: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT,
            cwd: Path | None = None) -> RunResult:
        """Run ``wine ARGS`` and return the exit code and the merged stdout/stderr."""
        return self._run_tool([self.tools.wine, *args], timeout=timeout, cwd=cwd)

    def _run_tool(self, argv: Sequence[str], *, timeout: float, cwd: Path | None = None,
                  env: Mapping[str, str] | None = None) -> RunResult:
        start = time.monotonic()
        try:
            proc = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=self.env(env), cwd=cwd,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as err:
            self.kill()
            out = err.output.decode("utf-8", "replace") if err.output else ""
            return RunResult(-1, out, time.monotonic() - start, timed_out=True)
        output = proc.stdout.decode("utf-8", "replace")
        return RunResult(proc.returncode, output, time.monotonic() - start)

    def wait(self, timeout: float = 300.0) -> float:
        """``wineserver -w``: wait until every process of the prefix ended; seconds waited."""
        result = self._run_tool([self.tools.wineserver, "-w"], timeout=timeout)
        if result.timed_out:
            raise WineError(f"{self.path}: wine processes still running after {timeout:.0f} s")
        return result.seconds

    def kill(self) -> None:
        """``wineserver -k``: end every process of this prefix (only this prefix)."""
        subprocess.run([self.tools.wineserver, "-k"], env=self.env(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       timeout=60)

    # -------------------------------------------------------------------- creation

    @classmethod
    def create(cls, path: Path, tools: WineTools | None = None) -> "WinePrefix":
        """Make a fresh 64-bit prefix with ``wineboot -i`` and wait for it to settle."""
        prefix = cls(path, tools)
        if prefix.path.exists():
            raise WineError(f"{prefix.path}: already exists; a new prefix needs an empty place")
        prefix.path.parent.mkdir(parents=True, exist_ok=True)
        # 64-bit Windows, also when wine starts as its 32-bit loader (with wine32 installed)
        result = prefix._run_tool([prefix.tools.wineboot, "-i"], timeout=300,
                                  env={"WINEARCH": "win64"})
        prefix.wait()
        if result.code != 0 or not (prefix.path / "system.reg").is_file():
            raise WineError(f"{prefix.path}: wineboot -i failed (exit {result.code}): "
                            f"{result.output.strip()[-500:]}")
        return prefix

    def copy_to(self, dest: Path) -> "WinePrefix":
        """Clone this (idle) prefix with ``cp -a``."""
        return copy_prefix(self.path, dest, self.tools)

    # -------------------------------------------------------------------- paths

    def folders(self) -> dict[str, str]:
        """%ProgramFiles%, %ProgramFiles(x86)% and %LOCALAPPDATA%\\Programs of the prefix's
        user (Windows paths)."""
        users = self.drive_c / "users"
        names = sorted(p.name for p in users.iterdir() if p.is_dir() and p.name != "Public") \
            if users.is_dir() else []
        user = names[0] if names else "Public"
        return {"program_files": "C:\\Program Files",
                "program_files_x86": "C:\\Program Files (x86)",
                "user_programs": f"C:\\users\\{user}\\AppData\\Local\\Programs"}

    def to_windows(self, path: Path) -> str:
        return linux_to_windows(path, self.drive_c)

    def to_linux(self, win_path: str) -> Path:
        return windows_to_linux(win_path, self.drive_c)

    # -------------------------------------------------------------------- registry

    def reg_query(self, key: str, *, view: int | None = 64, recursive: bool = False
                  ) -> RegKeyDump | None:
        """All values of a key (and its subkeys with recursive=True); None if it does not exist."""
        args = ["reg", "query", key, *view_arg(view)]
        if recursive:
            args.append("/s")
        result = self.run(args, timeout=120)
        if result.code != 0:
            if "unable to find" in result.output.lower():
                return None
            raise WineError(f"reg query {key} failed (exit {result.code}): "
                            f"{result.output.strip()}")
        return parse_reg_query(result.output)

    def reg_query_many(self, queries: Sequence[tuple[str, int | None, bool]]
                       ) -> list[RegKeyDump | None]:
        """Several ``reg query`` runs (key, view, recursive) in one cmd process.

        Each wine start costs about 2 s, so a snapshot of five keys runs as one batch file;
        a marker line after each query carries its exit code.
        """
        lines = ["@echo off"]
        for key, view, recursive in queries:
            if '"' in key or "%" in key:
                raise ValueError(f"registry key not usable in a batch file: {key!r}")
            extra = " ".join([*view_arg(view), *(["/s"] if recursive else [])])
            lines += [f'reg query "{key}" {extra}', f"echo {_MARK}%ERRORLEVEL%"]
        temp = self.drive_c / "windows" / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        script = temp / f"choconsis-reg-{os.getpid()}-{time.time_ns()}.cmd"
        script.write_text("\r\n".join(lines) + "\r\n", encoding="ascii", newline="")
        try:
            result = self.run(["cmd", "/d", "/c", self.to_windows(script)], timeout=300)
        finally:
            script.unlink(missing_ok=True)
        return parse_batch_answers(result.output, [key for key, _v, _r in queries])

    def reg_value(self, key: str, name: str, *, view: int | None = 64) -> RegValue | None:
        """One value of a key, or None when the key or the value does not exist."""
        dump = self.reg_query(key, view=view)
        if dump is None:
            return None
        return dump.get(normalize_key(key), {}).get(name.lower())

    def reg_add(self, key: str, name: str | None, data: str, *, type: str = "REG_SZ",
                view: int | None = 64) -> None:
        """Set a value (name None: the default value), creating the key as needed."""
        args = ["reg", "add", key, *view_arg(view), "/t", type, "/d", data, "/f"]
        args[3:3] = ["/ve"] if name is None else ["/v", name]
        self._check_reg(args, f"reg add {key} {name or '(Default)'}")

    def reg_delete(self, key: str, name: str | None = None, *, view: int | None = 64) -> None:
        """Delete a value, or the whole key when name is None; a missing key is not an error."""
        args = ["reg", "delete", key, *view_arg(view), "/f"]
        if name is not None:
            args[3:3] = ["/v", name]
        result = self.run(args, timeout=120)
        if result.code != 0 and "unable to find" not in result.output.lower():
            raise WineError(f"reg delete {key} failed (exit {result.code}): "
                            f"{result.output.strip()}")

    def _check_reg(self, args: list[str], what: str) -> None:
        result = self.run(args, timeout=120)
        if result.code != 0:
            raise WineError(f"{what} failed (exit {result.code}): {result.output.strip()}")


def copy_prefix(template: Path, dest: Path, tools: WineTools | None = None) -> WinePrefix:
    """Copy an idle prefix with ``cp -a`` (keeps symlinks such as dosdevices/c: and z:)."""
    dest = Path(os.path.abspath(dest))
    if dest.exists():
        raise WineError(f"{dest}: already exists; refusing to copy a prefix over it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["cp", "-a", str(template), str(dest)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise WineError(f"cp -a {template} {dest} failed: {proc.stderr.strip()}")
    return WinePrefix(dest, tools)
