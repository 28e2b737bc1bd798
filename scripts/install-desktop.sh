#!/usr/bin/env bash
# Install Pollscope's desktop entry and icons for the current user, so a `cargo install`
# build shows up in the app menu and starts with a double-click. (The Debian package
# does this system-wide by itself: see README "Install".)
#
#   cargo install --path . && scripts/install-desktop.sh   install (Exec = ~/.cargo/bin/pollscope)
#   scripts/install-desktop.sh --uninstall                 remove what it installed
#
# Refuses (and installs nothing) when the binary is not there: a menu entry that cannot
# start helps nobody. Honours XDG_DATA_HOME and CARGO_HOME. Needs no root.
set -euo pipefail
cd "$(dirname "$0")/.."

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
apps_dir="$data_home/applications"
icons="$data_home/icons/hicolor"
binary="${CARGO_HOME:-$HOME/.cargo}/bin/pollscope"
desktop="$apps_dir/pollscope.desktop"
# The same sizes the package installs (scripts/render-icons.sh makes them).
SIZES=(16 22 24 32 48 64 128 256 512)

png_for() {
    if [[ $1 == 256 ]]; then echo assets/icon.png; else echo "assets/icons/pollscope-$1.png"; fi
}

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database "$apps_dir" >/dev/null 2>&1 || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$icons" >/dev/null 2>&1 || true
    fi
}

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -f "$desktop" "$icons/scalable/apps/pollscope.svg"
    for n in "${SIZES[@]}"; do
        rm -f "$icons/${n}x${n}/apps/pollscope.png"
    done
    refresh_caches
    echo "removed the Pollscope desktop entry and icons"
    exit 0
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi

if [[ ! -x "$binary" ]]; then
    echo "install-desktop: $binary is not there (or not executable): run 'cargo install --path .' first." >&2
    echo "install-desktop: nothing installed." >&2
    exit 1
fi

mkdir -p "$apps_dir" "$icons/scalable/apps"
install -m 0644 assets/icon.svg "$icons/scalable/apps/pollscope.svg"
for n in "${SIZES[@]}"; do
    mkdir -p "$icons/${n}x${n}/apps"
    install -m 0644 "$(png_for "$n")" "$icons/${n}x${n}/apps/pollscope.png"
done
# The desktop spec does not expand ~ or $HOME in Exec: write the absolute path, in
# TryExec too, so the menu hides the entry if the binary goes away later.
sed -e "s|^Exec=.*|Exec=\"$binary\"|" -e "s|^TryExec=.*|TryExec=$binary|" \
    assets/pollscope.desktop >"$desktop.tmp"
chmod 0644 "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
refresh_caches
echo "installed $desktop (Exec=\"$binary\")"
echo "installed the icons under $icons"
if [[ -f /usr/share/applications/pollscope.desktop ]]; then
    echo "note: the Debian package's menu entry is installed too; this one, for $binary, takes its place for you" >&2
fi
