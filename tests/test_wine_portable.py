"""The portable zip and its Scoop manifest, proven under Wine: unpacked into a user folder of
a fresh prefix, each command runs by its launcher and through a shim elsewhere (as Scoop's
bin entry runs it), again after the folder moved (to a path with spaces), and once the folder
is deleted nothing outside it changed: registry (Uninstall keys, Python registrations,
environment) and PATH byte-identical, no file added or removed. The WinPython runtime zip the
other Wine tests cache, one small app wheel with two console scripts and a legacy script."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from choconsis.build import BuildOptions, build
from choconsis.smoke.registry import ENV_KEY, USER_ENV_KEY
from choconsis.smoke.snapshot import diff_snapshots, take_snapshot
from choconsis.smoke.wine import WinePrefix
from kit.release import COMMANDS, write_release
from kit.wine.artifacts import runtime_zip
from kit.wine.fixtures import dump

pytestmark = [pytest.mark.slow]

KEYS = [ENV_KEY, USER_ENV_KEY, r"HKLM\Software\Python", r"HKCU\Software\Python",
        r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall",
        r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"]


def run(prefix: WinePrefix, args: list[str], cwd: Path) -> str:
    result = prefix.run(args, timeout=300, cwd=cwd)
    prefix.wait()
    assert result.code == 0, result.output
    return result.output


def run_everywhere(prefix: WinePrefix, folder: Path, scoop: dict, elsewhere: Path) -> None:
    """Each command by its launcher, then through a shim in another folder started from a
    third one (Scoop's shims start bin's program by its full path)."""
    win_folder = prefix.to_windows(folder)
    expected = f"hello-app 1.0 from {win_folder}\\runtime"
    out = run(prefix, [f"{win_folder}\\bin\\hello.exe", "one", "two words"], elsewhere)
    assert expected.lower() in out.lower() and "args: one two words" in out, out
    out = run(prefix, [f"{win_folder}\\bin\\hello-admin.exe", "x"], elsewhere)
    assert "hello-admin ['x']" in out, out
    shims = elsewhere / "shims"
    shims.mkdir(exist_ok=True)
    for program, alias in scoop["bin"]:  # hello-legacy's: a #!python script's launcher
        shim = shims / f"{alias}.cmd"
        shim.write_text(f'@"{win_folder}\\{program}" %*\r\n', encoding="ascii", newline="")
        out = run(prefix, ["cmd", "/d", "/c", prefix.to_windows(shim), "via-shim"], elsewhere)
        assert "via-shim" in out, out
        assert alias != "hello-legacy" or "hello-legacy ['via-shim']" in out, out
    out = run(prefix, ["cmd", "/d", "/c", prefix.to_windows(shims / "hello.cmd"), "a"],
              elsewhere)
    assert expected.lower() in out.lower(), out


def test_the_portable_zip_runs_from_any_folder_and_changes_nothing_outside_it(
        wine_prefix, tmp_path, test_cache, measurements):
    recipe, artifacts = write_release(tmp_path / "release", runtime_zip(test_cache),
                                      outputs=["portable", "scoop"])
    result = build(recipe, BuildOptions(out_dir=tmp_path / "dist", artifacts_dir=artifacts,
                                        cache_dir=test_cache / "artifacts"))
    archive = tmp_path / "dist" / "hello-app-1.0-portable.zip"
    scoop = json.loads((tmp_path / "dist" / "scoop" / "hello-app.json").read_text("utf-8"))
    assert [d.output for d in result.outputs] == ["portable", "scoop"]
    assert [alias for _program, alias in scoop["bin"]] == list(COMMANDS)

    before, keys_before = take_snapshot(wine_prefix), dump(wine_prefix, KEYS)
    user = wine_prefix.to_linux(wine_prefix.folders()["user_programs"]).parent.parent.parent
    folder = user / "Portable" / "hello-app"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    elsewhere = user / "work"  # not Documents: Wine links it to the Linux home
    elsewhere.mkdir()
    run_everywhere(wine_prefix, folder, scoop, elsewhere)

    moved = wine_prefix.drive_c / "Moved Apps" / "hello app"
    moved.parent.mkdir()
    folder.rename(moved)
    run_everywhere(wine_prefix, moved, scoop, elsewhere)

    for made in (moved.parent, folder.parent, elsewhere):
        shutil.rmtree(made)
    assert dump(wine_prefix, KEYS) == keys_before
    assert diff_snapshots(before, take_snapshot(wine_prefix)) == []
    measurements.append(f"portable zip: {archive.stat().st_size // 1024} KiB")
