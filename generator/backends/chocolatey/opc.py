"""The OPC (Open Packaging Conventions) layout of a .nupkg, as ``choco pack`` writes it:
the part names, relationship types and content types that the packer writes and
``choconsis check`` verifies."""

from __future__ import annotations

from urllib.parse import quote

CONTENT_TYPES_PART = "[Content_Types].xml"
RELS_PART = "_rels/.rels"
CORE_PROPERTIES_DIR = "package/services/metadata/core-properties"
REL_MANIFEST = "http://schemas.microsoft.com/packaging/2010/07/manifest"
REL_CORE_PROPERTIES = ("http://schemas.openxmlformats.org/package/2006/relationships/"
                       "metadata/core-properties")
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CT_CORE_PROPERTIES = "application/vnd.openxmlformats-package.core-properties+xml"
CT_DEFAULT = "application/octet"  # what NuGet writes for every other part
_PART_SAFE = "/!$&'()*+,;=:@-._~"


def part_name(relative: str) -> str:
    """A zip entry name as an OPC part name: '/'-separated, percent-encoded outside the safe set."""
    return quote(relative, safe=_PART_SAFE)

# XML namespaces of the OPC parts (the templates nuspec/*.xml.j2 write the same ones).
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CORE_PROPERTIES_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC_NS = "http://purl.org/dc/elements/1.1/"
