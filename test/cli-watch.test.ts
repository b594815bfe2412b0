/**
 * `utmpx watch` as a process: lines appear as records are appended (by
 * `utmpdump -r`), in each format; SIGTERM ends it cleanly; --state resumes.
 */
import { type ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ORACLE_ENV, utmpx } from './helpers/cli-run';
import { testWith } from './helpers/tools';
import { dumpSeconds, tempDir, writeLiveWithUtmpdump } from './helpers/utmpdump';

/** The time utmpdump was given for a record, as an ISO string at millisecond precision. */
const isoOf = (time: string) => new Date(Math.floor(dumpSeconds(time) * 1000)).toISOString();
import { appendWithUtmpdump, loginRecord, logoutRecord } from './helpers/watch';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-cli-watch-')));
afterEach(() => cleanup());

/** Every watch still running: one a failed step left is killed after its test, so jest can exit. */
const alive = new Set<ChildProcess>();
afterEach(async () => {
  await Promise.all([...alive].map((child) => new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGKILL'); })));
});

/** A running `utmpx watch`, its stdout split into lines as they come. */
class Running {
  readonly child: ChildProcess;
  private out = '';
  err = '';
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'watch', ...args], { env: ORACLE_ENV });
    alive.add(this.child);
    this.child.on('exit', () => alive.delete(this.child));
    this.child.stdout!.on('data', (d) => { this.out += d; this.waiters.splice(0).forEach((w) => w()); });
    this.child.stderr!.on('data', (d) => { this.err += d; this.waiters.splice(0).forEach((w) => w()); });
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  get lines(): string[] {
    return this.out.split('\n').filter(Boolean);
  }

  /** Waits until `n` lines were printed (stderr once `onStderr`). */
  async until(test: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout: ${this.out} stderr: ${this.err}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Runs `utmpx watch` until it prints that it started watching (the first read is done when a missing btmp is reported). */
async function started(args: string[]): Promise<Running> {
  const r = new Running([...args, '-f', path.join(dir, 'missing-btmp')]);
  await r.until(() => r.err.includes('ENOENT'), 'the start');
  return r;
}

test('--ndjson: one line per event as it is appended; SIGTERM ends it with status 0', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const r = await started(['--ndjson', '-f', wtmp]);
  try {
    appendWithUtmpdump(wtmp, [loginRecord(1)]);
    await r.until(() => r.lines.length === 1, 'the login');
    appendWithUtmpdump(wtmp, [logoutRecord(1)]);
    await r.until(() => r.lines.length === 2, 'the logout');
    const [login, logout] = r.lines.map((l) => JSON.parse(l));
    expect(login).toMatchObject({ type: 'login', user: 'user1', line: 'pts/1', host: '10.0.0.1', address: '10.0.0.1', pid: 10001, source: 'wtmp', path: wtmp });
    expect(login.time).toBe(isoOf(loginRecord(1).time));
    expect(login.position.version).toBe(1);
    // sshd's DEAD record names only its line: the logout names the login it ends (issue 20).
    expect(logout).toMatchObject({ type: 'logout', user: 'user1', line: 'pts/1', pid: 10001, ended: 'logout' });
    expect(logout.login).toEqual({ time: login.time, user: 'user1', line: 'pts/1', host: '10.0.0.1', address: '10.0.0.1', pid: 10001 });
  } finally {
    expect(await r.stop()).toBe(0);
  }
});

test('--format ecs: Elastic Common Schema authentication events', async () => {
  const wtmp = path.join(dir, 'wtmp');
  const btmp = path.join(dir, 'btmp');
  fs.writeFileSync(wtmp, '');
  fs.writeFileSync(btmp, '');
  const r = await started(['--format', 'ecs', '-f', wtmp, '-f', btmp]);
  try {
    appendWithUtmpdump(wtmp, [loginRecord(1), logoutRecord(1)]);
    await r.until(() => r.lines.length === 2, 'two events');
    appendWithUtmpdump(btmp, [{ type: 6, pid: 77, id: '', user: 'admin', line: 'ssh:notty', host: '203.0.113.9', addr: '203.0.113.9', time: '2024-01-15T12:00:00,000000+00:00' }]);
    await r.until(() => r.lines.length === 3, 'the failed login');
    const [login, logout, failed] = r.lines.map((l) => JSON.parse(l));
    expect(login).toMatchObject({
      '@timestamp': isoOf(loginRecord(1).time),
      ecs: { version: '9.4.0' }, event: { kind: 'event', category: ['authentication'], type: ['start'], action: 'user_login', outcome: 'success' },
      user: { name: 'user1' }, source: { ip: '10.0.0.1' }, related: { ip: ['10.0.0.1'], user: ['user1'] }, process: { pid: 10001 },
      log: { file: { path: wtmp } },
    });
    expect(typeof login.host.hostname).toBe('string');
    expect(logout.event).toMatchObject({ type: ['end'], action: 'user_logout' });
    expect(logout.user).toMatchObject({ name: 'user1' }); // sshd's DEAD record names no user: its login does
    expect(failed).toMatchObject({
      event: { category: ['authentication'], type: ['start'], action: 'user_login', outcome: 'failure' },
      user: { name: 'admin' }, source: { ip: '203.0.113.9' }, process: { pid: 77 },
    });
  } finally {
    expect(await r.stop()).toBe(0);
  }
});

test('human lines escape what the record holds (an ESC in a btmp user name)', async () => {
  const btmp = path.join(dir, 'btmp');
  fs.writeFileSync(btmp, '');
  const r = await started(['-f', btmp]);
  try {
    appendWithUtmpdump(btmp, [{ type: 6, pid: 77, id: '', user: 'a\x1b[2Jb', line: 'ssh:notty', host: 'h\x07', addr: '0.0.0.0', time: '2024-01-15T12:00:00,000000+00:00' }]);
    await r.until(() => r.lines.length === 1, 'the failed login');
    expect(r.lines[0]).toContain('a\\x1b[2Jb');
    expect(r.lines[0]).toContain('h\\x07');
    expect(r.lines[0]).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  } finally {
    expect(await r.stop()).toBe(0);
  }
});

test('--state: a restarted watch goes on after the last event it printed', async () => {
  const wtmp = path.join(dir, 'wtmp');
  const state = path.join(dir, 'state.json');
  fs.writeFileSync(wtmp, '');
  let r = await started(['--ndjson', '--state', state, '-f', wtmp]);
  try {
    appendWithUtmpdump(wtmp, [loginRecord(1)]);
    await r.until(() => r.lines.length === 1, 'the first login');
  } finally {
    expect(await r.stop()).toBe(0);
  }
  appendWithUtmpdump(wtmp, [loginRecord(2), loginRecord(3)]);
  r = await started(['--ndjson', '--state', state, '-f', wtmp]);
  try {
    await r.until(() => r.lines.length === 2, 'the two logins written while stopped');
    expect(r.lines.map((l) => JSON.parse(l).pid)).toEqual([10002, 10003]);
  } finally {
    expect(await r.stop()).toBe(0);
  }
});

test('--state: a logout after a restart names the login printed before it', async () => {
  const wtmp = path.join(dir, 'wtmp');
  const state = path.join(dir, 'state.json');
  fs.writeFileSync(wtmp, '');
  let r = await started(['--ndjson', '--state', state, '-f', wtmp]);
  let login: { time: string };
  try {
    appendWithUtmpdump(wtmp, [loginRecord(1)]);
    await r.until(() => r.lines.length === 1, 'the login');
    login = JSON.parse(r.lines[0]);
  } finally {
    expect(await r.stop()).toBe(0);
  }
  appendWithUtmpdump(wtmp, [logoutRecord(1)]);
  r = await started(['--ndjson', '--state', state, '-f', wtmp]);
  try {
    await r.until(() => r.lines.length === 1, 'the logout written while stopped');
    const logout = JSON.parse(r.lines[0]);
    expect(logout).toMatchObject({ type: 'logout', user: 'user1', host: '10.0.0.1', ended: 'logout' });
    expect(logout.login).toEqual({ time: login.time, user: 'user1', line: 'pts/1', host: '10.0.0.1', address: '10.0.0.1', pid: 10001 });
  } finally {
    expect(await r.stop()).toBe(0);
  }
});

test('usage mistakes exit 2', () => {
  expect(utmpx('watch', '--format', 'xml').status).toBe(2);
  expect(utmpx('watch', '--json', '--ndjson').status).toBe(2);
  expect(utmpx('watch', '-f', '').status).toBe(2);
});

describe('wtmpdb and --source', () => {
  const schema = 'CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, ' +
    'Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT';
  /** Runs SQL on `db` with python's sqlite3 (another process, as sshd's PAM module would be). */
  const sql = (db: string, script: string) => {
    const r = spawnSync('python3', ['-c', 'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.close()', db, script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };

  test('-f wtmp.db --ndjson: a login and its logout set later, from wtmpdb, with the service', async () => {
    const db = path.join(dir, 'wtmp.db');
    sql(db, `${schema};`);
    const r = await started(['-f', db, '--ndjson']);
    try {
      sql(db, "INSERT INTO wtmp VALUES(NULL, 3, 'alice', 1700000000123456, NULL, 'pts/0', '10.0.0.5', 'sshd');");
      await r.until(() => r.lines.length >= 1, 'the login');
      sql(db, "UPDATE wtmp SET Logout = 1700000060000000 WHERE User = 'alice';");
      await r.until(() => r.lines.length >= 2, 'the logout');
      const [a, b] = r.lines.map((l) => JSON.parse(l));
      expect([a.type, a.user, a.line, a.host, a.address, a.service, a.source, a.time]).toEqual(['login', 'alice', 'pts/0', '10.0.0.5', '10.0.0.5', 'sshd', 'wtmpdb', '2023-11-14T22:13:20.123Z']);
      expect([b.type, b.user, b.source, b.time]).toEqual(['logout', 'alice', 'wtmpdb', '2023-11-14T22:14:20.000Z']);
    } finally {
      expect(await r.stop()).toBe(0);
    }
  });

  test('--source takes only database names, and not with -f', () => {
    const bad = utmpx('watch', '--source', 'wtmp,nope');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--source takes wtmp, wtmpdb, btmp, utmp, logind');
    const both = utmpx('watch', '--source', 'wtmp', '-f', path.join(dir, 'x'));
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('-f and --source exclude each other');
  });
});

// Records of this moment: written by utmpdump each run, not a committed fixture.
testWith('utmpdump', 'last')('--since -2h: a relative time, taken as last takes it (last -f FILE --since -2h is the oracle)', async () => {
  const wtmp = path.join(dir, 'wtmp-since');
  const hour = 3600_000;
  writeLiveWithUtmpdump(wtmp, [loginRecord(1, Date.now() - 3 * hour - 1000), loginRecord(2, Date.now() - hour - 2000)]);
  const last = spawnSync('last', ['-f', wtmp, '--since', '-2h'], { encoding: 'utf8', env: ORACLE_ENV });
  expect(last.status).toBe(0);
  const oracleUsers = last.stdout.split('\n').map((l) => l.split(/\s+/)[0]).filter((u) => /^user\d+$/.test(u));
  expect(oracleUsers).toEqual(['user2']);
  const r = new Running(['--since', '-2h', '--ndjson', '-f', wtmp]);
  try {
    await r.until(() => r.lines.length === 1, 'the replayed login');
    expect(r.lines.map((l) => JSON.parse(l).user)).toEqual(oracleUsers);
  } finally {
    expect(await r.stop()).toBe(0);
  }
});

test('--state: a 16 MB file of 2 million open rows is refused on load with a coded error, before the watch starts', () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const state = path.join(dir, 'state.json');
  const open = Array.from({ length: 2_000_000 }, (_, i) => 1_000_000 + i);
  fs.writeFileSync(state, JSON.stringify({ version: 1, sources: { [`wtmpdb:${path.join(dir, 'wtmp.db')}`]: { kind: 'wtmpdb', maxId: 3_000_000, open } } }));
  expect(fs.statSync(state).size).toBeGreaterThan(15_000_000);
  const r = spawnSync(process.execPath, [CLI, 'watch', '--ndjson', '--state', state, '-f', wtmp], { encoding: 'utf8', env: ORACLE_ENV, timeout: 10_000 });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('ERR_UTMPX_BAD_STATE');
  expect(r.stderr).toContain(state);
  expect(r.stderr).toContain('remove it');
  // Small enough to read, but more open rows than a watch keeps: refused as well.
  fs.writeFileSync(state, JSON.stringify({ version: 1, sources: { 'wtmpdb:/x/wtmp.db': { kind: 'wtmpdb', maxId: 30_000, open: open.slice(0, 20_000) } } }));
  const small = spawnSync(process.execPath, [CLI, 'watch', '--state', state, '-f', wtmp], { encoding: 'utf8', env: ORACLE_ENV, timeout: 10_000 });
  expect(small.status).toBe(1);
  expect(small.stderr).toContain('20000 open rows');
});

test('a file truncated in place: a gap on stderr and in the NDJSON stream, then the appended record', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const r = await started(['--ndjson', '-f', wtmp]);
  try {
    appendWithUtmpdump(wtmp, [loginRecord(1), loginRecord(2), loginRecord(3)]);
    await r.until(() => r.lines.length === 3, 'three logins');
    spawnSync('truncate', ['-s', '500', wtmp]);
    appendWithUtmpdump(wtmp, [loginRecord(4)]);
    await r.until(() => r.lines.length === 5, 'the gap and the login after it');
    const [gap, login] = r.lines.slice(3).map((l) => JSON.parse(l));
    expect(gap).toMatchObject({ type: 'gap', source: 'wtmp', path: wtmp, bytes: 0 });
    expect(gap.message).toContain('reading on from byte 500');
    expect(typeof gap.position.version).toBe('number');
    expect(login).toMatchObject({ type: 'login', pid: 10004 });
    // stderr is a pipe of its own: its line may come a moment after stdout's.
    await r.until(() => r.err.includes(`utmpx: watch: gap: ${wtmp}:`), 'the gap on stderr');
    expect(r.err).toContain(`utmpx: watch: gap: ${wtmp}: at least 0 bytes not read`);
  } finally {
    expect(await r.stop()).toBe(0);
  }
});
