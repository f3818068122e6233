"""x86 for real: a 32-bit setup.exe in the 2013 recipe's shape, installed and removed under Wine.

The recipe has the shape of recipes/openstack-clients-2013.toml: an x86 MSI runtime, the real
pyOpenSSL 0.13 MSI as an extra installer, for the machine, packages into the runtime itself,
the runtime and its Scripts folder on the machine PATH, pip at install time. The runtime is the
32-bit stand-in of tests/kit/wine/artifacts.py (``runtime_msi_x86``: an x86 MSI that registers
itself where python.org's 2.7 MSI does, in the 32-bit view); the lock is one small real wheel
with a console script (tests/kit/wheels.py). setup.exe downloads both MSIs and the wheel from
a loopback server (web mode, the default).

A 32-bit program runs only under Wine's 32-bit side (Debian's wine32:i386, which
scripts/test.sh installs); without it the test skips, and fails under CI=true.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from choconsis.lock.lockfile import Lock
from choconsis.smoke import run_smoke
from choconsis.smoke.registry import ENV_KEY, UNINSTALL_KEY, RegKeyDump, RegValue, normalize_key
from choconsis.smoke.wine import WINE32_INSTALL, WinePrefix, pe_machine
from kit.wheels import app_wheel, serve_index
from kit.wine.artifacts import PY27_PEP514_KEY, PYOPENSSL_PRODUCT
from kit.wine.fixtures import Extra, RecipeSpec, build_installer, dump, long_path, write_recipe

pytestmark = [pytest.mark.slow, pytest.mark.flaky(reruns=1)]

APP = "choconsis-x86"
INSTALL_DIR = "C:\\ChocoPy32"
# The stand-in's directory property is INSTALLDIR (TARGETDIR does not redirect a wixl MSI).
MSI_ARGS = ("/qn", "/norestart", "ALLUSERS=1", "INSTALLDIR={install_dir}")
# What the install writes under HKLM\Software (itself and through the MSIs it runs), each key
# in both views: all of it must be in the 32-bit one (WOW6432Node) and none in the 64-bit one.
SOFTWARE_KEYS = [UNINSTALL_KEY, r"HKLM\Software\choconsis", r"HKLM\Software\Python"]


@pytest.fixture(scope="module")
def wine32(wine_tools):
    if not wine_tools.wine32:
        reason = (f"wine32 is not installed ({WINE32_INSTALL} && apt-get install wine32:i386; "
                  "scripts/test.sh does it): an x86 setup.exe would do nothing and exit 0")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return wine_tools


def values_of(dump_: RegKeyDump, key: str) -> dict[str, RegValue]:
    """The values of one key in a dump (key names compare case-insensitively, as in Windows)."""
    want = normalize_key(key).lower()
    return next((values for name, values in dump_.items() if name.lower() == want), {})


def x86_installer(tmp_path: Path, loopback, components, cache: Path) -> tuple[Path, Path]:
    """(recipe, setup.exe) of the 2013-shaped x86 app, everything served on loopback."""
    wheel = app_wheel(tmp_path / "wheels", "probe-app", "1.0", "probe-app")
    index, locked = serve_index(loopback, [wheel])
    requirement = "probe-app==1.0"
    runtime = components.runtime_msi_x86
    pyopenssl = components.pyopenssl_msi
    spec = RecipeSpec(
        package_id=APP, arch="x86", runtime="msi", runtime_file=runtime,
        runtime_url=loopback.add(f"/files/{runtime.name}", runtime.read_bytes()),
        runtime_args=MSI_ARGS, install_dir=INSTALL_DIR,
        installers=(Extra("pyOpenSSL 0.13", "msi", pyopenssl,
                          url=loopback.add(f"/files/{pyopenssl.name}", pyopenssl.read_bytes()),
                          args=("TARGETDIR={install_dir}",)),),
        requirement=requirement, index_url=index, check="probe-app")
    lock = Lock("cp312", "win32", (requirement,), index, tuple(locked))
    recipe = write_recipe(tmp_path / f"{APP}.toml", spec, lock)
    exe = build_installer(recipe, tmp_path / "out", offline=False, artifacts=None, cache=cache)
    return recipe, exe


def test_x86_setup_exe_writes_the_32_bit_view_and_undoes_everything(
        wine32, components, wine_prefix, loopback, tmp_path, wheel_store, measurements):
    """One install and uninstall of the 32-bit setup.exe: exit 0; its Add/Remove entry, the
    shared-runtime record and the runtime's PEP 514 key in the 32-bit registry view and nothing
    in the 64-bit one; pyOpenSSL in the runtime folder; the command runs from a new cmd with
    the registry's PATH; afterwards the machine PATH (%VAR% entries, REG_EXPAND_SZ, 3,000
    characters) is byte-identical and nothing of the install is left."""
    recipe, exe = x86_installer(tmp_path, loopback, components, wheel_store.cache_dir)
    assert pe_machine(exe) == "x86"
    wine_prefix.reg_add(ENV_KEY, "Path", long_path(3000), type="REG_EXPAND_SZ")
    path_before = wine_prefix.reg_value(ENV_KEY, "Path")
    software_before = dump(wine_prefix, SOFTWARE_KEYS)
    top_before = {p.name.lower() for p in wine_prefix.drive_c.iterdir()}
    seen: list[str] = []

    def installed(prefix: WinePrefix) -> None:
        now = dump(prefix, SOFTWARE_KEYS)
        assert now[0::2] == software_before[0::2], "the install wrote to the 64-bit view"
        uninstall, runtimes, python = now[1] or {}, now[3] or {}, now[5] or {}
        entry = values_of(uninstall, f"{UNINSTALL_KEY}\\{APP}")
        assert entry.get("displayversion") and entry["displayversion"].data == "1.0.0", uninstall
        assert values_of(uninstall, f"{UNINSTALL_KEY}\\{PYOPENSSL_PRODUCT}"), uninstall
        users = [name for values in runtimes.values() for name in values
                 if name.startswith("app:")]
        assert users == [f"app:{APP}"], runtimes  # the shared-runtime record of this app
        registered = values_of(python, "HKLM\\" + PY27_PEP514_KEY).get("")
        assert registered and registered.data.rstrip("\\") == INSTALL_DIR, python
        # pyOpenSSL went into the runtime, found there through the 32-bit key
        folder = prefix.to_linux(INSTALL_DIR)
        openssl = list(folder.rglob("OpenSSL/__init__.py"))
        assert openssl, f"pyOpenSSL is not under {INSTALL_DIR}"
        scattered = {p.name.lower() for p in prefix.drive_c.iterdir()} - top_before
        assert scattered == {folder.name.lower()}, f"files outside the folder: {scattered}"
        seen.append("installed")

    report = run_smoke(exe, recipe=str(recipe), keep_prefix=None, prefix=wine_prefix,
                       inspect=installed)
    measurements.append("x86 2013 shape: " + ", ".join(
        f"{p.name} {p.seconds:.1f} s" for p in report.phases))
    assert seen, report.format()
    assert report.ok, report.format()  # leftovers: files, both Uninstall views, PATH
    assert "probe-app 1.0" in report.phase("check").output
    assert wine_prefix.reg_value(ENV_KEY, "Path") == path_before  # every character, the type
    assert dump(wine_prefix, SOFTWARE_KEYS) == software_before
