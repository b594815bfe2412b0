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
import { type NativeAddon, tryNative } from '../platform/native';

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
