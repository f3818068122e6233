"""Plans and payloads of test recipes, for renders that fetch nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

from choconsis.backends import chocolatey
from choconsis.lock.lockfile import LockedWheel
from choconsis.payload import ArtifactStore, Payload, resolve_payload
from choconsis.payload.runtime import RuntimeTree
from choconsis.plan import Delivery, InstallPlan, build_plan
from choconsis.recipe import parse_recipe

from kit.locks import fake_lock, fake_uv_wheel, with_commands
from kit.recipes import recipe_data

# What a zip runtime's archive holds at its top level, for renders that unpack nothing.
ZIP_ENTRIES = (("DLLs", "Lib", "Scripts"), ("python.exe", "python312.dll"))

COMMANDS = ("openstack", "nova")  # what the default recipe's requirements would declare


def web_payload(plan: InstallPlan, entries: tuple[tuple[str, ...], tuple[str, ...]] = ZIP_ENTRIES
                ) -> Payload:
    """The payload of a web build whose zip runtime (if any) lists ``entries``; nothing real
    lies behind it, so only script renders (not folder renders) can use it with a zip."""
    runtime = RuntimeTree(Path("/nonexistent/runtime"), *entries) if plan.zip_runtime else None
    return Payload(Delivery.WEB, runtime=runtime)


def plan_from(data: dict, source: str = "test.toml",
              delivery: Delivery = Delivery.WEB) -> InstallPlan:
    """The plan of recipe data with a fake lock of its requirements, exposing COMMANDS."""
    recipe = parse_recipe(data, source)
    return build_plan(recipe, with_commands(fake_lock(recipe), COMMANDS), delivery)


def shipped_plan(name: str) -> InstallPlan:
    """A shipped recipe's plan (kit.recipes.recipe_data's names, NAME@exe too)."""
    return plan_from(recipe_data(name), f"{name.split('@')[0]}.toml")


def rendered(plan: InstallPlan, tmp_path: Path) -> Path:
    """The Chocolatey package folder of a web plan, rendered under ``tmp_path``."""
    dest = tmp_path / plan.package.id
    chocolatey.render(plan, web_payload(plan), dest)
    return dest


def dummy_offline(data: dict, tmp_path: Path,
                  delivery: Delivery = Delivery.OFFLINE) -> tuple[InstallPlan, Payload]:
    """Point every download of a recipe at a small dummy file pinned by its sha256.

    The wheels of the lock are dummy files too, placed in the --artifacts folder by name.
    """
    art = tmp_path / "artifacts"
    art.mkdir(exist_ok=True)

    def pin(section: dict, filename: str) -> None:
        body = f"dummy {filename}\n".encode() * 100
        if filename.endswith(".zip"):  # a zip runtime is unpacked by the build: a real zip
            (art / filename).write_bytes(body)
            with zipfile.ZipFile(art / filename, "w") as zf:
                zf.writestr("python.exe", body)
                zf.writestr("Lib/os.py", b"")
                zf.writestr("Lib/venv/__init__.py", b"")
            body = (art / filename).read_bytes()
        (art / filename).write_bytes(body)
        section["url"] = f"http://127.0.0.1:9/files/{filename}"
        section["sha256"] = hashlib.sha256(body).hexdigest()

    pin(data["python"], data["python"]["url"].rsplit("/", 1)[1])
    for inst in data.get("installer", []):
        pin(inst, inst["url"].rsplit("/", 1)[1])
    recipe = parse_recipe(data, "dummy.toml")
    lock = fake_lock(recipe, deps=[("dep-0", "1.0")])
    wheels = []
    for w in lock.wheels:
        body = f"wheel {w.filename}".encode()
        (art / w.filename).write_bytes(body)
        wheels.append(LockedWheel(w.name, w.version, hashlib.sha256(body).hexdigest(),
                                  w.filename, w.url))
    lock = dataclasses.replace(lock, wheels=tuple(wheels))
    if lock.installer is not None:  # a stand-in uv wheel, embedded like the real one
        uv, _ = fake_uv_wheel(art, recipe.python.platform)
        lock = dataclasses.replace(lock, installer=uv)
    store = ArtifactStore(cache_dir=tmp_path / "cache", artifacts_dir=art)
    plan = build_plan(recipe, lock, delivery)
    return plan, resolve_payload(plan, store, tmp_path / "payload-work")


def msi_payload(plan: InstallPlan, folder: Path) -> Payload:
    """A preinstalled payload of small real trees, for MSI renders (which list their files):
    a runtime with python.exe and pythonw.exe, one preinstalled dist."""
    from choconsis.payload import Preinstalled

    runtime = folder / "runtime"
    for name in ("python.exe", "pythonw.exe", "Lib/os.py", "DLLs/_ssl.pyd"):
        (runtime / name).parent.mkdir(parents=True, exist_ok=True)
        (runtime / name).write_bytes(b"stand-in " + name.encode())
    tree = folder / "preinstall"
    dist = tree / "Lib" / "site-packages" / "app-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "RECORD").write_text("app-1.0.dist-info/RECORD,,\n", encoding="utf-8")
    return Payload(Delivery.PREINSTALLED, runtime=RuntimeTree(runtime, ("DLLs", "Lib"),
                                                               ("python.exe", "pythonw.exe")),
                   preinstalled=Preinstalled(tree, ("app-1.0.dist-info",)))
