"""Hostile recipe values through every renderer: refused at load, or carried as data only.

A hypothesis strategy builds values from quotes (ASCII and the four Unicode single quotes
PowerShell also treats as quotes), backticks, $, %, ;, line breaks, non-ASCII text, very long
strings, language fragments ($(...), ${...}, $\\", ]]>, '@, ...) and path tricks (.., \\\\server,
C:\\x\\..\\y, a trailing backslash). Each value goes into one recipe field. Then either

- loading the recipe raises RecipeError naming that field, or
- the Chocolatey nuspec validates against the Chocolatey XSD and holds the value unchanged
  (read back with lxml); the install and uninstall scripts parse (tree-sitter-powershell:
  no ERROR or MISSING node) and, with every single-quoted string literal and comment masked,
  are the same code as for a benign value, and the value is inside a literal, unchanged once
  unescaped; the NSIS script, with every string and comment masked, is the same code as for a
  benign value, and some string of it decodes (NSIS escaping rules) to the value; and (slow
  test) makensis compiles the script with warnings as errors.

So no value ever becomes code. The number of cases is printed at the end of the session
(``hostile values: ...``). CHOCONSIS_HOSTILE_EXAMPLES sets the examples per field (default 8),
CHOCONSIS_HOSTILE_COMPILES the makensis cases (default 30).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from choconsis.backends import chocolatey

from choconsis.backends import nsis
from choconsis.errors import RecipeError
from choconsis.plan import build_plan, command_line, literal, templated
from choconsis.check.powershell import parse, syntax_errors, verbatim_value, walk
from choconsis.recipe import parse_recipe
from kit import reference_file
from kit.locks import fake_lock
from kit.plans import web_payload
from kit.recipes import recipe_data

NUSPEC_NS = "http://schemas.microsoft.com/packaging/2015/06/nuspec.xsd"
EXAMPLES = int(os.environ.get("CHOCONSIS_HOSTILE_EXAMPLES", "8"))
COMPILES = int(os.environ.get("CHOCONSIS_HOSTILE_COMPILES", "30"))

STATS: Counter[str] = Counter()

# ---------------------------------------------------------------------------- the values

FRAGMENTS = [
    "'", '"', "`", "$", "%", ";", "\n", "\r\n", "\t", "\u2018", "\u2019", "\u201a", "\u201b",
    "''", "$(calc.exe)", "${INSTDIR}", "$INSTDIR", "$\\\"", "$\\n", "`$", "`n", "$env:PATH",
    "%PATH%", "%%", "&&", "|", "^", "!", "<", ">", "&amp;", "]]>", "<!--", "-->", "@'", "'@",
    '@"', '"@', "#", "<#", "#>", "(", ")", "{", "}", "[[", "]]", "[%", "%]", "\\", "\\\\",
    "..", "..\\..\\", "\\\\server\\share", "C:\\x\\..\\y", "trailing\\", "C:\\", "/", ":",
    "é", "ß", "中文", "🎉", "\u00a0", "\u200b", "'; Remove-Item C:\\ -Recurse; '",
    "\"; Exec calc; \"", "!define X", "!system 'id'",
]
ALPHABET = st.characters(blacklist_categories=("Cs",), max_codepoint=0x1F9FF)
piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(ALPHABET, min_size=1, max_size=6))
short = st.lists(piece, min_size=1, max_size=8).map("".join)
long = st.tuples(short, st.integers(300, 1100)).map(
    lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[:t[1]])
hostile = st.one_of(short, short, short, long)

# ---------------------------------------------------------------------------- the fields


@dataclass(frozen=True)
class FieldCase:
    """One recipe field: where it lives, a benign value, and what each output must carry."""

    path: str  # dotted, as RecipeError names it: package.title, installer[1].name, ...
    benign: str
    is_list: bool = False
    nuspec: str = ""  # nuspec element that holds the value verbatim
    carried: Callable[[str], str] | None = None  # the text a script must hold (default: value)
    prefix: str = ""  # put before a hostile value half of the time, so that it has the shape
    #                   the field expects (an https URL, a drive letter, a program name)

    def carried_text(self, value: str) -> str:
        return self.carried(value) if self.carried else value


def _arg_form(value: str) -> str:
    """An argument as the plan quotes it inside a command line."""
    text = literal(command_line((templated(value),)))
    assert text is not None
    return text


FIELDS = [
    FieldCase("package.title", "Zqbenign title", nuspec="title"),
    FieldCase("package.authors", "Zqbenign authors", nuspec="authors"),
    FieldCase("package.summary", "Zqbenign summary", nuspec="summary"),
    FieldCase("package.description", "Zqbenign\ndescription", nuspec="description"),
    FieldCase("package.release_notes", "Zqbenign notes", nuspec="releaseNotes"),
    FieldCase("package.copyright", "Zqbenign copyright", nuspec="copyright"),
    FieldCase("package.tags", "Zqbenign", is_list=True, nuspec="tags"),
    FieldCase("package.project_url", "https://zqbenign.example/p", nuspec="projectUrl",
              prefix="https://zq.example/"),
    FieldCase("package.docs_url", "https://zqbenign.example/d", nuspec="docsUrl",
              prefix="https://zq.example/d?q="),
    FieldCase("package.owners", "Zqbenign owners", nuspec="owners"),
    FieldCase("package.project_source_url", "https://zqbenign.example/s",
              nuspec="projectSourceUrl", prefix="https://zq.example/s#"),
    FieldCase("package.mailing_list_url", "https://zqbenign.example/m",
              nuspec="mailingListUrl", prefix="https://zq.example/m?q="),
    FieldCase("installer[1].name", "Zqbenign installer"),
    FieldCase("installer[1].args", "ZQBENIGN=1", is_list=True, carried=_arg_form,
              prefix="ZQ="),
    FieldCase("python.args", "/zqbenign", is_list=True, carried=_arg_form),
    FieldCase("path.prepend", "C:\\Zqbenign\\bin", is_list=True, prefix="C:\\x\\"),
    FieldCase("python.install_dir", "C:\\Zqbenign", prefix="C:\\"),
    FieldCase("check.command", "zqbenign --version", prefix="zq --x="),
    FieldCase("check.expect", "Zqbenign 1.0"),
]

BASE = recipe_data("openstack-clients-2013")


def recipe_data(case: FieldCase, value: str) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    section, key = case.path.split(".")
    table = data["installer"][0] if section == "installer[1]" else data[section]
    table[key] = [value] if case.is_list else value
    return data


def parsed_value(recipe, case: FieldCase) -> str:
    """The value as the recipe holds it after load (install_dir drops a trailing backslash)."""
    section, key = case.path.split(".")
    obj = recipe.installers[0] if section == "installer[1]" else getattr(recipe, section)
    value = getattr(obj, key)
    return value[0] if case.is_list else value


# ---------------------------------------------------------------------------- the outputs


@dataclass
class Rendered:
    nuspec: etree._ElementTree
    nuspec_tags: list[str]
    ps_code: list[str]  # per script: source with literals and comments masked
    ps_literals: list[str]  # values of every single-quoted literal
    nsi_code: str
    nsi_strings: list[str]  # every NSIS string, decoded; variables become \0
    nsis_dir: Path


PS_LITERALS = ("verbatim_string_characters", "verbatim_here_string_characters")


def ps_view(text: str) -> tuple[str, list[str]]:
    problems = syntax_errors(text)
    assert not problems, problems
    source = text.removeprefix("\ufeff").encode("utf-8")
    masked, values, pos = [], [], 0
    nodes = [n for n in walk(parse(text).root_node) if n.type in (*PS_LITERALS, "comment")]
    for node in sorted(nodes, key=lambda n: n.start_byte):
        if node.start_byte < pos:
            continue
        masked.append(source[pos:node.start_byte])
        if node.type == "comment":
            masked.append(b"#C")
        else:
            body = node.text.decode("utf-8")
            if node.type == "verbatim_string_characters":
                values.append(verbatim_value(body))
            else:  # @'\n...\n'@ : the lines between the markers, taken as they are
                values.append(body[3:-3])
            masked.append(b"'S'")
        pos = node.end_byte
    masked.append(source[pos:])
    return b"".join(masked).decode("utf-8"), values


_NSIS_ESCAPES = {'"': '"', "'": "'", "`": "`", "n": "\n", "r": "\r", "t": "\t"}


def nsis_decode(body: str) -> str:
    """An NSIS string's text: $$ -> $, $\\" -> ", $\\n -> newline, ${U+5C} -> backslash;
    any other $VAR, ${X} or $(X) -> \\0 (an expansion, never data)."""
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "\\" and body[i + 2:i + 3] in _NSIS_ESCAPES:
            out.append(_NSIS_ESCAPES[body[i + 2]])
            i += 3
        elif re.match(r"\$\{U\+[0-9A-Fa-f]{1,6}\}", body[i:]):  # NSIS 3 code point define
            code = re.match(r"\$\{U\+([0-9A-Fa-f]{1,6})\}", body[i:])
            out.append(chr(int(code.group(1), 16)))  # type: ignore[union-attr]
            i += len(code.group(0))  # type: ignore[union-attr]
        else:
            match = re.match(r"\$(\{[^}]*\}|\([^)]*\)|[A-Za-z_][A-Za-z0-9_.]*|\d)", body[i:])
            out.append("\0")
            i += len(match.group(0)) if match else 1
    return "".join(out)


def nsis_view(text: str) -> tuple[str, list[str]]:
    """Mask every string and comment of an NSIS script; decode the strings."""
    code, strings = [], []
    for line in text.split("\n"):  # makensis splits lines at LF only (not at U+0085, U+2028)
        line = line.removesuffix("\r")
        out, i, token_start = [], 0, True
        while i < len(line):
            ch = line[i]
            if ch in "\"'`" and token_start:
                j, body = i + 1, []
                while j < len(line) and line[j] != ch:
                    if line.startswith("$$", j):
                        body.append("$$")
                        j += 2
                    elif line.startswith("$\\", j):
                        body.append(line[j:j + 3])
                        j += 3
                    else:
                        body.append(line[j])
                        j += 1
                assert j < len(line), f"unterminated NSIS string: {line!r}"
                strings.append(nsis_decode("".join(body)))
                out.append(ch + "S" + ch)
                i, token_start = j + 1, False
                continue
            if ch in ";#" and token_start:
                out.append(";C")
                break
            out.append(ch)
            token_start = ch in " \t"
            i += 1
        code.append("".join(out))
    return "\n".join(code), strings


def render_all(plan, work: Path, schema: etree.XMLSchema) -> Rendered:
    choco_dir, nsis_dir = work / "chocolatey", work / "nsis"
    chocolatey.render(plan, web_payload(plan), choco_dir)
    nsis.render(plan, web_payload(plan), nsis_dir)
    nuspec = etree.parse(str(choco_dir / chocolatey.nuspec_name(plan)))
    assert schema.validate(nuspec), schema.error_log
    codes, literals = [], []
    for script in sorted((choco_dir / "tools").glob("*.ps1")):
        code, values = ps_view(script.read_text(encoding="utf-8-sig"))
        codes.append(code)
        literals += values
    nsi_code, nsi_strings = nsis_view((nsis_dir / "installer.nsi").read_text(encoding="utf-8"))
    tags = [el.tag for el in nuspec.getroot().iter()]
    return Rendered(nuspec, tags, codes, literals, nsi_code, nsi_strings, nsis_dir)


@pytest.fixture(scope="module")
def nuspec_schema() -> etree.XMLSchema:
    """The Chocolatey XSD (a test oracle in ../shared/reference: read when a test needs it)."""
    text = reference_file("chocolatey-nuspec.xsd").read_text(encoding="utf-8")
    return etree.XMLSchema(etree.fromstring(text.replace("{0}", NUSPEC_NS).encode("utf-8")))


def nuspec_text(doc: etree._ElementTree, element: str) -> str | None:
    found = doc.getroot().find(f"{{{NUSPEC_NS}}}metadata/{{{NUSPEC_NS}}}{element}")
    return None if found is None else (found.text or "")


# ---------------------------------------------------------------------------- baselines

_BASELINES: dict[str, tuple[Rendered, dict[str, bool]]] = {}


def baseline(case: FieldCase, schema: etree.XMLSchema) -> tuple[Rendered, dict[str, bool]]:
    """The outputs for the benign value, and which outputs carry the field at all."""
    if case.path not in _BASELINES:
        recipe = parse_recipe(recipe_data(case, case.benign), "hostile.toml")
        with tempfile.TemporaryDirectory() as tmp:
            out = render_all(build_plan(recipe, fake_lock(recipe)), Path(tmp), schema)
        carried = case.carried_text(case.benign)
        where = {"ps": any(carried in s for s in out.ps_literals),
                 "nsis": any(carried in s for s in out.nsi_strings),
                 "nuspec": bool(case.nuspec)}
        assert any(where.values()), f"{case.path}: the benign value reaches no output"
        _BASELINES[case.path] = (out, where)
    return _BASELINES[case.path]


# ---------------------------------------------------------------------------- the checks


def load_or_refuse(case: FieldCase, value: str):
    """The loaded recipe, or None when the field was refused (the error must name it)."""
    try:
        recipe = parse_recipe(recipe_data(case, value), "hostile.toml")
    except RecipeError as err:
        assert err.field is not None and err.field.startswith(case.path), (
            f"{case.path}={value!r} refused, but the error names {err.field!r}: {err}")
        assert str(err).startswith(f"hostile.toml: {err.field}: ")
        STATS["refused"] += 1
        STATS[f"refused {case.path}"] += 1
        return None
    return recipe


def carried_in(value: str, text: str) -> bool:
    """value is in text, or text is display text cut short ("...") in the middle of value.

    The NSIS welcome page shows the summary and the step titles, cut to half an NSIS string
    with "..." (nsis.welcome_text): a long value arrives there as its beginning.
    """
    if value in text:
        return True
    if not text.endswith("...") or len(text) < 200:
        return False
    head = text[:-3]
    return any(head.endswith(value[:n]) for n in range(min(len(value), len(head)), 0, -1))


def check_carried(case: FieldCase, value: str, work: Path,
                  schema: etree.XMLSchema) -> Rendered:
    recipe = load_or_refuse(case, value)
    if recipe is None:
        return None  # type: ignore[return-value]
    held = parsed_value(recipe, case)
    if case.path == "python.install_dir":
        assert held == (value.rstrip("\\") if len(value) > 3 else value)
    else:
        assert held == value
    plan = build_plan(recipe, fake_lock(recipe))
    out = render_all(plan, work, schema)
    base, where = baseline(case, schema)
    # No value becomes code: with data masked, the scripts are the benign scripts.
    assert out.ps_code == base.ps_code, f"{case.path}={value!r} changed PowerShell code"
    assert out.nsi_code == base.nsi_code, f"{case.path}={value!r} changed NSIS code"
    assert out.nuspec_tags == base.nuspec_tags
    # ... and the value arrives unchanged.
    carried = case.carried_text(held)
    if case.nuspec:
        expected = " ".join(recipe.package.tags) if case.path == "package.tags" else held
        assert nuspec_text(out.nuspec, case.nuspec) == expected
    if where["ps"]:
        assert any(carried in s for s in out.ps_literals), \
            f"{case.path}={value!r} not found in any PowerShell literal"
    if where["nsis"]:
        assert any(carried_in(carried, s) for s in out.nsi_strings), \
            f"{case.path}={value!r} not found in any NSIS string"
    STATS["accepted"] += 1
    STATS[f"accepted {case.path}"] += 1
    return out


class _CountsReport:
    """Prints the case counts in pytest's terminal summary (seen without -s)."""

    def pytest_terminal_summary(self, terminalreporter) -> None:  # noqa: ANN001 - pytest hook
        if not STATS:
            return
        terminalreporter.write_sep("-", "hostile values")
        terminalreporter.write_line(
            f"{STATS['refused'] + STATS['accepted']} cases: {STATS['refused']} refused at "
            f"recipe load, {STATS['accepted']} rendered and checked, {STATS['compiled']} "
            "compiled by makensis")
        for case in FIELDS:
            terminalreporter.write_line(
                f"  {case.path:<24} refused {STATS['refused ' + case.path]:>5}  "
                f"accepted {STATS['accepted ' + case.path]:>5}")


@pytest.fixture(scope="module", autouse=True)
def report_counts(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("choconsis-hostile-counts"):
        manager.register(_CountsReport(), "choconsis-hostile-counts")
    yield


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                       HealthCheck.data_too_large])


@pytest.mark.parametrize("case", FIELDS, ids=lambda c: c.path)
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(value=hostile, shaped=st.booleans())
def test_hostile_value_is_refused_or_carried_as_data(case, value, shaped, nuspec_schema):
    with tempfile.TemporaryDirectory() as tmp:
        check_carried(case, case.prefix + value if shaped else value, Path(tmp), nuspec_schema)


@pytest.mark.parametrize("case", FIELDS, ids=lambda c: c.path)
def test_benign_value_reaches_an_output(case, nuspec_schema):
    _, where = baseline(case, nuspec_schema)
    assert any(where.values())


def test_nsis_decoder_tells_escaped_dollars_from_variables():
    assert nsis_decode("a$$INSTDIR b") == "a$INSTDIR b"
    assert nsis_decode("a$INSTDIR b") == "a\0 b"
    assert nsis_decode("$$${U+5C}$\\\"") == '$\\"'  # ${U+5C} is a backslash
    assert nsis_decode("$\\\"x$\\n${Y}") == '"x\n\0'
    assert nsis_view('Name "$$\\$\\""')[1] == ['$\\"']
    code, strings = nsis_view('Name "a;b $\\"c" ; comment "x"\nStrCpy $0 \'q\'')
    assert code == 'Name "S" ;C\nStrCpy $0 \'S\''
    assert strings == ['a;b "c', "q"]


def test_ps_view_masks_literals_and_comments():
    code, values = ps_view("$a = 'it''s' # note\n$b = \"x\"\n")
    assert code == "$a = 'S' #C\n$b = \"x\"\n"
    assert values == ["it's"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis is not installed")
@pytest.mark.parametrize("case", FIELDS, ids=lambda c: c.path)
@settings(max_examples=max(1, -(-COMPILES // len(FIELDS))),
          suppress_health_check=[*SETTINGS["suppress_health_check"],
                                 HealthCheck.filter_too_much],
          deadline=None)
@given(value=hostile, shaped=st.booleans())
def test_makensis_compiles_hostile_values_without_warnings(case, value, shaped, nuspec_schema):
    """Values each field accepts compile (only accepted ones count as examples)."""
    value = case.prefix + value if shaped else value
    with tempfile.TemporaryDirectory() as tmp:
        out = check_carried(case, value, Path(tmp), nuspec_schema)
        assume(out is not None)
        recipe = parse_recipe(recipe_data(case, value), "hostile.toml")
        exe = Path(tmp) / "hostile-setup.exe"
        nsis.compile_installer(out.nsis_dir, exe, plan=build_plan(recipe, fake_lock(recipe)))
        assert exe.stat().st_size > 0
        STATS["compiled"] += 1
