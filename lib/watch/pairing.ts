/**
 * Logouts that name their session: the open logins of a history (wtmp),
 * paired with their ends as util-linux last(1) pairs them (login-utils/last.c):
 * a login on a line ends at the next record on that line (its logout, or
 * another login there), or at the next boot (`crash`) or shutdown (`down`),
 * whichever comes first. The open logins ride in the source's position, so
 * they survive a restart through `--state`; there are at most
 * MAX_OPEN_LOGINS of them, the oldest let go with a warning.
 */
import type { UtmpEntry } from '../model/entry';
import type { SourceEvent, WatchLogin } from './events';
import type { StoredLogin } from './position';

export type { StoredLogin };
import { MAX_OPEN_LOGINS_KEPT } from '../model/warnings';

/** Open logins a source keeps (and stores in its position) at most: about 150 bytes each. */
export const MAX_OPEN_LOGINS = MAX_OPEN_LOGINS_KEPT;
/** And at most this many bytes of them as JSON (a 256-byte host of control characters takes 1.5 KB): a position stays far below MAX_POSITION_BYTES. */
export const MAX_OPEN_LOGIN_BYTES = 256 * 1024;


/** What a record is to last(1), after its own fix-ups of writers' mistakes (the `~` line, an empty user). */
export type LastKind = 'login' | 'logout' | 'boot' | 'shutdown' | null;

export function lastKind(e: UtmpEntry): LastKind {
  let type = e.ut_type;
  if (e.line.startsWith('~')) {
    if (e.ut_user.startsWith('shutdown')) return 'shutdown';
    if (e.ut_user.startsWith('reboot')) return 'boot';
    if (e.ut_user.startsWith('runlevel')) type = 'RUN_LVL';
  } else {
    if (type !== 'DEAD_PROCESS' && e.ut_user !== '' && e.line !== '' && !e.ut_user.startsWith('LOGIN')) type = 'USER_PROCESS';
    if (e.ut_user === '') type = 'DEAD_PROCESS';
    if (e.ut_user.startsWith('date') && (e.line.startsWith('|') || e.line.startsWith('{'))) return null;
  }
  if (type === 'SHUTDOWN_TIME') return 'shutdown';
  if (type === 'BOOT_TIME') return 'boot';
  if (type === 'RUN_LVL') {
    const level = String.fromCharCode((e.ut_pid ?? 0) & 255);
    return level === '0' || level === '6' ? 'shutdown' : null;
  }
  if (type === 'USER_PROCESS') return 'login';
  if (type === 'DEAD_PROCESS') return 'logout';
  return null;
}

export function isStoredLogins(v: unknown): v is StoredLogin[] {
  return Array.isArray(v) && v.length <= MAX_OPEN_LOGINS && v.every((l) => l && typeof l === 'object' &&
    typeof l.line === 'string' && typeof l.user === 'string' && typeof l.host === 'string' &&
    (l.address === null || typeof l.address === 'string') && typeof l.time === 'number');
}

export function toWatchLogin(l: StoredLogin): WatchLogin {
  const login: WatchLogin = { time: new Date(l.time), user: l.user, line: l.line, host: l.host, address: l.address };
  if (l.pid) login.pid = l.pid;
  return login;
}

/**
 * A logout event's missing fields (a wtmp logout names only its line) from
 * the login it ends, which it carries as `login`, with how it ended.
 */
export function nameLogout(ev: SourceEvent, login: WatchLogin | undefined, ended: 'logout' | 'crash' | 'down'): SourceEvent {
  ev.ended = ended;
  if (!login) return ev;
  ev.login = login;
  if (ev.user === '') ev.user = login.user;
  if (ev.host === '') ev.host = login.host;
  if (ev.address === null) ev.address = login.address;
  return ev;
}

/** At most the bytes `s` takes as a JSON string (6, `\uXXXX`, for any character that is not plain ASCII), without making it (JSON.stringify per login halved a burst's events/s). */
export function jsonBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80 ? 6 : 1;
  }
  return n;
}

/** The open logins of one history, by line, oldest first. */
export class OpenLogins {
  private byLine = new Map<string, StoredLogin>();
  /** Their size as JSON, by line, and in all. */
  private sizes = new Map<string, number>();
  private bytes = 0;
  /** The list a position holds: made again only after a change. */
  private stored: StoredLogin[] | null = null;

  constructor(saved?: StoredLogin[]) {
    for (const l of saved ?? []) this.open(l);
    this.stored = null;
  }

  private open(l: StoredLogin): StoredLogin | null {
    const size = 80 + jsonBytes(l.line) + jsonBytes(l.user) + jsonBytes(l.host) + jsonBytes(l.address ?? '');
    if (this.byLine.has(l.line)) this.close(l.line); // a stored list that names a line twice: the later one
    this.byLine.set(l.line, l);
    this.sizes.set(l.line, size);
    this.bytes += size;
    let dropped: StoredLogin | null = null;
    while (this.byLine.size > 1 && (this.byLine.size > MAX_OPEN_LOGINS || this.bytes > MAX_OPEN_LOGIN_BYTES)) {
      const oldest = this.byLine.keys().next().value as string;
      dropped = this.byLine.get(oldest)!;
      this.close(oldest);
    }
    return dropped;
  }

  private close(line: string): void {
    this.byLine.delete(line);
    this.bytes -= this.sizes.get(line) ?? 0;
    this.sizes.delete(line);
  }

  /** For a position: the same array until the next change (positions share it; nobody changes it). */
  snapshot(): StoredLogin[] {
    return (this.stored ??= [...this.byLine.values()]);
  }

  /**
   * Takes a record in file order. Returns the logouts it causes besides its
   * own event: a login on a line still open ends that login (as last
   * shows it), a boot or shutdown ends every open one. `own` (the record's
   * event, a logout) gets the login it ends. `dropped`: the oldest login let
   * go to stay within MAX_OPEN_LOGINS.
   */
  record(e: UtmpEntry, own: SourceEvent | null, ended: (login: StoredLogin, how: 'logout' | 'crash' | 'down') => SourceEvent):
    { before: SourceEvent[]; dropped: StoredLogin | null } {
    const kind = lastKind(e);
    const before: SourceEvent[] = [];
    let dropped: StoredLogin | null = null;
    if (kind === 'boot' || kind === 'shutdown') {
      for (const l of this.byLine.values()) before.push(ended(l, kind === 'boot' ? 'crash' : 'down'));
      if (this.byLine.size > 0) {
        this.byLine = new Map();
        this.sizes = new Map();
        this.bytes = 0;
        this.stored = null;
      }
    } else if ((kind === 'login' || kind === 'logout') && e.line !== '') {
      const open = this.byLine.get(e.line);
      if (open) {
        if (kind === 'logout' && own?.type === 'logout') nameLogout(own, toWatchLogin(open), 'logout');
        else before.push(ended(open, 'logout'));
        this.close(e.line);
      } else if (own?.type === 'logout') {
        nameLogout(own, undefined, 'logout');
      }
      if (kind === 'login') {
        const l: StoredLogin = { line: e.line, user: e.ut_user, host: e.ut_host, address: e.address ?? null, time: e.date.getTime() };
        if (e.ut_pid) l.pid = e.ut_pid;
        dropped = this.open(l);
      }
      if (open || kind === 'login') this.stored = null;
    } else if (own?.type === 'logout') {
      nameLogout(own, undefined, 'logout');
    }
    return { before, dropped };
  }
}
