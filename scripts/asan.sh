#!/usr/bin/env bash
# npm run test:asan: the jest suite against the addon built with
# -fsanitize=address,undefined. Works on a copy of the tree in a temporary
# directory, so the build/ everyone else uses is never touched. Node itself
# is not instrumented: libasan is preloaded so the addon's allocations and
# accesses are checked; leak detection is off (V8 keeps memory to the end).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

work=$(mktemp -d /tmp/utmpx-asan.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # some tests read the tree as an unprivileged user
# The working tree as it is (tracked and new files), beside a link to the
# peer samples the tests look for in ../shared.
mkdir "$work/main"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents -r {} "$work/main/" 2>/dev/null || true
ln -s "$repo/node_modules" "$work/main/node_modules"
[[ -d "$repo/../shared" ]] && ln -s "$(cd "$repo/.." && pwd)/shared" "$work/shared"

cd "$work/main"
echo "== building the addon with -fsanitize=address,undefined in $work/main/build"
export CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
export CXXFLAGS="$CFLAGS"
export LDFLAGS="-fsanitize=address,undefined"
npm run --silent build:native >/dev/null
unset CFLAGS CXXFLAGS LDFLAGS
# The JS only: build:ts also writes the man pages by loading the CLI, which would load the
# sanitized addon without libasan preloaded (ASan refuses to start that way).
npx tsc -p tsconfig.json && node scripts/write-esm-entry.js >/dev/null
# Not grep -q: it would quit at the first match, and ldd, killed by SIGPIPE, fail the pipe (pipefail).
ldd build/Release/utmpx.node | grep libasan >/dev/null || { echo "the addon is not linked with libasan" >&2; exit 1; }

echo "== jest with libasan preloaded"
libasan=$(gcc -print-file-name=libasan.so)
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The leak test measures RSS, which ASAN's quarantine inflates by design: it
# runs in npm test and under valgrind instead (scripts/jest.asan.config.js
# leaves it out). Fewer fuzz cases keep this short.
export FUZZ_RUNS=${FUZZ_RUNS:-100}
npx jest --ci --maxWorkers=2 --config scripts/jest.asan.config.js "$@"
echo "asan: the suite passed against the sanitized addon"
