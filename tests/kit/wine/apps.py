"""Small apps for the Wine tests: a recipe of real wheels made here (tests/kit/wheels.py),
served with its runtime on loopback, built by choconsis, installed and removed silently."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from choconsis.lock.lockfile import Lock, LockedWheel, write_lock
from choconsis.smoke import uninstall_args
from choconsis.smoke.wine import WinePrefix
from kit.locks import UV_VERSION
from kit.wheels import app_wheel, serve_index
from kit.wine.artifacts import (fake_python_exe, runtime_msi, runtime_zip, sha256_of,
                                uv_wheel_file)
from kit.wine.fixtures import run_in_new_cmd  # noqa: F401  (the apps' tests run commands with it)

RUNTIMES_KEY = r"Software\choconsis\Runtimes"
HKCU_UNINSTALL = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall"
# The wixl runtime MSI's directory property is INSTALLDIR (see tests/kit/wine/artifacts.py).
MSI_ARGS = ["/qn", "/norestart", "ALLUSERS=1", "INSTALLDIR={runtime_dir}"]


@dataclass
class App:
    """One app's recipe: its runtime (zip | exe | msi), scope, packages and command."""

    app_id: str
    version: str = "1.0.0"
    runtime: str = "zip"
    scope: str = "user"
    packages: list[tuple[str, str]] = field(default_factory=lambda: [("probe-app", "1.0")])
    command: str = "probe-app"
    runtime_dir: str = "C:\\SharedPy312"  # an EXE or MSI runtime's folder (machine)
    # the lock installed at install time (web, by uv) or at build time (offline
    # --preinstall, faster to install: for the tests that are not about installing the lock)
    preinstalled: bool = True
    expect: str = ""  # [check] expect: text the check's output must contain


def build(app: App, tmp_path: Path, loopback, cache: Path) -> tuple[Path, Path]:
    """(recipe, setup.exe) of the app, everything served on loopback."""
    from choconsis.build import BuildOptions, build as choconsis_build

    work = tmp_path / f"{app.app_id}-{app.version}"
    wheels = [app_wheel(work / "wheels", name, version,
                        app.command if name == app.packages[0][0] else "")
              for name, version in app.packages]
    index, locked = serve_index(loopback, wheels, prefix=f"/{app.app_id}-{app.version}/simple")
    artifacts = work / "artifacts"
    artifacts.mkdir(parents=True)
    python: dict = {"version": "3.12.1", "arch": "amd64", "installer": app.runtime,
                    "install_dir": app.runtime_dir}
    if app.runtime == "zip":
        source = runtime_zip(cache)
        shutil.copyfile(source, artifacts / source.name)
        python["url"] = f"http://127.0.0.1:9/{source.name}"
    else:
        source = fake_python_exe(cache) if app.runtime == "exe" else runtime_msi(cache)
        python["url"] = loopback.add(f"/runtime/{source.name}", source.read_bytes())
        if app.runtime == "msi":
            python["args"] = MSI_ARGS
    python["sha256"] = sha256_of(source)
    uv = uv_wheel_file(cache)  # PyPI's uv wheel, downloaded by web installers from loopback
    installer = LockedWheel("uv", UV_VERSION, sha256_of(uv), uv.name,
                            loopback.add(f"/tools/{uv.name}", uv.read_bytes()))
    requirements = [f"{n}=={v}" for n, v in app.packages]
    data = {
        "package": {"id": app.app_id, "version": app.version, "title": f"Test app {app.app_id}",
                    "authors": "choconsis tests", "summary": "An app of the isolation tests.",
                    "description": "Built by tests/test_wine_isolation.py.",
                    "project_url": "https://example.org/choconsis-tests",
                    "license_url": "https://example.org/choconsis-tests/license"},
        "python": python,
        "install": {"scope": app.scope, "environment": "venv"},
        "pip": {"requirements": requirements, "index_url": index},
        "check": {"command": app.command, **({"expect": app.expect} if app.expect else {})},
        # winget's manifests too: their ProductCode must be what setup.exe writes
        "release": {"url": "https://example.org/{id}/{file}", "license": "MIT",
                    "outputs": ["setup", "winget"]},
    }
    recipe = work / f"{app.app_id}.toml"
    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    write_lock(recipe.with_suffix(".lock"), Lock("cp312", "win_amd64", tuple(requirements),
                                                 index, tuple(locked), installer=installer))
    result = choconsis_build(recipe, BuildOptions(out_dir=work / "dist", chocolatey=False,
                                                  offline=app.preinstalled,
                                                  preinstall=app.preinstalled,
                                                  artifacts_dir=artifacts,
                                                  cache_dir=cache / "artifacts"))
    assert result.setup_exe is not None
    return recipe, result.setup_exe


def install(prefix: WinePrefix, exe: Path, *args: str) -> None:
    result = prefix.run([prefix.to_windows(exe), "/S", *args], timeout=900)
    prefix.wait()
    assert result.code == 0, result.output


def uninstall(prefix: WinePrefix, app_id: str, root: str = "HKLM") -> None:
    key = f"{root}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{app_id}"
    quiet = prefix.reg_value(key, "QuietUninstallString")
    assert quiet is not None, f"no Add/Remove entry {key}"
    args = uninstall_args(quiet.data)
    result = prefix.run(args, timeout=900)
    prefix.wait()
    assert result.code == 0, result.output
    # run in place (_?=): only the running uninstaller itself may stay; Windows' own copy
    # of it (the registered command) removes it too, and with it the folders it leaves
    # empty: its own and the install folder (rmdir fails when anything else was left)
    program = Path(prefix.to_linux(args[0]))
    program.unlink(missing_ok=True)
    for folder in (program.parent, program.parent.parent):
        if folder.is_dir():
            folder.rmdir()
