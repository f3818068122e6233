"""Packing a rendered folder (nuspec + tools/) into a reproducible .nupkg (an OPC package).

Reproducible: sorted entries, fixed timestamps (SOURCE_DATE_EPOCH), part names derived from
the content.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from lxml import etree

from ...errors import BuildError
from ...escaping import xml_text
from ...fileio import atomic_path
from ...reproducible import zip_date_time
from .nuspec import NUSPEC_NS
from .opc import (CONTENT_TYPES_PART, CORE_PROPERTIES_DIR, CT_CORE_PROPERTIES, CT_DEFAULT,
                  CT_RELS, REL_CORE_PROPERTIES, REL_MANIFEST, RELS_PART, part_name)
from .scripts import environment


def _read_nuspec(src: Path) -> tuple[Path, dict[str, str]]:
    nuspecs = sorted(src.glob("*.nuspec"))
    if len(nuspecs) != 1:
        raise BuildError(f"{src}: expected exactly one .nuspec, found {len(nuspecs)}")
    try:
        root = etree.parse(str(nuspecs[0]), etree.XMLParser(resolve_entities=False)).getroot()
    except etree.XMLSyntaxError as err:
        raise BuildError(f"{nuspecs[0]}: not well-formed XML: {err}") from None
    meta = root.find(f"{{{NUSPEC_NS}}}metadata")
    if meta is None:
        raise BuildError(f"{nuspecs[0]}: no <metadata> in namespace {NUSPEC_NS}")
    values = {etree.QName(el).localname: (el.text or "") for el in meta
              if isinstance(el.tag, str)}
    for required in ("id", "version", "authors", "description"):
        if not values.get(required):
            raise BuildError(f"{nuspecs[0]}: <{required}> is missing or empty")
    return nuspecs[0], values


def _payload(src: Path, nuspec: Path) -> dict[str, bytes]:
    """The package's own files: the nuspec at the root and everything under tools/."""
    files = {nuspec.name: nuspec.read_bytes()}
    tools = src / "tools"
    if not tools.is_dir():
        raise BuildError(f"{src}: no tools/ folder to pack")
    for path in sorted(tools.rglob("*")):
        if path.is_file():
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    return files


def _content_types(names: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    defaults = {"rels": CT_RELS, "psmdcp": CT_CORE_PROPERTIES}
    overrides = []
    for name in names:
        last = name.rsplit("/", 1)[-1]
        ext = last.rsplit(".", 1)[-1].lower() if "." in last.strip(".") else ""
        if ext:
            defaults.setdefault(ext, CT_DEFAULT)
        else:
            overrides.append(("/" + part_name(name), CT_DEFAULT))
    return sorted(defaults.items()), sorted(overrides)


def _opc_parts(src: Path) -> dict[str, bytes]:
    nuspec, meta = _read_nuspec(src)
    files = _payload(src, nuspec)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    token = digest.hexdigest()
    psmdcp = f"{CORE_PROPERTIES_DIR}/{token[:32]}.psmdcp"
    env = environment(xml_text)
    parts = {part_name(name): data for name, data in files.items()}
    parts[psmdcp] = env.get_template("core-properties.psmdcp.j2").render(
        creator=meta["authors"], description=meta["description"], identifier=meta["id"],
        version=meta["version"], title=meta.get("title", ""), keywords=meta.get("tags", ""),
        last_modified_by="choconsis").encode("utf-8")
    relationships = [
        {"type": REL_MANIFEST, "target": "/" + part_name(nuspec.name), "id": "R" + token[32:48]},
        {"type": REL_CORE_PROPERTIES, "target": "/" + psmdcp, "id": "R" + token[48:64]},
    ]
    parts[RELS_PART] = env.get_template("rels.xml.j2").render(
        relationships=relationships).encode("utf-8")
    defaults, overrides = _content_types(sorted(parts))
    parts[CONTENT_TYPES_PART] = env.get_template("content_types.xml.j2").render(
        defaults=defaults, overrides=overrides).encode("utf-8")
    return parts


def pack(src: Path, nupkg: Path) -> Path:
    """Pack a rendered folder (nuspec + tools/) into a reproducible .nupkg at ``nupkg``."""
    parts = _opc_parts(src)
    stamp = zip_date_time()
    with atomic_path(nupkg) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(parts):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 0  # MS-DOS: no host-specific permission bits
                info.external_attr = 0
                zf.writestr(info, parts[name], compresslevel=9)
    return nupkg
