#!/usr/bin/env bash
# Sourced by test/modern/in-namespace.sh and test/arch/in-namespace.sh, already
# inside a private mount namespace (`unshare -m`). `mount_test_root LOWER NAME`
# mounts a fresh writable overlay over the cached root LOWER at $ROOT, with
# /proc, /dev, /dev/pts and a private tmpfs on /run (so /run/utmp is the test's
# own). `install_app ADDON` puts the project there as a user installs it. The
# mounts vanish with the namespace however this ends; the trap also stops what
# still runs in the root (by pid) and removes the scratch directory.

mount_test_root() {
  local lower=$1 name=$2
  # Nothing mounted here may propagate back to the host, whatever unshare's default.
  mount --make-rprivate /
  WORK=$(mktemp -d "/var/tmp/utmpx-$name.XXXXXX")
  ROOT=$WORK/root
  trap cleanup_test_root EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$WORK/upper" "$WORK/work" "$ROOT"
  if ! mount -t overlay overlay -o "lowerdir=$lower,upperdir=$WORK/upper,workdir=$WORK/work" "$ROOT" 2>/dev/null; then
    # No overlayfs here: a private copy does the same, a few seconds slower.
    cp -a "$lower/." "$ROOT/"
  fi
  mount -t proc proc "$ROOT/proc"
  mount --bind /dev "$ROOT/dev"
  mount --bind /dev/pts "$ROOT/dev/pts"
  mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
}

cleanup_test_root() {
  # Anything still running inside the root (a test died before stopping it), by pid.
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOT" ] && kill -KILL "${proc#/proc/}" 2>/dev/null || true
  done
  umount -R "$ROOT" 2>/dev/null || umount -R -l "$ROOT" 2>/dev/null || true
  rm -rf "$WORK"
}

# package.json, the compiled JS, the addon ($1) and the one runtime dependency that finds it.
install_app() {
  local app=$ROOT/opt/utmpx
  mkdir -p "$app/build/Release" "$app/node_modules"
  cp "$REPO/package.json" "$app/"
  cp -r "$REPO/dist" "$app/"
  cp "$1" "$app/build/Release/utmpx.node"
  cp -rL "$REPO/node_modules/node-gyp-build" "$app/node_modules/"
}
