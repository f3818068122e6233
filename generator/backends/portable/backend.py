"""The portable zip (``portable``: ``<id>-<version>-portable.zip``) on the back-end interface.

Layout of the zip (and of its rendered sources, ``<out>/<id>/portable/``)::

    bin\\<command>.exe     one launcher per command: starts ..\\runtime\\python.exe (launchers.py;
                         a native program is itself, a batch file <command>.cmd hands over)
    runtime\\              the zip runtime, the app's packages in its Lib\\site-packages

No install step: unpack anywhere, run ``bin\\<command>``; nothing is written outside the
folder (no registry, no PATH). A venv is not relocatable, so the runtime itself holds the
packages; it is private to the folder.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import BuildError
from ...payload import Payload
from ...plan import InstallPlan
from ..base import Backend, Made, Options, Rendered
from .archive import write_zip
from .launchers import RUNTIME_FOLDER, command_launchers


def portable_zip_name(plan: InstallPlan) -> str:
    return f"{plan.package.id}-{plan.package.version}-portable.zip"


class PortableBackend(Backend):
    output = "portable"
    folder = "portable"
    label = "portable zip"
    media_type = "application/zip"
    payload_parts = frozenset({"portable"})

    def artifact_name(self, plan: InstallPlan) -> str:
        return portable_zip_name(plan)

    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        tree = payload.portable
        if tree is None:
            raise BuildError(f"portable zip of {plan.package.id}: the payload has no portable "
                             "tree (a zip runtime with the app installed)")
        rendered = Rendered()
        rendered.add_tree(RUNTIME_FOLDER, tree)
        commands = plan.by_role("commands")
        exposed = getattr(commands[0].install, "commands", ()) if commands else ()
        for name, data in command_launchers(tree, exposed, plan.runtime.arch).items():
            rendered.add(name, data)
        return rendered

    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        assert sources is not None
        return write_zip(sources, artifact)
