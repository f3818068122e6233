"""The Chocolatey back end: the nuspec, the install and uninstall scripts, the .nupkg.

``render(plan, payload, dest)`` writes the folder ``choco pack`` would pack
(:mod:`.package`); the scripts translate the plan's steps with one macro per action kind
(:mod:`.scripts`, ``nuspec/steps.ps1.j2``); :func:`pack` writes a reproducible OPC package
(:mod:`.pack`, :mod:`.opc`).
"""

from .nuspec import NUSPEC_NS, nuspec_metadata, nuspec_name, render_nuspec
from .pack import pack
from .backend import ChocolateyBackend
from .package import embed_files, package_files, render
from .scripts import (INSTALL_SCRIPT, PS_VARIABLES, STATE_FILE, UNINSTALL_SCRIPT, WHEELS_DIR,
                      ScriptSteps, render_install, render_uninstall)
