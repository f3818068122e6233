"""A private runtime package from python.org's install-manager index, end to end under Wine.

``choconsis new`` of a small CLI on a loopback package index, with ``--python-index-url``
naming a loopback install-manager index (two pages, a relative URL, a pre-release, an entry
without a sha256: kit.runtimes) that serves the WinPython CPython 3.12 runtime as a runtime
package; the recipe it writes builds (web mode: the build never fetches the package),
passes ``choconsis check``, installs per user without admin rights in a fresh prefix copy
(setup.exe downloads the package from loopback at install time, checks its sha256 and
unpacks it with tar.exe: the stand-in of choconsis.smoke.tar under Wine), its command runs,
nothing is registered under the PEP 514 keys (Software\\Python), and the uninstall leaves
nothing (folder, HKCU, PATH). Then a setup.exe whose pin the served package does not match
stops at install time with the worded reason in its log, and leaves nothing either.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from choconsis.recipe import load_recipe
from choconsis.smoke import run_smoke
from choconsis.smoke.registry import ENV_KEY, UNINSTALL_KEY, USER_ENV_KEY
from choconsis.smoke.run import find_log, read_log
from choconsis.smoke.wine import WinePrefix
from kit.cli import run_cli
from kit.index import FakeIndex, Release
from kit.runtimes import serve_runtime_index
from kit.wheels import app_wheel
from kit.wine.artifacts import uv_wheel_file
from kit.wine.fixtures import dump

pytestmark = [pytest.mark.slow, pytest.mark.flaky(reruns=1)]

HKCU_UNINSTALL = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall"
PEP514 = [r"HKLM\Software\Python", r"HKCU\Software\Python"]
MACHINE = [UNINSTALL_KEY, ENV_KEY, r"HKLM\Software\choconsis", r"HKLM\Software\Python"]
METADATA = ("Summary: A small probe tool.", "Home-page: https://example.org/probe-tool",
            "Author: choconsis tests", "License-Expression: MIT")


def test_new_with_a_runtime_package_builds_installs_per_user_and_leaves_nothing(
        components, wine_prefix: WinePrefix, loopback, tmp_path: Path, test_cache: Path,
        capsys, monkeypatch, measurements):
    monkeypatch.setenv("CHOCONSIS_CACHE", str(test_cache / "artifacts"))
    site = serve_runtime_index(loopback, components.runtime_zip.read_bytes())
    index = FakeIndex(loopback)
    wheel = app_wheel(tmp_path / "wheels", "probe-tool", "1.0", "probe-tool", METADATA)
    uv = uv_wheel_file(test_cache)  # the real uv wheel: it installs the lock under Wine
    index.projects["probe-tool"] = [Release(wheel.name, wheel.read_bytes())]
    index.projects["uv"] = [Release(uv.name, uv.read_bytes())]
    index.publish(with_uv=False)

    code, out, err = run_cli(capsys, "new", "probe-tool", "-d", str(tmp_path), "--index-url",
                             index.url, "--python-index-url", site.url)
    assert code == 0, err
    recipe_path = tmp_path / "probe-tool.toml"
    recipe = load_recipe(recipe_path)
    assert (recipe.python.installer, recipe.python.url, recipe.python.sha256) == (
        "package", site.package_url, site.sha256)
    assert recipe.scope == "user" and not recipe.path.prepend

    code, out, err = run_cli(capsys, "build", str(recipe_path), "-o", str(tmp_path / "dist"))
    assert code == 0, err
    code, out, err = run_cli(capsys, "check", str(tmp_path / "dist"))
    assert code == 0, out + err
    code, out, err = run_cli(capsys, "check", str(recipe_path))
    assert code == 0, out + err
    setup_exe = tmp_path / "dist" / "probe-tool-1.0-setup.exe"
    package_path = urlsplit(site.package_url).path
    assert loopback.hits.get(package_path, 0) == 0, "a web build fetched the runtime package"
    assert setup_exe.stat().st_size < components.runtime_zip.stat().st_size // 4

    machine_before, pep514_before = dump(wine_prefix, MACHINE), dump(wine_prefix, PEP514)
    user_path_before = wine_prefix.reg_value(USER_ENV_KEY, "Path")
    app = f"{wine_prefix.folders()['user_programs']}\\probe-tool"
    seen: dict[str, bool] = {}

    def installed(prefix: WinePrefix) -> None:
        assert dump(prefix, MACHINE) == machine_before, "a per-user install wrote HKLM"
        assert dump(prefix, PEP514) == pep514_before, "the private runtime was registered"
        folder = prefix.to_linux(app)
        runtime = folder / "runtime" if recipe.environment == "venv" else folder
        assert (runtime / "python.exe").is_file(), sorted(p.name for p in folder.iterdir())
        assert not (prefix.drive_c / "Program Files" / "probe-tool").exists()
        path = prefix.reg_value(USER_ENV_KEY, "Path")
        assert path is not None and path.data.split(";")[0] == f"{app}\\bin"
        entries = prefix.reg_query(HKCU_UNINSTALL, recursive=True) or {}
        assert [k for k in entries if k.lower().endswith("\\probe-tool")], entries
        seen["installed"] = True

    report = run_smoke(setup_exe, recipe=str(recipe_path), keep_prefix=None, prefix=wine_prefix,
                       scope="user", inspect=installed)
    measurements.append(f"runtime package, per user ({recipe.environment}): " + ", ".join(
        f"{p.name} {p.seconds:.1f} s" for p in report.phases))
    assert report.ok and seen, report.format()
    assert loopback.hits[package_path] == 1  # downloaded once, at install time
    assert not wine_prefix.to_linux(app).exists()
    assert dump(wine_prefix, PEP514) == pep514_before
    assert dump(wine_prefix, MACHINE) == machine_before
    def entries(value) -> list[str]:
        return [e for e in (value.data if value else "").split(";") if e]

    assert entries(wine_prefix.reg_value(USER_ENV_KEY, "Path")) == entries(user_path_before)

    # a package that does not match the pin: refused at install time, said in the log
    bad = "0" * 64
    recipe_path.write_text(recipe_path.read_text(encoding="utf-8").replace(site.sha256, bad),
                           encoding="utf-8")
    code, out, err = run_cli(capsys, "build", str(recipe_path), "-o", str(tmp_path / "bad"))
    assert code == 0, err
    bad_exe = tmp_path / "bad" / "probe-tool-1.0-setup.exe"
    result = wine_prefix.run([wine_prefix.to_windows(bad_exe), "/S", "/CurrentUser"],
                             timeout=300)
    wine_prefix.wait()
    assert result.code != 0, result.output
    log = find_log(wine_prefix.drive_c / "users", "probe-tool-install.log")
    assert log is not None
    text = read_log(log)
    assert (f"FAILED: step 1 (Python {recipe.python.version} (amd64)): sha256 mismatch for "
            f"{site.package_url}: got {site.sha256}, expected {bad}") in text, text
    assert loopback.hits[package_path] == 2
    assert not wine_prefix.to_linux(app).exists()
    assert entries(wine_prefix.reg_value(USER_ENV_KEY, "Path")) == entries(user_path_before)
