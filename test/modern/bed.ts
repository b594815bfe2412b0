/**
 * The Debian 13 test bed: runs commands inside the root that run.sh mounted
 * (UTMPX_MODERN_ROOT), starts the real writers there (sshd, libwtmpdb and
 * liblastlog2 through writers.py) and writes logind's session files. Every
 * process started here is stopped by its pid (and listed in a file that the
 * global teardown reads, should a test die first).
 */
import { type ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export const ROOT = process.env.UTMPX_MODERN_ROOT ?? '';
/** Where the start of each process is noted, for teardown.js. */
export const PID_LIST = ROOT ? path.join(path.dirname(ROOT), 'pids') : '';
export const WTMPDB = '/var/lib/wtmpdb/wtmp.db';
export const LASTLOG2 = '/var/lib/lastlog/lastlog2.db';
export const CLI = '/opt/utmpx/dist/cli/main.js';
/** Debian 13's own nodejs (20.19: no node:sqlite) and an official Node 24 copied in. */
export const NODES = [
  { name: 'Debian nodejs 20', bin: '/usr/bin/node' },
  { name: 'official Node 24', bin: '/opt/node24/bin/node' },
];
/** The ordinary user the readers also run as, and the one who logs in. */
export const READER = 'reader';

/** Why the suite cannot run here, or null. */
export function cannotRun(): string | null {
  if (!ROOT) return 'UTMPX_MODERN_ROOT is not set: run `npm run test:modern` (root), which builds and mounts the Debian 13 root';
  if (!fs.existsSync(path.join(ROOT, 'usr/bin/wtmpdb'))) return `${ROOT} is not the mounted test root`;
  return null;
}

export interface RunOptions {
  /** Run as this user of the root instead of root. */
  user?: string;
  input?: string;
  env?: Record<string, string>;
}

export interface Result {
  stdout: string;
  stderr: string;
  status: number | null;
}

// A clean environment: the same for the oracle and for utmpx (who prints local time).
function environment(extra: Record<string, string> = {}): string[] {
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TZ: 'UTC', LC_ALL: 'C.UTF-8', HOME: '/root', ...extra };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

function chrootArgs(argv: string[], options: RunOptions): string[] {
  const who = options.user ? [`--userspec=${options.user}:${options.user}`] : [];
  return [...who, ROOT, '/usr/bin/env', '-i', ...environment(options.env), ...argv];
}

/** Runs argv inside the root and waits for it. */
export function run(argv: string[], options: RunOptions = {}): Result {
  const r = spawnSync('chroot', chrootArgs(argv, options), { input: options.input ?? '', encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs argv inside the root; its stdout, or an error with its stderr when it fails. */
export function out(argv: string[], options: RunOptions = {}): string {
  const r = run(argv, options);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `utmpx ARGS` with the given node inside the root. */
export function utmpx(node: string, args: string[], options: RunOptions = {}): Result {
  return run([node, CLI, ...args], options);
}

/** Runs a JS snippet with the given node inside the root, with `utmpx` required; returns its JSON output. */
export function facts<T>(node: string, body: string, options: RunOptions = {}): T {
  const script = `const utmpx = require('/opt/utmpx'); const result = (() => { ${body} })();\n` +
    'process.stdout.write(JSON.stringify(result));';
  return JSON.parse(out([node, '-e', script], options)) as T;
}

/** Writes rows with libwtmpdb (wtmpdb_login / wtmpdb_logout); returns the row ids by name. */
export function writeWtmpdb(db: string, ops: object[]): Record<string, number> {
  return JSON.parse(out(['python3', '/opt/utmpx-test/writers.py', 'wtmpdb', db], { input: JSON.stringify(ops) }));
}

/** Writes rows with liblastlog2 (ll2_write_entry). */
export function writeLastlog2(db: string, rows: object[]): void {
  out(['python3', '/opt/utmpx-test/writers.py', 'lastlog2', db], { input: JSON.stringify(rows) });
}

/** One session as sd-login (libsystemd) reports it. */
export interface SdSession {
  id: string; uid: number; user: string | null; tty: string | null; remoteHost: string | null;
  remoteUser: string | null; service: string | null; type: string | null; class: string | null;
  state: string | null; seat: string | null; leader: number | null; startUsec: number | null;
  active: boolean; remote: boolean;
}

export function sdSessions(options: RunOptions = {}): SdSession[] {
  return JSON.parse(out(['python3', '/opt/utmpx-test/writers.py', 'sessions'], options));
}

/**
 * `sqlite3 -json DB SQL` inside the root (an empty result prints nothing). It
 * waits out a writer's lock (sshd writing while we poll gives SQLITE_BUSY).
 */
export function sqliteJson<T>(db: string, sql: string): T[] {
  const text = out(['sqlite3', '-readonly', '-json', '-cmd', '.timeout 5000', db, sql]);
  return text.trim() ? JSON.parse(text) : [];
}

/** Empties the databases and logind's session directory, as on a freshly installed system. */
export function resetState(): void {
  out(['sh', '-c', 'rm -f /var/log/wtmp.db /var/lib/lastlog/lastlog2.db /run/systemd/sessions/*; mkdir -p /run/systemd/system /run/systemd/sessions']);
}

function notePid(pid: number | undefined): void {
  if (pid) fs.appendFileSync(PID_LIST, `${pid}\n`);
}

/** Stops a process we started, by its pid, and waits until it is gone. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/** Starts argv inside the root in the background (chroot execs it: the child's pid is its pid). */
export function start(argv: string[], options: RunOptions = {}): ChildProcess {
  const child = spawn('chroot', chrootArgs(argv, options), { stdio: ['pipe', 'pipe', 'pipe'] });
  notePid(child.pid);
  return child;
}

export async function waitFor<T>(probe: () => T | null | undefined | false, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Adds the ordinary user (once per root) with a key it can log in with through sshd. */
export function ensureUser(): void {
  out(['sh', '-euc', `
    id ${READER} >/dev/null 2>&1 && exit 0
    useradd -m -s /bin/sh ${READER}
    usermod -p '*' ${READER}
    mkdir -p /etc/utmpx-test
    ssh-keygen -q -t ed25519 -N '' -f /etc/utmpx-test/user_key
    install -d -m 700 -o ${READER} -g ${READER} /home/${READER}/.ssh
    install -m 600 -o ${READER} -g ${READER} /etc/utmpx-test/user_key.pub /home/${READER}/.ssh/authorized_keys
  `]);
}

export interface Sshd {
  port: number;
  stop(): Promise<void>;
}

/** The root's sshd with Debian's PAM stack (pam_wtmpdb, pam_lastlog2) on loopback. */
export async function startSshd(): Promise<Sshd> {
  const port = await freePort();
  out(['sh', '-euc', 'mkdir -p /etc/utmpx-test /run/sshd; [ -f /etc/utmpx-test/host_key ] || ssh-keygen -q -t ed25519 -N "" -f /etc/utmpx-test/host_key']);
  fs.writeFileSync(path.join(ROOT, 'etc/utmpx-test/sshd_config'), [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    'HostKey /etc/utmpx-test/host_key',
    'PidFile /run/utmpx-test-sshd.pid',
    'UsePAM yes', // Debian's stack: pam_wtmpdb (skipped for sshd, which writes wtmpdb itself), pam_lastlog2
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UseDNS no',
    'PrintMotd no',
    '',
  ].join('\n'));
  const child = start(['/usr/sbin/sshd', '-f', '/etc/utmpx-test/sshd_config', '-D', '-e']);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  for (const until = Date.now() + 10_000; !(await canConnect(port));) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log}`);
    if (Date.now() > until) throw new Error(`sshd did not listen on ${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop: () => stop(child) };
}

export interface Login {
  /** The pid of sshd's privileged session process (what logind records as the leader). */
  leader: number;
  /** The terminal sshd recorded (`pts/0`). */
  tty: string;
  logout(): Promise<void>;
}

/**
 * A key login with a pty (`ssh -tt`) whose remote command waits on `read`;
 * resolved once wtmp.db holds its open row. `logout()` ends the remote command
 * and waits until sshd has recorded the logout.
 */
export async function sshLogin(sshd: Sshd, user = READER): Promise<Login> {
  const before = exists(WTMPDB) ? sqliteJson<{ ID: number }>(WTMPDB, 'SELECT ID FROM wtmp').length : 0;
  const client = start(['ssh', '-tt', '-i', '/etc/utmpx-test/user_key', '-p', String(sshd.port), '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${user}@127.0.0.1`, 'read line']);
  let log = '';
  client.stdout!.on('data', (d) => (log += d));
  client.stderr!.on('data', (d) => (log += d));
  type Row = { ID: number; TTY: string };
  const opened = (): Row | { error: string } | undefined => {
    if (client.exitCode !== null) return { error: log };
    if (!exists(WTMPDB)) return undefined;
    return sqliteJson<Row>(WTMPDB, `SELECT ID, TTY FROM wtmp WHERE User='${user}' AND Logout IS NULL`).find((r) => r.ID > before);
  };
  const found = await waitFor(opened, 15_000, `the ssh login of ${user} in wtmp.db`);
  if ('error' in found) throw new Error(`ssh exited early: ${found.error}`);
  const row = found;
  // sshd's privileged process for this login: the one logind would record as the leader (ours: rooted in ROOT).
  const leader = out(['sh', '-c', `ps -eo pid=,args= | awk '/sshd(-session)?: ${user} \\[priv\\]/ && !/awk/ {print $1}'`])
    .trim().split('\n').map(Number).find((pid) => rootOf(pid) === ROOT);
  if (!leader) throw new Error(`no sshd session process for ${user} in the root`);
  return {
    leader,
    tty: row.TTY,
    logout: async () => {
      client.stdin!.write('\n');
      await waitFor(() => client.exitCode !== null || client.signalCode !== null, 15_000, 'ssh to exit');
      await waitFor(() => sqliteJson(WTMPDB, `SELECT ID FROM wtmp WHERE ID=${row.ID} AND Logout IS NOT NULL`).length > 0,
        15_000, 'sshd to record the logout');
    },
  };
}

function rootOf(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/root`);
  } catch {
    return null;
  }
}

/** Whether a path exists inside the root (following the root's own symlinks). */
export function exists(file: string): boolean {
  return run(['test', '-e', file]).status === 0;
}

export interface LogindSession {
  id: string;
  uid: number;
  user: string;
  leader: number;
  realtimeUsec: number;
  tty?: string;
  remoteHost?: string;
  remoteUser?: string;
  display?: string;
  service?: string;
  type?: string;
  class?: string;
  state?: string;
  seat?: string;
}

/**
 * Writes /run/systemd/sessions/ID as systemd 257's logind writes it
 * (logind-session.c session_save(): the header, then UID, ACTIVE, IS_DISPLAY,
 * STATE, REMOTE, then USER, TYPE, CLASS, SCOPE, FIFO, SEAT, TTY, DISPLAY,
 * REMOTE_HOST, REMOTE_USER, SERVICE, LEADER, REALTIME, MONOTONIC), with the
 * `ID.ref` FIFO beside it, written aside and renamed into place.
 */
export function writeLogindSession(s: LogindSession): void {
  const lines = [
    '# This is private data. Do not parse.',
    `UID=${s.uid}`,
    'ACTIVE=1',
    'IS_DISPLAY=0',
    `STATE=${s.state ?? 'active'}`,
    `REMOTE=${s.remoteHost ? 1 : 0}`,
    'LEADER_FD_SAVED=0',
    `USER=${s.user}`,
    `TYPE=${s.type ?? 'tty'}`,
    `ORIGINAL_TYPE=${s.type ?? 'tty'}`,
    `CLASS=${s.class ?? 'user'}`,
    `SCOPE=session-${s.id}.scope`,
    `FIFO=/run/systemd/sessions/${s.id}.ref`,
    s.seat && `SEAT=${s.seat}`,
    s.tty && `TTY=${s.tty}`,
    s.display && `DISPLAY=${s.display}`,
    s.remoteHost && `REMOTE_HOST=${s.remoteHost}`,
    s.remoteUser && `REMOTE_USER=${s.remoteUser}`,
    s.service && `SERVICE=${s.service}`,
    `LEADER=${s.leader}`,
    `REALTIME=${s.realtimeUsec}`,
    'MONOTONIC=1000000',
  ].filter(Boolean);
  const dir = path.join(ROOT, 'run/systemd/sessions');
  fs.mkdirSync(path.join(ROOT, 'run/systemd/system'), { recursive: true }); // sd_booted(): coreutils asks logind only then
  fs.mkdirSync(dir, { recursive: true });
  out(['sh', '-c', `[ -p /run/systemd/sessions/${s.id}.ref ] || mkfifo -m 600 /run/systemd/sessions/${s.id}.ref`]);
  fs.writeFileSync(path.join(dir, `.#${s.id}`), lines.join('\n') + '\n', { mode: 0o644 });
  fs.renameSync(path.join(dir, `.#${s.id}`), path.join(dir, s.id));
}

/** Removes a session's files, as logind does when the session ends. */
export function removeLogindSession(id: string): void {
  const dir = path.join(ROOT, 'run/systemd/sessions');
  fs.rmSync(path.join(dir, id), { force: true });
  fs.rmSync(path.join(dir, `${id}.ref`), { force: true });
}

/** A process that lives in the root until stopped: the leader of a hand-written session. */
export function startLeader(): ChildProcess {
  return start(['sleep', '600']);
}

/** The uid of a user of the root. */
export function uidOf(user: string): number {
  return Number(out(['id', '-u', user]).trim());
}

/** Adds accounts (no home, no login) for names the histories use, where missing. */
export function ensureAccounts(names: string[]): void {
  for (const name of names) out(['sh', '-c', `id ${name} >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin ${name}`]);
}
