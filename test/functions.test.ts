/**
 * users(), bootTime(), runLevel(), failedLogins() on files written by
 * `utmpdump -r`, against who(1) and utmpdump(1) reading the same files.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  type UtmpEntry, UtmpFile, bootTime, bootTimeAsync, failedLogins, failedLoginsAsync, processExists, runLevel, runLevelAsync,
  users, usersAsync,
} from '../lib';
import { ORACLE_ENV, nodeAsNobody, noLiveSessions, oracle, parseWho, whyNotAsNobody } from './helpers/cli-run';
import {
  type DumpRecord, asUtf8, dumpTime, expectMatchesUtmpdump, readWithUtmpdump, richFixture, tempDir, writeLiveWithUtmpdump, writeWithUtmpdump,
} from './helpers/utmpdump';
import { fileAddon } from '../lib/records/file-locks';
import { testUnless, testWith } from './helpers/tools';
const nobodyTest = testUnless(whyNotAsNobody());

/** The built library, for scripts run as another user. */
const FUNCTIONS_JS = path.resolve(__dirname, '../dist/functions.js');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-functions-')));
afterAll(() => cleanup());

const at = (s: string) => `2024-01-15T${s},000000+00:00`;
const login = (pid: number, user: string, line: string, host: string, time: string): DumpRecord =>
  ({ type: 7, pid, id: line.slice(-4), user, line, host, addr: '0.0.0.0', time: at(time) });

/** A child that has exited and been reaped: its pid names no process now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

/** who FILE, parsed into [user, line, time, host]. */
function whoSays(file: string): string[][] {
  const text = execFileSync('who', [file], { env: ORACLE_ENV }).toString('latin1');
  return parseWho(text).map(([user, line, time, host]) => [asUtf8(user), line, time, asUtf8(host)]);
}

const asWho = (u: UtmpEntry) => [u.ut_user, u.line, u.date.toISOString().slice(0, 16).replace('T', ' '), u.ut_host];

describe('users()', () => {
  test('a file gives the USER_PROCESS entries who(1) lists, in the same order', async () => {
    const file = writeWithUtmpdump(path.join(dir, 'utmp-rich'), richFixture().filter((r) => !r.time.startsWith('2040')));
    const list = users({ path: file });
    const oracle = whoSays(file);
    expect(list.length).toBeGreaterThan(3);
    // who prints undecodable bytes raw; asUtf8 turns them into U+FFFD, as we decode them.
    expect(list.map(asWho)).toEqual(oracle);
    expect(await usersAsync({ path: file })).toEqual(list);
  });

  testWith('utmpdump')('dropStale drops the entry of a process that has exited, keeps live ones and unknown pids', async () => {
    const dead = await deadPid();
    // Pids of this moment: written by utmpdump now, not a committed fixture.
    const file = writeLiveWithUtmpdump(path.join(dir, 'utmp-stale'), [
      login(process.pid, 'alive', 'pts/1', 'a.example', '09:00:00'),
      login(dead, 'ghost', 'pts/2', 'b.example', '09:01:00'),
      login(1, 'init', 'pts/3', 'c.example', '09:02:00'),
      login(0, 'nopid', 'pts/4', 'd.example', '09:03:00'),
    ]);
    expect(processExists(dead)).toBe(false);
    const names = (l: UtmpEntry[]) => l.map((u) => u.ut_user);
    // A file's pids are not this machine's: kept unless asked.
    expect(names(users({ path: file }))).toEqual(['alive', 'ghost', 'init', 'nopid']);
    expect(names(users({ path: file, dropStale: true }))).toEqual(['alive', 'init', 'nopid']);
    expect(names(await usersAsync({ path: file, dropStale: true }))).toEqual(['alive', 'init', 'nopid']);
    // who(1) does the same check for the system's utmp only; with a file it keeps them all.
    expect(whoSays(file).map((r) => r[0])).toEqual(['alive', 'ghost', 'init', 'nopid']);
  });

  nobodyTest('processExists counts EPERM (someone else\'s process) as alive', () => {
    // As nobody, pid 1 (root's) answers EPERM, a reaped pid ESRCH.
    const script = `const { processExists } = require(${JSON.stringify(FUNCTIONS_JS)});
      const pid = require('child_process').spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      let eperm; try { process.kill(1, 0); } catch (e) { eperm = e.code; }
      console.log(JSON.stringify([eperm, processExists(1), processExists(Number(pid))]));`;
    const r = nodeAsNobody('-e', script);
    if (!r) return; // not root: cannot drop privileges
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['EPERM', true, false]);
  });

  // users() keeps the file open between calls: every call must still see what the path names now.
  test('polled while the file is rewritten, truncated, replaced, removed, made a directory: each call reads it as it is', () => {
    const file = path.join(dir, 'utmp-polled');
    const a = login(1, 'alice', 'pts/1', 'a.example', '09:00:00');
    const b = login(1, 'bob', 'pts/2', 'b.example', '09:01:00');
    const c = login(1, 'carol', 'pts/3', 'c.example', '09:02:00');
    const polled = () => {
      const list = users({ path: file }).map(asWho);
      expect(list).toEqual(whoSays(file));
      return list.map((r) => r[0]);
    };
    writeWithUtmpdump(file, [a, b]);
    expect(polled()).toEqual(['alice', 'bob']);
    expect(polled()).toEqual(['alice', 'bob']);
    writeWithUtmpdump(file, [a, b, c]); // rewritten in place: the same inode
    expect(polled()).toEqual(['alice', 'bob', 'carol']);
    fs.truncateSync(file, 384);
    expect(polled()).toEqual(['alice']);
    fs.renameSync(writeWithUtmpdump(path.join(dir, 'utmp-polled-new'), [c]), file); // a new inode at the path
    expect(polled()).toEqual(['carol']);
    fs.rmSync(file);
    expect(() => users({ path: file })).toThrow(expect.objectContaining({ code: 'ENOENT', path: file }));
    fs.mkdirSync(file);
    expect(() => users({ path: file })).toThrow(expect.objectContaining({ code: 'EISDIR', path: file }));
    fs.rmdirSync(file);
  });

  // ...and hands out copies of the last read's entries while the bytes are the same.
  test('polled: every call gives equal entries of its own, and the same warnings', () => {
    const file = writeWithUtmpdump(path.join(dir, 'utmp-repeat'), [
      { ...login(1, 'alice', 'pts/1', '10.0.0.5', '09:00:00'), addr: '10.0.0.5' },
      { type: 8, pid: 1, id: 'ts/1', user: '', line: 'pts/1', host: '', addr: '0.0.0.0', time: at('09:30:00') },
      login(1, 'bob', 'pts/2', 'b.example', '09:01:00'),
    ]);
    const fresh = () => new UtmpFile(file, { source: 'decoder' }).toArray().filter((u) => u.ut_user_process);
    let last: UtmpEntry[] = [];
    for (let i = 0; i < 4; i++) { // decoded, decoded and kept, then copies
      const list = users({ path: file });
      expect(list).toEqual(fresh());
      expect(JSON.stringify(list)).toBe(JSON.stringify(fresh()));
      expect(list[0]).not.toBe(last[0]);
      list[0].ut_user = 'changed'; // what a caller does to its entries reaches no other call
      list[0].ut_exit!.e_exit = 99;
      last = list;
    }
    fs.appendFileSync(file, Buffer.alloc(10, 0x41)); // a torn tail: a warning on every read
    for (let i = 0; i < 3; i++) {
      const warnings: string[] = [];
      expect(users({ path: file, onWarning: (w) => warnings.push(w.code) })).toEqual(fresh());
      expect(warnings).toEqual(['TRAILING_BYTES']);
    }
  });

  nobodyTest('polled while its owner makes the file unreadable: EACCES, not the open descriptor\'s view', () => {
    const own = path.join(dir, 'owned-by-nobody');
    fs.mkdirSync(own);
    fs.chmodSync(own, 0o777);
    fs.chmodSync(dir, 0o755);
    const source = writeWithUtmpdump(path.join(dir, 'utmp-chmod'), [login(1, 'alice', 'pts/1', 'a.example', '09:00:00')]);
    const script = `const fs = require('fs'); const { users } = require(${JSON.stringify(FUNCTIONS_JS)});
      const file = ${JSON.stringify(path.join(own, 'utmp'))};
      fs.copyFileSync(${JSON.stringify(source)}, file);
      const names = () => { try { return users({ path: file }).map((u) => u.ut_user); } catch (e) { return e.code; } };
      const before = [names(), names()];
      fs.chmodSync(file, 0);
      console.log(JSON.stringify([...before, names()]));`;
    const r = nodeAsNobody('-e', script);
    if (!r) return; // not root: cannot drop privileges
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([['alice'], ['alice'], 'EACCES']);
  });

  test('a missing file is a Node-style ENOENT error', () => {
    const missing = path.join(dir, 'missing');
    expect(() => users({ path: missing })).toThrow(expect.objectContaining({ code: 'ENOENT', path: missing }));
  });

  // Only where the system has no utmp, so the machine's database is never read.
  testUnless(noLiveSessions ? null : 'this machine has a utmp or logind sessions')('with no system utmp, users() says so instead of returning an empty list', async () => {
    const expected = expect.objectContaining({ code: 'ENOENT', message: expect.stringMatching(/no utmp database.*systemd-logind/) });
    expect(() => users()).toThrow(expected);
    await expect(usersAsync()).rejects.toEqual(expected);
    expect(() => bootTime()).toThrow(expected);
  });
});

describe('bootTime() and runLevel()', () => {
  test('agree with who -b -r on the same file', async () => {
    const file = writeWithUtmpdump(path.join(dir, 'utmp-boot'), [
      { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: at('08:00:00') },
      { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: at('09:00:00') },
      // systemd's record: level '5', previous 'N' (none).
      { type: 1, pid: 0x35 + 256 * 0x4e, id: '~~', user: 'runlevel', line: '~', host: '6.1.0', addr: '0.0.0.0', time: at('09:00:07') },
      login(4242, 'alice', 'pts/1', 'h', '09:30:00'),
    ]);
    const who = oracle('who', '-b', '-r', file);
    // who lists every boot record; the system booted at the last one.
    const boot = [...who.matchAll(/system boot\s+(\S+ \S+)/g)].map((m) => m[1]).pop();
    const [, level, time, last] = /run-level (\S)\s+(\S+ \S+)\s+last=(\S)/.exec(who)!;
    const minutes = (d: Date | null | undefined) => d?.toISOString().slice(0, 16).replace('T', ' ');
    expect(minutes(bootTime({ path: file }))).toBe(boot);
    expect(bootTime({ path: file })!.toISOString()).toBe('2024-01-15T09:00:00.000Z'); // the last boot, to the second
    const rl = runLevel({ path: file })!;
    expect(rl.level).toBe(level);
    expect(minutes(rl.time)).toBe(time);
    expect(rl.previous === 'N' ? 'S' : rl.previous).toBe(last); // who shows 'N' (none) as S
    expect(await bootTimeAsync({ path: file })).toEqual(bootTime({ path: file }));
    expect(await runLevelAsync({ path: file })).toEqual(rl);
  });

  test('null where the database records none', async () => {
    const file = writeWithUtmpdump(path.join(dir, 'utmp-noboot'), [login(4242, 'alice', 'pts/1', 'h', '09:30:00')]);
    expect(oracle('who', '-b', '-r', file)).toBe('');
    expect(bootTime({ path: file })).toBeNull();
    expect(runLevel({ path: file })).toBeNull();
    expect(await bootTimeAsync({ path: file })).toBeNull();
  });
});

describe('failedLogins()', () => {
  const attempts = (n: number): DumpRecord[] => Array.from({ length: n }, (_, i) => ({
    type: 6, pid: 1000 + (i % 60000), id: '', user: `user${i}`, line: 'ssh:notty', host: `198.51.100.${i % 250}`,
    addr: `198.51.100.${i % 250}`, time: dumpTime(Date.UTC(2024, 1, 1) + (i % 86400) * 1000),
  }));

  testWith('utmpdump')('every record, in file order, as utmpdump reads them; newestFirst reverses across chunks', async () => {
    // More than one 1 MiB chunk: 3000 records of 384 bytes.
    const file = writeWithUtmpdump(path.join(dir, 'btmp-big'), [...richFixture(), ...attempts(3000)]);
    const oracle = readWithUtmpdump(file);
    const forward = [...failedLogins(file)];
    expectMatchesUtmpdump(forward, oracle);
    const backward = [...failedLogins(file, { newestFirst: true })];
    expect(backward).toEqual([...forward].reverse());
    const viaAsync: UtmpEntry[] = [];
    for await (const f of failedLoginsAsync(file, { newestFirst: true })) viaAsync.push(f);
    expect(viaAsync).toEqual(backward);
    const forwardAsync: UtmpEntry[] = [];
    for await (const f of failedLoginsAsync(file)) forwardAsync.push(f);
    expect(forwardAsync).toEqual(forward);
  });

  test('a partial last record is reported and skipped both ways; the whole ones all come back', () => {
    const file = writeWithUtmpdump(path.join(dir, 'btmp-tail'), attempts(5));
    fs.appendFileSync(file, Buffer.alloc(100, 0x41));
    for (const newestFirst of [false, true]) {
      const warnings: string[] = [];
      const list = [...failedLogins(file, { newestFirst, onWarning: (w) => warnings.push(`${w.code}@${w.offset}`) })];
      expect(list.map((f) => f.ut_user).sort()).toEqual(['user0', 'user1', 'user2', 'user3', 'user4']);
      expect(warnings).toEqual([`TRAILING_BYTES@${5 * 384}`]);
    }
  });

  test('stopping early closes the file', () => {
    const file = writeWithUtmpdump(path.join(dir, 'btmp-early'), attempts(10));
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    for (const newestFirst of [false, true]) {
      for (const f of failedLogins(file, { newestFirst })) if (f) break;
    }
    expect(fds()).toBe(before);
  });

  nobodyTest('a btmp only root may read: EACCES, and the message says reading failed logins needs root', () => {
    const file = writeWithUtmpdump(path.join(dir, 'btmp-root'), attempts(2));
    fs.chmodSync(file, 0o600);
    fs.chmodSync(dir, 0o755);
    const script = `const { failedLogins } = require(${JSON.stringify(FUNCTIONS_JS)});
      for (const newestFirst of [false, true]) {
        try { [...failedLogins(${JSON.stringify(file)}, { newestFirst })]; console.log('read'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, path: e.path, message: e.message })); }
      }`;
    const r = nodeAsNobody('-e', script);
    if (!r) return; // not root: cannot drop privileges
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const e of lines) {
      expect(e).toEqual({ code: 'EACCES', path: file, message: expect.stringContaining('reading failed logins needs root') });
    }
  });
});

describe('usersAsync(), the twin of users()', () => {
  /** Descriptors of this process open on `file`. */
  const openOn = (file: string) => fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

  test('reads the file whole in one job and keeps it open for the next poll, as users() does', async () => {
    const file = writeWithUtmpdump(path.join(dir, 'utmp-polled-async'), richFixture());
    const other = writeWithUtmpdump(path.join(dir, 'utmp-other'), richFixture().slice(0, 2));
    users({ path: other }); // another file kept: this one is not open yet
    expect(openOn(file)).toBe(0);
    const polled = await usersAsync({ path: file });
    expect(openOn(file)).toBe(1); // kept for the next poll
    for (let i = 0; i < 3; i++) expect(await usersAsync({ path: file })).toEqual(polled);
    expect(openOn(file)).toBe(1);
    expect(polled).toEqual(users({ path: file }));
    expect(polled.length).toBeGreaterThan(0);
    users({ path: other });
    expect(openOn(file)).toBe(0); // one kept at a time
  });

  // A stat instead of a read (see Stamp in lib/small-file-reads.ts): it must still see every change.
  test('polled, a file unchanged for two seconds is not read again; a change in place, of the same size, is read', async () => {
    const file = path.join(dir, 'utmp-stamped');
    const a = login(1, 'alice', 'pts/1', 'a.example', '09:00:00');
    const b = login(1, 'bob', 'pts/2', 'b.example', '09:01:00');
    const c = login(1, 'carol', 'pts/3', 'c.example', '09:02:00');
    const polled = async () => {
      const list = (await usersAsync({ path: file })).map(asWho);
      expect(list).toEqual(whoSays(file));
      return list.map((r) => r[0]);
    };
    writeWithUtmpdump(file, [a, b]);
    expect(await polled()).toEqual(['alice', 'bob']);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const reads = jest.spyOn(fileAddon()!, 'readSmallFileAsync');
    try {
      for (let i = 0; i < 4; i++) expect(await polled()).toEqual(['alice', 'bob']);
      expect(reads.mock.calls.length).toBeLessThan(4); // read, read and kept with its stat, then no more
      const size = fs.statSync(file).size;
      writeWithUtmpdump(file, [a, c]); // the same size, the same inode
      expect(fs.statSync(file).size).toBe(size);
      const before = reads.mock.calls.length;
      expect(await polled()).toEqual(['alice', 'carol']);
      expect(reads.mock.calls.length).toBe(before + 1);
    } finally {
      reads.mockRestore();
    }
  });
});
