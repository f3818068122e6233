"""The NSIS building blocks: nsis/download.nsh and choconsis.engine's choconsis_path.py (driven
from NSIS by the test-only macros of tests/kit/nsis_probe/path.nsh).

Fast tests check the PATH string logic under Linux Python and that the .nsh files compile for
both targets. Slow tests run the real thing under Wine: tiny amd64 installers that download from
the loopback server, and the WinPython python.exe editing the registry.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choconsis.backends.nsis.reasons import reason_macros

ROOT = Path(__file__).resolve().parent.parent
NSIS_DIR = ROOT / "nsis"
PROBE_DIR = Path(__file__).resolve().parent / "kit" / "nsis_probe"  # test-only NSIS macros
PATH_SCRIPT = ROOT / "generator" / "engine" / "choconsis_path.py"
REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ = 1, 2, 7


def _load_path_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("choconsis_path", PATH_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cp = _load_path_module()

needs_makensis = pytest.mark.skipif(shutil.which("makensis") is None,
                                    reason="makensis missing (Debian package nsis)")


# ============================================================================ pure PATH logic


def test_add_prepends_only_missing_entries_in_order() -> None:
    value = r"%SystemRoot%\system32;C:\Tools"
    new, added = cp.add_entries(value, [r"C:\Py", r"C:\Tools", r"C:\Py\Scripts"])
    assert added == [r"C:\Py", r"C:\Py\Scripts"]
    assert new == r"C:\Py;C:\Py\Scripts;%SystemRoot%\system32;C:\Tools"


def test_add_compares_case_insensitively_ignoring_trailing_backslash() -> None:
    value = r"c:\python27\;C:\PYTHON27\SCRIPTS"
    new, added = cp.add_entries(value, ["C:\\Python27", "C:\\Python27\\Scripts\\"])
    assert (new, added) == (value, [])


def test_add_keeps_empty_elements_and_trailing_separator() -> None:
    value = r";C:\a;;C:\b;"
    new, added = cp.add_entries(value, ["", r"C:\n", r"C:\n"])
    assert added == [r"C:\n"]
    assert new == r"C:\n;" + value


def test_add_to_an_empty_value_has_no_separator() -> None:
    assert cp.add_entries("", [r"C:\x", r"C:\y"]) == (r"C:\x;C:\y", [r"C:\x", r"C:\y"])


def test_add_refuses_an_entry_holding_the_separator() -> None:
    with pytest.raises(cp.PathError, match="cannot contain ';'"):
        cp.add_entries("", [r"C:\a;C:\b"])


def test_remove_takes_one_occurrence_of_each_recorded_entry() -> None:
    value = r"C:\n;C:\a;C:\n\;C:\b"
    new, removed = cp.remove_entries(value, [r"C:\N", r"C:\gone"])
    assert (new, removed) == (r"C:\a;C:\n\;C:\b", [r"C:\N"])


_element = st.one_of(
    st.just(""),
    st.text(alphabet=st.sampled_from("aBc%\\: é_"), min_size=1, max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(before=st.lists(_element, max_size=12), entries=st.lists(_element, max_size=5))
def test_remove_after_add_restores_the_value_exactly(before: list[str],
                                                     entries: list[str]) -> None:
    value = ";".join(before)
    new, added = cp.add_entries(value, entries)
    assert new.endswith(value)
    again, added_again = cp.add_entries(new, entries)
    assert (again, added_again) == (new, [])
    record = cp.merge_record(cp.merge_record({}, "machine", added, False), "machine", [], False)
    restored, removed = cp.remove_entries(new, record["added"])
    assert restored == value
    assert removed == added


def test_record_keeps_what_the_first_install_added() -> None:
    first = cp.merge_record({}, "user", [r"C:\a"], created=True)
    second = cp.merge_record(first, "user", [], created=False)
    third = cp.merge_record(second, "user", ["C:\\A\\", r"C:\b"], created=False)
    assert third == {"version": 1, "scope": "user", "added": [r"C:\a", r"C:\b"],
                     "created": True}


def test_record_of_another_scope_is_refused() -> None:
    with pytest.raises(cp.PathError, match="scope 'user', not 'machine'"):
        cp.merge_record(cp.merge_record({}, "user", ["x"], False), "machine", ["y"], False)


def test_record_file_round_trips_non_ascii(tmp_path: Path) -> None:
    record = cp.merge_record({}, "machine", ["C:\\Programme\\Größe"], False)
    path = tmp_path / "sub" / "path-record.json"
    cp.write_record(str(path), record)
    path.read_bytes().decode("ascii")  # portable between Python 2.7 and 3.x
    assert cp.read_record(str(path)) == record
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(cp.PathError, match="not a choconsis PATH record"):
        cp.read_record(str(path))


def test_script_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        cp.main(["add", "--scope", "machine", "--record", "r.json"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cp.main(["remove", "--scope", "system", "--record", "r.json"])
    assert exc.value.code == 2


PY2_PROBE = r"""
import imp, json, sys
cp = imp.load_source("choconsis_path", sys.argv[1])
value = u"%SystemRoot%\\system32;;C:\\Gr\u00f6\u00dfe\\;"
new, added = cp.add_entries(value, [u"C:\\Neu", u"c:\\gr\u00f6\u00dfe", u"C:\\Neu\\"])
record = cp.merge_record({}, u"machine", added, False)
cp.write_record(sys.argv[2], record)
back, removed = cp.remove_entries(new, cp.read_record(sys.argv[2])["added"])
code = cp.main([u"remove", u"--scope", u"machine", u"--record", sys.argv[2]])
out = {"new": new, "added": added, "back": back, "removed": removed, "code": code}
sys.stdout.write(json.dumps(out) + "\n")
"""


def _python27() -> str | None:
    """A working Python 2.7 interpreter (pyenv shims exist even when the version is inactive)."""
    candidates = [shutil.which("python2.7"), shutil.which("python2"),
                  *sorted(str(p) for p in Path.home().glob(".pyenv/versions/2.7*/bin/python2.7"))]
    for candidate in filter(None, candidates):
        proc = subprocess.run([candidate, "-c", "import sys; assert sys.version_info[:2] == (2, 7)"],
                              capture_output=True, check=False)
        if proc.returncode == 0:
            return candidate
    return None


def test_path_logic_under_python27(tmp_path: Path) -> None:
    """The script runs with the installed runtime, which is Python 2.7 in the 2013 recipe."""
    python27 = _python27()
    if python27 is None:
        pytest.skip("no Python 2.7 interpreter on this machine")
    record = tmp_path / "record.json"
    proc = subprocess.run([python27, "-c", PY2_PROBE, str(PATH_SCRIPT), str(record)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    value = "%SystemRoot%\\system32;;C:\\Größe\\;"
    assert got["new"] == "C:\\Neu;" + value
    assert got["added"] == ["C:\\Neu"] == got["removed"]
    assert got["back"] == value
    assert got["code"] == 1  # no registry on Linux: a clear error, not a traceback
    assert "runs on Windows only" in proc.stderr
    assert record.exists()  # a failed remove keeps the record


# ============================================================================ NSIS probes

PROBE_HEADER = r"""Unicode true
Target {target}
!addincludedir "{nsis_dir}"
!addincludedir "{probe_dir}"
!include download.nsh
!include path.nsh
Name probe
OutFile "{out}"
RequestExecutionLevel admin
SilentInstall silent
SetDateSave off
"""

SENTINELS = ["$0", "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9",
             "$R0", "$R1", "$R2", "$R3"]


def _probe_header(target: str, out: Path) -> str:
    """The probe's settings, the download reasons (rendered as installer.nsi has them) and
    the includes."""
    head, includes = PROBE_HEADER.split("!include download.nsh\n")
    return (head.format(target=target, nsis_dir=NSIS_DIR, probe_dir=PROBE_DIR) + reason_macros()
            + "!include download.nsh\n" + includes.format(out=out))


def _probe_script(target: str, out: Path, body: str) -> str:
    """An installer that runs BODY (pushing results), then writes the results and every register
    to result.txt (UTF-16LE) beside itself, one per line."""
    fill = "\n".join(f'  StrCpy {reg} "keep{reg[1:]}"' for reg in SENTINELS)
    dump = "".join(f"{reg}$\\r$\\n" for reg in SENTINELS)
    return (_probe_header(target, out)
            + "Section\n" + fill + "\n" + body
            + '\n  Pop $R9\n  Pop $R8\n  Pop $R7\n'
              '  FileOpen $R6 "$EXEDIR\\result.txt" w\n'
              '  FileWriteUTF16LE $R6 "$R7$\\r$\\n$R8$\\r$\\n$R9$\\r$\\n' + dump + '"\n'
              '  FileClose $R6\nSectionEnd\n'
              # The uninstaller side must compile too (CallArtificialFunction per side).
              'Section "-write uninstaller"\n  WriteUninstaller "$EXEDIR\\u.exe"\nSectionEnd\n'
              'Section "Uninstall"\n'
              '  !insertmacro ChoconsisMsiProductCode "$INSTDIR\\x.msi"\n  Pop $0\n'
              '  !insertmacro ChoconsisSha256File "$INSTDIR\\x.msi"\n  Pop $0\n'
              '  !insertmacro ChoconsisPathRemove "$INSTDIR\\python.exe" '
              '"$INSTDIR\\choconsis_path.py" machine "$INSTDIR\\path.json"\n  Pop $0\n'
              'SectionEnd\n')


def _makensis(workdir: Path, script: str) -> subprocess.CompletedProcess[str]:
    (workdir / "probe.nsi").write_text(script, encoding="utf-8")
    proc = subprocess.run(["makensis", "-V2", "-INPUTCHARSET", "UTF8", "probe.nsi"],
                          cwd=workdir, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _three_results_body(*lines: str) -> str:
    """Probe body from three blocks that each push one result."""
    assert len(lines) == 3
    return "\n".join(lines)


@needs_makensis
@pytest.mark.parametrize("target", ["amd64-unicode", "x86-unicode"])
def test_macros_compile_without_warnings_on_both_targets(tmp_path: Path, target: str) -> None:
    body = _three_results_body(
        '  !insertmacro ChoconsisDownloadVerified "https://example.org/a.msi" "$TEMP\\a.msi" '
        '"00"',
        '  !insertmacro ChoconsisSha256File "$EXEPATH"',
        '  !insertmacro ChoconsisPathAdd "$INSTDIR\\python.exe" "$INSTDIR\\choconsis_path.py" '
        'user "$INSTDIR\\path.json" `"$INSTDIR" "$INSTDIR\\Scripts"`')
    proc = _makensis(tmp_path, _probe_script(target, tmp_path / "probe.exe", body))
    assert "warning" not in (proc.stdout + proc.stderr).lower()
    assert (tmp_path / "probe.exe").stat().st_size > 0


# ============================================================================ Wine


def _wine_modules():
    """generator.wine and tests/kit/wine/artifacts.py, or skip with the reason."""
    if shutil.which("makensis") is None:
        pytest.skip("makensis missing (Debian package nsis)")
    if shutil.which("wine") is None and shutil.which("wine64") is None:
        pytest.skip("wine missing (Debian packages wine wine64)")
    from choconsis.smoke import wine
    from kit.wine import artifacts as wine_artifacts

    return wine, wine_artifacts


@pytest.fixture(scope="session")
def wine_template():
    """This module's clean prefix (the kit's wine_prefix fixture copies it for each test)."""
    wine, artifacts = _wine_modules()
    from choconsis.smoke import prefixes

    return prefixes.template_prefix(artifacts.cache_dir())


@pytest.fixture(scope="module")
def shared_prefix(wine_template, tmp_path_factory):
    """One prefix copy for the download tests (they change nothing but files beside the probe)."""
    prefix = wine_template.copy_to(tmp_path_factory.mktemp("dl") / "prefix")
    yield prefix
    prefix.kill()
    shutil.rmtree(prefix.path, ignore_errors=True)


@pytest.fixture(scope="session")
def runtime() -> Path:
    """The WinPython cp312 folder (python.exe at its root), unpacked once into the test cache."""
    _, artifacts = _wine_modules()
    return artifacts.runtime_tree(artifacts.cache_dir())


def _run_probe(prefix, workdir: Path, body: str) -> list[str]:
    _makensis(workdir, _probe_script("amd64-unicode", workdir / "probe.exe", body))
    result = prefix.run([str(workdir / "probe.exe")], timeout=300)
    assert result.code == 0, result.output
    lines = (workdir / "result.txt").read_bytes().decode("utf-16-le").split("\r\n")
    registers = lines[3:3 + len(SENTINELS)]
    assert registers == [f"keep{reg[1:]}" for reg in SENTINELS], "a macro changed a register"
    return lines[:3]


def _download_body(url: str, dest: str, sha: str) -> str:
    return _three_results_body(
        f'  !insertmacro ChoconsisDownloadVerified "{url}" "{dest}" "{sha}"',
        f'  !insertmacro ChoconsisSha256File "{dest}"',
        '  Push "-"')


@pytest.mark.slow
def test_download_verified_good_file(shared_prefix, loopback, tmp_path: Path) -> None:
    data = b"choconsis " * 5000
    url = loopback.add("/files/good.msi", data)
    sha = hashlib.sha256(data).hexdigest().upper()  # the pin's case does not matter
    result, digest, _ = _run_probe(shared_prefix, tmp_path,
                                   _download_body(url, "$EXEDIR\\got.msi", sha))
    assert result == "OK"
    assert digest == sha.lower()
    assert (tmp_path / "got.msi").read_bytes() == data


@pytest.mark.slow
def test_download_sha_mismatch_is_refused_and_deleted(shared_prefix, loopback,
                                                      tmp_path: Path) -> None:
    data = b"tampered installer"
    url = loopback.add("/files/bad.msi", data)
    pin = hashlib.sha256(b"the real installer").hexdigest()
    result, digest, _ = _run_probe(shared_prefix, tmp_path,
                                   _download_body(url, "$EXEDIR\\bad.msi", pin))
    actual = hashlib.sha256(data).hexdigest()
    assert result == f"sha256 mismatch for {url}: got {actual}, expected {pin}"
    assert not (tmp_path / "bad.msi").exists()
    assert digest.startswith("error: cannot open")


@pytest.mark.slow
def test_download_http_error_names_url_and_status(shared_prefix, loopback,
                                                  tmp_path: Path) -> None:
    url = loopback.url("/files/missing.msi")
    result, _, _ = _run_probe(shared_prefix, tmp_path,
                              _download_body(url, "$EXEDIR\\missing.msi", "00" * 32))
    assert result == f"download failed: {url} (HTTP 404 Not Found)"
    assert not (tmp_path / "missing.msi").exists()
    assert loopback.hits["/files/missing.msi"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("url, code", [
    ("http://127.0.0.1:9/files/x.msi", 12029),  # nothing listens: WinINet cannot connect
    ("https://no-such-host.invalid/x.msi", 12007),  # .invalid never resolves (RFC 2606)
])
def test_download_network_error_says_why(shared_prefix, tmp_path: Path, url: str,
                                         code: int) -> None:
    """The WinINet code keeps its number and gets the words of choconsis/netreasons.py."""
    from choconsis.netreasons import wininet_words

    result, _, _ = _run_probe(shared_prefix, tmp_path,
                              _download_body(url, "$EXEDIR\\x.msi", "00" * 32))
    assert result == f"download failed: {url} (code {code}: {wininet_words(code)})"
    assert wininet_words(code) and not (tmp_path / "x.msi").exists()


@pytest.mark.slow
def test_download_cut_short_is_refused(shared_prefix, loopback, tmp_path: Path) -> None:
    data = bytes(range(256)) * 4096
    url = loopback.add("/files/cut.msi", data, truncate=100_000)
    result, _, _ = _run_probe(shared_prefix, tmp_path, _download_body(
        url, "$EXEDIR\\cut.msi", hashlib.sha256(data).hexdigest()))
    assert result != "OK"
    assert result.startswith((f"download failed: {url} (code ", f"sha256 mismatch for {url}:"))
    assert not (tmp_path / "cut.msi").exists()


@pytest.mark.slow
def test_download_of_a_few_megabytes_hashes_like_hashlib(shared_prefix, loopback,
                                                         tmp_path: Path) -> None:
    data = hashlib.shake_256(b"choconsis").digest(5 * 1024 * 1024 + 12345)
    url = loopback.add("/files/big.bin", data)
    sha = hashlib.sha256(data).hexdigest()
    result, digest, _ = _run_probe(shared_prefix, tmp_path,
                                   _download_body(url, "$EXEDIR\\big.bin", sha))
    assert (result, digest) == ("OK", sha)
    assert (tmp_path / "big.bin").read_bytes() == data


@pytest.mark.slow
def test_sha256_of_a_file_with_a_hostile_name(shared_prefix, tmp_path: Path) -> None:
    """Arguments arrive as escaping.nsis_string makes them: backtick, quote and $ stay literal."""
    from choconsis.escaping import nsis_string

    name = "we`ird 'name' $R0 $$ %TEMP%.bin"
    data = b"hostile name, harmless bytes"
    (tmp_path / name).write_bytes(data)
    dest = '"$EXEDIR\\' + nsis_string(name)[1:]
    result, missing, _ = _run_probe(shared_prefix, tmp_path, _three_results_body(
        f"  !insertmacro ChoconsisSha256File {dest}",
        f"  !insertmacro ChoconsisSha256File {dest[:-1]}x\"",
        '  Push "-"'))
    assert result == hashlib.sha256(data).hexdigest()
    assert missing.startswith("error: cannot open ") and missing.endswith(".binx (code 2)")


@pytest.mark.slow
def test_exit_codes_of_windows_crashes_in_words(shared_prefix, tmp_path: Path) -> None:
    """setup.exe's ChoconsisExitWords (rendered from choconsis/engine/exit_status.py) says
    what the engine says, for the signed (ExecWait, nsExec) and unsigned forms."""
    from choconsis.engine.exit_status import exit_words

    results = _run_probe(shared_prefix, tmp_path, _three_results_body(
        "  StrCpy $R4 -1073741515\n  !insertmacro ChoconsisExitWords $R4 $R5\n  Push $R5",
        "  StrCpy $R4 3221225781\n  !insertmacro ChoconsisExitWords $R4 $R5\n  Push $R5",
        "  StrCpy $R4 2\n  !insertmacro ChoconsisExitWords $R4 $R5\n  Push \"[$R5]\""))
    words = f" ({exit_words(-1073741515)})"
    assert results == [words, words, "[]"]
    assert "a DLL it needs is missing" in words


@pytest.mark.slow
def test_msi_product_code(shared_prefix, tmp_path: Path) -> None:
    if shutil.which("wixl") is None:
        pytest.skip("wixl missing (Debian package wixl)")
    code = "{" + str(uuid.uuid4()).upper() + "}"
    (tmp_path / "note.txt").write_text("note\n")
    (tmp_path / "p.wxs").write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{code}" Name="choconsis probe" Language="1033" Version="1.2.3"
           Manufacturer="choconsis tests" UpgradeCode="{{{str(uuid.uuid4()).upper()}}}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="INSTALLDIR" Name="Probe">
        <Component Id="Note" Guid="{{{str(uuid.uuid4()).upper()}}}" Win64="yes">
          <File Id="Note" Source="note.txt" KeyPath="yes"/>
        </Component>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Note"/></Feature>
  </Product>
</Wix>
""", encoding="utf-8")
    subprocess.run(["wixl", "-a", "x64", "-o", "p.msi", "p.wxs"], cwd=tmp_path, check=True,
                   capture_output=True)
    body = _three_results_body(
        '  !insertmacro ChoconsisMsiProductCode "$EXEDIR\\p.msi"',
        '  !insertmacro ChoconsisMsiProductCode "$EXEDIR\\absent.msi"',
        '  Push "-"')
    found, absent, _ = _run_probe(shared_prefix, tmp_path, body)
    assert found == code
    assert absent.startswith("error: cannot open MSI ") and "absent.msi" in absent


# ---------------------------------------------------------------------------- PATH under Wine

REGTOOL = r'''
import json, sys, winreg
KEYS = {"machine": (winreg.HKEY_LOCAL_MACHINE,
                    r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment"),
        "user": (winreg.HKEY_CURRENT_USER, "Environment")}
command, scope = sys.argv[1], sys.argv[2]
root, sub = KEYS[scope]
key = winreg.CreateKeyEx(root, sub, 0, winreg.KEY_ALL_ACCESS)
if command == "set":
    with open(sys.argv[3], encoding="utf-8") as fh:
        wanted = json.load(fh)
    if wanted is None:
        try:
            winreg.DeleteValue(key, "Path")
        except FileNotFoundError:
            pass
    else:
        winreg.SetValueEx(key, "Path", 0, wanted["type"], wanted["value"])
try:
    value, kind = winreg.QueryValueEx(key, "Path")
    state = {"value": value, "type": kind}
except FileNotFoundError:
    state = None
print("REGTOOL " + json.dumps(state))
'''


class PathRig:
    """python.exe, the PATH script and a registry reader/writer in one Wine prefix."""

    def __init__(self, prefix, runtime: Path, workdir: Path) -> None:
        self.prefix = prefix
        self.python = str(runtime / "python.exe")
        self.workdir = workdir
        (workdir / "regtool.py").write_text(REGTOOL, encoding="utf-8")
        shutil.copy(PATH_SCRIPT, workdir / "choconsis_path.py")
        self.record = prefix.to_windows(workdir / "path-record.json")
        self.seconds: list[float] = []

    def win(self, name: str) -> str:
        return self.prefix.to_windows(self.workdir / name)

    def registry(self, scope: str, wanted: object = "read") -> dict | None:
        args = [self.python, self.win("regtool.py")]
        if wanted == "read":
            args += ["get", scope]
        else:
            (self.workdir / "wanted.json").write_text(json.dumps(wanted), encoding="utf-8")
            args += ["set", scope, self.win("wanted.json")]
        result = self.prefix.run(args, timeout=120)
        lines = [ln for ln in result.output.splitlines() if ln.startswith("REGTOOL ")]
        assert result.code == 0 and lines, result.output
        return json.loads(lines[-1][len("REGTOOL "):])

    def script(self, *args: str) -> str:
        result = self.prefix.run([self.python, "-E", "-s", self.win("choconsis_path.py"),
                                  *args], timeout=120)
        assert result.code == 0, result.output
        self.seconds.append(result.seconds)
        return result.output


def long_path(length: int) -> str:
    """A PATH value of at least LENGTH characters with what real ones hold: %VARS%, spaces,
    trailing backslashes, an empty element, non-ASCII letters and a trailing separator."""
    parts = [r"%SystemRoot%\system32", "%SystemRoot%", r"%SystemRoot%\System32\Wbem", "",
             r"C:\Program Files\Größe Tool\bin\\"]
    n = 0
    while len(";".join(parts)) < length:
        parts.append(rf"C:\Program Files (x86)\Vendor {n:03d}\Some Tool\bin" + "\\" * (n % 2))
        n += 1
    return ";".join(parts) + ";"


NEW = [r"C:\Choconsis Test\Python", r"C:\Choconsis Test\Python\Scripts"]


@pytest.mark.slow
@pytest.mark.parametrize("scope, kind, length", [
    ("machine", REG_EXPAND_SZ, 3200),
    ("machine", REG_EXPAND_SZ, 8500),
    ("user", REG_EXPAND_SZ, 3200),
    ("user", REG_SZ, 3200),
    ("user", None, 0),  # no Path value yet: created as REG_EXPAND_SZ, deleted again
])
def test_path_script_prepends_and_restores_exactly(wine_prefix, runtime, tmp_path: Path,
                                                   scope: str, kind: int | None,
                                                   length: int) -> None:
    rig = PathRig(wine_prefix, runtime, tmp_path)
    before = None if kind is None else {"value": long_path(length), "type": kind}
    assert rig.registry(scope, before) == before
    # Already there (other case, extra trailing backslash). ASCII: wine converts a Linux argv
    # with the Linux locale; non-ASCII arguments are covered by the path.nsh test below.
    present = [] if before is None else ["C:\\PROGRAM FILES (X86)\\VENDOR 000\\Some Tool\\bin\\"]

    rig.script("add", "--scope", scope, "--record", rig.record, *NEW, *present)
    joined = ";".join(NEW)
    expected = {"value": joined + ";" + before["value"] if before else joined,
                "type": kind or REG_EXPAND_SZ}
    assert rig.registry(scope) == expected

    out = rig.script("add", "--scope", scope, "--record", rig.record, *NEW)  # repair
    assert "nothing added" in out  # and the value read after the next add proves it
    third = r"C:\Choconsis Test\Extra"  # an upgrade that adds one more entry
    rig.script("add", "--scope", scope, "--record", rig.record, *NEW, third)
    assert rig.registry(scope) == {**expected, "value": third + ";" + expected["value"]}

    rig.script("remove", "--scope", scope, "--record", rig.record)
    assert rig.registry(scope) == before
    assert not (tmp_path / "path-record.json").exists()
    print(f"\nchoconsis_path.py runs under wine ({scope}, {length} chars): "
          + ", ".join(f"{s:.2f} s" for s in rig.seconds))


@pytest.mark.slow
def test_path_script_failure_exits_non_zero_with_message(wine_prefix, runtime,
                                                         tmp_path: Path) -> None:
    rig = PathRig(wine_prefix, runtime, tmp_path)
    odd = {"value": [r"C:\a", "%SystemRoot%"], "type": REG_MULTI_SZ}
    rig.registry("machine", odd)
    result = wine_prefix.run([rig.python, rig.win("choconsis_path.py"), "add", "--scope",
                               "machine", "--record", rig.record, r"C:\b"], timeout=120)
    assert result.code == 1
    assert "choconsis_path: error: Path has registry type 7" in result.output
    assert rig.registry("machine") == odd


@pytest.mark.slow
def test_path_macros_in_an_installer(wine_prefix, runtime, tmp_path: Path) -> None:
    rig = PathRig(wine_prefix, runtime, tmp_path)
    before = {"value": long_path(3100), "type": REG_EXPAND_SZ}
    rig.registry("machine", before)
    python = wine_prefix.to_windows(Path(rig.python))
    script = rig.win("choconsis_path.py")
    # A non-ASCII entry: NSIS hands python.exe a UTF-16 command line, which must arrive intact.
    new = [*NEW, r"C:\Choconsis Test\Größe"]
    entries = " ".join(f'"{e}"' for e in new)
    add = (f'  !insertmacro ChoconsisPathAdd "{python}" "{script}" machine "{rig.record}" '
           f'`{entries}`')
    codes = _run_probe(wine_prefix, tmp_path, _three_results_body(add, add, '  Push "-"'))
    assert codes == ["0", "0", "-"]
    assert rig.registry("machine") == {**before, "value": ";".join(new) + ";" + before["value"]}

    remove = f'  !insertmacro ChoconsisPathRemove "{python}" "{script}" %s "{rig.record}"'
    codes = _run_probe(wine_prefix, tmp_path, _three_results_body(
        remove % "machine", remove % "system", '  Push "-"'))
    assert codes == ["0", "2", "-"]  # 2: the script's usage error, passed through
    assert rig.registry("machine") == before
