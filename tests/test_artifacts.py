"""The artifact store: streaming download with sha256, retries, timeouts, --artifacts DIR, cache."""

from __future__ import annotations

import hashlib
import os
import time
import types

import pytest
import requests

from choconsis import store as artifacts
from choconsis.store import ArtifactStore, sha256_file
from choconsis.errors import ArtifactError

DATA = os.urandom(3 * artifacts.CHUNK + 12345)  # several chunks: the hash is streamed
SHA = hashlib.sha256(DATA).hexdigest()


def cached_files(cache) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


@pytest.fixture
def no_backoff(monkeypatch):
    """Our retry loop's sleeps become no-ops (the server's own delays keep working)."""
    monkeypatch.setattr(artifacts, "time", types.SimpleNamespace(sleep=lambda s: None))


def store(tmp_path, **kwargs) -> ArtifactStore:
    kwargs.setdefault("timeout", 2.0)
    return ArtifactStore(cache_dir=tmp_path / "cache", **kwargs)


def test_download_streams_into_the_sha256_cache(tmp_path, loopback):
    url = loopback.add("/files/tool.msi", DATA)
    s = store(tmp_path)
    path = s.fetch_url(url, SHA.upper(), "tool.msi", "tool")
    assert path == s.cached_path(SHA, "tool.msi")
    assert path.read_bytes() == DATA
    assert cached_files(tmp_path / "cache") == ["tool.msi"]


def test_second_fetch_downloads_nothing(tmp_path, loopback):
    url = loopback.add("/files/tool.msi", DATA)
    first = store(tmp_path).fetch_url(url, SHA, "tool.msi")
    second = store(tmp_path).fetch_url(url, SHA, "tool.msi")
    assert first == second
    assert loopback.hits["/files/tool.msi"] == 1


def test_server_error_then_success_is_retried(tmp_path, loopback):
    url = loopback.add("/files/flaky.msi", DATA, fail_first=2)
    path = store(tmp_path).fetch_url(url, SHA, "flaky.msi")
    assert sha256_file(path) == SHA
    assert loopback.hits["/files/flaky.msi"] == 3


def test_not_found_is_not_retried(tmp_path, loopback):
    url = loopback.url("/files/missing.msi")
    with pytest.raises(ArtifactError, match=r"tool: cannot download .*missing\.msi: HTTP 404"):
        store(tmp_path).fetch_url(url, SHA, "missing.msi", "tool")
    assert loopback.hits["/files/missing.msi"] == 1
    assert cached_files(tmp_path / "cache") == []


def test_truncated_download_is_retried_then_refused(tmp_path, loopback, no_backoff):
    url = loopback.add("/files/cut.msi", DATA, truncate=1000)
    with pytest.raises(ArtifactError, match=r"cut\.msi.*after 4 attempts"):
        store(tmp_path).fetch_url(url, SHA, "cut.msi")
    assert loopback.hits["/files/cut.msi"] == 4
    assert cached_files(tmp_path / "cache") == []


def test_timeout_is_retried_then_refused(tmp_path, loopback, no_backoff):
    url = loopback.add("/files/slow.msi", DATA, delay=3)
    s = store(tmp_path, timeout=0.2, session=requests.Session())  # our loop only, no urllib3 retry
    started = time.monotonic()
    with pytest.raises(ArtifactError, match=r"slow\.msi.*Timeout.*after 4 attempts"):
        s.fetch_url(url, SHA, "slow.msi")
    assert time.monotonic() - started < 2.5
    assert loopback.hits["/files/slow.msi"] == 4
    assert cached_files(tmp_path / "cache") == []


def test_hash_mismatch_leaves_nothing_in_the_cache(tmp_path, loopback):
    url = loopback.add("/files/evil.msi", DATA + b"x")
    with pytest.raises(ArtifactError) as err:
        store(tmp_path).fetch_url(url, SHA, "evil.msi", "tool")
    assert "tool: sha256 mismatch" in str(err.value) and SHA in str(err.value)
    assert cached_files(tmp_path / "cache") == []


def test_artifacts_dir_file_with_matching_hash_is_used(tmp_path, loopback):
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "tool.msi").write_bytes(DATA)
    url = loopback.url("/files/tool.msi")  # not served: must not be needed
    s = store(tmp_path, artifacts_dir=folder)
    path = s.fetch_url(url, SHA, "tool.msi")
    assert path.read_bytes() == DATA and path.parent != folder
    assert loopback.hits["/files/tool.msi"] == 0


def test_artifacts_dir_file_with_other_hash_is_refused(tmp_path, loopback):
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "tool.msi").write_bytes(b"something else")
    url = loopback.add("/files/tool.msi", DATA)
    with pytest.raises(ArtifactError, match=r"tool: .*tool\.msi has sha256 .* refusing to use it"):
        store(tmp_path, artifacts_dir=folder).fetch_url(url, SHA, "tool.msi", "tool")
    assert cached_files(tmp_path / "cache") == []
    assert loopback.hits["/files/tool.msi"] == 0


def test_artifacts_dir_without_the_file_falls_back_to_the_url(tmp_path, loopback):
    folder = tmp_path / "artifacts"
    folder.mkdir()
    url = loopback.add("/files/tool.msi", DATA)
    path = store(tmp_path, artifacts_dir=folder).fetch_url(url, SHA, "tool.msi")
    assert sha256_file(path) == SHA
    assert loopback.hits["/files/tool.msi"] == 1
