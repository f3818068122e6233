"""A minimal recipe for tests of locks and resolution (the shipped recipes are too big)."""

from __future__ import annotations

RECIPE = """\
[package]
id = "demo"
version = "1.0.0"
title = "Demo"
authors = "Someone"
summary = "A demo."
description = "A demo."
project_url = "https://example.org/"
license_url = "https://example.org/license"

[python]
version = "{python}"
arch = "{arch}"
installer = "exe"
url = "https://example.org/python.exe"
sha256 = "{sha}"
install_dir = 'C:\\Python'

[pip]
requirements = {reqs}
index_url = "{index}"

[check]
command = "demo --version"
"""


def demo_recipe_text(*, python: str = "3.12.9", arch: str = "amd64",
                     reqs: tuple[str, ...] = ("Demo_App==1.0", "helper==2.1"),
                     index: str = "https://pypi.org/simple",
                     provided: tuple[str, ...] = ()) -> str:
    text = RECIPE.format(python=python, arch=arch, sha="a" * 64, index=index,
                         reqs="[" + ", ".join(f"'{r}'" for r in reqs) + "]")
    if provided:
        text = text.replace("[check]", "provided = [" + ", ".join(f"'{p}'" for p in provided)
                            + "]\n\n[check]")
    return text
