/**
 * What a watch yields: login, logout, boot, shutdown and failed-login events
 * made from records, and warnings about a source that the watch goes on past.
 */
import type { UtmpEntry } from '../model/entry';
import type { DataSource } from '../model/data-source';
import type { WatchPosition } from './position';

export type WatchEventType = 'login' | 'logout' | 'boot' | 'shutdown' | 'failed';

/** Something that happened: one record (or one rewritten utmp slot) made it. */
export interface WatchEvent {
  type: WatchEventType;
  /** When it happened, as recorded. */
  time: Date;
  /** Login name; '' where the record has none (a logout in wtmp names only its line). */
  user: string;
  /** The line as recorded (`pts/0`, `tty1`, `ssh:notty`, `~`). */
  line: string;
  /** Remote host, X display, or (boot, shutdown) the kernel release. */
  host: string;
  /** The remote address as text, or null when none is recorded. */
  address: string | null;
  /** The login process, where recorded (not 0). */
  pid?: number;
  /** The session id (`getsid`), where recorded (not 0). */
  session?: number;
  /** Which database recorded it. */
  source: DataSource;
  /** The PAM service that recorded it (`sshd`, `login`), where recorded (wtmpdb, logind). */
  service?: string;
  /** The wtmpdb row (its ID) the event was read from. */
  rowId?: number;
  /** The logind session id (`loginctl list-sessions`). */
  sessionId?: string;
  /** The file it was read from (sources that are files). */
  path?: string;
  /** Where to resume so that the next event is the one after this: store it, pass it back as `watch({ position })`. */
  position: WatchPosition;
  /** The record it was made from (file sources). */
  entry?: UtmpEntry;
  /** A logout: the login it ends, paired as `last` pairs them (absent when the watch never saw that login, even across `--state`). */
  login?: WatchLogin;
  /** A logout: how the session ended, as `last` says it: by a logout record, by a boot while it was open (`crash`), or by a shutdown (`down`). */
  ended?: 'logout' | 'crash' | 'down';
}

/** The login a logout ends: the fields of its login event. */
export type WatchLogin = Pick<WatchEvent, 'time' | 'user' | 'line' | 'host' | 'address' | 'pid' | 'sessionId'>;

/**
 * A problem with one source (its file disappeared, cannot be read, holds a
 * damaged record): the watch goes on, for that source too once it recovers.
 */
export interface WatchWarning {
  type: 'warning';
  /** `ENOENT`, `EACCES`, ..., a record warning (`UNKNOWN_TYPE`, `ZERO_RECORD`, `INVALID_UTF8`), or `ERR_UTMPX_WATCH_*`. */
  code: string;
  message: string;
  source: DataSource;
  path?: string;
  /** Byte offset of a damaged record. */
  offset?: number;
  /** The error behind it, for file-system failures. */
  error?: Error;
  position: WatchPosition;
}

/**
 * Records that were written and can never be read: the file was truncated
 * in place, or rotated away and removed or compressed, before the watch
 * read them. Never silent: a watch either hands over every record once, or
 * says here what it missed.
 */
export interface WatchGap {
  type: 'gap';
  source: DataSource;
  /** The watched file. */
  path: string;
  /** Bytes written and not read: at least this many (0: none known, though records written just before it may be missing). */
  bytes: number;
  /** When the watch noticed it. */
  time: Date;
  /** What happened, and what was read instead. */
  message: string;
  position: WatchPosition;
}

export type WatchItem = WatchEvent | WatchWarning | WatchGap;

/** An event without its position (the merger adds that when it is delivered). */
export type SourceEvent = Omit<WatchEvent, 'position'>;
export type SourceWarning = Omit<WatchWarning, 'position'>;
export type SourceGap = Omit<WatchGap, 'position'>;

/** The parts of an entry every event has. */
function fromEntry(type: WatchEventType, e: UtmpEntry, source: DataSource, path: string | undefined): SourceEvent {
  const ev: SourceEvent = {
    type, time: e.date, user: e.ut_user, line: e.line, host: e.ut_host, address: e.address ?? null, source,
  };
  if (e.ut_pid) ev.pid = e.ut_pid;
  if (e.ut_session) ev.session = e.ut_session;
  if (path !== undefined) ev.path = path;
  ev.entry = e;
  return ev;
}

/**
 * The event a history record (wtmp) stands for, as last(1) reads them: a
 * USER_PROCESS is a login; a DEAD_PROCESS, or a record with an empty user on
 * a real line, a logout; `reboot` on `~` a boot, `shutdown` on `~` a shutdown.
 * Other records (run levels, clock changes, init) are no event.
 */
export function historyEvent(e: UtmpEntry, source: DataSource, path?: string): SourceEvent | null {
  switch (e.ut_type) {
    case 'USER_PROCESS':
      return e.ut_user === '' ? fromEntry('logout', e, source, path) : fromEntry('login', e, source, path);
    case 'DEAD_PROCESS':
      return fromEntry('logout', e, source, path);
    case 'BOOT_TIME':
      return fromEntry('boot', e, source, path);
    case 'SHUTDOWN_TIME':
      return fromEntry('shutdown', e, source, path);
    case 'RUN_LVL':
      return e.ut_user === 'shutdown' ? fromEntry('shutdown', e, source, path) : null;
    default:
      return null;
  }
}

/** btmp: every record is a failed login (as lastb(1) shows every record). */
export function failedEvent(e: UtmpEntry, source: DataSource, path?: string): SourceEvent | null {
  if (e.ut_type === 'EMPTY' && e.ut_user === '' && e.ut_time === 0) return null; // an all-zero record
  return fromEntry('failed', e, source, path);
}

/** The login a utmp slot held. */
function slotLogin(e: UtmpEntry): WatchLogin {
  const login: WatchLogin = { time: e.date, user: e.ut_user, line: e.line, host: e.ut_host, address: e.address ?? null };
  if (e.ut_pid) login.pid = e.ut_pid;
  return login;
}

const sameSession = (a: UtmpEntry, b: UtmpEntry) =>
  a.ut_pid === b.ut_pid && a.line === b.line && a.ut_user === b.ut_user && a.ut_time === b.ut_time;

/**
 * The events a utmp slot rewritten in place stands for, given what it held
 * before (`before` null: unknown, as when resuming, or an empty slot).
 */
export function slotEvents(before: UtmpEntry | null, after: UtmpEntry, path: string): SourceEvent[] {
  const wasUser = before !== null && before.ut_type === 'USER_PROCESS';
  if (after.ut_type === 'USER_PROCESS') {
    if (wasUser && sameSession(before, after)) return [];
    const out: SourceEvent[] = [];
    if (wasUser) { // replaced without a DEAD record: the old login ends now
      const end = fromEntry('logout', before, 'utmp', path);
      end.time = after.date;
      end.ended = 'logout';
      end.login = slotLogin(before);
      out.push(end);
    }
    out.push(fromEntry('login', after, 'utmp', path));
    return out;
  }
  if (after.ut_type === 'DEAD_PROCESS') {
    if (before !== null && !wasUser) return []; // nobody was logged in there
    const ev = fromEntry('logout', after, 'utmp', path);
    ev.ended = 'logout';
    if (wasUser) { // sshd's DEAD record names no user: the slot's login does
      ev.login = slotLogin(before);
      if (ev.user === '') ev.user = before.ut_user;
      if (ev.host === '') ev.host = before.ut_host;
      if (ev.address === null) ev.address = before.address ?? null;
    }
    return [ev];
  }
  if (after.ut_type === 'BOOT_TIME') return before && before.ut_type === 'BOOT_TIME' && before.ut_time === after.ut_time ? [] : [fromEntry('boot', after, 'utmp', path)];
  if (after.ut_type === 'RUN_LVL' && after.ut_user === 'shutdown') return [fromEntry('shutdown', after, 'utmp', path)];
  return [];
}
