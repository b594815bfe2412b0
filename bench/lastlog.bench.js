#!/usr/bin/env node
// lastlog on a huge sparse file: logins by uids 0, 1000 and 4,000,000,000 make
// a file of ~1.1 TB apparent size. utmpx iterates it (SEEK_DATA/SEEK_HOLE) and
// reads single users (one pread); beside it shadow's `lastlog -R` on the same
// file (root only: it chroots) and a naive front-to-back scan, measured on a
// prefix and extrapolated. Each utmpx variant runs in its own child process,
// so each peak RSS is its own. The big file is always removed.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { median, tempDir, lastlogRecord, childOrMain, runChild } = require('./common');

const RUNS = Number(process.env.BENCH_RUNS || 7);
const NAIVE_BYTES = Number(process.env.BENCH_NAIVE_MB || 512) * (1 << 20);
const DENSE_USERS = Number(process.env.BENCH_DENSE_USERS || 100_000);
const DIST = path.join(__dirname, '..', 'dist');
const UIDS = [0, 1000, 4_000_000_000];

// ---------------------------------------------------------------- the child side
async function child(variant, file) {
  const { LastlogFile } = require(DIST);
  require(path.join(DIST, 'native')).native(); // load the addon before the clock starts
  const ll = new LastlogFile(file, { resolveUsers: variant !== 'iterateNoNames' });
  let n = 0;
  const t0 = process.hrtime.bigint();
  if (variant === 'iterate' || variant === 'iterateNoNames') {
    for (const e of ll) if (e) n++;
  } else if (variant === 'iterateAsync') {
    for await (const e of ll) if (e) n++;
  } else if (variant === 'get') {
    for (const uid of UIDS) if (ll.get(uid)) n++;
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, n };
}

// ---------------------------------------------------------------- the parent side
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);

function runVariant(variant, file) {
  const runs = Array.from({ length: RUNS }, () => runChild(__filename, [variant, file]));
  return { ms: median(runs.map((r) => r.ms)), n: runs[0].n, maxRssMB: Math.max(...runs.map((r) => r.maxRssMB)) };
}

/** Median wall time of a whole command, spawn included. */
function timeCommand(cmd, args, env) {
  const times = [];
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) return null;
    out = r.stdout;
  }
  return { ms: median(times), out };
}

/** Reads the first `limit` bytes in 1 MiB chunks, looking at each record's time as a naive reader does. */
function naiveScan(file, recordSize, limit) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(Math.floor((1 << 20) / recordSize) * recordSize);
  let pos = 0;
  let found = 0;
  const t0 = process.hrtime.bigint();
  try {
    while (pos < limit) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      for (let off = 0; off + recordSize <= n; off += recordSize) if (buf.readInt32LE(off) !== 0) found++;
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: pos, found };
}

function main() {
  const addon = require(path.join(DIST, 'native')).native();
  const recordSize = addon.lastlog.recordSize;
  if (!recordSize) {
    console.log(`lastlog bench: this platform has no lastlog file (${addon.lastlog.source}); skipped`);
    return;
  }
  const { dir, cleanup } = tempDir('utmpx-bench-lastlog-');
  // With a handler, Ctrl-C does not kill this process outright: the handler runs
  // once main() has returned, so the finally below always removes the big file.
  process.on('SIGINT', () => process.exit(130));
  try {
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/passwd'),
      'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbig:x:4000000000:100::/:/bin/sh\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
    const file = path.join(root, 'var/log/lastlog');
    const fd = fs.openSync(file, 'w');
    const now = Math.floor(Date.now() / 1000);
    try {
      for (const uid of UIDS) {
        const rec = lastlogRecord(recordSize, now - uid % 1000, 'pts/1', '192.0.2.1');
        fs.writeSync(fd, rec, 0, rec.length, uid * recordSize);
      }
    } catch (e) {
      console.log(`lastlog bench: this filesystem (${os.tmpdir()}) does not allow a file of ` +
        `${((UIDS[2] + 1) * recordSize / 1e12).toFixed(2)} TB apparent size (${e.code}); skipped`);
      return;
    } finally {
      fs.closeSync(fd);
    }
    const st = fs.statSync(file);
    console.log(`sparse lastlog: uids ${UIDS.join(', ')}; ${(st.size / 1e12).toFixed(3)} TB apparent, ` +
      `${st.blocks / 2} KiB on disk (${os.tmpdir()})`);

    const results = {};
    for (const variant of ['iterate', 'iterateAsync', 'iterateNoNames', 'get']) {
      const r = runVariant(variant, file);
      results[variant] = r;
      const what = variant === 'get' ? `get() x ${UIDS.length}` : variant === 'iterateNoNames' ? 'iterate {resolveUsers:false}' : variant;
      console.log(`  utmpx ${what.padEnd(28)} ${String(r.n).padStart(2)} entries  ${fmt(r.ms).padStart(9)}  peak RSS ${r.maxRssMB.toFixed(0)} MB (whole process)`);
    }

    // Whole commands, spawn included, on the same file.
    const cli = timeCommand(process.execPath, [path.join(DIST, 'cli/main.js'), 'lastlog', '-f', file]);
    if (cli) console.log(`  utmpx lastlog -f FILE (CLI)        ${String(cli.out.trim().split('\n').length - 1).padStart(2)} rows    ${fmt(cli.ms).padStart(9)}  (whole process: node start-up included)`);
    const isRoot = process.getuid && process.getuid() === 0;
    const shadow = isRoot ? timeCommand('lastlog', ['-R', root], { TZ: 'UTC' }) : null;
    if (shadow) {
      const rows = shadow.out.trim().split('\n').length - 1;
      console.log(`  shadow lastlog -R DIR              ${String(rows).padStart(2)} rows    ${fmt(shadow.ms).padStart(9)}  ` +
        '(one read per passwd account: fast only because the passwd has 3 accounts)');
      if (cli) console.log(`  ratio utmpx CLI / shadow lastlog: ${(cli.ms / shadow.ms).toFixed(0)}x slower as whole processes (node start-up); ` +
        `utmpx in-process iterate / shadow lastlog: ${(results.iterate.ms / shadow.ms).toFixed(2)}x`);
    } else {
      console.log('  shadow lastlog -R DIR: not run (needs root for chroot, and lastlog(8))');
    }

    // A reader that walks the file front to back: measured on a prefix.
    const naive = naiveScan(file, recordSize, Math.min(NAIVE_BYTES, st.size));
    const perByte = naive.ms / naive.bytes;
    const estimatedMs = perByte * st.size;
    console.log(`  naive 1 MiB-chunk scan: ${(naive.bytes / (1 << 20)).toFixed(0)} MiB in ${fmt(naive.ms)} ` +
      `(${(naive.bytes / 1e9 / (naive.ms / 1000)).toFixed(2)} GB/s) -> whole file ~${(estimatedMs / 3.6e6).toFixed(1)} h (extrapolated)`);
    console.log(`  ratio naive scan / utmpx iterate: ~${(estimatedMs / results.iterate.ms).toExponential(1)}x`);

    // Dense: every uid from 0 on has logged in.
    const dense = path.join(dir, 'dense-lastlog');
    const block = Buffer.concat(Array.from({ length: 1000 }, (_, i) => lastlogRecord(recordSize, now - i, 'tty1', '')));
    const dfd = fs.openSync(dense, 'w');
    for (let i = 0; i < DENSE_USERS / 1000; i++) fs.writeSync(dfd, block, 0, block.length, i * block.length);
    fs.closeSync(dfd);
    console.log(`dense lastlog: uids 0..${DENSE_USERS - 1} all logged in (${(fs.statSync(dense).size / 1e6).toFixed(1)} MB), ` +
      'almost none of them accounts here:');
    for (const variant of ['iterateNoNames', 'iterate']) {
      const d = runVariant(variant, dense);
      const what = variant === 'iterate' ? 'iterate (getpwuid_r each)' : 'iterate {resolveUsers:false}';
      console.log(`  utmpx ${what.padEnd(28)} ${d.n} entries ${fmt(d.ms).padStart(9)}  peak RSS ${d.maxRssMB.toFixed(0)} MB`);
    }
  } finally {
    cleanup();
  }
}

childOrMain(child, main);
