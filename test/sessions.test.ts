/**
 * sessions() against util-linux `last` itself, on wtmp files written by
 * `utmpdump -r`: same users, lines, hosts, login and logout times, same ends,
 * same order once sorted as last sorts (newest record first).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type Session, type SessionsOptions, UtmpFile, sessions, sessionsAsync } from '../lib';
import { type DumpRecord, dumpTime, tempDir, writeLiveWithUtmpdump, writeWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';
/** The oracles: util-linux's last and lastb. */
const lastTest = testWith('last');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-sessions-')));
afterAll(() => cleanup());

/** One line of `last` output, split into its columns. */
interface LastRow {
  user: string;
  line: string;
  host: string;
  login: string;
  /** The logout column and the duration, as printed (`- 2024-...  (01:00)`, `- crash (00:50)`, `still logged in`). */
  tail: string;
}

const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d`;
// user (at least 8 columns), line (12 columns), host, login time, then the logout and duration.
const ROW = new RegExp(String.raw`^(.{8}\S*) (.{12}) (.*?) +(${ISO})(.*)$`);

/** `last -x -w --time-format iso -f FILE` (or lastb) in UTC, parsed; the "wtmp begins" footer dropped. */
function runLast(file: string, extra: string[] = [], program = 'last'): LastRow[] {
  const out = execFileSync(program, ['-x', '-w', '--time-format', 'iso', ...extra, '-f', file], {
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
  }).toString('latin1');
  const rows: LastRow[] = [];
  for (const text of out.split('\n')) {
    if (text === '' || / begins /.test(text)) continue;
    const m = ROW.exec(text);
    if (!m) throw new Error(`unexpected ${program} line: ${JSON.stringify(text)}`);
    rows.push({ user: m[1].trimEnd(), line: m[2].trimEnd(), host: m[3].trimEnd(), login: m[4], tail: m[5].replace(/ +/g, ' ').trim() });
  }
  return rows;
}

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
const sec = (d: Date) => Math.floor(d.getTime() / 1000);

// The duration column as last computes it (C integer division, whole seconds).
function duration(login: Date, logout: Date): string {
  const secs = sec(logout) - sec(login);
  const trunc = Math.trunc;
  const mins = trunc(secs / 60) % 60;
  const hours = trunc(secs / 3600) % 24;
  const days = trunc(secs / 86400);
  const two = (n: number) => String(Math.abs(n)).padStart(2, '0');
  if (days) return `(${days}+${two(hours)}:${two(mins)})`;
  if (hours || secs >= 0) return `(${two(hours)}:${two(mins)})`;
  return `(-00:${two(mins)})`;
}

/** A session as last prints it. */
function asLastRow(s: Session): LastRow {
  let tail: string;
  switch (s.end) {
    case 'still logged in': tail = s.end; break;
    // A shutdown nothing followed: last prints its end as time 0 (documented).
    case 'still running': tail = s.kind === 'shutdown' ? `- ${isoSeconds(new Date(0))} ${duration(s.login, new Date(0))}` : s.end; break;
    case 'gone': tail = 'gone - no logout'; break;
    case 'time change': tail = ''; break;
    case 'crash': case 'down':
      tail = s.kind === 'login' ? `- ${s.end} ${duration(s.login, s.logout!)}` : `- ${isoSeconds(s.logout!)} ${duration(s.login, s.logout!)}`;
      break;
    default: tail = `- ${isoSeconds(s.logout!)} ${duration(s.login, s.logout!)}`;
  }
  return { user: s.user, line: s.line, host: s.host, login: isoSeconds(s.login), tail };
}

/** Sessions in last's order: newest record first. */
const newestFirst = (list: Session[]) => [...list].sort((a, b) => b.index - a.index);

function expectAgreesWithLast(file: string, options: SessionsOptions = {}, lastArgs: string[] = []): Session[] {
  const list = [...sessions(file, { system: true, ...options })];
  expect(newestFirst(list).map(asLastRow)).toEqual(runLast(file, lastArgs));
  return list;
}

// A fixture line; times in seconds after 2024-01-15T09:00:00Z unless given as ISO.
const T0 = Date.parse('2024-01-15T09:00:00Z');
function rec(type: number, user: string, line: string, at: number | string, more: Partial<DumpRecord> = {}): DumpRecord {
  const time = dumpTime(typeof at === 'number' ? T0 + at * 1000 : Date.parse(at));
  return { type, pid: 1000, id: line.slice(-4), user, line, host: '', addr: '0.0.0.0', time, ...more };
}
const boot = (at: number) => rec(2, 'reboot', '~', at, { pid: 0, id: '~~', host: '6.1.0-18-amd64' });
const shutdown = (at: number) => rec(1, 'shutdown', '~', at, { pid: 0x30, id: '~~', host: '6.1.0-18-amd64' });
const runlevel = (at: number, level: string) => rec(1, 'runlevel', '~', at, { pid: level.charCodeAt(0), id: '~~', host: '6.1.0-18-amd64' });
const login = (user: string, line: string, at: number | string, host = 'example.org', pid = 4000) =>
  rec(7, user, line, at, { host, pid, addr: '192.0.2.7' });
const dead = (line: string, at: number, user = '', id?: string) => rec(8, user, line, at, { id: id ?? line.slice(-4) });

function write(name: string, records: DumpRecord[]): string {
  return writeWithUtmpdump(path.join(dir, name), records);
}

lastTest('logins, logouts, a shutdown, a clean boot, a crash and sessions left open', () => {
  const file = write('mixed.wtmp', [
    boot(0),
    runlevel(5, '5'),
    login('alice', 'pts/1', 1800),
    login('bob', 'pts/2', 1860, '10.0.0.6'),
    dead('pts/1', 5400),
    login('carol', 'tty1', 7200, ''),
    shutdown(10800),
    runlevel(10801, '0'),
    boot(11100),
    login('dave', 'pts/1', 11400),
    boot(14400), // a crash: dave never logged out
    login('erin', 'pts/1', 15000),
    login('frank', 'pts/3', 15060),
  ]);
  const list = expectAgreesWithLast(file);
  const ends = Object.fromEntries(list.filter((s) => s.kind === 'login').map((s) => [s.user, s.end]));
  // The fixture covers what it claims (the ends are last's, checked above).
  expect(ends).toMatchObject({ alice: 'logout', bob: 'down', carol: 'down', dave: 'crash', erin: 'gone', frank: 'gone' });
  expect(list.find((s) => s.user === 'dave')!.logout).toEqual(new Date(T0 + 14400_000));
  expect(list.filter((s) => s.kind === 'reboot').map((s) => s.end)).toEqual(['down', 'still running', 'still running']);
});

lastTest('every way a session ends: empty-user records, sshd and tmux DEAD records, the next login on the line', () => {
  const file = write('ends.wtmp', [
    boot(0),
    login('alice', 'pts/0', 60),
    dead('pts/0', 120), // DEAD_PROCESS, empty user
    login('bob', 'pts/1', 180),
    rec(7, '', 'pts/1', 240), // a USER_PROCESS with no user is a logout to last
    login('carol', 'pts/2', 300),
    rec(6, '', 'pts/2', 360), // any record with an empty user on the line
    login('sshd', 'pts/3', 420, '203.0.113.9'),
    dead('pts/3', 480, '', ''), // sshd writes its DEAD record with an empty ut_id
    login('tmuxer', 'pts/4', 540, 'tmux(1234).%0'),
    dead('pts/4', 600, 'tmuxer'), // libutempter keeps ut_user in the DEAD record
    login('dan', 'pts/5', 660),
    login('eve', 'pts/5', 720), // the next login on a line ends the one before
    dead('pts/5', 780),
    dead('pts/5', 840), // a second DEAD on the same line ends nothing more
    login('LOGINx', 'tty2', 900), // LOGIN-prefixed users are getty, not logins
    rec(6, 'LOGIN', 'tty3', 960),
    login('fred', 'tty3', 1020),
    rec(5, 'init', 'tty3', 1080), // an INIT_PROCESS with a user counts as a login to last
    rec(8, 'gone', '', 1140), // DEAD with no line: ignored
    rec(7, 'noline', '', 1200), // a login with no line: only a reboot ends it
    rec(9, 'acct', 'tty9', 1260), // ACCOUNTING with a user and a line: a login to last
    boot(3600),
  ]);
  const list = expectAgreesWithLast(file);
  const byUser = new Map(list.map((s) => [s.user, s]));
  expect(byUser.get('alice')).toMatchObject({ end: 'logout', logout: new Date(T0 + 120_000) });
  expect(byUser.get('bob')).toMatchObject({ end: 'logout', logout: new Date(T0 + 240_000) });
  expect(byUser.get('carol')).toMatchObject({ end: 'logout', logout: new Date(T0 + 360_000) });
  expect(byUser.get('sshd')).toMatchObject({ end: 'logout', logout: new Date(T0 + 480_000), address: '192.0.2.7', pid: 4000 });
  expect(byUser.get('tmuxer')).toMatchObject({ end: 'logout', logout: new Date(T0 + 600_000) });
  expect(byUser.get('dan')).toMatchObject({ end: 'logout', logout: new Date(T0 + 720_000) });
  expect(byUser.get('eve')).toMatchObject({ end: 'logout', logout: new Date(T0 + 780_000) });
  expect(byUser.get('noline')).toMatchObject({ end: 'crash', logout: new Date(T0 + 3600_000) });
});

lastTest('runlevels, clock changes and shutdowns as last -x lists them', () => {
  const file = write('system.wtmp', [
    boot(0),
    runlevel(1, '3'),
    rec(4, 'date', '|', 100), // OLD_TIME
    rec(3, 'date', '{', 101), // NEW_TIME, as old programs wrote it
    login('alice', 'pts/0', 200),
    runlevel(300, '5'),
    runlevel(400, '6'), // runlevel 6: the system goes down
    shutdown(410),
    shutdown(420), // a second shutdown ends the first
    boot(500),
    runlevel(501, '5'),
  ]);
  const list = expectAgreesWithLast(file);
  expect(new Set(list.map((s) => s.kind))).toEqual(new Set(['reboot', 'runlevel', 'time change', 'login', 'shutdown']));
  // Without `system`, like last without -x: only logins and reboots.
  const plain = [...sessions(file)];
  expect(newestFirst(plain).map(asLastRow)).toEqual(
    runLast(file).filter((r) => !['shutdown', 'runlevel'].includes(r.user) && !/time$/.test(r.line)),
  );
  expect(plain.every((s) => s.kind === 'login' || s.kind === 'reboot')).toBe(true);
});

testWith('last', 'utmpdump')('a session still open on this machine is "still logged in", a stale one "gone"', () => {
  // After this machine's boot, root, and a terminal root owns: last calls it alive.
  const now = Math.floor(Date.now() / 1000) - 60;
  // Written by utmpdump itself now: a committed fixture would not be of this boot.
  const file = writeLiveWithUtmpdump(path.join(dir, 'open.wtmp'), [
    login('root', 'null', new Date(now * 1000).toISOString(), 'here', 0),
    login('nosuchuser', 'pts/7', new Date(now * 1000).toISOString()),
    login('root', 'pts/8', 60), // long before this boot
  ]);
  const list = expectAgreesWithLast(file);
  expect(list.map((s) => s.end).sort()).toEqual(['gone', 'gone', 'still logged in']);
  expect(list.every((s) => s.logout === null)).toBe(true);
});

lastTest('since and until skip records as last --since and --until do', () => {
  const file = write('window.wtmp', [
    boot(0), login('a', 'pts/0', 100), dead('pts/0', 200), login('b', 'pts/1', 300),
    boot(400), login('c', 'pts/0', 500), dead('pts/0', 600), login('d', 'pts/2', 700),
  ]);
  const since = new Date(T0 + 250_000);
  const until = new Date(T0 + 550_000);
  const iso = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  expectAgreesWithLast(file, { since, until }, ['--since', iso(since), '--until', iso(until)]);
  expectAgreesWithLast(file, { since }, ['--since', iso(since)]);
});

testWith('lastb')('failedLogins lists every btmp record as lastb does', () => {
  const file = write('btmp', [
    rec(6, 'root', 'ssh:notty', 10, { host: '203.0.113.9', addr: '203.0.113.9' }),
    rec(6, 'admin', 'ssh:notty', 20, { host: '198.51.100.2', addr: '198.51.100.2' }),
    rec(6, '', 'ssh:notty', 30, { host: '198.51.100.3' }),
    rec(7, 'guest', 'pts/0', 40),
  ]);
  const list = [...sessions(file, { failedLogins: true })];
  expect(newestFirst(list).map(asLastRow)).toEqual(runLast(file, [], 'lastb'));
  expect(list).toHaveLength(4);
});

// Random histories over a few lines, so pairing meets every order of events.
function randomHistory(seed: number, count: number): DumpRecord[] {
  let state = seed;
  const rand = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const lines = ['pts/0', 'pts/1', 'pts/2', 'tty1', ''];
  const users = ['alice', 'bob', 'carol', 'root'];
  const records: DumpRecord[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += 1 + rand(5000);
    const line = lines[rand(lines.length)];
    const r = rand(100);
    if (r < 40) records.push(login(users[rand(users.length)], line, t, `h${rand(9)}`, 2000 + i));
    else if (r < 75) records.push(dead(line, t, rand(3) === 0 ? users[rand(users.length)] : ''));
    else if (r < 82) records.push(boot(t));
    else if (r < 87) records.push(shutdown(t));
    else if (r < 92) records.push(runlevel(t, '0356'[rand(4)]));
    else if (r < 95) records.push(rec(6, 'LOGIN', line || 'tty1', t));
    else if (r < 97) records.push(rec(rand(2) ? 3 : 4, 'date', rand(2) ? '{' : '|', t));
    else records.push(rec(rand(10), rand(2) ? '' : 'x', line, t));
  }
  return records;
}

lastTest.each([1, 2, 3, 4, 5, 6, 7, 8])('random history %i agrees with last', (seed) => {
  const file = write(`random-${seed}.wtmp`, randomHistory(seed, 1500));
  expectAgreesWithLast(file);
});

test('sessionsAsync gives the same sessions in the same order', async () => {
  const file = write('async.wtmp', randomHistory(9, 300));
  const out: Session[] = [];
  for await (const s of sessionsAsync(file, { system: true })) out.push(s);
  expect(out).toEqual([...sessions(file, { system: true })]);
});

test('sessionsAsync: leaving the loop early stops the reading', async () => {
  const file = write('early.wtmp', randomHistory(4, 300));
  const first: Session[] = [];
  for await (const s of sessionsAsync(file)) {
    first.push(s);
    if (first.length === 2) break;
  }
  expect(first).toEqual([...sessions(file)].slice(0, 2));
});

test('sessions stream: the first comes out before the file is read to the end', () => {
  const file = write('stream.wtmp', [boot(0), login('a', 'pts/0', 10), dead('pts/0', 20), ...randomHistory(3, 200)]);
  const it = sessions(file);
  expect(it.next().value).toMatchObject({ user: 'a', end: 'logout' });
  it.return?.(undefined);
});

test('errors are the reader\'s: a missing file is ENOENT', () => {
  const missing = path.join(dir, 'missing');
  expect(() => [...sessions(missing)]).toThrow(expect.objectContaining({ code: 'ENOENT', path: missing }));
});

// sessions() decodes no ut_id it does not need, but a damaged one still warns as reading the file does.
test('the warnings are the reader\'s: an id that is not UTF-8 is reported', () => {
  const file = write('bad-id', [boot(0), login('alice', 'pts/1', 10), dead('pts/1', 20)]);
  const bytes = fs.readFileSync(file);
  bytes.set([0xff, 0xfe], 384 + 40); // the login's ut_id (offset 40 of a 384-byte record)
  fs.writeFileSync(file, bytes);
  const codes = (list: readonly { code: string; offset?: number }[]) => list.map((w) => `${w.code}@${w.offset}`);
  const db = new UtmpFile(file);
  db.toArray();
  expect(codes(db.warnings)).toEqual(['INVALID_UTF8@384']);
  const seen: { code: string; offset?: number }[] = [];
  const list = [...sessions(file, { onWarning: (w) => seen.push(w) })];
  expect(codes(seen)).toEqual(codes(db.warnings));
  expect(list.map((s) => s.user)).toEqual(['alice', 'reboot']);
});
