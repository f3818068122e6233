"""The OPC structure of a .nupkg: content types, relationships, core properties (the layout
the packer writes, :mod:`choconsis.backends.chocolatey.opc`)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from lxml import etree

from ..backends.chocolatey.opc import (CONTENT_TYPES_PART, CORE_PROPERTIES_NS, CT_NS, DC_NS,
                                       REL_CORE_PROPERTIES, REL_MANIFEST, RELS_NS, RELS_PART)
from .rules import Package, Report


_CT_NS = "{" + CT_NS + "}"
_RELS_NS = "{" + RELS_NS + "}"
_CP_NS = "{" + CORE_PROPERTIES_NS + "}"
_DC_NS = "{" + DC_NS + "}"
REL_CORE = REL_CORE_PROPERTIES
_OPC_INTERNAL = re.compile(r"^(\[Content_Types\]\.xml|_rels/.*\.rels|package/services/.*)$")


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _check_content_types(parts: dict[str, bytes], report: Report, loc: str) -> None:
    if CONTENT_TYPES_PART not in parts:
        report.add("COPC0001", "[Content_Types].xml is missing", loc)
        return
    try:
        types = _xml(parts[CONTENT_TYPES_PART])
    except etree.XMLSyntaxError as err:
        report.add("COPC0001", f"[Content_Types].xml is not XML: {err}", loc)
        return
    defaults = {el.get("Extension", "").lower() for el in types.iter(f"{_CT_NS}Default")}
    overrides = {el.get("PartName", "").lower() for el in types.iter(f"{_CT_NS}Override")}
    for name in parts:
        if name == CONTENT_TYPES_PART:
            continue
        last = name.rsplit("/", 1)[-1]
        ext = last.rsplit(".", 1)[-1].lower() if "." in last else ""
        if ext not in defaults and "/" + name.lower() not in overrides:
            report.add("COPC0001", f"no content type for part /{name}", loc)


def _rel_targets(parts: dict[str, bytes], report: Report, loc: str) -> dict[str, str]:
    if RELS_PART not in parts:
        report.add("COPC0001", "_rels/.rels is missing", loc)
        return {}
    try:
        rels = _xml(parts[RELS_PART])
    except etree.XMLSyntaxError as err:
        report.add("COPC0001", f"_rels/.rels is not XML: {err}", loc)
        return {}
    targets: dict[str, str] = {}
    for rel in rels.iter(f"{_RELS_NS}Relationship"):
        target = rel.get("Target", "")
        part = unquote(target.lstrip("/"))
        if not rel.get("Id"):
            report.add("COPC0001", f"relationship to {target} has no Id", loc)
        if target.lstrip("/") not in parts:
            report.add("COPC0001", f"relationship target {target} is not in the package", loc)
        targets[rel.get("Type", "")] = part
    return targets


def _check_opc(parts: dict[str, bytes], report: Report, loc: str) -> None:
    for name in parts:
        if "\\" in name or name.startswith("/") or ".." in PurePosixPath(name).parts:
            report.add("COPC0001", f"invalid part name {name!r}", loc)
    _check_content_types(parts, report, loc)
    targets = _rel_targets(parts, report, loc)
    manifest = targets.get(REL_MANIFEST)
    if manifest is None:
        report.add("COPC0001", "no manifest relationship to the nuspec in _rels/.rels", loc)
    elif "/" in manifest or not manifest.lower().endswith(".nuspec"):
        report.add("COPC0001", f"manifest relationship points to {manifest}, not a root "
                   ".nuspec", loc)
    core = targets.get(REL_CORE)
    if core is None:
        report.add("COPC0001", "no core-properties relationship in _rels/.rels", loc)
        return
    if core not in parts:
        return  # already reported as a missing target
    try:
        props = _xml(parts[core])
    except etree.XMLSyntaxError as err:
        report.add("COPC0001", f"{core} is not XML: {err}", loc)
        return
    for field in (f"{_DC_NS}identifier", f"{_CP_NS}version", f"{_DC_NS}creator"):
        if props.find(field) is None or not (props.find(field).text or "").strip():
            report.add("COPC0001", f"{core} lacks {etree.QName(field).localname}", loc)


def nupkg_package(path: Path, report: Report) -> Package | None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                report.add("COPC0001", "duplicate zip entries", str(path))
            parts = {i.filename: zf.read(i) for i in infos if not i.is_dir()}
    except (zipfile.BadZipFile, OSError) as err:
        report.add("COPC0001", f"not a zip archive: {err}", str(path))
        return None
    _check_opc(parts, report, str(path))
    payload = {unquote(name): data for name, data in parts.items()
               if not _OPC_INTERNAL.match(name)}
    return Package(payload, str(path))
