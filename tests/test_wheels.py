"""Wheel resolution against a local simple index (uv for Python 3 targets, pip's resolver for
Python 2), and fetching a lock."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from choconsis.store import ArtifactStore, sha256_file
from choconsis.errors import ArtifactError, BuildError, ChoconsisError, RecipeError
from choconsis.lock.lockfile import LockedWheel
from choconsis.lock.files import read_lock_file as read_lock
from choconsis.recipe import load_recipe, loads_recipe
from choconsis.lock.resolve import (lock_recipe, marker_environment, pip_environment,
                                    resolve_lock, wheels_from_report)
from choconsis.recipe.target import Target
from choconsis.payload.wheels import fetch_wheels

from kit.recipes import RECIPES, demo_recipe_text

def make_recipe(tmp_path: Path, index: str, reqs: tuple[str, ...], *,
                python: str = "3.12.9", arch: str = "amd64", provided: tuple[str, ...] = ()):
    text = demo_recipe_text(python=python, arch=arch, index=index, reqs=reqs, provided=provided)
    path = tmp_path / "demo.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build_wheel(name: str, version: str, tag: str = "py3-none-any",
                requires: tuple[str, ...] = (), extras: tuple[str, ...] = (),
                requires_python: str = "") -> tuple[str, bytes]:
    """A small but valid wheel: a package, METADATA with Requires-Dist, WHEEL and RECORD."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Python: {requires_python}"] if requires_python else []
    metadata += [f"Provides-Extra: {e}" for e in extras]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    purelib = "true" if tag.endswith("-none-any") else "false"
    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: choconsis-tests\n"
                          f"Root-Is-Purelib: {purelib}\nTag: {tag}\n").encode(),
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return f"{dist}-{version}-{tag}.whl", buf.getvalue()


def pkg_info(name: str, version: str, requires: tuple[str, ...] = (),
             metadata_version: str = "2.2") -> str:
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n"


# A PEP 517 backend inside the sdist (backend-path ["."]), so that building its metadata needs
# nothing from the index: METADATA is the sdist's PKG-INFO.
IN_TREE_BACKEND = """\
import os, shutil

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name = "{dist}-{version}.dist-info"
    os.makedirs(os.path.join(metadata_directory, name))
    shutil.copy("PKG-INFO", os.path.join(metadata_directory, name, "METADATA"))
    return name
"""
IN_TREE_PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""
# A backend that, like functools32's setup.py, refuses to run on Python 3.
PY2_ONLY_BACKEND = """\
import sys

def get_requires_for_build_wheel(config_settings=None):
    sys.stderr.write("This backport is for Python 2.7 only.\\n")
    sys.exit(1)
"""
DISTUTILS_PY2_ONLY_SETUP = """\
import sys
from distutils.core import setup

if sys.version_info >= (3,):
    sys.stderr.write("This backport is for Python 2.7 only.\\n")
    sys.exit(1)
setup(name="{name}", version="{version}", py_modules=["{dist}"])
"""


def build_sdist(name: str, version: str, files: dict[str, str]) -> tuple[str, bytes]:
    """A .tar.gz source archive with the given files under NAME-VERSION/."""
    root = f"{name.replace('-', '_')}-{version}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size = len(data)
            info.mtime = 1_600_000_000
            tar.addfile(info, io.BytesIO(data))
    return f"{root}.tar.gz", buf.getvalue()


class SimpleIndex:
    """A PEP 503 index on the loopback server: /simple/<name>/ pages and /files/<wheel>."""

    def __init__(self, server) -> None:
        self.server = server
        self.projects: dict[str, list[tuple[str, str]]] = {}  # name -> [(filename, href)]
        self.files: dict[str, bytes] = {}
        for platform in ("win_amd64", "win32"):  # as on PyPI: a lock of a recipe that
            self.add("uv", "0.13.9", f"py3-none-{platform}")  # installs with uv pins one

    @property
    def url(self) -> str:
        return self.server.url("/simple")

    def add(self, name: str, version: str, tag: str = "py3-none-any",
            requires: tuple[str, ...] = (), with_hash: bool = True,
            extras: tuple[str, ...] = (), requires_python: str = "") -> str:
        filename, data = build_wheel(name, version, tag, requires, extras, requires_python)
        return self._publish(name, filename, data, with_hash)

    def add_sdist(self, name: str, version: str, files: dict[str, str]) -> str:
        filename, data = build_sdist(name, version, files)
        return self._publish(name, filename, data, True)

    def _publish(self, name: str, filename: str, data: bytes, with_hash: bool) -> str:
        self.server.add(f"/files/{filename}", data)
        self.files[filename] = data
        href = f"/files/{filename}"
        if with_hash:
            href += "#sha256=" + hashlib.sha256(data).hexdigest()
        self.projects.setdefault(name, []).append((filename, href))
        links = "".join(f'<a href="{h}">{f}</a><br/>' for f, h in self.projects[name])
        self.server.add(f"/simple/{name}/", f"<!DOCTYPE html><html><body>{links}</body></html>",
                        content_type="text/html")
        return filename

    def sha256(self, filename: str) -> str:
        return hashlib.sha256(self.files[filename]).hexdigest()


@pytest.fixture
def index(loopback):
    idx = SimpleIndex(loopback)
    idx.add("demo-app", "1.0", requires=(
        "helper>=2",
        "winextra; sys_platform == 'win32'",
        "posixextra; sys_platform != 'win32'",
        "oldpy; python_version < '3.12'",
    ))
    idx.add("helper", "2.1", "cp312-cp312-manylinux_2_17_x86_64")
    idx.add("helper", "2.1", "cp312-cp312-win_amd64")
    idx.add("helper", "2.1", "cp312-cp312-win32")
    idx.add("helper", "2.0", "py3-none-any")
    idx.add("winextra", "0.5", with_hash=False)  # the index gives no hash: lock hashes it
    idx.add("posixextra", "1.0")
    idx.add("oldpy", "1.0")
    idx.add("onlylinux", "3.0", "cp312-cp312-manylinux_2_17_x86_64")
    return idx


def test_lock_picks_the_target_wheels_with_markers_for_the_target(tmp_path, index,
                                                                 monkeypatch):
    # This machine's pip configuration must not leak in: a find-links folder with a newer
    # helper and an extra index are ignored.
    links = tmp_path / "links"
    links.mkdir()
    name, data = build_wheel("helper", "9.9", "cp312-cp312-win_amd64")
    (links / name).write_bytes(data)
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///nonexistent/simple")
    monkeypatch.setenv("UV_FIND_LINKS", str(links))  # nor this machine's uv configuration
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", "file:///nonexistent/simple")
    (tmp_path / "uv.toml").write_text(f'find-links = ["{links}"]\n', encoding="utf-8")
    monkeypatch.setenv("UV_CONFIG_FILE", str(tmp_path / "uv.toml"))

    recipe = make_recipe(tmp_path, index.url, ("Demo_App==1.0",))
    lock = lock_recipe(recipe)

    assert (lock.python_tag, lock.platform, lock.index_url) == ("cp312", "win_amd64", index.url)
    assert lock.requirements == ("Demo_App==1.0",)
    # markers were evaluated for CPython 3.12 on Windows, not for the Linux build machine
    assert sorted(lock.names) == ["demo-app", "helper", "winextra"]
    helper = lock.wheel("helper")
    assert helper.version == "2.1"
    assert helper.filename == "helper-2.1-cp312-cp312-win_amd64.whl"
    for w in lock.wheels:
        assert w.sha256 == index.sha256(w.filename), w.name
        assert w.url == index.server.url(f"/files/{w.filename}")
    assert recipe.lock_path.name == "pylock.demo.toml"  # PEP 751, resolved with uv
    assert read_lock(recipe.lock_path) == replace(lock, source=str(recipe.lock_path))
    lock.check_matches(recipe)


def test_lock_of_a_recipe_with_an_old_lock_writes_the_pylock_and_removes_it(tmp_path, index):
    from choconsis.lock.lockfile import write_lock

    recipe = make_recipe(tmp_path, index.url, ("helper==2.1",))
    old = tmp_path / "demo.lock"
    write_lock(old, replace(resolve_lock(recipe), wheels=()), "demo")  # content does not matter
    lock = lock_recipe(recipe)
    assert not old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.toml", "pylock.demo.toml"]
    assert read_lock(tmp_path / "pylock.demo.toml") == replace(lock, source=str(recipe.lock_path))


def test_win32_target_gets_win32_wheels(tmp_path, index):
    recipe = make_recipe(tmp_path, index.url, ("helper==2.1",), arch="x86")
    lock = resolve_lock(recipe)
    assert lock.platform == "win32"
    assert [w.filename for w in lock.wheels] == ["helper-2.1-cp312-cp312-win32.whl"]


@pytest.mark.parametrize("python, arch, want", [
    ("3.14.7", "amd64", "2.0"),  # pip itself would check >=3.13 against this 3.11: 1.0
    ("2.7.18", "x86", "1.5"),
])
def test_requires_python_of_wheel_metadata_is_checked_for_the_target(tmp_path, loopback,
                                                                      python, arch, want):
    # The index page gives no data-requires-python: only the wheels' METADATA says it.
    idx = SimpleIndex(loopback)
    idx.add("app", "1.0", "py2.py3-none-any", requires=("modern",))
    idx.add("modern", "1.0", "py2.py3-none-any")
    idx.add("modern", "1.5", "py2.py3-none-any", requires_python="<3")
    idx.add("modern", "2.0", "py3-none-any", requires_python=">=3.13")
    recipe = make_recipe(tmp_path, idx.url, ("app==1.0",), python=python, arch=arch)
    assert resolve_lock(recipe).wheel("modern").version == want


def test_requirement_without_target_wheel_is_named(tmp_path, index):
    recipe = make_recipe(tmp_path, index.url, ("demo-app==1.0", "onlylinux==3.0"))
    with pytest.raises(BuildError) as err:
        lock_recipe(recipe)
    message = str(err.value)
    assert "onlylinux==3.0" in message
    assert "cp312 win_amd64" in message
    assert "uv says: " in message and "has no wheels with a matching platform tag" in message
    assert not recipe.lock_path.exists()  # nothing written


def test_missing_dependency_is_named_as_a_dependency(tmp_path, loopback):
    idx = SimpleIndex(loopback)
    idx.add("top", "1.0", requires=("gone>=1",))
    recipe = make_recipe(tmp_path, idx.url, ("top==1.0",))
    with pytest.raises(ChoconsisError, match=r"demo.toml: gone>=1 \(a dependency of the "
                       r"recipe's requirements\): gone: no such project on the index") as err:
        resolve_lock(recipe)
    assert err.value.exit_code == 2


def test_marker_environment_of_targets():
    py27 = marker_environment(Target("2.7.18", "win32"))
    assert (py27["python_version"], py27["python_full_version"], py27["sys_platform"],
            py27["platform_machine"]) == ("2.7", "2.7.18", "win32", "x86")
    assert Target("2.7.18", "win32").abi == "cp27m"
    py314 = marker_environment(Target("3.14.7", "win_amd64"))
    assert (py314["python_version"], py314["os_name"], py314["platform_system"],
            py314["implementation_name"]) == ("3.14", "nt", "Windows", "cpython")
    assert Target("3.14.7", "win_amd64").abi == "cp314"
    # one description of the target: before 3.8, Windows CPython has the 'm' ABI flag
    assert Target("3.7.9", "win32").abi == "cp37m" and Target("3.8.10", "win32").abi == "cp38"


def test_pip_environment_drops_pip_settings():
    env = pip_environment({"PIP_FIND_LINKS": "/opt/wheels", "pip_index_url": "x",
                           "HTTPS_PROXY": "http://proxy", "PATH": "/usr/bin"})
    assert env == {"HTTPS_PROXY": "http://proxy", "PATH": "/usr/bin",
                   "PIP_CONFIG_FILE": __import__("os").devnull}


def test_uv_environment_drops_uv_settings_but_the_cache():
    from choconsis.lock.uvresolve import uv_environment

    env = uv_environment({"UV_INDEX_URL": "https://other/simple", "uv_find_links": "/x",
                          "UV_CACHE_DIR": "/cache", "HTTPS_PROXY": "http://proxy"})
    assert env == {"UV_CACHE_DIR": "/cache", "HTTPS_PROXY": "http://proxy",
                   "UV_PYTHON_DOWNLOADS": "never"}


@pytest.fixture
def legacy_index(loopback):
    """An index for a Python 2.7 target where some projects have no wheel at all."""
    idx = SimpleIndex(loopback)
    idx.add("app", "1.0", "py2.py3-none-any", requires=(
        "sdonly>=1", "both", "staticmeta", "oldstyle", "py3dep; python_version >= '3'"))
    in_tree = {"pyproject.toml": IN_TREE_PYPROJECT}
    # only an sdist: built here with the in-tree backend
    idx.add_sdist("sdonly", "1.2", {**in_tree, "PKG-INFO": pkg_info("sdonly", "1.2", ("six",)),
                                    "backend.py": IN_TREE_BACKEND.format(dist="sdonly",
                                                                         version="1.2")})
    idx.add("six", "1.16.0", "py2.py3-none-any")
    # a wheel for the target beats a newer sdist
    idx.add("both", "1.0", "py2-none-any")
    idx.add_sdist("both", "2.0", {**in_tree, "PKG-INFO": pkg_info("both", "2.0"),
                                  "backend.py": IN_TREE_BACKEND.format(dist="both",
                                                                       version="2.0")})
    idx.add("both", "3.0", "py3-none-any")  # not for Python 2
    # metadata cannot be built on Python 3; PKG-INFO 2.2 with static Requires-Dist is used
    idx.add_sdist("staticmeta", "0.5", {
        **in_tree, "backend.py": PY2_ONLY_BACKEND,
        "PKG-INFO": pkg_info("staticmeta", "0.5", ("winonly; sys_platform == 'win32'",))})
    idx.add("winonly", "2.0", "py2.py3-none-any")
    # a distutils-only setup.py that exits on Python 3 (functools32): its PKG-INFO 1.0 is all
    idx.add_sdist("oldstyle", "3.2.3-2", {
        "setup.py": DISTUTILS_PY2_ONLY_SETUP.format(name="oldstyle", version="3.2.3-2",
                                                    dist="oldstyle"),
        "oldstyle.py": "",
        "PKG-INFO": pkg_info("oldstyle", "3.2.3-2", metadata_version="1.0")})
    idx.add("py3dep", "1.0")
    return idx


def test_python2_lock_pins_sdists_only_where_no_wheel_fits(tmp_path, legacy_index):
    recipe = make_recipe(tmp_path, legacy_index.url, ("app==1.0",), python="2.7.18", arch="x86")
    lock = lock_recipe(recipe)
    files = {w.name: w.filename for w in lock.wheels}
    assert files == {
        "app": "app-1.0-py2.py3-none-any.whl",
        "both": "both-1.0-py2-none-any.whl",  # not the newer sdist
        "oldstyle": "oldstyle-3.2.3-2.tar.gz",
        "six": "six-1.16.0-py2.py3-none-any.whl",  # sdonly's dependency, from its metadata
        "sdonly": "sdonly-1.2.tar.gz",
        "staticmeta": "staticmeta-0.5.tar.gz",
        "winonly": "winonly-2.0-py2.py3-none-any.whl",  # from staticmeta's PKG-INFO
    }
    for w in lock.wheels:
        assert w.sha256 == legacy_index.sha256(w.filename), w.name
        assert w.url == legacy_index.server.url(f"/files/{w.filename}")
    assert lock.wheel("oldstyle").version == "3.2.3-2"
    assert not lock.wheels_only
    again = read_lock(recipe.lock_path)
    assert again == replace(lock, source=str(recipe.lock_path))
    assert "    # wheel: sdonly-1.2.tar.gz " in recipe.lock_path.read_text()


def test_python2_sdist_with_unknowable_metadata_is_refused(tmp_path, loopback):
    idx = SimpleIndex(loopback)
    # setuptools may add install_requires at build time: its PKG-INFO 1.x is not the whole truth
    idx.add_sdist("dyn", "1.0", {
        "pyproject.toml": IN_TREE_PYPROJECT, "backend.py": PY2_ONLY_BACKEND,
        "setup.py": "from setuptools import setup\nsetup(install_requires=['x'])\n",
        "PKG-INFO": pkg_info("dyn", "1.0", metadata_version="2.1")})
    recipe = make_recipe(tmp_path, idx.url, ("dyn==1.0",), python="2.7.18", arch="x86")
    with pytest.raises(BuildError, match="wheels and source archives for cp27 win32") as err:
        lock_recipe(recipe)
    assert "metadata of dyn dyn-1.0.tar.gz" in str(err.value)
    assert "PKG-INFO does not settle its dependencies" in str(err.value)
    assert not recipe.lock_path.exists()


def test_python3_target_stays_wheels_only(tmp_path, loopback):
    idx = SimpleIndex(loopback)
    idx.add_sdist("sdonly", "1.2", {"pyproject.toml": IN_TREE_PYPROJECT,
                                    "PKG-INFO": pkg_info("sdonly", "1.2"),
                                    "backend.py": IN_TREE_BACKEND.format(dist="sdonly",
                                                                         version="1.2")})
    recipe = make_recipe(tmp_path, idx.url, ("sdonly==1.2",))
    with pytest.raises(BuildError, match=r"no wheel for cp312 win_amd64 .* sdonly==1\.2"):
        resolve_lock(recipe)


@pytest.fixture
def provided_index(loopback):
    """client needs ssl-lib (which an MSI provides) and shared; ssl-lib needs crypto, shared."""
    idx = SimpleIndex(loopback)
    idx.add("client", "1.0", requires=("ssl-lib>=17", "shared", "extra-user[fast]"))
    idx.add("ssl-lib", "21.0", requires=("crypto>=3", "shared>=1"))
    idx.add("crypto", "3.3", requires=("cffi-like", "shared"))
    idx.add("cffi-like", "1.15")
    idx.add("shared", "1.2")
    idx.add("extra-user", "1.0", requires=("speedup; extra == 'fast'",
                                           "crypto; extra == 'never'"), extras=("fast", "never"))
    idx.add("speedup", "0.1")
    return idx


def test_provided_packages_and_what_only_they_need_stay_out(tmp_path, provided_index):
    recipe = make_recipe(tmp_path, provided_index.url, ("client==1.0",), provided=("SSL_Lib",))
    lock = lock_recipe(recipe)
    # ssl-lib and its exclusive crypto, cffi-like are out; shared (client needs it too) stays;
    # extra-user's [fast] extra counts, its unrequested [never] does not
    assert sorted(lock.names) == ["client", "extra-user", "shared", "speedup"]
    assert lock.provided == ("SSL_Lib",)
    assert 'provided = ["SSL_Lib"]' in recipe.lock_path.read_text()
    again = read_lock(recipe.lock_path)
    assert again == replace(lock, source=str(recipe.lock_path))
    again.check_matches(recipe)
    without = make_recipe(tmp_path / "other", provided_index.url, ("client==1.0",))
    with pytest.raises(RecipeError, match="provided"):
        again.check_matches(without)
    # a lock made before [pip] provided was added pins the provided package: stale
    pinned = LockedWheel("ssl-lib", "21.0", "0" * 64, "ssl_lib-21.0-py3-none-any.whl",
                         provided_index.server.url("/files/ssl_lib-21.0-py3-none-any.whl"))
    old = replace(lock, provided=(), wheels=lock.wheels + (pinned,))
    with pytest.raises(RecipeError, match=r"provided packages .* \(it pins ssl-lib\)"):
        old.check_matches(recipe)


def test_provided_dependency_shared_with_another_package_stays(tmp_path, provided_index):
    # crypto is provided too, but client also needs it directly here: nothing else changes
    provided_index.add("client", "2.0", requires=("ssl-lib>=17", "crypto"))
    recipe = make_recipe(tmp_path, provided_index.url, ("client==2.0",), provided=("ssl-lib",))
    assert sorted(resolve_lock(recipe).names) == ["cffi-like", "client", "crypto", "shared"]


def test_provided_requirement_of_the_recipe_is_refused(tmp_path, provided_index):
    recipe = make_recipe(tmp_path, provided_index.url, ("client==1.0", "shared==1.2"),
                         provided=("shared",))
    with pytest.raises(RecipeError, match=r"pip\.provided: shared is both provided"):
        resolve_lock(recipe)
    assert not provided_index.server.hits  # refused before pip ran


def _report_item(name: str, version: str, url: str, archive_info: dict) -> dict:
    return {"metadata": {"name": name, "version": version},
            "download_info": {"url": url, "archive_info": archive_info}}


def test_report_without_hash_gets_the_file_hashed(index):
    filename = "winextra-0.5-py3-none-any.whl"
    url = index.server.url(f"/files/{filename}")
    report = {"version": "1", "install": [
        _report_item("WinExtra", "0.5", url + "#md5=abc", {}),
        _report_item("helper", "2.1", index.server.url("/files/x.whl"),
                     {"hash": "sha256=" + "AB" * 32}),
    ]}
    first, second = wheels_from_report(report)
    assert (first.name, first.filename, first.url) == ("winextra", filename, url)
    assert first.sha256 == index.sha256(filename)
    assert index.server.hits[f"/files/{filename}"] == 1
    assert second.sha256 == "ab" * 32  # the legacy "hash" field, lower-cased


@pytest.mark.parametrize("report, message", [
    ({"version": "2", "install": []}, "report of version '2'"),
    ({"version": "1", "install": []}, "resolved no wheel"),
    ({"version": "1", "install": [_report_item("x", "1", "https://h/x-1.tar.gz",
                                               {"hashes": {"sha256": "0" * 64}})]},
     "x 1 from https://h/x-1.tar.gz, which is not a wheel"),
])
def test_unusable_report_is_refused(report, message):
    with pytest.raises(BuildError, match=message):
        wheels_from_report(report, "demo.toml")


def _lock_of(tmp_path, index, names_versions):
    from choconsis.lock.lockfile import Lock

    wheels = []
    for name, filename in names_versions:
        wheels.append(LockedWheel(name, "1", index.sha256(filename), filename,
                                  index.server.url(f"/files/{filename}")))
    return Lock("cp312", "win_amd64", ("x==1",), index.url, tuple(wheels))


def test_fetch_wheels_verifies_and_caches(tmp_path, index):
    files = [("helper", "helper-2.1-cp312-cp312-win_amd64.whl"),
             ("demo-app", "demo_app-1.0-py3-none-any.whl"),
             ("winextra", "winextra-0.5-py3-none-any.whl")]
    lock = _lock_of(tmp_path, index, files)
    store = ArtifactStore(cache_dir=tmp_path / "cache", timeout=5)
    paths = fetch_wheels(lock, store)
    assert [p.name for p in paths] == [f for _, f in files]  # lock order
    for path, (_, filename) in zip(paths, files):
        assert sha256_file(path) == index.sha256(filename)
    hits = {f: index.server.hits[f"/files/{f}"] for _, f in files}
    assert all(n == 1 for n in hits.values())
    again = fetch_wheels(lock, ArtifactStore(cache_dir=tmp_path / "cache", timeout=5))
    assert again == paths
    assert {f: index.server.hits[f"/files/{f}"] for _, f in files} == hits  # no new download


def test_fetch_wheels_refuses_a_hash_mismatch(tmp_path, index):
    good = "helper-2.1-cp312-cp312-win_amd64.whl"
    bad = "demo_app-1.0-py3-none-any.whl"
    lock = _lock_of(tmp_path, index, [("helper", good), ("demo-app", bad)])
    wrong = replace(lock.wheels[1], sha256="0" * 64)
    lock = replace(lock, wheels=(lock.wheels[0], wrong))
    cache = tmp_path / "cache"
    with pytest.raises(ArtifactError, match="demo-app: sha256 mismatch"):
        fetch_wheels(lock, ArtifactStore(cache_dir=cache, timeout=5))
    cached = [p.name for p in cache.rglob("*") if p.is_file()]
    assert bad not in cached
    assert all(name == good for name in cached)  # only the verified wheel, no partial files


def _pypi_reachable() -> bool:
    import requests

    try:
        return requests.head("https://pypi.org/simple/pip/", timeout=5).status_code < 500
    except requests.RequestException:
        return False


@pytest.mark.network
def test_default_recipe_locks_against_pypi_and_shipped_lock_matches():
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable")
    recipe = load_recipe(RECIPES / "openstack-clients.toml")
    shipped = read_lock(recipe.lock_path)
    shipped.check_matches(recipe)
    fresh = resolve_lock(recipe)
    fresh.check_matches(recipe)
    assert all(w.filename.endswith((".whl")) for w in fresh.wheels)
    assert not any("linux" in w.filename or "macosx" in w.filename for w in fresh.wheels)
    for req in recipe.pip.requirements:
        name = req.split("==")[0]
        assert fresh.wheel(name) == shipped.wheel(name)


@pytest.mark.network
@pytest.mark.slow  # about a minute: pip builds the metadata of five sdists
def test_2013_recipe_locks_against_pypi_and_shipped_lock_matches():
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable")
    recipe = load_recipe(RECIPES / "openstack-clients-2013.toml")
    shipped = read_lock(recipe.lock_path)
    shipped.check_matches(recipe)
    fresh = resolve_lock(recipe)
    fresh.check_matches(recipe)
    assert "pyopenssl" not in fresh.names and "cryptography" not in fresh.names
    sdists = {w.name for w in fresh.wheels if not w.filename.endswith(".whl")}
    assert {"prettytable", "warlock"} <= sdists
    assert not any(w.filename.endswith(".whl") and "win32" not in w.filename
                   and "none-any" not in w.filename for w in fresh.wheels)
    for req in recipe.pip.requirements:
        name = req.split("==")[0]
        assert fresh.wheel(name) == shipped.wheel(name)


def test_recipe_from_text_has_no_lock_path():
    recipe = loads_recipe(demo_recipe_text(reqs=("x==1",)))
    with pytest.raises(RecipeError, match="no lock path"):
        lock_recipe(recipe)
