/**
 * Login history from wtmpdb (`/var/lib/wtmpdb/wtmp.db`), the SQLite successor
 * of wtmp on Debian 13, Ubuntu 25.10+, openSUSE and SLE 16:
 * `wtmp(ID INTEGER PRIMARY KEY, Type, User, Login, Logout, TTY, RemoteHost,
 * Service)`, times in microseconds since the epoch, `Logout` NULL while open.
 *
 * Rows are read in ID order, in batches (each its own short statement, keyed
 * on the primary key), up to the largest ID seen when the read began: rows a
 * writer adds meanwhile are left for the next read, so the answer is the
 * database as it was at that moment, and memory stays flat however long the
 * table is. Only the boot times are held (to tell a crash from an open session).
 */
import { isIP } from 'net';
import type { Session, SessionEnd, SessionKind } from '../sessions';
import { WTMPDB_PATH } from '../platform';
import { type Param, type Rows, batchedAsync, readRows, readRowsAsync } from './sqlite';


/** wtmpdb's row types (the utmp numbers). */
export const WTMPDB_BOOT_TIME = 1;
export const WTMPDB_USER_PROCESS = 3;

/** One row of the wtmp table, as stored. */
export interface WtmpdbRow {
  id: number;
  /** 0 EMPTY, 1 BOOT_TIME, 2 RUNLEVEL, 3 USER_PROCESS. */
  type: number;
  user: string;
  /** Microseconds since the epoch (exact up to the year 2255). */
  login: number;
  /** Microseconds since the epoch, or null while the session is open. */
  logout: number | null;
  /** The line as recorded (column `TTY`): `pts/0`, `~` for a boot. */
  line: string | null;
  /** The remote host (column `RemoteHost`); the kernel release for a boot. */
  host: string | null;
  service: string | null;
}

/** Rows handed over per statement: bounds the time a writer may wait, and memory. */
const BATCH_ROWS = 8192;

const MAX_ID_SQL = 'SELECT max(ID) FROM wtmp';
const BOOTS_SQL = 'SELECT Login FROM wtmp WHERE Type = 1 AND ID <= ?1 AND Login IS NOT NULL ORDER BY Login';
const ROW_COLUMNS = 'ID, Type, User, Login, Logout, TTY, RemoteHost, Service';
const ROWS_SQL = `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID > ?1 AND ID <= ?2 ORDER BY ID LIMIT ?3`;
/** Rows still open since the last boot (an open row before it is a crash: nothing will close it). */
const OPEN_SQL = 'SELECT ID FROM wtmp WHERE Logout IS NULL AND Type IN (1, 3) AND ID <= ?1 AND ' +
  'ID >= coalesce((SELECT max(ID) FROM wtmp WHERE Type = 1 AND ID <= ?1), 0) ORDER BY ID DESC';
/** Open rows a watch follows at most (they are in every position; the oldest are let go). */
export const MAX_OPEN_ROWS = 10_000;

interface Step {
  sql: string;
  params: Param[];
  maxRows: number;
}

/**
 * The reads of one pass over the table, as a plan that the sync and async
 * readers both follow: `step()` says what to read next (null when done),
 * `accept()` takes its rows.
 */
class RowScan {
  private lastId = Number.NEGATIVE_INFINITY;
  private maxId: number | null = null;
  private finished = false;
  /** Boot times (µs, ascending), when wanted. */
  boots: number[] | null;

  constructor(withBoots: boolean) {
    this.boots = withBoots ? null : [];
  }

  step(): Step | null {
    if (this.finished) return null;
    if (this.maxId === null) return { sql: MAX_ID_SQL, params: [], maxRows: 1 };
    if (this.boots === null) return { sql: BOOTS_SQL, params: [this.maxId], maxRows: 1e7 };
    return { sql: ROWS_SQL, params: [this.lastId === Number.NEGATIVE_INFINITY ? -9e18 : this.lastId, this.maxId, BATCH_ROWS], maxRows: BATCH_ROWS };
  }

  accept(rows: Rows): WtmpdbRow[] {
    if (this.maxId === null) {
      const max = rows.length ? rows.number(0, 0) : null;
      if (max === null) this.finished = true; // an empty table
      this.maxId = max ?? 0;
      return [];
    }
    if (this.boots === null) {
      const boots: number[] = [];
      for (let r = 0; r < rows.length; r++) boots.push(rows.number(r, 0)!);
      this.boots = boots;
      return [];
    }
    const out = rowsOf(rows);
    if (rows.complete) this.finished = true;
    else this.lastId = out[rows.length - 1].id;
    return out;
  }
}

/** The rows of a read of ROW_COLUMNS. */
function rowsOf(rows: Rows): WtmpdbRow[] {
  const out: WtmpdbRow[] = new Array(rows.length);
  // The cells read straight from the batch's arrays: this loop runs once a row.
  const { numbers, texts, strings } = rows.raw;
  const num = (i: number) => (Number.isNaN(numbers[i]) ? null : numbers[i]);
  const str = (i: number) => (texts[i] < 0 ? null : strings[texts[i]]);
  for (let r = 0, i = 0; r < rows.length; r++, i += 8) {
    out[r] = {
      id: numbers[i],
      type: num(i + 1) ?? 0,
      user: str(i + 2) ?? '',
      login: num(i + 3) ?? 0,
      logout: num(i + 4),
      line: str(i + 5),
      host: str(i + 6),
      service: str(i + 7),
    };
  }
  return out;
}

/**
 * The reads a watch makes (lib/watch/wtmpdb-source.ts), each one short
 * statement: `sync` says whether on the calling thread or the thread pool.
 */
export const wtmpdbQueries = {
  /** The largest ID, and the open rows (Logout NULL, user or boot) since the last boot: those a logout may still close. */
  start(path: string): { maxId: number; open: number[] } {
    const max = readRows(path, MAX_ID_SQL, [], 1);
    const maxId = (max.length ? max.number(0, 0) : null) ?? 0;
    const open = readRows(path, OPEN_SQL, [maxId], MAX_OPEN_ROWS);
    const ids: number[] = [];
    for (let r = open.length - 1; r >= 0; r--) ids.push(open.number(r, 0)!); // the newest, ascending
    return { maxId, open: ids };
  },
  /** The largest ID now (0 for an empty table). */
  async maxId(path: string): Promise<number> {
    const max = await readRowsAsync(path, MAX_ID_SQL, [], 1);
    return (max.length ? max.number(0, 0) : null) ?? 0;
  },
  /** At most `limit` rows with ID > `afterId`, in ID order. */
  async after(path: string, afterId: number, limit: number): Promise<WtmpdbRow[]> {
    return rowsOf(await readRowsAsync(path, ROWS_SQL, [afterId, 9e15, limit], limit));
  },
  /** The rows among `ids` (at most 500) whose Logout is set, by Logout then ID. */
  async closed(path: string, ids: number[]): Promise<WtmpdbRow[]> {
    const sql = `SELECT ${ROW_COLUMNS} FROM wtmp WHERE ID IN (${ids.map(() => '?').join(',')}) AND Logout IS NOT NULL ORDER BY Logout, ID`;
    return rowsOf(await readRowsAsync(path, sql, ids, ids.length));
  },
};

/** Every row of a wtmp.db, in ID order (the order written), in batches. */
export function* wtmpdbRows(path: string = WTMPDB_PATH): Generator<WtmpdbRow, void, undefined> {
  const scan = new RowScan(false);
  for (let step = scan.step(); step; step = scan.step()) {
    yield* scan.accept(readRows(path, step.sql, step.params, step.maxRows));
  }
}

/** {@link wtmpdbRows}, each batch read on the libuv thread pool. */
export function wtmpdbRowsAsync(path: string = WTMPDB_PATH): AsyncIterableIterator<WtmpdbRow> {
  const scan = new RowScan(false);
  return batchedAsync(async () => {
    const step = scan.step();
    return step && scan.accept(await readRowsAsync(path, step.sql, step.params, step.maxRows));
  });
}

/** Options of the wtmpdb reading of `sessions()`. */
export interface WtmpdbSessionOptions {
  system?: boolean;
  since?: Date;
  until?: Date;
}

const usDate = (us: number) => new Date(Math.floor(us / 1000));

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

  constructor(private readonly options: WtmpdbSessionOptions) {
    this.since = options.since ? Math.floor(options.since.getTime() / 1000) : -Infinity;
    this.until = options.until ? Math.floor(options.until.getTime() / 1000) : Infinity;
  }

  /** The sessions of one batch of rows (`boots`: every boot time, ascending). */
  of(rows: WtmpdbRow[], boots: number[]): Session[] {
    const out: Session[] = [];
    for (const row of rows) {
      if (row.type !== WTMPDB_USER_PROCESS && row.type !== WTMPDB_BOOT_TIME) continue;
      const sec = Math.floor(row.login / 1e6);
      if (sec < this.since || sec > this.until) continue;
      const next = nextBoot(boots, row.login);
      const boot = row.type === WTMPDB_BOOT_TIME;
      let end: SessionEnd;
      let logout: number | null = row.logout;
      if (logout !== null) end = boot ? 'down' : 'logout';
      else if (next !== null) [end, logout] = ['crash', next];
      else end = boot ? 'still running' : 'still logged in';
      out.push(this.session(row, boot ? 'reboot' : 'login', boot ? 'system boot' : row.line ?? '', row.login, logout, end));
      if (boot && this.options.system && row.logout !== null && next !== null) {
        const s = this.session(row, 'shutdown', 'system down', row.logout, next, 'logout');
        s.user = 'shutdown';
        out.push(s);
      }
    }
    return out;
  }

  private session(row: WtmpdbRow, kind: SessionKind, line: string, login: number, logout: number | null, end: SessionEnd): Session {
    const host = row.host ?? '';
    let ip = this.ipHosts.get(host);
    if (ip === undefined) {
      if (this.ipHosts.size >= 4096) this.ipHosts.clear();
      ip = isIP(host) !== 0;
      this.ipHosts.set(host, ip);
    }
    return {
      kind, user: row.user, line, host, address: ip ? host : null, pid: 0,
      login: usDate(login), logout: logout === null ? null : usDate(logout), end, index: row.id,
      service: row.service, source: 'wtmpdb',
    };
  }
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

/** The sessions of a wtmp.db in ID order (see `sessions()`), streamed in batches. */
export function* wtmpdbSessions(path: string = WTMPDB_PATH, options: WtmpdbSessionOptions = {}): Generator<Session, void, undefined> {
  const scan = new RowScan(true);
  const pairing = new WtmpdbSessions(options);
  for (let step = scan.step(); step; step = scan.step()) {
    const rows = scan.accept(readRows(path, step.sql, step.params, step.maxRows));
    if (rows.length) yield* pairing.of(rows, scan.boots!);
  }
}

/** {@link wtmpdbSessions}, each batch read on the libuv thread pool. */
export function wtmpdbSessionsAsync(path: string = WTMPDB_PATH, options: WtmpdbSessionOptions = {}): AsyncIterableIterator<Session> {
  const scan = new RowScan(true);
  const pairing = new WtmpdbSessions(options);
  return batchedAsync(async () => {
    const step = scan.step();
    if (!step) return null;
    const rows = scan.accept(await readRowsAsync(path, step.sql, step.params, step.maxRows));
    return rows.length ? pairing.of(rows, scan.boots!) : [];
  });
}
