"""[python] installer = "package": a python.org runtime package, pinned by URL and sha256,
unpacked into the app's own runtime folder as a zip runtime is (the same plan action), and the
fields that belong to it or to the other kinds."""

from __future__ import annotations

import copy

import pytest

from choconsis.errors import RecipeError
from choconsis.plan.actions import UnpackZip
from choconsis.plan.layout import RUNTIME_FOLDER
from choconsis.plan.undo import RemoveUnpacked
from choconsis.plan.values import INSTALL_DIR, PROGRAM_FILES, under
from choconsis.recipe import parse_recipe
from kit.plans import plan_from, rendered
from kit.recipes import exe_recipe_data, recipe_data

URL = "https://www.python.org/ftp/python/3.14.7/python-3.14.7-amd64.zip"


def package_data(**python) -> dict:
    data = exe_recipe_data()
    py = data["python"]
    py.update(installer="package", url=URL, sha256="b" * 64, index_id="pythoncore-3.14-64",
              index_tag="3.14-64")
    del py["install_dir"]
    for key, value in python.items():
        if value is None:
            py.pop(key, None)
        else:
            py[key] = value
    return data


def test_a_package_runtime_is_private_and_unpacked_like_a_zip():
    recipe = parse_recipe(package_data(), "p.toml")
    py = recipe.python
    assert (py.installer, py.private, py.install_dir) == ("package", True, "")
    assert (py.index_id, py.index_tag, py.package_tag) == ("pythoncore-3.14-64", "3.14-64",
                                                           "3.14-64")
    plan = plan_from(package_data(), "p.toml")
    step = plan.runtime_step
    assert isinstance(step.install, UnpackZip) and isinstance(step.undo, RemoveUnpacked)
    assert step.install.artifact.url == URL and plan.zip_runtime
    # its own folder inside the app's, for either scope: never registered, never shared
    assert plan.layout.runtime_dir == {"machine": under(INSTALL_DIR, RUNTIME_FOLDER),
                                       "user": under(INSTALL_DIR, RUNTIME_FOLDER)}
    assert plan.scopes == ("user", "machine") and plan.scope == "user"
    assert not [s for s in plan.steps if "python-3" in str(getattr(s.install, "shared", ""))]


def test_the_package_kind_renders_with_the_zip_kinds_macros(tmp_path):
    """No template knows the package kind: the Chocolatey package unzips it as a zip."""
    zip_plan = plan_from(package_data(installer="zip", index_id=None, index_tag=None), "p.toml")
    pkg_plan = plan_from(package_data(), "p.toml")
    a = (rendered(zip_plan, tmp_path / "zip") / "tools" / "chocolateyInstall.ps1").read_text(
        encoding="utf-8-sig")
    b = (rendered(pkg_plan, tmp_path / "pkg") / "tools" / "chocolateyInstall.ps1").read_text(
        encoding="utf-8-sig")
    assert a == b


def test_environment_runtime_without_install_dir_installs_into_the_apps_folder():
    data = package_data()
    data["install"] = {"environment": "runtime"}
    plan = plan_from(data, "p.toml")
    assert plan.layout.install_dir["machine"] == under(PROGRAM_FILES, "openstack-clients")
    data["python"]["install_dir"] = "D:\\Tools\\os"
    assert plan_from(data, "p.toml").layout.install_dir["machine"] == ("D:\\Tools\\os",)


@pytest.mark.parametrize("python, field, problem", [
    ({"url": URL.replace(".zip", ".exe")}, "python.url",
     'installer = "package" needs a .zip file'),
    ({"args": ["/quiet"]}, "python.args", "a runtime package is unpacked, not run"),
    ({"index_tag": "3.13-64"}, "python.index_tag",
     "'3.13-64' does not fit python.version '3.14.7' and python.arch 'amd64' (their tag is "
     "3.14-64)"),
    ({"index_tag": "3.14t-64"}, "python.index_tag", "is not a tag of a CPython runtime package"),
    ({"index_tag": "3.14 64"}, "python.index_tag", "expected an install-manager id or tag"),
    ({"url": URL.replace("3.14.7-amd64", "3.14.8-amd64")}, "python.url",
     "python-3.14.8-amd64.zip is Python 3.14.8 (python.org file naming)"),
])
def test_package_fields_that_do_not_fit(python, field, problem):
    with pytest.raises(RecipeError) as info:
        parse_recipe(package_data(**python), "p.toml")
    assert info.value.field == field and problem in info.value.problem


def test_install_dir_is_required_for_exe_and_msi_and_index_fields_belong_to_packages():
    data = package_data(installer="exe", url=URL.replace(".zip", ".exe"), index_id=None,
                        index_tag=None)
    with pytest.raises(RecipeError) as info:
        parse_recipe(data, "p.toml")
    assert info.value.field == "python.install_dir"
    assert 'missing required field for installer = "exe"' in info.value.problem
    data = package_data(installer="zip")
    with pytest.raises(RecipeError) as info:
        parse_recipe(data, "p.toml")
    assert info.value.field == "python.index_id"
    assert 'belongs to installer = "package"' in info.value.problem
    # a zip runtime needs no install_dir either: it lives in the app's folder
    assert parse_recipe(package_data(installer="zip", index_id=None, index_tag=None),
                        "p.toml").python.install_dir == ""
