/**
 * Decodes records out of a Buffer by layout. Every read is bounded by the
 * record and field sizes: nothing here can read past the bytes it was given.
 */
import { type RecordLayout, readField } from './layouts';
import type { NativeRecord } from './native';
import { type UtmpEntry, toEntry } from './entry';
import type { WarningSink } from './warnings';

declare global {
  // Node's Buffer has these since v0.x; @types/node does not list them.
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
  }
}

// Reused by decodeString to tell its caller about bad UTF-8 without allocating.
let sawInvalidUtf8 = false;

/** A NUL-terminated, fixed-size field: bounded by `size`, cut at the first NUL. */
export function decodeString(buf: Buffer, start: number, size: number): string {
  let end = start;
  const limit = start + size;
  let high = 0;
  while (end < limit) {
    const b = buf[end];
    if (b === 0) break;
    high |= b;
    end++;
  }
  if (end === start) return '';
  if (high < 0x80) return buf.latin1Slice(start, end); // plain ASCII: the fast path
  const text = buf.utf8Slice(start, end);
  if (text.includes('\uFFFD')) sawInvalidUtf8 = true;
  return text;
}

/** One record at byte `at` of `buf`, in the shape the addon returns. */
export function decodeRecord(buf: Buffer, at: number, layout: RecordLayout): NativeRecord {
  const raw: NativeRecord = {
    type: readField(buf, at, layout.type, layout),
    pid: readField(buf, at, layout.pid, layout),
    line: decodeString(buf, at + layout.line.offset, layout.line.size),
    id: decodeString(buf, at + layout.id.offset, layout.id.size),
    user: decodeString(buf, at + layout.user.offset, layout.user.size),
    host: decodeString(buf, at + layout.host.offset, layout.host.size),
    sec: readField(buf, at, layout.sec, layout),
    usec: readField(buf, at, layout.usec, layout),
  };
  if (layout.exitTermination && layout.exitStatus) {
    raw.exitTermination = readField(buf, at, layout.exitTermination, layout);
    raw.exitStatus = readField(buf, at, layout.exitStatus, layout);
  }
  if (layout.session) raw.session = readField(buf, at, layout.session, layout);
  if (layout.addr) raw.addr = buf.subarray(at + layout.addr.offset, at + layout.addr.offset + 16);
  return raw;
}

function isAllZero(buf: Buffer, at: number, size: number): boolean {
  for (let i = at; i < at + size; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Decodes the whole records in `buf[0, length)`, which starts at file offset
 * `fileOffset`, into `out`, reporting damaged records to `sink`. Returns the
 * number of bytes consumed (a multiple of the record size).
 */
export function decodeChunk(
  buf: Buffer,
  length: number,
  fileOffset: number,
  layout: RecordLayout,
  path: string,
  sink: WarningSink,
  out: UtmpEntry[],
): number {
  const size = layout.size;
  const whole = Math.floor(length / size) * size;
  for (let at = 0; at < whole; at += size) {
    sawInvalidUtf8 = false;
    const raw = decodeRecord(buf, at, layout);
    const entry = toEntry(raw, layout.numbering);
    out.push(entry);
    if (entry.ut_type === 'UNKNOWN') {
      sink.report({ code: 'UNKNOWN_TYPE', message: `unknown record type ${raw.type}`, path, offset: fileOffset + at });
    } else if (raw.type === 0 && raw.sec === 0 && isAllZero(buf, at, size)) {
      sink.report({ code: 'ZERO_RECORD', message: 'record is all zero bytes', path, offset: fileOffset + at });
    }
    if (sawInvalidUtf8) {
      sink.report({ code: 'INVALID_UTF8', message: 'string field is not valid UTF-8', path, offset: fileOffset + at });
    }
  }
  return whole;
}

