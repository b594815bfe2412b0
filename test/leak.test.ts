/**
 * The addon's read paths 100,000 times over (utmp sync and async, error
 * paths, lastlog lookups and scans): the process's resident memory after the
 * run, garbage collected, stays where it was after a warm-up. A leak of even
 * one record's strings per read would add tens of megabytes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LASTLOG_RECORD, lastlogRecord } from './helpers/lastlog';
import { ROOT } from './helpers/reliability';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const READS = 100_000;
const ALLOWED_GROWTH_MB = 8;

// Runs in a child started with --expose-gc, so global.gc() settles the heap
// before each measurement, and a fixed young generation, so V8 growing its
// semi-spaces (tens of MB, reserved but unused) does not pass for a leak.
// Prints the figures as JSON.
const SCRIPT = `
const addon = require('node-gyp-build')(process.argv[1]);
const [utmp, lastlog, reads] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const missing = utmp + '.missing';
async function round(n) {
  // Shares of the read paths; together n reads.
  const share = { sync: 0.25, async: 0.2, error: 0.1, get: 0.3, scan: 0.15 };
  for (let i = 0; i < n * share.sync; i++) addon.readUtmpx(utmp);
  for (let i = 0; i < n * share.async; i += 100) {
    await Promise.all(Array.from({ length: 100 }, () => addon.readUtmpxAsync(utmp)));
  }
  for (let i = 0; i < n * share.error; i++) {
    try { addon.readUtmpx(missing); } catch (e) { if (e.code !== 'ENOENT') throw e; }
  }
  for (let i = 0; i < n * share.get; i++) addon.readLastlog(lastlog, i % 40);
  for (let i = 0; i < n * share.scan; i++) addon.scanLastlog(lastlog, 0, 64, false);
}
function settledRss() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage().rss;
}
(async () => {
  // Warm-up: code compiled, pools, caches and the old generation grown.
  // Node 24's RSS keeps growing through about 50,000 error-path reads before
  // it levels off (not with the count: a leak would), so warm up that long.
  await round(reads / 4);
  settledRss();
  await round(reads / 4);
  const before = settledRss();
  const started = Date.now();
  await round(reads);
  const after = settledRss();
  console.log(JSON.stringify({ before, after, ms: Date.now() - started }));
})();
`;

test(`${READS} native reads: resident memory stays flat`, () => {
  const { dir, cleanup } = tempDir();
  try {
    const utmp = writeWithUtmpdump(path.join(dir, 'rich.utmp'), richFixture());
    // 32 lastlog records, every other one in use.
    const lastlog = path.join(dir, 'lastlog');
    const records = Array.from({ length: 32 }, (_, uid) =>
      (uid % 2 ? Buffer.alloc(LASTLOG_RECORD) : lastlogRecord(1_700_000_000 + uid, `pts/${uid}`, `host${uid}.example`)));
    fs.writeFileSync(lastlog, Buffer.concat(records));
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', '-e', SCRIPT, ROOT, utmp, lastlog, String(READS)], {
      cwd: ROOT, timeout: 120_000,
    }).toString();
    const { before, after, ms } = JSON.parse(out) as { before: number; after: number; ms: number };
    const growthMb = (after - before) / 2 ** 20;
    console.log(`leak: ${READS} reads in ${ms} ms, RSS ${(before / 2 ** 20).toFixed(1)} MB after warm-up, ` +
      `${(after / 2 ** 20).toFixed(1)} MB at the end (${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(1)} MB)`);
    expect(growthMb).toBeLessThan(ALLOWED_GROWTH_MB);
  } finally {
    cleanup();
  }
}, 150_000);
