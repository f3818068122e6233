"""Why a download failed, in the same words everywhere: setup.exe (WinINet codes, HTTP
statuses), the Chocolatey install script (.NET errors as Chocolatey rethrows them) and
choconsis itself (requests errors), all from choconsis/netreasons.py."""

from __future__ import annotations

import re

import pytest
import requests

from choconsis.backends import nsis
from choconsis.backends.chocolatey.reasons import CHOCOLATEY_URL_PATTERN
from choconsis.escaping import nsis_string, ps_string
from choconsis.backends.nsis.reasons import reason_macros
from choconsis.netreasons import (DOTNET_MESSAGES, HTTP_PHRASES, REASONS, WININET_CODES,
                                  dotnet_message_reason, http_words, request_error_reason,
                                  wininet_words)
from kit.decoders import read_script
from kit.plans import plan_from, rendered, web_payload
from kit.recipes import recipe_data

# The words README promises ("code 12007: the server name could not be resolved", "HTTP 404
# Not Found") and the others as the installers print them: written out here, so that a change
# of the product's tables shows up as a failing test, not as a new expectation.
NAME = "the server name could not be resolved"
REFUSED = "the connection was refused, or the server could not be reached"
TIMEOUT = "the connection timed out"
RESET = "the connection was closed or reset"
TLS = "the secure (TLS) connection could not be set up"
CERTIFICATE = "the server's certificate was not accepted"
CLIENT_CERTIFICATE = "the server asks for a client certificate"
DECODING = ("the response could not be decoded (on older Windows often a TLS version the "
            "server does not accept)")

GET = 'Exception calling "GetResponse" with "0" argument(s): '
CHOCO = "The remote file either doesn't exist, is unauthorized, or is forbidden for url '{}'. "


@pytest.mark.parametrize("message, reason", [
    (GET + '"The remote name could not be resolved: \'no-such-host.invalid\'"',
     NAME),
    (GET + '"Unable to connect to the remote server"', REFUSED),
    (GET + '"The operation has timed out"', TIMEOUT),
    ("The underlying connection was closed: Could not establish trust relationship for the "
     "SSL/TLS secure channel.", CERTIFICATE),
    ("The request was aborted: Could not create SSL/TLS secure channel.", TLS),
    ("The underlying connection was closed: An unexpected error occurred on a receive.",
     RESET),
    (CHOCO.format("https://x.example/a.exe") + GET
     + '"The remote server returned an error: (404) Not Found."', "HTTP 404 Not Found"),
    (CHOCO.format("https://x.example/a.exe") + GET
     + '"The remote server returned an error: (503) Server Unavailable."',
     "HTTP 503 Service Unavailable"),
    ("Running [\"C:\\x.exe\" /quiet] was not successful. Exit code was '1603'.", None),
])
def test_dotnet_messages_get_the_installers_words(message, reason):
    """The patterns the install script applies (.NET regex), applied here with Python's re."""
    assert dotnet_message_reason(message) == reason


def test_chocolatey_message_names_the_url():
    match = re.search(CHOCOLATEY_URL_PATTERN, CHOCO.format("https://x.example/a b.exe"))
    assert match and match.group(1) == "https://x.example/a b.exe"


def test_codes_and_statuses_keep_their_number():
    assert wininet_words(12007) == NAME
    assert wininet_words(12029) == REFUSED
    assert wininet_words(12002) == TIMEOUT
    assert {wininet_words(c) for c in (12157, 12175, 12045, 12038, 12037, 12044)} <= {
        TLS, DECODING, CERTIFICATE, CLIENT_CERTIFICATE}
    assert wininet_words(99999) == ""
    assert http_words(404) == "HTTP 404 Not Found" and http_words(599) == "HTTP 599"


def test_setup_exe_and_the_install_script_carry_the_same_words(tmp_path):
    plan = plan_from(recipe_data("openstack-clients"))
    nsi = nsis.render_script(plan, web_payload(plan))
    assert nsi.index("_ChoconsisCodeWords") < nsi.index('!include "download.nsh"')
    macros = reason_macros()
    assert macros in nsi
    # README's two examples, in the words setup.exe prints after the number
    assert f'    ${{Case}} 12007\n      StrCpy ${{OUT}} ": {NAME}"\n' in macros
    assert '    ${Case} 404\n      StrCpy ${OUT} " Not Found"\n' in macros
    # and every code and status of the tables is rendered
    for code, reason in WININET_CODES.items():
        words = nsis_string(": " + REASONS[reason])
        assert f"    ${{Case}} {code}\n      StrCpy ${{OUT}} {words}" in macros
    for status, phrase in HTTP_PHRASES.items():
        assert f"    ${{Case}} {status}\n      StrCpy ${{OUT}} {nsis_string(' ' + phrase)}" \
            in macros
    script = read_script(rendered(plan, tmp_path), "chocolateyInstall.ps1").replace("\r\n", "\n")
    for pattern, reason in DOTNET_MESSAGES:
        assert f"  {ps_string(pattern)} = {ps_string(REASONS[reason])}\n" in script
    assert f" = '{NAME}'\n" in script and f" = '{TIMEOUT}'\n" in script
    assert "  '404' = 'Not Found'\n" in script
    # every step runs inside the try whose catch rewords a failed download
    body = script[script.index("\ntry {\n"):script.index("\n} catch {\n")]
    steps = script.count("\nStart-ChoconsisStep -Number")
    assert steps >= 1 + len([s for s in plan.steps if not s.in_engine])  # + the engine's call
    assert body.count("\nStart-ChoconsisStep -Number") == steps


def test_branding_text_is_the_package_not_nsis():
    data = recipe_data("openstack-clients")
    nsi = nsis.render_script(plan_from(data), web_payload(plan_from(data)))
    package = data["package"]
    assert f'BrandingText "{package["title"]} {package["version"]}"\n' in nsi


def test_request_errors_in_words():
    with pytest.raises(requests.RequestException) as refused:
        requests.get("http://127.0.0.1:9/simple/", timeout=2)
    assert request_error_reason(refused.value) == f"{REFUSED} (ConnectionError)"
    assert request_error_reason(requests.ReadTimeout("read timed out")) == \
        f"{TIMEOUT} (ReadTimeout)"
    assert request_error_reason(requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")) == \
        f"{CERTIFICATE} (SSLError)"
    assert request_error_reason(requests.ConnectionError(
        "Failed to resolve 'no-such-host.invalid' ([Errno -2] Name or service not known)")) == \
        f"{NAME} (ConnectionError)"
    assert request_error_reason(ValueError("odd")) == "ValueError: odd"
