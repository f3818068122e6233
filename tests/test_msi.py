"""The MSI output without Windows: what wixl builds from the plan and what is fixed after it
(read back with msiinfo), reproducibility, signing, the recipe's refusals, the formatted-text
escaping, and ``choconsis check``'s MSI rules on packages that break them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from choconsis.backends.msi.compile import pin_summary
from choconsis.backends.msi.wix import msi_version, product_code, upgrade_code
from choconsis.backends.nsis.signing import verify_pe
from choconsis.build import BuildOptions, build
from choconsis.check import check_path
from choconsis.check.msi import read_table
from choconsis.errors import BuildError, RecipeError, UsageError
from choconsis.escaping import msi_formatted, msi_templated
from choconsis.plan import INSTALL_DIR, SCOPE, Delivery
from choconsis.recipe import parse_recipe
from kit.release import release_data, write_release

pytestmark = pytest.mark.skipif(not (shutil.which("wixl") and shutil.which("msibuild")),
                                reason="msitools (wixl, msibuild, msiinfo) is not installed")


def build_msi(root: Path, options: dict | None = None) -> Path:
    recipe, artifacts = write_release(root, outputs=["msi"])
    result = build(recipe, BuildOptions(out_dir=root / "dist", artifacts_dir=artifacts,
                                        cache_dir=root / "cache", offline=True,
                                        preinstall=True, **(options or {})))
    return result.outputs[0].path


@pytest.fixture(scope="module")
def msi(tmp_path_factory) -> Path:
    return build_msi(tmp_path_factory.mktemp("msi"))


def rows(msi: Path, table: str, key: str) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in read_table(msi, table) or []}


def test_the_msi_carries_stable_codes_and_passes_check(msi):
    props = {k: r["Value"] for k, r in rows(msi, "Property", "Property").items()}
    assert msi.name == "hello-app-1.0.msi"
    assert props["UpgradeCode"] == "{" + upgrade_code("hello-app") + "}"
    assert props["ProductCode"] == "{" + product_code("hello-app", "1.0") + "}"
    assert product_code("hello-app", "1.1") != product_code("hello-app", "1.0")
    assert upgrade_code("hello-app") != upgrade_code("other-app")
    assert (props["ALLUSERS"], props["MSIINSTALLPERUSER"]) == ("2", "1")
    assert check_path(msi) == [] and check_path(msi.parent) == []


def test_what_wixl_cannot_write_is_fixed_after_it(msi):
    actions = rows(msi, "CustomAction", "Action")
    # rollback (256) in script (1024), return ignored (64): wixl writes 82 / 114
    assert int(actions["S2_engine_rollback"]["Type"]) == 1024 + 256 + 64 + 18
    assert int(actions["S1_unpack_zip_rollback"]["Type"]) == 1024 + 256 + 64 + 50
    assert int(actions["S2_engine_install"]["Type"]) == 1024 + 18  # deferred, checked
    sequence = {a: int(r["Sequence"]) for a, r in rows(msi, "InstallExecuteSequence",
                                                          "Action").items()}
    assert sequence["InstallInitialize"] < sequence["RemoveExistingProducts"] < sequence[
        "RemoveFiles"] < sequence["InstallFiles"] < sequence["S2_engine_install"]
    components = rows(msi, "Component", "Component")
    assert components["InstallDirRecordUser"]["Condition"] == 'CHOCOSCOPE<>"machine"'
    assert components["InstallDirRecordMachine"]["Condition"] == 'CHOCOSCOPE="machine"'


def test_two_builds_are_byte_identical_and_the_summary_is_pinned(msi, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build_msi(tmp_path / "a").read_bytes()
    second = build_msi(tmp_path / "b").read_bytes()
    assert first == second
    info = subprocess.run(["msiinfo", "suminfo", str(tmp_path / "a" / "dist" /
                                                     "hello-app-1.0.msi")],
                          capture_output=True, text=True, check=True).stdout
    assert "Created: Tue Nov 14 22:13:20 2023" in info
    with pytest.raises(BuildError, match="package codes"):
        pin_summary(b"not an msi", 0)


def test_a_certificate_signs_the_msi(tmp_path):
    if shutil.which("osslsigncode") is None or shutil.which("openssl") is None:
        pytest.skip("osslsigncode or openssl is not installed")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "key.pem", "-out", "cert.pem", "-days", "30", "-subj", "/CN=msi test",
                    "-addext", "extendedKeyUsage=codeSigning"], cwd=tmp_path, check=True,
                   capture_output=True)
    signed = build_msi(tmp_path / "r", options={"sign_cert": tmp_path / "cert.pem",
                                                "sign_key": tmp_path / "key.pem"})
    info = verify_pe(signed, tmp_path / "cert.pem")
    assert info.signed and info.digest_ok


def test_the_msi_output_needs_a_private_runtime_and_preinstalled_packages(tmp_path):
    data = release_data("python.exe", "0" * 64, outputs=["msi"])
    data["python"].update(installer="exe", url="https://files.example/dl/python.exe")
    with pytest.raises(RecipeError, match="python.installer"):
        parse_recipe(data, "hello.toml")
    data = release_data("rt.zip", "0" * 64, outputs=["msi"])
    data["install"]["environment"] = "runtime"
    with pytest.raises(RecipeError, match="install.environment"):
        parse_recipe(data, "hello.toml")
    data = release_data("rt.zip", "0" * 64, outputs=["msi"], scope="machine")
    data["installer"] = [{"name": "Extra", "kind": "exe", "sha256": "1" * 64,
                          "url": "https://files.example/dl/extra.exe"}]
    with pytest.raises(RecipeError, match=r"installer: the 'msi' output cannot run "
                       r"\[\[installer\]\] 'Extra': Windows Installer runs one"):
        parse_recipe(data, "hello.toml")
    recipe, artifacts = write_release(tmp_path, outputs=["msi"])
    with pytest.raises(UsageError, match="--offline --preinstall"):
        build(recipe, BuildOptions(out_dir=tmp_path / "dist", artifacts_dir=artifacts,
                                   offline=True))


def test_formatted_text_escapes_brackets_and_folder_properties_lose_a_backslash():
    assert msi_formatted("a[b]{c}") == "a[\\[]b[\\]][\\{]c[\\}]"
    props = {INSTALL_DIR: "INSTALLDIR", SCOPE: "CHOCOSCOPE"}
    folders = frozenset({INSTALL_DIR})
    assert msi_templated((INSTALL_DIR, "\\bin"), props, folders) == "[INSTALLDIR]bin"
    assert msi_templated(('"', INSTALL_DIR, '"'), props, folders) == '"[INSTALLDIR]\\"'
    assert msi_templated((SCOPE, "\\x"), props, folders) == "[CHOCOSCOPE]\\x"
    assert msi_version("10.5.0") == "10.5.0" and msi_version("1.0rc1") == "1.0.0"
    with pytest.raises(BuildError):
        msi_version("256.0")


def broken(msi: Path, tmp_path: Path, *queries: str) -> list[str]:
    copy = tmp_path / msi.name
    shutil.copyfile(msi, copy)
    args = ["msibuild", str(copy)]
    for query in queries:
        args += ["-q", query]
    subprocess.run(args, check=True, capture_output=True)
    return sorted({f.rule_id for f in check_path(copy)})


def test_check_reports_each_msi_rule(msi, tmp_path):
    assert broken(msi, tmp_path, "DELETE FROM `Property` WHERE `Property` = 'UpgradeCode'") \
        == ["CMS0003"]
    assert broken(msi, tmp_path, "DELETE FROM `Property` WHERE `Property` = 'ProductCode'") \
        == ["CMS0002"]
    assert broken(msi, tmp_path, "UPDATE `Component` SET `Condition` = '' "
                  "WHERE `Component` = 'InstallDirRecordMachine'") == ["CMS0004"]
    assert broken(msi, tmp_path, "DELETE FROM `InstallExecuteSequence` "
                  "WHERE `Action` = 'S2_engine_undo'") == ["CMS0005"]
    junk = tmp_path / "junk.msi"
    junk.write_bytes(b"not an msi")
    assert [f.rule_id for f in check_path(junk)] == ["CMS0001"]


def test_the_engine_reads_msi_folder_properties_without_their_backslash(monkeypatch):
    """[INSTALLDIR] ends with a backslash; the engine joins "\\bin" to it, so it drops one
    (a drive root keeps its own)."""
    from choconsis.datafiles import template_dir

    monkeypatch.syspath_prepend(str(template_dir("choconsis.engine")))
    import choconsis_engine

    side, _, variables, _ = choconsis_engine.parse(
        ["undo", "--steps", "s.json", "--var", "state_dir=C:\\App\\", "--var", "root=C:\\",
         "--var", "scope=user"])
    assert (side, variables) == ("undo", {"state_dir": "C:\\App", "root": "C:\\",
                                          "scope": "user"})
    choconsis_engine.say("no stdout under pythonw.exe", None)  # prints nothing, no error


def test_a_machine_only_recipe_gives_a_per_machine_msi(tmp_path):
    """A machine PATH change makes the recipe machine-only: the MSI installs below Program
    Files with ALLUSERS=1, remembers its folder under HKLM only, and passes check."""
    from choconsis.backends.base import write_rendered
    from choconsis.backends.msi.compile import compile_msi
    from choconsis.backends.msi.wix import msi_files
    from choconsis.plan import build_plan
    from kit.locks import fake_lock
    from kit.parity import zip_runtime
    from kit.plans import msi_payload

    data = zip_runtime()
    data["path"] = {"scope": "machine", "prepend": ["{install_dir}\\tools"]}
    data["install"]["scope"] = "machine"
    recipe = parse_recipe(data, "machine.toml")
    plan = build_plan(recipe, fake_lock(recipe), Delivery.PREINSTALLED)
    assert plan.scopes == ("machine",)
    sources = write_rendered(msi_files(plan, msi_payload(plan, tmp_path / "payload")),
                             tmp_path / "msi")
    msi = compile_msi(sources, tmp_path / "machine.msi", plan=plan)
    props = {k: r["Value"] for k, r in rows(msi, "Property", "Property").items()}
    assert props["ALLUSERS"] == "1" and "MSIINSTALLPERUSER" not in props
    directories = rows(msi, "Directory", "Directory")
    assert directories["INSTALLDIR"]["Directory_Parent"] == "ProgramFiles64Folder"
    registry = read_table(msi, "Registry") or []
    assert {r["Root"] for r in registry} == {"2"}  # HKLM
    assert check_path(msi) == []
