"""What went into a build: a CycloneDX SBOM and the Chocolatey VERIFICATION.txt / LICENSE.txt.

The SBOM (``<out>/<id>-<version>.cdx.json``, CycloneDX 1.5 JSON) lists every artifact of the
plan (the Python runtime and the extra installers) and every wheel of the lock, each with its
version, distribution URL, SHA-256 and license. A wheel's license is read from the ``METADATA``
inside the wheel file (License-Expression, else License, else the Trove license classifiers),
taken from the sha256-keyed cache of :class:`~generator.artifacts.ArtifactStore`, so what is
reported is what was verified and shipped, not what an index says today.

The output is deterministic: components are sorted, the timestamp is ``SOURCE_DATE_EPOCH`` (or
left out), and the serial number is derived from the content.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.parser import HeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import quote

from .. import __version__
from ..errors import ArtifactError, BuildError
from ..lock.lockfile import LockedWheel, write_atomic
from ..plan import Artifact, InstallPlan, InstallRuntime

if TYPE_CHECKING:  # pragma: no cover
    from ..payload.store import ArtifactStore

SPEC_VERSION = "1.5"

# Licenses of installers that carry no machine-readable metadata we could read on Linux.
# Keys are lowercased project names (the first word of the artifact name, or the file name up to
# its first - or _); values are SPDX ids. The Python runtime is PSF-2.0; pyOpenSSL declares
# Apache-2.0 in its PyPI metadata.
KNOWN_LICENSES = {
    "python": "PSF-2.0",
    "pyopenssl": "Apache-2.0",
}

# Trove classifiers that name exactly one SPDX license. Others ("BSD License", "Apache Software
# License" without a version) are reported by name, not guessed.
CLASSIFIER_SPDX = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: Zope Public License": "ZPL-2.1",
    "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
}


@dataclass(frozen=True)
class License:
    """A license as CycloneDX reports it: an SPDX expression, or a free-text name."""

    expression: str = ""
    name: str = ""

    def as_cyclonedx(self) -> list[dict[str, Any]]:
        if self.expression:
            return [{"expression": self.expression}]
        return [{"license": {"name": self.name}}]

    def __str__(self) -> str:
        return self.expression or self.name


# ---------------------------------------------------------------------------- licenses


def spdx_expression(text: str) -> str | None:
    """The canonical SPDX expression if ``text`` is one (needs packaging >= 24.2), else None."""
    try:
        from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
    except ImportError:  # pragma: no cover - older packaging: treat as free text
        return None
    try:
        return str(canonicalize_license_expression(text.strip()))
    except InvalidLicenseExpression:
        return None


def license_from_metadata(metadata: str) -> License | None:
    """The license declared in a core-metadata text (a wheel's METADATA), or None.

    Order: License-Expression (PEP 639), then a License field that is itself an SPDX
    expression, then the Trove license classifiers, then a short License field as a name.
    A License field holding the whole license text is not a name and is skipped.
    """
    msg = HeaderParser().parsestr(metadata)
    expr = (msg.get("License-Expression") or "").strip()
    if expr:
        canonical = spdx_expression(expr)
        return License(expression=canonical) if canonical else License(name=expr)
    field = (msg.get("License") or "").strip()
    if field and "\n" not in field:
        canonical = spdx_expression(field)
        if canonical:
            return License(expression=canonical)
    found = {c.strip() for c in msg.get_all("Classifier") or []
             if c.strip().startswith("License ::")}
    # "License :: OSI Approved" alone says nothing once a more specific one is given.
    classifiers = [c for c in found if not any(o.startswith(c + " :: ") for o in found)]
    if classifiers:
        ids = [CLASSIFIER_SPDX.get(c) for c in classifiers]
        if all(ids):
            return License(expression=" OR ".join(sorted(set(ids))))  # type: ignore[arg-type]
        return License(name="; ".join(c.rsplit(" :: ", 1)[-1] for c in sorted(classifiers)))
    if field and "\n" not in field and len(field) <= 200 and field.upper() != "UNKNOWN":
        return License(name=field)
    return None


def wheel_metadata(path: Path) -> str:
    """The METADATA text of a wheel file."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist()
                     if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise BuildError(f"{path.name}: expected one *.dist-info/METADATA, "
                                 f"found {len(names)}")
            return zf.read(names[0]).decode("utf-8", "replace")
    except zipfile.BadZipFile as err:
        raise BuildError(f"{path.name}: not a wheel (zip): {err}") from None


def wheel_path(wheel: LockedWheel, store: "ArtifactStore | None", fetch: bool) -> Path | None:
    """The verified local file of a locked wheel, or None when it is not available.

    With ``fetch`` the store downloads (or copies from --artifacts) what is not cached yet;
    without it only an already-cached file is used.
    """
    if store is None:
        return None
    cached = store.cached_path(wheel.sha256, wheel.filename)
    if cached.is_file():
        return cached
    if not fetch:
        return None
    return store.fetch_url(wheel.url, wheel.sha256, wheel.filename, wheel.name)


def wheel_license(wheel: LockedWheel, store: "ArtifactStore | None", fetch: bool) -> License | None:
    """The license in the wheel's METADATA; None when the wheel is not available or unreadable.

    A file that does not match its pin raises (ArtifactError). One that matches but holds no
    readable METADATA is still what the lock pins: it is listed, without a license.
    """
    path = wheel_path(wheel, store, fetch)
    if path is None:
        return None
    try:
        return license_from_metadata(wheel_metadata(path))
    except BuildError:
        return None


def artifact_license(artifact: Artifact, is_runtime: bool) -> License | None:
    if is_runtime:
        return License(expression=KNOWN_LICENSES["python"])
    keys = (artifact.name.split()[0].lower() if artifact.name.split() else "",
            re.split(r"[-_]", artifact.filename, maxsplit=1)[0].lower())
    spdx = next((KNOWN_LICENSES[k] for k in keys if k in KNOWN_LICENSES), None)
    return License(expression=spdx) if spdx else None


def artifact_version(artifact: Artifact, runtime_version: str | None) -> str:
    """The runtime's version, or the first dotted number in an installer's file name."""
    if runtime_version:
        return runtime_version
    match = re.search(r"[-_](\d+(?:\.\d+)+)", artifact.filename)
    return match.group(1) if match else ""


# ---------------------------------------------------------------------------- components


def pypi_purl(name: str, version: str) -> str:
    """purl of a PyPI package: pkg:pypi/<normalised name>@<version>."""
    norm = re.sub(r"[-_.]+", "-", name).lower()
    return f"pkg:pypi/{quote(norm, safe='')}@{quote(version, safe='.-_~')}"


def _component(kind: str, ref: str, name: str, version: str, sha256: str, url: str,
               lic: License | None, purl: str = "") -> dict[str, Any]:
    comp: dict[str, Any] = {"type": kind, "bom-ref": ref, "name": name}
    if version:
        comp["version"] = version
    if purl:
        comp["purl"] = purl
    comp["hashes"] = [{"alg": "SHA-256", "content": sha256.lower()}]
    if lic is not None:
        comp["licenses"] = lic.as_cyclonedx()
    comp["externalReferences"] = [{"type": "distribution", "url": url}]
    return comp


def artifact_components(plan: InstallPlan) -> list[dict[str, Any]]:
    out = []
    for step in plan.steps:
        artifact = getattr(step, "artifact", None)
        if artifact is None:
            continue
        runtime = isinstance(step, InstallRuntime)
        version = artifact_version(artifact, step.version if runtime else None)
        out.append(_component("application", f"artifact:{artifact.filename}", artifact.name,
                              version, artifact.sha256, artifact.url,
                              artifact_license(artifact, runtime)))
    return out


def wheel_components(plan: InstallPlan, store: "ArtifactStore | None",
                     fetch: bool) -> list[dict[str, Any]]:
    out = []
    for wheel in plan.lock.wheels:
        purl = pypi_purl(wheel.name, wheel.version)
        comp = _component("library", purl, wheel.name, wheel.version, wheel.sha256, wheel.url,
                          wheel_license(wheel, store, fetch), purl)
        comp["properties"] = [{"name": "choconsis:wheel", "value": wheel.filename}]
        out.append(comp)
    return out


# ---------------------------------------------------------------------------- the document


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as an int, None when unset; a malformed value is an error."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be a number of seconds, got {raw!r}")
    return int(raw)


def _serial_number(doc: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).digest()
    return "urn:uuid:" + str(uuid.UUID(bytes=digest[:16], version=5))


def make_sbom(plan: InstallPlan, store: "ArtifactStore | None" = None, *, fetch: bool = False,
              timestamp: int | None = None) -> dict[str, Any]:
    """The CycloneDX document (a dict) of a plan.

    ``store`` and ``fetch`` decide where wheel licenses come from (see :func:`wheel_path`);
    a wheel that is not available locally is listed without a license. ``timestamp`` (seconds
    since the epoch, usually SOURCE_DATE_EPOCH) is left out when None so the output stays
    reproducible.
    """
    pkg = plan.package
    components = artifact_components(plan) + wheel_components(plan, store, fetch)
    components.sort(key=lambda c: (c["type"], c["name"].lower(), c.get("version", ""),
                                   c["bom-ref"]))
    root_ref = f"package:{pkg.id}@{pkg.version}"
    root: dict[str, Any] = {
        "type": "application", "bom-ref": root_ref, "name": pkg.id, "version": pkg.version,
        "description": pkg.summary,
        "externalReferences": [{"type": "website", "url": pkg.project_url},
                               {"type": "license", "url": pkg.license_url}],
    }
    if pkg.authors:
        root["author"] = pkg.authors
    metadata: dict[str, Any] = {
        "tools": {"components": [{"type": "application", "name": "choconsis",
                                  "version": __version__}]},
        "component": root,
    }
    if timestamp is not None:
        metadata["timestamp"] = datetime.fromtimestamp(timestamp, timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": [
            {"ref": root_ref, "dependsOn": sorted(c["bom-ref"] for c in components)},
            *({"ref": c["bom-ref"]} for c in components),
        ],
    }
    serial = _serial_number(doc)
    return {"bomFormat": doc.pop("bomFormat"), "specVersion": doc.pop("specVersion"),
            "serialNumber": serial, **doc}


def sbom_filename(plan: InstallPlan) -> str:
    return f"{plan.package.id}-{plan.package.version}.cdx.json"


def dumps_sbom(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_sbom(plan: InstallPlan, out_dir: Path, store: "ArtifactStore | None" = None, *,
               fetch: bool = False, timestamp: int | None = None) -> Path:
    """Write ``<out_dir>/<id>-<version>.cdx.json`` atomically and return its path."""
    try:
        doc = make_sbom(plan, store, fetch=fetch, timestamp=timestamp)
    except ArtifactError as err:
        raise BuildError(f"SBOM: cannot read a wheel's license: {err}") from None
    path = out_dir / sbom_filename(plan)
    write_atomic(path, dumps_sbom(doc))
    return path


# ---------------------------------------------------------------------------- Chocolatey texts


@dataclass(frozen=True)
class EmbeddedFile:
    """A binary placed inside a .nupkg (under tools/), for VERIFICATION.txt."""

    name: str
    filename: str
    url: str
    sha256: str


def embedded_files(plan: InstallPlan, *, wheels: bool = False) -> list[EmbeddedFile]:
    """The plan's artifacts (and, with ``wheels``, the lock's wheels) as embedded files."""
    files = [EmbeddedFile(a.name, a.filename, a.url, a.sha256) for a in plan.artifacts]
    if wheels:
        files += [EmbeddedFile(f"{w.name} {w.version}", w.filename, w.url, w.sha256)
                  for w in plan.lock.wheels]
    return files


def verification_txt(plan: InstallPlan, files: Iterable[EmbeddedFile]) -> str:
    """tools/VERIFICATION.txt for a package that embeds binaries (moderation rule cpmr0006).

    Lists every embedded file with the URL it was downloaded from and its SHA-256, and says
    how a moderator or user checks it: download from the URL and compare Get-FileHash.
    """
    files = list(files)
    if not files:
        raise BuildError("VERIFICATION.txt: the package embeds no file")
    pkg = plan.package
    lines = [
        "VERIFICATION",
        "Verification is intended to assist the Chocolatey moderators and community",
        "in verifying that this package's contents are trustworthy.",
        "",
        f"Package: {pkg.id} {pkg.version} ({pkg.project_url})",
        "",
        "The files below were embedded in this package unchanged. Each was downloaded from the",
        "URL given, and its SHA-256 was checked against the pin in the package's recipe before",
        "it was embedded. To verify a file:",
        "",
        "  1. Download it from the URL listed for it.",
        "  2. Compute the checksums of the downloaded file and of the file in tools\\:",
        "       Get-FileHash -Algorithm SHA256 <file>",
        "     (or: checksum -t sha256 -f <file>; on Linux: sha256sum <file>)",
        "  3. Both must equal the SHA-256 listed here.",
        "",
    ]
    for f in files:
        lines += [f"{f.name}",
                  f"  file:     tools\\{f.filename}",
                  f"  url:      {f.url}",
                  "  checksum type: sha256",
                  f"  checksum: {f.sha256.upper()}",
                  ""]
    return "\n".join(lines)


def license_txt(plan: InstallPlan) -> str:
    """tools/LICENSE.txt for a package that embeds binaries (moderation rule cpmr0005).

    Points to the license of the packaged software and names the license of every embedded
    installer (from the same sources as the SBOM).
    """
    pkg = plan.package
    lines = [
        "LICENSE",
        "",
        f"{pkg.title} ({pkg.id} {pkg.version}) is distributed under the license published at:",
        f"  {pkg.license_url}",
    ]
    if pkg.copyright:
        lines += ["", f"Copyright: {pkg.copyright}"]
    lines += ["", "Embedded installers and their licenses:"]
    for step in plan.steps:
        artifact = getattr(step, "artifact", None)
        if artifact is None:
            continue
        lic = artifact_license(artifact, isinstance(step, InstallRuntime))
        lines.append(f"  {artifact.name} ({artifact.filename}): "
                     f"{lic if lic else 'see ' + artifact.url}")
    lines += ["",
              "The Python packages installed by pip are listed with their licenses in the",
              f"CycloneDX SBOM published with this package ({sbom_filename(plan)}).",
              ""]
    return "\n".join(lines)
