#!/usr/bin/env bash
# Install Pollscope's desktop entry and icon for the current user, so it shows up in
# the app menu and starts with a double-click. Run after `cargo install --path .`.
#
#   scripts/install-desktop.sh              install (Exec = ~/.cargo/bin/pollscope)
#   scripts/install-desktop.sh --uninstall  remove what it installed
#
# Honours XDG_DATA_HOME and CARGO_HOME. Needs no root.
set -euo pipefail
cd "$(dirname "$0")/.."

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
apps_dir="$data_home/applications"
icon_dir="$data_home/icons/hicolor/256x256/apps"
svg_dir="$data_home/icons/hicolor/scalable/apps"
binary="${CARGO_HOME:-$HOME/.cargo}/bin/pollscope"
desktop="$apps_dir/pollscope.desktop"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database "$apps_dir" >/dev/null 2>&1 || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$data_home/icons/hicolor" >/dev/null 2>&1 || true
    fi
}

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -f "$desktop" "$icon_dir/pollscope.png" "$svg_dir/pollscope.svg"
    refresh_caches
    echo "removed the Pollscope desktop entry and icons"
    exit 0
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi

if [[ ! -x "$binary" ]]; then
    echo "warning: $binary not found; run 'cargo install --path .' first" >&2
fi

mkdir -p "$apps_dir" "$icon_dir" "$svg_dir"
install -m 0644 assets/icon.png "$icon_dir/pollscope.png"
install -m 0644 assets/icon.svg "$svg_dir/pollscope.svg"
# The desktop spec does not expand ~ or $HOME in Exec: write the absolute path.
sed "s|^Exec=.*|Exec=\"$binary\"|" assets/pollscope.desktop > "$desktop.tmp"
chmod 0644 "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
refresh_caches
echo "installed $desktop"
echo "installed $icon_dir/pollscope.png"
