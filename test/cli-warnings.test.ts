/**
 * What the file holds and what the reader found: every subcommand tells
 * about damaged records (stderr with offsets, --quiet, --strict, JSON and
 * NDJSON), `boot` escapes a hostile run level and lists each boot as
 * `who -b -r FILE`, and last's "begins" line skips macOS's signature record.
 * Files are written by `utmpdump -r` (garbage appended by hand) or published
 * by plaso; who(1) is the oracle where it has an answer.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runLevel } from '../lib';
import { oracle, utmpx } from './helpers/cli-run';
import { LASTLOG_RECORD, lastlogRecord } from './helpers/lastlog';
import { type DumpRecord, PEER_SAMPLES, havePeerSamples, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

let dir: string;
let cleanup: () => void;
let damaged: string;
let clean: string;
let wtmp: string;
let hostile: string;

const t = (day: number, hms: string) => `2024-01-${String(day).padStart(2, '0')}T${hms},000000+00:00`;
const rec = (type: number, pid: number, user: string, line: string, host: string, time: string): DumpRecord =>
  ({ type, pid, id: line.slice(-4), user, line, host, addr: '0.0.0.0', time });

const history = (): DumpRecord[] => [
  rec(2, 0, 'reboot', '~', '6.1.0', t(15, '08:00:00')),
  rec(1, 0x35 + 256 * 0x4e, 'runlevel', '~', '6.1.0', t(15, '08:00:05')),
  rec(7, 4242, 'alice', 'pts/1', '10.0.0.5', t(15, '09:30:00')),
  rec(8, 4242, '', 'pts/1', '', t(15, '10:30:00')),
  rec(1, 0x30 + 256 * 0x35, 'shutdown', '~', '6.1.0', t(18, '08:00:00')),
  rec(2, 0, 'reboot', '~', '6.1.0', t(19, '06:00:00')),
  rec(7, 6000, 'bob', 'pts/4', '203.0.113.9', t(19, '06:05:00')),
];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-warnings-'));
  clean = writeWithUtmpdump(path.join(dir, 'clean'), history());
  wtmp = clean;
  // The same records, then a record of an unknown type and 50 stray bytes.
  const bytes = fs.readFileSync(clean);
  const unknown = Buffer.from(bytes.subarray(0, 384));
  unknown.writeInt16LE(99, 0);
  damaged = path.join(dir, 'damaged');
  fs.writeFileSync(damaged, Buffer.concat([bytes, unknown, Buffer.alloc(50, 0x41)]));
  hostile = writeWithUtmpdump(path.join(dir, 'hostile'), [
    rec(2, 0, 'reboot', '~', '6.1.0', t(15, '08:00:00')),
    // A run level byte of ESC and 'c' as the previous one: ESC c resets a terminal.
    rec(1, 0x1b + 256 * 0x63, 'runlevel', '~', '6.1.0', t(15, '08:00:05')),
  ]);
});
afterAll(() => cleanup());

const offsets = [7 * 384, 8 * 384];

describe('damaged records are told, not dropped silently', () => {
  const commands: Array<[string, string[]]> = [
    ['dump', ['dump']], ['who', ['who', '-f']], ['users', ['users', '-f']], ['boot', ['boot', '-f']],
    ['last', ['last', '-f']], ['lastb', ['lastb', '-f']],
  ];

  test.each(commands)('%s: stderr names each problem with its offset and the count; stdout as for the clean file', (_name, args) => {
    const r = utmpx(...args, damaged);
    expect(r.status).toBe(0);
    for (const o of offsets) expect(r.stderr).toContain(`${damaged}: byte ${o}: `);
    expect(r.stderr).toContain('unknown record type 99');
    expect(r.stderr).toContain('50 bytes after the last whole 384-byte record');
    expect(r.stderr).toMatch(/2 problems in the file's records/);
    const c = utmpx(...args, clean);
    expect(c.stderr).toBe('');
    // The records that could be read come out (dump shows the unknown one too; last's begins line names the file).
    if (_name !== 'dump' && _name !== 'last' && _name !== 'lastb') expect(r.stdout).toBe(c.stdout);
  });

  test.each(commands)('%s: --quiet says nothing, --strict exits 1 with the full output', (_name, args) => {
    const q = utmpx(...args, damaged, '--quiet');
    expect(q.status).toBe(0);
    expect(q.stderr).toBe('');
    const s = utmpx(...args, damaged, '--strict');
    expect(s.status).toBe(1);
    expect(s.stdout).toBe(q.stdout);
    expect(utmpx(...args, clean, '--strict').status).toBe(0);
  });

  test('--json keeps the array on stdout and gives {warnings, warningCount} on stderr', () => {
    const r = utmpx('dump', '--json', damaged);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
    const w = JSON.parse(r.stderr);
    expect(w.warningCount).toBe(2);
    expect(w.warnings.map((x: { offset: number }) => x.offset)).toEqual(offsets);
    expect(w.warnings.map((x: { code: string }) => x.code)).toEqual(['UNKNOWN_TYPE', 'TRAILING_BYTES']);
    expect(utmpx('dump', '--json', '--quiet', damaged).stderr).toBe('');
  });

  test('boot --json carries them as members of its object', () => {
    const doc = JSON.parse(utmpx('boot', '--json', '-f', damaged).stdout);
    expect(doc.warningCount).toBe(2);
    expect(doc.warnings[1]).toMatchObject({ code: 'TRAILING_BYTES', offset: 8 * 384 });
    expect(JSON.parse(utmpx('boot', '--json', '-f', clean).stdout)).toMatchObject({ warnings: [], warningCount: 0 });
  });

  test('--ndjson adds lines of their own kind after the records', () => {
    const lines = utmpx('who', '--ndjson', '-f', damaged).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const warnings = lines.filter((l) => 'warning' in l);
    expect(warnings.map((l) => l.warning.offset)).toEqual(offsets);
    expect(lines.slice(-2)).toEqual(warnings);
    expect(lines.filter((l) => !('warning' in l)).length).toBe(
      utmpx('who', '--ndjson', '-f', clean).stdout.trim().split('\n').length);
  });

  test('the first five are shown, the rest counted', () => {
    const bytes = fs.readFileSync(clean);
    const unknown = Buffer.from(bytes.subarray(0, 384));
    unknown.writeInt16LE(99, 0);
    const many = path.join(dir, 'many');
    fs.writeFileSync(many, Buffer.concat([bytes, ...Array(8).fill(unknown)]));
    const r = utmpx('dump', many);
    expect(r.stderr.split('\n').filter((l) => l.includes(': byte ')).length).toBe(5);
    expect(r.stderr).toContain('8 problems in the file\'s records (3 more not shown)');
  });

  test('lastlog: a partial record at the end, with its offset; --strict exits 1', () => {
    const file = path.join(dir, 'lastlog');
    const rec = lastlogRecord(1_700_000_000, 'pts/1', '10.0.0.1');
    fs.writeFileSync(file, Buffer.concat([Buffer.alloc(LASTLOG_RECORD), rec, rec.subarray(0, 10)]));
    const r = utmpx('lastlog', '-f', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${file}: byte ${2 * LASTLOG_RECORD}: 10 bytes after the last whole lastlog record`);
    expect(utmpx('lastlog', '-f', file, '--strict').status).toBe(1);
    expect(utmpx('lastlog', '-f', file, '--quiet').stderr).toBe('');
  });

  (havePeerSamples ? test : test.skip)('plaso utmp_corrupted: the two unknown records and the 50 trailing bytes', () => {
    const r = utmpx('dump', path.join(PEER_SAMPLES, 'plaso/utmp_corrupted'));
    expect(r.stderr).toMatch(/byte 384: unknown record type 99\n.*byte 768: unknown record type 99\n.*byte 1536: 50 bytes after/);
    expect(r.stdout.trim().split('\n').length).toBe(4);
  });
});

describe('boot', () => {
  test('-f wtmp lists every boot and run level as who -b -r FILE', () => {
    const expected = oracle('who', '-b', '-r', wtmp);
    expect(expected.match(/system boot/g)).toHaveLength(2);
    expect(utmpx('boot', '-f', wtmp).stdout).toBe(expected);
    expect(oracle('who', '-b', wtmp)).toBe(expected.split('\n').filter((l) => l.includes('system boot')).map((l) => l + '\n').join(''));
  });

  test('a hostile run level is escaped (who prints the raw ESC)', () => {
    const theirs = oracle('who', '-r', hostile);
    expect(theirs).toContain('run-level \x1b');
    const r = utmpx('boot', '-f', hostile);
    expect(r.raw.includes(0x1b)).toBe(false);
    expect(r.stdout).toContain('run-level \\x1b');
    // The rest of the line is who's, byte for byte.
    expect(r.stdout.split('\n')[1]).toBe(theirs.replace('\x1b', '\\x1b').replace(/\n$/, '').replace(/^(\s+run-level \\x1b) /, '$1'));
  });

  test('runLevel().level only for a run level; the byte kept in code', () => {
    expect(runLevel({ path: hostile })).toMatchObject({ level: null, code: 0x1b, previous: 'c' });
    expect(runLevel({ path: wtmp })).toMatchObject({ level: '0', code: 0x30, previous: '5' });
  });

  (havePeerSamples ? test : test.skip)('plaso aarch64: no level for the byte 0x12', () => {
    const file = path.join(PEER_SAMPLES, 'plaso/utmp_aarch64');
    expect(runLevel({ path: file })).toMatchObject({ level: null, code: 0x12 });
    expect(utmpx('boot', '-f', file).stdout).toContain('run-level \\x12');
  });
});

(havePeerSamples ? describe : describe.skip)('last on macOS utmpx', () => {
  test('begins at the first record after the signature, not 1970', () => {
    const r = utmpx('last', '-x', '-f', path.join(PEER_SAMPLES, 'plaso/utmpx_mac'));
    expect(r.stdout).not.toContain('1970');
    // The boot record right after the signature (utmpdump shows it at 2013-11-13T17:52:34).
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('utmpx_mac begins Wed Nov 13 17:52:34 2013');
  });
});
