"""choconsis new: a recipe for a Python CLI from the loopback index and python.org listing,
that check accepts with no warning the recipe could have avoided, and that builds."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from choconsis.check import check_path
from choconsis.lock.files import read_lock_file as read_lock
from choconsis.plan import build_plan
from choconsis.recipe import load_recipe
from kit.cli import one_error_line, run_cli
from kit.index import FakeIndex, python_listing

PY_BYTES = b"MZ the python.org installer " * 512
# python.org as it looks: a newer release without Windows installers, a pre-release, and the
# x86 installer beside the amd64 one.
FOLDERS = {
    "3.11.9": ["python-3.11.9-amd64.exe", "python-3.11.9.exe"],
    "3.12.10": ["python-3.12.10-amd64.exe", "python-3.12.10.exe"],
    "3.13.3": ["python-3.13.3-amd64.exe", "python-3.13.3.exe"],
    "3.13.4": ["Python-3.13.4.tgz"],
    "3.14.0": ["python-3.14.0rc1-amd64.exe"],
    "3.15.0a1": ["python-3.15.0a1-amd64.exe"],
}
HTTPIE_METADATA = (
    "Summary: HTTPie: modern, user-friendly command-line HTTP client for the API era.",
    "Home-page: https://httpie.io/",
    "Author: Jakub Roztocil",
    "Author-email: jakub@roztocil.co",
    "License: BSD",
    "Keywords: http,cli,api,terminal,client",
    "Classifier: License :: OSI Approved :: BSD License",
    "Project-URL: GitHub, https://github.com/httpie/cli",
    "Project-URL: Documentation, https://httpie.io/docs",
    "Project-URL: Twitter, https://twitter.com/httpie",
    "Project-URL: Issues, https://github.com/httpie/cli/issues",
)
HTTPIE_SCRIPTS = {"http": "httpie.__main__:main", "https": "httpie.__main__:main_https",
                  "httpie": "httpie.manager.__main__:main"}


@pytest.fixture
def world(loopback, tmp_path, monkeypatch):
    """The loopback index (httpie 3.2.4 and 3.2.3 with two dependencies) and python.org."""
    monkeypatch.setenv("CHOCONSIS_CACHE", str(tmp_path / "cache"))
    idx = FakeIndex(loopback)
    for version in ("3.2.3", "3.2.4"):
        idx.wheel("httpie", version, requires=("requests>=2.22", "Pygments>=2.5.2"),
                  requires_python=">=3.7", metadata=HTTPIE_METADATA,
                  console_scripts=HTTPIE_SCRIPTS)
    idx.sdist("httpie", "3.2.4")
    idx.wheel("requests", "2.32.3", requires=("charset-normalizer>=2",),
              metadata=("License-Expression: Apache-2.0",))
    idx.wheel("charset-normalizer", "3.4.0", tag="cp313-cp313-win_amd64")
    idx.wheel("charset-normalizer", "3.4.0", tag="cp312-cp312-win_amd64")
    idx.wheel("charset-normalizer", "3.4.0", tag="cp312-cp312-win32")
    idx.wheel("Pygments", "2.18.0", metadata=("License: BSD-2-Clause",))
    idx.wheel("nocli", "1.0", metadata=("Summary: a library",))
    # ruff's and awscli's kinds of command: a native program, a legacy script and its .cmd
    idx.wheel("ruffish", "0.9.1", tag="py3-none-win_amd64",
              data_scripts={"ruffish.exe": b"MZ a native program"})
    idx.wheel("awsish", "1.40.0", data_scripts={"awsish": b"#!python\nimport awsish\n",
                                                 "awsish.cmd": b"@echo off\r\n"})
    idx.wheel("oldonly", "1.0", tag="cp310-cp310-win_amd64",
              console_scripts={"old": "oldonly:main"})
    idx.publish()
    listing = python_listing(loopback, FOLDERS, data=PY_BYTES)
    return idx, listing


def _new(capsys, world, folder: Path, *args: str) -> tuple[int, str, str]:
    """choconsis new with python.org's EXE installers (runtime packages, the default:
    tests/test_new_runtime.py)."""
    idx, listing = world
    return run_cli(capsys, "new", *args, "-d", str(folder), "--index-url", idx.url,
                   "--installer", "exe", "--python-index-url", listing)


def test_new_then_build(world, tmp_path, capsys):
    """The issue's 'done when': choconsis new httpie==3.2.4 && choconsis build httpie.toml."""
    idx, listing = world
    code, out, err = _new(capsys, world, tmp_path, "httpie==3.2.4")
    assert code == 0, err
    recipe_path, lock_path = tmp_path / "httpie.toml", tmp_path / "pylock.httpie.toml"
    assert out.splitlines() == [str(recipe_path), str(lock_path)]
    recipe = load_recipe(recipe_path)
    pkg, py = recipe.package, recipe.python
    assert (pkg.id, pkg.version, pkg.title) == ("httpie", "3.2.4", "httpie command-line tool")
    assert pkg.summary == HTTPIE_METADATA[0].removeprefix("Summary: ")
    assert pkg.authors == pkg.owners == "Jakub Roztocil"  # no email in the nuspec (cpmr0020)
    assert (pkg.project_url, pkg.project_source_url, pkg.docs_url, pkg.bug_tracker_url) == (
        "https://httpie.io/", "https://github.com/httpie/cli", "https://httpie.io/docs",
        "https://github.com/httpie/cli/issues")
    assert pkg.license_url == "https://github.com/httpie/cli/blob/HEAD/LICENSE"  # said in err
    assert pkg.tags == ("http", "cli", "api", "terminal", "client", "python")
    assert pkg.release_notes == "httpie 3.2.4 on Python 3.13.3."
    # the newest python.org release with an amd64 exe installer: not 3.13.4 (no installer),
    # not the pre-releases; sha256 of the file itself
    assert (py.version, py.arch, py.installer) == ("3.13.3", "amd64", "exe")
    assert py.url == idx.server.url("/python/3.13.3/python-3.13.3-amd64.exe")
    assert py.sha256 == hashlib.sha256(PY_BYTES).hexdigest()
    # python.org's own all-users folder of the (shared) runtime; nothing forces a machine
    # install and no PATH entry names a folder the install does not make
    assert py.install_dir == "C:\\Program Files\\Python313"
    assert recipe.path.prepend == () and recipe.scope == "user"
    assert "installed with uv" in pkg.description and "python.org's installer" in pkg.description
    assert recipe.pip.requirements == ("httpie==3.2.4",) and recipe.pip.index_url == idx.url
    assert recipe.check.command == "http --version"
    assert recipe.check.expect == "3.2.4"  # what `http --version` prints
    lock = read_lock(lock_path)
    lock.check_matches(recipe)
    assert sorted(lock.names) == ["charset-normalizer", "httpie", "pygments", "requests"]
    assert lock.wheel("charset-normalizer").filename.endswith("cp313-cp313-win_amd64.whl")
    assert "review" in err and "license_url: a guess" in err

    if shutil.which("makensis") is None:
        pytest.skip("makensis missing (Debian package nsis): the build half needs it")
    code, out, err = run_cli(capsys, "build", str(recipe_path), "-o", str(tmp_path / "dist"))
    assert code == 0, err
    assert out.splitlines()[0] == "httpie 3.2.4: web build, not signed"
    assert (tmp_path / "dist" / "httpie-3.2.4-setup.exe").read_bytes()[:2] == b"MZ"
    assert (tmp_path / "dist" / "httpie.3.2.4.nupkg").is_file()


@pytest.mark.parametrize("spec, kinds, check", [
    ("ruffish==0.9.1", {"ruffish": "exe"}, "ruffish --version"),
    ("awsish==1.40.0", {"awsish": "script", "awsish.cmd": "batch"}, "awsish --version"),
])
def test_new_takes_commands_that_are_not_entry_points(world, tmp_path, capsys, spec, kinds,
                                                      check):
    """Issue 16: ruff's program in .data/scripts, awscli's legacy script (its .cmd companion
    stays out of the commands); the lock records each command's kind."""
    code, _out, err = _new(capsys, world, tmp_path, spec)
    assert code == 0, err
    name = spec.split("==")[0]
    recipe = load_recipe(tmp_path / f"{name}.toml")
    assert recipe.check.command == check and recipe.install.commands is None
    lock = read_lock(tmp_path / f"pylock.{name}.toml")
    assert lock.command_kinds == kinds
    plan = build_plan(recipe, lock)
    assert plan.commands == (name,)


def _warnings(findings) -> set[str]:
    return {f.rule_id for f in findings if f.severity in ("error", "warning")}


def test_a_new_recipe_passes_check(world, tmp_path, capsys):
    """No error, and no warning the recipe could have avoided: only the icon and the
    package's own source, which choconsis new cannot know, and says so."""
    code, _, err = _new(capsys, world, tmp_path / "a", "httpie==3.2.4")
    assert code == 0, err
    assert _warnings(check_path(tmp_path / "a" / "httpie.toml")) == {"cpmr0033", "cpmr0040"}
    assert "icon_url: not known to choconsis new (check warns, cpmr0033); --icon-url" in err
    assert "package_source_url: not known" in err and "--package-source-url URL" in err

    code, _, err = _new(capsys, world, tmp_path / "b", "httpie==3.2.4",
                        "--icon-url", "https://httpie.io/static/img/favicon.png",
                        "--package-source-url", "https://github.com/me/recipes")
    assert code == 0, err
    assert _warnings(check_path(tmp_path / "b" / "httpie.toml")) == set()


def test_new_without_a_version_takes_the_newest(world, tmp_path, capsys):
    code, _, err = _new(capsys, world, tmp_path, "httpie", "--python", "3.12", "--arch", "x86")
    assert code == 0, err
    recipe = load_recipe(tmp_path / "httpie.toml")
    assert recipe.pip.requirements == ("httpie==3.2.4",)
    assert (recipe.python.version, recipe.python.arch) == ("3.12.10", "x86")
    assert recipe.python.url.endswith("/3.12.10/python-3.12.10.exe")
    assert recipe.python.install_dir == "C:\\Program Files (x86)\\Python312-32"


def test_new_refuses_to_overwrite(world, tmp_path, capsys):
    (tmp_path / "httpie.lock").write_text("mine\n", encoding="utf-8")
    code, _, err = _new(capsys, world, tmp_path, "httpie==3.2.4")
    assert code == 2
    assert one_error_line(err) == (f"{tmp_path / 'httpie.lock'} exists: choconsis new does not "
                                   "overwrite it without --force")
    assert (tmp_path / "httpie.lock").read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "httpie.toml").exists()
    code, _, err = _new(capsys, world, tmp_path, "httpie==3.2.4", "--force")
    assert code == 0, err
    read_lock(tmp_path / "pylock.httpie.toml").check_matches(
        load_recipe(tmp_path / "httpie.toml"))
    assert not (tmp_path / "httpie.lock").exists()  # the pylock replaced it


def test_new_over_an_old_format_lock_writes_the_pylock_and_removes_it(world, tmp_path, capsys):
    (tmp_path / "httpie.lock").write_text("an old lock\n", encoding="utf-8")
    code, out, err = _new(capsys, world, tmp_path, "httpie==3.2.4", "--force")
    assert code == 0, err
    assert (tmp_path / "pylock.httpie.toml").is_file() and not (tmp_path / "httpie.lock").exists()


@pytest.mark.parametrize("spec, code, message", [
    ("no-such-tool", 2, "no-such-tool: no such project on the index"),
    ("httpie==9.9", 2, "httpie: there is no version 9.9 on "),
    ("httpie>=3", 2, "'httpie>=3': expected PROJECT or PROJECT==VERSION"),
    ("nocli==1.0", 2, "nocli 1.0 installs no command"),
    ("oldonly==1.0", 2, "with an amd64 exe installer suits the project; no wheel of oldonly "
                        "1.0 installs on 3.14.0, 3.13.4, 3.13.3, 3.12.10, 3.11.9"),
])
def test_new_errors(world, tmp_path, capsys, spec, code, message):
    got, out, err = _new(capsys, world, tmp_path, spec, "-q")  # -q: no notes, the error only
    assert (got, out) == (code, "")
    assert message in one_error_line(err)
    assert list(tmp_path.glob("*.toml")) == [] and list(tmp_path.glob("*.lock")) == []


def test_new_with_an_unreachable_index(tmp_path, capsys):
    code, _, err = run_cli(capsys, "new", "httpie", "-d", str(tmp_path), "--index-url",
                           "http://127.0.0.1:9/simple", "--cache", str(tmp_path / "cache"))
    assert code == 1
    assert one_error_line(err).startswith("the index http://127.0.0.1:9/simple could not be "
                                          "reached: the connection was refused")
