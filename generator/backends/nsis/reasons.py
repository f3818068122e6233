"""The words of a failed download in setup.exe: NSIS macros rendered from the one table of
:mod:`choconsis.netreasons`, which the Chocolatey script and choconsis itself use too.

``download.nsh`` needs them defined before it is included (installer.nsi does that; a probe
that includes download.nsh alone puts :func:`reason_macros` before it):

    !insertmacro _ChoconsisCodeWords CODE OUT   ; ": the server name could not be resolved", or ""
    !insertmacro _ChoconsisHttpWords CODE OUT   ; " Not Found", or ""
"""

from __future__ import annotations

from ...escaping import nsis_string
from ...netreasons import HTTP_PHRASES, REASONS, WININET_CODES


def _select(macro: str, cases: dict[int, str]) -> list[str]:
    lines = [f"!macro {macro} CODE OUT", '  StrCpy ${OUT} ""', "  ${Select} ${CODE}"]
    for code, words in sorted(cases.items()):
        lines += [f"    ${{Case}} {code}", f"      StrCpy ${{OUT}} {nsis_string(words)}"]
    lines += ["  ${EndSelect}", "!macroend"]
    return lines


def reason_macros() -> str:
    """NSIS text defining _ChoconsisCodeWords and _ChoconsisHttpWords (LogicLib needed)."""
    lines = ["; What a download's error code means (rendered from choconsis/netreasons.py)",
             "!include LogicLib.nsh"]
    lines += _select("_ChoconsisCodeWords",
                     {code: ": " + REASONS[reason] for code, reason in WININET_CODES.items()})
    lines += _select("_ChoconsisHttpWords",
                     {status: " " + phrase for status, phrase in HTTP_PHRASES.items()})
    return "\n".join(lines) + "\n"
