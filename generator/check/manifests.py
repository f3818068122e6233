"""Rules of the winget and Scoop manifests a build wrote, checked against the files beside
them: what the winget-pkgs pipeline and Scoop refuse (a hash that is not the file's, a URL
that is not https) and a ProductCode that is not the Add/Remove Programs key setup.exe
writes (read from the rendered installer.nsi the build left in ``<out>/<id>/nsis/``).

A manifest's URL names the published file; the built file of that name in the output folder
is what its hash must be of.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ..store import sha256_file
from .rules import Report

_UNINSTALL_VALUE = re.compile(
    r'WriteRegStr SHCTX "[^"]*\\Uninstall\\([^"]+)" "(\w+)" "([^"$]*)"')


def _filename(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _url_and_hash(report: Report, rules: tuple[str, str], url: Any, sha256: Any,
                  out: Path, location: str) -> None:
    https, hashed = rules
    if not isinstance(url, str) or not url.lower().startswith("https://"):
        report.add(https, f"{url!r} is not an https:// URL", location)
        return
    built = out / _filename(url)
    if not built.is_file():
        return  # published elsewhere: nothing here to compare with
    actual = sha256_file(built)
    if not isinstance(sha256, str) or sha256.lower() != actual:
        report.add(hashed, f"{sha256} is not the sha256 of {built.name} ({actual})", location)


def setup_entries(out: Path) -> dict[str, dict[str, str]]:
    """Add/Remove Programs key -> its values, as each rendered installer.nsi writes them."""
    found: dict[str, dict[str, str]] = {}
    for nsi in sorted(out.glob("*/nsis/installer.nsi")):
        for key, name, value in _UNINSTALL_VALUE.findall(nsi.read_text(encoding="utf-8")):
            found.setdefault(key, {})[name] = value
    return found


def check_winget(out: Path, report: Report) -> None:
    arp = setup_entries(out)
    for path in sorted((out / "winget").rglob("*.installer.yaml")):
        location = path.relative_to(out).as_posix()
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            report.add("CWG0004", f"not readable YAML: {err}", location)
            continue
        installers = doc.get("Installers") if isinstance(doc, dict) else None
        if not isinstance(installers, list) or not installers:
            report.add("CWG0004", "no Installers list", location)
            continue
        for i, entry in enumerate(installers, start=1):
            where = f"{location}: Installers[{i}]"
            if not isinstance(entry, dict):
                report.add("CWG0004", "an installer entry is not a mapping", where)
                continue
            _url_and_hash(report, ("CWG0002", "CWG0001"), entry.get("InstallerUrl"),
                          entry.get("InstallerSha256"), out, where)
            if entry.get("InstallerType") == "nullsoft" and arp:
                _product_code(report, entry, arp, where)


def _product_code(report: Report, entry: dict, arp: dict[str, dict[str, str]],
                  where: str) -> None:
    code = entry.get("ProductCode")
    if code not in arp:
        report.add("CWG0003", f"ProductCode {code!r} is not the key setup.exe writes to "
                   f"Add/Remove Programs ({', '.join(sorted(arp))})", where)
        return
    values = arp[code]
    for listed in entry.get("AppsAndFeaturesEntries") or []:
        for name in ("DisplayName", "Publisher", "DisplayVersion"):
            if name in listed and name in values and str(listed[name]) != values[name]:
                report.add("CWG0003", f"AppsAndFeaturesEntries {name} {listed[name]!r} is not "
                           f"what setup.exe writes ({values[name]!r})", where)


def check_scoop(out: Path, report: Report) -> None:
    for path in sorted((out / "scoop").glob("*.json")):
        location = path.relative_to(out).as_posix()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            report.add("CSC0003", f"not readable JSON: {err}", location)
            continue
        if not isinstance(doc, dict) or "url" not in doc or "hash" not in doc:
            report.add("CSC0003", "no url and hash", location)
            continue
        _url_and_hash(report, ("CSC0002", "CSC0001"), doc["url"], doc["hash"], out, location)


def manifest_rules(out: Path) -> Report:
    report = Report()
    check_winget(out, report)
    check_scoop(out, report)
    return report


def has_manifests(out: Path) -> bool:
    return (out / "winget").is_dir() or (out / "scoop").is_dir()
