/**
 * A record rewritten in place (utmp slots, by pututxline) while we read it can
 * come back torn. Like glibc's readers, we read under an fcntl read lock (the
 * addon's), waiting a little for a writer to finish (writers hold it for
 * microseconds): the addon's `lockPolicy` says how long. A writer that holds
 * a file past that is taken to be stuck, and the addon does not wait for it
 * again until the file is found unlocked or changes. Where no lock can be
 * had, readers read until two reads agree (MAX_CONFIRMING_READS), which
 * catches most tears.
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { type NativeAddon, tryNative } from '../platform/native';

const readAsync = promisify(fs.read);

/** Reads of one chunk at most, where no lock can be had, until two agree. */
export const MAX_CONFIRMING_READS = 8;

export type FileAddon = Pick<NativeAddon, 'readLock' | 'readLockAsync' | 'unlock' | 'readSmallFile' | 'readSmallFileAsync' | 'releaseSmallFile'>;

/** The addon's file functions, or null where the addon cannot load (the decoder still works). */
export const fileAddon: () => FileAddon | null = tryNative;

/**
 * A read lock on `fd`: whether it was taken. A writer is waited for as
 * `lockPolicy` says, blocking the thread, unless the addon has seen this
 * file's writer hold it past that before and since then nobody has found it
 * free and it has not changed.
 */
export function lockSync(fd: number): boolean {
  return fileAddon()?.readLock(fd) === true;
}

/** `lockSync`, waiting (when there is a writer) on a libuv thread instead of this one. */
export async function lockAsync(fd: number): Promise<boolean> {
  const l = fileAddon();
  if (!l) return false;
  const got = l.readLock(fd, false);
  return got === false ? (await l.readLockAsync(fd)) === true : got === true;
}

/** Releases what `lockSync`/`lockAsync` took. */
export function unlock(fd: number): void {
  fileAddon()!.unlock(fd);
}

/**
 * Reads up to `length` bytes of `fd` at `position` into `buf` under the read
 * lock; where none could be had, again (into `spare(n)`, by default a new
 * buffer) until two reads agree. The bytes read.
 */
export function readLockedSync(fd: number, buf: Buffer, length: number, position: number, spare: (n: number) => Buffer = Buffer.allocUnsafe): number {
  const locked = lockSync(fd);
  try {
    let n = fs.readSync(fd, buf, 0, length, position);
    for (let i = 0; !locked && i < MAX_CONFIRMING_READS && n > 0; i++) {
      const again = spare(n);
      const m = fs.readSync(fd, again, 0, n, position);
      if (confirmed(buf, again, n, m)) break;
      n = m;
    }
    return n;
  } finally {
    if (locked) unlock(fd);
  }
}

/** `readLockedSync` off the main thread (the lock too, when a writer holds the file). */
export async function readLockedAsync(fd: number, buf: Buffer, length: number, position: number, spare: (n: number) => Buffer = Buffer.allocUnsafe): Promise<number> {
  const locked = await lockAsync(fd);
  try {
    let n = (await readAsync(fd, buf, 0, length, position)).bytesRead;
    for (let i = 0; !locked && i < MAX_CONFIRMING_READS && n > 0; i++) {
      const again = spare(n);
      const m = (await readAsync(fd, again, 0, n, position)).bytesRead;
      if (confirmed(buf, again, n, m)) break;
      n = m;
    }
    return n;
  } finally {
    if (locked) unlock(fd);
  }
}

// Whether a second read (m bytes in `again`) agrees with the first (n bytes
// in buf); if not, the second one replaces the first.
function confirmed(buf: Buffer, again: Buffer, n: number, m: number): boolean {
  if (m === n && again.compare(buf, 0, n, 0, n) === 0) return true;
  again.copy(buf, 0, 0, m);
  return false;
}
