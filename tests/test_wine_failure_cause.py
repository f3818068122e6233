"""A failed install says why in uv's own words, proven under Wine.

A web installer whose index serves a wheel other than the one locked: the real uv.exe (run
with the Windows certificate store option the plan adds) refuses it, and setup.exe's log
holds the FAILED line naming the step and uv's exit code, followed by uv's last lines; the
install is rolled back, and its Add/Remove entry (written first, marked incomplete) is gone. A small app of wheels made here (tests/kit/wheels.py).
"""

from __future__ import annotations

import pytest

from kit.decoders import failure_log
from kit.wine.apps import HKCU_UNINSTALL, App, build

pytestmark = [pytest.mark.slow]


def test_a_refused_wheel_fails_the_install_with_uvs_last_lines(wine_prefix, loopback,
                                                                tmp_path, test_cache):
    app = App("cause-app", runtime="zip", scope="user", preinstalled=False)
    _, exe = build(app, tmp_path, loopback, test_cache)
    [wheel] = [path for path in loopback.routes if path.startswith("/wheels/probe_app-")]
    loopback.add(wheel, b"PK\x05\x06" + bytes(18))  # an empty zip: not the locked file
    result = wine_prefix.run([wine_prefix.to_windows(exe), "/S"], timeout=600)
    wine_prefix.wait()
    assert result.code != 0
    log = failure_log(wine_prefix, app.app_id)
    # setup.exe's FAILED line: the engine's answer, with uv's last lines under it
    failed = log[log.index("FAILED: choconsis_engine: "):]
    first, *after = failed.splitlines()
    assert "step 3 (uv install probe-app) failed: uv.exe exited with code " in first, log
    count = int(first.split("its last ", 1)[1].split(" ")[0])
    tail = after[:count]
    assert all(line.startswith("  ") for line in tail), log
    assert any("probe_app-1.0-py3-none-any.whl" in line for line in tail), log
    assert "unexpected argument" not in log  # uv took --system-certs; the wheel stopped it
    assert "rollback done" in log
    entries = wine_prefix.reg_query(HKCU_UNINSTALL, recursive=True) or {}
    assert not [k for k in entries if k.lower().endswith("\\" + app.app_id)], entries


def test_a_scope_the_package_does_not_offer_stops_with_its_reason_in_the_log(
        wine_prefix, loopback, tmp_path, test_cache):
    """setup.exe /S /CurrentUser of a package that installs for all users only (an MSI
    runtime) exits 2 before it installs anything, and says why in %TEMP%'s log."""
    app = App("machine-only-app", runtime="msi", scope="machine", runtime_dir="C:\\MoPy312")
    _, exe = build(app, tmp_path, loopback, test_cache)
    result = wine_prefix.run([wine_prefix.to_windows(exe), "/S", "/CurrentUser"], timeout=300)
    wine_prefix.wait()
    assert result.code == 2
    log = failure_log(wine_prefix, app.app_id)
    assert "setup.exe stops (exit code 2): Test app machine-only-app installs for all users " \
        "only (" in log, log
    assert "/CurrentUser cannot be used." in log
    assert not wine_prefix.to_linux("C:\\MoPy312").exists()


def test_a_check_whose_output_lacks_the_expected_text_fails_and_shows_the_output(
        wine_prefix, loopback, tmp_path, test_cache):
    """[check] expect at install time: probe-app prints 'probe-app 1.0', which holds
    'probe-app' but not 'Probe-App' (the comparison is case-sensitive): setup.exe fails the
    check with exit 1, its message shows the output, and the install is rolled back."""
    app = App("expect-app", runtime="zip", scope="user", expect="Probe-App 1.0")
    _, exe = build(app, tmp_path, loopback, test_cache)
    result = wine_prefix.run([wine_prefix.to_windows(exe), "/S", "/CurrentUser"], timeout=600)
    wine_prefix.wait()
    assert result.code == 1, result.output
    log = failure_log(wine_prefix, app.app_id)
    assert 'its output does not contain "Probe-App 1.0" (the recipe\'s [check] expect); ' \
        "its output:" in log, log
    failed = log[log.index("FAILED: "):]
    assert "probe-app 1.0" in failed, log  # the output itself, in the failure message
    assert "rollback done" in log
    entries = wine_prefix.reg_query(HKCU_UNINSTALL, recursive=True) or {}
    assert not [k for k in entries if k.lower().endswith("\\" + app.app_id)], entries
