/**
 * systemd-logind without root: the mapping of a session to the entries
 * coreutils' who makes of it (lib/readutmp.c, read_utmp_from_systemd), the
 * rule that picks logind over utmp, the field-by-field fallbacks of an old
 * libsystemd, and a system where sd-login cannot be loaded. The real sd-login
 * on written session files is test/logind-root/ (`npm run test:logind`, root).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  LogindEntry, kernelBootSeconds, logindEntries, logindSessions, parsePasswd, toLogindSession,
} from '../lib/sources/logind';
import { type LiveFacts, chooseLiveSource } from '../lib/platform/platform';
import { MAX_DATE_MS } from '../lib/model/entry';
import type { NativeAddon, NativeLogindSession } from '../lib/platform/native';
import { native } from '../lib/platform/native';
import { CLI } from './helpers/cli-run';

const START = 1700000000123456; // µs

function raw(fields: Partial<NativeLogindSession>): NativeLogindSession {
  return { id: '3', uid: 1000, user: 'alice', class: 'user', state: 'active', startUsec: START, leader: 4242, fromFile: [], ...fields };
}

const noPasswd = () => undefined;
const entries = (fields: Partial<NativeLogindSession>) => logindEntries(toLogindSession(raw(fields), noPasswd));
// What who prints of an entry, and what the pyutmp fields say.
const shown = (e: LogindEntry) => ({ line: e.line, ut_line: e.ut_line, host: e.ut_host, type: e.ut_type });

describe("a session as who shows it (coreutils' rules)", () => {
  test('a terminal login: one entry, the tty as a device path, the start time and the leader', () => {
    const [e, ...rest] = entries({ type: 'tty', tty: 'tty1', seat: undefined, service: 'login', vt: 1 });
    expect(rest).toEqual([]);
    expect(shown(e)).toEqual({ line: 'tty1', ut_line: '/dev/tty1', host: '', type: 'USER_PROCESS' });
    expect(e).toMatchObject({ ut_user: 'alice', ut_pid: 4242, ut_session: 4242, ut_id: '3', ut_user_process: true, source: 'logind' });
    expect(e.ut_time).toBe(1700000000.123456);
    expect(e.date.toISOString()).toBe('2023-11-14T22:13:20.123Z');
  });

  test('a remote login: the host is remote_user@remote_host, or the remote host alone', () => {
    expect(shown(entries({ type: 'tty', tty: 'pts/3', remoteHost: '10.0.0.5', remoteUser: 'bob' })[0]))
      .toEqual({ line: 'pts/3', ut_line: '/dev/pts/3', host: 'bob@10.0.0.5', type: 'USER_PROCESS' });
    expect(entries({ type: 'tty', tty: 'pts/3', remoteHost: '10.0.0.5' })[0].ut_host).toBe('10.0.0.5');
  });

  test('ssh (a tty session without a tty): the service and the guessed pty, or either alone', () => {
    const ssh = { type: 'tty', service: 'sshd', remoteHost: '192.0.2.7' };
    expect(shown(entries({ ...ssh, guessedPty: 'pts/1' })[0])).toEqual({ line: 'sshd pts/1', ut_line: 'sshd pts/1', host: '192.0.2.7', type: 'USER_PROCESS' });
    expect(shown(entries(ssh)[0])).toMatchObject({ line: 'sshd', ut_line: 'sshd' });
    expect(shown(entries({ ...ssh, service: undefined, guessedPty: 'pts/1' })[0])).toMatchObject({ line: 'pts/1', ut_line: '/dev/pts/1' });
  });

  test('a graphical session: one entry for the seat and one for the tty; X11 puts the display in the host', () => {
    const x11 = entries({ type: 'x11', seat: 'seat0', tty: 'tty2', display: ':0', vt: 2 });
    expect(x11.map(shown)).toEqual([
      { line: 'seat0', ut_line: 'seat0', host: ':0', type: 'USER_PROCESS' },
      { line: 'tty2', ut_line: '/dev/tty2', host: ':0', type: 'USER_PROCESS' },
    ]);
    expect(entries({ type: 'wayland', seat: 'seat0', display: ':0' }).map(shown))
      .toEqual([{ line: 'seat0', ut_line: 'seat0', host: '', type: 'USER_PROCESS' }]);
    // A remote host wins over the display.
    expect(entries({ type: 'x11', seat: 'seat0', display: ':0', remoteHost: 'h' })[0].ut_host).toBe('h');
  });

  test('a web session shows its service; a session with no tty, seat or known type shows nothing', () => {
    expect(entries({ type: 'web', service: 'cockpit' }).map((e) => e.line)).toEqual(['cockpit']);
    expect(entries({ type: 'unspecified', class: 'background', service: 'cron' })).toEqual([]);
    expect(entries({ type: undefined, service: 'x' })).toEqual([]);
  });

  test("the user's service manager (class manager*) is a LOGIN_PROCESS, not a user; a greeter is a user", () => {
    for (const cls of ['manager', 'manager-early']) {
      const [e] = entries({ class: cls, type: 'tty', tty: 'pts/9' });
      expect([e.ut_type, e.ut_user_process]).toEqual(['LOGIN_PROCESS', false]);
    }
    expect(entries({ class: 'greeter', type: 'x11', seat: 'seat0' })[0].ut_type).toBe('USER_PROCESS');
    expect(entries({ class: undefined, type: 'tty', tty: 'tty3' })[0].ut_type).toBe('USER_PROCESS');
  });

  test('the rich session keeps every field, null where sd-login gave none', () => {
    const s = toLogindSession(raw({ type: 'tty', tty: 'pts/3', service: 'sshd', remoteHost: 'h', remoteUser: 'r', vt: 7, active: false, remote: true, desktop: 'GNOME' }), noPasswd);
    expect(s).toEqual({
      id: '3', uid: 1000, user: 'alice', class: 'user', type: 'tty', state: 'active', seat: null, vt: 7, line: 'pts/3',
      display: null, service: 'sshd', remoteHost: 'h', remoteUser: 'r', desktop: 'GNOME', active: false, remote: true, leader: 4242,
      startTimeUsec: START, startTime: new Date(Math.floor(START / 1000)), guessedPty: null, fallbacks: {}, source: 'logind',
    });
  });

  test('a start time no Date can hold (REALTIME=2^64-1, which sd-login takes): the nearest Date, never an Invalid Date', () => {
    const s = toLogindSession(raw({ startUsec: 2 ** 64, type: 'tty', tty: 'pts/3' }), noPasswd);
    expect(s.startTimeUsec).toBe(2 ** 64);
    expect(s.startTime!.getTime()).toBe(MAX_DATE_MS);
    const [e] = logindEntries(s);
    expect(e.ut_time).toBe(2 ** 64 / 1e6);
    expect(e.date.getTime()).toBe(MAX_DATE_MS);
  });
});

describe('an older libsystemd (before 254): each missing getter degrades its field only', () => {
  const names = (uid: number) => new Map([[1000, 'alice-pw']]).get(uid);

  test("no username getter: the session file's USER= (what 254's getter returns), else /etc/passwd by uid, else none", () => {
    // The addon read USER= from the file (fromFile says so): kept as it is.
    expect(toLogindSession(raw({ user: 'alice-file', fromFile: ['user'] }), names)).toMatchObject({ user: 'alice-file', fallbacks: { user: 'session-file' } });
    // No USER= either: /etc/passwd by uid.
    expect(toLogindSession(raw({ user: undefined }), names)).toMatchObject({ user: 'alice-pw', fallbacks: { user: 'passwd' } });
    expect(toLogindSession(raw({ uid: 2000, user: undefined }), names)).toMatchObject({ user: '', fallbacks: {} });
    // A name from the getter itself is kept.
    expect(toLogindSession(raw({ user: 'alice' }), names)).toMatchObject({ user: 'alice', fallbacks: {} });
  });

  test('no start time and no leader: time 0 and pid 0 in the entry, null in the session; other fields intact', () => {
    const s = toLogindSession(raw({ startUsec: undefined, leader: undefined, type: 'tty', tty: 'pts/0' }), noPasswd);
    expect([s.startTimeUsec, s.startTime, s.leader, s.line]).toEqual([null, null, null, 'pts/0']);
    const [e] = logindEntries(s);
    expect([e.ut_time, e.ut_pid, e.ut_user, e.line]).toEqual([0, 0, 'alice', 'pts/0']);
  });

  test('fields read from the session file say so', () => {
    expect(toLogindSession(raw({ fromFile: ['leader', 'startTime'] }), noPasswd).fallbacks).toEqual({ leader: 'session-file', startTime: 'session-file' });
  });

  test("this host's libsystemd: the getters the addon reports missing are those the library lacks (python ctypes as the oracle)", () => {
    const info = native().logindInfo!();
    if (info.library === null) return; // no libsystemd here: the next describe covers it
    const wanted = ['sd_session_get_username', 'sd_session_get_leader', 'sd_session_get_start_time', 'sd_session_get_tty', 'sd_session_get_uid'];
    const script = `import ctypes,sys\nl=ctypes.CDLL(sys.argv[1])\nprint(" ".join(n for n in sys.argv[2:] if not hasattr(l, n)))`;
    const r = spawnSync('python3', ['-c', script, info.library, ...wanted], { encoding: 'utf8' });
    if (r.status !== 0) return; // no python3
    const lacking = r.stdout.trim().split(' ').filter(Boolean);
    expect(info.missing.filter((m) => wanted.includes(m)).sort()).toEqual(lacking.sort());
  });
});

describe('which source answers for the live database', () => {
  const base: LiveFacts = { utmpExists: false, logindLibrary: 'libsystemd.so.0', sessionsDir: true, systemdBooted: true, sessionsListed: false };
  test.each([
    ['a systemd system without utmp (Debian 13)', {}, 'logind'],
    ['utmp exists (Fedora, Debian 12): utmp, even with logind', { utmpExists: true }, 'utmp'],
    ['no sd-login library', { logindLibrary: null }, 'utmp'],
    ['logind not running (no session directory)', { sessionsDir: false }, 'utmp'],
    ['not booted with systemd, no sessions (a container)', { systemdBooted: false }, 'utmp'],
    ['not booted with systemd, sessions listed (elogind, a test root)', { systemdBooted: false, sessionsListed: true }, 'logind'],
  ] as const)('%s: %s', (_name, change, expected) => {
    expect(chooseLiveSource({ ...base, ...change })).toBe(expected);
  });
});

describe('where sd-login cannot be loaded', () => {
  // The addon reads UTMPX_LOGIND_LIBRARY once, when first asked: a child process per case.
  function child(library: string, code: string): { stdout: string; stderr: string; status: number | null } {
    const r = spawnSync(process.execPath, ['-e', code], {
      cwd: path.resolve(__dirname, '..'), env: { ...process.env, UTMPX_LOGIND_LIBRARY: library }, encoding: 'utf8',
    });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }
  const probe = `const u = require('./dist'); const out = { library: u.logindLibrary(), live: u.liveSource() };
    try { u.logindSessions(); } catch (e) { out.error = [e.code, e.syscall]; }
    try { u.users({ source: 'logind' }); } catch (e) { out.usersError = e.code; }
    u.logindSessionsAsync().catch((e) => { out.asyncError = e.code; console.log(JSON.stringify(out)); });`;

  test.each(['', 'libutmpx-no-such-library.so.0', 'libc.so.6'])('library %j: the addon loads, logind is unavailable, ENOSYS when forced', (lib) => {
    const r = child(lib, probe);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ library: null, live: 'utmp', error: ['ENOSYS', 'dlopen'], usersError: 'ENOSYS', asyncError: 'ENOSYS' });
  });

  test('the CLI: who --source logind says why on stderr, exit 1; a bad --source is a usage error', () => {
    const r = spawnSync(process.execPath, [CLI, 'who', '--source', 'logind'], { env: { ...process.env, UTMPX_LOGIND_LIBRARY: '' }, encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^utmpx: ENOSYS: sd-login is not available: .*libsystemd\.so\.0.*\n$/);
    const bad = spawnSync(process.execPath, [CLI, 'users', '--source', 'wtmp'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--source must be auto, utmp or logind');
    const withFile = spawnSync(process.execPath, [CLI, 'who', '--source', 'logind', '-f', '/nonexistent'], { encoding: 'utf8' });
    expect(withFile.status).toBe(2);
  });

  test('an addon without the logind functions at all (an older prebuilt): unavailable, not a crash', () => {
    const old = { ...native(), readLogind: undefined, readLogindAsync: undefined, logindInfo: undefined } as NativeAddon;
    expect(() => logindSessions(old)).toThrow(expect.objectContaining({ code: 'ENOSYS' }));
  });
});

describe("leaders' liveness (who's kill(pid, 0), nothing held between calls)", () => {
  const alive = (pids: number[]) => [...native().leadersAlive!(Int32Array.from(pids))].map(Boolean);
  // Counted with nothing async in between: other work in this process may open or close descriptors meanwhile.
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const pidfds = () => fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[pidfd]'; } catch { return false; } }).length;

  test('running, ended, never existed, and no single process; no descriptor kept after a call', async () => {
    const children = Array.from({ length: 20 }, () => spawn('sleep', ['100'], { stdio: 'ignore' }));
    try {
      const pids = children.map((c) => c.pid!);
      const before = fds();
      expect(alive([...pids, 0, -1])).toEqual([...pids.map(() => true), true, true]);
      expect(fds()).toBe(before); // no pidfd (nor anything else) per leader kept: 300 sessions under a 256-descriptor limit left none
      expect(alive(pids)).toEqual(pids.map(() => true));
      // kill(2) says the same, independently.
      expect(pids.map((p) => { try { process.kill(p, 0); return true; } catch { return false; } })).toEqual(pids.map(() => true));
      children[3].kill('SIGKILL');
      await new Promise((r) => children[3].once('exit', r));
      const beforeAfter = fds();
      const after = alive(pids);
      expect(fds()).toBe(beforeAfter);
      expect(after.filter((a) => !a)).toHaveLength(1);
      expect(after[3]).toBe(false);
      expect(alive([2 ** 31 - 2])).toEqual([false]); // no such process
      expect(pidfds()).toBe(0);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  });

  test('anything but an Int32Array is a TypeError', () => {
    expect(() => native().leadersAlive!([1] as unknown as Int32Array)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('Int32Array') }));
  });
});

describe('helpers', () => {
  test("the kernel's boot time agrees with os.uptime()", () => {
    const btime = kernelBootSeconds();
    if (btime === null) return; // no /proc
    expect(Math.abs(btime - (Date.now() / 1000 - os.uptime()))).toBeLessThan(3);
    expect(kernelBootSeconds('cpu 1 2 3\nbtime 1234567890\nprocesses 5\n')).toBe(1234567890);
    expect(kernelBootSeconds('cpu 1 2 3\n')).toBeNull();
  });

  test('passwd: the first name of each uid, malformed rows ignored', () => {
    const text = 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/a:/bin/sh\nalias:x:1000:1000::/:/bin/sh\nbad\n:x:5:5::/:\nno:x:abc:1::/:\n';
    expect([...parsePasswd(text)]).toEqual([[0, 'root'], [1000, 'alice']]);
    // and the real file agrees with getent for root
    if (fs.existsSync('/etc/passwd')) expect(parsePasswd(fs.readFileSync('/etc/passwd', 'utf8')).get(0)).toBe('root');
  });
});
