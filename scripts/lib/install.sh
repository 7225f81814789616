# Shared by the scripts: install missing Debian packages.
# need_packages CHECK:PACKAGE ...   CHECK is a command name, an absolute path
#                                   that the package installs, or openssl-dev.
need_packages() {
    local missing=()
    for pair in "$@"; do
        local check="${pair%%:*}" pkg="${pair#*:}"
        case "$check" in
            openssl-dev) pkg-config --exists openssl 2>/dev/null || missing+=("$pkg") ;;
            /*) [[ -e "$check" ]] || missing+=("$pkg") ;;
            *) command -v "$check" >/dev/null 2>&1 || missing+=("$pkg") ;;
        esac
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}" >&2
        if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
        $SUDO apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# need_python_modules MODULE:PACKAGE ...: pip-installs the PyPI packages
# whose module python3 cannot import (the WebSocket tests run the real
# `websockets` and `python-socketio` libraries). Debian's own Python refuses
# pip installs into it (PEP 668) unless told, so that is said when needed.
need_python_modules() {
    local missing=()
    for pair in "$@"; do
        python3 -c "import ${pair%%:*}" 2>/dev/null || missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    echo "installing with pip: ${missing[*]}" >&2
    python3 -m pip --version >/dev/null 2>&1 || need_packages pip3:python3-pip
    python3 -m pip install -q "${missing[@]}" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "${missing[@]}"
}
