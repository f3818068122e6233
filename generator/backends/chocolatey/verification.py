"""tools/VERIFICATION.txt and tools/LICENSE.txt of a package that embeds binaries (what the
Chocolatey moderation rules cpmr0006 and cpmr0005 ask for), from the payload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ...errors import BuildError
from ...payload import Payload
from ...payload.licenses import artifact_license
from ...plan import InstallPlan
from ..sbom import sbom_filename


@dataclass(frozen=True)
class EmbeddedFile:
    """A binary placed inside a .nupkg (under tools/), for VERIFICATION.txt."""

    name: str
    filename: str
    url: str
    sha256: str


def embedded_files(plan: InstallPlan, payload: Payload, wheels_dir: str) -> list[EmbeddedFile]:
    """What an embedding package carries under tools/: the payload's artifacts, then its
    wheels (under ``wheels_dir``), in plan and lock order."""
    files = [EmbeddedFile(a.name, a.filename, a.url, a.sha256) for a in plan.artifacts
             if a.filename in payload.artifacts]
    files += [EmbeddedFile(f"{w.name} {w.version}", f"{wheels_dir}\\{w.filename}", w.url,
                           w.sha256) for w in plan.lock.wheels if w.filename in payload.wheels]
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
        artifact = step.artifact
        if artifact is None:
            continue
        lic = artifact_license(artifact.name, artifact.filename, step.role == "runtime")
        lines.append(f"  {artifact.name} ({artifact.filename}): "
                     f"{lic if lic else 'see ' + artifact.url}")
    lines += ["",
              "The Python packages installed by pip are listed with their licenses in the",
              f"CycloneDX SBOM published with this package ({sbom_filename(plan)}).",
              ""]
    return "\n".join(lines)
