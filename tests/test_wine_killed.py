"""An install killed in the middle leaves no orphan, proven under Wine.

setup.exe writes its uninstaller and an Add/Remove Programs entry marked incomplete before
anything else. Killed (``wineserver -k``, as power loss or Task Manager would) while the
engine fills the app's environment, the install can be repaired by running setup.exe again,
or removed with the registered uninstall command. One build (a small app of wheels made
here, pre-installed at build time: pip is not the subject) serves both, each on its own copy
of the clean prefix; and an uninstaller that stops says why in its log.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from choconsis.smoke.registry import USER_ENV_KEY
from choconsis.smoke.wine import WinePrefix
from kit.http import LoopbackServer
from kit.wine.apps import HKCU_UNINSTALL, App, build, run_in_new_cmd, uninstall
from kit.wine.fixtures import dump

pytestmark = [pytest.mark.slow]

APP = App("killed-app", runtime="zip", scope="user", preinstalled=True)
KEY = f"{HKCU_UNINSTALL}\\{APP.app_id}"
USER_KEYS = [HKCU_UNINSTALL, USER_ENV_KEY]
# the engine's log line once the app's environment is made: the packages come next
ENVIRONMENT_DONE = "(the app's environment): done"


def read_utf16(path: Path) -> str:
    data = path.read_bytes() if path.is_file() else b""
    return data[:len(data) - len(data) % 2].decode("utf-16-le", "ignore")


def temp_folder(prefix: WinePrefix) -> Path:
    return prefix.to_linux(prefix.run(["cmd", "/c", "echo %TEMP%"]).output.strip())


def install_killed_in_the_middle(prefix: WinePrefix, exe: Path) -> str:
    """Start setup.exe /S, kill every process of the prefix as soon as the install log says
    the environment is made, and return the log as it was left."""
    folder = prefix.to_linux(f"{prefix.folders()['user_programs']}\\{APP.app_id}")
    log = folder / f"choconsis-{APP.app_id}" / f"{APP.app_id}-install.log"
    process = subprocess.Popen([prefix.tools.wine, prefix.to_windows(exe), "/S"],
                               env=prefix.env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while ENVIRONMENT_DONE not in read_utf16(log):
            assert process.poll() is None, f"setup.exe ended first: {read_utf16(log)}"
            assert time.monotonic() < deadline, read_utf16(log)
            time.sleep(0.05)
    finally:
        prefix.kill()
        process.wait(timeout=60)
    text = read_utf16(log)
    assert "installed; uninstall with" not in text, "the kill came too late"
    return text


@pytest.fixture(scope="module")
def setup_exe(wine_tools, tmp_path_factory, test_cache) -> Path:
    """One offline build for both tests (the loopback index serves it only while it builds)."""
    with LoopbackServer() as loopback:
        return build(APP, tmp_path_factory.mktemp("killed"), loopback, test_cache)[1]


def assert_incomplete_entry(prefix: WinePrefix) -> None:
    name = prefix.reg_value(KEY, "DisplayName")
    assert name is not None and name.data.endswith("(incomplete install)"), name
    assert prefix.reg_value(KEY, "ChoconsisIncomplete") is not None
    assert prefix.reg_value(KEY, "QuietUninstallString") is not None


def test_a_killed_install_is_repaired_by_running_setup_again(setup_exe, wine_prefix):
    install_killed_in_the_middle(wine_prefix, setup_exe)
    assert_incomplete_entry(wine_prefix)
    result = wine_prefix.run([wine_prefix.to_windows(setup_exe), "/S"], timeout=600)
    wine_prefix.wait()
    assert result.code == 0, read_utf16(temp_folder(wine_prefix) / f"{APP.app_id}-install.log")
    entries = [k for k in (wine_prefix.reg_query(HKCU_UNINSTALL, recursive=True) or {})
               if k.lower().endswith("\\" + APP.app_id)]
    assert len(entries) == 1, entries
    assert wine_prefix.reg_value(KEY, "DisplayName").data == f"Test app {APP.app_id}"
    assert wine_prefix.reg_value(KEY, "ChoconsisIncomplete") is None
    code, out = run_in_new_cmd(wine_prefix, APP.command)
    assert code == 0 and "probe-app 1.0" in out, out
    # the install-time check's output is in the install log
    folder = wine_prefix.to_linux(f"{wine_prefix.folders()['user_programs']}\\{APP.app_id}")
    log = read_utf16(folder / f"choconsis-{APP.app_id}" / f"{APP.app_id}-install.log")
    assert "): its output: probe-app 1.0" in log, log


def test_a_killed_install_is_removed_by_its_registered_uninstaller(setup_exe, wine_prefix):
    before = dump(wine_prefix, USER_KEYS)
    folder = wine_prefix.to_linux(f"{wine_prefix.folders()['user_programs']}\\{APP.app_id}")
    install_killed_in_the_middle(wine_prefix, setup_exe)
    assert_incomplete_entry(wine_prefix)
    assert (folder / "runtime").is_dir() and (folder / "env").is_dir()  # half an install
    # an uninstaller started outside its folder stops, with its reason in its log
    state = folder / f"choconsis-{APP.app_id}"
    stray = wine_prefix.drive_c / "stray" / "uninstall.exe"
    stray.parent.mkdir()
    stray.write_bytes((state / "uninstall.exe").read_bytes())
    # in place (_?=: else it runs a copy of itself and exits 0 at once); not C:\ itself,
    # which NSIS refuses before any code of the uninstaller runs
    result = wine_prefix.run([wine_prefix.to_windows(stray), "/S", "_?=C:\\stray"])
    wine_prefix.wait()
    assert result.code == 2
    assert "setup.exe stops (exit code 2): This uninstaller must stay in its folder" in \
        read_utf16(temp_folder(wine_prefix) / f"{APP.app_id}-uninstall.log")
    stray.unlink()
    stray.parent.rmdir()
    uninstall(wine_prefix, APP.app_id, root="HKCU")
    assert not folder.exists(), sorted(str(p) for p in folder.rglob("*"))[:10]
    assert dump(wine_prefix, USER_KEYS) == before  # the entry and the PATH entry are gone
