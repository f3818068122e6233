"""Why a download failed, in words: one table for every place that reports it.

- the NSIS installer gets a WinINet error code or an HTTP status (``nsis/download.nsh``; the
  back end renders :data:`WININET_CODES` and :data:`HTTP_PHRASES` into NSIS macros);
- the Chocolatey install script gets Chocolatey's download error: a .NET ``WebException``
  status, or its message (``nuspec/chocolateyInstall.ps1.j2`` gets :data:`DOTNET_STATUSES`
  and :data:`DOTNET_MESSAGES` rendered as PowerShell tables);
- choconsis itself gets a ``requests`` exception (:func:`request_error_reason`).

All three say the same :data:`REASONS`, and keep the number (WinINet code, HTTP status) when
there is one.
"""

from __future__ import annotations

import re
from http import HTTPStatus

REASONS: dict[str, str] = {
    "name": "the server name could not be resolved",
    "refused": "the connection was refused, or the server could not be reached",
    "unreachable": "the server could not be reached",
    "timeout": "the connection timed out",
    "reset": "the connection was closed or reset",
    "tls": "the secure (TLS) connection could not be set up",
    "certificate": "the server's certificate was not accepted",
    "client-certificate": "the server asks for a client certificate",
    "decoding": "the response could not be decoded (on older Windows often a TLS version "
                "the server does not accept)",
    "response": "the server sent an invalid response",
    "redirect": "a redirect could not be followed",
    "url": "the URL is not valid",
    "offline": "the computer is offline",
    "proxy": "the proxy server could not be reached",
    "cancelled": "the download was cancelled",
    "disk": "the file could not be written (disk full or access denied)",
}

# WinINet error codes (wininet.h, INTERNET_ERROR_BASE 12000) and the Windows errors a file
# write can end with, as download.nsh reports them.
WININET_CODES: dict[int, str] = {
    5: "disk", 112: "disk",  # ERROR_ACCESS_DENIED, ERROR_DISK_FULL
    12002: "timeout",  # ERROR_INTERNET_TIMEOUT
    12005: "url", 12006: "url",  # INVALID_URL, UNRECOGNIZED_SCHEME
    12007: "name",  # ERROR_INTERNET_NAME_NOT_RESOLVED
    12017: "cancelled",  # ERROR_INTERNET_OPERATION_CANCELLED
    12029: "refused",  # ERROR_INTERNET_CANNOT_CONNECT
    12030: "reset", 12031: "reset",  # CONNECTION_ABORTED, CONNECTION_RESET
    12037: "certificate", 12038: "certificate",  # SEC_CERT_DATE_INVALID, SEC_CERT_CN_INVALID
    12044: "client-certificate",  # ERROR_INTERNET_CLIENT_AUTH_CERT_NEEDED
    12045: "certificate",  # ERROR_INTERNET_INVALID_CA
    12055: "certificate", 12057: "certificate",  # SEC_CERT_ERRORS, SEC_CERT_REV_FAILED
    12152: "response",  # ERROR_HTTP_INVALID_SERVER_RESPONSE
    12156: "redirect",  # ERROR_HTTP_REDIRECT_FAILED
    12157: "tls",  # ERROR_INTERNET_SECURITY_CHANNEL_ERROR
    12163: "offline",  # ERROR_INTERNET_DISCONNECTED
    12164: "unreachable",  # ERROR_INTERNET_SERVER_UNREACHABLE
    12165: "proxy",  # ERROR_INTERNET_PROXY_SERVER_UNREACHABLE
    12169: "certificate", 12170: "certificate",  # SEC_INVALID_CERT, SEC_CERT_REVOKED
    12175: "decoding",  # ERROR_INTERNET_DECODING_FAILED
}

# The reason phrase of every HTTP status a download can end with (3xx to 5xx).
HTTP_PHRASES: dict[int, str] = {s.value: s.phrase for s in HTTPStatus if 300 <= s.value < 600}

# System.Net.WebExceptionStatus names (a WebException still attached to the error).
DOTNET_STATUSES: dict[str, str] = {
    "NameResolutionFailure": "name",
    "ConnectFailure": "refused",
    "Timeout": "timeout",
    "ConnectionClosed": "reset",
    "KeepAliveFailure": "reset",
    "ReceiveFailure": "reset",
    "SendFailure": "reset",
    "RequestCanceled": "cancelled",
    "TrustFailure": "certificate",
    "SecureChannelFailure": "tls",
    "ServerProtocolViolation": "response",
    "ProxyNameResolutionFailure": "proxy",
}

# Chocolatey rethrows download errors as text ("The remote file either doesn't exist, ... for
# url 'URL'. <the .NET message>"): the English .NET messages, as regular expressions that mean
# the same in .NET and Python (the tests apply them with Python's re).
DOTNET_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"remote name could not be resolved", "name"),
    (r"proxy name could not be resolved", "proxy"),
    (r"[Uu]nable to connect to the remote server", "refused"),
    (r"operation has timed out", "timeout"),
    (r"trust relationship for the SSL/TLS", "certificate"),
    (r"SSL/TLS secure channel", "tls"),
    (r"underlying connection was closed", "reset"),
    (r"server committed a protocol violation", "response"),
)
# The HTTP status inside a .NET message: "The remote server returned an error: (404) Not Found."
DOTNET_HTTP_STATUS = r"returned an error: \((\d{3})\)"


def wininet_words(code: int) -> str:
    """download.nsh's words for a WinINet or Windows error code ("" when unknown)."""
    reason = WININET_CODES.get(code)
    return REASONS[reason] if reason else ""


def http_words(status: int) -> str:
    """"HTTP 404 Not Found" (the phrase left out for a status HTTP does not define)."""
    phrase = HTTP_PHRASES.get(status)
    return f"HTTP {status} {phrase}" if phrase else f"HTTP {status}"


def dotnet_message_reason(message: str) -> str | None:
    """What download.nsh would say for a .NET download error message, or None."""
    status = re.search(DOTNET_HTTP_STATUS, message)
    if status:
        return http_words(int(status.group(1)))
    for pattern, reason in DOTNET_MESSAGES:
        if re.search(pattern, message):
            return REASONS[reason]
    return None


_PYTHON_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"CERTIFICATE_VERIFY_FAILED|certificate verify failed", "certificate"),
    (r"SSLError|SSL:|TLS", "tls"),
    (r"ProxyError|Unable to connect to proxy", "proxy"),
    (r"Name or service not known|Temporary failure in name resolution|nodename nor servname|"
     r"getaddrinfo failed|No address associated|Failed to resolve", "name"),
    (r"Connection refused|actively refused", "refused"),
    (r"[Nn]etwork is unreachable|No route to host", "unreachable"),
    (r"timed out|Timeout", "timeout"),
    (r"Connection reset|Connection aborted|RemoteDisconnected|closed connection", "reset"),
)


def request_error_reason(err: BaseException) -> str:
    """Words for a failed request (requests/urllib3/socket exception), with its type named:
    "the connection was refused, or the server could not be reached (ConnectionError)"."""
    text = f"{type(err).__name__}: {err}"
    for pattern, reason in _PYTHON_PATTERNS:
        if re.search(pattern, text):
            return f"{REASONS[reason]} ({type(err).__name__})"
    return text
