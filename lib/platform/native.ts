/**
 * The compiled addon, loaded through node-gyp-build: a prebuilt binary from
 * `prebuilds/` when one fits this platform, else the local `build/`.
 */
import * as path from 'path';

/** A record as the addon copies it out of libc's `struct utmpx`. */
export interface NativeRecord {
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host?: string;
  exitTermination?: number;
  exitStatus?: number;
  session?: number;
  sec: number;
  usec: number;
  /** The 16 bytes of `ut_addr_v6`, network order. */
  addr?: Uint8Array;
}

/** One whole read of a database through setutxent/getutxent/endutxent. */
export interface NativeSnapshot {
  records: NativeRecord[];
  /** Bytes after the last whole record (glibc), or -1 where unknown. */
  trailingBytes: number;
  platform: NativePlatform;
}

/**
 * One logind session as sd-login gives it: a field is absent when the library
 * cannot give it (no such getter in this libsystemd, or logind has no value).
 */
export interface NativeLogindSession {
  id: string;
  uid?: number;
  user?: string;
  seat?: string;
  tty?: string;
  display?: string;
  remoteHost?: string;
  remoteUser?: string;
  service?: string;
  type?: string;
  class?: string;
  state?: string;
  desktop?: string;
  vt?: number;
  leader?: number;
  /** Microseconds since the epoch. */
  startUsec?: number;
  active?: boolean;
  remote?: boolean;
  /** For a `tty` session without a tty (ssh): the pty coreutils' who would guess (`pts/N`). */
  guessedPty?: string;
  /** Fields read from the session file because this libsystemd lacks their getter (before 254). */
  fromFile: ('user' | 'leader' | 'startTime')[];
}

/** One read of sd-login: the library that answered and its sessions. */
export interface NativeLogindSnapshot {
  library: string;
  sessions: NativeLogindSession[];
}

/** The C library the addon was built for; `musl` and `other` have only stub utmpx functions. */
export type NativePlatform = 'glibc' | 'musl' | 'darwin' | 'freebsd' | 'other';

export interface FieldPosition {
  offset: number;
  size: number;
}

export interface NativeAddon {
  readUtmpx(path?: string): NativeSnapshot;
  readUtmpxAsync(path?: string): Promise<NativeSnapshot>;
  paths: { utmp: string; wtmp: string; btmp: string; lastlog: string };
  platform: NativePlatform;
  /** True where libc's utmpx functions are stubs (musl). */
  libcStubs: boolean;
  /** On glibc, sizeof/offsetof of `struct utmpx`; empty elsewhere. */
  structLayout: { size?: number } & Record<string, FieldPosition | number | undefined>;
  /**
   * An fcntl read lock on an open file: true taken, false a writer holds it,
   * null no locks here. With `wait` (the default) a writer is waited for as
   * `lockPolicy` says, blocking the thread, unless that file's writer has held
   * it past the policy before, the file has not changed, and no reader has
   * found it unlocked since.
   */
  readLock(fd: number, wait?: boolean): boolean | null;
  /** `readLock` waiting on a libuv thread. */
  readLockAsync(fd: number): Promise<boolean | null>;
  /** Releases what `readLock` or `readLockAsync` took. */
  unlock(fd: number): void;
  /** How long the addon waits for a writer: retry at once `spins` times, then once a millisecond for `waitMs`. */
  lockPolicy: { spins: number; waitMs: number };
  /**
   * A whole file of at most `limit` bytes, read under a read lock in one call
   * into `into`: the bytes read; -n when `into` is smaller than the n bytes
   * needed; null when the file is larger, grew while read, or could not be
   * locked (within `lockPolicy`) or read.
   * `keep`: the descriptor stays open for the next call on the same path (one
   * at a time), which checks with a stat that the path still names that file.
   */
  readSmallFile(path: string, limit: number, into: Buffer, keep?: boolean): number | null;
  /** `readSmallFile` on the libuv pool, into a Buffer of its own: the bytes read, or null as there. */
  readSmallFileAsync(path: string, limit: number, keep?: boolean): Promise<Buffer | null>;
  /** Closes the descriptor `readSmallFile` kept. */
  releaseSmallFile(): void;
  /** The lastlog record of a uid or user name (src-native/lastlog_reader.h); `layout` reads a foreign file. */
  readLastlog(path: string | undefined, key: number | string, layout?: NativeLastlogLayout): NativeLastlogRead;
  readLastlogAsync(path: string | undefined, key: number | string, layout?: NativeLastlogLayout): Promise<NativeLastlogRead>;
  /** Up to `maxRecords` written lastlog records from byte `offset` on (holes skipped). */
  scanLastlog(path: string | undefined, offset: number, maxRecords: number, names: boolean, layout?: NativeLastlogLayout): NativeLastlogBatch;
  scanLastlogAsync(path: string | undefined, offset: number, maxRecords: number, names: boolean, layout?: NativeLastlogLayout): Promise<NativeLastlogBatch>;
  /** How this OS keeps last logins, and its record size where it is a file. */
  lastlog: { recordSize: number; source: 'file' | 'utxdb' | 'getlastlogx' | 'none' };
  /** The sessions of systemd-logind through sd-login, or null where sd-login cannot be loaded. */
  readLogind?(): NativeLogindSnapshot | null;
  /** `readLogind` on a libuv thread. */
  readLogindAsync?(): Promise<NativeLogindSnapshot | null>;
  /** Which library provides sd-login (null: none) and which of the getters used it lacks. */
  logindInfo?(): { library: string | null; missing: string[] };
  /**
   * Whether each process still runs, as who's `kill(pid, 0)` tells (pids of 0
   * or below count as alive): one kill() per pid, nothing held between calls.
   */
  leadersAlive?(pids: Int32Array): Uint8Array;
  /** The last pid the kernel handed out in this pid namespace (`ns_last_pid`), or -1. */
  lastPid?(): number;
  /**
   * At most `maxRows` rows of `sql` from a SQLite database, read-only, with
   * one short connection (src-native/sqlite.h); lib/sources/sqlite.ts wraps it.
   */
  sqliteRead(path: string, sql: string, params: (number | string | bigint)[], maxRows: number, busyMs: number): SqliteBatch;
  /** `sqliteRead` on the libuv pool. */
  sqliteReadAsync(path: string, sql: string, params: (number | string | bigint)[], maxRows: number, busyMs: number): Promise<SqliteBatch>;
  /** Whether libsqlite3 could be loaded (with dlopen, at the first call). */
  sqliteInfo(): { available: boolean; library: string | null; version: string | null; error: string | null };
}

/** A lastlog record format the addon reads (lastlog.ts's `LastlogLayout`). */
export interface NativeLastlogLayout {
  size: number;
  timeSize: number;
  littleEndian: boolean;
}

/** One lastlog record as the addon hands it over. */
export interface NativeLastlog {
  uid: number | null;
  user: string | null;
  time: number;
  line: string;
  host: string;
}

/** What `readLastlog` found. */
export interface NativeLastlogRead {
  /** The uid asked for or resolved from the name; null for an unknown name. */
  uid: number | null;
  record: NativeLastlog | null;
  fileSize: number;
}

/** A batch of `scanLastlog`. */
export interface NativeLastlogBatch {
  records: NativeLastlog[];
  /** Byte offset to continue from. */
  next: number;
  done: boolean;
  fileSize: number;
}

/** Rows of one SQLite read, by column: cell (r, c) at r * columns + c. */
export interface SqliteBatch {
  columns: number;
  rows: number;
  /**
   * Whether the statement ran to its end. A batch may stop short of `maxRows`
   * (a byte cap) while more rows remain: only `complete` says the read is over.
   */
  complete: boolean;
  /** INTEGER/REAL cells; NaN for text and NULL. */
  numbers: Float64Array;
  /**
   * The index in `strings` of a TEXT cell; -1 for numbers and NULL, but for
   * an INTEGER beyond ±2^53 (which `numbers` rounds), the index of its exact
   * decimal digits.
   */
  texts: Int32Array;
  /** Each distinct string of the batch once. */
  strings: string[];
}

let loaded: NativeAddon | undefined;
let unavailable = false;

/** Loads the addon once; later calls return the same module. */
export function native(): NativeAddon {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    loaded = load(path.join(__dirname, '..', '..'));
  }
  return loaded;
}

/** The addon, or null where it cannot load (the decoder still reads files); a failed load is not tried again. */
export function tryNative(): NativeAddon | null {
  if (loaded || unavailable) return loaded ?? null;
  try {
    return native();
  } catch {
    unavailable = true;
    return null;
  }
}
