/**
 * Append-only record files (wtmp, btmp): read from the last whole record on,
 * a partial record left until its end arrives. The file is followed through
 * any number of rotations between two reads: renamed away (its descriptor is
 * kept until it is drained, then files made at the path and rotated away
 * before they were read, then the new file from its start), copied and
 * truncated by copytruncate (the copy's tail, later copies, then the file
 * from its start), truncated in place to any size (read on from where the
 * records read before end), removed, replaced, or made unreadable (warnings;
 * the source picks up again when the file is back). Records that can no
 * longer be read are a `gap`, never silence.
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import { promisify } from 'util';
import { decodeAt, recordDecoder } from '../records/decoder';
import type { UtmpEntry } from '../model/entry';
import { LAYOUTS, type LayoutName, type RecordLayout } from '../records/layouts';
import { type OpenedRecordFile, openRecordFileAsync, openRecordFileSync, recogniseAsync } from '../records/record-file';
import { readLockedAsync, readLockedSync } from '../records/file-locks';
import type { DataSource } from '../model/data-source';
import { WarningSink } from '../model/warnings';
import type { SourceEvent } from './events';
import { type FilePosition, digest, digest32, hex, isFilePosition } from './position';
import { OpenLogins, type StoredLogin, isStoredLogins, nameLogout, toWatchLogin } from './pairing';
import { openLoginsDropped } from '../model/warnings';
import { type Sibling, byCreation, fileId, findCopy, findRenamed, rotatedSiblings } from './rotation';
import type { SourceSink, StartPoint, WakeReason, WatchFeed } from './feed';

const fstatAsync = promisify(fs.fstat);
const statAsync = promisify(fs.stat);

/** Bytes read at most per chunk (between two looks at the consumer's backlog). */
const CHUNK_BYTES = 256 * 1024;
/** How long a file renamed away is still read for records its writers wrote late (until the next wake after this). */
const LATE_WRITES_MS = 1000;
/** How long a file renamed away that ends in part of a record waits for its writer to finish it (then a gap). */
const TORN_WAIT_MS = 30_000;
/** Files renamed away kept open at most (a rotation storm): the oldest, drained, is let go. */
const MAX_HELD = 16;
/** Files renamed away, read and closed, remembered so (see release()). */
const MAX_RELEASED = 64;
/** Record digests kept per file (4 bytes each): enough to find where a file truncated in place stops holding what was read. */
const MAX_DIGESTS = 1 << 20;

/** Turns a record into the event it stands for, or null. */
export type RecordMapper = (e: UtmpEntry, source: DataSource, path: string) => SourceEvent | null;

/** An open file being read: which one, and where. */
interface Cursor {
  /** The file actually read (the source's path, or a rotated copy of it). */
  file: string;
  fd: number;
  dev: number;
  ino: number;
  offset: number;
  last: string | null;
  layout: RecordLayout | null;
  /** The file's size when last seen holding what was read: bytes past `offset` then were written, not yet read. */
  seen: number;
  /** Digests of the records read, the first at offset `base`: where a file truncated in place still holds them. */
  digests: Uint32Array;
  count: number;
  base: number;
}

function cursor(file: string, fd: number, st: { dev: number; ino: number }, layout: RecordLayout | null): Cursor {
  return { file, fd, dev: st.dev, ino: st.ino, offset: 0, last: null, layout, seen: 0, digests: new Uint32Array(64), count: 0, base: 0 };
}

/** Moves a cursor to `offset` (its digests start again there). */
function moveTo(c: Cursor, offset: number, last: string | null): void {
  c.offset = offset;
  c.last = last;
  c.base = offset;
  c.count = 0;
  c.seen = offset;
}

function remember(c: Cursor, d: number): void {
  if (c.count === c.digests.length) {
    if (c.count >= MAX_DIGESTS) return;
    const more = new Uint32Array(Math.min(MAX_DIGESTS, 2 * c.count));
    more.set(c.digests);
    c.digests = more;
  }
  c.digests[c.count++] = d;
}

/** Whether `path` names the open file `c` now (looked at synchronously: nothing moves before the caller's next step). */
function namesFile(path: string, c: Cursor): boolean {
  try {
    const st = fs.statSync(path);
    return st.ino === c.ino && st.dev === c.dev;
  } catch {
    return true; // missing for a moment during a rotation: as before, the poll says it is gone
  }
}

/** The largest offset at most `limit` where whole records end at `size`. */
function alignedAtOrBelow(limit: number, size: number, recordSize: number): number {
  return Math.max(0, limit - ((((limit - size) % recordSize) + recordSize) % recordSize));
}

/** A problem as a warning: the code of the error, its message, and what to do for the common ones. */
export function problem(err: unknown, source: DataSource, path: string): { code: string; message: string; error?: Error } {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : 'ERR_UTMPX_WATCH';
  // By shape, not instanceof: fs errors may come from another realm (a vm context, jest).
  const isError = typeof e?.message === 'string';
  let message = isError ? e.message : String(err);
  if (code === 'ENOENT') message = `${path} does not exist (removed, or not created yet): watching for it to appear`;
  if (code === 'ERR_UTMPX_COMPRESSED') message += `; a watch reads only the uncompressed file its writers append to: watching for ${path} to be one`;
  if (code === 'EACCES' || code === 'EPERM') {
    message += source === 'btmp' ? ' (btmp is readable by root only): watching for it to become readable'
      : ': watching for it to become readable';
  }
  return { code, message, error: isError ? e : undefined };
}

/** A file renamed away or removed, still open: drained, then read a moment longer for late writers. */
interface Held {
  cursor: Cursor;
  until: number;
  /** Its events carry its own position until the watch has read past it (then the current file's). */
  own: boolean;
}

export class AppendFileFeed implements WatchFeed {
  readonly key: string;
  readonly paths: readonly string[];
  private cur: Cursor | null = null;
  /** Files renamed away or removed, oldest first (see readHeld). */
  private held: Held[] = [];
  /** A rotated predecessor whose tail comes first (found when resuming). */
  private retired: FilePosition | null = null;
  /** Where the source stood when its file went away. */
  private gone: FilePosition;
  /** The rotated siblings seen (by identity): one not among them is new (see scanFresh). */
  private known = new Set<string>();
  /** The directory as last scanned (modification and change times): unchanged, no scan is needed. */
  private dirStamp = '';
  /** Files renamed away, read and closed (identities, the newest MAX_RELEASED): never new again. */
  private released: string[] = [];
  /** New siblings found and not yet read or let go. */
  private fresh: Sibling[] = [];
  private minTime = -Infinity;
  /** With `since`: the file read first and its size then; records past it were written live, and are never filtered. */
  private replay = { ino: -1, size: 0 };
  /** History (wtmp): the open logins, so that a logout names the login it ends. */
  private logins: OpenLogins | null;
  /** Said once: a burst of logins past the cap is one warning, not thousands. */
  private droppedLogins = false;
  /** The code of the problem last reported: the same one is not repeated. */
  private warned: string | null = null;
  private buf = Buffer.alloc(0);
  private readonly layoutOption: RecordLayout | null;
  private sink: SourceSink | null = null;
  private readonly warnings: WarningSink;

  constructor(readonly source: DataSource, readonly path: string, private readonly map: RecordMapper, layout: LayoutName | 'auto' = 'auto', pairLogins = false) {
    this.key = `${source}:${path}`;
    this.logins = pairLogins ? new OpenLogins() : null;
    this.paths = [path];
    this.layoutOption = layout === 'auto' ? null : LAYOUTS[layout];
    this.gone = { kind: 'file', path, dev: 0, ino: 0, offset: 0, last: null, layout: '' };
    this.warnings = new WarningSink({
      onWarning: (w) => this.sink?.warning({ type: 'warning', code: w.code, message: w.message, source: this.source, path: w.path, offset: w.offset }, this.position()),
    });
  }

  start(from: StartPoint, sink: SourceSink): void {
    this.sink = sink;
    try {
      this.cur = this.openSync(this.path);
    } catch (err) {
      this.report(sink, err);
    }
    this.scanFresh(); // what is there now is not new
    const c = this.cur;
    if (from.kind === 'since') {
      this.minTime = from.time;
      if (c) this.replay = { ino: c.ino, size: fs.fstatSync(c.fd).size };
      return;
    }
    const saved = from.kind === 'position' ? from.saved : undefined;
    if (this.logins && isFilePosition(saved) && isStoredLogins(saved.open)) this.logins = new OpenLogins(saved.open);
    if (!isFilePosition(saved)) {
      if (c) this.skipToEndSync(c); // from now
      return;
    }
    this.gone = { ...saved, path: this.path };
    if (c && c.dev === saved.dev && c.ino === saved.ino) {
      c.layout = LAYOUTS[saved.layout as LayoutName] ?? c.layout;
      moveTo(c, saved.offset, saved.last);
      return; // a truncation meanwhile shows in the first read
    }
    // Another file at the path now: the one read before was rotated, or removed.
    const renamed = saved.ino ? findRenamed(this.path, saved.dev, saved.ino) : null;
    if (renamed) {
      this.retired = { ...saved, path: renamed };
      // Files made at the path after it, and rotated away too, are new: read after its tail.
      const before = rotatedSiblings(this.path).find((s) => s.path === renamed);
      for (const s of rotatedSiblings(this.path)) if (before && byCreation(s, before) > 0) this.known.delete(fileId(s.st));
      this.dirStamp = ''; // listed again at the first read
    } else if (saved.offset > 0) {
      this.gap(sink, 0, `the file read before (${this.path}, inode ${saved.ino}) is gone (rotated and compressed, or removed): records written to it after the stored position are not seen`);
    }
  }

  position(): FilePosition {
    const c = this.cur;
    if (!c) return this.withLogins({ ...this.gone });
    return this.withLogins({ kind: 'file', path: this.path, dev: c.dev, ino: c.ino, offset: c.offset, last: c.last, layout: c.layout?.name ?? '' });
  }

  /** A position with the open logins as they stand (wtmp). */
  private withLogins(p: FilePosition): FilePosition {
    if (this.logins) p.open = this.logins.snapshot();
    return p;
  }

  async readNew(sink: SourceSink, reason: WakeReason): Promise<void> {
    this.sink = sink;
    try {
      if (this.retired) await this.readRetired(sink);
      if (sink.stopped) return;
      let st: fs.Stats | null = null;
      let statError: unknown = null;
      try {
        st = await statAsync(this.path);
      } catch (err) {
        statError = err;
      }
      if (sink.stopped) return;
      const c = this.cur;
      if (c && (!st || st.ino !== c.ino || st.dev !== c.dev)) {
        // Renamed away, replaced or removed: kept open, and read to its end before anything newer.
        this.cur = null;
        if (c.layout) this.gone = this.positionOf(c);
        this.held.push({ cursor: c, until: Date.now() + LATE_WRITES_MS, own: true });
        if (this.held.length > MAX_HELD) this.letGo(sink, this.held.shift()!.cursor);
      }
      await this.readHeld(sink);
      if (sink.stopped) return;
      if (!this.cur && st) {
        try {
          this.cur = await this.openAsync(this.path);
          this.warned = null;
        } catch (err) {
          this.report(sink, err);
        }
        if (sink.stopped) return;
      }
      // The path names another file than the one open (rotated again while this read waited, or
      // its stat was taken mid-rotation): files made after this one would be read before its
      // end. The next wake (the rename's notification, or the poll) holds it first.
      if (this.cur && !namesFile(this.path, this.cur)) return;
      // Files made at the path and rotated away before they were read, or copied from it just
      // before a truncation: what they hold came before what the file holds from its start.
      this.fresh.push(...this.scanFresh());
      if (!this.cur || (this.cur.offset === 0 && this.cur.last === null)) await this.readFresh(sink, this.fresh, this.cur);
      this.fresh = []; // the rest copy what the file still holds (a backup), or are claimed by their truncation (findCopy)
      if (sink.stopped) return;
      if (!this.cur) {
        // During a rotation the path is missing for a moment: only the poll says it is gone.
        if (!st && reason !== 'notify') this.report(sink, statError);
        return;
      }
      // The path's stat describes the open file (same inode): its size saves an fstat when nothing is new.
      await this.drain(sink, this.cur, st && st.ino === this.cur.ino && st.dev === this.cur.dev ? st.size : -1);
    } catch (err) {
      this.report(sink, err);
    }
  }

  close(): void {
    for (const h of this.held) fs.closeSync(h.cursor.fd);
    this.held = [];
    if (this.cur) fs.closeSync(this.cur.fd);
    this.cur = null;
    this.sink = null;
  }

  /**
   * Files renamed away or removed, oldest first: each is read to its end
   * (its events carry its own position), then, for a moment, again for
   * records written late by a writer that opened it before the rename:
   * handed over out of file order but not lost, with the current position,
   * which they do not move.
   */
  private async readHeld(sink: SourceSink): Promise<void> {
    for (const h of [...this.held]) {
      await this.drain(sink, h.cursor, -1, h.own ? (x) => this.positionOf(x) : () => this.position());
      if (sink.stopped) return;
      h.own = false;
      if (Date.now() < h.until) continue;
      // A record its writer has begun and not finished: waited for a while, then a gap.
      const torn = (await fstatAsync(h.cursor.fd)).size - h.cursor.offset;
      if (torn > 0 && Date.now() < h.until - LATE_WRITES_MS + TORN_WAIT_MS) continue;
      if (torn > 0) this.gap(sink, torn, `the file renamed away from ${this.path} (or removed; inode ${h.cursor.ino}) ends in ${torn} bytes of a record its writer did not finish within ${TORN_WAIT_MS / 1000} s: not read`);
      this.release(h.cursor);
      this.held = this.held.filter((x) => x !== h);
    }
  }

  /**
   * New rotated siblings (identities not seen at the last scan, nor open
   * here), oldest made first. The directory is listed only when it changed.
   */
  private scanFresh(): Sibling[] {
    let stamp = '';
    try {
      const d = fs.statSync(nodePath.dirname(this.path));
      stamp = `${d.ino}:${d.mtimeMs}:${d.ctimeMs}`;
    } catch {
      return [];
    }
    if (stamp === this.dirStamp) return [];
    this.dirStamp = stamp;
    const all = rotatedSiblings(this.path);
    const open = new Set([this.cur, ...this.held.map((h) => h.cursor)].filter((c): c is Cursor => c !== null).map(fileId));
    for (const id of this.released) open.add(id);
    const fresh = all.filter((s) => !this.known.has(fileId(s.st)) && !open.has(fileId(s.st)));
    this.known = new Set(all.map((s) => fileId(s.st)));
    return fresh.sort(byCreation);
  }

  /**
   * Reads `files` from their start, oldest made first: records that came
   * before what `next` (the file at the path, read from its start) holds.
   * One whose first record is the one `next` begins with copies it (a
   * backup): skipped.
   */
  private async readFresh(sink: SourceSink, files: Sibling[], next: Cursor | null): Promise<void> {
    const done = new Set<string>();
    for (const s of [...files].sort(byCreation)) {
      if (sink.stopped || done.has(fileId(s.st))) continue;
      done.add(fileId(s.st));
      let c: Cursor;
      try {
        c = await this.openAsync(s.path);
      } catch {
        continue; // gone or unreadable meanwhile: not ours
      }
      try {
        if (c.dev !== s.st.dev || c.ino !== s.st.ino) continue;
        const bytes = (await fstatAsync(c.fd)).size;
        if (!c.layout && bytes > 0) c.layout = await recogniseAsync(c.fd, bytes, c.file);
        if (next && c.layout && (await this.sameFirstRecord(c, next, c.layout.size))) continue;
        await this.drain(sink, c);
      } finally {
        fs.closeSync(c.fd);
      }
    }
  }

  private async sameFirstRecord(a: Cursor, b: Cursor, size: number): Promise<boolean> {
    const x = Buffer.alloc(size);
    const y = Buffer.alloc(size);
    const [na, nb] = await Promise.all([readLockedAsync(a.fd, x, size, 0), readLockedAsync(b.fd, y, size, 0)]);
    return na === size && nb === size && x.equals(y);
  }

  /** Reads every whole record after the cursor, in chunks, handing over their events (each with `positionOf` the cursor). */
  private async drain(sink: SourceSink, c: Cursor, knownSize = -1, positionOf = (x: Cursor) => this.positionOf(x)): Promise<void> {
    while (!sink.stopped) {
      const st = knownSize >= 0 ? { size: knownSize } : await fstatAsync(c.fd);
      knownSize = -1;
      if (sink.stopped) return;
      if (st.size < c.offset) {
        await this.truncated(sink, c, positionOf);
        continue;
      }
      if (!c.layout) {
        if (st.size === 0) return;
        const found = await recogniseAsync(c.fd, st.size, c.file); // a compressed file is refused, whatever layout was given
        c.layout = this.layoutOption ?? found;
        if (sink.stopped) return;
      }
      const size = c.layout.size;
      if (st.size - c.offset < size) return; // nothing new, or only part of a record so far
      // Read the record before the offset too: if it is not the one read last time, the file was rewritten.
      const back = c.offset >= size && c.last !== null ? size : 0;
      const want = Math.min(Math.floor(CHUNK_BYTES / size) * size, Math.floor((st.size - c.offset) / size) * size) + back;
      if (this.buf.length < want) this.buf = Buffer.alloc(Math.max(want, Math.min(CHUNK_BYTES + size, 2 * this.buf.length)));
      const buf = this.buf;
      const bytesRead = await readLockedAsync(c.fd, buf, want, c.offset - back);
      if (sink.stopped) return;
      if (back && (bytesRead < size || digest(buf, 0, size) !== c.last)) {
        await this.truncated(sink, c, positionOf);
        continue;
      }
      c.seen = Math.max(c.seen, st.size);
      const end = back + Math.floor((bytesRead - back) / size) * size;
      if (end === back) return;
      const decoder = recordDecoder(c.layout);
      for (let at = back; at < end; at += size) {
        const entry = decodeAt(decoder, buf, at, c.offset, c.file, this.warnings);
        const d = digest32(buf, at, at + size);
        c.offset += size;
        c.last = hex(d);
        remember(c, d);
        const ev = this.map(entry, this.source, c.file);
        // Pairing sees every record, those before `since` too: a logout after it names a login before it.
        const paired = this.logins?.record(entry, ev, (login, how) => this.ended(login, how, entry, c.file));
        if (paired?.dropped && !this.droppedLogins) sink.warning({ type: 'warning', source: this.source, path: this.path, ...openLoginsDropped(paired.dropped.user, paired.dropped.line) }, positionOf(c));
        if (paired?.dropped) this.droppedLogins = true;
        if (entry.ut_time < this.minTime && c.ino === this.replay.ino && c.offset <= this.replay.size) continue;
        if (paired) for (const end of paired.before) sink.event(end, positionOf(c));
        if (ev) sink.event(ev, positionOf(c));
      }
      sink.progress(positionOf(c));
      await sink.room();
    }
  }

  private positionOf(c: Cursor): FilePosition {
    return this.withLogins({ kind: 'file', path: this.path, dev: c.dev, ino: c.ino, offset: c.offset, last: c.last, layout: c.layout!.name });
  }

  /** The logout of an open login that `entry` ends without being its logout: another login on its line, a boot, a shutdown. */
  private ended(login: StoredLogin, how: 'logout' | 'crash' | 'down', entry: UtmpEntry, file: string): SourceEvent {
    const ev: SourceEvent = { type: 'logout', time: entry.date, user: '', line: login.line, host: '', address: null, source: this.source, path: file };
    return nameLogout(ev, toWatchLogin(login), how);
  }

  /**
   * The records before the cursor are no longer where they were. Copied
   * away (copytruncate): the copy's tail, then copies made after it (more
   * rotations since the last read), then this file from its start. Else
   * truncated in place (or rewritten): read on from where what was read
   * before ends, and say that records written before the truncation and not
   * yet read are lost.
   */
  private async truncated(sink: SourceSink, c: Cursor, positionOf: (x: Cursor) => FilePosition): Promise<void> {
    const size = c.layout?.size ?? 0;
    if (size === 0 || c.offset === 0) return moveTo(c, 0, null);
    const copyPath = c.last !== null ? findCopy(this.path, c.offset, size, c.last) : null;
    const copy = copyPath ? await this.openAsync(copyPath).catch(() => null) : null;
    if (copy) {
      const copySize = (await fstatAsync(copy.fd)).size;
      Object.assign(copy, { offset: c.offset, last: c.last, layout: c.layout, base: c.offset });
      try {
        await this.drain(sink, copy); // its events' positions name the copy's inode: a resume finds it by that
      } finally {
        fs.closeSync(copy.fd);
      }
      const lost = c.seen - copySize;
      moveTo(c, 0, null);
      if (lost > 0) {
        this.gap(sink, lost, `${this.path} grew by ${lost} bytes between its copy (${copyPath}) and its truncation (copytruncate's window): those records are lost`, positionOf(c));
      }
      const made = fs.statSync(copyPath!);
      const open = new Set([c, ...this.held.map((h) => h.cursor)].map(fileId));
      const later = rotatedSiblings(this.path).filter((s) => byCreation(s, { path: copyPath!, st: made }) > 0 && !open.has(fileId(s.st)));
      await this.readFresh(sink, [...later, ...this.fresh], c);
      this.fresh = [];
      return;
    }
    const lost = Math.max(0, c.seen - c.offset);
    const { at, exact } = await this.intactUntil(c);
    let last: string | null = null;
    if (at >= size) {
      const rec = Buffer.alloc(size);
      const bytesRead = await readLockedAsync(c.fd, rec, size, at - size);
      if (bytesRead === size) last = digest(rec, 0, size);
    }
    moveTo(c, at, last);
    this.gap(sink, lost, exact
      ? `${this.path} was truncated in place to ${at} bytes (or rewritten), with no uncompressed copy beside it: records written after the last read and before the truncation are lost; reading on from byte ${at}`
      : `${this.path} was truncated below what this watch read of it (or replaced by a file on the same inode), with no uncompressed copy beside it: records written before the truncation and not read are lost${at > 0 ? `, and any written after it before byte ${at} are not read` : ''}; reading on from byte ${at}`, positionOf(c));
  }

  /**
   * Where the records read before end in a file truncated in place: the
   * first record read (by its digest) that the file no longer holds, then
   * the offset from which whole records end at the file's end (records are
   * appended whole). Exact unless the truncation went below the first
   * record this watch read (a watch started from now, or resumed) or past
   * the digests it keeps.
   */
  private async intactUntil(c: Cursor): Promise<{ at: number; exact: boolean }> {
    const size = c.layout!.size;
    const fileSize = (await fstatAsync(c.fd)).size;
    const chunk = Buffer.alloc(Math.floor(CHUNK_BYTES / size) * size);
    let k = 0;
    scan: while (k < c.count && c.base + (k + 1) * size <= fileSize) {
      const n = Math.min(chunk.length / size, c.count - k, Math.floor((fileSize - c.base) / size) - k);
      const bytesRead = await readLockedAsync(c.fd, chunk, n * size, c.base + k * size);
      for (let i = 0; i + size <= bytesRead; i += size, k++) {
        if (digest32(chunk, i, i + size) !== c.digests[k]) break scan;
      }
      if (bytesRead < n * size) break;
    }
    const exact = k < c.count && (k > 0 || c.base === 0);
    if (exact) return { at: alignedAtOrBelow(Math.min(fileSize, c.base + (k + 1) * size - 1), fileSize, size), exact };
    // Below what was read (or another file on a reused inode): from the start where records are whole there, else from the last point that can be.
    return { at: fileSize % size === 0 ? 0 : alignedAtOrBelow(Math.min(fileSize, c.base + k * size), fileSize, size), exact };
  }

  /** Reads the tail of the rotated file a stored position pointed into. */
  private async readRetired(sink: SourceSink): Promise<void> {
    const r = this.retired!;
    this.retired = null;
    let c: Cursor;
    try {
      c = await this.openAsync(r.path);
    } catch (err) {
      this.gap(sink, 0, `the rotated file ${r.path} could not be read (${(err as Error).message}): records written to it after the stored position are not seen`);
      return;
    }
    if (c.dev !== r.dev || c.ino !== r.ino) {
      fs.closeSync(c.fd);
      return this.gap(sink, 0, `${r.path} changed before its tail was read: records written to it after the stored position are not seen`);
    }
    c.layout = LAYOUTS[r.layout as LayoutName] ?? c.layout;
    moveTo(c, r.offset, r.last);
    try {
      await this.drain(sink, c);
    } finally {
      fs.closeSync(c.fd);
    }
  }

  /** Closes the oldest file held in a rotation storm: what its writers added since its last read is a gap. */
  private letGo(sink: SourceSink, c: Cursor): void {
    const unread = fs.fstatSync(c.fd).size - c.offset;
    this.release(c);
    if (unread > 0) this.gap(sink, unread, `more than ${MAX_HELD} files were renamed away from ${this.path} in a row: the oldest (inode ${c.ino}) is let go with ${unread} bytes written late and not read`);
  }

  /**
   * Closes a file renamed away and read. Still linked, it is remembered as
   * read: a scan that lists it only later (renamed again, to a rotated name)
   * must not take it for a new file and read it again.
   */
  private release(c: Cursor): void {
    if (fs.fstatSync(c.fd).nlink > 0) {
      this.released.push(fileId(c));
      if (this.released.length > MAX_RELEASED) this.released.shift();
    }
    fs.closeSync(c.fd);
  }

  /** Records that can no longer be read: said, never silent. */
  private gap(sink: SourceSink, bytes: number, message: string, at: FilePosition = this.position()): void {
    sink.gap({ type: 'gap', source: this.source, path: this.path, bytes, time: new Date(), message }, at);
  }

  private report(sink: SourceSink, err: unknown): void {
    const p = problem(err, this.source, this.path);
    if (this.warned === p.code) return;
    this.warned = p.code;
    sink.warning({ type: 'warning', ...p, source: this.source, path: this.path }, this.position());
  }

  // Opened as the reading wing opens record files (records/record-file.ts): its errors, and a
  // compressed file refused; the layout given is used, else the one recognised (once the file is not empty).
  private openSync(file: string): Cursor {
    return this.cursorOf(file, openRecordFileSync(file, null, 0));
  }

  private async openAsync(file: string): Promise<Cursor> {
    return this.cursorOf(file, await openRecordFileAsync(file, null, 0));
  }

  private cursorOf(file: string, f: OpenedRecordFile): Cursor {
    return cursor(file, f.fd, f, f.layout && (this.layoutOption ?? f.layout));
  }

  /** From now: after the last whole record (a record being written now is still to come). */
  private skipToEndSync(c: Cursor): void {
    if (!c.layout) return;
    const size = c.layout.size;
    const end = Math.floor(fs.fstatSync(c.fd).size / size) * size;
    if (end === 0) return;
    const rec = Buffer.alloc(size);
    if (readLockedSync(c.fd, rec, size, end - size) !== size) return;
    moveTo(c, end, digest(rec, 0, size));
  }
}
