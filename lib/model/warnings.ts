/**
 * Problems found in a file that do not stop the reading: the good records
 * around them still come back, and each problem is reported here.
 */

export type UtmpWarningCode =
  /** Bytes after the last whole record: a partial record, not returned. */
  | 'TRAILING_BYTES'
  /** A type number the layout's platform does not define; the record is returned with `ut_type: 'UNKNOWN'`. */
  | 'UNKNOWN_TYPE'
  /** A record whose bytes are all zero (an unused slot, or zero-filled damage). */
  | 'ZERO_RECORD'
  /** A string field that is not valid UTF-8; the bad bytes became U+FFFD. */
  | 'INVALID_UTF8'
  /** A time a Date cannot hold (beyond ±8.64e12 s, 64-bit layouts); `ut_time` is as recorded, `date` the nearest valid Date. */
  | 'TIME_OUT_OF_RANGE'
  /**
   * A SQLite time cell that is not a 64-bit integer (REAL, TEXT, NULL): wtmpdb's Login/Logout
   * are read as 0, as libwtmpdb reads them; lastlog2's Time as `lastlog2` reads it (its leading digits).
   */
  | 'INVALID_TIME'
  /** wtmpdb: rows that existed when a read began were deleted before it reached them (`wtmpdb rotate`); they are missing. */
  | 'ROWS_DELETED'
  /** wtmpdb, newest first: too many rows out of login order to hold; the whole table was read into memory and sorted. */
  | 'UNORDERED_ROWS';

export interface UtmpWarning {
  code: UtmpWarningCode;
  message: string;
  /** The file the record came from. */
  path: string;
  /**
   * Byte offset of the record (or of the trailing bytes) in the file; from wtmpdb, the row's ID
   * (0: the whole read); -1 for a row the message names (lastlog2).
   */
  offset: number;
}

export interface WarningOptions {
  /** Called for each problem as it is found. */
  onWarning?: (warning: UtmpWarning) => void;
  /** Throw an error (code `ERR_UTMPX_BAD_RECORD`) at the first problem instead of going on. */
  strict?: boolean;
}

/** The error `strict` mode throws; it carries the warning. */
export class UtmpRecordError extends Error {
  readonly code = 'ERR_UTMPX_BAD_RECORD';
  readonly path: string;
  readonly offset: number;
  readonly warning: UtmpWarning;
  constructor(warning: UtmpWarning) {
    super(`${warning.message} (${warning.path} at byte ${warning.offset})`);
    this.name = 'UtmpRecordError';
    this.path = warning.path;
    this.offset = warning.offset;
    this.warning = warning;
  }
}

/** How many warnings a reader keeps in its `warnings` list; `warningCount` counts them all. */
export const MAX_KEPT_WARNINGS = 1000;
/** Open logins a watch keeps per source (lib/watch/pairing.ts). */
export const MAX_OPEN_LOGINS_KEPT = 1000;

/**
 * The warning for a torn tail: `bytes` after the last whole record (of
 * `recordSize` bytes) at `offset`, which no reader returns. `lastlog` for a
 * lastlog file; `note` says more (where libc read the file).
 */
export function trailingBytes(bytes: number, recordSize: number, path: string, offset: number, lastlog = false, note = ''): UtmpWarning {
  const message = lastlog
    ? `${bytes} bytes after the last whole lastlog record (a record is ${recordSize} bytes): a partial record, not returned`
    : `${bytes} bytes after the last whole ${recordSize}-byte record${note}`;
  return { code: 'TRAILING_BYTES', message, path, offset };
}

/** The warning for a record whose time (`seconds`) no Date can hold (see `dateCanHold`). */
export function timeOutOfRange(seconds: number, path: string, offset: number, where = ''): UtmpWarning {
  return {
    code: 'TIME_OUT_OF_RANGE',
    message: `${where}time ${seconds} s is beyond what a Date can hold (±8.64e12 s): its date is the nearest one`,
    path,
    offset,
  };
}

/** The warning for a lastlog2 row of `user` whose Time (`stored`, as text) is not a whole number; `seconds` is what was read. */
/** lastlog2: the Time of `user`'s row is `stored`, not a whole number; read as `seconds`. */
export function lastlog2InvalidTime(user: string, stored: string, seconds: number, path: string, offset: number): UtmpWarning {
  return {
    code: 'INVALID_TIME',
    message: `lastlog2 row of '${user}': Time '${stored}' is not a whole number of seconds: read as ${seconds}, as lastlog2 reads it`,
    path,
    offset,
  };
}

/** wtmpdb: the `column` of row `id` holds `value`, not a 64-bit integer. */
export function wtmpdbInvalidTime(column: string, value: string | number | null, path: string, id: number): UtmpWarning {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return { code: 'INVALID_TIME', message: `${column} ${shown} is not a time in microseconds: read as 0, as wtmpdb reads it`, path, offset: id };
}

/** wtmpdb: `count` rows that were there when the read began were deleted during it. */
export function rowsDeleted(count: number, path: string): UtmpWarning {
  return {
    code: 'ROWS_DELETED', path, offset: 0,
    message: `${count} row${count === 1 ? ' was' : 's were'} deleted while the database was read (wtmpdb rotate?): ` +
      'not in the result; read again, or read a copy taken with sqlite3 .backup',
  };
}

/** wtmpdb: too many rows out of login order for the newest-first reader to hold. */
export function unorderedRows(path: string): UtmpWarning {
  return {
    code: 'UNORDERED_ROWS', path, offset: 0,
    message: 'too many rows out of login order to hold: the whole table was read into memory and sorted',
  };
}

/** watch: more logins open at once than a watch keeps; the oldest is let go, and its logout will not name it. */
export function openLoginsDropped(user: string, line: string): { code: string; message: string } {
  return {
    code: 'ERR_UTMPX_WATCH_OPEN_LOGINS',
    message: `more logins are open at once than a watch keeps (${MAX_OPEN_LOGINS_KEPT}, or 256 KB of them): the oldest are let go, the first ${user} on ${line}, and their logouts will not name them (said once)`,
  };
}

/** Collects warnings for one reader, calls the user's callback, enforces `strict`. */
export class WarningSink {
  readonly list: UtmpWarning[] = [];
  count = 0;
  constructor(private readonly options: WarningOptions = {}) {}

  report(warning: UtmpWarning): void {
    this.count++;
    if (this.list.length < MAX_KEPT_WARNINGS) this.list.push(warning);
    if (this.options.strict) throw new UtmpRecordError(warning);
    this.options.onWarning?.(warning);
  }

  clear(): void {
    this.list.length = 0;
    this.count = 0;
  }
}
