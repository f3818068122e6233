"""PowerShell source analysis with tree-sitter-powershell (a real PowerShell grammar).

Install scripts cannot run on Linux, so they are proved by parsing: :func:`syntax_errors`
reports every ERROR or MISSING node, and :class:`Script` gives the lint rules of ``check.py``
the commands, splatted hashtables, variables, strings and comments of a script.

Known grammar limit (tree-sitter-powershell 0.25): a parameter name holding digits, such as
``-Url64bit``, is misread as a parameter plus a redirection. The source is therefore parsed
with the digits of such parameter names masked by letters (same length, so every position
holds), and all text is read back from the original source. Generated scripts avoid the
question altogether by splatting hashtables (``@packageArgs``), as Chocolatey's templates do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from ..errors import BuildError

BOM = "\ufeff"
_DIGIT_PARAMETER = re.compile(rb"(?<=[\s(])-[A-Za-z][A-Za-z_]*[0-9][A-Za-z0-9_]*")


@lru_cache(maxsize=1)
def _parser():  # type: ignore[no-untyped-def]
    try:
        import tree_sitter
        import tree_sitter_powershell
    except ImportError:  # pragma: no cover - both are install requirements
        raise BuildError("PowerShell checks need the Python packages tree-sitter and "
                         "tree-sitter-powershell: pip install tree-sitter "
                         "tree-sitter-powershell") from None
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


@dataclass(frozen=True)
class SyntaxProblem:
    line: int  # 1-based
    column: int  # 1-based, in characters of the line
    message: str


def walk(node) -> Iterator:  # type: ignore[no-untyped-def]
    """Every node under ``node`` (included), depth first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _masked(source: bytes) -> bytes:
    """``source`` with the digits of parameter names such as -Url64bit replaced by 'x'."""
    return _DIGIT_PARAMETER.sub(lambda m: re.sub(rb"[0-9]", b"x", m.group()), source)


def parse(text: str):  # type: ignore[no-untyped-def]
    """Parse PowerShell source (a leading byte order mark is ignored).

    Read node text from the original source (``Script.text_of``), not ``node.text``, which
    holds the masked parameter names.
    """
    return _parser().parse(_masked(text.removeprefix(BOM).encode("utf-8")))


def _position(source: bytes, node) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    row, col_bytes = node.start_point
    line_start = node.start_byte - col_bytes
    column = len(source[line_start:node.start_byte].decode("utf-8", "replace"))
    return row + 1, column + 1


def syntax_errors(text: str) -> list[SyntaxProblem]:
    """Every place the parser could not read (ERROR) or had to invent a token (MISSING)."""
    source = text.removeprefix(BOM).encode("utf-8")
    tree = _parser().parse(_masked(source))
    if not tree.root_node.has_error:
        return []
    problems = []
    for node in walk(tree.root_node):
        if node.is_missing:
            line, col = _position(source, node)
            problems.append(SyntaxProblem(line, col, f"missing {node.type!r}"))
        elif node.type == "ERROR":
            line, col = _position(source, node)
            text_here = source[node.start_byte:node.end_byte].decode("utf-8", "replace")
            snippet = text_here.splitlines()[0][:60] if text_here else ""
            problems.append(SyntaxProblem(line, col, f"cannot parse {snippet!r}"))
    return problems


def verbatim_value(literal: str) -> str:
    """The value of a single-quoted string literal ('it''s' -> it's)."""
    body = literal[1:-1]
    out, i = [], 0
    while i < len(body):
        out.append(body[i])
        # any of the four single-quote forms, doubled, stands for one
        if body[i] in "'\u2018\u2019\u201a\u201b" and i + 1 < len(body) and \
                body[i + 1] in "'\u2018\u2019\u201a\u201b":
            i += 1
        i += 1
    return "".join(out)


def entry_value(entry):  # type: ignore[no-untyped-def]
    """The value node of a hashtable entry (key = value [;])."""
    return next(c for c in entry.children[2:] if c.type != ";")


@dataclass
class Command:
    """One command invocation: its name, -Parameters and the variables splatted into it."""

    name: str
    line: int
    text: str
    parameters: dict[str, str | None] = field(default_factory=dict)  # lowercased, no dash
    splats: list[str] = field(default_factory=list)  # variable names, lowercased, no @


class Script:
    """A parsed script with the views the lint rules need."""

    def __init__(self, text: str):
        self.text = text.removeprefix(BOM)
        self.source = self.text.encode("utf-8")
        self.tree = parse(self.text)
        self._commands: list[Command] | None = None
        self._hashtables: list[tuple[str, int, dict[str, str | None]]] | None = None

    def text_of(self, node) -> str:  # type: ignore[no-untyped-def]
        """A node's text in the original source (the parse saw masked parameter names)."""
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def _literal_value(self, node) -> str | None:  # type: ignore[no-untyped-def]
        """The value of a node that is only a string literal, else None."""
        whole = self.text_of(node).strip()
        for sub in walk(node):
            text = self.text_of(sub)
            if sub.type == "verbatim_string_characters":
                return verbatim_value(text) if text.strip() == whole else None
            if sub.type == "expandable_string_literal" and sub.child_count == 0:
                return text[1:-1] if text.strip() == whole else None
        return None

    def nodes(self, *types: str) -> Iterator:  # type: ignore[no-untyped-def]
        return (n for n in walk(self.tree.root_node) if n.type in types)

    def commands(self) -> list[Command]:
        if self._commands is None:
            self._commands = self._find_commands()
        return self._commands

    def _find_commands(self) -> list[Command]:
        found = []
        for node in self.nodes("command"):
            name_node = next((c for c in node.children
                              if c.type in ("command_name", "command_name_expr")), None)
            if name_node is None:
                continue
            cmd = Command(self.text_of(name_node), node.start_point[0] + 1, self.text_of(node))
            elements = next((c for c in node.children if c.type == "command_elements"), None)
            children = list(elements.children) if elements is not None else []
            for i, child in enumerate(children):
                if child.type == "command_parameter":
                    value = None
                    rest = [c for c in children[i + 1:] if c.type != "command_argument_sep"]
                    if rest and rest[0].type != "command_parameter":
                        value = self._literal_value(rest[0])
                    cmd.parameters[self.text_of(child).lstrip("-").rstrip(":").lower()] = value
                else:
                    for var in walk(child):
                        if var.type == "variable" and self.text_of(var).startswith("@"):
                            cmd.splats.append(self.text_of(var)[1:].lower())
            found.append(cmd)
        return found

    def hashtables(self) -> list[tuple[str, int, dict[str, str | None]]]:
        """Hashtable literals assigned to a variable, in source order:
        (variable name lowercased, line, {key lowercased: literal value or None})."""
        if self._hashtables is None:
            self._hashtables = self._find_hashtables()
        return self._hashtables

    def _find_hashtables(self) -> list[tuple[str, int, dict[str, str | None]]]:
        found = []
        for node in self.nodes("assignment_expression"):
            target = self.text_of(node.children[0]).strip()
            value = node.children[-1]
            table = next((n for n in walk(value) if n.type == "hash_literal_expression"), None)
            if not target.startswith("$") or table is None:
                continue
            entries: dict[str, str | None] = {}
            for entry in walk(table):
                if entry.type != "hash_entry":
                    continue
                key = self.text_of(entry.children[0]).strip().strip("'\"").lower()
                entries[key] = self._literal_value(entry_value(entry))
            found.append((target[1:].lower(), node.start_point[0] + 1, entries))
        return found

    def arguments(self, cmd: Command) -> dict[str, str | None]:
        """A command's named arguments: its -Parameters plus the keys of each hashtable it
        splats (the last assignment of that variable before the command)."""
        merged: dict[str, str | None] = {}
        tables = self.hashtables()
        for name in cmd.splats:
            before = [entries for var, line, entries in tables if var == name and line <= cmd.line]
            if before:
                merged.update(before[-1])
        merged.update(cmd.parameters)
        return merged

    def variables(self) -> list[tuple[str, int]]:
        return [(self.text_of(n), n.start_point[0] + 1) for n in self.nodes("variable")]

    def strings(self) -> list[tuple[str, int]]:
        return [(self.text_of(n), n.start_point[0] + 1) for n in self.nodes("string_literal")]

    def comments(self) -> list[tuple[str, int]]:
        return [(self.text_of(n), n.start_point[0] + 1) for n in self.nodes("comment")]
