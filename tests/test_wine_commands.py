"""Commands that are not entry points, proven under Wine (issue 16): an app whose wheel ships,
in its ``.data/scripts``, a native program (ruff.exe's kind; a tiny one compiled here with
zig), a legacy ``#!python`` script with its ``.cmd`` companion (awscli's ``aws`` and
``aws.cmd``) and a batch file of its own. Its setup.exe (offline, wheels installed at build
time) is installed per user into a fresh prefix copy by ``smoke``, whose check runs the native
program and looks for its line ([check] expect); then each command runs from a new cmd.exe
with the PATH the registry gives, only the app's commands are in its PATH folder, and the
uninstall leaves the prefix as it was (smoke's snapshot comparison)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import tomlkit

from choconsis.build import BuildOptions, build
from choconsis.lock.lockfile import write_lock
from choconsis.lock.scripts import record_scripts
from choconsis.recipe import parse_recipe
from choconsis.smoke import run_smoke
from choconsis.smoke.wine import WinePrefix
from choconsis.wheelfiles import wheel_commands
from kit.locks import file_wheel, lock_of
from kit.wheels import make_wheel
from kit.wine.artifacts import runtime_zip
from kit.wine.fixtures import run_in_new_cmd
from kit.wine.native import TINY_LINE, tiny_exe

pytestmark = [pytest.mark.slow]

LEGACY = b"#!python\nimport sys\nprint('legacy script ran by ' + sys.executable)\n" \
         b"print('args: ' + ' '.join(sys.argv[1:]))\n"
# Its companion, as awscli's aws.cmd: left out of the default commands (aws gets a launcher).
COMPANION = b"@echo companion of legacy %*\r\n"
# A batch file of its own, using what lies beside it in Scripts (the environment's python).
HELLO = b'@"%~dp0python.exe" -c "print(\'hello.cmd ran\')"\r\n'


def write_app(root: Path, cache: Path) -> Path:
    """The recipe (with its lock, written by the lock-time code) and its artifacts folder."""
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True)
    wheel = make_wheel(artifacts, "kinds-app", "1.0", {"kinds_app/__init__.py": b""},
                       data_scripts={"tiny.exe": tiny_exe(cache).read_bytes(),
                                     "legacy": LEGACY, "legacy.cmd": COMPANION,
                                     "hello.cmd": HELLO})
    runtime = runtime_zip(cache)
    (artifacts / runtime.name).hardlink_to(runtime)
    data = {
        "package": {"id": "kinds-app", "version": "1.0", "title": "Kinds App",
                    "authors": "choconsis tests", "summary": "Commands of every kind.",
                    "description": "Built by tests/test_wine_commands.py.",
                    "project_url": "https://example.org/kinds",
                    "license_url": "https://example.org/kinds/license"},
        "python": {"version": "3.12.1", "arch": "amd64", "installer": "zip",
                   "url": f"https://files.example/dl/{runtime.name}",
                   "sha256": hashlib.sha256(runtime.read_bytes()).hexdigest(),
                   "install_dir": "C:\\KindsPy"},
        "install": {"scope": "user", "environment": "venv"},
        "pip": {"requirements": ["kinds-app==1.0"], "installer": "pip"},
        "check": {"command": "tiny --version", "expect": TINY_LINE},
    }
    recipe_path = root / "kinds-app.toml"
    recipe_path.write_text(tomlkit.dumps(data), encoding="utf-8")
    recipe = parse_recipe(data, str(recipe_path))
    lock = lock_of(recipe, [file_wheel(wheel, "kinds-app", "1.0")], installer=None)
    lock = record_scripts(lock, recipe.pip.requirements, None, lambda _w: wheel,
                          wheel_commands)
    write_lock(recipe_path.with_suffix(".lock"), lock, recipe_path.stem)
    return recipe_path


def test_a_native_program_a_legacy_script_and_a_batch_file_run_after_install(
        wine_prefix, tmp_path, test_cache, measurements):
    recipe = write_app(tmp_path / "app", test_cache)
    result = build(recipe, BuildOptions(out_dir=tmp_path / "dist", offline=True,
                                        preinstall=True, chocolatey=False,
                                        artifacts_dir=tmp_path / "app" / "artifacts",
                                        cache_dir=test_cache / "artifacts"))
    assert result.setup_exe is not None
    seen: dict[str, str] = {}

    def installed(prefix: WinePrefix) -> None:
        bin_folder = prefix.to_linux(prefix.folders()["user_programs"]) / "kinds-app" / "bin"
        assert sorted(p.name for p in bin_folder.iterdir()) == [
            "hello.cmd", "legacy.exe", "tiny.exe"]  # the app's commands, and only those
        # one new cmd.exe for the three (each start costs seconds under Wine); hello is a
        # batch file, so it comes last: a batch file run from another does not come back
        code, out = run_in_new_cmd(prefix, "tiny one two && legacy x y && hello")
        assert code == 0, out
        seen["out"] = out

    report = run_smoke(result.setup_exe, recipe=str(recipe), keep_prefix=None,
                       prefix=wine_prefix, scope="user", inspect=installed)
    measurements.append("commands of every kind: " + ", ".join(
        f"{p.name} {p.seconds:.1f} s" for p in report.phases))
    assert report.ok, report.format()
    out = seen["out"]
    assert f"{TINY_LINE}\narg: one\narg: two" in out.replace("\r\n", "\n"), out
    assert "args: x y" in out, out
    # the script ran with the environment's own python.exe (no file association, no PATH)
    assert "legacy script ran by c:\\users\\" in out.lower(), out
    assert "\\kinds-app\\env\\scripts\\python.exe" in out.lower(), out
    assert "hello.cmd ran" in out, out
