#!/usr/bin/env bash
# Installs the real long-poll servers the interop tests start on loopback:
# nginx with the Nchan module, and etcd (v2 API); and nftables for the kernel-level
# fault test (tests/netfaults.rs). Debian/Ubuntu.
# The packages must not start system services (nginx would take port 80), so a
# policy-rc.d that refuses service starts is in place during the install.
set -euo pipefail
if [ -x /usr/sbin/nginx ] && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] \
    && command -v etcd >/dev/null && command -v nft >/dev/null; then
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
$SUDO apt-get install -y -qq --no-install-recommends nginx-light libnginx-mod-nchan etcd-server nftables iproute2 >/dev/null
if [ "$created_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
# Packages may still have started services on some systems; the tests use their own ports.
echo "installed: $(/usr/sbin/nginx -v 2>&1), $(etcd --version | head -1)"
