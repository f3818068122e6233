"""The simple-API client (choconsis/index/simple.py) and the python.org listing
(choconsis/index/pythonorg.py), against the loopback index and listing of tests/kit/index.py."""

from __future__ import annotations

import hashlib
import json

import pytest
from packaging.version import Version

from choconsis.store import make_session
from choconsis.index.simple import (JSON_TYPE, IndexLookupError, SimpleIndex, Target, parse_html_page,
                             project_url)
from choconsis.index.pythonorg import PythonIndex, PythonLookupError
from kit.index import FakeIndex, python_listing

WIN314 = Target("3.14.7", "win_amd64")

# ---------------------------------------------------------------------------- index


@pytest.fixture
def index(loopback):
    idx = FakeIndex(loopback)
    for v in ("8.0.0", "9.0.0", "10.0.0"):
        idx.wheel("demo-tool", v)
    idx.wheel("demo-tool", "10.1.0", yanked=True)
    idx.wheel("demo-tool", "11.0.0rc1")
    idx.wheel("demo-tool", "10.2.0", tag="cp313-cp313-win_amd64")  # not for cp314
    idx.wheel("demo-tool", "10.3.0", requires_python=">=3.15")  # not for 3.14
    idx.sdist("demo-tool", "10.4.0")  # sdist only: a version, but not installable as a wheel
    idx.wheel("other", "1.0")
    return idx


def test_project_url_is_pips_rule():
    assert project_url("https://pypi.org/simple", "Python_Foo.Bar") == \
        "https://pypi.org/simple/python-foo-bar/"
    assert project_url("https://mirror.example/pypi/simple/", "x") == \
        "https://mirror.example/pypi/simple/x/"


def test_json_page_versions_skip_yanked_pre_and_foreign(index, loopback):
    index.publish()
    page = SimpleIndex(index.url, make_session()).project("Demo_Tool")
    assert page.name == "demo-tool"
    assert Version("10.4.0") in page.versions()  # the sdist's version is read from its name
    assert page.versions(target=WIN314) == [Version(v) for v in ("8.0.0", "9.0.0", "10.0.0")]
    assert page.newest(target=WIN314) == Version("10.0.0")  # 10 > 9: not a string compare
    assert page.newest(pre=True, target=WIN314) == Version("11.0.0rc1")
    # a yanked version counts only when it is the exact pin
    assert page.newest(pinned=Version("10.1.0"), target=WIN314) == Version("10.1.0")
    assert page.newest(target=Target("3.13.1", "win_amd64")) == Version("10.2.0")
    assert page.newest(target=Target("3.15.0", "win_amd64")) == Version("10.3.0")
    assert loopback.hits["/simple/demo-tool/"] == 1


def test_json_is_asked_for_and_html_is_the_fallback(index, loopback):
    index.publish(html_only=("other",))
    # The JSON form differs from the HTML form: it must be the one used when offered.
    loopback.routes["/simple/demo-tool/"].alternates[JSON_TYPE] = json.dumps(
        {"meta": {"api-version": "1.0"}, "files": [
            {"filename": "demo_tool-12.0.0-py3-none-any.whl", "url": "/files/x.whl",
             "hashes": {}}]}).encode()
    idx = SimpleIndex(index.url, make_session())
    assert idx.project("demo-tool").versions() == [Version("12.0.0")]
    other = idx.project("other")
    assert other.versions() == [Version("1.0")]
    f = other.files[0]
    assert f.url == loopback.url("/files/other-1.0-py3-none-any.whl")
    assert f.sha256 == hashlib.sha256(index.projects["other"][0].data).hexdigest()


def test_html_page_attributes():
    html = ('<base href="https://files.example/base/">'
            '<a href="a/demo-1.0-py3-none-any.whl#sha256=AB" data-yanked="broken" '
            'data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a>'
            '<a href="demo-2.0.tar.gz">demo-2.0.tar.gz</a>')
    files = parse_html_page(html, "https://index.example/simple/demo/")
    assert [(f.url, f.sha256, f.yanked, f.requires_python) for f in files] == [
        ("https://files.example/base/a/demo-1.0-py3-none-any.whl", "ab", True, ">=3.8"),
        ("https://files.example/base/demo-2.0.tar.gz", None, False, None)]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_error_then_success(index, loopback, status):
    index.publish(fail_first=2, fail_status=status)
    page = SimpleIndex(index.url, make_session()).project("demo-tool")
    assert page.newest(target=WIN314) == Version("10.0.0")
    assert loopback.hits["/simple/demo-tool/"] == 3


def test_persistent_server_error_names_project_and_url(index, loopback):
    index.publish(fail_first=100, fail_status=502)
    with pytest.raises(IndexLookupError, match="demo-tool: cannot read .*/simple/demo-tool/"):
        SimpleIndex(index.url, make_session()).project("demo-tool")
    assert loopback.hits["/simple/demo-tool/"] == 5  # bounded: the first try and 4 retries


def test_timeout_then_success(index, loopback):
    index.publish(delay=1.5, slow_first=1)
    page = SimpleIndex(index.url, make_session(), timeout=0.5).project("demo-tool")
    assert page.newest(target=WIN314) == Version("10.0.0")
    assert loopback.hits["/simple/demo-tool/"] == 2


def test_missing_project_names_project_and_url(index, loopback):
    index.publish()
    with pytest.raises(IndexLookupError) as err:
        SimpleIndex(index.url, make_session()).project("no-such-thing")
    assert "no-such-thing" in str(err.value)
    assert loopback.url("/simple/no-such-thing/") in str(err.value)


def test_unreachable_index_names_url():
    import requests  # a session without retries: make_session's backoff would take 4 s

    with pytest.raises(IndexLookupError, match=r"the index http://127\.0\.0\.1:9/simple could "
                       r"not be reached: the connection was refused.* \(asked for "
                       r"http://127\.0\.0\.1:9/simple/demo/\)"):
        SimpleIndex("http://127.0.0.1:9/simple", requests.Session(), timeout=0.5).project("demo")


# ---------------------------------------------------------------------------- python.org

FOLDERS = {
    "3.13.9": ["python-3.13.9-amd64.exe"],
    "3.14.7": ["python-3.14.7-amd64.exe", "python-3.14.7.exe", "python-3.14.7.amd64.msi"],
    "3.14.8": ["python-3.14.8-amd64.exe", "python-3.14.8.exe", "python-3.14.8.tgz"],
    "3.14.9": ["python-3.14.9-amd64.exe", "python-3.14.9.amd64.msi"],
    "3.14.10": ["python-3.14.10-amd64.exe", "Python-3.14.10.tar.xz"],
    "3.14.11": ["Python-3.14.11.tgz", "Python-3.14.11.tar.xz"],  # no Windows installers
    "3.14.12": ["python-3.14.12rc1-amd64.exe", "Python-3.14.12rc1.tgz"],  # only a pre-release
    "3.15.0": ["python-3.15.0a1-amd64.exe"],
}


def test_python_newest_with_installer(loopback):
    url = python_listing(loopback, FOLDERS)
    idx = PythonIndex(url, make_session())
    newest = idx.newest("3.14", "exe", "amd64", newer_than=Version("3.14.7"))
    assert newest.version == Version("3.14.10")  # 3.14.11 has no installer; not "3.14.9"
    assert newest.url == loopback.url("/python/3.14.10/python-3.14.10-amd64.exe")
    assert idx.newest("3.14", "exe", "x86").version == Version("3.14.8")
    assert idx.newest("3.14", "msi", "amd64").version == Version("3.14.9")
    assert idx.newest("3.14", "exe", "amd64", pre=True).version == Version("3.14.12rc1")
    assert idx.newest("3.13", "exe", "amd64").version == Version("3.13.9")


def test_python_walk_stops_at_the_pin(loopback):
    url = python_listing(loopback, FOLDERS)
    idx = PythonIndex(url, make_session())
    assert idx.newest("3.14", "msi", "amd64", newer_than=Version("3.14.9")) is None
    visited = sorted(p for p in loopback.hits if p.count("/") == 3)  # /python/X.Y.Z/
    # folders newer than the pin are looked into (none has an amd64 MSI); older ones never
    assert visited == ["/python/3.14.10/", "/python/3.14.11/", "/python/3.14.12/"]


def test_python_listing_errors_name_the_url(loopback):
    with pytest.raises(PythonLookupError, match="HTTP 404"):
        PythonIndex(loopback.url("/nothing/"), make_session()).newest("3.14", "exe", "amd64")
    with pytest.raises(ValueError):
        PythonIndex(loopback.url("/nothing/"), make_session()).newest("3.14", "zip", "amd64")


@pytest.mark.network
def test_real_pypi():
    import requests

    try:
        requests.head("https://pypi.org/simple/", timeout=5)
    except requests.RequestException:
        pytest.skip("offline: pypi.org is not reachable")
    page = SimpleIndex("https://pypi.org/simple", make_session()).project("python-openstackclient")
    assert page.newest(target=WIN314) >= Version("10.5.0")
    assert all(f.sha256 for f in page.files if f.is_wheel)
