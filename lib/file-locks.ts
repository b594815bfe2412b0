/**
 * A record rewritten in place (utmp slots, by pututxline) while we read it can
 * come back torn. Like glibc's readers, we read under an fcntl read lock (the
 * addon's), waiting at most LOCK_WAIT_MS for a writer to finish (writers hold
 * it for microseconds: retry at once LOCK_SPINS times, then every 1 ms; the
 * addon's one-call read of a small file waits the same way). Where no lock can
 * be had, readers read until two reads agree (MAX_CONFIRMING_READS), which
 * catches most tears.
 */
import { type NativeAddon, native } from './native';

const LOCK_WAIT_MS = 1000;
const LOCK_SPINS = 100;
/** Reads of one chunk at most, where no lock can be had, until two agree. */
export const MAX_CONFIRMING_READS = 8;

export type FileAddon = Pick<NativeAddon, 'tryReadLock' | 'unlock' | 'readSmallFile' | 'releaseSmallFile'>;
let addon: FileAddon | null | undefined;

/** The addon's file functions, or null where the addon cannot load (the decoder still works). */
export function fileAddon(): FileAddon | null {
  if (addon === undefined) {
    try {
      addon = typeof native().tryReadLock === 'function' ? native() : null;
    } catch {
      addon = null;
    }
  }
  return addon;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A read lock on `fd`, waiting for a writer as described above: whether it was taken. */
export function lockSync(fd: number): boolean {
  const l = fileAddon();
  for (let tries = 0; l; tries++) {
    const got = l.tryReadLock(fd);
    if (got !== false || tries >= LOCK_SPINS + LOCK_WAIT_MS) return got === true;
    if (tries >= LOCK_SPINS) Atomics.wait(sleeper, 0, 0, 1);
  }
  return false;
}

/** `lockSync`, waiting on timers instead of blocking the thread. */
export async function lockAsync(fd: number): Promise<boolean> {
  const l = fileAddon();
  for (let tries = 0; l; tries++) {
    const got = l.tryReadLock(fd);
    if (got !== false || tries >= LOCK_SPINS + LOCK_WAIT_MS) return got === true;
    if (tries >= LOCK_SPINS) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return false;
}

/** Releases what `lockSync`/`lockAsync` took. */
export function unlock(fd: number): void {
  fileAddon()!.unlock(fd);
}
