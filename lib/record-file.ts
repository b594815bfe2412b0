/**
 * Streams a record file (wtmp, btmp, a utmp copied from another machine)
 * through the decoder: large chunks read at explicit offsets, constant memory,
 * usable synchronously and asynchronously. Never keeps more than one chunk.
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { type RecordDecoder, decodeAt, recordDecoder } from './decoder';
import type { Entry, UtmpEntry } from './entry';
import { fileError, withPath } from './errors';
import { LAYOUTS, type LayoutName, type RecordLayout, detectLayout } from './layouts';
import { MAX_CONFIRMING_READS, lockAsync, lockSync, unlock } from './file-locks';
import { type DescriptorHolder, closed, keeping } from './descriptors';
import type { WarningSink } from './warnings';
import { type WholeReadKey, giveBack, readWhole, readWholeAsync, recall, remember } from './whole-read';

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

function isDirectoryError(path: string): NodeJS.ErrnoException {
  return fileError('EISDIR', -21, 'illegal operation on a directory', 'read', path, 'it is a directory: pass the path of a record file');
}

function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * A FIFO would block the reader (or a libuv thread) until a writer comes, a
 * device such as /dev/zero never ends: only regular files are read. EFTYPE,
 * libuv's code for "inappropriate file type or format" (errno -4028), as
 * the addon reports it.
 */
function notRegularFileError(path: string, st: fs.Stats): NodeJS.ErrnoException {
  return fileError('EFTYPE', -4028, 'inappropriate file type or format', 'open', path,
    `${fileKind(st)}, not a regular file: pass the path of a record file`);
}

/** The file was replaced (rotated) while a reader that let go of it meant to go on. */
function replacedError(path: string): NodeJS.ErrnoException {
  return fileError('ESTALE', -116, 'the file was replaced while it was read', 'open', path,
    'rotated or recreated since the reader began: read it again from the start');
}

/** An open record file: its descriptor, its size, its identity, and its layout where known. */
export interface OpenedRecordFile {
  fd: number;
  size: number;
  dev: number;
  ino: number;
  /** The layout given, or recognised from the first bytes; null while the file is too small to bother (see `detectAbove`). */
  layout: RecordLayout | null;
}

// Open without blocking: a FIFO with no writer would block open() (a libuv thread, for async opens).
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

function checkRegular(st: fs.Stats, path: string): void {
  if (st.isDirectory()) throw isDirectoryError(path);
  if (!st.isFile()) throw notRegularFileError(path, st);
}

/**
 * Opens `path` for reading records. A directory is EISDIR, any other file
 * that is not a regular one EFTYPE; every error names the path. Without a
 * `layout`, one is recognised from the first bytes when the file is larger
 * than `detectAbove` (smaller files are recognised from their first, whole
 * read instead). By default the layout is always recognised.
 */
export function openRecordFileSync(path: string, layout: RecordLayout | null, detectAbove = -1): OpenedRecordFile {
  let fd: number | null = null;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
    const st = fs.fstatSync(fd);
    checkRegular(st, path);
    if (!layout && st.size > detectAbove) {
      const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, st.size));
      const n = fs.readSync(fd, head, 0, head.length, 0);
      layout = detectLayout(head.subarray(0, n), st.size);
    }
    return { fd, size: st.size, dev: st.dev, ino: st.ino, layout };
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    throw withPath(err, path);
  }
}

/** `openRecordFileSync`, with the file system work off the main thread. */
export async function openRecordFileAsync(path: string, layout: RecordLayout | null, detectAbove = -1): Promise<OpenedRecordFile> {
  let fd: number | null = null;
  try {
    fd = await openAsync(path, OPEN_FLAGS);
    const st = await fstatAsync(fd);
    checkRegular(st, path);
    if (!layout && st.size > detectAbove) {
      const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, st.size));
      const { bytesRead } = await readAsync(fd, head, 0, head.length, 0);
      layout = detectLayout(head.subarray(0, bytesRead), st.size);
    }
    return { fd, size: st.size, dev: st.dev, ino: st.ino, layout };
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    throw withPath(err, path);
  }
}

/**
 * The bytes of one record file, read at explicit offsets under the read lock
 * (see file-locks.ts), sync or async: what every streaming cursor, forwards
 * or backwards, reads through. Opened at the first read; its descriptor is
 * kept between reads within the process-wide bound of descriptors.ts, and
 * reopened (the same file, or ESTALE) when that bound closed it.
 */
export class RecordFileSource implements DescriptorHolder {
  private fd: number | null = null;
  private identity: { dev: number; ino: number } | null = null;
  /** The file's size when first opened. */
  size = 0;
  /** Buffer of the reads that confirm a read where no lock could be had. */
  private confirm: Buffer | null = null;
  /** The last async read still running on `fd`: the descriptor is closed after it. */
  private pending: Promise<number> | null = null;

  constructor(
    readonly path: string,
    /** The layout given, or recognised at the first open (when the file is larger than `detectAbove`, or always by default). */
    public layout: RecordLayout | null,
    private readonly detectAbove = -1,
  ) {}

  /** Whether the file was ever opened (its size and layout are known). */
  get opened(): boolean {
    return this.identity !== null;
  }

  openSync(): void {
    if (this.fd === null) this.adopt(openRecordFileSync(this.path, this.layout, this.opened ? Infinity : this.detectAbove));
  }

  async openAsync(): Promise<void> {
    if (this.fd !== null) return;
    const file = await openRecordFileAsync(this.path, this.layout, this.opened ? Infinity : this.detectAbove);
    if (this.fd !== null) fs.close(file.fd, () => {}); // another read opened it meanwhile
    else this.adopt(file);
  }

  private adopt(file: OpenedRecordFile): void {
    if (this.identity && (this.identity.dev !== file.dev || this.identity.ino !== file.ino)) {
      fs.closeSync(file.fd);
      throw replacedError(this.path);
    }
    if (!this.identity) {
      this.identity = { dev: file.dev, ino: file.ino };
      this.size = file.size;
      this.layout = file.layout;
    }
    this.fd = file.fd;
    keeping(this);
  }

  /** Reads up to `length` bytes at `position` into `buf`: the bytes read (fewer at the end of the file). */
  readAt(buf: Buffer, length: number, position: number): number {
    this.openSync();
    const fd = this.fd!;
    const locked = lockSync(fd);
    try {
      let n = fs.readSync(fd, buf, 0, length, position);
      // A read ahead may still be writing to the confirm buffer: a fresh one.
      const again = this.pending ? Buffer.allocUnsafe(length) : this.confirmBuffer(length);
      for (let i = 0; !locked && i < MAX_CONFIRMING_READS && n > 0; i++) {
        const m = fs.readSync(fd, again, 0, n, position);
        if (confirmed(buf, again, n, m)) break;
        n = m;
      }
      keeping(this);
      return n;
    } catch (err) {
      throw withPath(err, this.path);
    } finally {
      if (locked) unlock(fd);
    }
  }

  /** `readAt` off the main thread (the lock too, when a writer holds the file). */
  readAtAsync(buf: Buffer, length: number, position: number): Promise<number> {
    const read = this.readPending(buf, length, position);
    const settled = () => {
      if (this.pending === read) this.pending = null;
    };
    read.then(settled, settled); // also marks its error handled: it is thrown where awaited
    this.pending = read;
    return read;
  }

  private async readPending(buf: Buffer, length: number, position: number): Promise<number> {
    await this.openAsync();
    const fd = this.fd!;
    const locked = await lockAsync(fd);
    try {
      let n = (await readAsync(fd, buf, 0, length, position)).bytesRead;
      for (let i = 0; !locked && i < MAX_CONFIRMING_READS && n > 0; i++) {
        const again = this.confirmBuffer(length);
        const m = (await readAsync(fd, again, 0, n, position)).bytesRead;
        if (confirmed(buf, again, n, m)) break;
        n = m;
      }
      if (this.fd === fd) keeping(this);
      return n;
    } catch (err) {
      throw withPath(err, this.path);
    } finally {
      if (locked) unlock(fd);
    }
  }

  private confirmBuffer(length: number): Buffer {
    if (!this.confirm || this.confirm.length < length) this.confirm = Buffer.allocUnsafe(length);
    return this.confirm;
  }

  /** Closes the descriptor (after a read still running on it); the next read reopens the same file. */
  release(): void {
    closed(this);
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    const pending = this.pending;
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

  letGo(): void {
    this.release();
  }
}

// Whether a second read (m bytes in `again`) agrees with the first (n bytes
// in buf); if not, the second one replaces the first.
function confirmed(buf: Buffer, again: Buffer, n: number, m: number): boolean {
  if (m === n && again.compare(buf, 0, n, 0, n) === 0) return true;
  again.copy(buf, 0, 0, m);
  return false;
}

/** A position in a record file, advanced by whole records. */
export class RecordFileCursor {
  private readonly source: RecordFileSource;
  private layoutInUse: RecordLayout | null;
  private readonly layoutGiven: RecordLayout | null;
  private position = 0;
  private chunk: Buffer | null = null;
  /** The read of the next chunk, started while the current one is decoded (async reading only). */
  private ahead: { buf: Buffer; read: Promise<number> } | null = null;
  /** The buffer the next read ahead goes to. */
  private spare: Buffer | null = null;
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
  /** The file was offered to a whole read (once: a file read whole is never opened here). */
  private triedWhole = false;
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
    this.source = new RecordFileSource(path, this.layoutInUse, HEAD_BYTES);
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
    this.ahead = null; // a read ahead still running ends into a buffer no longer used
    this.source.release();
  }

  // After the first open: the size, and the layout when recognised from the head.
  private opened(): void {
    this.sizeHint = this.source.size;
    this.layoutInUse = this.source.layout;
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

  private fillSync(): void {
    if (this.ahead) {
      // A sync read after async ones: the read ahead is left to finish into
      // a buffer no longer used (it may still be writing to it).
      this.ahead = null;
    }
    if (!this.source.opened) {
      if (this.position === 0 && !this.triedWhole && (this.triedWhole = true) && this.readWholeSync()) return;
      this.source.openSync();
      this.opened();
    }
    const buf = this.buffer();
    this.consume(buf, this.source.readAt(buf, buf.length, this.position));
  }

  // Async reading keeps one read ahead: the next chunk is read while this one
  // is decoded, so the reader rarely waits for the disk.
  private async fillAsync(): Promise<void> {
    if (!this.source.opened) {
      if (this.position === 0 && !this.triedWhole && (this.triedWhole = true) && (await this.readWholeAsync())) return;
      await this.source.openAsync();
      this.opened();
    }
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
      n = await this.source.readAtAsync(buf, buf.length, this.position);
    }
    this.consume(buf, n);
    if (!this.finished && !this.endInChunk) {
      const next = this.spare ?? Buffer.allocUnsafe(buf.length);
      this.spare = null;
      this.ahead = { buf: next, read: this.source.readAtAsync(next, next.length, this.position) };
    }
  }

  // A small file (a live utmp) in one call to the addon. False where it does
  // not apply; the file is then streamed.
  private readWholeSync(): boolean {
    const read = readWhole(this.path, this.hints.keepOpen === true);
    if (read === null) return false;
    this.takeWhole(read, true);
    return true;
  }

  // The same in one job on the libuv pool.
  private async readWholeAsync(): Promise<boolean> {
    const read = await readWholeAsync(this.path, this.hints.keepOpen === true);
    if (read === null) return false;
    this.takeWhole(read, false);
    return true;
  }

  // The whole file, read: `lent` when the buffer is readWhole's to give back at the end.
  private takeWhole(read: { buf: Buffer; n: number }, lent: boolean): void {
    this.chunk = read.buf; // the end is in it: no read follows
    this.chunkLent = lent;
    if (this.hints.keepOpen === true) {
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
