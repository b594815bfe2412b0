/**
 * A record rewritten in place (utmp slots, by pututxline) while we read it can
 * come back torn. Like glibc's readers, we read under an fcntl read lock (the
 * addon's), waiting a little for a writer to finish (writers hold it for
 * microseconds): the addon's `lockPolicy` says how long, and both the addon's
 * own waits and the async one here follow it. Where no lock can be had,
 * readers read until two reads agree (MAX_CONFIRMING_READS), which catches
 * most tears.
 */
import { type NativeAddon, native } from './native';

/** Reads of one chunk at most, where no lock can be had, until two agree. */
export const MAX_CONFIRMING_READS = 8;

export type FileAddon = Pick<NativeAddon, 'tryReadLock' | 'readLock' | 'unlock' | 'lockPolicy' | 'readSmallFile' | 'releaseSmallFile'>;
let addon: FileAddon | null | undefined;

/** The addon's file functions, or null where the addon cannot load (the decoder still works). */
export function fileAddon(): FileAddon | null {
  if (addon === undefined) {
    try {
      addon = native();
    } catch {
      addon = null;
    }
  }
  return addon;
}

/**
 * A read lock on `fd`: whether it was taken. With `wait`, a writer is waited
 * for as `lockPolicy` says (blocking the thread); without, it is asked once.
 */
export function lockSync(fd: number, wait = true): boolean {
  const l = fileAddon();
  return (wait ? l?.readLock(fd) : l?.tryReadLock(fd)) === true;
}

/** `lockSync`, waiting on timers instead of blocking the thread. */
export async function lockAsync(fd: number, wait = true): Promise<boolean> {
  const l = fileAddon();
  if (!l) return false;
  const { spins, waitMs } = wait ? l.lockPolicy : { spins: 0, waitMs: 0 };
  for (let tries = 0; ; tries++) {
    const got = l.tryReadLock(fd);
    if (got !== false || tries >= spins + waitMs) return got === true;
    if (tries >= spins) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Releases what `lockSync`/`lockAsync` took. */
export function unlock(fd: number): void {
  fileAddon()!.unlock(fd);
}
