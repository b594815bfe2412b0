/**
 * wtmp.db row IDs a JavaScript number rounds (issue 21): an ID is a 64-bit
 * integer, and a writer may give one explicitly. 20,000 rows with IDs from
 * 2^62 (where a number's step is 1024), written by Python's sqlite3, lost rows
 * (19,999 read) and made `utmpx last` warn of deletions that never happened.
 * Python's own read of the database (its integers are exact) is the oracle.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { type UtmpWarning, type WatchEvent, type WtmpdbRow, sessions, sessionsAsync, watch, wtmpdbRows, wtmpdbRowsAsync } from '../lib';
import { readRows } from '../lib/sources/sqlite';
import { utmpx } from './helpers/cli-run';
import { describeWith } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';
import { EventReader } from './helpers/watch';

function python(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * argv: path, number of rows from 2^62. Users are unique (u<i>), so order is
 * checked by user. Some logins are out of order (the newest-first reader holds
 * those rows), some rows open, a boot now and then; and the extreme IDs.
 */
const WRITE = `
import sqlite3, sys
n = int(sys.argv[2])
S = 1000000
BASE = 1700000000 * S
rows = []
for i in range(n):
    login = BASE + i * S if i % 997 else BASE - i * S
    logout = None if i % 7 == 0 else login + 60 * S
    boot = i % 5000 == 4999
    rows.append((2**62 + i, 1 if boot else 3, 'u%d' % i, login, logout, '~' if boot else 'pts/%d' % (i % 50), '10.0.0.1', 'sshd'))
rows += [(-2**63, 3, 'lowest', BASE - 9 * S, BASE - 8 * S, 'tty1', '', 'login'), (1, 3, 'one', BASE - 7 * S, BASE - 6 * S, 'tty2', '', 'login'),
         (2**53 + 1, 3, 'above53', BASE - 5 * S, None, 'tty3', '', 'login'), (2**63 - 1, 3, 'highest', BASE + (n + 5) * S, None, 'pts/9', '', 'sshd')]
w = sqlite3.connect(sys.argv[1])
w.execute("CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT")
w.executemany("INSERT INTO wtmp VALUES (?,?,?,?,?,?,?,?)", rows)
w.commit()
`;

/** Python's reading of a query: each row's cells as text (its integers are exact). */
const QUERY = `
import sqlite3, sys, json
print(json.dumps([[str(v) for v in row] for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]))
`;
const query = (db: string, sql: string) => JSON.parse(python(QUERY, db, sql)) as string[][];

/** A row's ID exactly, as the library gives it. */
const idOf = (r: WtmpdbRow) => {
  // Digits only beyond 2^53, where a number may not be the value (the addon's rule for every integer cell).
  if (r.exactId !== undefined) expect([r.exactId, BigInt(r.exactId) > 2n ** 53n || BigInt(r.exactId) < -(2n ** 53n)]).toEqual([r.exactId, true]);
  return r.exactId ?? String(r.id);
};
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describeWith('python3')('wtmp.db row IDs beyond 2^53, written by Python\'s sqlite3', () => {
  let dir: string;
  let cleanup: () => void;
  let db: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('utmpx-big-ids-'));
    db = path.join(dir, 'wtmp.db');
    python(WRITE, db, '20000');
  });
  afterAll(() => cleanup());

  test('wtmpdbRows: every row once, with its exact ID, in ID order and newest first, sync and async; no warning', async () => {
    const byId = query(db, 'SELECT ID, User FROM wtmp ORDER BY ID');
    const newest = query(db, 'SELECT ID, User FROM wtmp ORDER BY Login DESC, Logout ASC, ID');
    expect(byId.length).toBe(20004);
    const warnings: UtmpWarning[] = [];
    const onWarning = (w: UtmpWarning) => warnings.push(w);
    const mine = (rows: WtmpdbRow[]) => rows.map((r) => [idOf(r), r.user]);
    expect(mine([...wtmpdbRows(db, { onWarning })])).toEqual(byId);
    expect(mine(await collect(wtmpdbRowsAsync(db, { onWarning })))).toEqual(byId);
    expect(mine([...wtmpdbRows(db, { onWarning, newestFirst: true })])).toEqual(newest);
    expect(mine(await collect(wtmpdbRowsAsync(db, { onWarning, newestFirst: true })))).toEqual(newest);
    expect(warnings).toEqual([]);
  });

  test('sessions(): one for each user and boot row, in ID order and newest first, sync and async; no warning', async () => {
    const byId = query(db, 'SELECT User FROM wtmp WHERE Type IN (1, 3) ORDER BY ID').map(([u]) => u);
    const newest = query(db, 'SELECT User FROM wtmp WHERE Type IN (1, 3) ORDER BY Login DESC, Logout ASC, ID').map(([u]) => u);
    const warnings: UtmpWarning[] = [];
    const onWarning = (w: UtmpWarning) => warnings.push(w);
    expect([...sessions(db, { onWarning })].map((s) => s.user)).toEqual(byId);
    expect((await collect(sessionsAsync(db, { onWarning }))).map((s) => s.user)).toEqual(byId);
    expect([...sessions(db, { onWarning, newestFirst: true })].map((s) => s.user)).toEqual(newest);
    expect((await collect(sessionsAsync(db, { onWarning, newestFirst: true }))).map((s) => s.user)).toEqual(newest);
    expect(warnings).toEqual([]);
  });

  test('the addon binds a bigint exactly as a 64-bit integer, and refuses one that does not fit', () => {
    const id = 2n ** 62n + 12345n;
    const rows = readRows(db, 'SELECT ID, User FROM wtmp WHERE ID = ?1', [id], 2);
    expect([rows.length, rows.exact(0, 0), rows.text(0, 1)]).toEqual([1, String(id), query(db, `SELECT User FROM wtmp WHERE ID = ${id}`)[0][0]]);
    expect(() => readRows(db, 'SELECT ?1', [2n ** 63n], 1)).toThrow(/fit 64 bits/);
  });

  test('utmpx last -f: every row, newest first, and no false ROWS_DELETED', () => {
    const newest = query(db, 'SELECT User FROM wtmp WHERE Type IN (1, 3) ORDER BY Login DESC, Logout ASC, ID').map(([u]) => u);
    const r = utmpx('last', '-f', db);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n').filter((l) => /^\S/.test(l) && !l.includes(' begins '));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(newest);
  });
});

describeWith('python3')('watch() on a wtmp.db whose IDs are beyond 2^53', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-big-ids-watch-')));
  afterEach(() => cleanup());

  const sql = (db: string, script: string) => python(`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript(sys.argv[2])
c.commit()
`, db, script);

  test('replays every row once across batches, follows a logout of a big ID, and resumes from its position', async () => {
    const db = path.join(dir, 'wtmp.db');
    python(WRITE, db, '2100'); // more than a batch of the watch's reads
    const expected: [string, string][] = [];
    // A watch reads the rows after ID 0 (wtmpdb's IDs start at 1): 'lowest' (ID -2^63) is not an event.
    for (const [type, user, logout] of query(db, 'SELECT Type, User, Logout FROM wtmp WHERE ID > 0 ORDER BY ID')) {
      expected.push([type === '1' ? 'boot' : 'login', user]);
      if (logout !== 'None') expected.push([type === '1' ? 'shutdown' : 'logout', type === '1' ? 'shutdown' : user]);
    }
    const w = watch({ files: [db], since: new Date(-8.64e15) });
    const r = new EventReader(w);
    let last: WatchEvent;
    try {
      const events = await r.events(expected.length, 60_000);
      expect(events.map((e) => [e.type, e.user])).toEqual(expected);
      expect(await r.within(300)).toEqual([]);
      // 'highest' (ID 2^63 - 1) and 'above53' (2^53 + 1) are open: their logouts are followed.
      sql(db, `UPDATE wtmp SET Logout = Login + 1000000 WHERE User IN ('highest', 'above53')`);
      const logouts = await r.events(2);
      expect(logouts.map((e) => [e.type, e.user]).sort()).toEqual([['logout', 'above53'], ['logout', 'highest']]);
      last = logouts[1];
      expect(r.warnings).toEqual([]);
    } finally {
      await w.close();
    }
    // Resumed from the JSON of its position: nothing is repeated, a new row below the highest ID is not taken for new.
    const again = watch({ files: [db], position: JSON.parse(JSON.stringify(last.position)) });
    const ra = new EventReader(again);
    try {
      expect(await ra.within(500)).toEqual([]);
      expect(ra.warnings).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
