#!/usr/bin/env bash
# npm run test:valgrind: memcheck over every read path of the addon
# (scripts/valgrind-reads.js). Any memory error, or memory definitely lost,
# fails the run. Node itself runs clean under memcheck, so no suppressions are
# needed but two, for a leak inside Node itself and for V8's conservative
# stack scan (see scripts/valgrind.supp).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[[ -f build/Release/utmpx.node ]] || npm run --silent build:native

log=$(mktemp /tmp/utmpx-valgrind.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --track-origins=yes --num-callers=64 --suppressions=scripts/valgrind.supp \
  --log-file="$log" \
  node scripts/valgrind-reads.js || status=$?
grep -E "ERROR SUMMARY|definitely lost|suppressed:" "$log" | sed 's/^==[0-9]*== */valgrind: /'
if [[ $status -ne 0 ]]; then
  cat "$log" >&2
  echo "valgrind: FAILED (exit $status)" >&2
  exit 1
fi
echo "valgrind: clean"
