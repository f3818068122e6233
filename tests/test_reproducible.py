"""Reproducible builds: the same recipe, lock, artifacts and SOURCE_DATE_EPOCH give the same
bytes, built twice in different folders (different recipe folder, --artifacts folder, cache
and output folder, and different file times).

Covers web mode, offline mode with installers and wheels embedded, and offline mode with a
zip runtime unpacked at build time. The artifacts are small dummy files pinned by sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from choconsis.build import BuildOptions, BuildResult, build
from choconsis.lock.lockfile import Lock
from choconsis.recipe import parse_recipe
from kit.locks import dummy_lock
from kit.recipes import pin, place, recipe_data
from kit.wheels import tiny_zip

EPOCH = "1700000000"

needs_makensis = pytest.mark.skipif(shutil.which("makensis") is None,
                                    reason="makensis is not installed")


def build_in(root: Path, data: dict, lock: Lock, files: dict[str, bytes], *, offline: bool,
             mtime: int) -> BuildResult:
    recipe, artifacts = place(root, data, lock, files, mtime)
    opts = BuildOptions(out_dir=root / "out", offline=offline, artifacts_dir=artifacts,
                        cache_dir=root / "cache")
    return build(recipe, opts)


def digests(result: BuildResult) -> dict[str, str]:
    out = {}
    for path in (result.nupkg, result.setup_exe, result.sbom):
        assert path is not None and path.is_file()
        out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def assert_reproducible(tmp_path: Path, data: dict, lock: Lock, files: dict[str, bytes],
                        offline: bool) -> dict[str, str]:
    a = build_in(tmp_path / "first", data, lock, files, offline=offline, mtime=1_000_000_000)
    b = build_in(tmp_path / "second-folder", data, lock, files, offline=offline,
                 mtime=1_600_000_000)
    first, second = digests(a), digests(b)
    assert set(first) == set(second)
    differing = sorted(name for name in first if first[name] != second[name])
    assert not differing, f"not reproducible: {differing}"
    return first


@pytest.fixture(autouse=True)
def _epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@needs_makensis
def test_web_mode_is_byte_identical(tmp_path):
    data = recipe_data("openstack-clients")
    files: dict[str, bytes] = {}
    lock = dummy_lock(parse_recipe(data, "repro.toml"), files)
    digests_ = assert_reproducible(tmp_path, data, lock, files, offline=False)
    assert any(n.endswith(".nupkg") for n in digests_)
    assert any(n.endswith("-setup.exe") for n in digests_)


@needs_makensis
def test_offline_mode_with_embedded_installers_is_byte_identical(tmp_path):
    data = recipe_data("openstack-clients-2013")
    files: dict[str, bytes] = {}
    pin(data["python"], files, "python-2.7.18.msi", b"dummy runtime msi\n" * 500)
    pin(data["installer"][0], files, "pyOpenSSL-0.13.winxp32-py2.7.msi",
        b"dummy extra msi\n" * 300)
    lock = dummy_lock(parse_recipe(data, "repro.toml"), files)
    assert_reproducible(tmp_path, data, lock, files, offline=True)
    sbom = json.loads((tmp_path / "first" / "out" /
                       f"openstack-clients-2013-{data['package']['version']}.cdx.json").read_text())
    assert sbom["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    names = {c["name"] for c in sbom["components"]}
    assert {"pyOpenSSL 0.13", "dep-lib"} <= names


@needs_makensis
@pytest.mark.slow  # not Wine, but a third pair of builds; the two above cover the fast suite
def test_offline_mode_with_a_zip_runtime_is_byte_identical(tmp_path):
    data = recipe_data("openstack-clients")
    files: dict[str, bytes] = {}
    data["python"]["installer"] = "zip"
    data["python"].pop("index_id", None)  # the default recipe names an install-manager package
    data["python"]["install_dir"] = "C:\\ReproPy"
    runtime = tiny_zip({"python.exe": b"MZ dummy python\n", "python314.dll": b"dll\n",
                        "Lib/os.py": b"# os\n", "Lib/venv/__init__.py": b"# venv\n",
                        "Lib/site-packages/README.txt": b"x\n",
                        "DLLs/_ssl.pyd": b"pyd\n"})
    pin(data["python"], files, "python-3.14.7-embed-amd64.zip", runtime)
    data["python"].pop("args", None)
    lock = dummy_lock(parse_recipe(data, "repro.toml"), files)
    assert_reproducible(tmp_path, data, lock, files, offline=True)


@needs_makensis
def test_source_date_epoch_is_what_pins_the_time(tmp_path, monkeypatch):
    """The check above can fail: another SOURCE_DATE_EPOCH gives another .nupkg."""
    data = recipe_data("openstack-clients")
    files: dict[str, bytes] = {}
    lock = dummy_lock(parse_recipe(data, "repro.toml"), files)
    a = build_in(tmp_path / "a", data, lock, files, offline=False, mtime=1_000_000_000)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86400 * 400))
    b = build_in(tmp_path / "b", data, lock, files, offline=False, mtime=1_000_000_000)
    assert a.nupkg.read_bytes() != b.nupkg.read_bytes()  # type: ignore[union-attr]
