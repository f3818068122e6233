"""Artifacts: download once into a sha256-keyed cache, verify, hand out local paths.

The cache is ``$CHOCONSIS_CACHE`` or ``$XDG_CACHE_HOME/choconsis`` (``~/.cache/choconsis``) and
holds ``sha256/<hex[:2]>/<hex>/<filename>``. A file enters the cache only after its sha256 was
checked, through a temporary file and a rename; nothing unverified is ever handed out, and
nothing is downloaded twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Protocol

from . import ui
from .errors import ArtifactError, UsageError
from .netreasons import http_words, request_error_reason

if TYPE_CHECKING:  # pragma: no cover
    import requests


class Artifact(Protocol):
    """What the store reads of an artifact it fetches (plan.Artifact is one): a protocol, so
    that the store sits below the plan and the index clients below the lock can use it."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def filename(self) -> str: ...


CHUNK = 1 << 20
RETRY_STATUS = {429, 500, 502, 503, 504}


def default_cache_dir() -> Path:
    env = os.environ.get("CHOCONSIS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "choconsis"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def make_session(retries: int = 4) -> "requests.Session":
    """A requests session with connection reuse and bounded retries with backoff."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(total=retries, connect=retries, read=min(2, retries), status=retries,
                  backoff_factor=0.3,
                  status_forcelist=sorted(RETRY_STATUS), allowed_methods=["GET", "HEAD"],
                  raise_on_status=False, respect_retry_after_header=True)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=8, pool_maxsize=16)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "choconsis"
    return session


@contextlib.contextmanager
def cache_writes(cache_dir: Path) -> Iterator[None]:
    """Writes into the download cache: a folder or file there that cannot be written is named
    as the cache (with how to choose another), not as a bare path (exit 2: a setup problem)."""
    try:
        yield
    except OSError as err:
        if err.filename is None or not str(err.filename).startswith(str(cache_dir)):
            raise
        raise UsageError(f"the download cache {cache_dir} cannot be written ({err.filename}: "
                         f"{err.strerror or err}); choose another with --cache DIR or "
                         "CHOCONSIS_CACHE") from None


@dataclass
class DownloadResult:
    path: Path
    sha256: str
    size: int


class ArtifactStore:
    """Fetches artifacts by (url, sha256): from the cache, from --artifacts DIR, or the URL."""

    def __init__(self, cache_dir: Path | None = None, artifacts_dir: Path | None = None,
                 session: "requests.Session | None" = None, timeout: float = 30.0):
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.artifacts_dir = Path(artifacts_dir) if artifacts_dir else None
        self._session = session
        self.timeout = timeout

    @property
    def session(self) -> "requests.Session":
        if self._session is None:
            self._session = make_session()
        return self._session

    def cached_path(self, sha256: str, filename: str) -> Path:
        sha256 = sha256.lower()
        return self.cache_dir / "sha256" / sha256[:2] / sha256 / filename

    def fetch(self, artifact: "Artifact") -> Path:
        return self.fetch_url(artifact.url, artifact.sha256, artifact.filename, artifact.name)

    def fetch_url(self, url: str, sha256: str, filename: str, name: str = "") -> Path:
        """Local path of the verified file for (url, sha256)."""
        sha256 = sha256.lower()
        label = name or filename
        target = self.cached_path(sha256, filename)
        if target.is_file():
            ui.detail(f"{label}: from the cache ({target})")
            return target
        if self.artifacts_dir is not None:
            local = self.artifacts_dir / filename
            if local.is_file():
                actual = sha256_file(local)
                if actual != sha256:
                    raise ArtifactError(
                        f"{label}: {local} has sha256 {actual}, the recipe pins {sha256}; "
                        "refusing to use it")
                self._install_into_cache(local, target, copy=True)
                ui.detail(f"{label}: from {local} (sha256 verified)")
                return target
        result = self.download(url, filename=filename, label=label)
        if result.sha256 != sha256:
            result.path.unlink(missing_ok=True)
            raise ArtifactError(
                f"{label}: sha256 mismatch for {url}: got {result.sha256}, expected {sha256}")
        self._install_into_cache(result.path, target, copy=False)
        return target

    def fetch_all(self, artifacts: Iterable["Artifact"]) -> dict[str, Path]:
        return {a.url: self.fetch(a) for a in artifacts}

    def _url_record(self, url: str) -> Path:
        return self.cache_dir / "urls" / hashlib.sha256(url.encode("utf-8")).hexdigest()

    def fetch_unpinned(self, url: str, filename: str, name: str = "") -> tuple[Path, str]:
        """Download a file whose sha256 is not known yet; cache it by the sha256 it has.

        For pinning new releases (``choconsis update``). The URL -> sha256 record under
        ``urls/`` means a second call for the same URL downloads nothing; the cached file is
        checked against the recorded sha256 before it is handed out again.
        """
        record = self._url_record(url)
        if record.is_file():
            sha256 = record.read_text(encoding="ascii").strip()
            target = self.cached_path(sha256, filename)
            if target.is_file() and sha256_file(target) == sha256:
                return target, sha256
        result = self.download(url, filename=filename, label=name or filename)
        target = self.cached_path(result.sha256, filename)
        if target.is_file():
            result.path.unlink(missing_ok=True)
        else:
            self._install_into_cache(result.path, target, copy=False)
        with cache_writes(self.cache_dir):
            record.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=record.parent)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(result.sha256 + "\n")
        os.replace(tmp, record)
        return target, result.sha256

    def _install_into_cache(self, src: Path, target: Path, copy: bool) -> None:
        with cache_writes(self.cache_dir):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        os.close(fd)
        try:
            if copy:
                shutil.copyfile(src, tmp)
            else:
                shutil.move(str(src), tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def download(self, url: str, filename: str = "", label: str = "") -> DownloadResult:
        """Stream url to a temporary file in the cache, hashing as it goes.

        Retries connection errors, timeouts, truncated bodies and 429/5xx with backoff (the
        session retries status codes; this loop retries broken transfers).
        """
        import requests

        label = label or filename or url
        ui.detail(f"{label}: downloading {url}")
        tmpdir = self.cache_dir / "tmp"
        with cache_writes(self.cache_dir):
            tmpdir.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for attempt in range(4):
            if attempt:
                time.sleep(0.3 * 2 ** (attempt - 1))
            with cache_writes(self.cache_dir):
                fd, tmp = tempfile.mkstemp(prefix="dl-", dir=tmpdir)
            digest = hashlib.sha256()
            size = 0
            try:
                with os.fdopen(fd, "wb") as fh, self.session.get(
                        url, stream=True, timeout=self.timeout) as resp:
                    if resp.status_code != 200:
                        last_error = http_words(resp.status_code)
                        if resp.status_code in RETRY_STATUS:
                            continue
                        raise ArtifactError(f"{label}: cannot download {url}: {last_error}")
                    expected = resp.headers.get("Content-Length")
                    total = int(expected) if expected and expected.isdigit() else None
                    with ui.bar(label, total) as progress:
                        for chunk in resp.iter_content(CHUNK):
                            fh.write(chunk)
                            digest.update(chunk)
                            size += len(chunk)
                            progress.update(len(chunk))
                    if expected is not None and resp.headers.get("Content-Encoding") in (
                            None, "identity") and int(expected) != size:
                        last_error = f"truncated download ({size} of {expected} bytes)"
                        continue
                result = DownloadResult(Path(tmp), digest.hexdigest(), size)
                tmp = ""  # handed over
                return result
            except requests.RequestException as err:  # in the words used everywhere else
                last_error = request_error_reason(err)
            finally:
                if tmp and os.path.exists(tmp):
                    os.unlink(tmp)
        raise ArtifactError(f"{label}: cannot download {url}: {last_error} (after 4 attempts)")
