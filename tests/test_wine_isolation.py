"""Apps installed like Windows apps of today, proven under Wine.

Each app gets its own virtual environment (never the runtime's site-packages), only its
commands go on PATH, a per-user install writes nothing under HKLM, runtimes are shared by
the apps that use them and removed by the last one (never when they were there before), and
an upgrade leaves exactly the new lock in the environment. Real components: the WinPython
CPython 3.12 (as a zip, as a wixl MSI, and behind a python.org-like EXE), real wheels made
here, served by a loopback index (tests/kit/wheels.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from choconsis.smoke import run_smoke
from choconsis.smoke.registry import ENV_KEY, UNINSTALL_KEY, USER_ENV_KEY
from choconsis.smoke.wine import WinePrefix
from kit.wine.apps import (HKCU_UNINSTALL, RUNTIMES_KEY, App, build, install, run_in_new_cmd,
                           uninstall)
from kit.wine.artifacts import FAKE_PEP514_KEY, fake_python_exe, runtime_msi
from kit.wine.fixtures import dump

pytestmark = [pytest.mark.slow, pytest.mark.flaky(reruns=1)]

MACHINE_KEYS = [UNINSTALL_KEY, ENV_KEY, "HKLM\\" + RUNTIMES_KEY, r"HKLM\Software\Python"]
USER_KEYS = [HKCU_UNINSTALL, USER_ENV_KEY, "HKCU\\" + RUNTIMES_KEY, r"HKCU\Software\Python"]


def assert_winget_finds(prefix: WinePrefix, dist: Path, scope: str) -> None:
    """The winget manifest's entry for ``scope``: its ProductCode is the Add/Remove key
    setup.exe wrote (HKCU per user, HKLM for the machine), its AppsAndFeaturesEntries the
    values there."""
    [path] = (dist / "winget").rglob("*.installer.yaml")
    installers = yaml.safe_load(path.read_text(encoding="utf-8"))["Installers"]
    entry = next(e for e in installers if e.get("Scope") == scope)
    [arp] = entry["AppsAndFeaturesEntries"]
    key = f"{HKCU_UNINSTALL if scope == 'user' else UNINSTALL_KEY}\\{entry['ProductCode']}"
    for name in ("DisplayName", "Publisher", "DisplayVersion"):
        value = prefix.reg_value(key, name)
        assert value is not None and value.data == arp[name], (key, name, value)


def dists(prefix: WinePrefix, site_packages: str) -> set[str]:
    """The dist-info folders of a site-packages folder."""
    folder = prefix.to_linux(site_packages)
    return {p.name for p in folder.glob("*.dist-info")} if folder.is_dir() else set()


# ---------------------------------------------------------------------------- per user


def test_a_per_user_install_writes_nothing_under_hklm_and_puts_only_its_commands_on_path(
        components, wine_prefix, loopback, tmp_path, test_cache, measurements):
    """/S /CurrentUser with a python.org-like EXE runtime: no admin rights asked, files under
    %LOCALAPPDATA%, HKLM byte-identical, one HKCU Add/Remove entry and one PATH entry, the
    command runs from a new cmd, `python` is not on PATH, and uninstall restores HKCU."""
    app = App("iso-user", runtime="exe", scope="user", preinstalled=False)
    recipe, exe = build(app, tmp_path, loopback, test_cache)
    machine_before, user_before = dump(wine_prefix, MACHINE_KEYS), dump(wine_prefix, USER_KEYS)
    user_path_before = wine_prefix.reg_value(USER_ENV_KEY, "Path")
    programs = wine_prefix.folders()["user_programs"]
    seen: dict[str, object] = {}

    def installed(prefix: WinePrefix) -> None:
        assert dump(prefix, MACHINE_KEYS) == machine_before, "a per-user install wrote HKLM"
        assert not (prefix.drive_c / "Program Files" / app.app_id).exists()
        entries = prefix.reg_query(HKCU_UNINSTALL, recursive=True) or {}
        assert [k for k in entries if k.lower().endswith("\\" + app.app_id)], entries
        assert_winget_finds(prefix, exe.parent, "user")
        path = prefix.reg_value(USER_ENV_KEY, "Path")
        bin_dir = f"{programs}\\{app.app_id}\\bin"
        assert path is not None and path.data.split(";")[0] == bin_dir
        added = [e for e in path.data.split(";")
                 if e not in (user_path_before.data.split(";") if user_path_before else [])]
        assert added == [bin_dir]  # one PATH entry: the app's commands, nothing else
        code, out = run_in_new_cmd(prefix, app.command)
        assert code == 0 and "probe-app 1.0" in out, out
        # `where python` would say it, but Wine 8's where.exe is a stub (prints nothing,
        # exits 0): ask for python itself (cmd exits 9009 when no such command is found)
        code, out = run_in_new_cmd(prefix, "python --version")
        assert code == 9009 % 256 and "Python 3" not in out, f"python is on PATH: {out}"
        # the runtime went where python.org's per-user install goes, registered in HKCU
        runtime = f"{programs}\\Python\\Python312"
        assert prefix.reg_value("HKCU\\" + FAKE_PEP514_KEY, "").data == runtime
        # the app's packages are in its environment, never in the runtime's site-packages
        assert "probe_app-1.0.dist-info" in dists(
            prefix, f"{programs}\\{app.app_id}\\env\\Lib\\site-packages")
        assert not [d for d in dists(prefix, runtime + "\\Lib\\site-packages")
                    if d.startswith("probe_app")]
        seen["ok"] = True

    report = run_smoke(exe, recipe=str(recipe), keep_prefix=None, prefix=wine_prefix,
                       scope="user", inspect=installed)
    measurements.append("per-user venv (exe runtime): " + ", ".join(
        f"{p.name} {p.seconds:.1f} s" for p in report.phases))
    assert seen, report.format()
    assert report.ok, report.format()
    assert dump(wine_prefix, USER_KEYS) == user_before  # HKCU exactly as before
    assert dump(wine_prefix, MACHINE_KEYS) == machine_before


# ---------------------------------------------------------------------------- shared runtimes


def test_two_apps_share_a_runtime_and_the_last_one_removes_it(components, wine_prefix,
                                                               loopback, tmp_path, test_cache):
    """Machine scope, one MSI runtime: both apps work; uninstalling the first leaves the
    second working; uninstalling the second removes the runtime."""
    a, b = App("iso-a", runtime="msi", scope="machine"), App("iso-b", runtime="msi",
                                                             scope="machine")
    _, exe_a = build(a, tmp_path, loopback, test_cache)
    _, exe_b = build(b, tmp_path, loopback, test_cache)
    runtime = wine_prefix.to_linux(a.runtime_dir)
    install(wine_prefix, exe_a)
    install(wine_prefix, exe_b)
    for app in (a, b):
        exe = f"C:\\Program Files\\{app.app_id}\\bin\\{app.command}.exe"
        code, out = run_in_new_cmd(wine_prefix, f'"{exe}"')
        assert code == 0 and "probe-app 1.0" in out, out
    shared = wine_prefix.reg_query("HKLM\\" + RUNTIMES_KEY, recursive=True) or {}
    users = [name for values in shared.values() for name in values if name.startswith("app:")]
    assert sorted(users) == ["app:iso-a", "app:iso-b"], shared
    uninstall(wine_prefix, a.app_id)
    assert (runtime / "python.exe").is_file(), "the runtime went while iso-b still uses it"
    code, out = run_in_new_cmd(wine_prefix, b.command)
    assert code == 0 and "probe-app 1.0" in out, out
    assert not (wine_prefix.drive_c / "Program Files" / a.app_id).exists()
    uninstall(wine_prefix, b.app_id)
    assert not (runtime / "python.exe").exists(), "the last app left its runtime behind"
    assert wine_prefix.reg_query("HKLM\\" + RUNTIMES_KEY) is None


def test_runtimes_that_were_there_before_stay(components, wine_prefix, loopback, tmp_path,
                                              test_cache):
    """An MSI and an EXE runtime installed before the apps: both stay after the uninstall.
    The EXE app's recipe is per user (the default) and installs for the machine with
    /AllUsers: into Program Files, its Add/Remove entry under HKLM."""
    msi_app = App("iso-pre-msi", runtime="msi", scope="machine", runtime_dir="C:\\PreMsi312")
    exe_app = App("iso-pre-exe", runtime="exe", scope="user", runtime_dir="C:\\PreExe312")
    _, msi_exe = build(msi_app, tmp_path, loopback, test_cache)
    _, exe_exe = build(exe_app, tmp_path, loopback, test_cache)
    msi = wine_prefix.run(["msiexec", "/i", wine_prefix.to_windows(runtime_msi(test_cache)),
                           "/qn", "INSTALLDIR=" + msi_app.runtime_dir], timeout=600)
    wine_prefix.wait()
    assert msi.code == 0, msi.output
    fake = wine_prefix.run([wine_prefix.to_windows(fake_python_exe(test_cache)), "/quiet",
                            "InstallAllUsers=1", "TargetDir=" + exe_app.runtime_dir],
                           timeout=600)
    wine_prefix.wait()
    assert fake.code == 0, fake.output
    for app, exe, args in ((msi_app, msi_exe, ()), (exe_app, exe_exe, ("/AllUsers",))):
        install(wine_prefix, exe, *args)
        assert wine_prefix.reg_value(f"{UNINSTALL_KEY}\\{app.app_id}", "InstallLocation").data \
            == f"C:\\Program Files\\{app.app_id}"
        assert_winget_finds(wine_prefix, exe.parent, "machine")
        code, out = run_in_new_cmd(wine_prefix, app.command)
        assert code == 0 and "probe-app 1.0" in out, out
        uninstall(wine_prefix, app.app_id)
        assert (wine_prefix.to_linux(app.runtime_dir) / "python.exe").is_file(), \
            f"{app.app_id}: uninstall removed a runtime that was there before"
    assert wine_prefix.reg_value("HKLM\\" + FAKE_PEP514_KEY, "") is not None
    assert wine_prefix.reg_query("HKLM\\" + RUNTIMES_KEY) is None  # never counted as ours


# ---------------------------------------------------------------------------- upgrade


def test_an_upgrade_leaves_exactly_the_new_lock_in_the_environment(components, wine_prefix,
                                                                   loopback, tmp_path,
                                                                   test_cache):
    """1.0 -> 1.1: a dropped package is gone, changed ones are at their new versions, one
    Add/Remove entry, PATH as after a fresh install (pynsist #66)."""
    old = App("iso-upgrade", "1.0.0",
              packages=[("probe-app", "1.0"), ("dep-dropped", "1.0"), ("dep-changed", "1.0")])
    new = App("iso-upgrade", "1.1.0", packages=[("probe-app", "1.1"), ("dep-changed", "2.0")])
    _, exe_old = build(old, tmp_path, loopback, test_cache)
    _, exe_new = build(new, tmp_path, loopback, test_cache)
    install(wine_prefix, exe_old)
    programs = wine_prefix.folders()["user_programs"]
    site = f"{programs}\\iso-upgrade\\env\\Lib\\site-packages"
    assert dists(wine_prefix, site) == {"probe_app-1.0.dist-info", "dep_dropped-1.0.dist-info",
                                        "dep_changed-1.0.dist-info"}
    path_fresh = wine_prefix.reg_value(USER_ENV_KEY, "Path")
    install(wine_prefix, exe_new)
    assert dists(wine_prefix, site) == {"probe_app-1.1.dist-info", "dep_changed-2.0.dist-info"}
    assert not (wine_prefix.to_linux(site) / "dep_dropped").exists()
    entries = [k for k in (wine_prefix.reg_query(HKCU_UNINSTALL, recursive=True) or {})
               if k.lower().endswith("\\iso-upgrade")]
    assert len(entries) == 1
    version = wine_prefix.reg_value(HKCU_UNINSTALL + "\\iso-upgrade", "DisplayVersion")
    assert version is not None and version.data == "1.1.0"
    assert wine_prefix.reg_value(USER_ENV_KEY, "Path") == path_fresh
    code, out = run_in_new_cmd(wine_prefix, "probe-app")
    assert code == 0 and "probe-app 1.1" in out, out
    uninstall(wine_prefix, "iso-upgrade", root="HKCU")
    assert not wine_prefix.to_linux(f"{programs}\\iso-upgrade").exists()
