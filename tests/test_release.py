"""[release]: every channel from one build of one recipe. The outputs in dependency order,
the winget manifests and Scoop manifest validated against the published schemas
(../shared/reference), their hashes and ProductCode against the built files and the NSIS
script, the portable zip's layout, launchers and reproducibility, the build summary, the SBOM
and ``check``'s manifest rules. Builds use a tiny zip runtime and one small wheel: nothing is
fetched. (The recipe side: tests/test_release_recipe.py.)"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from choconsis.backends.outputs import BACKENDS, backends_for
from choconsis.backends.portable.launchers import SHEBANG, launcher_template
from choconsis.build import BuildOptions, build
from choconsis.errors import RecipeError, UsageError
from choconsis.recipe.release import OUTPUT_NAMES
from kit import reference_file
from kit.release import COMMANDS, write_release

WINGET = "winget/manifests/h/HelloOrg/hello-app/1.0"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    recipe, artifacts = write_release(root)
    out = root / "dist"
    result = build(recipe, BuildOptions(out_dir=out, artifacts_dir=artifacts,
                                        cache_dir=root / "cache"))
    return out, result


def _schema(name: str) -> dict:
    return json.loads(reference_file(name).read_text(encoding="utf-8"))


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_output_names_are_the_recipe_s_and_in_dependency_order():
    assert tuple(BACKENDS) == ("nupkg", "setup", "portable", "winget", "scoop", "msi")
    assert set(BACKENDS) == set(OUTPUT_NAMES)
    names = list(BACKENDS)
    for name, cls in BACKENDS.items():
        for dep in (*cls.needs, *cls.uses):
            assert names.index(dep) < names.index(name), (name, dep)
    with pytest.raises(UsageError, match="outputs: .winget.*.setup."):
        backends_for(("winget", "nupkg"))


def test_a_build_with_a_release_url_writes_every_channel(built):
    out, result = built
    assert [d.output for d in result.outputs] == ["nupkg", "setup", "portable", "winget",
                                                  "scoop"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
                   and not p.relative_to(out).as_posix().startswith("hello-app/"))
    assert files == sorted([
        "hello-app.1.0.nupkg", "hello-app-1.0-setup.exe", "hello-app-1.0-portable.zip",
        "hello-app-1.0.cdx.json", "scoop/hello-app.json",
        f"{WINGET}/HelloOrg.hello-app.yaml", f"{WINGET}/HelloOrg.hello-app.installer.yaml",
        f"{WINGET}/HelloOrg.hello-app.locale.en-US.yaml"])


def test_the_winget_manifests_validate_and_match_the_built_files(built):
    out, result = built
    folder = out / WINGET
    for name, kind in (("HelloOrg.hello-app.yaml", "version"),
                       ("HelloOrg.hello-app.installer.yaml", "installer"),
                       ("HelloOrg.hello-app.locale.en-US.yaml", "defaultLocale")):
        jsonschema.validate(_yaml(folder / name),
                            _schema(f"winget-1.12.0/manifest.{kind}.1.12.0.json"))
    installer = _yaml(folder / "HelloOrg.hello-app.installer.yaml")
    setup = hashlib.sha256((out / "hello-app-1.0-setup.exe").read_bytes()).hexdigest()
    portable = hashlib.sha256((out / "hello-app-1.0-portable.zip").read_bytes()).hexdigest()
    entries = installer["Installers"]
    assert [(e["InstallerType"], e.get("Scope")) for e in entries] == [
        ("nullsoft", "user"), ("nullsoft", "machine"), ("zip", None)]
    assert [e["InstallerSwitches"]["Custom"] for e in entries[:2]] == ["/CurrentUser",
                                                                         "/AllUsers"]
    assert {e["InstallerSha256"].lower() for e in entries[:2]} == {setup}
    assert entries[2]["InstallerSha256"].lower() == portable
    assert entries[0]["InstallerUrl"] == ("https://downloads.example.org/hello-app/1.0/"
                                          "hello-app-1.0-setup.exe")
    assert [f["PortableCommandAlias"] for f in entries[2]["NestedInstallerFiles"]] == list(
        COMMANDS)
    assert installer["Commands"] == list(COMMANDS)
    # ProductCode and AppsAndFeaturesEntries: what installer.nsi writes to Add/Remove Programs
    nsi = (out / "hello-app" / "nsis" / "installer.nsi").read_text(encoding="utf-8")
    keys = set(re.findall(r'WriteRegStr SHCTX "[^"]*\\Uninstall\\([^"]+)"', nsi))
    values = dict(re.findall(r'WriteRegStr SHCTX "[^"]*\\Uninstall\\[^"]+" "(\w+)" "([^"$]*)"',
                             nsi))
    for entry in entries[:2]:
        assert keys == {entry["ProductCode"]} == {"hello-app"}
        [arp] = entry["AppsAndFeaturesEntries"]
        assert arp == {"DisplayName": values["DisplayName"], "Publisher": values["Publisher"],
                       "DisplayVersion": values["DisplayVersion"], "ProductCode": "hello-app"}
    locale = _yaml(folder / "HelloOrg.hello-app.locale.en-US.yaml")
    assert (locale["License"], locale["Publisher"], locale["Tags"]) == (
        "MIT", "Hello Org", ["hello", "demo-tag"])


def test_the_scoop_manifest_validates_and_installs_the_zip(built):
    out, _ = built
    manifest = json.loads((out / "scoop" / "hello-app.json").read_text(encoding="utf-8"))
    jsonschema.validate(manifest, _schema("scoop-schema.json"))
    zip_bytes = (out / "hello-app-1.0-portable.zip").read_bytes()
    assert manifest["hash"] == hashlib.sha256(zip_bytes).hexdigest()
    assert manifest["url"].endswith("/hello-app/1.0/hello-app-1.0-portable.zip")
    assert manifest["bin"] == [["bin\\hello.exe", "hello"],
                               ["bin\\hello-admin.exe", "hello-admin"],
                               ["bin\\hello-legacy.exe", "hello-legacy"]]
    assert manifest["checkver"] == {"url": "https://pypi.org/pypi/hello-app/json",
                                    "jsonpath": "$.info.version"}
    assert "$version" in manifest["autoupdate"]["url"]
    with zipfile.ZipFile(out / "hello-app-1.0-portable.zip") as zf:  # bin's programs exist
        names = set(zf.namelist())
    assert {p.replace("\\", "/") for p, _alias in manifest["bin"]} <= names


def test_the_portable_zip_holds_the_runtime_the_app_and_relative_launchers(built):
    out, _ = built
    with zipfile.ZipFile(out / "hello-app-1.0-portable.zip") as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        launcher = zf.read("bin/hello.exe")
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert "runtime/python.exe" in names
    assert "runtime/Lib/site-packages/hello_app/__init__.py" in names
    assert [n for n in names if n.startswith("bin/")] == ["bin/hello-admin.exe",
                                                          "bin/hello-legacy.exe",
                                                          "bin/hello.exe"]
    template = launcher_template("amd64")
    assert launcher.startswith(template + SHEBANG.encode() + b"\n")
    assert SHEBANG == "#!<launcher_dir>\\..\\runtime\\python.exe"
    with zipfile.ZipFile(__import__("io").BytesIO(launcher)) as inner:
        code = inner.read("__main__.py").decode()
    assert "from hello_app import main" in code and "sys.exit(main())" in code


def test_the_release_is_reproducible(built, tmp_path, monkeypatch):
    out, _ = built
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    recipe, artifacts = write_release(tmp_path)
    again = tmp_path / "again"
    build(recipe, BuildOptions(out_dir=again, artifacts_dir=artifacts,
                               cache_dir=tmp_path / "cache"))
    for name in ("hello-app-1.0-portable.zip", "scoop/hello-app.json",
                 f"{WINGET}/HelloOrg.hello-app.installer.yaml", "hello-app-1.0.cdx.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_the_summary_lists_every_new_output_and_the_sbom_covers_the_zip(built):
    from choconsis.cli.summary import build_summary

    out, result = built
    text = build_summary(result, BuildOptions(out_dir=out))
    for name in ("hello-app-1.0-portable.zip", "scoop/hello-app.json",
                 "HelloOrg.hello-app.installer.yaml"):
        line = next(line for line in text.splitlines() if name in line)
        path = next(p for p in out.rglob("*") if p.as_posix().endswith(name))
        assert hashlib.sha256(path.read_bytes()).hexdigest() in line
    sbom = json.loads((out / "hello-app-1.0.cdx.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(out / "hello-app-1.0-portable.zip") as zf:
        dists = {n.split("/")[3].split("-")[0] for n in zf.namelist()
                 if n.startswith("runtime/Lib/site-packages/") and ".dist-info/" in n}
    listed = {c["name"].replace("-", "_") for c in sbom["components"]}
    assert dists and dists <= listed  # every dist the zip holds, and its runtime
    outputs = {c["bom-ref"]: c for c in sbom["metadata"]["component"]["components"]}
    zipped = outputs["output:portable"]  # the zip itself, as its back end describes it
    assert (zipped["name"], zipped["hashes"][0]["content"]) == (
        "hello-app-1.0-portable.zip",
        hashlib.sha256((out / "hello-app-1.0-portable.zip").read_bytes()).hexdigest())
    assert outputs["output:winget:HelloOrg.hello-app.installer.yaml"]["hashes"][0][
        "content"] == hashlib.sha256((out / WINGET / "HelloOrg.hello-app.installer.yaml")
                                     .read_bytes()).hexdigest()
    assert "output:scoop" in outputs
    refs = {c["bom-ref"]: c for c in sbom["components"]}
    assert "artifact:tiny-runtime.zip" in refs
    launcher = refs["launcher:t64.exe"]  # the launchers' template, the zip's other part
    assert launcher["hashes"][0]["content"] == hashlib.sha256(
        launcher_template("amd64")).hexdigest()


def test_check_finds_what_the_winget_pipeline_and_scoop_refuse(built, tmp_path):
    import shutil

    from choconsis.check import check_path

    out, _ = built
    ours = {"CWG0001", "CWG0002", "CWG0003", "CWG0004", "CSC0001", "CSC0002", "CSC0003"}
    assert not [f for f in check_path(out) if f.rule_id in ours]
    copy = tmp_path / "dist"
    shutil.copytree(out, copy)
    installer = copy / WINGET / "HelloOrg.hello-app.installer.yaml"
    doc = _yaml(installer)
    doc["Installers"][0]["InstallerSha256"] = "0" * 64
    doc["Installers"][1]["ProductCode"] = "someone-else"
    doc["Installers"][2]["InstallerUrl"] = "http://downloads.example.org/x/portable.zip"
    installer.write_text(yaml.safe_dump(doc), encoding="utf-8")
    scoop = copy / "scoop" / "hello-app.json"
    manifest = json.loads(scoop.read_text(encoding="utf-8"))
    manifest["hash"] = "1" * 64
    scoop.write_text(json.dumps(manifest), encoding="utf-8")
    found = {(f.rule_id, f.location.split(": ")[-1]) for f in check_path(copy)
             if f.rule_id in ours}
    assert found == {("CWG0001", "Installers[1]"), ("CWG0003", "Installers[2]"),
                     ("CWG0002", "Installers[3]"), ("CSC0001", "scoop/hello-app.json")}


def test_winget_without_setup_is_refused_naming_the_recipe_field(tmp_path):
    recipe, artifacts = write_release(tmp_path, outputs=["nupkg", "winget"])
    with pytest.raises(RecipeError, match=r"hello-app\.toml: release\.outputs: 'winget'.*"
                                          r"add 'setup'"):
        build(recipe, BuildOptions(out_dir=tmp_path / "dist", artifacts_dir=artifacts,
                                   cache_dir=tmp_path / "cache"))
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())
