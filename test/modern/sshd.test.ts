/**
 * A real login: the root's sshd (Debian's OpenSSH 10 writes wtmp.db itself;
 * PAM's pam_lastlog2 writes lastlog2.db) takes a key login with a pty. While
 * it lasts, logind's session file for it is written as logind would write it
 * (no logind runs here). During the login and after its logout, `utmpx who`,
 * `users`, `last`, `last -x`, `lastlog` must print what `who`, `users`,
 * `wtmpdb last`, `wtmpdb last -x`, `lastlog2` print, and the library calls
 * must give the same facts. Then the legacy files sshd also wrote are
 * imported with `wtmpdb import` and `lastlog2 -i`, and read back.
 */
import type { ChildProcess } from 'child_process';
import * as bed from './bed';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const SESSION_ID = '7';
const USERS = ['root', bed.READER];
let sshd: bed.Sshd | undefined;
let login: bed.Login | undefined;
let loggedOut = false;
/** `utmpx watch --ndjson` inside the root, running from the boot to after the logout. */
let watcher: ChildProcess | undefined;
let watched = '';
let watchErr = '';

beforeAll(async () => {
  bed.resetState();
  bed.ensureUser();
  // Debian 13 has no utmp; the legacy files exist and stay as sshd leaves them.
  bed.out(['wtmpdb', 'boot']); // as systemd-wtmpdb-update.service does at boot (a container's boot is a soft-reboot)
  // The default sources (wtmpdb here, and btmp), replayed from the boot row: its event says the watch runs.
  const [boot] = bed.sqliteJson<{ Login: number }>(bed.WTMPDB, 'SELECT Login FROM wtmp WHERE Type = 1');
  watcher = bed.start([bed.NODES[0].bin, bed.CLI, 'watch', '--ndjson', '--since', new Date(Math.floor(boot.Login / 1e6) * 1000).toISOString()]);
  watcher.stdout!.on('data', (d) => (watched += d));
  watcher.stderr!.on('data', (d) => (watchErr += d));
  await bed.waitFor(() => watched.includes('"boot"'), 15_000, `utmpx watch to replay the boot (stderr: ${watchErr})`);
  sshd = await bed.startSshd();
  login = await bed.sshLogin(sshd);
  const row = bed.sqliteJson<{ Login: number }>(bed.WTMPDB, `SELECT Login FROM wtmp WHERE User='${bed.READER}' AND Logout IS NULL`)[0];
  bed.writeLogindSession({
    id: SESSION_ID, uid: bed.uidOf(bed.READER), user: bed.READER, leader: login.leader, realtimeUsec: row.Login,
    tty: login.tty, remoteHost: '127.0.0.1', service: 'sshd', type: 'tty', class: 'user',
  });
});

afterAll(async () => {
  if (watcher) await bed.stop(watcher);
  bed.removeLogindSession(SESSION_ID);
  if (login && !loggedOut) await login.logout().catch(() => undefined);
  await sshd?.stop();
});

/** Each system reader and the utmpx command that must print the same. */
const PAIRS: { oracle: string[]; mine: string[] }[] = [
  { oracle: ['who'], mine: ['who'] },
  { oracle: ['users'], mine: ['users'] },
  { oracle: ['wtmpdb', 'last'], mine: ['last'] },
  { oracle: ['wtmpdb', 'last', '-x'], mine: ['last', '-x'] },
  { oracle: ['wtmpdb', 'last', '--time-format', 'iso'], mine: ['last', '--time-format', 'iso'] },
  { oracle: ['lastlog2'], mine: ['lastlog'] },
  { oracle: ['lastlog2', '-u', bed.READER], mine: ['lastlog', '-u', bed.READER] },
];

function compareAll(): void {
  for (const { bin } of bed.NODES) {
    for (const user of USERS) {
      const as = user === 'root' ? {} : { user };
      for (const pair of PAIRS) {
        const oracle = bed.run(pair.oracle, as);
        const mine = bed.utmpx(bin, pair.mine, as);
        expect({ node: bin, user, command: pair.mine.join(' '), stdout: mine.stdout, status: mine.status })
          .toEqual({ node: bin, user, command: pair.mine.join(' '), stdout: oracle.stdout, status: oracle.status });
      }
    }
  }
}

interface LibraryFacts {
  users: { user: string; line: string; host: string; time: number; pid?: number }[];
  utmpFile: { user: string; line: string; host: string; time: number; pid?: number }[];
  sessions: { user: string; line: string; host: string; login: number; logout: number | null; end: string }[];
}

function libraryFacts(bin: string, as: bed.RunOptions): LibraryFacts {
  return bed.facts<LibraryFacts>(bin, `
    const entry = (u) => ({ user: u.ut_user, line: u.ut_line, host: u.ut_host, time: u.ut_time, pid: u.ut_pid });
    return {
      users: utmpx.users().map(entry),
      utmpFile: [...new utmpx.UtmpFile()].filter((u) => u.ut_user_process).map(entry),
      sessions: [...utmpx.sessions()].filter((s) => s.kind === 'login').map((s) => ({ user: s.user, line: s.line,
        host: s.host, login: s.login.getTime(), logout: s.logout && s.logout.getTime(), end: s.end })),
    };`, as);
}

/** The same facts from the oracles: sd-login, sqlite3 on both databases. */
function oracleFacts(): LibraryFacts {
  const live = bed.sdSessions().filter((s) => !s.class?.startsWith('manager'));
  const users = live.map((s) => ({
    user: s.user!, line: `/dev/${s.tty}`, host: s.remoteHost ?? '', time: s.startUsec!, pid: s.leader!,
  }));
  const rows = bed.sqliteJson<{ User: string; Login: number; Logout: number | null; TTY: string; RemoteHost: string }>(
    bed.WTMPDB, 'SELECT User, Login, Logout, TTY, RemoteHost FROM wtmp WHERE Type = 3');
  return {
    users,
    utmpFile: users,
    sessions: rows.map((r) => ({
      user: r.User, line: r.TTY, host: r.RemoteHost, login: Math.floor(r.Login / 1000),
      logout: r.Logout === null ? null : Math.floor(r.Logout / 1000), end: r.Logout === null ? 'still logged in' : 'logout',
    })),
  };
}

/** lastLogin() of the user who logged in: the row pam_lastlog2 wrote, as sqlite3 reads it. */
function compareLastLogin(): void {
  const [row] = bed.sqliteJson<{ Time: number; TTY: string; RemoteHost: string }>(
    bed.LASTLOG2, `SELECT Time, TTY, RemoteHost FROM Lastlog2 WHERE Name = '${bed.READER}'`);
  for (const { bin } of bed.NODES) {
    for (const user of USERS) {
      const got = bed.facts(bin, `const e = utmpx.lastLogin(${JSON.stringify(bed.READER)});
        return e && { time: e.time, host: e.host, line: e.line };`, user === 'root' ? {} : { user });
      expect({ bin, user, got }).toEqual({ bin, user, got: { time: row.Time, host: row.RemoteHost, line: row.TTY } });
    }
  }
}

function compareLibrary(): void {
  const expected = oracleFacts();
  for (const { bin } of bed.NODES) {
    for (const user of USERS) {
      const got = libraryFacts(bin, user === 'root' ? {} : { user });
      // ut_time carries microseconds as a fraction: whole microseconds again, as sd-login gives them.
      for (const list of [got.users, got.utmpFile]) for (const u of list) u.time = Math.round(u.time * 1e6);
      expect({ bin, user, ...got }).toEqual({ bin, user, ...expected });
    }
  }
}

describe('during the login', () => {
  test('the fixture: wtmpdb last, lastlog2, who, who -u, users, pinky, w -h and sd-login all see it', () => {
    expect(bed.out(['wtmpdb', 'last'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} +127\\.0\\.0\\.1 .* still logged in$`, 'm'));
    expect(bed.out(['wtmpdb', 'last', '-x'])).toMatch(/^s-reboot +system boot .* still running$/m);
    expect(bed.out(['lastlog2', '-s', '-u', bed.READER])).toMatch(new RegExp(`^${bed.READER} +ssh +127\\.0\\.0\\.1 .* sshd$`, 'm'));
    expect(bed.out(['who'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} .*\\(127\\.0\\.0\\.1\\)$`, 'm'));
    expect(bed.out(['who', '-u'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} .* ${login!.leader} \\(127\\.0\\.0\\.1\\)$`, 'm'));
    expect(bed.out(['users']).trim()).toBe(bed.READER);
    expect(bed.out(['pinky'])).toContain(bed.READER);
    expect(bed.out(['w', '-h'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} +127\\.0\\.0\\.1`, 'm'));
    const [session] = bed.sdSessions();
    expect(session).toMatchObject({
      id: SESSION_ID, user: bed.READER, uid: bed.uidOf(bed.READER), tty: login!.tty, remoteHost: '127.0.0.1',
      service: 'sshd', leader: login!.leader, class: 'user', type: 'tty', remote: true,
    });
  });

  test('utmpx who, users, last, last -x, lastlog print what who, users, wtmpdb last, lastlog2 print', compareAll);

  test('users(), new UtmpFile(), sessions() give the facts sd-login and sqlite3 give', compareLibrary);

  test('lastLogin() gives the row pam_lastlog2 wrote', compareLastLogin);
});

describe('after the logout', () => {
  beforeAll(async () => {
    await login!.logout();
    loggedOut = true;
    bed.removeLogindSession(SESSION_ID); // logind removes the file when the session ends
    bed.out(['wtmpdb', 'shutdown']); // as at the end of systemd-wtmpdb-update.service
  });

  test('the fixture: wtmpdb last shows the session closed; who and users show nobody', () => {
    expect(bed.out(['wtmpdb', 'last'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} +127\\.0\\.0\\.1 .* - \\d\\d:\\d\\d +\\(00:00\\)$`, 'm'));
    expect(bed.sqliteJson(bed.WTMPDB, "SELECT User FROM wtmp WHERE Type = 1 AND Logout IS NOT NULL")).toEqual([{ User: 'soft-reboot' }]);
    expect(bed.out(['who'])).toBe('');
    expect(bed.out(['users'])).toBe('');
    expect(bed.sdSessions()).toEqual([]);
  });

  test('utmpx who, users, last, last -x, lastlog print what who, users, wtmpdb last, lastlog2 print', compareAll);

  test('users(), new UtmpFile(), sessions() give the facts sd-login and sqlite3 give', compareLibrary);

  test('lastLogin() gives the row pam_lastlog2 wrote', compareLastLogin);

  test('utmpx watch --ndjson (default sources: wtmpdb, not the legacy wtmp) saw one login and one logout, as wtmp.db holds them', async () => {
    const [row] = bed.sqliteJson<{ ID: number; Login: number; Logout: number; TTY: string; RemoteHost: string; Service: string | null }>(
      bed.WTMPDB, `SELECT ID, Login, Logout, TTY, RemoteHost, Service FROM wtmp WHERE User = '${bed.READER}'`);
    const mine = () => watched.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.user === bed.READER);
    await bed.waitFor(() => mine().length >= 2, 15_000, `the logout event (stdout: ${watched} stderr: ${watchErr})`);
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    const got = mine().map((e) => ({ type: e.type, source: e.source, line: e.line, host: e.host, service: e.service, rowId: e.rowId, time: e.time }));
    const at = (us: number) => new Date(Math.floor(us / 1000)).toISOString();
    const base = { source: 'wtmpdb', line: row.TTY, host: row.RemoteHost, service: row.Service ?? undefined, rowId: row.ID };
    expect(got).toEqual([{ type: 'login', ...base, time: at(row.Login) }, { type: 'logout', ...base, time: at(row.Logout) }]);
    // The logout names the login pam_wtmpdb recorded in its row (issue 20).
    expect(mine()[1].ended).toBe('logout');
    expect(mine()[1].login).toEqual({ time: at(row.Login), user: bed.READER, line: row.TTY, host: row.RemoteHost, address: '127.0.0.1' });
    expect(watched).toContain('"shutdown"'); // wtmpdb shutdown closed the boot row
    expect(watched).not.toContain('"source":"wtmp"');
  });
});

describe('legacy files sshd also wrote, imported by the system\'s tools', () => {
  beforeAll(() => {
    bed.out(['sh', '-euc', 'rm -f /tmp/imported-wtmp.db /tmp/imported-lastlog2.db; wtmpdb import -f /tmp/imported-wtmp.db /var/log/wtmp; lastlog2 -d /tmp/imported-lastlog2.db -i /var/log/lastlog; chmod 644 /tmp/imported-*.db']);
  });

  test('the fixture: the imported databases hold the login', () => {
    expect(bed.out(['wtmpdb', 'last', '-f', '/tmp/imported-wtmp.db'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} +127\\.0\\.0\\.1`, 'm'));
    expect(bed.out(['lastlog2', '-d', '/tmp/imported-lastlog2.db'])).toMatch(new RegExp(`^${bed.READER} +${login!.tty} +127\\.0\\.0\\.1`, 'm'));
  });

  test('utmpx last -f and lastlog -f print what wtmpdb last -f and lastlog2 -d print', () => {
    for (const { bin } of bed.NODES) {
      for (const args of [[], ['-x'], ['-w', '--time-format', 'iso']]) {
        expect(bed.utmpx(bin, ['last', '-f', '/tmp/imported-wtmp.db', ...args]).stdout)
          .toBe(bed.out(['wtmpdb', 'last', '-f', '/tmp/imported-wtmp.db', ...args]));
      }
      expect(bed.utmpx(bin, ['lastlog', '-f', '/tmp/imported-lastlog2.db']).stdout)
        .toBe(bed.out(['lastlog2', '-d', '/tmp/imported-lastlog2.db']));
    }
  });
});
