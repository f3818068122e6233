"""Escaping of values into the three target languages: XML, PowerShell and NSIS.

Every value that reaches a generated file passes through exactly one of these functions (the
template environments apply them to every ``[[ expression ]]``, see ``templating.py``). What
cannot be escaped safely is refused earlier, at recipe load (``recipe.py`` calls
:func:`unsafe_reason`).
"""

from __future__ import annotations

import re

# makensis from Debian is built with NSIS_MAX_STRLEN=1024: one NSIS string holds at most 1023
# characters plus its terminator. Anything longer is cut silently at install time.
NSIS_MAX_STRLEN = 1024

# XML 1.0 forbids most C0 controls even as character references; NSIS and PowerShell single
# quoted strings would carry them, but no recipe value has a reason to hold one.
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# Lone surrogates cannot be encoded as UTF-8 (XML) or UTF-16LE (NSIS unicode) reliably.
_SURROGATES = re.compile(r"[\ud800-\udfff]")

# PowerShell treats these as single quotes too (System.Management.Automation.Language
# CharExtensions.IsSingleQuote): each must be doubled inside a single-quoted string.
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def unsafe_reason(value: str, *, multiline: bool = False) -> str | None:
    """Return why ``value`` cannot be carried safely into XML, PowerShell and NSIS, or None."""
    if _SURROGATES.search(value):
        return "contains a lone surrogate character"
    bad = _FORBIDDEN_CONTROLS.search(value)
    if bad:
        return f"contains the control character U+{ord(bad.group()):04X}"
    if not multiline and ("\n" in value or "\r" in value):
        return "must be a single line"
    return None


def xml_text(value: str) -> str:
    """Escape for XML character data and attribute values (both quote kinds).

    Line breaks and tabs become character references so attribute values round-trip too
    (XML attribute normalisation would turn them into spaces).
    """
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#9;")
    )


def ps_string(value: str) -> str:
    """Return ``value`` as a PowerShell single-quoted string literal, quotes included.

    Single-quoted strings expand nothing ($, backtick, subexpressions stay literal); the only
    special characters are the four single-quote forms, each escaped by doubling it.
    """
    out = []
    for ch in value:
        out.append(ch + ch if ch in _PS_SINGLE_QUOTES else ch)
    return "'" + "".join(out) + "'"


def nsis_string(value: str) -> str:
    """Return ``value`` as an NSIS double-quoted string literal, quotes included.

    ``$`` becomes ``$$`` (no variable, constant or ``${define}`` expansion), a backslash right
    after a ``$`` becomes ``${U+5C}``, the double quote
    becomes ``$\\"``, and line breaks and tabs become ``$\\n``, ``$\\r``, ``$\\t``.
    """
    if len(value) >= NSIS_MAX_STRLEN:
        raise ValueError(
            f"value of {len(value)} characters exceeds NSIS's {NSIS_MAX_STRLEN - 1}-character limit"
        )
    out = []
    for i, ch in enumerate(value):
        if ch == "$":
            out.append("$$")
        elif ch == "\\" and i and value[i - 1] == "$":
            # makensis reads $\n, $\t, $\" ... as escapes even right after $$, so "$$\n"
            # would become "$" + a newline; the built-in define ${U+5C} is a plain backslash.
            out.append("${U+5C}")
        elif ch == '"':
            out.append('$\\"')
        elif ch == "\n":
            out.append("$\\n")
        elif ch == "\r":
            out.append("$\\r")
        elif ch == "\t":
            out.append("$\\t")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def windows_arg(value: str) -> str:
    """Quote one command-line argument the way CommandLineToArgvW / the MS C runtime parse it."""
    if value and not any(c in value for c in ' \t\n\v"'):
        return value
    out = ['"']
    backslashes = 0
    for ch in value:
        if ch == "\\":
            backslashes += 1
            continue
        if ch == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + ch)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def windows_command_line(args: list[str]) -> str:
    """Join arguments into one Windows command line (see :func:`windows_arg`)."""
    return " ".join(windows_arg(a) for a in args)


def render_templated(parts: "tuple[object, ...]", literal, variables: "dict[object, str]",
                     joiner: str) -> str:
    """Render a plan value (literal strings and markers) as one expression of a language.

    ``literal`` escapes a literal part, ``variables`` maps each marker to the language's
    variable reference, and ``joiner`` concatenates (' + ' in PowerShell, '' inside one NSIS
    string). A marker without a variable is a back-end bug and raises KeyError.
    """
    return joiner.join(variables[p] if not isinstance(p, str) else literal(p) for p in parts)


def ps_templated(parts: "tuple[object, ...]", variables: "dict[object, str]") -> str:
    """A plan value as a PowerShell expression: ('C:\\x' + $installDir + '\\y')."""
    if not parts:
        return "''"
    if len(parts) == 1:
        return render_templated(parts, ps_string, variables, "")
    return "(" + render_templated(parts, ps_string, variables, " + ") + ")"


def nsis_templated(parts: "tuple[object, ...]", variables: "dict[object, str]") -> str:
    """A plan value as one NSIS double-quoted string: "C:\\x$INSTDIR\\y".

    Literal parts are escaped with :func:`nsis_string` (minus its quotes); markers become NSIS
    variables such as $INSTDIR, expanded at install time.
    """
    body = render_templated(parts, lambda s: nsis_string(s)[1:-1], variables, "")
    if len(body) >= NSIS_MAX_STRLEN:
        raise ValueError(f"NSIS string of {len(body)} characters exceeds the limit")
    return '"' + body + '"'


_MSI_FORMATTED_SPECIAL = re.compile(r"([\[\]{}])")


def msi_formatted(value: str) -> str:
    """A literal for a Windows Installer *formatted* field (a custom action's command line, a
    registry value): [ ] { } become [\\[] [\\]] [\\{] [\\}], so nothing in the text is read as
    a property reference. (XML escaping of the .wxs comes on top.)"""
    return _MSI_FORMATTED_SPECIAL.sub(r"[\\\1]", value)


def msi_templated(parts: "tuple[object, ...]", properties: "dict[object, str]",
                  directories: "frozenset[object]" = frozenset()) -> str:
    """A plan value as formatted text: literals escaped, markers as [PROPERTY].

    A directory property's value always ends with a backslash, so a literal that follows one
    loses its leading backslash ([INSTALLDIR]bin), and one that ends a quoted argument gets a
    second backslash before the quote (the pair reads as one backslash, not as an escaped
    quote, by CommandLineToArgvW's rules)."""
    out: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            text = part
            if i and parts[i - 1] in directories:
                if text.startswith("\\"):
                    text = text[1:]
                elif text.startswith('"'):
                    text = "\\" + text
            out.append(msi_formatted(text))
        else:
            out.append(f"[{properties[part]}]")
    return "".join(out)
