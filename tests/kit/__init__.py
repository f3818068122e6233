"""The test kit: what several test modules share, in one importable package.

Test modules import helpers from here (``from kit.recipes import recipe_data``), never from
one another (tests/test_kit_rules.py checks it); tests/conftest.py only registers fixtures.

    kit.recipes    shipped recipes as data, the small demo recipe, writing recipe + lock
    kit.locks      fake locks made with the product's own rules (installer, lock format)
    kit.plans      plans and payloads of test recipes, renders that fetch nothing
    kit.decoders   reading what the builds write (BOM scripts, UTF-16 logs, nupkg members)
    kit.http       a loopback HTTP server with scripted faults
    kit.index      a fake package index and python.org listing on that server
    kit.runtimes   a python.org install-manager index (index-windows.json) on that server
    kit.wheels     small real wheels (METADATA, RECORD) and an index of them
    kit.cli        running ``choconsis`` in-process
    kit.wine       the Wine end-to-end tests' artifacts (kit.wine.artifacts) and fixtures
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"


def reference_file(name: str) -> Path:
    """A test oracle from ../shared/reference/ (PROVENANCE.md there says where each comes
    from). A plain clone has nothing beside it: the test then skips, naming the file; under
    CI=true (CI always has ../shared) its absence fails the test instead."""
    import pytest  # here, so that the benchmarks can use the kit without pytest

    path = REFERENCE / name
    if path.is_file():
        return path
    reason = f"needs ../shared/reference/{name} beside the clone ({path} is missing)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason + "; CI runs every test", pytrace=False)
    pytest.skip(reason)
