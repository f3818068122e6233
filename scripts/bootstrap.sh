# Sourced by scripts/build.sh and scripts/test.sh: installs what they need on a fresh Debian.
# need_apt PKG...  installs the Debian packages that are missing (as root, or with sudo).
# ensure_venv      makes .venv (Python >= 3.11) and upgrades pip in it.

need_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "error: missing Debian packages: ${missing[*]} (makensis comes from 'nsis')." >&2
            echo "       Install them as root: apt-get install ${missing[*]}" >&2
            return 1
        fi
    fi
    echo "Installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        "${missing[@]}" >/dev/null
}

ensure_venv() {
    local py=${PYTHON:-python3}
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "error: choconsis needs Python 3.11 or newer ($py is older or missing)" >&2
        return 1
    fi
    if [ ! -x .venv/bin/python ]; then
        "$py" -m venv .venv || { need_apt python3-venv && "$py" -m venv .venv; }
    fi
    .venv/bin/python -m pip install -q --upgrade pip
}
