#!/usr/bin/env bash
# The main job: build the default recipe (openstack-clients) into dist/:
#   dist/openstack-clients.<version>.nupkg and dist/openstack-clients-<version>-setup.exe
# Installs what it needs: Debian's nsis (makensis) and choconsis itself in .venv.
# Extra arguments go to `choconsis build` (e.g. a recipe path, -o DIR, --offline).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
need_apt nsis
ensure_venv
.venv/bin/python -m pip install -q .
exec .venv/bin/choconsis build "$@"
