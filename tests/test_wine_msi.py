"""The MSI under Windows Installer (Wine's msiexec): per user without elevation, the command
runs from a new cmd, and the uninstall by ProductCode leaves the registry (Uninstall keys,
the environment, choconsis' record) and PATH byte-identical and the folder gone; an upgrade
1.0 -> 1.1 leaves one Add/Remove entry; a failing check rolls the install back (1603) and
leaves nothing. The WinPython runtime zip the other Wine tests cache, one small app wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from choconsis.build import BuildOptions, build
from choconsis.smoke.registry import ENV_KEY, USER_ENV_KEY
from choconsis.smoke.snapshot import diff_snapshots, take_snapshot
from kit.release import write_release
from kit.wine.artifacts import runtime_zip
from kit.wine.fixtures import APP_KEYS, dump
from kit.wine.msiexec import install_per_user, msiexec

pytestmark = [pytest.mark.slow]



def build_msi(root: Path, test_cache: Path, **release) -> Path:
    recipe, artifacts = write_release(root, runtime_zip(test_cache), outputs=["msi"], **release)
    result = build(recipe, BuildOptions(out_dir=root / "dist", artifacts_dir=artifacts,
                                        cache_dir=test_cache / "artifacts", offline=True,
                                        preinstall=True))
    return result.outputs[0].path


def product_code(msi: Path) -> str:
    import subprocess
    rows = subprocess.run(["msiinfo", "export", str(msi), "Property"], capture_output=True,
                          text=True, check=True).stdout.splitlines()
    return next(r.split("\t")[1] for r in rows if r.startswith("ProductCode\t"))


@pytest.fixture(scope="module")
def msi_1_0(tmp_path_factory, test_cache, wine_tools) -> Path:
    """hello-app 1.0's MSI, built once for the tests below."""
    return build_msi(tmp_path_factory.mktemp("msi-1.0"), test_cache)


def test_per_user_install_runs_the_command_and_uninstall_leaves_nothing(
        wine_prefix, tmp_path, msi_1_0, measurements):
    msi = msi_1_0
    before, keys_before = take_snapshot(wine_prefix), dump(wine_prefix, APP_KEYS)
    assert install_per_user(wine_prefix, msi, cwd=tmp_path) == 0
    folder = wine_prefix.to_linux(wine_prefix.folders()["user_programs"]) / "hello-app"
    assert (folder / "bin").is_dir() and (folder / "env").is_dir(), sorted(folder.iterdir())
    out = wine_prefix.run(["cmd", "/d", "/c", "hello", "a b"], timeout=120, cwd=tmp_path)
    wine_prefix.wait()
    assert out.code == 0 and "hello-app 1.0" in out.output, out.output
    keys = dump(wine_prefix, APP_KEYS)
    entry = str(keys)
    assert "Hello App" in entry and "Hello Org" in entry and product_code(msi) in entry, keys
    assert "name='Size', type='REG_SZ', data='" in entry  # ARPSIZE (Wine: Size, not EstimatedSize)
    code = msiexec(wine_prefix, "/x", product_code(msi), "/qn", cwd=tmp_path)
    assert code == 0
    assert not folder.exists(), sorted(p.name for p in folder.rglob("*"))[:20]
    assert dump(wine_prefix, APP_KEYS) == keys_before
    assert diff_snapshots(before, take_snapshot(wine_prefix)) == []
    measurements.append(f"MSI: {msi.stat().st_size // 1024} KiB")


def test_per_machine_install_with_allusers_1_and_its_uninstall(wine_prefix, tmp_path,
                                                               msi_1_0):
    """The same MSI for the machine: Program Files, the machine PATH; nothing left after."""
    before, keys_before = take_snapshot(wine_prefix), dump(wine_prefix, APP_KEYS)
    assert msiexec(wine_prefix, "/i", wine_prefix.to_windows(msi_1_0), "/qn", "ALLUSERS=1",
                   cwd=tmp_path) == 0
    folder = wine_prefix.drive_c / "Program Files" / "hello-app"
    assert (folder / "bin" / "hello.exe").is_file()
    path = wine_prefix.reg_value(ENV_KEY, "Path")
    assert path is not None and path.data.startswith("C:\\Program Files\\hello-app\\bin;")
    assert path.type == "REG_EXPAND_SZ"
    out = wine_prefix.run(["cmd", "/d", "/c", "hello"], timeout=120, cwd=tmp_path)
    wine_prefix.wait()
    assert out.code == 0 and "hello-app 1.0" in out.output, out.output
    assert msiexec(wine_prefix, "/x", product_code(msi_1_0), "/qn", cwd=tmp_path) == 0
    assert not folder.exists()
    assert dump(wine_prefix, APP_KEYS) == keys_before
    assert diff_snapshots(before, take_snapshot(wine_prefix)) == []


def test_upgrade_replaces_1_0_with_1_1_in_one_entry(wine_prefix, tmp_path, test_cache,
                                                    msi_1_0):
    old = msi_1_0
    new = build_msi(tmp_path / "new", test_cache, version="1.1")
    assert install_per_user(wine_prefix, old, cwd=tmp_path) == 0
    assert install_per_user(wine_prefix, new, cwd=tmp_path) == 0
    out = wine_prefix.run(["cmd", "/d", "/c", "hello"], timeout=120, cwd=tmp_path)
    wine_prefix.wait()
    assert out.code == 0 and "hello-app 1.1" in out.output, out.output
    entries = str(dump(wine_prefix, APP_KEYS))
    assert product_code(new) in entries and product_code(old) not in entries
    assert entries.count("'Hello App'") == 1, entries
    path = wine_prefix.reg_value(USER_ENV_KEY, "Path")
    assert path is not None and path.data.count("hello-app") == 1, path


def test_a_failing_check_rolls_the_install_back(wine_prefix, tmp_path, test_cache):
    msi = build_msi(tmp_path / "release", test_cache,
                    check={"command": "hello --version", "expect": "not in the output"})
    before, keys_before = take_snapshot(wine_prefix), dump(wine_prefix, APP_KEYS)
    # Windows returns 1603 when a custom action fails; Wine 8.0's msiexec 1627
    # (ERROR_FUNCTION_FAILED) after the same rollback
    assert install_per_user(wine_prefix, msi, cwd=tmp_path) in (1603 % 256, 1627 % 256)
    assert dump(wine_prefix, APP_KEYS) == keys_before
    assert diff_snapshots(before, take_snapshot(wine_prefix)) == []
