"""Registers the shared fixtures; every helper lives in the test kit (tests/kit/).

pytest puts tests/ on sys.path (a rootdir without __init__.py), so test modules import the
kit as ``kit``. The Wine fixtures skip themselves when wine is not installed."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from kit.http import LoopbackServer
from kit.wine.fixtures import (components, locks, measurements, test_cache,  # noqa: F401
                               wheel_store, wine_prefix, wine_template, wine_tools)

# Property-based tests explore new examples on a developer's machine; in CI (CI=true) they
# replay a fixed, derandomized set, so a run's verdict does not depend on the draw.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def loopback():
    """A LoopbackServer (kit.http) on 127.0.0.1, stopped after the test."""
    with LoopbackServer() as server:
        yield server
