"""Nuspec rules: the structure the Chocolatey XSD checks (done here: the XSD is not shipped),
and the moderation rules about metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from ..recipe import CHOCO_VERSION_RE, LOOPBACK_HOSTS, PACKAGE_ID_RE
from .rules import Package, Report


NUSPEC_NAMESPACES = {
    "",  # NuGet accepts a nuspec without a namespace
    "http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd",
    "http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd",
    "http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd",
    "http://schemas.microsoft.com/packaging/2013/01/nuspec.xsd",
    "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd",
    "http://schemas.microsoft.com/packaging/2015/06/nuspec.xsd",
}
METADATA_ELEMENTS = {
    "id", "version", "title", "authors", "owners", "licenseUrl", "projectUrl", "iconUrl",
    "projectSourceUrl", "packageSourceUrl", "docsUrl", "wikiUrl", "mailingListUrl",
    "bugTrackerUrl", "replaces", "provides", "conflicts", "softwareDisplayName",
    "softwareDisplayVersion", "requireLicenseAcceptance", "developmentDependency",
    "description", "summary", "releaseNotes", "copyright", "language", "tags", "serviceable",
    "icon", "readme", "repository", "license", "packageTypes", "dependencies",
    "frameworkAssemblies", "frameworkReferences", "references", "contentFiles",
}
URL_ELEMENTS = ("licenseUrl", "projectUrl", "iconUrl", "projectSourceUrl", "packageSourceUrl",
                "docsUrl", "wikiUrl", "mailingListUrl", "bugTrackerUrl")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_TEMPLATED_RE = re.compile(r"__REPLACE|\{\{.*?\}\}|\[\[.*?\]\]")
# A prerelease word as the id's last segment (foo-beta, foo.rc1, foo-preview-2), never its
# first: pre-commit and preview-tool name no prerelease.
_PRERELEASE_ID_RE = re.compile(
    r"[.-](alpha|beta|pre|prerelease|rc|preview)(?:[.-]?\d+)*$")
_BAD_HEADING_RE = re.compile(r"^#{1,6}[^#\s]", re.M)


@dataclass
class Nuspec:
    name: str
    meta: dict[str, str]  # element local name -> text
    dependencies: list[tuple[str, str]]  # (id, version)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def names_prerelease(pkg_id: str) -> bool:
    """cpmr0024: does the package id end in a prerelease word (-beta, -rc1, .preview)?"""
    return _PRERELEASE_ID_RE.search(pkg_id.lower()) is not None


def read_nuspec(pkg: Package, report: Report) -> Nuspec | None:
    roots = [n for n in pkg.files if "/" not in n and n.lower().endswith(".nuspec")]
    if len(roots) != 1:
        report.add("CNS0001", f"expected exactly one .nuspec at the package root, found "
                   f"{len(roots)}", pkg.origin)
        return None
    name, data = roots[0], pkg.files[roots[0]]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        report.add("cpmr0054", f"not UTF-8: {err}", name)
    declared = re.match(rb"<\?xml[^>]*encoding=[\"']([^\"']+)", data)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in ("utf-8", "utf8"):
        report.add("cpmr0054", f"declares encoding {declared.group(1).decode()!r}", name)
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(pkg.files[name], parser)
    except etree.XMLSyntaxError as err:
        report.add("CNS0001", f"not well-formed XML: {err}", name)
        return None
    ns = etree.QName(root).namespace or ""
    if _local(root) != "package" or ns not in NUSPEC_NAMESPACES:
        report.add("CNS0001", f"root element is {{{ns}}}{_local(root)}, expected <package> in a "
                   "nuspec namespace", name)
        return None
    metadata = [el for el in root if isinstance(el.tag, str) and _local(el) == "metadata"]
    if len(metadata) != 1:
        report.add("CNS0001", "expected exactly one <metadata>", name)
        return None
    meta: dict[str, str] = {}
    deps: list[tuple[str, str]] = []
    for el in metadata[0]:
        if not isinstance(el.tag, str):
            continue
        local = _local(el)
        if etree.QName(el).namespace != (ns or None) or local not in METADATA_ELEMENTS:
            report.add("CNS0001", f"unknown metadata element <{local}>", name)
            continue
        if local in meta:
            report.add("CNS0001", f"<{local}> appears more than once", name)
        meta[local] = el.text or ""
        if local == "dependencies":
            for dep in el.iter():
                if isinstance(dep.tag, str) and _local(dep) == "dependency":
                    deps.append((dep.get("id", ""), dep.get("version", "")))
    for el in root:
        if isinstance(el.tag, str) and _local(el) not in ("metadata", "files"):
            report.add("CNS0001", f"unknown element <{_local(el)}> under <package>", name)
    return Nuspec(name, meta, deps)


def nuspec_structure(nu: Nuspec, report: Report) -> None:
    meta, loc = nu.meta, nu.name
    for required in ("id", "version", "authors"):
        if not meta.get(required, "").strip():
            report.add("CNS0001", f"<{required}> is required", f"{loc} <{required}>")
    pkg_id = meta.get("id", "")
    if pkg_id and (len(pkg_id) > 100 or not PACKAGE_ID_RE.fullmatch(pkg_id.lower())):
        report.add("CNS0001", f"invalid package id {pkg_id!r}", f"{loc} <id>")
    version = meta.get("version", "")
    if version and not CHOCO_VERSION_RE.fullmatch(version):
        report.add("CNS0001", f"invalid version {version!r}", f"{loc} <version>")
    rla = meta.get("requireLicenseAcceptance")
    if rla is not None and rla.strip() not in ("true", "false"):
        report.add("CNS0001", f"requireLicenseAcceptance must be true or false, got {rla!r}",
                   f"{loc} <requireLicenseAcceptance>")
    for element in URL_ELEMENTS:
        url = meta.get(element)
        if url is None:
            continue
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in url.strip():
            report.add("CNS0001", f"not an absolute http(s) URL: {url!r}", f"{loc} <{element}>")
        elif parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            report.add("CNS0002", f"plain http URL: {url}", f"{loc} <{element}>")


def nuspec_rules(nu: Nuspec, report: Report) -> None:  # noqa: C901 - a list of rules
    meta, loc = nu.meta, nu.name
    get = lambda key: meta.get(key, "").strip()  # noqa: E731
    pkg_id, title, desc, tags = get("id"), get("title"), meta.get("description", ""), get("tags")
    if "copyright" in meta and len(get("copyright")) < 4:
        report.add("cpmr0001", "copyright has fewer than 4 characters", f"{loc} <copyright>")
    if not desc.strip():
        report.add("cpmr0002", "the description is missing", f"{loc} <description>")
    elif len(desc) > 4000:
        report.add("cpmr0026", f"the description has {len(desc)} characters",
                   f"{loc} <description>")
    elif len(desc.strip()) < 30:
        report.add("cpmr0032", f"the description has {len(desc.strip())} characters",
                   f"{loc} <description>")
    if _BAD_HEADING_RE.search(desc):
        report.add("cpmr0030", "a Markdown heading needs a space after its '#'",
                   f"{loc} <description>")
    if get("requireLicenseAcceptance") == "true" and not get("licenseUrl"):
        report.add("cpmr0007", "license acceptance is required but there is no licenseUrl",
                   f"{loc} <licenseUrl>")
    if not get("projectUrl"):
        report.add("cpmr0009", "projectUrl is missing", f"{loc} <projectUrl>")
    if "," in tags:
        report.add("cpmr0014", "tags are separated by spaces, not commas", f"{loc} <tags>")
    if not tags:
        report.add("cpmr0023", "tags are missing", f"{loc} <tags>")
    if "chocolatey" in tags.lower().split():
        report.add("cpmr0048", "the tag 'chocolatey' is reserved", f"{loc} <tags>")
    if "notsilent" in tags.lower().split():
        report.add("cpmr0067", "the package is tagged notSilent", f"{loc} <tags>")
    for key, value in meta.items():
        if _TEMPLATED_RE.search(value):
            report.add("cpmr0019", f"<{key}> still holds a template value", f"{loc} <{key}>")
        if _EMAIL_RE.search(value):
            report.add("cpmr0020", f"<{key}> contains an email address", f"{loc} <{key}>")
    if names_prerelease(pkg_id):
        report.add("cpmr0024", f"id {pkg_id!r} names a prerelease", f"{loc} <id>")
    if pkg_id.lower().endswith(".config"):
        report.add("cpmr0029", f"id {pkg_id!r} ends with .config", f"{loc} <id>")
    if "." in pkg_id:
        report.add("cpmr0061", f"id {pkg_id!r} contains '.'", f"{loc} <id>")
    if len(pkg_id) > 20 and "-" not in pkg_id:
        report.add("cpmr0069", f"id {pkg_id!r} is long and has no dashes", f"{loc} <id>")
    if "_" in pkg_id:
        report.add("cpmr0070", f"id {pkg_id!r} uses underscores", f"{loc} <id>")
    icon = get("iconUrl")
    if not icon:
        report.add("cpmr0033", "iconUrl is missing", f"{loc} <iconUrl>")
    else:
        if not urlsplit(icon).path.lower().endswith((".png", ".svg")):
            report.add("cpmr0058", f"icon is not PNG or SVG: {icon}", f"{loc} <iconUrl>")
        if urlsplit(icon).hostname == "raw.githubusercontent.com":
            report.add("cpmr0076", f"icon served from raw.githubusercontent.com: {icon}",
                       f"{loc} <iconUrl>")
    if get("licenseUrl") and get("licenseUrl") == get("projectUrl"):
        report.add("cpmr0038", "licenseUrl is the projectUrl", f"{loc} <licenseUrl>")
    if not get("licenseUrl"):
        report.add("cpmr0039", "licenseUrl is missing", f"{loc} <licenseUrl>")
    if not get("packageSourceUrl"):
        report.add("cpmr0040", "packageSourceUrl is missing", f"{loc} <packageSourceUrl>")
    if get("projectSourceUrl") and get("projectSourceUrl") == get("projectUrl"):
        report.add("cpmr0041", "projectSourceUrl is the projectUrl", f"{loc} <projectSourceUrl>")
    if not get("releaseNotes"):
        report.add("cpmr0042", "releaseNotes are missing", f"{loc} <releaseNotes>")
    if not get("summary"):
        report.add("cpmr0047", "summary is missing", f"{loc} <summary>")
    if not title:
        report.add("cpmr0049", "title is missing", f"{loc} <title>")
    elif title.lower() == pkg_id.lower():
        report.add("cpmr0050", "title is the package id", f"{loc} <title>")
    missing = [e for e in ("projectSourceUrl", "docsUrl", "bugTrackerUrl", "mailingListUrl")
               if not get(e)]
    if missing:
        report.add("cpmr0057", "not set: " + ", ".join(missing), loc)
    if get("owners") and get("authors") and get("owners") != get("authors"):
        report.add("cpmr0068", "authors and owners differ", f"{loc} <owners>")
    for dep_id, dep_version in nu.dependencies:
        if not dep_version:
            report.add("cpmr0052", f"dependency {dep_id!r} has no version", f"{loc} <dependency>")
        if dep_id.lower() == "chocolatey":
            report.add("cpmr0062", "depends on chocolatey itself", f"{loc} <dependency>")
        if dep_id.lower().endswith(".hook"):
            report.add("cpmr0074", f"depends on hook package {dep_id!r}", f"{loc} <dependency>")
