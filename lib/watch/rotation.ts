/**
 * Finding where a rotated file's records went, so that its tail is read
 * before the new file: logrotate's `create` renames the file (wtmp.1,
 * wtmp-20240115) and makes a new one; `copytruncate` copies it and truncates
 * it in place. Compressed rotations cannot be read on: they are skipped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readLockedSync } from '../records/file-locks';
import { digest } from './position';

/** A file a rotation of the watched file may have made. */
export interface Sibling {
  path: string;
  st: fs.Stats;
}

/**
 * A rotated name: the base, then `.` or `-` and digits (wtmp.1, wtmp-20240115,
 * wtmp-20240115-1705300000). A compressed one cannot be read on; a copy an
 * administrator made (wtmp.1.bak) is none.
 */
const isRotatedName = (name: string, base: string) =>
  name.length > base.length + 1 && name.startsWith(base) && /^[.-]\d[\d.-]*$/.test(name.slice(base.length));

/** The siblings a rotation of `file` may have made, newest first. */
export function rotatedSiblings(file: string): Sibling[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: Sibling[] = [];
  for (const name of names) {
    if (!isRotatedName(name, base)) continue;
    const p = path.join(dir, name);
    try {
      const st = fs.statSync(p);
      if (st.isFile()) out.push({ path: p, st });
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => b.st.mtimeMs - a.st.mtimeMs);
}

/** Oldest made first: by birth time where the file system keeps one, then by inode (given in creation order). */
export function byCreation(a: Sibling, b: Sibling): number {
  return (a.st.birthtimeMs - b.st.birthtimeMs) || (a.st.ino - b.st.ino);
}

/** A file's identity. */
export const fileId = (st: { dev: number; ino: number }) => `${st.dev}:${st.ino}`;

/** The name the file with this device and inode has now beside `file` (renamed by a rotation), or null. */
export function findRenamed(file: string, dev: number, ino: number): string | null {
  return rotatedSiblings(file).find((s) => s.st.ino === ino && s.st.dev === dev)?.path ?? null;
}

/**
 * The copy `copytruncate` made of `file` before truncating it: a sibling at
 * least `offset` bytes long whose record before `offset` is the one last
 * read (digest `last`), read under the readers' lock as every record is.
 * Null when there is none (compressed, or removed).
 */
export function findCopy(file: string, offset: number, recordSize: number, last: string): string | null {
  const buf = Buffer.alloc(recordSize);
  for (const s of rotatedSiblings(file)) {
    if (s.st.size < offset) continue;
    let fd: number | null = null;
    try {
      fd = fs.openSync(s.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      if (!fs.fstatSync(fd).isFile()) continue; // replaced since it was listed
      const n = readLockedSync(fd, buf, recordSize, offset - recordSize);
      if (n === recordSize && digest(buf, 0, recordSize) === last) return s.path;
    } catch {
      // unreadable: not ours to follow
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
  }
  return null;
}
