"""A python.org-shaped install-manager index (index-windows.json) on the loopback server.

Two pages joined by a relative ``next``; the package the tests use is listed with a relative
``url`` on the second page; the first page holds what a chooser must pass over: a newer
pre-release, a newer entry without a sha256, the x86 and free-threaded and embeddable builds
of the same version, and an entry of a future schema. The package is whatever bytes the test
gives: fake ones for the fast tests, the WinPython CPython 3.12 runtime zip
(:func:`kit.wine.artifacts.runtime_zip`) for the Wine test.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

UNSERVED = "https://choconsis.invalid/python/"  # entries a chooser must never fetch


def entry(version: str, bits: str = "64", *, url: str, sha256: str | None,
          company: str = "PythonCore", variant: str = "", dev: bool = False,
          executable: str = ".\\python.exe") -> dict[str, Any]:
    """One schema-1 entry as python.org writes them (id pythoncore-3.12-64, tag 3.12-64)."""
    minor = ".".join(version.split(".")[:2])
    kind = "pythoncore" if company == "PythonCore" else company.lower()
    tag = f"{minor}{variant}{'-dev' if dev else ''}-{bits}"
    out: dict[str, Any] = {
        "schema": 1, "id": f"{kind}-{minor}{variant}-{bits}", "sort-version": version,
        "company": company, "tag": tag,
        "install-for": [f"{version}{variant}-{bits}", f"{minor}{variant}-{bits}",
                        f"3{variant}-{bits}", f"{minor}{variant}-dev-{bits}"],
        "run-for": [{"tag": tag, "target": "python.exe"}],
        "display-name": f"Python {version}" + (" (32-bit)" if bits == "32" else ""),
        "executable": executable, "url": url,
    }
    if sha256 is not None:
        out["hash"] = {"sha256": sha256}
    return out


@dataclass
class RuntimeIndexSite:
    url: str  # the first page
    package_url: str  # where the package itself is served
    sha256: str
    version: str


def serve_runtime_index(server, package: bytes, *, version: str = "3.12.1",
                        prefix: str = "/pymanager/", newer: tuple[str, ...] = ()
                        ) -> RuntimeIndexSite:
    """Serve the two pages and the package (python-<version>-amd64.zip, relative URL).

    ``newer``: further hashed amd64 versions on page 2 (their bytes are the same package),
    for an update to move to.
    """
    sha = hashlib.sha256(package).hexdigest()
    minor = ".".join(version.split(".")[:2])
    major, mnr, patch = (int(p) for p in version.split("."))
    files = {}
    for v in (version, *newer):
        name = f"{v}/python-{v}-amd64.zip"
        files[v] = (name, server.add(f"{prefix}{name}", package))
    page1 = {"versions": [
        entry(f"{major}.{mnr + 1}.0b1", url=f"{UNSERVED}python-{major}.{mnr + 1}.0b1-amd64.zip",
              sha256="1" * 64, dev=True),
        entry(f"{minor}.{patch + 40}", url=f"{UNSERVED}python-{minor}.{patch + 40}-amd64.zip",
              sha256=None),
        entry(version, "32", url=f"{UNSERVED}python-{version}-win32.zip", sha256="2" * 64),
        entry(version, url=f"{UNSERVED}python-{version}t-amd64.zip", sha256="3" * 64,
              variant="t"),
        entry(version, url=f"{UNSERVED}python-{version}-embed-amd64.zip", sha256="4" * 64,
              company="PythonEmbed"),
        {"schema": 2, "id": "from-the-future", "sort-version": "9.9.9"},
    ], "next": "page-2.json"}
    page2 = {"versions": [
        *(entry(v, url=files[v][0], sha256=sha) for v in (version, *newer)),
        entry(f"{major}.{mnr - 1}.9", url=f"{UNSERVED}python-{major}.{mnr - 1}.9-amd64.zip",
              sha256="5" * 64),
    ]}
    first = server.add(f"{prefix}index-windows.json", json.dumps(page1, indent=1).encode(),
                       content_type="application/json")
    server.add(f"{prefix}page-2.json", json.dumps(page2, indent=1).encode(),
               content_type="application/json")
    return RuntimeIndexSite(first, files[version][1], sha, version)
