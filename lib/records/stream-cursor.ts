/**
 * Records read forwards from a stream: a pipe, stdin, a FIFO named as stream
 * input, any Node Readable, and compressed files (gzip; zstd where Node's
 * zlib has it), recognised by their first bytes, never by their names.
 * Constant memory: one chunk of the stream at a time, and Node's
 * backpressure holds the writer back while the records are taken.
 *
 * A stream is read only asynchronously (`for await`, the *Async functions):
 * its bytes come when the writer sends them, and waiting for them on the
 * main thread could block for ever. A sync read gives ERR_UTMPX_NEEDS_ASYNC.
 */
import * as fs from 'fs';
import { net, stream, tty } from '../platform/node-modules';
import type { Readable } from 'stream';
import { type DescriptorHolder, closed, keeping } from './descriptors';
import { CompressedInput, plainChunks } from './compressed';
import { codedError, needsAsyncError } from '../model/errors';
import { type RecordDecoder, decodeAt, recordDecoder } from './decoder';
import type { UtmpEntry } from '../model/entry';
import type { EntryCursor, ReadProgress } from './entry-cursor';
import { HEAD_BYTES } from './record-file';
import { type RecordRun, RecordFileCursor } from './forward-cursor';
import { LAYOUTS, type LayoutName, MAX_RECORD_BYTES, type RecordLayout, detectLayout } from './layouts';
import { type WarningSink, trailingBytes } from '../model/warnings';

/**
 * Opens `path` as stream input without ever blocking: O_NONBLOCK, then a
 * pipe, FIFO, socket or terminal through libuv's non-blocking pipe reads (a
 * FIFO with no writer reads as empty, not waiting for one), anything else (a regular file, a
 * device) through a read stream.
 */
export function openStreamInput(path: string): Readable {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    // A socket cannot be opened again through /proc (ENXIO), and Node hands
    // its children socket pairs as stdin: such a descriptor is read as it is.
    const handed = (err as NodeJS.ErrnoException).code === 'ENXIO' ? handedOverFd(path) : null;
    if (handed === null || !isSocket(handed)) throw err;
    return new (net().Socket)({ fd: handed, readable: true, writable: false });
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw codedError('EISDIR', 'illegal operation on a directory', 'read', path, 'it is a directory: pass the path of a record file');
    if (st.isFIFO()) return fifoStream(fd);
    if (st.isSocket() || tty().isatty(fd)) return new (net().Socket)({ fd, readable: true, writable: false });
    return fs.createReadStream('', { fd, autoClose: true });
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

const HANDED_OVER = /^\/(?:dev\/(?:stdin|fd\/(\d+))|proc\/self\/fd\/(\d+))$/;

/** The descriptor a path names that a shell or parent process hands over (`/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`), or null. */
export function handedOverFd(path: string): number | null {
  const m = HANDED_OVER.exec(path);
  return m ? Number(m[1] ?? m[2] ?? 0) : null;
}

function isSocket(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

/**
 * A pipe or FIFO. One non-blocking read first: 0 bytes means no writer (a
 * FIFO nobody opened: epoll would wait for one for ever), so it is empty.
 */
function fifoStream(fd: number): Readable {
  const probe = Buffer.allocUnsafe(PROBE_BYTES);
  let n: number;
  try {
    n = fs.readSync(fd, probe, 0, PROBE_BYTES, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    n = -1; // a writer, nothing written yet
  }
  if (n === 0) {
    fs.closeSync(fd);
    return stream().Readable.from([]);
  }
  const socket = new (net().Socket)({ fd, readable: true, writable: false });
  if (n > 0) socket.unshift(probe.subarray(0, n));
  return socket;
}

const PROBE_BYTES = 64 * 1024;

/** Where a stream cursor's bytes come from: a Readable, or made on the first read. */
export type StreamInput = Readable | (() => Readable);

/** A forward cursor over a stream (see the module comment). */
export class StreamCursor implements EntryCursor, DescriptorHolder {
  private input: Readable | null = null;
  /** A file opened by path (not a pipe): let go under the descriptor bound, reopened where it stopped. */
  private reopenable: boolean;
  /** Bytes (decompressed) already received, dropped when the input is reopened. */
  private received = 0;
  private chunks: AsyncGenerator<Buffer> | null = null;
  private layoutInUse: RecordLayout | null;
  private decoder: RecordDecoder | null = null;
  private chunk: Buffer = Buffer.alloc(0);
  private at = 0;
  private end = 0;
  /** Stream offset of `chunk[0]`, and bytes of records handed out. */
  private chunkOffset = 0;
  private finished = false;
  trailingBytes = 0;

  constructor(
    private readonly from: StreamInput,
    readonly path: string,
    layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
  ) {
    this.layoutInUse = layout === 'auto' ? null : LAYOUTS[layout];
    this.reopenable = typeof from === 'function'; // known once opened
  }

  get layout(): RecordLayout | null {
    return this.layoutInUse;
  }

  nextSync(): UtmpEntry | undefined {
    throw needsAsyncError(this.path, 'a stream or compressed file');
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    while (this.at >= this.end) {
      if (this.finished) return undefined;
      await this.fill();
    }
    return this.take();
  }

  canTakeNow(): boolean {
    return this.at < this.end;
  }

  take(): UtmpEntry {
    const at = this.at;
    this.at = at + this.decoder!.size;
    return decodeAt(this.decoder!, this.chunk, at, this.chunkOffset + at, this.path, this.sink);
  }

  progress(): ReadProgress {
    return { bytesRead: this.chunkOffset + this.at, size: 0 }; // a stream's size is unknown
  }

  /** Ends the stream: a stream cannot be read again (as Node's own stream iterators, a loop left early destroys it). */
  /** Lets go of the input: a file opened by path is reopened where it stopped; a pipe or a Readable ends (it cannot be read again). */
  release(): void {
    if (this.finished) return;
    if (!this.reopenable) {
      this.finished = true;
      this.at = this.end = 0;
    }
    this.letGo();
  }

  /** Closes the input; a file opened by path is reopened at the next read (see descriptors.ts). */
  letGo(): void {
    closed(this);
    this.input?.destroy();
    void this.chunks?.return(undefined).catch(() => {});
    this.input = null;
    this.chunks = null;
  }

  // The next chunk's whole records; what is left of a record waits for the next chunk.
  private async fill(): Promise<void> {
    if (!this.chunks) {
      this.input = typeof this.from === 'function' ? this.from() : this.from;
      this.reopenable = typeof this.from === 'function' && this.input instanceof fs.ReadStream;
      this.chunks = skipping(plainChunks(this.input, this.path), this.received);
    }
    const chunks = this.chunks;
    let buf = this.chunk.subarray(this.end);
    const offset = this.chunkOffset + this.end;
    let ended = false;
    let got = 0;
    // The first bytes recognise the layout: up to HEAD_BYTES of them.
    do {
      const r = await chunks.next();
      if (r.done) ended = true;
      else {
        buf = buf.length ? Buffer.concat([buf, r.value]) : r.value;
        got += r.value.length;
      }
    } while (!ended && (this.layoutInUse ? buf.length < MAX_RECORD_BYTES : buf.length < HEAD_BYTES));
    // Let go meanwhile: what was read is dropped (a reopened input reads it again), or the reader ended.
    if (this.finished || this.chunks !== chunks) return;
    this.received += got;
    this.layoutInUse ??= detectLayout(buf, ended ? buf.length : 0);
    this.decoder ??= recordDecoder(this.layoutInUse);
    const size = this.layoutInUse.size;
    this.chunk = buf;
    this.chunkOffset = offset;
    this.at = 0;
    this.end = buf.length - (buf.length % size);
    if (ended) this.finish(buf.length - this.end, offset + this.end);
    else if (this.reopenable) keeping(this);
  }

  private finish(tail: number, at: number): void {
    this.finished = true;
    closed(this);
    this.trailingBytes = tail;
    if (tail > 0) {
      this.sink.report(trailingBytes(tail, this.layoutInUse!.size, this.path, at));
    }
  }
}

// `chunks` without their first `n` bytes (those read before the input was let go).
async function* skipping(chunks: AsyncGenerator<Buffer>, n: number): AsyncGenerator<Buffer> {
  for await (const c of chunks) {
    if (n >= c.length) {
      n -= c.length;
      continue;
    }
    yield n > 0 ? c.subarray(n) : c;
    n = 0;
  }
}

/**
 * A record file read forwards: by the file cursor (sync or async), or, when
 * its first bytes say it is compressed, as a decompressed stream (async only).
 */
export class FileOrStreamCursor implements EntryCursor {
  private inner: EntryCursor;

  constructor(
    private readonly path: string,
    private readonly layout: LayoutName | 'auto',
    private readonly sink: WarningSink,
    hints = {},
  ) {
    this.inner = new RecordFileCursor(path, layout, sink, hints);
  }

  /** The file cursor in use, until the file turned out compressed. */
  get fileCursor(): RecordFileCursor | null {
    return this.inner instanceof RecordFileCursor ? this.inner : null;
  }

  get layoutInUse(): RecordLayout | null {
    return (this.inner as RecordFileCursor | StreamCursor).layout;
  }

  get trailingBytes(): number {
    return this.inner.trailingBytes;
  }

  nextSync(): UtmpEntry | undefined {
    try {
      return this.inner.nextSync();
    } catch (err) {
      throw this.syncError(err);
    }
  }

  /** RecordFileCursor's takeRecordsSync() (`utmpx dump`), while the file is read as one. */
  takeRecordsSync(): RecordRun | null {
    try {
      return (this.inner as RecordFileCursor).takeRecordsSync();
    } catch (err) {
      throw this.syncError(err);
    }
  }

  // A compressed file is read only asynchronously (as a stream): a sync read says so.
  private syncError(err: unknown): unknown {
    return err instanceof CompressedInput ? needsAsyncError(this.path, `a ${err.compression}-compressed file`) : err;
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    try {
      return await this.inner.nextAsync();
    } catch (err) {
      if (!(err instanceof CompressedInput)) throw err;
      this.inner = new StreamCursor(() => openStreamInput(this.path), this.path, this.layout, this.sink);
      return this.inner.nextAsync();
    }
  }

  canTakeNow(): boolean {
    return this.inner.canTakeNow();
  }

  take(): UtmpEntry {
    return this.inner.take();
  }

  release(): void {
    this.inner.release();
  }

  progress(): ReadProgress {
    return this.inner.progress();
  }
}
