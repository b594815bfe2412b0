/**
 * SQLite databases (wtmpdb, lastlog2), read-only, through the addon's
 * dlopen of the system's libsqlite3 (src-native/sqlite.cc says why not
 * node:sqlite). Every call is one short read: a connection and a statement
 * for at most `maxRows` rows, then closed, so writers (sshd, PAM) wait at
 * most one batch and nothing stays open between batches.
 *
 * Errors are made by lib/model/errors.ts (`sqliteError`).
 */
import { sqliteError } from '../model/errors';
import { fileHead } from '../records/record-file';
import { type SqliteBatch, native } from '../platform/native';

/** The 16 bytes every SQLite 3 database begins with. */
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** How long a read waits for a writer's lock before it fails with EBUSY. */
export const BUSY_TIMEOUT_MS = 500;

/** Whether `path` is a SQLite database, by its header (false when it cannot be read). */
export function isSqliteFile(path: string): boolean {
  const head = fileHead(path, 16);
  return head !== null && head.equals(MAGIC);
}

/** Rows of one read; cell (row, column). */
export class Rows {
  readonly length: number;
  /** The statement ran to its end: no row is left (a batch may hold fewer than asked and not be complete). */
  readonly complete: boolean;
  private readonly columns: number;

  /** The addon's batch: cell (r, c) at r * columns + c (see src-native/sqlite.h). */
  constructor(readonly raw: SqliteBatch) {
    this.length = raw.rows;
    this.complete = raw.complete;
    this.columns = raw.columns;
  }

  /** An INTEGER/REAL cell, or null (NULL or text). */
  number(row: number, column: number): number | null {
    const v = this.raw.numbers[row * this.columns + column];
    return Number.isNaN(v) ? null : v;
  }

  /** A TEXT cell, or null (NULL or a number). */
  text(row: number, column: number): string | null {
    const cell = row * this.columns + column;
    const i = this.raw.texts[cell];
    return i < 0 || !Number.isNaN(this.raw.numbers[cell]) ? null : this.raw.strings[i];
  }

  /** An INTEGER cell's exact decimal digits when {@link number} rounds it (beyond ±2^53), else null. */
  exact(row: number, column: number): string | null {
    return exactDigits(this.raw, row * this.columns + column);
  }
}

/** The exact digits of an INTEGER cell that a double rounds (the addon hands them beside the number), else null. */
export function exactDigits(raw: SqliteBatch, cell: number): string | null {
  const i = raw.texts[cell];
  return i < 0 || Number.isNaN(raw.numbers[cell]) ? null : raw.strings[i];
}

export type Param = number | string | bigint;

const addon = native;

/** One bounded read: at most `maxRows` rows of `sql`. */
export function readRows(path: string, sql: string, params: Param[], maxRows: number): Rows {
  try {
    return new Rows(addon().sqliteRead(path, sql, params, maxRows, BUSY_TIMEOUT_MS));
  } catch (e) {
    throw sqliteError(e, path, BUSY_TIMEOUT_MS);
  }
}

/** {@link readRows} on the libuv thread pool. */
export async function readRowsAsync(path: string, sql: string, params: Param[], maxRows: number): Promise<Rows> {
  try {
    return new Rows(await addon().sqliteReadAsync(path, sql, params, maxRows, BUSY_TIMEOUT_MS));
  } catch (e) {
    throw sqliteError(e, path, BUSY_TIMEOUT_MS);
  }
}

/** Whether this process can read SQLite databases, and with which library. */
export function sqliteInfo(): { available: boolean; library: string | null; version: string | null; error: string | null } {
  return addon().sqliteInfo();
}

/**
 * An async iterator over items that come in batches: `next()` awaits only
 * when a batch is used up. A plain iterator, not an async generator, whose
 * `yield*` would cost several promise turns per item. `nextBatch` returns
 * null when there are no more.
 */
export function batchedAsync<T>(nextBatch: () => Promise<T[] | null>): AsyncIterableIterator<T> {
  let batch: T[] = [];
  let given = 0;
  let done = false;
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      while (given === batch.length) {
        const more = done ? null : await nextBatch();
        if (more === null) {
          done = true;
          batch = [];
          given = 0;
          return { value: undefined, done: true };
        }
        batch = more;
        given = 0;
      }
      return { value: batch[given++], done: false };
    },
    async return() {
      done = true;
      batch = [];
      given = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
