"""The text of a new recipe: TOML written with tomlkit (so every value is quoted as TOML
needs), laid out like the shipped recipes, with a header saying how it was made."""

from __future__ import annotations

from typing import Any

import tomlkit

from ..recipe.fields import DEFAULT_INDEX_URL

# The order of [package] fields in the written recipe (the schema's own order).
PACKAGE_ORDER = ("id", "version", "title", "authors", "owners", "summary", "description",
                 "project_url", "license_url", "project_source_url", "package_source_url",
                 "docs_url", "bug_tracker_url", "mailing_list_url", "tags", "release_notes",
                 "copyright", "icon_url")


def _string(value: str) -> Any:
    if "\n" in value:
        return tomlkit.string(value, multiline=True)
    return value


def _windows_path(value: str) -> Any:
    """A literal string, so a backslash is a backslash ('C:\\Program Files\\x')."""
    return tomlkit.string(value, literal=True)


def recipe_text(*, command_line: str, package: dict[str, Any], python: dict[str, str],
                requirement: str, index_url: str, check_command: str,
                check_expect: str = "") -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"choconsis recipe written by `{command_line}`."))
    doc.add(tomlkit.comment("Review it (choconsis check), then: choconsis build. Newer releases: "
                            "choconsis update --python."))
    doc.add(tomlkit.nl())

    pkg = tomlkit.table()
    for key in PACKAGE_ORDER:
        if key in package:
            value = package[key]
            pkg.add(key, list(value) if isinstance(value, tuple) else _string(value))
    doc.add("package", pkg)

    # No [path] and no [install]: setup.exe installs per user by default and puts only the
    # app's own commands on PATH (the folder of their launchers, which the install makes).
    py = tomlkit.table()
    for key in ("version", "arch", "installer", "url", "sha256", "index_id", "index_tag"):
        if key in python:
            py.add(key, python[key])
    if "install_dir" in python:  # an EXE or MSI runtime's folder for a machine install
        py.add("install_dir", _windows_path(python["install_dir"]))
    doc.add("python", py)

    pip = tomlkit.table()
    pip.add("requirements", [requirement])
    pip.add("index_url", index_url or DEFAULT_INDEX_URL)
    doc.add("pip", pip)

    check = tomlkit.table()
    check.add("command", check_command)
    if check_expect:  # what a working `<script> --version` prints
        check.add("expect", check_expect)
    doc.add("check", check)
    return tomlkit.dumps(doc)
