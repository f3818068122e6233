"""Fast tests of the smoke logic that needs no Wine: reg output parsing, PATH rules,
snapshot differences, uninstall command lines, path mapping, and the report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from choconsis import smoke

from choconsis.smoke import wine
from choconsis.errors import ToolMissingError
from choconsis.smoke import Phase, SmokeReport, Snapshot
from choconsis.smoke.wine import RegValue

REG_OUTPUT = (
    "\r\n"
    "HKEY_LOCAL_MACHINE\\Software\\Test\r\n"
    "    (Default)    REG_SZ    def val\r\n"
    "    Path    REG_EXPAND_SZ    %SystemRoot%;C:\\Program Files\\x\r\n"
    "    M    REG_MULTI_SZ    a\\0b\r\n"
    "    Empty    REG_SZ    \r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\Software\\Test\\Sub Key\r\n"
    "    D    REG_DWORD    0x5\r\n"
)


def test_parse_reg_query_keys_values_and_types():
    dump = wine.parse_reg_query(REG_OUTPUT)
    assert list(dump) == ["HKEY_LOCAL_MACHINE\\Software\\Test",
                          "HKEY_LOCAL_MACHINE\\Software\\Test\\Sub Key"]
    top = dump["HKEY_LOCAL_MACHINE\\Software\\Test"]
    assert top[""] == RegValue("", "REG_SZ", "def val")
    assert top["path"] == RegValue("Path", "REG_EXPAND_SZ", "%SystemRoot%;C:\\Program Files\\x")
    assert top["m"].data == "a\\0b"
    assert top["empty"] == RegValue("Empty", "REG_SZ", "")
    assert dump["HKEY_LOCAL_MACHINE\\Software\\Test\\Sub Key"]["d"].data == "0x5"


def test_normalize_key_roots():
    assert wine.normalize_key("HKLM\\A\\B") == "HKEY_LOCAL_MACHINE\\A\\B"
    assert wine.normalize_key("hkcu\\Environment") == "HKEY_CURRENT_USER\\Environment"
    with pytest.raises(ValueError):
        wine.normalize_key("HKXX\\A")


def test_view_arg():
    assert wine.view_arg(32) == ["/reg:32"]
    assert wine.view_arg(None) == []
    with pytest.raises(ValueError):
        wine.view_arg(16)


def test_path_mapping_both_ways(tmp_path: Path):
    drive_c = tmp_path / "drive_c"
    (drive_c / "Program Files" / "Thing").mkdir(parents=True)
    assert wine.linux_to_windows(drive_c / "Program Files" / "Thing", drive_c) == \
        "C:\\Program Files\\Thing"
    assert wine.linux_to_windows(drive_c, drive_c) == "C:\\"
    assert wine.linux_to_windows(Path("/opt/x y/setup.exe"), drive_c) == "Z:\\opt\\x y\\setup.exe"
    # case-insensitive lookup of existing names, literal names for new ones
    assert wine.windows_to_linux("c:\\PROGRAM FILES\\thing\\new", drive_c) == \
        drive_c / "Program Files" / "Thing" / "new"
    assert wine.windows_to_linux("Z:\\tmp\\a", drive_c) == Path("/tmp/a")
    with pytest.raises(ValueError):
        wine.windows_to_linux("D:\\x", drive_c)


def test_find_wine_missing_names_the_packages(monkeypatch):
    monkeypatch.setattr(wine.shutil, "which", lambda name: None)
    monkeypatch.setattr(wine.os, "access", lambda *a: False)
    with pytest.raises(ToolMissingError) as err:
        wine.find_wine()
    assert "wine is not installed" in str(err.value)
    assert "apt-get install wine wine64" in str(err.value)


@pytest.mark.parametrize("before, entries, want", [
    (None, ["C:\\Py", "C:\\Py\\Scripts"], "C:\\Py;C:\\Py\\Scripts"),
    ("%SystemRoot%;C:\\x", ["C:\\Py"], "C:\\Py;%SystemRoot%;C:\\x"),
    # already there (other case, trailing backslash): nothing added twice
    ("c:\\py\\;C:\\x", ["C:\\Py", "C:\\Py\\Scripts"], "C:\\Py\\Scripts;c:\\py\\;C:\\x"),
    ("C:\\Py;C:\\Py\\Scripts;;C:\\x;", ["C:\\Py", "C:\\Py\\Scripts"],
     "C:\\Py;C:\\Py\\Scripts;;C:\\x;"),
])
def test_expected_path(before, entries, want):
    assert smoke.expected_path(before, entries) == want


def test_check_path_after_install_detects_a_changed_character_and_type():
    long_path = ";".join(f"C:\\Long\\dir{i:04d}" for i in range(300))
    before = RegValue("Path", "REG_EXPAND_SZ", long_path)
    good = RegValue("Path", "REG_EXPAND_SZ", "C:\\Py;" + long_path)
    phase = Phase("registry")
    smoke.check_path_after_install(phase, "machine", before, good, ["C:\\Py"])
    assert phase.ok, phase.checks
    cut = RegValue("Path", "REG_EXPAND_SZ", "C:\\Py;" + long_path[:1000])
    phase = Phase("registry")
    smoke.check_path_after_install(phase, "machine", before, cut, ["C:\\Py"])
    assert [c.name for c in phase.checks if not c.ok] == [
        "machine PATH = recipe entries prepended, every other character kept"]
    retyped = RegValue("Path", "REG_SZ", good.data)
    phase = Phase("registry")
    smoke.check_path_after_install(phase, "machine", before, retyped, ["C:\\Py"])
    assert [c.name for c in phase.checks if not c.ok] == [
        "machine PATH keeps its type REG_EXPAND_SZ"]


def _snap(**kw) -> Snapshot:
    base = dict(uninstall={"HKLM 64-bit": {}}, path={"machine": RegValue("Path", "REG_SZ", "a")},
                files=frozenset({"windows", "windows/system32"}))
    base.update(kw)
    return Snapshot(**base)


def test_diff_snapshots_equal_and_each_kind_of_difference():
    before = _snap()
    assert smoke.diff_snapshots(before, _snap()) == []
    key = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\x"
    after = _snap(uninstall={"HKLM 64-bit": {key: {}}},
                  path={"machine": RegValue("Path", "REG_EXPAND_SZ", "a")},
                  files=frozenset({"windows", "windows/system32", "Python312/python.exe"}))
    diffs = smoke.diff_snapshots(before, after)
    assert f"HKLM 64-bit: registry key added: {key}" in diffs
    assert "machine PATH differs: type REG_SZ -> REG_EXPAND_SZ" in diffs
    assert "file added: C:/Python312/python.exe" in diffs
    assert len(diffs) == 3


def test_diff_snapshots_limits_long_file_lists():
    many = frozenset(f"junk/{i}" for i in range(30))
    diffs = smoke.diff_snapshots(_snap(), _snap(files=_snap().files | many), limit=5)
    assert len(diffs) == 6 and diffs[-1] == "... and 25 more (file added)"


def test_volatile_files():
    assert smoke.is_volatile("windows/temp/x.log")
    assert smoke.is_volatile("users/root/AppData/Local/Temp/nsu1.tmp/Au_.exe")
    assert not smoke.is_volatile("Python312/python.exe")
    assert not smoke.is_volatile("windows/temp")  # the folder itself is expected to stay
    assert smoke.is_volatile("windows/Installer")  # made by msiexec on first use
    assert smoke.is_volatile("users/root/AppData/Local/Microsoft/Windows/INetCookies/index.dat")
    assert smoke.is_volatile("users/root/AppData/Local/Python Entry Points/0123abcd")
    assert not smoke.is_volatile("users/root/AppData/Local/Programs/x.exe")


def test_list_files_skips_volatile(tmp_path: Path):
    (tmp_path / "windows" / "temp").mkdir(parents=True)
    (tmp_path / "windows" / "temp" / "a.tmp").write_text("x")
    (tmp_path / "Py").mkdir()
    (tmp_path / "Py" / "python.exe").write_text("x")
    assert smoke.list_files(tmp_path) == {"windows", "windows/temp", "Py", "Py/python.exe"}


@pytest.mark.parametrize("command, want", [
    ('"C:\\Program Files\\X\\choconsis-x\\uninstall.exe" /S',
     ["C:\\Program Files\\X\\choconsis-x\\uninstall.exe", "/S",
      "_?=C:\\Program Files\\X\\choconsis-x"]),
    ("C:\\X\\uninstall.exe /S", ["C:\\X\\uninstall.exe", "/S", "_?=C:\\X"]),
    ('"C:\\X\\u.exe" /S _?=C:\\Y', ["C:\\X\\u.exe", "/S", "_?=C:\\Y"]),
])
def test_uninstall_args(command, want):
    assert smoke.uninstall_args(command) == want


def test_effective_path_and_check_script():
    machine = RegValue("Path", "REG_EXPAND_SZ", "C:\\Py;%SystemRoot%")
    user = RegValue("Path", "REG_SZ", "C:\\Users\\me\\bin")
    assert smoke.effective_path(machine, user) == "C:\\Py;%SystemRoot%;C:\\Users\\me\\bin"
    assert smoke.effective_path(machine, None) == machine.data
    script = smoke.check_script("C:\\Py", "openstack --version")
    assert script.splitlines()[1] == 'set "PATH=C:\\Py"'
    assert script.splitlines()[2] == "openstack --version"
    assert "\r\n" in script


def test_report_ok_needs_checks_and_all_of_them():
    report = SmokeReport(Path("/x/setup.exe"), "pkg", "1.0")
    assert not report.ok  # no checks at all is not a pass
    p = Phase("install", seconds=12.5)
    p.check("setup.exe /S succeeded", True, "exit 0")
    report.phases.append(p)
    assert report.ok
    text = report.format()
    assert "ok   install       12.5 s" in text and text.endswith("PASSED in 12.5 s")
    q = Phase("leftovers", seconds=1.0)
    q.check("install folder removed", False, "python.exe")
    report.phases.append(q)
    assert not report.ok
    assert report.failures == ["leftovers: install folder removed (python.exe)"]
    assert "FAIL leftovers" in report.format()
    assert "FAILED (1 checks)" in report.format()
    assert report.seconds("install") == 12.5


FOLDERS = {"program_files": "C:\\Program Files", "program_files_x86": "C:\\Program Files (x86)",
           "user_programs": "C:\\users\\me\\AppData\\Local\\Programs"}


def test_expectation_from_builtin_recipe():
    expect = smoke.Expectation.from_recipe(None, folders=FOLDERS)
    assert (expect.package_id, expect.scope) == ("openstack-clients", "user")
    assert expect.install_dir == "C:\\users\\me\\AppData\\Local\\Programs\\openstack-clients"
    # only the app's commands folder on the user's PATH
    assert expect.path == {"user": [expect.install_dir + "\\bin"]}
    assert expect.reg_key.startswith("HKCU\\Software\\Microsoft\\Windows")
    assert expect.check_command == "openstack --version"
    machine = smoke.Expectation.from_recipe(None, scope="machine", folders=FOLDERS)
    assert machine.install_dir == "C:\\Program Files\\openstack-clients"
    assert machine.path == {"machine": [machine.install_dir + "\\bin"]}
    assert machine.reg_key.startswith("HKLM\\") and machine.given_scope
    other = smoke.Expectation.from_recipe(None, install_dir="D:\\Tools\\Py", folders=FOLDERS)
    assert other.path["user"] == ["D:\\Tools\\Py\\bin"] and other.given_dir


def test_expectation_of_an_x86_machine_install_is_under_program_files_x86(tmp_path: Path):
    """An x86 setup.exe's $PROGRAMFILES is %ProgramFiles(x86)% on 64-bit Windows."""
    from choconsis.recipe import load_recipe, resolve_recipe_arg

    text = resolve_recipe_arg(None).read_text(encoding="utf-8")
    amd64 = "python-3.14.7-amd64.zip"
    assert amd64 in text
    x86 = (text.replace('arch = "amd64"', 'arch = "x86"').replace(amd64, "python-3.14.7-win32.zip")
           .replace('index_id = "pythoncore-3.14-64"', 'index_id = "pythoncore-3.14-32"'))
    (tmp_path / "x86.toml").write_text(x86, encoding="utf-8")
    assert load_recipe(tmp_path / "x86.toml").python.arch == "x86"
    expect = smoke.Expectation.from_recipe(str(tmp_path / "x86.toml"), scope="machine",
                                           folders=FOLDERS)
    assert expect.install_dir == "C:\\Program Files (x86)\\openstack-clients"


def test_expectation_of_the_2013_recipe():
    expect = smoke.Expectation.from_recipe("openstack-clients-2013", folders=FOLDERS)
    assert (expect.scope, expect.install_dir) == ("machine", "C:\\Python27")
    assert expect.path == {"machine": ["C:\\Python27", "C:\\Python27\\Scripts"]}


def test_run_smoke_without_installer_is_an_error(tmp_path: Path):
    from choconsis.errors import BuildError

    with pytest.raises(BuildError, match="no such installer"):
        smoke.run_smoke(tmp_path / "nope.exe", recipe=None, keep_prefix=None)


def test_parse_batch_answers_found_missing_and_failed():
    mark = wine._MARK
    out = (REG_OUTPUT + f"{mark}0\r\n"
           "reg: Unable to find the specified registry key\r\n" + f"{mark}1\r\n")
    found, missing = wine.parse_batch_answers(out, ["HKLM\\Software\\Test", "HKLM\\Nope"])
    assert found is not None and found["HKEY_LOCAL_MACHINE\\Software\\Test"]["m"].type == \
        "REG_MULTI_SZ"
    assert missing is None
    with pytest.raises(wine.WineError, match="reg query HKLM\\\\X failed"):
        wine.parse_batch_answers("reg: Access is denied\r\n" + f"{mark}5\r\n", ["HKLM\\X"])
    with pytest.raises(wine.WineError, match="1 answers for 2 queries"):
        wine.parse_batch_answers(f"{mark}0\r\n", ["a", "b"])


def test_cli_smoke_without_wine_is_a_clear_error(tmp_path: Path, monkeypatch, capsys):
    from choconsis import cli

    exe = pe_file(tmp_path / "setup.exe", 0x8664)
    monkeypatch.setattr(wine.shutil, "which", lambda name: None)
    monkeypatch.setattr(wine.os, "access", lambda *a: False)
    assert cli.main(["smoke", str(exe)]) == 1
    err = capsys.readouterr().err
    assert "wine is not installed" in err and "apt-get install wine wine64" in err


def pe_file(path: Path, machine: int) -> Path:
    """The start of a Windows program: MZ header, e_lfanew, the PE signature and machine."""
    head = bytearray(0x200)
    head[:2] = b"MZ"
    head[0x3C:0x40] = (0x80).to_bytes(4, "little")
    head[0x80:0x86] = b"PE\0\0" + machine.to_bytes(2, "little")
    path.write_bytes(bytes(head))
    return path


def test_pe_machine_reads_the_architecture(tmp_path: Path):
    assert wine.pe_machine(pe_file(tmp_path / "a.exe", 0x14C)) == "x86"
    assert wine.pe_machine(pe_file(tmp_path / "b.exe", 0x8664)) == "amd64"
    assert wine.pe_machine(pe_file(tmp_path / "c.exe", 0xAA64)) is None  # arm64: not ours
    (tmp_path / "d.exe").write_bytes(b"MZ")
    assert wine.pe_machine(tmp_path / "d.exe") is None


def test_cli_smoke_of_an_x86_installer_without_wine32_says_how_to_get_it(
        tmp_path: Path, monkeypatch, capsys):
    """Under a wine without its 32-bit side an x86 setup.exe exits 0 having done nothing:
    smoke refuses before running it, and says what to install."""
    from choconsis import cli

    tools = wine.WineTools("/usr/bin/wine", "/usr/bin/wineboot", "/usr/bin/wineserver")
    monkeypatch.setattr(wine, "find_wine", lambda: tools)
    exe = pe_file(tmp_path / "setup.exe", 0x14C)
    assert cli.main(["smoke", str(exe)]) == 1
    err = capsys.readouterr().err
    assert "wine32 (needed by the 32-bit setup.exe) is not installed" in err, err
    assert "dpkg --add-architecture i386 && apt-get update && apt-get install wine32:i386" in err
    wine.require_wine32(tools, pe_file(tmp_path / "amd64.exe", 0x8664))  # amd64: no wine32
    wine.require_wine32(dataclasses.replace(tools, wine32=True), exe)


def test_report_shows_the_tail_of_a_failed_phase_output():
    report = SmokeReport(Path("/x/setup.exe"), "pkg", "1.0")
    ok = Phase("registry", output="noise that passed")
    ok.check("entry", True)
    bad = Phase("install", output="\n".join(f"log line {i}" for i in range(100)))
    bad.check("setup.exe /S succeeded", False, "exit 120")
    report.phases += [ok, bad]
    text = report.format()
    assert "       | log line 99" in text and "       | log line 60" in text
    assert "log line 59" not in text and "noise that passed" not in text


@pytest.mark.parametrize("body, why", [
    (b"PK\x03\x04rest of a nupkg", "a zip archive (a .nupkg?), not a Windows program"),
    (b"[package]\nid = 'x'\n" * 10, "not a Windows program (no MZ header)"),
    (b"MZ" + b"\0" * 200, "an MZ header without a PE signature"),
])
def test_cli_smoke_of_something_not_an_installer_is_refused_before_wine(
        tmp_path: Path, monkeypatch, capsys, body, why):
    """No prefix is made (find_wine is never reached) and the one line says what it is."""
    from choconsis import cli

    def no_wine():
        raise AssertionError("smoke went on to Wine")

    monkeypatch.setattr(wine, "find_wine", no_wine)
    exe = tmp_path / "thing.nupkg"
    exe.write_bytes(body)
    assert cli.main(["smoke", str(exe)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and why in err[0] and str(exe) in err[0], err


def _expectation(expect_text: str) -> "smoke.Expectation":
    expect = smoke.Expectation.from_recipe(None, folders=FOLDERS)
    return dataclasses.replace(expect, check_expect=expect_text)


def test_check_output_must_contain_the_expected_text():
    expect = _expectation("10.5.0")
    passed = Phase("check")
    expect.judge_check(passed, 0, False, "openstack 10.5.0\r\n")
    assert passed.ok and [c.name for c in passed.checks][1] == "its output contains '10.5.0'"
    failed = Phase("check")
    expect.judge_check(failed, 0, False, "File association missing for extension .py\r\n")
    assert not failed.ok and failed.checks[0].ok  # exit 0, but not the expected output
    report = SmokeReport(Path("/x/setup.exe"), "openstack-clients", "10.5.0", [failed])
    text = report.format()
    assert "[ ] its output contains '10.5.0'" in text
    assert "| File association missing for extension .py" in text  # the output, shown
    plain = Phase("check")
    _expectation("").judge_check(plain, 0, False, "anything")
    assert plain.ok and len(plain.checks) == 1
    timed = Phase("check")
    expect.judge_check(timed, 0, True, "10.5.0")
    assert not timed.ok and timed.checks[0].detail == "timed out"


def test_expectation_reads_check_expect(tmp_path: Path):
    from kit.recipes import recipe_text

    text = recipe_text("openstack-clients")
    assert 'expect = "openstack 10.5.0"' in text
    text = text.replace('expect = "openstack 10.5.0"', 'expect = "10.5.0"', 1)
    (tmp_path / "r.toml").write_text(text, encoding="utf-8")
    assert smoke.Expectation.from_recipe(str(tmp_path / "r.toml"),
                                         folders=FOLDERS).check_expect == "10.5.0"


def test_a_check_that_cannot_start_says_why_in_words():
    """Wine's exit status keeps 8 bits of -1073741515 (53): the check script prints the whole
    code, and the report says what it means."""
    script = smoke.check_script("C:\\Py", "ruff --version")
    assert script.splitlines()[3:] == ['set "CHOCONSIS_EXIT=%ERRORLEVEL%"',
                                       "echo choconsis-smoke-exit-code: %CHOCONSIS_EXIT%",
                                       "exit /b %CHOCONSIS_EXIT%"]
    phase = Phase("check")
    _expectation("").judge_check(phase, 53, False,
                                 "some output\r\nchoconsis-smoke-exit-code: -1073741515\r\n")
    assert not phase.ok
    assert phase.checks[0].detail == \
        "exit -1073741515 (0xC0000135: a DLL it needs is missing): some output"
    assert "choconsis-smoke-exit-code" not in phase.output
    ok = Phase("check")
    _expectation("1.0").judge_check(ok, 0, False, "x 1.0\r\nchoconsis-smoke-exit-code: 0\r\n")
    assert ok.ok and ok.output == "x 1.0\r\n"


def test_a_failed_install_names_its_cause_from_the_log():
    from choconsis.smoke.run import failure_cause

    log = ("2026-12-05 07:00:00  step 4 (packages): start (engine; owns: ours)\r\n"
           "2026-12-05 07:00:09  FAILED: step 4 (packages) failed: uv.exe exited with code 2; "
           "its last 1 line(s):\r\n  error: invalid peer certificate: UnknownIssuer\r\n"
           "2026-12-05 07:00:10  rollback done; the log is C:\\t\\x-install.log\r\n")
    assert failure_cause(log) == \
        "step 4 (packages) failed: uv.exe exited with code 2; its last 1 line(s):"
    aborted = "2026-12-05 07:00:00  setup.exe stops: x installs for all users only\r\n"
    assert failure_cause(aborted) == "setup.exe stops: x installs for all users only"


@pytest.mark.slow  # compiles with zig on a cold cache (about 5 s per target)
def test_the_tar_stand_in_goes_where_a_prefix_lacks_tar_exe(tmp_path: Path):
    """choconsis.smoke.tar: a tar.exe for each system folder of the prefix that lacks one,
    built once per target (a 64-bit PE for system32, a 32-bit one for syswow64)."""
    pytest.importorskip("ziglang")
    import struct

    from choconsis.smoke import tar
    from kit.wine.artifacts import cache_dir

    drive_c = tmp_path / "drive_c"
    for folder in ("system32", "syswow64"):
        (drive_c / "windows" / folder).mkdir(parents=True)
        (drive_c / "windows" / folder / "kernel32.dll").write_bytes(b"MZ")
    cache = cache_dir() / "wine"
    assert tar.provide(drive_c, cache) == ["system32", "syswow64"]
    machines = {}
    for folder in ("system32", "syswow64"):
        exe = (drive_c / "windows" / folder / "tar.exe").read_bytes()
        pe = struct.unpack_from("<I", exe, 0x3C)[0]
        assert exe[:2] == b"MZ" and exe[pe:pe + 4] == b"PE\0\0"
        machines[folder] = struct.unpack_from("<H", exe, pe + 4)[0]
    assert machines == {"system32": 0x8664, "syswow64": 0x14C}
    assert tar.provide(drive_c, cache) == []  # there already: left alone
