"""The recipe: a typed schema that is the single source for validation and for the docs.

A recipe is a TOML file. :data:`SCHEMA` lists every section and field with its type, default
and meaning; :func:`load_recipe` checks a file against it and returns a frozen :class:`Recipe`,
or raises :class:`RecipeError` naming the file, the field and what was expected.
:func:`schema_markdown` renders the same schema as the reference page in the README.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ..errors import RecipeError
from ..backends.escaping import NSIS_MAX_STRLEN, unsafe_reason

DEFAULT_RECIPE = "openstack-clients"
DEFAULT_INDEX_URL = "https://pypi.org/simple"
DEFAULT_VALID_EXIT_CODES = (0, 3010, 1641)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
PLACEHOLDERS = ("install_dir",)

# ---------------------------------------------------------------------------- value checks
# Each check takes the raw TOML value and returns the typed value, or raises _Bad(problem).


class _Bad(Exception):
    pass


_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def _text(value: Any, *, multiline: bool = False, max_len: int = NSIS_MAX_STRLEN - 1) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected a string, got {_tname(value)}")
    why = unsafe_reason(value, multiline=multiline)
    if why:
        raise _Bad(why)
    if len(value) > max_len:
        raise _Bad(f"is {len(value)} characters long; at most {max_len} fit in an NSIS string")
    return value


def _line(value: Any) -> str:
    return _text(value)


def _nonempty_line(value: Any) -> str:
    text = _text(value)
    if not text.strip():
        raise _Bad("must not be empty")
    return text


def _paragraph(value: Any) -> str:
    return _text(value, multiline=True, max_len=4000)


def _templated(value: Any) -> str:
    """A string that may hold {install_dir}; any other {...} is refused."""
    text = _text(value)
    for name in _PLACEHOLDER_RE.findall(text):
        if name not in PLACEHOLDERS:
            raise _Bad(
                f"unknown placeholder {{{name}}}; allowed: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            )
    if re.search(r"(?<!\{)[{}](?![^{]*\})", _PLACEHOLDER_RE.sub("", text)):
        raise _Bad("has an unmatched brace")
    return text


# Room an NSIS back end needs around a recipe's list of arguments inside one NSIS string: the
# program (python.exe, msiexec.exe or the downloaded file, each written as an NSIS variable),
# fixed switches, and $INSTDIR in place of each {install_dir}.
COMMAND_ROOM = 200


def _command_list(value: Any) -> tuple[str, ...]:
    """A list of arguments that becomes one command line inside one NSIS string.

    Each item is checked alone (_templated); then the whole list, quoted for a Windows
    command line and escaped for NSIS, must leave COMMAND_ROOM characters free.
    """
    from ..backends.escaping import nsis_string, windows_command_line

    items = _string_list(_templated)(value)
    text = windows_command_line([i.replace("{install_dir}", "$INSTDIR") for i in items])
    try:
        size = len(nsis_string(text)) - 2
    except ValueError:
        size = NSIS_MAX_STRLEN
    if size + COMMAND_ROOM >= NSIS_MAX_STRLEN:
        raise _Bad(f"is {size} characters once quoted as a command line and escaped for NSIS; "
                   f"at most {NSIS_MAX_STRLEN - COMMAND_ROOM - 1} fit beside the program it "
                   "is passed to")
    return items


def _url(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        pass
    elif parts.scheme == "http" and host in LOOPBACK_HOSTS:
        pass
    elif parts.scheme in ("http", "https"):
        raise _Bad(f"must use https:// (plain http is allowed only on loopback hosts): {text}")
    else:
        raise _Bad(f"expected an https:// URL, got {text!r}")
    if any(c in text for c in " \"'<>`"):
        raise _Bad("contains characters that must be percent-encoded (space, quotes, <, >, `)")
    # RFC 3986 characters only (the nuspec's xs:anyURI refuses the others): [ ] only around
    # an IPv6 host, % only as %XX.
    bad = re.search(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]", text) or re.search(
        r"[\[\]]", text[len(parts.scheme) + 3 + len(parts.netloc):])
    if bad:
        raise _Bad(f"character {bad.group()!r} must be percent-encoded in a URL")
    if text.count("#") > 1:
        raise _Bad("has more than one '#': a '#' inside the fragment must be written %23")
    bad_escape = re.search(r"%(?![0-9A-Fa-f]{2})", text)
    if bad_escape:
        raise _Bad(f"has a % not followed by two hex digits at position {bad_escape.start() + 1} "
                   "(write a literal % as %25)")
    return text


def _optional_url(value: Any) -> str:
    return "" if value == "" else _url(value)


def _download_url(value: Any) -> str:
    url = _url(value)
    if not url_filename(url):
        raise _Bad(f"does not end in a file name: {url}")
    return url


def _sha256(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise _Bad("expected 64 hexadecimal digits (a sha256)")
    return value.lower()


PACKAGE_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9]")


def _package_id(value: Any) -> str:
    text = _text(value)
    if len(text) > 100 or not PACKAGE_ID_RE.fullmatch(text) or ".." in text:
        raise _Bad(
            "expected a lowercase Chocolatey package id (letters, digits, '.', '-', '_'; "
            f"starting and ending with a letter or digit), got {text!r}"
        )
    return text


CHOCO_VERSION_RE = re.compile(r"\d+(\.\d+){1,3}(-[0-9A-Za-z]+)?")


def _package_version(value: Any) -> str:
    text = _text(value)
    if not CHOCO_VERSION_RE.fullmatch(text):
        raise _Bad(
            "expected a Chocolatey version: 2 to 4 dot-separated numbers and an optional "
            f"-prerelease tag (e.g. 1.2.3 or 1.2.3.20261126), got {text!r}"
        )
    return text


def _python_version(value: Any) -> str:
    text = _text(value)
    if not re.fullmatch(r"[23]\.\d+\.\d+", text):
        raise _Bad(f"expected a full Python version such as 3.14.7, got {text!r}")
    return text


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise _Bad(f"expected one of {', '.join(map(repr, options))}, got {value!r}")
        return value

    check.__doc__ = " | ".join(map(repr, options))
    return check


def _string_list(item: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise _Bad(f"expected a list of strings, got {_tname(value)}")
        out = []
        for i, entry in enumerate(value):
            try:
                out.append(item(entry))
            except _Bad as bad:
                raise _Bad(f"item {i + 1}: {bad}") from None
        return tuple(out)

    return check


def _tags(value: Any) -> tuple[str, ...]:
    tags = _string_list(_nonempty_line)(value)
    for tag in tags:
        if any(c.isspace() for c in tag):
            raise _Bad(f"a tag cannot contain spaces: {tag!r}")
    return tags


def _exit_codes(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad("expected a non-empty list of integers")
    for code in value:
        if not isinstance(code, int) or isinstance(code, bool) or not -(2**31) <= code < 2**32:
            raise _Bad(f"expected integer exit codes, got {code!r}")
    return tuple(value)


def _requirement(value: Any) -> str:
    text = _nonempty_line(value)
    try:
        req = Requirement(text)
    except InvalidRequirement as err:
        raise _Bad(f"not a valid requirement {text!r}: {err}") from None
    pins = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
    if req.url or len(pins) != 1 or len(req.specifier) != 1:
        raise _Bad(f"expected a pinned requirement name==version, got {text!r}")
    return text


def _project_name(value: Any) -> str:
    text = _nonempty_line(value)
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", text):
        raise _Bad(f"expected a project name such as pyOpenSSL, got {text!r}")
    return text


def _requirements(value: Any) -> tuple[str, ...]:
    reqs = _string_list(_requirement)(value)
    if not reqs:
        raise _Bad("must name at least one requirement")
    return reqs


def _install_dir(value: Any) -> str:
    text = _nonempty_line(value)
    if not re.fullmatch(r"[A-Za-z]:\\[^<>\"/|?*{}]*", text) or "\\\\" in text:
        raise _Bad(
            "expected an absolute Windows folder such as C:\\Python314 "
            f"(no / < > \" | ? * {{ }}), got {text!r}"
        )
    if ".." in text.split("\\"):
        raise _Bad("must not contain '..'")
    return text.rstrip("\\") if len(text) > 3 else text


CHECK_COMMAND_RE = re.compile(r"[A-Za-z0-9_.-]+( [A-Za-z0-9_.:/=+,@\\-]+)*")


def _check_command(value: Any) -> str:
    """A program name and plain arguments: it runs through cmd.exe /c, so no shell syntax."""
    text = _nonempty_line(value)
    if not CHECK_COMMAND_RE.fullmatch(text):
        raise _Bad(
            "expected a program name and plain arguments separated by single spaces "
            "(letters, digits and _ . - : / = + , @ \\); shell syntax such as quotes, "
            f"& | < > ^ % ! $ is not allowed, got {text!r}"
        )
    if len(text) + COMMAND_ROOM >= NSIS_MAX_STRLEN:  # it runs as cmd.exe /d /c "COMMAND"
        raise _Bad(f"is {len(text)} characters long; at most "
                   f"{NSIS_MAX_STRLEN - COMMAND_ROOM - 1} fit in the installer's command line")
    return text


def _tname(value: Any) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean", list: "a list",
            dict: "a table", float: "a number"}.get(type(value), type(value).__name__)


# ---------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Field:
    name: str
    check: Callable[[Any], Any]
    doc: str
    required: bool = True
    default: Any = None
    type_doc: str = "string"


@dataclass(frozen=True)
class Section:
    name: str
    doc: str
    fields: tuple[Field, ...]
    array: bool = False  # [[name]]: a list of tables
    required: bool = True


SCHEMA: tuple[Section, ...] = (
    Section("package", "Package metadata (Chocolatey nuspec, Add/Remove Programs entry).", (
        Field("id", _package_id, "Chocolatey package id, lowercase (e.g. openstack-clients)."),
        Field("version", _package_version, "Package version (Chocolatey rules; a repackaging "
              "of the same upstream version uses the date fix notation 1.2.3.YYYYMMDD)."),
        Field("title", _nonempty_line, "Human title."),
        Field("authors", _nonempty_line, "Authors of the software being packaged."),
        Field("summary", _nonempty_line, "One-line summary."),
        Field("description", _paragraph, "Long description (Markdown; may span lines).",
              type_doc="string (multi-line)"),
        Field("project_url", _url, "Home page of the software.", type_doc="https URL"),
        Field("license_url", _url, "License of the software.", type_doc="https URL"),
        Field("package_source_url", _optional_url, "Where this recipe lives.", False, "",
              type_doc="https URL"),
        Field("docs_url", _optional_url, "Documentation.", False, "", type_doc="https URL"),
        Field("bug_tracker_url", _optional_url, "Bug tracker.", False, "",
              type_doc="https URL"),
        Field("tags", _tags, "Tags (no spaces in a tag).", False, (), type_doc="list of strings"),
        Field("release_notes", _paragraph, "What changed in this package version.", False, "",
              type_doc="string (multi-line)"),
        Field("copyright", _line, "Copyright line.", False, ""),
        Field("icon_url", _optional_url, "Package icon.", False, "", type_doc="https URL"),
    )),
    Section("python", "The Python runtime installed first.", (
        Field("version", _python_version, "Full version of the runtime, e.g. 3.14.7."),
        Field("arch", _choice("amd64", "x86"), "Architecture of runtime and installer.",
              type_doc='"amd64" | "x86"'),
        Field("installer", _choice("exe", "msi", "zip"),
              "Kind of runtime installer: python.org EXE, MSI, or a zip archive with "
              "python.exe at its root, unpacked into install_dir.",
              type_doc='"exe" | "msi" | "zip"'),
        Field("url", _download_url, "Where the runtime installer is downloaded from.",
              type_doc="https URL"),
        Field("sha256", _sha256, "sha256 of the file at url.", type_doc="hex string"),
        Field("install_dir", _install_dir, "Default install folder (overridable at install time: "
              "NSIS /D=, Chocolatey /InstallDir:).", type_doc="Windows path"),
        Field("args", _command_list, "Replaces the default silent switches of the "
              "runtime installer (may use {install_dir}).", False, None,
              type_doc="list of strings"),
    )),
    Section("installer", "Extra installers run after Python, in order.", (
        Field("name", _nonempty_line, "Name shown in logs and errors."),
        Field("kind", _choice("msi", "exe"), "msi (run with msiexec /i ... /qn /norestart) "
              "or exe.", type_doc='"msi" | "exe"'),
        Field("url", _download_url, "Where the installer is downloaded from.",
              type_doc="https URL"),
        Field("sha256", _sha256, "sha256 of the file at url.", type_doc="hex string"),
        Field("args", _command_list, "Arguments: MSI properties (msi) or silent "
              "switches (exe); may use {install_dir}.", False, (), type_doc="list of strings"),
        Field("valid_exit_codes", _exit_codes, "Exit codes that mean success (3010 and 1641 "
              "mean success with a reboot required).", False, DEFAULT_VALID_EXIT_CODES,
              type_doc="list of integers"),
    ), array=True, required=False),
    Section("path", "PATH changes made after the installers.", (
        Field("prepend", _command_list, "Folders put at the front of PATH "
              "(may use {install_dir}).", type_doc="list of strings"),
        Field("scope", _choice("machine", "user"), "Which PATH: machine or user.", False,
              "machine", type_doc='"machine" | "user"'),
    ), required=False),
    Section("pip", "Python packages installed with the runtime's pip, from the recipe's lock.", (
        Field("requirements", _requirements, "Pinned requirements name==version.",
              type_doc="list of strings"),
        Field("index_url", _url, "Package index (as pip's --index-url).", False,
              DEFAULT_INDEX_URL, type_doc="https URL"),
        Field("provided", _string_list(_project_name), "Distributions an extra installer "
              "already provides (e.g. pyOpenSSL from its MSI): left out of the lock together "
              "with what only they need, so pip neither replaces nor shadows them.", False, (),
              type_doc="list of names"),
    )),
    Section("check", "What proves an install works.", (
        Field("command", _check_command, "Command run after install through the new PATH, "
              "e.g. 'openstack --version'."),
    )),
)


# ---------------------------------------------------------------------------- the typed recipe


@dataclass(frozen=True)
class PackageMeta:
    id: str
    version: str
    title: str
    authors: str
    summary: str
    description: str
    project_url: str
    license_url: str
    package_source_url: str = ""
    docs_url: str = ""
    bug_tracker_url: str = ""
    tags: tuple[str, ...] = ()
    release_notes: str = ""
    copyright: str = ""
    icon_url: str = ""


@dataclass(frozen=True)
class PythonRuntime:
    version: str
    arch: str
    installer: str
    url: str
    sha256: str
    install_dir: str
    args: tuple[str, ...] | None = None

    @property
    def tag(self) -> str:
        """cp314 for 3.14.x."""
        major, minor, _ = self.version.split(".")
        return f"cp{major}{minor}"

    @property
    def minor_version(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def platform(self) -> str:
        """The wheel platform tag of the target."""
        return "win_amd64" if self.arch == "amd64" else "win32"


@dataclass(frozen=True)
class ExtraInstaller:
    name: str
    kind: str
    url: str
    sha256: str
    args: tuple[str, ...] = ()
    valid_exit_codes: tuple[int, ...] = DEFAULT_VALID_EXIT_CODES


@dataclass(frozen=True)
class PathChange:
    prepend: tuple[str, ...] = ()
    scope: str = "machine"


@dataclass(frozen=True)
class PipConfig:
    requirements: tuple[str, ...]
    index_url: str = DEFAULT_INDEX_URL
    provided: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckConfig:
    command: str


@dataclass(frozen=True)
class Recipe:
    package: PackageMeta
    python: PythonRuntime
    pip: PipConfig
    check: CheckConfig
    installers: tuple[ExtraInstaller, ...] = ()
    path: PathChange = field(default_factory=PathChange)
    source: str = "<recipe>"  # file name, for messages
    lock_path: Path | None = None  # where this recipe's lock lives (beside the recipe)

    @property
    def name(self) -> str:
        return Path(self.source).stem


_SECTION_TYPES = {
    "package": PackageMeta,
    "python": PythonRuntime,
    "installer": ExtraInstaller,
    "path": PathChange,
    "pip": PipConfig,
    "check": CheckConfig,
}


# ---------------------------------------------------------------------------- loading


def url_filename(url: str) -> str:
    """The file name at the end of a URL's path (how --artifacts finds files)."""
    from urllib.parse import unquote

    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not name or name in (".", "..") or any(c in name for c in '\\/:*?"<>|'):
        return ""
    return name


def lock_path_for(recipe_path: Path) -> Path:
    """A recipe's lock lives beside it: recipes/x.toml -> recipes/x.lock."""
    return recipe_path.with_suffix(".lock")


def _check_section(source: str, section: Section, table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise RecipeError(source, where, f"expected a table, got {_tname(table)}")
    known = {f.name for f in section.fields}
    for key in table:
        if key not in known:
            raise RecipeError(
                source, f"{where}.{key}",
                f"unknown field; [{section.name}] takes: {', '.join(sorted(known))}",
            )
    values: dict[str, Any] = {}
    for fld in section.fields:
        if fld.name not in table:
            if fld.required:
                raise RecipeError(source, f"{where}.{fld.name}",
                                  f"missing required field ({fld.type_doc}: {fld.doc})")
            values[fld.name] = fld.default
            continue
        try:
            values[fld.name] = fld.check(table[fld.name])
        except _Bad as bad:
            raise RecipeError(source, f"{where}.{fld.name}", str(bad)) from None
    return values


def parse_recipe(data: dict[str, Any], source: str = "<recipe>",
                 lock_path: Path | None = None) -> Recipe:
    """Check parsed TOML against :data:`SCHEMA` and build the typed :class:`Recipe`."""
    known = {s.name for s in SCHEMA}
    for key in data:
        if key not in known:
            raise RecipeError(source, key,
                              f"unknown section; a recipe has: {', '.join(sorted(known))}")
    built: dict[str, Any] = {}
    for section in SCHEMA:
        cls = _SECTION_TYPES[section.name]
        if section.name not in data:
            if section.required:
                raise RecipeError(source, f"[{section.name}]", "missing required section")
            continue
        raw = data[section.name]
        if section.array:
            if not isinstance(raw, list):
                raise RecipeError(source, section.name,
                                  f"expected [[{section.name}]] tables, got {_tname(raw)}")
            built[section.name] = tuple(
                cls(**_check_section(source, section, item, f"{section.name}[{i + 1}]"))
                for i, item in enumerate(raw)
            )
        else:
            built[section.name] = cls(**_check_section(source, section, raw, section.name))
    recipe = Recipe(
        package=built["package"], python=built["python"], pip=built["pip"],
        check=built["check"], installers=built.get("installer", ()),
        path=built.get("path", PathChange()), source=source, lock_path=lock_path,
    )
    _check_whole(recipe)
    return recipe


def _check_whole(recipe: Recipe) -> None:
    """Rules that relate fields to each other."""
    src = recipe.source
    names = [i.name for i in recipe.installers]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise RecipeError(src, f"installer[{i + 1}].name", f"duplicate installer name {name!r}")
    files = [url_filename(recipe.python.url)] + [url_filename(i.url) for i in recipe.installers]
    for i, name in enumerate(files):
        if files.index(name) != i:
            raise RecipeError(src, f"installer[{i}].url",
                              f"file name {name!r} is used by two downloads; they would collide")
    if recipe.python.installer == "zip" and not files[0].lower().endswith(".zip"):
        raise RecipeError(src, "python.url", "installer = \"zip\" needs a .zip file")
    if recipe.python.installer == "msi" and not files[0].lower().endswith(".msi"):
        raise RecipeError(src, "python.url", "installer = \"msi\" needs a .msi file")
    if recipe.python.installer == "exe" and not files[0].lower().endswith(".exe"):
        raise RecipeError(src, "python.url", "installer = \"exe\" needs a .exe file")
    arg_lists = [("python.args", recipe.python.args or ())] + [
        (f"installer[{i + 1}].args", inst.args) for i, inst in enumerate(recipe.installers)]
    for where, args in arg_lists:
        for arg in args[:-1]:
            if arg.upper().startswith("/D="):
                raise RecipeError(src, where, "/D= (an NSIS installer's folder) must be the "
                                  "last argument: NSIS reads it to the end of the line")
    for i, inst in enumerate(recipe.installers):
        if not url_filename(inst.url).lower().endswith("." + inst.kind):
            raise RecipeError(src, f"installer[{i + 1}].url",
                              f"kind = {inst.kind!r} needs a .{inst.kind} file")
    seen: set[str] = set()
    for i, req in enumerate(recipe.pip.requirements):
        name = Requirement(req).name.lower().replace("_", "-").replace(".", "-")
        if name in seen:
            raise RecipeError(src, f"pip.requirements[{i + 1}]", f"{name} is listed twice")
        seen.add(name)
    try:
        Version(recipe.python.version)
    except InvalidVersion:  # pragma: no cover - the regex already guarantees it
        raise RecipeError(src, "python.version", "not a version") from None


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file; its lock is expected beside it."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(source, None, "no such recipe file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RecipeError(source, None, f"cannot read the recipe: {err}") from None
    return loads_recipe(text, source, lock_path_for(path))


def loads_recipe(text: str, source: str = "<recipe>", lock_path: Path | None = None) -> Recipe:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RecipeError(source, None, f"not valid TOML: {err}") from None
    return parse_recipe(data, source, lock_path)


def builtin_recipe_path(name: str = DEFAULT_RECIPE) -> Path:
    """Path of a recipe shipped inside the package (recipes/NAME.toml)."""
    from ..backends.templating import template_dir

    candidate = template_dir("choconsis._recipes") / f"{name}.toml"
    if not candidate.is_file():
        raise RecipeError(f"{name}.toml", None, "no such built-in recipe")
    return candidate


def resolve_recipe_arg(arg: str | None) -> Path:
    """A command-line recipe argument: a path, a built-in name, or None for the default."""
    if arg is None:
        return builtin_recipe_path()
    path = Path(arg)
    if path.exists() or arg.endswith(".toml") or "/" in arg or "\\" in arg:
        return path
    return builtin_recipe_path(arg)


def schema_markdown() -> str:
    """The recipe reference, generated from :data:`SCHEMA` (kept in the README)."""
    lines = []
    for section in SCHEMA:
        head = f"[[{section.name}]]" if section.array else f"[{section.name}]"
        opt = "" if section.required else " (optional)"
        lines += [f"### `{head}`{opt}", "", section.doc, "",
                  "| field | type | required | default | meaning |", "|---|---|---|---|---|"]
        for f in section.fields:
            default = "" if f.required else f"`{f.default!r}`" if f.default not in ("", None) else ""
            lines.append(f"| `{f.name}` | {f.type_doc} | {'yes' if f.required else 'no'} | "
                         f"{default} | {f.doc} |")
        lines.append("")
    return "\n".join(lines)
