#!/usr/bin/env node
// wtmpdb history at speed: sessions() and sessionsAsync() over a
// 1,000,000-row wtmp.db (written by Python's sqlite3 with wtmpdb's schema)
// against `wtmpdb last -f DB > /dev/null` on the same database, medians of
// several runs, each utmpx variant in its own child (its own peak RSS; a
// 100,000-row run beside it shows memory stays flat).
// The baseline runs when `wtmpdb` is on PATH, or inside a Debian 13 root
// named by WTMPDB_ROOT (chroot; the database is copied in); else it says so.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { median, tempDir, childOrMain, runChild } = require('./common');

const ROWS = Number(process.env.BENCH_ROWS || 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const DIST = path.join(__dirname, '..', 'dist');

async function child(variant, file) {
  const { sessions, sessionsAsync, wtmpdbRows } = require(DIST);
  let n = 0;
  const t0 = process.hrtime.bigint();
  if (variant === 'sessions') for (const s of sessions(file)) { if (s) n++; }
  else if (variant === 'sessionsAsync') for await (const s of sessionsAsync(file)) { if (s) n++; }
  else if (variant === 'rows') for (const r of wtmpdbRows(file)) { if (r) n++; }
  else throw new Error(`unknown variant ${variant}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, n };
}

// A history like a busy server's: a boot every 1000 rows (most ended by a
// shutdown), ssh logins with logouts, some left open (crashes).
function writeDb(file, rows) {
  execFileSync('python3', ['-c', `
import sqlite3, sys
n = int(sys.argv[2])
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT')
S = 1000000
base = 1600000000 * S
def gen():
    for i in range(n):
        t = base + i * 60 * S
        if i % 1000 == 0:
            yield (1, 'reboot', t, t + 999 * 60 * S - 30 * S if i % 3000 else None, '~', '6.1.0-13-amd64', None)
        else:
            yield (3, 'user%d' % (i % 97), t, t + 45 * S if i % 50 else None, 'pts/%d' % (i % 16), '10.0.%d.%d' % (i % 250, i % 200), 'sshd')
c.executemany('INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(?,?,?,?,?,?,?)', gen())
c.commit()
`, file, String(rows)], { stdio: 'inherit' });
}

/** `wtmpdb last -f file > /dev/null`, as a function of the file, or null when there is no wtmpdb to run. */
function baseline(file, dir) {
  const onPath = spawnSync('wtmpdb', ['--version'], { stdio: 'ignore' }).status === 0;
  if (onPath) return () => spawnSync('wtmpdb', ['last', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const root = process.env.WTMPDB_ROOT;
  if (root && fs.existsSync(path.join(root, 'usr/bin/wtmpdb'))) {
    const inside = path.join('/tmp', `utmpx-bench-${process.pid}.db`);
    fs.copyFileSync(file, path.join(root, inside));
    process.on('exit', () => fs.rmSync(path.join(root, inside), { force: true }));
    return () => spawnSync('chroot', [root, 'wtmpdb', 'last', '-f', inside], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  void dir;
  return null;
}

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

childOrMain(child, () => {
  const { dir, cleanup } = tempDir('utmpx-bench-wtmpdb-');
  try {
    const file = path.join(dir, 'wtmp.db');
    const small = path.join(dir, 'small.db');
    let t = time(() => writeDb(file, ROWS));
    console.log(`wtmp.db: ${ROWS} rows, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB (written in ${(t / 1000).toFixed(1)} s)`);
    writeDb(small, ROWS / 10);
    const result = {};
    for (const v of ['sessions', 'sessionsAsync', 'rows']) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(runChild(__filename, [v, file]));
      result[v] = { ms: median(runs.map((r) => r.ms)), n: runs[0].n, rss: Math.max(...runs.map((r) => r.maxRssMB)) };
      console.log(`${v.padEnd(14)} ${result[v].ms.toFixed(0).padStart(6)} ms  ${result[v].n} items  peak RSS ${result[v].rss.toFixed(0)} MB`);
    }
    const smallRun = runChild(__filename, ['sessions', small]);
    console.log(`sessions over ${ROWS / 10} rows: peak RSS ${smallRun.maxRssMB.toFixed(0)} MB (memory flat: ${result.sessions.rss.toFixed(0)} MB at ${ROWS} rows)`);
    const run = baseline(file, dir);
    if (!run) {
      console.log('baseline absent: no wtmpdb on PATH (set WTMPDB_ROOT to a Debian 13 root with wtmpdb installed)');
      return;
    }
    const base = median(Array.from({ length: RUNS }, () => time(run)));
    console.log(`wtmpdb last -f DB > /dev/null: ${base.toFixed(0)} ms`);
    console.log(`ratio sessions()/wtmpdb last: ${(result.sessions.ms / base).toFixed(2)}x (target <= 0.5x); sessionsAsync(): ${(result.sessionsAsync.ms / base).toFixed(2)}x`);
  } finally {
    cleanup();
  }
});
