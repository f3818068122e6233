"""What went into a build: a CycloneDX SBOM (``<out>/<id>-<version>.cdx.json``, 1.5 JSON).

It lists every artifact of the plan (the Python runtime and the extra installers) and every
wheel of the lock, each with its version, distribution URL, SHA-256 and license; with a
portable zip, also the console launcher its commands are made of (the installer library's
copy of distlib's launcher), the one part of the zip that is neither the runtime nor a wheel. Licenses come
from the payload (:mod:`choconsis.payload.licenses`), read from the verified files.

The output is deterministic: components are sorted, the timestamp is ``SOURCE_DATE_EPOCH`` (or
left out), and the serial number is derived from the content.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote

from .. import __version__
from ..fileio import write_atomic
from ..payload import Payload
from ..payload.licenses import License, artifact_license, artifact_version
from ..plan import InstallPlan
from ..reproducible import source_date_epoch
from ..store import sha256_file
from .base import Description

SPEC_VERSION = "1.5"


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
        artifact = step.artifact
        if artifact is None:
            continue
        runtime = step.role == "runtime"
        version = artifact_version(artifact.filename, plan.runtime.version if runtime else None)
        out.append(_component("application", f"artifact:{artifact.filename}", artifact.name,
                              version, artifact.sha256, artifact.url,
                              artifact_license(artifact.name, artifact.filename, runtime)))
    return out


def wheel_components(plan: InstallPlan, payload: Payload) -> list[dict[str, Any]]:
    out = []
    for wheel in plan.lock.wheels:
        purl = pypi_purl(wheel.name, wheel.version)
        comp = _component("library", purl, wheel.name, wheel.version, wheel.sha256, wheel.url,
                          payload.license_of(wheel), purl)
        comp["properties"] = [{"name": "choconsis:wheel", "value": wheel.filename}]
        out.append(comp)
    return out


def launcher_components(plan: InstallPlan, payload: Payload) -> list[dict[str, Any]]:
    """The launcher template of the portable zip's commands (when the build made the
    portable tree)."""
    from importlib.metadata import version as dist_version

    from .portable.launchers import TEMPLATES, launcher_template

    if payload.portable is None or not plan.commands:
        return []
    version = dist_version("installer")
    template = TEMPLATES[plan.runtime.arch]
    purl = pypi_purl("installer", version)
    comp = _component("application", f"launcher:{template}",
                      f"installer console launcher {template}", version,
                      hashlib.sha256(launcher_template(plan.runtime.arch)).hexdigest(),
                      f"https://pypi.org/project/installer/{version}/", None, purl)
    comp["properties"] = [{"name": "choconsis:portable-launcher", "value": template}]
    return [comp]


# ---------------------------------------------------------------------------- the document


def _serial_number(doc: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).digest()
    return "urn:uuid:" + str(uuid.UUID(bytes=digest[:16], version=5))


def output_components(outputs: Sequence[tuple[Description, Path]]) -> list[dict[str, Any]]:
    """The artifacts the build made (each as its back end describes it, with the sha256 of
    its file): the files the package is distributed as, nested in the root component. An
    output that is a folder (winget's manifests) is one file component per file in it."""
    out = []
    for described, path in outputs:
        files = [(described.path.name, "", path)] if path.is_file() else [
            (f.name, ":" + f.relative_to(path).as_posix(), f)
            for f in sorted(p for p in path.rglob("*") if p.is_file())]
        for name, suffix, file in files:
            out.append({"type": "file", "bom-ref": f"output:{described.output}{suffix}",
                        "name": name, "mime-type": described.media_type,
                        "description": described.label,
                        "hashes": [{"alg": "SHA-256", "content": sha256_file(file)}],
                        "properties": [{"name": "choconsis:output",
                                        "value": described.output}]})
    return out


def make_sbom(plan: InstallPlan, payload: Payload, *, timestamp: int | None = None,
              outputs: Sequence[tuple[Description, Path]] = ()) -> dict[str, Any]:
    """The CycloneDX document (a dict) of a plan and its payload.

    Wheel licenses come from the payload (the verified wheel files it holds or found in the
    cache); a wheel it has no file of is listed without a license. ``timestamp`` (seconds
    since the epoch, SOURCE_DATE_EPOCH) is left out when None so the output stays
    reproducible.
    """
    pkg = plan.package
    components = (artifact_components(plan) + wheel_components(plan, payload)
                  + launcher_components(plan, payload))
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
    if outputs:
        root["components"] = output_components(outputs)
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


def write_sbom(plan: InstallPlan, payload: Payload, out_dir: Path,
               outputs: Sequence[tuple[Description, Path]] = ()) -> Path:
    """Write ``<out_dir>/<id>-<version>.cdx.json`` atomically and return its path;
    ``outputs``: each artifact the build made, as described, with its (staged) file."""
    doc = make_sbom(plan, payload, timestamp=source_date_epoch(), outputs=outputs)
    path = out_dir / sbom_filename(plan)
    write_atomic(path, dumps_sbom(doc))
    return path
