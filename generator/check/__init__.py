"""``choconsis check``: lint a .nupkg, a rendered Chocolatey folder, a recipe, a setup.exe or
an MSI (:mod:`.msi`, read with msiinfo).

The rules and their ids are in :mod:`.rules`; each kind of check has its module: nuspec
structure and metadata (:mod:`.nuspec`), package files (:mod:`.package`), scripts
(:mod:`.scripts`, parsed with tree-sitter-powershell), helper parameters (:mod:`.helpers`), the
OPC structure of a .nupkg (:mod:`.opc`) and a setup.exe's signature (:mod:`.installer`).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Iterable

from ..errors import UsageError
from .installer import check_installer
from .manifests import has_manifests, manifest_rules
from .msi import check_msi
from .nuspec import nuspec_rules, nuspec_structure, read_nuspec
from .opc import nupkg_package
from .package import package_rules
from .rules import RULES, SEVERITY_OF_KIND, Finding, Package, Report, Rule
from .scripts import script_rules


def lint_package(pkg: Package) -> list[Finding]:
    report = Report()
    nuspec = read_nuspec(pkg, report)
    if nuspec is not None:
        nuspec_structure(nuspec, report)
        nuspec_rules(nuspec, report)
    package_rules(pkg, report)
    script_rules(pkg, report)
    return report.findings


def _folder_package(folder: Path) -> Package:
    files = {p.relative_to(folder).as_posix(): p.read_bytes()
             for p in sorted(folder.rglob("*")) if p.is_file()}
    return Package(files, str(folder))


def _check_recipe(path: Path) -> list[Finding]:
    """A recipe, planned with its lock (web mode) and rendered to a temporary folder through
    the same calls as ``build`` (its Chocolatey output: what these rules are about)."""
    from ..backends.outputs import backends_for
    from ..build import plan_recipe, render_output
    from ..payload import ArtifactStore, resolve_payload
    from ..plan import Delivery
    from ..recipe import load_recipe

    store = ArtifactStore()
    plan = plan_recipe(load_recipe(path), Delivery.WEB, store, fetch=False)
    with tempfile.TemporaryDirectory(prefix="choconsis-check-") as tmp:
        payload = resolve_payload(plan, store, Path(tmp) / "payload")
        [backend] = backends_for(("nupkg",))
        return check_folder(render_output(backend, plan, payload, Path(tmp)))


def check_folder(folder: Path) -> list[Finding]:
    return lint_package(_folder_package(folder))


def check_nupkg(path: Path) -> list[Finding]:
    report = Report()
    pkg = nupkg_package(path, report)
    return report.findings + (lint_package(pkg) if pkg is not None else [])


def build_outputs(folder: Path) -> list[Path]:
    """The .nupkg and setup.exe files of a folder ``choconsis build`` wrote; [] for a folder
    that is itself a package (it has a nuspec or tools/)."""
    if any(folder.glob("*.nuspec")) or (folder / "tools").is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in (".nupkg", ".exe", ".msi"))


def _check_outputs(files: list[Path], cafile: Path | None) -> list[Finding]:
    """Each output checked on its own; locations start with the file's name."""
    findings = []
    for path in files:
        suffix = path.suffix.lower()
        found = (check_nupkg(path) if suffix == ".nupkg" else check_msi(path)
                 if suffix == ".msi" else check_installer(path, cafile))
        for f in found:
            location = path.name if f.location in ("", path.name, str(path)) else (
                f"{path.name}/{f.location}")
            findings.append(dataclasses.replace(f, location=location))
    return findings


def check_path(path: Path, cafile: Path | None = None) -> list[Finding]:
    """Lint a .nupkg, a rendered chocolatey folder (or <out>/<id> holding chocolatey/), the
    output folder of ``choconsis build`` (each .nupkg and setup.exe in it, and its winget
    and Scoop manifests against the files beside them), a recipe .toml
    (planned with its lock and rendered to a temporary folder), or a setup.exe (its signature,
    checked against ``cafile`` or the system's roots)."""
    if path.is_dir():
        if (path / "chocolatey").is_dir() and not any(path.glob("*.nuspec")):
            return check_folder(path / "chocolatey")
        outputs = build_outputs(path)
        if outputs or has_manifests(path):
            return _check_outputs(outputs, cafile) + manifest_rules(path).findings
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
    if suffix == ".msi":
        return check_msi(path)
    raise UsageError(f"{path}: check takes a .nupkg, a rendered folder, a recipe .toml, "
                     "a setup.exe or an .msi")


ORDER = {"error": 0, "warning": 1, "note": 2}


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (ORDER[f.severity], f.rule_id, f.location))


def findings_json(findings: Iterable[Finding], path: Path) -> str:
    """``check --format json``: one JSON document (for CI pipelines)."""
    findings = _sorted(findings)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ORDER}
    return json.dumps({
        "path": str(path),
        "verdict": "failed" if counts["error"] else "passed",
        "errors": counts["error"], "warnings": counts["warning"], "notes": counts["note"],
        "findings": [{"rule": f.rule_id, "severity": f.severity, "kind": RULES[f.rule_id].kind,
                      "title": RULES[f.rule_id].title, "message": f.message,
                      "location": f.location} for f in findings],
    }, indent=2)


def format_findings(findings: Iterable[Finding], path: Path) -> str:
    findings = list(findings)
    order = ORDER
    lines = []
    for f in _sorted(findings):
        lines.append(f"{f.location}: {f.severity}: {f.rule_id} {RULES[f.rule_id].title}: "
                     f"{f.message}")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in order}
    verdict = "FAILED" if counts["error"] else "passed"
    lines.append(f"{path}: {verdict}: {counts['error']} errors, {counts['warning']} warnings, "
                 f"{counts['note']} notes")
    return "\n".join(lines)
