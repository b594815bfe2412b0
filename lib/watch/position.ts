/**
 * Where a watch stands: per source, a small JSON value. An agent stores the
 * position of the last event it handled and passes it back to resume there,
 * without losing or repeating an event.
 */

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
  let h = 0x811c9dc5;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * A stored position, checked: the object itself, or its JSON text. A
 * position that is not one (a typo, another program's file) is a TypeError
 * with code ERR_INVALID_ARG_VALUE rather than a silent start from scratch.
 */
export function parsePosition(value: WatchPosition | string): WatchPosition {
  let p: unknown = value;
  try {
    if (typeof value === 'string') p = JSON.parse(value);
  } catch {
    p = undefined;
  }
  const ok = typeof p === 'object' && p !== null && (p as WatchPosition).version === 1 &&
    typeof (p as WatchPosition).sources === 'object' && (p as WatchPosition).sources !== null;
  if (!ok) {
    const err = new TypeError('The "position" option must be a position from a watch event (event.position), or its JSON text') as TypeError & { code: string };
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  return p as WatchPosition;
}

/** Whether `p` is a usable file position for `path` (one that another source wrote is ignored). */
export function isFilePosition(p: SourcePosition | undefined): p is FilePosition {
  return !!p && p.kind === 'file' && typeof p.offset === 'number' && p.offset >= 0 && Number.isInteger(p.offset) &&
    typeof p.ino === 'number' && typeof p.dev === 'number';
}

export function isSlotsPosition(p: SourcePosition | undefined): p is SlotsPosition {
  return !!p && p.kind === 'slots' && Array.isArray(p.slots) && typeof p.ino === 'number';
}
