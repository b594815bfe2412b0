#!/usr/bin/env node
// wtmpdb history at scale: 1,000,000- and 5,000,000-row wtmp.db files (a busy
// server over years: many users and addresses, a boot every 1000 rows, a few
// rows out of login order), written once by Python's sqlite3 in one
// transaction and cached (BENCH_CACHE, default $TMPDIR/utmpx-bench-wtmpdb).
// Per size, medians of BENCH_RUNS runs, each in a process of its own (its peak
// RSS from GNU time, or the child's own):
// - `utmpx last -f DB > /dev/null` against `wtmpdb last -f DB > /dev/null`
//   (target <= 1.0x, peak RSS < 100 MB);
// - `sessions(DB, { newestFirst: true })` (peak RSS flat from 1 M to 5 M rows);
// - `utmpx last -n 5 -f DB` (target < 50 ms);
// - `sessions(DB)` in ID order, for reference.
// The baseline runs when `wtmpdb` is on PATH, or inside a Debian 13 root named
// by WTMPDB_ROOT (chroot; the database is copied into its /tmp); else it says so.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { median, childOrMain, runChild } = require('./common');

const SIZES = (process.env.BENCH_SIZES || '1000000,5000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const CACHE = process.env.BENCH_CACHE || path.join(os.tmpdir(), 'utmpx-bench-wtmpdb');
const DIST = path.join(__dirname, '..', 'dist');
const CLI = path.join(DIST, 'cli', 'main.js');

async function child(variant, file) {
  const { sessions } = require(DIST);
  let n = 0;
  const t0 = process.hrtime.bigint();
  if (variant === 'newestFirst') for (const s of sessions(file, { newestFirst: true })) { if (s) n++; }
  else if (variant === 'sessions') for (const s of sessions(file)) { if (s) n++; }
  else throw new Error(`unknown variant ${variant}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, n };
}

// Users, addresses and ttys that repeat as on a real server, sessions of up
// to two hours, 1 in 50 left open (a crash), boots every 1000 rows (2 in 3
// ended by a shutdown), and every 250,007th row a day early (an explicit
// time, an import): out of login order.
const GENERATOR = `
import sqlite3, sys, os
path, n = sys.argv[1], int(sys.argv[2])
tmp = path + '.part'
if os.path.exists(tmp): os.remove(tmp)
c = sqlite3.connect(tmp)
c.execute('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT')
S = 1000000
base = 1500000000 * S
def gen():
    for i in range(n):
        t = base + i * 60 * S
        if i % 1000 == 0:
            yield (1, 'reboot', t, t + 999 * 60 * S - 30 * S if i % 3000 else None, '~', '6.1.0-%d-amd64' % (i // 100000), None)
        else:
            if i % 250007 == 0: t -= 86400 * S
            u = (i * 7919) % 50021
            yield (3, 'user%d' % u, t, t + ((i * 31) % 7200) * S if i % 50 else None, 'pts/%d' % (i % 64),
                   '10.%d.%d.%d' % ((i >> 16) & 255, (i >> 8) & 255, i & 255) if i % 3 else 'host-%d.example.net' % (i % 100003), 'sshd')
c.execute('BEGIN')
c.executemany('INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(?,?,?,?,?,?,?)', gen())
c.commit()
c.close()
os.rename(tmp, path)
`;

/** The cached database of `rows` rows (written when missing). */
function database(rows) {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `wtmp-${rows}.db`);
  if (!fs.existsSync(file)) {
    const t0 = Date.now();
    execFileSync('python3', ['-c', GENERATOR, file, String(rows)], { stdio: 'inherit' });
    console.log(`wrote ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return file;
}

const hasGnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0;

/** Runs `argv` with stdout to /dev/null: { ms, rssMB } (rssMB NaN without GNU time). */
function timed(argv) {
  const t0 = process.hrtime.bigint();
  const r = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'maxrss %M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const m = /maxrss (\d+)/.exec(r.stderr);
  return { ms, rssMB: m ? Number(m[1]) / 1024 : NaN };
}

/** The argv of `wtmpdb last -f file`, or null when there is no wtmpdb to run. */
function baseline(file) {
  if (spawnSync('wtmpdb', ['--version'], { stdio: 'ignore' }).status === 0) return ['wtmpdb', 'last', '-f', file];
  const root = process.env.WTMPDB_ROOT;
  if (root && fs.existsSync(path.join(root, 'usr/bin/wtmpdb'))) {
    const inside = path.join('/tmp', `utmpx-bench-${process.pid}-${path.basename(file)}`);
    fs.copyFileSync(file, path.join(root, inside));
    process.on('exit', () => fs.rmSync(path.join(root, inside), { force: true }));
    return ['chroot', root, 'wtmpdb', 'last', '-f', inside];
  }
  return null;
}

/** Median time and the largest peak RSS of RUNS runs of `run`. */
function measure(run, runs = RUNS) {
  const results = Array.from({ length: runs }, run);
  return { ms: median(results.map((r) => r.ms)), rss: Math.max(...results.map((r) => r.rssMB ?? r.maxRssMB)) };
}

const fmt = (m) => `${m.ms.toFixed(0).padStart(7)} ms  peak RSS ${m.rss.toFixed(0).padStart(4)} MB`;

childOrMain(child, () => {
  const env = { ...process.env, TZ: 'UTC' };
  process.env.TZ = env.TZ;
  const flat = [];
  for (const rows of SIZES) {
    const file = database(rows);
    console.log(`\nwtmp.db: ${rows} rows, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`);
    const last = measure(() => timed([process.execPath, CLI, 'last', '-f', file]));
    console.log(`utmpx last -f DB             ${fmt(last)}`);
    const lastN = measure(() => timed([process.execPath, CLI, 'last', '-n', '5', '-f', file]));
    console.log(`utmpx last -n 5 -f DB        ${fmt(lastN)} (target < 50 ms)`);
    const newest = measure(() => runChild(__filename, ['newestFirst', file]));
    console.log(`sessions({ newestFirst })    ${fmt(newest)}`);
    flat.push(`${newest.rss.toFixed(0)} MB at ${rows} rows`);
    const forward = measure(() => runChild(__filename, ['sessions', file]));
    console.log(`sessions() (ID order)        ${fmt(forward)}`);
    const argv = baseline(file);
    if (!argv) {
      console.log('baseline absent: no wtmpdb on PATH (set WTMPDB_ROOT to a Debian 13 root with wtmpdb installed)');
      continue;
    }
    const base = measure(() => timed(argv));
    console.log(`wtmpdb last -f DB            ${fmt(base)}`);
    console.log(`ratio utmpx last / wtmpdb last: ${(last.ms / base.ms).toFixed(2)}x (target <= 1.0x, peak RSS < 100 MB: ${last.rss.toFixed(0)} MB)`);
  }
  console.log(`\nsessions({ newestFirst }) peak RSS: ${flat.join(', ')} (flat)`);
});
