"""What the commands print: -q and -v on every command, build's closing summary (mode, signing,
each output with its size and sha256), check of the folder build wrote, check --format json."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from choconsis.cli import make_parser
from kit.cli import run_cli

ROOT = Path(__file__).resolve().parent.parent
needs_makensis = pytest.mark.skipif(shutil.which("makensis") is None,
                                    reason="makensis missing (Debian package nsis)")

COMMAND_LINES = {
    "build": ["build"], "render": ["render"], "lock": ["lock", "r.toml"],
    "check": ["check", "x.nupkg"], "smoke": ["smoke", "setup.exe"],
    "update": ["update", "r.toml"], "schema": ["schema"],
}


def test_every_command_takes_quiet_and_verbose():
    parser = make_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001 - the truth
    assert commands <= set(COMMAND_LINES) | {"new"}, "a command without a test line"
    for name in commands:
        line = COMMAND_LINES.get(name, [name, "demo"])
        assert parser.parse_args([*line, "-q"]).level == 0
        assert parser.parse_args([*line, "--verbose"]).level == 2
        assert parser.parse_args(line).level == 1
    with pytest.raises(Exception, match="not allowed with"):
        parser.parse_args(["schema", "-q", "-v"])


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> tuple[Path, str]:
    """The default recipe built in web mode (what a new user runs first), and what it printed."""
    if shutil.which("makensis") is None:
        pytest.skip("makensis missing (Debian package nsis)")
    from choconsis.cli import main
    import contextlib
    import io

    out = tmp_path_factory.mktemp("build") / "dist"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["build", "-o", str(out)]) == 0
    return out, stdout.getvalue()


def test_build_ends_with_a_summary(dist):
    out, printed = dist
    lines = printed.splitlines()
    assert lines[0] == "openstack-clients 10.5.0: web build, not signed"
    names = ["openstack-clients.10.5.0.nupkg", "openstack-clients-10.5.0-setup.exe",
             "openstack-clients-10.5.0.cdx.json"]
    for line, name in zip(lines[1:4], names):
        path, size, unit, word, digest = line.split()
        assert path == str(out / name) and word == "sha256"
        assert digest == hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert unit in ("B", "KiB", "MiB") and float(size) > 0
    assert lines[4] == (f"  sources: {out / 'openstack-clients' / 'chocolatey'}, "
                        f"{out / 'openstack-clients' / 'nsis'}")


@needs_makensis
def test_quiet_build_prints_the_outputs_only(tmp_path, capsys):
    code, out, err = run_cli(capsys, "build", "-q", "-o", str(tmp_path / "d"))
    assert code == 0 and err == ""
    assert out.splitlines() == [str(tmp_path / "d" / n) for n in (
        "openstack-clients.10.5.0.nupkg", "openstack-clients-10.5.0-setup.exe",
        "openstack-clients-10.5.0.cdx.json")]


def test_check_of_the_folder_build_wrote(dist, capsys):
    out, _ = dist
    code, printed, err = run_cli(capsys, "check", str(out))
    assert code == 0 and err == ""
    lines = printed.splitlines()
    assert lines[-1] == f"{out}: passed: 0 errors, 2 warnings, 1 notes"
    assert lines[0].startswith("openstack-clients-10.5.0-setup.exe: warning: CSG0002 ")
    assert any(ln.startswith("openstack-clients.10.5.0.nupkg/openstack-clients.nuspec "
                             "<iconUrl>: warning: cpmr0033 ") for ln in lines)


def test_check_json_for_ci(dist, capsys):
    out, _ = dist
    code, printed, _ = run_cli(capsys, "check", str(out), "--format", "json")
    assert code == 0
    doc = json.loads(printed)
    assert (doc["path"], doc["verdict"], doc["errors"], doc["warnings"]) == (
        str(out), "passed", 0, 2)
    rules = {(f["rule"], f["severity"], f["location"]) for f in doc["findings"]}
    assert ("CSG0002", "warning", "openstack-clients-10.5.0-setup.exe") in rules
    first = doc["findings"][0]
    assert set(first) == {"rule", "severity", "kind", "title", "message", "location"}


def test_check_json_of_a_failing_package(tmp_path, capsys):
    broken = tmp_path / "broken.nupkg"
    broken.write_bytes(b"not a zip")
    code, printed, _ = run_cli(capsys, "check", str(broken), "--format", "json")
    doc = json.loads(printed)
    assert code == 1 and doc["verdict"] == "failed" and doc["errors"] >= 1
    assert doc["findings"][0]["severity"] == "error"


def test_signing_words():
    from choconsis.build import BuildOptions
    from choconsis.cli.summary import human_size, signing_words

    assert signing_words(BuildOptions()) == "not signed"
    assert signing_words(BuildOptions(sign_cert=Path("/x/release.pfx"))) == \
        "signed with release.pfx"
    assert [human_size(n) for n in (0, 1023, 1024, 5 << 20)] == [
        "0 B", "1023 B", "1.0 KiB", "5.0 MiB"]
