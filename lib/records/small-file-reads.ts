/**
 * Small files (a live utmp) read whole in one call to the addon: open, lock,
 * read, unlock, close, or for a file polled (users() in a loop) the descriptor
 * kept from the last call. And, for polling, the entries of the last such read,
 * handed out again while the bytes stay the same.
 */
import * as fs from 'fs';
import type { Entry } from '../model/entry';
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
 * not given back. Polled (`keepOpen`), a file unchanged since the last read
 * (see `Stamp`) is not read again: its bytes are those kept with its entries.
 */
export async function readWholeAsync(path: string, keepOpen: boolean): Promise<WholeRead | null> {
  const addon = fileAddon();
  if (!addon) return null;
  let stamp: Stamp | null = null;
  if (keepOpen) {
    stamp = stampOf(path);
    const last = lastRead;
    if (stamp && last?.stamp && last.key.path === path && sameStamp(stamp, last.stamp)) {
      return { buf: last.bytes, n: last.bytes.length, stamp: last.stamp };
    }
    if (stamp && !settled(stamp)) stamp = null;
    releaseLater(addon);
  }
  const buf = await addon.readSmallFileAsync(path, SMALL_FILE_BYTES, keepOpen);
  return buf && { buf, n: buf.length, stamp };
}

/** A whole read; `stamp`: the file's, taken before the read, when the bytes can be known by it. */
export interface WholeRead {
  buf: Buffer;
  n: number;
  stamp?: Stamp | null;
}

/**
 * What stat tells of a file, taken before it is read: while a later stat
 * tells the same, the file holds the same bytes, so a polled async read needs
 * no trip to the libuv pool (that trip costs several times a whole read).
 * Safe because every write(2) and truncate stamps the file's ctime with the
 * time now, which no process can set back (utimes sets ctime to now, too),
 * and a new file at the path has another inode. A ctime is stamped from a
 * coarse clock (a tick, or a second on some file systems): a file changed
 * within STAMP_SETTLED_MS of the stat could change again with the same
 * ctime, so its stat is not kept (`settled`). Only on local file systems
 * (`isLocal`): an NFS client's stat may answer from a cache, and must not
 * block the event loop on the network. Writers that change a file through a
 * shared mmap would not stamp it at once; utmp's writers (glibc's
 * pututxline, utmpdump, login managers) all write(2).
 */
export type Stamp = fs.Stats;
const STAMP_SETTLED_MS = 2000;
/** Linux file systems whose stat is the file's own, from the local kernel (statfs f_type). */
const LOCAL_FS_TYPES = new Set([
  0x01021994, // tmpfs (/run/utmp)
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
]);
/** Paths read whole and polled: whether their file system is local (asked once, off the main thread). */
const localPaths = new Map<string, boolean>();

function isLocal(path: string): boolean {
  const known = localPaths.get(path);
  if (known !== undefined) return known;
  if (process.platform !== 'linux') return false;
  if (localPaths.size >= 64) localPaths.clear();
  localPaths.set(path, false); // until statfs tells
  fs.statfs(path, (err, st) => {
    if (!err) localPaths.set(path, LOCAL_FS_TYPES.has(st.type));
  });
  return false;
}

// A stat of a local file costs what an fstat does: no wait on the main thread.
function stampOf(path: string): Stamp | null {
  if (!isLocal(path)) return null;
  try {
    const st = fs.statSync(path, { throwIfNoEntry: false });
    return st?.isFile() ? st : null;
  } catch {
    return null; // the read tells what is wrong
  }
}

const sameStamp = (a: Stamp, b: Stamp) => a.ino === b.ino && a.dev === b.dev && a.size === b.size &&
  a.ctimeMs === b.ctimeMs && a.mtimeMs === b.mtimeMs && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

// Changed long enough ago that a change from now on gets another ctime.
const settled = (st: Stamp) => st.ctimeMs < Date.now() - STAMP_SETTLED_MS;

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
let lastRead: { key: WholeReadKey; bytes: Buffer; entries: Entry[]; stamp: Stamp | null } | null = null;
let lastPath: string | null = null;

/**
 * For a polled read of `n` bytes in `buf`: the entries to hand out copies of
 * (`replay`), else whether to keep copies of the entries decoded (`record`)
 * for `remember`.
 */
export function recall(key: WholeReadKey, buf: Buffer, n: number, stamp: Stamp | null = null): { replay: Entry[] } | { record: boolean } {
  const last = lastRead;
  const seenBefore = lastPath === key.path;
  lastPath = key.path;
  if (last && last.key.path === key.path && last.key.layout === key.layout && last.key.usersOnly === key.usersOnly &&
      last.bytes.length === n && buf.compare(last.bytes, 0, n, 0, n) === 0) {
    if (stamp) last.stamp = stamp; // taken before these same bytes were read
    return { replay: last.entries };
  }
  return { record: seenBefore };
}

/** Keeps a whole read's entries (copies, decoded without a warning) with a copy of its bytes and the stamp taken before they were read. */
export function remember(key: WholeReadKey, bytes: Buffer, entries: Entry[], stamp: Stamp | null = null): void {
  lastRead = { key, bytes: Buffer.from(bytes), entries, stamp };
}

/**
 * A cursor's side of the polled-read cache, for one whole read: the kept
 * entries handed out again as copies (`replaying`), or copies of the entries
 * as they are decoded, kept at the end (`finish`) when the read reported no
 * warning and left no torn tail.
 */
export class PolledReplay {
  private replayed = 0;

  private constructor(
    private readonly key: WholeReadKey,
    private readonly replay: Entry[] | null,
    private recording: Entry[] | null,
    private readonly stamp: Stamp | null,
    private readonly warningsBefore: number,
  ) {}

  /** For a whole read polled (`keepOpen`) with `warnings` reported so far; null when the read neither replays nor records. */
  static begin(key: WholeReadKey, read: WholeRead, warnings: number): PolledReplay | null {
    // Before the layout is recognised: the same bytes give the same.
    const kept = recall(key, read.buf, read.n, read.stamp);
    const stamp = read.stamp ?? null;
    if ('replay' in kept) return new PolledReplay(key, kept.replay, null, stamp, warnings);
    return kept.record ? new PolledReplay(key, null, [], stamp, warnings) : null;
  }

  /** The entries come from the cache, not from the decoder. */
  get replaying(): boolean {
    return this.replay !== null;
  }

  /** A copy of the next kept entry (the caller may change the entry it gets). */
  next(): Entry {
    return this.replay![this.replayed++].copy();
  }

  /** Keeps a copy of an entry handed out (the caller may change the entry it gets). */
  record(entry: Entry): void {
    this.recording?.push(entry.copy());
  }

  /** The end of the read: keeps what was recorded when it went clean. */
  finish(bytes: Buffer, warnings: number, tail: number): void {
    if (this.recording && warnings === this.warningsBefore && tail === 0) remember(this.key, bytes, this.recording, this.stamp);
    this.recording = null;
  }

  /** The read ended early (a refusal): nothing is kept. */
  drop(): void {
    this.recording = null;
  }
}
