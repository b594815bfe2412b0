#!/usr/bin/env node
/**
 * CI smoke check for platforms whose test oracles (util-linux's utmpdump,
 * glibc's who) are missing: macOS, FreeBSD, Alpine. Loads the built package,
 * checks the addon names a C library consistent with the reader it picks,
 * and reads the live database through that reader. Exits non-zero on a
 * mismatch; a missing database (containers) is reported, not a failure.
 */
'use strict';
const assert = require('assert');
const { execFileSync } = require('child_process');
const path = require('path');
const utmpx = require('..');
const { native } = require('../dist/platform/native');

const addon = native();
const live = new utmpx.UtmpFile();
const expected = addon.libcStubs ? 'decoder' : 'libc';
console.log(`platform ${addon.platform}, libc stubs ${addon.libcStubs}, live database ${live.path} read by ${live.source}`);
assert.strictEqual(live.source, expected);
assert.strictEqual(addon.libcStubs, addon.platform === 'musl' || addon.platform === 'other');
if (process.platform === 'linux') assert.strictEqual(addon.platform === 'glibc', Boolean(process.report.getReport().header.glibcVersionRuntime));

try {
  const entries = live.toArray();
  console.log(`${entries.length} records, ${entries.filter((e) => e.ut_user_process).length} user sessions`);
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
  console.log(`no database at ${live.path} (${e.code})`);
}
const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
assert.strictEqual(execFileSync(process.execPath, [cli, '--version']).toString().trim(), require('../package.json').version);
console.log('smoke: ok');
