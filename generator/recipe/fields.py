"""Checks of recipe values: each ``as_*`` takes the raw TOML value and returns the typed
value, or raises :class:`Bad` saying what is wrong (the loader adds the file and the field).

Values that cannot be carried safely into XML, PowerShell and NSIS are refused here.
"""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from ..escaping import NSIS_MAX_STRLEN, nsis_string, unsafe_reason, windows_command_line

DEFAULT_RECIPE = "openstack-clients"
DEFAULT_INDEX_URL = "https://pypi.org/simple"
DEFAULT_VALID_EXIT_CODES = (0, 3010, 1641)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# {install_dir}: the folder setup.exe installs into (its /D=, Chocolatey's /InstallDir:);
# {runtime_dir}: the Python runtime's folder (the same folder with environment = "runtime").
PLACEHOLDERS = ("install_dir", "runtime_dir")



class Bad(Exception):
    pass


_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def as_text(value: Any, *, multiline: bool = False, max_len: int = NSIS_MAX_STRLEN - 1) -> str:
    if not isinstance(value, str):
        raise Bad(f"expected a string, got {tname(value)}")
    why = unsafe_reason(value, multiline=multiline)
    if why:
        raise Bad(why)
    if len(value) > max_len:
        raise Bad(f"is {len(value)} characters long; at most {max_len} fit in an NSIS string")
    return value


def as_line(value: Any) -> str:
    return as_text(value)


def as_nonempty_line(value: Any) -> str:
    text = as_text(value)
    if not text.strip():
        raise Bad("must not be empty")
    return text


def as_paragraph(value: Any) -> str:
    return as_text(value, multiline=True, max_len=4000)


def as_templated(value: Any) -> str:
    """A string that may hold {install_dir} or {runtime_dir}; any other {...} is refused."""
    text = as_text(value)
    for name in _PLACEHOLDER_RE.findall(text):
        if name not in PLACEHOLDERS:
            raise Bad(
                f"unknown placeholder {{{name}}}; allowed: "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            )
    if re.search(r"(?<!\{)[{}](?![^{]*\})", _PLACEHOLDER_RE.sub("", text)):
        raise Bad("has an unmatched brace")
    return text


# Room an NSIS back end needs around a recipe's list of arguments inside one NSIS string: the
# program (python.exe, msiexec.exe or the downloaded file, each written as an NSIS variable),
# fixed switches, and $INSTDIR in place of each {install_dir}.
COMMAND_ROOM = 200


def as_command_list(value: Any) -> tuple[str, ...]:
    """A list of arguments that becomes one command line inside one NSIS string.

    Each item is checked alone (as_templated); then the whole list, quoted for a Windows
    command line and escaped for NSIS, must leave COMMAND_ROOM characters free.
    """
    items = as_string_list(as_templated)(value)
    text = windows_command_line([i.replace("{install_dir}", "$INSTDIR")
                                 .replace("{runtime_dir}", "$RuntimeDir") for i in items])
    try:
        size = len(nsis_string(text)) - 2
    except ValueError:
        size = NSIS_MAX_STRLEN
    if size + COMMAND_ROOM >= NSIS_MAX_STRLEN:
        raise Bad(f"is {size} characters once quoted as a command line and escaped for NSIS; "
                  f"at most {NSIS_MAX_STRLEN - COMMAND_ROOM - 1} fit beside the program it "
                  "is passed to")
    return items


def as_url(value: Any) -> str:
    text = as_text(value)
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        pass
    elif parts.scheme == "http" and host in LOOPBACK_HOSTS:
        pass
    elif parts.scheme in ("http", "https"):
        raise Bad(f"must use https:// (plain http is allowed only on loopback hosts): {text}")
    else:
        raise Bad(f"expected an https:// URL, got {text!r}")
    if any(c in text for c in " \"'<>`"):
        raise Bad("contains characters that must be percent-encoded (space, quotes, <, >, `)")
    # RFC 3986 characters only (the nuspec's xs:anyURI refuses the others): [ ] only around
    # an IPv6 host, % only as %XX.
    bad = re.search(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]", text) or re.search(
        r"[\[\]]", text[len(parts.scheme) + 3 + len(parts.netloc):])
    if bad:
        raise Bad(f"character {bad.group()!r} must be percent-encoded in a URL")
    if text.count("#") > 1:
        raise Bad("has more than one '#': a '#' inside the fragment must be written %23")
    bad_escape = re.search(r"%(?![0-9A-Fa-f]{2})", text)
    if bad_escape:
        raise Bad(f"has a % not followed by two hex digits at position {bad_escape.start() + 1} "
                  "(write a literal % as %25)")
    return text


def as_optional_url(value: Any) -> str:
    return "" if value == "" else as_url(value)


def as_download_url(value: Any) -> str:
    url = as_url(value)
    if not url_filename(url):
        raise Bad(f"does not end in a file name: {url}")
    return url


def as_sha256(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raise Bad("expected 64 hexadecimal digits (a sha256)")
    return value.lower()


PACKAGE_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9]")


def as_package_id(value: Any) -> str:
    text = as_text(value)
    if len(text) > 100 or not PACKAGE_ID_RE.fullmatch(text) or ".." in text:
        raise Bad(
            "expected a lowercase Chocolatey package id (letters, digits, '.', '-', '_'; "
            f"starting and ending with a letter or digit), got {text!r}"
        )
    return text


CHOCO_VERSION_RE = re.compile(r"\d+(\.\d+){1,3}(-[0-9A-Za-z]+)?")


def as_package_version(value: Any) -> str:
    text = as_text(value)
    if not CHOCO_VERSION_RE.fullmatch(text):
        raise Bad(
            "expected a Chocolatey version: 2 to 4 dot-separated numbers and an optional "
            f"-prerelease tag (e.g. 1.2.3 or 1.2.3.20261126), got {text!r}"
        )
    return text


def as_python_version(value: Any) -> str:
    text = as_text(value)
    if not re.fullmatch(r"[23]\.\d+\.\d+", text):
        raise Bad(f"expected a full Python version such as 3.14.7, got {text!r}")
    return text


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Bad(f"expected true or false, got {tname(value)}")
    return value


def as_choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise Bad(f"expected one of {', '.join(map(repr, options))}, got {value!r}")
        return value

    check.__doc__ = " | ".join(map(repr, options))
    return check


def as_string_list(item: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise Bad(f"expected a list of strings, got {tname(value)}")
        out = []
        for i, entry in enumerate(value):
            try:
                out.append(item(entry))
            except Bad as bad:
                raise Bad(f"item {i + 1}: {bad}") from None
        return tuple(out)

    return check


def as_tags(value: Any) -> tuple[str, ...]:
    tags = as_string_list(as_nonempty_line)(value)
    for tag in tags:
        if any(c.isspace() for c in tag):
            raise Bad(f"a tag cannot contain spaces: {tag!r}")
    return tags


def as_exit_codes(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise Bad("expected a non-empty list of integers")
    for code in value:
        if not isinstance(code, int) or isinstance(code, bool) or not -(2**31) <= code < 2**32:
            raise Bad(f"expected integer exit codes, got {code!r}")
    return tuple(value)


def as_requirement(value: Any) -> str:
    text = as_nonempty_line(value)
    try:
        req = Requirement(text)
    except InvalidRequirement as err:
        raise Bad(f"not a valid requirement {text!r}: {err}") from None
    pins = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
    if req.url or len(pins) != 1 or len(req.specifier) != 1:
        raise Bad(f"expected a pinned requirement name==version, got {text!r}")
    return text


def as_project_name(value: Any) -> str:
    text = as_nonempty_line(value)
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", text):
        raise Bad(f"expected a project name such as pyOpenSSL, got {text!r}")
    return text


def as_requirements(value: Any) -> tuple[str, ...]:
    reqs = as_string_list(as_requirement)(value)
    if not reqs:
        raise Bad("must name at least one requirement")
    return reqs


MAX_INSTALL_DIR = 150  # leaves 110 characters for the paths of the files below the folder


def as_install_dir(value: Any) -> str:
    text = as_nonempty_line(value)
    if not re.fullmatch(r"[A-Za-z]:\\[^<>\"/|?*{}]*", text) or "\\\\" in text:
        raise Bad(
            "expected an absolute Windows folder such as C:\\Python314 "
            f"(no / < > \" | ? * {{ }}), got {text!r}"
        )
    if ".." in text.split("\\"):
        raise Bad("must not contain '..'")
    if len(text) > MAX_INSTALL_DIR:
        raise Bad(f"is {len(text)} characters long; at most {MAX_INSTALL_DIR}: the files below "
                  "it (the runtime's Lib\\site-packages\\...) must stay within Windows' "
                  "260-character MAX_PATH")
    return text.rstrip("\\") if len(text) > 3 else text


RUNTIME_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")


def as_runtime_name(value: Any) -> str:
    """An install-manager id or tag (pythoncore-3.14-64, 3.14-64): no spaces, no quoting."""
    text = as_line(value)
    if not RUNTIME_NAME_RE.fullmatch(text):
        raise Bad("expected an install-manager id or tag such as pythoncore-3.14-64 or 3.14-64 "
                  f"(letters, digits, '.', '_', '+', '-'), got {text!r}")
    return text


CHECK_COMMAND_RE = re.compile(r"[A-Za-z0-9_.-]+( [A-Za-z0-9_.:/=+,@\\-]+)*")


def as_check_command(value: Any) -> str:
    """A program name and plain arguments: it runs through cmd.exe /c, so no shell syntax."""
    text = as_nonempty_line(value)
    if not CHECK_COMMAND_RE.fullmatch(text):
        raise Bad(
            "expected a program name and plain arguments separated by single spaces "
            "(letters, digits and _ . - : / = + , @ \\); shell syntax such as quotes, "
            f"& | < > ^ % ! $ is not allowed, got {text!r}"
        )
    # it runs as cmd.exe /d /c "COMMAND": measured quoted for that command line and escaped
    # for NSIS (a run of backslashes before the closing quote doubles)
    line = windows_command_line(["cmd.exe", "/d", "/c", text])
    try:
        size = len(nsis_string(line)) - 2
    except ValueError:
        size = NSIS_MAX_STRLEN
    if max(len(text), size) + COMMAND_ROOM >= NSIS_MAX_STRLEN:
        raise Bad(f"is {size} characters long once quoted as a command line and escaped for "
                  f"NSIS; at most {NSIS_MAX_STRLEN - COMMAND_ROOM - 1} fit in the installer's "
                  "command line")
    return text


EXPECT_MAX = 200  # [check] expect: a version string or a phrase, not a transcript


def as_expect(value: Any) -> str:
    """Text the check's output must contain: one line, carried into both installers."""
    text = as_text(value, max_len=EXPECT_MAX)
    if text and not text.strip():
        raise Bad("is only spaces; leave it out to check the exit code alone")
    return text


COMMAND_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def as_command_names(value: Any) -> tuple[str, ...]:
    """Command names, as a launcher's file name holds them (no path, no .exe; a batch file
    with its .cmd or .bat)."""
    names = as_string_list(as_nonempty_line)(value)
    for name in names:
        if not COMMAND_NAME_RE.fullmatch(name) or name.lower().endswith(".exe") or len(name) > 64:
            raise Bad(f"expected command names such as openstack (letters, digits, '.', '_', "
                      f"'-'; no .exe), got {name!r}")
    if len({n.lower() for n in names}) != len(names):
        raise Bad("lists a command twice")
    return names


def tname(value: Any) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean", list: "a list",
            dict: "a table", float: "a number"}.get(type(value), type(value).__name__)


def url_filename(url: str) -> str:
    """The file name at the end of a URL's path (how --artifacts finds files)."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not name or name in (".", "..") or any(c in name for c in '\\/:*?"<>|'):
        return ""
    return name

