#!/usr/bin/env bash
# The Debian packages the tests need, installed if missing (quick when all are there).
# Called by `make test`; needs root or sudo the first time.
set -euo pipefail

# tests/integration/test_systemd_unit.py runs `systemd-analyze verify`, which needs
# systemd-analyze (Debian's `systemd`) and the unit's ExecReload program /bin/kill (`procps`).
# tests/e2e/test_delivery_chat.py starts its own MQTT broker: Debian's `mosquitto`.
missing=()
command -v systemd-analyze >/dev/null || missing+=(systemd)
[ -x /bin/kill ] || missing+=(procps)
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    "${sudo[@]}" apt-get update
    # No service is started by the install (mosquitto's fixture runs its own broker):
    # policy-rc.d answering 101 forbids it, put in place only for the install when absent.
    policy=()
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        "${sudo[@]}" sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d'
        "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
        policy=(/usr/sbin/policy-rc.d)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
    if [ ${#policy[@]} -gt 0 ]; then "${sudo[@]}" rm -f "${policy[@]}"; fi
fi
