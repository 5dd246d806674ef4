#!/usr/bin/env bash
# Installs the Debian packages tscompose and its tests need on a fresh Debian 12 machine (run as root).
# Runtime: gcc/make (native runtime), libjansson-dev (its JSON parser), iproute2, nftables.
# Tests and benchmarks: busybox-static (test image), docker-registry + skopeo (local registry), crun/runc/umoci,
# haproxy/wrk/hyperfine (side-by-side benchmarks).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(gcc make libc6-dev libjansson-dev pkg-config iproute2 nftables iptables busybox-static
      docker-registry skopeo crun runc umoci haproxy wrk hyperfine procps psmisc zstd)
PKGS+=(libseccomp-dev)  # native runtime: linux.seccomp (static libseccomp.a)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
