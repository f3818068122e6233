"""Shared fixtures. Wine fixtures live in tests/wine_fixtures.py (imported below when present)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference"
RECIPES = ROOT / "recipes"

sys.path.insert(0, str(Path(__file__).resolve().parent))


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
