"""The words of a failed download in setup.exe: NSIS macros rendered from the one table of
:mod:`choconsis.netreasons`, which the Chocolatey script and choconsis itself use too.

``download.nsh`` needs them defined before it is included (installer.nsi does that; a probe
that includes download.nsh alone puts :func:`reason_macros` before it):

    !insertmacro _ChoconsisCodeWords CODE OUT   ; ": the server name could not be resolved", or ""
    !insertmacro _ChoconsisHttpWords CODE OUT   ; " Not Found", or ""

and, for every exit code setup.exe reports, the words of :mod:`choconsis.engine.exit_status`:

    !insertmacro ChoconsisExitWords CODE OUT    ; " (0xC0000135: a DLL it needs is missing)", or ""
"""

from __future__ import annotations

from ...engine.exit_status import NTSTATUS_WORDS, exit_words
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
    lines += exit_words_macro()
    return "\n".join(lines) + "\n"


def exit_words_macro() -> list[str]:
    """ChoconsisExitWords: the code as 0x%08X (ExecWait and nsExec give it signed), then its
    words. A code that is not a number (nsExec's "error") formats as 0x00000000: no words."""
    lines = ["!macro ChoconsisExitWords CODE OUT", '  IntFmt ${OUT} "0x%08X" ${CODE}',
             "  ${Select} ${OUT}"]
    for status in sorted(NTSTATUS_WORDS):
        lines += [f'    ${{Case}} "0x{status:08X}"',
                  f"      StrCpy ${{OUT}} {nsis_string(' (' + exit_words(status) + ')')}"]
    lines += ["    ${CaseElse}", '      StrCpy ${OUT} ""', "  ${EndSelect}", "!macroend"]
    return lines
