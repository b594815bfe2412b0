#!/usr/bin/env bash
# Runs "$@" (jest) with the cached root of architecture $1 mounted
# (test/helpers/test-root.sh). Started by run.sh through `unshare -m`.
set -euo pipefail

ARCH=$1; shift
CACHE=${UTMPX_ARCH_CACHE:-/var/cache/utmpx-test}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/test/helpers/test-root.sh"

mount_test_root "$CACHE/arch-$ARCH" arch
# The addon cross-compiled for ARCH.
install_app "$REPO/build-$ARCH/utmpx.node"
mkdir -p "$ROOT/opt/utmpx-test" "$ROOT/opt/node/bin"
cp "$REPO/test/arch/writers.py" "$ROOT/opt/utmpx-test/"
cp "$CACHE/arch-node/$ARCH/bin/node" "$ROOT/opt/node/bin/node"
# npm (plain JS) for the packaging test, run by that architecture's Node.
cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ROOT/opt/npm"

export UTMPX_ARCH=$ARCH UTMPX_ARCH_ROOT=$ROOT
"$@"
