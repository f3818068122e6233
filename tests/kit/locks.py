"""Fake locks for tests, made with the product's own rules and formats.

What installs the lock (uv or pip) is the product's ``Recipe.installer``; the uv wheel is
pinned as ``choconsis.lock.installer`` pins it; wheels are ``LockedWheel`` with canonical names.
Nothing here decides for itself what the product decides."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path
from typing import Iterable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from choconsis.lock.installer import UV, uv_member
from choconsis.lock.lockfile import Lock, LockedWheel
from choconsis.recipe import Recipe

from kit.wheels import tiny_zip

# ---------------------------------------------------------------------------- the uv wheel

UV_VERSION = "0.13.9"
# The real wheel on PyPI (web renders name it; the Wine tests fetch it, the fast ones never).
UV_AMD64_SHA256 = "6a44b2ed8111d2f60d2b92627c5dccda3f7ed7570b18ce115e569cd68c28246b"
UV_AMD64_URL = ("https://files.pythonhosted.org/packages/dd/ef/ceeabf3631117f7354787d9fb1ffe9"
                "43899e59ed4b887a696ed547e47e76/uv-0.13.9-py3-none-win_amd64.whl")


def uv_wheel(platform: str = "win_amd64", sha256: str | None = None,
             url: str | None = None) -> LockedWheel:
    """The uv wheel a lock pins for [pip] installer = "uv" (PyPI's, unless told)."""
    filename = f"uv-{UV_VERSION}-py3-none-{platform}.whl"
    real = platform == "win_amd64"
    digest = sha256 or (UV_AMD64_SHA256 if real else "e" * 64)
    return LockedWheel("uv", UV_VERSION, digest, filename, url or (
        UV_AMD64_URL if real else f"https://files.pythonhosted.org/packages/uv/{filename}"))


def installer_for(recipe: Recipe, **wheel: str) -> LockedWheel | None:
    """What a test lock of ``recipe`` pins as its installer (None when pip installs): the
    product's rule (``Recipe.installer``) decides."""
    return uv_wheel(recipe.python.platform, **wheel) if recipe.installer == UV else None


def fake_uv_wheel(folder: Path, platform: str = "win_amd64", body: bytes = b"MZ not uv\n"
                  ) -> tuple[LockedWheel, Path]:
    """A file named like the uv wheel holding a stand-in uv.exe, for builds that embed it
    (offline) but run nothing; its sha256 is pinned like the real one's."""
    wheel = uv_wheel(platform)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / wheel.filename
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo(uv_member(wheel), (2024, 1, 1, 0, 0, 0)), body)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return uv_wheel(platform, sha256=digest, url=f"http://127.0.0.1:9/wheels/{path.name}"), path


# ---------------------------------------------------------------------------- locks

FILES = "https://files.example/wheels/"  # where fake wheels claim to come from (never fetched)


def wheel_filename(name: str, version: str) -> str:
    return f"{canonicalize_name(name).replace('-', '_')}-{version}-py3-none-any.whl"


def fake_wheel(name: str, version: str, base: str = FILES) -> LockedWheel:
    """A pinned pure wheel no one will fetch (its sha256 is that of its file name)."""
    filename = wheel_filename(name, version)
    return LockedWheel(canonicalize_name(name), version,
                       hashlib.sha256(filename.encode()).hexdigest(), filename, base + filename)


def file_wheel(path: Path, name: str, version: str, base: str = FILES) -> LockedWheel:
    """A pinned wheel whose sha256 is that of a real file (which --artifacts can supply)."""
    return LockedWheel(canonicalize_name(name), version,
                       hashlib.sha256(path.read_bytes()).hexdigest(), path.name,
                       base + path.name)


def pins(recipe: Recipe) -> list[tuple[str, str]]:
    """(name, version) of each of the recipe's requirements (each pins one version)."""
    out = []
    for text in recipe.pip.requirements:
        req = Requirement(text)
        out.append((req.name, next(iter(req.specifier)).version))
    return out


def lock_of(recipe: Recipe, wheels: Iterable[LockedWheel], **fields) -> Lock:
    """The lock of ``recipe`` that pins ``wheels``: target, requirements, index, [pip]
    provided and installer as the recipe says (``fields`` overrides any of them)."""
    values = dict(python_tag=recipe.python.tag, platform=recipe.python.platform,
                  requirements=recipe.pip.requirements, index_url=recipe.pip.index_url,
                  wheels=tuple(wheels), provided=recipe.pip.provided,
                  installer=installer_for(recipe))
    values.update(fields)
    return Lock(**values)


def fake_lock(recipe: Recipe, deps: Iterable[tuple[str, str]] = (), base: str = FILES,
              **fields) -> Lock:
    """A lock pinning a fake wheel for each of the recipe's requirements plus ``deps``
    ((name, version) dependencies)."""
    return lock_of(recipe, [fake_wheel(n, v, base) for n, v in [*pins(recipe), *deps]],
                   **fields)


def dummy_lock(recipe: Recipe, files: dict[str, bytes], base: str = FILES) -> Lock:
    """A lock of the recipe's requirements and one dependency as tiny real wheels, their
    bytes added to ``files`` (file name -> bytes) for --artifacts; with a stand-in uv.exe
    in a wheel when uv installs (offline builds embed it). The first requirement's wheel
    declares the check command's program as its console script, so the install provides it."""
    wheels = []
    program = recipe.check.command.split(" ", 1)[0]
    for i, (name, version) in enumerate([*pins(recipe), ("dep-lib", "1.0")]):
        filename = wheel_filename(name, version)
        module = canonicalize_name(name).replace("-", "_")
        members = {f"{module}/__init__.py": f"# {name}\n".encode()}
        if i == 0:
            members[f"{module}-{version}.dist-info/entry_points.txt"] = (
                f"[console_scripts]\n{program} = {module}:main\n".encode())
        files[filename] = tiny_zip(members)
        wheels.append(LockedWheel(canonicalize_name(name), version,
                                  hashlib.sha256(files[filename]).hexdigest(), filename,
                                  base + filename))
    lock = lock_of(recipe, sorted(wheels, key=lambda w: w.name))
    if lock.installer is not None:
        stand_in = uv_wheel(recipe.python.platform)
        body = tiny_zip({uv_member(stand_in): b"MZ stand-in uv\n"})
        files[stand_in.filename] = body
        lock = dataclasses.replace(lock, installer=uv_wheel(
            recipe.python.platform, sha256=hashlib.sha256(body).hexdigest(),
            url=base + stand_in.filename))
    return lock


def with_commands(lock: Lock, commands: tuple[str, ...]) -> Lock:
    """The lock as 'choconsis lock' records it when its first wheel declares ``commands``
    as console scripts (and no other wheel declares any)."""
    return dataclasses.replace(lock, console_scripts={
        w.name: (commands if i == 0 else ()) for i, w in enumerate(lock.wheels)})


# ---------------------------------------------------------------------------- lock files


def lock_files(recipe_path: Path) -> tuple[Path, Path]:
    """Both places a recipe's lock may lie: PEP 751's pylock.<name>.toml and the old
    <name>.lock (for snapshots that must see either change)."""
    return (recipe_path.with_name(f"pylock.{recipe_path.stem}.toml"),
            recipe_path.with_suffix(".lock"))


def recipe_lock(recipe_path: Path) -> Lock:
    """The lock the recipe builds from, read as the build reads it (not yet checked)."""
    from choconsis.lock.files import found_lock, read_lock_file
    from choconsis.recipe import load_recipe

    return read_lock_file(found_lock(load_recipe(recipe_path)))
