"""The client of python.org's install-manager index (choconsis.index.pymanager): pages through
'next', relative URLs, which entries can be a private runtime, and one line per bad input."""

from __future__ import annotations

import json

import pytest
from packaging.version import Version

from choconsis import ui
from choconsis.errors import ChoconsisError
from choconsis.index.pymanager import (RuntimeIndex, RuntimeIndexError, RuntimeIndexUnreachable,
                                       UnknownTagError, default_tag)
from kit.runtimes import UNSERVED, entry, serve_runtime_index

PACKAGE = b"PK not really a runtime package " * 64


@pytest.fixture
def site(loopback):
    return serve_runtime_index(loopback, PACKAGE, newer=("3.12.3",))


def test_every_page_is_read_and_relative_urls_resolve_against_their_page(site, loopback):
    entries = RuntimeIndex(site.url, timeout=5).entries()
    # newest first across both pages; the schema-2 entry is left out, as py install does
    assert [str(e.version) for e in entries] == [
        "3.13.0b1", "3.12.41", "3.12.3", "3.12.1", "3.12.1", "3.12.1", "3.12.1", "3.11.9"]
    ours = [e for e in entries if e.version == Version("3.12.1") and e.url.startswith("http://")]
    assert len(ours) == 1 and ours[0].url == site.package_url
    assert ours[0].page == loopback.url("/pymanager/page-2.json")  # 'next' was relative too
    assert (ours[0].id, ours[0].tag, ours[0].arch, ours[0].sha256) == (
        "pythoncore-3.12-64", "3.12-64", "amd64", site.sha256)
    assert ours[0].filename == "python-3.12.1-amd64.zip" and ours[0].python_at_root
    assert loopback.hits["/pymanager/index-windows.json"] == 1


def test_usable_entries_are_full_cpython_builds_of_the_arch_with_a_hash(site, loopback, capsys):
    ui.set_level(ui.NORMAL)
    index = RuntimeIndex(site.url, timeout=5)
    usable = list(index.usable("amd64"))
    # not the pre-release, not the newer entry without a sha256 (said once), not x86, not the
    # free-threaded build, not the embeddable package
    assert [(e.id, str(e.version)) for e in usable] == [
        ("pythoncore-3.12-64", "3.12.3"), ("pythoncore-3.12-64", "3.12.1"),
        ("pythoncore-3.11-64", "3.11.9")]
    err = capsys.readouterr().err
    assert err.count("has no sha256") == 1
    assert f"pythoncore-3.12-64 3.12.41 ({UNSERVED}python-3.12.41-amd64.zip) has no sha256, so " \
           "a recipe cannot pin it: skipped" in err
    assert [str(e.version) for e in index.usable("amd64", pre=True)][0] == "3.13.0b1"
    assert [(e.id, str(e.version)) for e in index.usable("x86")] == [
        ("pythoncore-3.12-32", "3.12.1")]
    assert [str(e.version) for e in index.for_tag("3.12-64", "amd64")] == ["3.12.3", "3.12.1"]
    assert default_tag("3.14.7", "amd64") == "3.14-64" and default_tag("3.14.7", "x86") == "3.14-32"


def test_an_executable_not_at_the_root_is_not_usable(tmp_path):
    page = tmp_path / "index.json"
    page.write_text(json.dumps({"versions": [
        entry("3.12.1", url="https://mirror.example/p.zip", sha256="a" * 64,
              executable="bin\\python.exe")]}), encoding="utf-8")
    index = RuntimeIndex(str(page))
    assert len(index.entries()) == 1 and list(index.usable("amd64")) == []


def test_a_local_file_index_and_its_relative_urls(tmp_path):
    (tmp_path / "more").mkdir()
    (tmp_path / "index.json").write_text(json.dumps({"versions": [
        entry("3.12.1", url="https://mirror.example/python/python-3.12.1-amd64.zip",
              sha256="a" * 64)], "next": "more/page2.json"}), encoding="utf-8")
    (tmp_path / "more" / "page2.json").write_text(json.dumps({"versions": [
        entry("3.11.9", url="3.11.9/python-3.11.9-amd64.zip", sha256="b" * 64)]}),
        encoding="utf-8")
    for location in (str(tmp_path / "index.json"), (tmp_path / "index.json").as_uri()):
        entries = RuntimeIndex(location).entries()
        assert [e.url for e in entries] == [
            "https://mirror.example/python/python-3.12.1-amd64.zip",
            (tmp_path / "more" / "3.11.9" / "python-3.11.9-amd64.zip").as_uri()]


def _one_line(err: ChoconsisError) -> str:
    text = str(err)
    assert "\n" not in text
    return text


def test_json_that_does_not_parse(loopback):
    url = loopback.add("/broken/index-windows.json", b'{"versions": [')
    with pytest.raises(RuntimeIndexError) as info:
        RuntimeIndex(url, timeout=5).entries()
    assert info.value.exit_code == 2
    assert _one_line(info.value).startswith(f"python runtime index {url}: not JSON (")
    assert "--python-index-url URL|FILE points at a mirror" in str(info.value)


def test_json_that_is_not_an_index(tmp_path):
    page = tmp_path / "index.json"
    page.write_text('{"releases": []}', encoding="utf-8")
    with pytest.raises(RuntimeIndexError) as info:
        RuntimeIndex(str(page)).entries()
    assert _one_line(info.value) == (f"python runtime index {page.as_uri()}: not an "
                                     "install-manager index (no 'versions' list)")


def test_an_unreachable_index_names_the_option(loopback):
    with pytest.raises(RuntimeIndexUnreachable) as info:
        RuntimeIndex("http://127.0.0.1:9/index-windows.json", timeout=2).entries()
    assert info.value.exit_code == 1
    line = _one_line(info.value)
    assert line.startswith("python runtime index http://127.0.0.1:9/index-windows.json: cannot "
                           "read it: the connection was refused")
    assert line.endswith("; --python-index-url URL|FILE points at a mirror or a local copy of "
                         "the index")


def test_an_http_error_names_the_status_and_the_option(loopback):
    url = loopback.url("/missing/index-windows.json")
    with pytest.raises(RuntimeIndexUnreachable) as info:
        RuntimeIndex(url, timeout=5).entries()
    assert _one_line(info.value) == (f"python runtime index {url}: cannot read it: HTTP 404; "
                                     "--python-index-url URL|FILE points at a mirror or a "
                                     "local copy of the index")


def test_a_missing_file(tmp_path):
    with pytest.raises(RuntimeIndexError) as info:
        RuntimeIndex(str(tmp_path / "nope.json")).entries()
    assert info.value.exit_code == 2
    assert _one_line(info.value).startswith(f"python runtime index {tmp_path / 'nope.json'}: "
                                            "no such file; --python-index-url")


def test_a_tag_that_matches_nothing(site):
    with pytest.raises(UnknownTagError) as info:
        RuntimeIndex(site.url, timeout=5).for_tag("3.99-64", "amd64")
    assert info.value.exit_code == 2
    assert _one_line(info.value) == (
        f"python runtime index {site.url}: no entry installs for the tag '3.99-64' (its "
        "tags: 3.11-64, 3.12-32, 3.12-64, 3.12t-64, 3.13-dev-64)")


@pytest.mark.parametrize("raw, problem", [
    ({"schema": 1, "id": "x", "tag": "3.12-64", "url": "a.zip"}, "'sort-version' is missing or not a string"),
    ({"schema": 1, "id": "x", "sort-version": "three", "tag": "3.12-64", "url": "a.zip"},
     "'sort-version' 'three' is not a version"),
    ({"schema": 1, "id": "x", "sort-version": "3.12.1", "tag": "3.12-64", "url": "a.zip",
      "hash": {"sha256": "abc"}}, "'hash' sha256 'abc' is not 64 hex digits"),
    ({"schema": 1, "id": "x", "sort-version": "3.12.1", "tag": "3.12-64"},
     "'url' is missing or not a string"),
])
def test_an_entry_the_choice_cannot_read(tmp_path, raw, problem):
    page = tmp_path / "index.json"
    page.write_text(json.dumps({"versions": [raw]}), encoding="utf-8")
    with pytest.raises(RuntimeIndexError) as info:
        RuntimeIndex(str(page)).entries()
    assert _one_line(info.value) == (f"python runtime index {page.as_uri()}: versions[0] (x): "
                                     f"{problem}")


def test_a_next_that_loops(tmp_path):
    page = tmp_path / "index.json"
    page.write_text(json.dumps({"versions": [], "next": "index.json"}), encoding="utf-8")
    with pytest.raises(RuntimeIndexError, match="names itself again as 'next'"):
        RuntimeIndex(str(page)).entries()
