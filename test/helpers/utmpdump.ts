/**
 * Fixtures written by util-linux's `utmpdump -r`, and its own dump of them
 * read back as an independent oracle. Nothing here writes a record itself.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import type { UtmpEntry } from '../../lib';
import { whyMissing } from './tools';

export interface DumpRecord {
  type: number;
  pid: number;
  id: string;
  user: string;
  line: string;
  host: string;
  addr: string;
  /** The time as utmpdump prints it: ISO 8601 with a comma before the microseconds. */
  time: string;
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = 'utmpx-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One line of utmpdump's text format. Strings are byte strings (latin1), so invalid UTF-8 can be written. */
export function dumpLine(r: DumpRecord): string {
  return `[${r.type}] [${String(r.pid).padStart(5, '0')}] [${r.id.padEnd(4)}] [${r.user.padEnd(8)}] ` +
    `[${r.line.padEnd(12)}] [${r.host.padEnd(20)}] [${r.addr.padEnd(15)}] [${r.time}]`;
}

/** Writes `records` to `file` with `utmpdump -r`; returns the file. */
export function writeWithUtmpdump(file: string, records: DumpRecord[]): string {
  fs.writeFileSync(file, utmpdumpReverse(records.map(dumpLine).join('\n') + '\n'));
  return file;
}

/** Writes `records` to `file` with `utmpdump -r` run now, for records of this moment that no committed fixture can hold. */
export function writeLiveWithUtmpdump(file: string, records: DumpRecord[]): string {
  fs.writeFileSync(file, runUtmpdumpReverse(records.map(dumpLine).join('\n') + '\n'));
  return file;
}

/** Where the binaries `utmpdump -r` made are kept, each beside its text, named by the text's digest. */
export const UTMPDUMP_FIXTURES = path.resolve(__dirname, '../fixtures/utmpdump');

/** The name (without extension) of the committed fixture of `text`. */
export function fixtureName(text: Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** `utmpdump -r` itself on `text` (a latin1 string or bytes). */
export function runUtmpdumpReverse(text: string | Buffer): Buffer {
  const input = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return execFileSync('utmpdump', ['-r'], { input, stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
}

/**
 * What util-linux's `utmpdump -r` makes of `text`. The binary it made is
 * committed (gzip) in test/fixtures/utmpdump/ beside its text, so a machine
 * without util-linux's utmpdump (Debian 13 has none) still reads records
 * written by it, never by this project. A text with no committed binary is
 * given to utmpdump and both are saved there, to be committed; in CI (a fresh
 * clone) that is an error, so every fixture a test makes is committed.
 */
export function utmpdumpReverse(text: string | Buffer): Buffer {
  const input = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const name = fixtureName(input);
  const bin = path.join(UTMPDUMP_FIXTURES, `${name}.bin.gz`);
  if (fs.existsSync(bin)) return zlib.gunzipSync(fs.readFileSync(bin));
  if (process.env.CI || whyMissing('utmpdump')) {
    throw new Error(`test/fixtures/utmpdump/${name}.bin.gz is not committed, and ${process.env.CI ? 'a CI run does not make fixtures' : `utmpdump cannot make it (${whyMissing('utmpdump')})`}: ` +
      'run this test where util-linux\'s utmpdump is on PATH and commit test/fixtures/utmpdump/');
  }
  const out = runUtmpdumpReverse(input);
  saveFixture(path.join(UTMPDUMP_FIXTURES, `${name}.txt.gz`), zlib.gzipSync(input, { level: 9 }));
  saveFixture(bin, zlib.gzipSync(out, { level: 9 }));
  return out;
}

/** Writes `data` to `file` whole or not at all (jest's workers may make the same fixture at once). */
function saveFixture(file: string, data: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** `utmpdump FILE`, parsed. Strings come back as latin1 byte strings. */
export function readWithUtmpdump(file: string): DumpRecord[] {
  const out = execFileSync('utmpdump', [file], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 }).toString('latin1');
  return out.split('\n').filter(Boolean).map(parseDumpLine);
}

export function parseDumpLine(line: string): DumpRecord {
  const m = /^\[(-?\d+)\] \[(\d+)\] \[(.*?)\] \[(.*?) *\] \[(.*?) *\] \[(.*?) *\] \[(.*?) *\] \[(.*?)\]$/s.exec(line);
  if (!m) throw new Error(`unexpected utmpdump line: ${JSON.stringify(line)}`);
  return {
    type: Number(m[1]), pid: Number(m[2]), id: m[3], user: m[4], line: m[5], host: m[6], addr: m[7], time: m[8],
  };
}

/** Seconds since the epoch (with the fraction) of a utmpdump time. */
export function dumpSeconds(time: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{6})([+-]\d\d:\d\d)$/.exec(time);
  if (!m) throw new Error(`unexpected utmpdump time: ${time}`);
  return Date.parse(m[1] + m[3]) / 1000 + Number(m[2]) / 1e6;
}

/** A time as utmpdump prints it, in UTC: `ms` since the epoch, with `usec` as the microseconds if given, else ms's fraction. */
export function dumpTime(ms: number, usec?: number): string {
  const [, seconds, millis] = /^(.*)\.(\d{3})Z$/.exec(new Date(ms).toISOString())!;
  return `${seconds},${usec === undefined ? `${millis}000` : String(usec).padStart(6, '0')}+00:00`;
}

/**
 * How utmpdump prints a string we decoded: it shows every byte outside
 * printable ASCII as '?' (one per byte; a replaced invalid byte was one byte).
 */
export function asUtmpdumpShows(text: string): string {
  const bytes = Buffer.from(text.replace(/\uFFFD/g, '?'), 'utf8');
  return Array.from(bytes, (b) => (b < 0x20 || b >= 0x7f ? '?' : String.fromCharCode(b))).join('');
}

/** A latin1 byte string (from who, say) as the UTF-8 text a reader should return. */
export function asUtf8(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export const PEER_SAMPLES = path.resolve(__dirname, '../../../shared/peer-samples');
export const havePeerSamples = fs.existsSync(PEER_SAMPLES);

/** Every record type, both address families, a 32-byte user, a time past 2038, microseconds. */
export function richFixture(): DumpRecord[] {
  return [
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: '2024-01-15T09:00:00,000000+00:00' },
    { type: 1, pid: 53, id: '~~', user: 'runlevel', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: '2024-01-15T09:00:05,500000+00:00' },
    { type: 4, pid: 0, id: '', user: '', line: '|', host: '', addr: '0.0.0.0', time: '2024-01-15T09:01:00,000000+00:00' },
    { type: 3, pid: 0, id: '', user: '', line: '}', host: '', addr: '0.0.0.0', time: '2024-01-15T09:01:01,000000+00:00' },
    { type: 5, pid: 601, id: 'tty1', user: '', line: 'tty1', host: '', addr: '0.0.0.0', time: '2024-01-15T09:02:00,000001+00:00' },
    { type: 6, pid: 602, id: 'tty2', user: 'LOGIN', line: 'tty2', host: '', addr: '0.0.0.0', time: '2024-01-15T09:02:30,250000+00:00' },
    { type: 7, pid: 4242, id: 'ts/1', user: 'alice', line: 'pts/1', host: '10.0.0.5', addr: '10.0.0.5', time: '2024-01-15T09:30:00,123456+00:00' },
    { type: 7, pid: 4243, id: 'ts/2', user: 'bob', line: 'pts/2', host: 'example.org', addr: '2001:db8::1', time: '2024-01-15T09:31:00,999999+00:00' },
    { type: 7, pid: 4244, id: 'ts/3', user: 'u'.repeat(32), line: 'pts/3', host: '::1', addr: '::1', time: '2024-01-15T09:32:00,000000+00:00' },
    { type: 7, pid: 4245, id: 'ts/4', user: 'carol', line: 'pts/4', host: 'future', addr: '192.168.1.20', time: '2040-06-01T12:00:00,654321+00:00' },
    { type: 7, pid: 4246, id: 'ts/5', user: 'caf\xc3\xa9', line: 'pts/5', host: 'bad\xffhost', addr: 'fe80::1:2', time: '2024-01-15T09:33:00,000000+00:00' },
    { type: 8, pid: 4242, id: 'ts/1', user: '', line: 'pts/1', host: '', addr: '0.0.0.0', time: '2024-01-15T10:30:00,000000+00:00' },
    { type: 9, pid: 7, id: 'acct', user: 'acct', line: 'tty9', host: '', addr: '0.0.0.0', time: '2024-01-15T10:31:00,000000+00:00' },
    { type: 0, pid: 0, id: '', user: '', line: '', host: '', addr: '0.0.0.0', time: '1970-01-01T00:00:00,000000+00:00' },
    { type: 42, pid: 1, id: 'x', user: 'odd', line: 'tty3', host: 'h', addr: '0.0.0.0', time: '2024-01-15T10:32:00,000000+00:00' },
    { type: 7, pid: 4247, id: 'ts/6', user: 'ssh', line: 'ssh:notty', host: '203.0.113.9', addr: '203.0.113.9', time: '2024-01-15T10:33:00,000000+00:00' },
  ];
}

// glibc 2.36's tools print tv_sec as signed; glibc 2.40+ and we read it unsigned.
const unsigned32 = (s: number) => (s < 0 ? s + 2 ** 32 : s);

/** Every field of every entry equals what `utmpdump` printed for the same record. */
export function expectMatchesUtmpdump(entries: UtmpEntry[], oracle: DumpRecord[]): void {
  expect(entries).toHaveLength(oracle.length);
  entries.forEach((e, i) => {
    const o = oracle[i];
    expect(e.ut_type_code).toBe(o.type);
    expect(e.ut_pid).toBe(o.pid);
    expect(asUtmpdumpShows(e.ut_id!).trimEnd()).toBe(o.id.trimEnd());
    expect(asUtmpdumpShows(e.ut_user)).toBe(o.user);
    expect(asUtmpdumpShows(e.line)).toBe(o.line);
    expect(asUtmpdumpShows(e.ut_host)).toBe(o.host);
    expect(e.address ?? '0.0.0.0').toBe(o.addr);
    expect(e.ut_time).toBeCloseTo(unsigned32(dumpSeconds(o.time)), 6);
    expect(e.date.getTime()).toBe(Math.floor(e.ut_time * 1000));
    expect(e.ut_user_process).toBe(o.type === 7);
  });
}
