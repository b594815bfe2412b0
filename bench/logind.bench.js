#!/usr/bin/env node
// users() answering from systemd-logind (50 sessions, through sd-login)
// against what Node tools do today: execFileSync('who') and parse its text.
// Target: users() at least 100x faster per call (medians).
//
// Needs root: the sessions are written as logind writes them on a tmpfs over
// /run/systemd in a private mount namespace (the bench re-runs itself under
// `unshare -m --propagation private`), so nothing outside sees them. Without
// root it says so and measures nothing.
//
// On Debian 12 `who` (coreutils 9.1) reads utmp, not logind: it finds no
// sessions here and the spawn is all it costs. On Debian 13 (coreutils 9.7)
// `who` asks sd-login for the same sessions and costs that on top.
'use strict';
const { execFileSync, spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { median } = require('./common');

const TARGET = 100;
const SESSIONS = Number(process.env.BENCH_LOGIND_SESSIONS || 50);
const WHO_CALLS = Number(process.env.BENCH_WHO_CALLS || 60);
const BATCHES = 31;
const BATCH = 200;
const RUN_SYSTEMD = '/run/systemd';

const now = () => Number(process.hrtime.bigint()) / 1e6;

function whoParsed() {
  const out = execFileSync('who', { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(.+?)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)(?:\s+\((.*)\))?/.exec(l);
    return { user: m[1], line: m[2], time: m[3], host: m[4] || '' };
  });
}

function writeSessions(leaders) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=8m', 'utmpx-logind-bench', RUN_SYSTEMD]);
  const dir = path.join(RUN_SYSTEMD, 'sessions');
  fs.mkdirSync(dir);
  const start = Date.now() * 1000 - 3600e6;
  for (let i = 0; i < SESSIONS; i++) {
    const id = String(100 + i);
    const ssh = i % 3 !== 0;
    const fields = {
      UID: 0, USER: 'root', ACTIVE: 1, IS_DISPLAY: 0, STATE: 'active', REMOTE: ssh ? 1 : 0, TYPE: 'tty', CLASS: 'user',
      SCOPE: `session-${id}.scope`, ...(ssh ? { REMOTE_HOST: `10.0.${i % 7}.${10 + i}` } : { TTY: `pts/${i}` }),
      SERVICE: ssh ? 'sshd' : 'login', LEADER: leaders[i % leaders.length], REALTIME: start + i * 1e6, MONOTONIC: 1000 + i,
    };
    const text = '# This is private data. Do not parse.\n' + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, id), text);
    execFileSync('mkfifo', [path.join(dir, `${id}.ref`)]);
  }
}

async function inside() {
  const { users, usersAsync, logindLibrary } = require(path.join(__dirname, '..', 'dist'));
  if (logindLibrary() === null) {
    console.log('skipped: no libsystemd.so.0 or libelogind.so.0 here');
    return true;
  }
  const children = Array.from({ length: 5 }, () => spawn('sleep', ['1000'], { stdio: 'ignore' }));
  try {
    writeSessions(children.map((c) => c.pid));
    // As users call it (the source picked by itself), unless this host keeps a utmp file.
    const utmpHere = fs.existsSync('/run/utmp') || fs.existsSync('/var/run/utmp');
    const opts = utmpHere ? { source: 'logind' } : {};
    const ours = users(opts);
    if (ours.length !== SESSIONS) throw new Error(`users() found ${ours.length} sessions, expected ${SESSIONS}`);
    const theirs = whoParsed();

    for (let i = 0; i < 3; i++) whoParsed();
    for (let i = 0; i < 200; i++) users(opts);
    const whoTimes = [];
    for (let i = 0; i < WHO_CALLS; i++) {
      const t = now();
      whoParsed();
      whoTimes.push(now() - t);
    }
    const usersTimes = [];
    for (let b = 0; b < BATCHES; b++) {
      const t = now();
      for (let i = 0; i < BATCH; i++) users(opts);
      usersTimes.push((now() - t) / BATCH);
    }
    // A session file rewritten before each call: every call reads sd-login again (not part of the target).
    const session = path.join(RUN_SYSTEMD, 'sessions', '100');
    const text = fs.readFileSync(session);
    const freshTimes = [];
    for (let b = 0; b < 11; b++) {
      const t = now();
      for (let i = 0; i < 20; i++) {
        fs.writeFileSync(session + '.tmp', text);
        fs.renameSync(session + '.tmp', session);
        users(opts);
      }
      freshTimes.push((now() - t) / 20);
    }
    const asyncTimes = [];
    for (let b = 0; b < 11; b++) {
      const t = now();
      for (let i = 0; i < 50; i++) await usersAsync(opts);
      asyncTimes.push((now() - t) / 50);
    }
    const whoMs = median(whoTimes);
    const usersMs = median(usersTimes);
    const freshMs = median(freshTimes);
    const asyncMs = median(asyncTimes);
    const ratio = whoMs / usersMs;
    const whoVersion = execFileSync('who', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    console.log(`\nlogind: ${SESSIONS} sessions through sd-login (${logindLibrary()}); ${whoVersion} listed ${theirs.length} ` +
      '(coreutils before 9.4 reads utmp, not logind: then only its spawn is measured)');
    console.log(`execFileSync('who') + parse  median ${(whoMs * 1000).toFixed(0).padStart(8)} µs/call  (${WHO_CALLS} calls)`);
    console.log(`users(${utmpHere ? "{ source: 'logind' }" : ''})${utmpHere ? '' : ' '.repeat(21)} median ${(usersMs * 1000).toFixed(1).padStart(8)} µs/call  (${BATCHES} batches of ${BATCH}; polled: nothing changed)`);
    console.log(`users(), a session changed   median ${(freshMs * 1000).toFixed(1).padStart(8)} µs/call  (` +
      `${(whoMs / freshMs).toFixed(1)}x; every field asked of sd-login again; not part of the target)`);
    console.log(`usersAsync() from logind     median ${(asyncMs * 1000).toFixed(1).padStart(8)} µs/call  (off the main thread; not part of the target)`);
    const pass = ratio >= TARGET;
    console.log(`ratio ${ratio.toFixed(0)}x (target >= ${TARGET}x): ${pass ? 'PASS' : 'FAIL'}`);
    return pass;
  } finally {
    for (const c of children) if (c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    spawnSync('umount', [RUN_SYSTEMD]);
  }
}

function main() {
  if (process.platform !== 'linux' || process.getuid() !== 0) {
    console.log('skipped: needs root on Linux (it mounts a tmpfs over /run/systemd in a private mount namespace)');
    return;
  }
  if (process.argv[2] === '--inside') {
    inside().then((pass) => { process.exitCode = pass ? 0 : 1; }, (e) => { console.error(e); process.exitCode = 1; });
    return;
  }
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, __filename, '--inside'], { stdio: 'inherit' });
  process.exitCode = r.status === null ? 1 : r.status;
}

main();
