"""``choconsis check``: lint a .nupkg, a rendered Chocolatey folder, or a recipe.

Rules are the Chocolatey community moderation rules that can apply to a generated package
(their ``cpmr`` ids and titles; a Requirement is an error, a Guideline a warning, a Suggestion
or Note a note), plus choconsis' own: PowerShell syntax (parsed with tree-sitter-powershell),
nuspec structure (the checks the Chocolatey XSD makes, done here since the XSD is not shipped),
the OPC structure of a .nupkg, and verified HTTPS downloads.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable
from urllib.parse import unquote, urlsplit

from lxml import etree

from ..errors import UsageError
from .powershell import Script, syntax_errors
from ..recipe import CHOCO_VERSION_RE, LOOPBACK_HOSTS, PACKAGE_ID_RE

SEVERITY_OF_KIND = {"Requirement": "error", "Guideline": "warning", "Suggestion": "note",
                    "Note": "note"}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # Requirement | Guideline | Suggestion | Note
    title: str

    @property
    def severity(self) -> str:
        return SEVERITY_OF_KIND[self.kind]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str  # error | warning | note
    message: str
    location: str


_R = Rule
RULES: dict[str, Rule] = {r.id: r for r in (
    # Chocolatey community moderation rules (package-validator), those a generated package
    # can break.
    _R("cpmr0001", "Requirement", "Copyright Character Count Below 4 (nuspec)"),
    _R("cpmr0002", "Requirement", "Description Missing (nuspec)"),
    _R("cpmr0003", "Requirement", "Install Script Named Incorrectly (package)"),
    _R("cpmr0004", "Requirement", "Do Not Package Internal Files (package)"),
    _R("cpmr0005", "Requirement", "LICENSE.txt file missing when binaries included (package)"),
    _R("cpmr0006", "Requirement",
       "VERIFICATION.txt file missing when binaries included (package)"),
    _R("cpmr0007", "Requirement", "License Url Missing / License Acceptance is True (nuspec)"),
    _R("cpmr0009", "Requirement", "ProjectUrl Missing (nuspec)"),
    _R("cpmr0010", "Requirement", "Script Contains Choco Commands (script)"),
    _R("cpmr0011", "Requirement", "Script Imports Chocolatey Module (script)"),
    _R("cpmr0012", "Requirement", "Script Uses Internal Variables (script)"),
    _R("cpmr0013", "Requirement", "Source Control Files Are Packaged (package)"),
    _R("cpmr0014", "Requirement", "Tags Have Commas (nuspec)"),
    _R("cpmr0015", "Requirement", "Uninstall Script Named Incorrectly (script)"),
    _R("cpmr0016", "Requirement", "Script Contains Usage of Installation Arguments (script)"),
    _R("cpmr0018", "Requirement", "Install Script Shouldn't Call Uninstall Script (script)"),
    _R("cpmr0019", "Requirement", "Nuspec Contains Templated Values (nuspec)"),
    _R("cpmr0020", "Requirement", "Nuspec Contains Email (nuspec)"),
    _R("cpmr0021", "Requirement", "Operating System Index Files are packaged (package)"),
    _R("cpmr0022", "Requirement", "Comments Are Not Cleaned Up (script)"),
    _R("cpmr0023", "Requirement", "Tags Missing (nuspec)"),
    _R("cpmr0024", "Requirement",
       "Prerelease information shouldn't be included as part of Package Id (nuspec)"),
    _R("cpmr0025", "Requirement", "Source Control Ignore Files Are Packaged (package)"),
    _R("cpmr0026", "Requirement", "Description Character Count Above 4000 (nuspec)"),
    _R("cpmr0027", "Requirement", "Checksum Should Be Used (script)"),
    _R("cpmr0028", "Requirement", "Scripts Do Not Download Software From FossHub (script)"),
    _R("cpmr0029", "Requirement", "Package Id Does Not End With .config (nuspec)"),
    _R("cpmr0030", "Requirement", "Description Contains Invalid Markdown Heading (nuspec)"),
    _R("cpmr0032", "Requirement", "Description Character Count Below 30 (nuspec)"),
    _R("cpmr0033", "Guideline", "IconUrl Missing (nuspec)"),
    _R("cpmr0034", "Guideline", "Use of SourceForge (script)"),
    _R("cpmr0035", "Guideline", "Use of Get-BinRoot (script)"),
    _R("cpmr0036", "Guideline", "Install-BinFile With No Remove-BinFile (script)"),
    _R("cpmr0038", "Guideline", "LicenseUrl Matches ProjectUrl (script)"),
    _R("cpmr0039", "Guideline", "LicenseUrl Missing (nuspec)"),
    _R("cpmr0040", "Guideline", "PackageSourceUrl Missing (nuspec)"),
    _R("cpmr0041", "Guideline", "ProjectSourceUrl Matches ProjectUrl (nuspec)"),
    _R("cpmr0042", "Guideline", "ReleaseNotes Missing (nuspec)"),
    _R("cpmr0044", "Guideline", "Script Contains Install-ChocolateyDesktopLink (script)"),
    _R("cpmr0045", "Guideline", "Script Contains Write-Chocolatey* Method (script)"),
    _R("cpmr0046", "Guideline", "Script Contains Start-Process (script)"),
    _R("cpmr0047", "Guideline", "Summary Missing (nuspec)"),
    _R("cpmr0048", "Guideline", "Tags Contain Chocolatey (nuspec)"),
    _R("cpmr0049", "Guideline", "Title Missing (nuspec)"),
    _R("cpmr0050", "Guideline", "Title Matches Id (nuspec)"),
    _R("cpmr0051", "Guideline", "More Than 3 Installation Scripts (script)"),
    _R("cpmr0052", "Guideline", "Dependency With No Version (nuspec)"),
    _R("cpmr0054", "Guideline", "Nuspec File Should Be UTF-8 (nuspec)"),
    _R("cpmr0055", "Guideline", "Script Uses Custom Downloaders (script)"),
    _R("cpmr0057", "Suggestion", "Nuspec Enhancements Missing (nuspec)"),
    _R("cpmr0058", "Suggestion", "Use PNG or SVG for package icons (nuspec)"),
    _R("cpmr0059", "Suggestion",
       "Don't Use Get-WmiObject For Finding Installed Packages (script)"),
    _R("cpmr0060", "Note", "Binaries Included (package)"),
    _R("cpmr0061", "Note", 'Id Contains "." (nuspec)'),
    _R("cpmr0062", "Note", "Chocolatey Dependency (nuspec)"),
    _R("cpmr0063", "Note", "Usage of WScript (script)"),
    _R("cpmr0064", "Note", "Usage of .CreateShortcut (script)"),
    _R("cpmr0065", "Note", "Usage of Rundll32 (script)"),
    _R("cpmr0066", "Note", "Usage of msiexec (script)"),
    _R("cpmr0067", "Note", "notSilent tag is being used (nuspec)"),
    _R("cpmr0068", "Note", "Author Does Not Match Maintainer (nuspec)"),
    _R("cpmr0069", "Note", "Package Id is too long, and doesn't contain dashes (nuspec)"),
    _R("cpmr0070", "Note", "Package Id uses underscores (nuspec)"),
    _R("cpmr0074", "Requirement", "Dependency On Hook Package (nuspec)"),
    _R("cpmr0075", "Requirement", "Script uses GitHub Comment assets (script)"),
    _R("cpmr0076", "Requirement", "Raw GitHub Icon URL Is Used (nuspec)"),
    # choconsis' own rules.
    _R("CPS0001", "Requirement", "PowerShell Syntax Error (script)"),
    _R("CNS0001", "Requirement", "Nuspec Structure Invalid (nuspec)"),
    _R("CNS0002", "Requirement", "Nuspec URL Is Not HTTPS (nuspec)"),
    _R("COPC0001", "Requirement", "Package Is Not A Valid OPC Package (package)"),
    _R("CDL0001", "Requirement", "Download URL Is Not HTTPS (script)"),
    _R("CDL0002", "Requirement", "Checksum Type Is Not SHA-256 Or Better (script)"),
    _R("CPE0001", "Requirement", "Not A Windows Executable (setup.exe)"),
    _R("CSG0001", "Requirement", "Installer Signature Invalid (setup.exe)"),
    _R("CSG0002", "Guideline", "Installer Not Signed (setup.exe)"),
    _R("CSG0003", "Guideline", "Installer Signer Not Trusted (setup.exe)"),
)}

# ---------------------------------------------------------------------------- the package


@dataclass
class Package:
    """The package's own files (nuspec, tools/...) by '/'-separated relative path."""

    files: dict[str, bytes]
    origin: str

    def scripts(self) -> dict[str, str]:
        return {name: data.decode("utf-8", "replace") for name, data in sorted(self.files.items())
                if name.lower().endswith(".ps1")}

    def names_lower(self) -> dict[str, str]:
        return {name.lower(): name for name in self.files}


class _Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, rule_id: str, message: str, location: str) -> None:
        rule = RULES[rule_id]
        self.findings.append(Finding(rule_id, rule.severity, message, location))


# ---------------------------------------------------------------------------- nuspec rules

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
_PRERELEASE_ID_RE = re.compile(r"(^|[.-])(alpha|beta|pre|prerelease|rc|preview)([.-]|\d|$)")
_BAD_HEADING_RE = re.compile(r"^#{1,6}[^#\s]", re.M)


@dataclass
class Nuspec:
    name: str
    meta: dict[str, str]  # element local name -> text
    dependencies: list[tuple[str, str]]  # (id, version)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _read_nuspec(pkg: Package, report: _Report) -> Nuspec | None:
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


def _nuspec_structure(nu: Nuspec, report: _Report) -> None:
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


def _nuspec_rules(nu: Nuspec, report: _Report) -> None:  # noqa: C901 - a list of rules
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
    if _PRERELEASE_ID_RE.search(pkg_id.lower()):
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


# ---------------------------------------------------------------------------- package rules

# .whl: a wheel is a zip archive, often of compiled extension modules (an offline .nupkg
# embeds the locked wheels under tools/wheels/).
_BINARY_EXTS = (".exe", ".msi", ".msu", ".msp", ".dll", ".zip", ".7z", ".gz", ".tgz", ".cab",
                ".appx", ".msix", ".nupkg", ".whl")
_OS_INDEX_FILES = {"thumbs.db", ".ds_store", "desktop.ini", "ehthumbs.db"}
_VCS_DIRS = {".git", ".svn", ".hg", ".bzr", "cvs"}
_VCS_IGNORE = {".gitignore", ".gitattributes", ".hgignore", ".svnignore", ".bzrignore",
               ".gitmodules", ".cvsignore"}
_INTERNAL = re.compile(r"(^|/)(_rels/|package/services/|\[content_types\]\.xml$)|\.nupkg$")


def _package_rules(pkg: Package, report: _Report) -> None:
    lower = pkg.names_lower()
    for low, name in sorted(lower.items()):
        parts = low.split("/")
        if _INTERNAL.search(low):
            report.add("cpmr0004", "packaging internals or a package inside the package", name)
        if _VCS_DIRS.intersection(parts[:-1]):
            report.add("cpmr0013", "source control files", name)
        if parts[-1] in _VCS_IGNORE:
            report.add("cpmr0025", "source control ignore file", name)
        if parts[-1] in _OS_INDEX_FILES:
            report.add("cpmr0021", "operating system index file", name)
    binaries = [n for low, n in sorted(lower.items()) if low.endswith(_BINARY_EXTS)]
    if binaries:
        report.add("cpmr0060", "binaries: " + ", ".join(binaries), pkg.origin)
        names = {low.rsplit("/", 1)[-1] for low in lower}
        if "license.txt" not in names:
            report.add("cpmr0005", "binaries are included without LICENSE.txt", pkg.origin)
        if "verification.txt" not in names:
            report.add("cpmr0006", "binaries are included without VERIFICATION.txt", pkg.origin)
    scripts = [low for low in lower if low.endswith(".ps1")]
    if "tools/chocolateyinstall.ps1" not in lower:
        wrong = [lower[s] for s in scripts if "install" in base_name(s) and
                 "uninstall" not in base_name(s)]
        report.add("cpmr0003", "no tools/chocolateyInstall.ps1" +
                   (f" (found {', '.join(wrong)})" if wrong else ""), pkg.origin)
    wrong_uninstall = [lower[s] for s in scripts if "uninstall" in base_name(s) and
                       s != "tools/chocolateyuninstall.ps1"]
    if wrong_uninstall:
        report.add("cpmr0015", "uninstall script must be tools/chocolateyUninstall.ps1: "
                   + ", ".join(wrong_uninstall), pkg.origin)
    if len(scripts) > 3:
        report.add("cpmr0051", f"{len(scripts)} PowerShell scripts", pkg.origin)


def base_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------- script rules

DOWNLOAD_COMMANDS = {"install-chocolateypackage", "install-chocolateyzippackage",
                     "get-chocolateywebfile", "install-chocolateypowershellcommand",
                     "install-chocolateyvsixpackage"}
# url parameter -> (checksum parameter, checksum type parameter); aliases as Chocolatey's.
_URL_CHECKSUMS = {"url": ("checksum", "checksumtype"),
                  "url64bit": ("checksum64", "checksumtype64"),
                  "url64": ("checksum64", "checksumtype64")}
_STRONG_CHECKSUMS = {"sha256", "sha512"}
_CHOCO_COMMANDS = {"choco", "choco.exe", "cinst", "cup", "cuninst", "clist", "cpush", "cpack"}
_CUSTOM_DOWNLOADERS = {"invoke-webrequest", "iwr", "wget", "curl", "curl.exe", "wget.exe",
                       "start-bitstransfer", "invoke-restmethod", "irm"}
_INTERNAL_VARIABLES = {"$env:chocolateyignorechecksums", "$env:chocolateyforce",
                       "$env:chocolateyinstalloverride", "$env:chocolateyforcex86",
                       "$env:chocolateyenvironmentdebug", "$env:chocolateyenvironmentverbose",
                       "$env:chocolateyallowemptychecksums",
                       "$env:chocolateyallowemptychecksumssecure"}
_TEMPLATE_COMMENT_MARKERS = ("before releasing this package", "remove all comments from this file",
                             "please remove any commented lines", "# todo")


def _is_plain_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


def _download_rules(name: str, script: Script, report: _Report) -> None:
    for cmd in script.commands():
        if cmd.name.lower() not in DOWNLOAD_COMMANDS:
            continue
        args = script.arguments(cmd)
        where = f"{name}:{cmd.line}"
        for url_key, (sum_key, type_key) in _URL_CHECKSUMS.items():
            if url_key not in args:
                continue
            url = args[url_key]
            if url is not None and _is_plain_http(url):
                report.add("CDL0001", f"{cmd.name} downloads over plain http: {url}", where)
            if not args.get(sum_key) and sum_key not in args:
                report.add("cpmr0027", f"{cmd.name} downloads -{url_key} without "
                           f"-{sum_key}", where)
                continue
            kind = args.get(type_key)
            if type_key not in args or (kind is not None and kind.lower() not in
                                        _STRONG_CHECKSUMS):
                report.add("CDL0002", f"{cmd.name}: -{type_key} is "
                           f"{kind or 'not set (Chocolatey then assumes md5)'}", where)


def _command_rules(name: str, script: Script, all_commands: set[str],
                   report: _Report) -> None:
    install = base_name(name.lower()) == "chocolateyinstall.ps1"
    for cmd in script.commands():
        low, where = cmd.name.lower(), f"{name}:{cmd.line}"
        if low in _CHOCO_COMMANDS:
            report.add("cpmr0010", f"runs {cmd.name}", where)
        if low == "import-module" and "chocolateyinstaller" in cmd.text.lower():
            report.add("cpmr0011", "imports the Chocolatey installer module", where)
        if install and "chocolateyuninstall.ps1" in cmd.text.lower():
            report.add("cpmr0018", "the install script runs the uninstall script", where)
        if low == "get-binroot":
            report.add("cpmr0035", "Get-BinRoot is deprecated", where)
        if low == "install-binfile" and "uninstall-binfile" not in all_commands \
                and "remove-binfile" not in all_commands:
            report.add("cpmr0036", "Install-BinFile without Uninstall-BinFile", where)
        if low == "install-chocolateydesktoplink":
            report.add("cpmr0044", "Install-ChocolateyDesktopLink is deprecated", where)
        if low in ("write-chocolateysuccess", "write-chocolateyfailure"):
            report.add("cpmr0045", f"{cmd.name} is deprecated", where)
        if low in ("start-process", "saps"):
            report.add("cpmr0046", "use Chocolatey's helpers instead of Start-Process", where)
        if low in _CUSTOM_DOWNLOADERS:
            report.add("cpmr0055", f"downloads with {cmd.name}", where)
        if low in ("get-wmiobject", "gwmi", "get-ciminstance") and \
                "win32_product" in cmd.text.lower():
            report.add("cpmr0059", "queries Win32_Product", where)
        if low in ("rundll32", "rundll32.exe"):
            report.add("cpmr0065", "runs rundll32", where)
        if low in ("msiexec", "msiexec.exe"):
            report.add("cpmr0066", "runs msiexec directly", where)


def _text_rules(name: str, script: Script, report: _Report) -> None:
    text = script.text.lower()
    for var, line in script.variables():
        low = var.lower()
        if low == "$env:chocolateyinstallarguments":
            report.add("cpmr0016", f"uses {var}", f"{name}:{line}")
        elif low in _INTERNAL_VARIABLES:
            report.add("cpmr0012", f"uses {var}", f"{name}:{line}")
    for comment, line in script.comments():
        if any(marker in comment.lower() for marker in _TEMPLATE_COMMENT_MARKERS):
            report.add("cpmr0022", "comment left from the package template", f"{name}:{line}")
    for literal, line in script.strings():
        low = literal.lower()
        if "fosshub.com" in low:
            report.add("cpmr0028", "downloads from FossHub", f"{name}:{line}")
        if "sourceforge.net" in low:
            report.add("cpmr0034", "uses SourceForge", f"{name}:{line}")
        if "user-images.githubusercontent.com" in low or "github.com/user-attachments" in low:
            report.add("cpmr0075", "uses a GitHub comment asset", f"{name}:{line}")
    if "wscript." in text or "-comobject wscript" in text:
        report.add("cpmr0063", "uses WScript", name)
    if ".createshortcut(" in text:
        report.add("cpmr0064", "uses .CreateShortcut", name)


def _script_rules(pkg: Package, report: _Report) -> None:
    scripts = pkg.scripts()
    parsed = {name: Script(text) for name, text in scripts.items()}
    all_commands = {c.name.lower() for s in parsed.values() for c in s.commands()}
    for name, text in scripts.items():
        for problem in syntax_errors(text):
            report.add("CPS0001", problem.message, f"{name}:{problem.line}:{problem.column}")
        script = parsed[name]
        _download_rules(name, script, report)
        _command_rules(name, script, all_commands, report)
        _text_rules(name, script, report)


def lint_package(pkg: Package) -> list[Finding]:
    report = _Report()
    nuspec = _read_nuspec(pkg, report)
    if nuspec is not None:
        _nuspec_structure(nuspec, report)
        _nuspec_rules(nuspec, report)
    _package_rules(pkg, report)
    _script_rules(pkg, report)
    return report.findings


# ---------------------------------------------------------------------------- OPC (.nupkg)

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CP_NS = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_DC_NS = "{http://purl.org/dc/elements/1.1/}"
REL_MANIFEST = "http://schemas.microsoft.com/packaging/2010/07/manifest"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_OPC_INTERNAL = re.compile(r"^(\[Content_Types\]\.xml|_rels/.*\.rels|package/services/.*)$")


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _check_content_types(parts: dict[str, bytes], report: _Report, loc: str) -> None:
    if "[Content_Types].xml" not in parts:
        report.add("COPC0001", "[Content_Types].xml is missing", loc)
        return
    try:
        types = _xml(parts["[Content_Types].xml"])
    except etree.XMLSyntaxError as err:
        report.add("COPC0001", f"[Content_Types].xml is not XML: {err}", loc)
        return
    defaults = {el.get("Extension", "").lower() for el in types.iter(f"{_CT_NS}Default")}
    overrides = {el.get("PartName", "").lower() for el in types.iter(f"{_CT_NS}Override")}
    for name in parts:
        if name == "[Content_Types].xml":
            continue
        last = name.rsplit("/", 1)[-1]
        ext = last.rsplit(".", 1)[-1].lower() if "." in last else ""
        if ext not in defaults and "/" + name.lower() not in overrides:
            report.add("COPC0001", f"no content type for part /{name}", loc)


def _rel_targets(parts: dict[str, bytes], report: _Report, loc: str) -> dict[str, str]:
    if "_rels/.rels" not in parts:
        report.add("COPC0001", "_rels/.rels is missing", loc)
        return {}
    try:
        rels = _xml(parts["_rels/.rels"])
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


def _check_opc(parts: dict[str, bytes], report: _Report, loc: str) -> None:
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


def _nupkg_package(path: Path, report: _Report) -> Package | None:
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


# ---------------------------------------------------------------------------- entry points


def _folder_package(folder: Path) -> Package:
    files = {p.relative_to(folder).as_posix(): p.read_bytes()
             for p in sorted(folder.rglob("*")) if p.is_file()}
    return Package(files, str(folder))


def _check_recipe(path: Path) -> list[Finding]:
    from ..backends import chocolatey
    from ..plan import load_plan
    from ..recipe import load_recipe

    plan = load_plan(load_recipe(path))
    with tempfile.TemporaryDirectory(prefix="choconsis-check-") as tmp:
        chocolatey.render(plan, Path(tmp))
        return check_folder(Path(tmp))


def check_folder(folder: Path) -> list[Finding]:
    return lint_package(_folder_package(folder))


def check_nupkg(path: Path) -> list[Finding]:
    report = _Report()
    pkg = _nupkg_package(path, report)
    return report.findings + (lint_package(pkg) if pkg is not None else [])


def check_installer(path: Path, cafile: Path | None = None) -> list[Finding]:
    """Check a setup.exe: a PE file, and its Authenticode signature (osslsigncode).

    A signature whose digest does not match the file (changed after signing) is an error;
    an unsigned installer, or one whose signer does not chain to a trusted root (the
    system's, or ``cafile``), is a warning.
    """
    from ..backends.nsis.signing import verify_pe

    report = _Report()
    where = path.name
    with open(path, "rb") as fh:
        head = fh.read(0x40)
        pe_offset = int.from_bytes(head[0x3C:0x40], "little") if len(head) == 0x40 else 0
        fh.seek(pe_offset)
        pe_magic = fh.read(4)
    if head[:2] != b"MZ" or pe_magic != b"PE\0\0":
        report.add("CPE0001", "no MZ/PE header", where)
        return report.findings
    info = verify_pe(path, cafile)
    if not info.signed:
        report.add("CSG0002", "setup.exe carries no Authenticode signature "
                   "(choconsis build --sign-cert/--sign-key signs it)", where)
    elif not info.digest_ok:
        report.add("CSG0001", "the signed digest does not match the file: it was changed "
                   "after signing", where)
    elif not info.chain_ok:
        report.add("CSG0003", f"signed by {info.subject or 'an unknown signer'}, which does "
                   "not chain to a trusted root" + ("" if cafile else " (pass --ca-file)"),
                   where)
    return report.findings


def check_path(path: Path, cafile: Path | None = None) -> list[Finding]:
    """Lint a .nupkg, a rendered chocolatey folder (or <out>/<id> holding chocolatey/), a
    recipe .toml (planned with its lock and rendered to a temporary folder), or a setup.exe
    (its signature, checked against ``cafile`` or the system's roots)."""
    if path.is_dir():
        if (path / "chocolatey").is_dir() and not any(path.glob("*.nuspec")):
            path = path / "chocolatey"
        return check_folder(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".nupkg":
        return check_nupkg(path)
    if suffix == ".toml":
        return _check_recipe(path)
    if suffix == ".exe":
        return check_installer(path, cafile)
    raise UsageError(f"{path}: check takes a .nupkg, a rendered folder, a recipe .toml "
                     "or a setup.exe")


def format_findings(findings: Iterable[Finding], path: Path) -> str:
    findings = list(findings)
    order = {"error": 0, "warning": 1, "note": 2}
    lines = []
    for f in sorted(findings, key=lambda f: (order[f.severity], f.rule_id, f.location)):
        lines.append(f"{f.location}: {f.severity}: {f.rule_id} {RULES[f.rule_id].title}: "
                     f"{f.message}")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in order}
    verdict = "FAILED" if counts["error"] else "passed"
    lines.append(f"{path}: {verdict}: {counts['error']} errors, {counts['warning']} warnings, "
                 f"{counts['note']} notes")
    return "\n".join(lines)

