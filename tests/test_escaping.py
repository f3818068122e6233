"""Escaping into XML, PowerShell, NSIS and Windows command lines."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from choconsis.escaping import (NSIS_MAX_STRLEN, nsis_string, nsis_templated, ps_string,
                                ps_templated, unsafe_reason, windows_arg, windows_command_line,
                                xml_text)
from choconsis.plan import INSTALL_DIR, templated

HOSTILE = [
    "plain", "O'Brien", "\u2018a\u2019 \u201a\u201b", '"double"', "`backtick`", "$(Get-Item x)",
    "${NSISDIR}", "$INSTDIR", "$$", "%PATH%", "a;b", "& | < > ^", "line1\nline2", "tab\there",
    "é ✓ 日本", "\\\\server\\share\\", "C:\\Program Files\\x\\", "]]> <![CDATA[", "&amp;",
]

SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=200,
).filter(lambda s: unsafe_reason(s, multiline=True) is None)


def test_unsafe_reason():
    assert unsafe_reason("ok é") is None
    assert "U+0000" in unsafe_reason("a\x00")
    assert "U+001B" in unsafe_reason("\x1b[31m")
    assert "single line" in unsafe_reason("a\nb")
    assert unsafe_reason("a\nb", multiline=True) is None
    assert "surrogate" in unsafe_reason("\ud800")


@pytest.mark.parametrize("value", HOSTILE)
def test_xml_round_trip(value):
    doc = f'<r a="{xml_text(value)}" b=\'{xml_text(value)}\'>{xml_text(value)}</r>'
    root = etree.fromstring(doc.encode("utf-8"))
    assert root.text == value
    assert root.get("a") == value
    assert root.get("b") == value


@given(SAFE_TEXT)
@settings(max_examples=300, deadline=None)
def test_xml_text_property(value):
    root = etree.fromstring(f'<r a="{xml_text(value)}">{xml_text(value)}</r>'.encode("utf-8"))
    assert (root.text or "") == value
    assert root.get("a") == value


def _ps_unquote(literal: str) -> str:
    """Inverse of PowerShell single-quote parsing: doubled quote chars become one."""
    assert literal[0] == "'" and literal[-1] == "'"
    body, out, i = literal[1:-1], [], 0
    quotes = "'\u2018\u2019\u201a\u201b"
    while i < len(body):
        ch = body[i]
        if ch in quotes:
            assert body[i + 1] == ch, f"lone quote in {literal!r}"
            i += 2
        else:
            i += 1
        out.append(ch)
    return "".join(out)


@pytest.mark.parametrize("value", HOSTILE)
def test_ps_string(value):
    literal = ps_string(value)
    assert _ps_unquote(literal) == value
    assert ps_string("it's") == "'it''s'"
    assert ps_string("\u2019") == "'\u2019\u2019'"


@given(SAFE_TEXT)
@settings(max_examples=300, deadline=None)
def test_ps_string_property(value):
    assert _ps_unquote(ps_string(value)) == value


def _nsis_unquote(literal: str) -> str:
    """How makensis reads a double-quoted string back (the escapes we produce)."""
    assert literal[0] == '"' and literal[-1] == '"'
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body.startswith("$$", i):
            out.append("$")
            i += 2
        elif body.startswith('$\\"', i):
            out.append('"')
            i += 3
        elif body.startswith("$\\n", i):
            out.append("\n")
            i += 3
        elif body.startswith("$\\r", i):
            out.append("\r")
            i += 3
        elif body.startswith("$\\t", i):
            out.append("\t")
            i += 3
        elif body.startswith("${U+5C}", i):  # a backslash right after a $
            out.append("\\")
            i += 7
        else:
            assert body[i] not in '"$', f"unescaped {body[i]!r} in {literal!r}"
            out.append(body[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("value", HOSTILE)
def test_nsis_string(value):
    assert _nsis_unquote(nsis_string(value)) == value
    assert nsis_string("${NSISDIR}") == '"$${NSISDIR}"'


@given(SAFE_TEXT)
@settings(max_examples=300, deadline=None)
def test_nsis_string_property(value):
    assert _nsis_unquote(nsis_string(value)) == value


def test_nsis_length_limit():
    nsis_string("x" * (NSIS_MAX_STRLEN - 1))
    with pytest.raises(ValueError, match="1023-character limit"):
        nsis_string("x" * NSIS_MAX_STRLEN)


def test_templated_values():
    value = templated("TARGETDIR={install_dir}\\Lib's $x")
    assert ps_templated(value, {INSTALL_DIR: "$installDir"}) == \
        "('TARGETDIR=' + $installDir + '\\Lib''s $x')"
    assert nsis_templated(value, {INSTALL_DIR: "$INSTDIR"}) == '"TARGETDIR=$INSTDIR\\Lib\'s $$x"'
    assert ps_templated((), {}) == "''"
    with pytest.raises(KeyError):
        nsis_templated(templated("{install_dir}"), {})


def _argv_parse(cmdline: str) -> list[str]:
    """CommandLineToArgvW's rules (2008+ msvcrt), for checking windows_arg."""
    args, cur, i, in_quotes, have = [], [], 0, False, False
    while i < len(cmdline):
        ch = cmdline[i]
        if ch == "\\":
            j = i
            while j < len(cmdline) and cmdline[j] == "\\":
                j += 1
            n = j - i
            if j < len(cmdline) and cmdline[j] == '"':
                cur.append("\\" * (n // 2))
                if n % 2:
                    cur.append('"')
                    i = j + 1
                else:
                    i = j
                have = True
                continue
            cur.append("\\" * n)
            i = j
            have = True
            continue
        if ch == '"':
            in_quotes = not in_quotes
            have = True
        elif ch in " \t" and not in_quotes:
            if have:
                args.append("".join(cur))
            cur, have = [], False
        else:
            cur.append(ch)
            have = True
        i += 1
    if have:
        args.append("".join(cur))
    return args


@given(st.lists(st.text(alphabet=' a"\\\tb', min_size=1, max_size=8), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_windows_command_line_round_trip(args):
    assert _argv_parse(windows_command_line(args)) == args


def test_windows_arg_examples():
    assert windows_arg("plain") == "plain"
    assert windows_arg("C:\\Program Files\\") == '"C:\\Program Files\\\\"'
    assert windows_arg('a"b') == '"a\\"b"'
    assert shlex.split(windows_arg("a b")) == ["a b"]
