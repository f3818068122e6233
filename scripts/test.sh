#!/usr/bin/env bash
# The whole test suite, fast unit tests and the slow end-to-end tests under Wine.
# Installs what it needs: Debian's nsis, wine (with wine32:i386, so that x86 installers run:
# that enables the i386 architecture), msitools/wixl and osslsigncode, then tox in .venv; tox
# builds choconsis as a wheel, installs it with its test extras and runs pytest.
# Extra arguments go to pytest (e.g. -m "not slow" for the fast tests only).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
need_i386
need_apt nsis wine wine64 wine32:i386 msitools wixl osslsigncode openssl
ensure_venv
.venv/bin/python -m pip install -q "tox>=4"
exec .venv/bin/tox -e py -- "$@"
