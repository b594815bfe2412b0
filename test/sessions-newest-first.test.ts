/**
 * sessions({ newestFirst }): last's backward pairing (the wtmp read from its
 * end) against the forward pairing, which sessions.test.ts holds to `last`;
 * and `utmpx last`, which prints from the backward pairing, against
 * util-linux `last -f` itself on varied histories (reboots, crashes,
 * shutdowns, run levels, clock changes, logouts with no login, logins with
 * no line, several -f files, -x, --since/--until, -n), in UTC and in a zone
 * with daylight saving time.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { type Session, type SessionsOptions, sessions, sessionsAsync } from '../lib';
import { CLI, oracleIn, utmpxIn } from './helpers/cli-run';
import { type DumpRecord, dumpSeconds, dumpTime, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { describeWith } from './helpers/tools';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-newest-first-')));
afterAll(() => cleanup());

const T0 = Date.parse('2024-03-20T09:00:00Z');
function rec(type: number, user: string, line: string, at: number, more: Partial<DumpRecord> = {}): DumpRecord {
  return { type, pid: 1000, id: line.slice(-4), user, line, host: '', addr: '0.0.0.0', time: dumpTime(T0 + at * 1000), ...more };
}

/**
 * A random history over a few lines: logins (some from addresses), logouts
 * (also on lines with no login, and with the user kept, as tmux writes
 * them), boots (crashes), shutdowns, run levels, clock changes, getty
 * records and odd types. Steps of up to 4 hours cross the DST change of
 * 2024-03-31 in Europe.
 */
function randomHistory(seed: number, count: number): DumpRecord[] {
  let state = seed;
  const rand = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const lines = ['pts/0', 'pts/1', 'pts/2', 'pts/3', 'tty1', ''];
  const users = ['alice', 'bob', 'carol', 'root', 'averyveryverylongusername'];
  const kernel = { pid: 0, id: '~~', host: '6.1.0-18-amd64' };
  const records: DumpRecord[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += rand(25) === 0 ? -rand(7200) : 1 + rand(14400); // now and then the clock goes back: negative lengths
    const line = lines[rand(lines.length)];
    const r = rand(100);
    if (r < 38) {
      const host = rand(2) ? `198.51.100.${rand(250)}` : `h${rand(9)}.example.org`;
      records.push(rec(7, users[rand(users.length)], line, t, { host, addr: /^\d/.test(host) ? host : '0.0.0.0', pid: 2000 + i }));
    } else if (r < 72) {
      records.push(rec(8, rand(3) === 0 ? users[rand(users.length)] : '', line, t));
    } else if (r < 79) {
      records.push(rec(2, 'reboot', '~', t, kernel));
    } else if (r < 84) {
      records.push(rec(1, 'shutdown', '~', t, { ...kernel, pid: 0x30 }));
    } else if (r < 90) {
      records.push(rec(1, 'runlevel', '~', t, { ...kernel, pid: '0356'.charCodeAt(rand(4)) }));
    } else if (r < 94) {
      records.push(rec(6, 'LOGIN', line || 'tty1', t));
    } else if (r < 97) {
      records.push(rec(rand(2) ? 3 : 4, 'date', rand(2) ? '{' : '|', t));
    } else {
      records.push(rec(rand(10), rand(2) ? '' : 'x', line, t));
    }
  }
  records.push(rec(7, 'dave', 'pts/9', t + 60, { host: '203.0.113.9', addr: '203.0.113.9' })); // never ended: gone
  return records;
}

const write = (name: string, records: DumpRecord[]) => writeWithUtmpdump(path.join(dir, name), records);
const newestFirst = (list: Session[]) => [...list].sort((a, b) => b.index - a.index);

/** The forward pairing, put in last's order; the backward one must give exactly that. */
function expectSameAsForward(file: string | string[], options: SessionsOptions = {}): Session[] {
  const backward = [...sessions(file, { ...options, newestFirst: true })];
  expect(backward).toEqual(newestFirst([...sessions(file, options)]));
  return backward;
}

describe('sessions({ newestFirst })', () => {
  test.each([1, 2, 3, 4, 5, 6])('random history %i: the forward pairing\'s sessions, newest first', (seed) => {
    const file = write(`random-${seed}.wtmp`, randomHistory(seed, 1200));
    const list = expectSameAsForward(file, { system: true });
    // The history has what it claims: every way a session ends.
    expect(new Set(list.map((s) => s.end))).toEqual(new Set(['logout', 'crash', 'down', 'gone', 'still running', 'time change']));
    expectSameAsForward(file);
    const since = new Date(T0 + 200 * 3600_000);
    const until = new Date(T0 + 900 * 3600_000);
    expectSameAsForward(file, { system: true, since, until });
    expectSameAsForward(file, { since });
  });

  test('several files are one history: a login in one ends in the next', () => {
    const records = randomHistory(11, 900);
    const files = [write('set.2', records.slice(0, 300)), write('set.1', records.slice(300, 610)), write('set.0', records.slice(610))];
    const list = expectSameAsForward(files, { system: true });
    expect(list[0].index).toBe(records.length - 1); // the last login, numbered across the files
    const endOfFirst = dumpSeconds(records[299].time) * 1000;
    expect(list.some((s) => s.index < 300 && s.logout !== null && s.logout.getTime() > endOfFirst)).toBe(true);
  });

  test('sessionsAsync gives the same sessions; failed logins come newest first', async () => {
    const records = randomHistory(12, 500);
    const file = write('async.wtmp', records);
    const viaAsync: Session[] = [];
    for await (const s of sessionsAsync(file, { system: true, newestFirst: true })) viaAsync.push(s);
    expect(viaAsync).toEqual([...sessions(file, { system: true, newestFirst: true })]);
    expect(viaAsync.length).toBeGreaterThan(100);
    const failed = [...sessions(file, { failedLogins: true, newestFirst: true })];
    expect(failed).toEqual(newestFirst([...sessions(file, { failedLogins: true })]));
    expect(failed).toHaveLength(records.length);
  });

  test('the newest session comes first, and stopping early lets go of the file', () => {
    const file = write('early.wtmp', randomHistory(13, 400));
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const it = sessions(file, { newestFirst: true });
    expect(it.next().value).toEqual(newestFirst([...sessions(file)])[0]);
    it.return?.(undefined);
    expect(fds()).toBe(before);
  });

  test('a stream or a compressed file cannot be read backwards', () => {
    const file = write('plain.wtmp', randomHistory(14, 20));
    const gz = path.join(dir, 'wtmp.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(file)));
    expect(() => [...sessions(gz, { newestFirst: true })]).toThrow(expect.objectContaining({ code: 'ERR_UTMPX_COMPRESSED' }));
    expect(() => sessionsAsync(file, { newestFirst: true, stream: true })).toThrow(TypeError);
  });
});

describeWith('last')('utmpx last prints what last -f prints, from the backward pairing', () => {
  const UTC = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
  const PARIS = { ...UTC, TZ: 'Europe/Paris' };
  let files: string[];
  beforeAll(() => {
    files = [1, 2, 3].map((seed) => write(`cli-${seed}.wtmp`, randomHistory(20 + seed, 700)));
  });

  const VARIANTS: string[][] = [
    [], ['-x'], ['-n', '7'], ['-x', '-n', '25'], ['-F', '-x'], ['-i'], ['-w', '-a'], ['alice', 'reboot'],
    ['--since', '2024-03-25 00:00', '--until', '2024-04-20 12:00'], ['-x', '--since', '2024-04-01'], ['--time-format', 'iso', '-x'],
  ];
  test.each(VARIANTS)('last %s', (...args) => {
    for (const env of [UTC, PARIS]) {
      for (const file of files) {
        const r = utmpxIn(env, 'last', '-f', file, ...args);
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(oracleIn(env, 'last', '-f', file, ...args));
      }
    }
  });

  test('several -f files, each in turn', () => {
    const args = files.flatMap((f) => ['-f', f]);
    expect(utmpxIn(UTC, 'last', '-x', ...args).stdout).toBe(oracleIn(UTC, 'last', '-x', ...args));
  });

  test('the same rows from a stream, which is read forwards', () => {
    // Through a pipe, as a shell makes it (spawnSync's own stdin is a socket, which /dev/stdin cannot open).
    const piped = spawnSync('bash', ['-c', 'cat "$1" | "$2" "$3" last -x -f -', 'bash', files[0], process.execPath, CLI], { env: UTC });
    expect(piped.stderr.toString()).toBe('');
    const rows = (text: string) => text.split('\n').filter((l) => l && !l.includes(' begins '));
    expect(rows(piped.stdout.toString())).toEqual(rows(oracleIn(UTC, 'last', '-x', '-f', files[0])));
  });
});

test('from wtmpdb, newestFirst gives the rows\' sessions in wtmpdb last\'s order (by login, descending)', async () => {
  const db = path.resolve(__dirname, 'fixtures', 'sqlite', 'wtmp.db');
  const all = [...sessions(db, { system: true })];
  expect(all.length).toBeGreaterThan(3);
  const newest = [...sessions(db, { system: true, newestFirst: true })];
  // The order `wtmpdb last -x` printed for this database (recorded in Debian 13), by user.
  const recorded = fs.readFileSync(path.resolve(__dirname, 'fixtures', 'sqlite', 'expected', '02.txt'), 'utf8').split('\n').slice(1);
  const users = recorded.filter((l) => / - /.test(l) && !l.includes('ERROR Unknown')).map((l) => l.split(' ')[0]);
  expect(newest.map((s) => (s.user === 'soft-reboot' ? 's-reboot' : s.user.slice(0, 8)))).toEqual(users);
  expect(new Set(newest)).toEqual(new Set(all));
  const viaAsync: Session[] = [];
  for await (const s of sessionsAsync(db, { system: true, newestFirst: true })) viaAsync.push(s);
  expect(viaAsync).toEqual(newest);
});
