"""[check] expect in the installers: setup.exe and the Chocolatey script both compare the
check's output with the recipe's text, case-sensitively, and fail with the output shown
(the Wine proof: tests/test_wine_failure_cause.py). A recipe without it checks the exit code
only."""

from __future__ import annotations

import pytest

from choconsis import escaping
from choconsis.backends import chocolatey, nsis
from choconsis.check.powershell import Script
from choconsis.plan import Delivery, build_plan
from choconsis.recipe import parse_recipe
from kit.locks import fake_lock
from kit.plans import web_payload
from kit.recipes import recipe_data

TRICKY = 'say "it\'s $HOME ${X} 100%" `n'  # quotes and each language's specials


def _render(expect: str | None) -> tuple[str, str]:
    data = recipe_data("openstack-clients")
    data["check"].pop("expect", None)
    if expect is not None:
        data["check"]["expect"] = expect
    recipe = parse_recipe(data, "expect.toml")
    plan = build_plan(recipe, fake_lock(recipe), Delivery.WEB)
    payload = web_payload(plan)
    return nsis.render_script(plan, payload), chocolatey.render_install(plan, payload, "x.lock")


def test_the_shipped_recipe_expects_its_version():
    assert recipe_data("openstack-clients")["check"]["expect"] == "openstack 10.5.0"


@pytest.mark.parametrize("expect", ["openstack 10.5.0", TRICKY])
def test_both_installers_compare_the_output_case_sensitively(expect: str):
    nsi, ps1 = _render(expect)
    assert f"  StrCpy $5 {escaping.nsis_string(expect)}\n" in nsi
    assert "${If} $8 S== $5" in nsi  # LogicLib's case-sensitive comparison
    assert "its output does not contain" in nsi
    assert not Script(ps1).tree.root_node.has_error
    assert f"$checkOutput.Contains({escaping.ps_string(expect)})" in ps1
    assert "its output does not contain" in ps1


def test_without_expect_only_the_exit_code_counts():
    nsi, ps1 = _render(None)
    assert "S== $5" not in nsi and ".Contains(" not in ps1
    assert "$checkExit" in ps1  # the output is still shown and kept for the failure message
