/**
 * wtmpdb (`/var/lib/wtmpdb/wtmp.db`) as a watch source. A login or a boot
 * adds a row; its logout (or the shutdown) later sets that row's `Logout`.
 * So the position is the highest ID seen plus the IDs of rows still open,
 * and each read asks for (1) the open rows whose Logout is now set (logout,
 * shutdown events, by Logout time) and (2) the rows after the highest ID
 * (login, boot events, in ID order; a row already closed gives its logout
 * right after). Every read is a short read-only statement (lib/sources/).
 *
 * A row left open before a later boot is a crash (as `wtmpdb last` shows
 * it): nothing will close it, so it ends there, a logout event with `ended:
 * 'crash'` at the boot's time.
 *
 * A logout names its row's login (`login`): the row holds both.
 */
import * as fs from 'fs';
import { isIP } from 'net';
import { MAX_OPEN_ROWS, type RowId, WTMPDB_BOOT_TIME, WTMPDB_USER_PROCESS, type WtmpdbRow, compareIds, rowIdOf, wtmpdbQueries } from '../sources/wtmpdb';
import type { SourceEvent, WatchEventType, WatchLogin } from './events';
import { nameLogout } from './pairing';
import { problem } from './file-feed';
import type { SourcePosition } from './position';
import type { SourceSink, StartPoint, WakeReason, WatchFeed } from './feed';

// A type, not an interface: it is then a SourcePosition (an object of any fields).
export type WtmpdbPosition = {
  kind: 'wtmpdb';
  path: string;
  /** The highest row ID read (beyond 2^53 its decimal digits, see RowId). */
  maxId: RowId;
  /** IDs of rows read whose Logout was not set yet, ascending. */
  open: RowId[];
  /** The database file's inode (0: unknown): another one at the path is a new database, read from its start. */
  ino: number;
};

export function isWtmpdbPosition(p: SourcePosition | undefined): p is WtmpdbPosition {
  return !!p && p.kind === 'wtmpdb' && isRowId(p.maxId) && Array.isArray(p.open) && (p.open as unknown[]).every(isRowId);
}

/** A saved ID: a safe integer, or the digits of a 64-bit one beyond. */
const isRowId = (v: unknown): boolean => Number.isSafeInteger(v) ||
  (typeof v === 'string' && /^-?[1-9]\d{15,18}$/.test(v) && BigInt(v) <= 2n ** 63n - 1n && BigInt(v) >= -(2n ** 63n));

/** Rows per statement (between two looks at the consumer's backlog). */
const BATCH = 1024;
/** Open IDs asked about per statement (SQLite's bound-parameter limit is far above). */
const IDS_PER_QUERY = 500;

export class WtmpdbFeed implements WatchFeed {
  readonly source = 'wtmpdb' as const;
  readonly key: string;
  readonly paths: readonly string[];
  private maxId: RowId = 0;
  private open: RowId[] = [];
  private ino = 0;
  /** Replaying: events before this time (seconds) are passed over. */
  private minTime = -Infinity;
  private warned: string | null = null;

  constructor(readonly path: string) {
    this.key = `wtmpdb:${path}`;
    // Debian's /var/lib/wtmpdb/wtmp.db is a symlink to /var/log/wtmp.db: the writes happen beside the target.
    const files = new Set([path]);
    try {
      files.add(fs.realpathSync(path));
    } catch {
      // not there yet
    }
    this.paths = [...files].flatMap((f) => [f, `${f}-wal`, `${f}-journal`]);
  }

  start(from: StartPoint, sink: SourceSink): void {
    if (from.kind === 'since') {
      this.minTime = from.time; // every row is read, those before `time` give no event
      return;
    }
    const saved = from.kind === 'position' ? from.saved : undefined;
    if (isWtmpdbPosition(saved)) {
      this.maxId = saved.maxId;
      this.open = [...saved.open].sort(compareIds);
      this.ino = typeof saved.ino === 'number' ? saved.ino : 0;
      return;
    }
    try {
      this.ino = fs.statSync(this.path).ino;
      ({ maxId: this.maxId, open: this.open } = wtmpdbQueries.start(this.path));
    } catch (err) {
      // Not there yet (or unreadable): every row it gets later is new.
      this.report(sink, err);
    }
  }

  position(): WtmpdbPosition {
    return { kind: 'wtmpdb', path: this.path, maxId: this.maxId, open: [...this.open], ino: this.ino };
  }

  async readNew(sink: SourceSink, _reason: WakeReason): Promise<void> {
    try {
      await this.checkSameFile(sink);
      await this.readLogouts(sink);
      await this.readRows(sink);
      this.minTime = -Infinity; // `since` filters the replay (the first read) only: rows added later are events whatever their time
      this.warned = null;
    } catch (err) {
      this.report(sink, err);
    }
  }

  close(): void {
    // Nothing is held between reads.
  }

  /** Open rows closed since the last read: logout or shutdown events. */
  private async readLogouts(sink: SourceSink): Promise<void> {
    const asked = this.open.slice();
    for (let i = 0; i < asked.length && !sink.stopped; i += IDS_PER_QUERY) {
      const closed = await wtmpdbQueries.closed(this.path, asked.slice(i, i + IDS_PER_QUERY));
      for (const row of closed) {
        this.open = this.open.filter((id) => id !== rowIdOf(row));
        this.emit(sink, endEvent(row, this.path), row.logout!);
      }
      await sink.room();
    }
  }

  /** Rows added since the last read: login or boot events (and the logout of a row closed already). */
  private async readRows(sink: SourceSink): Promise<void> {
    for (;;) {
      if (sink.stopped) return;
      const rows = await wtmpdbQueries.after(this.path, this.maxId, BATCH);
      for (const row of rows) {
        // Rows still open from before this boot crashed (ended before the boot's ID is taken: a resume reads the boot again).
        if (row.type === WTMPDB_BOOT_TIME) await this.crashed(sink, row);
        this.maxId = rowIdOf(row);
        const open = row.logout === null && (row.type === WTMPDB_USER_PROCESS || row.type === WTMPDB_BOOT_TIME);
        if (open) {
          this.open.push(this.maxId);
          if (this.open.length > MAX_OPEN_ROWS) this.open.shift();
        }
        const begin = beginEvent(row, this.path);
        if (!begin) {
          sink.progress(this.position()); // a run level, an unknown type
          continue;
        }
        if (row.logout !== null) this.open.push(this.maxId); // until its logout is handed over
        this.emit(sink, begin, row.login);
        if (row.logout !== null) {
          this.open.pop();
          this.emit(sink, endEvent(row, this.path), row.logout);
        }
      }
      await sink.room();
      if (rows.length === 0) return; // a batch may stop short of BATCH (a byte cap) with rows left
    }
  }

  /** The user rows still open when `boot` was written: they crashed, and end at the boot's time. */
  private async crashed(sink: SourceSink, boot: WtmpdbRow): Promise<void> {
    const asked = this.open.slice();
    for (let i = 0; i < asked.length && !sink.stopped; i += IDS_PER_QUERY) {
      for (const row of await wtmpdbQueries.stillOpen(this.path, asked.slice(i, i + IDS_PER_QUERY))) {
        if (row.type !== WTMPDB_USER_PROCESS) continue;
        this.open = this.open.filter((id) => id !== rowIdOf(row));
        this.emit(sink, nameLogout(event('logout', row, boot.login, this.path), loginOf(row), 'crash'), boot.login);
      }
    }
    this.open = [];
  }

  /**
   * SQLite writes a database in place: another file at the path (removed and
   * made anew) is another database, whose IDs start again. The file system may
   * give the new file the old one's inode, so IDs going back (a largest ID
   * below the one read: made anew, or emptied) say so too.
   */
  private async checkSameFile(sink: SourceSink): Promise<void> {
    // The IDs first, then the inode: a file replaced between the two is then
    // seen by its inode, never taken for the old one.
    const readSome = compareIds(this.maxId, 0) > 0;
    const largestId = readSome ? await wtmpdbQueries.maxId(this.path) : 0;
    const { ino } = await fs.promises.stat(this.path);
    const idsWentBack = this.ino === ino && compareIds(largestId, this.maxId) < 0;
    if (this.ino === ino && !idsWentBack) return;
    if ((this.ino !== 0 || idsWentBack) && (readSome || this.open.length > 0)) {
      sink.warning({
        type: 'warning', code: 'ERR_UTMPX_WATCH_REPLACED', source: 'wtmpdb', path: this.path,
        message: `${this.path} is another database than the one read before (replaced): reading it from its start`,
      }, this.position());
      this.maxId = 0;
      this.open = [];
    }
    this.ino = ino;
  }

  /** Hands over an event (one at or after `minTime` when replaying) with the position after it. */
  private emit(sink: SourceSink, e: SourceEvent, timeUs: number): void {
    if (timeUs / 1e6 < this.minTime) sink.progress(this.position());
    else sink.event(e, this.position());
  }

  private report(sink: SourceSink, err: unknown): void {
    const p = problem(err, 'wtmpdb', this.path);
    if (p.code === this.warned) return;
    this.warned = p.code;
    sink.warning({ type: 'warning', source: 'wtmpdb', path: this.path, ...p }, this.position());
  }
}

function event(type: WatchEventType, row: WtmpdbRow, timeUs: number, path: string): SourceEvent {
  const host = row.host ?? '';
  const e: SourceEvent = {
    type, time: new Date(Math.floor(timeUs / 1000)), user: row.user, line: row.line ?? '', host,
    address: isIP(host) ? host : null, source: 'wtmpdb', path,
  };
  if (row.service !== null) e.service = row.service;
  e.rowId = row.id;
  return e;
}

/** A row's first event: a login (user row) or a boot; null for other types. */
function beginEvent(row: WtmpdbRow, path: string): SourceEvent | null {
  if (row.type === WTMPDB_USER_PROCESS) return event('login', row, row.login, path);
  if (row.type === WTMPDB_BOOT_TIME) return event('boot', row, row.login, path);
  return null;
}

/** The login a user row records: the one its logout ends. */
function loginOf(row: WtmpdbRow): WatchLogin {
  const host = row.host ?? '';
  return { time: new Date(Math.floor(row.login / 1000)), user: row.user, line: row.line ?? '', host, address: isIP(host) ? host : null };
}

/** A closed row's second event: its logout (naming its login), or (a boot row) the shutdown. */
function endEvent(row: WtmpdbRow, path: string): SourceEvent {
  if (row.type !== WTMPDB_BOOT_TIME) return nameLogout(event('logout', row, row.logout!, path), loginOf(row), 'logout');
  const e = event('shutdown', row, row.logout!, path);
  e.user = 'shutdown'; // as the legacy wtmp names it
  return e;
}
