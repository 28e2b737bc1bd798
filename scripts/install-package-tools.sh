#!/usr/bin/env bash
# Install what building and checking the Debian package needs (CI runs it as root;
# scripts/e2e-package.sh calls it too): the validators (desktop-file-utils, appstream,
# lintian), dpkg-dev (dpkg-shlibdeps for the $auto dependencies), gtk-launch (starts the
# app from its menu entry), librsvg2-bin (the icon check), man-db and the three shells
# whose completions the package ships; and cargo-deb from crates.io.
set -euo pipefail

CARGO_DEB_VERSION=3.8.0
tools=(lintian desktop-file-utils appstream libgtk-3-bin librsvg2-bin dpkg-dev man-db
    bash-completion zsh fish)

missing=()
for p in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    echo "install-package-tools: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    echo "install-package-tools: cargo install cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION" --quiet
fi
