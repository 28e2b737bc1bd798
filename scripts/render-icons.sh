#!/usr/bin/env bash
# Render the app icon's PNG sizes from assets/icon.svg (the one source), or check that
# the committed PNGs are what the SVG renders to (`--check`, run by package-deb.sh).
#
#   scripts/render-icons.sh           write assets/icon.png and assets/icons/pollscope-N.png
#   scripts/render-icons.sh --check   exit 1 naming each PNG that differs from a fresh render
#
# The sizes are hicolor's usual ones (menus 16–48, launchers and software centres
# 64–512); 256 is assets/icon.png, which the window also uses. Needs rsvg-convert
# (Debian: librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=(16 22 24 32 48 64 128 256 512)

png_for() {
    if [[ $1 == 256 ]]; then echo assets/icon.png; else echo "assets/icons/pollscope-$1.png"; fi
}

command -v rsvg-convert >/dev/null 2>&1 || {
    echo "render-icons: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2
    exit 1
}

case "${1:-}" in
    --check)
        stale=0
        tmp=$(mktemp)
        trap 'rm -f "$tmp"' EXIT
        for n in "${SIZES[@]}"; do
            rsvg-convert -w "$n" -h "$n" assets/icon.svg -o "$tmp"
            if ! cmp -s "$tmp" "$(png_for "$n")"; then
                echo "render-icons: $(png_for "$n") differs from assets/icon.svg rendered at ${n}px" >&2
                stale=1
            fi
        done
        ((stale == 0)) || { echo "render-icons: run scripts/render-icons.sh and commit" >&2; exit 1; }
        echo "render-icons: ${#SIZES[@]} PNGs match assets/icon.svg"
        ;;
    "")
        mkdir -p assets/icons
        for n in "${SIZES[@]}"; do
            rsvg-convert -w "$n" -h "$n" assets/icon.svg -o "$(png_for "$n")"
            echo "wrote $(png_for "$n")"
        done
        ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac
