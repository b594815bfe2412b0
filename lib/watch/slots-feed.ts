/**
 * utmp: a small file whose slots are rewritten in place (pututxline). Each
 * read takes the whole file under the readers' lock and compares every slot
 * with what it held: a slot that became USER_PROCESS is a login, one that
 * went from USER_PROCESS to DEAD_PROCESS a logout. The stored position is a
 * digest per slot, so a resumed watch reports the slots that changed meanwhile.
 */
import * as fs from 'fs';
import { promisify } from 'util';
import { decodeAt, recordDecoder } from '../records/decoder';
import { readLockedAsync, readLockedSync } from '../records/file-locks';
import { type OpenedRecordFile, openRecordFileAsync, openRecordFileSync, refuseCompressed } from '../records/record-file';
import { LAYOUTS, type LayoutName, type RecordLayout, detectLayout, hostLayout } from '../records/layouts';
import { WarningSink } from '../model/warnings';
import { slotEvents } from './events';
import { problem } from './file-feed';
import { type SlotsPosition, digest, isSlotsPosition } from './position';
import type { SourceSink, StartPoint, WakeReason, WatchFeed } from './feed';

const fstatAsync = promisify(fs.fstat);
const statAsync = promisify(fs.stat);

/** A utmp larger than this is not one (it holds one slot per terminal line). */
const MAX_UTMP_BYTES = 16 << 20;

/** The file's bytes, and its identity, size and times (unchanged: no need to read it again on a poll). */
interface Snapshot { buf: Buffer; dev: number; ino: number; stamp: string }

const stampOf = (st: fs.Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

export class SlotFileFeed implements WatchFeed {
  readonly source = 'utmp' as const;
  readonly key: string;
  readonly paths: readonly string[];
  /** The slots as last seen; null when only their digests are known (resumed). */
  private bytes: Buffer | null = null;
  private digests: string[] = [];
  private dev = 0;
  private ino = 0;
  private layout: RecordLayout | null;
  private minTime = -Infinity;
  private warned: string | null = null;
  /** stampOf the file when last read. */
  private stamp = '';
  private sink: SourceSink | null = null;
  private readonly warnings: WarningSink;

  constructor(readonly path: string, layout: LayoutName | 'auto' = 'auto') {
    this.key = `utmp:${path}`;
    this.paths = [path];
    this.layout = layout === 'auto' ? null : LAYOUTS[layout];
    this.warnings = new WarningSink({
      onWarning: (w) => this.sink?.warning({ type: 'warning', code: w.code, message: w.message, source: 'utmp', path: w.path, offset: w.offset }, this.position()),
    });
  }

  start(from: StartPoint, sink: SourceSink): void {
    this.sink = sink;
    if (from.kind === 'since') {
      this.minTime = from.time; // every slot is new: the first read reports those at or after `time`
      return;
    }
    const saved = from.kind === 'position' ? from.saved : undefined;
    if (isSlotsPosition(saved)) {
      this.digests = saved.slots.map(String);
      this.layout ??= LAYOUTS[saved.layout as LayoutName] ?? null;
      this.dev = saved.dev;
      this.ino = saved.ino;
      return;
    }
    try {
      this.take(this.readSync());
    } catch (err) {
      this.report(sink, err);
    }
  }

  position(): SlotsPosition {
    return { kind: 'slots', path: this.path, dev: this.dev, ino: this.ino, slots: this.digests.slice(), layout: this.layout?.name ?? '' };
  }

  async readNew(sink: SourceSink, reason: WakeReason): Promise<void> {
    this.sink = sink;
    let snap: Snapshot;
    try {
      // The safety poll reads only a file that changed (a notification always reads).
      if (reason === 'poll' && this.bytes !== null) {
        const st = await statAsync(this.path);
        if (stampOf(st) === this.stamp) return;
      }
      snap = await this.readAsync();
      this.stamp = snap.stamp;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || reason !== 'notify') this.report(sink, err);
      return;
    }
    if (sink.stopped) return;
    this.warned = null;
    try {
      this.compare(sink, snap);
    } catch (err) {
      this.report(sink, err);
    }
  }

  close(): void {
    this.sink = null;
  }

  /** Hands over the events of every slot that changed, then keeps the new slots. */
  private compare(sink: SourceSink, snap: Snapshot): void {
    const layout = (this.layout ??= snap.buf.length > 0 ? detectLayout(snap.buf, snap.buf.length) : hostLayout() ?? LAYOUTS['glibc-384-le']);
    const size = layout.size;
    const decoder = recordDecoder(layout);
    const count = Math.floor(snap.buf.length / size);
    this.dev = snap.dev;
    this.ino = snap.ino;
    for (let i = 0; i < count; i++) {
      const at = i * size;
      const d = digest(snap.buf, at, at + size);
      if (d === this.digests[i]) continue;
      const old = this.bytes && this.bytes.length >= at + size ? decoder.entry(this.bytes, at) : null;
      const entry = decodeAt(decoder, snap.buf, at, at, this.path, this.warnings);
      this.digests[i] = d;
      if (entry.ut_time < this.minTime) continue;
      for (const ev of slotEvents(old, entry, this.path)) sink.event(ev, this.position());
    }
    this.digests.length = count; // slots cut off (a new, shorter utmp) are forgotten
    this.bytes = snap.buf;
    this.minTime = -Infinity; // `since` filters the replay (this first read) only: slots rewritten live are events whatever their time
    sink.progress(this.position());
  }

  private take(snap: Snapshot): void {
    this.stamp = snap.stamp;
    this.layout ??= snap.buf.length > 0 ? detectLayout(snap.buf, snap.buf.length) : null;
    const size = this.layout?.size ?? 0;
    this.bytes = snap.buf;
    this.dev = snap.dev;
    this.ino = snap.ino;
    this.digests = [];
    for (let at = 0; size > 0 && at + size <= snap.buf.length; at += size) this.digests.push(digest(snap.buf, at, at + size));
  }

  // Opened as the reading wing opens record files (records/record-file.ts), with its errors; read
  // whole under the readers' lock so that no slot comes back half rewritten; a compressed file refused.
  private readSync(): Snapshot {
    const f = openRecordFileSync(this.path, null, Infinity);
    try {
      const before = fs.fstatSync(f.fd);
      const buf = Buffer.alloc(Math.min(before.size, MAX_UTMP_BYTES));
      return this.snapshot(f, buf, readLockedSync(f.fd, buf, buf.length, 0), before);
    } finally {
      fs.closeSync(f.fd);
    }
  }

  private async readAsync(): Promise<Snapshot> {
    const f = await openRecordFileAsync(this.path, null, Infinity);
    try {
      const before = await fstatAsync(f.fd);
      const buf = Buffer.alloc(Math.min(before.size, MAX_UTMP_BYTES));
      const n = await readLockedAsync(f.fd, buf, buf.length, 0);
      return this.snapshot(f, buf, n, before);
    } finally {
      fs.closeSync(f.fd);
    }
  }

  // The stamp is taken before the read: a rewrite after it changes the times, and the next poll reads again.
  private snapshot(f: OpenedRecordFile, buf: Buffer, n: number, before: fs.Stats): Snapshot {
    refuseCompressed(buf, n, this.path);
    return { buf: buf.subarray(0, n), dev: f.dev, ino: f.ino, stamp: stampOf(before) };
  }

  private report(sink: SourceSink, err: unknown): void {
    const p = problem(err, 'utmp', this.path);
    if (this.warned === p.code) return;
    this.warned = p.code;
    sink.warning({ type: 'warning', ...p, source: 'utmp', path: this.path }, this.position());
  }
}
