/**
 * logind sessions of every shape, as logind writes them (a tty login, ssh
 * without a pty, a remote user, an X display on a seat, a systemd --user
 * manager), each with a live leader. First the system's readers (sd-login
 * through ctypes, coreutils who, who -u, users, pinky, procps w -h) prove the
 * files well formed; then `utmpx who`/`users`, users() and new UtmpFile()
 * must say what they say, as root and as an ordinary user.
 */
import type { ChildProcess } from 'child_process';
import * as bed from './bed';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const BASE = Date.UTC(2026, 0, 2, 8, 30) * 1000; // microseconds
const USERS = ['root', bed.READER];
const leaders: ChildProcess[] = [];
let sessions: bed.LogindSession[] = [];

beforeAll(() => {
  bed.resetState();
  bed.ensureUser();
  bed.ensureAccounts(['alice', 'bob', 'carol', 'frank']);
  const shapes: Omit<bed.LogindSession, 'uid' | 'leader' | 'realtimeUsec'>[] = [
    { id: '3', user: 'alice', tty: 'pts/4', remoteHost: '10.0.0.9', service: 'sshd', type: 'tty' },
    { id: '4', user: 'bob', remoteHost: '2001:db8::7', service: 'sshd', type: 'unspecified' }, // ssh host cmd: no pty
    { id: '5', user: 'carol', tty: 'pts/5', remoteHost: 'example.org', remoteUser: 'carl', service: 'login', type: 'tty' },
    { id: 'c1', user: 'frank', seat: 'seat0', display: ':0', tty: 'tty7', service: 'gdm-password', type: 'x11' },
    { id: '6', user: 'alice', tty: 'tty2', service: 'login', type: 'tty', seat: 'seat0' },
    { id: '7', user: 'alice', service: 'systemd-user', type: 'unspecified', class: 'manager' }, // not a login: who skips it
  ];
  sessions = shapes.map((s, i) => {
    const leader = bed.startLeader();
    leaders.push(leader);
    return { ...s, uid: bed.uidOf(s.user), leader: leader.pid!, realtimeUsec: BASE + i * 61_000_123 };
  });
  for (const s of sessions) bed.writeLogindSession(s);
});

afterAll(async () => {
  for (const s of sessions) bed.removeLogindSession(s.id);
  await Promise.all(leaders.map(bed.stop));
});

describe('the fixture, read by sd-login and the system\'s tools', () => {
  test('sd-login reports every field of every session as written', () => {
    const got = bed.sdSessions();
    expect(got.map((s) => s.id).sort()).toEqual(sessions.map((s) => s.id).sort());
    for (const s of sessions) {
      expect(got.find((g) => g.id === s.id)).toMatchObject({
        uid: s.uid, user: s.user, tty: s.tty ?? null, remoteHost: s.remoteHost ?? null, remoteUser: s.remoteUser ?? null,
        service: s.service ?? null, type: s.type ?? 'tty', class: s.class ?? 'user', leader: s.leader,
        startUsec: s.realtimeUsec, remote: Boolean(s.remoteHost),
      });
    }
  });

  test('who, who -u, users, pinky and w -h list the sessions as coreutils and procps map them', () => {
    const who = bed.out(['who']).trim().split('\n');
    const whoU = bed.out(['who', '-u']);
    const pinky = bed.out(['pinky']);
    const w = bed.out(['w', '-h']);
    for (const s of sessions.filter((x) => x.tty)) {
      expect(who.some((l) => l.startsWith(`${s.user} `) && l.split(/ +/)[1] === s.tty)).toBe(true);
      expect(whoU).toMatch(new RegExp(` ${s.leader}( |$)`, 'm'));
      expect(pinky).toContain(s.tty);
    }
    expect(who.some((l) => l.split(/ +/)[1] === 'seat0')).toBe(true); // a seat's session is also listed by its seat
    expect(who.join('\n')).toContain('(carl@example.org)'); // REMOTE_USER@REMOTE_HOST
    expect(who.join('\n')).toContain('(:0)'); // the X display
    expect(who.some((l) => l.startsWith('bob '))).toBe(false); // no tty, no seat: coreutils skips it...
    expect(w).toMatch(/^bob +2001:db8::7/m); // ...procps w lists it
    const manager = sessions.find((s) => s.class === 'manager')!;
    expect(whoU).not.toMatch(new RegExp(` ${manager.leader}( |$)`, 'm'));
    expect(w).not.toContain(String(manager.leader));
    expect(bed.out(['users']).trim().split(' ')).toEqual(who.map((l) => l.split(' ')[0]).sort());
  });

  test('an ordinary user sees the same', () => {
    for (const argv of [['who'], ['users'], ['who', '-u']]) {
      expect(bed.out(argv, { user: bed.READER })).toBe(bed.out(argv));
    }
    expect(bed.sdSessions({ user: bed.READER })).toEqual(bed.sdSessions());
  });
});

describe.each(bed.NODES)('utmpx on $name', ({ bin }) => {
  describe.each(USERS)('as %s', (user) => {
    const as = user === 'root' ? {} : { user };

    test.each([['who', 'who'], ['users', 'users']])('utmpx %s prints what the system\'s %s prints', (command) => {
      const oracle = bed.run([command], as);
      const mine = bed.utmpx(bin, [command], as);
      expect(mine.stdout).toBe(oracle.stdout);
      expect(mine.status).toBe(oracle.status);
    });

    test('users() and new UtmpFile() give the sessions who lists, with sd-login\'s start time and leader', () => {
      const got = bed.facts<{ users: Entry[]; file: Entry[] }>(bin, `
        const entry = (u) => ({ user: u.ut_user, pid: u.ut_pid, time: Math.round(u.ut_time * 1e6),
          line: u.ut_line, host: u.ut_host, type: u.ut_type });
        return { users: utmpx.users().map(entry), file: [...new utmpx.UtmpFile()].filter((u) => u.ut_user_process).map(entry) };`, as);
      // who -u: USER LINE DATE TIME IDLE PID [(HOST)]; a session on a seat shows twice (seat, then tty).
      const listed = bed.out(['who', '-u'], as).trim().split('\n').map((l) => {
        const [, user, line, pid, host] = /^(\S+)\s+(\S+)\s.*?\s(\d+)(?: \((.*)\))?$/.exec(l)!;
        return { user, line: devicePath(line), pid: Number(pid), host: host ?? '' };
      });
      const started = new Map(bed.sdSessions().map((s) => [s.leader, s.startUsec]));
      for (const list of [got.users, got.file]) {
        expect(new Set(list.map((e) => e.pid))).toEqual(new Set(listed.map((e) => e.pid)));
        for (const e of list) {
          const mine = listed.filter((x) => x.pid === e.pid);
          expect(mine.map((x) => x.line)).toContain(e.line);
          expect(e).toEqual({ user: mine[0].user, pid: e.pid, time: started.get(e.pid), line: e.line, host: mine[0].host, type: 'USER_PROCESS' });
        }
      }
    });
  });
});

interface Entry { user: string; pid: number; time: number; line: string; host: string; type: string }

// The library's ut_line is a device path where who prints a terminal name.
function devicePath(line: string): string {
  return /^(pts\/|tty)/.test(line) ? `/dev/${line}` : line;
}
