"""Issue 17's "done when" on the default recipe: `choconsis build` of recipes/openstack-clients
with a `[release]` section writes winget manifests, the portable zip and the Scoop manifest
beside the .nupkg and setup.exe, and they validate against the published schemas
(../shared/reference) and `choconsis check`.

python.org is unreachable here, so the runtime package's url and sha256 are swapped for a
small runtime-shaped zip on loopback (python.exe at its root, site-packages, venv); the lock
is the shipped pylock, whose 66 wheels the portable zip installs (fetched from PyPI once into
the shared test cache). setup.exe still leaves the package to install time; the portable zip
is what makes the build fetch it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path

import jsonschema
import pytest
import tomlkit
import yaml

from choconsis.build import BuildOptions, build
from kit import reference_file
from kit.cli import run_cli
from kit.recipes import RECIPES, recipe_data
from kit.release import RELEASE_URL, TINY_RUNTIME
from kit.wheels import tiny_zip
from kit.wine.fixtures import needs_pypi

pytestmark = pytest.mark.slow  # the 66 wheels of the lock, from PyPI on a cold cache

ID, VERSION = "openstack-clients", "10.5.0"
WINGET = f"winget/manifests/o/OpenStackFoundation/{ID}/{VERSION}"
COMMANDS = ["cinder", "glance", "nova", "openstack", "swift"]


def _schema(name: str) -> dict:
    return json.loads(reference_file(name).read_text(encoding="utf-8"))


def test_the_default_recipe_with_a_release_writes_every_channel(loopback, tmp_path: Path,
                                                                 test_cache: Path, capsys):
    winget_schemas = {kind: _schema(f"winget-1.12.0/manifest.{kind}.1.12.0.json")
                      for kind in ("version", "installer", "defaultLocale")}
    scoop_schema = _schema("scoop-schema.json")
    # a runtime no earlier test put in the shared cache, so the count of fetches below is exact
    runtime = tiny_zip({**TINY_RUNTIME, "choconsis-test.txt": uuid.uuid4().bytes})
    url = loopback.add("/ftp/python/3.14.7/python-3.14.7-amd64.zip", runtime)
    data = recipe_data(ID)
    data["python"].update(url=url, sha256=hashlib.sha256(runtime).hexdigest())
    data["release"] = {"url": RELEASE_URL, "license": "Apache-2.0"}
    recipe = tmp_path / f"{ID}.toml"
    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    shutil.copyfile(RECIPES / f"pylock.{ID}.toml", tmp_path / f"pylock.{ID}.toml")
    out = tmp_path / "dist"

    result = needs_pypi(lambda: build(recipe, BuildOptions(
        out_dir=out, cache_dir=test_cache / "artifacts")), "the default recipe's wheels")
    assert [d.output for d in result.outputs] == ["nupkg", "setup", "portable", "winget",
                                                  "scoop"]
    setup = out / f"{ID}-{VERSION}-setup.exe"
    portable = out / f"{ID}-{VERSION}-portable.zip"
    assert setup.is_file() and portable.is_file()
    assert len(runtime) < portable.stat().st_size  # the runtime with the 66 wheels installed
    assert loopback.hits["/ftp/python/3.14.7/python-3.14.7-amd64.zip"] == 1  # portable only

    folder = out / WINGET
    manifests = {kind: yaml.safe_load((folder / name).read_text(encoding="utf-8"))
                 for kind, name in (
                     ("version", f"OpenStackFoundation.{ID}.yaml"),
                     ("installer", f"OpenStackFoundation.{ID}.installer.yaml"),
                     ("defaultLocale", f"OpenStackFoundation.{ID}.locale.en-US.yaml"))}
    for kind, manifest in manifests.items():
        jsonschema.validate(manifest, winget_schemas[kind])
    entries = manifests["installer"]["Installers"]
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (setup, portable)}
    assert [(e["InstallerType"], e.get("Scope")) for e in entries] == [
        ("nullsoft", "user"), ("nullsoft", "machine"), ("zip", None)]
    assert {e["InstallerSha256"].lower() for e in entries[:2]} == {sha[setup]}
    assert entries[2]["InstallerSha256"].lower() == sha[portable]
    assert sorted(manifests["installer"]["Commands"]) == COMMANDS

    scoop = json.loads((out / "scoop" / f"{ID}.json").read_text(encoding="utf-8"))
    jsonschema.validate(scoop, scoop_schema)
    assert scoop["hash"] == sha[portable]
    assert sorted(alias for _program, alias in scoop["bin"]) == COMMANDS

    code, report, err = run_cli(capsys, "check", str(out))
    assert code == 0, report + err


@pytest.mark.skipif(not shutil.which("wixl"), reason="msitools (wixl, msiinfo) is not installed")
def test_the_default_recipe_builds_an_msi_that_passes_check(loopback, tmp_path: Path,
                                                           test_cache: Path, capsys):
    """Issue 18's "done when" on the default recipe, as far as this network allows: its MSI
    (`outputs = ["msi"]`, `--offline --preinstall`: the private runtime and the clients' 66
    locked wheels, installed at build time, in the cabinet) builds and passes `choconsis
    check`; the runtime package is swapped for the loopback stand-in as above. The Wine proofs
    of an MSI (install per user and per machine, the command, uninstall, upgrade, rollback)
    run on a small app on a real CPython in tests/test_wine_msi.py."""
    from choconsis.backends.msi.wix import product_code, upgrade_code
    from choconsis.check.msi import read_table

    runtime = tiny_zip(TINY_RUNTIME)
    url = loopback.add("/ftp/python/3.14.7/python-3.14.7-amd64.zip", runtime)
    data = recipe_data(ID)
    data["python"].update(url=url, sha256=hashlib.sha256(runtime).hexdigest())
    data["release"] = {"outputs": ["msi"]}
    recipe = tmp_path / f"{ID}.toml"
    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    shutil.copyfile(RECIPES / f"pylock.{ID}.toml", tmp_path / f"pylock.{ID}.toml")
    out = tmp_path / "dist"
    result = needs_pypi(lambda: build(recipe, BuildOptions(
        out_dir=out, cache_dir=test_cache / "artifacts", offline=True, preinstall=True)),
        "the default recipe's wheels")
    [msi] = [d.path for d in result.outputs]
    assert msi == out / f"{ID}-{VERSION}.msi"
    props = {r["Property"]: r["Value"] for r in read_table(msi, "Property") or []}
    assert props["ProductCode"] == "{" + product_code(ID, VERSION) + "}"
    assert props["UpgradeCode"] == "{" + upgrade_code(ID) + "}"
    assert (props["ALLUSERS"], props["MSIINSTALLPERUSER"]) == ("2", "1")  # per user first
    files = {r["FileName"].split("|")[-1].lower() for r in read_table(msi, "File") or []}
    assert "pythonw.exe" in files  # the runtime (its commands' launchers are the engine's)
    folders = {r["DefaultDir"].split("|")[-1] for r in read_table(msi, "Directory") or []}
    assert {"openstackclient", "novaclient", "swiftclient"} <= folders  # preinstalled
    code, report, err = run_cli(capsys, "check", str(msi))
    assert code == 0, report + err
