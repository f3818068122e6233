# Sourced by scripts/build.sh and scripts/test.sh: installs what they need on a fresh Debian.
# need_apt PKG...  installs the Debian packages that are missing (as root, or with sudo).
# need_i386        enables Debian's i386 architecture, which packages named PKG:i386 need.
# ensure_venv      makes .venv (Python >= 3.11) and upgrades pip in it.

_as_root() {  # the prefix that runs a command as root ("" or "sudo"); fails without either
    if [ "$(id -u)" -eq 0 ]; then echo ""; elif command -v sudo >/dev/null 2>&1; then echo "sudo"
    else return 1; fi
}

need_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo
    if ! sudo=$(_as_root); then
        echo "error: missing Debian packages: ${missing[*]} (makensis comes from 'nsis')." >&2
        echo "       Install them as root: apt-get install ${missing[*]}" >&2
        return 1
    fi
    echo "Installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        "${missing[@]}" >/dev/null
}

need_i386() {
    [ "$(dpkg --print-architecture)" = i386 ] && return 0
    dpkg --print-foreign-architectures | grep -qx i386 && return 0
    local sudo
    if ! sudo=$(_as_root); then
        echo "error: Debian's i386 architecture is not enabled (wine32:i386, which runs 32-bit" >&2
        echo "       Windows programs under Wine, needs it). As root:" >&2
        echo "       dpkg --add-architecture i386 && apt-get update && apt-get install wine32:i386" >&2
        return 1
    fi
    echo "Enabling Debian's i386 architecture (for wine32:i386)"
    $sudo dpkg --add-architecture i386
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
