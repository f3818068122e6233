"""The recipe's [release] outputs against what each needs (a url, a zip or private runtime,
a license, winget's lengths), checked at load with the field named."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import RecipeError
from .release import (NEEDS_LICENSE, NEEDS_PRIVATE_RUNTIME, NEEDS_URL, NEEDS_ZIP_RUNTIME,
                      WINGET_LENGTHS, can_be_portable)

if TYPE_CHECKING:
    from .model import Recipe


def check_release(recipe: Recipe) -> None:
    """[release] outputs against url, the runtime and the license."""
    asked = recipe.outputs
    if "winget" in asked and not recipe.release.package_identifier:
        raise RecipeError(recipe.source, "release.package_identifier",
                          "cannot derive a winget PackageIdentifier from the publisher "
                          f"{recipe.release.publisher!r} and the id: set package_identifier "
                          "= \"Publisher.Package\"")
    if "winget" in asked:
        _check_winget_lengths(recipe)
    for name in asked:
        if name in NEEDS_URL and not recipe.release.url:
            raise RecipeError(recipe.source, "release.outputs",
                              f"{name!r} needs release.url (its manifest holds the absolute "
                              "URLs of the published files)")
        if name in NEEDS_ZIP_RUNTIME and not can_be_portable(recipe.python.installer):
            raise RecipeError(recipe.source, "release.outputs",
                              f"{name!r} needs a zip or package runtime (python.installer = "
                              "\"zip\" or \"package\"): an "
                              f"{recipe.python.installer.upper()} runtime is laid out by its "
                              "installer on the target, so it cannot be unpacked anywhere and "
                              "run")
        if name in NEEDS_PRIVATE_RUNTIME and not recipe.python.private:
            raise RecipeError(recipe.source, "python.installer",
                              f"the {name!r} output holds the app's own runtime in its cabinet: "
                              "python.installer must be \"zip\" or \"package\", not "
                              f"{recipe.python.installer!r} (an {recipe.python.installer.upper()} "
                              "runtime is installed by its own installer)")
        if name in NEEDS_PRIVATE_RUNTIME and recipe.installers:
            raise RecipeError(recipe.source, "installer",
                              f"the {name!r} output cannot run [[installer]] "
                              f"{recipe.installers[0].name!r}: Windows Installer runs one "
                              "installation at a time, so an MSI does not start other "
                              "installers; leave 'msi' out of release.outputs, or ship the "
                              "prerequisite as a wheel")
        if name in NEEDS_PRIVATE_RUNTIME and recipe.environment != "venv":
            raise RecipeError(recipe.source, "install.environment",
                              f"the {name!r} output installs the app into its own environment "
                              "beside the runtime: environment must be \"venv\"")
        if name in NEEDS_LICENSE and not recipe.release.license:
            raise RecipeError(recipe.source, "release.license",
                              f"the {name} output needs the license's SPDX expression or name "
                              "(e.g. \"Apache-2.0\")")


def _check_winget_lengths(recipe: Recipe) -> None:
    """Values winget's schema would refuse for their length (the winget-pkgs pipeline
    validates against it)."""
    for where, (field, shortest, longest) in WINGET_LENGTHS.items():
        section, name = where.split(".")
        value = getattr(recipe.package if section == "package" else recipe.release, name)
        if value and not shortest <= len(value) <= longest:
            raise RecipeError(recipe.source, where,
                              f"is {len(value)} characters long; winget's {field} takes "
                              f"{shortest} to {longest} (the winget output is asked for)")
