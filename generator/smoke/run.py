"""``choconsis smoke``: install, run, check and uninstall a setup.exe in a fresh Wine prefix.

The phases, each timed and each made of named checks:

prefix      a copy of a cached clean prefix, and a snapshot of what uninstall must restore
            (Uninstall keys of both registry views and of HKCU, machine and user PATH with
            their types, the list of files under drive_c);
install     ``setup.exe /S`` exits 0 (3010/1641: success, reboot required); the install
            folder and the install log exist;
registry    one Add/Remove Programs entry with the recipe's version, uninstall commands and
            install location; the recipe's PATH entries prepended, every other character and
            the value type kept;
check       the recipe's check command, run as a user would run it: ``cmd /c`` with the PATH
            read from the registry (machine PATH, then user PATH). Wine cuts environment
            values it builds from the registry at about 1,011 characters; Windows does not,
            so the PATH is set explicitly instead of trusting Wine's inherited one;
uninstall   the registered QuietUninstallString, run with ``_?=`` (what the NSIS uninstaller
            passes to its own temporary copy) so that its real exit code comes back;
leftovers   no Uninstall entry, no install folder, PATH exactly as before, and the snapshot
            otherwise unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path, PureWindowsPath
from typing import Callable

from ..errors import BuildError, UsageError
from ..plan import REBOOT_CODES
from .paths import (check_path_after_install, check_script, effective_path, norm_dir,
                    path_entries, split_command, uninstall_args)
from .report import Phase, SmokeReport
from .snapshot import Snapshot, diff_snapshots, take_snapshot
from .expect import Expectation
from .registry import ENV_KEY, USER_ENV_KEY, normalize_key
from .wine import WinePrefix, not_a_program

INSTALL_TIMEOUT = 1800.0
CHECK_TIMEOUT = 300.0


def default_wine_cache() -> Path:
    from ..store import default_cache_dir

    return default_cache_dir() / "wine"


def run_smoke(setup_exe: Path, *, recipe: str | None, keep_prefix: Path | None,
              prefix: WinePrefix | None = None, install_dir: str | None = None,
              wine_cache: Path | None = None, uninstall: bool = True,
              inspect: Callable[[WinePrefix], None] | None = None,
              scope: str | None = None) -> SmokeReport:
    """Install, check and uninstall setup_exe under Wine; see the module docstring.

    ``prefix`` runs in an existing prefix (a test that prepared a long PATH) instead of a new
    copy of the cached template; ``install_dir`` passes ``/D=`` to the installer, ``scope``
    (user, machine) ``/CurrentUser`` or ``/AllUsers``.
    ``uninstall=False`` stops after the check (the prefix then stays installed).
    ``inspect`` is called with the prefix after a successful check, before the uninstall:
    tests use it to look at (or install over) the installed state.
    """
    from .prefixes import copy_prefix, template_prefix
    from .wine import find_wine, require_wine32

    setup_exe = Path(setup_exe).resolve()
    if not setup_exe.is_file():
        raise BuildError(f"{setup_exe}: no such installer")
    why = not_a_program(setup_exe)
    if why:  # before a prefix is made: a .nupkg or a text file would fail there much later
        raise UsageError(f"{setup_exe}: {why}")
    tools = find_wine()
    require_wine32(tools, setup_exe)
    # a bad recipe fails before Wine runs
    uses_uv = Expectation.from_recipe(recipe, install_dir, scope).installer == "uv"
    report = SmokeReport(setup_exe, "", "")
    scratch: Path | None = None
    phase = Phase("prefix")
    report.phases.append(phase)
    start = time.monotonic()
    if prefix is None:
        cache = wine_cache or default_wine_cache()
        template = template_prefix(cache, tools)
        if uses_uv:  # uv.exe needs a DLL Wine 8.0 lacks: a stand-in, or one clear error
            from .prng import provide

            provide(template.drive_c, cache)
        if keep_prefix is not None:
            keep_prefix = Path(keep_prefix)
            if keep_prefix.exists() and any(keep_prefix.iterdir()):
                raise BuildError(f"{keep_prefix}: --keep-prefix needs a new or empty folder")
            if keep_prefix.exists():
                keep_prefix.rmdir()
            prefix = copy_prefix(template.path, keep_prefix, tools)
            report.prefix = prefix.path
        else:
            scratch = Path(tempfile.mkdtemp(prefix="choconsis-smoke-"))
            prefix = copy_prefix(template.path, scratch / "prefix", tools)
    try:
        expect = Expectation.from_recipe(recipe, install_dir, scope, prefix.folders())
        report.package_id, report.version = expect.package_id, expect.version
        _smoke_phases(prefix, setup_exe, expect, report, phase, start, uninstall, inspect)
    finally:
        prefix.kill()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


def _smoke_phases(prefix: WinePrefix, setup_exe: Path, expect: Expectation, report: SmokeReport,
                  phase: Phase, start: float, uninstall: bool,
                  inspect: Callable[[WinePrefix], None] | None) -> None:
    before = take_snapshot(prefix)
    folder = prefix.to_linux(expect.install_dir)
    phase.check("install folder absent before install", not folder.exists(), str(folder))
    phase.check("no Add/Remove Programs entry before install",
                not _entries(before, expect.package_id))
    phase.seconds = time.monotonic() - start

    if not _install(prefix, setup_exe, expect, report):
        return
    _check_registry(prefix, expect, before, report)
    _run_check(prefix, expect, report)
    if inspect is not None and report.ok:
        inspect(prefix)
    if uninstall:
        _uninstall(prefix, expect, before, report)


def _entries(snapshot: Snapshot, package_id: str) -> list[str]:
    suffix = "\\uninstall\\" + package_id.lower()
    return [f"{label}: {key}" for label, keys in snapshot.uninstall.items() for key in keys
            if key.lower().endswith(suffix)]


def read_log(path: Path) -> str:
    """An installer log as text: NSIS Unicode logs are UTF-16 with a BOM, others UTF-8."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def find_log(folder: Path, name: str) -> Path | None:
    if not folder.is_dir():
        return None
    return next((p for p in folder.rglob("*") if p.name.lower() == name.lower()), None)


def _install(prefix: WinePrefix, setup_exe: Path, expect: Expectation, report: SmokeReport) -> bool:
    phase = Phase("install")
    report.phases.append(phase)
    args = [prefix.to_windows(setup_exe), "/S"]
    if expect.given_scope:
        args.append("/AllUsers" if expect.scope == "machine" else "/CurrentUser")
    if expect.given_dir:
        args.append("/D=" + expect.install_dir)  # last: NSIS reads /D= to the end of the line
    result = prefix.run(args, timeout=INSTALL_TIMEOUT)
    prefix.wait()
    phase.seconds = result.seconds
    phase.output = result.output
    code_ok = result.code == 0 or result.code in (c % 256 for c in REBOOT_CODES)
    detail = f"exit {result.code}" + (" (reboot required)" if result.code and code_ok else "")
    if result.timed_out:
        detail = f"timed out after {INSTALL_TIMEOUT:.0f} s"
    temp_log = None
    if not code_ok:
        temp_log = find_log(prefix.drive_c / "windows" / "temp",
                            f"{expect.package_id}-install.log") or find_log(
            prefix.drive_c / "users", f"{expect.package_id}-install.log")
    if temp_log is not None:
        text = read_log(temp_log)
        phase.output += "\n--- install log ---\n" + text
        detail += "; " + failure_cause(text)
    phase.check("setup.exe /S succeeded", code_ok and not result.timed_out, detail)
    folder = prefix.to_linux(expect.install_dir)
    phase.check("install folder exists", folder.is_dir(), expect.install_dir)
    log = find_log(folder, f"{expect.package_id}-install.log")
    phase.check("install log written", log is not None,
                str(log.relative_to(prefix.drive_c)) if log else "not found")
    return phase.ok


def failure_cause(log_text: str) -> str:
    """What setup.exe said failed: its FAILED line (the step and the cause, with the failing
    tool's last lines after it, which the report shows with the log), or the log's last line
    (an abort before any step: the reason setup.exe logged)."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "  FAILED: " in line:
            return line.split("  FAILED: ", 1)[1]
    return lines[-1].split("  ", 1)[-1] if lines else "the install log is empty"


def _check_registry(prefix: WinePrefix, expect: Expectation, before: Snapshot,
                    report: SmokeReport) -> None:
    phase = Phase("registry")
    report.phases.append(phase)
    start = time.monotonic()
    now = take_snapshot(prefix)
    entries = _entries(now, expect.package_id)
    phase.check("exactly one Add/Remove Programs entry", len(entries) == 1,
                "; ".join(entries) or "none")
    values = prefix.reg_query(expect.reg_key, view=64)
    values = (values or {}).get(_long_key(expect.reg_key), {})
    phase.check(f"the entry is under {expect.reg_key.split(chr(92))[0]} ({expect.scope} install)",
                bool(values) or bool(prefix.reg_query(expect.reg_key, view=32)), expect.reg_key)
    if not values:
        values = (prefix.reg_query(expect.reg_key, view=32) or {}).get(
            _long_key(expect.reg_key), {})

    def get(name: str) -> str:
        value = values.get(name.lower())
        return value.data if value else ""

    phase.check("DisplayName set", bool(get("DisplayName")), get("DisplayName"))
    phase.check("DisplayVersion is the recipe's version", get("DisplayVersion") == expect.version,
                get("DisplayVersion"))
    location = get("InstallLocation")
    phase.check("InstallLocation is the install folder",
                norm_dir(location) == norm_dir(expect.install_dir), location)
    for name in ("UninstallString", "QuietUninstallString"):
        command = get(name)
        exe = split_command(command)[0] if command else ""
        phase.check(f"{name} names an existing program",
                    bool(exe) and prefix.to_linux(exe).is_file(), command)
    phase.check("QuietUninstallString is silent (/S)", "/S" in get("QuietUninstallString").split())
    for scope, entries in expect.path.items():
        check_path_after_install(phase, scope, before.path.get(scope), now.path.get(scope),
                                 entries)
    phase.seconds = time.monotonic() - start


def _long_key(key: str) -> str:
    return normalize_key(key)


def _run_check(prefix: WinePrefix, expect: Expectation, report: SmokeReport) -> None:
    phase = Phase("check")
    report.phases.append(phase)
    path_value = effective_path(prefix.reg_value(ENV_KEY, "Path"),
                                prefix.reg_value(USER_ENV_KEY, "Path"))
    script_dir = prefix.drive_c / "windows" / "temp"
    script_dir.mkdir(parents=True, exist_ok=True)
    script = script_dir / f"choconsis-check-{os.getpid()}.cmd"
    script.write_text(check_script(path_value, expect.check_command), encoding="ascii",
                      errors="replace", newline="")
    try:
        result = prefix.run(["cmd", "/d", "/c", prefix.to_windows(script)], timeout=CHECK_TIMEOUT)
        prefix.wait()
    finally:
        script.unlink(missing_ok=True)
    phase.seconds = result.seconds
    expect.judge_check(phase, result.code, result.timed_out, result.output)


def _uninstall(prefix: WinePrefix, expect: Expectation, before: Snapshot, report: SmokeReport) -> None:
    phase = Phase("uninstall")
    report.phases.append(phase)
    quiet = prefix.reg_value(expect.reg_key, "QuietUninstallString") or prefix.reg_value(
        expect.reg_key, "QuietUninstallString", view=32)
    if not phase.check("QuietUninstallString registered", quiet is not None):
        return
    assert quiet is not None
    args = uninstall_args(quiet.data)
    result = prefix.run(args, timeout=INSTALL_TIMEOUT)
    prefix.wait()
    phase.seconds = result.seconds
    phase.output = result.output
    phase.check("uninstaller exited 0", result.code == 0 and not result.timed_out,
                f"exit {result.code}")
    _leftovers(prefix, expect, before, report, PureWindowsPath(args[0]))


def _leftovers(prefix: WinePrefix, expect: Expectation, before: Snapshot, report: SmokeReport,
               uninstaller: PureWindowsPath) -> None:
    phase = Phase("leftovers")
    report.phases.append(phase)
    start = time.monotonic()
    # Run with _?=, an NSIS uninstaller cannot delete its own running file (nor so its folder);
    # the registered command would have run a temporary copy and removed both. Only that
    # exact leftover is cleaned here; anything else left stays and fails below.
    exe = prefix.to_linux(str(uninstaller))
    folder = prefix.to_linux(expect.install_dir)
    if exe.is_file() and _only_leftover(folder, exe):
        phase.check("only the running uninstaller was left (expected with _?=); removed",
                    True, str(uninstaller))
        exe.unlink()
        # ... and the folders it would have removed after itself: its own, the install
        # folder, and for a per-user install %LOCALAPPDATA%\Programs if that is empty then
        stop = folder.parent.parent if expect.scope == "user" else folder.parent
        for parent in [exe.parent, *exe.parent.parents]:
            if parent == stop or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    phase.check("install folder removed", not folder.exists(),
                ", ".join(sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))[:8])
                if folder.exists() else "")
    after = take_snapshot(prefix)
    phase.check("Add/Remove Programs entry removed", not _entries(after, expect.package_id))
    for scope, entries in expect.path.items():
        value = after.path.get(scope)
        present = [e for e in entries
                   if value and norm_dir(e) in {norm_dir(x) for x in path_entries(value.data)}]
        phase.check(f"recipe entries gone from {scope} PATH", not present, ", ".join(present))
    diffs = diff_snapshots(before, after)
    phase.check("everything else as before install", not diffs, "; ".join(diffs))
    phase.seconds = time.monotonic() - start


def _only_leftover(folder: Path, exe: Path) -> bool:
    """True when exe is the only file left under folder."""
    if not folder.is_dir():
        return False
    files = [p for p in folder.rglob("*") if not p.is_dir()]
    return files == [exe]
