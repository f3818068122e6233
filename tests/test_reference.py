"""reference_file (tests/kit/__init__.py): a missing oracle skips the test naming the file, except
under CI=true, where it fails (CI always has ../shared beside the clone)."""

from __future__ import annotations

import pytest

import kit


@pytest.fixture
def no_reference(tmp_path, monkeypatch):
    monkeypatch.setattr(kit, "REFERENCE", tmp_path / "shared" / "reference")
    return tmp_path / "shared" / "reference"


def test_missing_reference_skips_naming_the_file(no_reference, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as exc:
        kit.reference_file("chocolatey-nuspec.xsd")
    assert "needs ../shared/reference/chocolatey-nuspec.xsd" in str(exc.value)
    assert str(no_reference / "chocolatey-nuspec.xsd") in str(exc.value)


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_reference_fails_under_ci(no_reference, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as exc:
        kit.reference_file("chocolatey-helpers.json")
    assert "chocolatey-helpers.json" in str(exc.value) and "CI runs every test" in str(exc.value)


def test_present_reference_is_returned(no_reference):
    no_reference.mkdir(parents=True)
    (no_reference / "x.txt").write_text("x", encoding="utf-8")
    assert kit.reference_file("x.txt") == no_reference / "x.txt"
