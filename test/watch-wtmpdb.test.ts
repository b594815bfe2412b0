/**
 * watch() on a wtmp.db written by Python's sqlite3 with wtmpdb's schema, as
 * libwtmpdb writes it: a login inserts a row, its logout later sets the
 * row's Logout, a boot inserts a Type 1 row that `wtmpdb shutdown` closes.
 * Python reads the rows back as the oracle of each event's fields.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type WatchEvent, watch } from '../lib';
import { tempDir } from './helpers/utmpdump';
import { EventReader } from './helpers/watch';

const WTMP_SCHEMA = 'CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, ' +
  'Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT';
const S = 1_000_000;
const BASE = 1_700_000_000 * S;

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-watch-wtmpdb-')));
afterEach(() => cleanup());

/** Runs `script` (SQL statements) in one transaction on `db`, as another process. */
function sql(db: string, script: string, journal = 'delete'): string {
  const r = spawnSync('python3', ['-c', `
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('PRAGMA journal_mode=' + sys.argv[3])
rows = []
c.execute('BEGIN')
for stmt in [s for s in sys.argv[2].split(';') if s.strip()]:
    rows += c.execute(stmt).fetchall()
c.execute('COMMIT')
c.close()
print(json.dumps(rows))
`, db, script, journal], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

const login = (type: number, user: string, us: number, tty: string | null, host: string | null, service: string | null) =>
  `INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(${type}, '${user}', ${us}, NULL, ` +
  `${tty === null ? 'NULL' : `'${tty}'`}, ${host === null ? 'NULL' : `'${host}'`}, ${service === null ? 'NULL' : `'${service}'`});`;
const logout = (user: string, us: number) => `UPDATE wtmp SET Logout = ${us} WHERE User = '${user}' AND Logout IS NULL;`;

type Row = [number, number, string, number, number | null, string | null, string | null, string | null];
/** The rows as Python reads them. */
const rowsOf = (db: string): Row[] => JSON.parse(sql(db, 'SELECT ID, Type, User, Login, Logout, TTY, RemoteHost, Service FROM wtmp ORDER BY ID'));

/** Each event is the row Python reads back: fields, and the time at Login (login, boot) or Logout (logout, shutdown). */
function expectFromRows(events: WatchEvent[], db: string, expected: [WatchEvent['type'], string][]): void {
  const rows = rowsOf(db);
  expect(events.map((e) => [e.type, e.type === 'shutdown' ? 'shutdown' : e.user])).toEqual(expected);
  for (const e of events) {
    const row = rows.find((r) => r[0] === e.rowId)!;
    expect(row).toBeDefined();
    const [, type, user, loginUs, logoutUs, tty, host, service] = row;
    expect(e.source).toBe('wtmpdb');
    expect(e.path).toBe(db);
    expect(type).toBe(e.type === 'boot' || e.type === 'shutdown' ? 1 : 3);
    if (e.type !== 'shutdown') expect(e.user).toBe(user);
    expect(e.line).toBe(tty ?? '');
    expect(e.host).toBe(host ?? '');
    expect(e.service).toBe(service ?? undefined);
    const us = e.type === 'login' || e.type === 'boot' ? loginUs : logoutUs!;
    expect(e.time.getTime()).toBe(Math.floor(us / 1000));
  }
}

function newDb(journal = 'delete'): string {
  const db = path.join(dir, 'wtmp.db');
  sql(db, WTMP_SCHEMA + ';' + login(1, 'reboot', BASE, '~', '6.1.0-13-amd64', null) + login(3, 'alice', BASE + 60 * S, 'pts/0', '10.0.0.5', 'sshd'), journal);
  return db;
}

describe.each(['delete', 'wal'])('a wtmp.db (journal %s) written while watched', (journal) => {
  test('logins, logouts set later, a closed row, shutdown and boot: each exactly once, in order', async () => {
    const db = newDb(journal);
    const w = watch({ files: [db] });
    const r = new EventReader(w);
    try {
      expect(await r.within(300)).toEqual([]); // rows before the start are not replayed
      sql(db, login(3, 'bob', BASE + 120 * S, 'pts/1', '2001:db8::1', 'sshd'), journal);
      expectFromRows(await r.events(1), db, [['login', 'bob']]);
      sql(db, logout('alice', BASE + 180 * S), journal); // open before the watch began
      expectFromRows(await r.events(1), db, [['logout', 'alice']]);
      sql(db, login(3, 'carol', BASE + 200 * S, 'tty1', null, 'login') + logout('carol', BASE + 230 * S), journal);
      expectFromRows(await r.events(2), db, [['login', 'carol'], ['logout', 'carol']]);
      sql(db, logout('bob', BASE + 300 * S) + logout('reboot', BASE + 400 * S) + login(1, 'reboot', BASE + 500 * S, '~', '6.12.0', null), journal);
      const last = await r.events(3);
      expectFromRows(last, db, [['logout', 'bob'], ['shutdown', 'shutdown'], ['boot', 'reboot']]);
      expect(last[0].address).toBe('2001:db8::1');
      expect(await r.within(300)).toEqual([]);
      expect(r.warnings).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

test('resume from a stored position: nothing lost or repeated, also between a row\'s login and its logout', async () => {
  const db = newDb();
  let w = watch({ files: [db] });
  let r = new EventReader(w);
  sql(db, login(3, 'bob', BASE + 120 * S, 'pts/1', null, 'sshd') + login(3, 'carol', BASE + 200 * S, 'tty1', null, 'login') + logout('carol', BASE + 230 * S));
  const first = await r.events(2); // bob's login, carol's login; carol's logout not taken
  expectFromRows(first, db, [['login', 'bob'], ['login', 'carol']]);
  const stored = JSON.stringify(first[1].position);
  await w.close();

  // While nobody watches: alice and bob log out, dave logs in.
  sql(db, logout('alice', BASE + 300 * S) + logout('bob', BASE + 310 * S) + login(3, 'dave', BASE + 320 * S, 'pts/2', null, 'sshd'));
  w = watch({ files: [db], position: stored });
  r = new EventReader(w);
  try {
    const rest = await r.events(4);
    expectFromRows(rest, db, [['logout', 'carol'], ['logout', 'alice'], ['logout', 'bob'], ['login', 'dave']]);
    expect(await r.within(300)).toEqual([]);
    // Its position again: nothing more.
    const again = watch({ files: [db], position: rest[3].position });
    const ra = new EventReader(again);
    try {
      expect(await ra.within(300)).toEqual([]);
    } finally {
      await again.close();
    }
  } finally {
    await w.close();
  }
});

test('since replays the rows at or after the time, then follows', async () => {
  const db = newDb();
  sql(db, login(3, 'bob', BASE + 120 * S, 'pts/1', null, 'sshd') + logout('alice', BASE + 130 * S) + logout('bob', BASE + 140 * S));
  const w = watch({ files: [db], since: new Date((BASE + 100 * S) / 1000) });
  const r = new EventReader(w);
  try {
    // alice's login (60 s) and the boot are before `since`; her logout is after it.
    expectFromRows(await r.events(3), db, [['logout', 'alice'], ['login', 'bob'], ['logout', 'bob']]);
    sql(db, login(3, 'carol', BASE + 200 * S, 'tty1', null, 'login'));
    expectFromRows(await r.events(1), db, [['login', 'carol']]);
    expect(await r.within(200)).toEqual([]);
  } finally {
    await w.close();
  }
});

test('a burst of 1,000 logins in 5 transactions: 1,000 events in ID order', async () => {
  const db = newDb();
  const w = watch({ files: [db] });
  const r = new EventReader(w);
  try {
    for (let t = 0; t < 5; t++) {
      sql(db, Array.from({ length: 200 }, (_, i) => login(3, `u${t * 200 + i}`, BASE + (t * 200 + i) * S, 'pts/9', null, 'sshd')).join(''));
    }
    const events = await r.events(1000, 20_000);
    expect(events.map((e) => e.user)).toEqual(Array.from({ length: 1000 }, (_, i) => `u${i}`));
    expect(await r.within(200)).toEqual([]);
  } finally {
    await w.close();
  }
});

test('a database that does not exist yet: a warning, then its rows once it is made', async () => {
  const db = path.join(dir, 'wtmp.db');
  const w = watch({ files: [{ path: db, kind: 'wtmpdb' }], pollInterval: 50 });
  const r = new EventReader(w);
  try {
    await r.warning('ENOENT', 5000);
    sql(db, WTMP_SCHEMA + ';' + login(3, 'alice', BASE, 'pts/0', null, 'sshd'));
    expectFromRows(await r.events(1), db, [['login', 'alice']]);
  } finally {
    await w.close();
  }
});

test('a database removed and made anew (IDs start again): a warning, then its rows from the start, nothing twice', async () => {
  const db = newDb();
  const w = watch({ files: [db] });
  const r = new EventReader(w);
  try {
    sql(db, login(3, 'bob', BASE + 120 * S, 'pts/1', null, 'sshd') + login(3, 'carol', BASE + 130 * S, 'pts/2', null, 'sshd'));
    expectFromRows(await r.events(2), db, [['login', 'bob'], ['login', 'carol']]);
    fs.rmSync(db);
    sql(db, WTMP_SCHEMA + ';' + login(1, 'reboot', BASE + 900 * S, '~', '6.12.0', null) + login(3, 'dave', BASE + 960 * S, 'pts/0', null, 'sshd'));
    const events = await r.events(2);
    expect(r.warnings.map((x) => x.code)).toEqual(['ERR_UTMPX_WATCH_REPLACED']);
    expectFromRows(events, db, [['boot', 'reboot'], ['login', 'dave']]);
    expect(await r.within(300)).toEqual([]);
  } finally {
    await w.close();
  }
});

test('started and stopped 300 times: no descriptor or watcher left behind', async () => {
  const db = newDb();
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const warm = watch({ files: [db] });
  await new EventReader(warm).within(50);
  await warm.close();
  const handles = () => process.getActiveResourcesInfo().filter((x) => x === 'FSEventWrap' || x === 'Timeout').length;
  const before = fds();
  const handlesBefore = handles();
  for (let i = 0; i < 300; i++) {
    const w = watch({ files: [db] });
    if (i % 10 === 0) await new EventReader(w).within(5); // let some reads run
    await w.close();
  }
  expect(fds()).toBeLessThanOrEqual(before); // a leak would add up over 300 cycles; others in this process may close one meanwhile
  expect(handles()).toBeLessThanOrEqual(handlesBefore); // jest's own timers may end meanwhile
});

describe('a logout names its login (issue 20)', () => {
  test('the row\'s own login: user, line, host, address and Login time, as Python reads the row', async () => {
    const db = newDb();
    const w = watch({ files: [db] });
    const r = new EventReader(w);
    try {
      expect(await r.within(300)).toEqual([]);
      sql(db, logout('alice', BASE + 180 * S));
      const [out] = await r.events(1);
      const [, , user, loginUs, , tty, host] = rowsOf(db).find((row) => row[0] === out.rowId)!;
      expect(out).toMatchObject({ type: 'logout', ended: 'logout', user });
      expect(out.login).toEqual({ time: new Date(Math.floor(loginUs / 1000)), user, line: tty, host, address: host });
    } finally {
      await w.close();
    }
  });

  test('a user row still open at a later boot crashed: a logout at the boot\'s time, before the boot, and a resume after it does not repeat it', async () => {
    const db = newDb();
    const w = watch({ files: [db] });
    const r = new EventReader(w);
    let stored: string;
    try {
      expect(await r.within(300)).toEqual([]);
      sql(db, login(1, 'reboot', BASE + 500 * S, '~', '6.12.0', null)); // no shutdown, no logout: alice's session crashed
      const [crash, boot] = await r.events(2);
      const rows = rowsOf(db);
      const alice = rows.find((row) => row[2] === 'alice')!;
      const reboot = rows[rows.length - 1];
      expect(crash).toMatchObject({ type: 'logout', ended: 'crash', user: 'alice', line: 'pts/0', rowId: alice[0] });
      expect(crash.time.getTime()).toBe(Math.floor(reboot[3] / 1000));
      expect(crash.login?.time.getTime()).toBe(Math.floor(alice[3] / 1000));
      expect(boot).toMatchObject({ type: 'boot', rowId: reboot[0] });
      // Stored after the crash's logout, before the boot: the boot comes again, the crash does not.
      stored = JSON.stringify(crash.position);
    } finally {
      await w.close();
    }
    const again = watch({ files: [db], position: stored });
    const ra = new EventReader(again);
    try {
      const [again1] = await ra.events(1);
      expect(again1).toMatchObject({ type: 'boot' });
      expect(await ra.within(300)).toEqual([]);
    } finally {
      await again.close();
    }
  });

  test('since filters the replay only: a row added live with an old Login is an event', async () => {
    const db = newDb();
    const w = watch({ files: [db], since: new Date((BASE + 3600 * S) / 1000) });
    const r = new EventReader(w);
    try {
      expect(await r.within(300)).toEqual([]);
      sql(db, login(3, 'old', 0, 'pts/7', null, 'sshd'));
      const [e] = await r.events(1);
      expect(e).toMatchObject({ type: 'login', user: 'old', line: 'pts/7' });
      expect(e.time.getTime()).toBe(0);
    } finally {
      await w.close();
    }
  });
});
