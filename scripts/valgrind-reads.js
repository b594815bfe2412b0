// Every read path of the addon, once or a few times, for valgrind memcheck
// (scripts/valgrind.sh): utmpx through libc (sync, async, errors, damaged
// files), the lastlog reader (lookups, scans, sparse and truncated files,
// errors), the file locks, and a worker thread stopped in the middle of a read.
'use strict';
const fs = require('fs');
const path = require('path');
const { Worker } = require('worker_threads');
const { tempDir, writeWithUtmpdump, lastlogRecord } = require('../bench/common');

const root = path.resolve(__dirname, '..');
const addon = require('node-gyp-build')(root);
const { dir, cleanup } = tempDir('utmpx-valgrind-');
let calls = 0;

function expectError(fn, code) {
  try {
    fn();
  } catch (err) {
    if (code && err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    calls++;
    return;
  }
  throw new Error(`expected an error ${code ?? ''}`);
}

async function main() {
  // A utmp written by utmpdump -r: user and dead processes, IPv4 and IPv6, a 32-byte user.
  const utmp = path.join(dir, 'utmp');
  writeWithUtmpdump(utmp, [
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: '2024-01-15T09:00:00,000000+00:00' },
    { type: 7, pid: 4242, id: 'ts/1', user: 'alice', line: 'pts/1', host: '10.0.0.5', addr: '10.0.0.5', time: '2024-01-15T09:30:00,123456+00:00' },
    { type: 7, pid: 4243, id: 'ts/2', user: 'u'.repeat(32), line: 'pts/2', host: 'example.org', addr: '2001:db8::1', time: '2024-01-15T09:31:00,999999+00:00' },
    { type: 8, pid: 4242, id: 'ts/1', user: '', line: 'pts/1', host: '', addr: '0.0.0.0', time: '2024-01-15T10:30:00,000000+00:00' },
  ]);
  const good = fs.readFileSync(utmp);
  const damaged = path.join(dir, 'damaged');
  fs.writeFileSync(damaged, Buffer.concat([good, Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 37) & 255))]));

  for (let i = 0; i < 3; i++) {
    for (const file of [utmp, damaged]) {
      const snap = addon.readUtmpx(file);
      if (snap.records.length < 4) throw new Error('records missing');
      calls++;
    }
  }
  await Promise.all([utmp, damaged, utmp, damaged].map((f) => addon.readUtmpxAsync(f).then(() => calls++)));
  try { addon.readUtmpx(); calls++; } catch (err) { if (err.code !== 'ENOENT') throw err; calls++; } // the system's utmp, if any
  expectError(() => addon.readUtmpx(path.join(dir, 'missing')), 'ENOENT');
  expectError(() => addon.readUtmpx(dir), 'EISDIR');
  expectError(() => addon.readUtmpx(42));
  expectError(() => addon.readUtmpx(''));
  expectError(() => addon.readUtmpx('a\0b'));
  await addon.readUtmpxAsync(path.join(dir, 'missing')).then(() => { throw new Error('no error'); }, () => calls++);

  // lastlog: uids 0..3 in use, one far away (a sparse file), a partial record at the end.
  if (typeof addon.readLastlog === 'function') {
    const size = addon.lastlog.recordSize;
    const lastlog = path.join(dir, 'lastlog');
    const fd = fs.openSync(lastlog, 'w');
    for (const uid of [0, 1, 3, 100000]) {
      fs.writeSync(fd, lastlogRecord(size, 1700000000 + uid, `pts/${uid}`, `host-${uid}.example`), 0, size, uid * size);
    }
    fs.writeSync(fd, Buffer.from('partial'), 0, 7, 100001 * size);
    fs.closeSync(fd);
    for (const key of [0, 1, 2, 3, 100000, 100001, 4294967295, 'root', 'no-such-user-here']) {
      addon.readLastlog(lastlog, key);
      await addon.readLastlogAsync(lastlog, key);
      calls += 2;
    }
    for (const names of [true, false]) {
      let offset = 0;
      for (;;) {
        const batch = addon.scanLastlog(lastlog, offset, 2, names);
        calls++;
        if (batch.done) break;
        offset = batch.next;
      }
      await addon.scanLastlogAsync(lastlog, 0, 64, names);
      calls++;
    }
    expectError(() => addon.readLastlog(path.join(dir, 'missing'), 0), 'ENOENT');
    expectError(() => addon.scanLastlog(dir, 0, 10, false));
    expectError(() => addon.readLastlog(lastlog, -1));
  }

  // File locks.
  const fd = fs.openSync(utmp, 'r');
  if (addon.readLock(fd, false) !== true) throw new Error('no lock');
  addon.unlock(fd);
  if (addon.readLock(fd) !== true) throw new Error('no lock (waiting)');
  addon.unlock(fd);
  if ((await addon.readLockAsync(fd)) !== true) throw new Error('no lock (async)');
  addon.unlock(fd);
  fs.closeSync(fd);
  expectError(() => addon.readLock('x'));
  expectError(() => addon.readLockAsync());
  calls++;

  // A small file read whole in one call into a given buffer; null where it does not apply.
  const size = fs.statSync(utmp).size;
  if (addon.readSmallFile(utmp, 1 << 18, Buffer.alloc(16)) !== -(size + 628)) throw new Error('readSmallFile short buffer');
  const into = Buffer.alloc(size + 628);
  for (const keep of [false, true, true]) {
    if (addon.readSmallFile(utmp, 1 << 18, into, keep) !== size) throw new Error('readSmallFile');
  }
  addon.releaseSmallFile();
  if (addon.readSmallFile(utmp, 10, into) !== null || addon.readSmallFile(dir, 1 << 18, into) !== null) throw new Error('readSmallFile null');
  if (addon.readSmallFile(path.join(dir, 'missing'), 1 << 18, into) !== null) throw new Error('readSmallFile missing');
  expectError(() => addon.readSmallFile(1, 2));
  addon.readSmallFile(utmp, 1 << 18, into, true); // kept open: closed when the environment ends
  calls += 9;

  // A worker thread terminated while its reads are in flight.
  await new Promise((resolve, reject) => {
    const w = new Worker(`
      const { parentPort, workerData } = require('worker_threads');
      const addon = require('node-gyp-build')(workerData.root);
      addon.readSmallFile(workerData.utmp, 1 << 18, Buffer.alloc(1 << 16), true); // kept: the worker's end closes it
      parentPort.postMessage('go');
      (async () => { for (;;) await Promise.all([addon.readUtmpxAsync(workerData.utmp), addon.readUtmpxAsync(workerData.utmp)]); })();
    `, { eval: true, workerData: { root, utmp } });
    w.once('message', () => setTimeout(() => w.terminate(), 50));
    w.on('exit', resolve);
    w.on('error', reject);
  });
  calls++;
  console.log(`valgrind-reads: ${calls} calls into the addon`);
}

main().finally(cleanup).catch((err) => {
  console.error(err);
  process.exit(1);
});
