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
}

let loaded: NativeAddon | undefined;
let unavailable = false;

/** Loads the addon once; later calls return the same module. */
export function native(): NativeAddon {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    loaded = load(path.join(__dirname, '..'));
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
