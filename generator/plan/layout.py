"""Where an install puts things: the install folder, the runtime, the app's environment, the
commands folder. Defaults per install scope, as install-time values the back ends expand.

environment = "venv"::

    <install dir>\\env\\           the app's virtual environment: its packages, its launchers
    <install dir>\\bin\\           the app's commands only: what goes on PATH (setup.exe)
    <install dir>\\runtime\\       a zip or package runtime, private to the app
    <install dir>\\choconsis-<id>\\ the install's records, uninstall.exe, logs
    an EXE or MSI runtime lives where its installer puts it, shared by the apps that use it.

environment = "runtime" (the 2013 guide): the runtime's folder is the install folder, and the
packages go into its site-packages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..recipe import Recipe
from .values import (INSTALL_DIR, PROGRAM_FILES, RUNTIME_DIR, USER_PROGRAMS, Templated, join,
                     under)

ENV_FOLDER = "env"
BIN_FOLDER = "bin"
RUNTIME_FOLDER = "runtime"
SITE_PACKAGES = ("Lib", "site-packages")  # CPython's sysconfig 'nt' layout, venv or not


@dataclass(frozen=True)
class Layout:
    environment: str  # venv | runtime
    install_dir: dict[str, Templated]  # scope -> the default install folder
    runtime_dir: dict[str, Templated]  # scope -> where the runtime goes (if not registered)

    @property
    def venv(self) -> bool:
        return self.environment == "venv"

    @property
    def env_dir(self) -> Templated:
        """The environment the packages go into."""
        return under(INSTALL_DIR, ENV_FOLDER) if self.venv else (RUNTIME_DIR,)

    @property
    def python(self) -> Templated:
        """The environment's python.exe (what the launchers start)."""
        return under(INSTALL_DIR, ENV_FOLDER, "Scripts", "python.exe") if self.venv \
            else under(RUNTIME_DIR, "python.exe")

    @property
    def scripts(self) -> Templated:
        return join(self.env_dir, "\\Scripts")

    @property
    def site_packages(self) -> Templated:
        return join(self.env_dir, "\\" + "\\".join(SITE_PACKAGES))

    @property
    def bin(self) -> Templated:
        return under(INSTALL_DIR, BIN_FOLDER)


def layout_of(recipe: Recipe) -> Layout:
    rt, pkg = recipe.python, recipe.package
    own = {"machine": under(PROGRAM_FILES, pkg.id), "user": under(USER_PROGRAMS, pkg.id)}
    if recipe.environment == "runtime":
        # a private runtime without install_dir is the app's folder, as with a venv
        machine = (rt.install_dir,) if rt.install_dir else own["machine"]
        install = {"machine": machine, "user": own["user"]}
        return Layout("runtime", install, {"machine": (INSTALL_DIR,), "user": (INSTALL_DIR,)})
    if rt.private:
        private = under(INSTALL_DIR, RUNTIME_FOLDER)
        return Layout("venv", own, {"machine": private, "user": private})
    # python.org's per-user default (its installer's own): %LOCALAPPDATA%\Programs\Python\...
    suffix = "-32" if rt.arch == "x86" else ""
    user = under(USER_PROGRAMS, "Python", f"Python{rt.minor_version.replace('.', '')}{suffix}")
    return Layout("venv", own, {"machine": (rt.install_dir,), "user": user})
