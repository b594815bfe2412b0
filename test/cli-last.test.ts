/**
 * `utmpx last` and `utmpx lastb` against util-linux `last` and `lastb` on the
 * same files written by `utmpdump -r`: the same text, line for line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ORACLE_ENV, oracle, oracleIn, utmpx, utmpxIn } from './helpers/cli-run';
import { type DumpRecord, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

/** The oracles: util-linux's last and lastb (Debian 13 has neither). */
const lastTest = testWith('last');
const lastbTest = testWith('lastb');

let dir: string;
let cleanup: () => void;
let wtmp: string;
let btmp: string;

const t = (day: number, hms: string) => `2024-01-${String(day).padStart(2, '0')}T${hms},000000+00:00`;
const rec = (type: number, pid: number, user: string, line: string, host: string, time: string): DumpRecord =>
  ({ type, pid, id: line.slice(-4), user, line, host, addr: host.match(/^\d+\.\d+\.\d+\.\d+$/) ? host : '0.0.0.0', time });

/** Logins, logouts, a crash, a clean shutdown, long names, a session over days, one never closed. */
function history(): DumpRecord[] {
  return [
    rec(2, 0, 'reboot', '~', '6.1.0-18-amd64', t(15, '08:00:00')),
    rec(1, 0x35 + 256 * 0x4e, 'runlevel', '~', '6.1.0-18-amd64', t(15, '08:00:05')),
    rec(7, 4242, 'alice', 'pts/1', '10.0.0.5', t(15, '09:30:00')),
    rec(7, 4243, 'bob', 'pts/2', 'example.org', t(15, '09:31:00')),
    rec(7, 700, 'carol', 'tty1', '', t(15, '09:40:00')),
    rec(8, 4242, '', 'pts/1', '', t(15, '10:30:59')),
    rec(7, 4250, 'averyveryverylongusername', 'pts/3', 'a-really-long-hostname.example.org', t(15, '11:00:00')),
    rec(8, 4250, '', 'pts/3', '', t(17, '13:05:00')),
    rec(2, 0, 'reboot', '~', '6.1.0-18-amd64', t(18, '07:00:00')), // crash: bob and carol never logged out
    rec(7, 5000, 'alice', 'pts/0', '192.168.1.20', t(18, '07:10:00')),
    rec(8, 5000, '', 'pts/0', '', t(18, '07:15:30')),
    rec(1, 0x30 + 256 * 0x35, 'shutdown', '~', '6.1.0-18-amd64', t(18, '08:00:00')),
    rec(2, 0, 'reboot', '~', '6.1.0-19-amd64', t(19, '06:00:00')),
    rec(7, 6000, 'dave', 'pts/4', '203.0.113.9', t(19, '06:05:00')), // never closed: gone
  ];
}

/** Failed logins as sshd writes them (LOGIN_PROCESS on ssh:notty), plus odd records lastb also lists. */
function failures(): DumpRecord[] {
  return [
    rec(6, 1001, 'root', 'ssh:notty', '203.0.113.9', t(15, '10:33:00')),
    rec(6, 1002, 'admin', 'ssh:notty', '198.51.100.7', t(15, '10:34:05')),
    rec(6, 1003, 'averyveryverylongusername', 'ssh:notty', 'a-really-long-hostname.example.org', t(16, '00:00:01')),
    rec(7, 1004, 'bob', 'pts/3', '', t(16, '11:00:00')),
    rec(6, 1005, '', 'ssh:notty', 'h', t(17, '12:00:00')),
    rec(6, 1006, 'root', 'ssh:notty', '203.0.113.10', t(17, '12:00:30')),
  ];
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-last-'));
  wtmp = writeWithUtmpdump(path.join(dir, 'wtmp'), history());
  btmp = writeWithUtmpdump(path.join(dir, 'btmp'), failures());
});
afterAll(() => cleanup());

// [our arguments, util-linux's arguments]
const VARIANTS: Array<[string[], string[]]> = [
  [[], []],
  [['-n', '2'], ['-n', '2']],
  [['-3'], ['-3']],
  [['alice'], ['alice']],
  [['root', 'bob'], ['root', 'bob']],
  [['tty1'], ['tty1']],
  [['1'], ['1']], // tty1 by its number, as last allows
  [['reboot'], ['reboot']],
  [['--since', '2024-01-17 13:05:00'], ['--since', '2024-01-17 13:05:00']],
  [['--until', '2024-01-16'], ['--until', '2024-01-16']],
  [['-s', '2024-01-15 10:00', '-t', '2024-01-18 07:12'], ['-s', '2024-01-15 10:00', '-t', '2024-01-18 07:12']],
  [['-w'], ['-w']],
  [['--iso'], ['--time-format', 'iso']],
  [['--iso', '-w', '-n', '4'], ['--time-format', 'iso', '-w', '-n', '4']],
];

// util-linux last's layout options and -p, on a legacy wtmp (and on btmp: lastb is last reading btmp).
const LAST_VARIANTS: Array<[string[], string[]]> = [
  [['-F'], ['-F']],
  [['-i'], ['-i']],
  [['-a'], ['-a']],
  [['-R'], ['-R']],
  [['-a', '-i'], ['-a', '-i']],
  [['-F', '-R', '-x'], ['-F', '-R', '-x']],
  [['-a', '-F', '-x'], ['-a', '-F', '-x']],
  [['-R', '-a'], ['-R', '-a']],
  [['--time-format', 'full'], ['--time-format', 'full']],
  [['--time-format', 'iso', '-a'], ['--time-format', 'iso', '-a']],
  [['-w', '-a'], ['-w', '-a']],
  [['-p', '2024-01-15 10:00'], ['-p', '2024-01-15 10:00']],
  [['--present', '2024-01-18 08:00', '-x'], ['--present', '2024-01-18 08:00', '-x']],
  [['-p', '2024-01-19 07:00'], ['-p', '2024-01-19 07:00']],
  [['-d'], ['-d']],
  [['-d', '-a', '-x'], ['-d', '-a', '-x']],
];

describe('utmpx last', () => {
  lastTest.each([...VARIANTS, ...LAST_VARIANTS])('last %j prints what util-linux last %j prints', (ours, theirs) => {
    const r = utmpx('last', '-f', wtmp, ...ours);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const expected = oracle('last', '-f', wtmp, ...theirs);
    expect(expected.split('\n').length).toBeGreaterThan(3);
    expect(r.stdout).toBe(expected);
  });

  lastTest('local times of a zone whose offset is no whole minutes, and lengths below zero or over days, as last prints them', () => {
    // Africa/Monrovia was UTC-0:44:30 until 1972: 12:00:20 and 12:00:40 UTC, one UTC minute, are 11:15 and 11:16 there.
    const at = (hms: string, day = 1) => `1971-03-${String(day).padStart(2, '0')}T${hms},000000+00:00`;
    const odd = writeWithUtmpdump(path.join(dir, 'wtmp-odd-zone'), [
      rec(2, 0, 'reboot', '~', '6.1.0-18-amd64', at('08:00:00')),
      rec(7, 100, 'alice', 'pts/1', '10.0.0.5', at('12:00:20')),
      rec(8, 100, '', 'pts/1', '', at('12:00:40')),
      rec(7, 101, 'bob', 'pts/2', '10.0.0.6', at('12:10:00')),
      rec(8, 101, '', 'pts/2', '', at('11:58:30')), // the clock went back: a length below zero
      rec(7, 102, 'carol', 'pts/3', '10.0.0.7', at('12:30:00')),
      rec(8, 102, '', 'pts/3', '', at('01:05:00', 4)), // over days
      rec(7, 103, 'dave', 'pts/4', '10.0.0.8', at('13:00:00', 4)),
      rec(2, 0, 'reboot', '~', '6.1.0-18-amd64', at('12:00:00', 5)), // dave: crash, a length over a day
    ]);
    for (const TZ of ['Africa/Monrovia', 'UTC']) {
      const env = { ...ORACLE_ENV, TZ };
      const theirs = oracleIn(env, 'last', '-f', odd);
      expect(theirs).toContain('alice');
      expect(utmpxIn(env, 'last', '-f', odd).stdout).toBe(theirs);
    }
  });

  lastTest('-d names an address that has a name (127.0.0.1 in /etc/hosts), as last -d does', () => {
    const lo = writeWithUtmpdump(path.join(dir, 'wtmp-lo'), [
      rec(2, 0, 'reboot', '~', '6.1.0-18-amd64', t(15, '08:00:00')),
      rec(7, 4242, 'alice', 'pts/1', '127.0.0.1', t(15, '09:30:00')),
      rec(8, 4242, '', 'pts/1', '', t(15, '10:30:59')),
    ]);
    const theirs = oracle('last', '-d', '-f', lo);
    expect(theirs).not.toContain('127.0.0.1'); // a name took its place
    expect(utmpx('last', '-d', '-f', lo).stdout).toBe(theirs);
  });

  lastTest('-x adds shutdowns and run levels as last -x does', () => {
    expect(utmpx('last', '-x', '-f', wtmp).stdout).toBe(oracle('last', '-x', '-f', wtmp));
    expect(utmpx('last', '--system', '--iso', '-f', wtmp).stdout).toBe(oracle('last', '-x', '--time-format', 'iso', '-f', wtmp));
  });

  test('--ndjson: one session a line, the same sessions as the table', () => {
    const lines = utmpx('last', '-f', wtmp, '--ndjson').stdout.split('\n');
    expect(lines.pop()).toBe('');
    const sessions = lines.map((l) => JSON.parse(l));
    const table = utmpx('last', '-w', '-f', wtmp).stdout.split('\n').filter((l) => l && !l.includes(' begins '));
    expect(sessions).toHaveLength(table.length);
    const key = (user: string, login: string) => `${user}@${login}`;
    const fromTable = table.map((l) => {
      const at = l.search(/(Mon|Tue|Wed|Thu|Fri|Sat|Sun) Jan/);
      return key(l.split(' ')[0], l.slice(at, at + 16));
    });
    const fmt = (iso: string) => new Date(iso).toUTCString().replace(/^(\w+), (\d+) (\w+) \d+ (\d\d:\d\d).*$/, (_, d, n, m, hm) => `${d} ${m} ${n.replace(/^0/, ' ')} ${hm}`);
    expect(sessions.map((s) => key(s.user, fmt(s.login))).sort()).toEqual(fromTable.sort());
  });

  lastTest('--json with -n: one document, newest first', () => {
    const doc = JSON.parse(utmpx('last', '-f', wtmp, '--json', '-n', '3').stdout);
    const users = oracle('last', '-n', '3', '-f', wtmp).split('\n').slice(0, 3).map((l) => l.split(' ')[0]);
    expect(doc.map((s: { user: string }) => s.user)).toEqual(users);
    expect(doc[0]).toMatchObject({ kind: 'login', line: 'pts/4', host: '203.0.113.9', address: '203.0.113.9', login: '2024-01-19T06:05:00.000Z', logout: null, end: 'gone' });
  });
});

describe('utmpx lastb', () => {
  lastbTest.each(VARIANTS.filter(([ours]) => !ours.includes('reboot')))('lastb %j prints what util-linux lastb %j prints', (ours, theirs) => {
    const r = utmpx('lastb', '-f', btmp, ...ours);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(oracle('lastb', '-f', btmp, ...theirs));
  });

  // lastb takes last's row options: each attempt is a session that ends as it begins (-p: its own second).
  const LASTB_VARIANTS = LAST_VARIANTS.filter(([ours]) => !ours.includes('-x') && !ours.some((o) => o.startsWith('2024')));
  lastbTest.each([...LASTB_VARIANTS, [['-p', '2024-01-17 12:00:30'], ['-p', '2024-01-17 12:00:30']], [['-p', '2024-01-17 12:00:31'], ['-p', '2024-01-17 12:00:31']]])(
    'lastb %j prints what util-linux lastb %j prints', (ours, theirs) => {
      const r = utmpx('lastb', '-f', btmp, ...ours);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(oracle('lastb', '-f', btmp, ...theirs));
    });

  test('lastb -p keeps the attempt made at that second', () => {
    expect(utmpx('lastb', '-f', btmp, '-p', '2024-01-17 12:00:30').stdout).toMatch(/^root .*203\.0\.113\.10/);
  });

  lastbTest('lastb -d names an address that has a name (127.0.0.1 in /etc/hosts), as lastb -d does', () => {
    const lo = writeWithUtmpdump(path.join(dir, 'btmp-lo'), [rec(6, 1001, 'root', 'ssh:notty', '127.0.0.1', t(15, '10:33:00'))]);
    const theirs = oracle('lastb', '-d', '-f', lo);
    expect(theirs).not.toContain('127.0.0.1');
    expect(utmpx('lastb', '-d', '-f', lo).stdout).toBe(theirs);
    expect(utmpx('lastb', '-d', '-f', lo, '--ndjson').stdout).toContain('"address":"127.0.0.1"');
  });

  lastbTest('an empty btmp: only the "begins" line, as lastb prints it', () => {
    const empty = path.join(dir, 'btmp-empty');
    fs.writeFileSync(empty, '');
    expect(utmpx('lastb', '-f', empty).stdout).toBe(oracle('lastb', '-f', empty));
    expect(utmpx('lastb', '-f', empty, '--json').stdout).toBe('[]\n');
    expect(utmpx('lastb', '-f', empty, '--ndjson').stdout).toBe('');
  });

  test('--ndjson: one entry a line, newest first, every field', () => {
    const out = utmpx('lastb', '-f', btmp, '--ndjson');
    const lines = out.stdout.split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => e.ut_user)).toEqual(failures().map((f) => f.user).reverse());
    expect(entries[0]).toMatchObject({ ut_type: 'LOGIN_PROCESS', ut_pid: 1006, line: 'ssh:notty', ut_host: '203.0.113.10', address: '203.0.113.10', date: '2024-01-17T12:00:30.000Z' });
    const json = JSON.parse(utmpx('lastb', '-f', btmp, '--json', 'root').stdout);
    expect(json).toEqual(entries.filter((e) => e.ut_user === 'root'));
  });
});
