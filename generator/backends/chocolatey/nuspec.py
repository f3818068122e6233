"""The package's nuspec: its metadata, valid against Chocolatey's nuspec schema."""

from __future__ import annotations

from ...escaping import xml_text
from ...plan import InstallPlan
from .scripts import environment

NUSPEC_NS = "http://schemas.microsoft.com/packaging/2015/06/nuspec.xsd"


def nuspec_name(plan: InstallPlan) -> str:
    return f"{plan.package.id}.nuspec"


def nuspec_metadata(plan: InstallPlan) -> list[tuple[str, str]]:
    """The nuspec's metadata elements in order; empty optional ones are left out."""
    pkg = plan.package
    items = [
        ("id", pkg.id),
        ("version", pkg.version),
        ("packageSourceUrl", pkg.package_source_url),
        ("owners", pkg.owners or pkg.authors),
        ("title", pkg.title),
        ("authors", pkg.authors),
        ("projectUrl", pkg.project_url),
        ("projectSourceUrl", pkg.project_source_url),
        ("iconUrl", pkg.icon_url),
        ("copyright", pkg.copyright),
        ("licenseUrl", pkg.license_url),
        ("requireLicenseAcceptance", "false"),
        ("docsUrl", pkg.docs_url),
        ("bugTrackerUrl", pkg.bug_tracker_url),
        ("mailingListUrl", pkg.mailing_list_url),
        ("tags", " ".join(pkg.tags)),
        ("summary", pkg.summary),
        ("description", pkg.description),
        ("releaseNotes", pkg.release_notes),
    ]
    return [(name, value) for name, value in items if value]


def render_nuspec(plan: InstallPlan) -> str:
    env = environment(xml_text)
    return env.get_template("package.nuspec.j2").render(metadata=nuspec_metadata(plan))
