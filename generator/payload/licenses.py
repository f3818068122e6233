"""License facts: what a wheel's METADATA declares, and the licenses of known installers.

Read from the verified files themselves (a wheel's ``METADATA``, License-Expression, else
License, else the Trove license classifiers), so what the SBOM and LICENSE.txt report is what
was verified and shipped, not what an index says today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Any

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


def artifact_license(name: str, filename: str, is_runtime: bool) -> License | None:
    if is_runtime:
        return License(expression=KNOWN_LICENSES["python"])
    keys = (name.split()[0].lower() if name.split() else "",
            re.split(r"[-_]", filename, maxsplit=1)[0].lower())
    spdx = next((KNOWN_LICENSES[k] for k in keys if k in KNOWN_LICENSES), None)
    return License(expression=spdx) if spdx else None


def artifact_version(filename: str, runtime_version: str | None) -> str:
    """The runtime's version, or the first dotted number in an installer's file name."""
    if runtime_version:
        return runtime_version
    match = re.search(r"[-_](\d+(?:\.\d+)+)", filename)
    return match.group(1) if match else ""
