#!/usr/bin/env bash
# Installs what the monitoring tests start themselves: Prometheus (and promtool) for
# tests/prometheus.rs; Xvfb, a D-Bus session bus and the dunst notification daemon for
# tests/notify.rs. Debian/Ubuntu. Services are not started: a
# policy-rc.d refuses service starts during the install (the tests run their own
# Prometheus on free ports).
set -euo pipefail
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v Xvfb >/dev/null || need+=(xvfb)
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)
command -v dbus-send >/dev/null || need+=(dbus-bin)
command -v dunst >/dev/null || need+=(dunst)
if [ ${#need[@]} -eq 0 ]; then
    echo "monitoring: $(prometheus --version 2>&1 | head -1); $(dunst -v 2>&1 | head -1)"
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
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
if [ "$created_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
# A package may still have started its service on some systems; stop it quietly (the
# tests use their own ports and data directories).
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    $SUDO systemctl stop prometheus || true
fi
echo "installed: ${need[*]}"
