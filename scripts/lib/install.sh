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
