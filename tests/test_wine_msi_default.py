"""Issue 18's "done when" under Windows Installer: the default recipe's clients from its MSI.

python.org is unreachable here, so the default recipe's 3.14 package cannot be fetched; the
nearest real thing is the same recipe on the real CPython 3.12 the other Wine tests run
(WinPython's, as a runtime package served on loopback), re-locked for cp312 with uv. Everything
else is the shipped recipe: its six clients, per user, a venv, only the clients' commands on
PATH, and its install-time check (`openstack --version` must print "openstack 10.5.0"), which
msiexec runs as a deferred custom action. Then the uninstall by ProductCode leaves the registry
and PATH as they were and the folder gone."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest
import tomlkit

from choconsis.backends.msi.wix import product_code
from choconsis.build import BuildOptions, build
from choconsis.smoke.registry import USER_ENV_KEY
from choconsis.smoke.snapshot import diff_snapshots, take_snapshot
from kit.cli import run_cli
from kit.recipes import recipe_data
from kit.wine.artifacts import runtime_zip
from kit.wine.fixtures import APP_KEYS, dump, needs_pypi
from kit.wine.msiexec import install_per_user, msiexec

pytestmark = [pytest.mark.slow]

ID, VERSION = "openstack-clients", "10.5.0"


def default_recipe_on_cp312(root: Path, url: str, runtime: bytes) -> Path:
    data = recipe_data(ID)
    data["python"].update(version="3.12.1", url=url, sha256=hashlib.sha256(runtime).hexdigest())
    data["python"].pop("index_id", None)  # WinPython's build is no python.org index entry
    data["release"] = {"outputs": ["msi"]}
    recipe = root / f"{ID}.toml"
    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    return recipe


def test_the_default_recipes_clients_install_from_its_msi_and_leave_with_it(
        wine_prefix, wine_tools, loopback, tmp_path, test_cache, measurements, capsys):
    runtime = runtime_zip(test_cache).read_bytes()
    url = loopback.add("/ftp/python/3.12.1/python-3.12.1-amd64.zip", runtime)
    recipe = default_recipe_on_cp312(tmp_path, url, runtime)
    code, _, err = needs_pypi(lambda: run_cli(capsys, "lock", str(recipe)),
                              "a cp312 lock of the clients")
    assert code == 0, err
    packages = tomllib.loads((tmp_path / f"pylock.{ID}.toml").read_text("utf-8"))["packages"]
    assert {"python-openstackclient", "keystoneauth1"} <= {p["name"] for p in packages}
    result = needs_pypi(lambda: build(recipe, BuildOptions(
        out_dir=tmp_path / "dist", cache_dir=test_cache / "artifacts", offline=True,
        preinstall=True)), "the clients' cp312 wheels")
    [msi] = [d.path for d in result.outputs]

    before, keys_before = take_snapshot(wine_prefix), dump(wine_prefix, APP_KEYS)
    # the install-time check must see "openstack 10.5.0"
    code = install_per_user(wine_prefix, msi, "/l*v", "C:\\windows\\temp\\msi.log",
                            cwd=tmp_path, timeout=600)
    log = wine_prefix.drive_c / "windows" / "temp" / "msi.log"  # volatile for the snapshot
    assert code == 0, log.read_bytes().decode("utf-16", "replace")[-3000:]
    folder = wine_prefix.to_linux(wine_prefix.folders()["user_programs"]) / ID
    assert {p.name for p in (folder / "bin").iterdir()} >= {"openstack.exe", "nova.exe",
                                                            "swift.exe"}
    assert not (folder / "bin" / "python.exe").exists()  # only the clients' commands on PATH
    path = wine_prefix.reg_value(USER_ENV_KEY, "Path")
    assert path is not None and f"{ID}\\bin" in path.data
    out = wine_prefix.run(["cmd", "/d", "/c", "openstack", "--version"], timeout=300,
                          cwd=tmp_path)
    wine_prefix.wait()
    assert out.code == 0 and f"openstack {VERSION}" in out.output, out.output
    entry = str(dump(wine_prefix, APP_KEYS))
    assert "OpenStack command-line clients" in entry and product_code(ID, VERSION) in entry

    assert msiexec(wine_prefix, "/x", "{" + product_code(ID, VERSION) + "}", "/qn",
                   cwd=tmp_path, timeout=600) == 0
    assert not folder.exists(), sorted(p.name for p in folder.rglob("*"))[:20]
    assert dump(wine_prefix, APP_KEYS) == keys_before
    assert diff_snapshots(before, take_snapshot(wine_prefix)) == []
    measurements.append(f"default recipe's MSI on cp312: {msi.stat().st_size // 2**20} MiB, "
                        f"{len(packages)} locked packages")
