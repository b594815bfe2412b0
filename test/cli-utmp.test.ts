/**
 * `utmpx who`, `users`, `boot` and `dump` against who(1), users(1),
 * `who -b -r` and utmpdump(1) on the same files written by `utmpdump -r`;
 * untrusted strings never reach the terminal raw; every exit code.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ORACLE_ENV, nodeAsNobody, noLiveSessions, oracle, oracleIn, utmpx, utmpxIn, whyNotAsNobody } from './helpers/cli-run';
import { type DumpRecord, asUtf8, richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { testUnless, testWith } from './helpers/tools';
const lastbTest = testWith('lastb');
const utmpdumpTest = testWith('utmpdump');

let dir: string;
let cleanup: () => void;
let utmp: string;
let hostile: string;

const t = (hms: string) => `2024-01-15T${hms},000000+00:00`;
const ascii = (): DumpRecord[] => [
  { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: t('08:59:58') },
  { type: 1, pid: 0x35 + 256 * 0x4e, id: '~~', user: 'runlevel', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: t('09:00:05') },
  { type: 6, pid: 602, id: 'tty2', user: 'LOGIN', line: 'tty2', host: '', addr: '0.0.0.0', time: t('09:02:30') },
  { type: 7, pid: 4242, id: 'ts/1', user: 'alice', line: 'pts/1', host: '10.0.0.5', addr: '10.0.0.5', time: t('09:30:00') },
  { type: 7, pid: 4243, id: 'ts/2', user: 'bob', line: 'pts/2', host: 'example.org', addr: '2001:db8::1', time: t('09:31:00') },
  { type: 7, pid: 700, id: 'tty1', user: 'carol', line: 'tty1', host: '', addr: '0.0.0.0', time: t('09:40:00') },
  { type: 7, pid: 4244, id: 'ts/3', user: 'alice', line: 'pts/3', host: ':0', addr: '0.0.0.0', time: t('09:41:00') },
  { type: 8, pid: 4000, id: 'ts/9', user: '', line: 'pts/9', host: '', addr: '0.0.0.0', time: t('09:45:00') },
];

/** Bytes an attacker can put in btmp through sshd: ESC sequences, BEL, C1 CSI (UTF-8), bidi override, DEL. */
const HOSTILE_USER = '\x1b[2J\x07x';
const HOSTILE_HOST = 'ev\xc2\x9b31m\xe2\x80\xaeil\x7f';
const HOSTILE_LINE = 'pts/\x1bc\x07'; // ESC c resets a terminal (']' would end utmpdump's field)

beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-utmp-'));
  utmp = writeWithUtmpdump(path.join(dir, 'utmp'), ascii());
  hostile = writeWithUtmpdump(path.join(dir, 'btmp'), [
    { type: 6, pid: 1234, id: '', user: HOSTILE_USER, line: 'ssh:notty', host: HOSTILE_HOST, addr: '203.0.113.9', time: t('10:33:00') },
    { type: 7, pid: 1235, id: 'a\x1b', user: 'eve\x9b', line: HOSTILE_LINE, host: 'h\x1bP', addr: '203.0.113.9', time: t('10:34:00') },
  ]);
});
afterAll(() => cleanup());

describe('who, users, boot', () => {
  test('utmpx who -f FILE prints what who FILE prints', () => {
    const r = utmpx('who', '-f', utmp);
    expect(r.status).toBe(0);
    const expected = oracle('who', utmp);
    expect(expected.split('\n').length).toBeGreaterThan(3);
    expect(r.stdout).toBe(expected);
  });

  test('utmpx users -f FILE prints what users FILE prints', () => {
    expect(utmpx('users', '-f', utmp).stdout).toBe(oracle('users', utmp));
    expect(JSON.parse(utmpx('users', '-f', utmp, '--json').stdout)).toEqual(oracle('users', utmp).trim().split(' '));
  });

  test('utmpx boot -f FILE prints what who -b -r FILE prints', () => {
    const expected = oracle('who', '-b', '-r', utmp);
    expect(expected).toMatch(/system boot.*\n.*run-level 5.*last=S/);
    expect(utmpx('boot', '-f', utmp).stdout).toBe(expected);
    const json = JSON.parse(utmpx('boot', '-f', utmp, '--json').stdout);
    expect(json).toEqual({
      boot: '2024-01-15T08:59:58.000Z', runLevel: { level: '5', code: 0x35, previous: 'N', time: '2024-01-15T09:00:05.000Z' },
      warnings: [], warningCount: 0,
    });
    expect(JSON.parse(utmpx('boot', '-f', utmp, '--ndjson').stdout)).toEqual(json);
  });

  lastbTest('--iso prints ISO 8601 times in local time', () => {
    const lines = utmpx('who', '-f', utmp, '--iso').stdout.split('\n').filter(Boolean);
    expect(lines[0]).toBe('alice    pts/1        2024-01-15T09:30:00+00:00 (10.0.0.5)');
    // Local time is the TZ's, as who and last print it.
    const paris = { ...ORACLE_ENV, TZ: 'Europe/Paris' };
    expect(utmpxIn(paris, 'who', '-f', utmp).stdout).toBe(oracleIn(paris, 'who', utmp));
    expect(utmpxIn(paris, 'who', '-f', utmp, '--iso').stdout).toContain('2024-01-15T10:30:00+01:00');
    expect(utmpxIn(paris, 'lastb', '-f', utmp, '--iso').stdout).toBe(oracleIn(paris, 'lastb', '--time-format', 'iso', '-f', utmp));
  });

  test('--ndjson: one entry a line; --json: one document with the same entries', () => {
    const lines = utmpx('who', '-f', utmp, '--ndjson').stdout.split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.ut_user, e.line, e.ut_host])).toEqual(
      oracle('who', utmp).split('\n').filter(Boolean).map((l) => {
        const [user, line] = l.split(/ +/);
        return [user, line, /\((.*)\)$/.exec(l)?.[1] ?? ''];
      }));
    expect(JSON.parse(utmpx('who', '-f', utmp, '--json').stdout)).toEqual(entries);
  });
});

describe('dump', () => {
  utmpdumpTest('what utmpdump prints, byte for byte (--extended: and two fields more); utmpdump -r reads the output back', () => {
    // ASCII records up to 2038: glibc 2.36's utmpdump prints a later time as a negative one.
    const records = richFixture().filter((r) => /^[\x20-\x7e]*$/.test(r.user + r.host) && !r.time.startsWith('2040'));
    const file = writeWithUtmpdump(path.join(dir, 'rich'), records);
    const ours = utmpx('dump', file);
    expect(ours.status).toBe(0);
    const theirs = oracle('utmpdump', file);
    expect(ours.stdout).toBe(theirs);
    // The extra columns (--extended): session and exit status, which utmpdump -r ignores.
    expect(utmpx('dump', '--extended', file).stdout.split('\n')[0]).toMatch(/\] \[0\] \[0 0\]$/);
    const again = path.join(dir, 'rich-again');
    fs.writeFileSync(again, execFileSync('utmpdump', ['-r'], { input: ours.stdout, stdio: ['pipe', 'pipe', 'ignore'] }));
    expect(fs.readFileSync(again)).toEqual(fs.readFileSync(file));
  });

  utmpdumpTest('multibyte names are padded by bytes as utmpdump pads them; utmpdump -r reads them back', () => {
    const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1'); // the byte strings writeWithUtmpdump takes
    const file = writeWithUtmpdump(path.join(dir, 'multibyte'), [
      { type: 7, pid: 4242, id: 'ts/1', user: utf8('müller'), line: 'pts/1', host: utf8('höst.example'), addr: '10.0.0.5', time: t('09:30:00') },
      { type: 7, pid: 4243, id: 'ts/2', user: utf8('日本'), line: utf8('pts/ü'), host: '', addr: '0.0.0.0', time: t('09:31:00') },
    ]);
    const ours = utmpx('dump', file).stdout.trimEnd().split('\n');
    const theirs = oracle('utmpdump', file).trimEnd().split('\n'); // each byte outside ASCII shown as '?'
    const fieldBytes = (l: string) => (l.match(/\[[^\]]*\]/g) ?? []).slice(0, 8).map((f) => Buffer.byteLength(f, 'utf8'));
    expect(ours.map(fieldBytes)).toEqual(theirs.map(fieldBytes));
    expect(ours[0]).toContain('[müller ]');
    const again = path.join(dir, 'multibyte-again');
    fs.writeFileSync(again, execFileSync('utmpdump', ['-r'], { input: ours.join('\n') + '\n', stdio: ['pipe', 'pipe', 'ignore'] }));
    expect(fs.readFileSync(again)).toEqual(fs.readFileSync(file));
  });

  test('--ndjson gives every record with every field', () => {
    const out = utmpx('dump', '-f', utmp, '--ndjson').stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(ascii().length);
    expect(out.map((e) => e.ut_type_code)).toEqual(ascii().map((r) => r.type));
    expect(Object.keys(out[3]).sort()).toEqual(['address', 'date', 'line', 'ut_addr', 'ut_exit', 'ut_exit_code', 'ut_host', 'ut_id',
      'ut_line', 'ut_pid', 'ut_session', 'ut_time', 'ut_type', 'ut_type_code', 'ut_user', 'ut_user_process']);
  });
});

describe('hostile strings', () => {
  // No C0 control but the newline, no DEL, no C1 control (raw byte or UTF-8), no bidi override.
  const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xab-\xae]|\xe2\x81[\xa6-\xa9]/;
  const commands: string[][] = [['lastb'], ['dump'], ['who'], ['users'], ['last'], ['lastb', '-w'], ['last', '-w', '-x']];

  test.each(commands)('%s never writes them raw, with or without --json/--ndjson', (...command) => {
    for (const format of [[], ['--json'], ['--ndjson']]) {
      const r = utmpx(...command, '-f', hostile, ...format);
      expect(r.status).toBe(0);
      expect(r.raw.toString('latin1')).not.toMatch(RAW_CONTROL);
    }
  });

  test('human output shows them escaped; JSON carries them exactly', () => {
    const table = utmpx('lastb', '-f', hostile).stdout;
    expect(table).toContain('\\x1b[2J\\x07x');
    expect(table).toContain('ev\\x9b31m\\u{202e}il\\x7f');
    const entries = utmpx('lastb', '-f', hostile, '--ndjson').stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries[1]).toMatchObject({ ut_user: HOSTILE_USER, ut_host: asUtf8(HOSTILE_HOST) });
    // The lone byte 0x9b is not UTF-8: it is decoded as U+FFFD (the file's bytes are in utmpdump's dump).
    expect(entries[0]).toMatchObject({ ut_user: 'eve\uFFFD', line: HOSTILE_LINE, ut_host: 'h\x1bP' });
    expect(utmpx('who', '-f', hostile).stdout).toContain('pts/\\x1bc\\x07');
    // A narrow column is cut before escaping, so an escape is never cut in half.
    expect(utmpx('dump', '-f', hostile).stdout).toContain('[01235] [a\\x1b');
  });
});

describe('exit codes and messages', () => {
  test('0 on success, --help and --version', () => {
    for (const c of ['who', 'users', 'last', 'lastb', 'dump', 'boot']) {
      const help = utmpx(c, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: utmpx ${c}`));
    }
    expect(utmpx('--version').stdout).toBe(`${require('../package.json').version}\n`);
    expect(utmpx('--help').status).toBe(0);
  });

  test('2 on a usage error, with a one-line reason first', () => {
    const cases = [[], ['frobnicate'], ['who', '--bogus'], ['last', '-n', 'many'], ['lastb', '--since', 'whenever'],
      ['who', '--json', '--ndjson'], ['who', 'one', 'two', 'three'], ['dump', 'a', 'b'], ['last', '-f']];
    for (const args of cases) {
      const r = utmpx(...args);
      expect([args, r.status]).toEqual([args, 2]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^(utmpx: .+|Usage: utmpx)/);
    }
  });

  test('1 on a read error, one line on stderr naming the file', () => {
    const missing = path.join(dir, 'missing');
    for (const c of ['who', 'users', 'last', 'lastb', 'dump', 'boot']) {
      const r = utmpx(c, '-f', missing);
      expect([c, r.status]).toEqual([c, 1]);
      expect(r.stderr).toBe(`utmpx: ENOENT: no such file or directory, open '${missing}'\n`);
    }
    const isDir = utmpx('lastb', '-f', dir);
    expect(isDir.status).toBe(1);
    expect(isDir.stderr).toMatch(/EISDIR/);
  });

  testUnless(whyNotAsNobody())('1 with "needs root" when btmp is not readable', () => {
    const file = writeWithUtmpdump(path.join(dir, 'btmp-root'), ascii());
    fs.chmodSync(file, 0o600);
    fs.chmodSync(dir, 0o755);
    const r = nodeAsNobody(CLI, 'lastb', '-f', file);
    if (!r) return; // not root: cannot drop privileges
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^utmpx: EACCES: permission denied, open '.*btmp-root' \(reading failed logins needs root[^\n]*\)\n$/);
  });

  test('0 and nothing on stderr when the reader of stdout goes away (utmpx dump | head -c 1)', async () => {
    const records = Array.from({ length: 5000 }, (_, i): DumpRecord => ({
      type: 6, pid: 1000 + i, id: '', user: `user${i}`, line: 'ssh:notty', host: `198.51.100.${i % 250}`, addr: '0.0.0.0', time: t('10:00:00'),
    }));
    const file = writeWithUtmpdump(path.join(dir, 'btmp-big'), records);
    for (const args of [['dump', file], ['lastb', '-f', file, '--ndjson']]) {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect([args, code, stderr]).toEqual([args, 0, '']);
    }
  });

  // Only where the system has no utmp, so the machine's database is never read.
  testUnless(noLiveSessions ? null : 'this machine has a utmp or logind sessions')('a machine with no utmp: said on stderr, nothing on stdout but an empty --json list, exit 0', () => {
    // A script that parses --json gets an empty array (nobody is logged in that utmpx can see), --ndjson no line.
    const printed: [string[], string][] = [[['who'], ''], [['users'], ''], [['boot'], ''], [['dump'], ''], [['who', '--json'], '[]\n'],
      [['users', '--json'], '[]\n'], [['who', '--ndjson'], ''], [['users', '--ndjson'], '']];
    for (const [c, stdout] of printed) {
      const r = utmpx(...c);
      expect([c, r.status, r.stdout]).toEqual([c, 0, stdout]);
      expect(r.stderr).toMatch(/^utmpx: ENOENT: no utmp database at '.*utmp', and no systemd-logind sessions .*records no current sessions\n$/);
    }
  });
});
