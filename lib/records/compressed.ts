/**
 * Compressed record files (rotated logs: wtmp.1.gz), recognised by their
 * first bytes, never by their names, and decompressed as a stream through
 * Node's zlib: gzip always, zstd where this Node has it (22.15+), xz never
 * (Node has no decoder: a coded error says so).
 */
import type { Readable } from 'stream';
import { stream, zlib } from '../platform/node-modules';
import { noDecoderError } from '../model/errors';

export type Compression = 'gzip' | 'zstd' | 'xz';

/** The compression whose magic bytes `head` begins with, or null. No record layout begins so (its type would be out of range). */
export function compressionOf(head: Buffer, n = head.length): Compression | null {
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (n >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (n >= 6 && head[0] === 0xfd && head.toString('latin1', 1, 6) === '7zXZ\0') return 'xz';
  return null;
}

/**
 * A file that turned out compressed where records were to be read at
 * offsets: a forward reader switches to a stream (stream-cursor.ts); a
 * backward one (newestFirst) cannot, and this coded error says so.
 */
export class CompressedInput extends Error {
  readonly code = 'ERR_UTMPX_COMPRESSED';
  readonly syscall = 'read';
  constructor(readonly compression: Compression, readonly path: string) {
    super(`ERR_UTMPX_COMPRESSED: ${compression}-compressed, read '${path}' (a compressed file is read forwards only: without newestFirst, with for await)`);
  }
}

/** The decompressor for `kind`, or a coded error saying there is none. */
function decompressor(kind: Compression, path: string): NodeJS.ReadWriteStream {
  if (kind === 'gzip') return zlib().createGunzip(); // concatenated members too, as gzip -d
  const zstd = (zlib() as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
  if (kind === 'zstd' && zstd) return zstd();
  throw noDecoderError(path, kind);
}

/** The chunks of `input`, decompressed when its first bytes say it is compressed. */
export async function* plainChunks(input: Readable, path: string): AsyncGenerator<Buffer> {
  const source = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < 6 && !ended) {
    const r = await source.next();
    if (r.done) ended = true;
    else head = head.length ? Buffer.concat([head, toBuffer(r.value)]) : toBuffer(r.value);
  }
  const kind = compressionOf(head);
  if (!kind) {
    if (head.length) yield head;
    for (let r = await source.next(); !r.done; r = await source.next()) yield toBuffer(r.value);
    return;
  }
  let unzip: NodeJS.ReadWriteStream;
  try {
    unzip = decompressor(kind, path);
  } catch (err) {
    input.destroy();
    throw err;
  }
  const rest = stream().Readable.from((async function* () {
    yield head;
    for (let r = await source.next(); !r.done; r = await source.next()) yield r.value;
  })(), { objectMode: false });
  stream().pipeline(rest, unzip, () => {}); // an error of either ends the loop below with it
  for await (const chunk of unzip as unknown as AsyncIterable<Buffer>) yield chunk;
}

const toBuffer = (c: unknown): Buffer => (Buffer.isBuffer(c) ? c : Buffer.from(c as string));

