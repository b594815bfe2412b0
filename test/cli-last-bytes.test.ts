/**
 * `utmpx last -f FILE` writes the user and host columns straight from the
 * records' bytes. Odd names (control characters, backslashes, UTF-8, bytes
 * that are not UTF-8, names that fill their field, names `last` reads as
 * words: LOGIN, date, shutdown) must come out as the strings do: the rows are
 * compared with those of the same file gzipped, which is read forwards into
 * Sessions and printed from their strings, and with util-linux last's where
 * it prints the same bytes (printable names).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { CLI, ORACLE_ENV, oracle, utmpx } from './helpers/cli-run';
import { type DumpRecord, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

const lastTest = testWith('last', 'utmpdump');

let dir: string;
let cleanup: () => void;
let odd: string;
let plain: string;

const t = (hms: string, day = 15) => `2024-01-${day}T${hms},000000+00:00`;
const rec = (type: number, pid: number, user: string, line: string, host: string, time: string): DumpRecord =>
  ({ type, pid, id: line.slice(-4), user, line, host, addr: /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : '0.0.0.0', time });

// Byte strings (latin1): utmpdump -r writes them as they are.
const ODD_NAMES: Array<[string, string]> = [
  ['\x1b[2J\x07x', 'ev\xc2\x9b31m\xe2\x80\xaeil\x7f'], // controls, a C1 control and a bidi override in UTF-8
  ['back\\slash', 'host\\with\\backslashes'],
  ['caf\xc3\xa9', '\xe6\x9d\xb1\xe4\xba\xac.example.jp'], // UTF-8, printable
  ['bad\x9b', 'h\xff\xfe.example.org'], // not UTF-8
  ['eve', 'x\xffy.example'], // a host alone not UTF-8
  ['abcdefgh', 'exactly16chars.x'], // as wide as the columns
  ['abcdefghi', 'seventeen-chars.x'], // one wider
  ['u'.repeat(32), 'h'.repeat(60)], // a user that fills its field (no NUL)
  ['ok\\', 'tab\there'],
];

function oddHistory(): DumpRecord[] {
  const records: DumpRecord[] = [rec(2, 0, 'reboot', '~', '6.1.0', t('08:00:00'))];
  ODD_NAMES.forEach(([user, host], i) => {
    records.push(rec(7, 100 + i, user, `pts/${i}`, host, t(`09:${String(10 + i)}:00`)));
    if (i % 2 === 0) records.push(rec(8, 100 + i, '', `pts/${i}`, '', t(`10:${String(10 + i)}:30`)));
  });
  records.push(
    // Words last reads in the user field: a LOGIN_PROCESS is no login, a date record is a clock change, shutdown on ~ a shutdown.
    rec(6, 300, 'LOGIN', 'tty2', '', t('11:00:00')),
    rec(0, 301, 'Lara', 'tty3', 'l.example', t('11:01:00')), // type 0 with a user and line: a login, as last fixes it up
    rec(0, 305, 'LOGINS', 'tty4', 'l.example', t('11:01:30')), // but not a user LOGIN...
    rec(3, 0, 'date', '|', '', t('11:02:00')),
    rec(4, 0, 'date', '{', '', t('11:02:05')),
    rec(7, 302, 'dave', 'pts/9', '203.0.113.9', t('11:03:00')),
    rec(1, 0x30 + 256 * 0x35, 'shutdown', '~', '6.1.0', t('12:00:00')),
    rec(2, 0, 'reboot', '~', '6.1.1', t('12:05:00')),
    rec(7, 303, 'runlevelx', 'pts/1', 'r.example', t('12:06:00')), // runlevel... off a ~ line: a login
    rec(7, 304, 'erin', 'pts/2', '198.51.100.7', t('12:07:00')), // never closed
  );
  return records;
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-last-bytes-'));
  odd = writeWithUtmpdump(path.join(dir, 'wtmp'), oddHistory());
  // Printable names only: util-linux last prints these bytes as we do.
  plain = writeWithUtmpdump(path.join(dir, 'plain'), oddHistory().filter((r) => /^[\x20-\x5b\x5d-\x7e]*$/.test(r.user + r.host)));
});
afterAll(() => cleanup());

/** The rows of `utmpx last` on `file` gzipped (read forwards, printed from Sessions' strings), without the "begins" line. */
function rowsFromStrings(file: string, flags: string[]): { rows: string; stderr: string } {
  const gzDir = fs.mkdtempSync(path.join(dir, 'gz-'));
  const gz = path.join(gzDir, path.basename(file) + '.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(file)));
  const r = spawnSync(process.execPath, [CLI, 'last', '-f', gz, ...flags], { env: ORACLE_ENV });
  expect(r.status).toBe(0);
  return { rows: withoutBegins(r.stdout.toString('utf8')), stderr: r.stderr.toString('utf8').replaceAll(gz, file) };
}

const withoutBegins = (out: string) => out.replace(/\n\S+ begins [^\n]*\n$/, '\n');

const FLAG_SETS = ['', '-w', '-x', '-x -w', '-i', '-a', '-R', '-F', '-n 3', 'dave', 'Lara', '--iso -w'];

test.each(FLAG_SETS)('last %s: the rows the strings give, odd names escaped as they are', (set) => {
  const flags = set.split(' ').filter(Boolean);
  const ours = utmpx('last', '-f', odd, ...flags);
  expect(ours.status).toBe(0);
  const theirs = rowsFromStrings(odd, flags);
  expect(withoutBegins(ours.stdout)).toBe(theirs.rows);
  // The same warnings (the names that are not UTF-8), on the same records (read the other way round;
  // -n stops the reading before them).
  const lines = (text: string) => text.split('\n').sort();
  if (!flags.includes('-n')) expect(lines(ours.stderr)).toEqual(lines(theirs.stderr));
  if (set === '') {
    expect(ours.stderr).toContain('not valid UTF-8');
    expect(ours.stdout).toContain('\\x1b[2J');
    expect(ours.stdout).toContain('back\\\\sl');
    expect(ours.stdout).toContain('café');
    expect(ours.stdout).toMatch(/^Lara /m);
    expect(ours.stdout).not.toMatch(/^LOGIN/m);
  }
});

lastTest.each(FLAG_SETS)('last %s on printable names: what util-linux last prints', (set) => {
  const flags = set.split(' ').filter(Boolean).map((f) => (f === '--iso' ? '--time-format=iso' : f));
  expect(utmpx('last', '-f', plain, ...set.split(' ').filter(Boolean)).stdout).toBe(oracle('last', '-f', plain, ...flags));
});
