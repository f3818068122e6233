"""Wheel resolution with pip's resolver against a local simple index, and fetching a lock."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from generator.artifacts import ArtifactStore, sha256_file
from generator.errors import ArtifactError, BuildError
from generator.lockfile import read_lock
from generator.recipe import load_recipe, loads_recipe
from generator.wheels import (Target, fetch_wheels, lock_recipe, marker_environment,
                              pip_environment, resolve_lock, wheels_from_report)

RECIPE = """\
[package]
id = "demo"
version = "1.0.0"
title = "Demo"
authors = "Someone"
summary = "A demo."
description = "A demo."
project_url = "https://example.org/"
license_url = "https://example.org/license"

[python]
version = "{python}"
arch = "{arch}"
installer = "exe"
url = "https://example.org/python.exe"
sha256 = "{sha}"
install_dir = 'C:\\Python'

[pip]
requirements = {reqs}
index_url = "{index}"

[check]
command = "demo --version"
"""


def make_recipe(tmp_path: Path, index: str, reqs: tuple[str, ...], *,
                python: str = "3.12.9", arch: str = "amd64"):
    text = RECIPE.format(python=python, arch=arch, sha="a" * 64, index=index,
                         reqs="[" + ", ".join(f"'{r}'" for r in reqs) + "]")
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build_wheel(name: str, version: str, tag: str = "py3-none-any",
                requires: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """A small but valid wheel: a package, METADATA with Requires-Dist, WHEEL and RECORD."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
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


class SimpleIndex:
    """A PEP 503 index on the loopback server: /simple/<name>/ pages and /files/<wheel>."""

    def __init__(self, server) -> None:
        self.server = server
        self.projects: dict[str, list[tuple[str, str]]] = {}  # name -> [(filename, href)]
        self.files: dict[str, bytes] = {}

    @property
    def url(self) -> str:
        return self.server.url("/simple")

    def add(self, name: str, version: str, tag: str = "py3-none-any",
            requires: tuple[str, ...] = (), with_hash: bool = True) -> str:
        filename, data = build_wheel(name, version, tag, requires)
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
    assert read_lock(recipe.lock_path) == replace(lock, source=str(recipe.lock_path))
    lock.check_matches(recipe)


def test_win32_target_gets_win32_wheels(tmp_path, index):
    recipe = make_recipe(tmp_path, index.url, ("helper==2.1",), arch="x86")
    lock = resolve_lock(recipe)
    assert lock.platform == "win32"
    assert [w.filename for w in lock.wheels] == ["helper-2.1-cp312-cp312-win32.whl"]


def test_requirement_without_target_wheel_is_named(tmp_path, index):
    recipe = make_recipe(tmp_path, index.url, ("demo-app==1.0", "onlylinux==3.0"))
    with pytest.raises(BuildError) as err:
        lock_recipe(recipe)
    message = str(err.value)
    assert "onlylinux==3.0" in message
    assert "cp312 win_amd64" in message
    assert "No matching distribution found" in message  # pip's own words
    assert not recipe.lock_path.exists()  # nothing written


def test_missing_dependency_is_named_as_a_dependency(tmp_path, loopback):
    idx = SimpleIndex(loopback)
    idx.add("top", "1.0", requires=("gone>=1",))
    recipe = make_recipe(tmp_path, idx.url, ("top==1.0",))
    with pytest.raises(BuildError, match=r"satisfies gone>=1 \(a dependency"):
        resolve_lock(recipe)


def test_marker_environment_of_targets():
    py27 = marker_environment(Target("2.7.18", "win32"))
    assert (py27["python_version"], py27["python_full_version"], py27["sys_platform"],
            py27["platform_machine"]) == ("2.7", "2.7.18", "win32", "x86")
    assert Target("2.7.18", "win32").abi == "cp27m"
    py314 = marker_environment(Target("3.14.7", "win_amd64"))
    assert (py314["python_version"], py314["os_name"], py314["platform_system"],
            py314["implementation_name"]) == ("3.14", "nt", "Windows", "cpython")
    assert Target("3.14.7", "win_amd64").abi == "cp314"


def test_pip_environment_drops_pip_settings():
    env = pip_environment({"PIP_FIND_LINKS": "/opt/wheels", "pip_index_url": "x",
                           "HTTPS_PROXY": "http://proxy", "PATH": "/usr/bin"})
    assert env == {"HTTPS_PROXY": "http://proxy", "PATH": "/usr/bin",
                   "PIP_CONFIG_FILE": __import__("os").devnull}


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
    from generator.lockfile import Lock, LockedWheel

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
    root = Path(__file__).resolve().parent.parent / "recipes"
    recipe = load_recipe(root / "openstack-clients.toml")
    shipped = read_lock(recipe.lock_path)
    shipped.check_matches(recipe)
    fresh = resolve_lock(recipe)
    fresh.check_matches(recipe)
    assert all(w.filename.endswith((".whl")) for w in fresh.wheels)
    assert not any("linux" in w.filename or "macosx" in w.filename for w in fresh.wheels)
    for req in recipe.pip.requirements:
        name = req.split("==")[0]
        assert fresh.wheel(name) == shipped.wheel(name)


def test_recipe_from_text_has_no_lock_path():
    recipe = loads_recipe(RECIPE.format(python="3.12.9", arch="amd64", sha="a" * 64,
                                        index="https://pypi.org/simple", reqs="['x==1']"))
    from generator.errors import RecipeError

    with pytest.raises(RecipeError, match="no lock path"):
        lock_recipe(recipe)
