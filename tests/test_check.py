"""``choconsis check``: rule ids against Chocolatey's list, clean packages pass, broken ones
are flagged with the exact rule ids."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from choconsis.backends import chocolatey
from choconsis.check import RULES, SEVERITY_OF_KIND, check_path, format_findings
from choconsis.check.nuspec import names_prerelease
from choconsis.cli import main
from choconsis.errors import BuildError, UsageError
from choconsis.lock.lockfile import write_lock
from choconsis.recipe import parse_recipe
from kit import reference_file
from kit.locks import fake_lock
from kit.plans import plan_from, shipped_plan, web_payload
from kit.recipes import RECIPES, SHIPPED, recipe_data


def reference_rules() -> dict[str, tuple[str, str]]:
    rules = {}
    text = reference_file("chocolatey-validator-rules.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip():
            kind, rule_id, title = line.split("|", 2)
            rules[rule_id] = (kind, title)
    return rules


def errors(findings) -> set[str]:
    return {f.rule_id for f in findings if f.severity == "error"}


def test_rule_ids_titles_and_kinds_match_chocolatey():
    ref = reference_rules()
    ours = {rid: rule for rid, rule in RULES.items() if rid.startswith("cpmr")}
    assert len(ours) >= 50
    for rid, rule in ours.items():
        assert rid in ref, rid
        assert (rule.kind, rule.title) == ref[rid], rid
        assert rule.severity == SEVERITY_OF_KIND[ref[rid][0]]
    own = [rid for rid in RULES if not rid.startswith("cpmr")]
    assert "CPS0001" in own and not set(own) & set(ref)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    out = {}
    for name in SHIPPED:
        base = tmp_path_factory.mktemp(name)
        src = base / "chocolatey"
        chocolatey.render(shipped_plan(name), web_payload(shipped_plan(name)), src)
        out[name] = (src, chocolatey.pack(src, base / f"{name}.nupkg"))
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_packages_pass(name, built):
    src, nupkg = built[name]
    for path in (nupkg, src, src.parent):
        findings = check_path(path)
        assert errors(findings) == set(), format_findings(findings, path)
    assert main(["check", str(nupkg)]) == 0


def _broken_copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    nuspec = next(dest.glob("*.nuspec"))
    text = nuspec.read_text(encoding="utf-8")
    text = re.sub(r"\s*<description>.*?</description>", "", text, flags=re.S)
    text = re.sub(r"\s*<projectUrl>.*?</projectUrl>", "", text)
    text = text.replace("<licenseUrl>https://", "<licenseUrl>http://")
    nuspec.write_text(text, encoding="utf-8")
    install = dest / "tools" / chocolatey.INSTALL_SCRIPT
    script = install.read_text(encoding="utf-8-sig")
    script = re.sub(r"\n\s*checksum64 = '[0-9a-f]+'", "", script, count=1)  # first download
    script += "\nif ($broken {\n"
    install.write_text(script, encoding="utf-8")
    return dest


def test_broken_package_is_flagged_with_exact_rule_ids(built, tmp_path, capsys):
    src, _ = built["openstack-clients"]
    broken = _broken_copy(src, tmp_path / "broken")
    with pytest.raises(BuildError, match="description"):
        chocolatey.pack(broken, tmp_path / "refused.nupkg")  # pack refuses a nuspec without it
    findings = check_path(broken)
    assert errors(findings) == {"cpmr0002", "cpmr0009", "CNS0002", "CPS0001", "cpmr0027"}
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["CPS0001"].location.startswith("tools/chocolateyInstall.ps1:")
    assert by_rule["cpmr0027"].location.startswith("tools/chocolateyInstall.ps1:")
    assert by_rule["CNS0002"].location.endswith("<licenseUrl>")
    assert main(["check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "error: cpmr0002 Description Missing (nuspec)" in out and ": FAILED: " in out


def _repack(nupkg: Path, dest: Path, drop: str = "", replace: dict[str, bytes] | None = None):
    with zipfile.ZipFile(nupkg) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            if info.filename == drop:
                continue
            data = (replace or {}).get(info.filename, zin.read(info))
            zout.writestr(info, data)
    return dest


def test_broken_nupkg_is_flagged_with_exact_rule_ids(built, tmp_path):
    src, nupkg = built["openstack-clients"]
    broken = _broken_copy(src, tmp_path / "broken")
    replace = {name: (broken / name).read_bytes()
               for name in ("openstack-clients.nuspec", "tools/chocolateyInstall.ps1")}
    bad = _repack(nupkg, tmp_path / "broken.nupkg", replace=replace)
    assert errors(check_path(bad)) == {"cpmr0002", "cpmr0009", "CNS0002", "CPS0001",
                                       "cpmr0027"}
    assert main(["check", str(bad)]) == 1


def test_opc_structure_is_checked(built, tmp_path):
    _, nupkg = built["openstack-clients"]
    no_rels = _repack(nupkg, tmp_path / "a.nupkg", drop="_rels/.rels")
    findings = check_path(no_rels)
    assert errors(findings) == {"COPC0001"}
    assert any("_rels/.rels is missing" in f.message for f in findings)
    with zipfile.ZipFile(nupkg) as zf:
        types = zf.read("[Content_Types].xml").replace(b'Extension="ps1"', b'Extension="psx"')
    bad_types = _repack(nupkg, tmp_path / "b.nupkg", replace={"[Content_Types].xml": types})
    messages = [f.message for f in check_path(bad_types) if f.rule_id == "COPC0001"]
    assert sorted(messages) == ["no content type for part /tools/chocolateyInstall.ps1",
                                "no content type for part /tools/chocolateyUninstall.ps1",
                                "no content type for part /tools/choconsis.ps1"]
    (tmp_path / "c.nupkg").write_bytes(b"not a zip")
    assert errors(check_path(tmp_path / "c.nupkg")) == {"COPC0001"}


def _folder_with_script(tmp_path: Path, body: str) -> Path:
    src = tmp_path / "pkg"
    chocolatey.render(shipped_plan("openstack-clients"), web_payload(shipped_plan("openstack-clients")), src)
    (src / "tools" / chocolatey.INSTALL_SCRIPT).write_text(
        "$ErrorActionPreference = 'Stop'\n" + body, encoding="utf-8")
    return src


@pytest.mark.parametrize("body, rule", [
    ("choco install git -y\n", "cpmr0010"),
    ("Import-Module \"$env:ChocolateyInstall\\helpers\\chocolateyInstaller.psm1\"\n", "cpmr0011"),
    ("if ($env:ChocolateyForce) { Write-Host 'x' }\n", "cpmr0012"),
    ("Write-Host $env:chocolateyInstallArguments\n", "cpmr0016"),
    ("& \"$toolsDir\\chocolateyUninstall.ps1\"\n", "cpmr0018"),
    ("# IMPORTANT: Before releasing this package, copy/paste the next 2 lines\n", "cpmr0022"),
    ("$a = @{ packageName = 'x'; url = 'https://a.example/x.exe' }\n"
     "Install-ChocolateyPackage @a\n", "cpmr0027"),
    ("$a = @{ url = 'http://a.example/x.exe'; checksum = 'ab'; checksumType = 'sha256' }\n"
     "Install-ChocolateyPackage @a\n", "CDL0001"),
    ("$a = @{ url = 'https://a.example/x.exe'; checksum = 'ab'; checksumType = 'md5' }\n"
     "Install-ChocolateyPackage @a\n", "CDL0002"),
    ("Get-ChocolateyWebFile -PackageName 'x' -Url 'https://a.example/x.zip' -FileFullPath $f\n",
     "cpmr0027"),
    ("Write-Host 'https://download.fosshub.com/x.exe'\n", "cpmr0028"),
    # parameters with digits (tree-sitter-powershell misreads them unless masked)
    ("Install-ChocolateyPackage -PackageName 'x' -Url64bit 'https://a.example/x.exe' "
     "-ChecksumType64 'sha256'\n", "cpmr0027"),
    ("Install-ChocolateyPackage -PackageName 'x' -Url64bit 'https://a.example/x.exe' "
     "-Checksum64 'ab' -ChecksumType64 'sha1'\n", "CDL0002"),
    ("function Broken( { }\n", "CPS0001"),
])
def test_script_rules(tmp_path, body, rule):
    findings = check_path(_folder_with_script(tmp_path, body))
    assert errors(findings) == {rule}, format_findings(findings, tmp_path)


@pytest.mark.parametrize("body, rule", [
    ("Start-Process -FilePath 'x.exe' -Wait\n", "cpmr0046"),
    ("Invoke-WebRequest -Uri 'https://a.example/x' -OutFile $f\n", "cpmr0055"),
    ("Get-WmiObject -Class Win32_Product\n", "cpmr0059"),
    ("msiexec /x '{0000}' /qn\n", "cpmr0066"),
])
def test_guideline_and_note_rules_do_not_fail(tmp_path, body, rule):
    findings = check_path(_folder_with_script(tmp_path, body))
    assert rule in {f.rule_id for f in findings}
    assert errors(findings) == set()


def test_direct_parameters_with_digits_are_read(tmp_path):
    body = ("Install-ChocolateyPackage -PackageName 'x' -Url64bit 'https://a.example/x.exe' "
            "-Checksum64 'ab' -ChecksumType64 'sha256' -ValidExitCodes @(0, 3010)\n")
    findings = check_path(_folder_with_script(tmp_path, body))
    assert errors(findings) == set(), format_findings(findings, tmp_path)


def test_package_file_rules(tmp_path):
    src = tmp_path / "pkg"
    chocolatey.render(shipped_plan("openstack-clients"), web_payload(shipped_plan("openstack-clients")), src)
    (src / "tools" / "Thumbs.db").write_bytes(b"x")
    (src / ".gitignore").write_text("*\n")
    (src / "tools" / "python.exe").write_bytes(b"MZ")
    (src / "tools" / chocolatey.UNINSTALL_SCRIPT).rename(src / "tools" / "uninstall.ps1")
    findings = check_path(src)
    assert errors(findings) == {"cpmr0021", "cpmr0025", "cpmr0005", "cpmr0006", "cpmr0015"}
    assert "cpmr0060" in {f.rule_id for f in findings}


def test_nuspec_structure_rules(tmp_path):
    src = tmp_path / "pkg"
    chocolatey.render(shipped_plan("openstack-clients"), web_payload(shipped_plan("openstack-clients")), src)
    nuspec = next(src.glob("*.nuspec"))
    text = nuspec.read_text(encoding="utf-8")
    text = text.replace("<version>10.5.0</version>", "<version>ten</version>")
    text = text.replace("<tags>", "<bogus>x</bogus><tags>")
    text = text.replace("<docsUrl>https://", "<docsUrl>ftp://")
    nuspec.write_text(text, encoding="utf-8")
    findings = [f for f in check_path(src) if f.rule_id == "CNS0001"]
    assert sorted(f.location for f in findings) == [
        "openstack-clients.nuspec", "openstack-clients.nuspec <docsUrl>",
        "openstack-clients.nuspec <version>"]


@pytest.mark.parametrize("name", SHIPPED)
def test_check_of_a_recipe_renders_and_lints_it(name, tmp_path):
    data = recipe_data(name)
    recipe = tmp_path / f"{name}.toml"
    shutil.copy(RECIPES / f"{name}.toml", recipe)
    write_lock(recipe.with_suffix(".lock"), fake_lock(parse_recipe(data, recipe.name)), name)
    findings = check_path(recipe)
    assert errors(findings) == set()
    assert {f.rule_id for f in findings} == {f.rule_id for f in check_path(
        _rendered(name, tmp_path))}


def _rendered(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / "rendered"
    plan = plan_from(recipe_data(name), f"{name}.toml")
    chocolatey.render(plan, web_payload(plan), dest)
    return dest


def test_check_refuses_other_inputs(tmp_path):
    (tmp_path / "x.dmg").write_bytes(b"\xd0\xcf")
    with pytest.raises(UsageError, match="check takes"):
        check_path(tmp_path / "x.dmg")
    assert main(["check", str(tmp_path / "missing.nupkg")]) == 2


NUSPEC_MUTATIONS = {
    "no id": (r"\s*<id>[^<]*</id>", ""),
    "no version": (r"\s*<version>[^<]*</version>", ""),
    "no authors": (r"\s*<authors>[^<]*</authors>", ""),
    "no description": (r"\s*<description>.*?</description>", ""),
    "two titles": (r"(<title>[^<]*</title>)", r"\1\1"),
    "unknown element": (r"<tags>", "<colour>blue</colour><tags>"),
    "element outside metadata": (r"</metadata>", "</metadata><extra />"),
    "boolean not a boolean": (r"<requireLicenseAcceptance>false<",
                              "<requireLicenseAcceptance>yes<"),
    "other namespace": (r'xmlns="[^"]+"', 'xmlns="urn:not-nuspec"'),
}


@pytest.mark.parametrize("mutation", sorted(NUSPEC_MUTATIONS))
def test_structural_check_agrees_with_the_xsd(mutation, built, tmp_path):
    """The Chocolatey XSD is the oracle: whatever it rejects, check reports as an error."""
    from lxml import etree

    pattern, replacement = NUSPEC_MUTATIONS[mutation]
    src, _ = built["openstack-clients"]
    dest = tmp_path / "pkg"
    shutil.copytree(src, dest)
    nuspec = next(dest.glob("*.nuspec"))
    text, count = re.subn(pattern, replacement, nuspec.read_text(encoding="utf-8"),
                          count=1, flags=re.S)
    assert count == 1
    nuspec.write_text(text, encoding="utf-8")
    xsd = reference_file("chocolatey-nuspec.xsd").read_text(encoding="utf-8")
    schema = etree.XMLSchema(etree.fromstring(
        xsd.replace("{0}", chocolatey.NUSPEC_NS).encode("utf-8")))
    assert not schema.validate(etree.parse(str(nuspec)))
    assert errors(check_path(dest)) & {"CNS0001", "cpmr0002"}


@pytest.mark.parametrize("pkg_id, flagged", [
    ("pre-commit", False), ("preview-tool", False), ("rc-files", False), ("alpha", False),
    ("openstack-clients", False), ("prettier-cli", False), ("betamax", False),
    ("foo-beta", True), ("foo-alpha", True), ("foo-rc", True), ("foo-rc1", True),
    ("foo-pre", True), ("foo.preview", True), ("foo-prerelease", True), ("foo-beta-2", True),
    ("Foo-Beta", True),
])
def test_cpmr0024_flags_a_prerelease_suffix_only(pkg_id, flagged):
    assert names_prerelease(pkg_id) is flagged


def test_cpmr0024_in_a_rendered_package(tmp_path):
    """pre-commit passes, pre-commit-beta does not: the rule as check reports it."""
    src = tmp_path / "pkg"
    plan = shipped_plan("openstack-clients")
    chocolatey.render(plan, web_payload(plan), src)
    nuspec = next(src.glob("*.nuspec"))
    text = nuspec.read_text(encoding="utf-8")
    for pkg_id, expected in (("pre-commit", set()), ("pre-commit-beta", {"cpmr0024"})):
        nuspec.write_text(text.replace("<id>openstack-clients</id>", f"<id>{pkg_id}</id>"),
                          encoding="utf-8")
        assert {f.rule_id for f in check_path(src)} & {"cpmr0024"} == expected
