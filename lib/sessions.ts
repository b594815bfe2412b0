/**
 * Login sessions from a wtmp file, paired the way util-linux `last` pairs them.
 *
 * `last` reads the file backwards and, for each login, takes the first later
 * record on the same line as its logout, unless a reboot or shutdown comes
 * first. Read forwards, that is: each line has at most one open login; the
 * next login or logout record on that line closes it, a reboot closes every
 * open login as a crash, a shutdown (or runlevel 0/6) as down. So the memory
 * held is the open sessions, never the file.
 */
import * as fs from 'fs';
import * as os from 'os';
import type { UtmpEntry } from './entry';
import type { LayoutName } from './layouts';
import type { DataSource } from './modern/source';
import { isSqliteFile } from './modern/sqlite';
import { wtmpdbSessions, wtmpdbSessionsAsync } from './modern/wtmpdb';
import { BackwardCursor, countRecords } from './backward-cursor';
import type { CursorHints } from './forward-cursor';
import type { ReadProgress } from './entry-cursor';
import { argumentError, checkPathArgument } from './errors';
import { WTMPDB_PATH, paths } from './platform';
import { UtmpFile } from './utmp-file';
import { type WarningOptions, WarningSink } from './warnings';

/**
 * How a session ended.
 *
 * For logins (`kind: 'login'`), as `last` shows them:
 * - `logout`: a logout record (a DEAD_PROCESS, or any record with an empty
 *   user) or the next login on the same line; `logout` is its time.
 * - `crash`: the system booted again with no logout first; `logout` is the boot time.
 * - `down`: the system was shut down (or went to runlevel 0 or 6); `logout` is that time.
 * - `still logged in`: no end recorded, and the session looks alive on this
 *   machine (`logout` is null).
 * - `gone`: no end recorded, but the session is stale on this machine (it
 *   began before the current boot, the user is unknown, or the login process
 *   or terminal belongs to someone else); `last` prints "gone - no logout".
 *
 * For the pseudo-sessions of the system itself:
 * - `down`: a `reboot` ended by the next shutdown (or runlevel 0/6).
 * - `logout`: a `shutdown` ended by the next boot, or a `runlevel` change ended by the next one.
 * - `still running`: nothing ended it yet (`logout` is null; for a
 *   `shutdown` that no boot followed, `last` prints 1970-01-01 there).
 * - `time change`: a clock change, which has no end (`logout` is null).
 */
export type SessionEnd = 'logout' | 'crash' | 'down' | 'still logged in' | 'gone' | 'still running' | 'time change';

/**
 * What a session stands for: a user's `login`, or a pseudo-session of the
 * system: `reboot` (from a boot to the next shutdown, always listed, as by
 * `last`), and with `system: true` (like `last -x`) `shutdown` (from a
 * shutdown to the next boot), `runlevel` and `time change`.
 */
export type SessionKind = 'login' | 'reboot' | 'shutdown' | 'runlevel' | 'time change';

/** One session, as one line of `last -F -x`. */
export interface Session {
  kind: SessionKind;
  /** Login name (`reboot`, `shutdown`, `runlevel` for the system's pseudo-sessions). */
  user: string;
  /**
   * Terminal as recorded (`pts/0`, `tty1`, `ssh:notty`). For pseudo-sessions,
   * the label `last` prints: `system boot`, `system down`, `(to lvl 3)`,
   * `old time`, `new time`.
   */
  line: string;
  /** Remote host or X display; the kernel version for reboots and shutdowns. */
  host: string;
  /** Remote address as text (`10.0.0.5`, `2001:db8::1`), or null when none is recorded. */
  address: string | null;
  /** PID of the login process as recorded. */
  pid: number;
  /** When the session began. */
  login: Date;
  /** When it ended, or null while still open (see `end`). */
  logout: Date | null;
  /** How it ended. */
  end: SessionEnd;
  /**
   * Position of the record that began the session (0 for the first record of
   * the file). `last` lists sessions by this, newest first. From wtmpdb: the
   * row's ID (`wtmpdb last`, and `newestFirst`, list by `login`, newest first).
   */
  index: number;
  /** The PAM service that recorded the login (`sshd`, `login`), from wtmpdb; null elsewhere. */
  service: string | null;
  /** Where the session came from: `wtmp`, `btmp` (failed logins) or `wtmpdb`. */
  source: DataSource;
}

/** Options of {@link sessions} and {@link sessionsAsync}. */
export interface SessionsOptions extends WarningOptions {
  /** Also list shutdowns, runlevel changes and clock changes, like `last -x`. */
  system?: boolean;
  /** Ignore records before this time, like `last --since` (whole seconds). */
  since?: Date;
  /** Ignore records after this time, like `last --until` (whole seconds). */
  until?: Date;
  /**
   * Read a btmp file as `lastb` does: every record is one failed login,
   * nothing is paired (`logout` equals `login`, `end` is `logout`).
   */
  failedLogins?: boolean;
  /** Read the file as this layout instead of recognising it. */
  layout?: LayoutName | 'auto';
  /**
   * Which history to read (default `auto`): `wtmpdb` (SQLite) or `wtmp`.
   * `auto` reads a given path as what its header says it is; without a
   * path, wtmpdb's database when it exists (`/var/lib/wtmpdb/wtmp.db`), else
   * the legacy wtmp. wtmp.db wins over a wtmp beside it because where both
   * exist the legacy file is incomplete: Debian 13's sshd still writes its
   * logins there, never its logouts.
   */
  source?: 'wtmp' | 'wtmpdb' | 'auto';
  /** Read `path` as a stream (a pipe, a FIFO, /dev/stdin): see `UtmpFileOptions.stream`. Only `sessionsAsync` reads streams. */
  stream?: boolean;
  /**
   * Newest first, in `last`'s order (by `index`, descending): the wtmp is read
   * backwards and each session comes out when its login is reached, paired as
   * util-linux `last` pairs while reading backwards. Memory holds one record
   * per line, never the sessions. Regular files only (no stream, no compressed
   * file: `ERR_UTMPX_COMPRESSED`); from wtmpdb, in `wtmpdb last`'s order (login
   * descending, then logout ascending), in bounded memory too.
   */
  newestFirst?: boolean;
}

/** Which history {@link sessions} reads for `path` and `options`, and the file. */
export function historySource(path: string | undefined, options: SessionsOptions = {}): { source: 'wtmp' | 'wtmpdb'; path: string } {
  const forced = options.source ?? 'auto';
  if (forced !== 'auto' && forced !== 'wtmp' && forced !== 'wtmpdb') {
    throw argumentError('ERR_INVALID_ARG_VALUE', `The "source" option must be 'wtmp', 'wtmpdb' or 'auto'; received ${String(forced)}`);
  }
  let source: 'wtmp' | 'wtmpdb';
  if (forced !== 'auto') source = forced;
  else if (options.failedLogins || (options.layout !== undefined && options.layout !== 'auto')) source = 'wtmp';
  else if (path !== undefined) source = isSqliteFile(path) ? 'wtmpdb' : 'wtmp';
  else source = fs.existsSync(WTMPDB_PATH) ? 'wtmpdb' : 'wtmp';
  return { source, path: path ?? (source === 'wtmpdb' ? WTMPDB_PATH : paths().wtmp) };
}

/**
 * The sessions in a wtmp file (default: wtmpdb's wtmp.db where it exists, else this
 * platform's wtmp; see `source`), paired as
 * util-linux `last` pairs them, read as a stream in constant memory.
 *
 * Sessions come out as soon as their end is known (a logout, a reboot, a
 * shutdown); those still open at the end of the file come last, in the
 * order they began. To list them as `last` does, newest first, sort by
 * `index` descending.
 *
 * @example
 * for (const s of sessions()) console.log(s.user, s.line, s.login, s.end);
 */
export function* sessions(path?: string | readonly string[], options: SessionsOptions = {}): IterableIterator<Session> {
  const files = rotatedSet(path);
  const chosen = files ? { source: 'wtmp', path: '' } : historySource(path as string | undefined, options);
  if (chosen.source === 'wtmpdb') {
    yield* wtmpdbSessions(chosen.path, options);
    return;
  }
  if (options.newestFirst) {
    yield* backwardSessions(files ?? [chosen.path], options);
    return;
  }
  const pairing = new Pairing(options);
  const out = pairing.out;
  for (const file of files ?? [chosen.path]) {
    const db = new UtmpFile(file, fileOptions(options)).hint({ pairingOnly: true });
    try {
      // nextEntry, not for...of: no iterator result object per record.
      for (let entry = db.nextEntry(); entry; entry = db.nextEntry()) {
        pairing.push(entry);
        if (out.length === 1) {
          yield out.pop()!; // most records end one session: pop is cheaper than setting the length
        } else if (out.length !== 0) {
          // An indexed loop: yield* would make an array iterator each time.
          for (let i = 0; i < out.length; i++) yield out[i];
          out.length = 0;
        }
      }
    } finally {
      db.close(); // also when the caller stops early, as for...of would
    }
  }
  yield* pairing.finish();
}

/**
 * Several wtmp files read as one history, in the order given (oldest first:
 * `['wtmp.2.gz', 'wtmp.1', 'wtmp']`), so a login in one pairs with its
 * logout in the next; `index` counts records across them all. Null for one path.
 */
function rotatedSet(path: string | readonly string[] | undefined): readonly string[] | null {
  if (!Array.isArray(path)) return null;
  if (path.length === 0) throw argumentError('ERR_INVALID_ARG_VALUE', 'The "path" argument must be a path or a non-empty array of paths (oldest first)');
  return path;
}

/**
 * {@link sessions}, reading the file without blocking the event loop.
 *
 * @example
 * for await (const s of sessionsAsync('/var/log/wtmp')) if (s.end === 'crash') console.log(s);
 */
export function sessionsAsync(path?: string | readonly string[], options: SessionsOptions = {}): AsyncIterableIterator<Session> {
  const files = rotatedSet(path);
  const chosen = files ? { source: 'wtmp', path: '' } : historySource(path as string | undefined, options);
  if (chosen.source === 'wtmpdb') {
    return wtmpdbSessionsAsync(chosen.path, options);
  }
  if (options.newestFirst) return backwardSessionsAsync(files ?? [chosen.path], options);
  const queue = [...(files ?? [chosen.path])];
  const pairing = new Pairing(options);
  let file = new UtmpFile(queue.shift()!, fileOptions(options));
  let entries = file[Symbol.asyncIterator]();
  return drained(pairing.out, async () => {
    const r = await entries.next();
    if (r.done && queue.length) {
      file = new UtmpFile(queue.shift()!, fileOptions(options)); // the next file of a rotated set
      entries = file[Symbol.asyncIterator]();
    } else if (r.done) {
      pairing.finish();
      return false;
    } else {
      pairing.push(r.value);
    }
    return true;
  }, () => file.close());
}

/**
 * The sessions `fill` puts in `out`, as an async iterator: a plain one, not an
 * async generator, so one await per record read and none per session handed
 * out (an async generator costs several). `fill` gives false once nothing
 * more will come; `close` lets go of the files.
 */
function drained(out: Session[], fill: () => Promise<boolean>, close: () => void): AsyncIterableIterator<Session> {
  let given = 0;
  let finished = false;
  const iterator: AsyncIterableIterator<Session> = {
    async next() {
      if (given === out.length) {
        if (out.length === 1) out.pop(); // cheaper than setting the length (which gives up the array's storage)
        else out.length = 0;
        given = 0;
        while (out.length === 0 && !finished) {
          if (!(await fill())) finished = true;
        }
        if (out.length === 0) return { value: undefined, done: true };
      }
      return { value: out[given++], done: false };
    },
    async return() {
      finished = true;
      out.length = given = 0;
      close();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

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

/** Sessions made of what the backward pairing found, pushed onto `out`. */
export function sessionsInto(out: Session[], options: SessionsOptions): FoundSession {
  const source: DataSource = options.failedLogins ? 'btmp' : 'wtmp';
  return (e, kind, line, end, by, index) => {
    const s = newSession(e, kind, line, null, end, index, source);
    if (by !== null) s.logout = by === e ? s.login : by.date;
    out.push(s);
  };
}

function* backwardSessions(files: readonly string[], options: SessionsOptions): IterableIterator<Session> {
  const out: Session[] = [];
  const reader = new BackwardSessionReader(files, options, sessionsInto(out, options));
  try {
    while (reader.step()) {
      if (out.length === 1) {
        yield out.pop()!;
      } else if (out.length !== 0) {
        for (let i = 0; i < out.length; i++) yield out[i];
        out.length = 0;
      }
    }
  } finally {
    reader.close();
  }
}

function backwardSessionsAsync(files: readonly string[], options: SessionsOptions): AsyncIterableIterator<Session> {
  const out: Session[] = [];
  const reader = new BackwardSessionReader(files, options, sessionsInto(out, options));
  return drained(out, () => reader.stepAsync(), () => reader.close());
}

function fileOptions(options: SessionsOptions) {
  return { onWarning: options.onWarning, strict: options.strict, layout: options.layout, stream: options.stream };
}

// What `last` takes a record for, after its fix-ups for old programs.
const enum Role { Ignored, Login, Logout, Boot, Shutdown, RunLevel, OldTime, NewTime }

function roleOf(e: UtmpEntry): Role {
  const user = e.ut_user;
  const line = e.line;
  let type = e.ut_type;
  if (line.charCodeAt(0) === 0x7e /* ~ */) {
    if (user.startsWith('shutdown')) return Role.Shutdown;
    if (user.startsWith('reboot')) return Role.Boot;
    if (user.startsWith('runlevel')) return Role.RunLevel;
  } else {
    // Programs that do not fill in ut_type: a user and a line make a login,
    // no user makes a logout.
    // (A first letter compared before startsWith: this runs for every record.)
    const first = user.charCodeAt(0);
    if (type !== 'DEAD_PROCESS' && user !== '' && line !== '' && !(first === 0x4c /* L */ && user.startsWith('LOGIN'))) type = 'USER_PROCESS';
    if (user === '') type = 'DEAD_PROCESS';
    if (first === 0x64 /* d */ && user.startsWith('date')) {
      if (line.charCodeAt(0) === 0x7c /* | */) return Role.OldTime;
      if (line.charCodeAt(0) === 0x7b /* { */) return Role.NewTime;
    }
  }
  switch (type) {
    case 'USER_PROCESS': return Role.Login;
    case 'DEAD_PROCESS': return Role.Logout;
    case 'BOOT_TIME': return Role.Boot;
    case 'SHUTDOWN_TIME': return Role.Shutdown;
    case 'RUN_LVL': return Role.RunLevel;
    case 'OLD_TIME': return Role.OldTime;
    case 'NEW_TIME': return Role.NewTime;
    default: return Role.Ignored;
  }
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The forward form of `last`'s pairing; closed sessions are pushed to `out`. */
class Pairing {
  readonly out: Session[] = [];
  private index = -1;
  /** The open login of each line (one at most: the next record on the line closes it). */
  private readonly open = new Map<string, Session>();
  /** Logins recorded with an empty line: only a reboot or shutdown ends them. */
  private readonly openNoLine: Session[] = [];
  private readonly reboots: Session[] = [];
  private shutdown: Session | null = null;
  private runlevel: Session | null = null;
  private readonly since: number;
  private readonly until: number;
  private liveness: Liveness | null = null;

  constructor(private readonly options: SessionsOptions) {
    this.since = options.since ? seconds(options.since) : -Infinity;
    this.until = options.until ? seconds(options.until) : Infinity;
  }

  push(e: UtmpEntry): void {
    this.index++;
    if (this.since !== -Infinity || this.until !== Infinity) {
      const sec = Math.floor(e.ut_time);
      if (sec < this.since || sec > this.until) return;
    }
    if (this.options.failedLogins) {
      const s = this.session(e, 'login', e.line, null, 'logout');
      s.logout = s.login;
      this.out.push(s);
      return;
    }
    const role = roleOf(e);
    if (role === Role.Ignored) return;
    if (role === Role.Login || role === Role.Logout) {
      if (e.line === '') {
        if (role === Role.Login) this.openNoLine.push(this.session(e, 'login', '', null, 'still logged in'));
        return;
      }
      const previous = this.open.get(e.line);
      if (previous) {
        this.close(previous, e.date, 'logout');
        this.open.delete(e.line); // so the map keeps the order sessions began in
      }
      if (role === Role.Login) this.open.set(e.line, this.session(e, 'login', e.line, null, 'still logged in'));
      return;
    }
    const date = e.date;
    switch (role) {
      case Role.Boot:
        this.systemDown(date, 'crash');
        this.reboots.push(this.session(e, 'reboot', 'system boot', null, 'still running'));
        return;
      case Role.Shutdown:
        this.systemDown(date, 'down');
        this.runlevelChanged(date);
        if (this.options.system) this.shutdown = this.session(e, 'shutdown', 'system down', null, 'still running');
        return;
      case Role.RunLevel: {
        const level = e.ut_pid! & 255;
        if (level === 0x30 || level === 0x36) this.systemDown(date, 'down'); // runlevel 0 or 6
        this.runlevelChanged(date);
        // last writes the level with %c: a NUL level ends the label.
        const label = level === 0 ? '(to lvl ' : `(to lvl ${String.fromCharCode(level)})`;
        if (this.options.system) this.runlevel = this.session(e, 'runlevel', label, null, 'still running');
        return;
      }
      case Role.OldTime:
      case Role.NewTime:
        if (this.options.system) {
          const label = role === Role.OldTime ? 'old time' : 'new time';
          this.out.push(this.session(e, 'time change', label, null, 'time change'));
        }
        return;
      default:
        return;
    }
  }

  /** The sessions nothing ended, in the order they began. */
  finish(): Session[] {
    const rest = [...this.open.values(), ...this.openNoLine, ...this.reboots];
    if (this.shutdown) rest.push(this.shutdown);
    if (this.runlevel) rest.push(this.runlevel);
    for (const s of rest) if (s.kind === 'login') s.end = this.stillOpenEnd(s);
    rest.sort((a, b) => a.index - b.index);
    this.out.push(...rest);
    return this.out;
  }

  // A boot or shutdown at `date`: every open login ends with it, as does the previous shutdown.
  private systemDown(date: Date, how: 'crash' | 'down'): void {
    // last remembers the boot by its time, so a boot at second 0 reads as "no boot".
    const noBoot = seconds(date) === 0;
    for (const s of this.open.values()) this.endLogin(s, date, how, noBoot);
    for (const s of this.openNoLine) this.endLogin(s, date, how, noBoot);
    this.open.clear();
    this.openNoLine.length = 0;
    if (this.shutdown) {
      this.close(this.shutdown, date, 'logout');
      this.shutdown = null;
    }
    if (how === 'down') {
      for (const s of this.reboots) this.close(s, date, 'down');
      this.reboots.length = 0;
    }
  }

  private runlevelChanged(date: Date): void {
    if (this.runlevel) {
      this.close(this.runlevel, date, 'logout');
      this.runlevel = null;
    }
  }

  private endLogin(s: Session, date: Date, how: 'crash' | 'down', noBoot: boolean): void {
    if (noBoot) {
      s.end = this.stillOpenEnd(s);
      this.out.push(s);
    } else {
      this.close(s, date, how);
    }
  }

  private close(s: Session, logout: Date, end: SessionEnd): void {
    s.logout = logout;
    s.end = end;
    this.out.push(s);
  }

  private stillOpenEnd(s: Session): SessionEnd {
    this.liveness ??= new Liveness();
    return this.liveness.isStale(s) ? 'gone' : 'still logged in';
  }

  private session(e: UtmpEntry, kind: SessionKind, line: string, logout: Date | null, end: SessionEnd): Session {
    return newSession(e, kind, line, logout, end, this.index, this.options.failedLogins ? 'btmp' : 'wtmp');
  }
}

function newSession(e: UtmpEntry, kind: SessionKind, line: string, logout: Date | null, end: SessionEnd, index: number, source: DataSource): Session {
  return {
    kind, user: e.ut_user, line, host: e.ut_host, address: e.address ?? null, pid: e.ut_pid ?? 0,
    login: e.date, logout, end, index, service: null, source,
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
    const role = roleOf(e);
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
      const stale = this.liveness.isStale({ login: e.date, user: e.ut_user, pid: e.ut_pid ?? 0, line: e.line });
      this.found(e, 'login', e.line, stale ? 'gone' : 'still logged in', null, index);
    } else {
      this.found(e, 'login', e.line, this.whyDown, down, index);
    }
  }

  private closeOrOpen(e: UtmpEntry, kind: SessionKind, line: string, index: number, by: UtmpEntry | null, end: SessionEnd): void {
    this.found(e, kind, line, by === null ? 'still running' : end, by, index);
  }
}

/**
 * `last`'s test for a session with no recorded end: stale ("gone") when it
 * began before this machine's boot, when its user is unknown here, or when
 * its login process (`/proc/PID/loginuid`) or else its terminal belongs to
 * another user. Users come from /etc/passwd (other NSS sources are not asked).
 */
class Liveness {
  private readonly bootSeconds = Math.floor(Date.now() / 1000 - os.uptime());
  private users: Map<string, number> | null = null;

  isStale(s: Pick<Session, 'login' | 'user' | 'pid' | 'line'>): boolean {
    if (seconds(s.login) < this.bootSeconds) return true;
    const uid = this.uidOf(s.user.slice(0, 31)); // last cuts the name to 31 bytes
    if (uid === undefined) return true;
    let loginuid: string | null = null;
    try {
      loginuid = fs.readFileSync(`/proc/${s.pid >>> 0}/loginuid`, 'latin1');
    } catch {
      // No such process: the terminal's owner decides.
    }
    if (loginuid !== null) {
      const m = /^\s*(\d+)/.exec(loginuid);
      return !m || Number(m[1]) !== uid;
    }
    try {
      return fs.statSync(`/dev/${s.line}`).uid !== uid;
    } catch {
      return true;
    }
  }

  private uidOf(user: string): number | undefined {
    if (!this.users) {
      this.users = new Map();
      let text = '';
      try {
        text = fs.readFileSync('/etc/passwd', 'utf8');
      } catch {
        // No user database: every user is unknown.
      }
      for (const row of text.split('\n')) {
        const [name, , uid] = row.split(':');
        if (name && uid !== undefined && !this.users.has(name)) this.users.set(name, Number(uid));
      }
    }
    return this.users.get(user);
  }
}
