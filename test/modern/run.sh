#!/usr/bin/env bash
# `npm run test:modern`: the Debian 13 test bed (root only). Builds or reuses
# the root, then runs the suite in a private mount namespace.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "test:modern needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
bash test/modern/build-root.sh
exec unshare -m --propagation private -- bash test/modern/in-namespace.sh \
  npx jest --config test/modern/jest.config.js --runInBand "$@"
