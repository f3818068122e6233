"""winget's multi-file manifests (schema 1.12.0) of a release, as winget-pkgs lays them out:
``manifests/<p>/<Publisher>/<Package>/<version>/`` holding the version, default-locale and
installer manifests, serialized with PyYAML.

setup.exe is one ``nullsoft`` installer entry per scope the recipe allows (``/CurrentUser``,
``/AllUsers``); its ``ProductCode`` and ``AppsAndFeaturesEntries`` are the Add/Remove
Programs entry the plan says setup.exe writes (:attr:`InstallPlan.arp`). The portable zip,
when built, is a second entry: ``zip`` with ``portable`` nested files, one
``PortableCommandAlias`` per command, and ``ArchiveBinariesDependOnPath``: winget then puts
the unpacked ``bin`` folder on PATH instead of linking each .exe from its Links folder (a
launcher started through a symbolic link sees the link's folder as its own and would look for
``..\\runtime`` there).
"""

from __future__ import annotations

from typing import Any

import yaml

from ...plan import InstallPlan
from ..portable.backend import portable_zip_name
from ..portable.launchers import BIN_FOLDER

MANIFEST_VERSION = "1.12.0"
LOCALE = "en-US"
ARCHITECTURES = {"amd64": "x64", "x86": "x86"}
SWITCHES = {"user": "/CurrentUser", "machine": "/AllUsers"}
MAX_TAGS, MAX_COMMANDS, MAX_TAG = 16, 16, 40


def manifest_folder(plan: InstallPlan) -> str:
    """manifests/<first letter>/<Publisher>/<Package>/<version>, as winget-pkgs has it."""
    identifier = plan.release.package_identifier
    return "/".join(("manifests", identifier[0].lower(), *identifier.split("."),
                     plan.package.version))


# Characters YAML reads as line breaks (NEL, LS, PS) or may fold: a string holding one is
# written double-quoted, where YAML escapes them (\N, \L, \P), so it reads back unchanged.
_BREAKS = ("\x85", "\u2028", "\u2029")


class _Dumper(yaml.SafeDumper):
    def represent_str(self, data: str) -> yaml.ScalarNode:  # type: ignore[override]
        if any(c in data for c in _BREAKS):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Dumper.add_representer(str, _Dumper.represent_str)


def _dump(kind: str, doc: dict[str, Any]) -> str:
    head = (f"# Created by choconsis\n# yaml-language-server: $schema=https://aka.ms/"
            f"winget-manifest.{kind}.{MANIFEST_VERSION}.schema.json\n\n")
    return head + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                            width=100000, default_flow_style=False)


def _head(plan: InstallPlan) -> dict[str, Any]:
    return {"PackageIdentifier": plan.release.package_identifier,
            "PackageVersion": plan.package.version}


def _tags(tags: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        tag = tag.lower()[:MAX_TAG]
        if tag not in out:
            out.append(tag)
    return out[:MAX_TAGS]


def setup_entries(plan: InstallPlan, url: str, sha256: str) -> list[dict[str, Any]]:
    arp = plan.arp
    entries = []
    for scope in plan.scopes:
        entry: dict[str, Any] = {
            "Architecture": ARCHITECTURES[plan.runtime.arch],
            "InstallerType": "nullsoft",
            "Scope": scope,
            "InstallerUrl": url,
            "InstallerSha256": sha256.upper(),
            "InstallerSwitches": {"Custom": SWITCHES[scope]},
        }
        if scope == "machine":  # setup.exe asks for rights itself only when machine-only
            entry["ElevationRequirement"] = ("elevationRequired" if "user" in plan.scopes
                                             else "elevatesSelf")
        entry["ProductCode"] = arp.key_name
        entry["AppsAndFeaturesEntries"] = [{
            "DisplayName": arp.display_name, "Publisher": arp.publisher,
            "DisplayVersion": arp.display_version, "ProductCode": arp.key_name}]
        entries.append(entry)
    return entries


def portable_entry(plan: InstallPlan, url: str, sha256: str) -> dict[str, Any]:
    return {
        "Architecture": ARCHITECTURES[plan.runtime.arch],
        "InstallerType": "zip",
        "NestedInstallerType": "portable",
        "NestedInstallerFiles": [{"RelativeFilePath": f"{BIN_FOLDER}\\{file}",
                                  "PortableCommandAlias": alias}
                                 for alias, file in plan.command_files],
        "ArchiveBinariesDependOnPath": True,
        "InstallerUrl": url,
        "InstallerSha256": sha256.upper(),
    }


def winget_manifests(plan: InstallPlan, setup_name: str, setup_sha256: str,
                     portable_sha256: str | None) -> dict[str, str]:
    """file name -> YAML text of the three manifests."""
    pkg, release = plan.package, plan.release
    identifier = release.package_identifier

    def url(name: str) -> str:
        return release.file_url(pkg.id, pkg.version, name)

    version = {**_head(plan), "DefaultLocale": LOCALE, "ManifestType": "version",
               "ManifestVersion": MANIFEST_VERSION}
    installers = setup_entries(plan, url(setup_name), setup_sha256)
    if portable_sha256 is not None and plan.commands:  # a portable entry runs its commands
        installers.append(portable_entry(plan, url(portable_zip_name(plan)), portable_sha256))
    installer: dict[str, Any] = {**_head(plan)}
    if plan.commands:
        # as they are typed (a batch file without its extension)
        installer["Commands"] = [alias for alias, _file in plan.command_files][:MAX_COMMANDS]
    installer.update({"Installers": installers, "ManifestType": "installer",
                      "ManifestVersion": MANIFEST_VERSION})
    locale: dict[str, Any] = {**_head(plan), "PackageLocale": LOCALE,
                              "Publisher": release.publisher}
    optional = {"PublisherSupportUrl": pkg.bug_tracker_url, "Author": pkg.authors,
                "PackageName": pkg.title, "PackageUrl": pkg.project_url,
                "License": release.license, "LicenseUrl": pkg.license_url,
                "Copyright": pkg.copyright, "ShortDescription": pkg.summary,
                "Description": pkg.description.strip(), "Tags": _tags(pkg.tags),
                "ReleaseNotes": pkg.release_notes.strip(),
                "ReleaseNotesUrl": release.release_notes_url}
    locale.update({k: v for k, v in optional.items() if v})
    locale.update({"ManifestType": "defaultLocale", "ManifestVersion": MANIFEST_VERSION})
    return {f"{identifier}.yaml": _dump("version", version),
            f"{identifier}.installer.yaml": _dump("installer", installer),
            f"{identifier}.locale.{LOCALE}.yaml": _dump("defaultLocale", locale)}
