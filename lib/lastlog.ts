/**
 * The last login of each user (lastlog).
 *
 * Where the records come from:
 * - Linux: the file of `struct lastlog` indexed by uid (`/var/log/lastlog`).
 *   `get()` reads one record with one `pread`; iteration walks only the
 *   written parts of the (usually sparse) file with `SEEK_DATA`/`SEEK_HOLE`,
 *   so a file of 1 TB apparent size (one login by uid 4,000,000,000) takes
 *   milliseconds and little memory.
 * - FreeBSD: the `utx.lastlogin` database through libc
 *   (`setutxdb(UTXDB_LASTLOGIN)`, `getutxuser`).
 * - macOS: `getlastlogx` (the system's records only: no path).
 * - lastlog2 (`/var/lib/lastlog/lastlog2.db`, SQLite, keyed by user name),
 *   where it exists (Debian 13, Fedora 43+, openSUSE): it is read instead of
 *   the legacy file, which those systems no longer write.
 */
import * as fs from 'fs';
import * as os from 'os';
import { MAX_DATE_MS, dateCanHold, devicePath } from './model/entry';
import { Accounts, type Lastlog2Row, lastlog2Row, lastlog2RowAsync, lastlog2Rows, lastlog2RowsAsync } from './sources/lastlog2';
import type { DataSource } from './model/data-source';
import { isSqliteFile } from './sources/sqlite';
import { type NativeLastlog, type NativeLastlogRead, native } from './platform/native';
import { argumentError, checkPathArgument, fileError, missingDatabase } from './model/errors';
import { LASTLOG2_PATH, chooseLastlog } from './platform/platform';
import { type UtmpWarning, type WarningOptions, WarningSink, lastlog2InvalidTime, timeOutOfRange, trailingBytes } from './model/warnings';

/** One user's last login. */
export interface LastlogEntry {
  /**
   * The user id. `null` for a record whose user name has no account (any
   * more): a lastlog2 row (lastlog2 is keyed by name; uids come from
   * /etc/passwd) and, on FreeBSD, a `utx.lastlogin` record.
   */
  uid: number | null;
  /** The account name of `uid` (`getpwuid_r`), or `null` when no account has this uid. */
  user: string | null;
  /** The line exactly as recorded (`pts/0`; shadow's `lastlog -S` writes `lastlog`), as `UtmpEntry.line`. */
  line: string;
  /** The line as a device path (`/dev/pts/0`), as `UtmpEntry.ut_line`; pseudo-lines stay as recorded. */
  ut_line: string;
  /** Remote host, as recorded (empty for a local login). */
  host: string;
  /** Seconds since the epoch. */
  time: number;
  /**
   * `time` exactly, in decimal, where `time` is rounded: a lastlog2 Time
   * beyond ±2^53 s (a 64-bit column; liblastlog2's own tests write
   * INT64_MAX − 1000). Absent otherwise: then `String(time)` is exact.
   */
  exactTime?: string;
  /** `time` as a Date. */
  date: Date;
  /** The PAM service of the login (`sshd`, `login`), from lastlog2; null elsewhere. */
  service: string | null;
  /** Where the entry came from: `lastlog` or `lastlog2`. */
  source: DataSource;
}

/** A uid (integer from 0 to 4294967295) or a user name. */
export type LastlogKey = number | string;

/** Options of `LastlogFile`. */
export interface LastlogFileOptions extends WarningOptions {
  /**
   * Look up the account name of each entry while iterating (default `true`).
   * Each lookup is a `getpwuid_r`: ~6 us for an account in /etc/passwd, but
   * ~70 us for a uid with no account where nsswitch.conf also asks systemd,
   * and a network round trip with LDAP. With `false`, iterated entries have
   * `user: null`; `get()` always looks the name up.
   */
  resolveUsers?: boolean;
  /**
   * Which database to read (default `auto`): `lastlog2` (SQLite) or the
   * legacy `lastlog`. `auto` reads a given path as what its header says it
   * is; without a path, lastlog2's database where it exists, else lastlog.
   */
  source?: 'lastlog' | 'lastlog2' | 'auto';
  /**
   * The record format of a legacy lastlog file (Linux), for a file copied from
   * another machine: `lastlog-292-le` (x86-64, i386, armhf), `lastlog-296-le`
   * (aarch64: an 8-byte `ll_time`), `lastlog-296-be` (s390x), `lastlog-292-be`
   * (32-bit big-endian), `host` (this machine's), or `auto` (default): a
   * given path is read in the format its size and last record fit (the last
   * record of a lastlog file is always a login), the host's when in doubt.
   */
  layout?: LastlogLayoutName | 'host' | 'auto';
}

/** The record formats of glibc's `struct lastlog`: its size and byte order. */
export type LastlogLayoutName = 'lastlog-292-le' | 'lastlog-292-be' | 'lastlog-296-le' | 'lastlog-296-be';

/** A lastlog record format: `ll_time` of `timeSize` bytes, then `ll_line[32]`, `ll_host[256]`. */
export interface LastlogLayout {
  name: LastlogLayoutName;
  size: 292 | 296;
  timeSize: 4 | 8;
  littleEndian: boolean;
}

export const LASTLOG_LAYOUTS: Readonly<Record<LastlogLayoutName, LastlogLayout>> = {
  'lastlog-292-le': { name: 'lastlog-292-le', size: 292, timeSize: 4, littleEndian: true },
  'lastlog-292-be': { name: 'lastlog-292-be', size: 292, timeSize: 4, littleEndian: false },
  'lastlog-296-le': { name: 'lastlog-296-le', size: 296, timeSize: 8, littleEndian: true },
  'lastlog-296-be': { name: 'lastlog-296-be', size: 296, timeSize: 8, littleEndian: false },
};

/** This machine's lastlog format, from the addon's sizeof(struct lastlog); null where lastlog is no such file. */
function hostLastlogLayout(): LastlogLayout | null {
  const size = addon().lastlog.recordSize;
  const littleEndian = os.endianness() === 'LE';
  if (size === 292) return littleEndian ? LASTLOG_LAYOUTS['lastlog-292-le'] : LASTLOG_LAYOUTS['lastlog-292-be'];
  if (size === 296) return littleEndian ? LASTLOG_LAYOUTS['lastlog-296-le'] : LASTLOG_LAYOUTS['lastlog-296-be'];
  return null;
}

const YEAR_1980 = 315532800;

// ll_time of the record ending at the end of `tail`, read in `layout`.
function lastTime(tail: Buffer, layout: LastlogLayout): number {
  const at = tail.length - layout.size;
  if (layout.timeSize === 4) return layout.littleEndian ? tail.readUInt32LE(at) : tail.readUInt32BE(at);
  return Number(layout.littleEndian ? tail.readBigInt64LE(at) : tail.readBigInt64BE(at));
}

/**
 * The format of the lastlog file at `path`. A lastlog file ends with the
 * record of its highest uid, a login: the formats whose record size divides
 * the file are tried on that record, the host's first; the first whose time
 * is a date from 1980 to a year from now wins, else the first with any time
 * at all, else the host's. (Read as 292-byte records, a 296-byte little-endian
 * file shows the zero upper half of an `ll_time`; a big-endian one, its bytes
 * reversed: years off.) Unreadable files are left to the reader to report.
 */
export function detectLastlogLayout(path: string, host: LastlogLayout): LastlogLayout {
  let tail: Buffer;
  let size: number;
  try {
    // O_NONBLOCK: a FIFO must not block the open (the reader then refuses it).
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return host;
      size = st.size;
      tail = Buffer.alloc(Math.min(size, 296));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return host;
  }
  const candidates = [host, ...Object.values(LASTLOG_LAYOUTS).filter((l) => l !== host)]
    .filter((l) => size > 0 && size % l.size === 0 && tail.length >= l.size);
  const yearFromNow = Date.now() / 1000 + 366 * 86400;
  return candidates.find((l) => lastTime(tail, l) >= YEAR_1980 && lastTime(tail, l) <= yearFromNow) ??
    candidates.find((l) => lastTime(tail, l) > 0 && lastTime(tail, l) < 2 ** 32) ?? host;
}

function lastlogLayout(path: string | undefined, layout: LastlogFileOptions['layout'] = 'auto'): LastlogLayout | null {
  if (layout !== 'auto' && layout !== 'host' && !Object.hasOwn(LASTLOG_LAYOUTS, layout)) {
    throw argumentError('ERR_INVALID_ARG_VALUE', `The "layout" option must be 'auto', 'host' or one of ${Object.keys(LASTLOG_LAYOUTS).join(', ')}; received ${String(layout)}`);
  }
  const host = hostLastlogLayout();
  if (host === null) {
    if (layout === 'auto' || layout === 'host') return null;
    throw fileError('ENOSYS', 38, `this platform keeps last logins in its own database, not a Linux lastlog file (${layout})`,
      'open', path ?? '', 'read a Linux lastlog file on Linux');
  }
  if (layout === 'host') return host;
  if (layout !== 'auto') return LASTLOG_LAYOUTS[layout];
  return path === undefined ? host : detectLastlogLayout(path, host);
}

/** Which last-login database {@link LastlogFile} reads for `path` and `source`. */
export function lastlogSource(path: string | undefined, source: LastlogFileOptions['source'] = 'auto'): 'lastlog' | 'lastlog2' {
  if (source !== 'auto' && source !== 'lastlog' && source !== 'lastlog2') {
    throw argumentError('ERR_INVALID_ARG_VALUE', `The "source" option must be 'lastlog', 'lastlog2' or 'auto'; received ${String(source)}`);
  }
  return chooseLastlog(path, source, isSqliteFile);
}

const addon = native;

/** Records handed over per call of the addon: bounds memory, not speed. */
const BATCH_RECORDS = 4096;
const MAX_UID = 0xffffffff;

function checkKey(key: unknown): LastlogKey {
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < 0 || key > MAX_UID) {
      throw argumentError('ERR_OUT_OF_RANGE', `The uid must be an integer from 0 to ${MAX_UID}; received ${String(key)}`);
    }
    return key;
  }
  if (typeof key === 'string') {
    if (key.includes('\0')) throw argumentError('ERR_INVALID_ARG_VALUE', 'The user name must not contain NUL bytes');
    return key;
  }
  throw argumentError('ERR_INVALID_ARG_TYPE', `The user must be a uid (number) or a user name (string); received ${typeof key}`);
}

function toLastlogEntry(raw: NativeLastlog): LastlogEntry {
  return {
    uid: raw.uid,
    user: raw.user,
    line: raw.line,
    ut_line: devicePath(raw.line),
    host: raw.host,
    time: raw.time,
    date: new Date(raw.time * 1000),
    service: null,
    source: 'lastlog',
  };
}

/** lastlog2 rows carry no byte offset: their warnings have this one (and name the user). */
const NO_OFFSET = -1;

/** What is wrong with a lastlog2 row's time, told to `report`: a Time not a whole number, or one no Date can hold. */
export function checkLastlog2Time(row: Lastlog2Row, path: string, report: (w: UtmpWarning) => void): void {
  // lastlog2 prints such a row with the time it read, then "Invalid numeric time entry".
  if (row.invalidTime !== undefined) report(lastlog2InvalidTime(row.user, row.invalidTime, row.time, path, NO_OFFSET));
  if (!dateCanHold(row.time)) report(timeOutOfRange(row.time, path, NO_OFFSET, `lastlog2 row of '${row.user}': `));
}

function fromLastlog2(row: Lastlog2Row, accounts: Accounts, sink: WarningSink, path: string): LastlogEntry | null {
  checkLastlog2Time(row, path, (w) => sink.report(w));
  if (row.time === 0) return null; // lastlog2 writes 0 for "never logged in"
  const line = row.line ?? '';
  return {
    uid: accounts.uid(row.user),
    user: row.user,
    line,
    // pam_lastlog2 records an ssh login's PAM_TTY, the pseudo-line `ssh`: no device.
    ut_line: line === 'ssh' ? line : devicePath(line),
    host: row.host ?? '',
    time: row.time,
    ...(row.exactTime === undefined ? {} : { exactTime: row.exactTime }),
    // The nearest Date to a time none can hold (reported above), never an Invalid Date.
    date: new Date(Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, row.time * 1000))),
    service: row.service,
    source: 'lastlog2',
  };
}

/**
 * A last-login database. Iterate it (`for...of`, or `for await...of` to read
 * off the main thread) for the users who have logged in, in uid order; each
 * loop starts from the beginning. `get()` answers for one user without a scan.
 *
 * @example
 * const ll = new LastlogFile();
 * const root = ll.get('root');   // or ll.get(0)
 * if (root) console.log(root.date, root.line, root.host);
 * for (const e of ll) console.log(e.uid, e.user, e.date);
 */
export class LastlogFile implements Iterable<LastlogEntry>, AsyncIterable<LastlogEntry> {
  /** The file read: the path given, or the system's lastlog. */
  readonly path: string;
  private readonly givenPath: string | undefined;
  private readonly sink: WarningSink;
  private readonly resolveUsers: boolean;
  /** The database read: the legacy `lastlog`, or `lastlog2` (SQLite). */
  readonly source: 'lastlog' | 'lastlog2';
  private accountsRead: Accounts | null = null;
  /**
   * The record format the legacy file is read in (see the `layout` option);
   * null for lastlog2 and where the platform's last logins are no such file.
   */
  readonly layout: LastlogLayout | null;

  /**
   * @param path a lastlog file; by default the system's (`/var/log/lastlog`
   *   on Linux). macOS reads the system's records only and takes no path.
   * @param options `onWarning` / `strict` for a damaged file (see `warnings`);
   *   `resolveUsers`.
   */
  constructor(path?: string, options: LastlogFileOptions = {}) {
    checkPathArgument(path);
    this.source = lastlogSource(path, options.source);
    this.givenPath = path;
    this.path = path ?? (this.source === 'lastlog2' ? LASTLOG2_PATH : addon().paths.lastlog);
    this.sink = new WarningSink(options);
    this.resolveUsers = options.resolveUsers ?? true;
    this.layout = this.source === 'lastlog' ? lastlogLayout(path, options.layout) : null;
  }

  // The format handed to the addon: undefined for its own (and off Linux).
  private get foreign(): LastlogLayout | undefined {
    return this.layout === null || this.layout === hostLastlogLayout() ? undefined : this.layout;
  }

  /** Problems found so far (a partial record at the end); cleared when a new loop starts. */
  get warnings(): readonly UtmpWarning[] {
    return this.sink.list;
  }

  /** How many problems were found so far. */
  get warningCount(): number {
    return this.sink.count;
  }

  /**
   * The last login of one user, read directly (no scan).
   * @param userOrUid a uid, or a user name looked up with `getpwnam_r` among
   *   this machine's accounts (for a file from another machine, pass the uid).
   * @returns the entry, or `null` when the user never logged in, the uid lies
   *   past the end of the file, or no account has that name.
   * @throws TypeError for a negative or non-integer uid; a Node-style error
   *   (`ENOENT`, `EACCES`, ...) when the file cannot be read.
   */
  get(userOrUid: LastlogKey): LastlogEntry | null {
    return this.lookup(userOrUid).entry;
  }

  /**
   * `get()` that also says whom it looked up, to tell a user who never logged
   * in (`uid` set, `entry` null) from a name no account has (`uid` null).
   */
  lookup(userOrUid: LastlogKey): { uid: number | null; entry: LastlogEntry | null } {
    if (this.source === 'lastlog2') {
      const key = this.lastlog2Key(checkKey(userOrUid));
      const row = key.name === null ? null : this.explained(() => lastlog2Row(this.path, key.name!));
      return { uid: key.uid, entry: row && fromLastlog2(row, this.accounts(), this.sink, this.path) };
    }
    const key = checkKey(userOrUid);
    const result = this.explained(() => addon().readLastlog(this.givenPath, key, this.foreign));
    return { uid: result.uid, entry: this.settle(result) };
  }

  /** `get()`, read on the libuv thread pool. */
  async getAsync(userOrUid: LastlogKey): Promise<LastlogEntry | null> {
    return (await this.lookupAsync(userOrUid)).entry;
  }

  /** `lookup()`, read (and the name looked up) on the libuv thread pool. */
  async lookupAsync(userOrUid: LastlogKey): Promise<{ uid: number | null; entry: LastlogEntry | null }> {
    if (this.source === 'lastlog2') {
      const key = this.lastlog2Key(checkKey(userOrUid));
      const row = key.name === null ? null : await this.explainedAsync(() => lastlog2RowAsync(this.path, key.name!));
      return { uid: key.uid, entry: row && fromLastlog2(row, this.accounts(), this.sink, this.path) };
    }
    const key = checkKey(userOrUid);
    const result = await this.explainedAsync(() => addon().readLastlogAsync(this.givenPath, key, this.foreign));
    return { uid: result.uid, entry: this.settle(result) };
  }

  /** The users who have logged in, in uid order, from the start of the file. */
  *[Symbol.iterator](): Generator<LastlogEntry, void, undefined> {
    this.sink.clear();
    if (this.source === 'lastlog2') {
      const rows = lastlog2Rows(this.path);
      try {
        for (let r = this.explained(() => rows.next()); !r.done; r = this.explained(() => rows.next())) {
          const e = fromLastlog2(r.value, this.accounts(), this.sink, this.path);
          if (e) yield e;
        }
      } finally {
        rows.return();
      }
      return;
    }
    let offset = 0;
    for (;;) {
      const batch = this.explained(() => addon().scanLastlog(this.givenPath, offset, BATCH_RECORDS, this.resolveUsers, this.foreign));
      for (const raw of batch.records) yield toLastlogEntry(raw);
      if (batch.done) return this.checkTail(batch.fileSize);
      offset = batch.next;
    }
  }

  /** The same as the sync iterator, each batch read on the libuv thread pool. */
  async *[Symbol.asyncIterator](): AsyncGenerator<LastlogEntry, void, undefined> {
    this.sink.clear();
    if (this.source === 'lastlog2') {
      const rows = lastlog2RowsAsync(this.path);
      try {
        for (let r = await this.explainedAsync(() => rows.next()); !r.done; r = await this.explainedAsync(() => rows.next())) {
          const e = fromLastlog2(r.value, this.accounts(), this.sink, this.path);
          if (e) yield e;
        }
      } finally {
        await rows.return?.();
      }
      return;
    }
    let offset = 0;
    for (;;) {
      const batch = await this.explainedAsync(() => addon().scanLastlogAsync(this.givenPath, offset, BATCH_RECORDS, this.resolveUsers, this.foreign));
      for (const raw of batch.records) yield toLastlogEntry(raw);
      if (batch.done) return this.checkTail(batch.fileSize);
      offset = batch.next;
    }
  }

  // A read's error; a missing file the caller did not name may be a database this system does not keep.
  private explained<T>(read: () => T): T {
    try {
      return read();
    } catch (e) {
      throw missingDatabase(e, this.givenPath !== undefined);
    }
  }

  private async explainedAsync<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (e) {
      throw missingDatabase(e, this.givenPath !== undefined);
    }
  }

  /** Every user who has logged in, in uid order. */
  toArray(): LastlogEntry[] {
    return [...this];
  }

  /** `toArray()`, read off the main thread. */
  async toArrayAsync(): Promise<LastlogEntry[]> {
    const out: LastlogEntry[] = [];
    for await (const e of this) out.push(e);
    return out;
  }

  // lastlog2 is keyed by name: a uid is named from /etc/passwd.
  private lastlog2Key(key: LastlogKey): { uid: number | null; name: string | null } {
    const accounts = this.accounts();
    return typeof key === 'number' ? { uid: key, name: accounts.name(key) } : { uid: accounts.uid(key), name: key };
  }

  private accounts(): Accounts {
    this.accountsRead ??= new Accounts();
    return this.accountsRead;
  }

  private settle(result: NativeLastlogRead): LastlogEntry | null {
    const size = this.layout?.size ?? 0;
    if (result.record === null && result.uid !== null && size > 0) {
      const offset = result.uid * size;
      if (offset < result.fileSize && offset + size > result.fileSize) this.reportTail(result.fileSize);
    }
    return result.record ? toLastlogEntry(result.record) : null;
  }

  private checkTail(fileSize: number): void {
    const size = this.layout?.size ?? 0;
    if (size > 0 && fileSize % size !== 0) this.reportTail(fileSize);
  }

  private reportTail(fileSize: number): void {
    const size = this.layout?.size ?? 0;
    const trailing = fileSize % size;
    this.sink.report(trailingBytes(trailing, size, this.path, fileSize - trailing, true));
  }
}

/**
 * The last login of one user, in one call: `new LastlogFile(path).get(userOrUid)`.
 * @returns the entry, or `null` when the user never logged in or has no account.
 */
export function lastLogin(userOrUid: LastlogKey, path?: string, options: LastlogFileOptions = {}): LastlogEntry | null {
  return new LastlogFile(path, options).get(userOrUid);
}

/** `lastLogin()`, read on the libuv thread pool. */
export async function lastLoginAsync(userOrUid: LastlogKey, path?: string, options: LastlogFileOptions = {}): Promise<LastlogEntry | null> {
  return new LastlogFile(path, options).getAsync(userOrUid);
}
