#!/usr/bin/env bash
# Installs the real long-poll servers the interop tests start on loopback:
# nginx with the Nchan module, etcd (v2 API), and PouchDB Server (CouchDB's HTTP API,
# from the npm registry into tests/servers/pouchdb/node_modules); the squid forward proxy
# (tests/proxy.rs); and nftables for the kernel-level fault test (tests/netfaults.rs).
# Debian/Ubuntu.
# The packages must not start system services (nginx would take port 80, squid 3128), so
# a policy-rc.d that refuses service starts is in place during the install.
set -euo pipefail
cd "$(dirname "$0")/.."
pouchdb_packages() {
    if [ ! -d tests/servers/pouchdb/node_modules/express-pouchdb ]; then
        (cd tests/servers/pouchdb && npm ci --no-audit --no-fund --loglevel=error)
    fi
    echo "PouchDB Server packages: $(node --version) in tests/servers/pouchdb"
}
if [ -x /usr/sbin/nginx ] && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] \
    && command -v etcd >/dev/null && command -v nft >/dev/null && [ -x /usr/sbin/squid ] \
    && command -v node >/dev/null && command -v npm >/dev/null; then
    pouchdb_packages
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
$SUDO apt-get install -y -qq --no-install-recommends nginx-light libnginx-mod-nchan etcd-server squid nftables iproute2 >/dev/null
# Node.js only when the machine has none (it may have a newer one than Debian's).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ "$created_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
# Packages may still have started services on some systems; the tests use their own ports.
echo "installed: $(/usr/sbin/nginx -v 2>&1), $(etcd --version | head -1), $(/usr/sbin/squid -v | head -1)"
pouchdb_packages
