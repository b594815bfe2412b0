/**
 * 64-bit times a JavaScript number rounds (issue 21): lastlog2 and wtmpdb keep
 * integers, and beyond 2^53 a number is not the value stored (INT64_MAX - 1000,
 * which liblastlog2's own y2038 test writes, reads as 9223372036854775000).
 * Databases written by Python's sqlite3; Python (its integers and datetime,
 * and SQLite's own ORDER BY) says what each value and order is.
 * test/modern/big-times.test.ts holds the CLI to `wtmpdb last` and `lastlog2`.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { LastlogFile, type WtmpdbRow, sessions, wtmpdbRows, wtmpdbRowsAsync } from '../lib';
import { utmpx } from './helpers/cli-run';
import { schemaProblems } from './helpers/json-schema';
import { describeWith } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';

function python(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

const WRITE = `
import sqlite3, sys
FAR = 2**63 - 1 - 1000
P53 = 2**53
w = sqlite3.connect(sys.argv[1])
w.execute("CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT")
w.executemany("INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?,?,?,?,?,?,?)", [
  (3, 'old', 1700000000000000, 1700000060000000, 'pts/1', '10.0.0.1', 'sshd'),
  (1, 'reboot', FAR - 10, None, '~', '6.12.0', None),
  (3, 'alice', FAR - 5, FAR, 'pts/0', '10.0.0.5', 'sshd'),
  (3, 'bob', FAR - 3, None, 'ssh', '', 'sshd'),
  # equal as numbers (2^53 + 4), not as integers
  (3, 'ivy', P53 + 5, None, 'pts/4', '', 'sshd'),
  (3, 'hal', P53 + 3, None, 'pts/5', '', 'sshd'),
  (3, 'gus', P53 + 1, P53 + 5, 'pts/6', '', 'sshd'),
  (3, 'dan', P53 + 1, P53 + 3, 'pts/2', '', 'sshd'),
  # the last microsecond of the year 9999: a number rounds it into the year 10000
  (3, 'eve', 253402300799999999, 253402300800000001, 'pts/3', '', 'sshd'),
  (3, 'carol', -FAR, -FAR + 60, 'tty1', '', 'login'),
])
w.commit()
l = sqlite3.connect(sys.argv[2])
l.execute("CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)")
l.executemany("INSERT INTO Lastlog2 VALUES (?,?,?,?,?)", [
  ('root', FAR, 'ssh', '10.0.0.5', 'sshd'), ('daemon', -FAR, 'tty1', '', 'login'), ('dan', P53 + 1, 'pts/2', '', 'sshd'),
  ('eve', P53 - 1, 'pts/3', '', 'sshd'), ('fay', 1700000000, 'tty1', '', 'login'),
])
l.commit()
`;

/** Python's reading of a query: each row's cells as text (its integers are exact). */
const QUERY = `
import sqlite3, sys, json
print(json.dumps([[str(v) for v in row] for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]))
`;
const query = (db: string, sql: string) => JSON.parse(python(QUERY, db, sql)) as string[][];

/** Digits beside a number only where the number is not the value. */
const exactOrNumber = (digits: string | undefined, n: number) => {
  if (digits !== undefined) expect(BigInt(n)).not.toBe(BigInt(digits));
  return digits ?? String(n);
};

describeWith('python3')('times beyond 2^53, written by Python\'s sqlite3', () => {
  let dir: string;
  let cleanup: () => void;
  let wtmp: string;
  let lastlog2: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('utmpx-big-times-'));
    wtmp = path.join(dir, 'wtmp.db');
    lastlog2 = path.join(dir, 'lastlog2.db');
    python(WRITE, wtmp, lastlog2);
  });
  afterAll(() => cleanup());

  test('LastlogFile: exactTime beside time where time is rounded, and only there', () => {
    const stored = query(lastlog2, 'SELECT Name, Time FROM Lastlog2').sort();
    const entries = new LastlogFile(lastlog2, { onWarning: () => {} }).toArray();
    expect(entries.map((e) => [e.user!, exactOrNumber(e.exactTime, e.time)]).sort()).toEqual(stored);
    expect(entries.filter((e) => e.exactTime !== undefined).map((e) => e.user).sort()).toEqual(['daemon', 'dan', 'root']);
  });

  test('utmpx lastlog --json and --ndjson carry exactTime', () => {
    const stored = query(lastlog2, 'SELECT Name, Time FROM Lastlog2').sort();
    for (const format of ['--json', '--ndjson']) {
      const out = utmpx('lastlog', format, '-f', lastlog2).stdout;
      // --ndjson: the entries, then a line for each warning.
      const entries = (format === '--json' ? JSON.parse(out) : out.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => 'user' in e)) as
        { user: string; time: number; exactTime?: string }[];
      expect([format, entries.map((e) => [e.user, exactOrNumber(e.exactTime, e.time)]).sort()]).toEqual([format, stored]);
      expect(schemaProblems(path.join(__dirname, '../schema/lastlog.schema.json'), entries)).toEqual([]);
    }
  });

  test('wtmpdbRows: exactLogin and exactLogout beside the numbers, sync and async', async () => {
    const stored = query(wtmp, 'SELECT User, Login, coalesce(Logout, \'open\') FROM wtmp ORDER BY ID');
    const mine = (rows: Iterable<WtmpdbRow>) =>
      [...rows].map((r) => [r.user, exactOrNumber(r.exactLogin, r.login), r.logout === null ? 'open' : exactOrNumber(r.exactLogout, r.logout)]);
    expect(mine(wtmpdbRows(wtmp))).toEqual(stored);
    const async: WtmpdbRow[] = [];
    for await (const r of wtmpdbRowsAsync(wtmp)) async.push(r);
    expect(mine(async)).toEqual(stored);
  });

  test('newest first: SQLite\'s own order of the exact values (ORDER BY Login DESC, Logout ASC), in the library and in utmpx last', () => {
    const order = query(wtmp, 'SELECT User FROM wtmp ORDER BY Login DESC, Logout ASC, ID').map(([u]) => u);
    expect([...wtmpdbRows(wtmp, { newestFirst: true })].map((r) => r.user)).toEqual(order);
    const lines = utmpx('last', '-f', wtmp).stdout.split('\n').filter((l) => /^\S/.test(l) && !l.includes(' begins '));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(order);
  });

  test('sessions: each Date is the exact time\'s millisecond (Python\'s datetime says which)', () => {
    const expected = JSON.parse(python(`
import sqlite3, sys, json, datetime
epoch = datetime.datetime(1970, 1, 1)
iso = lambda us: (epoch + datetime.timedelta(microseconds=us)).isoformat(timespec='milliseconds') + 'Z'
last = 253402300800000000  # datetime ends with the year 9999
print(json.dumps({u: [iso(a), iso(b) if b < last else None] for u, a, b in sqlite3.connect(sys.argv[1]).execute("SELECT User, Login, Logout FROM wtmp WHERE User IN ('eve', 'dan', 'gus')")}))
`, wtmp)) as Record<string, [string, string | null]>;
    const got = Object.fromEntries([...sessions(wtmp, { onWarning: () => {} })].filter((s) => s.user in expected)
      .map((s) => [s.user, [s.login.toISOString(), expected[s.user][1] && s.logout!.toISOString()]]));
    expect(got).toEqual(expected);
  });
});
