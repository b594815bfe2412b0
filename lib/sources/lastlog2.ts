/**
 * Last logins from lastlog2 (`/var/lib/lastlog/lastlog2.db`), util-linux's
 * SQLite successor of lastlog: `Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER,
 * TTY TEXT, RemoteHost TEXT, Service TEXT)`, one row per user name, Time in
 * seconds (0: never logged in).
 *
 * Read in batches ordered by name (as `lastlog2` lists them), each batch its
 * own short statement that goes on after the exact key of the last row.
 */
import { LASTLOG2_PATH } from '../platform/platform';
import { type Rows, batchedAsync, readRows, readRowsAsync } from './sqlite';


/** One row of the Lastlog2 table, as stored. */
export interface Lastlog2Row {
  /** The user name (column `Name`; a BLOB is read as its bytes, as `lastlog2` prints it). */
  user: string;
  /**
   * Seconds since the epoch; 0 when the user never logged in. A Time that is
   * not a whole number (text, a real) is read as `lastlog2` reads it, by its
   * leading digits (strtoll), and kept as stored in `invalidTime`.
   */
  time: number;
  /** The line as recorded (column `TTY`): `pts/0`, or `ssh` for an ssh login. */
  line: string | null;
  /** The remote host (column `RemoteHost`). */
  host: string | null;
  service: string | null;
  /** The stored Time, as text, when it is not a whole number of seconds (`lastlog2` says "Invalid numeric time entry"). */
  invalidTime?: string;
  /** `time` exactly, in decimal, when a number cannot carry it (beyond 2^53 s, some 285 million years). */
  exactTime?: string;
}

const BATCH_ROWS = 4096;
// Time as text too when a number would not carry it exactly (a real, a text,
// an integer beyond 2^53): read as lastlog2 reads it (parseTime).
const TIME_TEXT = "CASE WHEN typeof(Time) = 'integer' AND Time BETWEEN -9007199254740991 AND 9007199254740991 THEN NULL ELSE CAST(Time AS TEXT) END";
const COLUMNS = `SELECT Name, Time, TTY, RemoteHost, Service, ${TIME_TEXT}`;
const ONE_SQL = `${COLUMNS} FROM Lastlog2 WHERE Name = ?1`;
/**
 * The key of a row, to go on after it: its name as an SQL literal that is
 * exactly the stored value (a TEXT through its bytes, so text that is not
 * UTF-8 survives the trip through JavaScript; a BLOB as X'..'; quote() keeps
 * numbers exact), and its rowid (as text: exact), which orders rows of
 * equal names. A name read back as a string would not do: a BLOB sorts
 * after every TEXT, so `Name > 'its text'` would give it again, for ever.
 */
const KEY = `'(' || CASE typeof(Name) WHEN 'text' THEN 'CAST(X''' || hex(Name) || ''' AS TEXT)' ELSE quote(Name) END || ', ' || rowid || ')'`;
/** As liblastlog2 lists them (ORDER BY Name ASC); a row without a name is no one's last login (and crashes lastlog2). */
const PAGE_SQL = (after: string) =>
  `${COLUMNS}, ${KEY} FROM Lastlog2 WHERE Name IS NOT NULL${after} ORDER BY Name, rowid LIMIT ${BATCH_ROWS}`;

/** strtoll(text) as lastlog2 reads Time, and whether all of it was a number. */
function parseTime(text: string | null): { time: bigint; valid: boolean } {
  const m = text === null ? null : /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(text);
  if (m === null) return { time: 0n, valid: false };
  const value = BigInt(m[1]);
  const fits = value >= -(2n ** 63n) && value < 2n ** 63n;
  const clamped = fits ? value : value < 0n ? -(2n ** 63n) : 2n ** 63n - 1n;
  return { time: clamped, valid: fits && m[0].length === text!.length };
}

function toRows(rows: Rows): Lastlog2Row[] {
  const out: Lastlog2Row[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const timeText = rows.text(r, 5);
    const row: Lastlog2Row = {
      user: rows.text(r, 0) ?? String(rows.number(r, 0)),
      time: rows.number(r, 1) ?? 0,
      line: rows.text(r, 2),
      host: rows.text(r, 3),
      service: rows.text(r, 4),
    };
    // Not an integer a number carries exactly: a real, a text, a huge integer, or NULL.
    if (timeText !== null || rows.number(r, 1) === null) {
      const { time, valid } = parseTime(timeText);
      row.time = Number(time);
      if (BigInt(row.time) !== time) row.exactTime = String(time);
      if (!valid) row.invalidTime = timeText ?? 'NULL';
    }
    out[r] = row;
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

/**
 * The batches of one pass in name order, as a plan the sync and async
 * readers both follow: `sql()` is the next read (null when done), `accept()`
 * takes its rows.
 */
class NameScan {
  private after = '';
  private finished = false;
  private lastKey: string | null = null;

  sql(): string | null {
    return this.finished ? null : PAGE_SQL(this.after);
  }

  accept(batch: Rows): Lastlog2Row[] {
    const n = batch.length;
    if (batch.complete || n === 0) {
      this.finished = true;
    } else {
      const key = batch.text(n - 1, 6)!;
      // Keys only grow; the same one twice would read the same batch for ever.
      if (key === this.lastKey) throw new Error('lastlog2: the read made no progress (the table sorts its rows in no stable order)');
      this.lastKey = key;
      this.after = ` AND (Name, rowid) > ${key}`;
    }
    return toRows(batch);
  }
}

/** Every row, by name (as `lastlog2` lists them), never-logged-in users included. */
export function* lastlog2Rows(path: string = LASTLOG2_PATH): Generator<Lastlog2Row, void, undefined> {
  const scan = new NameScan();
  for (let sql = scan.sql(); sql; sql = scan.sql()) yield* scan.accept(readRows(path, sql, [], BATCH_ROWS));
}

/** {@link lastlog2Rows}, each batch read on the libuv thread pool. */
export function lastlog2RowsAsync(path: string = LASTLOG2_PATH): AsyncIterableIterator<Lastlog2Row> {
  const scan = new NameScan();
  return batchedAsync(async () => {
    const sql = scan.sql();
    return sql === null ? null : scan.accept(await readRowsAsync(path, sql, [], BATCH_ROWS));
  });
}

/** This machine's accounts (platform/accounts.ts): lastlog2 is keyed by name, so uids are looked up there. */
export { Accounts } from '../platform/accounts';
