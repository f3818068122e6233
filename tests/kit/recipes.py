"""Recipes for tests: the shipped ones as data, a minimal demo recipe for tests of locks and
resolution (the shipped recipes are too big), and a recipe with its lock written to disk."""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path

import tomlkit

from choconsis.lock.lockfile import Lock, write_lock

from kit import ROOT

RECIPES = ROOT / "recipes"
SHIPPED = ("openstack-clients", "openstack-clients-2013")
EXE_VARIANT = "openstack-clients@exe"  # the default recipe on python.org's EXE (EXE_PYTHON)
# the shipped recipes and the default one on the EXE runtime it shipped with before: every
# kind of runtime step (package, MSI, EXE) for the tests parametrized over recipes
RECIPE_KINDS = (*SHIPPED, EXE_VARIANT)


def recipe_text(name: str) -> str:
    """recipes/<name>.toml as text."""
    return (RECIPES / f"{name}.toml").read_text(encoding="utf-8")


def recipe_data(name: str) -> dict:
    """A shipped recipe as data (a fresh copy: change it freely); NAME@exe: on the EXE."""
    if name.endswith("@exe"):
        return exe_recipe_data(name[:-len("@exe")])
    return tomllib.loads(recipe_text(name))


# The default recipe's runtime before it moved to a runtime package: python.org's EXE
# installer (shared, registered, reference-counted), for the tests of that kind.
EXE_PYTHON = {"version": "3.14.7", "arch": "amd64", "installer": "exe",
              "url": "https://www.python.org/ftp/python/3.14.7/python-3.14.7-amd64.exe",
              "sha256": "9d9eb2709ef81bf5cd30db3c2096bdbc4ea10087c22e62f27d356b36f6ae9649",
              "install_dir": "C:\\Python314"}


def exe_recipe_data(name: str = "openstack-clients") -> dict:
    """A shipped recipe as data, on python.org's EXE installer (EXE_PYTHON)."""
    data = recipe_data(name)
    data["python"] = dict(EXE_PYTHON)
    return data


def pin(section: dict, files: dict[str, bytes], filename: str, body: bytes) -> None:
    """Point a recipe section's download at ``filename`` holding ``body`` (sha256 pinned);
    the bytes go into ``files`` (file name -> bytes) for --artifacts."""
    files[filename] = body
    section["url"] = f"https://files.example/dl/{filename}"
    section["sha256"] = hashlib.sha256(body).hexdigest()


def place(root: Path, data: dict, lock: Lock, files: dict[str, bytes], mtime: int
          ) -> tuple[Path, Path]:
    """Write recipe (src/repro.toml), lock and artifacts under root, every file with the
    given mtime; (recipe path, artifacts folder)."""
    recipe = root / "src" / "repro.toml"
    recipe.parent.mkdir(parents=True)
    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    write_lock(recipe.with_suffix(".lock"), lock, "repro")
    artifacts = root / "artifacts"
    artifacts.mkdir()
    for name, body in files.items():
        (artifacts / name).write_bytes(body)
    for path in [*root.rglob("*")]:
        os.utime(path, (mtime, mtime))
    return recipe, artifacts


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
