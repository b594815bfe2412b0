/**
 * Hostile session directories (issue 17), through the real sd-login, root, in
 * the private mount namespace of `npm run test:logind` (see logind.test.ts):
 * a tmpfs over /run/systemd holds what a broken or hostile writer could leave
 * there. Whatever may hang or exhaust the process runs in a child process
 * with a deadline, so a failure is a failed test, never a stuck suite.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile, logindLibrary, logindSessions, users, watch } from '../../lib';
import { MAX_DATE_MS } from '../../lib/model/entry';
import type { UtmpWarning } from '../../lib/model/warnings';
import { CLI, ORACLE_ENV } from '../helpers/cli-run';
import { EventReader } from '../helpers/watch';

const RUN_SYSTEMD = '/run/systemd';
const SESSIONS = `${RUN_SYSTEMD}/sessions`;
const DIST = path.resolve(__dirname, '../../dist/index.js');

function whyNot(): string | null {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (it mounts a tmpfs over /run/systemd)';
  if (fs.readlinkSync('/proc/self/ns/mnt') === fs.readlinkSync(`/proc/${process.ppid}/ns/mnt`)) {
    return 'must run in a private mount namespace: npm run test:logind';
  }
  if (logindLibrary() === null) return 'no libsystemd.so.0 or libelogind.so.0 here';
  return null;
}
const reason = whyNot();
if (reason) console.warn(`logind hostile tests skipped: ${reason}`);
const describeRoot = reason ? describe.skip : describe;

const started: ChildProcess[] = [];
function leader(): number {
  const p = spawn('sleep', ['1000'], { stdio: 'ignore' });
  started.push(p);
  return p.pid!;
}

/** A session file as logind writes it (temporary file, then rename); `extra` raw lines after the fields. */
function writeSession(id: string, fields: Record<string, string | number>, extra: Buffer = Buffer.alloc(0)): void {
  const all = {
    UID: 0, USER: 'root', ACTIVE: 1, STATE: 'active', REMOTE: 0, TYPE: 'tty', CLASS: 'user', TTY: `pts/${id}`,
    SERVICE: 'login', REALTIME: Date.now() * 1000 - 60e6, ...fields,
  };
  const text = '# This is private data. Do not parse.\n' + Object.entries(all).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
  const tmp = path.join(SESSIONS, `.#${id}tmp`);
  fs.writeFileSync(tmp, Buffer.concat([Buffer.from(text), extra]));
  fs.renameSync(tmp, path.join(SESSIONS, id));
}

function clearSessions(): void {
  for (const name of fs.readdirSync(SESSIONS)) fs.rmSync(path.join(SESSIONS, name), { force: true });
}

/** Runs `script` (CommonJS, `lib` is the built package) in a child node with a deadline; `prefix` runs it under prlimit. */
function child(script: string, prefix: string[] = [], timeout = 20_000) {
  const argv = [...prefix, process.execPath, '-e', `const lib = require(${JSON.stringify(DIST)}); const fs = require('fs');\n${script}`];
  return spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
}

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env: ORACLE_ENV, timeout: 20_000, killSignal: 'SIGKILL' });
// Raw control bytes a terminal would act on (ESC, BEL, C1...); newlines and tabs are layout.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;

describeRoot('hostile logind session directories', () => {
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=64m', 'utmpx-logind-hostile', RUN_SYSTEMD]);
    for (const d of ['sessions', 'users', 'seats']) fs.mkdirSync(path.join(RUN_SYSTEMD, d));
  });
  afterEach(clearSessions);
  afterAll(() => {
    for (const p of started) if (p.pid && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
    try {
      execFileSync('umount', [RUN_SYSTEMD]);
    } catch {
      // gone with the namespace anyway
    }
  });

  test('300 sessions under a 256-descriptor limit: users() holds no descriptor between calls, and the process can still open files', () => {
    const pids = execFileSync('sh', ['-c', 'for i in $(seq 300); do sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; done'])
      .toString().trim().split('\n').map(Number);
    try {
      pids.forEach((pid, i) => writeSession(String(1000 + i), { LEADER: pid }));
      const r = child(`
        const fds = () => fs.readdirSync('/proc/self/fd').length;
        const before = fds();
        const first = lib.users({ source: 'logind' }).length;
        const between = fds();
        const second = lib.users({ source: 'logind' }).length;
        fs.closeSync(fs.openSync('/dev/null', 'r'));
        console.log(JSON.stringify({ before, between, after: fds(), first, second }));`, ['prlimit', '--nofile=256:256']);
      expect([r.status, r.stderr]).toEqual([0, '']);
      const seen = JSON.parse(r.stdout);
      expect(seen).toMatchObject({ first: 300, second: 300 });
      expect(seen.between).toBe(seen.before);
      expect(seen.after).toBe(seen.before);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    }
  });

  test('REALTIME=2^64-1: the nearest Date and TIME_OUT_OF_RANGE in users(), UtmpFile, logindSessions() and the CLI; never NaN', () => {
    writeSession('70', { LEADER: leader(), REALTIME: '18446744073709551615' });
    const s = logindSessions().find((x) => x.id === '70')!;
    expect(s.startTimeUsec).toBe(2 ** 64);
    expect(s.startTime!.getTime()).toBe(MAX_DATE_MS);

    const warned: UtmpWarning[] = [];
    const [u] = users({ source: 'logind', onWarning: (w) => warned.push(w) });
    expect(u.date.getTime()).toBe(MAX_DATE_MS);
    expect(warned).toEqual([expect.objectContaining({ code: 'TIME_OUT_OF_RANGE', path: `${SESSIONS}/70` })]);

    const file = new UtmpFile(undefined, { source: 'logind' });
    const entries = file.toArray();
    expect(entries.find((e) => e.ut_id === '70')!.date.getTime()).toBe(MAX_DATE_MS);
    expect(file.warnings.map((w) => [w.code, w.path])).toEqual([['TIME_OUT_OF_RANGE', `${SESSIONS}/70`]]);

    for (const args of [['who', '-a'], ['who'], ['who', '--iso'], ['who', '--json']]) {
      const r = cli(...args, '--source', 'logind');
      expect([args, r.status]).toEqual([args, 0]);
      expect(r.stdout.toString()).not.toMatch(/NaN|undefined|Invalid Date/);
      expect(r.stdout.toString()).toContain('275760');
      expect(r.stderr.toString()).toContain(`${SESSIONS}/70`);
      expect(r.stderr.toString()).toContain('beyond what a Date can hold');
    }
  });

  test('REALTIME=2^64-1 in a watch: the login has the nearest Date and a TIME_OUT_OF_RANGE warning; utmpx watch prints no NaN', async () => {
    const w = watch({ sources: ['logind'] });
    const r = new EventReader(w);
    try {
      expect(await r.within(300)).toEqual([]);
      writeSession('71', { LEADER: leader(), REALTIME: '18446744073709551615' });
      const [login] = await r.events(1);
      expect(login).toMatchObject({ type: 'login', sessionId: '71' });
      expect(login.time.getTime()).toBe(MAX_DATE_MS);
      expect(r.warnings.map((x) => [x.code, x.path])).toEqual([['TIME_OUT_OF_RANGE', `${SESSIONS}/71`]]);
    } finally {
      await w.close();
    }
    clearSessions();

    const proc = spawn(process.execPath, [CLI, 'watch', '--source', 'logind'], { env: ORACLE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(proc);
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    await new Promise((ok) => setTimeout(ok, 1000));
    writeSession('72', { LEADER: leader(), REALTIME: '18446744073709551615' });
    for (let i = 0; i < 100 && !out.includes('\n'); i++) await new Promise((ok) => setTimeout(ok, 100));
    process.kill(proc.pid!, 'SIGTERM');
    await new Promise((ok) => proc.once('exit', ok));
    expect(out).toMatch(/^\+?275760-09-13 00:00:00 login +root +pts\/72 .*\(logind\)\n/);
    expect(out).not.toMatch(/NaN|undefined|Invalid Date/);
    expect(err).toContain('TIME_OUT_OF_RANGE');
  });

  test('a session file that is a FIFO (through a symlink), /dev/zero, or huge: users() neither blocks nor grows, and the good session is still listed', () => {
    execFileSync('mkfifo', [path.join(RUN_SYSTEMD, 'a-fifo')]);
    fs.symlinkSync(path.join(RUN_SYSTEMD, 'a-fifo'), path.join(SESSIONS, '80'));
    fs.symlinkSync('/dev/zero', path.join(SESSIONS, '81'));
    execFileSync('truncate', ['-s', '1T', path.join(SESSIONS, '82')]); // sparse: no memory, but endless to read
    fs.writeFileSync(path.join(SESSIONS, '83'), `USER=root\nUID=0\nTTY=pts/83\nTYPE=tty\nLEADER=1\nREMOTE_HOST=${'x'.repeat(10 << 20)}\n`); // a 10 MB line
    writeSession('84', { LEADER: leader() });
    const r = child(`
      const listed = lib.users({ source: 'logind' }).map((u) => u.ut_id);
      const sessions = lib.logindSessions().map((s) => s.id).sort();
      lib.logindSessionsAsync().then((again) => {
        console.log(JSON.stringify({ listed, sessions, again: again.map((s) => s.id).sort(), maxRssKiB: process.resourceUsage().maxRSS }));
      });`);
    expect([r.signal, r.status, r.stderr]).toEqual([null, 0, '']);
    const seen = JSON.parse(r.stdout);
    expect(seen.listed).toEqual(['84']);
    // sd-login lists each name; the ones that cannot be read safely are their ids alone.
    expect(seen.sessions).toEqual(['80', '81', '82', '83', '84']);
    expect(seen.again).toEqual(seen.sessions);
    expect(seen.maxRssKiB).toBeLessThan(200 * 1024);
  });

  test('control characters and escape sequences in REMOTE_HOST reach neither stderr (libsystemd\'s own log) nor stdout raw', () => {
    // Valid UTF-8: sd-login gives it; the CLI escapes it. Invalid UTF-8: sd-login rejects the file and logs it raw.
    writeSession('90', { LEADER: leader(), REMOTE: 1, REMOTE_HOST: 'evil\x1b]0;pwned\x07\x1b[31mred\x1b[2J' });
    writeSession('91', { LEADER: leader(), REMOTE: 1 }, Buffer.concat([Buffer.from('REMOTE_HOST=bad\x1b]0;owned\x07\x1b[5m'), Buffer.from([0xff, 0xfe, 0x9b]), Buffer.from('\n')]));
    for (const args of [['who', '-a'], ['who', '--json'], ['users']]) {
      const r = cli(...args, '--source', 'logind');
      expect([args, r.status, r.stderr.toString()]).toEqual([args, 0, '']);
      expect(RAW_CONTROL.test(r.stdout.toString('latin1'))).toBe(false);
    }
    expect(cli('who', '--source', 'logind').stdout.toString()).toContain('pts/90');
    // The rejected file is what sd-login makes of it: the id alone, no field from the bad file.
    expect(logindSessions().find((s) => s.id === '91')).toMatchObject({ id: '91', user: '', remoteHost: null, line: null, leader: null });
  });

  test('numbers beyond their type (LEADER=2^32+1, REALTIME beyond 2^64) are refused as systemd refuses them, never wrapped to another pid or time', () => {
    writeSession('95', { LEADER: 2 ** 32 + 1, REALTIME: '99999999999999999999' });
    const s = logindSessions().find((x) => x.id === '95')!;
    expect(s.leader).toBeNull();
    expect(s.startTimeUsec).toBeNull();
    const [u] = users({ source: 'logind' });
    expect(u).toMatchObject({ ut_id: '95', ut_pid: 0, ut_time: 0 });
  });
});
