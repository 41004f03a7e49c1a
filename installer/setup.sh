#!/usr/bin/env bash
# One-command set-up for a Debian/Ubuntu machine, then run the app or the tests.
#   installer/setup.sh run    -> set up, then start Desktop Twin
#   installer/setup.sh test   -> set up, then run the whole test suite
# A second run with nothing changed only checks stamps and takes about a second.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3

# Runtime libraries (PortAudio, Qt's xcb plugin) and the test rig (Xvfb, PulseAudio).
debian_packages=(
    libportaudio2 libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0
    libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
    libxcb-shape0 libxcb-xinerama0 libdbus-1-3
    xvfb pulseaudio pulseaudio-utils
)

install_debian_packages() {
    local missing=()
    for pkg in "${debian_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python_environment() {
    local stamp="$venv/.desktop-twin-stamp"
    local wanted
    wanted="$(sha256sum "$repo/pyproject.toml" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x "$venv/bin/desktop-twin" ]; then
        return
    fi
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e "$repo[test]"
    echo "$wanted" > "$stamp"
}

install_debian_packages
install_python_environment

case "${1:-run}" in
    run)  shift || true; exec "$venv/bin/desktop-twin" "$@" ;;
    test) shift; cd "$repo"; QT_QPA_PLATFORM=offscreen exec "$venv/bin/python" -m pytest "$@" ;;
    *)    echo "usage: installer/setup.sh [run|test] [args...]" >&2; exit 2 ;;
esac
