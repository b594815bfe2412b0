/**
 * Append-only record files (wtmp, btmp): read from the last whole record on,
 * a partial record left until its end arrives. The file is followed through
 * logrotate: renamed away (its tail is read, then the new file from its
 * start), truncated in place by copytruncate (the copy's tail, then the
 * file from its start), removed, replaced, or made unreadable (warnings;
 * the source picks up again when the file is back).
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { decodeAt, recordDecoder } from '../decoder';
import type { UtmpEntry } from '../entry';
import { LAYOUTS, type LayoutName, type RecordLayout, detectLayout } from '../layouts';
import type { DataSource } from '../modern/source';
import { WarningSink } from '../warnings';
import type { SourceEvent } from './events';
import { type FilePosition, digest, isFilePosition } from './position';
import { findCopy, findRenamed } from './rotation';
import type { SourceSink, StartPoint, WakeReason, WatchSource } from './source';

const fstatAsync = promisify(fs.fstat);
const statAsync = promisify(fs.stat);
const openAsync = promisify(fs.open);
const readAsync = promisify(fs.read);

/** Opening never blocks (a FIFO named by mistake); only regular files are read. */
export const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;
/** Bytes read at most per chunk (between two looks at the consumer's backlog). */
const CHUNK_BYTES = 256 * 1024;
const HEAD_BYTES = 64 * 1024;
/** How long a file renamed away is still read for records its writers wrote late (until the next wake after this). */
const LATE_WRITES_MS = 1000;

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
}

/** The error for a path that is no regular file (a FIFO, a device, a socket). */
export function notAFile(path: string, what: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`'${path}' is ${what}, not a record file: pass the path of a utmp, wtmp or btmp file`);
  err.code = what === 'a directory' ? 'EISDIR' : 'ERR_UTMPX_NOT_A_FILE';
  err.syscall = 'open';
  err.path = path;
  return err;
}

function kindOf(st: fs.Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
}

/** A problem as a warning: the code of the error, its message, and what to do for the common ones. */
export function problem(err: unknown, source: DataSource, path: string): { code: string; message: string; error?: Error } {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : 'ERR_UTMPX_WATCH';
  let message = e instanceof Error ? e.message : String(err);
  if (code === 'ENOENT') message = `${path} does not exist (removed, or not created yet): watching for it to appear`;
  if (code === 'EACCES' || code === 'EPERM') {
    message += source === 'btmp' ? ' (btmp is readable by root only): watching for it to become readable'
      : ': watching for it to become readable';
  }
  return { code, message, error: e instanceof Error ? e : undefined };
}

export class AppendFileSource implements WatchSource {
  readonly key: string;
  readonly paths: readonly string[];
  private cur: Cursor | null = null;
  /** The file last renamed away, still read for a moment (see readPrevious). */
  private previous: { cursor: Cursor; until: number } | null = null;
  /** A rotated predecessor whose tail comes first (found when resuming). */
  private retired: FilePosition | null = null;
  /** Where the source stood when its file went away. */
  private gone: FilePosition;
  private minTime = -Infinity;
  /** The code of the problem last reported: the same one is not repeated. */
  private warned: string | null = null;
  private buf = Buffer.alloc(0);
  private readonly layoutOption: RecordLayout | null;
  private sink: SourceSink | null = null;
  private readonly warnings: WarningSink;

  constructor(readonly source: DataSource, readonly path: string, private readonly map: RecordMapper, layout: LayoutName | 'auto' = 'auto') {
    this.key = `${source}:${path}`;
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
    const c = this.cur;
    if (from.kind === 'since') {
      this.minTime = from.time;
      return;
    }
    const saved = from.kind === 'position' ? from.saved : undefined;
    if (!isFilePosition(saved)) {
      if (c) this.skipToEndSync(c); // from now
      return;
    }
    this.gone = { ...saved, path: this.path };
    if (c && c.dev === saved.dev && c.ino === saved.ino) {
      c.offset = saved.offset;
      c.last = saved.last;
      c.layout = LAYOUTS[saved.layout as LayoutName] ?? c.layout;
      return; // a truncation meanwhile shows in the first read
    }
    // Another file at the path now: the one read before was rotated, or removed.
    const renamed = saved.ino ? findRenamed(this.path, saved.dev, saved.ino) : null;
    if (renamed) this.retired = { ...saved, path: renamed };
    else if (saved.offset > 0) this.lost(sink, `the file read before (${this.path}, inode ${saved.ino}) is gone (rotated and compressed, or removed): records written to it after the stored position are not seen`);
  }

  position(): FilePosition {
    const c = this.cur;
    if (!c) return this.gone;
    return { kind: 'file', path: this.path, dev: c.dev, ino: c.ino, offset: c.offset, last: c.last, layout: c.layout?.name ?? '' };
  }

  async readNew(sink: SourceSink, reason: WakeReason): Promise<void> {
    this.sink = sink;
    try {
      if (this.retired) await this.readRetired(sink);
      if (this.previous) await this.readPrevious(sink);
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
        // Renamed away, replaced or removed: what was added to it before is read first.
        await this.drain(sink, c);
        if (sink.stopped) return;
        this.gone = this.position();
        this.cur = null;
        // A writer that opened it just before the rename may still write to it: it stays open a little.
        this.closePrevious();
        this.previous = { cursor: c, until: Date.now() + LATE_WRITES_MS };
      }
      if (!this.cur) {
        // During a rotation the path is missing for a moment: only the poll says it is gone.
        if (!st) {
          if (reason !== 'notify') this.report(sink, statError);
          return;
        }
        try {
          this.cur = await this.openAsync(this.path);
        } catch (err) {
          this.report(sink, err);
          return;
        }
        if (sink.stopped) return;
        this.warned = null;
      }
      // The path's stat describes the open file (same inode): its size saves an fstat when nothing is new.
      await this.drain(sink, this.cur, st && st.ino === this.cur.ino && st.dev === this.cur.dev ? st.size : -1);
    } catch (err) {
      this.report(sink, err);
    }
  }

  close(): void {
    this.closePrevious();
    if (this.cur) fs.closeSync(this.cur.fd);
    this.cur = null;
    this.sink = null;
  }

  /**
   * Records written late to the file renamed away (by a writer that opened it
   * before the rename): handed over now, out of file order but not lost. Their
   * position is the current file's, which they do not move.
   */
  private async readPrevious(sink: SourceSink): Promise<void> {
    const p = this.previous!;
    await this.drain(sink, p.cursor, -1, () => this.position());
    if (Date.now() >= p.until) this.closePrevious();
  }

  private closePrevious(): void {
    if (this.previous) fs.closeSync(this.previous.cursor.fd);
    this.previous = null;
  }

  /** Reads every whole record after the cursor, in chunks, handing over their events (each with `positionOf` the cursor). */
  private async drain(sink: SourceSink, c: Cursor, knownSize = -1, positionOf = (x: Cursor) => this.positionOf(x)): Promise<void> {
    while (!sink.stopped) {
      const st = knownSize >= 0 ? { size: knownSize } : await fstatAsync(c.fd);
      knownSize = -1;
      if (sink.stopped) return;
      if (st.size < c.offset) {
        await this.truncated(sink, c);
        continue;
      }
      if (!c.layout) {
        if (st.size === 0) return;
        c.layout = this.layoutOption ?? (await this.detect(c.fd, st.size));
        if (sink.stopped) return;
      }
      const size = c.layout.size;
      if (st.size - c.offset < size) return; // nothing new, or only part of a record so far
      // Read the record before the offset too: if it is not the one read last time, the file was rewritten.
      const back = c.offset > 0 && c.last !== null ? size : 0;
      const want = Math.min(Math.floor(CHUNK_BYTES / size) * size, Math.floor((st.size - c.offset) / size) * size) + back;
      if (this.buf.length < want) this.buf = Buffer.alloc(Math.max(want, Math.min(CHUNK_BYTES + size, 2 * this.buf.length)));
      const buf = this.buf;
      const { bytesRead } = await readAsync(c.fd, buf, 0, want, c.offset - back);
      if (sink.stopped) return;
      if (back && (bytesRead < size || digest(buf, 0, size) !== c.last)) {
        await this.truncated(sink, c);
        continue;
      }
      const end = back + Math.floor((bytesRead - back) / size) * size;
      if (end === back) return;
      const decoder = recordDecoder(c.layout);
      for (let at = back; at < end; at += size) {
        const entry = decodeAt(decoder, buf, at, c.offset, c.file, this.warnings);
        c.offset += size;
        c.last = digest(buf, at, at + size);
        if (entry.ut_time < this.minTime) continue;
        const ev = this.map(entry, this.source, c.file);
        if (ev) sink.event(ev, positionOf(c));
      }
      sink.progress(positionOf(c));
      await sink.room();
    }
  }

  private positionOf(c: Cursor): FilePosition {
    return { kind: 'file', path: this.path, dev: c.dev, ino: c.ino, offset: c.offset, last: c.last, layout: c.layout!.name };
  }

  /**
   * The records before the cursor are gone (copytruncate, or the file was
   * rewritten): read the tail of the copy where they went, then this file from its start.
   */
  private async truncated(sink: SourceSink, c: Cursor): Promise<void> {
    const size = c.layout?.size ?? 0;
    if (c.offset > 0 && c.last !== null && size > 0) {
      const copy = findCopy(this.path, c.offset, size, c.last);
      if (copy) {
        const from = await this.openAsync(copy).catch(() => null);
        if (from) {
          Object.assign(from, { offset: c.offset, last: c.last, layout: c.layout });
          this.cur = from; // positions of its events name the copy's inode: a resume finds it by that
          try {
            await this.drain(sink, from);
          } finally {
            fs.closeSync(from.fd);
            this.cur = c;
          }
        }
      } else {
        this.lost(sink, `${this.path} was truncated and no uncompressed copy of it was found: records written just before the truncation may be missed`);
      }
    }
    c.offset = 0;
    c.last = null;
  }

  /** Reads the tail of the rotated file a stored position pointed into. */
  private async readRetired(sink: SourceSink): Promise<void> {
    const r = this.retired!;
    this.retired = null;
    let c: Cursor;
    try {
      c = await this.openAsync(r.path);
    } catch (err) {
      this.lost(sink, `the rotated file ${r.path} could not be read (${(err as Error).message}): records written to it after the stored position are not seen`);
      return;
    }
    if (c.dev !== r.dev || c.ino !== r.ino) {
      fs.closeSync(c.fd);
      return this.lost(sink, `${r.path} changed before its tail was read: records written to it after the stored position are not seen`);
    }
    Object.assign(c, { offset: r.offset, last: r.last, layout: LAYOUTS[r.layout as LayoutName] ?? c.layout });
    const current = this.cur;
    this.cur = c;
    try {
      await this.drain(sink, c);
    } finally {
      fs.closeSync(c.fd);
      this.cur = current;
    }
  }

  private lost(sink: SourceSink, message: string): void {
    sink.warning({ type: 'warning', code: 'ERR_UTMPX_WATCH_LOST', message, source: this.source, path: this.path }, this.position());
  }

  private report(sink: SourceSink, err: unknown): void {
    const p = problem(err, this.source, this.path);
    if (this.warned === p.code) return;
    this.warned = p.code;
    sink.warning({ type: 'warning', ...p, source: this.source, path: this.path }, this.position());
  }

  private openSync(file: string): Cursor {
    const fd = fs.openSync(file, OPEN_FLAGS);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw notAFile(file, kindOf(st));
      let layout = this.layoutOption;
      if (!layout && st.size > 0) {
        const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
        const n = fs.readSync(fd, head, 0, head.length, 0);
        layout = detectLayout(head.subarray(0, n), st.size);
      }
      return { file, fd, dev: st.dev, ino: st.ino, offset: 0, last: null, layout };
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  private async openAsync(file: string): Promise<Cursor> {
    const fd = await openAsync(file, OPEN_FLAGS);
    try {
      const st = await fstatAsync(fd);
      if (!st.isFile()) throw notAFile(file, kindOf(st));
      return { file, fd, dev: st.dev, ino: st.ino, offset: 0, last: null, layout: this.layoutOption };
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  private async detect(fd: number, size: number): Promise<RecordLayout> {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await readAsync(fd, head, 0, head.length, 0);
    return detectLayout(head.subarray(0, bytesRead), size);
  }

  /** From now: after the last whole record (a record being written now is still to come). */
  private skipToEndSync(c: Cursor): void {
    if (!c.layout) return;
    const size = c.layout.size;
    const end = Math.floor(fs.fstatSync(c.fd).size / size) * size;
    if (end === 0) return;
    const rec = Buffer.alloc(size);
    if (fs.readSync(c.fd, rec, 0, size, end - size) !== size) return;
    c.offset = end;
    c.last = digest(rec, 0, size);
  }
}
