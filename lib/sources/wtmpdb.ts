/**
 * Login history from wtmpdb (`/var/lib/wtmpdb/wtmp.db`), the SQLite successor
 * of wtmp on Debian 13, Ubuntu 25.10+, openSUSE and SLE 16:
 * `wtmp(ID INTEGER PRIMARY KEY, Type, User, Login, Logout, TTY, RemoteHost,
 * Service)`, times in microseconds since the epoch, `Logout` NULL while open.
 *
 * Rows are read in ID order, in batches (each its own short statement, keyed
 * on the primary key), up to the largest ID seen when the read began: rows a
 * writer adds meanwhile are left for the next read, and memory stays flat
 * however long the table is. Only the boot times are held (to tell a crash
 * from an open session). Rows deleted while a read runs (`wtmpdb rotate`) are
 * counted: a read ends with a ROWS_DELETED warning when it saw fewer rows up to
 * its largest ID than the table held when it began.
 *
 * Newest first (`wtmpdb last`'s order, `ORDER BY Login DESC, Logout ASC`,
 * with no index on Login) see {@link NewestScan}.
 */
import { net } from '../platform/node-modules';
import type { Session, SessionEnd, SessionKind } from '../model/session';
import type { HistorySource } from './history';
import { WTMPDB_PATH } from '../platform/platform';
import { MAX_DATE_MS } from '../model/entry';
import { type UtmpWarning, type WarningOptions, WarningSink, rowsDeleted, wtmpdbInvalidTime, timeOutOfRange, unorderedRows } from '../model/warnings';
import { type Param, type Rows, batchedAsync, exactDigits, readRows, readRowsAsync } from './sqlite';


/** wtmpdb's row types (the utmp numbers). */
export const WTMPDB_BOOT_TIME = 1;
export const WTMPDB_USER_PROCESS = 3;

/** One row of the wtmp table, as stored. */
export interface WtmpdbRow {
  /** The row's ID; beyond 2^53 a number rounds it: then `exactId` holds it. */
  id: number;
  /** `id` exactly, in decimal, where `id` is rounded (a writer chose an ID beyond 2^53); absent otherwise. */
  exactId?: string;
  /** 0 EMPTY, 1 BOOT_TIME, 2 RUNLEVEL, 3 USER_PROCESS. */
  type: number;
  user: string;
  /**
   * Microseconds since the epoch (exact up to the year 2255). A cell that is
   * not a 64-bit integer (REAL, TEXT, NULL) reads as 0, as libwtmpdb reads it
   * (an INVALID_TIME warning where the reader takes warnings).
   */
  login: number;
  /** Microseconds since the epoch, or null while the session is open (a REAL or TEXT cell: 0). */
  logout: number | null;
  /** `login` exactly, in decimal, where `login` is rounded (beyond 2^53 µs, after the year 2255); absent otherwise. */
  exactLogin?: string;
  /** `logout` exactly, in decimal, where `logout` is rounded; absent otherwise. */
  exactLogout?: string;
  /** The line as recorded (column `TTY`): `pts/0`, `~` for a boot. */
  line: string | null;
  /** The remote host (column `RemoteHost`); the kernel release for a boot. */
  host: string | null;
  service: string | null;
}

/** Rows handed over per statement: bounds the time a writer may wait, and memory. */
const BATCH_ROWS = 8192;
/**
 * Rows per statement newest first: fewer than BATCH_ROWS, so that a batch is
 * handed out before the garbage collector moves it to the old generation
 * (`utmpx last` over 1,000,000 rows: peak RSS 155 MB at 8192, 96 MB at 2048 with key
 * pages of 16384; 50 MB of it are Node and the library).
 */
const NEWEST_BATCH_ROWS = 2048;
/** (ID, Login) pairs per statement of the newest-first reader's first pass: two numbers a row. */
const KEY_PAGE_ROWS = 16384;
/**
 * Rows out of login order that the newest-first reader holds in memory at most
 * (and rows of one login time): beyond, it sorts the whole table in memory
 * and says so (UNORDERED_ROWS).
 */
export const MAX_HELD_ROWS = 100_000;

const MAX_ID_SQL = 'SELECT max(ID) FROM wtmp';
const COUNT_SQL = 'SELECT max(ID), count(*) FROM wtmp';
/** Boot times above ?2, ascending: paged on the time (a batch stops at 8 MB; equal times are one boot to the pairing). */
const BOOTS_SQL = 'SELECT Login FROM wtmp WHERE Type = 1 AND ID <= ?1 AND Login > ?2 ORDER BY Login';
const ROW_COLUMNS = 'ID, Type, User, Login, Logout, TTY, RemoteHost, Service';
const ROW_CELLS = 8;
const ROWS_SQL = `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID > ?1 AND ID <= ?2 ORDER BY ID LIMIT ?3`;
const ROWS_DESC_SQL = `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID < ?1 AND ID <= ?2 ORDER BY ID DESC LIMIT ?3`;
const KEYS_DESC_SQL = 'SELECT ID, Login FROM wtmp WHERE ID < ?1 AND ID <= ?2 ORDER BY ID DESC LIMIT ?3';
const rowsByIdSql = (n: number) => `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID IN (${new Array(n).fill('?').join(',')}) ORDER BY ID`;
/** IDs per `ID IN (...)` statement (SQLite's default limit on parameters is 999 before 3.32). */
const IDS_PER_READ = 500;
/** Rows still open since the last boot (an open row before it is a crash: nothing will close it). */
const OPEN_SQL = 'SELECT ID FROM wtmp WHERE Logout IS NULL AND Type IN (1, 3) AND ID <= ?1 AND ' +
  'ID >= coalesce((SELECT max(ID) FROM wtmp WHERE Type = 1 AND ID <= ?1), -9223372036854775808) ORDER BY ID DESC';
/** Open rows a watch follows at most (they are in every position; the oldest are let go). */
export const MAX_OPEN_ROWS = 10_000;
/** Bounds below and above every ID (bound as REAL infinities, which SQLite orders around every integer). */
const BELOW_EVERY_ID = -Infinity;
const ABOVE_EVERY_ID = Infinity;

/**
 * A row's ID exactly: a number up to 2^53, beyond it its decimal digits (IDs
 * are 64-bit and a writer may choose them; a number rounds them). Each ID has
 * one form, so Sets and Maps key on it.
 */
export type RowId = number | string;

/** A row's {@link RowId}. */
export const rowIdOf = (row: WtmpdbRow): RowId => row.exactId ?? row.id;

/** An ID as a statement's parameter, exactly (digits as a bigint, bound as a 64-bit integer). */
const idParam = (id: RowId): Param => (typeof id === 'number' ? id : BigInt(id));

/** -1, 0 or 1 as two IDs compare. */
export function compareIds(a: RowId, b: RowId): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The ID in cell `cell` of a batch (an ID is never NULL or text). */
const idAt = (rows: Rows, cell: number): RowId => {
  const t = rows.raw.texts[cell];
  return t < 0 ? rows.raw.numbers[cell] : rows.raw.strings[t];
};

/** The ID a `max(ID)` read found: null for an empty table. */
const maxIdOf = (rows: Rows): RowId | null => (rows.length && rows.number(0, 0) !== null ? idAt(rows, 0) : null);

interface Step {
  sql: string;
  params: Param[];
  maxRows: number;
}

type Report = (warning: UtmpWarning) => void;

/** SQLite's order keys of a row's Login and Logout cells when one is not an integer: NULL -Infinity, TEXT Infinity and its text. */
interface OddKeys {
  login: number;
  logout: number;
  loginText: string;
  logoutText: string;
}

/** The next key above the last row of a batch that is not complete (a batch that is not complete holds a row). */
function lastIdOf(rows: Rows, out: WtmpdbRow[]): RowId {
  if (out.length === 0) throw new Error(`a read of ${rows.length} rows returned none before its end`);
  return rowIdOf(out[out.length - 1]);
}

/**
 * The reads of one pass over the table, as a plan that the sync and async
 * readers both follow: `step()` says what to read next (null when done),
 * `accept()` takes its rows.
 */
class RowScan {
  private lastId: RowId = BELOW_EVERY_ID;
  private maxId: RowId | null = null;
  private finished = false;
  /** Rows up to maxId when the read began, and those this read saw. */
  private countAtStart = 0;
  private seen = 0;
  /** Boot times (µs, ascending), when wanted: null until all are read. */
  boots: number[] | null;
  private bootsSoFar: number[] = [];

  constructor(private readonly path: string, withBoots: boolean, private readonly report?: Report) {
    this.boots = withBoots ? null : [];
  }

  step(): Step | null {
    if (this.finished) return null;
    if (this.maxId === null) return { sql: COUNT_SQL, params: [], maxRows: 1 };
    if (this.boots === null) {
      const after = this.bootsSoFar.length ? this.bootsSoFar[this.bootsSoFar.length - 1] : -9e18;
      return { sql: BOOTS_SQL, params: [idParam(this.maxId), after], maxRows: 1e7 };
    }
    return { sql: ROWS_SQL, params: [idParam(this.lastId), idParam(this.maxId), BATCH_ROWS], maxRows: BATCH_ROWS };
  }

  accept(rows: Rows): WtmpdbRow[] {
    if (this.maxId === null) {
      const max = maxIdOf(rows);
      if (max === null) this.finished = true; // an empty table
      this.maxId = max ?? 0;
      this.countAtStart = rows.length ? rows.number(0, 1) ?? 0 : 0;
      return [];
    }
    if (this.boots === null) {
      const before = this.bootsSoFar.length;
      for (let r = 0; r < rows.length; r++) {
        const login = rows.number(r, 0);
        if (login !== null) this.bootsSoFar.push(login); // a TEXT time sorts above every number: not a boot time
      }
      if (rows.complete || this.bootsSoFar.length === before) this.boots = this.bootsSoFar;
      return [];
    }
    const out = rowsOf(rows, this.path, this.report);
    this.seen += out.length;
    if (rows.complete) {
      this.finished = true;
      if (this.seen < this.countAtStart) this.report?.(rowsDeleted(this.countAtStart - this.seen, this.path));
    } else {
      this.lastId = lastIdOf(rows, out);
    }
    return out;
  }
}

/**
 * The rows newest first, in `wtmpdb last`'s order (libwtmpdb: `ORDER BY Login
 * DESC, Logout ASC`; rows equal in both by ID), in bounded memory, without
 * sorting the table. There is no index on Login, but rows are written in
 * about Login order, so read by ID descending (key-paged batches) they are
 * nearly in that order already:
 *
 * 1. A first pass reads (ID, Login) by ID descending and finds the rows out of
 *    order: those whose Login is above the lowest Login of the in-order rows
 *    read before them (larger IDs), and every Login that is not an integer.
 *    Those are few (an explicit time, a clock stepped back, an import): they
 *    are read whole and held, sorted.
 * 2. The second pass reads the rows by ID descending again, leaves out the
 *    held ones (what is left is in Login order), sorts each run of equal
 *    Logins (Logout ascending, then ID), and merges the held rows in.
 *
 * More than MAX_HELD_ROWS rows out of order (or of one Login): the whole
 * table is read and sorted in memory, with an UNORDERED_ROWS warning.
 * Newest first needs the first pass over every row however few are wanted:
 * without an index, the newest login may be in any row.
 */
class NewestScan {
  private phase: 'count' | 'keys' | 'held' | 'rows' | 'all' | 'done' = 'count';
  private maxId: RowId = 0;
  private countAtStart = 0;
  private seen = 0;
  /** The rows below this ID (up to maxId) are still to be read (descending); in the 'all' pass, above. */
  private cursor: RowId = ABOVE_EVERY_ID;
  /** The lowest Login of the in-order rows so far, and how many in-order rows in a row have it. */
  private lowest = Infinity;
  private sameLogin = 0;
  private heldIds: RowId[] = [];
  private heldSet: Set<RowId> | null = null;
  private heldRead = 0;
  private held: WtmpdbRow[] = [];
  private heldNext = 0;
  /** In-order rows of one Login, waiting for a row with a lower Login (their order among themselves is by Logout). */
  private run: WtmpdbRow[] = [];
  private all: WtmpdbRow[] = [];
  /**
   * The order keys of rows read but not yet handed out whose Login or Logout
   * cell is not an integer (REAL, TEXT, NULL): SQLite orders NULL below every
   * number and TEXT above. Other rows' keys are their times (an open row's
   * Logout -Infinity: NULL first).
   */
  private readonly oddKeys = new Map<RowId, OddKeys>();

  constructor(private readonly path: string, private readonly report?: Report) {}

  step(): Step | null {
    switch (this.phase) {
      case 'count': return { sql: MAX_ID_SQL, params: [], maxRows: 1 };
      case 'keys': return { sql: KEYS_DESC_SQL, params: [idParam(this.cursor), idParam(this.maxId), KEY_PAGE_ROWS], maxRows: KEY_PAGE_ROWS };
      case 'held': {
        const ids = this.heldIds.slice(this.heldRead, this.heldRead + IDS_PER_READ);
        return { sql: rowsByIdSql(ids.length), params: ids.map(idParam), maxRows: ids.length };
      }
      case 'rows': return { sql: ROWS_DESC_SQL, params: [idParam(this.cursor), idParam(this.maxId), NEWEST_BATCH_ROWS], maxRows: NEWEST_BATCH_ROWS };
      case 'all': return { sql: ROWS_SQL, params: [idParam(this.cursor), idParam(this.maxId), BATCH_ROWS], maxRows: BATCH_ROWS };
      default: return null;
    }
  }

  /** The rows to hand out next, in order (often none). */
  accept(rows: Rows): WtmpdbRow[] {
    switch (this.phase) {
      case 'count': {
        const max = maxIdOf(rows);
        if (max === null) {
          this.phase = 'done'; // an empty table
        } else {
          [this.maxId, this.cursor, this.phase] = [max, ABOVE_EVERY_ID, 'keys'];
        }
        return [];
      }
      case 'keys': this.acceptKeys(rows); return [];
      case 'held': this.acceptHeld(rows); return [];
      case 'rows': return this.acceptRows(rows);
      case 'all': return this.acceptAll(rows);
      default: return [];
    }
  }

  private acceptKeys(rows: Rows): void {
    const { numbers } = rows.raw;
    let id = this.cursor;
    this.countAtStart += rows.length; // the rows there when the read began (no count(*): one pass over the table is enough)
    for (let i = 0; i < rows.length * 2; i += 2) {
      id = idAt(rows, i);
      const login = numbers[i + 1];
      if (!isInt64(login) || login > this.lowest) {
        this.heldIds.push(id);
      } else if (login === this.lowest) {
        this.sameLogin++;
      } else {
        this.lowest = login;
        this.sameLogin = 1;
      }
    }
    if (this.heldIds.length > MAX_HELD_ROWS || this.sameLogin > MAX_HELD_ROWS) {
      this.report?.(unorderedRows(this.path));
      [this.heldIds, this.phase, this.cursor] = [[], 'all', BELOW_EVERY_ID];
    } else if (!rows.complete) {
      if (rows.length === 0) throw new Error('a read of (ID, Login) returned no row before its end');
      this.cursor = id;
    } else {
      this.heldIds.reverse(); // ascending, as the held rows are read back
      this.heldSet = new Set(this.heldIds);
      [this.phase, this.cursor] = [this.heldIds.length ? 'held' : 'rows', ABOVE_EVERY_ID];
    }
  }

  private acceptHeld(rows: Rows): void {
    const got = this.rowsOf(rows, this.report);
    for (const row of got) this.held.push(row);
    this.seen += got.length;
    // Rows deleted meanwhile are missing: go on after the last ID read.
    this.heldRead = rows.complete ? this.heldRead + IDS_PER_READ : this.heldIds.indexOf(lastIdOf(rows, got), this.heldRead) + 1;
    if (this.heldRead >= this.heldIds.length) {
      this.held.sort(this.order);
      this.phase = 'rows';
    }
  }

  private acceptRows(rows: Rows): WtmpdbRow[] {
    const heldSet = this.heldSet!;
    // The held rows were read (and their warnings told) before.
    const got = this.rowsOf(rows, this.report, heldSet);
    const out: WtmpdbRow[] = [];
    const run = this.run;
    for (const row of got) {
      if (heldSet.size !== 0 && heldSet.has(rowIdOf(row))) continue;
      this.seen++;
      if (run.length !== 0 && this.loginKey(row) !== this.loginKey(run[0])) this.flushRun(out);
      run.push(row);
    }
    if (rows.complete) {
      this.flushRun(out);
      while (this.heldNext < this.held.length) this.handOut(this.held[this.heldNext++], out);
      this.finish();
    } else {
      this.cursor = lastIdOf(rows, got);
    }
    return out;
  }

  /** The run of one Login (by Logout, then ID), with the held rows that come before each of them. */
  private flushRun(out: WtmpdbRow[]): void {
    const { run, held } = this;
    if (run.length > 1) run.sort(this.order);
    for (const row of run) {
      while (this.heldNext < held.length && this.order(held[this.heldNext], row) < 0) this.handOut(held[this.heldNext++], out);
      this.handOut(row, out);
    }
    run.length = 0;
  }

  private acceptAll(rows: Rows): WtmpdbRow[] {
    const got = this.rowsOf(rows, this.report);
    for (const row of got) this.all.push(row);
    this.seen += got.length;
    if (!rows.complete) {
      this.cursor = lastIdOf(rows, got);
      return [];
    }
    const all = this.all.sort(this.order);
    this.all = [];
    this.oddKeys.clear();
    this.finish();
    return all;
  }

  private handOut(row: WtmpdbRow, out: WtmpdbRow[]): void {
    if (this.oddKeys.size !== 0) this.oddKeys.delete(row.id);
    out.push(row);
  }

  /** {@link rowsOf}, keeping the order keys of cells that are not integers (not for the rows in `skip`). */
  private rowsOf(rows: Rows, report: Report | undefined, skip?: Set<RowId>): WtmpdbRow[] {
    const out = rowsOf(rows, this.path, report, skip);
    const { numbers, texts, strings } = rows.raw;
    const key = (i: number) => (Number.isNaN(numbers[i]) ? (texts[i] < 0 ? -Infinity : Infinity) : numbers[i]);
    const text = (i: number) => (texts[i] < 0 ? '' : strings[texts[i]]);
    for (let r = 0, i = 0; r < out.length; r++, i += 8) {
      if (isInt64(numbers[i + 3]) && (isInt64(numbers[i + 4]) || (Number.isNaN(numbers[i + 4]) && texts[i + 4] < 0))) continue;
      if (skip?.has(rowIdOf(out[r]))) continue;
      this.oddKeys.set(rowIdOf(out[r]), { login: key(i + 3), logout: key(i + 4), loginText: text(i + 3), logoutText: text(i + 4) });
    }
    return out;
  }

  private loginKey(row: WtmpdbRow): number {
    const odd = this.oddKeys.size === 0 ? undefined : this.oddKeys.get(rowIdOf(row));
    return odd ? odd.login : row.login;
  }

  /** `wtmpdb last`'s order: Login descending, then Logout ascending (NULL first), then ID. */
  private readonly order = (a: WtmpdbRow, b: WtmpdbRow): number => {
    const oddA = this.oddKeys.size === 0 ? undefined : this.oddKeys.get(rowIdOf(a));
    const oddB = this.oddKeys.size === 0 ? undefined : this.oddKeys.get(rowIdOf(b));
    const loginA = oddA ? oddA.login : a.login;
    const loginB = oddB ? oddB.login : b.login;
    if (loginA !== loginB) return loginA < loginB ? 1 : -1;
    if (loginA === Infinity && oddA!.loginText !== oddB!.loginText) return oddA!.loginText < oddB!.loginText ? 1 : -1;
    // Equal as numbers beyond 2^53: the exact values decide, as SQLite orders them.
    const byLogin = oddA || oddB ? 0 : compareExact(a.login, a.exactLogin, b.login, b.exactLogin);
    if (byLogin !== 0) return -byLogin;
    const logoutA = oddA ? oddA.logout : a.logout ?? -Infinity;
    const logoutB = oddB ? oddB.logout : b.logout ?? -Infinity;
    if (logoutA !== logoutB) return logoutA < logoutB ? -1 : 1;
    if (logoutA === Infinity && oddA!.logoutText !== oddB!.logoutText) return oddA!.logoutText < oddB!.logoutText ? -1 : 1;
    const byLogout = oddA || oddB || a.logout === null ? 0 : compareExact(a.logout, a.exactLogout, b.logout!, b.exactLogout);
    if (byLogout !== 0) return byLogout;
    return compareIds(rowIdOf(a), rowIdOf(b));
  };

  private finish(): void {
    this.phase = 'done';
    if (this.seen < this.countAtStart) this.report?.(rowsDeleted(this.countAtStart - this.seen, this.path));
  }
}

/** A cell that libwtmpdb reads as a time: an integer that fits 64 bits (NaN is NULL or TEXT). */
const isInt64 = (v: number) => Number.isInteger(v) && v <= 9223372036854775807 && v >= -9223372036854775808;

/** The rows of a read of ROW_COLUMNS (no warning told for the rows in `quiet`: told before). */
function rowsOf(rows: Rows, path: string, report?: Report, quiet?: Set<RowId>): WtmpdbRow[] {
  const out: WtmpdbRow[] = new Array(rows.length);
  // The cells read straight from the batch's arrays: this loop runs once a row.
  const { numbers, texts, strings } = rows.raw;
  const num = (i: number) => (Number.isNaN(numbers[i]) ? null : numbers[i]);
  const str = (i: number) => (texts[i] < 0 ? null : strings[texts[i]]);
  // A time as libwtmpdb reads it: not an integer, 0 (said once a row and column).
  const time = (i: number, id: number, column: string) => {
    const v = numbers[i];
    if (isInt64(v)) return v;
    if (quiet?.size && quiet.has(idAt(rows, i - (i % ROW_CELLS)))) return 0; // the row's first cell is its ID
    report?.(wtmpdbInvalidTime(column, texts[i] >= 0 ? strings[texts[i]] : Number.isNaN(v) ? null : v, path, id));
    return 0;
  };
  for (let r = 0, i = 0; r < rows.length; r++, i += 8) {
    const id = numbers[i];
    out[r] = {
      id,
      type: num(i + 1) ?? 0,
      user: str(i + 2) ?? '',
      login: time(i + 3, id, 'Login'),
      logout: Number.isNaN(numbers[i + 4]) && texts[i + 4] < 0 ? null : time(i + 4, id, 'Logout'),
      line: str(i + 5),
      host: str(i + 6),
      service: str(i + 7),
    };
    // An ID or a time a number rounds also comes as its digits (seldom: an ID a writer chose, after the year 2255).
    if (texts[i] >= 0) out[r].exactId = strings[texts[i]];
    if (texts[i + 3] >= 0 || texts[i + 4] >= 0) addExactTimes(out[r], rows, i);
  }
  return out;
}

function addExactTimes(row: WtmpdbRow, rows: Rows, cell: number): void {
  const login = exactDigits(rows.raw, cell + 3);
  const logout = exactDigits(rows.raw, cell + 4);
  if (login !== null) row.exactLogin = login;
  if (logout !== null) row.exactLogout = logout;
}

/** A row's Login in microseconds, exactly. */
export const exactLogin = (row: WtmpdbRow): bigint => BigInt(row.exactLogin ?? row.login);

/** A row's Logout in microseconds, exactly (null while open). */
export const exactLogout = (row: WtmpdbRow): bigint | null => (row.logout === null ? null : BigInt(row.exactLogout ?? row.logout));

/** -1, 0 or 1 as the exact values of two times that are equal as numbers compare (one may carry its digits). */
function compareExact(a: number, aDigits: string | undefined, b: number, bDigits: string | undefined): number {
  if (aDigits === bDigits) return 0;
  const x = BigInt(aDigits ?? a);
  const y = BigInt(bDigits ?? b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * The reads a watch makes (lib/watch/wtmpdb-source.ts), each one short
 * statement: `sync` says whether on the calling thread or the thread pool.
 */
export const wtmpdbQueries = {
  /** The largest ID, and the open rows (Logout NULL, user or boot) since the last boot: those a logout may still close. */
  start(path: string): { maxId: RowId; open: RowId[] } {
    const max = readRows(path, MAX_ID_SQL, [], 1);
    const maxId = maxIdOf(max) ?? 0;
    const open = readRows(path, OPEN_SQL, [idParam(maxId)], MAX_OPEN_ROWS);
    const ids: RowId[] = [];
    for (let r = open.length - 1; r >= 0; r--) ids.push(idAt(open, r)); // the newest, ascending
    return { maxId, open: ids };
  },
  /** The largest ID now (0 for an empty table). */
  async maxId(path: string): Promise<RowId> {
    return maxIdOf(await readRowsAsync(path, MAX_ID_SQL, [], 1)) ?? 0;
  },
  /** At most `limit` rows with ID > `afterId`, in ID order. */
  async after(path: string, afterId: RowId, limit: number): Promise<WtmpdbRow[]> {
    return rowsOf(await readRowsAsync(path, ROWS_SQL, [idParam(afterId), ABOVE_EVERY_ID, limit], limit), path);
  },
  /** The rows among `ids` (at most 500) whose Logout is set, by Logout then ID. */
  async closed(path: string, ids: RowId[]): Promise<WtmpdbRow[]> {
    const sql = `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID IN (${ids.map(() => '?').join(',')}) AND Logout IS NOT NULL ORDER BY Logout, ID`;
    return rowsOf(await readRowsAsync(path, sql, ids.map(idParam), ids.length), path);
  },
  /** The rows among `ids` (at most 500) still open (Logout NULL), by ID: those a later boot ends as a crash. */
  async stillOpen(path: string, ids: RowId[]): Promise<WtmpdbRow[]> {
    const sql = `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID IN (${ids.map(() => '?').join(',')}) AND Logout IS NULL ORDER BY ID`;
    return rowsOf(await readRowsAsync(path, sql, ids.map(idParam), ids.length), path);
  },
};

/** Options of {@link wtmpdbRows}. */
export interface WtmpdbRowsOptions extends WarningOptions {
  /** Newest first, in `wtmpdb last`'s order (Login descending, then Logout ascending), in bounded memory. */
  newestFirst?: boolean;
}

/** The plan of a read of rows: newest first or in ID order. */
const rowScan = (path: string, options: WtmpdbRowsOptions, sink: WarningSink) => {
  const report = (w: UtmpWarning) => sink.report(w);
  return options.newestFirst ? new NewestScan(path, report) : new RowScan(path, false, report);
};

/**
 * Every row of a wtmp.db, in ID order (the order written), in batches; with
 * `newestFirst`, in `wtmpdb last`'s order. Warnings: INVALID_TIME (a time cell
 * that is not an integer, read as 0), ROWS_DELETED, UNORDERED_ROWS.
 */
export function* wtmpdbRows(path: string = WTMPDB_PATH, options: WtmpdbRowsOptions = {}): Generator<WtmpdbRow, void, undefined> {
  const scan = rowScan(path, options, new WarningSink(options));
  for (let step = scan.step(); step; step = scan.step()) {
    yield* scan.accept(readRows(path, step.sql, step.params, step.maxRows));
  }
}

/** {@link wtmpdbRows}, each batch read on the libuv thread pool. */
export function wtmpdbRowsAsync(path: string = WTMPDB_PATH, options: WtmpdbRowsOptions = {}): AsyncIterableIterator<WtmpdbRow> {
  const scan = rowScan(path, options, new WarningSink(options));
  return batchedAsync(async () => {
    const step = scan.step();
    return step && scan.accept(await readRowsAsync(path, step.sql, step.params, step.maxRows));
  });
}

/** Options of the wtmpdb reading of `sessions()`. */
export interface WtmpdbSessionOptions extends WarningOptions {
  system?: boolean;
  since?: Date;
  until?: Date;
  /** In `wtmpdb last`'s order (see {@link NewestScan}). */
  newestFirst?: boolean;
}

/**
 * Turns rows into sessions with the ends `wtmpdb last` prints: a logout time;
 * `crash` for a session (or boot) with no logout that a later boot followed;
 * `still logged in` / `still running` when none did; a boot with a logout
 * (set by `wtmpdb shutdown`) ended `down`. With `system`, the shutdown
 * between a boot's logout and the next boot, as `wtmpdb last -x` shows it.
 */
class WtmpdbSessions {
  private readonly since: number;
  private readonly until: number;
  /** isIP() of the hosts seen lately (hosts repeat; the test costs more than the lookup). */
  private readonly ipHosts = new Map<string, boolean>();
  readonly sink: WarningSink;
  /** Newest first: the lowest boot time seen, and the lowest above it (the next boot after a row is one of them). */
  private lowestBoot = Infinity;
  private lowestBootAbove: number | null = null;

  constructor(private readonly path: string, private readonly options: WtmpdbSessionOptions) {
    this.since = options.since ? Math.floor(options.since.getTime() / 1000) : -Infinity;
    this.until = options.until ? Math.floor(options.until.getTime() / 1000) : Infinity;
    this.sink = new WarningSink(options);
  }

  /** The sessions of one batch of rows: in ID order (`boots`: every boot time, ascending), or newest first (boots: null). */
  of(rows: WtmpdbRow[], boots: number[] | null): Session[] {
    const out: Session[] = [];
    for (const row of rows) {
      if (row.type !== WTMPDB_USER_PROCESS && row.type !== WTMPDB_BOOT_TIME) continue;
      const boot = row.type === WTMPDB_BOOT_TIME;
      const next = boots ? nextBoot(boots, row.login) : this.nextBootNewestFirst(row.login, boot);
      const sec = Math.floor(row.login / 1e6);
      if (sec < this.since || sec > this.until) continue;
      let end: SessionEnd;
      let logout: number | null = row.logout;
      if (logout !== null) end = boot ? 'down' : 'logout';
      else if (next !== null) [end, logout] = ['crash', next];
      else end = boot ? 'still running' : 'still logged in';
      // The row's own times exactly (a crash ends at a boot time, a number).
      const digits = [row.exactLogin, logout === row.logout ? row.exactLogout : undefined] as const;
      out.push(this.session(row, boot ? 'reboot' : 'login', boot ? 'system boot' : row.line ?? '', row.login, logout, end, digits));
      if (boot && this.options.system && row.logout !== null && next !== null) {
        const s = this.session(row, 'shutdown', 'system down', row.logout, next, 'logout', [row.exactLogout]);
        s.user = 'shutdown';
        out.push(s);
      }
    }
    return out;
  }

  /** The first boot after `login` when rows come newest first: every boot after it came before (then counts this one, a boot). */
  private nextBootNewestFirst(login: number, boot: boolean): number | null {
    const next = login < this.lowestBoot ? (this.lowestBoot === Infinity ? null : this.lowestBoot) : this.lowestBootAbove;
    if (boot && login < this.lowestBoot) [this.lowestBootAbove, this.lowestBoot] = [next, login];
    return next;
  }

  private session(row: WtmpdbRow, kind: SessionKind, line: string, login: number, logout: number | null, end: SessionEnd,
    [loginDigits, logoutDigits]: readonly (string | undefined)[] = []): Session {
    const host = row.host ?? '';
    let ip = this.ipHosts.get(host);
    if (ip === undefined) {
      if (this.ipHosts.size >= 4096) this.ipHosts.clear();
      ip = net().isIP(host) !== 0;
      this.ipHosts.set(host, ip);
    }
    return {
      kind, user: row.user, line, host, address: ip ? host : null, pid: 0,
      login: this.date(login, row.id, loginDigits), logout: logout === null ? null : this.date(logout, row.id, logoutDigits), end, index: row.id,
      service: row.service, source: 'wtmpdb',
    };
  }

  /** A Date of microseconds; beyond a Date's range the nearest one, with a TIME_OUT_OF_RANGE warning. */
  private date(us: number, id: number, digits?: string): Date {
    const ms = digits === undefined ? Math.floor(us / 1000) : exactMs(digits);
    if (ms <= MAX_DATE_MS && ms >= -MAX_DATE_MS) return new Date(ms);
    this.sink.report(timeOutOfRange(us / 1e6, this.path, id));
    return new Date(ms > 0 ? MAX_DATE_MS : -MAX_DATE_MS);
  }
}

/** Milliseconds of exact microseconds, rounded down (as Math.floor), as a number. */
function exactMs(digits: string): number {
  const us = BigInt(digits);
  const ms = us / 1000n; // toward zero
  return Number(us < 0n && ms * 1000n !== us ? ms - 1n : ms);
}

/** The first boot after `login` (µs), or null: binary search in the ascending boot times. */
function nextBoot(boots: number[], login: number): number | null {
  let lo = 0;
  let hi = boots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boots[mid] <= login) lo = mid + 1;
    else hi = mid;
  }
  return lo < boots.length ? boots[lo] : null;
}

/** The plan of a read of sessions: rows in ID order with the boot times, or newest first. */
function sessionScan(path: string, options: WtmpdbSessionOptions): { scan: RowScan | NewestScan; pairing: WtmpdbSessions } {
  const pairing = new WtmpdbSessions(path, options);
  const report = (w: UtmpWarning) => pairing.sink.report(w);
  return { scan: options.newestFirst ? new NewestScan(path, report) : new RowScan(path, true, report), pairing };
}

/**
 * The sessions of a wtmp.db in ID order, or newest first (see `sessions()`),
 * streamed in batches.
 */
export function* wtmpdbSessions(path: string = WTMPDB_PATH, options: WtmpdbSessionOptions = {}): Generator<Session, void, undefined> {
  const { scan, pairing } = sessionScan(path, options);
  for (let step = scan.step(); step; step = scan.step()) {
    const rows = scan.accept(readRows(path, step.sql, step.params, step.maxRows));
    if (rows.length) yield* pairing.of(rows, scan instanceof RowScan ? scan.boots! : null);
  }
}

/** wtmpdb's database at `path` as a {@link HistorySource} (sessions.ts reads wtmp files, the other). */
export function wtmpdbHistory(path: string): HistorySource {
  return { source: 'wtmpdb', sessions: (options) => wtmpdbSessions(path, options), sessionsAsync: (options) => wtmpdbSessionsAsync(path, options) };
}

/** {@link wtmpdbSessions}, each batch read on the libuv thread pool. */
export function wtmpdbSessionsAsync(path: string = WTMPDB_PATH, options: WtmpdbSessionOptions = {}): AsyncIterableIterator<Session> {
  const { scan, pairing } = sessionScan(path, options);
  return batchedAsync(async () => {
    const step = scan.step();
    if (!step) return null;
    const rows = scan.accept(await readRowsAsync(path, step.sql, step.params, step.maxRows));
    return rows.length ? pairing.of(rows, scan instanceof RowScan ? scan.boots! : null) : [];
  });
}
