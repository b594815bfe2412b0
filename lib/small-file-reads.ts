/**
 * Small files (a live utmp) read whole in one call to the addon: open, lock,
 * read, unlock, close, or for a file polled (users() in a loop) the descriptor
 * kept from the last call. And, for polling, the entries of the last such read,
 * handed out again while the bytes stay the same.
 */
import type { Entry } from './entry';
import { fileAddon } from './file-locks';
import type { RecordLayout } from './layouts';

/** Files up to this size are read whole. */
const SMALL_FILE_BYTES = 256 * 1024;
/**
 * The buffer small files are read whole into, lent to one reader from its read
 * to its end and then given back: users() called in a loop allocates nothing to
 * read. It grows to the largest small file read (at most SMALL_FILE_BYTES and a
 * record); a reader that never ends keeps it, and the next read makes another.
 */
let wholeBuffer: Buffer | null = null;
const WHOLE_BUFFER_BYTES = 32 * 1024;
/**
 * How long the addon may keep the file users() and the like read last open
 * (opening and closing it cost more than the rest of a read): at most this long
 * after the first read, so a file on a removable disk does not stay busy.
 */
const KEEP_OPEN_MS = 1000;
let releaseTimer: NodeJS.Timeout | null = null;

/**
 * `path` read whole into a lent buffer (give it back with `giveBack`): `n`
 * bytes, the end of the file among them. null where this does not apply (a
 * large file, no addon, a writer holding it past the lock policy, an error):
 * the caller then streams the file.
 * `keepOpen`: the file will be read again soon, keep it open a while.
 */
export function readWhole(path: string, keepOpen: boolean): { buf: Buffer; n: number } | null {
  const addon = fileAddon();
  if (!addon) return null;
  let buf = wholeBuffer ?? Buffer.allocUnsafe(WHOLE_BUFFER_BYTES);
  wholeBuffer = null;
  if (keepOpen) releaseLater(addon);
  let n = addon.readSmallFile(path, SMALL_FILE_BYTES, buf, keepOpen);
  if (typeof n === 'number' && n < 0) n = addon.readSmallFile(path, SMALL_FILE_BYTES, (buf = Buffer.allocUnsafe(-n)), keepOpen);
  if (n === null || n < 0) {
    wholeBuffer = buf;
    return null;
  }
  return { buf, n };
}

/**
 * `readWhole` in one job on the libuv pool (open, lock, read, unlock, and the
 * descriptor kept as there): the bytes in a buffer of their own, which is
 * not given back.
 */
export async function readWholeAsync(path: string, keepOpen: boolean): Promise<{ buf: Buffer; n: number } | null> {
  const addon = fileAddon();
  if (!addon) return null;
  if (keepOpen) releaseLater(addon);
  const buf = await addon.readSmallFileAsync(path, SMALL_FILE_BYTES, keepOpen);
  return buf && { buf, n: buf.length };
}

// The descriptor kept for polled reads is closed at most KEEP_OPEN_MS after it was first kept.
function releaseLater(addon: NonNullable<ReturnType<typeof fileAddon>>): void {
  if (releaseTimer) return;
  releaseTimer = setTimeout(() => {
    releaseTimer = null;
    lastRead = null;
    addon.releaseSmallFile();
  }, KEEP_OPEN_MS);
  releaseTimer.unref();
}

/** Gives back the buffer `readWhole` lent (entries keep no reference to the bytes). */
export function giveBack(buf: Buffer): void {
  wholeBuffer = buf;
}

/** What a whole read was asked for: the same bytes read for the same ask decode the same. */
export interface WholeReadKey {
  path: string;
  /** The layout named by the caller, null when recognised from the bytes. */
  layout: RecordLayout | null;
  usersOnly: boolean;
}

/**
 * The one-call functions poll a database that seldom changes. The entries of
 * their last whole read are kept (as long as the file is, KEEP_OPEN_MS), with
 * the bytes they were decoded from: when the next read of the same path finds
 * the same bytes (one memcmp), it hands out copies instead of decoding each
 * record again. Decoding is a function of the bytes and the layout, so the
 * entries are the same; only a read that reported no warning is kept, and
 * only from the second read of a path on (keeping costs a copy of each entry).
 */
let lastRead: { key: WholeReadKey; bytes: Buffer; entries: Entry[] } | null = null;
let lastPath: string | null = null;

/**
 * For a polled read of `n` bytes in `buf`: the entries to hand out copies of
 * (`replay`), else whether to keep copies of the entries decoded (`record`)
 * for `remember`.
 */
export function recall(key: WholeReadKey, buf: Buffer, n: number): { replay: Entry[] } | { record: boolean } {
  const last = lastRead;
  const seenBefore = lastPath === key.path;
  lastPath = key.path;
  if (last && last.key.path === key.path && last.key.layout === key.layout && last.key.usersOnly === key.usersOnly &&
      last.bytes.length === n && buf.compare(last.bytes, 0, n, 0, n) === 0) {
    return { replay: last.entries };
  }
  return { record: seenBefore };
}

/** Keeps a whole read's entries (copies, decoded without a warning) with a copy of its bytes. */
export function remember(key: WholeReadKey, bytes: Buffer, entries: Entry[]): void {
  lastRead = { key, bytes: Buffer.from(bytes), entries };
}
