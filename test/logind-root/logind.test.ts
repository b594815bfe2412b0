/**
 * systemd-logind's sessions through the real sd-login (`npm run test:logind`,
 * root). The suite runs in a private mount namespace (the npm script starts
 * jest under `unshare -m --propagation private`): a tmpfs over /run/systemd
 * holds session files written as logind writes them, with live leaders this
 * test starts and stops by pid. Nothing outside the namespace sees them, and
 * the mounts go when the namespace's last process ends, however the test ends.
 *
 * Oracles: sd-login itself through python3 ctypes (test/logind-root/
 * sd_login_oracle.py). The session files are only the input. On a libsystemd
 * older than 254 (Debian 12 has 252) sd-login has no getter for the user name,
 * leader and start time: those fields are then checked against the input,
 * which is what 254's getters return from the same keys.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  UtmpFile, bootTime, bootTimeAsync, liveSource, logindLibrary, logindSessions, logindSessionsAsync, runLevel, users, usersAsync,
} from '../../lib';
import { kernelBootSeconds } from '../../lib/sources/logind';
import { native } from '../../lib/platform/native';
import { CLI, ORACLE_ENV, checkOutput } from '../helpers/cli-run';
import { type WatchEvent, watch } from '../../lib';
import { EventReader } from '../helpers/watch';

const RUN_SYSTEMD = '/run/systemd';
const SESSIONS = `${RUN_SYSTEMD}/sessions`;
const ORACLE = path.join(__dirname, 'sd_login_oracle.py');

function whyNot(): string | null {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (it mounts a tmpfs over /run/systemd)';
  // The npm script's shell, which started `unshare`, stays outside.
  if (fs.readlinkSync('/proc/self/ns/mnt') === fs.readlinkSync(`/proc/${process.ppid}/ns/mnt`)) {
    return 'must run in a private mount namespace: npm run test:logind';
  }
  if (logindLibrary() === null) return 'no libsystemd.so.0 or libelogind.so.0 here';
  if (spawnSync('python3', ['--version']).status !== 0) return 'needs python3 (the sd-login oracle)';
  return null;
}
const reason = whyNot();
if (reason) console.warn(`logind tests skipped: ${reason}`);
const describeRoot = reason ? describe.skip : describe;

const started: ChildProcess[] = [];
/** A live process to be a session leader; stopped by its pid in afterAll. */
function leader(): number {
  const p = spawn('sleep', ['1000'], { stdio: 'ignore' });
  started.push(p);
  return p.pid!;
}
/** A pid that was alive a moment ago and is not now (a stale session's leader). */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'sleep 0 & echo $!; wait']).toString().trim());
}

const nowUsec = () => Date.now() * 1000;

/** A session file as logind's session_save() writes it (temporary file, then rename), and its `.ref` FIFO. */
function writeSession(id: string, fields: Record<string, string | number>): void {
  const text = '# This is private data. Do not parse.\n' + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
  const tmp = path.join(SESSIONS, `.#${id}tmp`);
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, path.join(SESSIONS, id));
  execFileSync('mkfifo', ['-m', '0600', path.join(SESSIONS, `${id}.ref`)]);
}

/** logind's user file, which sd_get_sessions does not need but a real system has. */
function writeUser(uid: number, name: string, sessions: string[]): void {
  fs.writeFileSync(path.join(RUN_SYSTEMD, 'users', String(uid)),
    `# This is private data. Do not parse.\nNAME=${name}\nSTATE=active\nSESSIONS=${sessions.join(' ')}\nSEATS=\nACTIVE_SESSIONS=${sessions.join(' ')}\nONLINE_SESSIONS=${sessions.join(' ')}\n`);
}

interface OracleSession { id: string; [key: string]: unknown }
function oracle(): { count: number; sessions: OracleSession[] } {
  return JSON.parse(execFileSync('python3', [ORACLE, logindLibrary()!]).toString());
}

function common(uid: number, user: string, extra: Record<string, string | number>): Record<string, string | number> {
  const realtime = extra.REALTIME ?? nowUsec() - 60e6;
  return {
    UID: uid, USER: user, ACTIVE: 1, IS_DISPLAY: 0, STATE: 'active', REMOTE: 0, TYPE: 'tty', CLASS: 'user',
    SCOPE: `session-${extra.ID ?? 'x'}.scope`, ...extra, REALTIME: realtime, MONOTONIC: 123456789,
  };
}

describeRoot('logind sessions through sd-login, in a private mount namespace', () => {
  let leaders: Record<string, number>;
  let sshPty: string;
  let sshStart: number;

  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=4m', 'utmpx-logind-test', RUN_SYSTEMD]);
    for (const d of ['sessions', 'users', 'seats']) fs.mkdirSync(path.join(RUN_SYSTEMD, d));
    leaders = { tty: leader(), remote: leader(), x11: leader(), manager: leader(), cron: leader(), ghost: leader() };
    // An ssh session has no TTY=: who guesses its pty from /dev/pts (owner and ctime just after the start).
    sshStart = nowUsec();
    const pty = spawn('python3', ['-c', 'import os,pty,sys,time\nm,s=pty.openpty()\nos.fchown(s,65534,-1)\nprint(os.ttyname(s),flush=True)\ntime.sleep(1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(pty);
    leaders.ssh = pty.pid!;
    sshPty = execFileSync('sh', ['-c', `for i in $(seq 50); do t=$(ls -l /proc/${pty.pid}/fd 2>/dev/null | grep -o '/dev/pts/[0-9]*' | sort -u | tail -1); [ -n "$t" ] && { echo "$t"; exit; }; sleep 0.1; done`]).toString().trim();
    const stale = deadPid();

    writeSession('1', common(0, 'root', { ID: 1, TTY: 'tty1', SEAT: 'seat0', VTNR: 1, SERVICE: 'login', LEADER: leaders.tty, IS_DISPLAY: 1 }));
    writeSession('2', common(65534, 'nobody', { ID: 2, REMOTE: 1, REMOTE_HOST: '192.0.2.7', SERVICE: 'sshd', LEADER: leaders.ssh, REALTIME: sshStart }));
    writeSession('3', common(0, 'root', { ID: 3, TTY: 'pts/77', REMOTE: 1, REMOTE_HOST: '10.0.0.5', REMOTE_USER: 'bob', SERVICE: 'sshd', LEADER: leaders.remote, REALTIME: 1700000000123456 }));
    writeSession('4', common(65534, 'nobody', { ID: 4, TYPE: 'x11', SEAT: 'seat0', VTNR: 2, TTY: 'tty2', DISPLAY: ':0', SERVICE: 'gdm-password', DESKTOP: 'GNOME', LEADER: leaders.x11 }));
    writeSession('5', common(0, 'root', { ID: 5, TYPE: 'unspecified', CLASS: 'manager', SERVICE: 'systemd-user', LEADER: leaders.manager }));
    writeSession('6', common(0, 'root', { ID: 6, TTY: 'pts/66', SERVICE: 'login', LEADER: stale }));
    writeSession('c7', common(0, 'root', { ID: 'c7', TYPE: 'unspecified', CLASS: 'background', SERVICE: 'cron', LEADER: leaders.cron }));
    writeSession('8', common(4242, 'ghost', { ID: 8, TTY: 'pts/88', SERVICE: 'login', LEADER: leaders.ghost, STATE: 'online', ACTIVE: 0 }));
    writeUser(0, 'root', ['1', '3', '5', '6', 'c7']);
    writeUser(65534, 'nobody', ['2', '4']);
  });

  afterAll(() => {
    for (const p of started) if (p.pid && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
    try {
      execFileSync('umount', [RUN_SYSTEMD]);
    } catch {
      // gone with the namespace anyway
    }
  });

  test('nothing outside the namespace sees the sessions', () => {
    expect(fs.readdirSync(SESSIONS).length).toBe(16);
    const outside = fs.readdirSync(`/proc/${process.ppid}/root${SESSIONS}`);
    expect(outside).not.toContain('c7');
  });

  test('the fixture is well formed: sd-login lists every session and reads its fields', () => {
    const o = oracle();
    expect(o.sessions.map((s) => s.id).sort()).toEqual(['1', '2', '3', '4', '5', '6', '8', 'c7']);
    expect(o.sessions.find((s) => s.id === '3')).toMatchObject({ uid: 0, tty: 'pts/77', remoteHost: '10.0.0.5', remoteUser: 'bob', type: 'tty', class: 'user', active: true, remote: true });
  });

  test('logindSessions() gives what sd-login gives, field by field, in its order; sync and async agree', async () => {
    const mine = logindSessions();
    const o = oracle().sessions;
    expect(mine.map((s) => s.id)).toEqual(o.map((s) => s.id));
    for (const s of o) {
      const m = mine.find((x) => x.id === s.id)!;
      // sd-login's tty is the session's line.
      const picked = Object.fromEntries(Object.keys(s).map((k) => [k, (m as unknown as Record<string, unknown>)[k === 'tty' ? 'line' : k]]));
      expect(picked).toEqual(s);
    }
    expect(await logindSessionsAsync()).toEqual(mine);
  });

  test("fields this libsystemd has no getter for come from the session file's same keys, and say so", () => {
    const missing = native().logindInfo!().missing;
    const s3 = logindSessions().find((s) => s.id === '3')!;
    expect(s3.leader).toBe(leaders.remote);
    expect(s3.startTimeUsec).toBe(1700000000123456);
    expect(s3.startTime!.toISOString()).toBe('2023-11-14T22:13:20.123Z');
    expect(s3.user).toBe('root');
    expect(Boolean(s3.fallbacks.leader)).toBe(missing.includes('sd_session_get_leader'));
    expect(Boolean(s3.fallbacks.startTime)).toBe(missing.includes('sd_session_get_start_time'));
    // uid 4242 is in no /etc/passwd: the name logind recorded.
    expect(logindSessions().find((s) => s.id === '8')!.user).toBe('ghost');
  });

  test('the live source is logind: no utmp, sessions listed', () => {
    if (fs.existsSync('/run/utmp') || fs.existsSync('/var/run/utmp')) return; // this host keeps utmp: the rule says utmp
    expect(liveSource()).toBe('logind');
    expect(new UtmpFile().source).toBe('logind');
    expect(liveSource({ source: 'utmp' })).toBe('utmp');
  });

  test("users(): who's view of the sessions, stale leaders and non-users dropped; UtmpFile has them all", async () => {
    const opts = { source: 'logind' as const };
    const seen = users(opts).map((u) => [u.ut_user, u.line, u.ut_host, u.ut_pid, u.ut_id]);
    const expected = [
      ['root', 'seat0', '', leaders.tty, '1'],
      ['root', 'tty1', '', leaders.tty, '1'],
      ['nobody', `sshd ${sshPty.slice(5)}`, '192.0.2.7', leaders.ssh, '2'],
      ['root', 'pts/77', 'bob@10.0.0.5', leaders.remote, '3'],
      ['nobody', 'seat0', ':0', leaders.x11, '4'],
      ['nobody', 'tty2', ':0', leaders.x11, '4'],
      ['ghost', 'pts/88', '', leaders.ghost, '8'],
    ];
    // sd-login's order is the directory's: compare as sets, and keep who's seat-then-tty order within a session.
    const key = (r: unknown[]) => `${r[4]}|${r[1]}`;
    expect(seen.map(key).sort()).toEqual(expected.map(key).sort());
    expect(new Set(seen.map((r) => JSON.stringify(r)))).toEqual(new Set(expected.map((r) => JSON.stringify(r))));
    const order = seen.map((r) => `${r[4]}:${r[1]}`);
    expect(order.indexOf('1:seat0')).toBeLessThan(order.indexOf('1:tty1'));
    const plain = (list: object[]) => JSON.parse(JSON.stringify(list));
    expect(plain(await usersAsync(opts))).toEqual(plain(users(opts)));
    for (const u of users(opts)) expect(u).toMatchObject({ source: 'logind', ut_type: 'USER_PROCESS', ut_user_process: true });

    const all = new UtmpFile(undefined, opts).toArray();
    expect(all[0]).toMatchObject({ ut_type: 'BOOT_TIME', ut_user: 'reboot', line: '~', ut_time: kernelBootSeconds() });
    expect(all.filter((e) => e.ut_id === '6').map((e) => e.line)).toEqual(['pts/66']); // stale, still listed
    expect(all.filter((e) => e.ut_id === '5').length).toBe(0); // manager: no tty, no seat
    expect(all.find((e) => e.ut_id === '3')!.ut_line).toBe('/dev/pts/77');
  });

  test('bootTime() is the kernel\'s, runLevel() is null; no ENOENT', async () => {
    const opts = { source: 'logind' as const };
    expect(bootTime(opts)!.getTime()).toBe(kernelBootSeconds()! * 1000);
    expect(await bootTimeAsync(opts)).toEqual(bootTime(opts));
    expect(runLevel(opts)).toBeNull();
  });

  test('the CLI: who, users and boot answer from logind', () => {
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { env: ORACLE_ENV, encoding: 'utf8' });
      checkOutput(args, r.stdout, r.stderr);
      expect([args, r.status, r.stderr]).toEqual([args, 0, '']);
      return r.stdout;
    };
    const auto = fs.existsSync('/run/utmp') ? ['--source', 'logind'] : [];
    const who = run('who', ...auto).trimEnd().split('\n');
    expect(who).toHaveLength(7);
    expect(who).toContain('root     pts/77       2023-11-14 22:13 (bob@10.0.0.5)');
    expect(run('users', ...auto)).toBe(`${users({ source: 'logind' }).map((u) => u.ut_user).sort().join(' ')}\n`);
    expect(run('users', ...auto)).toBe('ghost nobody nobody nobody root root root\n');
    const json = JSON.parse(run('who', '--json', ...auto));
    expect(json.every((e: { source: string }) => e.source === 'logind')).toBe(true);
    expect(run('boot', ...auto)).toMatch(/^ {9}system boot {2}\d{4}-\d\d-\d\d \d\d:\d\d\n$/);
    expect(JSON.parse(run('boot', '--json', ...auto))).toEqual({ boot: new Date(kernelBootSeconds()! * 1000).toISOString(), runLevel: null, warnings: [], warningCount: 0 });
  });

  test('polled: a session logind adds (by rename) shows at the next call, a leader that ends leaves it', async () => {
    const ids = () => users({ source: 'logind' }).map((u) => u.ut_id);
    // Let the directory age past the racy window, so the next read is kept and reused.
    await new Promise((r) => setTimeout(r, 1100));
    const before = ids();
    expect(ids()).toEqual(before);
    const pid = leader();
    writeSession('10', common(0, 'root', { ID: 10, TTY: 'pts/10', LEADER: pid }));
    expect(ids()).toEqual(expect.arrayContaining([...before, '10']));
    const child = started.find((c) => c.pid === pid)!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(ids()).not.toContain('10');
    expect(ids()).toEqual(before);
    expect(new UtmpFile(undefined, { source: 'logind' }).toArray().some((e) => e.ut_id === '10')).toBe(true); // still a session
    fs.rmSync(path.join(SESSIONS, '10'));
    fs.rmSync(path.join(SESSIONS, '10.ref'));
  });

  test('a session that ends (its file removed) is gone at the next read', () => {
    writeSession('9', common(0, 'root', { ID: 9, TTY: 'pts/99', LEADER: leaders.tty }));
    const before = logindSessions().map((s) => s.id);
    fs.rmSync(path.join(SESSIONS, '9'));
    fs.rmSync(path.join(SESSIONS, '9.ref'));
    expect(before).toContain('9');
    expect(logindSessions().map((s) => s.id)).not.toContain('9');
  });

  test('watch({ sources: [\'logind\'] }): a session logind adds is one login, its removal one logout, also across a resume', async () => {
    const gone = (id: string) => { fs.rmSync(path.join(SESSIONS, id)); fs.rmSync(path.join(SESSIONS, `${id}.ref`)); };
    let stored = '';
    let login: WatchEvent;
    let w = watch({ sources: ['logind'] });
    let r = new EventReader(w);
    try {
      expect(await r.within(300)).toEqual([]); // the sessions there at the start are no events
      writeSession('21', common(0, 'root', { ID: 21, TTY: 'pts/21', REMOTE: 1, REMOTE_HOST: '198.51.100.4', SERVICE: 'sshd', LEADER: leaders.tty, REALTIME: 1700000000654321 }));
      [login] = await r.events(1);
      expect(login).toMatchObject({ type: 'login', sessionId: '21', user: 'root', line: 'pts/21', host: '198.51.100.4', address: '198.51.100.4', pid: leaders.tty, service: 'sshd', source: 'logind' });
      expect(login.time.getTime()).toBe(1700000000654);
      stored = JSON.stringify(login.position);
    } finally {
      await w.close();
    }
    // While nobody watches: 21 ends, 22 begins.
    gone('21');
    writeSession('22', common(0, 'root', { ID: 22, TTY: 'pts/22', SERVICE: 'login', LEADER: leaders.tty }));
    w = watch({ sources: ['logind'], position: stored });
    r = new EventReader(w);
    try {
      const [logout, login22] = await r.events(2);
      expect(logout).toMatchObject({ type: 'logout', sessionId: '21', user: 'root', line: 'pts/21', host: '198.51.100.4', source: 'logind' });
      // It names its session as it began, across the resume (issue 20).
      expect(logout.ended).toBe('logout');
      expect(logout.login).toEqual({ time: login.time, user: 'root', line: 'pts/21', host: '198.51.100.4', address: '198.51.100.4', pid: leaders.tty, sessionId: '21' });
      expect(login22).toMatchObject({ type: 'login', sessionId: '22', line: 'pts/22', source: 'logind' });
      const t = Date.now();
      gone('22');
      const [end] = await r.events(1);
      expect(end).toMatchObject({ type: 'logout', sessionId: '22', line: 'pts/22' });
      expect(Math.abs(end.time.getTime() - t)).toBeLessThan(5000); // noticed, not recorded: logind keeps no end time
      expect(await r.within(300)).toEqual([]);
      expect(r.warnings).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
