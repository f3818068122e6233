"""Authenticode signing with osslsigncode: sign, verify, tamper, reproducibility, makensis."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from choconsis.backends.nsis import signing
from choconsis.errors import BuildError, ToolMissingError
from choconsis.backends.nsis.signing import (finalize_lines, makensis_sign_args, parse_verify_output,
                               sign_pe, verify_pe)
from kit.locks import fake_lock, with_commands
from kit.recipes import recipe_text

pytestmark = pytest.mark.skipif(
    not (shutil.which("osslsigncode") and shutil.which("makensis") and shutil.which("openssl")),
    reason="needs osslsigncode, makensis and openssl")

T0 = 1_700_000_000

# A tiny amd64 installer that installs one file and writes (and registers) an uninstaller.
NSI = """Unicode true
Target amd64-unicode
SetDateSave off
SetCompress off
Name "signtest"
OutFile "{out}"
InstallDir "$PROGRAMFILES64\\signtest"
RequestExecutionLevel admin
Section
  SetOutPath "$INSTDIR"
  FileOpen $0 "$INSTDIR\\hello.txt" w
  FileWrite $0 "hello"
  FileClose $0
  WriteUninstaller "$INSTDIR\\uninstall.exe"
SectionEnd
Section "Uninstall"
  Delete "$INSTDIR\\hello.txt"
  Delete "$INSTDIR\\uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
"""


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def creds(tmp_path_factory) -> dict[str, Path]:
    """A throwaway self-signed code-signing certificate: PEM cert + key, and a PFX."""
    d = tmp_path_factory.mktemp("creds")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
            "-out", "cert.pem", "-days", "3650", "-subj", "/CN=choconsis test signer/O=Test",
            "-addext", "extendedKeyUsage=codeSigning", cwd=d)
    openssl("pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "cert.pfx",
            "-passout", "pass:s3cret pw", cwd=d)
    openssl("x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der", cwd=d)
    return {"cert": d / "cert.pem", "key": d / "key.pem", "pfx": d / "cert.pfx",
            "der": d / "cert.der"}


def compile_nsi(folder: Path, name: str = "signtest.exe", extra_args: list[str] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "t.nsi"
    script.write_text(NSI.format(out=name), encoding="utf-8")
    proc = subprocess.run(["makensis", "-V2", "-WX", *extra_args, str(script)], cwd=folder,
                          capture_output=True, text=True,
                          env={**os.environ, "SOURCE_DATE_EPOCH": str(T0)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / name


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory) -> Path:
    return compile_nsi(tmp_path_factory.mktemp("pe"))


def test_sign_and_verify_with_pem(unsigned, creds, tmp_path):
    out = tmp_path / "signed.exe"
    sign_pe(unsigned, out, cert=creds["cert"], key=creds["key"], password=None, timestamp=T0)
    info = verify_pe(out, cafile=creds["cert"])
    assert info.ok and info.signed and info.digest_ok and info.chain_ok
    assert info.subject == "/CN=choconsis test signer/O=Test"
    assert info.signing_time == "Nov 14 22:13:20 2023 GMT"
    untrusted = verify_pe(out)  # self-signed: not in the system CA bundle
    assert untrusted.signed and untrusted.digest_ok and not untrusted.chain_ok
    assert not untrusted.ok
    assert list(tmp_path.iterdir()) == [out]  # no temporary files left


def test_unsigned_file_is_reported_unsigned(unsigned):
    info = verify_pe(unsigned)
    assert not info.signed and not info.ok and info.subject is None


def test_tampered_byte_fails_verification(unsigned, creds, tmp_path):
    out = tmp_path / "signed.exe"
    sign_pe(unsigned, out, cert=creds["cert"], key=creds["key"], password=None, timestamp=T0)
    data = bytearray(out.read_bytes())
    data[0x400] ^= 0xFF  # inside the first section (code), covered by the digest
    out.write_bytes(bytes(data))
    info = verify_pe(out, cafile=creds["cert"])
    assert info.signed and not info.digest_ok and not info.ok


def test_signing_is_deterministic_with_a_fixed_time(unsigned, creds, tmp_path):
    kw = dict(cert=creds["cert"], key=creds["key"], password=None)
    sign_pe(unsigned, tmp_path / "a.exe", timestamp=T0, **kw)
    sign_pe(unsigned, tmp_path / "b.exe", timestamp=T0, **kw)
    sign_pe(unsigned, tmp_path / "c.exe", timestamp=T0 + 1, **kw)
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.exe", "b.exe", "c.exe"))
    assert a == b and a != c and a != unsigned.read_bytes()


def test_sign_with_pfx_and_password(unsigned, creds, tmp_path):
    out = tmp_path / "pfx.exe"
    sign_pe(unsigned, out, cert=creds["pfx"], key=None, password="s3cret pw", timestamp=T0)
    assert verify_pe(out, cafile=creds["cert"]).ok
    with pytest.raises(BuildError, match="signing signtest.exe failed"):
        sign_pe(unsigned, tmp_path / "bad.exe", cert=creds["pfx"], key=None,
                password="wrong", timestamp=T0)
    assert not (tmp_path / "bad.exe").exists()


def test_bad_credentials_are_clear_errors(unsigned, creds, tmp_path):
    with pytest.raises(BuildError, match="needs a key"):
        sign_pe(unsigned, tmp_path / "x.exe", cert=creds["cert"], key=None, password=None,
                timestamp=T0)
    with pytest.raises(BuildError, match="does not exist"):
        sign_pe(unsigned, tmp_path / "x.exe", cert=tmp_path / "nope.pem", key=creds["key"],
                password=None, timestamp=T0)


def test_missing_osslsigncode_names_the_debian_package(monkeypatch, unsigned, creds, tmp_path):
    monkeypatch.setattr(signing.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match="apt-get install osslsigncode"):
        sign_pe(unsigned, tmp_path / "x.exe", cert=creds["cert"], key=creds["key"],
                password=None, timestamp=T0)


def test_parse_verify_output_of_a_digest_mismatch():
    text = ("Current message digest    : AA\nCalculated message digest : BB    MISMATCH!!!\n"
            "Signer's certificate:\n\tSigner #0:\n\t\tSubject: /CN=x\n")
    info = parse_verify_output(text, 1)
    assert info.signed and not info.digest_ok and info.subject == "/CN=x"


def test_finalize_lines_refuse_paths_that_would_become_code(creds, tmp_path):
    bad = tmp_path / "a'$(reboot)`.pem"
    shutil.copyfile(creds["cert"], bad)
    with pytest.raises(BuildError, match="certificate path"):
        finalize_lines(bad, creds["key"], T0)
    finalize, uninst = finalize_lines(creds["cert"], creds["key"], T0)
    assert finalize.startswith("!finalize `") and uninst.startswith("!uninstfinalize `")
    assert f"-time {T0}" in finalize and "'%1'" in uninst


def _count_cert(exe: Path, der: Path) -> int:
    return exe.read_bytes().count(der.read_bytes())


@pytest.mark.parametrize("kind", ["pem", "pfx"])
def test_makensis_signs_installer_and_uninstaller(creds, tmp_path, kind):
    cert, key, password = ((creds["cert"], creds["key"], None) if kind == "pem"
                           else (creds["pfx"], None, "s3cret pw"))
    with makensis_sign_args(cert, key, password, T0) as args:
        exe = compile_nsi(tmp_path / "a", extra_args=args)
    info = verify_pe(exe, cafile=creds["cert"])
    assert info.ok, info.output
    # The uninstaller is stored uncompressed (SetCompress off) inside setup.exe; a signed
    # uninstaller carries the certificate too, so it appears twice.
    assert _count_cert(exe, creds["der"]) == 2
    with makensis_sign_args(cert, key, password, T0) as args:
        again = compile_nsi(tmp_path / "b", extra_args=args)
    assert again.read_bytes() == exe.read_bytes()


def test_unsigned_build_has_no_certificate(unsigned, creds):
    assert _count_cert(unsigned, creds["der"]) == 0


@pytest.mark.slow
def test_signed_installer_installs_and_uninstalls_under_wine(creds, tmp_path):
    prefixes = pytest.importorskip("choconsis.smoke.prefixes")
    if not shutil.which("wine"):
        pytest.skip("wine is not installed")
    with makensis_sign_args(creds["cert"], creds["key"], None, T0) as args:
        exe = compile_nsi(tmp_path / "build", extra_args=args)
    template = prefixes.template_prefix(tmp_path.parent / "wine-template")
    prefix = template.copy_to(tmp_path / "prefix")
    try:
        result = prefix.run([str(exe), "/S"], timeout=300)
        prefix.wait()
        assert result.code == 0, result.output
        installed = prefix.drive_c / "Program Files" / "signtest"
        assert (installed / "hello.txt").read_text() == "hello"
        uninstaller = installed / "uninstall.exe"
        info = verify_pe(uninstaller, cafile=creds["cert"])
        assert info.ok and info.subject == "/CN=choconsis test signer/O=Test"
        result = prefix.run([str(uninstaller), "/S", "_?=" + prefix.to_windows(installed)],
                            timeout=300)
        prefix.wait()
        assert result.code == 0, result.output
        assert not (installed / "hello.txt").exists()
    finally:
        prefix.kill()


def _recipe_with_lock(folder: Path) -> Path:
    """The shipped default recipe beside a small lock (web mode needs no artifact)."""
    import tomllib

    from choconsis.lock.lockfile import write_lock
    from choconsis.recipe import parse_recipe

    text = recipe_text("openstack-clients")
    recipe = parse_recipe(tomllib.loads(text), "signed.toml")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "signed.toml"
    path.write_text(text, encoding="utf-8")
    # the lock records the check's command, as `choconsis lock` would from the real wheels
    write_lock(path.with_suffix(".lock"), with_commands(fake_lock(recipe), ("openstack",)))
    return path


@pytest.mark.parametrize("kind", ["pem", "pfx"])
def test_build_signs_setup_exe_reproducibly(creds, tmp_path, monkeypatch, kind):
    from choconsis.build import BuildOptions, build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T0))
    recipe = _recipe_with_lock(tmp_path / "src")
    cert, key, password = ((creds["cert"], creds["key"], None) if kind == "pem"
                           else (creds["pfx"], None, "s3cret pw"))
    exes = []
    for out in ("a", "b"):
        result = build(recipe, BuildOptions(out_dir=tmp_path / out, chocolatey=False,
                                            cache_dir=tmp_path / "cache", sign_cert=cert,
                                            sign_key=key, sign_password=password))
        exes.append(result.setup_exe.read_bytes())
        info = verify_pe(result.setup_exe, cafile=creds["cert"])
        assert info.ok and info.signing_time == "Nov 14 22:13:20 2023 GMT", info.output
    assert exes[0] == exes[1]
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]


def test_build_with_a_wrong_password_fails_and_leaves_nothing(creds, tmp_path):
    from choconsis.build import BuildOptions, build

    recipe = _recipe_with_lock(tmp_path / "src")
    with pytest.raises(BuildError, match="makensis failed"):
        build(recipe, BuildOptions(out_dir=tmp_path / "out", chocolatey=False,
                                   cache_dir=tmp_path / "cache", sign_cert=creds["pfx"],
                                   sign_password="wrong"))
    assert not list((tmp_path / "out").glob("*.exe"))


@pytest.mark.slow
def test_signed_choconsis_installer_installs_under_wine(creds, components, locks, test_cache,
                                                        wine_prefix, tmp_path, monkeypatch):
    """A real offline choconsis build (WinPython zip runtime, one wheel), signed: setup.exe
    and the uninstaller it writes verify, it passes the smoke install, and it uninstalls."""
    from kit.wine.fixtures import SMALL_REQ, RecipeSpec, artifacts_dir, write_recipe

    from choconsis.build import BuildOptions, build
    from choconsis.smoke import run_smoke, split_command, uninstall_args
    from choconsis.smoke.wine import UNINSTALL_KEY

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T0))
    spec = RecipeSpec(package_id="choconsis-signed", runtime_file=components.runtime_zip,
                      requirement=SMALL_REQ, check="python --version")
    recipe = write_recipe(tmp_path / "choconsis-signed.toml", spec, locks.get(SMALL_REQ))
    result = build(recipe, BuildOptions(
        out_dir=tmp_path / "out", offline=True, chocolatey=False,
        artifacts_dir=artifacts_dir(tmp_path / "art", components.runtime_zip),
        cache_dir=test_cache / "artifacts", sign_cert=creds["cert"], sign_key=creds["key"]))
    assert verify_pe(result.setup_exe, cafile=creds["cert"]).ok
    report = run_smoke(result.setup_exe, recipe=str(recipe), keep_prefix=None,
                       prefix=wine_prefix, uninstall=False)
    assert report.ok, report.format()
    entry = wine_prefix.reg_value(f"{UNINSTALL_KEY}\\choconsis-signed", "UninstallString")
    assert entry is not None
    uninstaller = wine_prefix.to_linux(split_command(entry.data)[0])
    info = verify_pe(uninstaller, cafile=creds["cert"])
    assert info.ok and info.subject == "/CN=choconsis test signer/O=Test", info.output
    quiet = wine_prefix.reg_value(f"{UNINSTALL_KEY}\\choconsis-signed", "QuietUninstallString")
    done = wine_prefix.run(uninstall_args(quiet.data if quiet else entry.data + " /S"),
                           timeout=900)
    wine_prefix.wait()
    assert done.code == 0, done.output
    assert wine_prefix.reg_value(f"{UNINSTALL_KEY}\\choconsis-signed", "UninstallString") is None


def _check_exe(path: Path, *extra: str, capsys) -> tuple[int, str]:
    from choconsis.cli import main

    code = main(["check", str(path), *extra])
    return code, capsys.readouterr().out


def test_check_verifies_a_setup_exe_signature(unsigned, creds, tmp_path, capsys):
    signed = tmp_path / "signed.exe"
    sign_pe(unsigned, signed, cert=creds["cert"], key=creds["key"], password=None, timestamp=T0)
    code, out = _check_exe(signed, "--ca-file", str(creds["cert"]), capsys=capsys)
    assert code == 0 and "0 errors, 0 warnings" in out
    # Self-signed without the root: a warning naming the signer, not a failure.
    code, out = _check_exe(signed, capsys=capsys)
    assert code == 0 and "CSG0003" in out and "choconsis test signer" in out
    # Unsigned: a warning.
    code, out = _check_exe(unsigned, capsys=capsys)
    assert code == 0 and "CSG0002" in out
    # Changed after signing: an error, exit 1.
    data = bytearray(signed.read_bytes())
    data[0x200] ^= 0xFF
    tampered = tmp_path / "tampered.exe"
    tampered.write_bytes(bytes(data))
    code, out = _check_exe(tampered, "--ca-file", str(creds["cert"]), capsys=capsys)
    assert code == 1 and "CSG0001" in out
    # Not a PE at all.
    bogus = tmp_path / "bogus.exe"
    bogus.write_bytes(b"#!/bin/sh\necho hi\n")
    code, out = _check_exe(bogus, capsys=capsys)
    assert code == 1 and "CPE0001" in out
