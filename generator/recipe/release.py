"""The recipe's ``[release]``: where the built files will be published and which outputs a
build writes.

The output names are public interface (other tools script against them): ``nupkg``,
``setup``, ``winget``, ``portable``, ``scoop``, ``msi``. winget and Scoop manifests hold absolute URLs
of the published files, so those outputs need ``url``; the portable zip (and the Scoop
manifest, which installs it) needs a runtime whose tree is known at build time: a zip or
package runtime. The MSI holds the private runtime in its cabinet: a zip or install-manager
package runtime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .fields import Bad, as_nonempty_line, as_string_list, as_url, url_filename

OUTPUT_NAMES = ("nupkg", "setup", "winget", "portable", "scoop", "msi")
NEEDS_URL = ("winget", "portable", "scoop")
NEEDS_ZIP_RUNTIME = ("portable", "scoop")
NEEDS_PRIVATE_RUNTIME = ("msi",)  # python.installer zip or package
NEEDS_LICENSE = ("winget", "scoop")
URL_PLACEHOLDERS = ("id", "version", "file")
# Lengths winget's manifest schema 1.12.0 allows for what the recipe fills in:
# recipe field -> (manifest field, shortest, longest).
WINGET_LENGTHS = {
    "package.title": ("PackageName", 2, 256),
    "package.summary": ("ShortDescription", 3, 256),
    "package.authors": ("Author", 2, 256),
    "package.copyright": ("Copyright", 3, 512),
    "release.publisher": ("Publisher", 2, 256),
    "release.license": ("License", 3, 512),
}
# winget's PackageIdentifier (manifest schema 1.12.0): 2 to 8 dot-separated parts of 1 to 32
# characters, none of . whitespace \ / : * ? " < > | or control characters.
_ID_PART = r"[^.\s\\/:*?\"<>|\x01-\x1f]{1,32}"
PACKAGE_IDENTIFIER_RE = re.compile(rf"{_ID_PART}(\.{_ID_PART}){{1,7}}")


@dataclass(frozen=True)
class Release:
    """[release]; empty strings and None where the recipe left a choice to the defaults."""

    url: str = ""
    publisher: str = ""  # the loader fills in the package's authors
    package_identifier: str = ""  # winget's; default derived from publisher and id
    outputs: tuple[str, ...] | None = None
    license: str = ""  # winget's License and Scoop's license
    release_notes_url: str = ""

    def file_url(self, package_id: str, version: str, filename: str) -> str:
        """The published URL of one built file."""
        return (self.url.replace("{id}", package_id).replace("{version}", version)
                .replace("{file}", filename))


def as_url_template(value: Any) -> str:
    """An https URL template holding {file} (and perhaps {id}, {version})."""
    text = as_nonempty_line(value)
    names = re.findall(r"\{([^{}]*)\}", text)
    for name in names:
        if name not in URL_PLACEHOLDERS:
            raise Bad(f"unknown placeholder {{{name}}}; allowed: "
                      + ", ".join("{" + p + "}" for p in URL_PLACEHOLDERS))
    if "file" not in names:
        raise Bad("must hold {file} (each built file has its own URL), e.g. "
                  "https://example.org/dl/{id}/{version}/{file}")
    sample = text.replace("{id}", "pkg").replace("{version}", "1.0").replace("{file}", "f.zip")
    url = as_url(sample)
    if not url.startswith("https://"):
        raise Bad("must be an https:// URL: winget and Scoop refuse other schemes")
    if not url_filename(url):
        raise Bad("must end in the file name ({file} last)")
    return text


def as_package_identifier(value: Any) -> str:
    text = as_nonempty_line(value)
    if not PACKAGE_IDENTIFIER_RE.fullmatch(text):
        raise Bad("expected a winget PackageIdentifier such as Publisher.Package (2 to 8 "
                  "dot-separated parts of at most 32 characters, no spaces or "
                  f"\\ / : * ? \" < > |), got {text!r}")
    return text


def as_outputs(value: Any) -> tuple[str, ...]:
    def one(item: Any) -> str:
        if item not in OUTPUT_NAMES:
            raise Bad(f"expected one of {', '.join(map(repr, OUTPUT_NAMES))}, got {item!r}")
        return item

    names = as_string_list(one)(value)
    if not names:
        raise Bad("must name at least one output")
    if len(set(names)) != len(names):
        raise Bad("lists an output twice")
    return names


def derived_identifier(publisher: str, package_id: str) -> str:
    """Publisher.Package from the publisher's letters and digits and the package id."""
    head = re.sub(r"[^A-Za-z0-9-]", "", publisher)[:32]
    return f"{head}.{package_id}"


def can_be_portable(installer: str) -> bool:
    """Only a zip or package runtime's tree can be known at build time (an EXE or MSI
    runtime is laid out by its installer, on the target). A package runtime that setup.exe
    fetches at install time is still fetched by the build for the portable zip."""
    return installer in ("zip", "package")


def default_outputs(release: Release, installer: str) -> tuple[str, ...]:
    """nupkg and setup; with a url also winget, and portable and scoop when the runtime can
    be made portable."""
    if not release.url:
        return ("nupkg", "setup")
    extra = ("winget", "portable", "scoop") if can_be_portable(installer) else ("winget",)
    return ("nupkg", "setup", *extra)
