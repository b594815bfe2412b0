/**
 * The bytes of a record file (wtmp, btmp, a utmp copied from another
 * machine), as every streaming cursor reads them: opened without blocking
 * (regular files only), read at explicit offsets under the read lock, sync or
 * async, the descriptor kept within the bound of descriptors.ts.
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { type DescriptorHolder, closed, keeping } from './descriptors';
import { CompressedInput, compressionOf } from './compressed';
import { fileError, withPath } from '../model/errors';
import { readLockedAsync, readLockedSync } from './file-locks';
import { type RecordLayout, detectLayout } from './layouts';

const readAsync = promisify(fs.read);
const openAsync = promisify(fs.open);
const fstatAsync = promisify(fs.fstat);

/** Bytes read to recognise the layout. */
export const HEAD_BYTES = 64 * 1024;

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
    `${fileKind(st)}, not a regular file: pass the path of a record file, or read it as a stream with { stream: true } and for await (-f - in the CLI for stdin)`);
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

/** Open without blocking: a FIFO with no writer would block open() (a libuv thread, for async opens). */
export const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

function checkRegular(st: fs.Stats, path: string): void {
  if (st.isDirectory()) throw isDirectoryError(path);
  if (!st.isFile()) throw notRegularFileError(path, st);
}

/**
 * The layout of a file of `size` bytes from its first `n` bytes in `head`.
 * Compressed bytes are no records: refused (forward readers then read the
 * file as a stream: stream-cursor.ts).
 */
function layoutOfHead(head: Buffer, n: number, size: number, path: string): RecordLayout {
  refuseCompressed(head, n, path);
  return detectLayout(head.subarray(0, n), size);
}

/** Throws CompressedInput when the first `n` bytes of `head` say that the file is compressed. */
export function refuseCompressed(head: Buffer, n: number, path: string): void {
  const compression = compressionOf(head, n);
  if (compression) throw new CompressedInput(compression, path);
}

/** A buffer for the head of a file of `size` bytes. */
const headBuffer = (size: number) => Buffer.allocUnsafe(Math.min(HEAD_BYTES, size));

/** The layout of the open file `fd` of `size` bytes, recognised from its head (a compressed file is refused). */
export async function recogniseAsync(fd: number, size: number, path: string): Promise<RecordLayout> {
  const head = headBuffer(size);
  return layoutOfHead(head, (await readAsync(fd, head, 0, head.length, 0)).bytesRead, size, path);
}

/**
 * What opening a record file decides, written once for the sync and the
 * async open (which only make the system calls): the file's type, whether
 * its head is read to recognise the layout, the layout, and the error.
 */
class OpenPlan {
  constructor(private readonly path: string, private readonly layout: RecordLayout | null, private readonly detectAbove: number) {}

  /** After fstat: the buffer to read the head into, or null when no layout is to be recognised. */
  head(st: fs.Stats): Buffer | null {
    checkRegular(st, this.path);
    return !this.layout && st.size > this.detectAbove ? headBuffer(st.size) : null;
  }

  /** The file opened, `n` bytes of `head` read (when there is one). */
  opened(fd: number, st: fs.Stats, head: Buffer | null, n: number): OpenedRecordFile {
    const layout = head ? layoutOfHead(head, n, st.size, this.path) : this.layout;
    return { fd, size: st.size, dev: st.dev, ino: st.ino, layout };
  }

  /** The error thrown, naming the path; `fd`, when open, closed. */
  failed(fd: number | null, err: unknown): unknown {
    if (fd !== null) fs.closeSync(fd);
    return withPath(err, this.path);
  }
}

/**
 * The first `n` bytes of a regular file (fewer when it is shorter), read
 * without blocking; null for anything else or anything unreadable. For
 * recognising a file by its content (SQLite header, compression magic).
 */
export function fileHead(path: string, n: number): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
  } catch {
    return null;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return null;
    const head = Buffer.alloc(n);
    return head.subarray(0, fs.readSync(fd, head, 0, n, 0));
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens `path` for reading records. A directory is EISDIR, any other file
 * that is not a regular one EFTYPE; every error names the path. Without a
 * `layout`, one is recognised from the first bytes when the file is larger
 * than `detectAbove` (smaller files are recognised from their first, whole
 * read instead); a compressed file is then refused (CompressedInput). By
 * default the layout is always recognised.
 */
export function openRecordFileSync(path: string, layout: RecordLayout | null, detectAbove = -1): OpenedRecordFile {
  const plan = new OpenPlan(path, layout, detectAbove);
  let fd: number | null = null;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
    const st = fs.fstatSync(fd);
    const head = plan.head(st);
    return plan.opened(fd, st, head, head ? fs.readSync(fd, head, 0, head.length, 0) : 0);
  } catch (err) {
    throw plan.failed(fd, err);
  }
}

/** `openRecordFileSync`, with the file system work off the main thread. */
export async function openRecordFileAsync(path: string, layout: RecordLayout | null, detectAbove = -1): Promise<OpenedRecordFile> {
  const plan = new OpenPlan(path, layout, detectAbove);
  let fd: number | null = null;
  try {
    fd = await openAsync(path, OPEN_FLAGS);
    const st = await fstatAsync(fd);
    const head = plan.head(st);
    return plan.opened(fd, st, head, head ? (await readAsync(fd, head, 0, head.length, 0)).bytesRead : 0);
  } catch (err) {
    throw plan.failed(fd, err);
  }
}

/**
 * The bytes of one record file, read at explicit offsets under the read lock
 * (see file-locks.ts), sync or async: what every streaming cursor, forwards
 * or backwards, reads through. Opened at the first read; its descriptor is
 * kept between reads within the process-wide bound of descriptors.ts, and
 * reopened (the same file, or ESTALE) when that bound closed it.
 */
export class RecordFile implements DescriptorHolder {
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
    try {
      // A read ahead may still be writing to the confirm buffer: a fresh one.
      const n = readLockedSync(this.fd!, buf, length, position, (m) => (this.pending ? Buffer.allocUnsafe(m) : this.confirmBuffer(m)));
      keeping(this);
      return n;
    } catch (err) {
      throw withPath(err, this.path);
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
    try {
      const n = await readLockedAsync(fd, buf, length, position, (m) => this.confirmBuffer(m));
      if (this.fd === fd) keeping(this);
      return n;
    } catch (err) {
      throw withPath(err, this.path);
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
