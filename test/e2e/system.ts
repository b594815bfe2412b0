/**
 * The machinery of the end-to-end tests: a throw-away user, a private sshd on
 * loopback, and a byte-for-byte backup of the system's databases (sshd and
 * libutempter write the system paths; nothing can point them elsewhere).
 * Everything here needs root.
 */
import { type ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** The databases sshd and libutempter write, with the mode and group each is created with. */
export const DATABASES = [
  { path: '/run/utmp', mode: 0o664 },
  { path: '/var/log/wtmp', mode: 0o664 },
  { path: '/var/log/btmp', mode: 0o660 },
  { path: '/var/log/lastlog', mode: 0o664 },
];

/** Why this machine cannot run the suite, or null when it can. */
export function cannotRun(): string | null {
  if (process.platform !== 'linux') return 'the end-to-end tests need Linux';
  if (process.getuid?.() !== 0) return 'the end-to-end tests need root (they add a user and run sshd)';
  const missing = ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'tmux', 'useradd', 'userdel', 'usermod', 'runuser', 'utmpdump', 'who', 'lastlog']
    .filter((tool) => !onPath(tool));
  if (missing.length) return `missing tools: ${missing.join(', ')} (apt-get install openssh-server openssh-client tmux passwd util-linux login)`;
  return null;
}

function onPath(tool: string): boolean {
  if (tool.startsWith('/')) return fs.existsSync(tool);
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies each database aside (sparse files stay sparse) and creates the
 * missing ones as Debian does (root:utmp), since sshd only appends to files
 * that exist. Returns the function that puts everything back as it was, and
 * checks that it is: the same bytes (by digest), or no file where there was none.
 */
export function backUpDatabases(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'utmpx-e2e-backup-'));
  const created: string[] = [];
  const digests = new Map<string, string>();
  DATABASES.forEach((db, i) => {
    if (fs.existsSync(db.path)) {
      digests.set(db.path, digest(db.path));
      execFileSync('cp', ['-a', '--sparse=always', db.path, path.join(dir, String(i))]);
    } else {
      execFileSync('install', ['-m', db.mode.toString(8), '-o', 'root', '-g', 'utmp', '/dev/null', db.path]);
      created.push(db.path);
    }
  });
  return () => {
    DATABASES.forEach((db, i) => {
      if (created.includes(db.path)) fs.rmSync(db.path, { force: true });
      else execFileSync('cp', ['-a', '--sparse=always', path.join(dir, String(i)), db.path]);
    });
    fs.rmSync(dir, { recursive: true, force: true });
    for (const db of DATABASES) {
      const now = fs.existsSync(db.path) ? digest(db.path) : undefined;
      if (now !== digests.get(db.path)) throw new Error(`${db.path} was not restored as it was before the tests`);
    }
  };
}

// sha256 of a file, streamed in blocks (lastlog can be large and sparse).
function digest(file: string): string {
  return execFileSync('sha256sum', [file]).toString().split(' ')[0];
}

/** A user that can log in with `key` only (password field `*`), removed by `remove()`. */
export interface TestUser {
  uid: number;
  key: string;
  remove(): void;
}

export function createUser(name: string, workDir: string): TestUser {
  try {
    execFileSync('userdel', ['-r', name], { stdio: 'ignore' }); // left over from an interrupted run
  } catch { /* none */ }
  execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
  execFileSync('usermod', ['-p', '*', name]);
  const key = path.join(workDir, 'user_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const home = execFileSync('sh', ['-c', `getent passwd ${name} | cut -d: -f6`]).toString().trim();
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700, recursive: true });
  fs.copyFileSync(`${key}.pub`, path.join(home, '.ssh/authorized_keys'));
  execFileSync('chown', ['-R', `${name}:`, path.join(home, '.ssh')]);
  const uid = Number(execFileSync('id', ['-u', name]).toString());
  return {
    uid,
    key,
    remove: () => execFileSync('userdel', ['-r', name], { stdio: 'ignore' }),
  };
}

/** The sshd this suite started: stopped by its own PID, never by name. */
export interface Sshd {
  port: number;
  pid: number;
  stop(): Promise<void>;
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

export async function startSshd(workDir: string): Promise<Sshd> {
  const hostKey = path.join(workDir, 'host_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const port = await freePort();
  const config = path.join(workDir, 'sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${path.join(workDir, 'sshd.pid')}`,
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    '',
  ].join('\n'));
  // Debian's sshd wants its privilege-separation directory.
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-f', config, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await waitFor(async () => (child.exitCode !== null ? 'exited' : (await canConnect(port)) || null), 10_000, 'sshd to listen');
  if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log}`);
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `probe` until it returns a value (not null/undefined/false) or `ms` pass. */
export async function waitFor<T>(probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms: number, what: string | (() => string)): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The parent pid and controlling terminal device number of a process, from /proc. */
export function procStat(pid: number): { ppid: number; ttyNr: number; cmdline: string } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  return { ppid: Number(fields[1]), ttyNr: Number(fields[4]), cmdline };
}

/** `pid (ppid) cmdline` of each process, for a failure message. */
export function describeProcesses(pids: number[]): string {
  return pids.map((pid) => {
    try {
      const p = procStat(pid);
      return `${pid} (parent ${p.ppid}) ${p.cmdline}`;
    } catch {
      return `${pid} (gone)`;
    }
  }).join('; ') || 'none';
}

/** The number of the pts a device path names (`/dev/pts/3` → 3). */
export function ptsNumber(line: string): number {
  const m = /^\/dev\/pts\/(\d+)$/.exec(line);
  if (!m) throw new Error(`not a pts: ${line}`);
  return Number(m[1]);
}

/** The processes whose controlling terminal is /dev/pts/N (from /proc). */
export function processesOnPts(n: number): number[] {
  // tty_nr encodes major 136 (pts) and the minor number.
  const want = (136 << 8) | (n & 0xff) | ((n >> 8) << 20);
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return procStat(pid).ttyNr === want;
    } catch {
      return false; // gone meanwhile
    }
  });
}
