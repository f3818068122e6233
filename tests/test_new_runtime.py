"""choconsis new and update --python with python.org's install-manager index: a private
runtime package by default, from a loopback index (kit.runtimes), a mirror file, or one line
saying why not; and what new writes matches what the README promises."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from choconsis import update as upd
from choconsis.check import check_path
from choconsis.index.simple import SimpleIndex
from choconsis.lock.files import read_recipe_lock
from choconsis.lock.lockfile import LockedWheel
from choconsis.recipe import load_recipe
from choconsis.store import make_session
from choconsis.update import UpdateFailed, UpdateOptions, run_update
from kit.cli import one_error_line, run_cli
from kit.index import FakeIndex
from kit.locks import lock_of
from kit.runtimes import entry, serve_runtime_index


def tiny_runtime() -> bytes:
    """A zip the build can unpack as a runtime (python.exe at its root, a venv module)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in ("python.exe", "python312.dll", "Lib/os.py", "Lib/venv/__init__.py"):
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), b"stand-in " + name.encode())
    return buf.getvalue()


PACKAGE = tiny_runtime()
SCRIPTS = {"http": "httpie.__main__:main", "https": "httpie.__main__:main_https"}


@pytest.fixture
def world(loopback, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOCONSIS_CACHE", str(tmp_path / "cache"))
    idx = FakeIndex(loopback)
    idx.wheel("httpie", "3.2.4", requires_python=">=3.7", console_scripts=SCRIPTS,
              metadata=("Summary: HTTP client.", "Home-page: https://httpie.io/",
                        "Author: Jakub", "License-Expression: BSD-3-Clause"))
    idx.sdist("httpie", "3.3.0")  # the newest release: no wheel at all
    idx.wheel("pre_commit", "4.0.1", console_scripts={"pre-commit": "pre_commit.main:main"},
              metadata=("Summary: hooks.", "Home-page: https://pre-commit.com/",
                        "Author: Anthony", "License-Expression: MIT"))
    idx.wheel("oldpy", "1.0", requires_python="<3.12", console_scripts={"oldpy": "oldpy:main"},
              metadata=("Summary: old.", "Home-page: https://example.org/", "Author: A",
                        "License-Expression: MIT"))
    idx.publish()
    return idx, serve_runtime_index(loopback, PACKAGE)


def _new(capsys, world, folder: Path, *args: str, index: str | None = None):
    idx, site = world
    return run_cli(capsys, "new", *args, "-d", str(folder), "--index-url", idx.url,
                   "--python-index-url", index or site.url)


def test_new_writes_a_private_runtime_package_that_builds(world, tmp_path, capsys):
    idx, site = world
    code, out, err = _new(capsys, world, tmp_path, "httpie")
    assert code == 0, err
    text = (tmp_path / "httpie.toml").read_text(encoding="utf-8")
    recipe = load_recipe(tmp_path / "httpie.toml")
    py = recipe.python
    # the newest usable entry: not the pre-release, not 3.12.41 (no sha256), not x86, not the
    # free-threaded or embeddable builds; pinned by the index's own sha256
    assert (py.version, py.arch, py.installer, py.url, py.sha256) == (
        "3.12.1", "amd64", "package", site.package_url, site.sha256)
    assert (py.index_id, py.index_tag, py.install_dir) == ("pythoncore-3.12-64", "3.12-64", "")
    assert "install_dir" not in text and "[path]" not in text and "[install]" not in text
    assert recipe.scope == "user" and recipe.environment == "venv" and recipe.installer == "uv"
    assert "installed with uv" in recipe.package.description
    assert "private python.org runtime package" in recipe.package.description
    assert "pythoncore-3.12-64 3.12.41" in err and "has no sha256" in err
    assert ("httpie 3.3.0 is the newest release, but it has no wheel (source archives only): "
            "3.2.4 is the newest with one") in err
    assert recipe.lock_path == tmp_path / "pylock.httpie.toml"
    read_recipe_lock(recipe)  # the lock new wrote matches its recipe
    findings = check_path(tmp_path / "httpie.toml")
    assert {f.rule_id for f in findings if f.severity in ("error", "warning")} == {
        "cpmr0033", "cpmr0040"}

    if shutil.which("makensis") is None:
        pytest.skip("makensis missing (Debian package nsis): the build half needs it")
    code, out, err = run_cli(capsys, "build", str(tmp_path / "httpie.toml"), "-o",
                             str(tmp_path / "dist"))
    assert code == 0, err
    assert (tmp_path / "dist" / "httpie-3.2.4-setup.exe").read_bytes()[:2] == b"MZ"
    # web mode leaves the package to setup.exe at install time; new itself never fetched it
    assert idx.server.hits[urlsplit(site.package_url).path] == 0
    code, out, err = run_cli(capsys, "build", str(tmp_path / "httpie.toml"), "--offline",
                             "-o", str(tmp_path / "offline"))
    assert code == 0, err
    # offline: the build fetched (and checked) the package to embed it
    assert idx.server.hits[urlsplit(site.package_url).path] == 1


def test_the_title_is_the_projects_own_name_and_requires_python_picks_the_runtime(
        world, tmp_path, capsys):
    code, _, err = _new(capsys, world, tmp_path / "a", "pre-commit")
    assert code == 0, err
    recipe = load_recipe(tmp_path / "a" / "pre-commit.toml")
    assert recipe.package.title == "pre-commit command-line tool"
    assert recipe.pip.requirements == ("pre-commit==4.0.1",)
    code, _, err = _new(capsys, world, tmp_path / "b", "oldpy")
    assert code == 0, err
    assert load_recipe(tmp_path / "b" / "oldpy.toml").python.version == "3.11.9"


def test_a_mirror_file(world, tmp_path, capsys):
    """A local copy of the index, naming the mirror's files by absolute URL."""
    idx, site = world
    pages = [json.loads(idx.server.routes[p].data) for p in
             ("/pymanager/index-windows.json", "/pymanager/page-2.json")]
    for entry in pages[1]["versions"]:
        entry["url"] = site.package_url if entry["sort-version"] == "3.12.1" else entry["url"]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "index-windows.json").write_text(json.dumps(pages[0]), encoding="utf-8")
    (mirror / "page-2.json").write_text(json.dumps(pages[1]), encoding="utf-8")
    code, _, err = _new(capsys, world, tmp_path / "out", "httpie",
                        index=str(mirror / "index-windows.json"))
    assert code == 0, err
    assert load_recipe(tmp_path / "out" / "httpie.toml").python.url == site.package_url
    # the same file with the package's relative URL: a file: URL no recipe can download
    pages[1]["versions"][0]["url"] = "3.12.1/python-3.12.1-amd64.zip"
    (mirror / "page-2.json").write_text(json.dumps(pages[1]), encoding="utf-8")
    code, out, err = _new(capsys, world, tmp_path / "rel", "httpie", "-q",
                          index=str(mirror / "index-windows.json"))
    assert (code, out) == (2, "")
    line = one_error_line(err)
    assert line.startswith(f"python runtime index {(mirror / 'page-2.json').as_uri()}: "
                           "pythoncore-3.12-64 3.12.1: its url expected an https:// URL")
    assert not (tmp_path / "rel").exists() or not list((tmp_path / "rel").iterdir())


@pytest.mark.parametrize("body, code, needle", [
    (None, 1, "cannot read it: HTTP 404; --python-index-url URL|FILE points at a mirror"),
    (b"<html>not json</html>", 2, "not JSON ("),
    (json.dumps({"versions": []}).encode(), 2,
     "no Python runtime package for amd64 in the python runtime index"),
    (json.dumps({"versions": [entry("3.12.1", url="https://mirror.example/python-3.12.1-amd64"
                                    ".zip", sha256=None)]}).encode(), 2,
     "suits the project (Requires-Python >=3.7); pythoncore-3.12-64 3.12.1 "
     "(https://mirror.example/python-3.12.1-amd64.zip) has no sha256, so a recipe cannot pin it"),
])
def test_an_index_new_cannot_use(world, tmp_path, capsys, body, code, needle):
    idx, _ = world
    url = idx.server.url("/other/index-windows.json")
    if body is not None:
        idx.server.add("/other/index-windows.json", body)
    got, out, err = _new(capsys, world, tmp_path, "httpie", "-q", index=url)
    assert (got, out) == (code, "")
    line = one_error_line(err)
    assert needle in line and (url in line or "runtime index" in line)
    assert list(tmp_path.glob("*.toml")) == [] and list(tmp_path.glob("*.lock")) == []


# ---------------------------------------------------------------------------- update --python


def _resolver(recipe, index_url):
    """The requirements' own wheels, with the sha256 the index declares (no dependencies)."""
    index = SimpleIndex(index_url or recipe.pip.index_url, make_session())
    wheels = []
    for req in recipe.pip.requirements:
        name, version = req.split("==")
        f = next(f for f in index.project(name).files
                 if f.version == Version(version) and f.is_wheel)
        wheels.append(LockedWheel(canonicalize_name(name), version, f.sha256, f.filename, f.url))
    return lock_of(recipe, wheels, index_url=index_url or recipe.pip.index_url)


def test_update_python_moves_a_package_recipe_to_a_newer_package(world, loopback, tmp_path,
                                                                 capsys, monkeypatch):
    code, _, err = _new(capsys, world, tmp_path, "httpie==3.2.4")
    assert code == 0, err
    recipe = tmp_path / "httpie.toml"
    newer = serve_runtime_index(loopback, PACKAGE + b"\0", prefix="/newer/", newer=("3.12.3",))
    monkeypatch.setattr(upd, "_resolve_lock", _resolver)
    opts = UpdateOptions(python=True, python_index_url=newer.url, timeout=5,
                         cache_dir=tmp_path / "cache")
    assert run_update([recipe], opts) == 0
    assert "python (runtime)  3.12.1  3.12.3" in capsys.readouterr().out
    py = load_recipe(recipe).python
    assert (py.version, py.url, py.sha256) == (
        "3.12.3", loopback.url("/newer/3.12.3/python-3.12.3-amd64.zip"), newer.sha256)
    assert (py.installer, py.index_id, py.index_tag) == ("package", "pythoncore-3.12-64",
                                                         "3.12-64")
    assert run_update([recipe], opts) == 0  # up to date now: nothing newer for 3.12-64
    assert load_recipe(recipe).python.version == "3.12.3"


def test_update_python_with_a_tag_no_entry_installs_for(world, tmp_path, capsys, monkeypatch):
    _, site = world
    code, _, err = _new(capsys, world, tmp_path, "httpie==3.2.4")
    assert code == 0, err
    recipe = tmp_path / "httpie.toml"
    text = recipe.read_text(encoding="utf-8").replace('version = "3.12.1"', 'version = "3.10.1"')
    recipe.write_text(text.replace("3.12-64", "3.10-64").replace(
        "python-3.12.1-amd64.zip", "python-3.10.1-amd64.zip"), encoding="utf-8")
    before = recipe.read_bytes()
    monkeypatch.setattr(upd, "_resolve_lock", _resolver)
    with pytest.raises(UpdateFailed) as info:
        run_update([recipe], UpdateOptions(python=True, python_index_url=site.url, timeout=5,
                                           cache_dir=tmp_path / "cache"))
    assert info.value.exit_code == 2
    assert str(info.value) == (f"{recipe}: python.index_tag: python runtime index {site.url}: no "
                               "entry installs for the tag '3.10-64' (its tags: 3.11-64, "
                               "3.12-32, 3.12-64, 3.12t-64, 3.13-dev-64)")
    assert recipe.read_bytes() == before
