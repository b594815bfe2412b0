#!/usr/bin/env node
// Runs every bench/*.bench.js in its own process, one after another, so each
// reports its own peak RSS and none disturbs another. `npm run bench [name]`
// runs only the benches whose file name contains `name`.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const filter = process.argv[2] || '';
const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.js') && f.includes(filter)).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, file)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
if (files.length === 0) console.log('no benchmarks match');
process.exitCode = failed ? 1 : 0;
