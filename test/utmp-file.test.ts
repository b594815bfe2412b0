/**
 * UtmpFile against util-linux's utmpdump and coreutils' who, on files that
 * utmpdump itself wrote. Both readers (libc and the decoder) are checked.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile, type UtmpEntry } from '../lib';
import {
  asUtf8, expectMatchesUtmpdump, readWithUtmpdump, richFixture, tempDir, writeWithUtmpdump,
} from './helpers/utmpdump';
import { testUnless, testWith } from './helpers/tools';
import { whyNotAsNobody } from './helpers/cli-run';

const signed32 = (s: number) => (s >= 2 ** 31 ? s - 2 ** 32 : s);
/** glibc 2.40 and later declare ut_tv.tv_sec unsigned, so who (Debian 13's) prints times after 2038 as they are. */
const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
const glibcUnsignedTime = glibc !== undefined && Number(glibc.split('.')[0]) * 1000 + Number(glibc.split('.')[1]) >= 2040;

let dir: string;
let cleanup: () => void;
let fixture: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  fixture = writeWithUtmpdump(path.join(dir, 'rich.utmp'), richFixture());
});
afterAll(() => cleanup());

describe.each(['libc', 'decoder'] as const)('UtmpFile (%s) against utmpdump', (source) => {
  testWith('utmpdump')('every field of every record matches utmpdump FILE', () => {
    const oracle = readWithUtmpdump(fixture);
    const entries = new UtmpFile(fixture, { source }).toArray();
    expect(oracle.length).toBe(richFixture().length);
    expectMatchesUtmpdump(entries, oracle);
  });

  test('the fixture covers what it claims', () => {
    const entries = new UtmpFile(fixture, { source }).toArray();
    const types = new Set(entries.map((e) => e.ut_type));
    for (const t of ['EMPTY', 'RUN_LVL', 'BOOT_TIME', 'NEW_TIME', 'OLD_TIME', 'INIT_PROCESS', 'LOGIN_PROCESS',
      'USER_PROCESS', 'DEAD_PROCESS', 'ACCOUNTING', 'UNKNOWN']) {
      expect(types).toContain(t);
    }
    expect(entries.some((e) => e.ut_user.length === 32)).toBe(true);
    expect(entries.some((e) => e.ut_time > 2 ** 31)).toBe(true);
    expect(entries.some((e) => e.address?.includes(':'))).toBe(true);
    expect(entries.some((e) => e.address?.includes('.'))).toBe(true);
    expect(entries.find((e) => e.ut_user === 'alice')!.ut_time % 1).toBeCloseTo(0.123456, 6);
  });

  test('lines become device paths; pseudo-lines stay as recorded', () => {
    const byLine = new Map(new UtmpFile(fixture, { source }).toArray().map((e) => [e.line, e.ut_line]));
    expect(byLine.get('pts/1')).toBe('/dev/pts/1');
    expect(byLine.get('tty1')).toBe('/dev/tty1');
    expect(byLine.get('~')).toBe('~');
    expect(byLine.get('ssh:notty')).toBe('ssh:notty');
    expect(byLine.get('')).toBe('');
  });

  test('invalid UTF-8 is replaced, never thrown', () => {
    const e = new UtmpFile(fixture, { source }).toArray().find((x) => x.ut_user === 'café')!;
    expect(e.ut_host).toBe('bad\uFFFDhost');
  });

  test('an unknown type number never throws and keeps its number', () => {
    const e = new UtmpFile(fixture, { source }).toArray().find((x) => x.ut_user === 'odd')!;
    expect(e.ut_type).toBe('UNKNOWN');
    expect(e.ut_type_code).toBe(42);
  });

  test('matches who -a FILE for user sessions (user, line, time, pid, host)', () => {
    const out = execFileSync('who', ['-a', fixture], { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } }).toString('latin1');
    // user, mesg state, line, date time, idle, pid, (host)
    const rows = out.split('\n').map((l) => /^(\S+)\s+[+\-?]\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)\s+\S+\s+(\d+)(?: \((.*)\))?$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    const users = new UtmpFile(fixture, { source }).toArray().filter((e) => e.ut_user_process);
    expect(rows.length).toBe(users.length);
    rows.forEach((m, i) => {
      const u = users[i];
      expect(u.ut_user).toBe(asUtf8(m[1]));
      expect(u.line).toBe(m[2]);
      // who shows minutes of the time as its glibc declares it (signed before 2.40); compare in its terms.
      const whoSeconds = Date.parse(m[3].replace(' ', 'T') + 'Z') / 1000;
      const asWhoReads = glibcUnsignedTime ? Math.floor(u.ut_time) : signed32(Math.floor(u.ut_time));
      expect(Math.floor(asWhoReads / 60) * 60).toBe(whoSeconds);
      expect(u.ut_pid).toBe(Number(m[4]));
      expect(u.ut_host).toBe(asUtf8(m[5] ?? ''));
    });
  });
});

test('async iteration gives the same entries as sync iteration', async () => {
  for (const source of ['libc', 'decoder'] as const) {
    const sync = new UtmpFile(fixture, { source }).toArray();
    const seen: UtmpEntry[] = [];
    for await (const e of new UtmpFile(fixture, { source })) seen.push(e);
    expect(seen).toEqual(sync);
  }
});

test('decoder and libc give identical entries (differential)', () => {
  expect(new UtmpFile(fixture, { source: 'decoder' }).toArray())
    .toEqual(new UtmpFile(fixture, { source: 'libc' }).toArray());
});

test('two iterators over different files, interleaved, each give their own records', () => {
  const other = writeWithUtmpdump(path.join(dir, 'other.utmp'), richFixture().slice(0, 5).reverse());
  for (const source of ['libc', 'decoder'] as const) {
    const a = new UtmpFile(fixture, { source });
    const b = new UtmpFile(other, { source });
    const fromA: string[] = [];
    const fromB: string[] = [];
    for (;;) {
      const x = a.next();
      const y = b.next();
      if (!x.done) fromA.push(x.value.ut_user + x.value.line);
      if (!y.done) fromB.push(y.value.ut_user + y.value.line);
      if (x.done && y.done) break;
    }
    expect(fromA).toEqual(new UtmpFile(fixture).toArray().map((e) => e.ut_user + e.line));
    expect(fromB).toEqual(new UtmpFile(other).toArray().map((e) => e.ut_user + e.line));
  }
});

test('the file is its own cursor: a second loop continues, rewind() starts again', () => {
  const total = new UtmpFile(fixture).toArray().length;
  for (const source of ['libc', 'decoder'] as const) {
    const f = new UtmpFile(fixture, { source });
    let first = 0;
    for (const _ of f) if (++first === 3) break;
    let rest = 0;
    for (const _ of f) rest++;
    expect(first + rest).toBe(total);
    expect([...f]).toHaveLength(0);
    f.rewind();
    expect([...f]).toHaveLength(total);
  }
});

describe('bad input', () => {
  test.each(['libc', 'decoder'] as const)('%s: a missing file is ENOENT naming the path', (source) => {
    const missing = path.join(dir, 'nope');
    expect(() => new UtmpFile(missing, { source }).toArray()).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'open', path: missing, message: expect.stringContaining(missing) }),
    );
  });

  test.each(['libc', 'decoder'] as const)('%s: a directory is EISDIR naming the path', (source) => {
    expect(() => new UtmpFile(dir, { source }).toArray()).toThrow(
      expect.objectContaining({ code: 'EISDIR', path: dir, message: expect.stringContaining(dir) }),
    );
  });

  test.each(['libc', 'decoder'] as const)('%s: async errors are the same', async (source) => {
    await expect(new UtmpFile(path.join(dir, 'nope'), { source }).toArrayAsync()).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(new UtmpFile(dir, { source }).toArrayAsync()).rejects.toMatchObject({ code: 'EISDIR' });
  });

  testUnless(process.getuid!() === 0 ? whyNotAsNobody() : null)('an unreadable file is EACCES naming the path (as an unprivileged user)', () => {
    const secret = path.join(dir, 'btmp');
    fs.copyFileSync(fixture, secret);
    fs.chmodSync(secret, 0o600);
    fs.chmodSync(dir, 0o755);
    // Root reads anything: drop to nobody in a child process to see the error.
    const script = `
      if (process.getuid() === 0) { process.setgid('nogroup'); process.setuid('nobody'); }
      const { UtmpFile } = require(${JSON.stringify(path.resolve(__dirname, '../dist'))});
      const out = {};
      for (const source of ['libc', 'decoder']) {
        try { new UtmpFile(${JSON.stringify(secret)}, { source }).toArray(); out[source] = 'read'; }
        catch (e) { out[source] = { code: e.code, syscall: e.syscall, path: e.path, message: e.message }; }
      }
      console.log(JSON.stringify(out));`;
    if (process.getuid!() !== 0) fs.chmodSync(secret, 0o000);
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script]).toString());
    for (const source of ['libc', 'decoder']) {
      expect(out[source]).toMatchObject({ code: 'EACCES', syscall: 'open', path: secret });
      expect(out[source].message).toContain(secret);
    }
  });

  test.each(['libc', 'decoder'] as const)('%s: a partial trailing record: whole records come back, the rest is reported', (source) => {
    const torn = path.join(dir, `torn-${source}.utmp`);
    const whole = fs.readFileSync(fixture);
    fs.writeFileSync(torn, Buffer.concat([whole, whole.subarray(0, 100)]));
    const warnings: string[] = [];
    const f = new UtmpFile(torn, { source, onWarning: (w) => warnings.push(w.code) });
    expect(f.toArray()).toEqual(new UtmpFile(fixture, { source }).toArray());
    expect(f.trailingBytes).toBe(100);
    expect(warnings).toContain('TRAILING_BYTES');
    expect(f.warnings.find((w) => w.code === 'TRAILING_BYTES')).toMatchObject({ path: torn, offset: whole.length });
  });

  test('strict mode turns the first problem into an error', () => {
    expect(() => new UtmpFile(fixture, { source: 'decoder', strict: true }).toArray())
      .toThrow(expect.objectContaining({ code: 'ERR_UTMPX_BAD_RECORD', path: fixture }));
  });

  test('a bad path argument is a TypeError', () => {
    expect(() => new UtmpFile('')).toThrow(TypeError);
    expect(() => new UtmpFile('a\0b')).toThrow(TypeError);
    expect(() => new UtmpFile(42 as unknown as string)).toThrow(TypeError);
    expect(() => new UtmpFile(fixture, { layout: 'vax' as never })).toThrow(TypeError);
  });
});

describe('newestFirst and progress', () => {
  test('newestFirst reads the same entries from the end; progress counts the bytes handed out, of the size', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = writeWithUtmpdump(path.join(dir, 'wtmp'), richFixture());
      const size = fs.statSync(file).size;
      const forward = new UtmpFile(file).toArray();
      const db = new UtmpFile(file, { newestFirst: true });
      expect(db.source).toBe('decoder');
      expect(db.progress).toEqual({ bytesRead: 0, size: 0 });
      const backward = [];
      for (const e of db) {
        backward.push(e);
        expect(db.progress).toEqual({ bytesRead: backward.length * (size / forward.length), size });
      }
      expect(backward).toEqual([...forward].reverse());
      expect(await new UtmpFile(file, { newestFirst: true }).toArrayAsync()).toEqual(backward);
      const ahead = new UtmpFile(file);
      for (let i = 1; i <= forward.length; i++) {
        ahead.next();
        expect(ahead.progress).toEqual({ bytesRead: i * (size / forward.length), size });
      }
    } finally {
      cleanup();
    }
  });
});
