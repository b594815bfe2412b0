/**
 * Reads a record file from its last whole record back to its first, in large
 * chunks: newest first, constant memory. `last`/`lastb` show history this way,
 * and "the latest 20 failed logins" of a 1 GB btmp then costs one chunk.
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { decodeChunk } from './decoder';
import type { UtmpEntry } from './entry';
import { LAYOUTS, type LayoutName, type RecordLayout } from './layouts';
import { CHUNK_BYTES, type OpenedRecordFile, openRecordFileAsync, openRecordFileSync, withPath } from './record-file';
import type { WarningSink } from './warnings';

const readAsync = promisify(fs.read);

/** A cursor that walks a record file from its end to its start. */
export class BackwardCursor {
  private fd: number | null = null;
  private layoutInUse: RecordLayout | null;
  /** File offset where the part not yet read ends (a record boundary); -1 before opening. */
  private end = -1;
  private chunk: Buffer | null = null;
  private batch: UtmpEntry[] = [];
  /** Size of the file when opened. */
  size = 0;

  constructor(
    readonly path: string,
    layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
  ) {
    this.layoutInUse = layout === 'auto' ? null : LAYOUTS[layout];
  }

  /** Bytes handed out so far (for progress). */
  get bytesDone(): number {
    return this.end < 0 ? 0 : this.size - this.end;
  }

  nextSync(): UtmpEntry | undefined {
    while (this.batch.length === 0) {
      if (this.end === 0) return this.finish();
      if (this.fd === null) this.opened(this.openSync());
      this.consume(this.readSync());
    }
    return this.batch.pop();
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    while (this.batch.length === 0) {
      if (this.end === 0) return this.finish();
      if (this.fd === null) this.opened(await this.openAsync());
      this.consume(await this.readAsync());
    }
    return this.batch.pop();
  }

  /** Lets go of the file. */
  release(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      fs.closeSync(fd);
    }
  }

  private finish(): undefined {
    this.release();
    return undefined;
  }

  private openSync(): OpenedRecordFile {
    return openRecordFileSync(this.path, this.layoutInUse);
  }

  private async openAsync(): Promise<OpenedRecordFile> {
    return openRecordFileAsync(this.path, this.layoutInUse);
  }

  // After opening: pick the layout, start at the last whole record, report a partial tail.
  private opened(file: OpenedRecordFile): void {
    this.fd = file.fd;
    this.size = file.size;
    this.layoutInUse = file.layout!; // always recognised when not given
    const size = this.layoutInUse.size;
    this.end = Math.floor(this.size / size) * size;
    const trailing = this.size - this.end;
    if (trailing > 0) {
      this.sink.report({ code: 'TRAILING_BYTES', message: `${trailing} bytes after the last whole ${size}-byte record`, path: this.path, offset: this.end });
    }
    this.chunk = Buffer.allocUnsafe(Math.max(1, Math.floor(CHUNK_BYTES / size)) * size);
  }

  private span(): { start: number; length: number } {
    const start = Math.max(0, this.end - this.chunk!.length);
    return { start, length: this.end - start };
  }

  private readSync(): { start: number; n: number } {
    const { start, length } = this.span();
    try {
      return { start, n: fs.readSync(this.fd!, this.chunk!, 0, length, start) };
    } catch (err) {
      throw withPath(err, this.path);
    }
  }

  private async readAsync(): Promise<{ start: number; n: number }> {
    const { start, length } = this.span();
    try {
      return { start, n: (await readAsync(this.fd!, this.chunk!, 0, length, start)).bytesRead };
    } catch (err) {
      throw withPath(err, this.path);
    }
  }

  // Decodes the chunk oldest-first; nextSync/nextAsync pop from its end.
  private consume({ start, n }: { start: number; n: number }): void {
    this.batch = [];
    decodeChunk(this.chunk!, n, start, this.layoutInUse!, this.path, this.sink, this.batch);
    this.end = start;
  }
}
