"""choconsis update: version rules, the recipe rewrite, and whole updates against a loopback
index and python.org listing (no internet). Tests named *_fake_resolve replace only the core's
resolver (monkeypatched) to test this module's orchestration; the others use the real one."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from choconsis import update as upd
from choconsis.store import make_session
from choconsis.cli import main
from choconsis.errors import ChoconsisError
from choconsis.index.simple import SimpleIndex
from choconsis.lock.lockfile import Lock, LockedWheel, write_lock
from choconsis.recipe import load_recipe
from choconsis.update import UpdateFailed, UpdateOptions, rewrite_recipe, run_update
from choconsis.update.versioning import (VersionError, choco_version, fix_version, next_package_version,
                                  tracks)
from kit.locks import lock_files, lock_of, recipe_lock
from kit.recipes import RECIPES, recipe_text
from kit.index import FakeIndex, python_listing
from kit.runtimes import serve_runtime_index

DAY = dt.date(2026, 11, 26)

# ---------------------------------------------------------------------------- versioning


@pytest.mark.parametrize("upstream, choco", [
    ("10.6.0", "10.6.0"), ("4.8", "4.8"), ("7", "7.0"), ("10.6.0rc1", "10.6.0-rc1"),
    ("2.0b3", "2.0-b3"), ("1.2.3.post2", "1.2.3.2"), ("1.2.post1", "1.2.0.1"),
])
def test_choco_version(upstream, choco):
    assert str(choco_version(upstream)) == choco


@pytest.mark.parametrize("bad", ["1!2.0", "1.0+local", "1.0.dev3", "1.2.3.4.5"])
def test_choco_version_refuses(bad):
    with pytest.raises(VersionError):
        choco_version(bad)


def test_version_rules():
    nxt = next_package_version
    assert nxt("10.5.0", "10.5.0", "10.6.0", changed=True, today=DAY) == "10.6.0"
    assert nxt("10.5.0.20261101", "10.5.0", "10.6.0", changed=True, today=DAY) == "10.6.0"
    assert nxt("10.5.0", "10.5.0", "10.5.0", changed=False, today=DAY) == "10.5.0"
    # repackaging of the same upstream version: date fix notation
    assert nxt("10.5.0", "10.5.0", "10.5.0", changed=True, today=DAY) == "10.5.0.20261126"
    assert nxt("4.8", "4.8", "4.8", changed=True, today=DAY) == "4.8.0.20261126"
    assert nxt("10.5.0.20261101", "10.5.0", "10.5.0", changed=True, today=DAY) == \
        "10.5.0.20261126"
    # a second fix the same day stays above the first and below tomorrow's date + 1
    assert nxt("10.5.0.20261126", "10.5.0", "10.5.0", changed=True, today=DAY) == \
        "10.5.0.20261127"
    # a recipe that does not follow its first requirement: last numeric part + 1
    assert nxt("2013.2.0", "3.22.0", "3.22.0", changed=True, today=DAY) == "2013.2.1"
    assert nxt("2013.2.0", "3.22.0", "3.23.0", changed=True, today=DAY) == "2013.2.1"
    assert nxt("10.5.0", "10.5.0", "11.0.0rc1", changed=True, today=DAY) == "11.0.0-rc1"
    assert tracks("10.5", "10.5.0") and tracks("10.6.0-rc1", "10.6.0rc1")
    assert not tracks("10.5.0.7", "10.5.0")  # a fourth part that is not date-shaped
    with pytest.raises(VersionError):
        fix_version("10.6.0-rc1", "10.6.0rc1", DAY)  # no room for a fix part


def test_versions_order_as_chocolatey_orders_them():
    """Each rule's result is newer than what it replaces (compared numerically)."""
    chain = ["10.5.0", "10.5.0.20261126", "10.5.0.20261127", "10.5.1", "10.6.0"]
    keys = [tuple(int(p) for p in v.split(".")) + (0,) * (4 - v.count(".") - 1) for v in chain]
    assert keys == sorted(keys)
    assert fix_version("10.5.0.20261127", "10.5.0", DAY) == "10.5.0.20261128"


# ---------------------------------------------------------------------------- the rewrite


def test_rewrite_keeps_everything_but_the_changed_values():
    text = recipe_text("openstack-clients")
    new = rewrite_recipe(
        text, requirements={0: "python-openstackclient==10.6.0", 2: "python-novaclient==18.14"},
        python={"version": "3.14.8", "url": "https://www.python.org/ftp/python/3.14.8/"
                "python-3.14.8-amd64.zip", "sha256": "ab" * 32},
        package={"version": "10.6.0", "release_notes": "10.6.0: new clients."})
    expected = (text
                .replace('"python-openstackclient==10.5.0"', '"python-openstackclient==10.6.0"')
                .replace('"python-novaclient==18.13.1"', '"python-novaclient==18.14"')
                .replace('version = "3.14.7"', 'version = "3.14.8"')
                .replace("3.14.7/python-3.14.7-amd64.zip", "3.14.8/python-3.14.8-amd64.zip")
                .replace("ac1a727a71738e11de80b76e975f9b8a258aea6412bfc31696b929d59c6aafd0",
                         "ab" * 32)
                .replace('version = "10.5.0"', 'version = "10.6.0"')
                .replace('"python-openstackclient 10.5.0 on a private Python 3.14.7, per user, in '
                         'its own environment."', '"10.6.0: new clients."'))
    assert new != text and new == expected


def test_rewrite_keeps_the_kind_of_each_string():
    text = ("[package]\nversion = '1.0'  # literal\nrelease_notes = \"\"\"\nold\n\"\"\"\n"
            "[python]\nurl = 'https://x.example/a.exe'\n"
            "[pip]\nrequirements = ['a==1',  # first\n  \"b==2\"]\n")
    new = rewrite_recipe(text, requirements={0: "a==1.1", 1: "b==2.1"},
                         python={"url": "https://x.example/b.exe"},
                         package={"version": "1.1", "release_notes": "new"})
    assert new == ("[package]\nversion = '1.1'  # literal\nrelease_notes = \"\"\"new\"\"\"\n"
                   "[python]\nurl = 'https://x.example/b.exe'\n"
                   "[pip]\nrequirements = ['a==1.1',  # first\n  \"b==2.1\"]\n")


# ---------------------------------------------------------------------------- fixtures

RECIPE = '''# A test recipe: comments and layout must survive an update.

[package]
id = "demo-tool"
version = "10.0.0"   # follows demo-tool
title = "Demo"
authors = "Someone"
summary = "A demo."
description = """
Several lines
of description.
"""
project_url = "https://example.org/"
license_url = "https://example.org/license"

[python]
version = "3.14.7"
arch = "amd64"
installer = "exe"
url = "https://www.python.org/ftp/python/3.14.7/python-3.14.7-amd64.exe"
sha256 = "9d9eb2709ef81bf5cd30db3c2096bdbc4ea10087c22e62f27d356b36f6ae9649"
install_dir = 'C:\\Python314'

[pip]
requirements = [
    "demo-tool==10.0.0",  # the tool
    "helper==1.0",
]
index_url = "INDEX"

[check]
command = "demo --version"
'''

PY_FOLDERS = {
    "3.14.7": ["python-3.14.7-amd64.exe"],
    "3.14.8": ["python-3.14.8-amd64.exe", "python-3.14.8.exe"],
    "3.14.9": ["Python-3.14.9.tgz"],  # a release without Windows installers
    "3.14.10": ["python-3.14.10rc1-amd64.exe"],  # a newer pre-release
}
PY_BYTES = b"MZ a python installer " * 1000


@pytest.fixture
def index(loopback):
    idx = FakeIndex(loopback)
    for v in ("9.0.0", "10.0.0", "10.1.0"):
        idx.wheel("demo-tool", v)
    idx.wheel("demo-tool", "10.2.0", yanked=True)  # a yanked release
    idx.wheel("demo-tool", "11.0.0rc1")  # a newer pre-release
    idx.wheel("helper", "1.0")
    return idx


@pytest.fixture
def recipe(tmp_path, index):
    path = tmp_path / "demo.toml"
    path.write_text(RECIPE.replace("INDEX", index.url), encoding="utf-8")
    return path


def _fake_resolver(deps: dict[str, str]):
    """Stands in for the core's resolve_lock: the requirements' wheels plus the scripted
    dependency versions, with the sha256 the index declares (as pip reports it)."""
    def resolve(recipe, index_url):
        index_url = index_url or recipe.pip.index_url
        index = SimpleIndex(index_url, make_session())
        wheels = []
        pins = [r.partition("==")[::2] for r in recipe.pip.requirements] + list(deps.items())
        for name, version in pins:
            page = index.project(name)
            f = next(f for f in page.files if f.version == Version(version) and f.is_wheel)
            wheels.append(LockedWheel(canonicalize_name(name), version, f.sha256, f.filename,
                                      f.url))
        return lock_of(recipe, wheels, index_url=index_url)
    return resolve


@pytest.fixture
def deps(monkeypatch, index):
    for v in ("2.0", "2.1", "2.2"):
        index.wheel("dep-lib", v)
    scripted = {"dep-lib": "2.0"}
    monkeypatch.setattr(upd, "_resolve_lock", _fake_resolver(scripted))
    return scripted


def _opts(tmp_path, **kw) -> UpdateOptions:
    kw.setdefault("python_index_url", "http://127.0.0.1:9/none/")
    return UpdateOptions(timeout=2.0, cache_dir=tmp_path / "cache", today=DAY, **kw)


def _rows(table: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in table.splitlines()
            if line.strip() and not line.startswith("(")]


def _snapshot(*paths: Path) -> dict[Path, bytes | None]:
    return {p: p.read_bytes() if p.exists() else None for p in paths}


# ---------------------------------------------------------------------------- orchestration


def test_update_fake_resolve(recipe, index, deps, tmp_path, capsys):
    index.publish()
    assert run_update([recipe], _opts(tmp_path)) == 0
    table = capsys.readouterr().out
    assert _rows(table) == [  # not the yanked 10.2.0, nor the pre-release 11.0.0rc1
        ["recipe", "package", "old", "new"],
        ["demo", "demo-tool", "10.0.0", "10.1.0"],
        ["demo", "(lock)", "missing", "3 wheels"],
        ["demo", "demo-tool (package)", "10.0.0", "10.1.0"]]
    new = recipe.read_text(encoding="utf-8")
    assert new == RECIPE.replace("INDEX", index.url).replace(
        '"demo-tool==10.0.0"', '"demo-tool==10.1.0"').replace(
        'version = "10.0.0"   #', 'version = "10.1.0"   #').replace(
        'license_url = "https://example.org/license"\n',
        'license_url = "https://example.org/license"\n'
        'release_notes = "10.1.0: demo-tool 10.0.0 -> 10.1.0."\n')
    lock = recipe_lock(recipe)
    lock.check_matches(load_recipe(recipe))
    assert lock.wheel("demo-tool").version == "10.1.0"


def test_an_old_format_lock_is_replaced_by_the_pylock_fake_resolve(recipe, index, deps,
                                                                   tmp_path, capsys):
    index.publish()
    run_update([recipe], _opts(tmp_path))
    pylock, old = lock_files(recipe)
    write_lock(old, recipe_lock(recipe), "demo")  # as choconsis wrote it before PEP 751 locks
    pylock.unlink()
    deps["dep-lib"] = "2.1"
    capsys.readouterr()
    run_update([recipe], _opts(tmp_path))
    # compared with the old lock (not "missing"), then written as the pylock, the old one gone
    assert ["demo", "dep-lib (dependency)", "2.0", "2.1"] in _rows(capsys.readouterr().out)
    assert pylock.is_file() and not old.exists()
    assert recipe_lock(recipe).wheel("dep-lib").version == "2.1"


def test_recipe_saved_with_a_bom_updates_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    recipe.write_bytes(b"\xef\xbb\xbf" + recipe.read_bytes())  # as Notepad saves it
    assert run_update([recipe], _opts(tmp_path)) == 0
    assert load_recipe(recipe).pip.requirements[0] == "demo-tool==10.1.0"


def test_dependency_only_change_uses_fix_notation_fake_resolve(recipe, index, deps, tmp_path,
                                                                capsys):
    index.publish()
    run_update([recipe], _opts(tmp_path))
    deps["dep-lib"] = "2.1"  # nothing of the recipe moved, a dependency did
    run_update([recipe], _opts(tmp_path))
    assert load_recipe(recipe).package.version == "10.1.0.20261126"
    assert _rows(capsys.readouterr().out)[-2:] == [
        ["demo", "dep-lib (dependency)", "2.0", "2.1"],
        ["demo", "demo-tool (package)", "10.1.0", "10.1.0.20261126"]]
    deps["dep-lib"] = "2.2"  # a second fix the same day
    run_update([recipe], _opts(tmp_path))
    meta = load_recipe(recipe).package
    assert meta.version == "10.1.0.20261127"
    assert meta.release_notes == "10.1.0.20261127: dependencies: dep-lib 2.1 -> 2.2."
    before = _snapshot(recipe, *lock_files(recipe))
    run_update([recipe], _opts(tmp_path))  # nothing changed: nothing is written
    assert _snapshot(recipe, *lock_files(recipe)) == before


def test_missing_lock_is_written_without_a_version_bump_fake_resolve(recipe, index, deps,
                                                                     tmp_path, capsys):
    index.projects["demo-tool"] = index.projects["demo-tool"][:2]  # 10.0.0 is the newest
    index.publish()
    text = recipe.read_bytes()
    run_update([recipe], _opts(tmp_path))
    assert _rows(capsys.readouterr().out)[1:] == [
        ["demo", "(lock)", "missing", "3 wheels"],
        ["demo", "demo-tool (package)", "10.0.0", "10.0.0 (up to date)"]]
    assert recipe.read_bytes() == text
    recipe_lock(recipe).check_matches(load_recipe(recipe))


def test_index_url_is_a_mirror_for_this_run_fake_resolve(tmp_path, index, deps):
    """--index-url replaces the index for the run, as pip's option does; the recipe keeps its
    index_url and its lock still matches it."""
    index.publish()
    recipe = tmp_path / "mirrored.toml"
    recipe.write_text(RECIPE.replace("INDEX", "https://index.invalid/simple"), encoding="utf-8")
    run_update([recipe], _opts(tmp_path, index_url=index.url))
    new = load_recipe(recipe)
    assert new.pip.index_url == "https://index.invalid/simple"
    assert new.pip.requirements[0] == "demo-tool==10.1.0"
    lock = recipe_lock(recipe)
    lock.check_matches(new)
    assert lock.wheel("demo-tool").url.startswith(index.server.base_url)


def test_pre_takes_the_prerelease_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    run_update([recipe], _opts(tmp_path, pre=True))
    r = load_recipe(recipe)
    assert r.pip.requirements[0] == "demo-tool==11.0.0rc1"
    assert r.package.version == "11.0.0-rc1"


def test_dry_run_changes_nothing_and_prints_the_same_table_fake_resolve(recipe, index, deps,
                                                                        tmp_path, capsys):
    index.publish()
    listing = python_listing(index.server, PY_FOLDERS, data=PY_BYTES)
    before = _snapshot(recipe, *lock_files(recipe))
    run_update([recipe], _opts(tmp_path, dry_run=True, python=True, python_index_url=listing))
    dry = capsys.readouterr().out
    assert _snapshot(recipe, *lock_files(recipe)) == before
    assert "/python/3.14.8/python-3.14.8-amd64.exe" not in index.server.hits  # not downloaded
    run_update([recipe], _opts(tmp_path, python=True, python_index_url=listing))
    real = capsys.readouterr().out
    assert dry.replace("(dry run: nothing was written)\n", "") == real
    assert ["demo", "python (runtime)", "3.14.7", "3.14.8"] in _rows(real)


def test_python_update_downloads_once_and_pins_its_sha256_fake_resolve(recipe, index, deps,
                                                                       tmp_path):
    index.publish()
    listing = python_listing(index.server, PY_FOLDERS, data=PY_BYTES)
    other = recipe.with_name("other.toml")
    shutil.copyfile(recipe, other)
    run_update([recipe, other], _opts(tmp_path, python=True, python_index_url=listing))
    for path in (recipe, other):
        py = load_recipe(path).python
        assert (py.version, py.sha256) == ("3.14.8", hashlib.sha256(PY_BYTES).hexdigest())
        assert py.url == index.server.url("/python/3.14.8/python-3.14.8-amd64.exe")
    assert index.server.hits["/python/3.14.8/python-3.14.8-amd64.exe"] == 1
    third = recipe.with_name("third.toml")
    third.write_text(RECIPE.replace("INDEX", index.url), encoding="utf-8")
    run_update([third], _opts(tmp_path, python=True, python_index_url=listing))
    assert index.server.hits["/python/3.14.8/python-3.14.8-amd64.exe"] == 1  # from the cache


def test_500_then_success_fake_resolve(recipe, index, deps, tmp_path):
    index.publish(fail_first=1)
    run_update([recipe], _opts(tmp_path))
    assert load_recipe(recipe).pip.requirements[0] == "demo-tool==10.1.0"
    assert index.server.hits["/simple/demo-tool/"] >= 2


def _fails_and_leaves_files(paths, opts, *needles):
    files = [p for path in paths for p in (path, *lock_files(path))]
    before = _snapshot(*files)
    with pytest.raises(ChoconsisError) as err:
        run_update(paths, opts)
    assert _snapshot(*files) == before
    for needle in needles:
        assert needle in str(err.value)
    return err.value


def test_missing_project_leaves_recipe_and_lock_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    run_update([recipe], _opts(tmp_path))  # a first update writes a lock
    index.server.routes.pop("/simple/helper/")
    err = _fails_and_leaves_files([recipe], _opts(tmp_path), "helper",
                                  index.server.url("/simple/helper/"), "no such project")
    assert err.exit_code == 2  # a project the index does not have: a recipe error


def test_hash_mismatch_names_package_and_url_fake_resolve(recipe, index, deps, tmp_path):
    index.projects["demo-tool"][2].declared_sha256 = "0" * 64  # 10.1.0 is not what it claims
    index.publish()
    _fails_and_leaves_files([recipe], _opts(tmp_path), "demo-tool", "sha256 mismatch",
                            index.server.url("/files/demo_tool-10.1.0-py3-none-any.whl"))


def test_truncated_python_download_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    listing = python_listing(index.server, PY_FOLDERS, data=PY_BYTES)
    route = index.server.routes["/python/3.14.8/python-3.14.8-amd64.exe"]
    route.truncate = 100
    _fails_and_leaves_files([recipe], _opts(tmp_path, python=True, python_index_url=listing),
                            "python 3.14.8", "truncated",
                            index.server.url("/python/3.14.8/python-3.14.8-amd64.exe"))


def test_truncated_then_complete_python_download_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    listing = python_listing(index.server, PY_FOLDERS, data=PY_BYTES)
    route = index.server.routes["/python/3.14.8/python-3.14.8-amd64.exe"]
    route.truncate, route.truncate_first = 100, 1
    run_update([recipe], _opts(tmp_path, python=True, python_index_url=listing))
    assert load_recipe(recipe).python.sha256 == hashlib.sha256(PY_BYTES).hexdigest()
    assert index.server.hits["/python/3.14.8/python-3.14.8-amd64.exe"] == 2


def test_python_update_of_a_zip_runtime_is_refused_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    recipe.write_text(recipe.read_text(encoding="utf-8").replace(
        'installer = "exe"', 'installer = "zip"').replace("amd64.exe", "amd64.zip"),
        encoding="utf-8")
    err = _fails_and_leaves_files([recipe], _opts(tmp_path, python=True), "python.installer",
                                  "not 'zip'")
    assert err.exit_code == 2


def test_python_listing_timeout_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    listing = python_listing(index.server, PY_FOLDERS, data=PY_BYTES)
    index.server.routes["/python/"].delay = 3
    opts = _opts(tmp_path, python=True, python_index_url=listing)
    opts.timeout = 0.3
    _fails_and_leaves_files([recipe], opts, "python", listing, "the connection timed out")


def test_one_failing_recipe_does_not_stop_the_others_fake_resolve(recipe, index, deps,
                                                                   tmp_path):
    index.publish()
    broken = recipe.with_name("broken.toml")
    broken.write_text(RECIPE.replace("INDEX", index.url).replace("helper==1.0", "nothere==1"),
                      encoding="utf-8")
    with pytest.raises(UpdateFailed) as err:
        run_update([recipe, broken], _opts(tmp_path))
    assert str(broken) in str(err.value) and "nothere" in str(err.value)
    assert load_recipe(recipe).pip.requirements[0] == "demo-tool==10.1.0"


# ---------------------------------------------------------------------------- end to end
# The shipped recipes, copied into tmp, against a loopback index of small real wheels and a
# python.org-shaped listing, with the core's real resolver (pip).

def _bump(version: str, part: int) -> str:
    """10.5.0 -> 10.6.0 (part 1), 5.0.2 -> 5.0.3 (part 2)."""
    nums = [int(n) for n in Version(version).release] + [0, 0]
    nums[part] += 1
    return ".".join(str(n) for n in nums[:part + 1] + [0] * (max(len(Version(version).release),
                                                                  part + 1) - part - 1))


SHIPPED = sorted(p for p in RECIPES.glob("*.toml") if not p.name.startswith("pylock."))
# Newer upstream releases: recipe -> {requirement position: version part bumped}.
NEWER = {"openstack-clients": {0: 1, 1: 1}, "openstack-clients-2013": {3: 2}}


def _world() -> tuple[list[tuple[str, str, str, str | None]], list[list[str]], dict]:
    """Releases to serve (project, version, tag, requires-python), the expected table and the
    python.org folders, all derived from the shipped recipes' current pins."""
    recipes = [load_recipe(p) for p in SHIPPED]
    releases, table, folders = [], [["recipe", "package", "old", "new"]], {}
    for r in recipes:
        py2 = r.python.version.startswith("2.")
        tag, rp = ("py2.py3-none-any", None) if py2 else ("py3-none-any", ">=3.10")
        rows = []
        for qi, req in enumerate(r.pip.requirements):
            name, _, pinned = req.partition("==")
            releases.append((name, pinned, tag, rp))
            if qi in NEWER[r.name]:
                newer = _bump(pinned, NEWER[r.name][qi])
                releases.append((name, newer, tag, rp))
                rows.append([r.name, name, pinned, newer])
        pyv = Version(r.python.version)
        if r.python.installer == "package":  # on the install-manager index (PACKAGES)
            major, minor, micro = pyv.release
            PACKAGES[r.name] = (str(pyv), f"{major}.{minor}.{micro + 1}")
            rows.append([r.name, "python (runtime)", str(pyv), f"{major}.{minor}.{micro + 1}"])
            rows.append([r.name, "keystoneauth1 (dependency)", "5.0.0", "5.1.0"])
        installer = {("exe", "amd64"): "python-{}-amd64.exe", ("exe", "x86"): "python-{}.exe",
                     ("msi", "amd64"): "python-{}.amd64.msi", ("msi", "x86"): "python-{}.msi",
                     ("package", "amd64"): "python-{}-amd64.zip"}[
            (r.python.installer, r.python.arch)]
        folders[str(pyv)] = [installer.format(pyv)]
        if not py2 and r.python.installer != "package":
            # a newer patch release, one without installers, a newer pre-release
            major, minor, micro = pyv.release
            folders[f"{major}.{minor}.{micro + 1}"] = [installer.format(
                f"{major}.{minor}.{micro + 1}")]
            folders[f"{major}.{minor}.{micro + 2}"] = [f"Python-{major}.{minor}.{micro + 2}.tgz"]
            folders[f"{major}.{minor}.{micro + 3}"] = [installer.format(
                f"{major}.{minor}.{micro + 3}rc1")]
            rows.append([r.name, "python (runtime)", str(pyv), f"{major}.{minor}.{micro + 1}"])
            rows.append([r.name, "keystoneauth1 (dependency)", "5.0.0", "5.1.0"])
        first_moved = 0 in NEWER[r.name]
        pkg = r.package.version
        new_pkg = (_bump(pkg, len(Version(pkg).release) - 1) if py2 else
                   rows[0][3] if first_moved else f"{pkg}.{DAY:%Y%m%d}")
        rows.append([r.name, f"{r.package.id} (package)", pkg, new_pkg])
        table += rows
    return releases, table, folders


PACKAGES: dict[str, tuple[str, str]] = {}  # recipe -> (its runtime package, the newer one)
RELEASES, EXPECTED_TABLE, E2E_FOLDERS = _world()


CLIENT_COMMANDS = {"python-openstackclient": "openstack", "python-novaclient": "nova",
                   "python-cinderclient": "cinder", "python-glanceclient": "glance",
                   "python-swiftclient": "swift"}


def _shipped_recipes(tmp_path: Path, index: FakeIndex) -> list[Path]:
    """Copies of recipes/*.toml whose index_url is the loopback index (nothing else changed)."""
    out = []
    for src in SHIPPED:
        dst = tmp_path / src.name
        dst.write_text(src.read_text(encoding="utf-8").replace(
            'index_url = "https://pypi.org/simple"', f'index_url = "{index.url}"'),
            encoding="utf-8")
        out.append(dst)
    return out


@pytest.fixture
def upstream(loopback):
    idx = FakeIndex(loopback)
    idx.wheel("keystoneauth1", "3.18.0", tag="py2.py3-none-any")
    idx.wheel("keystoneauth1", "5.0.0", requires_python=">=3.10")
    for name, version, tag, requires_python in RELEASES:
        # each client declares its command, as the real ones do: the recipes' check runs
        # 'openstack --version', which the lock's console scripts must provide
        command = CLIENT_COMMANDS.get(name)
        idx.wheel(name, version, tag=tag, requires_python=requires_python,
                  requires=("keystoneauth1>=3",),
                  console_scripts={command: "client.shell:main"} if command else None)
    newest = max((Version(v) for n, v, _, _ in RELEASES if n == "python-openstackclient"))
    idx.wheel("python-openstackclient", _bump(str(newest), 1), yanked=True,
              requires_python=">=3.10")
    idx.wheel("python-openstackclient", f"{_bump(str(newest), 0)}rc1", requires_python=">=3.10")
    return idx


def _lock_old_pins(paths: list[Path], index: FakeIndex) -> None:
    """Lock the recipes as shipped against the loopback index before upstream released the
    newer versions (with the core's lock), then publish the newer releases."""
    from choconsis.lock.resolve import lock_recipe

    newer = {(r[1], r[3]) for r in EXPECTED_TABLE[1:] if "(" not in r[1]}
    full = {name: list(rels) for name, rels in index.projects.items()}
    for name, rels in full.items():
        index.projects[name] = [r for r in rels
                                if not any(f"-{v}-" in r.filename for n, v in newer if n == name)]
    index.publish()
    with ThreadPoolExecutor(len(paths)) as pool:
        list(pool.map(lambda path: lock_recipe(load_recipe(path)), paths))
    index.projects = full
    index.wheel("keystoneauth1", "5.1.0", requires_python=">=3.10")
    index.publish()


@pytest.fixture
def shipped(upstream, tmp_path, monkeypatch) -> tuple[list[Path], list[str]]:
    """Locked copies of the shipped recipes and the `choconsis update` arguments for them."""
    monkeypatch.setenv("CHOCONSIS_CACHE", str(tmp_path / "cache"))
    recipes = _shipped_recipes(tmp_path, upstream)
    _lock_old_pins(recipes, upstream)
    listing = python_listing(upstream.server, E2E_FOLDERS, data=PY_BYTES)
    for version, newer in PACKAGES.values():  # its index-windows.json, as python.org has it
        serve_runtime_index(upstream.server, PY_BYTES, version=version, prefix="/python/",
                            newer=(newer,))
    return recipes, ["update", *map(str, recipes), "--python", "--python-index-url", listing]


def test_update_dry_run_shipped_recipes(shipped, capsys):
    """The issue's 'done when': `choconsis update --dry-run recipes/*.toml` prints a correct
    table (against the loopback server) and writes nothing."""
    recipes, args = shipped
    files = [p for r in recipes for p in (r, *lock_files(r))]
    before = _snapshot(*files)
    assert main([*args, "--dry-run"]) == 0
    assert _rows(capsys.readouterr().out) == EXPECTED_TABLE
    assert _snapshot(*files) == before


@pytest.mark.slow
def test_update_shipped_recipes_then_build(shipped, tmp_path, capsys):
    """A real update of the shipped recipes gives recipes and locks that build."""
    recipes, args = shipped
    assert main(args) == 0
    assert _rows(capsys.readouterr().out) == EXPECTED_TABLE
    by_name = {p.stem: p for p in recipes}
    main_path = by_name["openstack-clients"]
    new = load_recipe(main_path)
    want = {row[1]: row[3] for row in EXPECTED_TABLE if row[0] == "openstack-clients"}
    assert new.package.version == want["openstack-clients (package)"]
    assert new.python.version == want["python (runtime)"]
    assert new.python.sha256 == hashlib.sha256(PY_BYTES).hexdigest()
    assert new.package.release_notes.startswith(
        f"{new.package.version}: python-openstackclient ")
    assert "dependencies: keystoneauth1 5.0.0 -> 5.1.0." in new.package.release_notes
    lock = recipe_lock(main_path)
    lock.check_matches(new)
    assert lock.wheel("keystoneauth1").version == "5.1.0"
    old_2013 = load_recipe(SHIPPED[0] if "2013" in SHIPPED[0].name else SHIPPED[1])
    new_2013 = load_recipe(by_name["openstack-clients-2013"])
    assert new_2013.pip.requirements[:3] == old_2013.pip.requirements[:3]
    assert new_2013.pip.requirements[3] != old_2013.pip.requirements[3]
    recipe_lock(by_name["openstack-clients-2013"]).check_matches(new_2013)
    # everything but the changed values survives: the comment lines, for one
    shipped = recipe_text("openstack-clients")
    assert [ln for ln in shipped.splitlines() if ln.startswith("#")] == \
        [ln for ln in new_text_lines(main_path) if ln.startswith("#")]
    assert main(args) == 0  # a second run: nothing new, nothing written
    assert all(len(row) == 4 and row[3].endswith("(up to date)")
               for row in _rows(capsys.readouterr().out)[1:])

    # the updated recipes build (rendered; compiled too when makensis is installed)
    from choconsis.build import BuildOptions, build

    compiled = shutil.which("makensis") is not None
    for path in recipes:
        result = build(path, BuildOptions(out_dir=tmp_path / "out"), compile_outputs=compiled)
        version = load_recipe(path).package.version
        assert result.plan.package.version == version
        assert result.sources and all(p.exists() for p in result.sources)
        if compiled:
            assert result.nupkg.name.endswith(f".{version}.nupkg") and result.nupkg.is_file()
            assert result.setup_exe.is_file() and result.setup_exe.read_bytes()[:2] == b"MZ"


def new_text_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.slow
def test_hash_mismatch_end_to_end(upstream, tmp_path):
    """The index declares a sha256 the served wheel does not have: the update fails and leaves
    recipe and lock as they were. (pip 23 downloads the wheel and refuses it; a pip that
    resolves from PEP 658 metadata alone never sees it, and update's download of the new
    wheels names the package and URL, see test_hash_mismatch_names_package_and_url_*.)"""
    recipes = [p for p in _shipped_recipes(tmp_path, upstream) if p.stem == "openstack-clients"]
    _lock_old_pins(recipes, upstream)
    newest = EXPECTED_TABLE[[r[:2] for r in EXPECTED_TABLE].index(
        ["openstack-clients", "python-openstackclient"])][3]
    bad = next(r for r in upstream.projects["python-openstackclient"]
               if f"-{newest}-" in r.filename)
    bad.declared_sha256 = "0" * 64
    upstream.publish()
    err = _fails_and_leaves_files(recipes, _opts(tmp_path), str(recipes[0]))
    assert "hash" in str(err).lower()


def test_check_expect_follows_the_version_it_names_fake_resolve(recipe, index, deps,
                                                                  tmp_path):
    """`new` sets [check] expect to the project's version: an update moves it along (else
    the next install's check would fail); text of the recipe's own stays as it is."""
    index.publish()
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace("[check]\n", '[check]\nexpect = "10.0.0"\n', 1),
                      encoding="utf-8")
    assert run_update([recipe], _opts(tmp_path)) == 0
    assert load_recipe(recipe).check.expect == "10.1.0"
    assert 'expect = "10.1.0"\n' in recipe.read_text(encoding="utf-8")


def test_check_expect_of_its_own_stays_fake_resolve(recipe, index, deps, tmp_path):
    index.publish()
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace("[check]\n", '[check]\nexpect = "demo"\n', 1),
                      encoding="utf-8")
    assert run_update([recipe], _opts(tmp_path)) == 0
    assert load_recipe(recipe).check.expect == "demo"
