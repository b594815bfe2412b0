/**
 * Real logins, end to end (`npm run test:e2e`, as root). A private sshd on
 * loopback and a tmux session (libutempter) write the system's utmp, wtmp,
 * lastlog and btmp as they do on any Debian machine; the library must show
 * each login while it is open, its end after logout, the last login and the
 * failed attempt, in agreement with who, last, lastb and lastlog. The suite
 * makes its own user and files, stops the sshd it started by its PID, and
 * puts the databases back byte for byte. It never skips: a machine that
 * cannot run it fails it.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  UtmpFile, failedLogins, lastLogin, sessions, sessionsAsync, users, usersAsync, type UtmpEntry,
  type Watch, type WatchEvent, watch,
} from '../../lib';
import { EventReader } from '../helpers/watch';
import {
  type Sshd, type TestUser, backUpDatabases, cannotRun, createUser, describeProcesses, procStat, processesOnPts, ptsNumber, startSshd, waitFor,
} from './system';

const USER = 'utmpxe2e';
const TMUX_SOCKET = 'utmpx-e2e';
const SECONDS_OF_SLACK = 5;

let work: string;
let restore: (() => void) | undefined;
let user: TestUser | undefined;
let sshd: Sshd | undefined;
let madeSshdDir = false;

beforeAll(async () => {
  const reason = cannotRun();
  if (reason) throw new Error(`cannot run the end-to-end tests: ${reason}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'utmpx-e2e-'));
  restore = backUpDatabases();
  madeSshdDir = !fs.existsSync('/run/sshd');
  user = createUser(USER, work);
  sshd = await startSshd(work);
}, 60_000);

afterAll(async () => {
  // Every step runs even if one before it fails; the first failure is reported.
  const errors: unknown[] = [];
  const step = async (fn: () => unknown) => {
    try { await fn(); } catch (err) { errors.push(err); }
  };
  await step(() => spawnSync('runuser', ['-u', USER, '--', 'tmux', '-L', TMUX_SOCKET, 'kill-server'], { stdio: 'ignore' }));
  await step(() => sshd?.stop());
  await step(() => user?.remove());
  await step(() => restore?.());
  await step(() => madeSshdDir && fs.rmSync('/run/sshd', { recursive: true, force: true }));
  await step(() => work && fs.rmSync(work, { recursive: true, force: true }));
  if (errors.length) throw errors[0];
}, 60_000);

const now = () => Date.now() / 1000;

function sshArgs(login: string): string[] {
  return ['-i', user!.key, '-p', String(sshd!.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', `${login}@127.0.0.1`];
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
}

/** Whether `ancestor` is `pid` or one of its ancestors. */
function descendsFrom(pid: number, ancestor: number): boolean {
  try {
    for (let p = pid; p > 1; p = procStat(p).ppid) if (p === ancestor) return true;
  } catch {
    // a process in the chain exited meanwhile
  }
  return false;
}

/** Whether `pid` is a child of `parent` running `cmdline` (false once it has exited). */
function isChildRunning(pid: number, parent: number, cmdline: string): boolean {
  try {
    const p = procStat(pid);
    return p.ppid === parent && p.cmdline === cmdline;
  } catch {
    return false;
  }
}

const utmpNow = () => new UtmpFile().toArray();

describe('an ssh login through a private sshd', () => {
  let login: UtmpEntry;
  let pts: number;
  let ssh: ChildProcess;
  let startedAt: number;

  test('while it is open, UtmpFile() and users() show it: user, /dev/pts/N, host, the session pid, the time', async () => {
    startedAt = now();
    // A pty (-tt), or sshd records nothing; the remote side waits for a line.
    ssh = spawn('ssh', ['-tt', ...sshArgs(USER), 'read line'], { stdio: ['pipe', 'ignore', 'pipe'] });
    login = await waitFor(() => utmpNow().find((e) => e.ut_user === USER && e.ut_user_process && e.ut_host === '127.0.0.1'),
      15_000, 'the ssh login in utmp');
    pts = ptsNumber(login.ut_line);
    expect(login.line).toBe(`pts/${pts}`);
    expect(login.address).toBe('127.0.0.1');
    expect(login.ut_time).toBeGreaterThanOrEqual(startedAt - SECONDS_OF_SLACK);
    expect(login.ut_time).toBeLessThanOrEqual(now() + 1);
    // ut_pid is sshd's session process ("sshd: USER [priv]"), a child of the sshd we started,
    // and the remote command runs under it on that very pts.
    const session = procStat(login.ut_pid!);
    expect(session.ppid).toBe(sshd!.pid);
    expect(session.cmdline).toBe(`sshd: ${USER} [priv]`);
    await waitFor(() => processesOnPts(pts).some((pid) => descendsFrom(pid, login.ut_pid!)), 3_000, 'a process on that pts under the session');

    // The other ways in agree: users() (sync and async), the decoder over the same file, who.
    expect(users().filter((u) => u.ut_user === USER)).toEqual([login]);
    expect((await usersAsync()).filter((u) => u.ut_user === USER)).toEqual([login]);
    expect(new UtmpFile('/run/utmp', { source: 'decoder' }).toArray()).toContainEqual(login);
    const who = execFileSync('who', { env: { ...process.env, LC_ALL: 'C' } }).toString();
    expect(who).toMatch(new RegExp(`^${USER}\\s+pts/${pts}\\s.*\\(127\\.0\\.0\\.1\\)$`, 'm'));
  }, 30_000);

  test('after logout: DEAD_PROCESS in utmp, a closed session in wtmp, the login in lastlog', async () => {
    expect(login).toBeDefined();
    ssh.stdin!.end('\n');
    expect(await exitOf(ssh)).toBe(0);
    // sshd writes the DEAD records a few ms after the client is gone.
    const dead = await waitFor(() => utmpNow().find((e) => e.line === login.line && e.ut_type === 'DEAD_PROCESS' && e.ut_pid === login.ut_pid),
      10_000, 'the DEAD_PROCESS record in utmp');
    expect(dead.ut_time).toBeGreaterThanOrEqual(login.ut_time);
    expect(users().filter((u) => u.ut_user === USER)).toEqual([]);

    const closed = [...sessions()].filter((s) => s.user === USER && s.line === `pts/${pts}`);
    expect(closed).toHaveLength(1);
    const [s] = closed;
    expect(s).toMatchObject({ kind: 'login', host: '127.0.0.1', address: '127.0.0.1', pid: login.ut_pid, end: 'logout' });
    expect(s.login.getTime()).toBe(login.date.getTime());
    expect(s.logout!.getTime()).toBeGreaterThanOrEqual(s.login.getTime());
    expect(s.logout!.getTime() / 1000).toBeLessThanOrEqual(now() + 1);
    const asyncClosed = [];
    for await (const x of sessionsAsync()) if (x.user === USER) asyncClosed.push(x);
    expect(asyncClosed).toEqual(closed);
    // util-linux last sees the same session, logged out. (last prints "still running" for a
    // logout in the current second, so ask it in the next one.)
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 50));
    const last = execFileSync('last', ['-w', '-F', '-f', '/var/log/wtmp', USER], { env: { ...process.env, LC_ALL: 'C' } }).toString();
    expect(last).toMatch(new RegExp(`^${USER}\\s+pts/${pts}\\s+127\\.0\\.0\\.1\\s.* - `, 'm'));
    expect(last).not.toMatch(/still (logged in|running)/);

    for (const key of [USER, user!.uid]) {
      const ll = lastLogin(key);
      expect(ll).toMatchObject({ uid: user!.uid, user: USER, line: `pts/${pts}`, ut_line: `/dev/pts/${pts}`, host: '127.0.0.1' });
      expect(Math.abs(ll!.time - Math.floor(login.ut_time))).toBeLessThanOrEqual(1);
    }
    const lastlog = execFileSync('lastlog', ['-u', USER], { env: { ...process.env, LC_ALL: 'C' } }).toString();
    expect(lastlog).toMatch(new RegExp(`^${USER}\\s+pts/${pts}\\s+127\\.0\\.0\\.1\\s`, 'm'));
  }, 30_000);
});

test('a login attempt as an unknown user appears in btmp through failedLogins()', async () => {
  const stranger = `nx${process.pid.toString(36)}${Date.now().toString(36)}`;
  const before = now();
  const attempt = spawnSync('ssh', [...sshArgs(stranger), 'true'], { stdio: 'ignore', timeout: 20_000 });
  expect(attempt.status).not.toBe(0);
  const failed = await waitFor(() => [...failedLogins()].find((f) => f.ut_user === stranger), 10_000, 'the failed login in btmp');
  expect(failed).toMatchObject({ ut_line: 'ssh:notty', ut_host: '127.0.0.1', address: '127.0.0.1' });
  expect(failed.ut_time).toBeGreaterThanOrEqual(Math.floor(before) - SECONDS_OF_SLACK);
  expect(failed.ut_time).toBeLessThanOrEqual(now() + 1);
  const lastb = execFileSync('lastb', ['-w', '-f', '/var/log/btmp'], { env: { ...process.env, LC_ALL: 'C' } }).toString();
  expect(lastb).toMatch(new RegExp(`^${stranger}\\s+ssh:notty\\s+127\\.0\\.0\\.1\\s`, 'm'));
}, 40_000);

test('a tmux session (libutempter): USER_PROCESS while it runs, then DEAD_PROCESS and a closed session', async () => {
  const tmux = (...args: string[]) => execFileSync('runuser', ['-u', USER, '--', 'tmux', '-L', TMUX_SOCKET, ...args]).toString();
  const startedAt = now();
  // The command as separate words: tmux then execs it itself. As one string it would run
  // `$SHELL -c 'sleep 4'`, and with SHELL unset (as in CI) dash forks instead of exec'ing.
  tmux('new-session', '-d', 'sleep', '4');
  const server = Number(tmux('display-message', '-p', '#{pid}').trim());
  const entry = await waitFor(() => utmpNow().find((e) => e.ut_user === USER && e.ut_user_process && e.ut_host === `tmux(${server}).%0`),
    10_000, 'the tmux session in utmp');
  const pts = ptsNumber(entry.ut_line);
  expect(entry.ut_pid).toBe(server);
  expect(entry.ut_time).toBeGreaterThanOrEqual(startedAt - SECONDS_OF_SLACK);
  expect(entry.ut_time).toBeLessThanOrEqual(now() + 1);
  // The pane's child may not have exec'd its command yet when utmp already has the entry
  // (tmux forks, records, then the child execs), so wait for `sleep 4` to appear under the server.
  await waitFor(() => processesOnPts(pts).some((pid) => isChildRunning(pid, server, 'sleep 4')), 3_000,
    () => `sleep 4 running under the tmux server ${server} on pts/${pts}; there: ${describeProcesses(processesOnPts(pts))}`);
  expect(users()).toContainEqual(entry);
  expect(execFileSync('who').toString()).toMatch(new RegExp(`^${USER}\\s+pts/${pts}\\s`, 'm'));

  // sleep ends, the pane closes, libutempter writes the DEAD_PROCESS (keeping ut_user).
  const dead = await waitFor(() => utmpNow().find((e) => e.line === entry.line && e.ut_type === 'DEAD_PROCESS' && e.ut_pid === server),
    15_000, 'the tmux DEAD_PROCESS in utmp');
  expect(dead.ut_user).toBe(USER);
  expect(dead.ut_time - entry.ut_time).toBeGreaterThanOrEqual(3);
  const closed = [...sessions()].filter((s) => s.user === USER && s.line === `pts/${pts}` && s.pid === server);
  expect(closed).toHaveLength(1);
  expect(closed[0]).toMatchObject({ kind: 'login', host: `tmux(${server}).%0`, end: 'logout' });
  expect(closed[0].logout!.getTime()).toBe(dead.date.getTime());
}, 40_000);

describe('watch() on the system databases while sshd and tmux write them', () => {
  /** Events of one watch on utmp, wtmp and btmp, kept for the whole test. */
  let w: Watch;
  let reader: EventReader;
  beforeAll(() => {
    w = watch({ sources: ['utmp', 'wtmp', 'btmp'] });
    reader = new EventReader(w);
  });
  afterAll(() => w?.close());

  /** Events until `done` holds for those kept so far (`keep` picks this test's), then 500 ms more to catch doubles. */
  async function collect(keep: (e: WatchEvent) => boolean, done: (kept: WatchEvent[]) => boolean, ms: number): Promise<WatchEvent[]> {
    const kept: WatchEvent[] = [];
    const deadline = Date.now() + ms;
    while (!done(kept)) {
      if (Date.now() > deadline) throw new Error(`timed out; kept ${JSON.stringify(kept.map((e) => [e.source, e.type, e.user, e.line]))}`);
      for (const item of await reader.within(200)) if (item.type !== 'warning' && item.type !== 'gap' && keep(item)) kept.push(item);
    }
    for (const item of await reader.within(500)) if (item.type !== 'warning' && item.type !== 'gap' && keep(item)) kept.push(item);
    return kept;
  }
  const count = (events: WatchEvent[], source: string, type: string) => events.filter((e) => e.source === source && e.type === type).length;

  test('an ssh login and logout: one login and one logout from utmp and from wtmp, with the fields who and utmp show', async () => {
    const ssh = spawn('ssh', ['-tt', ...sshArgs(USER), 'read line'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const entry = await waitFor(() => utmpNow().find((e) => e.ut_user === USER && e.ut_user_process && e.ut_host === '127.0.0.1'),
      15_000, 'the ssh login in utmp');
    const mine = (e: WatchEvent) => e.line === entry.line && e.pid === entry.ut_pid;
    const logins = await collect(mine, (k) => count(k, 'utmp', 'login') >= 1 && count(k, 'wtmp', 'login') >= 1, 10_000);
    ssh.stdin!.end('\n');
    expect(await exitOf(ssh)).toBe(0);
    const logouts = await collect(mine, (k) => count(k, 'utmp', 'logout') >= 1 && count(k, 'wtmp', 'logout') >= 1, 10_000);
    const all = [...logins, ...logouts];
    expect(all.map((e) => `${e.source} ${e.type}`).sort()).toEqual(['utmp login', 'utmp logout', 'wtmp login', 'wtmp logout']);
    for (const e of all.filter((x) => x.type === 'login')) {
      expect(e).toMatchObject({ user: USER, line: entry.line, host: '127.0.0.1', address: '127.0.0.1', pid: entry.ut_pid });
      expect(e.time.getTime()).toBe(entry.date.getTime());
    }
    // sshd's wtmp DEAD record names no user: both logouts name the login they end (issue 20).
    for (const e of all.filter((x) => x.type === 'logout')) {
      expect(e).toMatchObject({ user: USER, ended: 'logout' });
      expect(e.login).toMatchObject({ user: USER, line: entry.line, host: '127.0.0.1', address: '127.0.0.1', pid: entry.ut_pid });
      expect(e.login!.time.getTime()).toBe(entry.date.getTime());
    }
    for (const e of all.filter((x) => x.type === 'logout')) expect(e.time.getTime()).toBeGreaterThanOrEqual(entry.date.getTime());
  }, 40_000);

  test('a failed login: one failed event from btmp', async () => {
    const stranger = `nw${process.pid.toString(36)}${Date.now().toString(36)}`;
    spawnSync('ssh', [...sshArgs(stranger), 'true'], { stdio: 'ignore', timeout: 20_000 });
    const events = await collect((e) => e.user === stranger, (k) => k.length >= 1, 10_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'failed', source: 'btmp', line: 'ssh:notty', host: '127.0.0.1', address: '127.0.0.1' });
    const [inBtmp] = [...failedLogins()].filter((f) => f.ut_user === stranger);
    expect(events[0].time.getTime()).toBe(inBtmp.date.getTime());
  }, 40_000);

  test('a tmux session (libutempter): one login and one logout from utmp and from wtmp', async () => {
    const tmux = (...args: string[]) => execFileSync('runuser', ['-u', USER, '--', 'tmux', '-L', TMUX_SOCKET, ...args]).toString();
    tmux('new-session', '-d', 'sleep', '2');
    const server = Number(tmux('display-message', '-p', '#{pid}').trim());
    const mine = (e: WatchEvent) => e.pid === server;
    const events = await collect(mine, (k) => count(k, 'utmp', 'logout') >= 1 && count(k, 'wtmp', 'logout') >= 1, 20_000);
    expect(events.map((e) => `${e.source} ${e.type}`).sort()).toEqual(['utmp login', 'utmp logout', 'wtmp login', 'wtmp logout']);
    for (const e of events) expect(e).toMatchObject({ user: USER, host: e.type === 'login' ? `tmux(${server}).%0` : expect.any(String) });
  }, 40_000);
});

test('utmpx watch --ndjson prints an ssh login and its logout as they happen', async () => {
  const cli = spawn(process.execPath, [path.resolve(__dirname, '../../dist/cli/main.js'), 'watch', '--ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  cli.stdout!.on('data', (d) => { out += d; });
  cli.stderr!.on('data', (d) => { err += d; });
  const mine = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.source === 'wtmp' && e.line.startsWith('pts/'));
  try {
    await new Promise((r) => setTimeout(r, 500)); // watching from now
    const ssh = spawn('ssh', ['-tt', ...sshArgs(USER), 'read line'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const [login] = await waitFor(() => { const m = mine(); return m.length >= 1 && m; }, 15_000, () => `the login line; stdout ${out} stderr ${err}`);
    expect(login).toMatchObject({ type: 'login', user: USER, host: '127.0.0.1', address: '127.0.0.1' });
    ssh.stdin!.end('\n');
    expect(await exitOf(ssh)).toBe(0);
    const events = await waitFor(() => { const m = mine(); return m.length >= 2 && m; }, 10_000, () => `the logout line; stdout ${out}`);
    expect(events[1]).toMatchObject({ type: 'logout', line: login.line, pid: login.pid, user: USER, ended: 'logout' });
    expect(events[1].login).toEqual({ time: login.time, user: USER, line: login.line, host: '127.0.0.1', address: '127.0.0.1', pid: login.pid });
  } finally {
    cli.kill('SIGTERM');
    expect(await exitOf(cli)).toBe(0);
  }
}, 40_000);
