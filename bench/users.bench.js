#!/usr/bin/env node
// users() in-process against what Node tools do today: execFileSync('who')
// and parse its text. Target: users() at least 250x faster per call (medians;
// issue 18's margin over issue 10's 200x), also on a utmp whose entries'
// processes have exited, read with dropStale (as the live database is).
//
// This machine has no /run/utmp, so both read the same utmp fixture, written
// by `utmpdump -r` into a temp dir: `who FILE` and `users({ path: FILE })`.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { median, tempDir, writeWithUtmpdump } = require('./common');

// BENCH_DIST: another build to measure (see realistic.bench.js).
const { users, usersAsync } = require(process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(__dirname, '..', 'dist'));
const TARGET = 250;
// A server with a few admins logged in, and a busy shell server.
const SIZES = (process.env.BENCH_SESSIONS || '8,40').split(',').map(Number);
const WHO_CALLS = Number(process.env.BENCH_WHO_CALLS || 60);
const BATCHES = 31;
const BATCH = 200;

// A busy shell server's utmp: boot and run level, gettys, ssh and tmux
// sessions, a few DEAD slots left by logouts.
// `pids`: the sessions' pids (default 4000, 4001, ...).
function fixture(sessions, pids = []) {
  const records = [];
  const row = (type, pid, id, user, line, host, addr, time) => ({ type, pid, id, user, line, host, addr, time });
  const at = (m) => new Date(Date.UTC(2024, 0, 15, 8, m)).toISOString().replace(/\.\d+Z$/, ',000000+00:00');
  records.push(row(2, 0, '~~', 'reboot', '~', '6.1.0-18-amd64', '0.0.0.0', at(0)));
  records.push(row(1, 0x35 + 256 * 0x4e, '~~', 'runlevel', '~', '6.1.0-18-amd64', '0.0.0.0', at(0)));
  for (let i = 1; i <= 6; i++) records.push(row(6, 600 + i, `tty${i}`, 'LOGIN', `tty${i}`, '', '0.0.0.0', at(1)));
  for (let i = 0; i < sessions; i++) {
    const ip = `10.0.${i % 7}.${10 + i}`;
    const host = i % 5 === 4 ? `tmux(${3000 + i}).%0` : ip;
    records.push(row(7, pids[i] ?? 4000 + i, `ts/${i}`, `user${i % 23}`, `pts/${i}`, host, i % 5 === 4 ? '0.0.0.0' : ip, at(2 + i)));
    if (i % 9 === 8) records.push(row(8, pids[i] ?? 4000 + i, `ts/${i}`, '', `pts/${i}`, '', '0.0.0.0', at(3 + i)));
  }
  return records;
}

// What Node tools do: run who, split its lines into user, line, time, host.
function whoParsed(file) {
  const out = execFileSync('who', [file], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)(?:\s+\((.*)\))?/.exec(l);
    return { user: m[1], line: m[2], time: m[3], host: m[4] || '' };
  });
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  console.log('This machine has no /run/utmp, so both sides read the same utmp fixture, written by');
  console.log('`utmpdump -r` into a temp dir: `who FILE` and users({ path: FILE }).');
  let failed = 0;
  for (const sessions of SIZES) if (!(await measure(sessions))) failed++;
  process.exitCode = failed ? 1 : 0;
}

async function measure(sessions) {
  const { dir, cleanup } = tempDir('utmpx-bench-users-');
  try {
    const file = path.join(dir, 'utmp');
    const records = fixture(sessions);
    writeWithUtmpdump(file, records);

    // The same answer both ways, or the comparison means nothing.
    const ours = users({ path: file });
    const theirs = whoParsed(file);
    if (ours.length !== theirs.length || ours.some((u, i) => u.ut_user !== theirs[i].user || u.line !== theirs[i].line)) {
      throw new Error(`users() and who disagree: ${ours.length} vs ${theirs.length} sessions`);
    }

    // Warm up, then medians: per call for who, per call within batches for users().
    for (let i = 0; i < 3; i++) whoParsed(file);
    for (let i = 0; i < 500; i++) users({ path: file });
    const whoTimes = [];
    for (let i = 0; i < WHO_CALLS; i++) {
      const t = now();
      whoParsed(file);
      whoTimes.push(now() - t);
    }
    const usersTimes = [];
    for (let b = 0; b < BATCHES; b++) {
      const t = now();
      for (let i = 0; i < BATCH; i++) users({ path: file });
      usersTimes.push((now() - t) / BATCH);
    }
    // users() keeps the file it read open for a second, and the last read's
    // entries while the bytes stay the same: two paths in turn defeat both,
    // the cost of a poll that finds the file changed (not part of the target).
    const other = path.join(dir, 'utmp-copy');
    fs.copyFileSync(file, other);
    const coldTimes = [];
    for (let b = 0; b < BATCHES; b++) {
      const t = now();
      for (let i = 0; i < BATCH; i += 2) {
        users({ path: file });
        users({ path: other });
      }
      coldTimes.push((now() - t) / BATCH);
    }
    // A live utmp changes at logins and logouts, and is polled in between:
    // usersAsync() trusts a stat of the file only once its last change is two
    // seconds old (lib/records/small-file-reads.ts, Stamp), so poll it from then on.
    const age = Date.now() - fs.statSync(file).ctimeMs;
    if (age < 2100) await new Promise((resolve) => setTimeout(resolve, 2100 - age));
    for (let i = 0; i < 500; i++) await usersAsync({ path: file });
    // As many calls as users() gets, the same batches: comparable medians.
    const asyncTimes = [];
    for (let b = 0; b < BATCHES; b++) {
      const t = now();
      for (let i = 0; i < BATCH; i++) await usersAsync({ path: file });
      asyncTimes.push((now() - t) / BATCH);
    }

    // The live database is read through libc by default (one locked read()
    // per record, as who does): measured on the same file for comparison.
    const libcTimes = [];
    for (let b = 0; b < 11; b++) {
      const t = now();
      for (let i = 0; i < 20; i++) users({ path: file, source: 'libc' });
      libcTimes.push((now() - t) / 20);
    }

    const whoMs = median(whoTimes);
    const usersMs = median(usersTimes);
    const asyncMs = median(asyncTimes);
    const ratio = whoMs / usersMs;
    console.log(`\nutmp fixture: ${ours.length} sessions, ${records.length} records (${fs.statSync(file).size} bytes)`);
    console.log(`execFileSync('who') + parse  median ${(whoMs * 1000).toFixed(0).padStart(8)} µs/call  (${WHO_CALLS} calls)`);
    console.log(`users() in-process           median ${(usersMs * 1000).toFixed(1).padStart(8)} µs/call  (${BATCHES} batches of ${BATCH})`);
    const coldMs = median(coldTimes);
    console.log(`users(), two files in turn   median ${(coldMs * 1000).toFixed(1).padStart(8)} µs/call  (` +
      `${(whoMs / coldMs).toFixed(0)}x; nothing kept from the last call: each opened and decoded; not part of the target)`);
    console.log(`usersAsync() in-process      median ${(asyncMs * 1000).toFixed(1).padStart(8)} µs/call  (` +
      `${(asyncMs / usersMs).toFixed(2)}x users(), target <= 2x; ${BATCHES} batches of ${BATCH}; a file unchanged for 2 s is not read again)`);
    const libcMs = median(libcTimes);
    console.log(`users({ source: 'libc' })    median ${(libcMs * 1000).toFixed(1).padStart(8)} µs/call  (` +
      `${(whoMs / libcMs).toFixed(0)}x; the live database's default reader; not part of the target)`);
    const pass = ratio >= TARGET;
    console.log(`ratio ${ratio.toFixed(0)}x (target >= ${TARGET}x): ${pass ? 'PASS' : 'FAIL'}`);

    // Stale entries: the same utmp, each session's pid that of a process that has exited.
    const deadPids = Array.from({ length: sessions }, () => spawnSync('true').pid);
    const stale = path.join(dir, 'utmp-stale');
    writeWithUtmpdump(stale, fixture(sessions, deadPids));
    if (users({ path: stale, dropStale: true }).length !== 0) throw new Error('users({ dropStale }) kept an exited process');
    for (let i = 0; i < 500; i++) users({ path: stale, dropStale: true });
    const staleWho = [];
    for (let i = 0; i < WHO_CALLS; i++) {
      const t = now();
      whoParsed(stale);
      staleWho.push(now() - t);
    }
    const staleTimes = [];
    for (let b = 0; b < BATCHES; b++) {
      const t = now();
      for (let i = 0; i < BATCH; i++) users({ path: stale, dropStale: true });
      staleTimes.push((now() - t) / BATCH);
    }
    const staleRatio = median(staleWho) / median(staleTimes);
    const stalePass = staleRatio >= TARGET;
    console.log(`users({ dropStale }), every process exited  median ${(median(staleTimes) * 1000).toFixed(1).padStart(8)} µs/call  ` +
      `(who ${(median(staleWho) * 1000).toFixed(0)} µs): ratio ${staleRatio.toFixed(0)}x (target >= ${TARGET}x): ${stalePass ? 'PASS' : 'FAIL'}`);
    return pass && stalePass;
  } finally {
    cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
