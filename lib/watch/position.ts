/**
 * Where a watch stands: per source, a small JSON value. An agent stores the
 * position of the last event it handled and passes it back to resume there,
 * without losing or repeating an event.
 */
import { invalidArgValue } from '../model/errors';
import { MAX_OPEN_ROWS } from '../sources/wtmpdb';

/** An open login as a position stores it: the time in milliseconds. */
export type StoredLogin = {
  line: string;
  user: string;
  host: string;
  address: string | null;
  time: number;
  pid?: number;
};

/** An append-only record file (wtmp, btmp): the byte after the last whole record read. */
export interface FilePosition {
  kind: 'file';
  path: string;
  /** The file's identity, to find it again after logrotate renamed it. */
  dev: number;
  ino: number;
  offset: number;
  /** Digest of the record just before `offset`: a file truncated or rewritten in place no longer has it there. */
  last: string | null;
  layout: string;
  /** History (wtmp): the logins still open, so that their logouts name them after a restart (absent in older positions). */
  open?: StoredLogin[];
}

/** A file rewritten in place (utmp): a digest of every slot as last seen. */
export interface SlotsPosition {
  kind: 'slots';
  path: string;
  dev: number;
  ino: number;
  slots: string[];
  layout: string;
}

export type SourcePosition = FilePosition | SlotsPosition | { kind: string; [field: string]: unknown };

/** A whole watch's position: JSON.stringify it to store it. */
export interface WatchPosition {
  version: 1;
  /** By source key (`wtmp:/var/log/wtmp`). */
  sources: Record<string, SourcePosition>;
}

/**
 * FNV-1a (32-bit) over the 32-bit words of `buf[start, end)` (a length that is
 * a multiple of 4, as every record layout's is), as 8 hex digits: enough to
 * tell one record from the next.
 */
export function digest(buf: Uint8Array, start: number, end: number): string {
  return hex(digest32(buf, start, end));
}

/** The digest as a number (kept by the thousand, in a typed array). */
export function digest32(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}

export const hex = (d: number) => d.toString(16).padStart(8, '0');

/**
 * The most a stored position may hold, as JSON: a wtmpdb source at its cap of
 * open rows (MAX_OPEN_ROWS) takes about 120 KB. A larger one is no position
 * this library wrote, and would ride along with every event.
 */
export const MAX_POSITION_BYTES = 1024 * 1024;

/**
 * A stored position, checked: the object itself, or its JSON text. A
 * position that is not one (a typo, another program's file), or one larger
 * than MAX_POSITION_BYTES or holding more open rows than a watch keeps, is a
 * TypeError with code ERR_INVALID_ARG_VALUE rather than a silent start from
 * scratch.
 */
export function parsePosition(value: WatchPosition | string): WatchPosition {
  const size = typeof value === 'string' ? Buffer.byteLength(value) : jsonSize(value);
  if (size > MAX_POSITION_BYTES) {
    throw invalidArgValue(`The "position" option is ${size} bytes, more than a watch position holds (at most ${MAX_POSITION_BYTES}): pass a position from a watch event (event.position)`);
  }
  let p: unknown = value;
  try {
    if (typeof value === 'string') p = JSON.parse(value);
  } catch {
    p = undefined;
  }
  const ok = typeof p === 'object' && p !== null && (p as WatchPosition).version === 1 &&
    typeof (p as WatchPosition).sources === 'object' && (p as WatchPosition).sources !== null;
  if (!ok) throw invalidArgValue('The "position" option must be a position from a watch event (event.position), or its JSON text');
  for (const [key, source] of Object.entries((p as WatchPosition).sources)) {
    const open = (source as { open?: unknown })?.open;
    if (Array.isArray(open) && open.length > MAX_OPEN_ROWS) {
      throw invalidArgValue(`The "position" option holds ${open.length} open rows for ${key}, more than a watch keeps (${MAX_OPEN_ROWS}): pass a position from a watch event (event.position)`);
    }
  }
  return p as WatchPosition;
}

/** The length of a value as JSON, or Infinity for one that cannot be (a cycle). */
function jsonSize(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Infinity;
  }
}

/** Whether `p` is a usable file position for `path` (one that another source wrote is ignored). */
export function isFilePosition(p: SourcePosition | undefined): p is FilePosition {
  return !!p && p.kind === 'file' && typeof p.offset === 'number' && p.offset >= 0 && Number.isInteger(p.offset) &&
    typeof p.ino === 'number' && typeof p.dev === 'number';
}

export function isSlotsPosition(p: SourcePosition | undefined): p is SlotsPosition {
  return !!p && p.kind === 'slots' && Array.isArray(p.slots) && typeof p.ino === 'number';
}
