"""The Scoop manifest (``scoop``: ``<out>/scoop/<id>.json``) of the portable zip.

Scoop unpacks the zip into its app folder and makes a shim per ``bin`` entry; a shim starts
the launcher by its full path, so the launcher finds ``..\\runtime`` as when run directly.
``checkver`` follows the app's releases on its package index (PyPI's JSON API, else the
project's simple page), and ``autoupdate`` points at the zip the same [release] url would
publish for a new version (Scoop downloads it and computes its hash).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from packaging.requirements import Requirement

from ...fileio import write_atomic
from ...payload import Payload
from ...plan import InstallPlan
from ..base import Backend, Made, Options, Rendered
from .backend import portable_zip_name
from .launchers import BIN_FOLDER

SCHEMA_URL = ("https://raw.githubusercontent.com/ScoopInstaller/Scoop/master/schema.json")
PYPI_SIMPLE = "https://pypi.org/simple"


def app_project(plan: InstallPlan) -> str:
    """The project whose releases the app follows: the recipe's first requirement."""
    return Requirement(plan.lock.requirements[0]).name


def checkver(project: str, index_url: str) -> dict[str, object]:
    norm = re.sub(r"[-_.]+", "-", project).lower()
    if index_url.rstrip("/") == PYPI_SIMPLE:
        return {"url": f"https://pypi.org/pypi/{norm}/json", "jsonpath": "$.info.version"}
    wheel_name = re.escape(re.sub(r"[-_.]+", "_", project).lower())
    return {"url": f"{index_url.rstrip('/')}/{norm}/",
            "regex": f"(?i){wheel_name}-([\\d.]+)-", "reverse": True}


def scoop_manifest(plan: InstallPlan, project: str, zip_sha256: str) -> dict[str, object]:
    pkg, release = plan.package, plan.release
    zip_name = portable_zip_name(plan)
    bins = [[f"{BIN_FOLDER}\\{file}", alias] for alias, file in plan.command_files]
    future = release.file_url(pkg.id, "$version", f"{pkg.id}-$version-portable.zip")
    manifest: dict[str, object] = {
        "$schema": SCHEMA_URL,
        "version": pkg.version,
        "description": pkg.summary,
        "homepage": pkg.project_url,
        "license": {"identifier": release.license, "url": pkg.license_url},
        "url": release.file_url(pkg.id, pkg.version, zip_name),
        "hash": zip_sha256,
    }
    if plan.commands:  # Scoop's schema wants at least one bin entry when there is a bin
        manifest["bin"] = bins
        typed = ", ".join(alias for alias, _file in plan.command_files)
        manifest["notes"] = [f"{pkg.title}: the commands {typed} run from "
                             f"$dir\\{BIN_FOLDER} with the Python runtime in $dir\\runtime, "
                             "private to this app; nothing outside the app folder is changed."]
    manifest["checkver"] = checkver(project, plan.lock.index_url)
    manifest["autoupdate"] = {"url": future}
    return manifest


def dumps(manifest: dict[str, object]) -> str:
    return json.dumps(manifest, indent=4, ensure_ascii=False) + "\n"


class ScoopBackend(Backend):
    output = "scoop"
    folder = None
    label = "Scoop manifest"
    media_type = "application/json"
    needs = ("portable",)

    def artifact_name(self, plan: InstallPlan) -> str:
        return f"scoop/{plan.package.id}.json"

    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        return Rendered()  # written from the portable zip, in produce

    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        manifest = scoop_manifest(plan, app_project(plan), made["portable"].sha256)
        write_atomic(artifact, dumps(manifest))
        return artifact
