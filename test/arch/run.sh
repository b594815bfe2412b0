#!/usr/bin/env bash
# `npm run test:arch [ARCH...]` (root): utmpx on arm64, s390x (big-endian) and
# armhf, each in a Debian 12 root of that architecture run under qemu-user,
# against records written there by that architecture's own programs and read
# back by its own tools. Prints how long each emulated run took.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "test:arch needs root (binfmt_misc, debootstrap, chroot, mounts)" >&2; exit 1; }
ARCHES=${*:-arm64 s390x armhf}
start=$SECONDS
bash test/arch/build-roots.sh $ARCHES
echo "test:arch: roots, Node and addons ready in $((SECONDS - start)) s"
status=0
for arch in $ARCHES; do
  begun=$SECONDS
  if unshare -m --propagation private -- bash test/arch/in-namespace.sh "$arch" \
    npx jest --config test/arch/jest.config.js --runInBand; then result=passed; else result=FAILED; status=1; fi
  echo "test:arch: $arch $result in $((SECONDS - begun)) s (emulated)"
done
echo "test:arch: all done in $((SECONDS - start)) s"
exit $status
