"""The words of a failed download in chocolateyInstall.ps1: PowerShell tables rendered from the
one table of :mod:`choconsis.netreasons` (setup.exe says the same, see ..nsis.reasons); and
those of a Windows crash status as an exit code, from :mod:`choconsis.engine.exit_status`."""

from __future__ import annotations

from typing import Any

from ...engine.exit_status import NTSTATUS_WORDS, exit_words
from ...netreasons import (DOTNET_HTTP_STATUS, DOTNET_MESSAGES, DOTNET_STATUSES, HTTP_PHRASES,
                           REASONS)

# Chocolatey's own download error names the URL: "... is forbidden for url 'URL'. <reason>"
CHOCOLATEY_URL_PATTERN = r"for url '([^']+)'"


def download_reasons() -> dict[str, Any]:
    """Template values (chocolateyInstall.ps1.j2): each table as (key, words) pairs."""
    return {
        "http_phrases": [(str(code), phrase) for code, phrase in sorted(HTTP_PHRASES.items())],
        "status_reasons": [(name, REASONS[r]) for name, r in DOTNET_STATUSES.items()],
        "message_reasons": [(pattern, REASONS[r]) for pattern, r in DOTNET_MESSAGES],
        "http_status_pattern": DOTNET_HTTP_STATUS,
        "url_pattern": CHOCOLATEY_URL_PATTERN,
    }


def exit_code_words() -> dict[str, Any]:
    """Template values (choconsis.ps1.j2): (0xXXXXXXXX, words) of each NTSTATUS exit code."""
    return {"exit_words": [(f"0x{status:08X}", exit_words(status))
                           for status in sorted(NTSTATUS_WORDS)]}
