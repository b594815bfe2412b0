/**
 * Last logins from lastlog2 (`/var/lib/lastlog/lastlog2.db`), util-linux's
 * SQLite successor of lastlog: `Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER,
 * TTY TEXT, RemoteHost TEXT, Service TEXT)`, one row per user name, Time in
 * seconds (0: never logged in).
 *
 * Read in batches ordered by name (keyset on the primary key, as `lastlog2`
 * lists them), each batch its own short statement.
 */
import * as fs from 'fs';
import { LASTLOG2_PATH } from '../platform';
import { type Param, type Rows, batchedAsync, readRows, readRowsAsync } from './sqlite';


/** One row of the Lastlog2 table, as stored. */
export interface Lastlog2Row {
  /** The user name (column `Name`). */
  user: string;
  /** Seconds since the epoch; 0 when the user never logged in. */
  time: number;
  /** The line as recorded (column `TTY`): `pts/0`, or `ssh` for an ssh login. */
  line: string | null;
  /** The remote host (column `RemoteHost`). */
  host: string | null;
  service: string | null;
}

const BATCH_ROWS = 4096;
const COLUMNS = 'SELECT Name, Time, TTY, RemoteHost, Service FROM Lastlog2';
const ONE_SQL = `${COLUMNS} WHERE Name = ?1`;
const FIRST_SQL = `${COLUMNS} ORDER BY Name LIMIT ?1`;
const NEXT_SQL = `${COLUMNS} WHERE Name > ?1 ORDER BY Name LIMIT ?2`;

function toRows(rows: Rows): Lastlog2Row[] {
  const out: Lastlog2Row[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    out[r] = {
      user: rows.text(r, 0) ?? String(rows.number(r, 0)),
      time: rows.number(r, 1) ?? 0,
      line: rows.text(r, 2),
      host: rows.text(r, 3),
      service: rows.text(r, 4),
    };
  }
  return out;
}

/** The row of one user name, or null. */
export function lastlog2Row(path: string, name: string): Lastlog2Row | null {
  return toRows(readRows(path, ONE_SQL, [name], 1))[0] ?? null;
}

/** {@link lastlog2Row} on the libuv thread pool. */
export async function lastlog2RowAsync(path: string, name: string): Promise<Lastlog2Row | null> {
  return toRows(await readRowsAsync(path, ONE_SQL, [name], 1))[0] ?? null;
}

// The batches of one pass in name order: the sync and async readers both follow it.
function nextBatch(last: string | null): [string, Param[]] {
  return last === null ? [FIRST_SQL, [BATCH_ROWS]] : [NEXT_SQL, [last, BATCH_ROWS]];
}

/** Every row, by name (as `lastlog2` lists them), never-logged-in users included. */
export function* lastlog2Rows(path: string = LASTLOG2_PATH): Generator<Lastlog2Row, void, undefined> {
  let last: string | null = null;
  for (;;) {
    const [sql, params] = nextBatch(last);
    const batch = readRows(path, sql, params, BATCH_ROWS);
    const rows = toRows(batch);
    yield* rows;
    if (batch.complete || rows.length === 0) return;
    last = rows[rows.length - 1].user;
  }
}

/** {@link lastlog2Rows}, each batch read on the libuv thread pool. */
export function lastlog2RowsAsync(path: string = LASTLOG2_PATH): AsyncIterableIterator<Lastlog2Row> {
  let last: string | null = null;
  let finished = false;
  return batchedAsync(async () => {
    if (finished) return null;
    const [sql, params] = nextBatch(last);
    const batch = await readRowsAsync(path, sql, params, BATCH_ROWS);
    const rows = toRows(batch);
    if (batch.complete || rows.length === 0) finished = true;
    else last = rows[rows.length - 1].user;
    return rows;
  });
}

/**
 * This machine's accounts from /etc/passwd (name to uid and back; the first
 * line wins, as getpwnam does). lastlog2 is keyed by name, so uids are looked
 * up here; other NSS sources are not asked.
 */
export class Accounts {
  private readonly byName = new Map<string, number>();
  private readonly byUid = new Map<number, string>();

  constructor(file = '/etc/passwd') {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // No user database: no names are known.
    }
    for (const line of text.split('\n')) {
      const [name, , uidText] = line.split(':');
      if (!name || uidText === undefined || !/^\d+$/.test(uidText)) continue;
      const uid = Number(uidText);
      if (!this.byName.has(name)) this.byName.set(name, uid);
      if (!this.byUid.has(uid)) this.byUid.set(uid, name);
    }
  }

  uid(name: string): number | null {
    return this.byName.get(name) ?? null;
  }

  name(uid: number): string | null {
    return this.byUid.get(uid) ?? null;
  }
}
