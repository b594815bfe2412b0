/**
 * `npm run test:arch` (root): utmpx on another architecture (UTMPX_ARCH:
 * arm64, s390x or armhf), in a Debian 12 root of it run under qemu-user
 * (run.sh mounts it at UTMPX_ARCH_ROOT). Every record is written there by that
 * architecture's own programs (util-linux `utmpdump -r`; its libc's
 * `pututxline`/`updwtmpx` through Python ctypes; shadow's `lastlog -S`) and
 * read back by its own tools (`who`, `utmpdump`, `last`, `lastlog`).
 *
 * Emulation costs ~1 s per Node start, so these are the differential tests
 * where the architectures differ: record size and time width (400-byte utmp
 * and 296-byte lastlog on arm64 and s390x), byte order (s390x), the addon's
 * libc path and its lastlog reader, the decoder's host layout and the fast
 * `users()` path that decodes the live utmp itself. Everything else (option
 * parsing, output formats, damaged files) is the same JS on every machine and
 * is tested by `npm test` on x64.
 *
 * With UTMPX_ARCH_SAVE=DIR, the files and what the tools printed are copied
 * to DIR/ARCH (how test/fixtures/arch/ was made: see its README).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { expectMatchesUtmpdump, parseDumpLine } from '../helpers/utmpdump';

const ARCH = process.env.UTMPX_ARCH ?? '';
const ROOT = process.env.UTMPX_ARCH_ROOT ?? '';
const SAVE = process.env.UTMPX_ARCH_SAVE;
const NODE = '/opt/node/bin/node';
const CLI = '/opt/utmpx/dist/cli/main.js';
const is64 = ARCH !== 'armhf';

const maybe = ROOT && fs.existsSync(path.join(ROOT, 'opt/utmpx')) ? describe : describe.skip;
if (!ROOT) console.log('test:arch: skipped: UTMPX_ARCH_ROOT is not set (run `npm run test:arch` as root)');

interface Result { stdout: string; stderr: string; status: number | null }

/** argv inside the root, with a clean environment (UTC, C.UTF-8). */
function run(argv: string[], input = ''): Result {
  const env = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TZ=UTC', 'LC_ALL=C.UTF-8', 'HOME=/root'];
  const r = spawnSync('chroot', [ROOT, '/usr/bin/env', '-i', ...env, ...argv], { input, encoding: 'latin1', timeout: 240_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function out(argv: string[], input = ''): string {
  const r = run(argv, input);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const utmpx = (...args: string[]): string => out([NODE, CLI, ...args]);

// Times well inside 32 bits everywhere; the 64-bit ABIs also get one after 2038.
const T0 = Date.UTC(2024, 0, 15, 9, 0, 0) / 1000;
const at = (minutes: number, usec = 0) => ({ sec: T0 + minutes * 60, usec });
interface Rec {
  type: number; pid: number; line: string; id: string; user: string; host: string; sec: number; usec: number;
  addr?: string; session?: number; termination?: number; exit?: number;
}
const LIVE: Rec[] = [
  { type: 2, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-arch', ...at(0) },
  { type: 1, pid: 0x32 + 0x4e * 256, line: '~', id: '~~', user: 'runlevel', host: '6.1.0-arch', ...at(0, 500000) },
  { type: 6, pid: 601, line: 'tty1', id: 'tty1', user: 'LOGIN', host: '', ...at(1) },
  // pid 1 lives (users() keeps it); 4243 is long gone (users() drops it as stale, who shows it).
  { type: 7, pid: 1, line: 'pts/1', id: 'ts/1', user: 'alice', host: '10.0.0.5', addr: '10.0.0.5', session: 7, ...at(30, 123456) },
  { type: 7, pid: 4243, line: 'pts/2', id: 'ts/2', user: 'bob', host: '2001:db8::1', addr: '2001:db8::1', ...at(31, 999999) },
  { type: 8, pid: 4244, line: 'pts/3', id: 'ts/3', user: '', host: '', termination: 1, exit: 2, ...at(32) },
];
const HISTORY: Rec[] = [
  { type: 2, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-arch', ...at(0) },
  { type: 7, pid: 4242, line: 'pts/1', id: 'ts/1', user: 'alice', host: '10.0.0.5', addr: '10.0.0.5', ...at(30, 123456) },
  { type: 7, pid: 4243, line: 'pts/2', id: 'ts/2', user: 'bob', host: '2001:db8::1', addr: '2001:db8::1', ...at(31) },
  { type: 8, pid: 4242, line: 'pts/1', id: 'ts/1', user: '', host: '', ...at(95, 250000) },
  { type: 7, pid: 4250, line: 'tty1', id: 'tty1', user: 'carol', host: '', ...at(120) },
  { type: 8, pid: 4250, line: 'tty1', id: 'tty1', user: '', host: '', ...at(185) },
  ...(is64 ? [{ type: 7, pid: 4251, line: 'pts/4', id: 'ts/4', user: 'dave', host: 'future', addr: '192.0.2.7', sec: Date.UTC(2040, 5, 1, 12) / 1000, usec: 654321 }] : []),
];
// util-linux's own text format, turned into records by the root's `utmpdump -r`.
const DUMPED = [
  '[2] [00000] [~~  ] [reboot  ] [~           ] [6.1.0-arch          ] [0.0.0.0        ] [2024-02-01T08:00:00,000000+00:00]',
  '[7] [01234] [ts/0] [erin    ] [pts/0       ] [192.0.2.1           ] [192.0.2.1      ] [2024-02-01T08:10:00,424242+00:00]',
  '[7] [01240] [ts/1] [frank   ] [pts/1       ] [fe80::1             ] [fe80::1        ] [2024-02-01T08:11:00,000001+00:00]',
  '[8] [01234] [ts/0] [        ] [pts/0       ] [                    ] [0.0.0.0        ] [2024-02-01T09:00:00,000000+00:00]',
  '[1] [20019] [~~  ] [shutdown] [~~          ] [6.1.0-arch          ] [0.0.0.0        ] [2024-02-01T18:00:00,000000+00:00]',
].join('\n') + '\n';
// Accounts of the root at known uids, and shadow's `lastlog -S` records their login.
const ACCOUNTS = [{ name: 'alice', uid: 1000 }, { name: 'bob', uid: 1002 }];

const PROBE = `
const u = require('/opt/utmpx');
const os = require('os');
const pick = (e) => ({ type: e.ut_type_code, pid: e.ut_pid, id: e.ut_id, user: e.ut_user, line: e.line, host: e.ut_host,
  address: e.address, session: e.ut_session, exit: e.ut_exit, time: e.ut_time });
const native = require('/opt/utmpx/dist/platform/native').native();
const result = {
  arch: process.arch, endianness: os.endianness(),
  hostLayout: u.hostLayout()?.name ?? null,
  structSize: native.structLayout.size,
  lastlogRecordSize: native.lastlog.recordSize,
  libc: new u.UtmpFile('/run/utmp', { source: 'libc' }).toArray().map(pick),
  decoder: new u.UtmpFile('/run/utmp', { source: 'decoder' }).toArray().map(pick),
  live: new u.UtmpFile().toArray().map(pick),
  liveSource: u.liveSource(),
  users: u.users().map((e) => e.ut_user),
  allUsers: u.users({ dropStale: false }).map((e) => e.ut_user),
  bootTime: u.bootTime()?.getTime() ?? null,
  sessions: [...u.sessions('/var/log/wtmp')].map((s) => [s.user, s.line, s.host, s.login.getTime(), s.logout?.getTime() ?? null]),
  lastlog: new u.LastlogFile().toArray().map((e) => [e.uid, e.user, e.line, e.host, e.time]),
  lastlogLayout: new u.LastlogFile('/var/log/lastlog').layout?.name ?? null,
};
process.stdout.write(JSON.stringify(result));
`;

type Picked = { type: number; pid: number; id: string; user: string; line: string; host: string; address: string | null; session?: number; exit?: { e_termination: number; e_exit: number }; time: number };
let facts: {
  arch: string; endianness: string; hostLayout: string | null; structSize: number; lastlogRecordSize: number;
  libc: Picked[]; decoder: Picked[]; live: Picked[]; liveSource: string; users: string[]; allUsers: string[];
  bootTime: number | null; sessions: [string, string, string, number, number | null][];
  lastlog: [number, string, string, string, number][]; lastlogLayout: string | null;
};
let sizes: { utmpx: number; lastlog: number; byteorder: string };

const asEntries = (list: Picked[]) => list.map((p) => ({
  ut_type_code: p.type, ut_pid: p.pid, ut_id: p.id, ut_user: p.user, line: p.line, ut_host: p.host, address: p.address,
  ut_time: p.time, date: new Date(Math.floor(p.time * 1000)), ut_user_process: p.type === 7,
})) as unknown as Parameters<typeof expectMatchesUtmpdump>[0];

maybe(`utmpx on ${ARCH}, against this architecture's own writers and tools`, () => {
  const started = Date.now();
  beforeAll(() => {
    fs.writeFileSync(path.join(ROOT, 'run/utmp'), '');
    fs.writeFileSync(path.join(ROOT, 'var/log/wtmp'), '');
    out(['python3', '/opt/utmpx-test/writers.py', 'utmp'], JSON.stringify(LIVE));
    out(['python3', '/opt/utmpx-test/writers.py', 'wtmp', '/var/log/wtmp'], JSON.stringify(HISTORY));
    fs.writeFileSync(path.join(ROOT, 'tmp/dumped'), '');
    fs.writeFileSync(path.join(ROOT, 'tmp/dumped.txt'), DUMPED);
    out(['sh', '-c', 'utmpdump -r < /tmp/dumped.txt > /tmp/dumped']);
    fs.writeFileSync(path.join(ROOT, 'var/log/lastlog'), '');
    for (const a of ACCOUNTS) {
      out(['useradd', '-M', '-N', '-u', String(a.uid), a.name]);
      out(['lastlog', '-S', '-u', a.name]);
    }
    const [utmpxSize, lastlogSize, byteorder] = out(['python3', '-c',
      'import sys, ctypes; sys.path.insert(0, "/opt/utmpx-test"); sys.argv = ["", "none"]\n' +
      'exec(open("/opt/utmpx-test/writers.py").read().split("def main")[0])\n' +
      'class Lastlog(ctypes.Structure): _fields_ = [("ll_time", ctypes.c_long), ("ll_line", ctypes.c_char * 32), ("ll_host", ctypes.c_char * 256)]\n' +
      'print(ctypes.sizeof(Utmpx), ctypes.sizeof(Lastlog), sys.byteorder)']).trim().split(' ');
    sizes = { utmpx: Number(utmpxSize), lastlog: Number(lastlogSize), byteorder };
    fs.writeFileSync(path.join(ROOT, 'opt/utmpx-test/probe.js'), PROBE);
    facts = JSON.parse(out([NODE, '/opt/utmpx-test/probe.js']));
  });
  afterAll(() => {
    console.log(`test:arch: ${ARCH}: the tests took ${((Date.now() - started) / 1000).toFixed(1)} s under qemu`);
  });

  test('the addon and the decoder know this ABI: its utmpx and lastlog sizes, its byte order', () => {
    expect(facts.arch).toBe({ arm64: 'arm64', s390x: 's390x', armhf: 'arm' }[ARCH]);
    expect(facts.structSize).toBe(sizes.utmpx);
    expect(facts.hostLayout).toBe(`glibc-${sizes.utmpx}-${sizes.byteorder === 'little' ? 'le' : 'be'}`);
    expect(facts.endianness).toBe(sizes.byteorder === 'little' ? 'LE' : 'BE');
    expect(facts.lastlogRecordSize).toBe(sizes.lastlog);
    expect(facts.lastlogLayout).toBe(`lastlog-${sizes.lastlog}-${sizes.byteorder === 'little' ? 'le' : 'be'}`);
  });

  test('the live utmp (pututxline) through libc, through the decoder and by default: what utmpdump prints', () => {
    const oracle = out(['utmpdump', '/run/utmp']).split('\n').filter(Boolean).map(parseDumpLine);
    expect(oracle).toHaveLength(LIVE.length);
    expectMatchesUtmpdump(asEntries(facts.libc), oracle);
    expectMatchesUtmpdump(asEntries(facts.decoder), oracle);
    expectMatchesUtmpdump(asEntries(facts.live), oracle);
    expect(facts.liveSource).toBe('utmp');
    // What utmpdump leaves out: the session and the exit status, as written.
    expect(facts.decoder.map((e) => e.session)).toEqual(LIVE.map((r) => r.session ?? 0));
    expect(facts.libc.map((e) => e.session)).toEqual(LIVE.map((r) => r.session ?? 0));
    expect(facts.decoder[5].exit).toEqual({ e_termination: 1, e_exit: 2 });
    expect(facts.libc[5].exit).toEqual({ e_termination: 1, e_exit: 2 });
  });

  test('utmpx who prints what who prints; users() and bootTime() agree with who', () => {
    // who, as users(), leaves out bob: his login process (pid 4243) is gone.
    const theirs = out(['who']);
    if (ARCH === 'armhf') {
      // Debian 12's armhf coreutils is built with 64-bit time_t: its who hands glibc's
      // 384-byte records to a 400-byte struct and prints a wrong date (year 3331 for
      // this 2024 login; utmpdump and glibc's own getutxent read 2024, checked above).
      // Every column but the date must still agree.
      const noDate = (text: string) => text.replace(/^(\S+ +\S+ +).*?( \(.*\))?$/gm, '$1DATE$2');
      expect(noDate(utmpx('who'))).toBe(noDate(theirs));
      expect(theirs).not.toContain('2024-01-15');
    } else {
      expect(utmpx('who')).toBe(theirs);
    }
    expect(facts.users).toEqual(theirs.split('\n').filter(Boolean).map((l) => l.split(' ')[0]));
    expect(facts.users).toEqual(['alice']);
    const dumpedUsers = out(['utmpdump', '/run/utmp']).split('\n').filter(Boolean).map(parseDumpLine).filter((d) => d.type === 7);
    expect(facts.allUsers).toEqual(dumpedUsers.map((d) => d.user));
    if (ARCH !== 'armhf') expect(out(['who', '-b'])).toMatch(/system boot\s+2024-01-15 09:00/); // armhf: 1970 (above)
    const boot = out(['utmpdump', '/run/utmp']).split('\n').filter(Boolean).map(parseDumpLine).find((d) => d.type === 2);
    expect(facts.bootTime).toBe(Date.parse(boot!.time.replace(/,\d+/, '')));
  });

  test('the wtmp (updwtmpx): utmpx last prints what last -f prints; sessions() pair as last does', () => {
    const theirs = out(['last', '-f', '/var/log/wtmp']);
    expect(utmpx('last', '-f', '/var/log/wtmp')).toBe(theirs);
    const full = out(['last', '-F', '-f', '/var/log/wtmp']);
    expect(utmpx('last', '-F', '-f', '/var/log/wtmp')).toBe(full);
    const logins = full.split('\n').filter((l) => /^(alice|bob|carol|dave|reboot) /.test(l)).map((l) => l.split(/\s+/).slice(0, 2));
    expect(facts.sessions.map((s) => [s[0], s[1].split(' ')[0]]).sort()).toEqual(logins.sort());
    if (is64) expect(full).toMatch(/^dave .* 2040/m); // a time past 2038 in the 8-byte field
  });

  test('a file written by utmpdump -r: utmpx dump prints its utmpdump columns; utmpx last prints last', () => {
    const theirs = out(['utmpdump', '/tmp/dumped']);
    const firstEight = (text: string) => text.split('\n').map((l) => l.replace(/^((?:\[[^\]]*\] ){7}\[[^\]]*\]).*$/, '$1'));
    expect(firstEight(utmpx('dump', '/tmp/dumped'))).toEqual(firstEight(theirs));
    expect(utmpx('last', '-x', '-f', '/tmp/dumped')).toBe(out(['last', '-x', '-f', '/tmp/dumped']));
  });

  test("lastlog written by shadow's lastlog -S: LastlogFile and utmpx lastlog -u read what lastlog prints", () => {
    expect(facts.lastlog.map((e) => [e[0], e[1]])).toEqual(ACCOUNTS.map((a) => [a.uid, a.name]));
    for (const a of ACCOUNTS) {
      const theirs = out(['lastlog', '-u', a.name]);
      expect(theirs).not.toContain('Never logged in');
      expect(utmpx('lastlog', '-u', a.name)).toBe(theirs);
    }
    expect(utmpx('lastlog', '-u', 'root')).toBe(out(['lastlog', '-u', 'root']));
  });

  (ARCH === 'arm64' ? test : test.skip)('the packed tarball with the linux-arm64 prebuild installs with no compiler and no network, and answers who', () => {
    const repo = path.resolve(__dirname, '../..');
    const stage = fs.mkdtempSync('/tmp/utmpx-arch-pack-');
    try {
      // The checkout as git sees it (nothing ignored), with the prebuild build-roots.sh made by prebuildify.
      const list = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo }).stdout.toString();
      for (const rel of list.split('\0').filter(Boolean)) {
        if (!fs.existsSync(path.join(repo, rel))) continue;
        fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
        fs.copyFileSync(path.join(repo, rel), path.join(stage, rel));
      }
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(stage, 'node_modules'));
      fs.cpSync(path.join(repo, 'build-arm64/prebuilds'), path.join(stage, 'prebuilds'), { recursive: true });
      const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', path.join(ROOT, 'opt')], { cwd: stage, encoding: 'utf8' });
      expect(packed.status).toBe(0);
      const tarball = `/opt/${(JSON.parse(packed.stdout) as { filename: string }[])[0].filename}`;
      // The runtime dependencies' metadata and tarballs, in a cache of their own (as .ci/run does for test:package).
      const deps = Object.entries((JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
      const cached = spawnSync('npm', ['cache', 'add', ...deps.map(([n, v]) => `${n}@${v}`), '--cache', path.join(ROOT, 'opt/npm-cache')], { encoding: 'utf8' });
      expect(cached.status).toBe(0);
      // No compiler in the root at all; npm runs in a network namespace of its own.
      expect(run(['sh', '-c', 'command -v cc gcc g++ c++ make']).stdout).toBe('');
      fs.mkdirSync(path.join(ROOT, 'opt/app'));
      fs.writeFileSync(path.join(ROOT, 'opt/app/package.json'), '{"name":"app","version":"1.0.0","private":true}');
      const env = ['PATH=/opt/node/bin:/usr/bin:/bin', 'HOME=/root', 'TZ=UTC', 'LC_ALL=C.UTF-8'];
      const install = spawnSync('unshare', ['-n', 'chroot', ROOT, '/usr/bin/env', '-i', ...env, 'sh', '-c',
        `cd /opt/app && node /opt/npm/bin/npm-cli.js install --offline --no-audit --no-fund --cache /opt/npm-cache ${tarball}`],
      { encoding: 'utf8', timeout: 600_000 });
      expect(install.stderr).not.toMatch(/npm error|gyp ERR/);
      expect(install.status).toBe(0);
      const installed = path.join(ROOT, 'opt/app/node_modules/utmpx');
      expect(fs.existsSync(path.join(installed, 'prebuilds/linux-arm64/utmpx.glibc.node'))).toBe(true);
      expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
      expect(out([NODE, '/opt/app/node_modules/utmpx/dist/cli/main.js', 'who'])).toBe(out(['who']));
      const probe = "const u = require('utmpx'); console.log(JSON.stringify({ users: u.users().map((e) => e.ut_user), " +
        "addons: process.report.getReport().sharedObjects.filter((f) => f.endsWith('.node')) }));";
      const loaded = JSON.parse(out(['sh', '-c', `cd /opt/app && ${NODE} -e "${probe}"`])) as { users: string[]; addons: string[] };
      expect(loaded.users).toEqual(facts.users);
      expect(loaded.addons).toEqual(['/opt/app/node_modules/utmpx/prebuilds/linux-arm64/utmpx.glibc.node']);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  });

  test('the files and what the tools printed are kept for the x64 tests (UTMPX_ARCH_SAVE)', () => {
    if (!SAVE) return;
    const dir = path.join(SAVE, ARCH);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'run/utmp'), path.join(dir, 'utmp'));
    fs.copyFileSync(path.join(ROOT, 'var/log/wtmp'), path.join(dir, 'wtmp'));
    fs.copyFileSync(path.join(ROOT, 'tmp/dumped'), path.join(dir, 'dumped'));
    fs.copyFileSync(path.join(ROOT, 'var/log/lastlog'), path.join(dir, 'lastlog'));
    const oracles: Record<string, string> = {
      'utmp.utmpdump': out(['utmpdump', '/run/utmp']),
      'utmp.who': out(['who', '/run/utmp']),
      'wtmp.utmpdump': out(['utmpdump', '/var/log/wtmp']),
      'wtmp.last': out(['last', '-f', '/var/log/wtmp']),
      'wtmp.last-F': out(['last', '-F', '-f', '/var/log/wtmp']),
      'dumped.utmpdump': out(['utmpdump', '/tmp/dumped']),
      'dumped.last-x': out(['last', '-x', '-f', '/tmp/dumped']),
      'lastlog.lastlog': ACCOUNTS.map((a) => out(['lastlog', '-u', a.name])).join(''),
      'lastlog.uids': ACCOUNTS.map((a) => `${a.uid} ${a.name}\n`).join(''),
    };
    for (const [name, text] of Object.entries(oracles)) fs.writeFileSync(path.join(dir, name), text, 'latin1');
  });
});

// Auditbeat's .arm test files are aarch64 records (test/fixtures/peers/auditbeat/README.md): the
// committed bytes are what this machine's own `utmpdump -r` makes of their text.
if (ARCH === 'arm64') {
  maybe('Auditbeat\'s .arm test files', () => {
    test('rebuilt by arm64\'s utmpdump -r: the committed bytes', () => {
      const dir = path.resolve(__dirname, '../fixtures/peers/auditbeat');
      for (const name of ['wtmp.arm', 'btmp.arm', 'wtmp.arm.appended']) {
        const made = Buffer.from(out(['utmpdump', '-r'], fs.readFileSync(path.join(dir, `${name}.txt`), 'latin1')), 'latin1');
        expect([name, made.equals(zlib.gunzipSync(fs.readFileSync(path.join(dir, `${name}.bin.gz`))))]).toEqual([name, true]);
      }
    });
  });
}
