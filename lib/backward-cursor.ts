/**
 * Reads a record file from its last whole record back to its first, in large
 * chunks: newest first, constant memory. `last`/`lastb` show history this way,
 * and "the latest 20 failed logins" of a 1 GB btmp then costs one chunk.
 */
import { decodeChunk } from './decoder';
import type { UtmpEntry } from './entry';
import type { EntryCursor, ReadProgress } from './entry-cursor';
import { LAYOUTS, type LayoutName } from './layouts';
import { RecordFileSource, openRecordFileSync } from './file-source';
import * as fs from 'fs';
import { CHUNK_BYTES } from './forward-cursor';
import type { WarningSink } from './warnings';

/** A cursor that walks a record file from its end to its start, reading under the read lock as forward cursors do. */
export class BackwardCursor implements EntryCursor {
  private readonly source: RecordFileSource;
  /** File offset where the part not yet read ends (a record boundary); -1 before opening. */
  private end = -1;
  /** Where the last whole record ends. */
  private wholeEnd = 0;
  private chunk: Buffer | null = null;
  private batch: UtmpEntry[] = [];

  constructor(
    readonly path: string,
    layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
  ) {
    this.source = new RecordFileSource(path, layout === 'auto' ? null : LAYOUTS[layout]);
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
    return (this.end + this.batch.length * this.source.layout!.size) / this.source.layout!.size;
  }

  /** Bytes of records handed out so far (for progress). */
  get bytesDone(): number {
    return this.end < 0 ? 0 : this.wholeEnd - this.end - this.batch.length * this.source.layout!.size;
  }

  nextSync(): UtmpEntry | undefined {
    while (this.batch.length === 0) {
      if (this.end === 0) return this.finish();
      if (this.end < 0) {
        this.source.openSync();
        this.opened();
      }
      const start = this.start();
      this.consume(start, this.source.readAt(this.chunk!, this.end - start, start));
    }
    return this.batch.pop();
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    while (this.batch.length === 0) {
      if (this.end === 0) return this.finish();
      if (this.end < 0) {
        await this.source.openAsync();
        this.opened();
      }
      const start = this.start();
      this.consume(start, await this.source.readAtAsync(this.chunk!, this.end - start, start));
    }
    return this.batch.pop();
  }

  canTakeNow(): boolean {
    return this.batch.length > 0;
  }

  progress(): ReadProgress {
    return { bytesRead: this.bytesDone, size: this.size };
  }

  take(): UtmpEntry {
    return this.batch.pop()!;
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
      this.sink.report({ code: 'TRAILING_BYTES', message: `${trailing} bytes after the last whole ${size}-byte record`, path: this.path, offset: this.end });
    }
    this.chunk = Buffer.allocUnsafe(Math.max(1, Math.floor(CHUNK_BYTES / size)) * size);
  }

  // Where the next chunk back begins.
  private start(): number {
    return Math.max(0, this.end - this.chunk!.length);
  }

  // Decodes the chunk oldest-first; nextSync/nextAsync pop from its end.
  private consume(start: number, n: number): void {
    this.batch = [];
    decodeChunk(this.chunk!, n, start, this.source.layout!, this.path, this.sink, this.batch);
    this.end = start;
  }
}

/** How many whole records `path` holds now (its layout recognised as a reader would). */
export function countRecords(path: string, layout: LayoutName | 'auto'): number {
  const opened = openRecordFileSync(path, layout === 'auto' ? null : LAYOUTS[layout]);
  fs.closeSync(opened.fd);
  return opened.layout ? Math.floor(opened.size / opened.layout.size) : 0;
}
