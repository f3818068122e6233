"""The registry as wine's ``reg.exe`` prints it: keys, values and their types, parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..errors import BuildError

ENV_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
USER_ENV_KEY = r"HKCU\Environment"
UNINSTALL_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"

_ROOTS = {
    "HKLM": "HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
    "HKCU": "HKEY_CURRENT_USER", "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS", "HKEY_USERS": "HKEY_USERS",
}


class WineError(BuildError):
    """A Wine operation failed (prefix creation, a registry edit, a timeout)."""


@dataclass(frozen=True)
class RegValue:
    name: str  # "" for the default value
    type: str  # REG_SZ, REG_EXPAND_SZ, REG_DWORD, ...
    data: str  # as reg.exe prints it (REG_DWORD as 0x..., REG_MULTI_SZ joined with \0)


RegKeyDump = dict[str, dict[str, RegValue]]  # full key path -> lower(value name) -> value

_MARK = "::choconsis-reg-exit::"
_VALUE_RE = re.compile(r"^    (.*?)    (REG_[A-Z_0-9]+)(?:    (.*))?$")


def normalize_key(key: str) -> str:
    """HKLM\\x -> HKEY_LOCAL_MACHINE\\x (reg.exe prints the long root names)."""
    root, _, rest = key.partition("\\")
    long_root = _ROOTS.get(root.upper())
    if long_root is None:
        raise ValueError(f"unknown registry root in {key!r}")
    return f"{long_root}\\{rest}" if rest else long_root


def parse_reg_query(text: str) -> RegKeyDump:
    """Parse ``reg query`` output (with or without /s) into key -> values.

    Value names are stored lower-cased as keys (Windows value names are case-insensitive);
    :attr:`RegValue.name` keeps the spelling.
    """
    dump: RegKeyDump = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("HKEY_"):
            current = line.strip()
            dump.setdefault(current, {})
            continue
        match = _VALUE_RE.match(line)
        if match and current is not None:
            name = "" if match.group(1) == "(Default)" else match.group(1)
            dump[current][name.lower()] = RegValue(name, match.group(2), match.group(3) or "")
    return dump


def parse_batch_answers(output: str, keys: Sequence[str]) -> list[RegKeyDump | None]:
    """Split the output of a batch of ``reg query`` runs, each followed by an exit-code marker.

    A query that found no key answers None; any other failure raises WineError.
    """
    chunks = output.split(_MARK)
    if len(chunks) != len(keys) + 1:
        raise WineError(f"reg query batch gave {len(chunks) - 1} answers for "
                        f"{len(keys)} queries: {output.strip()[-500:]}")
    answers: list[RegKeyDump | None] = []
    body = chunks[0]
    for key, rest in zip(keys, chunks[1:]):
        code, _, next_body = rest.partition("\n")
        code = code.strip()
        if code == "0":
            answers.append(parse_reg_query(body))
        elif "unable to find" in body.lower():
            answers.append(None)
        else:
            raise WineError(f"reg query {key} failed (exit {code}): {body.strip()[-500:]}")
        body = next_body
    return answers


def view_arg(view: int | None) -> list[str]:
    if view is None:
        return []
    if view not in (32, 64):
        raise ValueError(f"registry view must be 32 or 64, not {view}")
    return [f"/reg:{view}"]
