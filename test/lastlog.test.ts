/**
 * lastlog: records written by shadow's `lastlog -S` inside a chroot directory
 * of the test's own (`-R DIR`, so /var/log/lastlog is never touched) and read
 * back by `lastlog -u` as the oracle; plus hand-made sparse, truncated and
 * damaged files, and the error contract.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LastlogFile, type LastlogEntry, UtmpRecordError, lastLogin, lastLoginAsync } from '../lib';
import { CLI, utmpxIn } from './helpers/cli-run';
import { LASTLOG_RECORD as RECORD, lastlogRecord as record } from './helpers/lastlog';
import { tempDir } from './helpers/utmpdump';
import { have, testUnless, testWith } from './helpers/tools';

const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };
const BIG_UID = 4_000_000_000;

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-lastlog-')));
afterAll(() => cleanup());

/** The host's account of `uid` from getent (independent of the addon), or null. */
function hostName(uid: number): string | null {
  const r = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(':')[0] : null;
}

function writeAt(file: string, uid: number, rec: Buffer): void {
  const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w');
  try {
    fs.writeSync(fd, rec, 0, rec.length, uid * rec.length);
  } finally {
    fs.closeSync(fd);
  }
}

test('the addon reads the x86-64 glibc layout of struct lastlog (292 bytes)', () => {
  if (process.arch === 'x64') expect(RECORD).toBe(292);
  else expect([292, 296]).toContain(RECORD);
});

describe('hand-made sparse file: one login by uid 4,000,000,000', () => {
  let file: string;
  const written = record(1_700_000_000, 'pts/7', '203.0.113.9');
  beforeAll(() => {
    file = path.join(dir, 'sparse-lastlog');
    writeAt(file, BIG_UID, written);
  });

  test('the file is ~1.1 TB apparent and a few KB on disk', () => {
    const st = fs.statSync(file);
    expect(st.size).toBe((BIG_UID + 1) * RECORD);
    expect(st.blocks * 512).toBeLessThan(1 << 20);
  });

  // Speed is measured in `npm run bench lastlog`; here a slot-by-slot walk (hours) would
  // outlast the test's timeout.
  test('iteration finds exactly that record', () => {
    const all = new LastlogFile(file).toArray();
    expect(all).toEqual([{
      uid: BIG_UID, user: hostName(BIG_UID), line: 'pts/7', ut_line: '/dev/pts/7', host: '203.0.113.9',
      time: 1_700_000_000, date: new Date(1_700_000_000_000), service: null, source: 'lastlog',
    }]);
  });

  test('resolveUsers: false leaves names out of iteration only', () => {
    const ll = new LastlogFile(file, { resolveUsers: false });
    expect(ll.toArray().map((e) => [e.uid, e.user])).toEqual([[BIG_UID, null]]);
    expect(ll.lookup(BIG_UID)).toEqual({ uid: BIG_UID, entry: ll.get(BIG_UID) });
  });

  test('async iteration gives the same', async () => {
    expect(await new LastlogFile(file).toArrayAsync()).toEqual(new LastlogFile(file).toArray());
  });

  test('get() reads one record: the uid, a hole, past the end', async () => {
    const ll = new LastlogFile(file);
    expect(ll.get(BIG_UID)?.host).toBe('203.0.113.9');
    expect(ll.get(0)).toBeNull();
    expect(ll.get(123_456_789)).toBeNull();
    expect(ll.get(BIG_UID + 1)).toBeNull();
    expect(ll.get(0xffffffff)).toBeNull();
    expect((await ll.getAsync(BIG_UID))?.time).toBe(1_700_000_000);
    expect(ll.warnings).toEqual([]);
  });
});

test('iteration agrees with a naive front-to-back scan across holes, extents and batches', async () => {
  // A dense run longer than one batch (4096) and one call's 8 MiB budget,
  // then scattered logins with holes of every size between them.
  const file = path.join(dir, 'mixed');
  const uids = new Set<number>();
  for (let uid = 5; uid < 35_005; uid++) uids.add(uid);
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) uids.add(40_000 + Math.floor(random() * 260_000));
  const fd = fs.openSync(file, 'w');
  for (const uid of uids) {
    const rec = record(1_600_000_000 + uid, `pts/${uid % 100}`, `h${uid}`);
    fs.writeSync(fd, rec, 0, rec.length, uid * RECORD);
  }
  fs.closeSync(fd);

  const bytes = fs.readFileSync(file);
  const naive: number[] = [];
  for (let off = 0; off + RECORD <= bytes.length; off += RECORD) {
    if (bytes.readInt32LE(off) !== 0) naive.push(off / RECORD);
  }
  expect(naive.length).toBe(uids.size);

  const ll = new LastlogFile(file, { resolveUsers: false });
  const got = ll.toArray();
  expect(got.map((e) => e.uid)).toEqual(naive);
  expect(got.every((e) => e.time === 1_600_000_000 + e.uid! && e.host === `h${e.uid}`)).toBe(true);
  expect((await ll.toArrayAsync()).map((e) => e.uid)).toEqual(naive);
});

test('fields are bounded by their size and cut at the first NUL', () => {
  const file = path.join(dir, 'fields');
  const line = Buffer.alloc(32, 'L'); // no NUL at all
  const host = Buffer.concat([Buffer.from('host\0junk'), Buffer.alloc(247, 'J')]);
  writeAt(file, 0, record(1, line, host));
  writeAt(file, 2, record(2, 'tty1\0tty1', Buffer.alloc(256, 'H')));
  if (RECORD === 292) writeAt(file, 3, record(-1, 'x', 'y')); // 0xffffffff: read unsigned, as glibc 2.40+ declares it
  const all = new LastlogFile(file).toArray();
  expect(all.map((e) => [e.uid, e.line, e.host, e.time])).toEqual([
    [0, 'L'.repeat(32), 'host', 1],
    [2, 'tty1', 'H'.repeat(256), 2],
    ...(RECORD === 292 ? [[3, 'x', 'y', 0xffffffff]] : []),
  ]);
  expect(all[1].ut_line).toBe('/dev/tty1');
});

describe('truncated file', () => {
  let file: string;
  beforeAll(() => {
    file = path.join(dir, 'truncated');
    writeAt(file, 0, record(100, 'tty1', ''));
    writeAt(file, 1, record(200, 'pts/1', 'h'));
    fs.appendFileSync(file, record(300, 'pts/2', 'cut').subarray(0, 100));
  });

  test('the whole records come back and the partial one is reported', () => {
    const ll = new LastlogFile(file);
    expect(ll.toArray().map((e) => e.time)).toEqual([100, 200]);
    expect(ll.warnings).toEqual([expect.objectContaining({ code: 'TRAILING_BYTES', path: file, offset: 2 * RECORD })]);
    expect(ll.warningCount).toBe(1);
  });

  test('get() of the cut record is null and reported; strict mode throws', () => {
    const warnings: unknown[] = [];
    const ll = new LastlogFile(file, { onWarning: (w) => warnings.push(w) });
    expect(ll.get(2)).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(ll.get(1)?.time).toBe(200);
    expect(() => new LastlogFile(file, { strict: true }).toArray()).toThrow(UtmpRecordError);
  });
});

describe('errors', () => {
  test('a missing file is ENOENT, sync and async', async () => {
    const missing = path.join(dir, 'no-such-lastlog');
    const expected = expect.objectContaining({ code: 'ENOENT', syscall: 'open', path: missing });
    expect(() => new LastlogFile(missing).get(0)).toThrow(expected);
    expect(() => new LastlogFile(missing).toArray()).toThrow(expected);
    await expect(new LastlogFile(missing).toArrayAsync()).rejects.toEqual(expected);
    await expect(lastLoginAsync(0, missing)).rejects.toEqual(expected);
    // Even for a name no account has: the file is looked at first.
    expect(() => lastLogin('no-such-user-xyz', missing)).toThrow(expected);
  });

  test('a directory is EISDIR', () => {
    expect(() => new LastlogFile(dir).get(0)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });

  test('a negative, non-integer or too large uid is a RangeError (ERR_OUT_OF_RANGE), a wrong type a TypeError', async () => {
    const file = path.join(dir, 'fields');
    const ll = new LastlogFile(file);
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 32]) expect(() => ll.get(bad)).toThrow(RangeError);
    expect(() => ll.get({} as unknown as number)).toThrow(TypeError);
    expect(() => ll.get('a\0b')).toThrow(TypeError);
    await expect(ll.getAsync(-1)).rejects.toThrow(RangeError);
    expect(() => new LastlogFile('')).toThrow(TypeError);
  });

  test('an unknown user name is null, and lookup() tells it from a user who never logged in (lookupAsync alike)', async () => {
    expect(spawnSync('getent', ['passwd', 'no-such-user-xyz']).status).not.toBe(0);
    const ll = new LastlogFile(path.join(dir, 'fields'));
    expect(ll.get('no-such-user-xyz')).toBeNull();
    expect(ll.lookup('no-such-user-xyz')).toEqual({ uid: null, entry: null });
    expect(await ll.lookupAsync('no-such-user-xyz')).toEqual({ uid: null, entry: null });
    const rootName = hostName(0)!;
    expect(ll.lookup(rootName).uid).toBe(0);
    expect(await ll.lookupAsync(rootName)).toEqual(ll.lookup(rootName));
    for (let uid = 0; uid < 4; uid++) expect(await ll.lookupAsync(uid)).toEqual(ll.lookup(uid));
    await expect(ll.lookupAsync(-1)).rejects.toThrow(RangeError);
  });

  test('the CLI: an unknown user is exit 1, a missing file exit 1 with ENOENT, a bad option exit 2', () => {
    const run = (...args: string[]) => utmpxIn(env, 'lastlog', ...args);
    const unknown = run('-f', path.join(dir, 'fields'), '-u', 'no-such-user-xyz');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('Unknown user or range');
    const missing = run('-f', path.join(dir, 'no-such-lastlog'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
    expect(run('--bogus').status).toBe(2);
  });
});

// ---- real records: shadow's lastlog -S writes, lastlog -u reads ----

const isRoot = process.getuid?.() === 0;
// shadow's lastlog -R chroots: root only. Debian 13's login has no lastlog.
const writerTest = isRoot ? testWith('lastlog') : testUnless("not root: shadow's lastlog -R needs chroot(2)");

interface Oracle { name: string; port: string; from: string; time: number | null }

/** What `lastlog -R ROOT -u USER` prints (bytes as latin1). */
function lastlogSays(root: string, user: string): string {
  return execFileSync('lastlog', ['-R', root, '-u', user], { env }).toString('latin1');
}

/** `lastlog -R ROOT -u USER`, parsed; times as lastlog prints them (`%a %b %e %H:%M:%S %z %Y`, TZ=UTC). */
function oracle(root: string, user: string): Oracle {
  const out = lastlogSays(root, user).split('\n');
  const row = out[1];
  const name = row.slice(0, 16).trimEnd();
  if (row.endsWith('**Never logged in**')) return { name, port: '', from: '', time: null };
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) \+0000 (\d{4})$/.exec(row);
  if (!m) throw new Error(`unexpected lastlog row: ${JSON.stringify(row)}`);
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[4]);
  const time = Date.UTC(+m[9], month, +m[5], +m[6], +m[7], +m[8]) / 1000;
  return { name: m[1], port: m[2], from: m[3], time };
}

describe('records written by shadow lastlog -S in a chroot of our own', () => {
  let root: string;
  let file: string;
  let before: number;
  let after: number;
  // Accounts that exist on this machine (so names resolve the same inside
  // and outside the chroot), one that never logs in, and one only in the chroot.
  const accounts: Array<{ name: string; uid: number }> = [];
  const loggedIn = () => accounts.filter((a) => a.name !== 'bin');

  beforeAll(() => {
    if (!isRoot || !have('lastlog')) return;
    root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
    for (const uid of [0, 1, 2, 65534]) {
      const name = hostName(uid);
      if (name) accounts.push({ name, uid });
    }
    expect(hostName(BIG_UID)).toBeNull();
    accounts.push({ name: 'ghost', uid: BIG_UID });
    expect(accounts.length).toBeGreaterThanOrEqual(4);
    fs.writeFileSync(path.join(root, 'etc/passwd'), accounts.map((a) => `${a.name}:x:${a.uid}:${a.uid % 65536}::/:/bin/sh\n`).join(''));
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
    file = path.join(root, 'var/log/lastlog');
    fs.writeFileSync(file, '');
    before = Math.floor(Date.now() / 1000);
    for (const a of loggedIn()) execFileSync('lastlog', ['-R', root, '-S', '-u', a.name], { env });
    after = Math.ceil(Date.now() / 1000);
  });

  writerTest('get() agrees with lastlog -u on every field, for every user', () => {
    const ll = new LastlogFile(file);
    for (const a of accounts) {
      const o = oracle(root, a.name);
      const e = ll.get(a.uid);
      if (o.time === null) {
        expect(e).toBeNull();
        continue;
      }
      expect(e).not.toBeNull();
      expect({ user: e!.user ?? 'ghost', port: e!.line, from: e!.host, time: e!.time })
        .toEqual({ user: o.name, port: o.port, from: o.from, time: o.time });
      expect(e!.user).toBe(hostName(a.uid)); // ghost: no account here, so null
      expect(e!.date.getTime()).toBe(e!.time * 1000);
      expect(e!.time).toBeGreaterThanOrEqual(before);
      expect(e!.time).toBeLessThanOrEqual(after);
      // By name too, where the name is an account on this machine.
      if (e!.user !== null) expect(ll.get(a.name)).toEqual(e);
    }
  });

  writerTest('iteration gives exactly the users who logged in, as get() does', async () => {
    const ll = new LastlogFile(file);
    const all = ll.toArray();
    const expected = loggedIn().filter((a) => oracle(root, a.name).time !== null).map((a) => a.uid).sort((x, y) => x - y);
    expect(all.map((e) => e.uid)).toEqual(expected);
    for (const e of all) expect(ll.get(e.uid!)).toEqual(e);
    expect(await ll.toArrayAsync()).toEqual(all);
    const fromAsync: LastlogEntry[] = [];
    for await (const e of new LastlogFile(file)) fromAsync.push(e);
    expect(fromAsync).toEqual(all);
  });

  writerTest('utmpx lastlog -u prints what lastlog -u prints', () => {
    for (const a of accounts.filter((x) => x.name !== 'ghost')) {
      const theirs = lastlogSays(root, a.name);
      const ours = execFileSync(process.execPath, [CLI, 'lastlog', '-f', file, '-u', a.name], { env }).toString('latin1');
      expect(ours).toBe(theirs);
    }
  });

  writerTest('utmpx lastlog --json gives the entries', () => {
    const out = execFileSync(process.execPath, [CLI, 'lastlog', '-f', file, '--json'], { env }).toString();
    const entries = JSON.parse(out) as Array<{ uid: number; time: number }>;
    expect(entries.map((e) => e.uid)).toEqual(new LastlogFile(file).toArray().map((e) => e.uid));
    const nd = execFileSync(process.execPath, [CLI, 'lastlog', '-f', file, '--ndjson', '-u', '0'], { env }).toString();
    expect(JSON.parse(nd).time).toBe(oracle(root, accounts[0].name).time);
  });

  writerTest('a record cleared by lastlog -C is no login any more', () => {
    const victim = loggedIn()[0];
    execFileSync('lastlog', ['-R', root, '-C', '-u', victim.name], { env });
    expect(oracle(root, victim.name).time).toBeNull();
    const ll = new LastlogFile(file);
    expect(ll.get(victim.uid)).toBeNull();
    expect(ll.toArray().map((e) => e.uid)).not.toContain(victim.uid);
    expect(lastLogin(loggedIn()[1].uid, file)).not.toBeNull();
  });
});
