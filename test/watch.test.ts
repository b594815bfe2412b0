/**
 * watch() on scratch files written by real writers: `utmpdump -r` appending
 * through the shell, python appending in torn pieces, dd rewriting a utmp
 * slot in place, logrotate rotating (create and copytruncate). util-linux's
 * utmpdump reads the files back as the oracle of what was written.
 */
import { spawn, spawnSync, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type WatchEvent, watch } from '../lib';
import { readWithUtmpdump, tempDir, dumpSeconds } from './helpers/utmpdump';
import { EventReader, appendWithUtmpdump, binary, loginRecord, logoutRecord, pidsOf, range } from './helpers/watch';
import { testUnless, testWith } from './helpers/tools';
import { whyNotAsNobody } from './helpers/cli-run';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-watch-')));
afterEach(() => cleanup());

const fdCount = () => fs.readdirSync('/proc/self/fd').length;
/** inotify watches held by this process (libuv keeps one inotify descriptor; each fs.watch adds a watch to it). */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      n += fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
/** Timers and fs watchers alive in the event loop. */
const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'FSEventWrap').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every field of each event equals what utmpdump reads back from the file for its record. */
function expectFieldsFromUtmpdump(events: WatchEvent[], file: string, from: number): void {
  const oracle = readWithUtmpdump(file).slice(from);
  expect(events).toHaveLength(oracle.length);
  events.forEach((e, i) => {
    const o = oracle[i];
    // A logout that names its login (watch-pairing.test.ts) fills what its record lacks: the record is compared.
    const r = e.login ? { user: e.entry!.ut_user, host: e.entry!.ut_host, address: e.entry!.address } : e;
    expect(e.pid).toBe(o.pid);
    expect(r.user).toBe(o.user);
    expect(e.line).toBe(o.line);
    expect(r.host).toBe(o.host);
    expect(r.address ?? '0.0.0.0').toBe(o.addr);
    expect(e.time.getTime()).toBe(Math.floor(dumpSeconds(o.time) * 1000));
    expect(e.source).toBe('wtmp');
    expect(e.path).toBe(file);
  });
}

describe('records appended by utmpdump -r', () => {
  testWith('utmpdump')('each is one event with its fields, in order; records before the start are not replayed', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary([loginRecord(0), loginRecord(1)]));
    const w = watch({ files: [wtmp] });
    const r = new EventReader(w);
    try {
      appendWithUtmpdump(wtmp, [loginRecord(2), logoutRecord(2)]);
      appendWithUtmpdump(wtmp, [loginRecord(3)]);
      const events = await r.events(3);
      expect(events.map((e) => e.type)).toEqual(['login', 'logout', 'login']);
      expectFieldsFromUtmpdump(events, wtmp, 2);
      expect(await r.within(300)).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('a record written in two pieces is one event, once its end arrives', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    const bytes = binary([loginRecord(7)]);
    const w = watch({ files: [wtmp] });
    const r = new EventReader(w);
    try {
      fs.appendFileSync(wtmp, bytes.subarray(0, 100));
      expect(await r.within(300)).toEqual([]);
      fs.appendFileSync(wtmp, bytes.subarray(100));
      const [e] = await r.events(1);
      expect(e).toMatchObject({ type: 'login', user: 'user7', pid: 10007 });
      expect(await r.within(200)).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('boot, shutdown and failed logins (btmp)', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const btmp = path.join(dir, 'btmp');
    fs.writeFileSync(wtmp, '');
    fs.writeFileSync(btmp, '');
    const w = watch({ files: [wtmp, btmp] });
    const r = new EventReader(w);
    try {
      appendWithUtmpdump(wtmp, [
        { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: '2024-01-15T09:00:00,000000+00:00' },
        { type: 1, pid: 0, id: '~~', user: 'shutdown', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: '2024-01-15T11:00:00,000000+00:00' },
      ]);
      const [boot, shutdown] = await r.events(2);
      expect(boot).toMatchObject({ type: 'boot', user: 'reboot', line: '~', host: '6.1.0-18-amd64', source: 'wtmp' });
      expect(shutdown).toMatchObject({ type: 'shutdown', user: 'shutdown', source: 'wtmp' });
      appendWithUtmpdump(btmp, [{ type: 6, pid: 555, id: '', user: 'ro\x1bot', line: 'ssh:notty', host: '203.0.113.9', addr: '203.0.113.9', time: '2024-01-15T12:00:00,000000+00:00' }]);
      const [failed] = await r.events(1);
      expect(failed).toMatchObject({ type: 'failed', user: 'ro\x1bot', line: 'ssh:notty', host: '203.0.113.9', address: '203.0.113.9', pid: 555, source: 'btmp', path: btmp });
    } finally {
      await w.close();
    }
  });

  test('since: replays the records at or after the time, then follows', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary(range(0, 10).map((i) => loginRecord(i))));
    const since = new Date(Date.UTC(2024, 0, 15, 9, 0, 5));
    const w = watch({ files: [wtmp], since });
    const r = new EventReader(w);
    try {
      expect(pidsOf(await r.events(5))).toEqual(range(10005, 10010));
      appendWithUtmpdump(wtmp, [loginRecord(10)]);
      expect(pidsOf(await r.events(1))).toEqual([10010]);
    } finally {
      await w.close();
    }
  });
});

describe('utmp, rewritten in place', () => {
  test('a slot that becomes USER_PROCESS is a login, its DEAD_PROCESS a logout with the user it held; unchanged slots are silent', async () => {
    const utmp = path.join(dir, 'utmp');
    const boot = { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: '2024-01-15T08:00:00,000000+00:00' };
    fs.writeFileSync(utmp, binary([boot, loginRecord(1), loginRecord(2)]));
    const w = watch({ files: [{ path: utmp, kind: 'utmp' }] });
    const r = new EventReader(w);
    // dd writes one slot in place, as pututxline does.
    const writeSlot = (slot: number, rec: ReturnType<typeof loginRecord>) => execFileSync('sh', ['-c', `dd of="$1" bs=384 seek=${slot} conv=notrunc status=none`, 'sh', utmp],
      // dd as it is: with npm run test:asan's LD_PRELOAD of libasan it fails to allocate its buffer.
      { input: binary([rec]), env: { ...process.env, LD_PRELOAD: '' } });
    try {
      const dead = { ...logoutRecord(2), line: loginRecord(2).line };
      writeSlot(2, dead);
      const [logout] = await r.events(1);
      expect(logout).toMatchObject({ type: 'logout', user: 'user2', line: loginRecord(2).line, pid: 10002, source: 'utmp' });
      writeSlot(3, loginRecord(3)); // a new slot at the end
      expect((await r.events(1)).map((e) => [e.type, e.user, e.pid])).toEqual([['login', 'user3', 10003]]);
      writeSlot(2, loginRecord(4)); // the dead slot reused
      expect((await r.events(1)).map((e) => [e.type, e.user, e.pid])).toEqual([['login', 'user4', 10004]]);
      writeSlot(1, loginRecord(1)); // the same bytes again: nothing changed
      expect(await r.within(300)).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

/** A python writer appending the records of `source` to `target` one per open(O_APPEND), as updwtmp does, `delayMs` apart; missing target: the record is dropped, as glibc drops it. */
function appendSlowly(source: string, target: string, delayMs: number) {
  const script = `
import os, sys, time
data = open(sys.argv[1], 'rb').read()
for i in range(0, len(data), 384):
    try:
        fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
        os.write(fd, data[i:i + 384])
        os.close(fd)
    except FileNotFoundError:
        pass
    time.sleep(float(sys.argv[3]) / 1000)
`;
  const child = spawn('python3', ['-c', script, source, target, String(delayMs)], { stdio: 'ignore' });
  return new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`)))));
}

const logrotateTest = testWith('logrotate', 'utmpdump');

test('a writer that opened the file before it was renamed away: its late record still appears, once', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const w = watch({ files: [wtmp] });
  const r = new EventReader(w);
  const held = fs.openSync(wtmp, 'a'); // opened before the rotation, written after it
  try {
    fs.renameSync(wtmp, `${wtmp}.1`);
    fs.writeFileSync(wtmp, binary([loginRecord(1)]));
    expect(pidsOf(await r.events(1))).toEqual([10001]); // the watch has moved to the new file
    fs.writeSync(held, binary([loginRecord(0)]));
    expect(pidsOf(await r.events(1))).toEqual([10000]);
    appendWithUtmpdump(wtmp, [loginRecord(2)]);
    expect(pidsOf(await r.events(1))).toEqual([10002]);
    expect(await r.within(300)).toEqual([]);
  } finally {
    fs.closeSync(held);
    await w.close();
  }
});

describe('logrotate, while records are appended', () => {
  function rotate(conf: string): void {
    execFileSync('logrotate', ['-f', '-s', path.join(dir, 'logrotate.state'), conf], { stdio: 'pipe' });
  }

  /** The pids in the rotated files, oldest first, then the file itself (utmpdump reads them). */
  function pidsOnDisk(wtmp: string): number[] {
    const files = fs.readdirSync(dir).filter((n) => /^wtmp\.\d+$/.test(n)).sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1]));
    return [...files.map((n) => path.join(dir, n)), wtmp].flatMap((f) => readWithUtmpdump(f).map((d) => d.pid));
  }

  logrotateTest('create: every record before and after each rotation appears exactly once, in order', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '', { mode: 0o664 });
    const conf = path.join(dir, 'logrotate.conf');
    fs.writeFileSync(conf, `${wtmp} {\n  create 0664\n  rotate 9\n  nocompress\n  missingok\n}\n`);
    const records = path.join(dir, 'records');
    fs.writeFileSync(records, binary(range(0, 300).map((i) => loginRecord(i))));
    const w = watch({ files: [wtmp] });
    const r = new EventReader(w);
    try {
      const writing = appendSlowly(records, wtmp, 3);
      for (let i = 0; i < 3; i++) {
        await sleep(250);
        rotate(conf);
      }
      await writing;
      expect(fs.existsSync(path.join(dir, 'wtmp.3'))).toBe(true);
      const written = pidsOnDisk(wtmp);
      expect(written.length).toBeGreaterThan(250); // only records written in a rotation's instant may be dropped by the writer
      const events = await r.events(written.length);
      expect(pidsOf(events)).toEqual(written);
      expect(await r.within(500)).toEqual([]);
    } finally {
      await w.close();
    }
  }, 30_000);

  logrotateTest('copytruncate: every record in either file afterwards appears, none twice, in order', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '', { mode: 0o664 });
    const conf = path.join(dir, 'logrotate.conf');
    fs.writeFileSync(conf, `${wtmp} {\n  copytruncate\n  rotate 9\n  nocompress\n  missingok\n}\n`);
    const records = path.join(dir, 'records');
    fs.writeFileSync(records, binary(range(0, 300).map((i) => loginRecord(i))));
    const w = watch({ files: [wtmp] });
    const r = new EventReader(w);
    try {
      const writing = appendSlowly(records, wtmp, 3);
      for (let i = 0; i < 3; i++) {
        await sleep(250);
        rotate(conf);
      }
      await writing;
      const onDisk = pidsOnDisk(wtmp);
      const events = await r.events(onDisk.length);
      await sleep(300);
      events.push(...((await r.within(500)).filter((e) => e.type !== 'warning') as WatchEvent[]));
      const seen = pidsOf(events) as number[];
      expect(new Set(seen).size).toBe(seen.length); // none twice
      expect(seen).toEqual([...seen].sort((a, b) => a - b)); // in order
      for (const pid of onDisk) expect(seen).toContain(pid); // nothing on disk missed
    } finally {
      await w.close();
    }
  }, 30_000);
});

test('a burst: 10,000 records appended by another process in torn pieces are exactly 10,000 events, in order', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const records = path.join(dir, 'records');
  fs.writeFileSync(records, binary(range(0, 10_000).map((i) => loginRecord(i))));
  const w = watch({ files: [wtmp] });
  const r = new EventReader(w);
  try {
    // Pieces of 1 to 1000 bytes: most records arrive in two or three writes.
    const script = `
import os, random, sys
data = open(sys.argv[1], 'rb').read()
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
random.seed(12)
i = 0
while i < len(data):
    n = random.randint(1, 1000)
    os.write(fd, data[i:i + n])
    i += n
os.close(fd)
`;
    execFileSync('python3', ['-c', script, records, wtmp]);
    const events = await r.events(10_000, 30_000);
    expect(pidsOf(events)).toEqual(range(10000, 20000));
    expect(events.every((e) => e.type === 'login')).toBe(true);
    expect(await r.within(300)).toEqual([]);
  } finally {
    await w.close();
  }
}, 60_000);

describe('restart from a stored position', () => {
  test('stop at a position, append, start again from it: nothing lost, nothing repeated', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    let w = watch({ files: [wtmp] });
    let r = new EventReader(w);
    appendWithUtmpdump(wtmp, range(0, 5).map((i) => loginRecord(i)));
    const first = await r.events(3); // stop after handling three, two more already read
    const stored = JSON.stringify(first[2].position);
    await w.close();
    appendWithUtmpdump(wtmp, range(5, 8).map((i) => loginRecord(i)));
    w = watch({ files: [wtmp], position: stored });
    r = new EventReader(w);
    try {
      expect(pidsOf(await r.events(5))).toEqual(range(10003, 10008));
      appendWithUtmpdump(wtmp, [loginRecord(8)]);
      expect(pidsOf(await r.events(1))).toEqual([10008]);
      expect(await r.within(300)).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('the file was rotated (renamed, a new one created) while stopped: the old tail, then the new file', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    let w = watch({ files: [wtmp] });
    appendWithUtmpdump(wtmp, range(0, 2).map((i) => loginRecord(i)));
    const [, second] = await new EventReader(w).events(2);
    await w.close();
    appendWithUtmpdump(wtmp, [loginRecord(2)]);
    fs.renameSync(wtmp, `${wtmp}.1`);
    appendWithUtmpdump(wtmp, [loginRecord(3)]);
    w = watch({ files: [wtmp], position: second.position });
    try {
      expect(pidsOf(await new EventReader(w).events(2))).toEqual([10002, 10003]);
    } finally {
      await w.close();
    }
  });

  test('the file was truncated by copytruncate while stopped: the copy\'s tail, then the file from its start', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    let w = watch({ files: [wtmp] });
    appendWithUtmpdump(wtmp, range(0, 2).map((i) => loginRecord(i)));
    const [, second] = await new EventReader(w).events(2);
    await w.close();
    appendWithUtmpdump(wtmp, [loginRecord(2)]);
    fs.copyFileSync(wtmp, `${wtmp}.1`);
    fs.truncateSync(wtmp, 0);
    appendWithUtmpdump(wtmp, range(3, 6).map((i) => loginRecord(i)));
    w = watch({ files: [wtmp], position: JSON.parse(JSON.stringify(second.position)) });
    try {
      expect(pidsOf(await new EventReader(w).events(4))).toEqual([10002, 10003, 10004, 10005]);
    } finally {
      await w.close();
    }
  });

  test('a position that is none is a TypeError with a code', () => {
    expect(() => watch({ files: [path.join(dir, 'wtmp')], position: '{"nope":1}' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  test('a position larger than any a watch makes (2 million open rows, or past the byte cap) is a TypeError with a code', () => {
    const open = Array.from({ length: 2_000_000 }, (_, i) => i + 1);
    const huge = { version: 1 as const, sources: { 'wtmpdb:/x/wtmp.db': { kind: 'wtmpdb', maxId: 2_000_001, open } } };
    // A watch that starts anyway is stopped at once (the test fails on the missing throw, not on a leak).
    const start = (position: typeof huge | string) => void watch({ files: [path.join(dir, 'wtmp')], position }).close();
    expect(() => start(huge)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => start(JSON.stringify(huge))).toThrow(/bytes, more than a watch position holds/);
    huge.sources['wtmpdb:/x/wtmp.db'].open = open.slice(0, 10_001);
    expect(() => start(huge)).toThrow(/10001 open rows/);
  });
});

describe('bad input: warnings, and the watch goes on', () => {
  test('a file that disappears, comes back, gets garbage, or becomes a FIFO; the other source keeps reporting', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const btmp = path.join(dir, 'btmp');
    fs.writeFileSync(wtmp, '');
    fs.writeFileSync(btmp, '');
    const w = watch({ files: [wtmp, btmp], pollInterval: 100 });
    const r = new EventReader(w);
    const failed = { type: 6, pid: 1, id: '', user: 'x', line: 'ssh:notty', host: 'h', addr: '0.0.0.0', time: '2024-01-15T12:00:00,000000+00:00' };
    try {
      fs.rmSync(wtmp);
      await r.warning('ENOENT');
      expect(r.warnings.find((x) => x.code === 'ENOENT')).toMatchObject({ source: 'wtmp', path: wtmp });
      appendWithUtmpdump(btmp, [failed]);
      expect((await r.events(1))[0]).toMatchObject({ type: 'failed', source: 'btmp' });
      fs.writeFileSync(wtmp, binary([loginRecord(1)])); // back: read from its start
      expect(pidsOf(await r.events(1))).toEqual([10001]);
      const garbage = Buffer.alloc(384, 0x7f);
      fs.appendFileSync(wtmp, garbage);
      await r.warning('UNKNOWN_TYPE');
      expect(r.warnings.find((x) => x.code === 'UNKNOWN_TYPE')).toMatchObject({ path: wtmp, offset: 384 });
      appendWithUtmpdump(wtmp, [loginRecord(2)]);
      expect(pidsOf(await r.events(1))).toEqual([10002]);
      fs.rmSync(wtmp);
      execFileSync('mkfifo', [wtmp]);
      await r.warning('EFTYPE');
      appendWithUtmpdump(btmp, [failed]);
      expect((await r.events(1))[0]).toMatchObject({ type: 'failed', source: 'btmp' });
    } finally {
      await w.close();
    }
  });

  testUnless(process.getuid?.() === 0 ? 'root reads any file (the test as nobody below covers it)' : null)('a file that becomes unreadable: EACCES, then events again once readable', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    const w = watch({ files: [wtmp], pollInterval: 100 });
    const r = new EventReader(w);
    try {
      fs.rmSync(wtmp);
      fs.writeFileSync(wtmp, '', { mode: 0 });
      await r.warning('EACCES');
      fs.chmodSync(wtmp, 0o644);
      appendWithUtmpdump(wtmp, [loginRecord(1)]);
      expect(pidsOf(await r.events(1))).toEqual([10001]);
    } finally {
      await w.close();
    }
  });
});

// As root, a file cannot be made unreadable to this process: a watch running as nobody is shown it instead.
testUnless(whyNotAsNobody())('a file that becomes unreadable (a watch running as nobody): EACCES, then events once readable again', async () => {
  fs.chmodSync(dir, 0o755);
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '', { mode: 0o644 });
  const script = `
const { watch } = require(${JSON.stringify(path.resolve(__dirname, '../dist'))});
(async () => {
  const w = watch({ files: [process.argv[1]], pollInterval: 100 });
  console.log(JSON.stringify({ type: 'ready' }));
  for await (const e of w) console.log(JSON.stringify({ type: e.type, code: e.code, pid: e.pid }));
})();`;
  const child = spawn(process.execPath, ['-e', script, wtmp], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const until = async (what: string, test: () => boolean) => {
    for (const deadline = Date.now() + 10_000; !test();) {
      if (Date.now() > deadline) throw new Error(`no ${what}; the watch printed: ${out}`);
      await sleep(50);
    }
  };
  try {
    await until('start', () => lines().some((l) => l.type === 'ready'));
    fs.writeFileSync(`${wtmp}.new`, '', { mode: 0 }); // a new file nobody may read, renamed over the old (never missing: no ENOENT however slow the machine)
    fs.renameSync(`${wtmp}.new`, wtmp);
    await until('EACCES warning', () => lines().some((l) => l.type === 'warning' && l.code === 'EACCES'));
    fs.chmodSync(wtmp, 0o644);
    appendWithUtmpdump(wtmp, [loginRecord(1)]);
    await until('the login', () => lines().some((l) => l.type === 'login'));
    expect(lines().filter((l) => l.type !== 'ready')).toEqual([{ type: 'warning', code: 'EACCES' }, { type: 'login', pid: 10001 }]);
  } finally {
    child.kill();
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }
});

describe('stopping', () => {
  test('an AbortSignal ends the iteration; break ends it too', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    const ac = new AbortController();
    const w = watch({ files: [wtmp], signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const seen = [];
    for await (const e of w) seen.push(e);
    expect(seen).toEqual([]);
    const w2 = watch({ files: [wtmp] });
    setTimeout(() => appendWithUtmpdump(wtmp, [loginRecord(1), loginRecord(2)]), 20);
    for await (const e of w2) {
      expect(e).toMatchObject({ pid: 10001 });
      break;
    }
    expect(await w2.next()).toEqual({ value: undefined, done: true });
  });

  test('10,000 watches started and stopped leave no descriptor behind', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const btmp = path.join(dir, 'btmp');
    fs.writeFileSync(wtmp, binary([loginRecord(0)]));
    await watch({ files: [wtmp] }).close(); // libuv opens its inotify descriptor at the first fs.watch, once
    const before = { fds: fdCount(), watches: inotifyWatches(), handles: handles() };
    for (let i = 0; i < 10_000; i++) {
      const w = watch({ files: [wtmp, btmp, { path: path.join(dir, 'utmp'), kind: 'utmp' }] });
      const waiting = i % 3 === 0 ? w.next() : null; // a consumer waiting when it stops
      if (i % 2 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the first reads start; else stop before any ran
      await w.close();
      await waiting; // settled: a warning (btmp is missing) or done
      if (i % 1000 === 0) expect(await w.next()).toEqual({ value: undefined, done: true });
    }
    // A leak would add up over 10,000 cycles; others in this process may close a descriptor meanwhile.
    expect(fdCount()).toBeLessThanOrEqual(before.fds);
    expect(inotifyWatches()).toBeLessThanOrEqual(before.watches);
    // A timer of the last cycles may still be winding down (a kept descriptor's
    // idle close): wait for it a moment; a leaked timer or watcher stays.
    for (let t = 0; t < 30 && handles() > before.handles; t++) await sleep(100);
    expect(handles()).toBeLessThanOrEqual(before.handles); // jest's own timers may have ended meanwhile
  }, 120_000);
});

test('an idle watch uses no measurable CPU (generous bound, CPU time not wall time)', () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, binary([loginRecord(0)]));
  const files = [wtmp, path.join(dir, 'btmp'), { path: path.join(dir, 'utmp'), kind: 'utmp' }];
  // In a process of its own: this one's CPU time includes the garbage the
  // tests before left to the collector's threads.
  const script = `
    const w = require(${JSON.stringify(path.resolve(__dirname, '../dist'))}).watch({ files: ${JSON.stringify(files)} });
    setTimeout(() => {
      const start = process.cpuUsage();
      setTimeout(async () => {
        const used = process.cpuUsage(start);
        await w.close();
        console.log((used.user + used.system) / 1000);
      }, 3000);
    }, 500);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 });
  expect(r.stderr).toBe('');
  const ms = Number(r.stdout.trim());
  expect(Number.isFinite(ms)).toBe(true);
  // A busy poll would burn the whole 3 s; the safety poll and timers cost well under a millisecond each.
  expect(ms).toBeLessThan(150);
}, 20_000);
