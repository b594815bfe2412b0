/** The sessions of a wtmp history newest first: `last`'s own pairing, reading backwards. */
import type { UtmpEntry } from '../model/entry';
import type { DataSource } from '../model/data-source';
import type { Session, SessionEnd, SessionKind } from '../model/session';
import { argumentError, checkPathArgument } from '../model/errors';
import { WarningSink } from '../model/warnings';
import { BackwardCursor, countRecords } from '../records/backward-cursor';
import { decodeString } from '../records/decoder';
import type { ReadProgress } from '../records/entry-cursor';
import type { CursorHints } from '../records/forward-cursor';
import type { LayoutName, RecordLayout } from '../records/layouts';
import type { SessionsOptions } from '../sources/history';
import { newSession } from './forward';
import { Liveness } from './liveness';
import { Role, roleOf, seconds } from './roles';


/**
 * What the backward pairing found: the session that `e` began, its `kind`,
 * its `line` (the label for pseudo-sessions), how it ended, and the record
 * whose time is its logout (null while open; for a failed login, `e` itself).
 * @internal
 */
export type FoundSession = (e: UtmpEntry, kind: SessionKind, line: string, end: SessionEnd, by: UtmpEntry | null, index: number) => void;

/**
 * The sessions of a wtmp history, newest first, handed to `found` one record
 * at a time (`step()`): what sessions({ newestFirst }) yields, without a
 * Session or a Date for whoever only prints them (the CLI's `last`). Files
 * are given oldest first, read from the last record of the last file back to
 * the first of the first; `index` counts records across them all.
 * @internal
 */
export class BackwardSessionReader {
  private readonly sink: WarningSink;
  private readonly layout: LayoutName | 'auto';
  private readonly pairing: BackwardPairing;
  /** Records in the files before each file. */
  private readonly before: number[];
  private k: number;
  private cursor: BackwardCursor;
  private done = false;
  // The entries only feed the pairing and `found`, which reads no ut_line, ut_id or ut_exit.
  private readonly hints: CursorHints = { pairingOnly: true };

  constructor(private readonly files: readonly string[], options: SessionsOptions, found: FoundSession) {
    if (options.stream) throw argumentError('ERR_INCOMPATIBLE_OPTION_PAIR', '"newestFirst" reads a file backwards: a stream can only be read forwards');
    for (const f of files) checkPathArgument(f);
    this.sink = new WarningSink(options);
    this.layout = options.layout ?? 'auto';
    this.pairing = new BackwardPairing(options, found);
    this.before = [0];
    // Rotated files no longer grow: their sizes give the offsets of the files after them.
    for (let i = 0; i + 1 < files.length; i++) this.before.push(this.before[i] + countRecords(files[i], this.layout));
    this.k = files.length - 1;
    this.cursor = new BackwardCursor(files[this.k], this.layout, this.sink, this.hints);
  }

  /** The entries handed to `found` carry no `address` (CursorHints.noAddressText): for a caller that never reads it. */
  skipAddressText(): this {
    this.hints.noAddressText = true;
    return this;
  }

  /**
   * The entries handed to `found` carry no `ut_user` or `ut_host` (CursorHints.noUserHostText):
   * for a caller that writes them from the record's bytes (recordBuffer, user(), host()).
   */
  userHostFromBytes(): this {
    this.hints.noUserHostText = true;
    this.pairing.recordUser = { forRole: () => this.roleUser(), whole: () => this.user() };
    return this;
  }

  /** During `found`: the buffer holding the record it was called for, at `recordOffset`, in `recordLayout`. */
  get recordBuffer(): Buffer {
    return this.cursor.recordBuffer;
  }

  get recordOffset(): number {
    return this.cursor.recordOffset;
  }

  get recordLayout(): RecordLayout {
    return this.cursor.layout;
  }

  /** During `found`: the user of the record it was called for, from its bytes. */
  user(): string {
    const f = this.cursor.layout.user;
    return decodeString(this.cursor.recordBuffer, this.cursor.recordOffset + f.offset, f.size);
  }

  /** During `found`: the host of the record it was called for, from its bytes. */
  host(): string {
    const f = this.cursor.layout.host;
    return decodeString(this.cursor.recordBuffer, this.cursor.recordOffset + f.offset, f.size);
  }

  // As much of the record's user as roleOf reads: all of it on a `~` line or from an L or a d
  // (LOGIN, date) or a byte past ASCII, else its first letter (no string made).
  private roleUser(): string {
    const buf = this.cursor.recordBuffer;
    const at = this.cursor.recordOffset;
    const l = this.cursor.layout;
    const first = buf[at + l.user.offset];
    if (first === 0x4c || first === 0x64 || first >= 0x80 || buf[at + l.line.offset] === 0x7e) return this.user();
    return LETTERS[first];
  }

  /** Pairs the next record back; false once the first record of the first file was read. */
  step(): boolean {
    for (;;) {
      if (this.done) return false;
      const e = this.cursor.nextSync();
      if (e !== undefined) {
        this.pairing.push(e, this.before[this.k] + this.cursor.lastIndex);
        return true;
      }
      this.previous();
    }
  }

  /** {@link step}, reading without blocking. */
  async stepAsync(): Promise<boolean> {
    for (;;) {
      if (this.done) return false;
      const c = this.cursor;
      const e = c.canTakeNow() ? c.take() : await c.nextAsync();
      if (e !== undefined) {
        this.pairing.push(e, this.before[this.k] + c.lastIndex);
        return true;
      }
      this.previous();
    }
  }

  /** How far the reading has come in the file being read (the files are read last first). */
  get progress(): ReadProgress {
    return this.cursor.progress();
  }

  /** Lets go of the file. */
  close(): void {
    this.done = true;
    this.cursor.release();
  }

  // On to the file before, when there is one.
  private previous(): void {
    this.cursor.release();
    if (this.k === 0) this.done = true;
    else this.cursor = new BackwardCursor(this.files[--this.k], this.layout, this.sink, this.hints);
  }
}


// Each ASCII character as a string ('' for NUL, which ends a field).
const LETTERS = Array.from({ length: 128 }, (_, c) => (c === 0 ? '' : String.fromCharCode(c)));

/** Sessions made of what the backward pairing found, pushed onto `out`. */
export function sessionsInto(out: Session[], options: SessionsOptions): FoundSession {
  const source: DataSource = options.failedLogins ? 'btmp' : 'wtmp';
  return (e, kind, line, end, by, index) => {
    const s = newSession(e, kind, line, null, end, index, source);
    if (by !== null) s.logout = by === e ? s.login : by.date;
    out.push(s);
  };
}

/**
 * `last`'s own pairing, reading backwards (util-linux last.c): per line, the
 * nearest later login or logout record, which ends a login on that line; the
 * nearest later boot or shutdown, which ends the logins with no such record
 * (a crash, or down) and the shutdown before it; the nearest later shutdown,
 * which ends the reboots (down); the nearest later run-level change. A boot,
 * a shutdown and run level 0 or 6 forget the lines. Each session comes out as
 * its first record is reached: newest first, and gives the same sessions as
 * {@link Pairing}.
 */
class BackwardPairing {
  /** Per line, the nearest later record that ends a login there (until the next boot or shutdown back). */
  private readonly lineEnds = new Map<string, UtmpEntry>();
  /** The nearest later boot, shutdown or run level 0/6, and how it ends logins. */
  private nextDown: UtmpEntry | null = null;
  private whyDown: 'crash' | 'down' = 'crash';
  /** The nearest later shutdown or run level 0/6: the end of a reboot. */
  private nextShutdown: UtmpEntry | null = null;
  /** The nearest later shutdown or run-level change: the end of a run level. */
  private nextLevelChange: UtmpEntry | null = null;
  private readonly since: number;
  private readonly until: number;
  private readonly system: boolean;
  private readonly failedLogins: boolean;
  private liveness: Liveness | null = null;
  /** Where the users come from when the entries carry none (BackwardSessionReader.userHostFromBytes). */
  recordUser: { forRole(): string; whole(): string } | null = null;

  constructor(options: SessionsOptions, private readonly found: FoundSession) {
    this.since = options.since ? seconds(options.since) : -Infinity;
    this.until = options.until ? seconds(options.until) : Infinity;
    this.system = Boolean(options.system);
    this.failedLogins = Boolean(options.failedLogins);
  }

  push(e: UtmpEntry, index: number): void {
    if (this.since !== -Infinity || this.until !== Infinity) {
      const sec = Math.floor(e.ut_time);
      if (sec < this.since || sec > this.until) return;
    }
    if (this.failedLogins) {
      this.found(e, 'login', e.line, 'logout', e, index);
      return;
    }
    const role = this.recordUser === null ? roleOf(e) : roleOf(e, this.recordUser.forRole());
    if (role === Role.Ignored) return;
    if (role === Role.Login || role === Role.Logout) {
      const line = e.line;
      if (role === Role.Login) {
        const end = line === '' ? undefined : this.lineEnds.get(line);
        if (end !== undefined) this.found(e, 'login', line, 'logout', end, index);
        else this.endByDown(e, index);
      }
      if (line !== '') this.lineEnds.set(line, e);
      return;
    }
    switch (role) {
      case Role.Boot:
        this.closeOrOpen(e, 'reboot', 'system boot', index, this.nextShutdown, 'down');
        this.down(e, 'crash');
        return;
      case Role.Shutdown:
        if (this.system) this.closeOrOpen(e, 'shutdown', 'system down', index, this.nextDown, 'logout');
        this.nextShutdown = this.nextLevelChange = e;
        this.down(e, 'down');
        return;
      case Role.RunLevel: {
        const level = e.ut_pid! & 255;
        // last writes the level with %c: a NUL level ends the label.
        const label = level === 0 ? '(to lvl ' : `(to lvl ${String.fromCharCode(level)})`;
        if (this.system) this.closeOrOpen(e, 'runlevel', label, index, this.nextLevelChange, 'logout');
        this.nextLevelChange = e;
        if (level === 0x30 || level === 0x36) { // runlevel 0 or 6
          this.nextShutdown = e;
          this.down(e, 'down');
        }
        return;
      }
      case Role.OldTime:
      case Role.NewTime:
        if (this.system) this.found(e, 'time change', role === Role.OldTime ? 'old time' : 'new time', 'time change', null, index);
        return;
      default:
        return;
    }
  }

  // A boot or shutdown: the logins before it end with it, whatever their line.
  private down(e: UtmpEntry, how: 'crash' | 'down'): void {
    this.nextDown = e;
    this.whyDown = how;
    this.lineEnds.clear();
  }

  // A login nothing on its line ended: the next boot or shutdown did, or nothing.
  private endByDown(e: UtmpEntry, index: number): void {
    const down = this.nextDown;
    // last remembers the boot by its time, so a boot at second 0 reads as "no boot".
    if (down === null || Math.floor(down.ut_time) === 0) {
      this.liveness ??= new Liveness();
      const user = this.recordUser === null ? e.ut_user : this.recordUser.whole();
      const stale = this.liveness.isStale({ login: e.date, user, pid: e.ut_pid ?? 0, line: e.line });
      this.found(e, 'login', e.line, stale ? 'gone' : 'still logged in', null, index);
    } else {
      this.found(e, 'login', e.line, this.whyDown, down, index);
    }
  }

  private closeOrOpen(e: UtmpEntry, kind: SessionKind, line: string, index: number, by: UtmpEntry | null, end: SessionEnd): void {
    this.found(e, kind, line, by === null ? 'still running' : end, by, index);
  }
}
