"""The lines ``choconsis build`` ends with: what was built, how, and each output's size and
sha256 (so a release note or a CI log can quote them without running sha256sum)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..store import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    from ..build import BuildOptions, BuildResult


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError  # pragma: no cover


def built_files(result: "BuildResult") -> list[Path]:
    """Each output's artifact, as its back end described it (each file of a folder
    output, such as winget's manifests), then the SBOM."""
    files = [f for d in result.outputs for f in d.files]
    return files + ([result.sbom] if result.sbom is not None else [])


def output_paths(result: "BuildResult") -> list[Path]:
    """The built files (nupkg, setup.exe, SBOM), or the rendered folders of a render."""
    return built_files(result) or list(result.sources)


def _measured(result: "BuildResult", path: Path) -> tuple[int, str]:
    """Size and sha256 of a built file as the build measured it when it put it in place,
    holding the output folder (another build may since have replaced it)."""
    if path in result.measured:
        return result.measured[path]
    return path.stat().st_size, sha256_file(path)


def signing_words(opts: "BuildOptions") -> str:
    if opts.sign_cert is None:
        return "not signed"
    return f"signed with {opts.sign_cert.name}"


def build_summary(result: "BuildResult", opts: "BuildOptions") -> str:
    pkg = result.plan.package
    files = built_files(result)
    if not files:
        lines = [f"{pkg.id} {pkg.version}: rendered ({opts.delivery} mode)"]
        lines += [f"  {p}" for p in result.sources]
        return "\n".join(lines)
    signable = any(d.signed is not None for d in result.outputs)
    signed = signing_words(opts) if signable else "nothing to sign"
    lines = [f"{pkg.id} {pkg.version}: {opts.delivery} build, {signed}"]
    rows = [(str(p), human_size(size), digest)
            for p, (size, digest) in ((p, _measured(result, p)) for p in files)]
    width = max(len(r[0]) for r in rows)
    size_width = max(len(r[1]) for r in rows)
    lines += [f"  {path:<{width}}  {size:>{size_width}}  sha256 {digest}"
              for path, size, digest in rows]
    if result.sources:
        lines.append("  sources: " + ", ".join(str(p) for p in result.sources))
    return "\n".join(lines)
