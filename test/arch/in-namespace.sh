#!/usr/bin/env bash
# Runs "$@" (jest) with the cached root of architecture $1 mounted: a fresh
# writable overlay over it, /proc, /dev, /dev/pts and a private tmpfs on /run
# (so /run/utmp is the test's own). Started by run.sh through `unshare -m`:
# the mounts vanish with the namespace however this ends; the trap also
# stops whatever still runs in the root (by pid) and removes the scratch dir.
set -euo pipefail

ARCH=$1; shift
CACHE=${UTMPX_ARCH_CACHE:-/var/cache/utmpx-test}
LOWER=$CACHE/arch-$ARCH
REPO=$(cd "$(dirname "$0")/../.." && pwd)

mount --make-rprivate /

WORK=$(mktemp -d /var/tmp/utmpx-arch.XXXXXX)
ROOT=$WORK/root
cleanup() {
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOT" ] && kill -KILL "${proc#/proc/}" 2>/dev/null || true
  done
  umount -R "$ROOT" 2>/dev/null || umount -R -l "$ROOT" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/upper" "$WORK/work" "$ROOT"
if ! mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$WORK/upper,workdir=$WORK/work" "$ROOT" 2>/dev/null; then
  cp -a "$LOWER/." "$ROOT/"
fi
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"

# The project as a user installs it, with the addon cross-compiled for ARCH.
APP=$ROOT/opt/utmpx
mkdir -p "$APP/build/Release" "$APP/node_modules"
cp "$REPO/package.json" "$APP/"
cp -r "$REPO/dist" "$APP/"
cp "$REPO/build-$ARCH/utmpx.node" "$APP/build/Release/"
cp -rL "$REPO/node_modules/node-gyp-build" "$APP/node_modules/"
mkdir -p "$ROOT/opt/utmpx-test" "$ROOT/opt/node/bin"
cp "$REPO/test/arch/writers.py" "$ROOT/opt/utmpx-test/"
cp "$CACHE/arch-node/$ARCH/bin/node" "$ROOT/opt/node/bin/node"
# npm (plain JS) for the packaging test, run by that architecture's Node.
cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ROOT/opt/npm"

export UTMPX_ARCH=$ARCH UTMPX_ARCH_ROOT=$ROOT
"$@"
