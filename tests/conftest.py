"""Shared fixtures. Wine fixtures live in tests/wine_fixtures.py (imported below when present)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
RECIPES = ROOT / "recipes"

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Property-based tests explore new examples on a developer's machine; in CI (CI=true) they
# replay a fixed, derandomized set, so a run's verdict does not depend on the draw.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def reference_file(name: str) -> Path:
    """A test oracle from ../shared/reference/ (PROVENANCE.md there says where each comes
    from). A plain clone has nothing beside it: the test then skips, naming the file; under
    CI=true (CI always has ../shared) its absence fails the test instead."""
    path = REFERENCE / name
    if path.is_file():
        return path
    reason = f"needs ../shared/reference/{name} beside the clone ({path} is missing)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason + "; CI runs every test", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def loopback():
    """A LoopbackServer (tests/httpserver.py) on 127.0.0.1, stopped after the test."""
    from httpserver import LoopbackServer

    with LoopbackServer() as server:
        yield server

try:  # the Wine end-to-end fixtures; they skip themselves when wine is not installed
    from wine_fixtures import *  # noqa: E402,F401,F403
except ImportError:  # pragma: no cover - a checkout without tests/wine_fixtures.py
    pass
