#!/usr/bin/env bash
# Installs the peers of ../shared/BENCHMARKS.md from Debian 12's packages, for `node bench/run.mjs stack` to run
# side by side: docker-compose 1.29 + docker.io 20.10 (dockerd, containerd). Not needed to build, run or test.
# The bench starts its own private dockerd (no iptables, no bridge) and stops it; this script makes sure the
# package's init script does not start a system daemon during the install (a policy-rc.d that says "no").
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(docker.io docker-compose)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
policy=/usr/sbin/policy-rc.d
made=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made=1
fi
trap '[ -n "$made" ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
