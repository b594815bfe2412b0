/**
 * Streams a record file (wtmp, btmp, a utmp copied from another machine)
 * through the decoder: large chunks read at explicit offsets, constant memory,
 * usable synchronously and asynchronously. Never keeps more than one chunk.
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { type RecordDecoder, decodeAt, recordDecoder } from './decoder';
import type { Entry, UtmpEntry } from './entry';
import { LAYOUTS, type LayoutName, type RecordLayout, detectLayout } from './layouts';
import { MAX_CONFIRMING_READS, lockAsync, lockSync, unlock } from './file-locks';
import type { WarningSink } from './warnings';
import { type WholeReadKey, giveBack, readWhole, recall, remember } from './whole-read';

const readAsync = promisify(fs.read);
const openAsync = promisify(fs.open);
const fstatAsync = promisify(fs.fstat);

/** Bytes read per chunk, rounded down to whole records (forwards here, backwards in backward.ts). */
export const CHUNK_BYTES = 1 << 20;
/**
 * Longest time async reading keeps the event loop busy before letting timers
 * and I/O run (decoding is fast once optimised, but the first chunks run
 * before the JIT has compiled the decoder).
 */
const SLICE_MS = 4;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Bytes read to recognise the layout. */
const HEAD_BYTES = 64 * 1024;
/** The largest record of any layout (macOS utmpx32). */
const MAX_RECORD_BYTES = 628;

/** What a reader will do with the records: lets the cursor do less. */
export interface CursorHints {
  /** Only USER_PROCESS entries are wanted: others may be skipped (see `RecordDecoder.quietNonUser`). */
  usersOnly?: boolean;
  /** The same file will be read again soon (users() polled): a small file stays open a while (see `readWhole`). */
  keepOpen?: boolean;
}

/** Node's own error shape, for what fs reports without a path. */
export function withPath(err: unknown, path: string): unknown {
  if (err && typeof err === 'object' && 'code' in err && !('path' in err)) {
    const e = err as NodeJS.ErrnoException;
    e.path = path;
    e.message = `${e.message}, '${path}'`;
  }
  return err;
}

function isDirectoryError(path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    `EISDIR: illegal operation on a directory, read '${path}' (it is a directory: pass the path of a record file)`,
  );
  err.code = 'EISDIR';
  err.errno = -21;
  err.syscall = 'read';
  err.path = path;
  return err;
}

/** An open record file: its descriptor, its size, and its layout where known. */
export interface OpenedRecordFile {
  fd: number;
  size: number;
  /** The layout given, or recognised from the first bytes; null while the file is too small to bother (see `detectAbove`). */
  layout: RecordLayout | null;
}

/**
 * Opens `path` for reading records. A directory is EISDIR; every error names
 * the path. Without a `layout`, one is recognised from the first bytes when
 * the file is larger than `detectAbove` (smaller files are recognised from
 * their first, whole read instead). By default the layout is always recognised.
 */
export function openRecordFileSync(path: string, layout: RecordLayout | null, detectAbove = -1): OpenedRecordFile {
  let fd: number | null = null;
  try {
    fd = fs.openSync(path, 'r');
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw isDirectoryError(path);
    if (!layout && st.size > detectAbove) {
      const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, st.size));
      const n = fs.readSync(fd, head, 0, head.length, 0);
      layout = detectLayout(head.subarray(0, n), st.size);
    }
    return { fd, size: st.size, layout };
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    throw withPath(err, path);
  }
}

/** `openRecordFileSync`, with the file system work off the main thread. */
export async function openRecordFileAsync(path: string, layout: RecordLayout | null, detectAbove = -1): Promise<OpenedRecordFile> {
  let fd: number | null = null;
  try {
    fd = await openAsync(path, 'r');
    const st = await fstatAsync(fd);
    if (st.isDirectory()) throw isDirectoryError(path);
    if (!layout && st.size > detectAbove) {
      const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, st.size));
      const { bytesRead } = await readAsync(fd, head, 0, head.length, 0);
      layout = detectLayout(head.subarray(0, bytesRead), st.size);
    }
    return { fd, size: st.size, layout };
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    throw withPath(err, path);
  }
}

/** A position in a record file, advanced by whole records. */
export class RecordFileCursor {
  private fd: number | null = null;
  private layoutInUse: RecordLayout | null;
  private readonly layoutGiven: RecordLayout | null;
  private position = 0;
  private chunk: Buffer | null = null;
  private confirm: Buffer | null = null;
  /** The read of the next chunk, started while the current one is decoded (async reading only). */
  private ahead: { buf: Buffer; read: Promise<number> } | null = null;
  /** The buffer the next read ahead goes to. */
  private spare: Buffer | null = null;
  /** A read ahead still running on `fd`, even one given up on: the file is closed after it. */
  private pending: Promise<number> | null = null;
  private decoder: RecordDecoder | null = null;
  /** The next record to decode in `chunk`, and the end of the whole records there. */
  private at = 0;
  private end = 0;
  /** File offset of `chunk[0]`. */
  private chunkOffset = 0;
  /** When async reading last let the event loop run, and entries taken since (checked every 64). */
  private sliceStart = 0;
  private takenInSlice = 0;
  private finished = false;
  /** The last read came up short: the file ended inside (or right after) the chunk in hand. */
  private endInChunk = false;
  /** Bytes read in the chunk in hand (whole records and any torn tail). */
  private chunkBytes = 0;
  /** The file's size when opened: small files are read in one chunk of about their size. */
  private sizeHint = CHUNK_BYTES;
  /** `chunk` was lent by `readWhole`, given back at the end. */
  private chunkLent = false;
  /** Entries of the last polled read handed out as copies (the same bytes were read: see `recall`), and how many so far. */
  private replay: Entry[] | null = null;
  private replayed = 0;
  /** Copies of the entries taken from a whole read, to `remember` at its end. */
  private recording: Entry[] | null = null;
  private warningsBefore = 0;
  /** Bytes after the last whole record, once the end was reached. */
  trailingBytes = 0;

  constructor(
    readonly path: string,
    layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
    private readonly hints: CursorHints = {},
  ) {
    this.layoutInUse = this.layoutGiven = layout === 'auto' ? null : LAYOUTS[layout];
  }

  /** The layout in use; known once the file was opened. */
  get layout(): RecordLayout | null {
    return this.layoutInUse;
  }

  nextSync(): UtmpEntry | undefined {
    while (this.at >= this.end) {
      if (this.finished) return undefined;
      if (this.endInChunk) this.finish();
      else this.fillSync();
    }
    return this.take();
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    if (this.at < this.end) {
      await yieldToEventLoop(); // the time slice is used up
    } else {
      while (this.at >= this.end) {
        if (this.finished) return undefined;
        if (this.endInChunk) this.finish();
        else await this.fillAsync();
      }
    }
    this.sliceStart = performance.now();
    return this.take();
  }

  /**
   * Whether an async reader may take the next entry now, without waiting:
   * it is already read, and the reader has not yet held the event loop for a
   * whole time slice (SLICE_MS) since it last let it run.
   */
  canTakeNow(): boolean {
    if (this.at >= this.end) return false;
    return (++this.takenInSlice & 63) !== 0 || performance.now() - this.sliceStart < SLICE_MS;
  }

  /**
   * The next entry of the chunk in hand (call when `canTakeNow()`). Records are
   * decoded one at a time as they are asked for: an entry the caller drops
   * dies young, which keeps the garbage collector's work and the memory small.
   */
  take(): UtmpEntry {
    const at = this.at;
    this.at = at + this.decoder!.size;
    const entry = this.replay
      ? this.replay[this.replayed++].copy()
      : decodeAt(this.decoder!, this.chunk!, at, this.chunkOffset + at, this.path, this.sink);
    // A copy: the caller may change the entry it gets.
    this.recording?.push((entry as Entry).copy());
    this.skipQuiet();
    return entry;
  }

  // users() decodes only what it returns (and what would warn): the cost of a
  // read is mostly building entries.
  private skipQuiet(): void {
    if (!this.hints.usersOnly) return;
    const decoder = this.decoder!;
    const buf = this.chunk!;
    while (this.at < this.end && decoder.quietNonUser(buf, this.at)) this.at += decoder.size;
  }

  /** Lets go of the file; a later read reopens it at the same record. */
  release(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      const pending = this.pending;
      this.ahead = null;
      this.pending = null;
      // A read still running on the descriptor must end before it is closed
      // (else it could read a file that reuses the number).
      if (pending) {
        this.confirm = null;
        const close = () => fs.close(fd, () => {});
        pending.then(close, close);
      } else {
        fs.closeSync(fd);
      }
    }
  }

  private openSync(): void {
    const opened = openRecordFileSync(this.path, this.layoutInUse, HEAD_BYTES);
    this.fd = opened.fd;
    this.sizeHint = opened.size;
    this.layoutInUse = opened.layout;
  }

  private async openAsync(): Promise<void> {
    const opened = await openRecordFileAsync(this.path, this.layoutInUse, HEAD_BYTES);
    this.fd = opened.fd;
    this.sizeHint = opened.size;
    this.layoutInUse = opened.layout;
  }

  // Whole records up to CHUNK_BYTES; a small file gets a chunk a little larger
  // than itself, so one short read takes it all and tells that it ended. A small
  // file's layout is recognised from that first chunk (it need not be whole records:
  // only whole records are taken, and the next read starts at the first one left).
  private buffer(): Buffer {
    if (!this.chunk) {
      const want = Math.min(CHUNK_BYTES, this.sizeHint + MAX_RECORD_BYTES);
      const size = this.layoutInUse?.size;
      this.chunk = Buffer.allocUnsafe(size && want === CHUNK_BYTES ? Math.floor(want / size) * size : want);
    }
    return this.chunk;
  }

  private confirmBuffer(): Buffer {
    this.confirm ??= Buffer.allocUnsafe(this.buffer().length);
    return this.confirm;
  }

  // Whether a second read (m bytes in the confirm buffer) agrees with the
  // first (n bytes in buf); if not, the second one replaces the first.
  private confirmed(buf: Buffer, n: number, m: number): boolean {
    const again = this.confirm!;
    if (m === n && again.compare(buf, 0, n, 0, n) === 0) return true;
    again.copy(buf, 0, 0, m);
    return false;
  }

  private fillSync(): void {
    if (this.ahead) {
      // A sync read after async ones: the read ahead is left to finish into
      // buffers no longer used (it may still be writing to them).
      this.ahead = null;
      this.confirm = null;
    }
    if (this.position === 0 && this.fd === null && this.readWholeSync()) return;
    if (this.fd === null) this.openSync();
    const buf = this.buffer();
    let n: number;
    const fd = this.fd!;
    const locked = lockSync(fd);
    try {
      n = fs.readSync(fd, buf, 0, buf.length, this.position);
      for (let i = 0; !locked && i < MAX_CONFIRMING_READS && n > 0; i++) {
        const m = fs.readSync(fd, this.confirmBuffer(), 0, n, this.position);
        if (this.confirmed(buf, n, m)) break;
        n = m;
      }
    } catch (err) {
      throw withPath(err, this.path);
    } finally {
      if (locked) unlock(fd);
    }
    this.consume(buf, n);
  }

  // Async reading keeps one read ahead: the next chunk is read while this one
  // is decoded, so the reader rarely waits for the disk.
  private async fillAsync(): Promise<void> {
    if (this.fd === null) await this.openAsync();
    let buf: Buffer;
    let n: number;
    const ahead = this.ahead;
    if (ahead) {
      this.ahead = null;
      n = await ahead.read;
      this.spare = this.chunk;
      this.chunk = buf = ahead.buf;
    } else {
      buf = this.buffer();
      n = await this.tracked(this.readAsyncAt(buf, this.position));
    }
    this.consume(buf, n);
    if (!this.finished && !this.endInChunk) {
      const next = this.spare ?? Buffer.allocUnsafe(buf.length);
      this.spare = null;
      this.ahead = { buf: next, read: this.tracked(this.readAsyncAt(next, this.position)) };
    }
  }

  /** `read` as the one `release` lets end before closing the descriptor. */
  private tracked(read: Promise<number>): Promise<number> {
    const settled = () => {
      if (this.pending === read) this.pending = null;
    };
    read.then(settled, settled); // also marks its error handled: it is thrown where awaited
    this.pending = read;
    return read;
  }

  private async readAsyncAt(buf: Buffer, position: number): Promise<number> {
    const fd = this.fd!;
    const locked = await lockAsync(fd);
    try {
      let n = (await readAsync(fd, buf, 0, buf.length, position)).bytesRead;
      for (let i = 0; !locked && i < MAX_CONFIRMING_READS && n > 0; i++) {
        const m = (await readAsync(fd, this.confirmBuffer(), 0, n, position)).bytesRead;
        if (this.confirmed(buf, n, m)) break;
        n = m;
      }
      return n;
    } catch (err) {
      throw withPath(err, this.path);
    } finally {
      if (locked) unlock(fd);
    }
  }

  // A small file (a live utmp) in one call to the addon. False where it does
  // not apply; the file is then streamed.
  private readWholeSync(): boolean {
    const keep = this.hints.keepOpen === true;
    const read = readWhole(this.path, keep);
    if (read === null) return false;
    this.chunk = read.buf; // the end is in it: no read follows
    this.chunkLent = true;
    if (keep) {
      // Before the layout is recognised: the same bytes give the same.
      const kept = recall(this.wholeReadKey(), read.buf, read.n);
      if ('replay' in kept) {
        this.replay = kept.replay;
      } else if (kept.record) {
        this.recording = [];
        this.warningsBefore = this.sink.count;
      }
    }
    this.consume(read.buf, read.n, true);
    return true;
  }

  private wholeReadKey(): WholeReadKey {
    return { path: this.path, layout: this.layoutGiven, usersOnly: this.hints.usersOnly === true };
  }

  // Takes the whole records just read. A read shorter than the buffer met the
  // end of the file: once this chunk is taken, what is left over is the tail.
  private consume(buf: Buffer, n: number, atEnd = n < buf.length): void {
    this.layoutInUse ??= detectLayout(buf.subarray(0, n), n);
    const layout = this.layoutInUse;
    this.decoder ??= recordDecoder(layout);
    this.at = 0;
    this.chunkBytes = n;
    this.chunkOffset = this.position;
    this.end = n - (n % layout.size);
    this.position += this.end;
    this.endInChunk = atEnd;
    this.skipQuiet();
    if (this.end === 0) this.finish();
  }

  // The end: reports a torn tail (bytes after the last whole record).
  private finish(): void {
    const tail = this.chunkBytes - this.end;
    this.finished = true;
    this.endInChunk = false;
    this.trailingBytes = tail;
    this.release();
    if (this.recording && this.sink.count === this.warningsBefore && tail === 0) {
      remember(this.wholeReadKey(), this.chunk!.subarray(0, this.chunkBytes), this.recording);
    }
    this.recording = null;
    if (this.chunkLent) {
      giveBack(this.chunk!);
      this.chunk = null;
      this.chunkLent = false;
    }
    if (tail > 0) {
      this.sink.report({
        code: 'TRAILING_BYTES',
        message: `${tail} bytes after the last whole ${this.layoutInUse!.size}-byte record`,
        path: this.path,
        offset: this.position,
      });
    }
  }
}
