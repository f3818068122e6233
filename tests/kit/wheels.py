"""Small real wheels for tests: METADATA, WHEEL, RECORD with hashes, optional entry points,
and a PEP 503 simple index of them on the loopback server."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import zipfile
from pathlib import Path

from choconsis.lock.lockfile import LockedWheel


def tiny_zip(members: dict[str, bytes]) -> bytes:
    """A small zip (a stand-in wheel) with fixed member times: the same bytes every time."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in sorted(members.items()):
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 2, 3, 4, 6)), body)
    return buf.getvalue()


def record_hash(body: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def make_wheel(folder: Path, name: str, version: str, files: dict[str, bytes],
               entry_points: str = "", data_scripts: dict[str, bytes] | None = None,
               metadata: tuple[str, ...] = ()) -> Path:
    """A real wheel (METADATA, WHEEL, RECORD with hashes) holding the given files;
    ``metadata`` adds core-metadata lines (``Summary: ...``)."""
    dist = f"{name.replace('-', '_')}-{version}"
    members = dict(files)
    members[f"{dist}.dist-info/METADATA"] = (f"Metadata-Version: 2.1\nName: {name}\n"
                                             f"Version: {version}\n"
                                             + "".join(f"{m}\n" for m in metadata)).encode()
    members[f"{dist}.dist-info/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: choconsis-tests\n"
                                          b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    if entry_points:
        members[f"{dist}.dist-info/entry_points.txt"] = entry_points.encode()
    for script, body in (data_scripts or {}).items():
        members[f"{dist}.data/scripts/{script}"] = body
    record = [f"{m},{record_hash(b)},{len(b)}" for m, b in members.items()]
    members[f"{dist}.dist-info/RECORD"] = ("\n".join(record + [f"{dist}.dist-info/RECORD,,"])
                                           + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, body in members.items():
            zf.writestr(zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0)), body)
    return path


def app_wheel(folder: Path, name: str, version: str, command: str = "",
              metadata: tuple[str, ...] = ()) -> Path:
    """A package whose module prints '<name> <version>'; ``command`` makes it a console
    script (``<command>`` runs ``<module>:main``)."""
    module = name.replace("-", "_")
    body = f"def main():\n    print('{name} {version}')\n".encode()
    points = f"[console_scripts]\n{command} = {module}:main\n" if command else ""
    return make_wheel(folder, name, version, {f"{module}/__init__.py": body}, points,
                      metadata=metadata)


def locked(path: Path, url: str) -> LockedWheel:
    name, version = path.name.split("-")[:2]
    return LockedWheel(name.replace("_", "-"), version,
                       hashlib.sha256(path.read_bytes()).hexdigest(), path.name, url)


def serve_index(server, wheels: list[Path], prefix: str = "/simple") -> tuple[str, list[LockedWheel]]:
    """A PEP 503 index of the wheels on the loopback server: (index URL, locked wheels)."""
    from packaging.utils import canonicalize_name, parse_wheel_filename

    projects: dict[str, list[tuple[Path, str]]] = {}
    for wheel in wheels:
        url = server.add(f"/wheels/{wheel.name}", wheel.read_bytes())
        projects.setdefault(canonicalize_name(parse_wheel_filename(wheel.name)[0]), []).append(
            (wheel, url))
    out = []
    for name, files in sorted(projects.items()):
        links = "".join(f'<a href="{html.escape(url)}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
                        f"{html.escape(w.name)}</a><br/>" for w, url in files)
        server.add(f"{prefix}/{name}/", f"<!DOCTYPE html><html><body>{links}</body></html>",
                   content_type="text/html")
        out += [locked(w, url) for w, url in files]
    return server.url(prefix), out
