/**
 * Hostile session files on Debian 13 (systemd 257's libsystemd; the host's
 * test/logind-root/hostile.test.ts covers Debian 12's 252): libsystemd
 * itself, called by python through ctypes, is the oracle for what 257's
 * getters make of each file, and shows that it logs the raw bytes of a value
 * it rejects (whatever SYSTEMD_LOG_LEVEL says), which utmpx must not let out.
 */
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as bed from './bed';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const SESSIONS = path.join(bed.ROOT, 'run/systemd/sessions');
const leaders: ChildProcess[] = [];
const ids = ['40', '41', '42', '43'];
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;

function plant(id: string, lines: (string | Buffer)[]): void {
  const body = Buffer.concat(['# This is private data. Do not parse.', 'UID=0', 'USER=root', 'ACTIVE=1', 'STATE=active', 'TYPE=tty', 'CLASS=user',
    `TTY=pts/${id}`, 'SERVICE=login', ...lines].map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\n')])));
  fs.writeFileSync(path.join(SESSIONS, `.#${id}`), body);
  fs.renameSync(path.join(SESSIONS, `.#${id}`), path.join(SESSIONS, id));
}

beforeAll(() => {
  bed.resetState();
  fs.mkdirSync(path.join(bed.ROOT, 'run/systemd/system'), { recursive: true });
  fs.mkdirSync(SESSIONS, { recursive: true });
  const live = () => {
    const p = bed.startLeader();
    leaders.push(p);
    return p.pid!;
  };
  plant('40', [`LEADER=${live()}`, 'REALTIME=1700000000000000', 'REMOTE=1',
    Buffer.concat([Buffer.from('REMOTE_HOST=bad\x1b]0;owned\x07\x1b[5m'), Buffer.from([0xff, 0xfe, 0x9b])])]);
  plant('41', [`LEADER=${live()}`, 'REALTIME=18446744073709551615']);
  plant('42', [`LEADER=${2 ** 32 + 1}`, 'REALTIME=99999999999999999999']);
  bed.out(['mkfifo', '/run/systemd/a-fifo']);
  fs.symlinkSync('/run/systemd/a-fifo', path.join(SESSIONS, '43'));
});

afterAll(async () => {
  for (const id of ids) fs.rmSync(path.join(SESSIONS, id), { force: true });
  await Promise.all(leaders.map(bed.stop));
});

test('libsystemd 257 logs the rejected REMOTE_HOST raw, even with SYSTEMD_LOG_LEVEL=emerg; utmpx lets none of it out', () => {
  fs.renameSync(path.join(SESSIONS, '43'), path.join(SESSIONS, '.43')); // the oracle itself would block on the FIFO
  try {
    const r = bed.run(['python3', '-c', 'import ctypes; l=ctypes.CDLL("libsystemd.so.0"); p=ctypes.c_void_p(); l.sd_session_get_tty(b"40", ctypes.byref(p))'],
      { env: { SYSTEMD_LOG_LEVEL: 'emerg', SYSTEMD_LOG_TARGET: 'null' } });
    expect(r.stderr).toContain('\x1b]0;owned');
  } finally {
    fs.renameSync(path.join(SESSIONS, '.43'), path.join(SESSIONS, '43'));
  }
  for (const { bin } of bed.NODES) {
    const r = bed.utmpx(bin, ['who', '-a', '--source', 'logind']);
    expect(r.status).toBe(0);
    expect(RAW_CONTROL.test(r.stderr.replace(/^Warning: Ignoring extra certs.*\n/m, ''))).toBe(false);
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    expect(r.stdout).not.toMatch(/NaN|undefined|Invalid Date/);
  }
});

test("numbers beyond their type: utmpx answers as 257's getters do (LEADER=2^32+1 and REALTIME beyond 2^64 refused, 2^64-1 kept)", () => {
  const oracle = bed.run(['python3', '-c', `import ctypes, json
l = ctypes.CDLL("libsystemd.so.0")
out = {}
for sid in (b"41", b"42"):
    pid = ctypes.c_int32(); usec = ctypes.c_uint64()
    out[sid.decode()] = [pid.value if l.sd_session_get_leader(sid, ctypes.byref(pid)) >= 0 else None,
                         str(usec.value) if l.sd_session_get_start_time(sid, ctypes.byref(usec)) >= 0 else None]
print(json.dumps(out))`]);
  const sd = JSON.parse(oracle.stdout) as Record<string, [number | null, string | null]>;
  expect(sd['42']).toEqual([null, null]);
  expect(sd['41'][1]).toBe('18446744073709551615');
  const mine = bed.facts<Record<string, [number | null, number | null, string | null]>>(bed.NODES[0].bin, `
    return Object.fromEntries(utmpx.logindSessions().map((s) => [s.id, [s.leader, s.startTimeUsec, s.startTime && s.startTime.toISOString()]]));`);
  expect(mine['42']).toEqual([null, null, null]);
  expect(mine['41']).toEqual([sd['41'][0], Number(sd['41'][1]), '+275760-09-13T00:00:00.000Z']);
  expect(mine['43']).toEqual([null, null, null]); // the FIFO: its id alone, never opened by libsystemd
});
