#!/usr/bin/env bash
# The main job on an example stack: import a busybox image made from the machine's busybox-static (no registry
# needed), bring up examples/web-worker-cache, show it answering and scaling, then take it down. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc() { bin/tscompose "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. a busybox root filesystem -> an image (like `docker import`)
root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/www}
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list-full); do [ "$a" = bin/busybox ] || { mkdir -p "$root/$(dirname "$a")"; ln -sf /bin/busybox "$root/$a"; }; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
tar -C "$root" -cf "$work/busybox.tar" .
tsc image import "$work/busybox.tar" busybox:latest

# 2. the example stack
export COMPOSE_FILE=examples/web-worker-cache/compose.yaml
tsc down --remove-orphans >/dev/null 2>&1 || true
tsc up -d --wait
tsc ps
echo "--- GET http://127.0.0.1:8080/"
node -e "fetch('http://127.0.0.1:8080/').then(async r => console.log(r.status, (await r.text()).trim()))"
tsc scale worker=3
tsc ps
sleep 2
tsc logs --tail 3 worker
tsc down
echo "demo done: the stack came up, answered, scaled, and was removed."
