/**
 * Files from other machines, read here: the utmp, wtmp and lastlog that arm64,
 * s390x (big-endian) and armhf Debian 12 roots wrote with their own programs
 * under `npm run test:arch` (test/fixtures/arch/README.md says how), checked
 * against what each root's own utmpdump, who, last and lastlog printed there.
 * A forensics case: the records are not this machine's layout.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LASTLOG_LAYOUTS, LastlogFile, UtmpFile, detectLastlogLayout, detectLayout } from '../lib';
import { formatLastlog } from '../lib/cli/lastlog';
import { ORACLE_ENV, utmpxIn } from './helpers/cli-run';
import { expectMatchesUtmpdump, parseDumpLine, tempDir } from './helpers/utmpdump';

const FIXTURES = path.join(__dirname, 'fixtures/arch');
const ARCHES = ['arm64', 's390x', 'armhf'].filter((a) => fs.existsSync(path.join(FIXTURES, a)));
const EXPECTED = {
  arm64: { utmp: 'glibc-400-le', lastlog: 'lastlog-296-le' },
  s390x: { utmp: 'glibc-400-be', lastlog: 'lastlog-296-be' },
  armhf: { utmp: 'glibc-384-le', lastlog: 'lastlog-292-le' },
} as const;

const fixture = (arch: string, name: string) => path.join(FIXTURES, arch, name);
const printed = (arch: string, name: string) => fs.readFileSync(fixture(arch, name), 'latin1');
const dumped = (arch: string, name: string) => printed(arch, name).split('\n').filter(Boolean).map(parseDumpLine);
// The tools ran with TZ=UTC and LC_ALL=C.UTF-8: so does utmpx here.
const env = { ...ORACLE_ENV, TZ: 'UTC' };

test('the fixtures of all three architectures are here', () => {
  expect(ARCHES).toEqual(['arm64', 's390x', 'armhf']);
});

describe.each(ARCHES)('files written on %s', (arch) => {
  const expected = EXPECTED[arch as keyof typeof EXPECTED];

  test.each(['utmp', 'wtmp', 'dumped'])('%s: the layout is recognised; every record is what that machine\'s utmpdump printed', (name) => {
    const file = fixture(arch, name);
    const head = fs.readFileSync(file);
    expect(detectLayout(head, head.length).name).toBe(expected.utmp);
    const f = new UtmpFile(file, { source: 'decoder' });
    const entries = f.toArray();
    expect(f.warnings).toEqual([]);
    expectMatchesUtmpdump(entries, dumped(arch, `${name}.utmpdump`));
  });

  test('utmpx who -f prints what its who printed; utmpx last prints what its last printed', () => {
    // Debian 12's armhf who is built with 64-bit time_t and misreads glibc's 384-byte
    // records' dates (see test/arch/arch.test.ts): there, every column but the date.
    const noDate = (text: string) => (arch === 'armhf' ? text.replace(/^(\S+ +\S+ +).*?( \(.*\))?$/gm, '$1DATE$2') : text);
    expect(noDate(utmpxIn(env, 'who', '-f', fixture(arch, 'utmp')).stdout)).toBe(noDate(printed(arch, 'utmp.who')));
    expect(utmpxIn(env, 'last', '-f', fixture(arch, 'wtmp')).stdout).toBe(printed(arch, 'wtmp.last'));
    expect(utmpxIn(env, 'last', '-F', '-f', fixture(arch, 'wtmp')).stdout).toBe(printed(arch, 'wtmp.last-F'));
    expect(utmpxIn(env, 'last', '-x', '-f', fixture(arch, 'dumped')).stdout).toBe(printed(arch, 'dumped.last-x'));
  });

  test('utmpx dump prints the columns its utmpdump printed', () => {
    const firstEight = (text: string) => text.split('\n').map((l) => l.replace(/^((?:\[[^\]]*\] ){7}\[[^\]]*\]).*$/, '$1'));
    expect(firstEight(utmpxIn(env, 'dump', fixture(arch, 'wtmp')).stdout)).toEqual(firstEight(printed(arch, 'wtmp.utmpdump')));
  });

  test("lastlog: its format is recognised, and each login reads as its shadow lastlog printed it", () => {
    const file = fixture(arch, 'lastlog');
    const host = LASTLOG_LAYOUTS['lastlog-292-le'];
    expect(detectLastlogLayout(file, host).name).toBe(expected.lastlog);
    const ll = new LastlogFile(file, { resolveUsers: false });
    expect(ll.layout?.name).toBe(expected.lastlog);
    const accounts = printed(arch, 'lastlog.uids').split('\n').filter(Boolean).map((l) => l.split(' '));
    const theirs = printed(arch, 'lastlog.lastlog').split('\n').filter((l) => l && !l.startsWith('Username'));
    expect(ll.toArray().map((e) => e.uid)).toEqual(accounts.map(([uid]) => Number(uid)));
    const prior = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      accounts.forEach(([uid, name], i) => {
        const entry = ll.get(Number(uid));
        expect(entry).not.toBeNull();
        expect(formatLastlog(name, entry)).toBe(theirs[i]);
      });
    } finally {
      process.env.TZ = prior;
    }
    expect(ll.warnings).toEqual([]);
  });

  test('lastlog: the same file read as the wrong layout is no login of theirs (the option is obeyed)', () => {
    const wrong = expected.lastlog === 'lastlog-292-le' ? 'lastlog-296-be' : 'lastlog-292-le';
    const ll = new LastlogFile(fixture(arch, 'lastlog'), { layout: wrong, resolveUsers: false });
    expect(ll.layout?.name).toBe(wrong);
    const uids = printed(arch, 'lastlog.uids').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0]));
    expect(ll.toArray().map((e) => e.uid)).not.toEqual(uids);
  });
});

describe('the lastlog layout option', () => {
  test('an unknown layout is a TypeError naming the choices', () => {
    expect(() => new LastlogFile('/nonexistent', { layout: 'vax' as never })).toThrow(/lastlog-296-be/);
  });

  test('a file that cannot be read is left to the reader: ENOENT when read, not at detection', () => {
    const ll = new LastlogFile('/nonexistent/lastlog');
    expect(() => ll.toArray()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  test('async reads use the same layout', async () => {
    if (!ARCHES.includes('s390x')) return;
    const ll = new LastlogFile(fixture('s390x', 'lastlog'), { resolveUsers: false });
    expect((await ll.toArrayAsync()).map((e) => [e.uid, e.time])).toEqual(ll.toArray().map((e) => [e.uid, e.time]));
    const first = ll.toArray()[0];
    expect(await ll.getAsync(first.uid!)).toEqual(ll.get(first.uid!));
  });

  test('utmpx lastlog -f reads a copied s390x lastlog as its lastlog printed it', () => {
    if (!ARCHES.includes('s390x')) return;
    const { dir, cleanup } = tempDir('utmpx-arch-lastlog-');
    try {
      const copy = path.join(dir, 'lastlog');
      fs.copyFileSync(fixture('s390x', 'lastlog'), copy);
      const r = utmpxIn(env, 'lastlog', '-f', copy, '--json');
      expect(r.status).toBe(0);
      const theirs = printed('s390x', 'lastlog.lastlog').split('\n').filter((l) => l && !l.startsWith('Username'));
      const times = (JSON.parse(r.stdout) as { time: number }[]).map((e) => e.time);
      expect(times).toHaveLength(theirs.length);
      theirs.forEach((line, i) => expect(line).toContain(String(new Date(times[i] * 1000).getUTCFullYear())));
    } finally {
      cleanup();
    }
  });
});

describe('Debian 13 armhf (t64): what its programs leave in the files', () => {
  // t64.c, built with _TIME_BITS=64 by Debian's arm-linux-gnueabihf-gcc and run under
  // qemu-arm on Debian 13's own libc6 2.41 (armhf): glibc's updwtmpx wrote wtmp-libc,
  // fwrite of the program's struct wrote wtmp-fwrite; t64.out is what it printed,
  // its getutxent reading the libc-written record back included.
  const T64 = path.join(__dirname, 'fixtures/t64-armhf');
  const said = fs.readFileSync(path.join(T64, 't64.out'), 'utf8');
  const m = /getutxent: user=(\S+) line=(\S+) tv_sec=(\d+) tv_usec=(\d+)/.exec(said)!;

  test('glibc writes 384-byte records holding the first 384 bytes of the 400-byte t64 struct: recognised and read as the program reads them', () => {
    expect(said).toMatch(/sizeof\(struct utmpx\)=400 ut_tv at 344/);
    const file = path.join(T64, 'wtmp-libc');
    expect(fs.statSync(file).size).toBe(384);
    const head = fs.readFileSync(file);
    expect(detectLayout(head, head.length).name).toBe('glibc-384-t64-le');
    const [e] = new UtmpFile(file, { source: 'decoder' }).toArray();
    expect([e.ut_user, e.line, e.ut_time]).toEqual([m[1], m[2], Number(m[3]) + Number(m[4]) / 1e6]);
  });

  test('a t64 program writing its struct itself writes 400-byte records: read as glibc-400-le', () => {
    const file = path.join(T64, 'wtmp-fwrite');
    const head = fs.readFileSync(file);
    expect(detectLayout(head, head.length).name).toBe('glibc-400-le');
    const [e] = new UtmpFile(file, { source: 'decoder' }).toArray();
    expect([e.ut_user, e.line, e.ut_time]).toEqual([m[1], m[2], Number(m[3]) + Number(m[4]) / 1e6]);
  });
});
