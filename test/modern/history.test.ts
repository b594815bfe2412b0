/**
 * wtmp.db and lastlog2.db histories written by libwtmpdb and liblastlog2
 * themselves; first proven with the system's readers (sqlite3, wtmpdb last,
 * lastlog2), then `utmpx last`/`lastlog` and sessions()/lastLogin() must say
 * what those readers say, as root and as an ordinary user, on Debian 13's own
 * nodejs 20 and on an official Node 24.
 */
import * as bed from './bed';
import { HISTORY, LAST_ARGS, LASTLOG, LASTLOG_ARGS, expectedRows, isoTime, type LoginOp } from './histories';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const COPY = '/tmp/copied-wtmp.db';
const COPY_LASTLOG = '/tmp/copied-lastlog2.db';
const USERS = ['root', bed.READER];

beforeAll(() => {
  bed.resetState();
  bed.ensureUser();
  bed.ensureAccounts(['alice', 'bob']); // dave, erin and maximilian-longname have none: lastlog2 -u dave fails
  bed.writeWtmpdb(bed.WTMPDB, HISTORY);
  bed.writeLastlog2(bed.LASTLOG2, LASTLOG);
  // Copies under other names: read by path, recognised by content.
  bed.out(['sh', '-c', `cp /var/log/wtmp.db ${COPY} && cp ${bed.LASTLOG2} ${COPY_LASTLOG} && chmod 644 ${COPY} ${COPY_LASTLOG}`]);
});

describe('the fixture, read by the system\'s own tools', () => {
  test('sqlite3 reads back every row libwtmpdb wrote, times in microseconds', () => {
    expect(bed.sqliteJson(bed.WTMPDB, 'SELECT Type, User, Login, Logout, TTY, RemoteHost, Service FROM wtmp ORDER BY ID'))
      .toEqual(expectedRows());
  });

  test('wtmpdb last -x --time-format iso lists every login and boot, with times after 2038 and 2106', () => {
    const text = bed.out(['wtmpdb', 'last', '-x', '-w', '--time-format', 'iso']);
    for (const op of HISTORY.filter((o): o is LoginOp => o.op === 'login')) {
      const line = text.split('\n').find((l) => l.includes(isoTime(op.usec)) && l.startsWith(op.user));
      expect(line).toBeDefined();
    }
    expect(text).toMatch(/^bob .* - crash/m);
    expect(text).toMatch(/^erin .*2108-.* - still logged in/m);
    expect(text).toMatch(/^soft-reboot +system boot .* - still running/m);
    expect(text).toMatch(/^shutdown +system down/m);
  });

  test('lastlog2 -s lists every row ll2_write_entry wrote; sqlite3 agrees', () => {
    const text = bed.out(['lastlog2', '-s']);
    for (const row of LASTLOG) {
      const line = text.split('\n').find((l) => l.startsWith(`${row.user} `));
      expect(line).toBeDefined();
      for (const part of [row.tty, row.rhost, row.service, String(new Date(row.time * 1000).getUTCFullYear())]) {
        if (part) expect(line).toContain(part);
      }
    }
    expect(bed.sqliteJson(bed.LASTLOG2, 'SELECT Name, Time, TTY, RemoteHost, Service FROM Lastlog2 ORDER BY Name'))
      .toEqual([...LASTLOG].sort((a, b) => (a.user < b.user ? -1 : 1)).map((r) => ({
        Name: r.user, Time: r.time, TTY: r.tty ?? null, RemoteHost: r.rhost ?? null, Service: r.service ?? null,
      })));
  });

  test('lastlog2 -u prints the one row of a user with an account, and fails for a name without one', () => {
    for (const args of LASTLOG_ARGS.filter((a) => a.length)) {
      const r = bed.run(['lastlog2', ...args]);
      if (args[1] === 'dave') expect(r.status).toBe(1);
      else expect(r.stdout.split('\n').filter((l) => l.startsWith(`${args[1]} `))).toHaveLength(1);
    }
  });

  test('an ordinary user can read both databases with the system\'s tools', () => {
    expect(bed.out(['wtmpdb', 'last'], { user: bed.READER })).toBe(bed.out(['wtmpdb', 'last']));
    expect(bed.out(['lastlog2'], { user: bed.READER })).toBe(bed.out(['lastlog2']));
  });
});

describe.each(bed.NODES)('utmpx on $name', ({ bin }) => {
  describe.each(USERS)('as %s', (user) => {
    const as = user === 'root' ? {} : { user };

    test.each(LAST_ARGS.map((a) => [a.join(' ')]))('utmpx last %s prints what wtmpdb last prints', (joined) => {
      const args = joined ? joined.split(' ') : [];
      const oracle = bed.run(['wtmpdb', 'last', ...args], as);
      const mine = bed.utmpx(bin, ['last', ...args], as);
      expect(mine.stdout).toBe(oracle.stdout);
      expect(mine.status).toBe(oracle.status);
    });

    test('utmpx last -f COPY reads a copied wtmp.db by path, as wtmpdb last -f does', () => {
      for (const args of [[], ['-x', '--time-format', 'iso']]) {
        const oracle = bed.out(['wtmpdb', 'last', '-f', COPY, ...args], as);
        expect(bed.utmpx(bin, ['last', '-f', COPY, ...args], as).stdout).toBe(oracle);
      }
    });

    test.each(LASTLOG_ARGS.map((a) => [a.join(' ')]))('utmpx lastlog %s prints what lastlog2 prints', (joined) => {
      const args = joined ? joined.split(' ') : [];
      const oracle = bed.run(['lastlog2', ...args], as);
      const mine = bed.utmpx(bin, ['lastlog', ...args], as);
      expect(mine.stdout).toBe(oracle.stdout);
      expect(mine.status).toBe(oracle.status);
    });

    test('utmpx lastlog -f COPY prints what lastlog2 -d COPY prints', () => {
      const oracle = bed.out(['lastlog2', '-d', COPY_LASTLOG], as);
      expect(bed.utmpx(bin, ['lastlog', '-f', COPY_LASTLOG], as).stdout).toBe(oracle);
    });

    test('sessions() gives the sessions sqlite3 reads, ended as wtmpdb last ends them', () => {
      const got = bed.facts<SessionFacts[]>(bin, `
        return [...utmpx.sessions()].filter((s) => s.kind === 'login').map((s) => ({
          user: s.user, line: s.line, host: s.host, login: s.login.getTime(),
          logout: s.logout && s.logout.getTime(), end: s.end }));`, as);
      expect(byLogin(got)).toEqual(byLogin(expectedSessions()));
    });

    test('lastLogin(name) gives the row sqlite3 reads from lastlog2.db, null for a name without one', () => {
      const got = bed.facts<Record<string, LastLoginFacts | null>>(bin, `
        const result = {};
        for (const name of ${JSON.stringify(LASTLOG.map((r) => r.user).concat('nobody'))}) {
          const e = utmpx.lastLogin(name);
          result[name] = e && { time: e.time, host: e.host, line: e.line };
        }
        return result;`, as);
      const rows = bed.sqliteJson<{ Name: string; Time: number; TTY: string | null; RemoteHost: string | null }>(
        bed.LASTLOG2, 'SELECT Name, Time, TTY, RemoteHost FROM Lastlog2');
      for (const row of rows) {
        expect({ name: row.Name, ...got[row.Name] }).toEqual({ name: row.Name, time: row.Time, host: row.RemoteHost ?? '', line: row.TTY ?? '' });
      }
      expect(got.nobody).toBeNull();
    });
  });
});

interface SessionFacts { user: string; line: string; host: string; login: number; logout: number | null; end: string }
interface LastLoginFacts { time: number; host: string; line: string }

function byLogin(list: SessionFacts[]): SessionFacts[] {
  return [...list].sort((a, b) => a.login - b.login);
}

/**
 * The user sessions as the oracles see them: rows from sqlite3, and how each
 * ended from `wtmpdb last -w` (a time range, crash, or still logged in).
 */
function expectedSessions(): SessionFacts[] {
  const rows = bed.sqliteJson<{ User: string; Login: number; Logout: number | null; TTY: string | null; RemoteHost: string | null }>(
    bed.WTMPDB, 'SELECT User, Login, Logout, TTY, RemoteHost FROM wtmp WHERE Type = 3');
  const text = bed.out(['wtmpdb', 'last', '-w', '--time-format', 'iso']);
  return rows.map((r) => {
    const line = text.split('\n').find((l) => l.startsWith(`${r.User} `) && l.includes(isoTime(r.Login)))!;
    const end = /- crash/.test(line) ? 'crash' : /- still logged in/.test(line) ? 'still logged in' : 'logout';
    return {
      user: r.User, line: r.TTY ?? '', host: r.RemoteHost ?? '', login: Math.floor(r.Login / 1000),
      // A crash ends where the next boot began: take that from the boots the oracle lists.
      logout: r.Logout !== null ? Math.floor(r.Logout / 1000) : end === 'crash' ? nextBoot(r.Login) : null,
      end,
    };
  });
}

function nextBoot(usec: number): number {
  const boots = bed.sqliteJson<{ Login: number }>(bed.WTMPDB, `SELECT Login FROM wtmp WHERE Type = 1 AND Login > ${usec} ORDER BY Login LIMIT 1`);
  return Math.floor(boots[0].Login / 1000);
}
