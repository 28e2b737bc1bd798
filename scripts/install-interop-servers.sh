#!/usr/bin/env bash
# Installs the real long-poll servers the interop tests start on loopback:
# nginx with the Nchan module, etcd (v2 API), Pushpin (GRIP proxy; it brings condure and
# zurl), the squid forward proxy (tests/proxy.rs) and nftables for the kernel-level fault
# test (tests/netfaults.rs), from Debian; and from the npm registry, pinned by the
# package-lock.json in each folder of tests/servers: PouchDB Server (CouchDB's HTTP API),
# Socket.IO 4, SockJS and Faye (Bayeux); and dbus-daemon + gnome-keyring for the keyring
# tests (tests/hostile/keyring.rs starts both on a private bus). Debian/Ubuntu.
# The packages must not start system services (nginx would take port 80, squid 3128,
# Pushpin 7999), so a policy-rc.d that refuses service starts is in place during the install.
set -euo pipefail
cd "$(dirname "$0")/.."
npm_packages() {
    for dir in tests/servers/*/; do
        [ -f "$dir/package-lock.json" ] || continue
        # Again only when the lock file changed since the last install.
        if [ ! -f "$dir/node_modules/.package-lock.json" ] \
            || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
            (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        fi
    done
    echo "npm servers ($(node --version)): $(ls -d tests/servers/*/node_modules | tr '\n' ' ')"
}
if [ -x /usr/sbin/nginx ] && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] \
    && command -v etcd >/dev/null && command -v nft >/dev/null && [ -x /usr/sbin/squid ] \
    && command -v pushpin >/dev/null && command -v condure >/dev/null && command -v zurl >/dev/null \
    && command -v node >/dev/null && command -v npm >/dev/null \
    && command -v dbus-daemon >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
    npm_packages
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    created_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends nginx-light libnginx-mod-nchan etcd-server \
    squid pushpin condure zurl nftables iproute2 dbus-daemon gnome-keyring >/dev/null
# Node.js only when the machine has none (it may have a newer one than Debian's).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ "$created_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
# Packages may still have started services on some systems; the tests use their own ports.
echo "installed: $(/usr/sbin/nginx -v 2>&1), $(etcd --version | head -1), $(/usr/sbin/squid -v | head -1), $(pushpin --version)"
npm_packages
