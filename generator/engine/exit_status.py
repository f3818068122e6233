# -*- coding: utf-8 -*-
"""What a Windows exit code means, when it is not the program's own answer but Windows'.

A program that cannot start or that crashes ends with an NTSTATUS code instead of its own:
0xC0000135, seen as -1073741515 (ExecWait, cmd's %ERRORLEVEL%) or 3221225781 (unsigned), is
"a DLL it needs is missing" (uv.exe under a Wine without ProcessPrng, a runtime without its
Visual C++ DLLs). The one table: the engine says it in its failure line, and choconsis renders
it into setup.exe (NSIS), the Chocolatey scripts (PowerShell) and ``smoke``'s report.

Python 2.7 and 3.x compatible, standard library only, imports nothing: the engine ships it.
"""

from __future__ import unicode_literals

# NTSTATUS (unsigned) -> what it means for the person reading the log
NTSTATUS_WORDS = {
    0xC0000005: "it crashed (access violation)",
    0xC0000017: "it ran out of memory",
    0xC000007B: "it or a DLL it needs is damaged or for another architecture (32/64-bit)",
    0xC00000FD: "it crashed (stack overflow)",
    0xC0000135: "a DLL it needs is missing",
    0xC0000139: "a DLL it needs lacks a function it uses (a DLL of another version)",
    0xC0000142: "a DLL it needs failed to start",
    0xC000013A: "it was stopped (Ctrl+C or the console closed)",
    0xC0000409: "it crashed (stack buffer overrun)",
}


def exit_words(code):
    """``"0xC0000135: a DLL it needs is missing"`` for an NTSTATUS exit code (signed or
    unsigned, as a number or text), "" for any other code."""
    try:
        number = int(code) & 0xFFFFFFFF
    except (TypeError, ValueError):
        return ""
    words = NTSTATUS_WORDS.get(number)
    return "0x%08X: %s" % (number, words) if words else ""


def describe_exit(code):
    """``"code -1073741515 (0xC0000135: a DLL it needs is missing)"``, or ``"code 2"``."""
    words = exit_words(code)
    return "code %s" % (code,) + (" (%s)" % words if words else "")
