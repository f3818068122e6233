"""Where the data packages shipped in the wheel lie: the templates (choconsis._nsis,
choconsis._nuspec) and the built-in recipes (choconsis._recipes). Below every user: the recipe
loader finds its built-in recipes here, the back ends their templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def template_dir(package: str) -> Path:
    """Folder of a data package (choconsis._nsis, choconsis._nuspec, choconsis._recipes).

    Installed, these are packages inside the wheel; in a bare source checkout (no install, e.g.
    ``python -m generator`` from the repo) they are the top-level nsis/, nuspec/, recipes/.
    """
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        folder = Path(__file__).resolve().parents[1] / package.rsplit("._", 1)[1]
        if not folder.is_dir():
            raise
        return folder
