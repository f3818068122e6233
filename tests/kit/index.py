"""A simple-API index (PEP 503 HTML and PEP 691 JSON) and a python.org-shaped release listing
on a LoopbackServer (kit.http), with small valid wheels to serve: the index and
listing the lock, update and new tests run against (no internet)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from choconsis.index.simple import JSON_TYPE


def make_wheel(name: str, version: str, tag: str = "py3-none-any",
               requires: tuple[str, ...] = (), requires_python: str | None = None,
               metadata: tuple[str, ...] = (), console_scripts: dict[str, str] | None = None,
               data_scripts: dict[str, bytes] | None = None) -> tuple[str, bytes]:
    """A minimal valid wheel (METADATA, WHEEL, RECORD) that pip can resolve and download.

    ``metadata`` adds core-metadata header lines (``Summary: ...``); ``console_scripts`` maps
    command names to entry points (``module:function``), written to entry_points.txt;
    ``data_scripts`` maps file names to the bytes of ``<dist>-<version>.data/scripts/``.
    """
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *metadata]
    if requires_python:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Requires-Dist: {r}" for r in requires]
    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n",
        f"{info}/METADATA": "\n".join(meta) + "\n",
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                         f"Tag: {tag}\n",
    }
    if console_scripts:
        files[f"{info}/entry_points.txt"] = "[console_scripts]\n" + "".join(
            f"{command} = {target}\n" for command, target in console_scripts.items())
    for script, body in (data_scripts or {}).items():
        files[f"{dist}-{version}.data/scripts/{script}"] = body
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        record = []
        for path, text in files.items():
            zf.writestr(path, text)
            record.append(f"{path},,")
        record.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return f"{dist}-{version}-{tag}.whl", buf.getvalue()


def _wheel_metadata(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return zf.read(name)


@dataclass
class Release:
    filename: str
    data: bytes
    yanked: bool = False
    requires_python: str | None = None
    declared_sha256: str | None = None  # what the index claims (default: the real sha256)
    file_kwargs: dict = field(default_factory=dict)  # loopback Route options of the file


class FakeIndex:
    """A simple-API index on a LoopbackServer: JSON (PEP 691) and HTML (PEP 503) pages."""

    def __init__(self, server, prefix: str = "/simple/"):
        self.server = server
        self.prefix = prefix
        self.projects: dict[str, list[Release]] = {}

    @property
    def url(self) -> str:
        return self.server.url(self.prefix.rstrip("/"))

    def wheel(self, name: str, version: str, *, tag: str = "py3-none-any",
              requires: tuple[str, ...] = (), requires_python: str | None = None,
              yanked: bool = False, declared_sha256: str | None = None,
              metadata: tuple[str, ...] = (), console_scripts: dict[str, str] | None = None,
              data_scripts: dict[str, bytes] | None = None, **file_kwargs) -> Release:
        filename, data = make_wheel(name, version, tag, requires, requires_python, metadata,
                                    console_scripts, data_scripts)
        rel = Release(filename, data, yanked, requires_python, declared_sha256, file_kwargs)
        self.projects.setdefault(name, []).append(rel)
        return rel

    def sdist(self, name: str, version: str) -> Release:
        rel = Release(f"{name.replace('-', '_')}-{version}.tar.gz", b"not really a tarball")
        self.projects.setdefault(name, []).append(rel)
        return rel

    def publish(self, *, html_only: tuple[str, ...] = (), with_uv: bool = True,
                **page_kwargs) -> None:
        """Serve every project page and file; html_only projects have no JSON form.

        Wheels also get their METADATA served as a PEP 658 metadata file, as PyPI does: pip
        then resolves without downloading the wheels themselves. ``with_uv``: the index has
        uv's Windows wheels too, as PyPI does (a lock of a recipe installing with uv pins one).
        """
        if with_uv and "uv" not in self.projects:
            for platform in ("win_amd64", "win32"):
                self.wheel("uv", "0.13.9", tag=f"py3-none-{platform}")
        for name, releases in self.projects.items():
            entries = []
            for rel in releases:
                self.server.add(f"/files/{rel.filename}", rel.data, **rel.file_kwargs)
                sha = rel.declared_sha256 or hashlib.sha256(rel.data).hexdigest()
                meta_sha = None
                if rel.filename.endswith(".whl"):
                    meta = _wheel_metadata(rel.data)
                    self.server.add(f"/files/{rel.filename}.metadata", meta)
                    meta_sha = hashlib.sha256(meta).hexdigest()
                entries.append((rel, sha, meta_sha))
            html = "".join(
                f'<a href="../../files/{r.filename}#sha256={sha}"'
                + (f' data-requires-python="{r.requires_python.replace(">", "&gt;")}"'
                   if r.requires_python else "")
                + (f' data-dist-info-metadata="sha256={msha}" data-core-metadata="sha256={msha}"'
                   if msha else "")
                + (' data-yanked=""' if r.yanked else "") + f">{r.filename}</a><br/>\n"
                for r, sha, msha in entries)
            page = f"<!DOCTYPE html><html><body>\n{html}</body></html>\n"
            doc = {"meta": {"api-version": "1.1"}, "name": name, "files": [
                {"filename": r.filename, "url": f"/files/{r.filename}",
                 "hashes": {"sha256": sha}, "requires-python": r.requires_python,
                 "yanked": r.yanked,
                 **({"core-metadata": {"sha256": msha}, "dist-info-metadata": {"sha256": msha}}
                    if msha else {})} for r, sha, msha in entries]}
            alternates = {} if name in html_only else {JSON_TYPE: json.dumps(doc).encode()}
            self.server.add(f"{self.prefix}{canonicalize_name(name)}/", page,
                            content_type="text/html",
                            alternates=alternates, **page_kwargs)


def python_listing(server, folders: dict[str, list[str]], prefix: str = "/python/",
                   data: bytes = b"MZ fake python installer") -> str:
    """A python.org-shaped folder listing: FOLDER/ -> files (each served with data)."""
    links = "".join(f'<a href="{f}/">{f}/</a>\n' for f in folders)
    server.add(prefix, f"<html><body><pre>\n<a href='../'>../</a>\n{links}</pre></body></html>",
               content_type="text/html")
    for folder, files in folders.items():
        flinks = "".join(f'<a href="{f}">{f}</a>\n' for f in files)
        server.add(f"{prefix}{folder}/", f"<html><body><pre>{flinks}</pre></body></html>",
                   content_type="text/html")
        for f in files:
            server.add(f"{prefix}{folder}/{f}", data)
    return server.url(prefix)
