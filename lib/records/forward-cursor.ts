/**
 * Streams a record file forwards through the decoder: large chunks read at
 * explicit offsets (through a RecordFile), constant memory, usable
 * synchronously and asynchronously; a small file (a live utmp) read whole in
 * one call of the addon. Never keeps more than one chunk (and one read ahead).
 */
import { type RecordDecoder, decodeAt, recordDecoder } from './decoder';
import type { Entry, UtmpEntry } from '../model/entry';
import type { EntryCursor, ReadProgress } from './entry-cursor';
import { HEAD_BYTES, RecordFile } from './record-file';
import { LAYOUTS, type LayoutName, MAX_RECORD_BYTES, type RecordLayout, detectLayout } from './layouts';
import { type WarningSink, trailingBytes } from '../model/warnings';
import { CompressedInput, compressionOf } from './compressed';
import { PolledReplay, type WholeRead, type WholeReadKey, giveBack, readWhole, readWholeAsync } from './small-file-reads';

/** Bytes read per chunk, rounded down to whole records (forwards here, backwards in backward-cursor.ts). */
export const CHUNK_BYTES = 1 << 20;
/**
 * Longest time async reading keeps the event loop busy before letting timers
 * and I/O run (decoding is fast once optimised, but the first chunks run
 * before the JIT has compiled the decoder).
 */
const SLICE_MS = 4;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a reader will do with the records: lets the cursor do less. */
export interface CursorHints {
  /** Only USER_PROCESS entries are wanted: others may be skipped (see `RecordDecoder.quietNonUser`). */
  usersOnly?: boolean;
  /** The same file will be read again soon (users() polled): a small file stays open a while (see `readWhole`). */
  keepOpen?: boolean;
  /** The entries only feed sessions' pairing, and never leave the library: lean ones will do (see `RecordDecoder.entry`). */
  pairingOnly?: boolean;
  /** Nobody reads `address` (a CLI row without -i): it is left null, its text never made (`ut_addr` is still set). */
  noAddressText?: boolean;
  /**
   * Nobody reads `ut_user` or `ut_host` (a CLI that writes them from the record's bytes, see
   * BackwardCursor.recordBuffer): both are left empty where their bytes are ASCII, their text never made.
   */
  noUserHostText?: boolean;
}

/** Whole records of one chunk, undecoded: `[start, end)` of `buf`, which begins at file offset `fileOffset`. */
export class RecordRun {
  buf: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  fileOffset = 0;
  layout!: RecordLayout;
  private decoder!: RecordDecoder;

  constructor(private readonly path: string, private readonly sink: WarningSink) {}

  /** The entry of the record at `at` of `buf`, its problems reported as any reader's are. */
  entry(at: number): UtmpEntry {
    return decodeAt(this.decoder, this.buf, at, this.fileOffset + at, this.path, this.sink);
  }

  /** @internal */
  hold(buf: Buffer, start: number, end: number, fileOffset: number, decoder: RecordDecoder, layout: RecordLayout): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.fileOffset = fileOffset;
    this.decoder = decoder;
    this.layout = layout;
  }
}

/** A position in a record file, advanced by whole records. */
export class RecordFileCursor implements EntryCursor {
  private readonly source: RecordFile;
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
  /** The file's size when opened (or read whole); 0 before. */
  private size = 0;
  /** `chunk` was lent by `readWhole`, given back at the end. */
  private chunkLent = false;
  /** The file was offered to a whole read (once: a file read whole is never opened here). */
  private triedWhole = false;
  /** A polled whole read's replay of the last one, or its recording for the next (see `PolledReplay`). */
  private polled: PolledReplay | null = null;
  /** What takeRecordsSync() hands out, made once. */
  private run: RecordRun | null = null;
  /** Bytes after the last whole record, once the end was reached. */
  trailingBytes = 0;

  constructor(
    readonly path: string,
    layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
    private readonly hints: CursorHints = {},
  ) {
    this.layoutInUse = this.layoutGiven = layout === 'auto' ? null : LAYOUTS[layout];
    this.source = new RecordFile(path, this.layoutInUse, HEAD_BYTES);
  }

  /** The layout in use; known once the file was opened. */
  get layout(): RecordLayout | null {
    return this.layoutInUse;
  }

  nextSync(): UtmpEntry | undefined {
    return this.readySync() ? this.take() : undefined;
  }

  /**
   * The records not yet taken of the chunk in hand (the next chunk read when
   * none are left), undecoded, for a reader that works from the bytes
   * (`utmpx dump`); null at the end. They count as taken. The run is reused
   * by the next call. Sync only, and not with `keepOpen` (whose replay
   * records entries).
   */
  takeRecordsSync(): RecordRun | null {
    if (!this.readySync()) return null;
    const run = (this.run ??= new RecordRun(this.path, this.sink));
    run.hold(this.chunk!, this.at, this.end, this.chunkOffset, this.decoder!, this.layoutInUse!);
    this.at = this.end;
    return run;
  }

  // Whether a record is ready to take, reading (sync) until one is or the file ended.
  private readySync(): boolean {
    while (this.at >= this.end) {
      if (this.finished) return false;
      if (this.endInChunk) this.finish();
      else this.fillSync();
    }
    return true;
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
    const polled = this.polled;
    const entry = polled?.replaying
      ? polled.next()
      : decodeAt(this.decoder!, this.chunk!, at, this.chunkOffset + at, this.path, this.sink, this.hints.pairingOnly === true, this.hints.noAddressText !== true);
    polled?.record(entry as Entry);
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

  progress(): ReadProgress {
    if (this.finished) return { bytesRead: this.size, size: this.size };
    return { bytesRead: Math.min(this.chunkOffset + this.at, this.size), size: this.size };
  }


  /** Lets go of the file; a later read reopens it at the same record. */
  release(): void {
    this.ahead = null; // a read ahead still running ends into a buffer no longer used
    this.source.release();
  }

  // After the first open: the size, and the layout when recognised from the head.
  private opened(): void {
    this.sizeHint = this.size = this.source.size;
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
  private takeWhole(read: WholeRead, lent: boolean): void {
    this.chunk = read.buf; // the end is in it: no read follows
    this.size = read.n;
    this.chunkLent = lent;
    if (this.hints.keepOpen === true) this.polled = PolledReplay.begin(this.wholeReadKey(), read, this.sink.count);
    this.consume(read.buf, read.n, true);
  }

  private wholeReadKey(): WholeReadKey {
    return { path: this.path, layout: this.layoutGiven, usersOnly: this.hints.usersOnly === true };
  }

  // Takes the whole records just read. A read shorter than the buffer met the
  // end of the file: once this chunk is taken, what is left over is the tail.
  private consume(buf: Buffer, n: number, atEnd = n < buf.length): void {
    if (this.position === 0 && !this.layoutGiven) this.refuseCompressed(buf, n);
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

  // A compressed file is no record file: stop, and say so (stream-cursor.ts reads it instead).
  private refuseCompressed(buf: Buffer, n: number): void {
    const compression = compressionOf(buf, n);
    if (!compression) return;
    this.finished = true;
    this.at = this.end = 0;
    this.release();
    if (this.chunkLent) giveBack(buf);
    this.chunk = null;
    this.chunkLent = false;
    this.polled?.drop();
    throw new CompressedInput(compression, this.path);
  }

  // The end: reports a torn tail (bytes after the last whole record).
  private finish(): void {
    const tail = this.chunkBytes - this.end;
    this.finished = true;
    this.endInChunk = false;
    this.trailingBytes = tail;
    this.release();
    this.polled?.finish(this.chunk!.subarray(0, this.chunkBytes), this.sink.count, tail);
    if (this.chunkLent) {
      giveBack(this.chunk!);
      this.chunk = null;
      this.chunkLent = false;
    }
    if (tail > 0) {
      this.sink.report(trailingBytes(tail, this.layoutInUse!.size, this.path, this.position));
    }
  }
}
