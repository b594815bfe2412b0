/**
 * Forensics on a machine without libwtmpdb: a wtmp.db and a lastlog2.db
 * written in the Debian 13 root (by libwtmpdb and liblastlog2) are copied out
 * and read by path on this host (Debian 12: no wtmpdb, no lastlog2) with the
 * host's node. The host must print what wtmpdb last and lastlog2 printed
 * inside the root for the same files (at the same path, since wtmpdb names
 * the file in its last line). Only root is asked for by name: other accounts
 * differ between the two machines, and lastlog2 -u looks the name up.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as bed from './bed';
import { HISTORY, LASTLOG, LAST_ARGS, LASTLOG_ARGS } from './histories';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const REPO = path.join(__dirname, '../..');
// The same absolute path on the host and inside the root.
const DIR = fs.mkdtempSync('/tmp/utmpx-modern-copy-');
const WTMP_COPY = path.join(DIR, 'history.db');
const LASTLOG_COPY = path.join(DIR, 'logins.db');

beforeAll(() => {
  bed.resetState();
  bed.ensureAccounts(['alice', 'bob']);
  bed.writeWtmpdb(bed.WTMPDB, HISTORY);
  bed.writeLastlog2(bed.LASTLOG2, LASTLOG);
  fs.copyFileSync(path.join(bed.ROOT, 'var/log/wtmp.db'), WTMP_COPY);
  fs.copyFileSync(path.join(bed.ROOT, 'var/lib/lastlog/lastlog2.db'), LASTLOG_COPY);
  fs.mkdirSync(path.join(bed.ROOT, DIR), { recursive: true });
  fs.copyFileSync(WTMP_COPY, path.join(bed.ROOT, WTMP_COPY));
  fs.copyFileSync(LASTLOG_COPY, path.join(bed.ROOT, LASTLOG_COPY));
});

afterAll(() => fs.rmSync(DIR, { recursive: true, force: true }));

/** The CLI on this host, with this host's node, in UTC. */
function hostUtmpx(args: string[]): { stdout: string; status: number | null } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist/cli/main.js'), ...args], {
    encoding: 'utf8', env: { PATH: process.env.PATH, TZ: 'UTC', LC_ALL: 'C.UTF-8' },
  });
  return { stdout: r.stdout, status: r.status };
}

test('the host has no wtmpdb or lastlog2 library: only the copied files', () => {
  const libs = spawnSync('sh', ['-c', 'ldconfig -p | grep -E "libwtmpdb|liblastlog2" || true'], { encoding: 'utf8' }).stdout;
  expect(libs).toBe('');
  expect(bed.out(['wtmpdb', 'last', '-f', WTMP_COPY])).toMatch(/^alice /m); // the copy inside the root is the history
});

test.each(LAST_ARGS.map((a) => [a.join(' ')]))('utmpx last -f COPY %s on the host prints what wtmpdb last printed in the root', (joined) => {
  const args = ['-f', WTMP_COPY, ...(joined ? joined.split(' ') : [])];
  const oracle = bed.run(['wtmpdb', 'last', ...args]);
  const mine = hostUtmpx(['last', ...args]);
  expect(mine.stdout).toBe(oracle.stdout);
  expect(mine.status).toBe(oracle.status);
});

test.each(LASTLOG_ARGS.filter((a) => !a.length || a[1] === 'root').map((a) => [a.join(' ')]))(
  'utmpx lastlog -f COPY %s on the host prints what lastlog2 -d printed in the root', (joined) => {
    const args = joined ? joined.split(' ') : [];
    const oracle = bed.run(['lastlog2', '-d', LASTLOG_COPY, ...args]);
    const mine = hostUtmpx(['lastlog', '-f', LASTLOG_COPY, ...args]);
    expect(mine.stdout).toBe(oracle.stdout);
    expect(mine.status).toBe(oracle.status);
  });

test('sessions(COPY) and lastLogin(name, COPY) on the host give the rows sqlite3 reads in the root', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const utmpx = require(path.join(REPO, 'dist')) as typeof import('../../lib');
  const rows = bed.sqliteJson<{ User: string; Login: number; TTY: string; RemoteHost: string | null }>(
    WTMP_COPY, 'SELECT User, Login, TTY, RemoteHost FROM wtmp WHERE Type = 3 ORDER BY Login');
  const logins = [...utmpx.sessions(WTMP_COPY)].filter((s) => s.kind === 'login')
    .map((s) => ({ User: s.user, Login: s.login.getTime(), TTY: s.line, RemoteHost: s.host || null }))
    .sort((a, b) => a.Login - b.Login);
  expect(logins).toEqual(rows.map((r) => ({ ...r, Login: Math.floor(r.Login / 1000) })));
  for (const row of bed.sqliteJson<{ Name: string; Time: number; RemoteHost: string | null }>(LASTLOG_COPY, 'SELECT Name, Time, RemoteHost FROM Lastlog2')) {
    const e = utmpx.lastLogin(row.Name, LASTLOG_COPY);
    expect({ name: row.Name, time: e?.time, host: e?.host || null }).toEqual({ name: row.Name, time: row.Time, host: row.RemoteHost });
  }
});
