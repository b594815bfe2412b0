/**
 * Reads a record file from its last whole record back to its first, in large
 * chunks: newest first, constant memory. `last`/`lastb` show history this way,
 * and "the latest 20 failed logins" of a 1 GB btmp then costs one chunk.
 */
import { type RecordDecoder, decodeAt, isAscii, recordDecoder } from './decoder';
import type { UtmpEntry } from '../model/entry';
import type { EntryCursor, ReadProgress } from './entry-cursor';
import { LAYOUTS, type LayoutName, type RecordLayout } from './layouts';
import { RecordFile, openRecordFileSync } from './record-file';
import * as fs from 'fs';
import { CHUNK_BYTES, type CursorHints } from './forward-cursor';
import { type WarningSink, trailingBytes } from '../model/warnings';

/** A cursor that walks a record file from its end to its start, reading under the read lock as forward cursors do. */
export class BackwardCursor implements EntryCursor {
  private readonly source: RecordFile;
  /** File offset where the part not yet read ends (a record boundary); -1 before opening. */
  private end = -1;
  /** Where the last whole record ends. */
  private wholeEnd = 0;
  private chunk: Buffer | null = null;
  /**
   * Bytes of the chunk not yet handed out: its records at [0, left) are
   * decoded one at a time, newest first, as they are asked for (an entry the
   * loop drops dies young, and memory stays flat).
   */
  private left = 0;
  private decoder: RecordDecoder | null = null;
  /** The decoder that leaves user and host empty (CursorHints.noUserHostText). */
  private textless: RecordDecoder | null = null;

  constructor(
    readonly path: string,
    layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
    private readonly hints: CursorHints = {},
  ) {
    this.source = new RecordFile(path, layout === 'auto' ? null : LAYOUTS[layout]);
  }

  /** Size of the file when opened. */
  get size(): number {
    return this.source.size;
  }

  /**
   * Position in the file of the record last handed out (0 for the first record
   * of the file): `sessions({ newestFirst })` numbers sessions by it.
   */
  get lastIndex(): number {
    return (this.end + this.left) / this.source.layout!.size;
  }

  /** Bytes of records handed out so far (for progress). */
  get bytesDone(): number {
    return this.end < 0 ? 0 : this.wholeEnd - this.end - this.left;
  }

  nextSync(): UtmpEntry | undefined {
    while (this.left === 0) {
      if (this.end === 0) return this.finish();
      if (this.end < 0) {
        this.source.openSync();
        this.opened();
      }
      const start = this.start();
      this.consume(start, this.source.readAt(this.chunk!, this.end - start, start));
    }
    return this.take();
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    while (this.left === 0) {
      if (this.end === 0) return this.finish();
      if (this.end < 0) {
        await this.source.openAsync();
        this.opened();
      }
      const start = this.start();
      this.consume(start, await this.source.readAtAsync(this.chunk!, this.end - start, start));
    }
    return this.take();
  }

  canTakeNow(): boolean {
    return this.left > 0;
  }

  progress(): ReadProgress {
    return { bytesRead: this.bytesDone, size: this.size };
  }

  take(): UtmpEntry {
    const at = (this.left -= this.decoder!.size);
    const h = this.hints;
    const chunk = this.chunk!;
    let decoder = this.decoder!;
    if (this.textless !== null) {
      // Text that is not ASCII is decoded as ever: its warnings (INVALID_UTF8) stay the same.
      const l = this.source.layout!;
      if (isAscii(chunk, at + l.user.offset, l.user.size) && isAscii(chunk, at + l.host.offset, l.host.size)) decoder = this.textless;
    }
    return decodeAt(decoder, chunk, at, this.end + at, this.path, this.sink, h.pairingOnly === true, h.noAddressText !== true);
  }

  /** The buffer that holds the record last handed out, at `recordOffset` (until the next is asked for). */
  get recordBuffer(): Buffer {
    return this.chunk!;
  }

  get recordOffset(): number {
    return this.left;
  }

  /** The layout of the file's records (once the first was read). */
  get layout(): RecordLayout {
    return this.source.layout!;
  }

  /** Bytes after the last whole record (reported when the file is opened). */
  get trailingBytes(): number {
    return this.end < 0 ? 0 : this.size % this.source.layout!.size;
  }

  /** Lets go of the file (reading on reopens it). */
  release(): void {
    this.source.release();
  }

  private finish(): undefined {
    this.release();
    return undefined;
  }

  // After opening: start at the last whole record, report a partial tail.
  private opened(): void {
    const size = this.source.layout!.size; // always recognised when not given
    this.end = this.wholeEnd = Math.floor(this.size / size) * size;
    const trailing = this.size - this.end;
    if (trailing > 0) {
      this.sink.report(trailingBytes(trailing, size, this.path, this.end));
    }
    this.chunk = Buffer.allocUnsafe(Math.max(1, Math.floor(CHUNK_BYTES / size)) * size);
    this.decoder = recordDecoder(this.source.layout!);
    if (this.hints.noUserHostText) this.textless = recordDecoder(withoutUserHost(this.source.layout!));
  }

  // Where the next chunk back begins.
  private start(): number {
    return Math.max(0, this.end - this.chunk!.length);
  }

  // The chunk read at `start`: its whole records are handed out from its end.
  private consume(start: number, n: number): void {
    const size = this.decoder!.size;
    this.left = Math.floor(n / size) * size;
    this.end = start;
  }
}

/** How many whole records `path` holds now (its layout recognised as a reader would). */
export function countRecords(path: string, layout: LayoutName | 'auto'): number {
  const opened = openRecordFileSync(path, layout === 'auto' ? null : LAYOUTS[layout]);
  fs.closeSync(opened.fd);
  return opened.layout ? Math.floor(opened.size / opened.layout.size) : 0;
}

const textlessLayouts = new Map<RecordLayout, RecordLayout>();

// `layout` with user and host fields of no bytes: decoded as empty, at no cost. Made once per layout.
function withoutUserHost(layout: RecordLayout): RecordLayout {
  let l = textlessLayouts.get(layout);
  if (l === undefined) {
    l = { ...layout, user: { ...layout.user, size: 0 }, host: { ...layout.host, size: 0 } };
    textlessLayouts.set(layout, l);
  }
  return l;
}
