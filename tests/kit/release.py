"""A small release recipe: a zip runtime (tiny, or the Wine tests' WinPython one), one app
wheel with console scripts, a [release] section asking for every channel; written with its
lock and an --artifacts folder, so a build fetches nothing."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import tomlkit

from choconsis.lock.lockfile import write_lock
from choconsis.recipe import parse_recipe
from choconsis.wheelfiles import SCRIPT

from kit.locks import file_wheel, lock_of, with_commands
from kit.wheels import make_wheel, tiny_zip

RELEASE_URL = "https://downloads.example.org/{id}/{version}/{file}"
COMMANDS = ("hello", "hello-admin", "hello-legacy")  # the last: a #!python script file

# A zip runtime just big enough for a build: python.exe at its root, site-packages, venv.
TINY_RUNTIME = {"python.exe": b"MZ stand-in python\n", "pythonw.exe": b"MZ stand-in pythonw\n",
                "python312.dll": b"MZ dll\n",
                "Lib/os.py": b"# os\n", "Lib/venv/__init__.py": b"# venv\n",
                "Lib/site-packages/README.txt": b"site-packages\n"}


def hello_wheel(folder: Path, version: str = "1.0") -> Path:
    """hello-app: two console scripts printing who they are, where python is, and argv, and
    a legacy script (a ``#!python`` file of .data/scripts) printing its name and argv."""
    body = (b"import os, sys\n"
            b"def main():\n"
            b"    print('hello-app %s from %s' % (" + repr(version).encode() + b", "
            b"os.path.dirname(sys.executable)))\n"
            b"    print('args:', ' '.join(sys.argv[1:]))\n"
            b"def admin():\n"
            b"    print('hello-admin', sys.argv[1:])\n")
    points = "[console_scripts]\nhello = hello_app:main\nhello-admin = hello_app:admin\n"
    legacy = b"#!python\nimport sys\nprint('hello-legacy', sys.argv[1:])\n"
    return make_wheel(folder, "hello-app", version, {"hello_app/__init__.py": body}, points,
                      data_scripts={"hello-legacy": legacy})


def release_data(runtime_name: str, runtime_sha256: str, *, outputs: list[str] | None = None,
                 url: str = RELEASE_URL, scope: str = "user", version: str = "1.0",
                 check: dict | None = None) -> dict:
    data: dict = {
        "package": {"id": "hello-app", "version": version, "title": "Hello App",
                    "authors": "Hello Authors", "summary": "Says hello from every channel.",
                    "description": "A small app released on every Windows channel.",
                    "project_url": "https://example.org/hello",
                    "license_url": "https://example.org/hello/license",
                    "tags": ["hello", "Demo-Tag"]},
        "python": {"version": "3.12.1", "arch": "amd64", "installer": "zip",
                   "url": f"https://files.example/dl/{runtime_name}", "sha256": runtime_sha256,
                   "install_dir": "C:\\HelloPy"},
        "install": {"scope": scope},
        "pip": {"requirements": [f"hello-app=={version}"], "installer": "pip"},
        "check": check or {"command": "hello --version"},
        "release": {"url": url, "publisher": "Hello Org", "license": "MIT"},
    }
    if outputs is not None:
        data["release"]["outputs"] = outputs
    return data


def write_release(root: Path, runtime_zip: Path | None = None, **kwargs) -> tuple[Path, Path]:
    """recipe (root/src/hello-app.toml) with its lock, and the artifacts folder."""
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    if runtime_zip is None:
        runtime_zip = artifacts / "tiny-runtime.zip"
        runtime_zip.write_bytes(tiny_zip(TINY_RUNTIME))
    else:
        (artifacts / runtime_zip.name).write_bytes(runtime_zip.read_bytes())
    wheel = hello_wheel(artifacts, kwargs.get("version", "1.0"))
    data = release_data(runtime_zip.name, hashlib.sha256(runtime_zip.read_bytes()).hexdigest(),
                        **kwargs)
    recipe_path = root / "src" / "hello-app.toml"
    recipe_path.parent.mkdir(parents=True, exist_ok=True)
    recipe_path.write_text(tomlkit.dumps(data), encoding="utf-8")
    recipe = parse_recipe(data, str(recipe_path))
    lock = dataclasses.replace(with_commands(lock_of(
        recipe, [file_wheel(wheel, "hello-app", recipe.package.version)], installer=None),
        COMMANDS), command_kinds={"hello-legacy": SCRIPT})
    write_lock(recipe_path.with_suffix(".lock"), lock, recipe_path.stem)
    return recipe_path, artifacts
