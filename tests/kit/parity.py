"""The cases the parity tests render (recipes that use every kind of step, in each delivery
mode), the step sequence a plan asks of every back end, and the readers of the MSI's WiX
source (tests/test_parity.py, tests/test_parity_msi.py)."""

from __future__ import annotations

import re
from pathlib import Path

from choconsis.backends.msi.wix import SOURCE, msi_files
from choconsis.plan import Delivery, InstallPlan, build_plan
from choconsis.recipe import parse_recipe

from kit.locks import fake_lock
from kit.plans import msi_payload
from kit.recipes import exe_recipe_data, recipe_data


def every_kind() -> dict:
    """An MSI runtime, an extra MSI and an extra EXE installer, a user PATH change."""
    data = recipe_data("openstack-clients-2013")
    data["installer"].append({"name": "Helper tool", "kind": "exe", "sha256": "1" * 64,
                              "url": "https://example.org/helper-setup.exe", "args": ["/S"],
                              "valid_exit_codes": [0, 7, 3010]})
    data["path"]["scope"] = "user"
    return data


def zip_runtime() -> dict:
    data = exe_recipe_data()
    data["python"].update(installer="zip", url="https://example.org/python-3.14.7-embed-amd64.zip")
    return data


def package_runtime() -> dict:
    """A runtime package: fetched at install time in web mode, embedded offline."""
    data = exe_recipe_data()
    data["python"].update(installer="package", url="https://example.org/python-3.14.7-amd64.zip",
                          index_id="pythoncore-3.14-64")
    data["python"].pop("install_dir", None)
    return data


def x86_exe_runtime() -> dict:
    data = exe_recipe_data()
    data["python"].update(arch="x86", url="https://www.python.org/ftp/python/3.14.7/"
                          "python-3.14.7.exe")
    return data


CASES = {
    "openstack-clients": (lambda: exe_recipe_data(), Delivery.WEB),
    "openstack-clients-2013": (lambda: recipe_data("openstack-clients-2013"), Delivery.WEB),
    "openstack-clients-offline": (lambda: exe_recipe_data(), Delivery.OFFLINE),
    "every-kind": (every_kind, Delivery.WEB),
    "every-kind-offline": (every_kind, Delivery.OFFLINE),
    "zip-runtime": (zip_runtime, Delivery.WEB),
    "zip-preinstalled": (zip_runtime, Delivery.PREINSTALLED),
    "x86-exe-runtime": (x86_exe_runtime, Delivery.WEB),
    "package-runtime": (package_runtime, Delivery.WEB),
    "package-runtime-offline": (package_runtime, Delivery.OFFLINE),
}


def expected(plan: InstallPlan) -> tuple[list, list]:
    """The plan's native steps, and the engine's call in place of its first engine step."""
    first = plan.engine_steps[0] if plan.engine_steps else None
    install, undo = [], []
    for number, step in enumerate(plan.steps, start=1):
        if step == first:
            install.append((number, "engine", "engine", "recorded"))
        elif not step.in_engine:
            install.append((number, step.key, step.install.kind, str(step.owns)))
    for step in plan.undo_order():
        number = plan.steps.index(step) + 1
        if step == first:
            undo.append((number, "engine", "engine"))
        elif not step.in_engine:
            undo.append((number, step.key, step.undo.kind))
    return install, undo


def msi_source(case: str, tmp_path: Path) -> tuple[InstallPlan, str]:
    """(plan, product.wxs) of a case, rendered from small real trees."""
    make, delivery = CASES[case]
    recipe = parse_recipe(make(), f"{case}.toml")
    plan = build_plan(recipe, fake_lock(recipe), delivery)
    return plan, msi_files(plan, msi_payload(plan, tmp_path)).files[SOURCE].decode("utf-8")


def msi_steps(wxs: str, side: str) -> list[tuple]:
    """(number, key, action[, owns]) of each step's comment, in the order of the source."""
    found = re.findall(rf"<!-- {side} step (\d+) (\S+) (\w+) (\S+) -->", wxs)
    return [(int(n), k, a, o) if side == "install" else (int(n), k, a) for n, k, a, o in found]


def msi_sequence(wxs: str) -> dict[str, int]:
    """Each step action's sequence number; the per-machine twins (_system, the same number)
    left out."""
    return {a: int(n) for a, n in re.findall(r'<Custom Action="(S\d+_\w+)" Sequence="(\d+)"',
                                             wxs) if not a.endswith("_system")}


def msi_engine_calls(wxs: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """custom action id -> (engine side, --var names) of each action running the engine."""
    from lxml import etree

    root = etree.fromstring(wxs.encode("utf-8"))
    calls = {}
    for action in root.iter("{*}CustomAction"):
        command = action.get("ExeCommand") or ""
        match = re.search(r"choconsis_engine\.py\W+(install|undo)\W+--steps\W+\S+"
                          r"choconsis-steps\.json(.*)", command)
        if match:
            calls[action.get("Id")] = (match.group(1),
                                       tuple(re.findall(r"--var (\w+)=", match.group(2))))
    return calls
